"""Key dates of a visit note or trial form, resolved to calendar days and typed.

Rules: shared/spec/gold-format.md §1 (resolution against the note's reference date,
weeks start on Monday). A phrase is found by pattern (dates/phrases.py), resolved to one day
or dropped (dates/resolve.py), then typed from the cue words around it (dates/classify.py,
nlp/config/dates.yaml) or left out as not a deal date (the form's own date, past days, our
own events, approximate and recurring dates, …).
"""
from __future__ import annotations

import datetime as dt
import re

from jinnang.core.records import KeyDate, KeyDateType
from jinnang.nlp.dates.classify import TRIAL_TYPES, classify, left_out, rescheduled_from, superseded
from jinnang.nlp.dates.config import CONFIG_PATH, CueGroup, DatesConfig, dates_config
from jinnang.nlp.dates.phrases import WrittenDay, find_mentions, mark_ranges, written_days
from jinnang.nlp.dates.resolve import DateMention

__all__ = ["CONFIG_PATH", "CueGroup", "DatesConfig", "KeyDate", "DateMention", "TRIAL_TYPES", "WrittenDay",
           "dates_config", "find_key_dates", "written_days"]

RELATIVE_KINDS = ("n_days", "n_weeks", "n_workdays")

# Full-width digits and punctuation as typed on phones, and 曰 that OCR reads for 日; one
# character for one so that evidence spans stay those of the original text.
_SAME_LENGTH_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                                   "／": "/", "．": ".", "曰": "日", "﹣": "-"})


# OCR of a photographed form confuses O with 0, l with 1 and reads 日 as 口 (2O26年l月7口): read as
# digits only beside a digit or a date's unit, and 口 only as a day's unit after a month's day or a count
_OCR_DIGIT = re.compile(r"(?<![A-Za-z])[OoIl](?=[0-9OoIl]*[0-9年月日号口.\-/])(?=[OoIl]*[0-9]|[OoIl]*[年月日号口])"
                        r"|(?<=[0-9])[OoIl](?![A-Za-z])")
_OCR_DAY = re.compile(r"(?<=月[0-9]{1})口|(?<=月[0-9]{2})口|(?<=[0-9])口(?=内|后|前|起)")
_OCR_DASH = re.compile(r"(?<=[日号])一(?=[0-9]{4}年|[0-9]{1,2}月)")  # a range's dash read as 一


def _ocr_fold(text: str) -> str:
    """One character for one, so that spans stay those of the original text."""
    for _ in range(3):  # lO月: the O is a digit once the l before it is one
        folded = _OCR_DIGIT.sub(lambda m: "0" if m.group() in "Oo" else "1", text)
        if folded == text:
            break
        text = folded
    return _OCR_DASH.sub("-", _OCR_DAY.sub("日", text))


def find_key_dates(text: str, reference_date: dt.date, kind: str | None = None,
                   warnings: list[str] | None = None, config: DatesConfig | None = None,
                   details: list[dict[str, bool]] | None = None) -> list[KeyDate]:
    """Deal dates of a note, resolved against its reference date, in order of appearance.

    `warnings` (if given) collects notices such as a year the holiday calendar lacks; `details`
    (if given) receives for each date whether a cue typed it and whether it is a range's end.
    """
    config = config or dates_config()
    original, text = text, _ocr_fold(text.translate(_SAME_LENGTH_FOLD))  # spans stay valid on the original
    notices: list[str] = warnings if warnings is not None else []
    mentions = mark_ranges(text, find_mentions(text, reference_date, notices), reference_date, config)
    replaced = superseded(text, mentions, config)
    kept: list[tuple[DateMention, KeyDateType, bool]] = []  # (mention, its type, typed by a cue)
    for mention in mentions:
        if id(mention) in replaced:
            continue
        if mention.type not in TRIAL_TYPES and left_out(text, mention, config):
            continue
        if mention.kind in RELATIVE_KINDS and any(
                text[mention.end:mention.end + len(w)] == w for w in config.past_narration_after):
            continue  # 下单后三天后才到: a past delay told after the fact
        cued = True
        if mention.type is None and mention.partner is not None and mention.partner.type is not None:
            mention.type = mention.partner.type  # the end of a range takes the type of its start
        if mention.type is None:
            span = mention
            if mention.partner is not None:  # a range is typed once, from the words around the whole of it
                span = DateMention(mention.start, mention.partner.end, mention.date)
            others = [m for m in mentions if m is not mention.partner]
            earlier = rescheduled_from(text, mention, mentions, config)
            if earlier is not None:  # 原定6月17日，现改为6月24日: the new day is about what the old one was
                others = [m for m in others if m is not earlier]
            group = classify(text, span, config, others, exclusions=earlier is None)
            if group is not None and group.reason:
                continue  # not a deal date (our own event, a personal one, a habit, superseded)
            if earlier is not None:
                old = earlier.type
                if old is None:
                    old_group = classify(text, earlier, config, [m for m in mentions if m is not mention],
                                          exclusions=False)
                    old = old_group.type if old_group is not None else None
                if old is not None:
                    group = None
                    mention.type = old
            if mention.type is None:
                cued = group is not None
                mention.type = group.type if group is not None else config.default_type
        if mention.type not in TRIAL_TYPES and mention.date <= reference_date:
            continue  # the note's own day and past days; trial periods are kept even when past
        kept.append((mention, mention.type or config.default_type, cued))
    # a day named twice (温主任下周一在，让我下周一再去) takes the type its cue gives, not the default
    cued_days = {m.date for m, _, cued in kept if cued}
    out: list[KeyDate] = []
    seen: set[tuple[str, dt.date]] = set()
    for mention, date_type, cued in kept:
        key = (date_type, mention.date)
        if key in seen or (not cued and mention.date in cued_days):
            continue
        seen.add(key)
        out.append(KeyDate(type=date_type, date=mention.date, evidence=original[mention.start:mention.end],
                           start=mention.start, end=mention.end))
        if details is not None:
            details.append({"cued": cued, "in_range": mention.partner is not None})
    return out

