"""Working days by a profile's calendar: China's official one, or plain Monday–Friday.

A profile names its calendar (``calendar = "cn"`` in profile.toml). ``cn`` is China's official working
calendar as the State Council publishes it each year: public holidays are rest days even on a weekday,
and 调休 make-up days are working days even on a weekend (2012: 09-30…10-07 off, Saturday 09-29 worked).
Its data comes from the maintained ``chinese-calendar`` package, which covers the years published when
the installed release was made (``covered_years``). A day outside them falls back to Monday–Friday:
``uncovered_years`` tells the caller which of its days did, so it can warn the user (the facts stage
reports input problem IN-38). ``weekdays`` is Monday–Friday for every year.

Every helper takes the calendar last and counts both ends of a span (a notice posted Monday and taken down
Friday ran five working days).

    from schemas.workdays import WorkCalendar, add_workdays, count_workdays, is_workday
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum
from functools import cache, lru_cache

import chinese_calendar

__all__ = [
    "WorkCalendar",
    "add_workdays",
    "count_workdays",
    "covered_years",
    "is_workday",
    "next_workday",
    "uncovered_years",
]


class WorkCalendar(StrEnum):
    """The working calendar a profile names."""

    CN = "cn"  # China's official calendar: public holidays off, 调休 make-up days worked
    WEEKDAYS = "weekdays"  # Monday–Friday, every week of every year


@cache
def covered_years(calendar: WorkCalendar) -> range:
    """The years whose working days ``calendar`` knows (every year for ``weekdays``)."""
    if calendar is WorkCalendar.WEEKDAYS:
        return range(dt.MINYEAR, dt.MAXYEAR + 1)
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def uncovered_years(days: Iterable[dt.date], calendar: WorkCalendar) -> tuple[int, ...]:
    """The years among ``days`` that ``calendar`` does not cover, sorted: there it counted Monday–Friday."""
    known = covered_years(calendar)
    return tuple(sorted({d.year for d in days if d.year not in known}))


@lru_cache(maxsize=8192)  # a batch asks about the same few hundred days of one year, branch after branch
def is_workday(day: dt.date, calendar: WorkCalendar) -> bool:
    """Whether ``day`` is a working day; Monday–Friday in a year the calendar does not cover."""
    if calendar is WorkCalendar.CN and day.year in covered_years(calendar):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def count_workdays(start: dt.date, end: dt.date, calendar: WorkCalendar) -> int:
    """Working days from ``start`` to ``end``, both included; 0 when ``end`` is before ``start``."""
    if end < start:
        return 0
    if calendar is WorkCalendar.WEEKDAYS:  # closed form: whole weeks, then the remaining days
        weeks, rest = divmod((end - start).days + 1, 7)
        first = start.weekday()
        return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)
    span = (end - start).days + 1
    return sum(1 for i in range(span) if is_workday(start + dt.timedelta(days=i), calendar))


def add_workdays(start: dt.date, n: int, calendar: WorkCalendar) -> dt.date:
    """The ``n``-th working day after ``start`` (before it for a negative ``n``); ``start`` itself for 0.

    ``start`` is not counted: under ``cn``, 5 working days after Friday 2012-09-28 is Thursday 10-11
    (Saturday 09-29 is a make-up working day, 09-30…10-07 the Mid-Autumn and National Day holiday).
    """
    step = dt.timedelta(days=1 if n >= 0 else -1)
    day, left = start, abs(n)
    while left:
        day += step
        if is_workday(day, calendar):
            left -= 1
    return day


def next_workday(day: dt.date, calendar: WorkCalendar) -> dt.date:
    """``day`` when it is a working day, else the first working day after it (a date moved off a rest day)."""
    while not is_workday(day, calendar):
        day += dt.timedelta(days=1)
    return day
