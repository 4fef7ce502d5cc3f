"""`--jsonl IN` batch runner shared by every batch command (shared/spec/cli-contract.md).

One JSON object a line in, one a line out in input order with `id` carried over;
a bad line yields an error object and the run goes on. Exit 0 when every line was
answered, 1 when some were errors, 2 when the command could not run.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError

from jinnang.core.errors import InputError, from_validation_error


def _raw_lines(source: str) -> Iterator[tuple[int, bytes]]:
    """(line number, raw bytes) of a file or '-' for stdin; blank lines skipped, bytes decoded by the caller."""
    if source == "-":
        yield from _non_blank(sys.stdin.buffer)
        return
    path = Path(source)
    if not path.is_file():
        fail(f"input file not found: {source}")
    with path.open("rb") as stream:
        yield from _non_blank(stream)


def _non_blank(stream: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(stream, start=1):
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")  # a BOM from Windows editors
        if line.strip():
            yield number, line


def read_lines(source: str) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) of a file or '-' for stdin; blank lines skipped, non-UTF-8 → exit 2."""
    for number, raw in _raw_lines(source):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError:
            fail(f"{source}, line {number}: not UTF-8 text")


def fail(message: str) -> NoReturn:
    """The command itself cannot run: one error line on stderr, exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def error_object(line_id: Any, err: InputError) -> dict[str, Any]:
    return {"id": line_id, "error": err.as_dict()}


def run_jsonl(source: str, handle: Callable[[dict[str, Any]], dict[str, Any]],
              handle_batch: Callable[[list[dict[str, Any]]], list[dict[str, Any] | InputError]] | None = None) -> None:
    """Answer every line of `source` with `handle(obj)` (returns the output minus `id`).

    `handle` raises InputError or pydantic ValidationError for a bad line.
    """
    errors = 0
    out = sys.stdout
    for number, raw in _raw_lines(source):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            errors += 1
            out.write(json.dumps(error_object(None, InputError("line", f"line {number}: not UTF-8 text")),
                                 ensure_ascii=False) + "\n")
            continue
        except (json.JSONDecodeError, RecursionError) as exc:
            errors += 1
            out.write(json.dumps(error_object(None, InputError("line", f"line {number}: not JSON: {getattr(exc, 'msg', 'nested too deeply')}")),
                                 ensure_ascii=False) + "\n")
            continue
        if not isinstance(obj, dict):
            errors += 1
            out.write(json.dumps(error_object(None, InputError("line", f"line {number}: not a JSON object")),
                                 ensure_ascii=False) + "\n")
            continue
        line_id = obj.get("id")
        try:
            answer = {"id": line_id, **handle(obj)}
        except ValidationError as exc:
            errors += 1
            answer = error_object(line_id, from_validation_error(exc))
        except InputError as exc:
            errors += 1
            answer = error_object(line_id, exc)
        out.write(json.dumps(answer, ensure_ascii=False, default=str) + "\n")
        out.flush()
    raise typer.Exit(1 if errors else 0)
