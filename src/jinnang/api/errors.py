"""The HTTP status of each domain error, and the error shape `{status, field, path, message}`
(`ApiError`), which every route documents for each status it may answer with (`documented`)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from jinnang.core.errors import Conflict, Empty, InputError, NotFound, TooLarge, Unsupported

STATUS: dict[type[InputError], int] = {Empty: 400, NotFound: 404, Conflict: 409, TooLarge: 413, Unsupported: 415}


class ApiError(BaseModel):
    """Every refusal of the API: the status again, the bare field it is about, its path in the
    request (`visits[1].questions_resolved`) and a sentence for a person."""

    status: int
    field: str
    path: str
    message: str


def status_of(exc: InputError) -> int:
    """`status_of(NotFound("account_id", "…"))` → 404; plain bad input → 422."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


# what a refusal is about, as the error shape's field: the key for 401, the caller's rights for
# 403, the id in the path for 404, the route itself for 405, the body FastAPI could not parse for 400
REFUSAL_FIELD: dict[int, str] = {400: "body", 401: "X-API-Key", 403: "caller", 404: "id", 405: "method"}

WHY: dict[int, str] = {
    503: "not ready: `field` names the failing check (database, vectors, models, configuration)",
    400: "The body cannot be parsed (not JSON, not UTF-8, a broken multipart form), or the input is empty: "
         "an empty file, or a text file of blanks.",
    401: "No `X-API-Key` header (nor a signed-in session), or an unknown key.",
    403: "The caller's role may not do this, the item is not theirs or their team's, or a signed-in "
         "write lacks its `X-CSRF-Token`. To a rep or manager a missing id is also 403, so ids cannot be probed.",
    404: "No such item (said so only to callers who may see everything), or nothing indexed yet.",
    409: "The request does not fit the stored state.",
    413: "Over a size, pixel, page or batch limit.",
    415: "A file of a kind jinnang does not read.",
    422: "A parameter or body field is malformed; `field` names it and `path` says where.",
}

# every route (they all need a caller) may answer these
CALLER_REFUSALS = (401, 403)
UNPARSED = "The body is not JSON (or not UTF-8)."


def documented(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error shape and why it happens; a keyword
    `e409="…"` says it for this route."""
    return {code: {"model": ApiError, "description": why.get(f"e{code}", WHY[code])} for code in codes}
