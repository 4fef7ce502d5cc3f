"""No /v1 route does its work on the event loop: one slow upload (decoding a photo at the door, writing the
database) must not hold every other client's request. Routes are plain functions (FastAPI runs them in its
threadpool), or async ones that hand their work to it."""
import inspect

from tests_support_routes import v1_routes

# async routes that do nothing blocking between awaits (none so far)
ASYNC_ALLOWED: frozenset[str] = frozenset()


def test_every_v1_route_runs_in_the_threadpool():
    on_the_loop = [f"{'/'.join(sorted(r.methods))} {r.path}" for r in v1_routes()
                   if inspect.iscoroutinefunction(r.endpoint) and r.path not in ASYNC_ALLOWED]
    assert on_the_loop == []

