"""`/admin` (admins only): users, teams and members, the CRM's API keys, the scheduled jobs with their
last run and a "run now" button, the alerts' outbox, and the state of the configuration files.

A new API key is shown once, on the page the create form answers with; only its SHA-256 digest is kept.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from jinnang.core.config import FILES, ConfigFile
from jinnang.core.errors import Conflict, InputError
from jinnang.core.settings import Settings
from jinnang.core.users import (
    KEY_ROLES,
    USER_ROLES,
    add_user,
    create_api_key,
    get_user,
    list_api_keys,
    list_teams,
    list_users,
    revoke_api_key,
    update_user,
)
from jinnang.service.alerts import outbox_counts
from jinnang.service.queue import job_runner
from jinnang.service.scheduler import LOADS_MODELS, job_states, request_job, run_job_now
from jinnang.web.session import PageUser, check_csrf, page_user
from jinnang.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[PageUser, Depends(page_user("admin"))]
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]


def _config_states() -> list[dict[str, Any]]:
    """The configuration files in use, each with the error of an edit that did not validate."""
    by_path: dict[Path, ConfigFile[Any]] = {}
    for file in list(FILES):
        by_path.setdefault(file.path.resolve(), file)
    states = []
    for path in sorted(by_path):
        shown = path.relative_to(PACKAGE_ROOT) if path.is_relative_to(PACKAGE_ROOT) else path
        error = by_path[path].last_error
        states.append({"path": str(shown), "error": str(error) if error else None})
    return states


def _page(request: Request, user: PageUser, status_code: int = 200, **context: Any) -> Response:
    engine = user.engine
    return render(request, "admin/index.html", status_code=status_code, users=list_users(engine),
                  teams=list_teams(engine), keys=list_api_keys(engine), jobs=job_states(user.settings),
                  outbox=outbox_counts(engine), config_files=_config_states(), user_roles=USER_ROLES,
                  key_roles=KEY_ROLES, done=request.query_params.get("done"), **context)


def _done(what: str, anchor: str) -> Response:
    return RedirectResponse(f"/admin?done={what}#{anchor}", status_code=303)


@router.get("/admin")
def admin_page(request: Request, user: Admin) -> Response:
    return _page(request, user)


@router.post("/admin/users")
async def add_user_form(request: Request, user: Admin, username: Annotated[str, Form()] = "",
                        role: Annotated[str, Form()] = "rep", rep_id: Annotated[str, Form()] = "",
                        teams: Annotated[str, Form()] = "", display_name: Annotated[str, Form()] = "",
                        password: Annotated[str, Form()] = "") -> Response:
    await check_csrf(request, user)
    try:
        add_user(user.engine, username.strip(), role=role, password=password or None, rep_id=rep_id.strip() or None,
                 teams=_split(teams), display_name=display_name.strip() or None)
    except InputError as exc:
        return _page(request, user, status_code=409 if isinstance(exc, Conflict) else 422,
                     error={"field": exc.field, "message": exc.message},
                     form={"username": username, "role": role, "rep_id": rep_id, "teams": teams,
                           "display_name": display_name})
    return _done("user_added", "users")


def _known(user: PageUser, username: str) -> None:
    if get_user(user.engine, username) is None:
        raise HTTPException(status_code=404, detail=f"no user {username!r}")


@router.post("/admin/users/{username}/active")
async def set_active(request: Request, username: str, user: Admin, active: Annotated[str, Form()] = "0") -> Response:
    await check_csrf(request, user)
    _known(user, username)
    if username == user.user.username and active != "1":
        return _page(request, user, status_code=409,
                     error={"field": "active", "message": "you cannot disable your own account"})
    update_user(user.engine, username, active=active == "1")
    return _done("user_enabled" if active == "1" else "user_disabled", "users")


@router.post("/admin/users/{username}/teams")
async def set_teams(request: Request, username: str, user: Admin, teams: Annotated[str, Form()] = "") -> Response:
    await check_csrf(request, user)
    _known(user, username)
    try:
        update_user(user.engine, username, teams=_split(teams))
    except InputError as exc:
        return _page(request, user, status_code=422, error={"field": exc.field, "message": exc.message})
    return _done("teams_saved", "teams")


@router.post("/admin/users/{username}/password")
async def set_password(request: Request, username: str, user: Admin,
                       password: Annotated[str, Form()] = "") -> Response:
    await check_csrf(request, user)
    _known(user, username)
    try:
        update_user(user.engine, username, password=password)
    except InputError as exc:
        return _page(request, user, status_code=422, error={"field": exc.field, "message": exc.message})
    return _done("password_set", "users")


@router.post("/admin/keys")
async def create_key(request: Request, user: Admin, name: Annotated[str, Form()] = "",
                     role: Annotated[str, Form()] = "crm", subject: Annotated[str, Form()] = "",
                     team: Annotated[str, Form()] = "") -> Response:
    await check_csrf(request, user)
    try:
        key, info = create_api_key(user.engine, name=name, role=role, subject=subject, team=_split(team),
                                   created_by=user.user.username)
    except InputError as exc:
        return _page(request, user, status_code=422, error={"field": exc.field, "message": exc.message},
                     key_form={"name": name, "role": role, "subject": subject, "team": team})
    response = render(request, "admin/key_created.html", key=key, info=info)
    response.headers["Cache-Control"] = "no-store"  # the key must not stay in a cache
    return response


@router.post("/admin/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str, user: Admin) -> Response:
    await check_csrf(request, user)
    try:
        revoke_api_key(user.engine, key_id)
    except InputError as exc:
        raise HTTPException(status_code=404, detail=exc.message) from None
    return _done("key_revoked", "keys")


def _run_logged(settings: Settings, name: str) -> None:
    try:
        run_job_now(settings, name)
    except Conflict:  # started twice: the first run goes on
        pass


@router.post("/admin/jobs/{name}/run")
async def run_job(request: Request, name: str, user: Admin, background: BackgroundTasks) -> Response:
    await check_csrf(request, user)
    state = next((j for j in job_states(user.settings) if j.name == name), None)
    if state is None:
        raise HTTPException(status_code=404, detail=f"no job {name!r}")
    if state.running:
        return _done("job_busy", "jobs")
    if name in LOADS_MODELS and job_runner(user.settings) == "workers":  # never models in a web process
        request_job(user.settings, name)
        return _done("job_requested", "jobs")
    background.add_task(_run_logged, user.settings, name)  # the page answers at once; the run is recorded
    return _done("job_started", "jobs")
