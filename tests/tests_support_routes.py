"""The API's route table, flattened, with the roles each route admits (used by the API tests)."""
from fastapi.routing import APIRoute

from jinnang.api.app import create_app
from jinnang.core.settings import Settings


def roles_of(dependant) -> set[str] | None:
    for dep in dependant.dependencies:
        roles = getattr(dep.call, "roles", None)
        if roles is not None:
            return set(roles)
        found = roles_of(dep)
        if found is not None:
            return found
    return None


def _flatten(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.16x mounts routers lazily
        if included is not None:
            yield from _flatten(included.routes)
        else:
            yield route


def v1_routes() -> list[APIRoute]:
    app = create_app(Settings(api_keys="x:admin:x"))
    return [r for r in _flatten(app.routes) if isinstance(r, APIRoute) and r.path.startswith("/v1")]


