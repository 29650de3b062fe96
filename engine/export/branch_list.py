"""The per-branch rectification list (整改清单): what a branch receives, prints, fills in and returns.

One sheet: a title, a header block (who the branch is, its grade and why, its scores, and the 晋级路径: what
exactly would reach the next grade), then one row per
rectification item in ``result.items`` order, one cell per entry of :data:`COLUMNS` in its order — with a
整改状态 dropdown and a blank 完成情况 column for the branch to fill. Printable as is: A4 landscape, one page
wide, the table header repeated on every page, page numbers in the footer.

How it is written: the look — styles, page setup, the dropdown, the package's fixed parts — was declared
once with the pinned xlsxwriter by engine/export/parts/generate.py and is committed under
engine/export/parts/branch_list/ as XML, some parts as templates. Per branch only its own cells are
serialised, as SpreadsheetML text (see ``_ooxml``), which is several times faster than building each
workbook through xlsxwriter; text shaped like ``<r>…</r>``, which xlsxwriter wrote raw, is escaped.

Every cell that came from a form or a rule file is a shared string (``t="s"``); the writer has no way to
emit a formula, so no text can become one. Every list carries the stamp ``docProps/custom.xml`` →
``branchgrade.output = 整改清单 <version>``, by which branchgrade knows its own outputs in an input folder.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from engine.export._ooxml import (
    SAFE_CELL_CHARS,
    SharedStrings,
    Template,
    ZipMember,
    cell_text,
    col_name,
    cols_xml,
    deflate,
    excel_escape,
    excel_serial,
    number,
    xml_text,
    zip_bytes,
)
from engine.export._xlsx import output_stamp, row_height
from engine.export.atomic import atomic_write_bytes
from engine.export.i18n import fmt_num, label, problem_text, review_text, source_text
from engine.export.page_setup import title_header
from engine.export.path_text import path_text
from schemas.common import Finding, Lang, Text
from schemas.results import BranchResult

__all__ = [
    "COLUMNS",
    "OUTPUT_KIND",
    "STATUS_CHOICES",
    "Column",
    "ListMarks",
    "branch_list_bytes",
    "grade_text",
    "item_identity",
    "list_stamp",
    "write_branch_list",
]

ItemValue = Callable[[BranchResult, Finding, Lang], str]


def item_identity(round_ref: str | None, branch_id: str, code: str) -> str:
    """An item's identity: ``2012-年初定级/XS-05/PR-03`` — or, on a list written without a round,
    ``XS-05/PR-03`` (such a list cannot be imported: no round recorded it)."""
    return f"{round_ref}/{branch_id}/{code}" if round_ref else f"{branch_id}/{code}"


@dataclass(frozen=True)
class ListMarks:
    """What the ledger adds to a branch's list: the round it belongs to (None: written without a round)
    and, by rule code, a note for items that continue an open item of an earlier round (结转 /
    整改未见成效)."""

    round_ref: str | None = None
    notes: dict[str, Text] = field(default_factory=dict)
    flagged: frozenset[str] = frozenset()  # the codes among ``notes`` flagged 整改未见成效 (the rest: 结转)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the item table: its header (a label key), its width in Excel character units, and what
    an item puts in it — ``kind`` decides the cell's style and type:

    * ``seq``: the item's number; ``code``: ``value``, centred; ``wrapped``: ``value``, wrapped (and
      counted for the row's height); ``date``: the item's deadline;
    * ``status``: the 整改状态 dropdown, preset to its first choice; ``input``: blank, for the branch;
      ``input_date``: blank, a date for the branch (完成日期);
    * ``track``: the ledger's note on an item that continues an earlier one (结转 / 整改未见成效);
      ``identity``: the item's identity (round/branch/rule), by which a returned list is matched to the
      ledger — locked, like every cell but the input ones (the sheet is protected, without a password:
      a guard against slips, not a lock against intent).
    """

    key: str
    width: float
    kind: str
    value: ItemValue | None = None


def _indicator_name(result: BranchResult, item: Finding, lang: Lang) -> str:
    if item.indicator is None:
        return ""
    for s in result.scores:
        if s.id == item.indicator:
            return s.name.get(lang)
    return item.indicator  # an indicator the profile no longer scores: show its id rather than nothing


# The item table, left to right. Widths sized for Chinese at 2 units per character; the page is fitted to
# one sheet wide when printing, so the total only sets the print scale.
COLUMNS: tuple[Column, ...] = (
    Column("no", 6, "seq"),
    Column("code", 10, "code", lambda r, item, lang: item.code),
    Column("indicator", 13, "wrapped", _indicator_name),
    Column(
        "problem",
        42,
        "wrapped",
        lambda r, item, lang: problem_text(item.message.get(lang), item.evidence, lang),
    ),
    Column("basis", 24, "wrapped", lambda r, item, lang: source_text(item.source)),
    Column("measure", 38, "wrapped", lambda r, item, lang: item.rectification.get(lang)),
    Column("owner", 11, "wrapped", lambda r, item, lang: item.owner.get(lang) if item.owner else ""),
    Column("deadline", 12, "date"),
    Column("rect_status", 11, "status"),
    Column("completion", 26, "input"),
    Column("done_date", 12, "input_date"),
    Column("track", 20, "track"),
    Column("item_id", 26, "identity"),
)

STATUS_CHOICES = ("st_todo", "st_doing", "st_done")  # label keys; the first is the default
OUTPUT_KIND = "整改清单"  # the stamp's kind, whatever the language

# Header-block labels span the first two columns, values the rest.
_LABEL_LAST_COL = 1

# The cell styles, numbered 1, 2, … in this order in styles.xml (engine/export/parts/generate.py declares
# them; index 0 is the default style).
STYLES = (
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
    "empty",
    "input_date",
)
_XF = {name: i for i, name in enumerate(STYLES, start=1)}
# The style of an item's cell by its column's kind.
_KIND_STYLE = {
    "seq": "center",
    "code": "center",
    "wrapped": "cell",
    "date": "date",
    "status": "input_center",
    "input": "input",
    "input_date": "input_date",
    "track": "cell",
    "identity": "center",
}


def grade_text(result: BranchResult, lang: Lang = "zh") -> str:
    """The grade, and why it differs from the score's band when it does, e.g.
    ``一般（得分等次：较好；党员群众满意率低于90%，等次最高为一般）`` — then, when an officer reviewed it,
    the reviewed grade with its reason and reviewer (``；审定等次：较好（审定理由：…；审定人：…）``)."""
    name = result.grade.name.get(lang)
    notes: list[str] = []
    if result.score_grade.code != result.grade.code:
        sep = ": " if lang == "en" else "："
        notes.append(f"{label('score_grade', lang)}{sep}{result.score_grade.name.get(lang)}")
    notes.extend(a.get(lang) for a in result.adjustments)
    reviewed = review_text(result.review, lang)
    sep = "; " if lang == "en" else "；"
    tail = "" if reviewed is None else sep + reviewed
    if not notes:
        return name + tail
    if lang == "en":
        return f"{name} ({'; '.join(notes)})" + tail
    return f"{name}（{'；'.join(notes)}）" + tail


def _scores_line(result: BranchResult, lang: Lang) -> str:
    sep = "; " if lang == "en" else "；"
    return sep.join(f"{s.name.get(lang)} {fmt_num(s.score)}/{fmt_num(s.points)}" for s in result.scores)


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
    # The 晋级路径 block, just above the items: the exact path to the next grade (engine/export/path_text.py),
    # one line per condition and item in one cell, so the table's first row stays where it was declared.
    "path",
)
HEAD_ROW = 1 + len(_HEADER_KEYS) + 1  # 0-based: the title, the header block, one blank row
LIST_MARGINS = (0.4, 0.4, 0.6, 0.6)  # left, right, top and bottom, in inches, when the list is printed
_TITLE_HEIGHT, _HEAD_HEIGHT, _EMPTY_HEIGHT = 30, 20, 24  # points

# The sign-off block at the end of the list, after one blank row: the day the list was issued, then what
# the branch secretary signs and dates and the general branch's opinion, each a label and an area to fill
# in (unlocked, like the other input cells). Rows by key: their label, their cells' style, their height.
SIGN_OFF_GAP = 1  # blank rows between the table and the sign-off block
SIGN_OFF_ROWS: tuple[tuple[str, str, float], ...] = (
    ("issued_on", "date", 20),
    ("secretary_sign", "input", 36),  # room for a handwritten signature
    ("sign_date", "input_date", 20),
    ("general_opinion", "input", 72),  # room for a few handwritten lines
)

# The package's parts (engine/export/parts/branch_list/): PARTS_LIST names them in package order; a part is
# in <lang>/ when its text depends on the language, else in common/. DROPDOWN is the 整改状态 dropdown's
# element (a list without items has none).
PARTS_FOLDER = Path(__file__).resolve().parent / "parts" / "branch_list"
PARTS_LIST = "parts.txt"
DROPDOWN = "dropdown.xml"
STRINGS_PART = "xl/sharedStrings.xml"
_SHEET_PART = "xl/worksheets/sheet1.xml"
_WORKBOOK_PART = "xl/workbook.xml"
_CORE_PART = "docProps/core.xml"
_CUSTOM_PART = "docProps/custom.xml"
_TEMPLATES = (_SHEET_PART, _WORKBOOK_PART, _CORE_PART, _CUSTOM_PART, DROPDOWN)


@dataclass(frozen=True, eq=False)  # eq=False: hashed by identity, so per-package caches can key on it
class _Package:
    """What every list in one language shares: the fixed parts deflated once, the other parts' templates."""

    order: tuple[str, ...]
    fixed: dict[str, ZipMember]
    templates: dict[str, Template]


@cache
def _package(lang: Lang) -> _Package:
    """The committed parts for ``lang``, read (and the fixed ones deflated) once per process."""
    folder = resources.files("engine.export.parts").joinpath("branch_list")
    order = tuple(folder.joinpath(PARTS_LIST).read_text(encoding="utf-8").split())
    fixed: dict[str, ZipMember] = {}
    templates: dict[str, Template] = {}
    for name in (*order, DROPDOWN):
        if name == STRINGS_PART:
            continue
        own = folder.joinpath(lang, name)
        data = (own if own.is_file() else folder.joinpath("common", name)).read_bytes()
        if name in _TEMPLATES:
            templates[name] = Template(data.decode("utf-8"))
        else:
            fixed[name] = deflate(name, data, reused=True)
    return _Package(order, fixed, templates)


@dataclass(frozen=True)
class _Layout:
    """Where things go, derived from :data:`COLUMNS` (read at each list, so the table is the one truth)."""

    columns: tuple[Column, ...]
    letters: tuple[str, ...]
    cols: str  # the <cols> element
    spans: str
    value_width: float  # a header value spans every column after its label
    status_col: int | None


@lru_cache(maxsize=4)
def _layout(columns: tuple[Column, ...]) -> _Layout:
    kinds = [c.kind for c in columns]
    unknown = set(kinds) - _KIND_STYLE.keys()
    if unknown or kinds.count("status") > 1:
        raise ValueError(f"COLUMNS: unknown kinds {sorted(unknown)} or more than one status column")
    return _Layout(
        columns=columns,
        letters=tuple(col_name(c) for c in range(len(columns))),
        cols=cols_xml([c.width for c in columns]),
        spans=f"1:{len(columns)}",  # every row a list writes fills all its columns (merged areas included)
        value_width=sum(c.width for c in columns[_LABEL_LAST_COL + 1 :]),
        status_col=kinds.index("status") if "status" in kinds else None,
    )


def write_branch_list(
    result: BranchResult,
    path: Path,
    lang: Lang = "zh",
    durable: bool = True,
    marks: ListMarks | None = None,
    issued: date | None = None,
) -> None:
    """Write ``result``'s rectification list to ``path`` (xlsx), atomically; ``durable=False`` leaves the
    fsync to a later ``atomic.sync_all`` (a batch writes thousands of lists). ``issued``: the day the
    list is issued, shown in its sign-off block (left blank when None)."""
    atomic_write_bytes(path, branch_list_bytes(result, lang, marks, issued), durable)


def branch_list_bytes(
    result: BranchResult, lang: Lang = "zh", marks: ListMarks | None = None, issued: date | None = None
) -> bytes:
    """``result``'s rectification list as the bytes of an xlsx file."""
    package = _package(lang)
    marks = marks or ListMarks()
    strings = SharedStrings()
    sheet, last_row, last_col = _sheet_xml(result, lang, package, strings, marks, issued)
    own = {
        _SHEET_PART: deflate(_SHEET_PART, sheet),
        STRINGS_PART: deflate(STRINGS_PART, strings.xml()),
        _WORKBOOK_PART: _workbook_part(package, f"$A$1:${last_col}${last_row}"),
        _CORE_PART: _core_part(package, clock.strftime("%Y-%m-%dT%H:%M:%SZ", clock.gmtime())),
        _CUSTOM_PART: _custom_part(package, list_stamp(result.identity.branch_id, marks.round_ref)),
    }
    fixed = package.fixed
    return zip_bytes([own[name] if name in own else fixed[name] for name in package.order])


@lru_cache(maxsize=512)
def _workbook_part(package: _Package, print_area: str) -> ZipMember:
    """workbook.xml: the same for every list but for where the print area ends."""
    xml = package.templates[_WORKBOOK_PART].fill({"print_area": print_area})
    return deflate(_WORKBOOK_PART, xml.encode(), reused=True)


@lru_cache(maxsize=4)
def _core_part(package: _Package, stamp: str) -> ZipMember:
    """core.xml: created and modified, to the second, as xlsxwriter writes them."""
    xml = package.templates[_CORE_PART].fill({"created": stamp, "modified": stamp})
    return deflate(_CORE_PART, xml.encode(), reused=True)


def list_stamp(branch_id: str, round_ref: str | None) -> str:
    """The list's stamp: the output kind and version, then whose list it is and of which round
    (``整改清单 0.1.0 branch=XS-05 round=2012-年初定级``), by which a returned list is matched to the
    ledger (``engine.export.stamp.read_list_stamp`` reads it back)."""
    stamp = f"{output_stamp(OUTPUT_KIND)} branch={branch_id}"
    return stamp if round_ref is None else f"{stamp} round={round_ref}"


@lru_cache(maxsize=64)
def _custom_part(package: _Package, stamp: str) -> ZipMember:
    """custom.xml: the stamp that tells branchgrade's own outputs from its inputs."""
    xml = package.templates[_CUSTOM_PART].fill({"stamp": xml_text(stamp)})
    return deflate(_CUSTOM_PART, xml.encode(), reused=True)


# ------------------------------------------------------------------------------------------- the sheet


@lru_cache(maxsize=4096)
def _row_start(row: int, spans: str, height: float | None) -> str:
    """``<row>`` for 1-based ``row``. Heights are kept in whole pixels (4/3 per point), as xlsxwriter does;
    the default 20 px (15 pt) is left unstated."""
    pixels = None if height is None else int(height * 4.0 / 3.0 + 0.5)
    if pixels is None or pixels == 20:
        return f'<row r="{row}" spans="{spans}">'
    return f'<row r="{row}" spans="{spans}" ht="{pixels * 0.75:.16g}" customHeight="1">'


@cache
def _blank_run(letters: tuple[str, ...], row: int, style: int) -> str:
    """Blank cells in columns ``letters`` of 1-based ``row``: the rest of a merged area. The header block is
    the same rows in every list, so these are made once."""
    return "".join(f'<c r="{col}{row}" s="{style}"/>' for col in letters)


class _Sheet:
    """One list's worksheet XML, built row by row; strings go to the list's shared-string table."""

    def __init__(self, layout: _Layout, strings: SharedStrings) -> None:
        self.layout = layout
        self.strings = strings
        self.rows: list[str] = []
        self.merges: list[str] = []

    def text(self, text: str) -> int:
        return self.strings(text if len(text) <= SAFE_CELL_CHARS else cell_text(text))

    def merged(self, row: int, first: int, last: int, style: str, value: str | float) -> str:
        """A merged area holding ``value`` in its first cell (text if a str, else a number), the rest blank in
        the same style, as Excel itself stores a merge."""
        s = _XF[style]
        letters = self.layout.letters
        ref = f"{letters[first]}{row}"
        self.merges.append(f'<mergeCell ref="{ref}:{letters[last]}{row}"/>')
        if isinstance(value, str):
            head = f'<c r="{ref}" s="{s}" t="s"><v>{self.text(value)}</v></c>'
        else:
            head = f'<c r="{ref}" s="{s}"><v>{number(value)}</v></c>'
        return head + _blank_run(letters[first + 1 : last + 1], row, s)

    def blank_merged(self, row: int, first: int, last: int, style: str) -> str:
        """A merged area left blank, in ``style`` (an area for the reader to fill in)."""
        letters = self.layout.letters
        self.merges.append(f'<mergeCell ref="{letters[first]}{row}:{letters[last]}{row}"/>')
        return _blank_run(letters[first : last + 1], row, _XF[style])

    def add_row(self, row: int, height: float | None, cells: str) -> None:
        self.rows.append(f"{_row_start(row, self.layout.spans, height)}{cells}</row>")


def _sheet_xml(
    result: BranchResult,
    lang: Lang,
    package: _Package,
    strings: SharedStrings,
    marks: ListMarks,
    issued: date | None = None,
) -> tuple[bytes, int, str]:
    """The worksheet part, its last row (1-based) and last column's letter. Rows are 1-based here, as the
    XML numbers them."""
    layout = _layout(COLUMNS)
    last = len(layout.columns) - 1
    ident = result.identity
    sheet = _Sheet(layout, strings)
    title = (
        f"{ident.branch_name} — {label('title_suffix', lang)}"
        if lang == "en"
        else f"{ident.branch_name}{label('title_suffix', lang)}"
    )
    sheet.add_row(1, _TITLE_HEIGHT, sheet.merged(1, 0, last, "title", title))

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
        "path": path_text(result, lang),
    }
    for row, key in enumerate(_HEADER_KEYS, start=2):
        value = header[key]
        cells = sheet.merged(row, 0, _LABEL_LAST_COL, "label", label(key, lang))
        if isinstance(value, str):
            cells += sheet.merged(row, _LABEL_LAST_COL + 1, last, "value", value)
            sheet.add_row(row, row_height([(value, layout.value_width)]), cells)
        else:
            sheet.add_row(row, None, cells + sheet.merged(row, _LABEL_LAST_COL + 1, last, "number", value))

    head = HEAD_ROW + 1
    style = _XF["head"]
    sheet.add_row(
        head,
        _HEAD_HEIGHT,
        "".join(
            f'<c r="{letter}{head}" s="{style}" t="s"><v>{sheet.text(label(column.key, lang))}</v></c>'
            for letter, column in zip(layout.letters, layout.columns, strict=True)
        ),
    )

    dropdown = ""
    if not result.items:
        last_row = head + 1
        sheet.add_row(
            last_row, _EMPTY_HEIGHT, sheet.merged(last_row, 0, last, "empty", label("no_items", lang))
        )
    else:
        last_row = _item_rows(sheet, result, lang, head + 1, marks)
        if layout.status_col is not None:
            letter = layout.letters[layout.status_col]
            dropdown = package.templates[DROPDOWN].fill({"range": f"{letter}{head + 1}:{letter}{last_row}"})
    last_row = _sign_off_rows(sheet, lang, last_row + SIGN_OFF_GAP + 1, issued)

    # The page header names the branch (engine/export/page_setup.py: none where Excel would drop it).
    header_text = title_header(title)
    page_header = (
        "" if header_text is None else f"<oddHeader>{excel_escape(xml_text(header_text))}</oddHeader>"
    )
    last_col = layout.letters[last]
    xml = package.templates[_SHEET_PART].fill(
        {
            "dimension": f"A1:{last_col}{last_row}",
            "cols": layout.cols,
            "rows": "".join(sheet.rows),
            "merges": f'<mergeCells count="{len(sheet.merges)}">{"".join(sheet.merges)}</mergeCells>',
            "dropdown": dropdown,
            "header": page_header,
        }
    )
    return xml.encode("utf-8"), last_row, last_col


def _sign_off_rows(sheet: _Sheet, lang: Lang, row: int, issued: date | None) -> int:
    """The sign-off block (``SIGN_OFF_ROWS``) from 1-based ``row``; returns the last row written."""
    last = len(sheet.layout.columns) - 1
    for key, style, height in SIGN_OFF_ROWS:
        cells = sheet.merged(row, 0, _LABEL_LAST_COL, "label", label(key, lang))
        if key == "issued_on" and issued is not None:
            cells += sheet.merged(row, _LABEL_LAST_COL + 1, last, style, float(excel_serial(issued)))
        else:
            cells += sheet.blank_merged(row, _LABEL_LAST_COL + 1, last, style)
        sheet.add_row(row, height, cells)
        row += 1
    return row - 1


def _item_rows(sheet: _Sheet, result: BranchResult, lang: Lang, row: int, marks: ListMarks) -> int:
    """One row per item, from 1-based ``row``, one cell per column of COLUMNS in its order, which is also the
    order their texts enter the shared-string table; returns the last row written."""
    branch_id = result.identity.branch_id
    text = sheet.text
    default_status = label(STATUS_CHOICES[0], lang)
    # Per column: the start of its cell's tag after the row number, and how the item fills it.
    plan = [
        (f'<c r="{letter}', f'" s="{_XF[_KIND_STYLE[c.kind]]}"', c.kind, c.value, c.width)
        for letter, c in zip(sheet.layout.letters, sheet.layout.columns, strict=True)
    ]
    for n, item in enumerate(result.items, start=1):
        cells: list[str] = []
        wrapped: list[tuple[str, float]] = []
        r = str(row)
        for start, style, kind, value_of, width in plan:
            if kind == "wrapped" or kind == "code":
                value = "" if value_of is None else value_of(result, item, lang)
                cells.append(f'{start}{r}{style} t="s"><v>{text(value)}</v></c>')
                if kind == "wrapped":
                    wrapped.append((value, width))
            elif kind == "seq":
                cells.append(f"{start}{r}{style}><v>{number(n)}</v></c>")
            elif kind == "date" and item.deadline is not None:
                cells.append(f"{start}{r}{style}><v>{number(excel_serial(item.deadline))}</v></c>")
            elif kind == "status":
                cells.append(f'{start}{r}{style} t="s"><v>{text(default_status)}</v></c>')
            elif kind == "identity":
                identity = item_identity(marks.round_ref, branch_id, item.code)
                cells.append(f'{start}{r}{style} t="s"><v>{text(identity)}</v></c>')
            elif kind == "track" and item.code in marks.notes:
                note = marks.notes[item.code].get(lang)
                cells.append(f'{start}{r}{style} t="s"><v>{text(note)}</v></c>')
                wrapped.append((note, width))
            else:  # an input cell, no deadline, no note
                cells.append(f"{start}{r}{style}/>")
        sheet.add_row(row, row_height(wrapped), "".join(cells))
        row += 1
    return row - 1
