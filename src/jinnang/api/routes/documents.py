"""Upload documents and follow their ingest jobs."""
from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Response, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from jinnang.api.deps import Caller, IsoDay, SettingsDep, refuse, require_may_file, require_role, require_visible
from jinnang.api.errors import CALLER_REFUSALS, documented
from jinnang.core.errors import InputError
from jinnang.core.records import DOCUMENT_KINDS
from jinnang.ingest.audit import audit_entries, write_audit
from jinnang.ingest.store import DocumentRow, IngestJobRow, ingest_engine
from jinnang.nlp.store import ExtractionRow, records_engine
from jinnang.service.documents import delete_document, document_owner, open_original
from jinnang.service.pipeline import PROFILE_META_KEYS, register_document
from jinnang.service.queue import submit_job

router = APIRouter(prefix="/v1", tags=["documents"], responses=documented(*CALLER_REFUSALS))
Uploader = Annotated[Caller, Depends(require_role("rep", "manager", "crm"))]
Reader = Annotated[Caller, Depends(require_role("rep", "manager", "crm"))]
OriginalReader = Annotated[Caller, Depends(require_role("rep", "manager"))]  # never the CRM
Deleter = Annotated[Caller, Depends(require_role("manager"))]  # the rep's manager (and admin)
Auditor = Annotated[Caller, Depends(require_role())]  # admin only
META_PATTERN = r"^\s*(\{[\s\S]*\}|null)?\s*$"  # what the schema can say of "a JSON object"; json.loads says the rest


def _document_public(doc: DocumentRow) -> dict[str, Any]:
    return {"id": doc.id, "filename": doc.filename, "media_type": doc.media_type, "kind": doc.kind,
            "status": doc.status, "account_id": doc.account_id, "rep_id": doc.rep_id, "hospital": doc.hospital,
            "reference_date": doc.reference_date, "size_bytes": doc.size_bytes, "error": doc.error,
            "min_confidence": doc.min_confidence, "text": doc.text, "encoding": doc.encoding,
            "chat": (doc.meta or {}).get("chat"),
            "pages": [{"page": p.page_no, "engine": p.engine, "seconds": round(p.seconds, 3),
                       "lines": [{"text": ln.text, "confidence": round(ln.confidence, 4),
                                  "box": [int(v) for v in ln.box.split(",")] if ln.box else None}
                                 for ln in p.lines]}
                      for p in doc.pages]}


@router.post("/documents", status_code=status.HTTP_202_ACCEPTED, responses=documented(400, 413, 415, 422))
def upload_document(  # not async: the door's checks decode images and write the database (threadpool)
    caller: Uploader, settings: SettingsDep, background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="a visit note as text in any common encoding (UTF-8, GBK, Big5, UTF-16), a chat export, a Word (.docx) or Excel (.xlsx) file, a scan or phone photo (png/jpg/tiff/webp) or a PDF")],
    kind: Annotated[str, Form(json_schema_extra={"enum": list(DOCUMENT_KINDS)})] = "visit_note",
    account_id: Annotated[str | None, Form()] = None,
    hospital: Annotated[str | None, Form()] = None,
    reference_date: Annotated[IsoDay | None, Form()] = None,
    rep_id: Annotated[str | None, Form(description="only managers and the CRM may file for another rep")] = None,
    meta: Annotated[str | None, Form(json_schema_extra={"pattern": META_PATTERN}, description='a JSON object (or null), e.g. {"objection_category": "price"} for a talk track')] = None,
    province: Annotated[str | None, Form(max_length=64, description="浙江 / 浙江省")] = None,
    city: Annotated[str | None, Form(max_length=64)] = None,
    hospital_type: Annotated[str | None, Form(max_length=64, description="公立 / 民营 / 公立三甲 …; 公立 makes the account public")] = None,
    product_line: Annotated[str | None, Form(max_length=64)] = None,
    department: Annotated[str | None, Form(max_length=64, description="the clinical department, e.g. 关节外科")] = None,
) -> dict[str, Any]:
    """Store the upload and queue its ingest job; the answer carries the job id to poll. The hospital,
    province, city, hospital type, product line and department fill what the account does not know yet
    (never what the CRM set)."""
    if kind not in DOCUMENT_KINDS:
        raise InputError("kind", f"kind must be one of {', '.join(DOCUMENT_KINDS)}")
    owner = rep_id or caller.subject
    require_may_file(caller, settings, owner, account_id)  # the same right as reading that account
    profile = {"province": province, "city": city, "hospital_type": hospital_type, "product_line": product_line,
               "department": department}
    meta_object = {**(_meta_object(meta) or {}), **{k: v.strip() for k, v in profile.items() if v and v.strip()}}
    data = file.file.read(settings.max_upload_bytes + 1)
    registration = register_document(settings, data, file.filename, kind=kind, account_id=account_id,
                                     rep_id=owner, hospital=hospital, reference_date=reference_date,
                                     meta=meta_object or None)
    if registration.job_id:  # in this process after the answer, or (job_runner "workers") to the workers
        submit_job(settings, registration.job_id, background.add_task)
    return {"document_id": registration.document_id, "job_id": registration.job_id,
            "duplicate": registration.duplicate}


def _meta_object(meta: str | None) -> dict[str, Any] | None:
    if not meta:
        return None
    try:
        value = json.loads(meta)
    except json.JSONDecodeError:
        raise InputError("meta", "meta must be a JSON object") from None
    if value is None:  # a form sends "no meta" as JSON null
        return None
    if not isinstance(value, dict):
        raise InputError("meta", "meta must be a JSON object")
    return value


def _visible_document(session: Session, caller: Caller, document_id: str) -> DocumentRow:
    return require_visible(caller, session.get(DocumentRow, document_id), "document")


def _record_id(session: Session, document_id: str) -> int | None:
    """The id of the document's extraction record (`/review/{record_id}`), once extracted."""
    return session.scalar(select(ExtractionRow.id).where(ExtractionRow.document_id == document_id))


@router.get("/documents/{document_id}", responses=documented(404))
def get_document(document_id: str, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    """The document, its pages and OCR lines, its extraction record's id and its latest ingest job."""
    records_engine(settings)
    with Session(ingest_engine(settings)) as session:
        document = _visible_document(session, caller, document_id)
        job = session.scalar(select(IngestJobRow).where(IngestJobRow.document_id == document_id)
                             .order_by(IngestJobRow.created_at.desc(), IngestJobRow.id))
        return {**_document_public(document), "record_id": _record_id(session, document_id),
                "account_profile": {k: (document.meta or {}).get(k) for k in PROFILE_META_KEYS},
                "job": {"id": job.id, "status": job.status, "error": job.error} if job else None}


@router.get("/jobs/{job_id}", responses=documented(404))
def get_job(job_id: str, caller: Reader, settings: SettingsDep) -> dict[str, Any]:
    records_engine(settings)
    with Session(ingest_engine(settings)) as session:
        job = session.get(IngestJobRow, job_id)
        if job is None:
            refuse(caller, False, "job")
        document = _visible_document(session, caller, job.document_id)
        # a blank scan's job is done and its document "no_text": the poller sees "no text found"
        return {"id": job.id, "document_id": job.document_id, "status": job.status, "error": job.error,
                "transient": bool(job.transient), "document_status": document.status,
                "record_id": _record_id(session, job.document_id),
                "created_at": job.created_at, "updated_at": job.updated_at}


@router.get("/documents/{document_id}/original", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "the uploaded bytes, with their media type"}, **documented(404)})
def get_original(document_id: str, caller: OriginalReader, settings: SettingsDep) -> Response:
    """The uploaded file as it was sent: the one place patients' identifiers remain. Only its rep, that
    rep's manager and the admin may open it; every attempt is written to the audit log."""
    original = open_original(settings, document_id, caller, actor=caller.subject)
    if original is None:
        refuse(caller, document_owner(settings, document_id)[0], "document")
    return Response(original.data, media_type=original.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(original.filename)}"})


@router.delete("/documents/{document_id}", responses=documented(404, 409, e409="The document is being ingested; delete it when its job ends."))
def delete(document_id: str, caller: Deleter, settings: SettingsDep) -> dict[str, Any]:
    """Erase the document and everything derived from it (text, chunks, vectors, extraction, account
    facts it alone supports, playbook entries, the file); answers what was removed."""
    exists, rep_id = document_owner(settings, document_id)
    if not exists or not caller.may_delete_document(rep_id):
        write_audit(settings, actor=caller.subject, role=caller.role, action="delete", document_id=document_id,
                    outcome="missing" if not exists else "refused")
        refuse(caller, exists, "document")
    return delete_document(settings, document_id, by=caller.subject, role=caller.role).model_dump()


@router.get("/audit")
def audit(caller: Auditor, settings: SettingsDep,
          document_id: Annotated[str | None, Query(max_length=40)] = None,
          limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> dict[str, Any]:
    """The audit log of openings of originals and deletions, newest first."""
    return {"entries": [{"at": e.at.isoformat(), "actor": e.actor, "role": e.role, "action": e.action,
                         "document_id": e.document_id, "outcome": e.outcome}
                        for e in audit_entries(settings, document_id, limit)]}
