"""The whole service: the API (`api.app`) with the pages, their static files and the offline API docs.

`jinnang serve` starts `jinnang.web.app:create_app`. Each page area is a module of `web/pages/`
with its own router, templates (`templates/<area>/`) and words (`config/ui/<area>.yaml`).
"""
from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from jinnang.api.app import create_app as create_api
from jinnang.api.errors import REFUSAL_FIELD
from jinnang.core.settings import Settings, get_settings
from jinnang.service.queue import job_runner
from jinnang.service.scheduler import start_scheduler
from jinnang.service.startup import warm_up
from jinnang.service.worker import run_server_exit_hooks
from jinnang.web.pages import PAGE_ROUTERS
from jinnang.web.session import PageForbidden, SignInRequired, current_user, login_redirect
from jinnang.web.templating import WEB, render


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not the API, not a script's fetch)."""
    return (not request.url.path.startswith("/v1/") and "text/html" in request.headers.get("accept", ""))


# Pages may load only what this server serves. Libraries that reach out on their own (ReDoc's
# footer logo comes from its CDN) are stopped by the browser before anything leaves. Inline styles
# are allowed: ECharts and ReDoc set them.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'self'")


def _limit_threads(count: int) -> None:
    """The threadpool FastAPI runs blocking routes in (anyio's default: 40 threads)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = count


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = create_api(settings, docs=False)

    @app.middleware("http")
    async def _page_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
    for router in PAGE_ROUTERS:
        app.include_router(router)
    # models and the playbook index load before the server accepts work, so the first search answers
    # as fast as the hundredth (uvicorn opens its port after the start-up handlers)
    app.router.add_event_handler("startup", lambda: _limit_threads(settings.web_threads))
    app.router.add_event_handler("startup", lambda: warm_up(settings))
    stop_jobs: list[Callable[[], None]] = []
    # the nightly jobs (stall check, alerts, playbook refresh, monthly PHI) run inside the service: here,
    # or in the worker processes when they run the uploads' jobs (service/worker.run_worker)
    if job_runner(settings) != "workers":
        app.router.add_event_handler("startup", lambda: stop_jobs.append(start_scheduler(settings)))
    app.router.add_event_handler("shutdown", lambda: [stop() for stop in stop_jobs])
    app.router.add_event_handler("shutdown", run_server_exit_hooks)  # `jinnang serve`'s workers, local Chroma
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")  # after /static/vendor/… routes

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(login_redirect(exc.next_path), status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, _: PageForbidden) -> Response:
        request.state.page = current_user(request)
        return render(request, "error.html", status_code=403, title_key="forbidden_title", text_key="forbidden_text")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_page(request) and exc.status_code in (403, 404):
            request.state.page = current_user(request)
            key = "forbidden" if exc.status_code == 403 else "not_found"
            return render(request, "error.html", status_code=exc.status_code, title_key=f"{key}_title",
                          text_key=f"{key}_text" if exc.status_code == 403 else None, detail=str(exc.detail))
        field = REFUSAL_FIELD.get(exc.status_code, "request")
        return JSONResponse(status_code=exc.status_code, headers=getattr(exc, "headers", None),
                            content={"status": exc.status_code, "field": field, "path": field,
                                     "message": str(exc.detail)})

    return app
