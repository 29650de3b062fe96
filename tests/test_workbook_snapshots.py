"""The 整改清单 and summary workbooks read back as the committed snapshots (tests/snapshots/*.txt) say.

A difference fails with the diff and the command that regenerates the snapshots; see
tests/workbook_snapshots.py for what a snapshot holds. The last tests check that the read-back sees what a
person would: a small change to the look of a written workbook changes its snapshot.
"""

from __future__ import annotations

import difflib
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from engine import pipeline
from engine.export.branch_list import branch_list_bytes
from engine.export.page_setup import PrintHeading
from engine.export.summary import write_summary
from tests.test_export import make_result
from tests.workbook_snapshots import COLLEGES, COMMAND, ROOT, SNAPSHOTS, cases, describe, graded

CASES = cases()


def test_every_snapshot_has_a_case() -> None:
    committed = sorted(path.stem for path in SNAPSHOTS.glob("*.txt"))
    assert committed == sorted(CASES), f"snapshots and cases differ: run `{COMMAND}`"


@pytest.mark.parametrize("name", sorted(CASES))
def test_workbook_reads_back_as_its_snapshot(name: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    assert path.is_file(), f"no snapshot {path.name}: run `{COMMAND}`"
    want, have = path.read_text(encoding="utf-8"), describe(CASES[name]())
    if have != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(keepends=True), have.splitlines(keepends=True), "committed", "written", n=1
            )
        )
        pytest.fail(
            f"{name} no longer reads back as tests/snapshots/{path.name}:\n{diff[:6000]}\n"
            f"If the change is intended, run `{COMMAND}` and review the diff.",
            pytrace=False,
        )


def test_the_summary_a_batch_streams_is_the_snapshot(tmp_path: Path) -> None:
    """grade_folder writes the summary record by record as outcomes arrive: the same workbook."""
    run = pipeline.grade_folder(ROOT / "fixtures" / "college", tmp_path, COLLEGES["college"], workers=0)
    streamed = describe((run.out / pipeline.SUMMARY_NAME["zh"]).read_bytes())
    # A batch's pages also name its profile and the day it ran: the same workbook as write_summary's with
    # that heading (the snapshot, written any day, names neither; its own test compares write_summary's).
    heading = PrintHeading(profile="娄底职院2012年基层组织建设年分类定级", on=date.today())
    written = tmp_path / "written.xlsx"
    write_summary(graded("college"), written, "zh", heading=heading)
    assert streamed == describe(written.read_bytes())


def _patched(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body.replace(old, new, 1) if name == part else body)
    return out.getvalue()


_SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize(
    ("what", "part", "old", "new"),
    [
        ("a cell's style", _SHEET, b'r="D14" s="7"', b'r="D14" s="6"'),
        ("a column's width", _SHEET, b'width="42.7109375"', b'width="40.7109375"'),
        ("a row's height", _SHEET, b'ht="20.25"', b'ht="21"'),
        ("the dropdown's range", _SHEET, b'sqref="I14:I15"', b'sqref="I14:I16"'),
        ("a margin", _SHEET, b'left="0.4"', b'left="0.5"'),
        ("the footer", _SHEET, b"&amp;P", b"&amp;N"),
        ("a font", "xl/styles.xml", b'<sz val="16"/>', b'<sz val="15"/>'),
        ("a fill", "xl/styles.xml", b"FFC00000", b"FFC00001"),
        ("the print area", "xl/workbook.xml", b"$A$1:$M$20", b"$A$1:$M$21"),
        ("the stamp", "docProps/custom.xml", "整改清单 ".encode(), "汇总 ".encode()),
    ],
)
def test_the_snapshot_sees_what_a_person_would(what: str, part: str, old: bytes, new: bytes) -> None:
    data = branch_list_bytes(make_result())
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert old in package.read(part), what
    assert describe(_patched(data, part, old, new)) != describe(data), what
    assert describe(_patched(data, part, old, old)) == describe(data)
