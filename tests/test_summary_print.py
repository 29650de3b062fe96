"""The summary workbook prints: every sheet A4 landscape and one page wide, its header rows on every page, a
page header naming the college, profile, round and date, page numbers; columns as wide as their texts up to
a cap, longer texts wrapped in rows tall enough for them; the common-problems chart labels its bars with the
rules' titles; a one-page 总览 for the college's leadership.

The workbook is read back (openpyxl and its chart parts), and printed: LibreOffice renders it to PDF, whose
text (pypdf, with each fragment's position) is split into pages by the sheet named in each page's header and
into columns by where the table's header labels start. Every text of every cell must be found, whole, in its
column of its sheet's pages — a text cut off at a column's edge or a row too short for its lines is missing.
The office checks need ``soffice`` and a CJK font (without one LibreOffice prints Chinese as glyphs no text
can be read from); they are skipped without them, unless BRANCHGRADE_REQUIRE_OFFICE=1 (CI), as in
tests/test_office_roundtrip.py.
"""

from __future__ import annotations

import math
import re
import warnings
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine import pipeline
from engine.export._xlsx import LINE_HEIGHT, text_width
from engine.export.page_setup import PrintHeading
from engine.export.summary import write_summary
from tests.print_helpers import (
    Page,
    cell_texts,
    column_starts,
    column_streams,
    norm,
    printed_pages,
    require_cjk_font,
)
from tests.test_office_roundtrip import convert, soffice
from tests.workbook_snapshots import ROOT, graded

__all__ = ["soffice"]  # the fixture, used by name

COLLEGE = "娄底职业技术学院"
HEADING = PrintHeading(
    college=COLLEGE,
    profile="娄底职院2012年基层组织建设年分类定级",
    round_name="年终自查",
    on=date(2012, 12, 10),
)
HEAD_FILL = "FFC00000"  # the header cells' fill
MAX_WIDTH = 40  # engine.export.summary's cap on a column's width
# Sheets laid out in sections; in the others the first row is the table's header, repeated on every page.
SECTIONED = ("总览", "等次分布")


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("summary-print") / "summary.xlsx"
    write_summary(graded("college"), path, "zh", heading=HEADING)
    return path


def _book(path: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


# ------------------------------------------------------------------------------------ the workbook read back


def test_every_sheet_prints_a4_landscape_one_page_wide_naming_college_profile_round_and_date(
    summary: Path,
) -> None:
    wb = _book(summary)
    assert wb.sheetnames[0] == "总览"
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize) == ("landscape", 9), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth in (None, 1), ws.title  # 1, the default, is left out
        assert setup.fitToHeight == (None if ws.title == "总览" else 0), ws.title  # 总览: one page tall
        assert ws.print_title_rows == (None if ws.title in SECTIONED else "$1:$1"), ws.title
        assert ws.oddHeader.left.text == f"{COLLEGE}　&A"
        assert ws.oddHeader.center.text == HEADING.profile
        assert ws.oddHeader.right.text == "年终自查　2012-12-10"
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def _width(ws: Any, col: str) -> float:
    """The column's width (openpyxl keeps equal neighbours as one range, min to max)."""
    index = openpyxl.utils.column_index_from_string(col)
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= index <= dim.max and dim.width:
            return float(dim.width)
    return 8.43


def test_columns_fit_their_texts_and_longer_texts_wrap_in_rows_tall_enough(summary: Path) -> None:
    wb = _book(summary)
    wrapped = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str) or c.font.sz != 11:  # a title may run over empty cells
                    continue
                width = _width(ws, c.column_letter)
                assert width <= MAX_WIDTH + 1, (ws.title, c.coordinate)
                if text_width(c.value) + 2 <= width + 0.8:  # xlsxwriter adds 0.71 to a declared width
                    continue
                if (
                    ws.title in SECTIONED
                    and c.column == 1
                    and all(ws.cell(c.row, k).value is None for k in (2, 3))
                ):
                    continue  # a section's title, running over the empty cells beside it
                wrapped += 1
                assert c.alignment.wrap_text, (ws.title, c.coordinate, c.value)
                lines = math.ceil(text_width(c.value) / ((width - 0.71 - 1) * 0.85))
                height = ws.row_dimensions[c.row].height
                assert height is not None and height >= min(lines, 40) * LINE_HEIGHT, (ws.title, c.coordinate)
    assert wrapped > 10  # the fixture college has long problems, bases and measures


def _charts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in sorted(z.namelist()) if n.startswith("xl/charts/chart")]


def test_the_common_problems_chart_labels_bars_with_rule_titles(summary: Path) -> None:
    wb = _book(summary)
    bars = [xml for xml in _charts(summary) if '<c:barDir val="bar"/>' in xml]
    assert len(bars) == 1
    categories = re.search(r"<c:cat>.*?<c:f>(.*?)</c:f>", bars[0], re.S)
    assert categories is not None
    shown = min(wb["常见问题"].max_row - 1, 20)
    assert categories[1] == f"常见问题!$B$2:$B${shown + 1}"
    assert wb["常见问题"]["B1"].value == "问题"  # the rule's title, not its code (column A)


def test_the_overview_gives_the_distribution_kpis_against_targets_and_top_problems(summary: Path) -> None:
    report = graded("college")
    ws = _book(summary)["总览"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == f"{COLLEGE}党支部分类定级总览"
    assert rows[1][0] == f"评定方案：{HEADING.profile}　轮次：年终自查　日期：2012-12-10"
    assert rows[2][0].startswith(f"文件夹中的文件 {len(report.files)}、已评定 {len(report.results)}")

    def section(title: str) -> list[list[Any]]:
        start = next(i for i, r in enumerate(rows) if r[0] == title) + 2  # past the title and header row
        end = next((i for i in range(start, len(rows)) if rows[i][0] is None), len(rows))
        return rows[start:end]

    grades: dict[str, int] = defaultdict(int)
    for r in report.results:
        grades[r.grade.name.zh] += 1
    distribution = section("等次分布")
    assert {r[0]: r[1] for r in distribution[:-1]} == grades
    assert distribution[-1][:2] == ["合计", len(report.results)]
    for _, n, share, *_ in distribution[:-1]:
        assert share == pytest.approx(n / len(report.results))

    kpis = section("学院指标（对照目标）")
    assert [r[:4] for r in kpis] == [
        [k.title.zh, k.target, k.actual, "是" if k.met else "否"] for k in report.kpis
    ]

    top = section("主要问题（涉及支部最多的10项）")
    common = [[c.value for c in row] for row in _book(summary)["常见问题"].iter_rows(min_row=2)]
    assert len(top) == 10
    assert [[r[1], r[0], r[2]] for r in top] == [[r[0], r[1], r[2]] for r in common[:10]]


@pytest.mark.slow
def test_grade_names_the_college_and_round_in_the_page_header(tmp_path: Path) -> None:
    run = pipeline.grade_folder(
        ROOT / "fixtures" / "college",
        tmp_path,
        "loudi-2012",
        workers=0,
        college="Arts & Sciences",
        round_name="年终自查",
    )
    ws = _book(run.out / "分类定级汇总.xlsx")["汇总"]
    assert ws.oddHeader.left.text == "Arts && Sciences　&A"  # an & doubled, so it prints as typed
    assert ws.oddHeader.center.text == "娄底职院2012年基层组织建设年分类定级"
    assert ws.oddHeader.right.text == f"年终自查　{date.today().isoformat()}"


# ------------------------------------------------------------------------------------ printed by LibreOffice


def _pages(pdf: Path, sheets: list[str]) -> list[Page]:
    """The printed pages, each with the sheet its header names (after the college)."""
    pages = printed_pages(pdf)
    for page in pages:
        after = page.header.split("　", 1)[1] if "　" in page.header else ""
        page.sheet = max((s for s in sheets if after.startswith(s)), key=len, default="")
    return pages


def _head_row(ws: Any) -> list[str]:
    """The labels of the sheet's widest header row (its table's, or in a sectioned sheet its widest
    section's): where they start on paper is where the columns start."""
    heads = [
        [c.value for c in row if c.value is not None]
        for row in ws.iter_rows()
        if any(c.fill.fgColor.rgb == HEAD_FILL for c in row)
    ]
    return max(heads, key=len)


@pytest.fixture(scope="module")
def printed(soffice: str, summary: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_cjk_font()
    return convert(soffice, summary, "pdf", tmp_path_factory.mktemp("summary-pdf"))


@pytest.mark.office
@pytest.mark.slow
def test_the_printed_summary_has_its_pages_headers_and_every_text_whole(summary: Path, printed: Path) -> None:
    wb = _book(summary)
    pages = _pages(printed, wb.sheetnames)
    total = len(pages)
    by_sheet: dict[str, list[Page]] = defaultdict(list)
    for page in pages:
        # every page names the college, its sheet, the profile, the round and the date, and is numbered
        assert page.sheet, page.header
        assert norm(page.header) == norm(f"{COLLEGE}　{page.sheet}{HEADING.profile}年终自查　2012-12-10")
        assert norm(page.footer) == f"第{page.number}页，共{total}页"
        by_sheet[page.sheet].append(page)
    # the sheets print in order, each on pages of its own, within bounds
    assert [p.sheet for p in pages] == sorted((p.sheet for p in pages), key=wb.sheetnames.index)
    assert list(by_sheet) == wb.sheetnames
    assert len(by_sheet["总览"]) == 1
    assert len(by_sheet["等次分布"]) == 2  # a page for each table and its chart
    for ws in wb.worksheets:
        if ws.title not in SECTIONED:
            assert 1 <= len(by_sheet[ws.title]) <= max(1, math.ceil((ws.max_row - 1) / 4)), ws.title

    for ws in wb.worksheets:
        labels = _head_row(ws)
        starts = None
        columns: dict[int, str] = defaultdict(str)
        for page in by_sheet[ws.title]:
            # one page wide, the header row on every page: each page holds the whole header on one line
            found = column_starts(page, labels)
            if ws.title not in SECTIONED:
                assert found is not None, (ws.title, page.number, labels)
            starts = found or starts
            assert starts is not None, (ws.title, page.number)
            for col, text in column_streams([page], starts).items():
                columns[col] += text
        assert starts is not None, ws.title
        for c, value in cell_texts(ws):
            col = min(c.column - 1, len(starts) - 1)
            assert norm(value) in columns.get(col, ""), (ws.title, c.coordinate, value)


@pytest.mark.office
@pytest.mark.slow
def test_the_printed_charts_fit_their_pages_with_their_labels(summary: Path, printed: Path) -> None:
    wb = _book(summary)
    pages = _pages(printed, wb.sheetnames)
    # each distribution table shares its page with its chart, whose bars are labelled by the table's rows
    for section in ("按上级党组织", "按支部类型"):
        page = next(p for p in pages if p.sheet == "等次分布" and section in p.text())
        assert f"评定等次·{section}" in page.text(), section
    # the common problems: the chart (title and a labelled bar for each of the top 20 rules) on the first page
    common = wb["常见问题"]
    first = next(p for p in pages if p.sheet == "常见问题")
    starts = column_starts(first, _head_row(common))
    assert starts is not None
    # the chart stands right of the table's last column (D), whose width follows from column A's on paper
    per_unit = (starts[1] - starts[0]) / _width(common, "A")
    right_of_table = starts[3] + per_unit * _width(common, "D")
    chart = "".join(norm(f.text) for line in first.body for f in line if f.x > right_of_table)
    assert chart.startswith("常见问题"), chart[:40]
    titles = [common.cell(r, 2).value for r in range(2, min(common.max_row, 21) + 1)]
    assert len(titles) == 20
    for title in titles:
        assert norm(title) in chart, title
