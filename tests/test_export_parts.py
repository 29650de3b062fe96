"""The 整改清单's committed package parts (engine/export/parts/branch_list/) are what the pinned xlsxwriter
makes of the list's declarations, and the parts the writer computes itself match xlsxwriter's."""

from __future__ import annotations

import io
import re
import tomllib
import zipfile
from pathlib import Path

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.export._ooxml import cols_xml
from engine.export.parts.generate import COMMAND, stale_parts


def test_the_committed_parts_are_what_xlsxwriter_makes() -> None:
    stale = stale_parts()
    assert not stale, f"engine/export/parts/branch_list/ is stale ({', '.join(stale)}): run `{COMMAND}`"


def test_xlsxwriter_is_pinned_to_the_version_the_parts_come_from() -> None:
    pyproject = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8"))
    pins = [r for r in pyproject["project"]["dependencies"] if r.lower().startswith("xlsxwriter")]
    assert pins == [f"xlsxwriter=={xlsxwriter.__version__}"]


def _xlsxwriter_cols(widths: list[float]) -> str:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet()
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    wb.close()
    with zipfile.ZipFile(buffer) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode()
    found = re.search(r"<cols>.*?</cols>", sheet)
    return found[0] if found else ""


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from([6, 10, 11, 11, 42, 0.5, 1]), st.floats(0.1, 255).map(lambda w: round(w, 2))
        ),
        max_size=12,
    )
)
def test_column_widths_are_written_as_xlsxwriter_writes_them(widths: list[float]) -> None:
    assert cols_xml(widths) == _xlsxwriter_cols(widths)
