"""The 整改清单 written as XML directly is the workbook the xlsxwriter writer wrote.

tests/oracle_branch_list.py is that writer, frozen. Every list of both fixture colleges, and lists of
arbitrary text (hypothesis), are written through both and compared twice over:

* part by part, byte for byte (every part of the package, core.xml's timestamps aside), and
* read back with openpyxl: every cell's value, type and style (font, fill, alignment, border, number
  format, protection), merged ranges, column widths, row heights, the dropdown, freeze panes, print setup
  (orientation, paper, fit to page, print area and title rows, margins, centring, header and footer),
  the sheet's name and the workbook's defined names.

The one intended difference: text that looks like ``<r>…</r>`` (see ``engine/export/_ooxml``).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import pipeline
from engine.export.branch_list import branch_list_bytes, write_branch_list
from schemas.common import Evidence, Source, Text
from schemas.results import BranchResult
from tests import oracle_branch_list as oracle
from tests.builders import identity
from tests.test_export import finding, make_result
from tests.xlsx_readback import cell, package_parts

ROOT = Path(__file__).resolve().parent.parent
COLLEGES = {"college": "loudi-2012", "college-2019": "national-2018"}
LANGS = ("zh", "en")


# ------------------------------------------------------------------------------ reading a list back


def _validation(dv: Any) -> tuple[Any, ...]:
    return (
        (dv.type, dv.operator, dv.formula1, dv.formula2, str(dv.sqref), dv.errorStyle),
        (dv.allow_blank, dv.showDropDown, dv.showInputMessage, dv.showErrorMessage),
        (dv.errorTitle, dv.error, dv.promptTitle, dv.prompt),
    )


def _header_footer(hf: Any) -> tuple[Any, ...]:
    return tuple((part.text, part.font, part.size, part.color) for part in (hf.left, hf.center, hf.right))


def snapshot(data: bytes) -> dict[str, Any]:
    """Everything openpyxl reads from a list that a person could see, print or use."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    setup, margins, options = ws.page_setup, ws.page_margins, ws.print_options
    return {
        "sheets": wb.sheetnames,
        "workbook names": {name: d.attr_text for name, d in wb.defined_names.items()},
        "sheet names": {name: d.attr_text for name, d in ws.defined_names.items()},
        "dimensions": ws.dimensions,
        "cells": {c.coordinate: cell(c) for row in ws.iter_rows() for c in row},
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "columns": {k: (d.width, d.customWidth, d.hidden) for k, d in ws.column_dimensions.items()},
        "rows": {k: (d.height, d.customHeight, d.hidden) for k, d in ws.row_dimensions.items()},
        "validations": [_validation(dv) for dv in ws.data_validations.dataValidation],
        "freeze": ws.freeze_panes,
        "view": (ws.sheet_view.tabSelected, ws.sheet_view.zoomScale, ws.sheet_view.showGridLines),
        "page": (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight, setup.scale),
        "fit to page": ws.sheet_properties.pageSetUpPr.fitToPage,
        "margins": (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
        "centred": (options.horizontalCentered, options.verticalCentered),
        "print area": ws.print_area,
        "print titles": (ws.print_title_rows, ws.print_title_cols),
        "header": _header_footer(ws.oddHeader),
        "footer": _header_footer(ws.oddFooter),
        "protection": ws.protection.sheet,
    }


def parts(data: bytes) -> dict[str, bytes]:
    """The package's parts, in order, with core.xml's clock readings masked."""
    return package_parts(data)


def oracle_bytes(result: BranchResult, lang: str, tmp: Path) -> bytes:
    path = tmp / f"oracle-{lang}.xlsx"
    with warnings.catch_warnings():
        # xlsxwriter warns when it leaves a header out (too long, or an image placeholder); so be it.
        warnings.simplefilter("ignore")
        oracle.write_branch_list(result, path, lang=lang)  # type: ignore[arg-type]
    return path.read_bytes()


def assert_same_list(result: BranchResult, lang: str, tmp: Path) -> bytes:
    new, old = branch_list_bytes(result, lang), oracle_bytes(result, lang, tmp)  # type: ignore[arg-type]
    new_parts, old_parts = parts(new), parts(old)
    assert list(new_parts) == list(old_parts)
    for name, old_part in old_parts.items():
        assert new_parts[name] == old_part, f"{result.identity.branch_id} {lang}: {name} differs"
    assert snapshot(new) == snapshot(old)
    return new


# ------------------------------------------------------------------------------ the fixture colleges


@pytest.fixture(scope="module")
def college_results(tmp_path_factory: pytest.TempPathFactory) -> list[BranchResult]:
    results: list[BranchResult] = []
    for folder, profile in COLLEGES.items():
        out = tmp_path_factory.mktemp(folder)
        results += pipeline.grade_folder(ROOT / "fixtures" / folder, out, profile, workers=0).report.results
    return results


@pytest.mark.parametrize("lang", LANGS)
def test_every_fixture_list_is_what_xlsxwriter_wrote(
    college_results: list[BranchResult], lang: str, tmp_path: Path
) -> None:
    assert len(college_results) == 33  # 18 + 15 branches: both colleges really graded
    assert any(r.items for r in college_results) and any(not r.items for r in college_results)
    for result in college_results:
        assert_same_list(result, lang, tmp_path)


def test_the_written_file_is_the_bytes(college_results: list[BranchResult], tmp_path: Path) -> None:
    result = next(r for r in college_results if r.items)
    path = tmp_path / "list.xlsx"
    write_branch_list(result, path, lang="en")
    assert parts(path.read_bytes()) == parts(branch_list_bytes(result, "en"))
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]  # no temporary file left behind


# ------------------------------------------------------------------------------ arbitrary text

# What hostile or unusual text looks like: formulas and DDE, XML and header/footer specials, Excel's own
# escape syntax, every control character, non-characters, CJK, emoji, edge whitespace.
SNIPPETS = (
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+1",
    "-1",
    "@SUM(1)",
    '=HYPERLINK("http://example.invalid","点我")',
    "&",
    "&&",
    "&[Picture]",
    "&G",
    "&P",
    "<>",
    "</t>",
    "]]>",
    '"',
    "'",
    "_x0041_",
    "_x005F_",
    "\ufffe",
    "\uffff",
    "党支部",
    "整改",
    "🎉",
    "👨‍👩‍👧",
    " ",
    "\u3000",
    "\n",
    "\r\n",
    "\t",
    *(chr(c) for c in range(0x20)),
)
_ANY_CHAR = st.characters(blacklist_categories=("Cs",))  # lone surrogates can't be encoded at all
text = st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(_ANY_CHAR, max_size=8)), max_size=8).map("".join)
long_text = st.sampled_from(("字" * 33_000, "🎉" * 17_000, "a" * 32_767 + "🎉", "=" + "x" * 40_000))


@st.composite
def results(draw: st.DrawFn) -> BranchResult:
    base = make_result()
    texts = st.one_of(text, long_text) if draw(st.booleans()) else text

    def t() -> Text:
        return Text(zh=draw(texts), en=draw(texts))

    items = tuple(
        finding(draw(text), n_cells=draw(st.integers(0, 10))).model_copy(
            update={
                "message": t(),
                "rectification": t(),
                "owner": t() if draw(st.booleans()) else None,
                "deadline": draw(st.one_of(st.none(), st.dates(date(1899, 1, 1), date(2100, 12, 31)))),
                "source": Source(document=draw(text), clause=draw(text), text=draw(text))
                if draw(st.booleans())
                else None,
                "indicator": draw(st.sampled_from((None, "leader", "systems", "unknown"))),
                "evidence": tuple(
                    Evidence(file="b.xlsx", sheet=draw(text), cell=draw(text))
                    for _ in range(draw(st.integers(0, 3)))
                ),
            }
        )
        for _ in range(draw(st.integers(0, 3)))
    )
    scores = tuple(s.model_copy(update={"name": t()}) for s in base.scores)
    return base.model_copy(
        update={
            "identity": identity(
                branch_name=draw(texts),
                branch_id=draw(text),
                general_branch=draw(st.one_of(st.none(), text)),
                branch_type=draw(text),
                secretary=draw(texts),
                assessment_year=draw(st.integers(1900, 2100)),
            ),
            "total": draw(st.floats(-1e6, 1e6, allow_nan=False)),
            "scores": scores,
            "adjustments": tuple(t() for _ in range(draw(st.integers(0, 2)))),
            "items": items,
        }
    )


def _rich_looking(data: bytes) -> bool:
    """Whether some cell's text has the ``<r>…</r>`` shape the old writer mishandled (see the module doc)."""
    strings = parts(data)["xl/sharedStrings.xml"].decode()
    texts = re.findall(r"<t[^>]*>(.*?)</t>", strings, re.S)
    return any(s.startswith("&lt;r&gt;") and s.endswith("&lt;/r&gt;") for s in texts)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(result=results(), lang=st.sampled_from(LANGS))
def test_arbitrary_text_reads_back_as_xlsxwriter_wrote_it_and_never_as_a_formula(
    result: BranchResult, lang: str, tmp_path: Path
) -> None:
    assume(not _rich_looking(branch_list_bytes(result, lang)))  # type: ignore[arg-type]
    new = assert_same_list(result, lang, tmp_path)
    sheet = parts(new)["xl/worksheets/sheet1.xml"]
    assert b"<f>" not in sheet and b"<f " not in sheet
    ws = openpyxl.load_workbook(io.BytesIO(new)).active
    assert all(c.data_type in ("s", "n", "d") for row in ws.iter_rows() for c in row if c.value is not None)


def test_text_shaped_like_a_rich_string_is_text(tmp_path: Path) -> None:
    """xlsxwriter wrote ``<r>…</r>`` text raw into sharedStrings.xml: a corrupt file, or injected markup."""
    name = "<r>x&y</r>"
    result = make_result(name=name, items=(finding("OL-02", message="<r><t>bold?</t></r>"),))
    with pytest.raises(Exception, match="not well-formed"):
        snapshot(oracle_bytes(result, "zh", tmp_path))  # what the old writer did to it
    ws = openpyxl.load_workbook(io.BytesIO(branch_list_bytes(result))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert name in values and f"{name}整改清单" in values
    assert any(isinstance(v, str) and v.startswith("<r><t>bold?</t></r>") for v in values)


# Each of these once took a path of its own in xlsxwriter; hypothesis may or may not find them, so they
# are pinned here: (branch name, item message, deadline).
EDGE_CASES = {
    "control characters": ("支部\x00\x01\x1f", "问题\x0b\x0c\r\n\t", date(2013, 1, 31)),
    "Excel escapes typed literally": ("_x0041_党支部", "_x005F_x0041_ _xD83C_", date(2013, 1, 31)),
    "non-characters": ("\ufffe支部\uffff", "\uffff", None),
    "edge whitespace": (" 支部\u3000", "\n问题 ", None),
    "header special codes": ("A&B &P &[Page] &&", "&", None),
    "image placeholder drops the header": ("&[Picture]支部", "x", None),
    "&G drops the header": ("支部&G", "x", None),
    "header over 255 UTF-16 units": ("🎉" * 130, "x", None),
    "header cut at 200 characters": ("支" * 250, "x", None),
    "cell cut at 32,767 characters": ("支部", "字" * 40_000, None),
    "cell cut at 32,767 UTF-16 units": ("支部", "🎉" * 20_000, None),
    "formula-like text": ("=1+1", "=cmd|' /C calc'!A0", None),
    "1900-01-01 (day 0 in xlsxwriter)": ("支部", "x", date(1900, 1, 1)),
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
    result = make_result(name=name, items=(item,))
    assert_same_list(result.model_copy(update={"total": 86.25}), lang, tmp_path)


def _patched(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            body = src.read(name)
            dst.writestr(name, body.replace(old, new, 1) if name == part else body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("what", "old", "new"),
    [
        ("a cell's style", b'r="D13" s="7"', b'r="D13" s="6"'),
        ("a column's width", b'width="42.7109375"', b'width="40.7109375"'),
        ("a row's height", b'ht="20.25"', b'ht="21"'),
        ("the dropdown's range", b'sqref="I13:I14"', b'sqref="I13:I15"'),
        ("a margin", b'left="0.4"', b'left="0.5"'),
    ],
)
def test_the_read_back_comparison_sees_what_a_person_would(what: str, old: bytes, new: bytes) -> None:
    """The openpyxl snapshot is not vacuous: each small change to the look shows in it."""
    data = branch_list_bytes(make_result())
    assert old in parts(data)["xl/worksheets/sheet1.xml"], what
    assert snapshot(_patched(data, "xl/worksheets/sheet1.xml", old, new)) != snapshot(data), what
    assert snapshot(_patched(data, "xl/worksheets/sheet1.xml", old, old)) == snapshot(data)
