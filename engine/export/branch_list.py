"""The per-branch rectification list (整改清单): what a branch receives, prints, fills in and returns.

One sheet: a title, a header block (who the branch is, its grade and why, its scores), then one row per
rectification item in ``result.items`` order with a 整改状态 dropdown and a blank 完成情况 column for the
branch to fill. Printable as is: A4 landscape, one page wide, the table header repeated on every page,
page numbers in the footer.

How it is written: the layout never changes, so the look — styles, column widths, page setup, the
dropdown, the package's fixed parts — is declared once with xlsxwriter (:func:`_package`, at first use in
a process) and kept as bytes, deflated. Per branch only its own cells are serialised, as SpreadsheetML text
(see ``_ooxml``): far cheaper than building each workbook through xlsxwriter (bench/RESULTS.md, "Design
measurements"), and byte for byte what
xlsxwriter wrote for the same calls (tests/test_branch_list_equivalence.py compares the two), except that
text shaped like ``<r>…</r>`` is now escaped instead of corrupting the file.

Every cell that came from a form or a rule file is a shared string (``t="s"``); the writer has no way to
emit a formula, so no text can become one.
"""

from __future__ import annotations

import io
import time as clock
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_range

from engine.export._ooxml import (
    SAFE_CELL_CHARS,
    SharedStrings,
    ZipMember,
    cell_text,
    deflate,
    excel_escape,
    excel_serial,
    number,
    utf16_len,
    xml_text,
    zip_bytes,
)
from engine.export._xlsx import WORKBOOK_OPTIONS, row_height
from engine.export.atomic import atomic_write_bytes
from engine.export.i18n import fmt_num, label, problem_text, source_text
from schemas.common import Finding, Lang
from schemas.results import BranchResult

__all__ = ["COLUMNS", "STATUS_CHOICES", "branch_list_bytes", "grade_text", "write_branch_list"]

# (label key, width in Excel character units). Widths sized for Chinese at 2 units per character; the
# page is fitted to one sheet wide when printing, so the total only sets the print scale.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("no", 6),
    ("code", 10),
    ("indicator", 13),
    ("problem", 42),
    ("basis", 24),
    ("measure", 38),
    ("owner", 11),
    ("deadline", 12),
    ("rect_status", 11),
    ("completion", 26),
)
_COL = {key: i for i, (key, _) in enumerate(COLUMNS)}
_LAST_COL = len(COLUMNS) - 1
_WRAPPED = ("indicator", "problem", "basis", "measure", "owner", "completion")

STATUS_CHOICES = ("st_todo", "st_doing", "st_done")  # label keys; the first is the default

# Header-block labels span the first two columns, values the rest.
_LABEL_LAST_COL = 1


def _header_escape(text: str) -> str:
    """Excel header/footer strings treat ``&`` as a control code; double it so a name prints as typed."""
    return text.replace("&", "&&")[:200]


def grade_text(result: BranchResult, lang: Lang = "zh") -> str:
    """The grade, and why it differs from the score's band when it does, e.g.
    ``一般（得分等次：较好；党员群众满意率低于90%，等次最高为一般）``."""
    name = result.grade.name.get(lang)
    notes: list[str] = []
    if result.score_grade.code != result.grade.code:
        sep = ": " if lang == "en" else "："
        notes.append(f"{label('score_grade', lang)}{sep}{result.score_grade.name.get(lang)}")
    notes.extend(a.get(lang) for a in result.adjustments)
    if not notes:
        return name
    if lang == "en":
        return f"{name} ({'; '.join(notes)})"
    return f"{name}（{'；'.join(notes)}）"


def _scores_line(result: BranchResult, lang: Lang) -> str:
    sep = "; " if lang == "en" else "；"
    return sep.join(f"{s.name.get(lang)} {fmt_num(s.score)}/{fmt_num(s.points)}" for s in result.scores)


def _indicator_name(result: BranchResult, item: Finding, lang: Lang) -> str:
    if item.indicator is None:
        return ""
    for s in result.scores:
        if s.id == item.indicator:
            return s.name.get(lang)
    return item.indicator  # an indicator the profile no longer scores: show its id rather than nothing


class _Formats:
    def __init__(self, wb: Any) -> None:
        base = {"font_size": 10.5, "valign": "vcenter"}
        cell = {**base, "border": 1, "text_wrap": True, "valign": "top"}
        self.title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
        self.label = wb.add_format({**base, "bold": True, "bg_color": "#F2F2F2", "border": 1})
        self.value = wb.add_format({**base, "border": 1, "text_wrap": True})
        self.number = wb.add_format({**base, "border": 1, "align": "left"})
        self.head = wb.add_format(
            {
                **base,
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": "#C00000",
                "border": 1,
                "align": "center",
                "text_wrap": True,
            }
        )
        self.cell = wb.add_format(cell)
        self.center = wb.add_format({**cell, "align": "center"})
        self.date = wb.add_format({**cell, "align": "center", "num_format": "yyyy-mm-dd"})
        # The branch fills these two in: unlocked and tinted so they stand out as input cells.
        self.input = wb.add_format({**cell, "locked": False, "bg_color": "#FFF2CC"})
        self.input_center = wb.add_format({**cell, "locked": False, "bg_color": "#FFF2CC", "align": "center"})
        self.empty = wb.add_format({**base, "border": 1, "align": "center", "italic": True})


# The header block under the title, in order; its length fixes the row the table starts on.
_HEADER_KEYS = (
    "branch_name",
    "branch_id",
    "general_branch",
    "branch_type",
    "secretary",
    "assessment_year",
    "grade",
    "total",
    "scores",
)
_HEAD_ROW = 1 + len(_HEADER_KEYS) + 1  # 0-based: the title, the header block, one blank row
_TITLE_HEIGHT, _HEAD_HEIGHT, _EMPTY_HEIGHT = 30, 20, 24  # points
_WIDTHS = tuple(w for _, w in COLUMNS)
_VALUE_WIDTH = sum(_WIDTHS[_LABEL_LAST_COL + 1 :])  # a header value spans every column after its label
# The wrapped columns an item fills (the branch fills 完成情况): key, column letter, width.
_ITEM_WRAPPED = tuple(
    (key, xl_col_to_name(_COL[key]), _WIDTHS[_COL[key]]) for key in _WRAPPED if key != "completion"
)

# The formats in the order a list first uses them, reading row by row: xlsxwriter numbers the styles of
# styles.xml in that order, so the probe uses them in the same order. Only two orders exist: a list with
# items and a list without (the 无整改事项 row).
_STYLES_WITH_ITEMS = (
    "title",
    "label",
    "value",
    "number",
    "head",
    "center",
    "cell",
    "date",
    "input_center",
    "input",
)
_STYLES_WITHOUT_ITEMS = ("title", "label", "value", "number", "head", "empty")

# The parts written for each list; every other part of the package is the same for every list.
_SHEET_PART = "xl/worksheets/sheet1.xml"
_STRINGS_PART = "xl/sharedStrings.xml"
_WORKBOOK_PART = "xl/workbook.xml"
_CORE_PART = "docProps/core.xml"
_OWN_PARTS = frozenset({_SHEET_PART, _STRINGS_PART, _WORKBOOK_PART, _CORE_PART})

# Stand-ins the probe writes where a list writes its own values, so its output can be cut at them.
_PROBE_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_PROBE_STAMP = "2000-01-01T00:00:00Z"
_PROBE_LAST_ROW = 999_998  # 0-based; "$1000000" in the print area, "I13:I999999" in the dropdown's range

_COLS = tuple(xl_col_to_name(c) for c in range(len(COLUMNS)))
_SPANS = f"1:{len(COLUMNS)}"  # every row a list writes fills all its columns (merged areas included)


def _page_setup(ws: Any, lang: Lang) -> None:
    """A4 landscape, one page wide, centred, page numbers in the footer (the header is the list's title)."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer(f"&C{label('page_footer', lang)}")


def _status_dropdown(lang: Lang) -> dict[str, Any]:
    return {
        "validate": "list",
        "source": [label(k, lang) for k in STATUS_CHOICES],
        "error_title": label("rect_status", lang),
        "error_message": " / ".join(label(k, lang) for k in STATUS_CHOICES),
    }


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so per-package caches can key on it
class _Package:
    """What every list of one language and kind (with or without items) shares, from :func:`_package`."""

    # The package's parts in xlsxwriter's order: the fixed ones deflated, a list's own ones by name.
    parts: tuple[ZipMember | str, ...]
    xf: Mapping[str, int]  # format name -> its style index in this package's styles.xml
    sheet_head: str  # sheet1.xml up to its <dimension>
    sheet_top: str  # from <sheetViews> (column widths included) to <sheetData>
    dropdown: tuple[str, str]  # the <dataValidations> element around its range
    page_setup: str  # <printOptions>, <pageMargins>, <pageSetup>
    footer: str  # the <oddFooter> element
    workbook: tuple[str, str]  # workbook.xml around the print area's last row
    core: tuple[str, str, str]  # core.xml around its two timestamps


def _split(text: str, marker: str, pieces: int) -> list[str]:
    found = text.split(marker)
    if len(found) != pieces:
        raise RuntimeError(f"xlsxwriter's output changed: expected {pieces - 1} of {marker!r}")
    return found


def _between(text: str, start: str, end: str) -> str:
    """``text`` from ``start`` up to (not including) ``end``."""
    return start + _split(_split(text, start, 2)[1], end, 2)[0]


@cache
def _package(lang: Lang, with_items: bool) -> _Package:
    """Declare the list's look through xlsxwriter on a stand-in sheet, once per process, and keep what it
    writes: the fixed parts deflated, the worksheet's fixed fragments as text."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {**WORKBOOK_OPTIONS, "in_memory": True})
    wb.set_properties({"created": _PROBE_TIME})
    fmt = _Formats(wb)
    ws = wb.add_worksheet(label("title_suffix", lang))
    for i, width in enumerate(_WIDTHS):
        ws.set_column(i, i, width)
    used = _STYLES_WITH_ITEMS if with_items else _STYLES_WITHOUT_ITEMS
    for col, name in enumerate(used):
        ws.write_blank(0, col, None, getattr(fmt, name))
    ws.write_string(1, 0, "-")  # every list has text, hence a sharedStrings part
    if with_items:
        col = _COL["rect_status"]
        ws.data_validation(_HEAD_ROW + 1, col, _PROBE_LAST_ROW, col, _status_dropdown(lang))
    _page_setup(ws, lang)
    ws.repeat_rows(_HEAD_ROW)
    ws.print_area(0, 0, _PROBE_LAST_ROW, _LAST_COL)
    wb.close()

    with zipfile.ZipFile(buffer) as package:
        names = package.namelist()
        text = {name: package.read(name).decode("utf-8") for name in _OWN_PARTS}
        parts = tuple(
            name if name in _OWN_PARTS else deflate(name, package.read(name), reused=True) for name in names
        )
    sheet = text[_SHEET_PART]
    if with_items:
        sqref = xl_range(_HEAD_ROW + 1, _COL["rect_status"], _PROBE_LAST_ROW, _COL["rect_status"])
        before, after = _split(_between(sheet, "<dataValidations", "<printOptions"), sqref, 2)
    else:
        before = after = ""
    last = f"${_COLS[_LAST_COL]}${_PROBE_LAST_ROW + 1}<"
    wb_before, wb_after = _split(text[_WORKBOOK_PART], last, 2)
    core_head, core_mid, core_tail = _split(text[_CORE_PART], _PROBE_STAMP, 3)
    return _Package(
        parts=parts,
        xf={name: getattr(fmt, name).xf_index for name in used},
        sheet_head=_split(sheet, "<dimension ", 2)[0],
        sheet_top=_between(sheet, "<sheetViews>", "<sheetData>") + "<sheetData>",
        dropdown=(before, after),
        page_setup=_between(sheet, "<printOptions", "<headerFooter>"),
        footer=_between(sheet, "<oddFooter>", "</headerFooter>"),
        workbook=(wb_before + f"${_COLS[_LAST_COL]}$", "<" + wb_after),
        core=(core_head, core_mid, core_tail),
    )


@lru_cache(maxsize=512)
def _workbook_part(package: _Package, last_row: int) -> ZipMember:
    """workbook.xml: the same for every list but for where the print area ends."""
    before, after = package.workbook
    return deflate(_WORKBOOK_PART, f"{before}{last_row}{after}".encode(), reused=True)


@lru_cache(maxsize=4)
def _core_part(package: _Package, stamp: str) -> ZipMember:
    """core.xml: created and modified, to the second, as xlsxwriter writes them."""
    head, mid, tail = package.core
    return deflate(_CORE_PART, f"{head}{stamp}{mid}{stamp}{tail}".encode(), reused=True)


def write_branch_list(result: BranchResult, path: Path, lang: Lang = "zh", durable: bool = True) -> None:
    """Write ``result``'s rectification list to ``path`` (xlsx), atomically; ``durable=False`` leaves the
    fsync to a later ``atomic.sync_all`` (a batch writes thousands of lists)."""
    atomic_write_bytes(path, branch_list_bytes(result, lang), durable)


def branch_list_bytes(result: BranchResult, lang: Lang = "zh") -> bytes:
    """``result``'s rectification list as the bytes of an xlsx file."""
    package = _package(lang, bool(result.items))
    strings = SharedStrings()
    sheet, last_row = _sheet_xml(result, lang, package, strings)
    own = {
        _SHEET_PART: deflate(_SHEET_PART, sheet),
        _STRINGS_PART: deflate(_STRINGS_PART, strings.xml()),
        _WORKBOOK_PART: _workbook_part(package, last_row),
        _CORE_PART: _core_part(package, clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime())),
    }
    return zip_bytes([own[part] if isinstance(part, str) else part for part in package.parts])


# ------------------------------------------------------------------------------------------- the sheet


@lru_cache(maxsize=4096)
def _row_start(row: int, height: float | None) -> str:
    """``<row>`` for 1-based ``row``. Heights are kept in whole pixels (4/3 per point), as xlsxwriter does;
    the default 20 px (15 pt) is left unstated."""
    pixels = None if height is None else int(height * 4.0 / 3.0 + 0.5)
    if pixels is None or pixels == 20:
        return f'<row r="{row}" spans="{_SPANS}">'
    return f'<row r="{row}" spans="{_SPANS}" ht="{pixels * 0.75:.16g}" customHeight="1">'


@cache
def _blank_run(row: int, first: int, last: int, style: int) -> str:
    """Blank cells ``first``..``last`` of 1-based ``row``: the rest of a merged area. The header block is
    the same rows in every list, so these are made once."""
    return "".join(f'<c r="{col}{row}" s="{style}"/>' for col in _COLS[first : last + 1])


class _Sheet:
    """One list's worksheet XML, built row by row; strings go to the list's shared-string table."""

    def __init__(self, package: _Package, strings: SharedStrings) -> None:
        self.xf = package.xf
        self.strings = strings
        self.rows: list[str] = []
        self.merges: list[str] = []

    def text(self, text: str) -> int:
        return self.strings(text if len(text) <= SAFE_CELL_CHARS else cell_text(text))

    def merged(self, row: int, first: int, last: int, style: str, value: str | float) -> str:
        """A merged area holding ``value`` in its first cell (text if a str, else a number), the rest blank in
        the same style, as Excel itself stores a merge."""
        s = self.xf[style]
        ref = f"{_COLS[first]}{row}"
        self.merges.append(f'<mergeCell ref="{ref}:{_COLS[last]}{row}"/>')
        if isinstance(value, str):
            head = f'<c r="{ref}" s="{s}" t="s"><v>{self.text(value)}</v></c>'
        else:
            head = f'<c r="{ref}" s="{s}"><v>{number(value)}</v></c>'
        return head + _blank_run(row, first + 1, last, s)

    def add_row(self, row: int, height: float | None, cells: str) -> None:
        self.rows.append(f"{_row_start(row, height)}{cells}</row>")


def _sheet_xml(
    result: BranchResult, lang: Lang, package: _Package, strings: SharedStrings
) -> tuple[bytes, int]:
    """The worksheet part and its last row (1-based). Rows are 1-based here, as the XML numbers them."""
    ident = result.identity
    sheet = _Sheet(package, strings)
    xf = package.xf
    title = (
        f"{ident.branch_name} — {label('title_suffix', lang)}"
        if lang == "en"
        else f"{ident.branch_name}{label('title_suffix', lang)}"
    )
    sheet.add_row(1, _TITLE_HEIGHT, sheet.merged(1, 0, _LAST_COL, "title", title))

    header: dict[str, str | float] = {
        "branch_name": ident.branch_name,
        "branch_id": ident.branch_id,
        "general_branch": ident.general_branch or label("none", lang),
        "branch_type": ident.branch_type,
        "secretary": ident.secretary,
        "assessment_year": str(ident.assessment_year),
        "grade": grade_text(result, lang),
        "total": result.total,
        "scores": _scores_line(result, lang),
    }
    for row, key in enumerate(_HEADER_KEYS, start=2):
        value = header[key]
        cells = sheet.merged(row, 0, _LABEL_LAST_COL, "label", label(key, lang))
        if isinstance(value, str):
            cells += sheet.merged(row, _LABEL_LAST_COL + 1, _LAST_COL, "value", value)
            sheet.add_row(row, row_height([(value, _VALUE_WIDTH)]), cells)
        else:
            sheet.add_row(
                row, None, cells + sheet.merged(row, _LABEL_LAST_COL + 1, _LAST_COL, "number", value)
            )

    head = _HEAD_ROW + 1
    style = xf["head"]
    sheet.add_row(
        head,
        _HEAD_HEIGHT,
        "".join(
            f'<c r="{letter}{head}" s="{style}" t="s"><v>{sheet.text(label(key, lang))}</v></c>'
            for letter, (key, _) in zip(_COLS, COLUMNS, strict=True)
        ),
    )

    if not result.items:
        last_row = head + 1
        sheet.add_row(
            last_row, _EMPTY_HEIGHT, sheet.merged(last_row, 0, _LAST_COL, "empty", label("no_items", lang))
        )
        dropdown = ""
    else:
        last_row = _item_rows(sheet, result, lang, head + 1)
        col = _COL["rect_status"]
        before, after = package.dropdown
        dropdown = f"{before}{xl_range(head, col, last_row - 1, col)}{after}"  # 0-based: first to last item

    header_text = f"&C{_header_escape(title)}".replace("&[Picture]", "&G")
    # xlsxwriter left the header out when the text was over Excel's 255 characters or held an image
    # placeholder (&G) it had no image for; the list does the same, so it prints as it always did.
    page_header = (
        ""
        if utf16_len(header_text) > 255 or "&G" in header_text
        else f"<oddHeader>{excel_escape(xml_text(header_text))}</oddHeader>"
    )
    xml = "".join(
        (
            package.sheet_head,
            f'<dimension ref="A1:{_COLS[_LAST_COL]}{last_row}"/>',
            package.sheet_top,
            *sheet.rows,
            "</sheetData>",
            f'<mergeCells count="{len(sheet.merges)}">',
            *sheet.merges,
            "</mergeCells>",
            dropdown,
            package.page_setup,
            f"<headerFooter>{page_header}{package.footer}</headerFooter></worksheet>",
        )
    )
    return xml.encode("utf-8"), last_row


def _item_rows(sheet: _Sheet, result: BranchResult, lang: Lang, row: int) -> int:
    """One row per item, from 1-based ``row``; returns the last row written."""
    xf, text = sheet.xf, sheet.text
    center, cell, date_style = xf["center"], xf["cell"], xf["date"]
    input_center, input_style = xf["input_center"], xf["input"]
    default_status = label(STATUS_CHOICES[0], lang)
    no, code, deadline, status, completion = (
        _COLS[_COL[key]] for key in ("no", "code", "deadline", "rect_status", "completion")
    )
    for n, item in enumerate(result.items, start=1):
        values = {
            "indicator": _indicator_name(result, item, lang),
            "problem": problem_text(item.message.get(lang), item.evidence, lang),
            "basis": source_text(item.source),
            "measure": item.rectification.get(lang),
            "owner": item.owner.get(lang) if item.owner else "",
        }
        # Cells in column order, which is also the order their texts enter the shared-string table.
        cells = f'<c r="{no}{row}" s="{center}"><v>{number(n)}</v></c>'
        cells += f'<c r="{code}{row}" s="{center}" t="s"><v>{text(item.code)}</v></c>'
        for key, letter, _ in _ITEM_WRAPPED:
            cells += f'<c r="{letter}{row}" s="{cell}" t="s"><v>{text(values[key])}</v></c>'
        if item.deadline is not None:
            cells += (
                f'<c r="{deadline}{row}" s="{date_style}"><v>{number(excel_serial(item.deadline))}</v></c>'
            )
        else:
            cells += f'<c r="{deadline}{row}" s="{date_style}"/>'
        cells += f'<c r="{status}{row}" s="{input_center}" t="s"><v>{text(default_status)}</v></c>'
        cells += f'<c r="{completion}{row}" s="{input_style}"/>'
        sheet.add_row(row, row_height([(values[key], width) for key, _, width in _ITEM_WRAPPED]), cells)
        row += 1
    return row - 1
