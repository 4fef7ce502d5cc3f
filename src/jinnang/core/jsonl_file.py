"""Reading a JSON Lines file (labelled sets, manifests, training data); a bad line is an InputError
naming the file, line and field. Shared by eval/ and the offline training scripts in nlp/."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinnang.core.errors import InputError


def read_jsonl(path: Path | str, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """`read_jsonl("queries.jsonl", required=("id", "query"))` → one dict a non-blank line."""
    path = Path(path)
    if not path.is_file():
        raise InputError("path", f"{path} not found")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError("line", f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise InputError("line", f"{path}:{number}: not a JSON object")
            for field in required:
                if field not in row:
                    raise InputError(field, f"{path}:{number}: field {field!r} is missing")
            rows.append(row)
    return rows
