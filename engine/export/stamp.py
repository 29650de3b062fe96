"""The stamp branchgrade's own workbooks carry, read back: is this file one of our earlier outputs?

The writers put a custom document property ``branchgrade.output`` (``docProps/custom.xml``, a
``vt:lpwstr``) whose value starts with the output kind (``整改清单`` / ``汇总`` / ``branch-list`` /
``summary``) and the tool version. A folder of forms that also holds an earlier run's lists is then
graded without mistaking those lists for forms. The reader opens the zip's directory and at most one
small member; it never inflates more than ``MAX_PART`` bytes and never lets the XML parser see a DTD.

Every workbook of a folder is asked, and a form filled in Excel or WPS has no custom properties: the raw
bytes of the zip's central directory (read from the end of the file) tell whether the part is there at
all, so a form costs one short read and no zip parsing (``may_hold_stamp``).
"""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from engine.export._xlsx import STAMP_PROPERTY  # the writers' own name for it

CUSTOM_PART = "docProps/custom.xml"
OUTPUT_KINDS = ("整改清单", "汇总", "branch-list", "summary", "整改台账")
MAX_PART = 64 * 1024  # a custom-properties part of a few properties is well under 1 KB
_PROPERTY = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property"

_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")  # PK\5\6, disks, entries, directory size and offset, comment
_TAIL = _END_OF_DIRECTORY.size + 0xFFFF  # the record and the longest comment a zip may end with
_SHORT_TAIL = 8 * 1024  # holds the record and, for a workbook, usually its whole directory
_MAX_DIRECTORY = 1024 * 1024  # a workbook's directory is a few KB; beyond this, ask zipfile
_NAME = CUSTOM_PART.encode("ascii")  # as a directory spells it, in UTF-8 or cp437 alike


def may_hold_stamp(path: Path) -> bool:
    """Whether the zip at ``path`` may hold ``docProps/custom.xml``: False only when its central directory
    was found and names no such part (then there is no stamp to read); True when it does, or when the
    directory cannot be found this simple way (a zip64 archive, a damaged file: ``zipfile`` decides)."""
    try:
        with path.open("rb") as stream:
            size = stream.seek(0, os.SEEK_END)
            for reach in (_SHORT_TAIL, _TAIL):  # the record is nearly always the last 22 bytes
                start = max(0, size - reach)
                stream.seek(start)
                tail = stream.read()
                end = tail.rfind(b"PK\x05\x06")
                if end >= 0 or start == 0:
                    break
            if end < 0 or len(tail) - end < _END_OF_DIRECTORY.size:
                return True
            fields = _END_OF_DIRECTORY.unpack_from(tail, end)
            length, offset = fields[5], fields[6]
            # the directory ends where the record starts, unless the zip is unusual (zip64, data before
            # the archive): then zipfile decides
            if length > _MAX_DIRECTORY or offset + length != start + end:
                return True
            if offset >= start:
                directory = tail[offset - start : offset - start + length]
            else:
                stream.seek(offset)
                directory = stream.read(length)
    except OSError:
        return True
    return _NAME in directory


def read_output_stamp(path: Path) -> str | None:
    """The ``branchgrade.output`` value of the workbook at ``path`` when it starts with an output kind,
    else None (no stamp, not a zip, unreadable: the file is then treated as any other input)."""
    if not may_hold_stamp(path):
        return None
    try:
        with zipfile.ZipFile(path) as package:
            info = package.getinfo(CUSTOM_PART)
            if info.file_size > MAX_PART or info.compress_size > MAX_PART:
                return None
            with package.open(info) as part:
                data = part.read(MAX_PART + 1)
    except (OSError, KeyError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile):
        return None
    if len(data) > MAX_PART or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    for prop in root.iter(_PROPERTY):
        if prop.get("name") == STAMP_PROPERTY:
            value = "".join(prop.itertext()).strip()
            return value if value.startswith(OUTPUT_KINDS) else None
    return None


def read_list_stamp(path: Path) -> tuple[str, str | None] | None:
    """Whose list the 整改清单 at ``path`` is and of which round, from its stamp: (branch id, round —
    None for a list written without one). None when the file is no list of ours, or one written before
    lists named their branch."""
    stamp = read_output_stamp(path)
    if stamp is None or not stamp.startswith(("整改清单", "branch-list")):
        return None
    head, _, round_ref = stamp.partition(" round=")
    _, _, branch = head.partition(" branch=")
    if not branch:
        return None
    return branch, round_ref or None


def read_summary_round(path: Path) -> str | None:
    """The recorded round the summary workbook at ``path`` shows, from its stamp (``… round=<ref>``,
    written when the summary was written from the ledger); None for any other file or no round."""
    stamp = read_output_stamp(path)
    if stamp is None or not stamp.startswith(("汇总", "summary")):
        return None
    return stamp.partition(" round=")[2] or None
