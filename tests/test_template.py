"""The blank grading workbook: sheets, layout rows, validations, protection, presets, and formfill."""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from engine.export.template import (
    DATE_FORMAT,
    HEADER_ROW,
    HISTORICAL_DATES,
    INPUT_FILL,
    PORTRAIT_UNITS,
    VERSION_NAME,
    build_template,
    display_width,
    write_template,
)
from fixtures.formfill import (
    field_cell,
    fill_workbook,
    filled_template,
    item_cell,
    normalise,
    table_cell,
    table_header,
)
from schemas.form_layout import (
    BRANCH_TYPES,
    INSTRUCTIONS_SHEET,
    META_MARK,
    META_SHEET,
    SHEETS,
    TEMPLATE_VERSION,
    FieldSpec,
    Kind,
    SheetSpec,
)

KV_SHEETS = [s for s in SHEETS if s.fields]
TABLE_ONLY = [s for s in SHEETS if not s.fields and not s.items and s.table is not None]
CHECKLISTS = [s for s in SHEETS if s.items]


@lru_cache(maxsize=16)
def template(branch_type: str | None = None, year: int | None = None) -> Workbook:
    # Built once per argument pair: the tests only read it (tests that write build their own).
    return build_template(branch_type, year)


def label(spec: FieldSpec) -> str:
    return spec.zh + " *" if spec.required else spec.zh


def input_cells(spec: SheetSpec) -> list[tuple[FieldSpec, list[str]]]:
    """Every input field of a sheet with the coordinates of its input cells, from the layout conventions."""
    out: list[tuple[FieldSpec, list[str]]] = []
    if spec.fields:
        out += [(f, [f"B{5 + i}"]) for i, f in enumerate(spec.fields)]
        if spec.table is not None:
            header = 5 + len(spec.fields) + 2
            out += table_cells(spec, header)
    elif spec.items:
        for c, f in enumerate(spec.item_columns, start=2):
            letter = openpyxl.utils.get_column_letter(c)
            out.append((f, [f"{letter}{5 + i}" for i in range(len(spec.items))]))
    else:
        out += table_cells(spec, 4)
    return out


def table_cells(spec: SheetSpec, header: int) -> list[tuple[FieldSpec, list[str]]]:
    assert spec.table is not None
    rows = range(header + 1, header + 1 + spec.table.template_rows)
    return [
        (f, [f"{openpyxl.utils.get_column_letter(c)}{r}" for r in rows])
        for c, f in enumerate(spec.table.columns, start=1)
    ]


def validations_at(ws: Worksheet, coord: str) -> list[DataValidation]:
    return [dv for dv in ws.data_validations.dataValidation if coord in dv.sqref]


# --- sheets and meta ----------------------------------------------------------------------------------


def test_sheets_in_order_and_only_meta_hidden() -> None:
    wb = template()
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, *(s.name for s in SHEETS), META_SHEET]
    hidden = [ws.title for ws in wb.worksheets if ws.sheet_state != "visible"]
    assert hidden == [META_SHEET]
    assert wb.active.title == INSTRUCTIONS_SHEET


def test_meta_sheet_and_defined_name_carry_the_version(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    meta = wb[META_SHEET]
    assert (meta["A1"].value, meta["B1"].value) == (META_MARK, TEMPLATE_VERSION)
    assert meta.sheet_state == "hidden"
    dests = list(wb.defined_names[VERSION_NAME].destinations)
    assert dests == [(META_SHEET, "$B$1")]


def test_instructions_list_every_sheet_and_the_rules() -> None:
    ws = template()[INSTRUCTIONS_SHEET]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    joined = "\n".join(texts)
    for needle in ("黄色", "一行", "2012-03-15", "重命名", ".xlsx"):
        assert needle in joined, needle
    listed = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    for spec in SHEETS:
        assert spec.name in listed
    row = listed.index("学生班级")
    assert "学生" in ws.cell(row=row + 1, column=3).value and "必填" in ws.cell(row=row + 1, column=3).value


# --- layout rows ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SHEETS, ids=lambda s: s.key)
def test_title_and_note_rows(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    assert ws["A1"].value == spec.name
    assert ws["A1"].font.bold and ws["A1"].font.size > 11
    assert ws["A2"].value == spec.note
    assert ws["A2"].alignment.wrap_text


@pytest.mark.parametrize("spec", KV_SHEETS, ids=lambda s: s.key)
def test_key_value_layout(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    assert [ws.cell(row=4, column=c).value for c in (1, 2, 3)] == ["项目", "填写内容", "说明"]
    for i, f in enumerate(spec.fields):
        row = 5 + i
        assert ws.cell(row=row, column=1).value == label(f)
        explanation = ws.cell(row=row, column=3).value
        assert explanation == f.explanation
        # The 说明 column of the Chinese template is Chinese: never the English label.
        assert explanation != f.en and any("\u4e00" <= ch <= "\u9fff" for ch in explanation)
    if spec.table is not None:
        title = 5 + len(spec.fields) + 1
        assert ws.cell(row=title - 1, column=1).value is None  # the blank separator row
        assert ws.cell(row=title, column=1).value == spec.table.zh
        assert ws.cell(row=title, column=1).font.bold
        headers = [ws.cell(row=title + 1, column=c).value for c in range(1, len(spec.table.columns) + 1)]
        assert headers == [label(f) for f in spec.table.columns]


@pytest.mark.parametrize("spec", TABLE_ONLY, ids=lambda s: s.key)
def test_table_layout(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    assert spec.table is not None
    headers = [ws.cell(row=4, column=c).value for c in range(1, len(spec.table.columns) + 1)]
    assert headers == [label(f) for f in spec.table.columns]
    assert ws.cell(row=4, column=len(spec.table.columns) + 1).value is None
    last = 4 + spec.table.template_rows
    assert ws.cell(row=last, column=1).protection.locked is False
    assert ws.cell(row=last + 1, column=1).protection.locked is True
    assert ws.auto_filter.ref == f"A4:{openpyxl.utils.get_column_letter(len(spec.table.columns))}{last}"


@pytest.mark.parametrize("spec", CHECKLISTS, ids=lambda s: s.key)
def test_checklist_layout(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    headers = [ws.cell(row=4, column=c).value for c in range(1, len(spec.item_columns) + 2)]
    assert headers == [spec.item_header, *(label(f) for f in spec.item_columns)]
    assert [ws.cell(row=5 + i, column=1).value for i in range(len(spec.items))] == [i.zh for i in spec.items]
    assert ws.cell(row=5 + len(spec.items), column=1).value is None


# --- validations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SHEETS, ids=lambda s: s.key)
def test_enum_and_bool_inputs_have_exact_dropdowns(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    checked = 0
    for f, cells in input_cells(spec):
        if f.kind not in (Kind.ENUM, Kind.BOOL):
            continue
        for coord in (cells[0], cells[-1]):
            dvs = validations_at(ws, coord)
            assert len(dvs) == 1, (f.name, coord)
            dv = dvs[0]
            assert dv.type == "list"
            assert dv.formula1 == '"' + ",".join(f.choices) + '"'
            assert dv.showErrorMessage and dv.errorStyle == "stop"
            assert "、".join(f.choices) in dv.error
            assert dv.showInputMessage and dv.prompt
        checked += 1
    assert checked == sum(1 for f, _ in input_cells(spec) if f.kind in (Kind.ENUM, Kind.BOOL))


@pytest.mark.parametrize("year", [None, 2012])
def test_date_inputs_have_date_validation_and_format(year: int | None) -> None:
    wb = template(None, year)
    seen = 0
    for spec in SHEETS:
        ws = wb[spec.name]
        for f, cells in input_cells(spec):
            if f.kind is not Kind.DATE:
                continue
            seen += 1
            for coord in (cells[0], cells[-1]):
                (dv,) = validations_at(ws, coord)
                assert (dv.type, dv.operator) == ("date", "between")
                assert ws[coord].number_format == DATE_FORMAT
                if year is None:
                    expected = ("DATE(2000,1,1)", "DATE(2100,12,31)")
                elif (spec.key, f.name) in HISTORICAL_DATES:
                    expected = ("DATE(2000,1,1)", "DATE(2013,12,31)")
                else:
                    expected = ("DATE(2011,1,1)", "DATE(2013,12,31)")
                assert (dv.formula1, dv.formula2) == expected, (spec.key, f.name)
    assert seen >= 15


def test_numeric_inputs_have_number_validation() -> None:
    wb = template()
    for spec in SHEETS:
        ws = wb[spec.name]
        for f, cells in input_cells(spec):
            if f.kind not in (Kind.INT, Kind.NUMBER):
                continue
            (dv,) = validations_at(ws, cells[0])
            if f.name == "assessment_year":
                assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
                    "whole",
                    "between",
                    "2000",
                    "2100",
                )
            else:
                assert dv.type == ("whole" if f.kind is Kind.INT else "decimal")
                assert (dv.operator, dv.formula1) == ("greaterThanOrEqual", "0")
            assert dv.error and dv.errorTitle == "输入有误"


def test_hints_become_input_prompts() -> None:
    ws = template()["基本信息"]
    (dv,) = validations_at(ws, "B6")  # 支部编号
    assert dv.prompt == "组织部分配的编号，如 JG-01" and dv.showInputMessage
    (dv,) = validations_at(template()["会议活动"], "G5")  # 主题标签
    assert "顿号" in dv.prompt


# --- protection, styling, panes -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SHEETS, ids=lambda s: s.key)
def test_labels_locked_inputs_unlocked_and_yellow(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    for _, cells in input_cells(spec):
        for coord in cells:
            assert ws[coord].protection.locked is False, coord
            assert ws[coord].fill.fgColor.rgb.endswith(INPUT_FILL), coord
    labels = ["A1", "A2", "A4"] + ([] if spec in TABLE_ONLY else ["A5"])
    for coord in labels:
        assert ws[coord].protection.locked is True, coord
    assert ws["A4"].font.bold and ws["A4"].fill.fgColor.rgb.endswith("D9E1F2")


@pytest.mark.parametrize("name", [INSTRUCTIONS_SHEET, *(s.name for s in SHEETS), META_SHEET])
def test_protection_without_password_allows_rows_format_sort_filter(name: str) -> None:
    p = template()[name].protection
    assert p.sheet is True
    assert not p.password
    # OOXML: a true flag forbids the action.
    assert not any((p.insertRows, p.deleteRows, p.formatCells, p.formatColumns, p.sort, p.autoFilter))
    assert p.insertColumns and p.deleteColumns  # columns stay fixed: headers are found by name, still


def test_workbook_structure_locked_without_password() -> None:
    sec = template().security
    assert sec.lockStructure and not sec.workbookPassword


@pytest.mark.parametrize("spec", SHEETS, ids=lambda s: s.key)
def test_frozen_panes_and_widths(spec: SheetSpec) -> None:
    ws = template()[spec.name]
    assert ws.freeze_panes == "A5"
    cols: list[tuple[int, FieldSpec]] = []
    if spec.table is not None and not spec.fields:
        cols = list(enumerate(spec.table.columns, start=1))
    elif spec.items:
        cols = list(enumerate(spec.item_columns, start=2))
    for c, f in cols:
        width = ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width
        assert width >= f.width and width >= display_width(label(f)), f.name
    assert ws.column_dimensions["A"].width >= max(display_width(str(c.value or "")) for c in ws["A"][3:])


def test_no_cell_is_a_formula() -> None:
    wb = template("机关", 2012)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
                assert not (isinstance(cell.value, str) and cell.value.startswith("="))


# --- presets and arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("branch_type", BRANCH_TYPES)
def test_branch_type_preselected_and_every_sheet_kept(branch_type: str) -> None:
    wb = template(branch_type, 2012)
    assert field_cell(wb, "basic", "branch_type").value == branch_type
    assert field_cell(wb, "basic", "assessment_year").value == 2012
    assert "学生班级" in wb.sheetnames


def test_no_preset_leaves_inputs_blank() -> None:
    wb = template()
    assert field_cell(wb, "basic", "branch_type").value is None
    assert field_cell(wb, "basic", "assessment_year").value is None


@pytest.mark.parametrize(("branch_type", "year"), [("党委", None), (None, 1999), (None, 2100), (None, True)])
def test_bad_arguments_are_refused(branch_type: str | None, year: int | None) -> None:
    with pytest.raises(ValueError, match=r"支部类型|考核年度"):
        build_template(branch_type, year)


def test_write_template_is_atomic_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    path.write_bytes(b"old")
    write_template(path, "教工", 2012)
    assert [p.name for p in tmp_path.iterdir()] == ["模板.xlsx"]  # no temp file left behind
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-1] == META_SHEET
    ws = wb["会议活动"]
    assert len(ws.data_validations.dataValidation) >= 5  # validations survive the save
    assert ws.protection.sheet


def test_write_template_refuses_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.xlsx"):
        write_template(tmp_path / "t.xls")
    with pytest.raises(FileNotFoundError):
        write_template(tmp_path / "missing" / "t.xlsx")
    with pytest.raises(ValueError):
        write_template(tmp_path / "t.xlsx", "党委")
    assert list(tmp_path.iterdir()) == []


# --- the reader's view: every label exactly once --------------------------------------------------------

TARGETS: list[tuple[str, str, tuple[str, ...]]] = []  # (sheet key, kind of target, labels)
for _s in SHEETS:
    TARGETS += [(_s.key, "field", f.labels) for f in _s.fields]
    TARGETS += [(_s.key, "item", i.labels) for i in _s.items]
    TARGETS += [(_s.key, "column", f.labels) for f in _s.item_columns]
    if _s.table is not None:
        TARGETS += [(_s.key, "column", f.labels) for f in _s.table.columns]


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(TARGETS),
    branch_type=st.sampled_from([None, *BRANCH_TYPES]),
    year=st.sampled_from([None, 2012, 2018]),
)
def test_every_label_appears_exactly_once_where_the_reader_looks(
    target: tuple[str, str, tuple[str, ...]], branch_type: str | None, year: int | None
) -> None:
    key, kind, labels = target
    spec = next(s for s in SHEETS if s.key == key)
    ws = template(branch_type, year)[spec.name]
    wanted = {normalise(x) for x in labels}
    hits = [c for row in ws.iter_rows() for c in row if normalise(c.value) in wanted]
    assert len(hits) == 1, (spec.name, labels, [c.coordinate for c in hits])
    (hit,) = hits
    if kind in ("field", "item"):
        assert hit.column == 1 and hit.row >= 5
    if kind == "field":
        assert ws.cell(row=hit.row, column=2).protection.locked is False
    if kind == "column":
        below = ws.cell(row=hit.row + 1, column=hit.column)
        if spec.items:  # a checklist column: the first item row under it is an input
            assert below.protection.locked is False
        else:
            assert below.protection.locked is False and below.value is None


# --- formfill --------------------------------------------------------------------------------------------


def test_formfill_writes_by_label_and_beyond_the_prepared_rows() -> None:
    meetings = [{"date": dt.date(2012, 1, 1) + dt.timedelta(days=i), "type": "学习日"} for i in range(305)]
    wb = filled_template(
        {
            "basic": {"branch_name": "=1+1", "branch_type": None},
            "meetings": meetings,
            "systems": {"venue": {"done": "是", "count": 2}},
            "negative_list": {"discipline": {"present": "否"}},
            "problems": [{"problem": "学习不够", "state": "整改中"}],
        },
        branch_type="学生",
    )
    name = field_cell(wb, "basic", "branch_name")
    assert (name.value, name.data_type) == ("=1+1", "s")  # text, not a formula
    assert field_cell(wb, "basic", "branch_type").value is None
    ws, header, cols = table_header(wb, "meetings")
    assert header == 4 and cols["type"] == 2
    assert ws.cell(row=5, column=1).value == dt.date(2012, 1, 1)
    last = table_cell(wb, "meetings", 304, "date")
    assert last.row == 309 and last.value == dt.date(2012, 1, 1) + dt.timedelta(days=304)
    assert last.protection.locked is False and last.number_format == DATE_FORMAT  # styled like an input
    assert item_cell(wb, "systems", "venue", "count").value == 2
    assert item_cell(wb, "negative_list", "discipline", "present").value == "否"
    assert table_cell(wb, "problems", 0, "state").value == "整改中"


def test_formfill_finds_labels_after_user_edits() -> None:
    wb = build_template()
    ws = wb["基本信息"]
    ws.insert_rows(3, amount=2)  # a user inserted rows at the top
    ws.cell(row=7, column=1).value = " 支部 名称 ＊"  # spaces and a full-width star: the same label
    fill_workbook(wb, {"basic": {"branch_name": "第一党支部"}})
    assert ws["B7"].value == "第一党支部"
    assert ws["B5"].value is None


@pytest.mark.parametrize(
    "values",
    [
        {"nosuch": {}},
        {"basic": {"nosuch": 1}},
        {"meetings": [{"nosuch": 1}]},
        {"systems": {"nosuch": {}}},
        {"systems": {"venue": {"nosuch": 1}}},
        {"meetings": {"date": 1}},
        {"basic": "x"},
    ],
)
def test_formfill_rejects_unknown_keys(values: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError)):
        fill_workbook(build_template(), values)


@pytest.mark.parametrize("name", [INSTRUCTIONS_SHEET, *(s.name for s in SHEETS)])
def test_every_sheet_prints_on_a4_one_page_wide_with_its_header_repeated(name: str) -> None:
    # Saved and read back, so what is checked is what Excel and LibreOffice are given.
    wb = openpyxl.load_workbook(_saved(template()))
    ws = wb[name]
    assert ws.page_setup.paperSize == int(ws.PAPERSIZE_A4)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    if name != INSTRUCTIONS_SHEET:
        assert ws.print_title_rows is not None and f"${HEADER_ROW}" in ws.print_title_rows
    wide = sum(ws.column_dimensions[get_column_letter(c)].width or 9 for c in range(1, ws.max_column + 1))
    assert ws.page_setup.orientation == ("landscape" if wide > PORTRAIT_UNITS else "portrait")


def _saved(wb: Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return buffer
