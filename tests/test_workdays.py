"""Working days by China's official calendar and by Monday–Friday (schemas/workdays.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rulebook.loader import read_profile_data
from schemas.workdays import (
    WorkCalendar,
    add_workdays,
    count_workdays,
    covered_years,
    is_workday,
    next_workday,
    uncovered_years,
)

CN, WEEKDAYS = WorkCalendar.CN, WorkCalendar.WEEKDAYS
D = dt.date


def test_national_day_week_of_2012() -> None:
    # 09-30 (Mid-Autumn) to 10-07 off, Saturday 09-29 a make-up working day.
    for day in range(1, 8):
        assert not is_workday(D(2012, 10, day), CN)
    assert not is_workday(D(2012, 9, 30), CN)
    assert is_workday(D(2012, 9, 29), CN) and D(2012, 9, 29).weekday() == 5
    assert is_workday(D(2012, 10, 8), CN)
    # A notice posted Monday 09-24 and taken down Friday 10-12: 15 weekdays, 11 working days.
    assert count_workdays(D(2012, 9, 24), D(2012, 10, 12), WEEKDAYS) == 15
    assert count_workdays(D(2012, 9, 24), D(2012, 10, 12), CN) == 11
    assert add_workdays(D(2012, 9, 28), 5, CN) == D(2012, 10, 11)  # 09-29, 10-08, 09, 10, 11
    assert add_workdays(D(2012, 9, 28), 5, WEEKDAYS) == D(2012, 10, 5)
    assert add_workdays(D(2012, 10, 8), -1, CN) == D(2012, 9, 29)
    assert next_workday(D(2012, 10, 1), CN) == D(2012, 10, 8)
    assert next_workday(D(2012, 10, 1), WEEKDAYS) == D(2012, 10, 1)


def test_weekdays_calendar() -> None:
    mon, fri, sat, sun = D(2012, 11, 5), D(2012, 11, 9), D(2012, 11, 10), D(2012, 11, 11)
    assert [d.weekday() for d in (mon, fri, sat, sun)] == [0, 4, 5, 6]
    assert count_workdays(mon, fri, WEEKDAYS) == 5
    assert count_workdays(fri, D(2012, 11, 12), WEEKDAYS) == 2  # across a weekend: Friday and Monday
    assert count_workdays(sat, sun, WEEKDAYS) == 0
    assert count_workdays(D(2012, 11, 8), D(2012, 11, 14), WEEKDAYS) == 5  # Thursday to Wednesday
    assert count_workdays(mon, mon + dt.timedelta(days=27), WEEKDAYS) == 20
    assert count_workdays(fri, mon, WEEKDAYS) == 0  # ends before it starts
    assert next_workday(sat, WEEKDAYS) == D(2012, 11, 12)


def test_coverage_and_fallback() -> None:
    years = covered_years(CN)
    assert 2012 in years and 2019 in years
    after = years.stop  # the first year the installed data does not know
    assert uncovered_years([D(2012, 10, 1), D(after, 1, 2), D(after, 3, 4)], CN) == (after,)
    assert uncovered_years([D(after, 1, 2)], WEEKDAYS) == ()
    # Outside the data, China's calendar counts Monday–Friday.
    start = D(after, 9, 1)
    assert count_workdays(start, start + dt.timedelta(days=60), CN) == count_workdays(
        start, start + dt.timedelta(days=60), WEEKDAYS
    )


def test_the_profile_names_its_calendar() -> None:
    """Each profile states its calendar, in its profile.toml or its base's (engine/rulebook/loader.py)."""
    rules = Path(__file__).resolve().parents[1] / "rules"
    for toml in sorted(rules.glob("*/profile.toml")):
        _, data = read_profile_data(toml.parent, [])
        assert data is not None and data["calendar"] in {c.value for c in WorkCalendar}, toml


days = st.dates(min_value=D(2005, 1, 1), max_value=D(2030, 12, 31))
calendars = st.sampled_from(list(WorkCalendar))


@given(days, st.integers(min_value=-40, max_value=40), calendars)
def test_add_then_count(start: dt.date, n: int, calendar: WorkCalendar) -> None:
    end = add_workdays(start, n, calendar)
    if n > 0:
        assert is_workday(end, calendar)
        assert count_workdays(start + dt.timedelta(days=1), end, calendar) == n
    elif n < 0:
        assert is_workday(end, calendar)
        assert count_workdays(end, start - dt.timedelta(days=1), calendar) == -n
    else:
        assert end == start


@given(days, st.integers(min_value=0, max_value=400), calendars)
def test_count_is_the_days_one_by_one(start: dt.date, span: int, calendar: WorkCalendar) -> None:
    end = start + dt.timedelta(days=span)
    by_hand = sum(is_workday(start + dt.timedelta(days=i), calendar) for i in range(span + 1))
    assert count_workdays(start, end, calendar) == by_hand
    assert count_workdays(start, end, CN) <= span + 1


@pytest.mark.parametrize("calendar", list(WorkCalendar))
def test_next_workday_is_on_or_after(calendar: WorkCalendar) -> None:
    for offset in range(400):
        day = D(2012, 1, 1) + dt.timedelta(days=offset)
        moved = next_workday(day, calendar)
        assert moved >= day and is_workday(moved, calendar)
        assert all(not is_workday(day + dt.timedelta(days=i), calendar) for i in range((moved - day).days))
