"""A rep's home (`/` for a rep): being built."""
from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from jinnang.web.session import PageUser
from jinnang.web.templating import render


def rep_home(request: Request, user: PageUser) -> Response:
    return render(request, "rep_home.html")
