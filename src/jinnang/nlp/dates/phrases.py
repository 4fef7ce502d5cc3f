"""Date phrases of a note: found by pattern, resolved (dates/resolve.py), restatements merged
and ranges paired (a trial period's two ends)."""
from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from jinnang.nlp.dates.config import DatesConfig
from jinnang.nlp.dates.resolve import DateMention, nearest_year_anchor, num, resolve, safe_date

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


def find_mentions(text: str, ref: dt.date, warnings: list[str]) -> list[DateMention]:
    found: list[tuple[int, int, str, dict[str, str | None]]] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            found.append((match.start(), match.end(), kind, match.groupdict()))
    # longest phrase wins where phrases overlap (后天 inside 大后天, 3月 inside 2026年3月5日)
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    mentions: list[DateMention] = []
    taken_until = -1
    for start, end, kind, groups in found:
        if start < taken_until:
            continue
        mention = resolve(kind, groups, ref, warnings)
        if mention is None or mention.date is None:
            continue
        mention.start, mention.end, mention.kind = start, end, kind
        mentions.append(mention)
        taken_until = end
    return merge_restatements(text, mentions)


def merge_restatements(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """下周三（4月1日）names one day twice: keep one mention covering both."""
    merged: list[DateMention] = []
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


def mark_ranges(text: str, mentions: list[DateMention], ref: dt.date, config: DatesConfig) -> list[DateMention]:
    out: list[DateMention] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        second: DateMention | None = None
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
                    end_day = safe_date(first.date.year, first.date.month, num(day_end.group("d")))
                    if end_day and end_day >= first.date:
                        second = DateMention(day_end.start("d"), day_end.end(), end_day, is_explicit=True)
        if second is None:
            out.append(first)
            i += 1
            continue
        lookback = text[max(0, first.start - config.trial_lookback):first.start]
        line_end = text.find("\n", second.end)
        lookahead = text[second.end:min(second.end + config.trial_lookahead, line_end if line_end != -1 else len(text))]
        if any(cue in lookback or cue in lookahead for cue in config.trial_range_cues):
            if not first.explicit_year and first.month and first.day:
                anchored = nearest_year_anchor(ref, first.month, first.day)
                if anchored:
                    first.date = anchored
            if not second.explicit_year and second.month and second.day:
                second.date = safe_date(first.date.year, second.month, second.day) or second.date
                if second.date < first.date:
                    second.date = safe_date(first.date.year + 1, second.month, second.day) or second.date
            first.type, second.type = "trial_start", "trial_end"
            first.partner, second.partner = second, first
        else:
            first.partner, second.partner = second, first
        out.extend([first, second])
        i += 2 if pairs_next else 1
    return out


class WrittenDay(NamedTuple):
    start: int
    date: dt.date


# kinds that write a calendar day out: with its year, or as X月Y日
_YEAR_WRITTEN = ("ymd_sep", "ymd_cn")
_MONTH_DAY = ("md_cn",)
# resolution needs some reference day; written_days reads only the written month and day (a leap
# year, so that 2月29日 resolves)
_ANY_DAY = dt.date(2000, 1, 1)


def written_days(text: str) -> list[WrittenDay]:
    """Calendar days written out in a form's text, in order, without a reference date: X月Y日
    takes the year written before it and is skipped while none has been
    ("试用时间：2026年2月24日至3月24日" → 2026-02-24, 2026-03-24)."""
    out: list[WrittenDay] = []
    year: int | None = None
    for mention in find_mentions(text, _ANY_DAY, []):
        if mention.kind in _YEAR_WRITTEN:
            year = mention.date.year
            out.append(WrittenDay(mention.start, mention.date))
        elif mention.kind in _MONTH_DAY and year is not None and mention.month and mention.day:
            day = safe_date(year, mention.month, mention.day)
            if day is not None:
                out.append(WrittenDay(mention.start, day))
    return out
