"""A visit filed from the phone: the rep's customers to pick from, the last record of one, filing the
note and the photo of a signed form, and what extraction read from it for a quick confirm or fix.

    file_visit(settings, rep_id="rep-07", account_id="acc-demo-01", hospital=None,
               text="今天见了吴主任…", visit_date=dt.date(2026, 3, 10), photo=jpeg, photo_name="form.jpg")
    # → FiledVisit(note_id='doc-…', photo_id='doc-…', photo_evidence={'taken_at': '2026-03-10T15:42:07', …})

Who may file for whom is checked by the caller (the page asks `core.access` through the API's
`require_may_file`); this module only files.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from jinnang.core.db import open_engine
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings
from jinnang.ingest.exif import photo_evidence
from jinnang.ingest.store import DocumentRow, ingest_engine
from jinnang.nlp.store import ExtractionRow, records_engine, reviewed_record
from jinnang.rules.accounts import add_document
from jinnang.rules.accounts.tables import AccountRow, ObjectionRow
from jinnang.rules.config import default_ruleset
from jinnang.rules.models import Document
from jinnang.service.pipeline import ingest_bytes

MAX_TEXT_CHARS = 20_000
# the items of a record a rep confirms or fixes, in the order the page shows them
ITEM_FIELDS = ("decision_makers", "objections", "key_dates", "visit", "journey_signals")


@dataclass(frozen=True)
class AccountChoice:
    account_id: str
    name: str          # the hospital, or the id when no note named one
    node: str
    node_label: str
    rep_id: str


def accounts_engine(settings: Settings) -> Engine:
    from jinnang.core.db import ensure_schema

    engine = records_engine(settings)  # the records' tables; the accounts' below
    ensure_schema(engine)
    return engine


def account_names(engine: Engine, account_ids: set[str] | list[str]) -> dict[str, str]:
    """Each account's customer name: the snapshot's hospital, else the latest note's, else the id."""
    ids = set(account_ids)
    names: dict[str, str] = {}
    with Session(engine) as session:
        for account_id, hospital, _ in session.execute(
                select(ExtractionRow.account_id, ExtractionRow.hospital, func.max(ExtractionRow.reference_date))
                .where(ExtractionRow.account_id.in_(ids), ExtractionRow.hospital.is_not(None))
                .group_by(ExtractionRow.account_id, ExtractionRow.hospital)
                .order_by(func.max(ExtractionRow.reference_date))):
            if account_id and hospital:
                names[account_id] = hospital  # the latest wins (ordered by date)
        for row in session.scalars(select(AccountRow).where(AccountRow.account_id.in_(ids))):
            if (row.snapshot or {}).get("hospital"):
                names[row.account_id] = row.snapshot["hospital"]
    return {a: names.get(a, a) for a in ids}


def account_choices(settings: Settings, rep_ids: set[str] | None) -> list[AccountChoice]:
    """The accounts of `rep_ids` (None: everyone's), by customer name."""
    engine = accounts_engine(settings)
    rules = default_ruleset()
    with Session(engine) as session:
        query = select(AccountRow) if rep_ids is None else select(AccountRow).where(AccountRow.rep_id.in_(rep_ids))
        rows = list(session.scalars(query))
    names = account_names(engine, [r.account_id for r in rows])
    choices = [AccountChoice(r.account_id, names[r.account_id], r.journey_node,
                             rules.node_by_id[r.journey_node].label if r.journey_node in rules.node_by_id
                             else r.journey_node, r.rep_id) for r in rows]
    return sorted(choices, key=lambda c: (c.name, c.account_id))


@dataclass(frozen=True)
class LastRecord:
    document_id: str
    date: dt.date
    kind: str
    node: str
    node_label: str
    objections: list[dict[str, Any]]       # of that record: category and the words that said it
    open_objections: list[dict[str, Any]]  # still open on the account


def last_record(settings: Settings, account_id: str) -> LastRecord | None:
    """The account's latest note or form and what it said, for the rep to read before the next visit."""
    engine = accounts_engine(settings)
    rules = default_ruleset()
    with Session(engine) as session:
        row = session.scalar(select(ExtractionRow).where(ExtractionRow.account_id == account_id)
                             .order_by(ExtractionRow.reference_date.desc(), ExtractionRow.id.desc()))
        account = session.get(AccountRow, account_id)
        if row is None or account is None:
            return None
        record = reviewed_record(session, row)
        still_open = session.scalars(select(ObjectionRow).where(ObjectionRow.account_id == account_id,
                                                                ObjectionRow.status == "open")).all()
        node = account.journey_node
        return LastRecord(
            document_id=row.document_id, date=row.reference_date, kind=row.kind, node=node,
            node_label=rules.node_by_id[node].label if node in rules.node_by_id else node,
            objections=[{"category": o["category"], "evidence": o.get("evidence") or ""}
                        for o in record.get("objections", [])],
            open_objections=[{"category": o.category, "raised_on": o.raised_on} for o in still_open])


@dataclass(frozen=True)
class FiledVisit:
    note_id: str | None
    photo_id: str | None
    account_id: str | None
    photo_evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def document_id(self) -> str:
        """The page to show after saving: the note's, or the photo's when only a photo was sent."""
        return self.note_id or self.photo_id or ""


def file_visit(settings: Settings, *, rep_id: str, account_id: str | None, hospital: str | None, text: str,
               visit_date: dt.date, photo: bytes | None = None, photo_name: str | None = None) -> FiledVisit:
    """Ingest the visit's note (kind visit_note) and the photo of a signed form (kind trial_feedback).

    The photo's EXIF time and place are kept in both documents' meta as the visit's evidence; a
    time-stamped photo also counts on the account as a touch at the time it was taken.
    A new customer (no account, a hospital named) gets a new account of this rep.
    """
    text = (text or "").strip()
    hospital = (hospital or "").strip() or None
    if not text and not photo:
        raise InputError("text", "write what happened at the visit, or add a photo of the signed form")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError("text", f"a visit note has at most {MAX_TEXT_CHARS} characters")
    if not account_id:
        if not hospital:
            raise InputError("account_id", "pick a customer, or name the hospital of a new one")
        account_id = f"acc-{uuid.uuid4().hex[:10]}"
    elif hospital is None:
        hospital = account_names(accounts_engine(settings), [account_id]).get(account_id)
        hospital = None if hospital == account_id else hospital
    common: dict[str, Any] = {"rep_id": rep_id, "account_id": account_id, "hospital": hospital}
    evidence: dict[str, Any] = {}
    photo_id = None
    found = photo_evidence(photo) if photo else None
    if photo and found is not None:
        evidence = found.as_meta()
        taken_day = found.taken_at.date() if found.taken_at else visit_date
        meta = {"visit_evidence": {**evidence, "source": "photo_exif"}} if evidence else None
        registration, _ = ingest_bytes(settings, photo, photo_name or "visit-photo.jpg", kind="trial_feedback",
                                       reference_date=taken_day, meta=meta, **common)
        photo_id = registration.document_id
    note_id = None
    if text:
        note_meta: dict[str, Any] = {"filed_from": "web", **({"visit_evidence": {**evidence, "source": "photo_exif"}} if evidence else {}),
                **({"photo_document_id": photo_id} if photo_id else {})}
        registration, _ = ingest_bytes(settings, text.encode("utf-8"), f"visit-{visit_date.isoformat()}.txt",
                                       kind="visit_note", reference_date=visit_date, meta=note_meta, **common)
        note_id = registration.document_id
    if photo_id and found is not None and found.taken_at is not None:  # after the note: a new customer's account exists now
        _count_photo_as_touch(settings, account_id, photo_id, found.taken_at)
    return FiledVisit(note_id=note_id, photo_id=photo_id, account_id=account_id, photo_evidence=evidence)


def _count_photo_as_touch(settings: Settings, account_id: str, photo_id: str, taken_at: dt.datetime) -> None:
    """An on-site photo with its time is a real touch: the account records it (once) at that time."""
    engine = open_engine(settings.db_url)
    with Session(engine) as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            return
        known = (row.snapshot or {}).get("documents", [])
        if any(d.get("id") == photo_id and d.get("type") == "visit_photo" for d in known):
            return
    add_document(engine, account_id, Document(type="visit_photo", uploaded_at=taken_at, id=photo_id))


@dataclass(frozen=True)
class VisitView:
    document: dict[str, Any]
    record_id: int | None
    items: dict[str, list[dict[str, Any]]]  # field → its items (value and evidence), as the page lists them
    review_status: str | None
    photo_document_id: str | None


def document_of(settings: Settings, document_id: str) -> DocumentRow | None:
    with Session(ingest_engine(settings), expire_on_commit=False) as session:
        return session.get(DocumentRow, document_id)


def visit_view(settings: Settings, document: DocumentRow) -> VisitView:
    """What extraction read from a filed note or form, item by item (the reviewed values: a fix shows)."""
    engine = records_engine(settings)
    meta = document.meta or {}
    info = {"id": document.id, "kind": document.kind, "status": document.status, "error": document.error,
            "hospital": document.hospital, "account_id": document.account_id, "rep_id": document.rep_id,
            "reference_date": document.reference_date, "text": document.text or "",
            "evidence": meta.get("visit_evidence") or {}, "filename": document.filename}
    with Session(engine) as session:
        row = session.scalar(select(ExtractionRow).where(ExtractionRow.document_id == document.id))
        if row is None:
            return VisitView(info, None, {f: [] for f in ITEM_FIELDS}, None, meta.get("photo_document_id"))
        record = reviewed_record(session, row)
        status = row.review_status
        record_id = row.id
    items: dict[str, list[dict[str, Any]]] = {
        "decision_makers": [{k: dm.get(k) for k in ("name", "title", "department", "organization", "role")}
                            for dm in record.get("decision_makers") or []],
        "objections": [{"category": o["category"], "evidence": o.get("evidence") or ""}
                       for o in record.get("objections") or []],
        "key_dates": [{"type": d["type"], "date": str(d["date"]), "evidence": d.get("evidence") or ""}
                      for d in record.get("key_dates") or []],
        "visit": [] if not record.get("visit") else [
            {"sample_brought": bool(record["visit"].get("sample_brought")),
             "questions_resolved": int(record["visit"].get("questions_resolved") or 0),
             "cross_dept_needs": list(record["visit"].get("cross_dept_needs") or [])}],
        "journey_signals": [] if not record.get("journey_node") else [
            {"journey_node": record["journey_node"], "evidence": record.get("journey_evidence") or ""}],
    }
    return VisitView(info, record_id, items, status, meta.get("photo_document_id"))
