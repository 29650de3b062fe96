"""The stamp branchgrade's own workbooks carry, read back: is this file one of our earlier outputs?

The writers put a custom document property ``branchgrade.output`` (``docProps/custom.xml``, a
``vt:lpwstr``) whose value starts with the output kind (``整改清单`` / ``汇总`` / ``branch-list`` /
``summary``) and the tool version. A folder of forms that also holds an earlier run's lists is then
graded without mistaking those lists for forms. The reader opens the zip's directory and at most one
small member; it never inflates more than ``MAX_PART`` bytes and never lets the XML parser see a DTD.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree

from engine.export._xlsx import STAMP_PROPERTY  # the writers' own name for it

CUSTOM_PART = "docProps/custom.xml"
OUTPUT_KINDS = ("整改清单", "汇总", "branch-list", "summary", "整改台账")
MAX_PART = 64 * 1024  # a custom-properties part of a few properties is well under 1 KB
_PROPERTY = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property"


def read_output_stamp(path: Path) -> str | None:
    """The ``branchgrade.output`` value of the workbook at ``path`` when it starts with an output kind,
    else None (no stamp, not a zip, unreadable: the file is then treated as any other input)."""
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
