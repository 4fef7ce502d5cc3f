"""The HTTP status of each domain error, and the error shape `{status, field, path, message}`."""
from __future__ import annotations

from jinnang.core.errors import Conflict, Empty, InputError, NotFound, TooLarge, Unsupported

STATUS: dict[type[InputError], int] = {Empty: 400, NotFound: 404, Conflict: 409, TooLarge: 413, Unsupported: 415}


def status_of(exc: InputError) -> int:
    """`status_of(NotFound("account_id", "…"))` → 404; plain bad input → 422."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


# what a refusal is about, as the error shape's field: the key for 401, the caller's rights for
# 403, the id in the path for 404, the route itself for 405
REFUSAL_FIELD: dict[int, str] = {401: "X-API-Key", 403: "caller", 404: "id", 405: "method"}
