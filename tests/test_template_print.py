"""The blank template as LibreOffice prints it: every page A4, every instruction whole (none cut off).

Rendered through LibreOffice to PDF and read back with pypdf; skipped without ``soffice`` unless
BRANCHGRADE_REQUIRE_OFFICE=1 (see tests/test_office_roundtrip.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pypdf
import pytest

from engine.export.template import write_template
from tests.test_office_roundtrip import convert, soffice

__all__ = ["soffice"]  # the fixture, used by name

A4_POINTS = (595, 842)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.office
@pytest.mark.slow
def test_the_template_prints_on_a4_with_every_instruction_whole(soffice: str, tmp_path: Path) -> None:
    source = tmp_path / "template.xlsx"
    write_template(source, branch_type="学生", year=2012)
    reader = pypdf.PdfReader(convert(soffice, source, "pdf", tmp_path))
    sizes = {tuple(sorted(round(float(v)) for v in page.mediabox[2:])) for page in reader.pages}
    assert sizes == {A4_POINTS}
    assert len(reader.pages) <= 20  # one or two pages a sheet, the registers' blank rows included
    printed = _squash("".join(page.extract_text() for page in reader.pages))

    instructions = openpyxl.load_workbook(source)["填表说明"]
    for row in instructions.iter_rows(min_row=4, max_col=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip():
                assert _squash(cell.value) in printed, cell.value
