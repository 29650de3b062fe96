"""Validate's lazy provenance and fast paths give exactly what the eager, general code gave.

Records keep their cells as ``RowCells`` (an ``Evidence`` made on first access); the common cell values
skip ``convert``'s general path; records are built without re-validation; ``find_header`` stops at the
first complete header row. Each is checked here against a plain reference: the raw workbook read by
address, the public parse functions, pydantic's own constructor, a scan of every row.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.ingest import read_workbook
from engine.validate import validate_workbook
from engine.validate.build import _LAYOUT
from engine.validate.cells import Columns, RowCells
from engine.validate.form import _UNCOMMON, _quick, _Validator
from engine.validate.locate import Header, find_header, match_header_row
from engine.validate.parse import (
    ParseError,
    clean_text,
    display_value,
    is_blank,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_tags,
)
from schemas.common import Evidence
from schemas.construct import same_instance
from schemas.form import BranchForm, Meeting, Record
from schemas.form_layout import MEETINGS, FieldSpec, Kind
from schemas.raw import CellValue, RawSheet, RawWorkbook

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = sorted((ROOT / "fixtures" / "college").glob("*.xlsx"))


# ---------------------------------------------------------------- the reference


def reference_convert(spec: FieldSpec, value: CellValue) -> Any:
    """What ``convert`` gives for a value, by the public parse functions alone (None: blank or refused)."""
    if is_blank(value):
        return None
    try:
        if spec.kind in (Kind.INT, Kind.NUMBER):
            number: float = parse_int(value) if spec.kind is Kind.INT else parse_number(value)
            return None if number < 0 else number
        if spec.kind is Kind.DATE:
            return parse_date(value)
        if spec.kind is Kind.BOOL:
            return parse_bool(value)
        if spec.kind is Kind.ENUM:
            return parse_choice(value, spec.choices)
        if spec.name == "tags":
            return parse_tags(value)
        return clean_text(value)
    except ParseError:
        return None


def same_value(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


_A1 = re.compile(r"([A-Z]+)([0-9]+)")


def at_address(sheet: RawSheet, where: str) -> CellValue:
    letters, number = _A1.fullmatch(where).groups()  # type: ignore[union-attr]
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    row, column = int(number) - 1, column - 1
    if row < len(sheet.rows) and column < len(sheet.rows[row]):
        return sheet.rows[row][column]
    return None


def records(form: BranchForm) -> Iterator[Record]:
    yield form.basic
    yield from form.committee
    yield from form.meetings
    yield from form.study_hours
    yield from form.training
    yield from form.candidates
    yield from form.systems.values()
    yield from form.student_classes
    yield form.satisfaction
    yield from form.negative_list.values()
    yield form.self_assessment
    yield from form.self_assessment.problems


@cache
def college() -> tuple[tuple[RawWorkbook, BranchForm], ...]:
    out = []
    for path in COLLEGE:
        raw = read_workbook(path)
        result = validate_workbook(raw, expected_year=2012)
        assert result.form is not None, result.problems
        out.append((raw, result.form))
    return tuple(out)


# ---------------------------------------------------------------- whole workbooks


def test_every_cell_of_every_record_names_its_raw_cell() -> None:
    lazy = 0
    for raw, form in college():
        for rec in records(form):
            lazy += isinstance(rec.cells, RowCells)
            for name, ev in rec.cells.items():
                assert name in type(rec).model_fields
                assert ev.file == raw.file and ev.sheet in raw.sheets and ev.cell is not None
                assert ev.value == display_value(at_address(raw.sheets[ev.sheet], ev.cell))
                assert rec.cells[name] is ev and rec.at(name) is ev  # made once, then the same object
    assert lazy > 200  # the registers' and checklists' rows are lazy


def test_record_values_are_what_the_general_parsers_give() -> None:
    specs_of = {cls: {spec.name: spec for spec in specs} for cls, specs, _ in _LAYOUT}
    for raw, form in college():
        for rec in records(form):
            specs = specs_of[type(rec)]
            for name, ev in rec.cells.items():
                assert ev.sheet is not None and ev.cell is not None
                expected = reference_convert(specs[name], at_address(raw.sheets[ev.sheet], ev.cell))
                actual = getattr(rec, name)
                if expected is None:  # blank: the field's default
                    assert actual == type(rec).model_fields[name].default
                else:
                    assert same_value(actual, expected), (name, actual, expected)


def test_forms_with_lazy_cells_equal_dump_and_pickle_like_plain_dicts() -> None:
    _, form = college()[0]
    meeting = form.meetings[0]
    assert isinstance(meeting.cells, RowCells)
    plain = Meeting(
        **{n: getattr(meeting, n) for n in meeting.model_fields_set if n != "cells"},
        cells=dict(meeting.cells),
    )
    assert type(plain.cells) is dict
    assert plain == meeting and meeting == plain
    assert plain.model_dump() == meeting.model_dump()
    assert plain.model_dump_json() == meeting.model_dump_json()
    back = pickle.loads(pickle.dumps(form))
    assert back == form and back.model_dump_json() == form.model_dump_json()
    copied = meeting.model_copy(update={"note": "x"})
    assert copied.cells == meeting.cells


def test_records_built_directly_match_pydantic() -> None:
    """The trusted build lays each record out exactly as the validating constructor does."""
    for _, form in college()[:4]:
        for rec in records(form):
            given_names = rec.model_fields_set
            validated = type(rec)(**{n: getattr(rec, n) for n in given_names})
            assert same_instance(rec, validated), type(rec)


# ---------------------------------------------------------------- RowCells


def test_row_cells_is_a_read_only_mapping() -> None:
    columns = Columns("b.xlsx", "会议活动", {"date": (0, "B"), "type": (1, "D"), "present": (2, "AA")})
    cells = RowCells(columns, 7, (date(2012, 3, 1), "支委会", 12.0))
    assert len(cells) == 3 and list(cells) == ["date", "type", "present"]
    assert "type" in cells and "chair" not in cells and cells.get("chair") is None
    assert cells.get("chair", "none") == "none"
    with pytest.raises(KeyError):
        cells["chair"]
    assert cells["present"] == Evidence(file="b.xlsx", sheet="会议活动", cell="AA7", value="12")
    assert dict(cells) == {
        "date": Evidence(file="b.xlsx", sheet="会议活动", cell="B7", value="2012-03-01"),
        "type": Evidence(file="b.xlsx", sheet="会议活动", cell="D7", value="支委会"),
        "present": Evidence(file="b.xlsx", sheet="会议活动", cell="AA7", value="12"),
    }
    assert cells == dict(cells) and dict(cells) == cells
    assert cells["date"] is cells.get("date")
    assert "D7" in repr(cells)
    assert pickle.loads(pickle.dumps(cells)) == cells


# ---------------------------------------------------------------- a register, cell by cell

_MEETING_COLUMNS = MEETINGS.table.columns if MEETINGS.table else ()

cell_values = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\u3000", "是", "否", "Y", "√", "支委会", "党课", "党 员 大 会", "12人", "-3"]),
    st.sampled_from([c for spec in _MEETING_COLUMNS for c in spec.choices]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 100).map(float),
    st.booleans(),
    st.dates(date(1880, 1, 1), date(2120, 12, 31)),
    st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1)),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    order=st.permutations(range(len(_MEETING_COLUMNS))),
    kept=st.integers(2, len(_MEETING_COLUMNS)),
    offset=st.integers(0, 3),
    top=st.integers(0, 3),
    body=st.lists(
        st.lists(cell_values, min_size=len(_MEETING_COLUMNS), max_size=len(_MEETING_COLUMNS)), max_size=6
    ),
    ragged=st.booleans(),
)
def test_register_rows_match_the_eager_reference(
    order: list[int], kept: int, offset: int, top: int, body: list[list[CellValue]], ragged: bool
) -> None:
    """Any register layout and contents: each record's values are the general parsers' answers, its cells
    the Evidence an eager build gave (cell by address, value as shown), blank rows skipped."""
    specs = [_MEETING_COLUMNS[i] for i in order[:kept]]
    width = offset + len(specs)
    header: list[CellValue] = [None] * offset + [spec.zh for spec in specs]
    rows: list[list[CellValue]] = [[None] * width for _ in range(top)] + [header]
    for values in body:
        row: list[CellValue] = [None] * offset + values[: len(specs)]
        if ragged:  # calamine trims trailing empty cells in some files
            while row and row[-1] is None:
                row.pop()
        rows.append(row)
    sheet = RawSheet(name="会议活动", rows=rows)
    validator = _Validator(RawWorkbook(file="b.xlsx", sha256="", sheets={sheet.name: sheet}), 2012)
    assert MEETINGS.table is not None
    got = validator.read_table(sheet, MEETINGS.table, 0)

    expected_rows = [r for r in range(top + 1, len(rows)) if not all(map(is_blank, rows[r][offset:]))]
    assert len(got) == len(expected_rows)
    for row, r in zip(got, expected_rows, strict=True):
        values = rows[r]
        eager: dict[str, Evidence] = {}
        typed: dict[str, Any] = {}
        for i, spec in enumerate(specs):
            c = offset + i
            value = values[c] if c < len(values) else None
            letters = chr(65 + c)
            eager[spec.name] = Evidence(
                file="b.xlsx", sheet="会议活动", cell=f"{letters}{r + 1}", value=display_value(value)
            )
            converted = reference_convert(spec, value)
            if converted is not None:
                typed[spec.name] = converted
        assert row.cells == eager
        assert row.values.keys() == typed.keys()
        assert all(same_value(row.values[n], typed[n]) for n in typed)


# one spec of each way of parsing: kind, tags or not, and the choices of an enum
_PARSINGS = {
    (spec.kind, spec.name == "tags", spec.choices): spec for _, specs, _ in _LAYOUT for spec in specs
}


@pytest.mark.slow
@pytest.mark.parametrize("spec", list(_PARSINGS.values()), ids=lambda spec: spec.name)
@settings(max_examples=200, deadline=None)
@given(value=cell_values)
def test_quick_parsing_is_the_general_parsing(spec: FieldSpec, value: CellValue) -> None:
    quick = _quick(spec)(value)
    if quick is not _UNCOMMON and not is_blank(value):
        assert same_value(quick, reference_convert(spec, value))


# ---------------------------------------------------------------- headers

header_cells = st.one_of(
    st.none(), st.sampled_from([s.zh for s in _MEETING_COLUMNS] + ["备注说明", "日期", ""])
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(header_cells, max_size=8), max_size=12), start=st.integers(0, 3))
def test_find_header_is_the_first_row_matching_most(rows: list[list[CellValue]], start: int) -> None:
    sheet = RawSheet(name="s", rows=rows)
    best: Header | None = None
    for r in range(start, min(len(rows), start + 40)):
        mapping = match_header_row(rows[r], _MEETING_COLUMNS)
        if mapping and (best is None or len(mapping) > len(best.columns)):
            best = Header(r, mapping)
    if best is not None and len(best.columns) < 2:
        best = None
    assert find_header(sheet, _MEETING_COLUMNS, start) == best


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ""),
        ("", ""),
        (" 支委会 ", " 支委会 "),
        (date(2012, 3, 1), "2012-03-01"),
        (datetime(2012, 3, 1), "2012-03-01"),
        (datetime(2012, 3, 1, 9, 30), "2012-03-01 09:30:00"),
        (12.0, "12"),
        (-3.0, "-3"),
        (12.5, "12.5"),
        (1e16, "1e+16"),
        (float("nan"), "nan"),
        (True, "TRUE"),
        (False, "FALSE"),
        (7, "7"),
    ],
)
def test_values_are_shown_as_the_user_reads_them(value: CellValue, shown: str) -> None:
    """``display_value`` is what every Evidence.value carries (results.json shows it)."""
    assert display_value(value) == shown
