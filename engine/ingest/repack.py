"""The archive calamine parses: exactly the parts the pre-flight inflated and checked, stored uncompressed.

The pre-flight has to inflate every part it checks anyway, so the reader is given those bytes instead of
the original file. Three things follow:

* calamine can open only what was checked. A part the pre-flight never inflated (an image, a macro
  project, a sheet hiding under a name no check looked at) is not in the archive at all, and the zip
  calamine reads is the one Python read, so no two zip readers can disagree about what a part holds.
* The parts are stored, not deflated: calamine copies them instead of inflating each one again.
* Each sheet gets an empty ``<mergeCells></mergeCells>`` just before ``<sheetData>``. python-calamine's
  ``get_sheet_by_name`` reads a sheet twice: once for the cells, then from the top again for merged
  ranges, stopping at the first ``<mergeCells>`` start tag, which Excel writes after the cells. So the
  second pass tokenises the whole sheet again. The ingest never uses merged ranges (``RawSheet`` has
  none). calamine's cell pass skips unknown elements until ``<sheetData>`` and stops at
  ``</sheetData>``, so the empty element ends the second pass at once and the values are unchanged. It
  holds no cell reference and no ``<!``, so the checks made on the original bytes still hold.

Both make calamine's read markedly cheaper, for far less than they save (bench/RESULTS.md, "Design
measurements"). Memory: the inflated parts are held until calamine has its own copy;
``Limits.max_uncompressed_bytes`` bounds them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # PK\3\4, version, flags, method, time, date, crc, sizes, lengths
_CENTRAL_HEADER = struct.Struct("<4s6H3L5H2L")
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_VERSION = 20  # 2.0: what any zip reader handles
_UTF8_NAMES = 0x800  # general-purpose flag bit 11: names are UTF-8
_STORED, _DEFLATED = 0, 8
_DOS_DATE = (1 << 5) | 1  # 1980-01-01 00:00; the parts' own times mean nothing to the reader

MAX_PARTS = 0xFFFF  # a plain (not zip64) archive holds at most this many entries
MAX_BYTES = 0xFFFFFFFF  # and offsets and sizes up to this

_SHEET_DATA = b"<sheetData"
_MERGE_STOP = b"<mergeCells></mergeCells>"
_LOOK_ALIKES = 16  # "<sheetData" occurrences looked at for the real tag (past them: read the slow way)


@dataclass(frozen=True)
class Part:
    """One checked part: its name as the original directory spells it, and its bytes.

    ``content`` is the inflated part, stored; or, when ``inflated_size`` is set, the original deflate
    stream of a part that inflates to that many bytes, copied as it was (for very large workbooks, see
    ``_STORE_MAX_BYTES`` in the pre-flight). ``crc`` is the CRC-32 of the inflated part, as verified
    (None: compute it). ``sheet`` asks for the early stop of calamine's merged-range pass (stored only).
    """

    name: str
    content: bytes
    crc: int | None
    sheet: bool = False
    inflated_size: int | None = None


def stop_merge_scan(content: bytes) -> bytes:
    """``content`` with an empty ``<mergeCells></mergeCells>`` before its first ``<sheetData`` tag, if any.

    A name that merely starts with ``sheetData`` is not the tag; a prefixed ``<x:sheetData`` is left
    alone, and so is a sheet with many look-alikes before its tag (that sheet is read the slow way).
    """
    start = content.find(_SHEET_DATA)
    for _ in range(_LOOK_ALIKES):
        if start < 0:
            break
        follows = content[start + len(_SHEET_DATA) : start + len(_SHEET_DATA) + 1]
        if follows in (b">", b"/") or follows.isspace():
            return content[:start] + _MERGE_STOP + content[start:]
        start = content.find(_SHEET_DATA, start + 1)
    return content


def stored_zip(parts: Iterable[Part]) -> bytes:
    """A zip archive of ``parts`` in the given order, names in UTF-8, each entry stored (or its original
    deflate stream copied).

    The caller keeps within ``MAX_PARTS`` entries and ``MAX_BYTES`` in all.
    """
    pieces: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for part in parts:
        stored = part.inflated_size is None
        if not stored and part.crc is None:
            raise ValueError(f"{part.name}: a copied deflate stream needs the CRC of what it inflates to")
        content = stop_merge_scan(part.content) if part.sheet and stored else part.content
        changed = content is not part.content
        crc = zlib.crc32(content) if changed or part.crc is None else part.crc
        name = part.name.encode("utf-8")
        method, size = (_STORED, len(content)) if stored else (_DEFLATED, part.inflated_size)
        local = _LOCAL_HEADER.pack(
            b"PK\x03\x04", _VERSION, _UTF8_NAMES, method, 0, _DOS_DATE, crc, len(content), size, len(name), 0
        )
        central = _CENTRAL_HEADER.pack(
            b"PK\x01\x02",
            _VERSION,
            _VERSION,
            _UTF8_NAMES,
            method,
            0,
            _DOS_DATE,
            crc,
            len(content),
            size,
            len(name),
            0,  # extra field length
            0,  # comment length
            0,  # disk number
            0,  # internal attributes
            0,  # external attributes
            offset,
        )
        pieces += (local, name, content)
        directory += (central, name)
        offset += len(local) + len(name) + len(content)
    entries = len(directory) // 2
    central_directory = b"".join(directory)
    end = _END_OF_DIRECTORY.pack(b"PK\x05\x06", 0, 0, entries, entries, len(central_directory), offset, 0)
    return b"".join((*pieces, central_directory, end))
