"""`/accounts/{account_id}`: one account for its rep, their manager and the admin (others get 403).

Who may see it is `core.access`'s decision, asked through the API's `visible_account`, so the page
and `GET /v1/accounts/{id}` never disagree.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from jinnang.api.deps import visible_account
from jinnang.core.errors import NotFound
from jinnang.rules.accounts import work_orders
from jinnang.service.account_view import account_view
from jinnang.web.session import PageUser, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/accounts/{account_id}")
def account_page(account_id: str, request: Request,
                 user: Annotated[PageUser, Depends(page_user("rep", "manager"))]) -> Response:
    try:
        account = visible_account(user.caller, user.settings, account_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    view = account_view(user.engine, account, work_orders(user.engine, account_id),
                        talk_tracks=getattr(request.app.state, "talk_tracks", None))
    return render(request, "accounts/account.html", view=view, may_review=user.role in ("manager", "admin"))
