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
import itertools
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
from engine.export._xlsx import STAMP_PROPERTY, WORKBOOK_OPTIONS, output_stamp, text_width
from engine.export.atomic import atomic_path
from engine.export.i18n import evidence_cells, label, problem_text
from schemas.batch import FILE_STATUSES, BatchReport, FileReport, Kpi
from schemas.common import Lang
from schemas.results import BranchResult

__all__ = [
    "OUTPUT_KIND",
    "REVIEW_KEYS",
    "ItemRow",
    "SummaryRecord",
    "SummaryWriter",
    "summary_record",
    "summary_writer",
    "write_summary",
]

OUTPUT_KIND = "汇总"  # the stamp's kind, whatever the language

_MAX_WIDTH = 60  # a column wider than this is unreadable; long texts are cut off on screen, not lost
_CHART_ROWS = 16  # rows a default-size chart covers (288 px at 20 px a row, plus a margin)
_TOP_CODES_IN_CHART = 20
_FIRST_SCORE_COL = 5  # 汇总: id, name, general branch, type, secretary, then one column per indicator
# 汇总's last columns, for an officer's review (审定): the reviewed grade (a dropdown), its reason and who.
REVIEW_KEYS = ("reviewed_grade", "review_reason", "reviewer")
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
        self.bold, self.center, self.bold_center = style["bold"], style["center"], style["bold_center"]
        self.date, self.pct, self.score = style["date"], style["pct"], style["score"]


class _Sheet:
    """A worksheet written strictly top to bottom: its frame (widths, filter, panes, page setup) declared to
    xlsxwriter, its rows serialised here to a file of their own as they come, each cell's text widening its
    column's display width."""

    def __init__(self, wb: Any, name: str, fmt: _Formats, folder: Path, *, printable: bool = True) -> None:
        self.ws = ws = wb.add_worksheet(name)
        if printable:
            # Printable as handed out: A4 landscape, one page wide, the header row on every page.
            ws.set_landscape()
            ws.set_paper(9)
            ws.fit_to_pages(1, 0)
            ws.repeat_rows(0)
        self.fmt = fmt
        self.ncols = 0
        self.widths: list[int] = []
        self.row = 0
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

    def head(self, headers: Sequence[str]) -> None:
        """Write the header row (row 0); the data rows follow it."""
        self.ncols = len(headers)
        self.widths = [max(text_width(h) + 2, 8) for h in headers]
        for c, h in enumerate(headers):
            self.put(c, h, self.fmt.head)
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
        """A text cell for a value, none when it is empty; it widens its column."""
        if value:
            self.put(col, value, style)
            widths = self.widths
            # Measuring is skipped when it cannot change the width: the column is at the cap already, or
            # the text is too short to be wider even if every character were double width.
            if col < len(widths) and widths[col] != _MAX_WIDTH and 2 * len(value) + 2 > widths[col]:
                w = text_width(value) + 2
                if w > widths[col]:
                    widths[col] = min(w, _MAX_WIDTH)

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
            self._rows.write(f'<row r="{self._ref_row}">{"".join(self._cells)}</row>'.encode())
            self._cells.clear()
            if self._first_row is None:
                self._first_row = self.row
            self._last_row = self.row
        self.row += 1
        self._ref_row = str(self.row + 1)
        self._last_col = -1

    def finish(self, *, filter_: bool = True, freeze_cols: int = 0) -> None:
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w)
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
) -> None:
    """Write the summary workbook for ``report`` to ``path`` (xlsx), atomically; ``grades`` and
    ``round_ref`` as for :func:`summary_writer`."""
    records = [summary_record(r, lang) for r in report.results]
    # Every indicator of every result, first seen first: results graded by different policies (not a batch,
    # whose results share one) still each get a column for each of their scores.
    indicators: dict[str, str] = {}
    for record in records:
        for sid, name, _ in record.scores:
            indicators.setdefault(sid, name)
    with summary_writer(
        path, lang, indicators=tuple(indicators.items()), grades=grades, round_ref=round_ref
    ) as summary:
        for record in records:
            summary.add(record)
        summary.finish(report.files, report.kpis)


@contextlib.contextmanager
def summary_writer(
    path: Path,
    lang: Lang = "zh",
    indicators: Sequence[tuple[str, str]] | None = None,
    grades: Sequence[str] = (),
    round_ref: str | None = None,
) -> Iterator[SummaryWriter]:
    """Open the summary workbook for ``path``: ``add`` each graded branch's record in file-name order, then
    ``finish``. ``path`` is replaced (atomically) when the block ends after ``finish``; when the block raises
    or ends without ``finish``, nothing is left behind and ``path`` keeps whatever it held.

    ``indicators`` — (id, name) pairs — are the score columns of 汇总; by default those of the first record
    (a batch grades every branch by one policy, so every record has the same ones).

    ``grades`` (names, best first) are the choices of 汇总's 审定等次 dropdown, where an officer enters a
    reviewed grade (``branchgrade review import`` reads it back); by default the grades the records got.
    ``round_ref`` — the recorded round the workbook shows — goes into its stamp, so an import needs no
    ``--round``."""
    with atomic_path(path) as tmp:
        writer = SummaryWriter(tmp, lang, indicators, grades, round_ref)
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
    ) -> None:
        self.lang = lang
        self._grade_choices = tuple(grades)
        self._target = target
        self.finished = False
        # xlsxwriter's package and its own temporary files go to a folder of our own, removed whatever
        # happens short of the process being killed (then only a few small files are left).
        self._tmpdir = tempfile.TemporaryDirectory(prefix="branchgrade-summary-", ignore_cleanup_errors=True)
        folder = Path(self._tmpdir.name)
        self._frame = folder / "frame.xlsx"
        # constant_memory: charts then carry no cached values, as when xlsxwriter wrote the cells itself.
        self._wb = wb = xlsxwriter.Workbook(
            str(self._frame), {**WORKBOOK_OPTIONS, "constant_memory": True, "tmpdir": str(folder)}
        )
        self._sheets: list[_Sheet] = []
        try:
            stamp = output_stamp(OUTPUT_KIND)
            stamp = stamp if round_ref is None else f"{stamp} round={round_ref}"
            wb.set_custom_property(STAMP_PROPERTY, stamp)
            self._fmt = _Formats(wb)
            # Every sheet is added now, in the order the workbook shows them: the two long ones are filled
            # record by record, the others by finish().
            self._summary = self._sheet(label("sh_summary", lang), folder)
            self._distribution = self._sheet(label("sh_distribution", lang), folder, printable=False)
            self._items = self._sheet(label("sh_items", lang), folder)
            self._common = self._sheet(label("sh_common", lang), folder)
            self._kpis = self._sheet(label("sh_kpis", lang), folder)
            self._inputs = self._sheet(label("sh_inputs", lang), folder)
            self._tally = self._sheet(label("sh_tally", lang), folder)
            self._items.head(
                [label(k, lang) for k in _ITEM_KEYS] + [label("deadline", lang), label("rect_status", lang)]
            )
        except BaseException:
            self.abandon()
            raise
        self._counts = _Counts(lang)
        self._missing: list[tuple[str, str, str, str, int]] | None = None  # with a roster: 缺交
        self._todo = label("st_todo", lang)
        # The column of each indicator's score in 汇总, fixed when its header is written.
        self._score_cols: dict[str, int] | None = None
        if indicators is not None:
            self._head_summary(indicators)

    def _sheet(self, name: str, folder: Path, *, printable: bool = True) -> _Sheet:
        sheet = _Sheet(self._wb, name, self._fmt, folder, printable=printable)
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
            ]
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

    def finish(self, files: Iterable[FileReport], kpis: Iterable[Kpi]) -> None:
        """Close the long sheets, write the distribution, the common problems, ``kpis`` and the input problems
        of ``files``, and complete the workbook (moved into place when the ``summary_writer`` block ends)."""
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
        _kpi_sheet(self._kpis, kpis, lang)
        files = tuple(files)
        _inputs_sheet(self._inputs, files, lang)
        _tally_sheet(self._tally, files, lang)
        if self._missing is not None:
            _missing_sheet(
                self._sheet(label("sh_missing", lang), Path(self._tmpdir.name)), self._missing, lang
            )
        for sheet in self._sheets:
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
        with contextlib.suppress(Exception):
            self._wb.close()
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
    grades = tally.grades
    by_org, by_type, none = tally.by_org, tally.by_type, tally.none
    # Grade codes sort best first in every profile so far (A, B, C, D); the code, not the name, orders them
    # so the columns keep their place when names are translated.
    codes = sorted(grades)
    name = label("sh_distribution", lang)
    ws = sh.ws
    ws.set_column(0, 0, 24)
    ws.set_column(1, len(codes) + 1, 10)
    chart_col = len(codes) + 3
    next_chart_row = 0
    for title_key, key_label, counts in (
        ("by_general_branch", "general_branch", by_org),
        ("by_branch_type", "branch_type", by_type),
    ):
        sh.put(0, label(title_key, lang), fmt.title)
        sh.next()
        head_row = sh.row
        sh.put(0, label(key_label, lang), fmt.head)
        for c, code in enumerate(codes, start=1):
            sh.put(c, grades[code], fmt.head_center)
        sh.put(len(codes) + 1, label("sum", lang), fmt.head_center)
        sh.next()
        first = sh.row
        totals: Counter[str] = Counter()
        for group in sorted(counts, key=lambda g: (g == none, g)):
            sh.put(0, group)
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
            chart_row = max(head_row - 1, next_chart_row)
            ws.insert_chart(chart_row, chart_col, chart)
            next_chart_row = chart_row + _CHART_ROWS
        sh.next()
        sh.next()


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
                "categories": [name, 1, 0, shown, 0],
                "values": [name, 1, 2, shown, 2],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": label("sh_common", lang)})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True})  # the most common problem on top, as in the table
        chart.set_size({"height": max(288, 22 * shown + 80)})
        sh.ws.insert_chart(0, len(headers) + 1, chart)


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


def _tally_sheet(sh: _Sheet, files: Iterable[FileReport], lang: Lang) -> None:
    sh.head([label("tally_item", lang), label("tally_count", lang)])
    for item, n in tally_rows(files, lang):
        sh.text(0, item)
        sh.number(1, n)
        sh.next()
    sh.finish(filter_=False)
