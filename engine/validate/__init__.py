"""Validate: a ``RawWorkbook`` in, a ``FormResult`` (the typed form, or every located IN- problem) out."""

from engine.validate.form import validate_workbook
from engine.validate.parse import (
    ParseError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_tags,
)

__all__ = [
    "ParseError",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_int",
    "parse_number",
    "parse_tags",
    "validate_workbook",
]
