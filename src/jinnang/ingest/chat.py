"""WeChat / WeCom chat exports: messages with their speaker and time, ours told apart from the customer's.

Reps forward chats to their managers as the text the apps export. Three shapes are common,
recognised from the text itself (never the file name):

- `time_first`    — "2026-03-02 10:15:33 王主任" on its own line, the message on the lines below;
- `speaker_first` — "王主任 2026/3/2 10:15" on its own line, the message below (merged forwards);
- `inline`        — "[10:15] 王主任：…" one message a line, days marked by a line holding a date.

Who is staff is configured in `config/chat.yaml` (name marks such as "-华冠", names, the rep's
own handles); everyone else is the customer's side.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from jinnang.core.config import ConfigFile

CONFIG_DIR = Path(__file__).resolve().parent / "config"

Name = Annotated[str, Field(min_length=1)]


class ChatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staff_marks: list[Name] = []
    staff_names: list[Name] = []
    self_names: list[Name] = []
    rep_names: dict[str, list[Name]] = {}


CHAT_CONFIG: ConfigFile[ChatConfig] = ConfigFile(CONFIG_DIR / "chat.yaml", ChatConfig)

_DATE = r"(?P<date>\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"
_TIME = r"(?P<time>\d{1,2}:\d{2}(?::\d{2})?)"
# a display name: short, no sentence punctuation, no colon (so "王主任：…" is a message, not a name)
_SPEAKER = r"(?P<speaker>[^\s。，！？；,!?:：\[\]【】][^。，！？；,!?:：\[\]【】]{0,39}?)"
SHAPES = {
    "time_first": re.compile(rf"^{_DATE}\s+{_TIME}\s+{_SPEAKER}\s*$"),
    "speaker_first": re.compile(rf"^{_SPEAKER}\s+{_DATE}\s+{_TIME}\s*$"),
    "inline": re.compile(rf"^[\[【]\s*(?:{_DATE}\s+)?{_TIME}\s*[\]】]\s*{_SPEAKER}\s*[:：]\s*(?P<text>.*)$"),
}
_DATE_LINE = re.compile(rf"^[\s\-—=─]*{_DATE}[\s\-—=─]*$")
_DATE_PARTS = re.compile(r"(\d{4})\D+(\d{1,2})\D+(\d{1,2})")
# a title ("与王主任的聊天记录") may come before the first message, a note's body may not
MAX_LINES_BEFORE_FIRST = 2
MIN_INLINE_SHARE = 0.6  # of non-empty lines that are messages or day marks, for the one-line shape


@dataclass(frozen=True)
class ChatMessage:
    speaker: str
    time: str | None  # ISO "2026-03-02T10:15:33", or "10:15" when the export gives no day
    text: str
    from_staff: bool


@dataclass(frozen=True)
class ChatExport:
    shape: str
    messages: list[ChatMessage]

    def text(self) -> str:
        """One line a message with its speaker — the text extraction reads."""
        return "\n".join(f"{m.speaker}：{m.text}" for m in self.messages if m.text)

    def as_meta(self) -> dict[str, Any]:
        return {"shape": self.shape, "messages": [asdict(m) for m in self.messages]}

    def last_day(self) -> dt.date | None:
        days = [dt.date.fromisoformat(m.time[:10]) for m in self.messages if m.time and "T" in m.time]
        return max(days) if days else None


def _day(text: str | None) -> dt.date | None:
    parts = _DATE_PARTS.match(text or "")
    if parts is None:
        return None
    try:
        return dt.date(*map(int, parts.groups()))
    except ValueError:
        return None


def _stamp(day: dt.date | None, time: str) -> str | None:
    hour, minute, *second = (int(p) for p in time.split(":"))
    if hour > 23 or minute > 59 or (second and second[0] > 59):
        return None
    clock = dt.time(hour, minute, second[0] if second else 0)
    if day is None:
        return clock.isoformat("seconds" if second else "minutes")
    return dt.datetime.combine(day, clock).isoformat()


def is_staff(speaker: str, rep_id: str | None = None, config: ChatConfig | None = None) -> bool:
    """`is_staff("张伟-华冠")` → True with the shipped marks; a customer's name → False."""
    config = config or CHAT_CONFIG()
    name = speaker.strip()
    names = {*config.staff_names, *config.self_names, *config.rep_names.get(rep_id or "", [])}
    return name in names or any(mark in name for mark in config.staff_marks)


def _header(line: str, shape: str) -> tuple[str, str | None, str] | None:
    """(speaker, ISO time, inline text) when `line` opens a message of `shape`."""
    found = SHAPES[shape].match(line.strip())
    if found is None:
        return None
    groups = found.groupdict()
    day = _day(groups.get("date"))
    if groups.get("date") and day is None:
        return None  # "2026-13-40" is not a day, so not a message header either
    stamp = _stamp(day, groups["time"])
    if stamp is None:
        return None
    return groups["speaker"].strip(), stamp, (groups.get("text") or "").strip()


def _parse(lines: list[str], shape: str, rep_id: str | None, config: ChatConfig) -> list[ChatMessage]:
    messages: list[tuple[str, str | None, list[str]]] = []
    day: dt.date | None = None
    for line in lines:
        header = _header(line, shape)
        if header is not None:
            speaker, stamp, first = header
            if shape == "inline" and day is not None and stamp and "T" not in stamp:
                stamp = dt.datetime.combine(day, dt.time.fromisoformat(stamp)).isoformat()
            messages.append((speaker, stamp, [first] if first else []))
        elif shape == "inline" and (mark := _DATE_LINE.match(line.strip())):
            day = _day(mark.group("date")) or day
        elif messages and line.strip():
            messages[-1][2].append(line.strip())  # a message's further lines
    return [ChatMessage(speaker, stamp, _join(body), is_staff(speaker, rep_id, config))
            for speaker, stamp, body in messages]


def _join(parts: list[str]) -> str:
    """A message's lines as one: Chinese runs on without a space, Latin words keep one."""
    out = ""
    for part in parts:
        latin = out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum()
        out += (" " if latin else "") + part
    return out


def _count_headers(lines: Iterable[str], shape: str) -> tuple[int, int | None]:
    """How many lines open a message of `shape`, and the index of the first."""
    count, first = 0, None
    for index, line in enumerate(lines):
        if _header(line, shape) is not None:
            count += 1
            first = index if first is None else first
    return count, first


def parse_chat(text: str, rep_id: str | None = None) -> ChatExport | None:
    """The chat in `text`, or None when the text is not a chat export (a note, a form)."""
    lines = [line for line in text.splitlines() if line.strip()]
    config = CHAT_CONFIG()
    best: tuple[int, str] | None = None
    for shape in SHAPES:
        count, first = _count_headers(lines, shape)
        if count < 2 or first is None or first > MAX_LINES_BEFORE_FIRST:
            continue
        if shape == "inline":
            marks = sum(1 for line in lines if _DATE_LINE.match(line.strip()))
            if (count + marks) / len(lines) < MIN_INLINE_SHARE:
                continue
        if best is None or count > best[0]:
            best = (count, shape)
    if best is None:
        return None
    messages = _parse(lines, best[1], rep_id, config)
    speakers = {m.speaker for m in messages}
    # one voice with timestamps is a log; so is a new "speaker" at every stamp ("拜访王主任", "拜访李科长")
    # unless one of them is ours, as in a short chat of a rep with two of the customer's people
    unique_each_time = len(messages) >= 3 and len(speakers) == len(messages)
    if len(speakers) < 2 or (unique_each_time and not any(m.from_staff for m in messages)):
        return None
    return ChatExport(best[1], messages)
