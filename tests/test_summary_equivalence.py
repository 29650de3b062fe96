"""The summary workbook with its cells written as XML directly is the workbook the xlsxwriter writer wrote.

tests/oracle_summary.py is that writer, frozen. The summaries of both fixture colleges (in both languages),
edge cases and reports of arbitrary text (hypothesis) are written through both and compared twice over:

* part by part: the same parts in the same order, each byte for byte — except core.xml's timestamps, and
  the style numbers: xlsxwriter numbered each style at its first use, the new writer numbers them all when
  declared, so styles.xml lists them in another order and a cell's ``s="…"`` differs (masked here);
* read back with openpyxl: every cell's value, type and style (font, fill, alignment, border, number format,
  protection) in every sheet, the dimensions, column widths, filters, the dropdown, panes, page setup and
  print titles, and the workbook's defined names — which is where the styles are compared.

The one intended difference: text that looks like ``<r>…</r>`` (see ``engine/export/_ooxml``).
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import pipeline
from engine.export.summary import write_summary
from schemas.batch import BatchReport, FileReport
from schemas.common import Evidence, Finding, Source, Text
from schemas.results import BranchResult
from tests import oracle_summary as oracle
from tests.builders import identity
from tests.test_export import finding, make_report, make_result
from tests.xlsx_readback import cell, package_parts

ROOT = Path(__file__).resolve().parent.parent
COLLEGES = {"college": "loudi-2012", "college-2019": "national-2018"}
LANGS = ("zh", "en")
_STYLE = re.compile(rb' s="\d+"')


# ------------------------------------------------------------------------------ reading a summary back


def _sheet(ws: Any) -> dict[str, Any]:
    setup = ws.page_setup
    return {
        "dimensions": ws.dimensions,
        "cells": {c.coordinate: cell(c) for row in ws.iter_rows() for c in row},
        "columns": {k: (d.width, d.customWidth, d.hidden) for k, d in ws.column_dimensions.items()},
        "filter": ws.auto_filter.ref,
        "validations": [
            (dv.type, dv.formula1, str(dv.sqref), dv.allow_blank, dv.showErrorMessage)
            for dv in ws.data_validations.dataValidation
        ],
        "freeze": ws.freeze_panes,
        "page": (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight),
        "fit to page": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
        "print titles": (ws.print_title_rows, ws.print_title_cols),
    }


def snapshot(data: bytes) -> dict[str, Any]:
    """Everything openpyxl reads from a summary that a person could see, print or use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl: "data validation extension not supported"
        wb = openpyxl.load_workbook(io.BytesIO(data))
    return {
        "sheets": wb.sheetnames,
        "names": {name: d.attr_text for name, d in wb.defined_names.items()},
        **{ws.title: _sheet(ws) for ws in wb.worksheets},
    }


def parts(data: bytes) -> dict[str, bytes]:
    """The package's parts, in order, with core.xml's clock readings and cells' style numbers masked."""
    return {
        name: _STYLE.sub(b' s="?"', part)
        for name, part in package_parts(data).items()
        if name != "xl/styles.xml"
    }


def oracle_bytes(report: BatchReport, lang: str, tmp: Path) -> bytes:
    path = tmp / f"oracle-{lang}.xlsx"
    oracle.write_summary(report, path, lang=lang)  # type: ignore[arg-type]
    return path.read_bytes()


def new_bytes(report: BatchReport, lang: str, tmp: Path) -> bytes:
    path = tmp / f"new-{lang}.xlsx"
    write_summary(report, path, lang=lang)  # type: ignore[arg-type]
    return path.read_bytes()


def assert_same_summary(report: BatchReport, lang: str, tmp: Path) -> bytes:
    new, old = new_bytes(report, lang, tmp), oracle_bytes(report, lang, tmp)
    new_parts, old_parts = parts(new), parts(old)
    assert list(new_parts) == list(old_parts)
    for name, old_part in old_parts.items():
        assert new_parts[name] == old_part, f"{lang}: {name} differs"
    assert snapshot(new) == snapshot(old)
    return new


# ------------------------------------------------------------------------------ the fixture colleges


@pytest.fixture(scope="module")
def college_reports(tmp_path_factory: pytest.TempPathFactory) -> list[BatchReport]:
    reports = []
    for folder, profile in COLLEGES.items():
        out = tmp_path_factory.mktemp(folder)
        reports.append(pipeline.grade_folder(ROOT / "fixtures" / folder, out, profile, workers=0).report)
    return reports


@pytest.mark.parametrize("lang", LANGS)
def test_every_fixture_summary_is_what_xlsxwriter_wrote(
    college_reports: list[BatchReport], lang: str, tmp_path: Path
) -> None:
    for report in college_reports:
        assert_same_summary(report, lang, tmp_path)


def test_the_batch_writes_that_summary(college_reports: list[BatchReport], tmp_path: Path) -> None:
    # grade_folder streams the rows as outcomes arrive: the same workbook as written from the whole report.
    out = tmp_path / "out"
    run = pipeline.grade_folder(ROOT / "fixtures" / "college", out, "loudi-2012", workers=0)
    streamed = (run.out / pipeline.SUMMARY_NAME["zh"]).read_bytes()
    assert parts(streamed) == parts(new_bytes(run.report, "zh", tmp_path))
    assert snapshot(streamed) == snapshot(oracle_bytes(college_reports[0], "zh", tmp_path))


# ------------------------------------------------------------------------------ arbitrary text

# Text shaped to reach every escaping path: XML's specials, Excel's _xHHHH_ escapes (typed and needed),
# controls, non-characters, edge whitespace, formula look-alikes, CJK and astral characters.
SNIPPETS = (
    "&",
    "<",
    ">",
    '"',
    "'",
    "_x0041_",
    "_x005F_",
    "_xD83C_",
    "\ufffe",
    "\uffff",
    " ",
    "\u3000",
    "\n",
    "\t",
    "=1+1",
    "+",
    "-",
    "@",
    "支部",
    "🎉",
    *(chr(c) for c in range(0x20)),
)
_ANY_CHAR = st.characters(blacklist_categories=("Cs",))  # lone surrogates can't be encoded at all
text = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(_ANY_CHAR, max_size=8)), max_size=8).map("".join)


@st.composite
def results(draw: st.DrawFn, branch_id: str) -> BranchResult:
    base = make_result()

    def t() -> Text:
        return Text(zh=draw(text), en=draw(text))

    items = tuple(
        finding(draw(text), n_cells=draw(st.integers(0, 10))).model_copy(
            update={
                "message": t(),
                "title": t(),
                "rectification": t(),
                "owner": t() if draw(st.booleans()) else None,
                "deadline": draw(st.one_of(st.none(), st.dates(date(1899, 1, 1), date(2100, 12, 31)))),
                "source": Source(document=draw(text), clause=draw(text)) if draw(st.booleans()) else None,
                "indicator": draw(st.sampled_from((None, "leader", "systems", "unknown"))),
                "evidence": tuple(
                    Evidence(file="b.xlsx", sheet=draw(text), cell=draw(text))
                    for _ in range(draw(st.integers(0, 3)))
                ),
            }
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    return base.model_copy(
        update={
            "identity": identity(
                file=draw(text),
                branch_id=branch_id,
                branch_name=draw(text),
                general_branch=draw(st.one_of(st.none(), text)),
                branch_type=draw(text),
                secretary=draw(text),
            ),
            "total": draw(st.floats(-1e6, 1e6, allow_nan=False)),
            "scores": tuple(s.model_copy(update={"name": t()}) for s in base.scores),
            "adjustments": tuple(t() for _ in range(draw(st.integers(0, 2)))),
            "items": items,
        }
    )


@st.composite
def reports(draw: st.DrawFn) -> BatchReport:
    graded = tuple(draw(results(f"B{i:03d}")) for i in range(draw(st.integers(0, 3))))
    problem = Finding(
        code="IN-05",
        title=Text(zh="日期无法识别", en="Unreadable date"),
        message=Text(zh=draw(text), en=draw(text)),
        evidence=(Evidence(file="bad.xlsx", sheet=draw(text), cell="A7"),),
        rectification=Text(zh=draw(text), en=draw(text)),
    )
    bad = FileReport(file=draw(text) or "bad.xlsx", sha256="", status="ungradable", problems=(problem,))
    return make_report(graded).model_copy(update={"files": (bad,)})


def _rich_looking(report: BatchReport, lang: str) -> bool:
    """Whether some text would make a cell of the ``<r>…</r>`` shape the old writer mishandled."""
    texts = [
        *(v for r in report.results for v in _texts(r, lang)),
        *(v for f in report.files for p in f.problems for v in (f.file, p.message.get(lang))),  # type: ignore[arg-type]
    ]
    return any(t.startswith("<r>") and t.endswith("</r>") for t in texts)


def _texts(result: BranchResult, lang: str) -> list[str]:
    record = oracle.summary_record(result, lang)  # type: ignore[arg-type]
    return [
        *(v for v in record if isinstance(v, str)),
        *(name for _, name, _ in record.scores),
        *(v for item in record.items for v in item if isinstance(v, str)),
    ]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(report=reports(), lang=st.sampled_from(LANGS))
def test_arbitrary_text_reads_back_as_xlsxwriter_wrote_it_and_never_as_a_formula(
    report: BatchReport, lang: str, tmp_path: Path
) -> None:
    assume(not _rich_looking(report, lang))
    new = assert_same_summary(report, lang, tmp_path)
    for name, part in parts(new).items():
        if name.startswith("xl/worksheets/sheet"):
            assert b"<f>" not in part and b"<f " not in part


def test_text_shaped_like_a_rich_string_is_text(tmp_path: Path) -> None:
    """xlsxwriter wrote ``<r>…</r>`` text raw into the sheet: a corrupt file, or injected markup."""
    name, message = "<r>x&y</r>", "<r><t>bold?</t></r>"
    report = make_report((make_result(name=name, items=(finding("OL-02", message=message),)),))
    with pytest.raises(Exception, match="not well-formed"):
        snapshot(oracle_bytes(report, "zh", tmp_path))  # what the old writer did to it
    wb = openpyxl.load_workbook(io.BytesIO(new_bytes(report, "zh", tmp_path)))
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert name in values
    assert any(isinstance(v, str) and v.startswith(message) for v in values)


# Each of these takes a path of its own; hypothesis may or may not find them, so they are pinned here:
# (branch name, item message, deadline).
EDGE_CASES = {
    "control characters": ("支部\x00\x01\x1f", "问题\x0b\x0c\r\n\t", date(2013, 1, 31)),
    "Excel escapes typed literally": ("_x0041_党支部", "_x005F_x0041_ _xD83C_", date(2013, 1, 31)),
    "non-characters": ("\ufffe支部\uffff", "\uffff", None),
    "edge whitespace": (" 支部\u3000", "\n问题 ", None),
    "cell cut at 32,767 characters": ("支部", "字" * 40_000, None),
    "cell cut at 32,767 UTF-16 units": ("支部", "🎉" * 20_000, None),
    "formula-like text": ("=1+1", "=cmd|' /C calc'!A0", None),
    "1900-01-01 (day 1)": ("支部", "x", date(1900, 1, 1)),
    "before the 1900 leap-year bug": ("支部", "x", date(1900, 2, 28)),
    "after the 1900 leap-year bug": ("支部", "x", date(1900, 3, 1)),
    "before 1900": ("支部", "x", date(1899, 6, 1)),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_cases_read_back_as_xlsxwriter_wrote_them(case: str, lang: str, tmp_path: Path) -> None:
    name, message, deadline = EDGE_CASES[case]
    item = finding("OL-02", message=message).model_copy(
        update={"deadline": deadline, "rectification": Text(zh=message, en=message)}
    )
    result = make_result(name=name, items=(item,)).model_copy(update={"total": 86.25})
    assert_same_summary(make_report((result,)), lang, tmp_path)


def test_the_comparison_sees_a_changed_cell(tmp_path: Path) -> None:
    # Guard against a comparison that passes whatever: one cell's text changed is caught.
    report = make_report()
    changed = report.model_copy(
        update={"results": (make_result("B001", name="机电系第二党支部"), *report.results[1:])}
    )
    with pytest.raises(AssertionError):
        assert parts(new_bytes(changed, "zh", tmp_path)) == parts(oracle_bytes(report, "zh", tmp_path))
    with pytest.raises(AssertionError):
        assert snapshot(new_bytes(changed, "zh", tmp_path)) == snapshot(oracle_bytes(report, "zh", tmp_path))
