"""Key dates of a visit note or trial form, resolved to calendar days and typed.

Rules: shared/spec/gold-format.md §1 (resolution against the note's reference date,
weeks start on Monday). A phrase is found by pattern, resolved to one day or dropped,
then typed from the cue words around it (nlp/config/dates.yaml) or left out as not a
deal date (the form's own date, past days, our own events, approximate and recurring
dates, …).
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import cn2an
from pydantic import BaseModel, ConfigDict, Field, field_validator

from jinnang.core.config import load_yaml_model as _load_yaml_model
from jinnang.core.records import KeyDate, KeyDateType
from jinnang.core.workdays import add_workdays

CONFIG_PATH = Path(__file__).parent / "config" / "dates.yaml"

TRIAL_TYPES = ("trial_start", "trial_end")
# Types that name a deal event; they outrank the generic next_meeting / other cues.
GENERIC_TYPES = ("next_meeting", "other")


# ---------------------------------------------------------------- configuration



class CueGroup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: KeyDateType | None = None
    reason: str | None = None
    cues: list[str] = Field(min_length=1)
    max_gap: int | None = Field(default=None, ge=0)
    side: Literal["any", "before", "after"] = "any"
    # the cue only counts when the date's sentence also holds one of these words
    requires: list[str] = Field(default_factory=list)
    # generic cues (a meeting, a deadline) give way to any specific one in the same clause;
    # unset: generic for next_meeting and other, specific for the rest
    generic: bool | None = None
    # the cue does not count right after one of these words (带授权书去设备科 is a visit, not a document)
    not_after: list[str] = Field(default_factory=list)
    # a cue of this group standing right before the date wins over a specific cue far after it
    # (Next meeting on 4月15日 … the demo), where 约了10月15日…演示 stays a demo
    adjacent_wins: bool = False
    # phrasings the group exists for; the tests check each is typed (or left out) by this group
    examples: list[str] = Field(default_factory=list)

    @property
    def is_generic(self) -> bool:
        return self.generic if self.generic is not None else self.type in GENERIC_TYPES

    @field_validator("cues")
    @classmethod
    def _cues_not_blank(cls, cues: list[str]) -> list[str]:
        for cue in cues:
            if not str(cue).strip():
                raise ValueError("a cue may not be blank")
        return [str(c) for c in cues]


class DatesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: int = Field(default=24, ge=1, le=200)
    # the date's own clause is read this far at most (a transcript without punctuation is one long clause)
    clause_window: int = Field(default=48, ge=1, le=400)
    default_type: KeyDateType = "other"
    types: list[CueGroup]
    exclude: list[CueGroup] = Field(default_factory=list)
    trial_range_cues: list[str] = Field(min_length=1)
    trial_lookback: int = Field(default=16, ge=1, le=200)
    trial_lookahead: int = Field(default=8, ge=0, le=200)
    header_labels: list[str] = Field(default_factory=list)
    approximate_after: list[str] = Field(default_factory=list)
    approximate_before: list[str] = Field(default_factory=list)
    either_or_after: list[str] = Field(default_factory=list)
    recurring_before: list[str] = Field(default_factory=list)
    lunar_before: list[str] = Field(default_factory=list)
    rescheduled_before: list[str] = Field(default_factory=list)
    # 三天后才到: a relative day followed by one of these narrates the past
    past_narration_after: list[str] = Field(default_factory=list)
    # a specific cue further than this beyond a generic cue standing right next to the date
    # gives way to it (Next meeting on 4月15日 … trial plan; 下周一去找院长，党委会…)
    adjacent_generic_gap: int = Field(default=4, ge=0, le=50)
    adjacent_generic_margin: int = Field(default=6, ge=0, le=100)

    @field_validator("types")
    @classmethod
    def _types_are_typed(cls, groups: list[CueGroup]) -> list[CueGroup]:
        for group in groups:
            if group.type is None:
                raise ValueError("each entry under types needs a `type`")
        return groups

    @field_validator("exclude")
    @classmethod
    def _exclusions_have_reason(cls, groups: list[CueGroup]) -> list[CueGroup]:
        for group in groups:
            if not group.reason or group.type is not None:
                raise ValueError("each entry under exclude needs a `reason` and no `type`")
        return groups


def load_yaml_model(path: Path, model: type[BaseModel]) -> Any:
    """Parse and validate a YAML config; errors name the file, the line and the field."""
    return _load_yaml_model(path, model)


def load_config(path: Path = CONFIG_PATH) -> DatesConfig:
    # parsed once per file version: re-reading the YAML for every note cost ~35 ms a note,
    # while keying on mtime still picks up an edit by sales operations without a restart
    path = Path(path)
    if not path.is_file():
        return load_yaml_model(path, DatesConfig)  # the loader's own error names the file
    return _load_config_cached(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_config_cached(path: Path, _mtime_ns: int) -> DatesConfig:
    return load_yaml_model(path, DatesConfig)


# ---------------------------------------------------------------- finding date phrases

CN = "零〇一二两三四五六七八九十廿卅"
NUM = rf"(?:\d{{1,2}}|[{CN}]{{1,3}})"
# 月中 / 月初 but not 3月中选 (selected in March), 5月中标, 月初步
PART = r"(?P<part>底|末|初(?![步次期始稿审选])|中旬|中(?![上下]旬|[选标心国间期午的层药医学文部央奖签]))"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd_sep", re.compile(r"(?<![A-Za-z0-9/.])(?<![A-Za-z]-)(?P<y>(?:19|20)\d{2})(?P<sep>[-./])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?![\d])")),
    # 2026年3月5日, and as contracts write it, 二〇二六年三月五日
    ("ymd_cn", re.compile(rf"(?<![A-Za-z0-9{CN}])(?P<y>(?:19|20)\d{{2}}|(?:一九|二[〇零○])[〇零○一二三四五六七八九]{{2}})\s*年\s*(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*[日号]")),
    ("md_cn", re.compile(rf"(?<![\d{CN}年正腊冬])(?P<yrel>今年|明年|去年)?(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*[日号]")),
    # 5月12至13日: the first day of a range may go without 日
    ("md_cn", re.compile(rf"(?<![\d{CN}年正腊冬])(?P<yrel>今年|明年|去年)?(?P<m>{NUM})\s*月\s*(?P<d>{NUM})"
                         rf"(?=\s*(?:至|到|~|～|—{{1,2}}|-|－|–)\s*{NUM}\s*[日号])")),
    # 7/1-8/31: the second day of a slash range follows its dash
    ("md_slash", re.compile(r"(?:(?<=\d/\d-)|(?<=\d/\d\d-)|(?<![A-Za-z0-9/.\-]))(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?![\d/%]|\.\d|的|以上|以下|小时|[分例台套个次人页张级号床])")),
    # 3.15 only where it cannot be a decimal: right before 前 or a time of day
    ("md_dot", re.compile(r"(?<![A-Za-z0-9/.\-])(?P<m>1[0-2]|0?[1-9])\.(?P<d>3[01]|[12]\d|0?[1-9])(?=前|之前|上午|下午|晚上|早上|中午)")),
    ("rel_month_day", re.compile(rf"(?P<mrel>本月|这个?月|下下个?月|下个?月)(?P<d>{NUM})\s*[日号]")),
    ("month_part", re.compile(rf"(?<![\d{CN}])(?:(?P<y>(?:19|20)\d{{2}})年|(?P<yrel>今年|明年))?(?P<m>{NUM})月份?{PART}")),
    ("rel_month_part", re.compile(rf"(?P<mrel>本|这个?|下下个?|下个?|上个?)月{PART}")),
    ("bare_month_part", re.compile(rf"(?<![\d{CN}个本这下上每年])月{PART}")),
    # 中旬 on its own is this month's (spec: 月中 / 中旬 → the 15th); 上中旬 and 3月中旬 are read above
    ("bare_month_part", re.compile(r"(?<![月上])(?P<part>中旬)")),
    ("year_end", re.compile(r"(?:(?P<y>(?:19|20)\d{2})|(?P<yrel>今|明|本|去)年?)?年(?P<part>底|末)")),
    ("weekday", re.compile(r"(?P<wrel>下下个?|下个?|本|这个?)(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")),
    # English-mixed notes: this Friday, next Wednesday
    ("weekday", re.compile(r"(?i)(?<![A-Za-z])(?P<wrel>this|next)\s+(?P<wd>mon|tues|wednes|thurs|fri|satur|sun)day(?![A-Za-z])")),
    # by Friday / on Monday: the next such day
    ("weekday_next", re.compile(r"(?i)(?<![A-Za-z])(?:by|on|before|until|till)\s+(?P<wd>mon|tues|wednes|thurs|fri|satur|sun)day(?![A-Za-z])")),
    # Nov 12, March 3rd, 5 Feb (English-mixed notes; month names capitalised so that "may 2" is no date)
    ("md_en", re.compile(r"(?<![A-Za-z])(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?\s*(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:.A-Za-z])")),
    ("md_en", re.compile(r"(?<![\d/.])(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?\s+(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?![A-Za-z])")),
    ("rel_day", re.compile(r"(?P<rel>大后天|后天|明天|明日|今天|今日|昨天|前天)")),
    # 上周五: never listed (past), found only so that its cue words are not lent to the next date
    ("past_weekday", re.compile(r"(?P<wrel>上上个?|上个?)(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])")),
    ("n_days", re.compile(rf"(?P<n>\d{{1,3}}|[{CN}百]{{1,4}})\s*[天日]\s*(?:以后|之后|后)")),
    ("n_weeks", re.compile(rf"(?P<n>\d{{1,2}}|[{CN}]{{1,3}})\s*(?:个)?(?:周|星期|礼拜)\s*(?:以后|之后|后)")),
    ("n_workdays", re.compile(rf"(?P<n>\d{{1,3}}|[{CN}百]{{1,4}})\s*个?\s*工作日\s*(?:以后|之后|后)")),
]

RANGE_SEP = re.compile(r"\s*起?\s*(?:至|到|~|～|—{1,2}|-|－|–|―|/|to|until|till)\s*", re.IGNORECASE)
RANGE_DAY_END = re.compile(rf"\s*起?\s*(?:至|到|~|～|—{{1,2}}|-|－|–|―)\s*(?P<d>{NUM})\s*[日号]")
SENTENCE_END = "。！？!?；;\n"
CLAUSE_END = SENTENCE_END + "，,、"
# A yearless day this many days before the note is a past day, not next year's.
RECENT_PAST_DAYS = 180
MONTHS_EN = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                          "Nov", "Dec"), start=1)}
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
            "mon": 0, "tues": 1, "wednes": 2, "thurs": 3, "fri": 4, "satur": 5, "sun": 6}


@dataclass
class Mention:
    start: int
    end: int
    date: dt.date
    explicit_year: bool = True      # a yearless X月Y日 may be re-anchored inside a trial range
    month: int | None = None
    day: int | None = None
    is_explicit: bool = False       # written as a calendar day (may start or end a range)
    type: str | None = None
    kind: str = ""
    partner: "Mention | None" = field(default=None, repr=False, compare=False)  # the other end of a range


# a year written digit by digit (二〇二六), not as a number (两千零二十六)
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")


def _num(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return int(cn2an.cn2an(text.replace("廿", "二十").replace("卅", "三十").replace("〇", "零"), "smart"))


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _next_on_or_after(ref: dt.date, m: int, d: int) -> dt.date | None:
    for year in (ref.year, ref.year + 1):
        day = _safe_date(year, m, d)
        if day and day >= ref:
            return day
    return None


def _add_months(ref: dt.date, n: int) -> tuple[int, int]:
    index = ref.year * 12 + ref.month - 1 + n
    return index // 12, index % 12 + 1


def _part_day(year: int, month: int, part: str) -> dt.date | None:
    if not 1 <= month <= 12:
        return None
    if part in ("底", "末"):
        return dt.date(year, month, calendar.monthrange(year, month)[1])
    if part == "初":
        return dt.date(year, month, 1)
    return dt.date(year, month, 15)  # 月中, 中旬


def _resolve(kind: str, g: dict[str, str | None], ref: dt.date, warnings: list[str]) -> Mention | None:
    """The day a matched phrase names, or None when it names none."""
    year_of = {"今年": 0, "明年": 1, "去年": -1, "今": 0, "本": 0, "明": 1, "去": -1}
    try:
        if kind in ("ymd_sep", "ymd_cn"):
            day = _safe_date(int(g["y"].translate(_CN_DIGITS)), _num(g["m"]), _num(g["d"]))
            return Mention(0, 0, day, is_explicit=True) if day else None
        if kind in ("md_cn", "md_slash", "md_dot", "md_en"):
            m, d = (MONTHS_EN[g["mon"][:3]] if kind == "md_en" else _num(g["m"])), _num(g["d"])
            if g.get("yrel"):
                day = _safe_date(ref.year + year_of[g["yrel"]], m, d)
                return Mention(0, 0, day, is_explicit=True) if day else None
            day = _next_on_or_after(ref, m, d)
            this_year = _safe_date(ref.year, m, d)
            if day and this_year and this_year < ref and (ref - this_year).days <= RECENT_PAST_DAYS:
                day = this_year  # 3月8日 written on 3月10日 is the past week, not next year
            return Mention(0, 0, day, explicit_year=False, month=m, day=d, is_explicit=True) if day else None
        if kind == "rel_month_day":
            shift = 2 if g["mrel"].startswith("下下") else 1 if g["mrel"].startswith("下") else 0
            y, m = _add_months(ref, shift)
            day = _safe_date(y, m, _num(g["d"]))
            return Mention(0, 0, day) if day else None
        if kind == "month_part":
            m = _num(g["m"])
            if g.get("y"):
                day = _part_day(int(g["y"]), m, g["part"])
            elif g.get("yrel"):
                day = _part_day(ref.year + year_of[g["yrel"]], m, g["part"])
            else:
                day = _part_day(ref.year, m, g["part"])
                if day and day < ref:
                    day = _part_day(ref.year + 1, m, g["part"])
            return Mention(0, 0, day) if day else None
        if kind == "rel_month_part":
            rel = g["mrel"]
            shift = 2 if rel.startswith("下下") else 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
            y, m = _add_months(ref, shift)
            return Mention(0, 0, _part_day(y, m, g["part"]))
        if kind == "bare_month_part":
            return Mention(0, 0, _part_day(ref.year, ref.month, g["part"]))
        if kind == "year_end":
            year = int(g["y"]) if g.get("y") else ref.year + year_of.get(g.get("yrel") or "今", 0)
            return Mention(0, 0, dt.date(year, 12, 31))
        if kind == "weekday":
            rel = g["wrel"].lower()
            weeks = 2 if rel.startswith("下下") else 1 if rel.startswith(("下", "next")) else 0
            monday = ref - dt.timedelta(days=ref.weekday())
            return Mention(0, 0, monday + dt.timedelta(weeks=weeks, days=WEEKDAYS[g["wd"].lower()]))
        if kind == "weekday_next":
            ahead = (WEEKDAYS[g["wd"].lower()] - ref.weekday()) % 7
            return Mention(0, 0, ref + dt.timedelta(days=ahead))
        if kind == "rel_day":
            shift = {"明天": 1, "明日": 1, "后天": 2, "大后天": 3, "今天": 0, "今日": 0, "昨天": -1, "前天": -2}
            return Mention(0, 0, ref + dt.timedelta(days=shift[g["rel"]]))
        if kind == "past_weekday":
            weeks = 2 if g["wrel"].startswith("上上") else 1
            monday = ref - dt.timedelta(days=ref.weekday())
            return Mention(0, 0, monday - dt.timedelta(weeks=weeks) + dt.timedelta(days=WEEKDAYS[g["wd"]]))
        if kind == "n_days":
            return Mention(0, 0, ref + dt.timedelta(days=_num(g["n"])))
        if kind == "n_weeks":
            return Mention(0, 0, ref + dt.timedelta(weeks=_num(g["n"])))
        if kind == "n_workdays":
            return Mention(0, 0, add_workdays(ref, _num(g["n"]), warnings))
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    return None


def _find_mentions(text: str, ref: dt.date, warnings: list[str]) -> list[Mention]:
    found: list[tuple[int, int, str, dict[str, str | None]]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), kind, match.groupdict()))
    # longest phrase wins where phrases overlap (后天 inside 大后天, 3月 inside 2026年3月5日)
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    mentions: list[Mention] = []
    taken_until = -1
    for start, end, kind, groups in found:
        if start < taken_until:
            continue
        mention = _resolve(kind, groups, ref, warnings)
        if mention is None or mention.date is None:
            continue
        mention.start, mention.end, mention.kind = start, end, kind
        mentions.append(mention)
        taken_until = end
    return _merge_restatements(text, mentions)


def _merge_restatements(text: str, mentions: list[Mention]) -> list[Mention]:
    """下周三（4月1日）names one day twice: keep one mention covering both."""
    merged: list[Mention] = []
    for mention in mentions:
        if merged:
            prev = merged[-1]
            between = text[prev.end:mention.start]
            if prev.date == mention.date and between.strip() in ("（", "(") :
                close = text[mention.end:mention.end + 1]
                prev.end = mention.end + (1 if close in "）)" and close else 0)
                prev.is_explicit = prev.is_explicit or mention.is_explicit
                continue
        merged.append(mention)
    return merged


# ---------------------------------------------------------------- ranges and typing

def _nearest_year_anchor(ref: dt.date, m: int, d: int) -> dt.date | None:
    """A yearless trial start: the year that puts it nearest the note's date (trials may be past)."""
    options = [day for y in (ref.year - 1, ref.year, ref.year + 1) if (day := _safe_date(y, m, d))]
    return min(options, key=lambda day: abs((day - ref).days)) if options else None


def _mark_ranges(text: str, mentions: list[Mention], ref: dt.date, config: DatesConfig) -> list[Mention]:
    out: list[Mention] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        second: Mention | None = None
        pairs_next = False
        if first.is_explicit:
            if i + 1 < len(mentions) and mentions[i + 1].is_explicit:
                between = text[first.end:mentions[i + 1].start]
                sep = RANGE_SEP.fullmatch(between)
                if sep and ("/" not in between or (first.explicit_year and mentions[i + 1].explicit_year)):
                    second = mentions[i + 1]
                    pairs_next = True
            if second is None:
                day_end = RANGE_DAY_END.match(text, first.end)
                if day_end:
                    end_day = _safe_date(first.date.year, first.date.month, _num(day_end.group("d")))
                    if end_day and end_day >= first.date:
                        second = Mention(day_end.start("d"), day_end.end(), end_day, is_explicit=True)
        if second is None:
            out.append(first)
            i += 1
            continue
        lookback = text[max(0, first.start - config.trial_lookback):first.start]
        line_end = text.find("\n", second.end)
        lookahead = text[second.end:min(second.end + config.trial_lookahead, line_end if line_end != -1 else len(text))]
        if any(cue in lookback or cue in lookahead for cue in config.trial_range_cues):
            if not first.explicit_year and first.month:
                anchored = _nearest_year_anchor(ref, first.month, first.day)
                if anchored:
                    first.date = anchored
            if not second.explicit_year and second.month:
                second.date = _safe_date(first.date.year, second.month, second.day) or second.date
                if second.date < first.date:
                    second.date = _safe_date(first.date.year + 1, second.month, second.day) or second.date
            first.type, second.type = "trial_start", "trial_end"
            first.partner, second.partner = second, first
        else:
            first.partner, second.partner = second, first
        out.extend([first, second])
        i += 2 if pairs_next else 1
    return out


def _bounds(text: str, start: int, end: int, stops: str) -> tuple[int, int]:
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


def _hits(text: str, mention: Mention, lo: int, hi: int, groups: list[tuple[int, CueGroup]],
          others: list[Mention], sentence: str) -> list[_Hit]:
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


def _reach(text: str, pos: int, window: int, forward: bool) -> int:
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
        used = _reach(back, 0, window, True)
        if used < len(back) or len(back) == pos:
            return pos - used
        size *= 4


def _clause_bounds(text: str, mention: Mention, window: int) -> tuple[int, int]:
    """The date's clause, cut at spoken pauses (transcripts without punctuation) and to the window."""
    lo, hi = _bounds(text, mention.start, mention.end, CLAUSE_END)
    reach_lo, reach_hi = _reach(text, mention.start, window, False), _reach(text, mention.end, window, True)
    # only pauses inside the window can matter (spaces cost nothing, so a window edge never splits
    # a pause); the one character past the window lets the pause's lookahead see its next word
    for pause in _SPOKEN_PAUSE.finditer(text, max(lo, reach_lo), min(hi, reach_hi + 1)):
        if pause.end() <= mention.start:
            lo = pause.end()
        elif pause.start() >= mention.end:
            hi = pause.start()
            break
    return max(lo, reach_lo), min(hi, reach_hi)


def _classify(text: str, mention: Mention, config: DatesConfig, others: list[Mention],
              exclusions: bool = True) -> CueGroup | None:
    """The cue group that types (or excludes) a date: specific events before generic ones,
    the date's own clause before the rest of its sentence, then the nearest cue."""
    specific = [(i, g) for i, g in enumerate(config.exclude)] if exclusions else []
    specific += [(len(config.exclude) + i, g) for i, g in enumerate(config.types) if not g.is_generic]
    generic = [(100 + i, g) for i, g in enumerate(config.types) if g.is_generic]
    c_lo, c_hi = _clause_bounds(text, mention, config.clause_window)
    s_lo, s_hi = _bounds(text, mention.start, mention.end, SENTENCE_END)
    sentence = text[s_lo:s_hi]
    s_lo, s_hi = max(s_lo, _reach(text, mention.start, config.window, False)), \
        min(s_hi, _reach(text, mention.end, config.window, True))

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


def _left_out(text: str, mention: Mention, config: DatesConfig) -> bool:
    """Approximate, either/or, recurring, lunar dates and the document's own date."""
    before = text[max(0, mention.start - 8):mention.start].rstrip()
    after = text[mention.end:mention.end + 8].lstrip()
    if any(after.startswith(w) for w in config.approximate_after + config.either_or_after):
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


def _rescheduled_from(text: str, mention: Mention, mentions: list[Mention], config: DatesConfig) -> Mention | None:
    """The earlier date of the same sentence that `mention` replaces (…改为DATE), if any."""
    before = text[max(0, mention.start - 6):mention.start].rstrip()
    if not any(before.endswith(w) for w in config.rescheduled_before):
        return None
    s_lo, _ = _bounds(text, mention.start, mention.end, SENTENCE_END)
    earlier = [m for m in mentions if s_lo <= m.start and m.end <= mention.start]
    return earlier[-1] if earlier else None


def _last_field(line: str) -> str:
    """The label a value follows on a form line: '评价人：黄启明　日期：' → '日期' (截止日期 stays itself)."""
    parts = [p for p in re.split(r"[\s|｜:：]+", line) if p]
    return parts[-1] if parts else ""


# Full-width digits and punctuation as typed on phones, and 曰 that OCR reads for 日; one
# character for one so that evidence spans stay those of the original text.
_SAME_LENGTH_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)},
                                   "／": "/", "．": ".", "曰": "日", "﹣": "-"})


def find_key_dates(text: str, reference_date: dt.date, kind: str | None = None,
                   warnings: list[str] | None = None, config: DatesConfig | None = None) -> list[KeyDate]:
    """Deal dates of a note, resolved against its reference date, in order of appearance.

    `warnings` (if given) collects notices such as a year the holiday calendar lacks.
    """
    config = config or load_config()
    original, text = text, text.translate(_SAME_LENGTH_FOLD)  # spans stay valid on the original
    notices: list[str] = warnings if warnings is not None else []
    mentions = _mark_ranges(text, _find_mentions(text, reference_date, notices), reference_date, config)
    superseded = _superseded(text, mentions, config)
    kept: list[tuple[Mention, bool]] = []  # (mention, typed by a cue)
    for mention in mentions:
        if id(mention) in superseded:
            continue
        if mention.type not in TRIAL_TYPES and _left_out(text, mention, config):
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
                span = Mention(mention.start, mention.partner.end, mention.date)
            others = [m for m in mentions if m is not mention.partner]
            earlier = _rescheduled_from(text, mention, mentions, config)
            if earlier is not None:  # 原定6月17日，现改为6月24日: the new day is about what the old one was
                others = [m for m in others if m is not earlier]
            group = _classify(text, span, config, others, exclusions=earlier is None)
            if group is not None and group.reason:
                continue  # not a deal date (our own event, a personal one, a habit, superseded)
            if earlier is not None:
                old = earlier.type
                if old is None:
                    old_group = _classify(text, earlier, config, [m for m in mentions if m is not mention],
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
        kept.append((mention, cued))
    # a day named twice (温主任下周一在，让我下周一再去) takes the type its cue gives, not the default
    cued_days = {m.date for m, cued in kept if cued}
    out: list[KeyDate] = []
    seen: set[tuple[str, dt.date]] = set()
    for mention, cued in kept:
        key = (mention.type, mention.date)
        if key in seen or (not cued and mention.date in cued_days):
            continue
        seen.add(key)
        out.append(KeyDate(type=mention.type, date=mention.date, evidence=original[mention.start:mention.end],
                           start=mention.start, end=mention.end))
    return out


RELATIVE_KINDS = ("n_days", "n_weeks", "n_workdays")


def _superseded(text: str, mentions: list[Mention], config: DatesConfig) -> set[int]:
    """Dates replaced by a later one: 演示本来约在7月23日…改到7月30日 (the first), and a trial
    period written after 原定 (原定试用期3月1日至3月31日，现延长至4月30日), with the other end of its range."""
    out: set[int] = set()
    cues = [c for g in config.exclude if g.reason and "supersed" in g.reason for c in g.cues]
    for mention in mentions:
        earlier = _rescheduled_from(text, mention, mentions, config)
        if earlier is not None:
            out.add(id(earlier))  # only the end it replaces: 试用…至3月31日，现延长至4月30日 keeps its start
        c_lo, _ = _bounds(text, mention.start, mention.end, CLAUSE_END)
        before = text[max(c_lo, mention.start - 10):mention.start]
        if mention.type in TRIAL_TYPES and mention.partner is not None and mention.partner.start > mention.start \
                and any(c in before for c in cues):
            out.update((id(mention), id(mention.partner)))
    return out
