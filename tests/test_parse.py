"""The cell parsers: what branch secretaries type, and garbage that must fail with a ValueError only."""

from __future__ import annotations

import contextlib
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.validate.form import normalise_branch_id
from engine.validate.parse import (
    ParseError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_tags,
)
from schemas.form_layout import BRANCH_TYPES, MEETING_TYPES

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")

DATE_STYLES = (
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d.year} 年 {d.month} 月 {d.day} 日",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d:%Y-%m-%d}",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f" {d:%Y-%m-%d} ",
)


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(range(len(DATE_STYLES))),
    st.booleans(),
)
def test_any_date_in_any_textual_style_parses_back(day: date, style: int, full_width: bool) -> None:
    text = DATE_STYLES[style](day)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_date(text) == day


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_excel_serials_and_date_objects(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    assert parse_date(serial) == day
    assert parse_date(float(serial) + 0.5) == day  # a time of day does not change the date
    assert parse_date(datetime(day.year, day.month, day.day, 9, 30)) == day
    assert parse_date(day) == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2012-02-30", "2月没有30日"),
        ("2012-13-01", "没有13月"),
        ("2011-02-29", "2月没有29日"),
        ("1800-01-01", "年份"),
    ],
)
def test_impossible_dates_say_why(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text)
    assert reason in caught.value.reason.zh
    assert caught.value.reason.en


@pytest.mark.parametrize("text", ["12/3/15", "2012年03月", "二〇一二年三月十五日", "abc", "", "2012-3", "-5"])
def test_ambiguous_or_garbled_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


@given(
    st.dates(date(1990, 1, 1), date(2100, 12, 31)),
    st.sampled_from(["{y}-{m}", "{y}/{m}", "{y}.{m}", "{y}年{m}月", "{y} 年 {m} 月"]),
)
def test_a_date_without_its_day_says_the_day_is_missing(day: date, style: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(style.format(y=day.year, m=day.month))
    assert "缺少日" in caught.value.reason.zh and "day is missing" in caught.value.reason.en


@given(st.dates(date(1990, 1, 1), date(2100, 12, 31)), st.sampled_from(["{m}月{d}日", "{m}-{d}", "{m}/{d}"]))
def test_a_date_without_its_year_says_the_year_is_missing(day: date, style: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(style.format(m=day.month, d=day.day))
    assert "缺少年份" in caught.value.reason.zh and "year is missing" in caught.value.reason.en


@pytest.mark.parametrize("text", ["12/3/15", "12-03-15", "12年3月15日"])
def test_a_two_digit_year_asks_for_four(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text)
    assert "四位年份" in caught.value.reason.zh


def test_excel_1900_leap_bug() -> None:
    assert parse_date(59) == date(1900, 2, 28)
    assert parse_date(61) == date(1900, 3, 1)
    with pytest.raises(ParseError):
        parse_date(60)
    with pytest.raises(ParseError):
        parse_date(True)


@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["{}", "{}次", " {} ", "{}人", "{}学时", "{}.0"]),
    st.booleans(),
)
def test_any_count_written_as_users_write_it_parses_back(number: int, style: str, full_width: bool) -> None:
    text = style.format(number)
    if full_width:
        text = text.translate(FULL_WIDTH)
    assert parse_int(text) == number
    assert parse_number(text) == float(number)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5小时", 12.5),
        ("8h", 8.0),
        ("1,234", 1234.0),
        ("１２", 12.0),
        (12, 12.0),
        (3.25, 3.25),
        ("100元", 100.0),
    ],
)
def test_numbers(value: object, expected: float) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    "value", ["abc", "十二", "约10", "", True, False, float("nan"), "1e5", "12 13", None]
)
def test_not_numbers(value: object) -> None:
    with pytest.raises(ValueError):
        parse_number(value)


def test_int_refuses_fractions() -> None:
    with pytest.raises(ParseError):
        parse_int("12.5")
    assert parse_int(-3) == -3  # the sign is the validator's business (IN-10), not a parse error


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.booleans(), st.none(), st.dates()))
def test_garbage_only_ever_raises_value_error(value: object) -> None:
    for parser in (parse_date, parse_number, parse_int, parse_bool, lambda v: parse_choice(v, MEETING_TYPES)):
        with contextlib.suppress(ValueError):
            parser(value)
    assert isinstance(parse_tags(value), tuple)


@pytest.mark.parametrize("text", ["是", "Y", "yes", "TRUE", "√", "✓", "1", "有", 1, 1.0, True, " 是 "])
def test_bool_true(text: object) -> None:
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["否", "N", "no", "false", "×", "0", "无", 0, 0.0, False])
def test_bool_false(text: object) -> None:
    assert parse_bool(text) is False


@pytest.mark.parametrize("text", ["也许", "2", 2, "", "x"])
def test_bool_refused(text: object) -> None:
    with pytest.raises(ParseError):
        parse_bool(text)


@pytest.mark.parametrize(
    ("value", "choices", "expected"),
    [
        ("教工", BRANCH_TYPES, "教工"),
        (" 教 工 ", BRANCH_TYPES, "教工"),
        ("教工支部", BRANCH_TYPES, "教工"),
        ("离退休党支部", BRANCH_TYPES, "离退休"),
        ("党员大会", MEETING_TYPES, "支部党员大会"),
        ("党小组", MEETING_TYPES, "党小组会"),
    ],
)
def test_choices(value: str, choices: tuple[str, ...], expected: str) -> None:
    assert parse_choice(value, choices) == expected


@pytest.mark.parametrize(
    ("value", "choices"), [("学习", MEETING_TYPES), ("教", BRANCH_TYPES), ("科研", BRANCH_TYPES)]
)
def test_choices_refuse_unknown_or_ambiguous(value: str, choices: tuple[str, ...]) -> None:
    with pytest.raises(ParseError):
        parse_choice(value, choices)


def test_tags() -> None:
    assert parse_tags("思想政治、理想信念，法律法规;思想政治 / 党史") == (
        "思想政治",
        "理想信念",
        "法律法规",
        "党史",
    )
    assert parse_tags("") == ()


@given(
    st.from_regex(r"[A-Z]{2}-[0-9]{2}", fullmatch=True),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["-", "－", "—", "–"]),
    st.sampled_from(["", " ", "  ", "\u3000"]),
)
def test_branch_ids_typed_any_way_read_as_issued(
    issued: str, lower: bool, full_width: bool, dash: str, pad: str
) -> None:
    typed = issued.lower() if lower else issued
    typed = typed.replace("-", dash)
    if full_width:
        typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in typed)
    assert normalise_branch_id(pad + typed + pad) == issued
