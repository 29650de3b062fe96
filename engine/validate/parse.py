"""Typed parsing of what branch secretaries actually type into cells. Public, pure, no I/O.

Every parser takes the raw cell value (``str``, ``float``, ``int``, ``bool``, ``date`` … as calamine
returns it) and either returns the typed value or raises ``ParseError`` (a ``ValueError``) whose
``reason`` says, in Chinese and English, what is wrong, so the message can be shown to the branch.

Text is first normalised with NFKC, which turns full-width digits and punctuation (``２０１２／３／１５``,
``１２人``, ``，``) into their ASCII forms; that one step covers most of what WPS and Chinese IMEs produce.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache

from schemas.common import Text

__all__ = [
    "ParseError",
    "clean_text",
    "display_value",
    "is_blank",
    "normalise_label",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_int",
    "parse_number",
    "parse_tags",
]


class ParseError(ValueError):
    """A value that cannot be read as the expected kind; ``reason`` is bilingual for the user."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason = Text(zh=zh, en=en)


# ---------------------------------------------------------------- text helpers

_WHITESPACE = re.compile(r"\s+")
_LABEL_MARKS = "*:"  # after NFKC, ＊ and ： are already * and :


def normalise_label(text: object) -> str:
    """Key for comparing labels and headers: NFKC, no whitespace at all, no leading/trailing ``*`` or ``:``.

    Template labels carry a ``*`` for required fields and users add colons or line breaks inside a
    header cell; none of that should change which field a cell names.
    """
    if text is None:
        return ""
    # Only exact ``str`` is cached: 1, 1.0 and True hash alike but print differently.
    if type(text) is str:
        return _normalise_str(text)
    return _normalise(str(text))


def _normalise(text: str) -> str:
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text)).strip(_LABEL_MARKS)


# The same labels, headers and dropdown values come back in every row of every workbook.
_normalise_str = lru_cache(maxsize=16384)(_normalise)


def is_blank(value: object) -> bool:
    """True for an empty cell: None, '' or only whitespace (calamine returns '' for empty cells)."""
    if value is None:
        return True
    return isinstance(value, str) and not value.strip()


def display_value(value: object) -> str:
    """The value as the user would read it in the cell, for messages and ``Evidence.value``.

    calamine returns every number as a float, so a typed ``12`` arrives as ``12.0``; show it as ``12``.
    """
    # the two commonest cells first: text, and dates (exactly ``date``: a datetime may show its time)
    if type(value) is str:
        return value
    if type(value) is date:
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def clean_text(value: object) -> str:
    """A free-text cell as a clean string: NFKC-normalised, outer whitespace stripped."""
    return unicodedata.normalize("NFKC", display_value(value)).strip()


# ---------------------------------------------------------------- numbers

# Unit words people append to counts and hours. Longest first so "学时" is removed before "时".
_UNITS = ("人次", "学时", "小时", "课时", "年度", "次", "人", "名", "个", "元", "天", "年", "场", "h", "H")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")
# No count of people, meetings or hours and no amount of yuan on the form comes near a trillion: a
# number that large is a typo (or a date pasted as a serial of digits), refused here where its cell is
# known, not later when a fact built from it is too large to compare (the evaluators stop at 1e15).
MAX_NUMBER = 1e12
_TOO_LARGE = (
    "数值过大，超出合理范围（应小于一万亿）",
    "the number is far too large (it must be below 10^12)",
)


def parse_number(value: object) -> float:
    """A number typed as a number or as text: ``12``, ``" 12 "``, ``"１２"``, ``"12.0"``, ``"12次"``,
    ``"8学时"``, ``"1,234"``. Booleans, words (``"十二"``, ``"约10"``), NaN and infinities are refused."""
    if isinstance(value, bool):
        raise ParseError("是/否值不是数字", "a yes/no value is not a number")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number):
            raise ParseError("不是有限的数字", "not a finite number")
        if abs(number) >= MAX_NUMBER:
            raise ParseError(*_TOO_LARGE)
        return number
    if not isinstance(value, str):
        raise ParseError("单元格内容不是数字", "the cell does not hold a number")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise ParseError("内容为空", "the cell is empty")
    text = _THOUSANDS.sub("", text)
    for unit in _UNITS:
        if text.endswith(unit) and len(text) > len(unit):
            text = text[: -len(unit)].rstrip()  # "12 次" as well as "12次"; but "12 13" stays refused
            break
    if not _NUMBER.fullmatch(text):
        raise ParseError("含有数字以外的文字", "it contains something other than digits")
    number = float(text)
    if abs(number) >= MAX_NUMBER:
        raise ParseError(*_TOO_LARGE)
    return number


def parse_int(value: object) -> int:
    """A whole number (counts of people, meetings, votes): like ``parse_number`` but ``12.5`` is refused."""
    number = parse_number(value)
    if not number.is_integer():
        raise ParseError("应为整数", "a whole number is expected")
    return int(number)


# ---------------------------------------------------------------- dates

# Excel's 1900 date system: serial 1 is 1900-01-01, and Excel counts a 1900-02-29 that never existed
# (serial 60), so from serial 61 on the epoch is 1899-12-30.
_EXCEL_EPOCH = date(1899, 12, 30)
_MIN_YEAR, _MAX_YEAR = 1900, 2100
_MAX_SERIAL = (date(_MAX_YEAR, 12, 31) - _EXCEL_EPOCH).days

_DATE_TEXT = re.compile(
    r"(?P<y>\d{4})\s*[年/.\-]\s*(?P<m>\d{1,2})\s*[月/.\-]\s*(?P<d>\d{1,2})\s*[日号]?"
    r"(?:\s*(?:T|\s)\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"  # a time part left by str(datetime)
)
_DATE_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.0+)?")
# Dates people write with a part left out, each refused with a message that names the missing part.
_YEAR_MONTH = re.compile(r"\d{4}\s*(?:年\s*\d{1,2}\s*月?|[/.\-]\s*\d{1,2})")
_MONTH_DAY = re.compile(r"\d{1,2}\s*(?:月\s*\d{1,2}\s*[日号]?|[/.\-]\s*\d{1,2})")
_SHORT_YEAR = re.compile(
    r"\d{2}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,2})"
)


def _from_serial(serial: float) -> date:
    # a fractional part is the time of day: 2100-12-31 at noon is still a plausible date
    if not math.isfinite(serial) or serial < 1 or serial >= _MAX_SERIAL + 1:
        raise ParseError(
            f"数字 {display_value(serial)} 不是合理的 Excel 日期序号",
            f"the number {display_value(serial)} is not a plausible Excel date serial",
        )
    days = int(serial)
    if days == 60:
        raise ParseError("1900年2月29日不存在", "29 February 1900 does not exist")
    if days < 60:
        return date(1899, 12, 31) + timedelta(days=days)
    return _EXCEL_EPOCH + timedelta(days=days)


def _checked_date(year: int, month: int, day: int) -> date:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ParseError(f"年份 {year} 不合理", f"the year {year} is not plausible")
    if not 1 <= month <= 12:
        raise ParseError(f"没有{month}月", f"there is no month {month}")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ParseError(f"{month}月没有{day}日", f"{calendar.month_name[month]} {year} has no day {day}")
    return date(year, month, day)


def parse_date(value: object) -> date:
    """A date typed as a date cell, an Excel serial number, or text.

    Accepted text (half- or full-width digits): ``2012-03-15``, ``2012/3/15``, ``2012.3.15``,
    ``2012年3月15日``, ``2012 年 3 月 15 日``, ``20120315``, a 5-digit serial. Two-digit years
    (``12/3/15``), month-only dates and Chinese numerals are refused rather than guessed.
    """
    if isinstance(value, bool):
        raise ParseError("是/否值不是日期", "a yes/no value is not a date")
    if isinstance(value, datetime):
        return _checked_date(value.year, value.month, value.day)
    if isinstance(value, date):
        return _checked_date(value.year, value.month, value.day)
    if isinstance(value, int | float):
        return _from_serial(float(value))
    if not isinstance(value, str):
        raise ParseError("单元格内容不是日期", "the cell does not hold a date")
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        raise ParseError("内容为空", "the cell is empty")
    match = _DATE_TEXT.fullmatch(text) or _DATE_COMPACT.fullmatch(text)
    if match:
        return _checked_date(int(match["y"]), int(match["m"]), int(match["d"]))
    if _SERIAL_TEXT.fullmatch(text):
        return _from_serial(float(text))
    if _YEAR_MONTH.fullmatch(text):
        raise ParseError(
            "缺少日：只写了年和月，请补上日期中的“日”",
            "the day is missing: only the year and month are given",
        )
    if _SHORT_YEAR.fullmatch(text):
        raise ParseError("年份只有两位，请写全四位年份", "the year has only two digits: write all four")
    if _MONTH_DAY.fullmatch(text):
        raise ParseError(
            "缺少年份：只写了月和日，请补上四位年份", "the year is missing: only the month and day are given"
        )
    raise ParseError("无法识别的日期格式", "unrecognised date format")


# ---------------------------------------------------------------- yes / no, choices, tags

_TRUE = frozenset({"是", "有", "对", "已", "y", "yes", "true", "t", "1", "√", "✓", "✔", "☑"})
_FALSE = frozenset({"否", "无", "没有", "错", "未", "n", "no", "false", "f", "0", "×", "✗", "✘", "☐"})


def parse_bool(value: object) -> bool:
    """Yes/no: 是/否, 有/无, Y/N, yes/no, true/false, 1/0, √/×, ✓/✗ (case-insensitive), or a bool cell."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
        raise ParseError("应填写“是”或“否”", "“是” (yes) or “否” (no) is expected")
    if not isinstance(value, str):
        raise ParseError("应填写“是”或“否”", "“是” (yes) or “否” (no) is expected")
    key = normalise_label(value).casefold()
    if key.endswith(".0") and key[:-2] in ("0", "1"):
        key = key[:-2]
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ParseError("应填写“是”或“否”", "“是” (yes) or “否” (no) is expected")


def parse_choice(value: object, choices: tuple[str, ...] | list[str]) -> str:
    """One of ``choices``, returned in its canonical spelling.

    Matching ignores width and whitespace (NFKC, no spaces). When there is no exact match, a value that
    begins or ends with exactly one choice, or that exactly one choice begins or ends with, is accepted:
    ``教工支部`` → ``教工``, ``党员大会`` → ``支部党员大会``, ``党小组`` → ``党小组会``. Both sides must be
    at least two characters and the match must be unique, so ``学习`` (``学习日`` or ``集中学习``?) and
    one-character values are refused rather than guessed.
    """
    key = normalise_label(display_value(value))
    if not key:
        raise ParseError("内容为空", "the cell is empty")
    normalised = _choice_keys(choices) if type(choices) is tuple else _choice_keys.__wrapped__(choices)
    if key in normalised:
        return normalised[key]
    candidates = {
        choice
        for norm, choice in normalised.items()
        if min(len(norm), len(key)) >= 2
        and (key.startswith(norm) or key.endswith(norm) or norm.startswith(key) or norm.endswith(key))
    }
    if len(candidates) == 1:
        return candidates.pop()
    if candidates:
        listed = "、".join(sorted(candidates, key=list(choices).index))
        raise ParseError(f"可能是 {listed} 中的任一项，无法确定", f"could be any of {listed}; ambiguous")
    raise ParseError("不是可选值", "not an allowed choice")


@lru_cache(maxsize=256)
def _choice_keys(choices: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Normalised spelling → canonical choice (cached per tuple of choices; callers must not mutate it)."""
    return {normalise_label(choice): choice for choice in choices}


_TAG_SEPARATORS = re.compile(r"[、,;/|\s]+")  # after NFKC, ，；／｜ are already , ; / |


def parse_tags(value: object) -> tuple[str, ...]:
    """Topic tags written in one cell: split on 、，,;；/ and spaces; empty parts and repeats dropped."""
    text = unicodedata.normalize("NFKC", display_value(value))
    tags: list[str] = []
    for part in _TAG_SEPARATORS.split(text):
        if part and part not in tags:
            tags.append(part)
    return tuple(tags)
