"""Any text a form or rule file holds comes out of the 整改清单 and the summary as the same text, in a string
cell, never a formula or markup: XML's specials, Excel's ``_xHHHH_`` escapes typed literally, control
characters, non-characters, edge whitespace, formula look-alikes, text shaped like a rich string
(``<r>…</r>``, which xlsxwriter wrote raw), CJK and astral characters, and texts over Excel's 32,767-unit
cell limit (cut, never split inside a character). Read back from the sheets' XML with ``_xHHHH_`` decoded
as Excel decodes it on load (openpyxl decodes some escapes and not others)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export._ooxml import cell_text
from engine.export.branch_list import HEAD_ROW, branch_list_bytes
from engine.export.summary import write_summary
from schemas.batch import FileReport
from schemas.common import Evidence, Finding, Text
from schemas.results import BranchResult
from tests.builders import identity
from tests.test_branch_list_ooxml import excel_unescape
from tests.test_export import finding, make_report, make_result

LANGS = ("zh", "en")

# What hostile or unusual text looks like: formulas and DDE, XML and header/footer specials, Excel's own
# escape syntax, every control character, non-characters, CJK, emoji, edge whitespace, rich-string shapes.
SNIPPETS = (
    "=cmd|' /C calc'!A0",
    "=1+1",
    "+1",
    "-1",
    "@SUM(1)",
    '=HYPERLINK("http://example.invalid","点我")',
    "<r>",
    "</r>",
    "<r><t>x</t></r>",
    "&",
    "&[Picture]",
    "<>",
    "]]>",
    '"',
    "_x0041_",
    "_x005F_",
    "\ufffe",
    "\uffff",
    "党支部",
    "🎉",
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


def item_with(message: str, measure: str, deadline: date | None = None) -> Finding:
    return finding("OL-02", message=message).model_copy(
        update={"rectification": Text(zh=measure, en=measure), "deadline": deadline}
    )


@st.composite
def results(draw: st.DrawFn) -> BranchResult:
    texts = st.one_of(text, long_text) if draw(st.booleans()) else text
    items = tuple(
        item_with(draw(text), draw(texts), draw(st.none() | st.dates(date(1900, 3, 1), date(2100, 12, 31))))
        for _ in range(draw(st.integers(0, 3)))
    )
    base = make_result(items=items)
    return base.model_copy(
        update={
            "identity": identity(
                branch_name=draw(texts),
                branch_id=draw(text),
                general_branch=draw(st.none() | text),
                branch_type=draw(text),
                secretary=draw(texts),
            )
        }
    )


_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


# The summary's sheets by position (1 is the 总览): 汇总, 整改事项, 输入文件.
SUMMARY, ITEMS, INPUTS = 2, 4, 7


def cells(data: bytes, sheet: int = 1) -> dict[str, str | float]:
    """Sheet ``sheet``'s cells as Excel reads them: strings (shared or inline, ``_xHHHH_`` decoded) and
    numbers; asserts that no cell is a formula or of another type."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        root = ElementTree.fromstring(package.read(f"xl/worksheets/sheet{sheet}.xml"))
        shared = (
            [
                "".join(t.text or "" for t in si.iterfind(".//m:t", _NS))
                for si in ElementTree.fromstring(package.read("xl/sharedStrings.xml")).iterfind("m:si", _NS)
            ]
            if "xl/sharedStrings.xml" in names
            else []
        )
    out: dict[str, str | float] = {}
    for c in root.iterfind(".//m:c", _NS):
        assert c.find("m:f", _NS) is None, c.get("r")
        kind, v = c.get("t"), c.findtext("m:v", None, _NS)
        if kind == "s":
            out[c.get("r", "")] = excel_unescape(shared[int(v or "")])
        elif kind == "inlineStr":
            out[c.get("r", "")] = excel_unescape("".join(t.text or "" for t in c.iterfind("m:is//m:t", _NS)))
        else:
            assert kind is None, (c.get("r"), kind)  # a number, or a blank cell
            if v is not None:
                out[c.get("r", "")] = float(v)
    return out


def column(found: dict[str, str | float], letter: str, first: int) -> list[str | float]:
    """The values of column ``letter`` from row ``first`` down, in row order."""
    refs = [
        (int(ref[len(letter) :]), value) for ref, value in found.items() if re.fullmatch(rf"{letter}\d+", ref)
    ]
    return [value for row, value in sorted(refs) if row >= first]


def list_texts(data: bytes) -> tuple[str | float, list[str | float]]:
    """The 整改清单's branch name and its 整改措施 column."""
    found = cells(data)
    # the items start below the table's header row (HEAD_ROW is 0-based: HEAD_ROW + 1 is its row number)
    return found["C2"], column(found, "F", HEAD_ROW + 2)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(result=results(), lang=st.sampled_from(LANGS))
def test_any_text_reads_back_from_the_branch_list_as_text(result: BranchResult, lang: str) -> None:
    name, measures = list_texts(branch_list_bytes(result, lang))  # type: ignore[arg-type]
    assert name == cell_text(result.identity.branch_name)
    assert measures == [cell_text(i.rectification.get(lang)) for i in result.items]  # type: ignore[arg-type]


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(result=results(), problem=text, lang=st.sampled_from(LANGS))
def test_any_text_reads_back_from_the_summary_as_text(
    result: BranchResult, problem: str, lang: str, tmp_path: Path
) -> None:
    bad = Finding(
        code="IN-05",
        title=Text(zh="日期无法识别", en="Unreadable date"),
        message=Text(zh=problem, en=problem),
        evidence=(Evidence(file="bad.xlsx", sheet="会议活动", cell="A7"),),
        rectification=Text(zh="改", en="fix"),
    )
    report = make_report((result,)).model_copy(
        update={"files": (FileReport(file="bad.xlsx", sha256="", status="ungradable", problems=(bad,)),)}
    )
    path = tmp_path / "summary.xlsx"
    write_summary(report, path, lang)  # type: ignore[arg-type]
    data = path.read_bytes()
    assert cells(data, SUMMARY).get("B2", "") == cell_text(result.identity.branch_name)  # no cell for ""
    measures = [cell_text(i.rectification.get(lang)) for i in result.items]  # type: ignore[arg-type]
    assert column(cells(data, ITEMS), "G", 2) == [m for m in measures if m]  # empty text, no cell
    assert column(cells(data, INPUTS), "F", 2) == ([cell_text(problem)] if problem else [])  # 问题说明


# Each of these takes a path of its own; hypothesis may or may not find them, so they are pinned here:
# (branch name, 整改措施).
EDGE_CASES = {
    "control characters": ("支部\x00\x01\x1f", "问题\x0b\x0c\r\n\t"),
    "Excel escapes typed literally": ("_x0041_党支部", "_x005F_x0041_ _xD83C_"),
    "non-characters": ("\ufffe支部\uffff", "\uffff"),
    "edge whitespace": (" 支部\u3000", "\n问题 "),
    "rich-string shape": ("<r>x&y</r>", "<r><t>bold?</t></r>"),
    "formula-like text": ("=1+1", "=cmd|' /C calc'!A0"),
    "cell cut at 32,767 characters": ("支部", "字" * 40_000),
    "cell cut at 32,767 UTF-16 units": ("支部", "🎉" * 20_000),
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("case", EDGE_CASES)
def test_edge_case_text_reads_back(case: str, lang: str, tmp_path: Path) -> None:
    name, measure = EDGE_CASES[case]
    result = make_result(name=name, items=(item_with("x", measure),))
    assert list_texts(branch_list_bytes(result, lang)) == (cell_text(name), [cell_text(measure)])  # type: ignore[arg-type]
    path = tmp_path / "summary.xlsx"
    write_summary(make_report((result,)), path, lang)  # type: ignore[arg-type]
    data = path.read_bytes()
    assert (cells(data, SUMMARY)["B2"], cells(data, ITEMS)["G2"]) == (cell_text(name), cell_text(measure))


def test_long_text_is_cut_to_excels_limit_never_inside_a_character() -> None:
    for measure, units in (("字" * 40_000, 32_767), ("🎉" * 20_000, 32_766)):
        (written,) = list_texts(branch_list_bytes(make_result(items=(item_with("x", measure),))))[1]
        assert isinstance(written, str)
        assert len(written.encode("utf-16-le")) // 2 == units
        assert set(written) <= set(measure) | {"…"}


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("xl/worksheets/sheet1.xml").decode()


def page_header(data: bytes) -> str | None:
    found = re.search(r"<oddHeader>(.*?)</oddHeader>", sheet_xml(data))
    return None if found is None else found[1]


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("A&B &P", "&amp;C" + "A&amp;&amp;B &amp;&amp;P整改清单"),  # header codes doubled: printed as typed
        ("支" * 250, "&amp;C" + "支" * 200),  # cut at 200 characters
        ("&[Picture]支部", None),  # an image placeholder without an image: no header, as xlsxwriter did
        ("支部&G", None),
        ("🎉" * 130, None),  # over Excel's 255 UTF-16 units
    ],
)
def test_the_page_header_is_the_title_printed_as_typed(name: str, header: str | None) -> None:
    assert page_header(branch_list_bytes(make_result(name=name))) == header


@pytest.mark.parametrize("deadline", [date(1900, 3, 1), date(2013, 1, 31), date(2100, 12, 31)], ids=str)
def test_deadlines_read_back_as_dates(deadline: date) -> None:
    data = branch_list_bytes(make_result(items=(item_with("x", "y", deadline),)))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cell = ws[f"H{HEAD_ROW + 2}"]  # the first item's 整改时限
    assert isinstance(cell.value, datetime) and cell.value.date() == deadline
    assert cell.number_format == "yyyy-mm-dd"
