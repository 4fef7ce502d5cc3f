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
