"""The summary workbook for the organization department: every branch, the grade distribution with charts,
every rectification item, the most common problems, the college KPIs and every input problem — and, when
the run had a roster, the roster's branches that submitted nothing (缺交, :meth:`SummaryWriter.add_missing`).

Sized for a college of 10,000 branches and written *while the batch runs*: :func:`summary_writer` opens the
workbook, the batch hands :meth:`SummaryWriter.add` one compact :class:`SummaryRecord` per graded branch (made
in the worker) in file-name order, and each record's rows are written at once to the two long sheets (汇总,
one row per branch; 整改事项, one row per rectification item). Besides the current row, the writer keeps only
counters whose size does not grow with the number of branches (grades per organisation and type, branches per
rule code). :meth:`SummaryWriter.finish` writes the short sheets from those counters, the KPIs and the input
problems once the batch is done, so little is left after the last worker finishes.

How it is written: xlsxwriter declares the workbook — sheets, styles, column widths, filters, panes, the
status dropdown, page setup, charts — but holds no cell. Every cell is serialised here as SpreadsheetML, an
inline string or a number exactly as xlsxwriter's ``constant_memory`` mode writes it (see ``_ooxml``), into a
file of rows per sheet; ``finish`` splices each sheet's rows into xlsxwriter's package, written out through
``_ooxml.ZipWriter`` (the long sheets streamed from their row files). That costs a fraction of a cell written
through xlsxwriter (~80 cells per branch), and text shaped like ``<r>…</r>``, which xlsxwriter writes as raw
markup, is escaped like any other. No cell can be a formula. The workbook carries the stamp
``branchgrade.output = 汇总 <version>`` (docProps/custom.xml).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import re
import tempfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import IO, Any, NamedTuple

import xlsxwriter

from engine.export._ooxml import (
    ZipWriter,
    cell_text,
    col_name,
    deflate,
    excel_escape,
    excel_serial,
    number,
    xml_text,
)
from engine.export._xlsx import (
    LINE_HEIGHT,
    STAMP_PROPERTY,
    WORKBOOK_OPTIONS,
    output_stamp,
    row_height,
    text_width,
)
from engine.export.atomic import atomic_path
from engine.export.branch_list import ListMarks
from engine.export.i18n import evidence_cells, label, problem_text
from engine.export.page_setup import PrintHeading, apply_page_setup
from schemas.batch import FILE_STATUSES, BatchReport, FileReport, Kpi
from schemas.common import Lang
from schemas.results import BranchResult

__all__ = [
    "OUTPUT_KIND",
    "REVIEW_KEYS",
    "ItemRow",
    "PrintHeading",
    "SummaryRecord",
    "SummaryWriter",
    "summary_record",
    "summary_writer",
    "write_summary",
]

OUTPUT_KIND = "汇总"  # the stamp's kind, whatever the language

# A column is as wide as its widest text up to this; a longer text wraps onto more lines (its row grows), so
# it is read whole on screen and on paper, and a sheet fit to one page's width stays legible.
_MAX_WIDTH = 40
_NARROW = 30  # the cap of a column of long texts beside another (basis, rectification, adjustments)
_CHART_ROWS = 16  # rows a default-size chart covers (288 px at 20 px a row, plus a margin)
_TOP_CODES_IN_CHART = 20
_SCORE_WIDTH = 10  # an indicator's score column (its header wraps)
# Every cell at the top of its row: a row grown for a wrapped text reads as one line of the table.
_DEFAULT_FORMAT = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
_MAX_LINES = 40  # a row is never taller than this many lines (row_height's cap: under a page)
# How full a wrapped line is, on average, of the column's width: LibreOffice printing the fixture college's
# longest problems needed a line more than their width divided by the column's (tests/test_summary_print.py).
_LINE_FILL = 0.85
_TOP_PROBLEMS = 10  # the 总览's list of the most common problems
_FIRST_SCORE_COL = 5  # 汇总: id, name, general branch, type, secretary, then one column per indicator
# 汇总's last columns but one, for an officer's review (审定): the reviewed grade (a dropdown), its reason
# and who; the last says whether the grade is final (是/否 once the round is published, else blank).
REVIEW_KEYS = ("reviewed_grade", "review_reason", "reviewer")
# Under a profile with a scoring policy, two more before it: the review score (审定评分, what the weighted
# total reads) and the 破格晋升 reason a reviewed grade above 逐级晋升's limit needs.
POLICY_KEYS = ("review_score_col", "review_exception")
_ITEM_KEYS = ("branch_id", "branch_name", "code", "indicator", "problem", "basis", "measure", "owner")

_ROWS_BUFFER = 1 << 20
_MAX_COLS = 16384  # Excel's

# --------------------------------------------------------------------------------------------- the cells

# Text that needs more than copying into <t>: XML's special characters and what Excel escapes as _xHHHH_
# (controls, U+FFFE/U+FFFF, and that syntax itself).
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")


@cache
def _text_cell(ref: str, text: str, style: str) -> str:
    """An inline-string cell as xlsxwriter's ``constant_memory`` mode writes it: the text cut to Excel's
    limit, controls as ``_xHHHH_``, XML-escaped, ``xml:space="preserve"`` when it starts or ends with
    whitespace. Unlike xlsxwriter, text shaped like ``<r>…</r>`` is escaped too, not written as markup."""
    text = cell_text(text)
    if _SPECIAL.search(text):
        text = xml_text(excel_escape(text))
    t = '<t xml:space="preserve">' if text[:1].isspace() or text[-1:].isspace() else "<t>"
    return f'<c r="{ref}"{style} t="inlineStr"><is>{t}{text}</t></is></c>'


class _Formats:
    """The summary's cell styles, as the ``s`` attribute a cell carries.

    xlsxwriter numbers a style when a cell first uses it (``Format._get_xf_index``); here no cell goes
    through xlsxwriter, so each is numbered by that same call when declared (1, 2, … in this order), and
    styles.xml lists them all."""

    def __init__(self, wb: Any) -> None:
        head = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "border": 1}
        declared = {
            "head": {**head, "text_wrap": True},
            "head_center": {**head, "align": "center"},
            "title": {"bold": True, "font_size": 12},
            "big_title": {"bold": True, "font_size": 16},
            "wrap": {"text_wrap": True},
            "bold": {"bold": True},
            "center": {"align": "center"},
            "bold_center": {"bold": True, "align": "center"},
            "date": {"num_format": "yyyy-mm-dd"},
            "pct": {"num_format": "0.0%"},
            "score": {"num_format": "0.##;-0.##;0"},
        }
        style = {}
        for name, properties in declared.items():
            fmt = wb.add_format(properties)
            style[name] = f' s="{fmt._get_xf_index()}"'
        self.head, self.head_center, self.title = style["head"], style["head_center"], style["title"]
        self.big_title, self.wrap = style["big_title"], style["wrap"]
        self.bold, self.center, self.bold_center = style["bold"], style["center"], style["bold_center"]
        self.date, self.pct, self.score = style["date"], style["pct"], style["score"]


class _Sheet:
    """A worksheet written strictly top to bottom: its frame (widths, filter, panes, page setup) declared to
    xlsxwriter, its rows serialised here to a file of their own as they come, each cell's text widening its
    column's display width up to the column's cap; a text wider than that wraps, and its row is made tall
    enough for its lines (no office application sizes such a row by itself when it opens the file)."""

    def __init__(self, wb: Any, name: str, fmt: _Formats, folder: Path) -> None:
        self.ws = wb.add_worksheet(name)
        self.fmt = fmt
        self.ncols = 0
        self.widths: list[int] = []
        self.caps: list[int] = []
        self.header_rows = 0  # the rows repeated at the top of every printed page
        self.row = 0
        self._height = 0.0  # the current row's height when a text in it wraps, in points
        self._ref_row = "1"  # the row's number as cell references write it
        self._cells: list[str] = []
        self._last_col = -1
        # The rows and columns the cells written span, for the sheet's <dimension>.
        self._first_row: int | None = None
        self._last_row = 0
        self._min_col, self._max_col = _MAX_COLS, -1
        # A file without a name: the rows (tens of megabytes at 10,000 branches) are gone with the process,
        # even one killed mid-batch. Closed by close(), from finish or abandon.
        self._rows: IO[bytes] = tempfile.TemporaryFile(dir=folder, buffering=_ROWS_BUFFER)  # noqa: SIM115

    def head(self, headers: Sequence[str], caps: dict[int, int] | None = None) -> None:
        """Write the header row (row 0), repeated on every printed page; the data rows follow it. A column
        is at most ``caps[col]`` wide (``_MAX_WIDTH`` by default)."""
        self.ncols = len(headers)
        self.caps = [(caps or {}).get(c, _MAX_WIDTH) for c in range(self.ncols)]
        self.widths = [min(max(text_width(h) + 2, 8), cap) for h, cap in zip(headers, self.caps, strict=True)]
        height = row_height([(h, w) for h, w in zip(headers, self.widths, strict=True)])
        self._height = height if height > LINE_HEIGHT else 0.0
        for c, h in enumerate(headers):
            self.put(c, h, self.fmt.head)
        self.header_rows = 1
        self.next()

    def _cell(self, col: int, xml: str) -> None:
        # A row's cells go out in column order, each once, as xlsxwriter writes them.
        if col <= self._last_col:
            raise ValueError(f"column {col} written after column {self._last_col} in row {self.row}")
        self._last_col = col
        self._cells.append(xml)
        if col < self._min_col:
            self._min_col = col
        if col > self._max_col:
            self._max_col = col

    def put(self, col: int, text: str, style: str = "") -> None:
        """A text cell, even an empty one (a header, a label)."""
        self._cell(col, _text_cell(col_name(col) + self._ref_row, text, style))

    def text(self, col: int, value: str | None, style: str = "") -> None:
        """A text cell for a value, none when it is empty; it widens its column, up to the column's cap, and
        a text wider than that (or of several lines) wraps, its row as tall as its lines need."""
        if not value:
            return
        # Measuring is skipped when it cannot matter: the text is on one line and too short to be wider than
        # the column even if every character were double width, or is ASCII (as wide as it is long) and fits.
        widths = self.widths
        if col < len(widths) and (
            "\n" in value
            or (2 * len(value) + 2 > widths[col] and (len(value) + 2 > widths[col] or not value.isascii()))
        ):
            style = self._fit(col, value, style)
        self.put(col, value, style)

    def _fit(self, col: int, value: str, style: str) -> str:
        """Widen column ``col`` for ``value`` up to its cap; beyond it, make the row tall enough for the
        wrapped text. The cell's style: ``style``, or the wrapping one when the text wraps."""
        w = (len(value) if value.isascii() else _measure(value)) + 2
        widths, cap = self.widths, self.caps[col]
        if w > widths[col]:
            widths[col] = min(w, cap)
        if w <= cap and "\n" not in value:
            return style
        # One line: its lines follow from the width just measured (row_height would measure again). A line
        # holds less than the column's width: it breaks between words, not mid-word.
        usable = (cap - 1) * _LINE_FILL
        height = (
            row_height([(value, usable + 1)])
            if "\n" in value
            else min(math.ceil((w - 2) / usable), _MAX_LINES) * LINE_HEIGHT
        )
        if height > self._height:
            self._height = height
        return style or self.fmt.wrap

    def number(self, col: int, value: float | None, style: str = "") -> None:
        if value is not None:
            self._cell(col, f'<c r="{col_name(col)}{self._ref_row}"{style}><v>{number(value)}</v></c>')

    def date(self, col: int, value: date | None) -> None:
        if value is not None:
            self.number(col, excel_serial(value), self.fmt.date)
            if self.widths[col] < 12:
                self.widths[col] = 12

    def next(self) -> None:
        if self._cells:
            height = f' ht="{self._height:g}" customHeight="1"' if self._height else ""
            self._rows.write(f'<row r="{self._ref_row}"{height}>{"".join(self._cells)}</row>'.encode())
            self._cells.clear()
            if self._first_row is None:
                self._first_row = self.row
            self._last_row = self.row
        self.row += 1
        self._ref_row = str(self.row + 1)
        self._last_col = -1
        self._height = 0.0

    def columns(self, widths: Sequence[int], cap: int = _MAX_WIDTH) -> None:
        """The column widths of a sheet without a header row, each to widen (up to ``cap``) with its texts."""
        self.ncols = len(widths)
        self.widths = list(widths)
        self.caps = [cap] * len(widths)

    def set_widths(self) -> None:
        """Declare the columns' widths as the texts written made them."""
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w)

    def print_setup(self, heading: PrintHeading | None, lang: Lang, *, one_page: bool = False) -> None:
        """Declare the sheet's page setup (engine.export.page_setup), once its content is written."""
        apply_page_setup(self.ws, heading, lang, header_rows=self.header_rows, one_page=one_page)

    def finish(self, *, filter_: bool = True, freeze_cols: int = 0) -> None:
        self.set_widths()
        if filter_:
            self.ws.autofilter(0, 0, max(self.row - 1, 0), self.ncols - 1)
        self.ws.freeze_panes(1, freeze_cols)

    def end_rows(self) -> None:
        """Write out a row still being filled: the rows are complete."""
        self.next()

    def close(self) -> None:
        self._rows.close()

    @property
    def part(self) -> str:
        """The sheet's part in the package (xlsxwriter names them by position)."""
        return f"xl/worksheets/sheet{self.ws.index + 1}.xml"

    def dimension(self) -> str:
        """The <dimension> of the cells written (what xlsxwriter computes from its cells)."""
        if self._first_row is None:
            return "A1"
        first = f"{col_name(self._min_col)}{self._first_row + 1}"
        last = f"{col_name(self._max_col)}{self._last_row + 1}"
        return first if first == last else f"{first}:{last}"

    def write_part(self, frame: str, out: ZipWriter) -> None:
        """This sheet's part: xlsxwriter's ``frame`` of it (no cells) with the rows written here put in."""
        if self._first_row is None:
            out.add(deflate(self.part, frame.encode()))
            return
        before, after = _split(frame, "<sheetData/>")
        head, rest = _split(before, '<dimension ref="A1"/>')
        out.stream(
            self.part,
            itertools.chain(
                (f'{head}<dimension ref="{self.dimension()}"/>{rest}<sheetData>'.encode(),),
                self._row_chunks(),
                (f"</sheetData>{after}".encode(),),
            ),
        )

    def _row_chunks(self) -> Iterator[bytes]:
        rows = self._rows
        rows.seek(0)
        while chunk := rows.read(_ROWS_BUFFER):
            yield chunk


def _split(text: str, marker: str) -> tuple[str, str]:
    """``text`` around its one ``marker``; xlsxwriter's output is checked, not assumed."""
    found = text.split(marker)
    if len(found) != 2:
        raise RuntimeError(f"xlsxwriter's output changed: expected one {marker!r}")
    return found[0], found[1]


# Most texts recur from row to row (a branch's name on each of its items; measures, bases, titles, owners
# on every branch with the item): each short one is measured once. Long ones are measured each time, so the
# cache stays small whatever a form holds.
_measure_short = functools.lru_cache(maxsize=8192)(text_width)


def _measure(text: str) -> int:
    return _measure_short(text) if len(text) <= 500 else text_width(text)


class ItemRow(NamedTuple):
    """One rectification item as the 整改事项 sheet shows it, already in the output language."""

    code: str
    indicator: str | None
    problem: str  # on one line
    basis: str | None
    measure: str
    owner: str | None
    deadline: date | None
    title: str  # the rule's title, for 常见问题


class SummaryRecord(NamedTuple):
    """What the summary workbook needs of one graded branch — a few hundred bytes, not its full trace.

    Built where the result is built (in the worker) and sent to the main process with the outcome, so the
    summary never needs a ``BranchResult``. Plain tuples of strings, numbers and dates: cheap to pickle."""

    branch_id: str
    branch_name: str
    general_branch: str | None
    branch_type: str
    secretary: str
    file: str
    scores: tuple[tuple[str, str, float], ...]  # (indicator id, name, score)
    total: float
    score_grade: str  # name
    grade_code: str
    grade: str  # name
    adjustments: str
    items: tuple[ItemRow, ...]
    # The reviewed grade (审定等次, a name), its reason and reviewer, when an officer recorded one.
    reviewed_grade: str | None = None
    review_reason: str | None = None
    reviewer: str | None = None
    final: bool | None = None  # the grade is final (公示 over, objections decided); None: not published
    review_score: float | None = None  # the review score the scoring policy weighted in, when recorded


def summary_record(result: BranchResult, lang: Lang = "zh") -> SummaryRecord:
    """The summary workbook's view of ``result`` in ``lang``."""
    names = _indicator_names(result, lang)
    ident = result.identity
    return SummaryRecord(
        branch_id=ident.branch_id,
        branch_name=ident.branch_name,
        general_branch=ident.general_branch,
        branch_type=ident.branch_type,
        secretary=ident.secretary,
        file=ident.file,
        scores=tuple((s.id, s.name.get(lang), s.score) for s in result.scores),
        total=result.total,
        score_grade=result.score_grade.name.get(lang),
        grade_code=result.grade.code,
        grade=result.grade.name.get(lang),
        adjustments=_adjustments(result, lang),
        reviewed_grade=None if result.review is None else result.review.grade.name.get(lang),
        review_reason=None if result.review is None else result.review.reason,
        reviewer=None if result.review is None else result.review.reviewer,
        final=result.final,
        review_score=None if result.policy is None else result.policy.review_score,
        items=tuple(
            ItemRow(
                code=item.code,
                indicator=None if item.indicator is None else names.get(item.indicator, item.indicator),
                # One line per item: this sheet is for filtering, so rows stay one line high.
                problem=problem_text(item.message.get(lang), item.evidence, lang).replace("\n", " "),
                basis=None if item.source is None else f"{item.source.document} {item.source.clause}".strip(),
                measure=item.rectification.get(lang),
                owner=item.owner.get(lang) if item.owner else None,
                deadline=item.deadline,
                title=item.title.get(lang),
            )
            for item in result.items
        ),
    )


def write_summary(
    report: BatchReport,
    path: Path,
    lang: Lang = "zh",
    grades: Sequence[str] = (),
    round_ref: str | None = None,
    heading: PrintHeading | None = None,
) -> None:
    """Write the summary workbook for ``report`` to ``path`` (xlsx), atomically; ``grades`` and
    ``round_ref`` as for :func:`summary_writer`; its printed pages name what ``heading`` gives."""
    records = [summary_record(r, lang) for r in report.results]
    # Every indicator of every result, first seen first: results graded by different policies (not a batch,
    # whose results share one) still each get a column for each of their scores.
    indicators: dict[str, str] = {}
    for record in records:
        for sid, name, _ in record.scores:
            indicators.setdefault(sid, name)
    with summary_writer(
        path,
        lang,
        indicators=tuple(indicators.items()),
        grades=grades,
        round_ref=round_ref,
        policy_columns=any(r.policy is not None for r in report.results),
    ) as summary:
        for record in records:
            summary.add(record)
        summary.finish(report.files, report.kpis, heading)


@contextlib.contextmanager
def summary_writer(
    path: Path,
    lang: Lang = "zh",
    indicators: Sequence[tuple[str, str]] | None = None,
    grades: Sequence[str] = (),
    round_ref: str | None = None,
    policy_columns: bool = False,
) -> Iterator[SummaryWriter]:
    """Open the summary workbook for ``path``: ``add`` each graded branch's record in file-name order, then
    ``finish``. ``path`` is replaced (atomically) when the block ends after ``finish``; when the block raises
    or ends without ``finish``, nothing is left behind and ``path`` keeps whatever it held.

    ``indicators`` — (id, name) pairs — are the score columns of 汇总; by default those of the first record
    (a batch grades every branch by one policy, so every record has the same ones).

    ``grades`` (names, best first) are the choices of 汇总's 审定等次 dropdown, where an officer enters a
    reviewed grade (``branchgrade review import`` reads it back); by default the grades the records got.
    ``round_ref`` — the recorded round the workbook shows — goes into its stamp, so an import needs no
    ``--round``. ``policy_columns``: 汇总 has the review score and 破格晋升 columns too (a profile with a
    scoring policy graded some branch)."""
    with atomic_path(path) as tmp:
        writer = SummaryWriter(tmp, lang, indicators, grades, round_ref, policy_columns)
        try:
            yield writer
        except BaseException:
            writer.abandon()
            raise
        if not writer.finished:
            writer.abandon()
            raise RuntimeError("the summary workbook was not finished: call finish() before the block ends")


class SummaryWriter:
    """The summary workbook being written; see :func:`summary_writer`, which opens and places it."""

    def __init__(
        self,
        target: Path,
        lang: Lang = "zh",
        indicators: Sequence[tuple[str, str]] | None = None,
        grades: Sequence[str] = (),
        round_ref: str | None = None,
        policy_columns: bool = False,
    ) -> None:
        self.lang = lang
        self._policy_keys = POLICY_KEYS if policy_columns else ()
        self._grade_choices = tuple(grades)
        self._target = target
        self.finished = False
        # xlsxwriter's package and its own temporary files go to a folder of our own, removed whatever
        # happens short of the process being killed (then only a few small files are left).
        self._tmpdir = tempfile.TemporaryDirectory(prefix="branchgrade-summary-", ignore_cleanup_errors=True)
        folder = Path(self._tmpdir.name)
        self._frame = folder / "frame.xlsx"
        self._sheets: list[_Sheet] = []
        # From here on whatever stops the constructor (an error, or an interrupt: Ctrl+C, SIGTERM, SIGHUP
        # raise where they land) removes the folder before it propagates.
        try:
            # constant_memory: charts then carry no cached values, as when xlsxwriter wrote the cells.
            self._wb = wb = xlsxwriter.Workbook(
                str(self._frame),
                {
                    **WORKBOOK_OPTIONS,
                    "constant_memory": True,
                    "tmpdir": str(folder),
                    "default_format_properties": _DEFAULT_FORMAT,
                },
            )
            stamp = output_stamp(OUTPUT_KIND)
            stamp = stamp if round_ref is None else f"{stamp} round={round_ref}"
            wb.set_custom_property(STAMP_PROPERTY, stamp)
            self._fmt = _Formats(wb)
            # Every sheet is added now, in the order the workbook shows them: the two long ones are filled
            # record by record, the others by finish().
            # 总览 first: the one page the college's leadership reads, opened with the workbook.
            self._overview = self._sheet(label("sh_overview", lang), folder)
            self._summary = self._sheet(label("sh_summary", lang), folder)
            self._distribution = self._sheet(label("sh_distribution", lang), folder)
            self._items = self._sheet(label("sh_items", lang), folder)
            self._common = self._sheet(label("sh_common", lang), folder)
            self._kpis = self._sheet(label("sh_kpis", lang), folder)
            self._inputs = self._sheet(label("sh_inputs", lang), folder)
            self._tally = self._sheet(label("sh_tally", lang), folder)
            self._items.head(
                [label(k, lang) for k in _ITEM_KEYS] + [label("deadline", lang), label("rect_status", lang)],
                {_ITEM_KEYS.index(k): _NARROW for k in ("basis", "measure")},
            )
        except BaseException:
            self.abandon()
            raise
        self._counts = _Counts(lang)
        self._missing: list[tuple[str, str, str, str, int]] | None = None  # with a roster: 缺交
        self._earlier: list[_Earlier] | None = None  # with a round recorded: 前期事项
        self._todo = label("st_todo", lang)
        self._yes_no = {True: label("yes", lang), False: label("no_", lang)}
        # The column of each indicator's score in 汇总, fixed when its header is written.
        self._score_cols: dict[str, int] | None = None
        if indicators is not None:
            self._head_summary(indicators)

    def _sheet(self, name: str, folder: Path) -> _Sheet:
        sheet = _Sheet(self._wb, name, self._fmt, folder)
        self._sheets.append(sheet)
        return sheet

    def _head_summary(self, indicators: Sequence[tuple[str, str]]) -> None:
        lang = self.lang
        self._score_cols = {sid: _FIRST_SCORE_COL + k for k, (sid, _) in enumerate(indicators)}
        self._summary.head(
            [
                label("branch_id", lang),
                label("branch_name", lang),
                label("general_branch", lang),
                label("branch_type", lang),
                label("secretary_short", lang),
                *(name for _, name in indicators),
                label("total", lang),
                label("score_grade", lang),
                label("grade", lang),
                label("adjustments", lang),
                label("item_count", lang),
                label("file", lang),
                *(label(k, lang) for k in REVIEW_KEYS),
                *(label(k, lang) for k in self._policy_keys),
                label("final", lang),
            ],
            # the scores' headers wrap rather than widen a column of small numbers
            {
                **{_FIRST_SCORE_COL + k: _SCORE_WIDTH for k in range(len(indicators))},
                _FIRST_SCORE_COL + len(indicators) + 3: _NARROW,
            },
        )

    def add(self, r: SummaryRecord) -> None:
        """Write one graded branch's rows (the next in file-name order) and count it."""
        if self._score_cols is None:
            self._head_summary([(sid, name) for sid, name, _ in r.scores])
        columns = self._score_cols
        assert columns is not None
        try:
            score_cols = [columns[sid] for sid, _, _ in r.scores]
        except KeyError as unknown:
            # A record from another policy than the columns': its scores would have nowhere to go.
            raise ValueError(f"branch {r.branch_id}: no summary column for indicator {unknown}") from None
        self._counts.add(r)

        sh, fmt = self._summary, self._fmt
        sh.text(0, r.branch_id)
        sh.text(1, r.branch_name)
        sh.text(2, r.general_branch)
        sh.text(3, r.branch_type)
        sh.text(4, r.secretary)
        for col, (_, _, score) in zip(score_cols, r.scores, strict=True):
            sh.number(col, score, fmt.score)  # an indicator the record lacks stays an empty cell
        after = _FIRST_SCORE_COL + len(columns)
        sh.number(after, r.total, fmt.score)
        sh.text(after + 1, r.score_grade)
        sh.text(after + 2, r.grade)
        sh.text(after + 3, r.adjustments)
        sh.number(after + 4, len(r.items))
        sh.text(after + 5, r.file)
        sh.text(after + 6, r.reviewed_grade)
        sh.text(after + 7, r.review_reason)
        sh.text(after + 8, r.reviewer)
        if self._policy_keys:  # the review score; the 破格晋升 reason is entered, never written back
            sh.number(after + 9, r.review_score, self._fmt.score)
        sh.text(after + 9 + len(self._policy_keys), None if r.final is None else self._yes_no[r.final])
        sh.next()

        items, todo = self._items, self._todo
        for item in r.items:
            items.text(0, r.branch_id)
            items.text(1, r.branch_name)
            items.text(2, item.code)
            items.text(3, item.indicator)
            items.text(4, item.problem)
            items.text(5, item.basis)
            items.text(6, item.measure)
            items.text(7, item.owner)
            items.date(8, item.deadline)
            items.text(9, todo)
            items.next()

    def add_missing(self, rows: Iterable[tuple[str, str, str, str, int]]) -> None:
        """The roster's branches that submitted nothing — (branch id, name, general branch, type, roster
        row) — for a 缺交 sheet after the others; without this call the workbook has none."""
        self._missing = list(rows)

    def add_marks(self, branch_id: str, branch_name: str, marks: ListMarks) -> None:
        """What a recorded round marked on a branch's list: its items continuing open items of earlier
        rounds, carried over (结转) or flagged 整改未见成效. Once called, the workbook has a 前期事项 sheet
        counting them per branch and in all (its total row says 0 when no branch has any)."""
        if self._earlier is None:
            self._earlier = []
        if marks.notes:
            carried = tuple(sorted(c for c in marks.notes if c not in marks.flagged))
            flagged = tuple(sorted(c for c in marks.notes if c in marks.flagged))
            self._earlier.append(_Earlier(marks.round_ref or "", branch_id, branch_name, carried, flagged))

    def finish(
        self, files: Iterable[FileReport], kpis: Iterable[Kpi], heading: PrintHeading | None = None
    ) -> None:
        """Close the long sheets, write the distribution, the common problems, ``kpis`` and the input problems
        of ``files`` and the 总览 of them all, and complete the workbook (moved into place when the
        ``summary_writer`` block ends). Every printed page's header names what ``heading`` gives (the
        college, profile, round and date)."""
        assert not self.finished, "finish() called twice"
        wb, lang, fmt, counts = self._wb, self.lang, self._fmt, self._counts
        if self._score_cols is None:  # no branch was graded
            self._head_summary(())
        self._review_dropdown()
        self._summary.finish(freeze_cols=2)
        _distribution_sheet(wb, self._distribution, counts, lang, fmt)
        items = self._items
        if items.row > 1:
            items.ws.data_validation(
                1,
                9,
                items.row - 1,
                9,
                {"validate": "list", "source": [label(k, lang) for k in ("st_todo", "st_doing", "st_done")]},
            )
        items.finish(freeze_cols=2)
        _common_sheet(wb, self._common, counts, lang)
        kpis = tuple(kpis)
        _kpi_sheet(self._kpis, kpis, lang)
        files = tuple(files)
        _inputs_sheet(self._inputs, files, lang)
        _tally_sheet(self._tally, files, lang)
        if self._missing is not None:
            _missing_sheet(
                self._sheet(label("sh_missing", lang), Path(self._tmpdir.name)), self._missing, lang
            )
        if self._earlier is not None:
            _earlier_sheet(
                self._sheet(label("sh_earlier", lang), Path(self._tmpdir.name)), self._earlier, lang
            )
        _overview_sheet(wb, self._overview, counts, kpis, files, heading, lang)
        # Printing, sheet by sheet, once the content is there: the 总览 on one page, the others one page
        # wide with their header row on every page.
        for sheet in self._sheets:
            sheet.print_setup(heading, lang, one_page=sheet is self._overview)
            sheet.end_rows()
        wb.close()
        self._assemble()
        self._release()
        self.finished = True

    def _review_dropdown(self) -> None:
        """汇总's 审定等次 column offers the grades (a typed value other than these is refused by Excel and
        WPS, and by ``review import`` whatever wrote it)."""
        summary, columns = self._summary, self._score_cols
        assert columns is not None
        choices = self._grade_choices or tuple(self._counts.grades[c] for c in sorted(self._counts.grades))
        if summary.row > 1 and choices:
            col = _FIRST_SCORE_COL + len(columns) + 6
            options = {"validate": "list", "source": list(choices)}
            summary.ws.data_validation(1, col, summary.row - 1, col, options)

    def _assemble(self) -> None:
        """The workbook: xlsxwriter's package, part by part, each sheet's rows spliced into its part."""
        own = {sheet.part: sheet for sheet in self._sheets}
        with zipfile.ZipFile(self._frame) as frame, self._target.open("wb") as target:
            parts = frame.namelist()
            if not own.keys() <= set(parts):
                raise RuntimeError(f"xlsxwriter's output changed: no {sorted(own.keys() - set(parts))}")
            out = ZipWriter(target)
            for name in parts:
                sheet = own.get(name)
                if sheet is None:
                    out.add(deflate(name, frame.read(name)))
                else:
                    sheet.write_part(frame.read(name).decode("utf-8"), out)
            out.close()

    def abandon(self) -> None:
        """Give up on the workbook: close what is open and remove the temporary files."""
        wb = getattr(self, "_wb", None)  # None when the constructor stopped before making it
        if wb is not None:
            with contextlib.suppress(Exception):
                wb.close()
        self._release()

    def _release(self) -> None:
        for sheet in self._sheets:
            with contextlib.suppress(OSError):
                sheet.close()
        self._tmpdir.cleanup()


class _Counts:
    """What the short sheets need of every record: the grades per organisation and type, the branches per
    rule code. None of it grows with the number of branches."""

    def __init__(self, lang: Lang) -> None:
        self.grades: dict[str, str] = {}
        self.by_org: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.affected: Counter[str] = Counter()
        self.titles: dict[str, str] = {}
        self.graded = 0
        self.none = label("none", lang)

    def add(self, r: SummaryRecord) -> None:
        self.graded += 1
        self.grades.setdefault(r.grade_code, r.grade)
        self.by_org[r.general_branch or self.none][r.grade_code] += 1
        self.by_type[r.branch_type or self.none][r.grade_code] += 1
        self.affected.update({i.code for i in r.items})
        for i in r.items:
            self.titles.setdefault(i.code, i.title)


def _indicator_names(result: BranchResult, lang: Lang) -> dict[str, str]:
    return {s.id: s.name.get(lang) for s in result.scores}


def _adjustments(result: BranchResult, lang: Lang) -> str:
    return ("; " if lang == "en" else "；").join(a.get(lang) for a in result.adjustments)


def _distribution_sheet(wb: Any, sh: _Sheet, tally: _Counts, lang: Lang, fmt: _Formats) -> None:
    """The grades per parent organisation and per branch type, each table with its chart beside it; the
    second table starts on a page of its own, below the first chart, so each chart prints whole with its
    table."""
    grades = tally.grades
    by_org, by_type, none = tally.by_org, tally.by_type, tally.none
    # Grade codes sort best first in every profile so far (A, B, C, D); the code, not the name, orders them
    # so the columns keep their place when names are translated.
    codes = sorted(grades)
    name = label("sh_distribution", lang)
    ws = sh.ws
    sh.columns([16] + [10] * (len(codes) + 1))
    chart_col = len(codes) + 3
    for n, (title_key, key_label, counts) in enumerate(
        (("by_general_branch", "general_branch", by_org), ("by_branch_type", "branch_type", by_type))
    ):
        if n:
            ws.set_h_pagebreaks([sh.row])
        section = sh.row
        sh.put(0, label(title_key, lang), fmt.title)
        sh.next()
        head_row = sh.row
        sh.text(0, label(key_label, lang), fmt.head)
        for c, code in enumerate(codes, start=1):
            sh.text(c, grades[code], fmt.head_center)
        sh.text(len(codes) + 1, label("sum", lang), fmt.head_center)
        sh.next()
        first = sh.row
        totals: Counter[str] = Counter()
        for group in sorted(counts, key=lambda g: (g == none, g)):
            sh.text(0, group)
            for c, code in enumerate(codes, start=1):
                sh.number(c, counts[group][code], fmt.center)
            sh.number(len(codes) + 1, sum(counts[group].values()), fmt.center)
            totals.update(counts[group])
            sh.next()
        last = sh.row - 1
        sh.put(0, label("sum", lang), fmt.bold)
        for c, code in enumerate(codes, start=1):
            sh.number(c, totals[code], fmt.bold_center)
        sh.number(len(codes) + 1, sum(totals.values()), fmt.bold_center)
        sh.next()
        sh.next()
        if last >= first:
            chart = wb.add_chart({"type": "column", "subtype": "stacked"})
            for c in range(1, len(codes) + 1):
                chart.add_series(
                    {
                        "name": [name, head_row, c],
                        "categories": [name, first, 0, last, 0],
                        "values": [name, first, c, last, c],
                    }
                )
            chart.set_title({"name": f"{label('grade', lang)} · {label(title_key, lang)}"})
            chart.set_y_axis({"name": label("branches", lang), "major_gridlines": {"visible": True}})
            ws.insert_chart(section, chart_col, chart)
            while sh.row < section + _CHART_ROWS:  # the next table starts below the chart
                sh.next()
    sh.set_widths()


def _common_sheet(wb: Any, sh: _Sheet, counts: _Counts, lang: Lang) -> None:
    affected, titles, graded = counts.affected, counts.titles, counts.graded
    headers = [label(k, lang) for k in ("code", "rule_title", "branches_affected", "share")]
    sh.head(headers)
    for code, n in sorted(affected.items(), key=lambda kv: (-kv[1], kv[0])):
        sh.text(0, code)
        sh.text(1, titles[code])
        sh.number(2, n)
        sh.number(3, n / graded if graded else None, sh.fmt.pct)
        sh.next()
    sh.finish()
    shown = min(len(affected), _TOP_CODES_IN_CHART)
    if shown:
        name = label("sh_common", lang)
        chart = wb.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": [name, 0, 2],
                # each bar is labelled with its rule's title (the code is beside it in the table)
                "categories": [name, 1, 1, shown, 1],
                "values": [name, 1, 2, shown, 2],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": label("sh_common", lang)})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the most common problem on top, as in the table
        # Wide enough for a title beside each bar; no taller than a printed page (20 bars: 530 px).
        chart.set_size({"width": 720, "height": max(288, 22 * shown + 90)})
        sh.ws.insert_chart(0, len(headers) + 1, chart)


def _overview_sheet(
    wb: Any,
    sh: _Sheet,
    counts: _Counts,
    kpis: Sequence[Kpi],
    files: Sequence[FileReport],
    heading: PrintHeading | None,
    lang: Lang,
) -> None:
    """The one page for the college's leadership: whose figures these are, how the inputs went, the grade
    distribution (with a chart), each college KPI against its target and the most common problems."""
    fmt = sh.fmt
    heading = heading or PrintHeading()
    sh.columns([24, 12, 12, 10])
    title = label("ov_title", lang)
    if heading.college:
        title = f"{title} — {heading.college}" if lang == "en" else f"{heading.college}{title}"
    sh.put(0, title, fmt.big_title)
    sh.next()
    facts = (
        ("ov_profile", heading.profile),
        ("ov_round", heading.round_name),
        ("ov_date", heading.on and heading.on.isoformat()),
    )
    sep = label("list_sep", lang)
    line = ("   " if lang == "en" else "　").join(label(key, lang, v=v) for key, v in facts if v)
    tally = sep.join(f"{item} {n}" for item, n in tally_rows(files, lang) if n)
    for text in (line, tally):
        sh.text(0, text)
        sh.next()
    sh.next()

    # The grade distribution, best grade first, with a column chart beside it.
    section = sh.row
    sh.put(0, label("sh_distribution", lang), fmt.title)
    sh.next()
    for c, key in enumerate(("grade", "branches", "share")):
        sh.text(c, label(key, lang), fmt.head)
    sh.next()
    first = sh.row
    graded = counts.graded
    for code in sorted(counts.grades):
        n = sum(group[code] for group in counts.by_type.values())
        sh.text(0, counts.grades[code])
        sh.number(1, n, fmt.center)
        sh.number(2, n / graded if graded else None, fmt.pct)
        sh.next()
    last = sh.row - 1
    sh.put(0, label("sum", lang), fmt.bold)
    sh.number(1, graded, fmt.bold_center)
    sh.next()
    if last >= first:
        name = sh.ws.name
        chart = wb.add_chart({"type": "column"})
        chart.add_series(
            {
                "name": [name, first - 1, 1],
                "categories": [name, first, 0, last, 0],
                "values": [name, first, 1, last, 1],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": label("sh_distribution", lang)})
        chart.set_legend({"none": True})
        sh.ws.insert_chart(section, sh.ncols + 1, chart, {"x_scale": 0.9, "y_scale": 0.9})
    sh.next()

    # Each college KPI against its target (the profile named when the batch used several).
    sh.put(0, label("ov_kpis", lang), fmt.title)
    sh.next()
    for c, key in enumerate(("kpi_title", "target", "actual", "met")):
        sh.text(c, label(key, lang), fmt.head)
    sh.next()
    several = len({k.profile for k in kpis}) > 1
    for k in kpis:
        sh.text(0, f"{k.title.get(lang)} ({k.profile})" if several else k.title.get(lang))
        sh.number(1, k.target, fmt.pct)
        if k.actual is None:
            sh.text(2, "—")
        else:
            sh.number(2, k.actual, fmt.pct)
        sh.text(3, label("yes" if k.met else "no_", lang))
        sh.next()
    sh.next()

    # The problems most branches have, as 常见问题 lists them all.
    top = sorted(counts.affected.items(), key=lambda kv: (-kv[1], kv[0]))[:_TOP_PROBLEMS]
    sh.put(0, label("ov_top", lang, n=len(top) or _TOP_PROBLEMS), fmt.title)
    sh.next()
    for c, key in enumerate(("rule_title", "code", "branches_affected", "share")):
        sh.text(c, label(key, lang), fmt.head)
    sh.next()
    for code, n in top:
        sh.text(0, counts.titles[code])
        sh.text(1, code)
        sh.number(2, n, fmt.center)
        sh.number(3, n / graded if graded else None, fmt.pct)
        sh.next()
    if not top:
        sh.text(0, label("ov_no_items", lang))
        sh.next()
    sh.set_widths()


def _kpi_sheet(sh: _Sheet, kpis: Iterable[Kpi], lang: Lang) -> None:
    keys = ("kpi_code", "kpi_title", "target", "actual", "numerator", "denominator", "met", "profile")
    sh.head([label(k, lang) for k in keys])
    pct = sh.fmt.pct
    for k in kpis:
        sh.text(0, k.code)
        sh.text(1, k.title.get(lang))
        sh.number(2, k.target, pct)
        if k.actual is None:
            sh.text(3, "—")  # no branch graded: there is no share to report
        else:
            sh.number(3, k.actual, pct)
        sh.number(4, k.numerator)
        sh.number(5, k.denominator)
        sh.text(6, label("yes" if k.met else "no_", lang))
        sh.text(7, k.profile)
        sh.next()
    sh.finish(filter_=False)


INPUT_KEYS = ("file", "file_status", "branch_id", "profile", "problem_code", "message", "location", "fix")


def input_rows(files: Iterable[FileReport], lang: Lang) -> Iterator[tuple[str, ...]]:
    """The inputs sheet's rows (``INPUT_KEYS``): every entry of the folder, once per problem it has, or
    once with blank problem columns when it has none, so every file is accounted for."""
    for f in files:
        head = (f.file, label(f.status, lang), f.branch_id or "", f.profile or "")
        if not f.problems:
            yield (*head, "", "", "", "")
        for p in f.problems:
            yield (
                *head,
                p.code,
                p.message.get(lang),
                evidence_cells(p.evidence, lang),
                p.rectification.get(lang),
            )


def tally_rows(files: Iterable[FileReport], lang: Lang) -> list[tuple[str, int]]:
    """The input tally: how many entries, how many of each status, and how many each profile graded."""
    files = tuple(files)
    statuses = Counter(f.status for f in files)
    profiles = Counter(f.profile for f in files if f.status == "graded" and f.profile)
    return [
        (label("entries", lang), len(files)),
        *((label(status, lang), statuses[status]) for status in FILE_STATUSES),
        *((label("graded_by", lang, profile=name), n) for name, n in sorted(profiles.items())),
    ]


def _inputs_sheet(sh: _Sheet, files: Iterable[FileReport], lang: Lang) -> None:
    sh.head([label(k, lang) for k in INPUT_KEYS])
    for row in input_rows(files, lang):
        for col, value in enumerate(row):
            sh.text(col, value or None)
        sh.next()
    sh.finish()


def _missing_sheet(sh: _Sheet, rows: Iterable[tuple[str, str, str, str, int]], lang: Lang) -> None:
    keys = ("branch_id", "branch_name", "general_branch_roster", "branch_type", "roster_row")
    sh.head([label(k, lang) for k in keys])
    for branch_id, name, general_branch, branch_type, row in rows:
        sh.text(0, branch_id)
        sh.text(1, name)
        sh.text(2, general_branch)
        sh.text(3, branch_type)
        sh.number(4, row)
        sh.next()
    sh.finish()


class _Earlier(NamedTuple):
    """A branch's items continuing open items of earlier rounds, by mark (rule codes)."""

    round_ref: str
    branch_id: str
    branch_name: str
    carried: tuple[str, ...]
    flagged: tuple[str, ...]


def _earlier_sheet(sh: _Sheet, rows: Sequence[_Earlier], lang: Lang) -> None:
    keys = (
        "round",
        "branch_id",
        "branch_name",
        "carried",
        "ineffective",
        "carried_codes",
        "ineffective_codes",
    )
    sh.head([label(k, lang) for k in keys])
    sep = "、" if lang == "zh" else ", "
    for r in rows:
        sh.text(0, r.round_ref)
        sh.text(1, r.branch_id)
        sh.text(2, r.branch_name)
        sh.number(3, len(r.carried))
        sh.number(4, len(r.flagged))
        sh.text(5, sep.join(r.carried))
        sh.text(6, sep.join(r.flagged))
        sh.next()
    sh.text(0, label("sum", lang))
    sh.number(3, sum(len(r.carried) for r in rows))
    sh.number(4, sum(len(r.flagged) for r in rows))
    sh.next()
    sh.finish(filter_=False)


def _tally_sheet(sh: _Sheet, files: Iterable[FileReport], lang: Lang) -> None:
    sh.head([label("tally_item", lang), label("tally_count", lang)])
    for item, n in tally_rows(files, lang):
        sh.text(0, item)
        sh.number(1, n)
        sh.next()
    sh.finish(filter_=False)
