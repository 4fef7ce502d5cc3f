"""The 看板 (`/dashboard`) for managers and the admin, its JSON (`/dashboard/data`) and the
drill-down list behind each bar and ring (`/dashboard/accounts?node=…&state=…`).

The numbers come from `service.dashboard` over the accounts the person may see; the page draws
them with ECharts (`static/dashboard.js`) and also as HTML tables, so it reads without JavaScript.
"""
from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from jinnang.service.dashboard import QUALITY_WINDOWS, Filters, dashboard, drill_down
from jinnang.web.session import PageUser, page_user
from jinnang.web.templating import missing_assets, render

router = APIRouter(include_in_schema=False)
Manager = Annotated[PageUser, Depends(page_user("manager"))]


def _filters(request: Request) -> Filters:
    return Filters.from_query(dict(request.query_params))


@router.get("/dashboard")
def dashboard_page(request: Request, user: Manager) -> Response:
    filters = _filters(request)
    board = dashboard(user.engine, user.caller, filters)
    # "</" cannot end the script element the JSON sits in
    embedded = json.dumps(board, ensure_ascii=False).replace("</", "<\\/")
    return render(request, "dashboard/index.html", board=board, board_json=embedded, filters=filters,
                  windows=list(QUALITY_WINDOWS), query=urlencode(filters.query()),
                  charts_missing=bool(missing_assets()))


@router.get("/dashboard/data")
def dashboard_data(request: Request, user: Manager) -> Response:
    return JSONResponse(dashboard(user.engine, user.caller, _filters(request)))


@router.get("/dashboard/accounts")
def dashboard_accounts(request: Request, user: Manager, node: str | None = None, state: str | None = None,
                       quality: str | None = None) -> Response:
    filters = _filters(request)
    rows = drill_down(user.engine, user.caller, filters, node=node or None, state=state or None,
                      quality=quality or None)
    return render(request, "dashboard/accounts.html", rows=rows, node=node, state=state, quality=quality,
                  filters=filters, query=urlencode(filters.query()))
