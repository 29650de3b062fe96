"""Plumbing for writing an xlsx package directly: text escaping the way xlsxwriter does it, a shared-string
table, and a zip writer that takes members already deflated.

Used by writers whose layout is fixed (the 整改清单): the parts that never change are built once per process
by xlsxwriter and kept deflated; only the parts carrying the branch's own text are serialised per file,
here. Everything matches what xlsxwriter writes for the same calls, byte for byte, so a workbook written
this way looks and reads exactly like one xlsxwriter would have written (tests/test_branch_list_*.py check
it against the old xlsxwriter writer), with one deliberate exception: text is always escaped. xlsxwriter
passes a string of the form ``<r>…</r>`` into sharedStrings.xml unescaped (it takes it for a rich string),
so text typed like that either broke the workbook or injected markup.

Only strings and numbers are ever written as cell values; nothing here can write a formula.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from engine.export._xlsx import clip

__all__ = [
    "SAFE_CELL_CHARS",
    "SharedStrings",
    "ZipMember",
    "cell_text",
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
_EXCEL_ESCAPE = re.compile(r"_x[0-9a-fA-F]{4}_")
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
    text = _EXCEL_ESCAPE.sub(r"_x005F\g<0>", text)
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


# ---------------------------------------------------------------------------------------------- the zip


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


def zip_bytes(members: list[ZipMember]) -> bytes:
    """A zip archive of ``members`` in order (no zip64: a branch list is a few KB)."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for m in members:
        sizes = (m.crc, len(m.data), m.size, len(m.name))
        local = _LOCAL.pack(0x04034B50, _VERSION, 0, zlib.DEFLATED, _DOS_TIME, _DOS_DATE, *sizes, 0)
        central.append(
            _CENTRAL.pack(
                0x02014B50,
                _MADE_BY,
                _VERSION,
                0,
                zlib.DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                *sizes,
                0,
                0,
                0,
                0,
                _EXTERNAL_ATTR,
                offset,  # no extra, no comment, disk 0, no internal attributes
            )
            + m.name
        )
        out += (local, m.name, m.data)
        offset += len(local) + len(m.name) + len(m.data)
    directory = b"".join(central)
    end = _END.pack(0x06054B50, 0, 0, len(members), len(members), len(directory), offset, 0)
    return b"".join(out) + directory + end
