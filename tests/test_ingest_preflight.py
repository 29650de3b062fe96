"""The pre-flight's promises: every part the reader may open is checked, nothing else reaches it, the
quick check never clears what the exact one would refuse, and the repacked archive reads the same."""

from __future__ import annotations

import io
import re
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any
from unittest import mock

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from engine.ingest import Limits, read_workbook, repack
from engine.ingest import preflight as pf
from tests.test_ingest import SPARSE_CORNER, _hand_made_xlsx, _only_problem, _read_in_subprocess, _sheet

SHEET = "xl/worksheets/sheet1.xml"


def _sheet_moved_to(sheet_xml: str, part: str) -> bytes:
    """A hand-made workbook whose only sheet lives at ``part`` (its relationship pointing there)."""
    original = zipfile.ZipFile(io.BytesIO(_hand_made_xlsx(sheet_xml)))
    buffer = io.BytesIO()
    with original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as moved:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == "xl/_rels/workbook.xml.rels":
                content = content.replace(b'Target="worksheets/sheet1.xml"', f'Target="/{part}"'.encode())
            moved.writestr(part if info.filename == SHEET else info.filename, content)
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.dat", "xl/other/sheet1.xml", "data.bin"])
def test_a_sheet_is_checked_whatever_its_part_is_called(tmp_path: Path, part: str) -> None:
    # These once reached calamine unchecked and aborted the process on the XFD1048576 corner.
    path = tmp_path / "moved.xlsx"
    path.write_bytes(_sheet_moved_to(SPARSE_CORNER, part))
    assert _read_in_subprocess(path) == "IN-03 0"


def test_a_sheet_under_an_odd_name_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "odd.xlsx"
    path.write_bytes(
        _sheet_moved_to(_sheet('<row r="2"><c r="B2"><v>7</v></c></row>', "B2"), "xl/worksheets/s.dat")
    )
    raw = read_workbook(path)
    assert raw.problems == () and raw.sheets["S"].rows[1][1] == 7


SVG_WITH_DTD = (
    '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><svg xmlns="http://www.w3.org/2000/svg"/>'
)


def test_only_the_checked_parts_reach_the_reader(tmp_path: Path) -> None:
    data = _hand_made_xlsx(
        _sheet('<row r="1"><c r="A1"><v>1</v></c></row>'),
        {"xl/media/image1.svg": SVG_WITH_DTD, "xl/vbaProject.bin": "\x00\x01 opaque"},
    )
    cleared = pf.preflight(data, Limits())
    assert cleared.format is pf.Format.XLSX
    with zipfile.ZipFile(io.BytesIO(cleared.data)) as archive:
        assert archive.testzip() is None  # every CRC right
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
        assert archive.namelist() == [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            SHEET,
        ]
    # the picture's DTD is no reason to refuse: no XML parser ever sees the picture
    path = tmp_path / "with-picture.xlsx"
    path.write_bytes(data)
    assert read_workbook(path).problems == ()


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/theme/theme1.xml", "docProps/app.xml"])
def test_a_dtd_in_any_part_the_reader_may_open_is_refused(tmp_path: Path, part: str) -> None:
    path = tmp_path / "bomb.xlsx"
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    path.write_bytes(_hand_made_xlsx(_sheet(""), {part: bomb}))
    raw = read_workbook(path)
    assert _only_problem(raw) == "IN-03" and "DTD" in raw.problems[0].message.zh
    assert part in raw.problems[0].message.zh


@pytest.mark.parametrize("store", [True, False], ids=["stored", "streams-copied"])
def test_a_part_over_8_mb_is_checked_while_inflating_and_still_read(tmp_path: Path, store: bool) -> None:
    padding = "\n" * (9 * 1024 * 1024)  # between rows: no value, but the part is big
    path = tmp_path / "big.xlsx"
    rows = f'<row r="1"><c r="A1"><v>1</v></c></row>{padding}<row r="3"><c r="C3"><v>3</v></c></row>'
    path.write_bytes(_hand_made_xlsx(_sheet(rows, "A1:C3")))
    with mock.patch.object(pf, "_STORE_MAX_BYTES", pf._STORE_MAX_BYTES if store else 0):
        raw = read_workbook(path, limits=Limits(max_ratio=1e6))
    assert raw.problems == ()
    assert raw.sheets["S"].rows[0][0] == 1 and raw.sheets["S"].rows[2][2] == 3
    tight = read_workbook(path, limits=Limits(max_ratio=1e6, max_rows=2))
    assert _only_problem(tight) == "IN-03" and "行数" in tight.problems[0].message.zh


@pytest.mark.parametrize("padding", [0, 9 * 1024 * 1024], ids=["small", "over-8-mb"])
def test_each_part_is_inflated_once(padding: int) -> None:
    # The pre-flight inflates each part it checks once (a part over 8 MB while it is being checked) and
    # hands the reader those bytes, stored: calamine has nothing left to inflate.
    rows = f'<row r="1"><c r="A1"><v>1</v></c></row>{" " * padding}<row r="3"><c r="C3"><v>3</v></c></row>'
    data = _hand_made_xlsx(_sheet(rows, "A1:C3"))
    inflaters: list[int] = []
    real = zlib.decompressobj

    def counted(*args: Any, **kwargs: Any) -> Any:
        inflaters.append(1)
        return real(*args, **kwargs)

    with mock.patch("zlib.decompressobj", counted):
        cleared = pf.preflight(data, Limits(max_ratio=1e6))
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        deflated = [i.filename for i in original.infolist() if i.compress_type == zipfile.ZIP_DEFLATED]
    with zipfile.ZipFile(io.BytesIO(cleared.data)) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}
        assert archive.namelist() == deflated and archive.testzip() is None
    assert len(inflaters) == len(deflated)


def _bzip2_sheet_workbook() -> bytes:
    """The hand-made workbook with its sheet compressed by bzip2, which zipfile reads and calamine may not."""
    original = zipfile.ZipFile(io.BytesIO(_hand_made_xlsx(_sheet('<row r="1"><c r="A1"><v>5</v></c></row>'))))
    buffer = io.BytesIO()
    with original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            method = zipfile.ZIP_BZIP2 if info.filename == SHEET else zipfile.ZIP_DEFLATED
            copy.writestr(info.filename, original.read(info), compress_type=method)
    return buffer.getvalue()


@pytest.mark.parametrize("store", [True, False], ids=["stored", "streams-copied"])
def test_both_ways_of_repacking_read_the_same(tmp_path: Path, store: bool) -> None:
    data = _hand_made_xlsx(_sheet('<row r="2"><c r="B2"><v>7</v></c></row>', "B2"))
    path = tmp_path / "small.xlsx"
    path.write_bytes(data)
    with mock.patch.object(pf, "_STORE_MAX_BYTES", pf._STORE_MAX_BYTES if store else 0):
        cleared = pf.preflight(data, Limits())
        raw = read_workbook(path)
    with zipfile.ZipFile(io.BytesIO(cleared.data)) as archive:
        assert archive.testzip() is None
        methods = {info.compress_type for info in archive.infolist()}
        assert methods == {zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED}
        assert (b"<mergeCells></mergeCells>" in archive.read(SHEET)) is store
    assert raw.problems == () and raw.sheets["S"].rows[1][1] == 7


@pytest.mark.parametrize("store", [True, False], ids=["stored", "streams-copied"])
def test_a_part_only_zipfile_can_inflate_is_stored_for_the_reader(tmp_path: Path, store: bool) -> None:
    path = tmp_path / "bzip2.xlsx"
    path.write_bytes(_bzip2_sheet_workbook())
    with mock.patch.object(pf, "_STORE_MAX_BYTES", pf._STORE_MAX_BYTES if store else 0):
        raw = read_workbook(path)
    assert raw.problems == () and raw.sheets["S"].rows[0][0] == 5


# ------------------------------------------------------------------ the quick check never clears too much

# Mostly references a normal form holds (one letter, four digits), sometimes far ones; limits mostly
# generous, sometimes tight enough that a near reference or a few row tags break them.
_letters = st.one_of(st.sampled_from("ABCXYZ"), st.text(alphabet="ABCDXYZ", min_size=2, max_size=3))
_rows = st.one_of(st.integers(1, 9_999), st.integers(10_000, 2_000_000))
_space = st.sampled_from([" ", "\t", "\n", "  "])
_rare = st.sampled_from(
    [
        "<!-- a comment! -->",
        '<!DOCTYPE x [<!ENTITY a "b">]>',
        '<a:outerShdw dir="5400000" algn="ctr"/>',  # a theme's far-looking attribute
        "<x:row>",
        "<row/>",
        '<c <c r="A1">',  # a tag start inside a tag: malformed, read the careful way
        '<![CDATA[ <x r="B2"> ]]>',
    ]
)
_fragments = st.one_of(
    st.builds(lambda s, c, r: f'<c{s}r="{c}{r}"><v>1</v></c>', _space, _letters, _rows),
    st.builds(lambda s, c, r: f'<x:c s="1"{s}r="{c}{r}"/>', _space, _letters, _rows),
    st.builds(lambda s, r: f'<row{s}r="{r}">', _space, _rows),
    st.just("<row></row>"),
    st.builds(lambda c, r: f'<t>r="{c}{r}" as text</t>', _letters, _rows),
    st.builds(lambda n: " " * n, st.integers(0, 300)),
    st.builds(lambda tag, n: tag * n, st.sampled_from(["<row/>", "<x:row>", "<row>"]), st.integers(1, 30)),
    _rare,
)
_prologs = st.sampled_from(
    ["", '<?xml version="1.0"?>', "<!DOCTYPE worksheet>", '<!doctype x [<!ENTITY a "b">]>']
)
_limits = st.builds(
    Limits,
    max_rows=st.one_of(st.just(100_000), st.integers(1, 20), st.integers(1, 200_000)),
    max_columns=st.one_of(st.just(16_384), st.integers(1, 30)),
    max_cells=st.one_of(st.just(5_000_000), st.integers(1, 10_000_000)),
)


@pytest.mark.slow
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prolog=_prologs,
    fragments=st.lists(_fragments, max_size=12),
    dimension=st.one_of(st.none(), st.builds(lambda c, r: f'<dimension ref="A1:{c}{r}"/>', _letters, _rows)),
    limits=_limits,
    chunk=st.sampled_from([64, 1 << 20]),
)
def test_what_the_quick_check_clears_the_exact_check_passes(
    prolog: str, fragments: list[str], dimension: str | None, limits: Limits, chunk: int
) -> None:
    content = (prolog + (dimension or "") + "<sheetData>" + "".join(fragments) + "</sheetData>").encode()
    with mock.patch.object(pf, "_CHUNK", chunk):  # small chunks: windows, overlaps, the first chunk
        cleared = pf._clear(content, limits)
        event(f"cleared={cleared}")
        if cleared:
            pf._check_exact(pf._slices(content), "p", None, limits)  # must not raise


@pytest.mark.parametrize("tag", [b"<row>", b"<x:row>", b"<row/>"])
def test_more_row_tags_than_the_limit_are_never_cleared(tag: bytes) -> None:
    content = tag * (Limits().max_rows + 1)  # rows numbered by position: no r attribute to read
    assert not pf._clear(content, Limits())
    with pytest.raises(pf.Refused):
        pf._check_exact(pf._slices(content), "p", None, Limits())


def test_an_office_theme_is_cleared_without_the_exact_scan() -> None:
    theme = b'<a:theme><a:outerShdw blurRad="57150" dist="19050" dir="5400000" algn="ctr"/></a:theme>'
    assert pf._clear(theme * 7, Limits())


def test_a_part_full_of_far_looking_attributes_goes_to_the_exact_scan() -> None:
    # each would cost a turn of a Python loop: after a few, the exact scan decides (and passes it)
    content = b'<a:x dir="5400000"/>' * 100_000
    assert not pf._clear(content, Limits())
    pf._check_exact(pf._slices(content), "p", None, Limits())


_soup = st.lists(
    st.sampled_from(
        ["<dimension", "<x:dimension", " ", ' ref="', "A1", ":", "XFD9", '"', ">", "<", "/>", "x"]
    ),
    max_size=30,
).map(lambda pieces: "".join(pieces).encode())


@given(window=_soup, end=st.integers(0, 80))
def test_the_linear_dimension_search_finds_what_the_regex_finds(window: bytes, end: int) -> None:
    expected = pf._DIMENSION.search(window, 0, end)
    found = pf._first_dimension(window, end)
    assert (found and found.group(0, 1, 2)) == (expected and expected.group(0, 1, 2))


_WORKSHEET = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</worksheet>'


@pytest.mark.parametrize(
    "sheet_xml",
    [  # each of these kept the old pre-flight busy for minutes or hours
        _WORKSHEET.format("<sheetPr>" + "<dimension " * 100_000 + "</sheetPr><sheetData/>"),
        _WORKSHEET.format(
            '<sheetData><row r="1"><c r="AA1"><v>1</v></c>' + "<c " * 300_000 + "</row></sheetData>"
        ),
        _WORKSHEET.format(
            '<sheetData><row r="1"><c r="AA1"><v>1</v></c></row>' + "<row " * 200_000 + "</sheetData>"
        ),
    ],
    ids=["dimension", "cells", "rows"],
)
def test_unclosed_tags_cannot_stall_the_pre_flight(tmp_path: Path, sheet_xml: str) -> None:
    path = tmp_path / "stall.xlsx"
    path.write_bytes(_hand_made_xlsx(sheet_xml))
    start = time.perf_counter()
    read_workbook(path, limits=Limits(max_ratio=1e6))  # refused or read: either way, at once
    assert time.perf_counter() - start < 5


def test_sheet_names_are_read_in_linear_time() -> None:
    start = time.perf_counter()
    assert pf._sheet_parts(b"<sheet " * 100_000, b"<Relationship " * 100_000) == {}
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ the repacked archive


def _reference_stop(content: bytes) -> bytes:
    found = re.search(rb"<sheetData(?=[>/\s])", content)
    if found is None:
        return content
    return content[: found.start()] + b"<mergeCells></mergeCells>" + content[found.start() :]


@given(
    st.lists(
        st.sampled_from([b"<sheetData", b">", b"/", b" ", b"\t", b"X", b"<x:sheetData>", b"a"]), max_size=16
    )
)
def test_the_merge_stop_goes_before_the_first_sheet_data_tag_only(pieces: list[bytes]) -> None:
    content = b"".join(pieces)
    assert repack.stop_merge_scan(content) == _reference_stop(content)


def test_many_look_alikes_leave_the_sheet_as_it_is() -> None:
    content = b"<sheetDataX/>" * 16 + b"<sheetData/>"  # the early stop is only a speed-up
    assert repack.stop_merge_scan(content) == content
    fewer = content[len(b"<sheetDataX/>") :]
    assert repack.stop_merge_scan(fewer) == _reference_stop(fewer) != fewer


def test_stored_zip_round_trips() -> None:
    parts = [
        repack.Part("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", None),
        repack.Part("内容/表.xml", "<表/>".encode(), None),
        repack.Part("empty.xml", b"", 0),
        repack.Part(SHEET, b"<worksheet><sheetData/></worksheet>", None, sheet=True),
    ]
    with zipfile.ZipFile(io.BytesIO(repack.stored_zip(parts))) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [p.name for p in parts]
        assert archive.read("内容/表.xml") == "<表/>".encode()
        assert archive.read(SHEET) == b"<worksheet><mergeCells></mergeCells><sheetData/></worksheet>"


_cell_values = st.one_of(
    st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.booleans(),
    st.text(alphabet="支部会议ABCxyz 0123", min_size=1, max_size=6),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.dictionaries(st.tuples(st.integers(1, 25), st.integers(1, 10)), _cell_values, max_size=40),
    merges=st.lists(
        st.tuples(st.integers(1, 20), st.integers(1, 8), st.integers(0, 3), st.integers(0, 2)), max_size=4
    ),
)
def test_the_reader_sees_the_values_of_the_original_file(
    cells: dict[tuple[int, int], object], merges: list[tuple[int, int, int, int]]
) -> None:
    """Stored parts and the merged-range early stop change nothing calamine reads, merges or not."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cells.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "表"
        for (row, column), value in cells.items():
            ws.cell(row=row, column=column, value=value)
        for row, column, height, width in merges:
            ws.merge_cells(
                start_row=row, start_column=column, end_row=row + height, end_column=column + width
            )
        wb.create_sheet("空")
        wb.save(path)
        raw = read_workbook(path)
        assert raw.problems == ()
        with CalamineWorkbook.from_path(str(path)) as original:
            for name in original.sheet_names:
                expected = original.get_sheet_by_name(name).to_python(skip_empty_area=False)
                assert repr(raw.sheets[name].rows) == repr(expected)
