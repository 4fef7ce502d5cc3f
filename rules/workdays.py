"""Mainland-China working days (chinese_calendar), weekends-only where the calendar has no data."""
from __future__ import annotations

import datetime as dt

import chinese_calendar


def is_workday(day: dt.date) -> tuple[bool, str | None]:
    """(is a working day, warning). Years chinese_calendar does not know fall back to Mon–Fri."""
    try:
        return chinese_calendar.is_workday(day), None
    except NotImplementedError:
        return day.weekday() < 5, (f"{day.year} 年的法定节假日安排未知，按周一至周五计算工作日"
                                   f"（no holiday data for {day.year}: weekends only)")


def add_workdays(start: dt.date, days: int) -> tuple[dt.date, list[str]]:
    """The date `days` working days after `start`, and any fallback warnings.

    >>> add_workdays(dt.date(2026, 4, 16), 7)[0]   # crosses 清明? no: 4/17, 4/20 … 4/27
    datetime.date(2026, 4, 27)
    """
    warnings: list[str] = []
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        ok, warning = is_workday(day)
        if warning and warning not in warnings:
            warnings.append(warning)
        if ok:
            counted += 1
    return day, warnings
