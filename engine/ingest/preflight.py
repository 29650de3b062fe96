"""Checks on the raw bytes before any spreadsheet library sees them, and what the reader may then parse.

Why: calamine runs in-process, and a tiny crafted xlsx (one cell at A1, one at XFD1048576) makes it
allocate a 512 GiB range and abort the whole interpreter with SIGABRT, which no ``except`` can catch;
DTDs and entities can blow an XML parser up; zip bombs and huge declared dimensions can exhaust memory.
The pipeline also isolates workers with a memory cap, but this is the first line.

What is checked, for a zip-based workbook (xlsx, xlsm, ods):

* a sound zip holding a workbook, not encrypted, at most ``max_members`` parts;
* declared sizes and compression ratios (whole file, and each part over 1 MB) within the limits;
* every part the reader may open (``*.xml``, ``*.rels``, ``*.vml``, ``mimetype`` and every sheet the
  workbook names) inflated whole, at most one byte past its declared size and with its CRC checked,
  the running total within ``max_uncompressed_bytes``;
* each such part free of DTD/entity declarations, and, as if it were a sheet, with every cell and row
  reference, the declared ``<dimension>`` and the row count within the limits.

The reader is then given ``Cleared.data``: a new archive of exactly those checked parts, stored (see
``engine/ingest/repack.py``; beyond 32 MB of XML they keep their original compressed streams, so memory
stays at the file's size). Parts never checked (images, macro projects, a sheet under a name no check
looked at) are not in it, so calamine cannot open them. An .xls (OLE2) file is passed on as it is; the
reader checks the extent calamine reports for it before materialising any sheet.

Cost: the pre-flight (zip directory, inflating with the CRC check, the quick checks — mostly the search
for far references — and the new archive) is mostly paid back by calamine reading the new archive faster
than the original (see ``repack``), so the whole ingest costs little more than the bare read
(bench/RESULTS.md, "Design measurements").

A part is cleared by ``_clear``, which proves with a few C-level searches over the whole part that
nothing in it can break a limit; whatever it cannot clear (a DTD, a far reference, a big part, tight
limits) is decided by ``_check_exact``, which collects and measures every reference. Parts over 8 MB
are checked exactly while they are being inflated, so a hostile one is refused before it is held. Every
search runs in linear time whatever the bytes (see ``_NESTED_TAG``): the checks cannot be stalled.
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO
from xml.etree import ElementTree

from engine.ingest import repack
from schemas.common import Text
from schemas.raw import MergedAreas

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

_CHUNK = 1 << 20
_OVERLAP = 256  # bytes carried between chunks so a tag split across chunk edges is still seen
_XML_SNIFF = 4096


@dataclass(frozen=True)
class Limits:
    """Safety limits for one input file; the defaults fit any honest grading form many times over."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed / compressed, for the whole archive and for each part > 1 MB
    max_members: int = 2_000  # files inside the zip
    max_rows: int = 100_000  # per sheet
    max_columns: int = 16_384  # XFD, Excel's own maximum
    max_cells: int = 5_000_000  # rows x columns of the rectangle a reader would allocate from A1


class Format(StrEnum):
    XLSX = "xlsx"
    ODS = "ods"
    XLS = "xls"


@dataclass(frozen=True)
class Cleared:
    """A file the pre-flight let through: its format, and the bytes the reader may parse (for a zip,
    the archive of the checked parts; for an .xls, the file itself)."""

    format: Format
    data: bytes
    # sheet name → its merged areas that span rows, ((first row, column), (last row, last column)),
    # 0-based; read here from the sheet's bytes because the reader is spared calamine's merged-range pass
    merged: dict[str, MergedAreas] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """Why a file was refused: the IN- code and its context (``reason`` for IN-01, limits for IN-03)."""

    code: str
    reason: Text | None = None
    what: Text | None = None
    actual: str = ""
    limit: str = ""
    sheet: str | None = None  # the sheet the problem is in, when known


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


def _unreadable(zh: str, en: str) -> Refused:
    return Refused(Refusal("IN-01", reason=Text(zh=zh, en=en)))


def _over_limit(zh: str, en: str, actual: object, limit: object, sheet: str | None = None) -> Refused:
    return Refused(
        Refusal("IN-03", what=Text(zh=zh, en=en), actual=str(actual), limit=str(limit), sheet=sheet)
    )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# ---------------------------------------------------------------- what is this file?


def describe_non_workbook(head: bytes) -> Text:
    """Name what a non-spreadsheet file really is, from its first bytes, so the branch knows what happened."""
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n\x00")
    lower = stripped[:_XML_SNIFF].lower().replace(b"\x00", b"")
    if lower.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in lower:
        return Text(
            zh="这是 Excel 2003 XML 表格，不是工作簿文件",
            en="it is an Excel 2003 XML spreadsheet, not a workbook",
        )
    if b"<html" in lower or b"<!doctype html" in lower or b"<table" in lower:
        return Text(
            zh="这是网页（HTML）文件，可能是从网页系统导出后改了扩展名",
            en="it is a web page (HTML), probably exported from a web system and renamed",
        )
    if stripped.startswith(b"%PDF"):
        return Text(zh="这是 PDF 文件", en="it is a PDF file")
    if stripped.startswith(b"{\\rtf"):
        return Text(zh="这是 RTF 文档", en="it is an RTF document")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return Text(zh="这是图片文件", en="it is a picture")
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return Text(
            zh="这是压缩包，请解压后提交其中的工作簿",
            en="it is a compressed archive; submit the workbook inside it",
        )
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = head.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
    if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * len(text):
        if any(sep in text for sep in (",", "\t", "，")):
            return Text(
                zh="这是 CSV/文本文件，不是 Excel 工作簿", en="it is a CSV/text file, not an Excel workbook"
            )
        return Text(
            zh="这是纯文本文件，不是 Excel 工作簿", en="it is a plain-text file, not an Excel workbook"
        )
    return Text(zh="无法识别的文件格式", en="the file format is not recognised")


# ---------------------------------------------------------------- OLE2 (old .xls, or an encrypted xlsx)

_ENCRYPTION_STREAMS = tuple(name.encode("utf-16-le") for name in ("EncryptedPackage", "EncryptionInfo"))
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_WORKBOOK_STREAMS = tuple(name.encode("utf-16-le") for name in ("Workbook", "Book"))


def check_ole2(data: bytes) -> Format:
    """An OLE2 compound file is an encrypted OOXML workbook, an old .xls (or WPS .et), or something else.

    Directory entry names are UTF-16LE inside the file, so a byte search finds the streams without a
    compound-file parser; an encrypted OOXML package always has ``EncryptedPackage``/``EncryptionInfo``.
    """
    if any(stream in data for stream in _ENCRYPTION_STREAMS):
        raise Refused(Refusal("IN-02"))
    if _WORD_STREAM in data and not any(stream in data for stream in _WORKBOOK_STREAMS):
        raise _unreadable(
            "这是 Word 97-2003 文档（.doc），不是工作簿",
            "it is a Word 97-2003 document (.doc), not a workbook",
        )
    return Format.XLS


# ---------------------------------------------------------------- zip (xlsx / ods)

_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]+)([0-9]+)\"")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\b[^>]*?\sr=\"([0-9]+)\"")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=\"([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?\"")
_DIMENSION_TAG = re.compile(rb"<(?:\w+:)?dimension\b")
# The three patterns above scan from a tag's start to its ">". Tag starts with no ">" between them
# ("<c <c <c …", never in well-formed XML) would make each scan run over all the later ones: quadratic
# (a small hostile part would keep a worker busy for seconds). Such a window is found in linear time and
# read with the patterns below, which take every r attribute in it, wherever it is: more than the tag
# patterns, never less.
_NESTED_TAG = re.compile(rb"<[^<>]*<")
_ANY_CELL_REF = re.compile(rb"\sr=\"([A-Z]+)([0-9]+)\"")
_ANY_ROW_REF = re.compile(rb"\sr=\"([0-9]+)\"")
_A1 = re.compile(r"([A-Z]+)([0-9]+)")


def column_index(letters: str) -> int:
    """``A`` → 1, ``XFD`` → 16384."""
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index


def _widest(values: set[bytes]) -> int:
    """The largest decimal number among byte strings, without converting each one (longest, then highest)."""
    return int(max(values, key=lambda v: (len(v), v))) if values else 0


@dataclass
class _SheetExtent:
    max_row: int = 0
    max_column: int = 0
    row_tags: int = 0


def _check_extent(part: str, sheet: str | None, extent: _SheetExtent, limits: Limits) -> None:
    zh, en = (f"工作表“{sheet}”", f"sheet “{sheet}”") if sheet else (f"工作表 {part} ", f"sheet part {part}")
    if extent.max_row > limits.max_rows or extent.row_tags > limits.max_rows:
        rows = max(extent.max_row, extent.row_tags)
        raise _over_limit(f"{zh}的行数", f"the row count of {en}", rows, limits.max_rows, sheet)
    if extent.max_column > limits.max_columns:
        raise _over_limit(
            f"{zh}的列数", f"the column count of {en}", extent.max_column, limits.max_columns, sheet
        )
    if extent.max_row * extent.max_column > limits.max_cells:
        raise _over_limit(
            f"{zh}的单元格区域",
            f"the cell range of {en}",
            f"{extent.max_row} × {extent.max_column}",
            limits.max_cells,
            sheet,
        )


# [^<>]: a tag with a "<" inside (malformed) is skipped, in linear time; its sheet then has no name here
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^<>]*>")
_RELATIONSHIP_TAG = re.compile(rb"<(?:\w+:)?Relationship\b[^<>]*>")
_NAME_ATTR = re.compile(rb"\sname=\"([^\"]*)\"")
_RID_ATTR = re.compile(rb"\s(?:\w+:)?id=\"([^\"]*)\"")
_ID_ATTR = re.compile(rb"\sId=\"([^\"]*)\"")
_TARGET_ATTR = re.compile(rb"\sTarget=\"([^\"]*)\"")
_WORKBOOK, _WORKBOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"


def sheet_names(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Sheet part → the sheet's name as users see it (best effort: {} when the workbook is odd)."""
    if _WORKBOOK not in names or _WORKBOOK_RELS not in names:
        return {}
    with archive.open(_WORKBOOK) as stream:
        workbook = stream.read(_CHUNK)
    with archive.open(_WORKBOOK_RELS) as stream:
        rels = stream.read(_CHUNK)
    return _sheet_parts(workbook, rels)


def _sheet_parts(workbook: bytes, rels: bytes) -> dict[str, str]:
    """``sheet_names`` from the bytes of ``xl/workbook.xml`` and its relationships."""
    targets: dict[bytes, str] = {}
    for tag in _RELATIONSHIP_TAG.findall(rels):
        rid, target = _ID_ATTR.search(tag), _TARGET_ATTR.search(tag)
        if rid and target:
            path = target[1].decode("utf-8", "replace")
            targets[rid[1]] = path.lstrip("/") if path.startswith("/") else "xl/" + path
    found: dict[str, str] = {}
    for tag in _SHEET_TAG.findall(workbook):
        name, rid = _NAME_ATTR.search(tag), _RID_ATTR.search(tag)
        if name and rid and rid[1] in targets:
            found[targets[rid[1]]] = html.unescape(name[1].decode("utf-8", "replace"))
    return found


# Any reference that could lie beyond Z9999: past at most one letter and four digits comes another letter
# or digit (two column letters, or a fifth row digit). It matches inside every ``r="…"`` that
# ``_CELL_REF`` or ``_ROW_REF`` could match beyond Z9999, and more. The possessive quantifiers never
# backtrack, which makes this the cheaper of the equivalent patterns over a whole sheet.
_FAR_REF = re.compile(rb"r=\"[A-Z]?+[0-9]{0,4}+[A-Z0-9]")
_NEAR_ROWS, _NEAR_COLUMNS = 9_999, 26  # the extent of any reference _FAR_REF does not match
_MIN_ROW_TAG = len(b"<row")  # no two row tags share bytes, so a part holds at most len // 4 of them


_SKIPPABLE_MATCHES = 64  # an Office theme has 7; a part with more goes to the exact scan, at C speed


def _far_reference(content: bytes) -> bool:
    """Whether a ``_FAR_REF`` match may be an attribute ``r`` (after white space), as the exact scan's are.

    ``dir="5400000"`` in every Office theme matches ``_FAR_REF`` but is no cell reference: skipping such
    matches spares the theme an exact scan on every workbook. Only a few are skipped, so a part made of
    them cannot keep this Python loop busy.
    """
    found = _FAR_REF.search(content)
    for _ in range(_SKIPPABLE_MATCHES):
        if found is None:
            return False
        if found.start() > 0 and content[found.start() - 1 : found.start()].isspace():
            return True
        found = _FAR_REF.search(content, found.start() + 1)
    return found is not None


def _clear(content: bytes, limits: Limits) -> bool:
    """Whether ``_check_exact`` certainly refuses nothing in this part (False: it must decide).

    Every quantity the exact scan checks is bounded from above here: a part with no far reference has
    cell and row references within Z9999, the dimension is read exactly as there, and the row tags are
    at most the part's bytes / 4, and at most its count of ``row``. Limits are only compared with these
    bounds, so a part cleared here passes the exact scan at every chunk too. A search over the whole
    part finds whatever a search over any of the exact scan's windows (substrings of it) would.
    """
    # "!" is rare in XML, and memchr finds its absence at memory speed: no "!", no "<!DOCTYPE"
    if b"!" in content and _DOCTYPE.search(content):
        return False
    max_row, max_column = _NEAR_ROWS, _NEAR_COLUMNS
    # the exact scan looks for the dimension in its first chunk only
    if content.find(b"dimension", 0, _CHUNK) >= 0 and (dimension := _first_dimension(content, _CHUNK)):
        max_row, max_column = _widen(dimension, max_row, max_column)
    row_tags = len(content) // _MIN_ROW_TAG
    if row_tags > limits.max_rows:  # a big part: count what could be a row tag
        row_tags = content.count(b"row")
    return not (
        _far_reference(content)
        or max_row > limits.max_rows
        or row_tags > limits.max_rows
        or max_column > limits.max_columns
        or max_row * max_column > limits.max_cells
    )


def _first_dimension(window: bytes, end: int) -> re.Match[bytes] | None:
    """``_DIMENSION.search(window, 0, end)``, in linear time whatever the window holds.

    Each ``<dimension`` start is matched only up to its ``>``, where its match must end. Later starts
    before that same ``>`` are skipped: their matches could only use what this start's could.
    """
    position = 0
    while start := _DIMENSION_TAG.search(window, position, end):
        close = window.find(b">", start.start(), end)
        if found := _DIMENSION.match(window, start.start(), end if close < 0 else close + 1):
            return found
        if close < 0:
            return None
        position = close + 1
    return None


def _widen(dimension: re.Match[bytes], max_row: int, max_column: int) -> tuple[int, int]:
    """The bounds so far, widened to the last cell a sheet's ``<dimension ref>`` declares."""
    last = (dimension[2] or dimension[1]).decode()
    letters, digits = _A1.fullmatch(last).groups()  # type: ignore[union-attr]
    return max(max_row, int(digits)), max(max_column, column_index(letters))


def _check_exact(chunks: Iterable[bytes], part: str, sheet: str | None, limits: Limits) -> None:
    """Refuse a DTD/entity declaration, or cell references and rows beyond the limits, chunk by chunk.

    The thorough way: every cell and row reference collected and measured, in windows of ``_CHUNK``
    bytes (plus ``_OVERLAP`` so a tag split across chunk edges is still seen), which also lets a huge
    part be refused while it is being inflated, before it is ever held whole.
    """
    extent = _SheetExtent()
    tail = b""
    first = True
    for chunk in chunks:
        window = tail + chunk
        if _DOCTYPE.search(window):
            where = f"工作表“{sheet}”（{part}）" if sheet else f"文件内部 {part} "
            where_en = f"sheet “{sheet}” ({part})" if sheet else f"part {part}"
            raise _over_limit(
                f"{where}含有 DTD/实体声明（可能是 XML 炸弹）",
                f"{where_en} declares a DTD/entity (a possible XML bomb); it",
                "DOCTYPE/ENTITY",
                "0",
                sheet,
            )
        if first and (dimension := _first_dimension(window, len(window))):
            extent.max_row, extent.max_column = _widen(dimension, extent.max_row, extent.max_column)
        cell_ref, row_ref = (
            (_ANY_CELL_REF, _ANY_ROW_REF) if _NESTED_TAG.search(window) else (_CELL_REF, _ROW_REF)
        )
        cells = cell_ref.findall(window)
        if cells:
            extent.max_row = max(extent.max_row, _widest({row for _, row in cells}))
            columns = {col for col, _ in cells}
            extent.max_column = max(extent.max_column, max(column_index(c.decode()) for c in columns))
        extent.max_row = max(extent.max_row, _widest(set(row_ref.findall(window))))
        # Rows without an r attribute are numbered by position: count the tags too (in the chunk, not
        # the window, so no tag is counted twice).
        extent.row_tags += len(_ROW_TAG.findall(chunk))
        _check_extent(part, sheet, extent, limits)
        tail = window[-_OVERLAP:]
        first = False


def _slices(content: bytes) -> Iterator[bytes]:
    """An inflated part in the chunks a streaming read would give."""
    for start in range(0, len(content), _CHUNK):
        yield content[start : start + _CHUNK]


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_LOCAL_MAGIC = b"PK\x03\x04"


def _compressed(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The member's compressed bytes, sliced straight from ``data``, when that is certainly what
    ``archive.open`` would read too: a plain stored or deflated member, not encrypted or patched, whose
    local header names it as the directory does. None otherwise (zipfile then decides)."""
    if info.flag_bits & 0x61 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = info.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_MAGIC:
        return None
    name_end = start + _LOCAL_HEADER.size + fields[10]
    name = data[start + _LOCAL_HEADER.size : name_end]
    try:
        decoded = name.decode("utf-8") if fields[3] & 0x800 else name.decode("cp437")
    except UnicodeDecodeError:
        return None
    if decoded != info.orig_filename:
        return None
    begin = name_end + fields[11]
    compressed = data[begin : begin + info.compress_size]
    return compressed if len(compressed) == info.compress_size else None


def _inflate(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """The part's bytes, inflated straight from ``data`` (see ``_compressed``), when the stream ends
    exactly at its compressed size with the declared size and CRC. None otherwise.

    Inflating stops one byte past the declared size, so a header that lies cannot make this a zip bomb.
    """
    compressed = _compressed(data, info)
    if compressed is None:
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        content = compressed
    else:
        inflater = zlib.decompressobj(-15)
        content = inflater.decompress(compressed, info.file_size + 1)
        if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
            return None
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        return None
    return content


_WHOLE_MAX_BYTES = 8 * 1024 * 1024  # bigger parts are checked while streaming, before being held whole
# Up to this much XML in all, the reader's archive stores the inflated parts (fast). Beyond it, the
# parts keep their original compressed streams, so memory stays at the file's size, not the XML's.
_STORE_MAX_BYTES = 32 * 1024 * 1024
_READER_PARTS = (".xml", ".rels", ".vml")  # the parts the reader may open, with ODS's "mimetype"
_SHEET_FOLDERS = ("xl/worksheets/", "xl/macrosheets/")


class _Parts:
    """Parts inflated from one archive, the running total of inflated bytes held under the limit."""

    def __init__(self, archive: zipfile.ZipFile, data: bytes, limits: Limits) -> None:
        self.archive, self.data, self.limits = archive, data, limits
        self.total = 0

    def read(self, info: zipfile.ZipInfo) -> bytes:
        """The whole inflated part (its CRC checked), counted into the total."""
        content = self.inflate(info)
        self.total += len(content)
        self._check_total(self.total)
        return content

    def inflate(self, info: zipfile.ZipInfo) -> bytes:
        """The whole inflated part, not counted (it was counted when it was checked)."""
        content = _inflate(self.data, info)
        if content is None:  # an unusual member: zipfile reads it, and checks its CRC at the end
            with self.archive.open(info) as stream:
                content = stream.read()
        return content

    def stream(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The part inflated chunk by chunk (its CRC checked at the end), counted into the total and
        refused as soon as the total passes the limit."""
        with self.archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                self.total += len(chunk)
                self._check_total(self.total)
                yield chunk

    def _check_total(self, size: int) -> None:
        if size > self.limits.max_uncompressed_bytes:
            raise _over_limit(
                "解压后的大小",
                "the uncompressed size",
                f"> {_mb(size)}",
                _mb(self.limits.max_uncompressed_bytes),
            )

    def entry(self, info: zipfile.ZipInfo, content: bytes | None, sheet: bool) -> repack.Part:
        """The part as the reader's archive holds it: ``content`` stored, or (None) the original stream."""
        if content is None:
            compressed = _compressed(self.data, info)
            if compressed is None:  # no stream to copy: store it after all
                content = self.inflate(info)
            else:
                deflated = info.compress_type == zipfile.ZIP_DEFLATED
                return repack.Part(
                    info.orig_filename,
                    compressed,
                    info.CRC,
                    inflated_size=info.file_size if deflated else None,
                )
        return repack.Part(info.orig_filename, content, info.CRC, sheet=sheet)


_MERGE_CELLS = b"<mergeCells"
_MERGE_REF = re.compile(rb'<mergeCell\s+ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')


def row_spanning_merges(content: bytes) -> MergedAreas:
    """The merged areas of a sheet's XML that span more than one row (Excel writes ``<mergeCells>`` after
    the cells, so the search runs from the end)."""
    start = content.rfind(_MERGE_CELLS)
    if start < 0:
        return ()
    areas = []
    for c1, r1, c2, r2 in _MERGE_REF.findall(content, start):
        first, last = int(r1) - 1, int(r2) - 1
        if last > first:
            areas.append(((first, column_index(c1.decode()) - 1), (last, column_index(c2.decode()) - 1)))
    return tuple(areas)


_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_SPAN = b"number-rows-spanned"


def ods_row_spanning_merges(content: bytes) -> dict[str, MergedAreas]:
    """Sheet name → the merged areas spanning rows of an OpenDocument ``content.xml`` (cells carrying
    ``table:number-rows-spanned``; rows and cells repeated by ``number-*-repeated`` counted as such).
    Only parsed when some cell spans rows: most files have none."""
    if _ODS_SPAN not in content:
        return {}
    table, row_tag = _ODS_TABLE + "table", _ODS_TABLE + "table-row"
    cell_tags = (_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell")
    found: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    sheet, row, column = "", 0, 0
    for event, element in ElementTree.iterparse(BytesIO(content), events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == table:
                sheet, row = element.get(_ODS_TABLE + "name", ""), 0
            elif tag == row_tag:
                column = 0
            continue
        if tag in cell_tags:
            spanned = int(element.get(_ODS_TABLE + "number-rows-spanned", "1"))
            if spanned > 1 and tag == cell_tags[0]:
                wide = int(element.get(_ODS_TABLE + "number-columns-spanned", "1"))
                area = ((row, column), (row + spanned - 1, column + wide - 1))
                found.setdefault(sheet, []).append(area)
            column += int(element.get(_ODS_TABLE + "number-columns-repeated", "1"))
            element.clear()
        elif tag == row_tag:
            row += int(element.get(_ODS_TABLE + "number-rows-repeated", "1"))
            element.clear()
    return {name: tuple(areas) for name, areas in found.items()}


def _keeping(chunks: Iterable[bytes], kept: list[bytes]) -> Iterator[bytes]:
    """``chunks`` as they are, each also appended to ``kept``."""
    for chunk in chunks:
        kept.append(chunk)
        yield chunk


def _check_parts(
    archive: zipfile.ZipFile, data: bytes, infos: list[zipfile.ZipInfo], limits: Limits
) -> tuple[bytes, dict[str, MergedAreas]]:
    """Inflate and check every part the reader may open; the archive of them the reader is given.

    Every such part is checked as if it were a sheet: which part calamine opens as a sheet follows
    relationship targets it need not resolve the way ``_sheet_parts`` does, and a part that is no sheet
    holds no cell or row references to refuse. Parts with other names (images, macro projects) are
    never inflated and never reach the reader.
    """
    parts = _Parts(archive, data, limits)
    names = {info.filename: info for info in infos}  # the last entry of a name, as archive.open finds it
    sheets: dict[str, str] = {}
    early: dict[zipfile.ZipInfo, bytes] = {}  # read for the sheet names, checked in their turn
    if _WORKBOOK in names and _WORKBOOK_RELS in names:
        workbook, rels = names[_WORKBOOK], names[_WORKBOOK_RELS]
        if max(workbook.file_size, rels.file_size) <= _WHOLE_MAX_BYTES:
            early = {workbook: parts.read(workbook), rels: parts.read(rels)}
            sheets = _sheet_parts(early[workbook], early[rels])
        else:  # an outsized part is checked while streaming, like any other: only its head is read here
            sheets = sheet_names(archive, set(names))
    readable = [
        info
        for info in infos
        if not info.is_dir()
        and (info.filename.endswith(_READER_PARTS) or info.filename == "mimetype" or info.filename in sheets)
    ]
    if len(readable) > repack.MAX_PARTS:
        raise _over_limit(
            "压缩包内的文件数", "the number of parts in the archive", len(readable), repack.MAX_PARTS
        )
    store = sum(info.file_size for info in readable) <= _STORE_MAX_BYTES  # sizes are verified on inflating
    entries = []
    merged: dict[str, MergedAreas] = {}
    for info in readable:
        sheet = sheets.get(info.filename)
        content: bytes | None
        if info.file_size > _WHOLE_MAX_BYTES:
            # the chunks checked are kept when the part is to be stored: it is inflated once, not again
            kept: list[bytes] = []
            chunks = parts.stream(info)
            _check_exact(_keeping(chunks, kept) if store else chunks, info.filename, sheet, limits)
            content = b"".join(kept) if store else None
        else:
            content = early.pop(info, None)
            if content is None:
                content = parts.read(info)
            if not _clear(content, limits):
                _check_exact(_slices(content), info.filename, sheet, limits)
            if sheet is not None and (areas := row_spanning_merges(content)):
                merged[sheet] = areas
            elif info.filename == "content.xml":
                merged.update(ods_row_spanning_merges(content))
            if not store:
                content = None  # let it go: the entry copies the compressed stream
        is_sheet = info.filename in sheets or info.filename.startswith(_SHEET_FOLDERS)
        entries.append(parts.entry(info, content, is_sheet))
    archive_size = max(parts.total, sum(len(entry.content) for entry in entries))
    if archive_size + len(entries) * 512 > repack.MAX_BYTES:  # 512: more than any entry's headers
        raise _over_limit("解压后的大小", "the uncompressed size", _mb(parts.total), _mb(repack.MAX_BYTES))
    return repack.stored_zip(entries), merged


def check_zip(data: bytes, limits: Limits) -> Cleared:
    """Check a zip-based file: whether it is an xlsx (or xlsm) or an ods workbook, and what to read of it."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _unreadable(
            f"文件已损坏或不完整（压缩包结构错误：{exc}），可能是下载或复制没有完成",
            f"the file is damaged or incomplete (bad zip structure: {exc}); "
            "the download or copy may not have finished",
        ) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise _over_limit(
                "压缩包内的文件数", "the number of parts in the archive", len(infos), limits.max_members
            )
        names = {info.filename for info in infos}
        if any(info.flag_bits & 0x1 for info in infos):
            raise Refused(Refusal("IN-02"))
        if "xl/workbook.xml" in names:
            workbook_format = Format.XLSX
        elif "content.xml" in names and _is_ods(archive, names):
            workbook_format = Format.ODS
        elif "xl/workbook.bin" in names:
            raise _unreadable(
                "这是 Excel 二进制工作簿（.xlsb），暂不支持",
                "it is an Excel binary workbook (.xlsb), which is not supported",
            )
        elif "word/document.xml" in names:
            raise _unreadable(
                "这是 Word 文档（.docx），不是工作簿", "it is a Word document (.docx), not a workbook"
            )
        elif "ppt/presentation.xml" in names:
            raise _unreadable(
                "这是 PowerPoint 演示文稿，不是工作簿", "it is a PowerPoint presentation, not a workbook"
            )
        else:
            raise _unreadable(
                "这是一个压缩包，但其中没有 Excel 工作簿", "it is a zip archive but holds no Excel workbook"
            )

        declared = sum(info.file_size for info in infos)
        if declared > limits.max_uncompressed_bytes:
            raise _over_limit(
                "解压后的大小", "the uncompressed size", _mb(declared), _mb(limits.max_uncompressed_bytes)
            )
        compressed = max(1, sum(info.compress_size for info in infos))
        _check_ratio("整个文件", "the whole file", declared, compressed, limits)
        for info in infos:
            if info.file_size > 1024 * 1024:
                _check_ratio(info.filename, info.filename, info.file_size, max(1, info.compress_size), limits)

        try:
            readable, merged = _check_parts(archive, data, infos, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            raise _unreadable(
                f"文件已损坏（解压失败：{exc}）", f"the file is damaged (decompression failed: {exc})"
            ) from exc
    return Cleared(workbook_format, readable, merged)


def _is_ods(archive: zipfile.ZipFile, names: set[str]) -> bool:
    if "mimetype" not in names:
        return True  # content.xml alone: let the reader decide, it will report what it cannot read
    with archive.open("mimetype") as stream:
        mimetype = stream.read(200)
    return b"spreadsheet" in mimetype


def _check_ratio(zh_part: str, en_part: str, size: int, compressed: int, limits: Limits) -> None:
    ratio = size / compressed
    if ratio > limits.max_ratio:
        raise _over_limit(
            f"{zh_part}的压缩比（疑似压缩炸弹）",
            f"the compression ratio of {en_part} (a possible zip bomb)",
            f"{ratio:.0f}",
            f"{limits.max_ratio:.0f}",
        )


def preflight(data: bytes, limits: Limits) -> Cleared:
    """Decide from the content (never the extension) what the file is and what the reader may parse of it,
    or raise ``Refused``."""
    if not data:
        raise _unreadable("文件是空的（0 字节）", "the file is empty (0 bytes)")
    if data.startswith(ZIP_MAGIC):
        return check_zip(data, limits)
    if data.startswith(EMPTY_ZIP_MAGIC):
        raise _unreadable("这是一个空的压缩包", "it is an empty zip archive")
    if data.startswith(OLE2_MAGIC):
        return Cleared(check_ole2(data), data)
    reason = describe_non_workbook(data[:_XML_SNIFF])
    raise Refused(Refusal("IN-01", reason=reason))
