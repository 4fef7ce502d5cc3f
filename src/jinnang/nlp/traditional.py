"""Notes in traditional characters (colleagues in 香港, 台湾, 澳门) are read in simplified ones.

The finders' titles, cues and date words are written in simplified characters, so a note in
traditional ones (門診護士長 區淑貞；設備科鄢科長) is converted character by character before it is
read: the conversion keeps every character's offset, so what was read is then given back as
written (the names and evidence of the record are taken from the note itself; titles and
categories stay in their bare, simplified form).

A note counts as traditional only when a fair share of its characters convert: simplified notes
carry the odd character the table maps too (答覆, 著, Cantonese 嘅), and those are left as written.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

HAN = re.compile(r"[\u4e00-\u9fff]")
# over the 1,860 labelled notes, simplified ones convert at most 2.1% of their Han characters (three
# 嘅 of a Cantonese note), the traditional ones 15% or more
MIN_SHARE = 0.05
MIN_CHARS = 4


@lru_cache(maxsize=1)
def simplified_table() -> dict[int, str]:
    """Traditional → simplified characters, one for one, from the table jionlp ships (read as data:
    importing jionlp prints a banner on stdout, which would spoil `--json` output)."""
    import importlib.util

    spec = importlib.util.find_spec("jionlp")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "dictionary" / "tra2sim_char.txt"
    table: dict[int, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 2 and len(parts[0]) == 1 and parts[1]:
                table[ord(parts[0])] = parts[1][0]
    return table


def simplified(text: str) -> str:
    """`text` in simplified characters, offset for offset, if it is written in traditional ones;
    otherwise `text` itself."""
    converted = text.translate(simplified_table())
    changed = sum(a != b for a, b in zip(text, converted))
    han = len(HAN.findall(text))
    return converted if changed >= MIN_CHARS and changed >= MIN_SHARE * han else text


# the fields that quote the note: given back as written
QUOTING = ("name", "evidence", "text", "journey_evidence")


def restore(record: BaseModel, original: str, read: str) -> None:
    """Put the note's own characters back into what `record` quotes of `read` (its simplified copy)."""
    if read == original:
        return
    for model in _models(record):
        start, end = getattr(model, "start", None), getattr(model, "end", None)
        for name in QUOTING:
            value = getattr(model, name, None)
            if not isinstance(value, str) or not value:
                continue
            if isinstance(start, int) and isinstance(end, int) and read[start:end] == value:
                setattr(model, name, original[start:end])
            elif (at := read.find(value)) >= 0:
                setattr(model, name, original[at:at + len(value)])


def _models(value: Any) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        found = [value]
        for name in type(value).model_fields:
            found += _models(getattr(value, name))
        return found
    if isinstance(value, (list, tuple)):
        return [m for item in value for m in _models(item)]
    return []
