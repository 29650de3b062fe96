"""Registers as secretaries fill them: merged cells cover their rows; extra columns are reported."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from engine.ingest import read_workbook
from engine.validate import validate_workbook

COLLEGE = Path(__file__).resolve().parent.parent / "fixtures" / "college"
SHEET, HEADER_ROW = "会议活动", 4  # 日期 is column A; records start on row 5


def _merged_copy(tmp_path: Path, first: int, last: int) -> Path:
    """JD-01 with the 日期 cells of rows first..last merged into one showing the first row's date."""
    target = tmp_path / "merged.xlsx"
    shutil.copy(COLLEGE / "JD-01.xlsx", target)
    wb = openpyxl.load_workbook(target)
    ws = wb[SHEET]
    for row in range(first + 1, last + 1):
        ws.cell(row, 1).value = None
    ws.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
    wb.save(target)
    return target


@pytest.mark.parametrize(("first", "last"), [(5, 7), (6, 8), (10, 11)])
def test_a_merged_date_covers_every_row_it_spans(tmp_path: Path, first: int, last: int) -> None:
    original = validate_workbook(read_workbook(COLLEGE / "JD-01.xlsx"))
    assert original.form is not None
    shown = original.form.meetings[first - HEADER_ROW - 1].date
    result = validate_workbook(read_workbook(_merged_copy(tmp_path, first, last)))
    assert result.form is not None, [p.render("en") for p in result.problems]
    assert not [p for p in result.problems if p.code == "IN-06"]  # never "required but empty"
    dates = [m.date for m in result.form.meetings]
    assert dates[first - HEADER_ROW - 1 : last - HEADER_ROW] == [shown] * (last - first + 1)
    assert len(result.form.meetings) == len(original.form.meetings)
    assert isinstance(shown, date)


def test_only_areas_spanning_rows_are_kept(tmp_path: Path) -> None:
    raw = read_workbook(COLLEGE / "JD-01.xlsx")  # the template merges each sheet's note across columns
    assert all(not sheet.merged for sheet in raw.sheets.values())
    merged = read_workbook(_merged_copy(tmp_path, 5, 7))
    assert merged.sheets[SHEET].merged == (((4, 0), (6, 0)),)


@pytest.mark.parametrize("suffix", [".ods", ".xls"])
def test_merged_cells_in_other_formats(tmp_path: Path, suffix: str) -> None:
    """Saved through LibreOffice as .ods (or Excel 97 .xls), the merge still covers its rows."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    source = _merged_copy(tmp_path, 5, 7)
    out = tmp_path / "converted"
    filt = "ods" if suffix == ".ods" else "xls:MS Excel 97"
    subprocess.run(
        [soffice, "--headless", "--convert-to", filt, "--outdir", str(out), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    converted = out / ("merged" + suffix)
    result = validate_workbook(read_workbook(converted))
    assert not [p for p in result.problems if p.code == "IN-06"], [p.render("en") for p in result.problems]
    assert result.form is not None
    dates = [m.date for m in result.form.meetings][:3]
    assert len(set(dates)) == 1


def test_an_extra_column_with_entries_is_a_warning(tmp_path: Path) -> None:
    target = tmp_path / "extra.xlsx"
    shutil.copy(COLLEGE / "JD-01.xlsx", target)
    wb = openpyxl.load_workbook(target)
    ws = wb[SHEET]
    extra = ws.max_column + 1
    ws.cell(HEADER_ROW, extra).value = "参会人员"
    ws.cell(HEADER_ROW + 1, extra).value = "全体党员"
    ws.cell(HEADER_ROW, extra + 1).value = "空列"  # titled but empty: nothing to lose, nothing said
    wb.save(target)
    result = validate_workbook(read_workbook(target))
    assert result.form is not None  # a warning: still graded
    extras = [p for p in result.problems if p.code == "IN-20"]
    assert len(extras) == 1
    assert "参会人员" in extras[0].message.zh and "不会被读取" in extras[0].message.zh
    assert extras[0].evidence[0].cell is not None and extras[0].evidence[0].sheet == SHEET


def test_the_fixture_college_has_no_extra_columns() -> None:
    for path in sorted(COLLEGE.glob("*.xlsx")):
        result = validate_workbook(read_workbook(path))
        assert not [p for p in result.problems if p.code == "IN-20"], path.name
