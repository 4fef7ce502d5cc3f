"""Typing a date from the cue words around it (nlp/config/dates.yaml), and the dates left out
on purpose: approximate, either/or, recurring, lunar, the form's own date, superseded ones."""
from __future__ import annotations

import re
from dataclasses import dataclass

from jinnang.core.text import SENTENCE_OR_LINE_END
from jinnang.nlp.dates.config import CueGroup, DatesConfig
from jinnang.nlp.dates.resolve import DateMention

CLAUSE_END = SENTENCE_OR_LINE_END + "，,、"
TRIAL_TYPES = ("trial_start", "trial_end")


def bounds(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
    """The stretch around [start, end) up to the nearest stop character on each side."""
    # str.find/rfind, not a character loop: a long transcript without punctuation is one
    # sentence, and walking it in Python for every date took tens of seconds at 50k chars
    left = max(text.rfind(c, 0, start) for c in stops) + 1
    right = min((i for c in stops if (i := text.find(c, end)) != -1), default=len(text))
    return left, right


@dataclass
class _Hit:
    start: int
    end: int
    gap: int
    after: bool
    order: int
    group: CueGroup


def _gap(start: int, end: int, cue_start: int, cue_end: int) -> int:
    return cue_start - end if cue_start >= end else start - cue_end if cue_end <= start else 0


def _hits(text: str, mention: DateMention, lo: int, hi: int, groups: list[tuple[int, CueGroup]],
          others: list[DateMention], sentence: str) -> list[_Hit]:
    # a cue is about the nearest date: one with another date between it and this one, or
    # standing nearer another date (上周五演示…下周三复盘), is not ours
    others = [o for o in others if o is not mention and not (o.start >= mention.start and o.end <= mention.end)
              and o.end > lo and o.start < hi]
    for other in others:
        if other.end <= mention.start:
            lo = max(lo, other.end)
        elif other.start >= mention.end:
            hi = min(hi, other.start)
    hits: list[_Hit] = []
    for order, group in groups:
        if group.requires and not any(word in sentence for word in group.requires):
            continue
        for cue in group.cues:
            pos = text.find(cue, lo, hi)
            while pos != -1:
                cue_end = pos + len(cue)
                if cue_end <= mention.start or pos >= mention.end:
                    after = pos >= mention.end
                    gap = pos - mention.end if after else mention.start - cue_end
                    side_ok = group.side == "any" or (group.side == "after") == after
                    nearer_other = any(_gap(o.start, o.end, pos, cue_end) < gap for o in others)
                    led = any(text[max(0, pos - len(w)):pos] == w for w in group.not_after)
                    if side_ok and not nearer_other and not led and (group.max_gap is None or gap <= group.max_gap):
                        hits.append(_Hit(pos, cue_end, gap, after, order, group))
                pos = text.find(cue, pos + 1, hi)
    # a longer cue hides the shorter ones inside it (送审 hides 送, 发过来 hides 过来)
    return [h for h in hits
            if not any(o is not h and o.start <= h.start and h.end <= o.end and (o.end - o.start) > (h.end - h.start)
                       for o in hits)]


_SPOKEN_PAUSE = re.compile(r"(?<=[\u4e00-\u9fff])[ \t]+(?=[\u4e00-\u9fff])")


_UNIT = re.compile(r"[A-Za-z]+|\s+|.", re.DOTALL)


def reach(text: str, pos: int, window: int, forward: bool) -> int:
    """The offset `window` units away from `pos`: a Chinese character, digit or mark is one unit,
    an English word two, spaces none (so that English notes get about as many words as Chinese)."""
    if forward:
        units, end = 0, pos
        for m in _UNIT.finditer(text, pos):
            cost = 0 if m.group().isspace() else 2 if m.group()[0].isascii() and m.group()[0].isalpha() else 1
            if units + cost > window:
                break
            units, end = units + cost, m.end()
        return end
    # read backwards over a reversed slice; a slice the window used up entirely may have cut a
    # word or a run of spaces at its far end, so it is read again whole
    size = 8 * window + 64
    while True:
        back = text[max(0, pos - size):pos][::-1]
        used = reach(back, 0, window, True)
        if used < len(back) or len(back) == pos:
            return pos - used
        size *= 4


def _clause_bounds(text: str, mention: DateMention, window: int) -> tuple[int, int]:
    """The date's clause, cut at spoken pauses (transcripts without punctuation) and to the window."""
    lo, hi = bounds(text, mention.start, mention.end, CLAUSE_END)
    reach_lo, reach_hi = reach(text, mention.start, window, False), reach(text, mention.end, window, True)
    # only pauses inside the window can matter (spaces cost nothing, so a window edge never splits
    # a pause); the one character past the window lets the pause's lookahead see its next word
    for pause in _SPOKEN_PAUSE.finditer(text, max(lo, reach_lo), min(hi, reach_hi + 1)):
        if pause.end() <= mention.start:
            lo = pause.end()
        elif pause.start() >= mention.end:
            hi = pause.start()
            break
    return max(lo, reach_lo), min(hi, reach_hi)


def classify(text: str, mention: DateMention, config: DatesConfig, others: list[DateMention],
              exclusions: bool = True) -> CueGroup | None:
    """The cue group that types (or excludes) a date: specific events before generic ones,
    the date's own clause before the rest of its sentence, then the nearest cue."""
    specific = [(i, g) for i, g in enumerate(config.exclude)] if exclusions else []
    specific += [(len(config.exclude) + i, g) for i, g in enumerate(config.types) if not g.is_generic]
    generic = [(100 + i, g) for i, g in enumerate(config.types) if g.is_generic]
    c_lo, c_hi = _clause_bounds(text, mention, config.clause_window)
    s_lo, s_hi = bounds(text, mention.start, mention.end, SENTENCE_OR_LINE_END)
    sentence = text[s_lo:s_hi]
    s_lo, s_hi = max(s_lo, reach(text, mention.start, config.window, False)), \
        min(s_hi, reach(text, mention.end, config.window, True))

    def nearest(hits: list[_Hit]) -> _Hit:
        return min(hits, key=lambda h: (h.gap, not h.after, h.order))

    for lo, hi in ((c_lo, c_hi), (s_lo, s_hi)):
        if lo != c_lo or hi != c_hi:  # a trip or our own event excludes only the date of its own clause
            specific = [(i, g) for i, g in specific if not g.reason]
        spec = _hits(text, mention, lo, hi, specific, others, sentence)
        gen = _hits(text, mention, lo, hi, generic, others, sentence)
        if spec:
            best = nearest(spec)
            adjacent = [h for h in spec + gen if h.group.adjacent_wins and not h.after]
            if adjacent and not best.group.reason:
                near = nearest(adjacent)
                between = text[min(near.end, mention.end):max(near.start, mention.start)]
                if near.gap <= config.adjacent_generic_gap and best.gap >= near.gap + config.adjacent_generic_margin \
                        and not re.search("[:：]", between):  # 约好了：下周三…演示 is about the demo
                    return near.group
            return best.group
        if gen:
            return nearest(gen).group
    return None


def left_out(text: str, mention: DateMention, config: DatesConfig) -> bool:
    """Approximate, either/or, recurring, lunar dates and the document's own date."""
    before = text[max(0, mention.start - 8):mention.start].rstrip()
    after = text[mention.end:mention.end + 8].lstrip()
    if any(after.startswith(w) for w in config.approximate_after + config.either_or_after):
        return True
    if any(re.match(rf"{re.escape(w)}[ \u3000]*[：:]", after) for w in config.section_heading_after):
        return True
    if any(before.endswith(w) for w in config.approximate_before + config.recurring_before
           + config.lunar_before + config.either_or_after):
        return True
    line_start = text.rfind("\n", 0, mention.start) + 1
    label = _last_field(text[line_start:mention.start])
    if not text[line_start:mention.start].strip() and line_start > 0:  # scanned tables: label on the line above
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        label = _last_field(text[prev_start:line_start - 1])
    return label in config.header_labels


def rescheduled_from(text: str, mention: DateMention, mentions: list[DateMention], config: DatesConfig) -> DateMention | None:
    """The earlier date of the same sentence that `mention` replaces (…改为DATE), if any."""
    before = text[max(0, mention.start - 6):mention.start].rstrip()
    if not any(before.endswith(w) for w in config.rescheduled_before):
        return None
    s_lo, _ = bounds(text, mention.start, mention.end, SENTENCE_OR_LINE_END)
    earlier = [m for m in mentions if s_lo <= m.start and m.end <= mention.start]
    return earlier[-1] if earlier else None


def _last_field(line: str) -> str:
    """The label a value follows on a form line: '评价人：黄启明　日期：' → '日期' (截止日期 stays itself)."""
    parts = [p for p in re.split(r"[\s|｜:：]+", line) if p]
    return parts[-1] if parts else ""


def superseded(text: str, mentions: list[DateMention], config: DatesConfig) -> set[int]:
    """Dates replaced by a later one: 演示本来约在7月23日…改到7月30日 (the first), and a trial
    period written after 原定 (原定试用期3月1日至3月31日，现延长至4月30日), with the other end of its range."""
    out: set[int] = set()
    cues = [c for g in config.exclude if g.reason and "supersed" in g.reason for c in g.cues]
    for mention in mentions:
        earlier = rescheduled_from(text, mention, mentions, config)
        if earlier is not None:
            out.add(id(earlier))  # only the end it replaces: 试用…至3月31日，现延长至4月30日 keeps its start
        c_lo, _ = bounds(text, mention.start, mention.end, CLAUSE_END)
        before = text[max(c_lo, mention.start - 10):mention.start]
        if mention.type in TRIAL_TYPES and mention.partner is not None and mention.partner.start > mention.start \
                and any(c in before for c in cues):
            out.update((id(mention), id(mention.partner)))
    return out
