"""Generate the 整改清单's fixed package parts from the pinned xlsxwriter: ``make export-parts``.

The list's look — styles, page setup, the status dropdown, the package's bookkeeping parts — is declared
here once through xlsxwriter and written under ``engine/export/parts/branch_list/`` as readable XML, which
``engine.export.branch_list`` reads at run time without xlsxwriter. Where a part holds what differs from
list to list (the rows, the print area's end, the timestamps, the stamp), the part is a template with
``{{field}}`` placeholders (see ``engine.export._ooxml.Template``).

Layout of the folder: ``parts.txt`` lists the zip members in package order; a part is in ``<lang>/`` when
its text differs between languages, else in ``common/``. ``xl/sharedStrings.xml`` is listed but never a
file: every list builds its own. tests/test_export_parts.py regenerates the parts and compares them with
the committed ones, so a changed look or a new xlsxwriter shows up as a failing test naming this command.

Run: ``python -m engine.export.parts.generate`` (writes the folder) or ``--check`` (exit 1 if stale).
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from engine.export._xlsx import STAMP_PROPERTY, WORKBOOK_OPTIONS
from engine.export.branch_list import (
    COLUMNS,
    DROPDOWN,
    HEAD_ROW,
    LIST_MARGINS,
    PARTS_FOLDER,
    PARTS_LIST,
    STATUS_CHOICES,
    STRINGS_PART,
    STYLES,
)
from engine.export.i18n import label
from engine.export.page_setup import PageSetup, page_footer
from schemas.common import Lang

__all__ = ["COMMAND", "generate", "main", "stale_parts"]

COMMAND = "make export-parts"
_LANGS: tuple[Lang, ...] = get_args(Lang)

# Stand-ins the probe writes where a list writes its own values; each is replaced by a placeholder.
_PROBE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_PROBE_STAMP = "2000-01-01T00:00:00Z"
_PROBE_LAST_ROW = 999_998  # 0-based
_PROBE_HEADER = "@header@"


class _Formats:
    """The list's cell styles; styles.xml numbers them 1, 2, … in ``branch_list.STYLES`` order."""

    def __init__(self, wb: Any) -> None:
        base = {"font_size": 10.5, "valign": "vcenter"}
        cell = {**base, "border": 1, "text_wrap": True, "valign": "top"}
        head = {
            **base,
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": "#C00000",
            "border": 1,
            "align": "center",
            "text_wrap": True,
        }
        self.declared: dict[str, dict[str, Any]] = {
            "title": {"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"},
            "label": {**base, "bold": True, "bg_color": "#F2F2F2", "border": 1},
            "value": {**base, "border": 1, "text_wrap": True},
            "number": {**base, "border": 1, "align": "left"},
            "head": head,
            "center": {**cell, "align": "center"},
            "cell": cell,
            "date": {**cell, "align": "center", "num_format": "yyyy-mm-dd"},
            # The branch fills these two in: unlocked and tinted so they stand out as input cells.
            "input_center": {**cell, "locked": False, "bg_color": "#FFF2CC", "align": "center"},
            "input": {**cell, "locked": False, "bg_color": "#FFF2CC"},
            "empty": {**base, "border": 1, "align": "center", "italic": True},
            "input_date": {
                **cell,
                "locked": False,
                "bg_color": "#FFF2CC",
                "align": "center",
                "num_format": "yyyy-mm-dd",
            },
        }
        if tuple(self.declared) != STYLES:
            raise RuntimeError("the declared formats are not branch_list.STYLES")
        self.formats = {name: wb.add_format(props) for name, props in self.declared.items()}


def _sub_once(pattern: str, replacement: str, text: str) -> str:
    """``text`` with the one match of ``pattern`` replaced; xlsxwriter's output is checked, not assumed."""
    new, n = re.subn(pattern, lambda _: replacement, text, flags=re.S)
    if n != 1:
        raise RuntimeError(f"xlsxwriter's output changed: expected one match of {pattern!r}, found {n}")
    return new


def _probe(lang: Lang) -> dict[str, str]:
    """Every part of a list in ``lang`` as xlsxwriter writes it for the list's declarations, in package
    order, the per-list values turned into placeholders; the dropdown element as the extra file
    ``DROPDOWN`` (a list without items has none)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "in_memory": True})
    wb.set_properties({"created": _PROBE_TIME})
    wb.set_custom_property(STAMP_PROPERTY, "{{stamp}}")
    formats = _Formats(wb).formats
    ws = wb.add_worksheet(label("title_suffix", lang))
    for col, name in enumerate(STYLES):  # a style's first use numbers it: in STYLES order, row by row
        ws.write_blank(0, col, None, formats[name])
    ws.write_string(1, 0, "-")  # every list has text, hence a sharedStrings part
    ws.data_validation(  # on any range: the list puts it on its status column's items
        HEAD_ROW + 1,
        0,
        _PROBE_LAST_ROW,
        0,
        {
            "validate": "list",
            "source": [label(k, lang) for k in STATUS_CHOICES],
            "error_title": label("rect_status", lang),
            "error_message": " / ".join(label(k, lang) for k in STATUS_CHOICES),
        },
    )
    # A4 landscape, one page wide, centred, page numbers in the footer, the table header on every page —
    # as every printed output (engine/export/page_setup.py); the header names the branch, filled per list.
    PageSetup(
        header=f"&C{_PROBE_HEADER}",
        footer=page_footer(lang),
        repeat=(HEAD_ROW, HEAD_ROW),
        margins=LIST_MARGINS,
        centred=True,
    ).xlsxwriter(ws)
    # Locked cells (everything but the branch's input cells: the item identities above all) stay as
    # written; no password — a guard against slips. Columns and rows may still be resized, cells selected.
    ws.protect("", {"format_columns": True, "format_rows": True})
    ws.print_area(0, 0, _PROBE_LAST_ROW, len(COLUMNS) - 1)
    wb.close()
    numbered = [formats[name].xf_index for name in STYLES]
    if numbered != list(range(1, len(STYLES) + 1)):
        raise RuntimeError(f"xlsxwriter numbered the styles {numbered}, not in STYLES order")

    with zipfile.ZipFile(buffer) as package:
        parts = {name: package.read(name).decode("utf-8") for name in package.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    validations = re.search(r"<dataValidations .*?</dataValidations>", sheet, re.S)
    if validations is None:
        raise RuntimeError("xlsxwriter's output changed: no <dataValidations>")
    parts[DROPDOWN] = _sub_once(r' sqref="[^"]*"', ' sqref="{{range}}"', validations[0])
    sheet = _sub_once(r"<dataValidations .*?</dataValidations>", "{{dropdown}}", sheet)
    sheet = _sub_once(r'<dimension ref="[^"]*"/>', '<dimension ref="{{dimension}}"/>', sheet)
    # The probe declares no widths: the columns, like the rows and merged areas, follow COLUMNS at run time.
    sheet = _sub_once(
        r"<sheetData>.*?</sheetData>", "{{cols}}<sheetData>{{rows}}</sheetData>{{merges}}", sheet
    )
    sheet = _sub_once(rf"<oddHeader>&amp;C{_PROBE_HEADER}</oddHeader>", "{{header}}", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet
    last = f"${xl_col_to_name(len(COLUMNS) - 1)}${_PROBE_LAST_ROW + 1}"
    parts["xl/workbook.xml"] = _sub_once(
        re.escape(f"$A$1:{last}"), "{{print_area}}", parts["xl/workbook.xml"]
    )
    core = parts["docProps/core.xml"]
    core = _sub_once(
        rf"(?<=<dcterms:created xsi:type=\"dcterms:W3CDTF\">){_PROBE_STAMP}", "{{created}}", core
    )
    parts["docProps/core.xml"] = _sub_once(
        rf"(?<=<dcterms:modified xsi:type=\"dcterms:W3CDTF\">){_PROBE_STAMP}", "{{modified}}", core
    )
    if "{{stamp}}" not in parts["docProps/custom.xml"]:
        raise RuntimeError("xlsxwriter's output changed: the stamp is not in docProps/custom.xml")
    return parts


def generate() -> dict[str, str]:
    """The folder's files (path relative to it -> text): ``parts.txt``, ``common/…`` and ``<lang>/…``."""
    probes = {lang: _probe(lang) for lang in _LANGS}
    files = {PARTS_LIST: "".join(f"{name}\n" for name in probes[_LANGS[0]] if name != DROPDOWN)}
    for name in probes[_LANGS[0]]:
        if name == STRINGS_PART:
            continue  # every list builds its own
        texts = {lang: probes[lang][name] for lang in _LANGS}
        if len(set(texts.values())) == 1:
            files[f"common/{name}"] = texts[_LANGS[0]]
        else:
            files.update({f"{lang}/{name}": text for lang, text in texts.items()})
    return files


def _committed(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def stale_parts(folder: Path = PARTS_FOLDER) -> list[str]:
    """The files of ``folder`` that differ from what :func:`generate` makes (missing and extra ones too)."""
    want, have = generate(), _committed(folder)
    return sorted(name for name in want.keys() | have.keys() if want.get(name) != have.get(name))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        stale = stale_parts()
        for name in stale:
            print(f"stale: {name}")
        if stale:
            print(f"run `{COMMAND}` to regenerate engine/export/parts/branch_list/")
        return 1 if stale else 0
    shutil.rmtree(PARTS_FOLDER, ignore_errors=True)
    for name, text in generate().items():
        path = PARTS_FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    print(f"wrote {PARTS_FOLDER}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
