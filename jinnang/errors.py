"""The one error shape of the CLI and the API: {"status", "field", "path", "message"}."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class InputError(Exception):
    """Bad input that names its field; becomes HTTP 4xx or a CLI error object."""

    def __init__(self, field: str, message: str, status: int = 422, path: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status
        self.path = path or field

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "field": self.field, "path": self.path, "message": self.message}


def _path_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def from_validation_error(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> InputError:
    """The first error of a pydantic validation, as an InputError naming the bare field.

    >>> from_validation_error(err).as_dict()  # visits.1.questions_resolved < 0
    {'status': 422, 'field': 'questions_resolved', 'path': 'visits[1].questions_resolved', ...}
    """
    first = exc.errors()[0]
    loc = prefix + tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic appends the union/tag member name to loc; keep only real path parts
    named = [p for p in loc if isinstance(p, str)]
    field = named[-1] if named else "body"
    return InputError(field=field, message=first["msg"], path=_path_text(loc) or field)
