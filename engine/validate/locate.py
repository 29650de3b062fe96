"""Finding things in a sheet by their text, never by fixed addresses.

Users insert rows above the form, reorder or add columns, and retype headers with spaces, line breaks,
full-width brackets or a trailing colon. Every lookup here compares ``normalise_label`` keys, and a
cell whose text is a label followed by a bracketed unit (``学时（小时）``) also answers to the bare label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from engine.validate.parse import is_blank, normalise_label
from schemas.form_layout import FieldSpec, SheetSpec
from schemas.raw import CellValue, RawSheet, RawWorkbook

HEADER_SCAN_ROWS = 40  # how far below the start (top of sheet or table title) a header row is looked for

_BRACKETED_TAIL = re.compile(r"\([^()]*\)$")


@lru_cache(maxsize=1024)
def column_letters(column: int) -> str:
    """0-based column → its letters (``0`` → ``A``, ``26`` → ``AA``)."""
    letters = ""
    number = column + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def a1(row: int, column: int) -> str:
    """0-based (row, column) → ``A1`` style."""
    return f"{column_letters(column)}{row + 1}"


def label_keys(value: CellValue) -> tuple[str, ...]:
    """The keys a cell answers to: its normalised text, and that text without a bracketed unit at the end."""
    if not isinstance(value, str):
        return ()
    return _label_keys(str(value))


@lru_cache(maxsize=16384)
def _label_keys(value: str) -> tuple[str, ...]:
    key = normalise_label(value)
    if not key:
        return ()
    bare = _BRACKETED_TAIL.sub("", key).strip("*:")
    return (key, bare) if bare and bare != key else (key,)


def cell(sheet: RawSheet, row: int, column: int) -> CellValue:
    if row < len(sheet.rows) and column < len(sheet.rows[row]):
        return sheet.rows[row][column]
    return None


def find_sheet(raw: RawWorkbook, spec: SheetSpec) -> RawSheet | None:
    """The workbook's sheet for ``spec``: by its name, then its aliases, comparing normalised names."""
    by_key: dict[str, RawSheet] = {}
    for sheet in raw.sheets.values():
        by_key.setdefault(normalise_label(sheet.name), sheet)
    for name in (spec.name, *spec.aliases):
        found = by_key.get(normalise_label(name))
        if found is not None:
            return found
    return None


def find_text_row(sheet: RawSheet, text: str, start: int = 0, stop: int | None = None) -> int | None:
    """The first row in [start, stop) with a cell whose text is ``text`` (normalised)."""
    wanted = normalise_label(text)
    end = len(sheet.rows) if stop is None else min(stop, len(sheet.rows))
    for row in range(start, end):
        if any(wanted in label_keys(value) for value in sheet.rows[row]):
            return row
    return None


@dataclass(frozen=True)
class FieldCell:
    """Where a key-value field was found: the label's row and column, and the value's column."""

    row: int
    label_column: int
    value_column: int
    value: CellValue


def find_fields(sheet: RawSheet, fields: Sequence[FieldSpec], start: int, stop: int) -> dict[str, FieldCell]:
    """Locate each labelled field in rows [start, stop): the value is the first non-empty cell to the right
    of its label on the same row, unless another field's label comes first (two fields on one row).
    The template's own helper text beside an input cell (the field's hint or English name) is not a
    value: a blank input must read as blank, not as its hint.

    A field's own label is preferred over its aliases anywhere in the region, so the alias ``书记`` can
    never steal the cell of ``支部书记``.
    """
    positions: dict[str, list[tuple[int, int]]] = {}
    for row in range(start, min(stop, len(sheet.rows))):
        for column, value in enumerate(sheet.rows[row]):
            for key in label_keys(value):
                positions.setdefault(key, []).append((row, column))
    all_labels = {normalise_label(label) for spec in fields for label in spec.labels}
    found: dict[str, FieldCell] = {}
    taken: set[tuple[int, int]] = set()
    for spec in fields:
        spots = [
            spot
            for label in spec.labels
            for spot in positions.get(normalise_label(label), [])
            if spot not in taken
        ]
        if not spots:
            continue
        row, label_column = spots[0]
        taken.add(spots[0])
        values = sheet.rows[row]
        # The 说明 column: its Chinese explanation, or the English label older templates printed there.
        helper_text = {normalise_label(spec.explanation), normalise_label(spec.en)} - {""}
        value_column, value = label_column + 1, None
        for column in range(label_column + 1, len(values)):
            candidate = values[column]
            keys = label_keys(candidate)
            if any(key in all_labels or key in helper_text for key in keys):
                break
            if not is_blank(candidate):
                value_column, value = column, candidate
                break
        found[spec.name] = FieldCell(row, label_column, value_column, value)
    return found


@dataclass(frozen=True)
class Header:
    """A table's header row and the column of each field found in it."""

    row: int
    columns: dict[str, int]


def match_header_row(values: Sequence[CellValue], columns: Iterable[FieldSpec]) -> dict[str, int]:
    """Map each column spec to the first cell of the row whose text is one of its labels."""
    specs = columns if isinstance(columns, tuple) else tuple(columns)
    wanted = _wanted_labels(specs)
    # label → the columns answering to it, left to right (only the labels some spec looks for)
    columns_of: dict[str, list[int]] = {}
    for c, value in enumerate(values):
        if isinstance(value, str):
            for key in _label_keys(str(value)):
                if key in wanted:
                    columns_of.setdefault(key, []).append(c)
    mapping: dict[str, int] = {}
    if not columns_of:
        return mapping
    used: set[int] = set()
    for spec in specs:
        for label in spec_label_keys(spec):  # primary label first, then aliases
            hit = next((c for c in columns_of.get(label, ()) if c not in used), None)
            if hit is not None:
                mapping[spec.name] = hit
                used.add(hit)
                break
    return mapping


_SPEC_LABELS: dict[int, tuple[object, tuple[str, ...]]] = {}
_WANTED: dict[int, tuple[object, frozenset[str]]] = {}


def _wanted_labels(specs: tuple[FieldSpec, ...]) -> frozenset[str]:
    """Every label key of ``specs``, remembered per tuple object."""
    entry = _WANTED.get(id(specs))
    if entry is None or entry[0] is not specs:
        entry = (specs, frozenset(key for spec in specs for key in spec_label_keys(spec)))
        _WANTED[id(specs)] = entry
    return entry[1]


def spec_label_keys(spec: FieldSpec) -> tuple[str, ...]:
    """``normalise_label`` of each of the spec's labels (primary first), remembered per spec object."""
    entry = _SPEC_LABELS.get(id(spec))
    if entry is None or entry[0] is not spec:
        entry = (spec, tuple(normalise_label(label) for label in spec.labels))
        _SPEC_LABELS[id(spec)] = entry
    return entry[1]


def find_header(
    sheet: RawSheet, columns: Sequence[FieldSpec], start: int, stop: int | None = None
) -> Header | None:
    """The row in [start, start + HEADER_SCAN_ROWS) matching the most column labels.

    At least two columns must match (one for a one-column table) so a stray word such as 日期 in a note
    is not taken for a header.
    """
    end = min(len(sheet.rows), start + HEADER_SCAN_ROWS if stop is None else stop)
    best: Header | None = None
    for row in range(start, end):
        mapping = match_header_row(sheet.rows[row], columns)
        if mapping and (best is None or len(mapping) > len(best.columns)):
            best = Header(row, mapping)
            if len(mapping) == len(columns):
                break  # every column found: no later row can match more
    if best is None or len(best.columns) < min(2, len(columns)):
        return None
    return best


def first_text_cell(values: Sequence[CellValue]) -> tuple[int, CellValue] | None:
    """The first non-empty cell of a row: where a checklist puts its item label (usually column A or B)."""
    for column, value in enumerate(values):
        if not is_blank(value):
            return column, value
    return None
