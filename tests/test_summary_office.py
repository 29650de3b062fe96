"""The summary workbook, now put together from xlsxwriter's frame and rows serialised directly: LibreOffice
opens it, re-saves it with every value, filter and dropdown, and prints it.

Needs ``soffice``; skipped without it as tests/test_office_roundtrip.py is (same switch).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import openpyxl
import pytest

from engine.export.summary import write_summary
from tests.test_export import finding, make_report, make_result
from tests.test_office_roundtrip import convert, soffice

pytestmark = pytest.mark.office

__all__ = ["soffice"]  # the fixture, used by name


@pytest.fixture(scope="module")
def summary_files(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    workdir = tmp_path_factory.mktemp("office-summary")
    source = workdir / "summary.xlsx"
    items = (finding("OL-02", message="=1+1 不是公式 & <标签>"), finding("ED-08", n_cells=12))
    results = (
        make_result("B001", name="<r>机电系</r>", items=items),
        make_result("B002", grade="A", items=(), branch_type="学生"),
    )
    write_summary(make_report(results), source)
    return {"source": source, **{fmt: convert(soffice, source, fmt, workdir) for fmt in ("xlsx", "pdf")}}


def _values(path: Path) -> dict[str, dict[str, object]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LibreOffice writes extensions openpyxl does not model
        wb = openpyxl.load_workbook(path)
    # LibreOffice keeps 15 significant digits of a number (1/3 comes back as 0.333333333333333).
    return {
        ws.title: {
            c.coordinate: round(c.value, 12) if isinstance(c.value, float) else c.value
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        }
        for ws in wb.worksheets
    }


def test_summary_survives_a_libreoffice_resave(summary_files: dict[str, Path]) -> None:
    original, resaved = _values(summary_files["source"]), _values(summary_files["xlsx"])
    assert list(resaved) == list(original)
    assert resaved == original
    assert "<r>机电系</r>" in original["汇总"].values()  # text, not markup
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(summary_files["xlsx"])
    items = wb["整改事项"]
    assert items.auto_filter.ref == "A1:J3"
    assert [(dv.type, str(dv.sqref)) for dv in items.data_validations.dataValidation] == [("list", "J2:J3")]
    # LibreOffice writes number formats with its own escapes (yyyy\\-mm\\-dd)
    assert items["I2"].number_format.replace("\\", "") == "yyyy-mm-dd" and items["I2"].value.year == 2013
    assert wb["汇总"]["F2"].number_format.replace("\\", "") == "0.##;-0.##;0"
    assert not any(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def test_summary_prints_to_pdf(summary_files: dict[str, Path]) -> None:
    pdf = summary_files["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
