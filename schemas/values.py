"""Values as people read them: the one way facts, parameters and rule values are shown in messages,
explanations and rule listings (dates as dates, rates and shares as percentages, 是/否)."""

from __future__ import annotations

from datetime import date

from schemas.common import Lang

__all__ = ["format_value", "number_text"]


def number_text(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{round(v, 4):g}"


def format_value(value: object, name: str = "", lang: Lang = "zh") -> str:
    """A fact or parameter value as a person reads it: dates as dates (a date fact, named ``*_date``, is a
    yyyymmdd number the engines compare), rates and shares (names ending in ``rate`` or ``share``) as
    percentages."""
    if value is None:
        return "无" if lang == "zh" else "none"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int) and name.endswith("_date") and 19000101 <= value <= 21001231:
        value = date(value // 10000, value // 100 % 100, value % 100)
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else value.isoformat()
    if isinstance(value, int | float):
        if name.endswith(("rate", "share")) and 0 <= value <= 1:
            return number_text(round(value * 100, 2)) + "%"
        return number_text(value)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(format_value(v, name, lang) for v in value)
    return str(value)
