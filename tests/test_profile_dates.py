"""Dates in profiles are TOML dates, each stated once; conditions compare them as yyyymmdd numbers."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rulebook import load_profile
from engine.rulebook.loader import RulebookError, find_profile_dir
from engine.rulebook.reference import ReferenceEvaluator
from schemas.rules import date_number
from schemas.values import format_value


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules" / "copy-2012"
    shutil.copytree(find_profile_dir("loudi-2012"), target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_date_numbers_order_like_dates_and_read_back_as_the_date(day: dt.date) -> None:
    later = day + dt.timedelta(days=1) if day < dt.date(2100, 12, 31) else day
    assert (date_number(day) < date_number(later)) == (day < later)
    assert format_value(date_number(day), "self_check_date", "en") == day.isoformat()
    assert format_value(day, "self_check", "zh") == f"{day.year}年{day.month}月{day.day}日"


def test_the_window_ends_at_the_self_check_deadline_stated_once() -> None:
    for name in ("loudi-2012", "national-2018"):
        profile = load_profile(name)
        assert profile.window.end == profile.deadlines["self_check"], name
        assert not any(isinstance(v, int) and 19000101 <= v <= 21001231 for v in profile.params.values())
    loudi = load_profile("loudi-2012")
    assert "self_check_due" not in loudi.params and "plan_due" not in loudi.params
    assert loudi.condition_params["self_check"] == 20121210
    assert loudi.condition_params["grading_to"] == 20120331
    assert loudi.named_value("grading_to") == dt.date(2012, 3, 31)


def test_moving_the_deadline_moves_the_window_and_the_rule(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "profile.toml", "self_check = 2012-12-10", "self_check = 2012-12-05")
    profile = load_profile(folder)
    assert profile.window.end == dt.date(2012, 12, 5)
    statuses = ReferenceEvaluator(profile).statuses({"self_check_date": 20121208})
    assert statuses["PR-07"].value == "failed"


def test_a_parameter_named_like_a_deadline_is_refused(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "profile.toml", "[params]\n", "[params]\nacceptance = 2012-12-20\n")
    with pytest.raises(RulebookError) as info:
        load_profile(folder)
    assert any("name of a deadline" in problem for _, problem in info.value.problems)


def test_a_date_parameter_compares_with_date_facts() -> None:
    profile = load_profile("loudi-2012")
    reference = ReferenceEvaluator(profile)
    assert reference.statuses({"grading_meeting_date": 20120331})["PR-04"].value == "passed"
    assert reference.statuses({"grading_meeting_date": 20120401})["PR-04"].value == "failed"


def test_a_window_naming_no_deadline_is_refused_with_the_names_it_could_use(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "profile.toml", 'end = "self_check"', 'end = "self_chek"')
    with pytest.raises(RulebookError) as info:
        load_profile(folder)
    assert any(
        "window.end 'self_chek' is not a deadline (deadlines: acceptance, plan_due, self_check)" in problem
        for _, problem in info.value.problems
    ), info.value.problems
