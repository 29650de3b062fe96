"""Plumbing for writing an xlsx package directly: text escaping the way xlsxwriter does it, a shared-string
table, column widths, templates of fixed parts, and branchgrade's one zip writer (:class:`ZipWriter`).

Used by the writers that serialise their own cells: the 整改清单 (its fixed parts committed under
engine/export/parts/, generated once from the pinned xlsxwriter) and the summary's rows. Cells are written
the way xlsxwriter writes them, so a workbook reads like one xlsxwriter wrote — with one deliberate
exception: text is always escaped. xlsxwriter passes a string of the form ``<r>…</r>`` into the sheet
unescaped (it takes it for a rich string), so text typed like that either broke the workbook or injected
markup.

Only strings and numbers are ever written as cell values; nothing here can write a formula.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import BinaryIO

from engine.export._xlsx import clip

__all__ = [
    "SAFE_CELL_CHARS",
    "SharedStrings",
    "Template",
    "ZipMember",
    "ZipWriter",
    "cell_text",
    "col_name",
    "col_width",
    "cols_xml",
    "deflate",
    "excel_escape",
    "excel_serial",
    "number",
    "utf16_len",
    "xml_attr",
    "xml_text",
    "zip_bytes",
]

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Excel's limit on one cell, in UTF-16 code units (xlsxwriter truncates to it, never splitting a character).
_MAX_UTF16 = 32767

# Characters XML 1.0 cannot carry (C0 controls other than tab and newline) and Excel's own escape syntax,
# which must itself be escaped so a literal "_x0041_" doesn't read back as "A" (ECMA-376 §22.9.2.19).
# The underscore that starts something of the escape's shape: each is escaped, also where the shape's closing
# underscore starts the next one ("_x005F_x0041_" typed), since Excel decodes left to right.
_EXCEL_ESCAPE = re.compile(r"_(?=x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NEEDS_EXCEL_ESCAPE = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


def xml_text(text: str) -> str:
    """Escape character data (``&``, ``<``, ``>``; quotes need no escaping outside attributes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    """Escape an attribute value, newlines included (a raw newline would be normalised to a space)."""
    return (
        text.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", "&#xA;")
    )


def _control_escape(match: re.Match[str]) -> str:
    return f"_x{ord(match[0]):04X}_"


def excel_escape(text: str) -> str:
    """Encode what XML 1.0 can't carry as Excel's ``_xHHHH_`` escapes, which Excel decodes on load."""
    if not _NEEDS_EXCEL_ESCAPE.search(text):
        return text
    text = _EXCEL_ESCAPE.sub("_x005F_", text)
    text = _CONTROL.sub(_control_escape, text)
    return text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Excel's limits (a character above U+FFFF counts 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# Texts up to this long are within every limit; cell_text only has work to do beyond it.
SAFE_CELL_CHARS = _MAX_UTF16 // 2


def cell_text(text: str) -> str:
    """The text a cell holds: :func:`clip` to Excel's limit, then — as ``write_string`` did — cut to
    32,767 UTF-16 units, which is shorter than ``clip``'s when the text has characters above U+FFFF."""
    if len(text) <= SAFE_CELL_CHARS:
        return text
    text = clip(text)
    if utf16_len(text) <= _MAX_UTF16:
        return text
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > _MAX_UTF16:
            return text[:i]
    return text


_EXCEL_EPOCH = datetime(1899, 12, 31)


@lru_cache(maxsize=1024)  # a batch's deadlines are a handful of dates
def excel_serial(value: date) -> float:
    """Excel's serial day number (1900 date system) for ``value``, as xlsxwriter's ``write_datetime``
    computed it (a date is taken at midnight)."""
    moment = value if isinstance(value, datetime) else datetime.combine(value, time())
    delta = moment - _EXCEL_EPOCH  # an aware datetime raises TypeError here, as it did in xlsxwriter
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    if moment.date() == date(1900, 1, 1):
        serial -= 1  # xlsxwriter's rule for a time without a date, which this day at midnight also meets
    return serial + 1 if serial > 59 else serial  # Excel counts a 29 February 1900


def number(value: float) -> str:
    """A number as a cell's ``<v>`` holds it (xlsxwriter's ``%.16G``); NaN and infinity have no xlsx form."""
    if not math.isfinite(value):
        raise TypeError(f"NAN/INF not supported in an xlsx number cell: {value!r}")
    return f"{value:.16G}"


class SharedStrings:
    """The workbook's shared-string table: each distinct text once, indexed in order of first use."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.count = 0  # references, duplicates included, as the part's header reports them

    def __call__(self, text: str) -> int:
        """The index of ``text`` (already :func:`cell_text`-ed), adding it on first use."""
        self.count += 1
        return self._index.setdefault(text, len(self._index))

    def xml(self) -> bytes:
        texts = list(self._index)
        if not texts:
            return f'{XML_DECLARATION}<sst xmlns="{_MAIN_NS}" count="0" uniqueCount="0"></sst>'.encode()
        if _NEEDS_EXCEL_ESCAPE.search("\n".join(texts)):  # "\n" is no control to escape, nor part of "_x…_"
            texts = [excel_escape(text) for text in texts]
        # Escaped in one pass over all texts, then split apart: NUL can't survive excel_escape, so it can't
        # be in any text now.
        texts = xml_text("\0".join(texts)).split("\0")
        header = f'{XML_DECLARATION}<sst xmlns="{_MAIN_NS}" count="{self.count}" uniqueCount="{len(texts)}">'
        # Leading or trailing whitespace needs xml:space="preserve" or readers strip it; str.isspace is the
        # very test of xlsxwriter's regular expression (\s).
        if not any(text[:1].isspace() or text[-1:].isspace() for text in texts):
            body = "<si><t>" + "</t></si><si><t>".join(texts) + "</t></si>"
        else:
            body = "".join(
                f'<si><t xml:space="preserve">{text}</t></si>'
                if text[:1].isspace() or text[-1:].isspace()
                else f"<si><t>{text}</t></si>"
                for text in texts
            )
        return f"{header}{body}</sst>".encode()


# ------------------------------------------------------------------------------------ templates, columns

_FIELD = re.compile(r"\{\{(\w+)\}\}")


class Template:
    """A package part with ``{{field}}`` placeholders, as engine/export/parts/generate.py writes them: split
    once, filled per workbook by joining (no markup is parsed at run time)."""

    def __init__(self, text: str) -> None:
        pieces = _FIELD.split(text)
        self._literals = pieces[0::2]
        self.fields = tuple(pieces[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        """The part with each field replaced by ``values[field]`` (already escaped); every field is needed."""
        out = [self._literals[0]]
        for field, literal in zip(self.fields, self._literals[1:], strict=True):
            out += (values[field], literal)
        return "".join(out)


@lru_cache(maxsize=256)
def col_name(col: int) -> str:
    """The letters of 0-based column ``col``: 0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


# Excel's column width unit is the width of a digit of the default font (Calibri 11: 7 pixels), plus 5
# pixels of padding, kept in 1/256ths of a digit; this is xlsxwriter's conversion (Worksheet.set_column).
_DIGIT_PIXELS, _PADDING_PIXELS = 7, 5


def col_width(width: float) -> str:
    """A ``<col>``'s ``width`` for a column ``width`` characters wide, as xlsxwriter writes it."""
    if width < 1:
        pixels = int(width * (_DIGIT_PIXELS + _PADDING_PIXELS) + 0.5)
    else:
        pixels = int(width * _DIGIT_PIXELS + 0.5) + _PADDING_PIXELS
    return f"{(pixels * 256 // _DIGIT_PIXELS) / 256.0:.16g}"


def cols_xml(widths: Sequence[float]) -> str:
    """The ``<cols>`` element for columns of ``widths`` (characters), neighbours of one width as one range,
    as xlsxwriter groups them."""
    out: list[str] = []
    first = 0
    written = [col_width(width) for width in widths]  # grouped by the width written, as xlsxwriter does
    for col, width in enumerate(written):
        if col + 1 < len(written) and written[col + 1] == width:
            continue
        out.append(f'<col min="{first + 1}" max="{col + 1}" width="{width}" customWidth="1"/>')
        first = col + 1
    return f"<cols>{''.join(out)}</cols>" if out else ""


# ---------------------------------------------------------------------------------------------- the zip
# branchgrade's one zip writer: the 整改清单 (members deflated in memory, the fixed ones once per process) and
# the summary (its long sheets streamed from their row files) are both written through ZipWriter.


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One file of the package, deflated once: constant parts are built at first use and reused."""

    name: bytes
    crc: int
    size: int
    data: bytes  # raw deflate stream


# How a list's own parts are deflated, per list: level 1, an 8 KB window and memLevel 6. Setting up zlib's
# default state (32 KB window, memLevel 8) costs more than compressing a part of a few KB; these parts
# repeat themselves within a few hundred bytes (rows, cells), so the small window loses nothing, and level 1
# costs far less time than level 6 for a few more bytes (bench/RESULTS.md, "Design measurements").
_FAST = (1, zlib.DEFLATED, -13, 6)  # negative window bits: a raw deflate stream, as zip stores it
# Parts built once and reused (the package's fixed parts) are worth zlib's best.
_SMALL = (9, zlib.DEFLATED, -15, 9)
# A streamed part (a summary sheet, up to tens of megabytes): level 1, zlib's full window.
_STREAM = (1, zlib.DEFLATED, -15, 8)


def deflate(name: str, data: bytes, *, reused: bool = False) -> ZipMember:
    """``data`` as the zip member ``name``; ``reused`` for a part built once and written many times."""
    packer = zlib.compressobj(*(_SMALL if reused else _FAST))
    stream = packer.compress(data) + packer.flush()
    return ZipMember(name.encode("ascii"), zlib.crc32(data), len(data), stream)


# Every member is dated 1980-01-01 00:00 (DOS date 0x21, time 0) and readable by its owner only (external
# attributes 0600 << 16, "made by" Unix), as xlsxwriter writes them: no clock in the package.
_DOS_TIME, _DOS_DATE = 0, (1 << 5) | 1
_VERSION = 20  # 2.0: deflate
_MADE_BY = (3 << 8) | _VERSION
_EXTERNAL_ATTR = 0o600 << 16
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_CRC_AT = 14  # offset of crc, compressed and uncompressed size in a local header
_SIZES = struct.Struct("<III")
_LIMIT = 0xFFFFFFFF  # no zip64: a member, and the whole archive, stay under 4 GiB


class ZipWriter:
    """A zip archive written member by member to a seekable binary file; :meth:`close` writes the central
    directory. Without zip64, so a member or archive of 4 GiB or more is refused (a 10,000-branch summary
    is well under 100 MB)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._start = out.tell()
        self._central: list[bytes] = []

    def _offset(self) -> int:
        offset = self._out.tell() - self._start
        if offset > _LIMIT:
            raise OverflowError("the workbook would be 4 GiB or more, beyond a zip without zip64")
        return offset

    def _entry(self, name: bytes, crc: int, packed: int, size: int, offset: int) -> None:
        if max(packed, size) > _LIMIT:
            raise OverflowError(f"{name.decode()}: 4 GiB or more, beyond a zip without zip64")
        self._central.append(
            _CENTRAL.pack(
                0x02014B50,
                _MADE_BY,
                _VERSION,
                0,
                zlib.DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                packed,
                size,
                len(name),
                0,
                0,
                0,
                0,
                _EXTERNAL_ATTR,
                offset,  # no extra, no comment, disk 0, no internal attributes
            )
            + name
        )

    def _local(self, name: bytes, crc: int, packed: int, size: int) -> bytes:
        return _LOCAL.pack(
            0x04034B50, _VERSION, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE, crc, packed, size, len(name), 0
        )

    def add(self, member: ZipMember) -> None:
        """A member deflated already (see :func:`deflate`)."""
        offset = self._offset()
        m = member
        self._out.write(self._local(m.name, m.crc, len(m.data), m.size) + m.name + m.data)
        self._entry(m.name, m.crc, len(m.data), m.size, offset)

    def stream(self, name: str, chunks: Iterable[bytes]) -> None:
        """The member ``name`` made of ``chunks``, deflated as they come; its local header is completed
        once the sizes are known."""
        raw_name = name.encode("ascii")
        offset = self._offset()
        out = self._out
        out.write(self._local(raw_name, 0, 0, 0) + raw_name)
        packer = zlib.compressobj(*_STREAM)
        crc = size = packed = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            data = packer.compress(chunk)
            packed += len(data)
            out.write(data)
        data = packer.flush()
        packed += len(data)
        out.write(data)
        self._entry(raw_name, crc, packed, size, offset)
        end = out.tell()
        out.seek(self._start + offset + _CRC_AT)
        out.write(_SIZES.pack(crc, packed, size))
        out.seek(end)

    def close(self) -> None:
        """Write the central directory and the end record."""
        offset = self._offset()
        directory = b"".join(self._central)
        count = len(self._central)
        self._out.write(directory + _END.pack(0x06054B50, 0, 0, count, count, len(directory), offset, 0))


def zip_bytes(members: list[ZipMember]) -> bytes:
    """A zip archive of ``members`` in order, as bytes (a 整改清单 is a few KB)."""
    buffer = io.BytesIO()
    writer = ZipWriter(buffer)
    for member in members:
        writer.add(member)
    writer.close()
    return buffer.getvalue()
