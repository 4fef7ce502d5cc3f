"""Log lines as JSON when configured: `JINNANG_LOG_FORMAT=json` → one object a line on stderr.

    configure_logging()        # at start-up of `jinnang serve` (and any command)

Each line has time (UTC, ISO 8601), level, logger, message and, for `log.exception`, exception (the
traceback as one string). Log calls pass ids only, never a note's text: the message is written as
formatted, so what a call puts in it is what a log collector keeps.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import IO

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# uvicorn's loggers have handlers of their own; they are pointed at ours so every line has one shape
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
# libraries that add a stderr handler of their own when imported (spaCy: "[time] [INFO] Created
# vocabulary" in plain text, and every line twice); measured on `jinnang serve`
_SELF_HANDLING = ("spacy",)


class DropQueryStrings(logging.Filter):
    """uvicorn's access line carries the full URL; a search's query (`?q=…`) may name a patient, so
    only the path is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: {"time", "level", "logger", "message"[, "exception"]}."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


def log_format() -> str:
    """The configured format ("text" unless JINNANG_LOG_FORMAT says "json"); anything else is a ValueError."""
    value = (os.environ.get("JINNANG_LOG_FORMAT") or "text").strip().lower()
    if value not in FORMATS:
        raise ValueError(f"JINNANG_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def configure_logging(fmt: str | None = None, level: str | int | None = None,
                      stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger (and uvicorn's) to one stderr handler in the chosen format; calling it
    again replaces that handler rather than adding a second (no line is written twice)."""
    fmt = fmt or log_format()
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    level = level or os.environ.get("JINNANG_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name("jinnang")
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "jinnang"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in _SELF_HANDLING:
        _only_through_root(logging.getLogger(name))
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
    return handler


def _only_through_root(logger: logging.Logger) -> None:
    """Drop the library's own handlers, and ignore those it adds when imported later (the instance
    attribute shadows Logger.addHandler): its records reach ours by propagation."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.addHandler = lambda hdlr: None  # type: ignore[method-assign]
    logger.propagate = True


def uvicorn_log_config() -> dict[str, object]:
    """A uvicorn `log_config` that leaves its loggers to `configure_logging` (uvicorn's default
    config would give them handlers of their own, in plain text, with the query strings)."""
    return {"version": 1, "disable_existing_loggers": False,
            "filters": {"no_query": {"()": DropQueryStrings}},
            "loggers": {name: {"handlers": [], "propagate": True,
                               **({"filters": ["no_query"]} if name == "uvicorn.access" else {})}
                        for name in _UVICORN}}
