"""Typed access to ``profile.params`` for the facts stage.

Required parameters (``number``, ``integer`` …) raise when absent. The ``optional_*`` readers return None
when a profile does not carry the parameter: the facts that need it are then ``None`` (*not evidenced*)
instead of the stage failing, so a profile (national-2018) runs without the loudi-only parameters its rules
never use. A parameter that is present but of the wrong type always raises, naming itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from schemas.facts import FACT_PARAMS
from schemas.rules import ParamValue, date_number


def int_of_date(d: dt.date | None) -> int | None:
    """date(2012, 11, 8) -> 20121108 (the form dates take in facts, compared with date parameters the
    same way by the rules); None stays None."""
    return None if d is None else date_number(d)


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class Params:
    """Typed access to ``profile.params``; a missing or mistyped parameter names itself in the error.

    Only parameters declared in ``schemas.facts.FACT_PARAMS`` can be read (``rules lint`` counts them as
    used); reading another is a programming error and raises ``KeyError``.
    """

    def __init__(self, raw: Mapping[str, ParamValue]) -> None:
        self._raw = raw

    def _get(self, name: str, default: ParamValue = None) -> ParamValue:
        if name not in FACT_PARAMS:
            raise KeyError(f"parameter {name!r} is read by the facts stage but not declared in FACT_PARAMS")
        return self._raw.get(name, default)

    def has(self, name: str) -> bool:
        return self._get(name) is not None

    def number(self, name: str, default: float | None = None) -> float:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"profile parameter {name!r} must be a number, got {value!r}")
        return float(value)

    def integer(self, name: str, default: int | None = None) -> int:
        return int(self.number(name, default))

    def ints(self, name: str, default: Sequence[int] | None = None) -> list[int]:
        value = self._get(name, list(default) if default is not None else None)
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            raise ValueError(f"profile parameter {name!r} must be a list of whole numbers, got {value!r}")
        return [int(v) for v in value]

    def months(self, name: str) -> list[int | str]:
        """Month numbers (7) or keys ("2012-07"); absent means none."""
        value = self._get(name, [])
        if not isinstance(value, list):
            raise ValueError(f"profile parameter {name!r} must be a list of months, got {value!r}")
        out: list[int | str] = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | str):
                raise ValueError(f"profile parameter {name!r}: {v!r} is not a month number or YYYY-MM")
            out.append(v)
        return out

    # -- optional: None when the profile does not carry the parameter --

    def optional_integer(self, name: str) -> int | None:
        return None if not self.has(name) else self.integer(name)

    def optional_ints(self, name: str) -> tuple[int, ...] | None:
        return None if not self.has(name) else tuple(self.ints(name))

    def optional_text(self, name: str) -> str | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise ValueError(f"profile parameter {name!r} must be a non-empty text, got {value!r}")
        return value

    def optional_texts(self, name: str) -> tuple[str, ...] | None:
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"profile parameter {name!r} must be a list of texts, got {value!r}")
        return tuple(str(v) for v in value)

    def optional_date(self, name: str) -> dt.date | None:
        """A date parameter, written as a TOML date (``congress_date = 2012-11-08``)."""
        value = self._get(name)
        if value is None:
            return None
        if not isinstance(value, dt.date):
            raise ValueError(f"profile parameter {name!r} must be a date written 2012-11-08, got {value!r}")
        return value
