"""Period keys and windows: months ``2012-04``, quarters ``2012Q2``, halves ``2012H1``.

Keys are plain strings so a rule message can name the periods that fall short without knowing dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from schemas.rules import Window


def month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def quarter_key(year: int, quarter: int) -> str:
    return f"{year:04d}Q{quarter}"


def half_key(year: int, half: int) -> str:
    return f"{year:04d}H{half}"


def half_of(d: dt.date) -> int:
    return 1 if d.month <= 6 else 2


def in_window(d: dt.date, window: Window) -> bool:
    return window.start <= d <= window.end


def window_months(window: Window, exclude: Iterable[int | str] = ()) -> list[tuple[int, int]]:
    """Every (year, month) the window touches, oldest first, without the excluded ones.

    A month only partly inside the window still counts (2012-04-01..2012-12-10 gives April–December):
    the profile chose the self-check date as the end, and December's first ten days are part of the plan.
    ``exclude`` holds vacation months as month numbers (7) or keys ("2012-07"), so a profile can exempt
    July of every year or one particular July.
    """
    excluded_numbers = {e for e in exclude if isinstance(e, int)}
    excluded_keys = {e for e in exclude if isinstance(e, str)}
    out: list[tuple[int, int]] = []
    y, m = window.start.year, window.start.month
    while (y, m) <= (window.end.year, window.end.month):
        if m not in excluded_numbers and f"{y:04d}-{m:02d}" not in excluded_keys:
            out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def anchor_day(year: int, month: int, day: int) -> dt.date:
    """Day ``day`` of the month, clamped to the month's last day (a study day of 31 in April is the 30th)."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, max(1, min(day, last)))
