"""What the playbook pages show, gathered in one place: search hits with the source each may open,
scenarios with each tip's sources, one company-knowledge document, and the filters' choices.

Who sees what is `core.access`'s decision, applied by search (`viewer=`): a raw note of someone
the viewer may not see arrives anonymised, and its source is given without who, which customer or
which document — only that it is another team's note. No URLs here: the page turns a source into a
link (an account, a talk track, a note).
"""
from __future__ import annotations

from typing import Any

from jinnang.coaching.playbook import get_scenario, list_scenarios
from jinnang.coaching.records import PlaybookDocument
from jinnang.coaching.scenario_text import category_label, node_label
from jinnang.coaching.search import search_hits
from jinnang.coaching.snippets import mark
from jinnang.coaching.store import load_index
from jinnang.core.access import RAW_NOTE_KINDS, Viewer
from jinnang.core.errors import InputError, NotFound
from jinnang.core.settings import Settings

OUTCOME_LABELS = {"won": "赢单", "lost": "丢单", "open": "进行中"}
KIND_LABELS = {"talk_track": "话术", "visit_note": "拜访记录", "trial_feedback": "试用反馈"}


def _documents(settings: Settings) -> dict[str, PlaybookDocument]:
    try:
        return load_index(settings).docs
    except NotFound:
        return {}


def source_of(doc_id: str, doc: PlaybookDocument | None, viewer: Viewer) -> dict[str, Any]:
    """How a page may point to a document: `open` (company knowledge or the viewer's own team's note,
    with its account when it has one) or `hidden` (another team's note: no id, no account)."""
    if doc is None:
        return {"access": "gone", "label": "已删除的记录"}
    kind_label = KIND_LABELS.get(doc.kind, doc.kind)
    if doc.kind in RAW_NOTE_KINDS and not viewer.sees_note(doc.kind, doc.meta.get("rep")):
        outcome = OUTCOME_LABELS.get(str(doc.meta.get("outcome")), "")
        return {"access": "hidden", "label": f"其他同事的{kind_label}（{outcome + '，' if outcome else ''}已匿名）"}
    if doc.kind in RAW_NOTE_KINDS:
        where = doc.meta.get("hospital") or doc.meta.get("source") or doc_id
        return {"access": "open", "doc_id": doc_id, "account_id": doc.meta.get("account_id") or None,
                "label": f"{kind_label} · {where}"}
    built_in = doc.meta.get("origin") == "built_in"
    return {"access": "open", "doc_id": doc_id, "account_id": None,
            "label": f"{'公司内置' if built_in else ''}{kind_label} · {doc.meta.get('situation') or doc_id}"}


def search_view(settings: Settings, query: str, filters: dict[str, str], viewer: Viewer,
                k: int = 10) -> list[dict[str, Any]]:
    """Hits best first: snippet HTML with whole-word highlights, labels, and the source."""
    docs = _documents(settings)
    out = []
    for hit in search_hits(settings, query, k=k, filters={f: v for f, v in filters.items() if v}, viewer=viewer):
        out.append({"doc_id": hit.doc_id, "kind": hit.kind, "kind_label": KIND_LABELS.get(hit.kind, hit.kind),
                    "snippet": hit.snippet, "snippet_html": mark(hit.snippet, hit.highlights),
                    "outcome_label": OUTCOME_LABELS.get(str(hit.meta.get("outcome")), ""),
                    "department": hit.meta.get("department") or "",
                    "source": source_of(hit.doc_id, docs.get(hit.doc_id), viewer)})
    return out


def scenario_view(settings: Settings, scenario_id: str, viewer: Viewer) -> dict[str, Any]:
    """One scenario with every tip's sources described for this viewer."""
    scenario = get_scenario(settings, scenario_id)
    docs = _documents(settings)
    for tip in scenario["tips"]:
        tip["cited"] = [source_of(d, docs.get(d), viewer) for d in tip["sources"]]
    return scenario


def scenarios_view(settings: Settings, category: str | None = None) -> list[dict[str, Any]]:
    return list_scenarios(settings, category=category or None)


def document_view(settings: Settings, doc_id: str, viewer: Viewer) -> dict[str, Any]:
    """A talk track (any reader), or a note the viewer may see in full; InputError(field caller) else."""
    doc = _documents(settings).get(doc_id)
    if doc is None:
        raise NotFound("doc_id", f"no playbook document {doc_id!r}")
    if doc.kind in RAW_NOTE_KINDS and not viewer.sees_note(doc.kind, doc.meta.get("rep")):
        raise InputError("caller", "this note belongs to another team")
    scenarios = [s for s in list_scenarios(settings, category=doc.meta.get("objection_category") or None)
                 if doc.kind == "talk_track"][:5]
    return {"doc_id": doc.id, "kind": doc.kind, "kind_label": KIND_LABELS.get(doc.kind, doc.kind), "text": doc.text,
            "source": source_of(doc.id, doc, viewer), "scenarios": scenarios,
            "category_label": category_label(str(doc.meta.get("objection_category") or "general"))}


def filter_choices(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    """(value, label) of each filter: the product lines, departments and nodes the index holds."""
    try:
        columns = load_index(settings).meta_columns
    except NotFound:
        columns = {}

    def values(key: str) -> list[str]:
        return sorted({str(v) for v in columns.get(key, []) if str(v)})

    return {"product_line": [(v, v) for v in values("product_line")],
            "department": [(v, v) for v in values("department")],
            "journey_node": [(v, node_label(v)) for v in values("journey_node")],
            "outcome": list(OUTCOME_LABELS.items())}
