"""Page setup for printing a worksheet (engine.export.page_setup): the header names the college, profile,
round and date, whatever a user typed, within Excel's limits; a worksheet set up reads back as A4
landscape, one page wide, its header rows repeated."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from engine.export._ooxml import utf16_len
from engine.export.page_setup import (
    MAX_HEADER_CHARS,
    PrintHeading,
    apply_page_setup,
    header_escape,
    page_footer,
    page_header,
)

HEADING = PrintHeading(
    college="娄底职业技术学院",
    profile="娄底职院2012年基层组织建设年分类定级",
    round_name="年终自查",
    on=date(2012, 12, 10),
)


def _sections(header: str) -> dict[str, str]:
    """The left, centre and right sections of a header string (``&L…&C…&R…``)."""
    found: dict[str, str] = {}
    key = "L"
    i = 0
    while i < len(header):
        if header.startswith("&&", i):
            found[key] = found.get(key, "") + "&&"
            i += 2
        elif header[i] == "&" and i + 1 < len(header) and header[i + 1] in "LCR":
            key = header[i + 1]
            found.setdefault(key, "")
            i += 2
        else:
            found[key] = found.get(key, "") + header[i]
            i += 1
    return found


def test_the_header_names_college_sheet_profile_round_and_date() -> None:
    sections = _sections(page_header(HEADING))
    assert sections == {
        "L": "娄底职业技术学院　&A",
        "C": "娄底职院2012年基层组织建设年分类定级",
        "R": "年终自查　2012-12-10",
    }
    assert page_footer("zh") == "&C第 &P 页，共 &N 页"
    assert page_footer("en") == "&CPage &P of &N"


def test_a_header_leaves_out_what_is_not_known() -> None:
    assert page_header(None) == "&L&A"
    assert page_header(PrintHeading(on=date(2012, 12, 10)), "en") == "&L&A&R2012-12-10"
    assert _sections(page_header(PrintHeading(college="X", round_name="年初定级"))) == {
        "L": "X　&A",
        "R": "年初定级",
    }


def test_an_ampersand_in_a_name_prints_as_typed() -> None:
    header = page_header(PrintHeading(college="Arts & Sciences &P"))
    assert header.startswith("&LArts && Sciences &&P")
    assert header_escape("a\nb\tc") == "a b c"


@given(
    st.text(max_size=400),
    st.text(max_size=400),
    st.text(max_size=80),
    st.sampled_from(["zh", "en"]),
)
def test_a_header_stays_within_excels_limit_and_keeps_the_sheet_name(
    college: str, profile: str, round_name: str, lang: str
) -> None:
    header = page_header(PrintHeading(college, profile, round_name, date(2012, 12, 10)), lang)  # type: ignore[arg-type]
    assert utf16_len(header) <= MAX_HEADER_CHARS
    assert "&A" in header
    # no lone & left from a name: every & is doubled or starts one of the header's own codes
    assert "&" not in header.replace("&&", "").replace("&L", "").replace("&C", "").replace("&R", "").replace(
        "&A", ""
    )


def test_a_sheet_set_up_prints_a4_landscape_one_page_wide_with_its_header_rows() -> None:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    table = wb.add_worksheet("表")
    table.write_row(0, 0, ["编号", "名称"])
    table.write_row(1, 0, ["标题", ""])
    table.write_row(2, 0, ["A-01", "第一"])
    apply_page_setup(table, HEADING, header_rows=2)
    page = wb.add_worksheet("一页")
    page.write(0, 0, "总览")
    apply_page_setup(page, HEADING, "en", header_rows=0, one_page=True)
    wb.close()
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out
    assert book["表"].page_setup.fitToHeight == 0  # as many pages tall as the rows need
    assert book["一页"].page_setup.fitToHeight in (None, 1)
    assert book["表"].print_title_rows == "$1:$2"
    assert book["一页"].print_title_rows is None
    assert book["表"].oddHeader.left.text == "娄底职业技术学院　&A"
    assert book["表"].oddFooter.center.text == "第 &P 页，共 &N 页"
    assert book["一页"].oddFooter.center.text == "Page &P of &N"
