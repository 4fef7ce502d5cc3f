"""FastAPI app factory: `create_app(settings)`; `/docs` has the OpenAPI page."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jinnang.api.deps import callers_of
from jinnang.api.errors import REFUSAL_FIELD, WHY, ApiError, status_of
from jinnang.api.metrics import instrument
from jinnang.api.routes import accounts, documents, health, next_actions, playbook, review
from jinnang.core.errors import InputError
from jinnang.core.settings import Settings, get_settings
from jinnang.rules.config import default_ruleset
from jinnang.service.pipeline import ensure_all_tables, talk_track_provider


def _bare_field(loc: tuple) -> tuple[str, str]:
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    path = ""
    for p in parts:
        path += f"[{p}]" if isinstance(p, int) else ("." if path else "") + str(p)
    named = [p for p in parts if isinstance(p, str)]
    return (named[-1] if named else "body"), (path or "body")


def _errors_in_our_shape(spec: dict[str, Any]) -> None:
    """FastAPI documents its own 422 body (`detail`) where a route has parameters; ours answers
    `ApiError` (the handler below), so the document says that instead. Bodies documented with
    `deps.body_schema` bring their nested schemas along."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["ApiError"] = ApiError.model_json_schema()
    for operation in (op for ops in spec.get("paths", {}).values() for op in ops.values()):
        for body in operation.get("requestBody", {}).get("content", {}).values():
            schemas.update(body.get("schema", {}).pop("$defs", {}))  # from `deps.body_schema`
        invalid = operation.get("responses", {}).get("422")
        if invalid is not None:
            invalid["description"] = WHY[422]
            invalid["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    _journey_nodes_listed(spec)


def _journey_nodes_listed(spec: Any) -> None:
    """Node ids are checked against the journey rule set, so the document lists them (as of start)."""
    if isinstance(spec, dict):
        for name in ("journey_node", "to_node"):
            field = spec.get("properties", {}).get(name)
            if isinstance(field, dict) and field.get("type") == "string":
                field["enum"] = list(default_ruleset().node_by_id)
        for value in spec.values():
            _journey_nodes_listed(value)
    elif isinstance(spec, list):
        for value in spec:
            _journey_nodes_listed(value)


def create_app(settings: Settings | None = None, *, docs: bool = True) -> FastAPI:
    """The API alone; `docs=False` leaves /docs and /redoc to a shell that serves their assets itself
    (FastAPI's own pages load them from a CDN, which is white offline)."""
    settings = settings or get_settings()
    app = FastAPI(title="jinnang 锦囊", version="0.1.0",
                  description="Knowledge and coaching for medical-device sales teams selling to Chinese hospitals.",
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None)
    app.state.settings = settings
    app.state.callers = callers_of(settings)
    app.state.talk_tracks = talk_track_provider(settings)  # handle_objection cites the playbook

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field, path = _bare_field(tuple(first.get("loc", ())))
        return JSONResponse(status_code=422, content={"status": 422, "field": field, "path": path,
                                                      "message": first.get("msg", "invalid")})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # 401/403/404 from the access checks, in the same shape as every other error
        field = REFUSAL_FIELD.get(exc.status_code, "request")
        return JSONResponse(status_code=exc.status_code, headers=getattr(exc, "headers", None),
                            content={"status": exc.status_code, "field": field, "path": field,
                                     "message": str(exc.detail)})

    @app.exception_handler(InputError)
    async def _input_error(_: Request, exc: InputError) -> JSONResponse:
        status = status_of(exc)
        return JSONResponse(status_code=status, content=exc.as_dict(status))

    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _errors_in_our_shape(build_openapi())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]

    ensure_all_tables(settings)
    for module in (health, documents, review, accounts, next_actions, playbook):
        app.include_router(module.router)
    instrument(app)  # request counts and latency by route; /metrics (loopback only unless metrics_public)
    return app
