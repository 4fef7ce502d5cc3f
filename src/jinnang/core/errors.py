"""The errors of the domain, and the one error shape of the CLI and the API:
{"status", "field", "path", "message"}.

Domain code raises these without knowing HTTP; `api/errors.py` maps each class to its status
code, and the CLI's batch lines answer every one with 422 (the CLI contract).
"""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class InputError(Exception):
    """Bad input that names its field (HTTP 422)."""

    def __init__(self, field: str, message: str, path: str | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.path = path or field

    def as_dict(self, status: int = 422) -> dict[str, Any]:
        return {"status": status, "field": self.field, "path": self.path, "message": self.message}


class Empty(InputError):
    """An input with nothing in it: an empty file, a text file of blanks (HTTP 400)."""


class NotFound(InputError):
    """No stored thing has this id (HTTP 404)."""


class Conflict(InputError):
    """The request does not fit the stored state, e.g. no locked signing date yet (HTTP 409)."""


class TooLarge(InputError):
    """Over a size, pixel, page or batch limit (HTTP 413)."""


class Unsupported(InputError):
    """A file of a kind jinnang does not read (HTTP 415)."""


def path_text(loc: tuple[Any, ...]) -> str:
    """('nodes', 2, 'stall') → 'nodes[2].stall'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def from_validation_error(exc: ValidationError, prefix: tuple[Any, ...] = ()) -> InputError:
    """The first error of a pydantic validation, as an InputError naming the bare field:
    for `visits.1.questions_resolved < 0`, field `questions_resolved`, path
    `visits[1].questions_resolved`."""
    first = exc.errors()[0]
    loc = prefix + tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic appends the union/tag member name to loc; keep only real path parts
    named = [p for p in loc if isinstance(p, str)]
    field = named[-1] if named else "body"
    return InputError(field=field, message=first["msg"], path=path_text(loc) or field)
