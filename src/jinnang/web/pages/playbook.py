"""The playbook (锦囊) pages for reps, managers and admins: `/playbook?q=…` (search with filters, or the
scenarios when nothing is asked), `/playbook/scenarios/{id}` (one 锦囊) and `/playbook/docs/{id}` (a talk
track, or a note the viewer may see). What each viewer sees is `core.access`'s, applied in coaching."""
from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from jinnang.core.errors import InputError, NotFound
from jinnang.web.session import PageForbidden, PageUser, page_user
from jinnang.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
Reader = Annotated[PageUser, Depends(page_user("rep", "manager"))]
FILTERS = ("product_line", "department", "journey_node", "outcome")


def _fresh_playbook(user: PageUser) -> None:
    """Mined again when won deals or talk tracks came in since (a stat when nothing did)."""
    from jinnang.service.playbook_refresh import refresh_if_stale

    try:
        refresh_if_stale(user.settings)
    except Exception:  # the page still shows the last build
        log.exception("playbook refresh before a page failed")


@router.get("/playbook")
def playbook_page(request: Request, user: Reader, q: str = "", product_line: str = "", department: str = "",
                  journey_node: str = "", outcome: str = "") -> Response:
    from jinnang.coaching.views import filter_choices, scenarios_view, search_view

    _fresh_playbook(user)
    chosen = {"product_line": product_line, "department": department, "journey_node": journey_node,
              "outcome": outcome}
    hits, error = [], ""
    if q.strip():
        try:
            hits = search_view(user.settings, q.strip(), chosen, user.caller)
        except NotFound:
            hits = []
        except InputError as exc:
            error = exc.message
    scenarios = [] if q.strip() else scenarios_view(user.settings)
    return render(request, "playbook/search.html", q=q, chosen=chosen, hits=hits, error=error,
                  choices=filter_choices(user.settings), scenarios=scenarios)


@router.get("/playbook/scenarios/{scenario_id}")
def scenario_page(request: Request, user: Reader, scenario_id: str) -> Response:
    from jinnang.coaching.views import scenario_view

    _fresh_playbook(user)
    try:
        scenario = scenario_view(user.settings, scenario_id, user.caller)
    except NotFound as exc:
        raise HTTPException(404, exc.message) from exc
    return render(request, "playbook/scenario.html", s=scenario)


@router.get("/playbook/docs/{doc_id}")
def document_page(request: Request, user: Reader, doc_id: str) -> Response:
    from jinnang.coaching.views import document_view

    try:
        doc = document_view(user.settings, doc_id, user.caller)
    except NotFound as exc:
        raise HTTPException(404, exc.message) from exc
    except InputError as exc:
        raise PageForbidden() from exc
    return render(request, "playbook/document.html", doc=doc)
