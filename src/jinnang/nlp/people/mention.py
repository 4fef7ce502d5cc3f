"""One place a note names a person with a title, and the department written just before it."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from jinnang.nlp.gazetteers import Title


@dataclass
class PersonMention:
    name: str
    start: int  # where the name starts
    end: int  # end of the whole mention (name and title)
    title: Title
    department: str | None = None
    title_start: int = -1

    @property
    def begin(self) -> int:
        """Where the mention begins, name or title first."""
        return min(self.start, self.title_start if self.title_start >= 0 else self.start)


def dept_before(text: str, pos: int, depts: Sequence[tuple[int, int]], max_gap: int = 3) -> str | None:
    """A department ending just before `pos` (设备科沈科长, 药学部的尤主任, 信息科：科长 钱卫,
    委员会秘书（审计处）邹科长)."""
    for s, e in reversed(depts):
        if e <= pos and pos - e <= max_gap and re.fullmatch(r"[的\s\u3000:：、）)]*", text[e:pos]):
            return text[s:e]
    return None
