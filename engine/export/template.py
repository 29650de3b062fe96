"""Write the blank grading workbook (``branchgrade template OUT.xlsx``): form layout → .xlsx.

The layout comes entirely from ``schemas.form_layout``; this module only decides how it looks and how it
is protected. The reader finds values by their labels and headers, never by address, but the fixture
generator and the tests rely on the row conventions below, so keep them stable:

* every form sheet: A1 = the sheet name (title), A2 = ``SheetSpec.note`` (merged across the used
  columns, wrapped), row 3 blank, panes frozen below row 4;
* key-value sheets: row 4 = header ``项目 | 填写内容 | 说明``; one field per row from row 5 with
  A = label (``FieldSpec.zh`` + ``" *"`` when required), B = input cell, C = ``FieldSpec.explanation``
  (Chinese; older templates printed the English label there, which the reader still skips);
* a table after the fields: one blank row, then ``TableSpec.zh`` (bold) in column A, then the header row,
  then ``TableSpec.template_rows`` input rows;
* table-only sheets: header row 4 from column A, input rows from row 5;
* checklist sheets: row 4 = ``item_header`` then the ``item_columns`` headers from column B; one item per
  row from row 5 (A = ``ItemSpec.zh``, B.. = input cells).

Sheets in order: ``填表说明``, every sheet of the profile's form (``FormLayout.sheets``; the 2012 form by
default), then the hidden ``_meta`` sheet holding ``META_MARK`` / the form's version (also the defined name
``branchgrade_template_version``), by which a workbook is read with the form it was made from.
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from engine.export.page_setup import PageSetup, page_footer, page_header
from schemas.form_layout import (
    BRANCH_TYPES,
    FORM_2012,
    INSTRUCTIONS_SHEET,
    META_MARK,
    META_SHEET,
    FieldSpec,
    FormLayout,
    ItemSpec,
    Kind,
    SheetSpec,
    TableSpec,
)

__all__ = [
    "DATE_FORMAT",
    "FIRST_ROW",
    "HEADER_ROW",
    "INPUT_FILL",
    "NOT_APPLICABLE_FILL",
    "PORTRAIT_UNITS",
    "VERSION_NAME",
    "build_template",
    "not_applicable_parts",
    "sheet_note",
    "write_template",
]

VERSION_NAME = "branchgrade_template_version"
INPUT_FILL = "FFF2CC"  # light yellow: "type here"
HEADER_FILL = "D9E1F2"
NOTE_COLOUR = "595959"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_ROW = 4  # header row of every form sheet (the key-value header, the checklist or the table)
FIRST_ROW = 5  # first field / item / record row
KV_HEADERS = ("项目", "填写内容", "说明")
REQUIRED_MARK = " *"

DATE_MIN_YEAR = 2000
DATE_MAX_YEAR = 2100
# Excel refuses an inline list longer than 255 characters and splits choices on commas.
INLINE_LIST_LIMIT = 255

# Dates that legitimately lie years before the assessment year (a committee elected in 2009, an
# application to join made in 2008). When a year is given, only their upper bound tightens; every other
# date is an event of the assessment year and is limited to year-1 .. year+1.
HISTORICAL_DATES = frozenset(
    {
        ("basic", "last_election"),
        ("candidates", "applied_on"),
        ("candidates", "activist_on"),
        ("candidates", "candidate_on"),
    }
)

_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor=INPUT_FILL)
NOT_APPLICABLE_FILL = "D9D9D9"  # grey: a value the chosen branch type's rules do not read
_NOT_APPLICABLE_FILL = PatternFill("solid", fgColor=NOT_APPLICABLE_FILL)
_HEADER_FILL = PatternFill("solid", fgColor=HEADER_FILL)
_UNLOCKED = Protection(locked=False)
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_NOTE_FONT = Font(color=NOTE_COLOUR)
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(vertical="center", wrap_text=True)


def display_width(text: str) -> int:
    """Column units a text needs: wide (CJK, full-width) characters take two, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _label(spec: FieldSpec) -> str:
    return spec.zh + REQUIRED_MARK if spec.required else spec.zh


def _text(ws: Worksheet, row: int, col: int, value: str | int, font: Font | None = None) -> None:
    """Write a label. A text that openpyxl would take for a formula is stored as text, never evaluated."""
    cell = ws.cell(row=row, column=col, value=value)
    if cell.data_type == "f":  # openpyxl takes only a leading "=" for a formula
        cell.data_type = "s"
        cell.quotePrefix = True
    if font is not None:
        cell.font = font


@dataclass(frozen=True)
class _Window:
    """The year window for date validations."""

    year: int | None

    def bounds(self, sheet_key: str, field_name: str) -> tuple[int, int]:
        if self.year is None:
            return DATE_MIN_YEAR, DATE_MAX_YEAR
        if (sheet_key, field_name) in HISTORICAL_DATES:
            return DATE_MIN_YEAR, self.year + 1
        return self.year - 1, self.year + 1


def _validation(spec: FieldSpec, sheet_key: str, window: _Window) -> DataValidation | None:
    """The data validation for one field, or None for free text."""
    title = spec.zh[:32]  # Excel truncates titles beyond 32 characters
    if spec.kind in (Kind.ENUM, Kind.BOOL):
        if any("," in c or '"' in c for c in spec.choices):
            raise ValueError(f"字段“{spec.zh}”的选项含有逗号或引号，无法做成下拉列表：{spec.choices}")
        formula = '"' + ",".join(spec.choices) + '"'
        if len(formula) > INLINE_LIST_LIMIT:
            raise ValueError(f"字段“{spec.zh}”的选项过长（{len(formula)} 字符），Excel 下拉列表最多 255 字符")
        listed = "、".join(spec.choices)
        dv = DataValidation(
            type="list",
            formula1=formula,
            error=f"请从下拉列表中选择：{listed}",
            prompt=spec.hint or f"请从下拉列表中选择：{listed}",
        )
    elif spec.kind is Kind.DATE:
        low, high = window.bounds(sheet_key, spec.name)
        dv = DataValidation(
            type="date",
            operator="between",
            formula1=f"DATE({low},1,1)",
            formula2=f"DATE({high},12,31)",
            error=f"请填写 {low}-01-01 至 {high}-12-31 之间的日期，格式如 2012-03-15。",
            prompt=spec.hint or "请填写日期，格式如 2012-03-15。",
        )
    elif spec.kind is Kind.INT:
        if spec.name == "assessment_year":
            # A year, not a count: a typo such as 212 is caught here rather than at grading time.
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1=str(DATE_MIN_YEAR),
                formula2=str(DATE_MAX_YEAR),
                error=f"请填写四位数年份（{DATE_MIN_YEAR}–{DATE_MAX_YEAR}），如 2012。",
                prompt=spec.hint or "请填写四位数年份，如 2012。",
            )
        else:
            dv = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1="0",
                error="请填写不小于 0 的整数（只填数字，不要带“人”“次”等单位）。",
                prompt=spec.hint or "请填写整数。",
            )
    elif spec.kind is Kind.NUMBER:
        dv = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            error="请填写不小于 0 的数字（只填数字，不要带单位）。",
            prompt=spec.hint or "请填写数字，可以有小数。",
        )
    elif spec.hint:
        # Free text still gets its input prompt; "custom" with an always-true formula would be an
        # unnecessary formula, so an unrestricted validation carries the prompt instead.
        dv = DataValidation(prompt=spec.hint)
    else:
        return None
    dv.promptTitle = title
    dv.errorTitle = "输入有误"
    dv.showInputMessage = True
    dv.showErrorMessage = spec.kind is not Kind.TEXT
    dv.errorStyle = "stop"
    dv.allow_blank = True
    return dv


def _number_format(spec: FieldSpec) -> str:
    if spec.kind is Kind.DATE:
        return DATE_FORMAT
    if spec.kind is Kind.TEXT:
        return "@"  # keeps an ID such as 007 or 2012-01 as typed instead of a number or a date
    return "General"


def _style_input(ws: Worksheet, row: int, col: int, spec: FieldSpec, applies: bool = True) -> None:
    cell = ws.cell(row=row, column=col)
    cell.fill = _INPUT_FILL if applies else _NOT_APPLICABLE_FILL
    cell.protection = _UNLOCKED
    cell.border = _BORDER
    cell.number_format = _number_format(spec)
    cell.alignment = _LEFT


def _style_header(ws: Worksheet, row: int, first_col: int, last_col: int) -> None:
    for col in range(first_col, last_col + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = _CENTER


def _add_validation(ws: Worksheet, dv: DataValidation | None, ref: str) -> None:
    if dv is not None:
        dv.add(ref)
        ws.add_data_validation(dv)


def _widen(widths: dict[int, int], col: int, units: int) -> None:
    widths[col] = max(widths.get(col, 0), units)


def _applies(types: tuple[str, ...], branch_type: str | None) -> bool:
    return branch_type is None or branch_type in types


def not_applicable_parts(spec: SheetSpec, branch_type: str | None) -> tuple[str, ...]:
    """The labels of the sheet's fields, columns and checklist rows ``branch_type``'s rules do not read."""
    columns = spec.table.columns if spec.table is not None else ()
    parts: list[FieldSpec | ItemSpec] = [*spec.fields, *columns, *spec.item_columns, *spec.items]
    return tuple(p.zh for p in parts if not _applies(p.applies_to, branch_type))


def sheet_note(spec: SheetSpec, branch_type: str | None) -> str:
    """The note under the sheet's title; with a branch type, it says what that type leaves blank."""
    if not _applies(spec.applies_to, branch_type):
        return f"本表不适用于{branch_type}党支部，留空即可。" + spec.note
    parts = not_applicable_parts(spec, branch_type)
    if not parts:
        return spec.note
    listed = "、".join(f"“{p}”" for p in parts)
    return f"{spec.note}灰色的{listed}不适用于{branch_type}党支部，留空即可。"


class _SheetWriter:
    """Writes one form sheet and remembers the column widths it needs."""

    def __init__(self, ws: Worksheet, spec: SheetSpec, window: _Window, branch_type: str | None) -> None:
        self.ws = ws
        self.spec = spec
        self.window = window
        self.branch_type = branch_type
        self.note = sheet_note(spec, branch_type)
        self.widths: dict[int, int] = {}

    def applies(self, types: tuple[str, ...]) -> bool:
        return _applies(types, self.branch_type)

    def title(self) -> None:
        _text(self.ws, 1, 1, self.spec.name, _TITLE_FONT)
        self.ws.row_dimensions[1].height = 24
        if self.note:
            _text(self.ws, 2, 1, self.note, _NOTE_FONT)
            self.ws.cell(row=2, column=1).alignment = _WRAP_TOP

    def fields(self) -> int:
        """Write the key-value block; returns the last row used."""
        ws = self.ws
        for col, head in enumerate(KV_HEADERS, start=1):
            _text(ws, HEADER_ROW, col, head)
            _widen(self.widths, col, display_width(head) + 4)
        _style_header(ws, HEADER_ROW, 1, len(KV_HEADERS))
        row = FIRST_ROW
        for spec in self.spec.fields:
            label = _label(spec)
            _text(ws, row, 1, label, _BOLD if spec.required else None)
            ws.cell(row=row, column=1).border = _BORDER
            ws.cell(row=row, column=1).alignment = _LEFT
            _style_input(ws, row, 2, spec, self.applies(spec.applies_to))
            _add_validation(ws, _validation(spec, self.spec.key, self.window), f"B{row}")
            _text(ws, row, 3, spec.explanation, _NOTE_FONT)
            ws.cell(row=row, column=3).alignment = _LEFT
            _widen(self.widths, 1, display_width(label) + 2)
            _widen(self.widths, 2, max(spec.width, 24))
            _widen(self.widths, 3, min(display_width(spec.explanation) + 2, 50))
            row += 1
        return row - 1

    def table(self, table: TableSpec, header_row: int) -> None:
        ws = self.ws
        last_col = len(table.columns)
        first, last = header_row + 1, header_row + table.template_rows
        for col, spec in enumerate(table.columns, start=1):
            label = _label(spec)
            _text(ws, header_row, col, label)
            _widen(self.widths, col, max(spec.width, display_width(label) + 2))
            applies = self.applies(spec.applies_to)
            for row in range(first, last + 1):
                _style_input(ws, row, col, spec, applies)
            letter = get_column_letter(col)
            dv = _validation(spec, self.spec.key, self.window)
            _add_validation(ws, dv, f"{letter}{first}:{letter}{last}")
        _style_header(ws, header_row, 1, last_col)
        ws.row_dimensions[header_row].height = 30

    def checklist(self) -> None:
        ws = self.ws
        spec = self.spec
        _text(ws, HEADER_ROW, 1, spec.item_header)
        _widen(self.widths, 1, display_width(spec.item_header) + 4)
        for col, column in enumerate(spec.item_columns, start=2):
            label = _label(column)
            _text(ws, HEADER_ROW, col, label)
            _widen(self.widths, col, max(column.width, display_width(label) + 2))
        _style_header(ws, HEADER_ROW, 1, 1 + len(spec.item_columns))
        first, last = FIRST_ROW, FIRST_ROW + len(spec.items) - 1
        for row, item in enumerate(spec.items, start=FIRST_ROW):
            _text(ws, row, 1, item.zh)
            ws.cell(row=row, column=1).border = _BORDER
            ws.cell(row=row, column=1).alignment = _LEFT
            _widen(self.widths, 1, display_width(item.zh) + 2)
            for col, column in enumerate(spec.item_columns, start=2):
                _style_input(ws, row, col, column, self.applies(item.applies_to))
        for col, column in enumerate(spec.item_columns, start=2):
            letter = get_column_letter(col)
            _add_validation(ws, _validation(column, spec.key, self.window), f"{letter}{first}:{letter}{last}")

    def finish(self) -> None:
        """Column widths, the note merged across the used columns, panes and protection."""
        ws = self.ws
        for col, units in self.widths.items():
            ws.column_dimensions[get_column_letter(col)].width = units
        used = max(self.widths) if self.widths else 1
        total = sum(self.widths.get(c, 9) for c in range(1, used + 1))
        if self.note:
            if used > 1:
                ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=used)
            # Neither Excel nor LibreOffice auto-fits a merged row, so size it for the wrapped note.
            lines = max(1, math.ceil(display_width(self.note) / max(total, 1)))
            ws.row_dimensions[2].height = 16 * lines + 4
        ws.freeze_panes = f"A{FIRST_ROW}"
        # A register repeats its title, note and header on every printed page; a form of labelled cells
        # fits on a page or two and repeats its 项目 | 填写内容 | 说明 header.
        register = self.spec.table is not None and not self.spec.fields
        _print_on_a4(ws, total, (0, HEADER_ROW - 1) if register else (HEADER_ROW - 1, HEADER_ROW - 1))
        _protect(ws)


# Printing on A4: a sheet wider than this many column units (about what fits across portrait A4 at 100 %)
# prints landscape; every sheet is scaled to one page wide, never to one page tall.
PORTRAIT_UNITS = 95
TEMPLATE_MARGINS = (0.4, 0.4, 0.75, 0.75)  # left, right, top, bottom (inches)


def _print_on_a4(ws: Worksheet, width_units: int, title_rows: tuple[int, int] | None) -> None:
    """A4, one page wide (landscape when wider than portrait A4 holds), the 0-based rows ``title_rows`` on
    every page, the sheet's name above and page numbers below — through the page setup every printed
    output of branchgrade shares (engine/export/page_setup.py)."""
    PageSetup(
        header=page_header(None),
        footer=page_footer("zh"),
        landscape=width_units > PORTRAIT_UNITS,
        repeat=title_rows,
        margins=TEMPLATE_MARGINS,
        centred=True,
    ).openpyxl(ws)


def _protect(ws: Worksheet) -> None:
    """Lock labels but let users add rows to a register, format, sort and filter (no password)."""
    p = ws.protection
    p.sheet = True
    # In OOXML a true attribute *forbids* the action, so False allows it.
    p.insertRows = False
    p.deleteRows = False
    p.formatCells = False
    p.formatColumns = False
    p.formatRows = False
    p.sort = False
    p.autoFilter = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


def _write_form_sheet(wb: Workbook, spec: SheetSpec, window: _Window, branch_type: str | None) -> Worksheet:
    ws = wb.create_sheet(spec.name)
    writer = _SheetWriter(ws, spec, window, branch_type)
    writer.title()
    if spec.fields:
        last = writer.fields()
        if spec.table is not None and spec.table.columns:
            title_row = last + 2  # one blank row after the fields
            _text(ws, title_row, 1, spec.table.zh, Font(bold=True, size=12))
            writer.table(spec.table, title_row + 1)
    elif spec.items:
        writer.checklist()
    elif spec.table is not None:
        writer.table(spec.table, HEADER_ROW)
        last_col = get_column_letter(len(spec.table.columns))
        ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + spec.table.template_rows}"
    else:
        raise ValueError(f"工作表“{spec.name}”既没有字段、清单项，也没有表格，无法生成")
    writer.finish()
    return ws


def _purpose(spec: SheetSpec, branch_type: str | None) -> str:
    if not _applies(spec.applies_to, branch_type):
        return f"不适用于{branch_type}党支部，可留空"
    if not spec.required and tuple(spec.applies_to) != tuple(BRANCH_TYPES):
        return "、".join(spec.applies_to) + "党支部必填，其他类型可留空"
    return "必填" if spec.required else "选填"


def _write_instructions(wb: Workbook, branch_type: str | None, year: int | None, form: FormLayout) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    _text(ws, 1, 1, "党支部分类定级填报表 · 填表说明", _TITLE_FONT)
    ws.row_dimensions[1].height = 24
    preset = []
    if branch_type:
        preset.append(f"支部类型：{branch_type}")
    if year:
        preset.append(f"考核年度：{year}")
    version = f"模板版本 {form.version}" + ("（" + "，".join(preset) + "）" if preset else "")
    _text(ws, 2, 1, version, _NOTE_FONT)
    rules: Iterable[str] = (
        "1. 只在黄色单元格中填写；其他单元格已锁定（工作表保护无密码，但请勿取消保护后修改标题）。",
        "2. 表头或项目名后带“*”的为必填项。",
        "3. 台账类工作表（会议活动、学习学时、支委培训、党务公开记录、发展党员等）"
        "每次会议、每名党员或每条记录填一行，不要合并单元格，也不要在一个单元格里写多条记录；行数不够时可插入行。",
        f"4. 日期请按“{year or form.example_year}-03-15”格式填写；"
        "人数、次数、学时只填数字，不要带“人”“次”“小时”等单位。",
        "5. 有下拉箭头的单元格请从列表中选择（如“是/否”、支部类型、会议类型）。",
        "6. 请勿修改、删除或重命名工作表和表头文字，也不要删除隐藏的工作表，否则系统无法识别。",
        "7. 没有发生的事项（如本年度未发展党员）请留空对应表格，不要填写“无”。",
        "8. 请保存为 .xlsx 格式上交（WPS 用户请“另存为 Excel 文件 .xlsx”）。",
    )
    row = 4
    for line in rules:
        _text(ws, row, 1, line)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.cell(row=row, column=1).alignment = _WRAP_TOP
        ws.row_dimensions[row].height = 16 * max(1, math.ceil(display_width(line) / 100)) + 4
        row += 1
    row += 1
    _text(ws, row, 1, "各工作表用途", Font(bold=True, size=12))
    row += 1
    for col, head in enumerate(("工作表", "填写内容", "是否必填"), start=1):
        _text(ws, row, col, head)
    _style_header(ws, row, 1, 3)
    for spec in form.sheets:
        row += 1
        _text(ws, row, 1, spec.name)
        _text(ws, row, 2, spec.note or spec.en)
        _text(ws, row, 3, _purpose(spec, branch_type))
        for col in (1, 2, 3):
            ws.cell(row=row, column=col).border = _BORDER
            ws.cell(row=row, column=col).alignment = _LEFT
        ws.row_dimensions[row].height = 16 * max(1, math.ceil(display_width(spec.note) / 70)) + 4
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 72
    ws.column_dimensions["C"].width = 26
    _print_on_a4(ws, 16 + 72 + 26, None)
    _protect(ws)


def _write_meta(wb: Workbook, form: FormLayout) -> None:
    ws = wb.create_sheet(META_SHEET)
    _text(ws, 1, 1, META_MARK)
    _text(ws, 1, 2, form.version)
    ws.sheet_state = "hidden"
    _protect(ws)
    ref = f"{quote_sheetname(META_SHEET)}!$B$1"
    wb.defined_names[VERSION_NAME] = DefinedName(VERSION_NAME, attr_text=ref)


def _find_field_row(ws: Worksheet, spec: FieldSpec) -> int:
    label = _label(spec)
    for row in range(FIRST_ROW, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == label:
            return row
    raise LookupError(f"模板中找不到“{spec.zh}”")  # pragma: no cover - the writer just put it there


def _preset(wb: Workbook, form: FormLayout, sheet_key: str, field_name: str, value: Any) -> None:
    spec = form.sheet(sheet_key)
    fspec = next(f for f in spec.fields if f.name == field_name)
    ws = wb[spec.name]
    ws.cell(row=_find_field_row(ws, fspec), column=2, value=value)


def build_template(
    branch_type: str | None = None, year: int | None = None, form: FormLayout = FORM_2012
) -> Workbook:
    """Build the blank grading workbook.

    Args:
        branch_type: preselects 支部类型 (one of ``BRANCH_TYPES``); every sheet is still present, but the
            fields, columns, checklist rows and sheets that type's rules do not read are greyed out and
            named as 不适用 in the sheet's note (``sheet_note``).
        year: presets 考核年度 and narrows the date validations to year-1 .. year+1.
        form: the profile's form (schemas.forms): its sheets, and the version stamped in ``_meta``.

    Raises:
        ValueError: an unknown branch type or a year outside 2000–2099.
    """
    if branch_type is not None and branch_type not in BRANCH_TYPES:
        raise ValueError(f"未知的支部类型“{branch_type}”，应为：{'、'.join(BRANCH_TYPES)}")
    if year is not None and (isinstance(year, bool) or not DATE_MIN_YEAR <= year < DATE_MAX_YEAR):
        raise ValueError(f"考核年度应为 {DATE_MIN_YEAR}–{DATE_MAX_YEAR - 1} 之间的年份，收到：{year!r}")
    window = _Window(year)
    wb = Workbook()
    wb.remove(wb.active)
    _write_instructions(wb, branch_type, year, form)
    for spec in form.sheets:
        _write_form_sheet(wb, spec, window, branch_type)
    _write_meta(wb, form)
    if branch_type is not None:
        _preset(wb, form, "basic", "branch_type", branch_type)
    if year is not None:
        _preset(wb, form, "basic", "assessment_year", year)
    wb.active = 0
    # Stops renaming, deleting or unhiding sheets (the reader finds sheets by name); no password, so an
    # administrator can still lift it.
    wb.security = WorkbookProtection(lockStructure=True)
    wb.properties.title = "党支部分类定级填报表"
    wb.properties.creator = "branchgrade"
    wb.properties.keywords = f"{META_MARK} {form.version}"
    return wb


def write_template(
    path: Path, branch_type: str | None = None, year: int | None = None, form: FormLayout = FORM_2012
) -> None:
    """Build the template and write it to ``path`` atomically (a temp file in the same folder, then replace).

    Raises:
        ValueError: bad arguments (see ``build_template``) or a path that does not end in .xlsx.
        OSError: the folder does not exist or is not writable.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"模板只能保存为 .xlsx 文件，收到：{path.name}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"目录不存在：{path.parent}")
    wb = build_template(branch_type, year, form)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            wb.save(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
