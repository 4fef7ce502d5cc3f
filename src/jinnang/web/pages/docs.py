"""The API's reference pages (Swagger UI and ReDoc), their scripts served by us, not a CDN."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from jinnang.web.templating import render, vendor_path

router = APIRouter(include_in_schema=False)


@router.get("/static/vendor/{name}")
def vendor_file(name: str) -> Response:
    path = vendor_path(name)
    if path is None or not path.is_file():
        return Response(f"{name}: not installed (run scripts/setup.sh)", status_code=404, media_type="text/plain")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/docs", response_class=HTMLResponse)
def swagger(request: Request) -> Response:
    return render(request, "docs/swagger.html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> Response:
    return render(request, "docs/redoc.html")
