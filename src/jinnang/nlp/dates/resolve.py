"""Date phrases resolved to calendar days (shared/spec/gold-format.md §1): against the note's
reference date, weeks starting on Monday; a phrase that names no day resolves to None."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import cn2an

from jinnang.core.records import KeyDateType
from jinnang.core.workdays import add_workdays

# A yearless day this many days before the note is a past day, not next year's.
RECENT_PAST_DAYS = 180
MONTHS_EN = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                          "Nov", "Dec"), start=1)}
WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
            "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6,
            "mon": 0, "tues": 1, "wednes": 2, "thurs": 3, "fri": 4, "satur": 5, "sun": 6}


@dataclass
class DateMention:
    start: int
    end: int
    date: dt.date
    explicit_year: bool = True      # a yearless X月Y日 may be re-anchored inside a trial range
    month: int | None = None
    day: int | None = None
    is_explicit: bool = False       # written as a calendar day (may start or end a range)
    type: KeyDateType | None = None
    kind: str = ""
    partner: "DateMention | None" = field(default=None, repr=False, compare=False)  # the other end of a range


# a year written digit by digit (二〇二六), not as a number (两千零二十六)
_CN_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")


def num(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return int(cn2an.cn2an(text.replace("廿", "二十").replace("卅", "三十").replace("〇", "零"), "smart"))


def safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _next_on_or_after(ref: dt.date, m: int, d: int) -> dt.date | None:
    for year in (ref.year, ref.year + 1):
        day = safe_date(year, m, d)
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


def _on(day: dt.date | None) -> DateMention | None:
    return DateMention(0, 0, day) if day else None


def resolve(kind: str, groups: dict[str, str | None], ref: dt.date, warnings: list[str]) -> DateMention | None:
    """The day a matched phrase names, or None when it names none."""
    g = {name: value for name, value in groups.items() if value is not None}  # the groups the phrase filled
    year_of = {"今年": 0, "明年": 1, "去年": -1, "今": 0, "本": 0, "明": 1, "去": -1}
    try:
        if kind in ("ymd_sep", "ymd_cn"):
            day = safe_date(int(g["y"].translate(_CN_DIGITS)), num(g["m"]), num(g["d"]))
            return DateMention(0, 0, day, is_explicit=True) if day else None
        if kind in ("md_cn", "md_slash", "md_dot", "md_en"):
            m, d = (MONTHS_EN[g["mon"][:3]] if kind == "md_en" else num(g["m"])), num(g["d"])
            if g.get("yrel"):
                day = safe_date(ref.year + year_of[g["yrel"]], m, d)
                return DateMention(0, 0, day, month=m, day=d, is_explicit=True) if day else None
            day = _next_on_or_after(ref, m, d)
            this_year = safe_date(ref.year, m, d)
            if day and this_year and this_year < ref and (ref - this_year).days <= RECENT_PAST_DAYS:
                day = this_year  # 3月8日 written on 3月10日 is the past week, not next year
            return DateMention(0, 0, day, explicit_year=False, month=m, day=d, is_explicit=True) if day else None
        if kind == "rel_month_day":
            shift = 2 if g["mrel"].startswith("下下") else 1 if g["mrel"].startswith("下") else 0
            y, m = _add_months(ref, shift)
            day = safe_date(y, m, num(g["d"]))
            return _on(day)
        if kind == "month_part":
            m = num(g["m"])
            if g.get("y"):
                day = _part_day(int(g["y"]), m, g["part"])
            elif g.get("yrel"):
                day = _part_day(ref.year + year_of[g["yrel"]], m, g["part"])
            else:
                day = _part_day(ref.year, m, g["part"])
                if day and day < ref and (ref - day).days > RECENT_PAST_DAYS:
                    day = _part_day(ref.year + 1, m, g["part"])  # 8月底已通过 on 10月9日 is past
            return _on(day)
        if kind == "rel_month_part":
            rel = g["mrel"]
            shift = 2 if rel.startswith("下下") else 1 if rel.startswith("下") else -1 if rel.startswith("上") else 0
            y, m = _add_months(ref, shift)
            return _on(_part_day(y, m, g["part"]))
        if kind == "bare_month_part":
            return _on(_part_day(ref.year, ref.month, g["part"]))
        if kind == "year_end":
            year = int(g["y"]) if g.get("y") else ref.year + year_of.get(g.get("yrel") or "今", 0)
            return DateMention(0, 0, dt.date(year, 12, 31))
        if kind == "weekday":
            rel = g["wrel"].lower()
            weeks = 2 if rel.startswith("下下") else 1 if rel.startswith(("下", "next")) else 0
            monday = ref - dt.timedelta(days=ref.weekday())
            return DateMention(0, 0, monday + dt.timedelta(weeks=weeks, days=WEEKDAYS[g["wd"].lower()]))
        if kind == "weekday_next":
            ahead = (WEEKDAYS[g["wd"].lower()] - ref.weekday()) % 7
            return DateMention(0, 0, ref + dt.timedelta(days=ahead))
        if kind == "rel_day":
            days_on = {"明天": 1, "明日": 1, "后天": 2, "大后天": 3, "今天": 0, "今日": 0, "昨天": -1, "前天": -2}
            return DateMention(0, 0, ref + dt.timedelta(days=days_on[g["rel"]]))
        if kind == "past_weekday":
            weeks = 2 if g["wrel"].startswith("上上") else 1
            monday = ref - dt.timedelta(days=ref.weekday())
            return DateMention(0, 0, monday - dt.timedelta(weeks=weeks) + dt.timedelta(days=WEEKDAYS[g["wd"]]))
        if kind == "n_days":
            return DateMention(0, 0, ref + dt.timedelta(days=num(g["n"])))
        if kind == "n_weeks":
            return DateMention(0, 0, ref + dt.timedelta(weeks=num(g["n"])))
        if kind == "n_workdays":
            return DateMention(0, 0, add_workdays(ref, num(g["n"]), warnings))
    except (ValueError, KeyError, TypeError, OverflowError):
        return None
    return None


def nearest_year_anchor(ref: dt.date, m: int, d: int) -> dt.date | None:
    """A yearless trial start: the year that puts it nearest the note's date (trials may be past)."""
    options = [day for y in (ref.year - 1, ref.year, ref.year + 1) if (day := safe_date(y, m, d))]
    return min(options, key=lambda day: abs((day - ref).days)) if options else None

