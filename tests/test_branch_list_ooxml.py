"""engine/export/_ooxml: the escaping, shared strings, templates and zip writing the 整改清单 and the
summary are written with."""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.export._ooxml import (
    SharedStrings,
    Template,
    ZipWriter,
    cell_text,
    deflate,
    excel_escape,
    number,
    utf16_len,
    xml_attr,
    xml_text,
    zip_bytes,
)
from engine.export._xlsx import MAX_CELL_CHARS

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def excel_unescape(text: str) -> str:
    """What Excel does on load: each ``_xHHHH_`` is the character HHHH, left to right, so ``_x005F_``
    (an escaped underscore) followed by ``x0041_`` stays ``_x0041_``."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


def read_back(xml: bytes) -> list[str]:
    root = ET.fromstring(xml)
    return [excel_unescape(si.find(f"{_NS}t").text or "") for si in root.iter(f"{_NS}si")]  # type: ignore[union-attr]


def test_xml_escapes() -> None:
    assert xml_text("a&b<c>d\"e'f\n") == "a&amp;b&lt;c&gt;d\"e'f\n"
    assert xml_attr('a&b<c>d"e\n') == "a&amp;b&lt;c&gt;d&quot;e&#xA;"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain 党支部\t\n", "plain 党支部\t\n"),  # tab and newline are legal XML: left alone
        ("a\x00b\x01\x08\x0b\x0c\r\x1f", "a_x0000_b_x0001__x0008__x000B__x000C__x000D__x001F_"),
        ("_x0041_", "_x005F_x0041_"),  # typed literally, it must not load as "A"
        ("_x005F_x0041_", "_x005F_x005F_x005F_x0041_"),  # one shape's last "_" starts the next
        ("_x004_ _xZZZZ_", "_x004_ _xZZZZ_"),  # not an escape: left alone
        ("\ufffe\uffff", "_xFFFE__xFFFF_"),
    ],
)
def test_excel_escape(text: str, escaped: str) -> None:
    assert excel_escape(text) == escaped
    assert excel_unescape(escaped) == text


def test_cell_text_keeps_within_excels_limit() -> None:
    assert cell_text("党支部") == "党支部"
    long = cell_text("字" * 40_000)
    assert len(long) == MAX_CELL_CHARS and long.endswith("…")
    emoji = cell_text("🎉" * 20_000)  # 40,000 UTF-16 units: cut to 32,767 without splitting a pair
    assert utf16_len(emoji) == 32_766 and set(emoji) == {"🎉"}
    assert cell_text("a" * 32_766 + "🎉") == "a" * 32_766  # the emoji would be unit 32,768


def test_number() -> None:
    assert [number(v) for v in (1, 86.5, 0.1 + 0.2, 1e20, -0.0, 41305.0)] == [
        "1",
        "86.5",
        "0.3",  # 16 significant digits, as xlsxwriter writes them
        "1E+20",
        "-0",
        "41305",
    ]
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(TypeError):
            number(bad)


def test_shared_strings_index_in_first_use_order_and_count_every_use() -> None:
    strings = SharedStrings()
    assert [strings(t) for t in ("a", "b", "a", "", "b")] == [0, 1, 0, 2, 1]
    root = ET.fromstring(strings.xml())
    assert (root.get("count"), root.get("uniqueCount")) == ("5", "3")
    assert read_back(strings.xml()) == ["a", "b", ""]


def test_shared_strings_preserve_edge_whitespace() -> None:
    strings = SharedStrings()
    for t in (" a", "b ", "c", "\u3000d", "e\n"):
        strings(t)
    xml = strings.xml().decode()
    assert xml.count('xml:space="preserve"') == 4
    assert "<si><t>c</t></si>" in xml


def test_empty_shared_strings() -> None:
    root = ET.fromstring(SharedStrings().xml())
    assert (root.get("count"), root.get("uniqueCount"), list(root)) == ("0", "0", [])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30), max_size=12))
def test_any_text_survives_the_shared_strings(texts: list[str]) -> None:
    strings = SharedStrings()
    for t in texts:
        strings(t)
    assert read_back(strings.xml()) == list(dict.fromkeys(texts))


def test_zip_reads_back_with_zipfile() -> None:
    members = [deflate("a.xml", b"<a/>" * 1000), deflate("dir/b.xml", "党支部".encode()), deflate("e", b"")]
    data = zip_bytes(members)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None  # every CRC checks
        assert package.namelist() == ["a.xml", "dir/b.xml", "e"]
        assert package.read("a.xml") == b"<a/>" * 1000 and package.read("dir/b.xml") == "党支部".encode()
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in package.infolist())
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in package.infolist())
    assert zipfile.ZipFile(io.BytesIO(zip_bytes([]))).namelist() == []


def test_a_streamed_member_reads_back_with_zipfile(tmp_path: Path) -> None:
    """The summary's sheets are streamed: the local header is completed after the data, sizes and CRC."""
    chunks = [("<row>党支部</row>" * 500).encode() for _ in range(40)]
    path = tmp_path / "a.zip"
    with path.open("wb") as out:
        writer = ZipWriter(out)
        writer.add(deflate("first.xml", b"<a/>"))
        writer.stream("sheet.xml", iter(chunks))
        writer.stream("empty.xml", iter(()))
        writer.close()
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        assert package.namelist() == ["first.xml", "sheet.xml", "empty.xml"]
        assert package.read("sheet.xml") == b"".join(chunks) and package.read("empty.xml") == b""
        # the local header agrees with the central directory (readers that stream the zip use it)
        info = package.getinfo("sheet.xml")
    raw = path.read_bytes()
    local = raw[info.header_offset : info.header_offset + 30]
    assert struct.unpack("<III", local[14:26]) == (info.CRC, info.compress_size, info.file_size)


def test_template_fills_every_field_and_keeps_the_rest() -> None:
    template = Template('<a x="{{x}}">{{body}}</a>{D5CDD505-2E9C}{{x}}')
    assert template.fields == ("x", "body", "x")
    assert template.fill({"x": "1", "body": "<b/>"}) == '<a x="1"><b/></a>{D5CDD505-2E9C}1'
    with pytest.raises(KeyError):
        template.fill({"x": "1"})
