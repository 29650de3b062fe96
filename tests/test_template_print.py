"""The blank template and the 整改清单 as LibreOffice prints them, through the page setup every printed output
shares (engine/export/page_setup.py): every page A4, page counts within bounds, each page headed (the
template's by its sheet's name, the list's by the branch) and numbered, and every text of every cell printed
whole in its column — none cut off at a column's edge or a page's.

Rendered through LibreOffice to PDF and read back with pypdf (tests/print_helpers.py); skipped without
``soffice`` or a CJK font unless BRANCHGRADE_REQUIRE_OFFICE=1 (see tests/test_office_roundtrip.py).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest

from engine.export.branch_list import COLUMNS, HEAD_ROW, write_branch_list
from engine.export.i18n import label
from engine.export.template import HEADER_ROW, write_template
from schemas.form_layout import INSTRUCTIONS_SHEET
from tests.print_helpers import (
    Page,
    cell_texts,
    column_edges,
    column_lines,
    norm,
    printed_pages,
    require_cjk_font,
)
from tests.test_office_roundtrip import convert, soffice
from tests.workbook_snapshots import graded

__all__ = ["soffice"]  # the fixture, used by name

A4_POINTS = (595, 842)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _a4_pages(pdf: Path) -> int:
    reader = pypdf.PdfReader(pdf)
    sizes = {tuple(sorted(round(float(v)) for v in page.mediabox[2:])) for page in reader.pages}
    assert sizes == {A4_POINTS}
    return len(reader.pages)


def _assert_every_text_printed(ws: Any, pages: list[Page], header_row: int) -> None:
    """Each page holds the header row ``header_row`` (1-based, repeated on every page) on one line; every
    cell's text is in its column (a merged cell's in one of the columns it spans)."""
    heads = [(c.value, c.column_letter) for c in ws[header_row] if c.value is not None]
    labels = [str(value) for value, _ in heads]
    default = ws.sheet_format.defaultColWidth or 8.43
    widths = [ws.column_dimensions[letter].width or default for _, letter in heads]
    printed: list[list[tuple[int, str]]] = []
    for page in pages:
        found = column_edges(page, labels, widths)
        assert found is not None, (ws.title, page.number, labels)
        printed += column_lines(page, [x - 2 for x in found])  # a text starts just inside its column
    spans = {
        (area.min_row, area.min_col): range(area.min_col - 1, area.max_col) for area in ws.merged_cells.ranges
    }
    last = len(labels) - 1
    for c, value in cell_texts(ws):
        span = {min(k, last) for k in spans.get((c.row, c.column), range(c.column - 1, c.column))}
        # the text printed in the cell's columns, line after line (a merged cell's runs left to right)
        stream = "".join(text for line in printed for col, text in line if col in span)
        assert norm(value) in stream, (ws.title, c.coordinate, value)


@pytest.mark.office
@pytest.mark.slow
def test_the_template_prints_on_a4_with_every_text_whole(soffice: str, tmp_path: Path) -> None:
    require_cjk_font()
    source = tmp_path / "template.xlsx"
    write_template(source, branch_type="学生", year=2012)
    pdf = convert(soffice, source, "pdf", tmp_path)
    assert _a4_pages(pdf) <= 24  # one or two pages a sheet, the registers' blank rows included
    printed = _squash("".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages))

    wb = openpyxl.load_workbook(source)
    instructions = wb[INSTRUCTIONS_SHEET]
    for row in instructions.iter_rows(min_row=4, max_col=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip():
                assert _squash(cell.value) in printed, cell.value

    pages = printed_pages(pdf)
    total = len(pages)
    by_sheet: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        # the page header names the sheet, the footer numbers the page
        page.sheet = norm(page.header)
        assert norm(page.footer) == f"第{page.number}页，共{total}页"
        by_sheet[page.sheet].append(page)
    printable = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert list(by_sheet) == [ws.title for ws in printable]
    for ws in printable:
        if ws.title == INSTRUCTIONS_SHEET:
            continue
        assert 1 <= len(by_sheet[ws.title]) <= 4, ws.title
        _assert_every_text_printed(ws, by_sheet[ws.title], HEADER_ROW)


@pytest.mark.office
@pytest.mark.slow
def test_the_rectification_list_prints_on_a4_with_every_text_whole(soffice: str, tmp_path: Path) -> None:
    require_cjk_font()
    result = max(graded("college").results, key=lambda r: (len(r.items), r.identity.branch_id))
    source = tmp_path / "list.xlsx"
    write_branch_list(result, source, "zh")
    pdf = convert(soffice, source, "pdf", tmp_path)
    total = _a4_pages(pdf)
    # a page or two for the header block, then a few items a page at least
    assert 1 <= total <= 2 + math.ceil(len(result.items) / 4)
    pages = printed_pages(pdf)
    title = f"{result.identity.branch_name}{label('title_suffix', 'zh')}"
    for page in pages:
        assert norm(page.header) == norm(title)
        assert norm(page.footer) == f"第{page.number}页，共{total}页"
    ws = openpyxl.load_workbook(source).active
    labels = [label(column.key, "zh") for column in COLUMNS]
    assert [c.value for c in ws[HEAD_ROW + 1]][: len(labels)] == labels
    _assert_every_text_printed(ws, pages, HEAD_ROW + 1)
