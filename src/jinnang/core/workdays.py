"""Working-day arithmetic over the mainland-China holiday calendar (chinese_calendar).

The library knows each year only once the State Council has published it; for a year it
does not know we fall back to weekends only and say so, rather than fail.
"""
from __future__ import annotations

import datetime as dt

import chinese_calendar


def is_workday(day: dt.date, warnings: list[str] | None = None) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        message = (f"no holiday calendar for {day.year}: working days counted as Monday–Friday only "
                   f"(update chinesecalendar)")
        if warnings is not None and message not in warnings:
            warnings.append(message)
        return day.weekday() < 5


def add_workdays(start: dt.date, n: int, warnings: list[str] | None = None) -> dt.date:
    """The day `n` working days after `start` (start itself not counted)."""
    day = start
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_workday(day, warnings):
            counted += 1
    return day
