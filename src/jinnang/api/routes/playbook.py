"""Playbook search and the mined playbook for reps and managers.

CRM keys are refused (403): the playbook is coaching material for people, not a bulk feed.
"""
from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse

from jinnang.api.deps import Caller, SettingsDep, require_role
from jinnang.api.errors import CALLER_REFUSALS, documented
from jinnang.core.records import OBJECTION_CATEGORIES

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1/playbook", tags=["playbook"], responses=documented(*CALLER_REFUSALS))
UNINDEXED = documented(404, e404="Nothing indexed yet (no playbook index under the data dir), or no such scenario.")
Reader = Annotated[Caller, Depends(require_role("rep", "manager"))]
Builder = Annotated[Caller, Depends(require_role("manager"))]


def _fresh(settings: Any) -> None:
    """The playbook mined again if won or lost deals or talk tracks changed since (a stat when not)."""
    from jinnang.service.playbook_refresh import refresh_if_stale

    try:
        refresh_if_stale(settings)
    except Exception:  # the last build still answers
        log.exception("playbook refresh before a read failed")


@router.get("/search", responses=UNINDEXED)
def playbook_search(
    settings: SettingsDep,
    caller: Reader,
    q: Annotated[str, Query(min_length=1, max_length=500, description="What the rep is facing, in their words.")],
    product_line: Annotated[str | None, Query(description="orthopaedic_implants, ivd_reagents, …")] = None,
    department: Annotated[str | None, Query(description="设备科, 检验科, … (synonyms such as 器械科 match)")] = None,
    journey_node: Annotated[str | None, Query(description="A node id of journey.md")] = None,
    outcome: Annotated[Literal["won", "lost", "open"] | None, Query()] = None,
    kind: Annotated[Literal["talk_track", "visit_note", "trial_feedback"] | None, Query()] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """Documents that tell a rep what to do, best first; each with the source id and a highlighted snippet.
    Another team's visit note comes as an anonymised sentence (`core.access`)."""
    from jinnang.coaching.search import search
    from jinnang.coaching.snippets import mark

    filters = {"product_line": product_line, "department": department, "journey_node": journey_node,
               "outcome": outcome, "kind": kind}
    hits = search(settings, q, k=k, filters={f: v for f, v in filters.items() if v}, viewer=caller)
    return {"query": q, "results": [
        {"doc_id": h["doc_id"], "score": h["score"], "snippet": h["snippet"],
         "snippet_html": mark(h["snippet"], h["highlights"]), "highlights": h["highlights"], "kind": h["kind"],
         "meta": h["meta"]} for h in hits]}


@router.post("/build", responses=UNINDEXED)
def playbook_build(settings: SettingsDep, caller: Builder) -> dict[str, Any]:
    """Re-mine the playbook from the indexed documents now, every text afresh (managers). It is
    also rebuilt by itself after ingest whenever won or lost deals or talk tracks change."""
    from jinnang.service.playbook_refresh import refresh_if_stale

    result = refresh_if_stale(settings, force=True)
    result.pop("rebuilt", None)
    result.pop("seconds", None)
    return result


@router.get("/scenarios", responses=UNINDEXED)
def playbook_scenarios(settings: SettingsDep, caller: Reader, department: str | None = None,
                       journey_node: str | None = None, category: str | None = None) -> dict[str, Any]:
    from jinnang.coaching.playbook import list_scenarios

    _fresh(settings)
    return {"scenarios": list_scenarios(settings, department, journey_node, category)}


@router.get("/scenarios/{scenario_id}", responses=UNINDEXED)
def playbook_scenario(settings: SettingsDep, caller: Reader, scenario_id: str,
                      format: Literal["json", "markdown", "html"] = "json") -> Any:
    """One scenario's tips, best first, each citing its source document ids. The id is the
    scenario's `slug` (`price-any-zonghe`, URL-safe as it is) or its `id` (`综合|any|price`, URL-encoded)."""
    from jinnang.coaching.playbook import export_scenario, get_scenario

    _fresh(settings)
    if format == "markdown":
        return PlainTextResponse(export_scenario(settings, scenario_id, "markdown"), media_type="text/markdown")
    if format == "html":
        return HTMLResponse(export_scenario(settings, scenario_id, "html"))
    return get_scenario(settings, scenario_id)


@router.get("/talk-tracks/{category}", responses=UNINDEXED)
def playbook_talk_tracks(settings: SettingsDep, caller: Reader,
                         category: Annotated[str, Path(json_schema_extra={"enum": list(OBJECTION_CATEGORIES)})],
                         limit: int = Query(2, ge=1, le=10)
                         ) -> dict[str, Any]:
    """The best talk tracks for an objection category, as evidence for next actions."""
    from jinnang.coaching.playbook import talk_tracks_for

    return {"category": category, "evidence": talk_tracks_for(category, settings, limit=limit)}
