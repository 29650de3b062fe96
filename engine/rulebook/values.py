"""Fact-value normalisation shared by every evaluator.

Both evaluators see exactly the same normalised values, so a difference between them can only come from
the operators, never from how a value was typed. The rules below are what durable_rules can compare
safely: it treats bools as numbers, reads ``NaN`` as null, cannot parse floats that ``json.dumps`` writes
in exponent form (and *segfaults* on some of them, ``1e-07`` for one), and compares numeric strings with
numbers nonsensically (``"10" < 8`` is true).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from schemas.facts import FACTS, FactValue

Norm = int | float | str | None

# json.dumps switches to exponent form below 1e-4 and from 1e16 upwards; 1e15 keeps us clear of both
# the exponent form and of the C side's int64 / double precision edge.
_TINY = 1e-4
_HUGE = 1e15


_STR_FACTS = frozenset(name for name, fact in FACTS.items() if fact.type is str)


class FactValueError(ValueError):
    """A value no evaluator can compare (infinite, or too large to be a count or a rate)."""


def _number(name: str, value: float) -> int | float:
    if math.isinf(value):
        raise FactValueError(f"fact {name!r}: {value!r} is not a finite number")
    if abs(value) >= _HUGE:
        raise FactValueError(f"fact {name!r}: {value!r} is out of range (|x| must be < 1e15)")
    if isinstance(value, int):
        return value
    rounded = round(value, 6)
    # Tiny magnitudes become 0.0 rather than 1e-05, which the C parser cannot read.
    if abs(rounded) < _TINY:
        return 0.0
    return rounded


def normalise_value(name: str, value: object) -> Norm:
    """One fact value as the evaluators compare it.

    * ``None`` and NaN → ``None`` (missing: the rule is *not evidenced*).
    * bool → 1 / 0 (durable_rules compares bools as numbers; conditions write ``true`` / ``false``,
      which are normalised the same way, so ``has_committee == true`` means ``== 1``).
    * numbers → int, or float rounded to 6 places with |x| < 1e-4 → 0.0.
    * strings stay strings only for string facts (``branch_type``). For a numeric fact a numeric string
      is converted and any other string counts as missing: the facts stage should never send one, and
      a garbled cell must not silently compare as a number.
    * for a string fact a number or bool is written as text, so ``branch_type`` is always a string.
    """
    if value is None:
        return None
    if type(value) is int and name not in _STR_FACTS:  # the common case, decided without the catalogue
        return _number(name, value)
    fact = FACTS.get(name)
    is_str_fact = fact is not None and fact.type is str
    if isinstance(value, float) and math.isnan(value):
        return None
    if is_str_fact:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int | float):
        return _number(name, value)
    if isinstance(value, str):
        if fact is None:
            return value  # a name outside the catalogue (only in tests): keep as given
        try:
            parsed = float(value.strip())
        except ValueError:
            return None
        if math.isnan(parsed):
            return None
        if parsed.is_integer() and "." not in value and "e" not in value.lower():
            return _number(name, int(parsed))
        return _number(name, parsed)
    raise FactValueError(f"fact {name!r}: unsupported value type {type(value).__name__}")


def normalise_values(values: Mapping[str, FactValue]) -> dict[str, Norm]:
    """Every fact value normalised; missing values are kept as ``None``."""
    return {name: normalise_value(name, value) for name, value in values.items()}


def is_engine_safe(value: Norm) -> bool:
    """True when ``json.dumps(value)`` is something durable_rules' C parser reads correctly."""
    if isinstance(value, float):
        text = repr(value)
        return "e" not in text and "n" not in text  # no exponent, nan or inf
    return True
