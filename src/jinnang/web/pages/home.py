"""`/`: the home of the signed-in role — a rep's day, a manager's morning, an admin's overview."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from jinnang.web.pages.rep_home import rep_home
from jinnang.web.session import PageUser, page_user

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, user: Annotated[PageUser, Depends(page_user())]) -> Response:
    if user.role == "rep":
        return rep_home(request, user)
    return RedirectResponse("/dashboard", status_code=303)
