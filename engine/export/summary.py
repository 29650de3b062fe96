"""The summary workbook for the organization department: every branch, the grade distribution with charts,
every rectification item, the most common problems, the college KPIs and every input problem.

Sized for a college of 10,000 branches and written *while the batch runs*: :func:`summary_writer` opens the
workbook, the batch hands :meth:`SummaryWriter.add` one compact :class:`SummaryRecord` per graded branch (made
in the worker) in file-name order, and each record's rows go straight into the two long sheets (汇总, one row
per branch; 整改事项, one row per rectification item). The workbook is in xlsxwriter's ``constant_memory``
mode, so each row is flushed to disk as soon as the next one starts; besides the current row, the writer keeps
only counters whose size does not grow with the number of branches (grades per organisation and type,
branches per rule code). :meth:`SummaryWriter.finish` writes the short sheets from those counters, the KPIs
and the input problems once the batch is done, so little is left to do after the last worker finishes.

Text from forms and rule files goes through ``write_string`` in a workbook with formula conversion off.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter

from engine.export._xlsx import WORKBOOK_OPTIONS, put_text, text_width
from engine.export.atomic import atomic_path
from engine.export.i18n import evidence_cells, label, problem_text
from schemas.batch import BatchReport, FileReport, Kpi
from schemas.common import Lang
from schemas.results import BranchResult

__all__ = ["ItemRow", "SummaryRecord", "SummaryWriter", "summary_record", "summary_writer", "write_summary"]

_MAX_WIDTH = 60  # a column wider than this is unreadable; long texts are cut off on screen, not lost
_CHART_ROWS = 16  # rows a default-size chart covers (288 px at 20 px a row, plus a margin)
_TOP_CODES_IN_CHART = 20
_FIRST_SCORE_COL = 5  # 汇总: id, name, general branch, type, secretary, then one column per indicator
_ITEM_KEYS = ("branch_id", "branch_name", "code", "indicator", "problem", "basis", "measure", "owner")


class _Sheet:
    """A worksheet written strictly top to bottom, tracking each column's display width as it goes."""

    def __init__(self, ws: Any, fmt: _Formats) -> None:
        self.ws = ws
        # Printable as handed out: A4 landscape, one page wide, the header row on every page.
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0)
        self.fmt = fmt
        self.ncols = 0
        self.widths: list[int] = []
        self.row = 0

    def head(self, headers: Sequence[str]) -> None:
        """Write the header row (row 0); the data rows follow it."""
        self.ncols = len(headers)
        self.widths = [max(text_width(h) + 2, 8) for h in headers]
        for c, h in enumerate(headers):
            put_text(self.ws, 0, c, h, self.fmt.head)
        self.row = 1

    def text(self, col: int, value: str | None) -> None:
        if value:
            put_text(self.ws, self.row, col, value)
            widths = self.widths
            # Measuring is skipped when it cannot change the width: the column is at the cap already, or
            # the text is too short to be wider even if every character were double width.
            if widths[col] != _MAX_WIDTH and 2 * len(value) + 2 > widths[col]:
                w = text_width(value) + 2
                if w > widths[col]:
                    widths[col] = min(w, _MAX_WIDTH)

    def number(self, col: int, value: float | None, fmt: Any = None) -> None:
        if value is not None:
            self.ws.write_number(self.row, col, value, fmt)

    def date(self, col: int, value: date | None) -> None:
        if value is not None:
            d = value if isinstance(value, datetime) else datetime.combine(value, time())
            self.ws.write_datetime(self.row, col, d, self.fmt.date)
            if self.widths[col] < 12:
                self.widths[col] = 12

    def next(self) -> None:
        self.row += 1

    def finish(self, *, filter_: bool = True, freeze_cols: int = 0) -> None:
        for c, w in enumerate(self.widths):
            self.ws.set_column(c, c, w)
        if filter_:
            self.ws.autofilter(0, 0, max(self.row - 1, 0), self.ncols - 1)
        self.ws.freeze_panes(1, freeze_cols)


class _Formats:
    def __init__(self, wb: Any) -> None:
        self.head = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "border": 1, "text_wrap": True}
        )
        self.head_center = wb.add_format(
            {"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "border": 1, "align": "center"}
        )
        self.title = wb.add_format({"bold": True, "font_size": 12})
        self.bold = wb.add_format({"bold": True})
        self.center = wb.add_format({"align": "center"})
        self.bold_center = wb.add_format({"bold": True, "align": "center"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.pct = wb.add_format({"num_format": "0.0%"})
        self.score = wb.add_format({"num_format": "0.##;-0.##;0"})


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


def write_summary(report: BatchReport, path: Path, lang: Lang = "zh") -> None:
    """Write the summary workbook for ``report`` to ``path`` (xlsx), atomically."""
    records = [summary_record(r, lang) for r in report.results]
    # Every indicator of every result, first seen first: results graded by different policies (not a batch,
    # whose results share one) still each get a column for each of their scores.
    indicators: dict[str, str] = {}
    for record in records:
        for sid, name, _ in record.scores:
            indicators.setdefault(sid, name)
    with summary_writer(path, lang, indicators=tuple(indicators.items())) as summary:
        for record in records:
            summary.add(record)
        summary.finish(report.files, report.kpis)


@contextlib.contextmanager
def summary_writer(
    path: Path, lang: Lang = "zh", indicators: Sequence[tuple[str, str]] | None = None
) -> Iterator[SummaryWriter]:
    """Open the summary workbook for ``path``: ``add`` each graded branch's record in file-name order, then
    ``finish``. ``path`` is replaced (atomically) when the block ends after ``finish``; when the block raises
    or ends without ``finish``, nothing is left behind and ``path`` keeps whatever it held.

    ``indicators`` — (id, name) pairs — are the score columns of 汇总; by default those of the first record
    (a batch grades every branch by one policy, so every record has the same ones)."""
    with atomic_path(path) as tmp:
        writer = SummaryWriter(tmp, lang, indicators)
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
        self, target: Path, lang: Lang = "zh", indicators: Sequence[tuple[str, str]] | None = None
    ) -> None:
        self.lang = lang
        self.finished = False
        # xlsxwriter's row files (one per sheet in constant_memory mode) go to a folder of our own, removed
        # whatever happens: xlsxwriter itself leaves the file of a sheet that got no row behind.
        self._tmpdir = tempfile.TemporaryDirectory(prefix="branchgrade-summary-", ignore_cleanup_errors=True)
        self._wb = wb = xlsxwriter.Workbook(
            str(target), {**WORKBOOK_OPTIONS, "constant_memory": True, "tmpdir": self._tmpdir.name}
        )
        try:
            self._fmt = fmt = _Formats(wb)
            # Every sheet is added now, in the order the workbook shows them: the two long ones are filled
            # record by record, the others by finish().
            self._summary = _Sheet(wb.add_worksheet(label("sh_summary", lang)), fmt)
            self._distribution = wb.add_worksheet(label("sh_distribution", lang))
            self._items = _Sheet(wb.add_worksheet(label("sh_items", lang)), fmt)
            self._common = _Sheet(wb.add_worksheet(label("sh_common", lang)), fmt)
            self._kpis = _Sheet(wb.add_worksheet(label("sh_kpis", lang)), fmt)
            self._inputs = _Sheet(wb.add_worksheet(label("sh_inputs", lang)), fmt)
            self._items.head(
                [label(k, lang) for k in _ITEM_KEYS] + [label("deadline", lang), label("rect_status", lang)]
            )
        except BaseException:
            self.abandon()
            raise
        self._counts = _Counts(lang)
        self._todo = label("st_todo", lang)
        # The score columns of 汇总, fixed when its header is written.
        self._indicator_ids: tuple[str, ...] | None = None
        if indicators is not None:
            self._head_summary(indicators)

    def _head_summary(self, indicators: Sequence[tuple[str, str]]) -> None:
        lang = self.lang
        self._indicator_ids = tuple(sid for sid, _ in indicators)
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
            ]
        )

    def add(self, r: SummaryRecord) -> None:
        """Write one graded branch's rows (the next in file-name order) and count it."""
        if self._indicator_ids is None:
            self._head_summary([(sid, name) for sid, name, _ in r.scores])
        ids = self._indicator_ids
        assert ids is not None
        by_id = {sid: score for sid, _, score in r.scores}
        unknown = by_id.keys() - set(ids)
        if unknown:
            # A record from another policy than the columns': its scores would have nowhere to go.
            raise ValueError(f"branch {r.branch_id}: no summary column for indicator(s) {sorted(unknown)}")
        self._counts.add(r)

        sh, fmt = self._summary, self._fmt
        sh.text(0, r.branch_id)
        sh.text(1, r.branch_name)
        sh.text(2, r.general_branch)
        sh.text(3, r.branch_type)
        sh.text(4, r.secretary)
        for k, ind in enumerate(ids):
            sh.number(_FIRST_SCORE_COL + k, by_id.get(ind), fmt.score)
        after = _FIRST_SCORE_COL + len(ids)
        sh.number(after, r.total, fmt.score)
        sh.text(after + 1, r.score_grade)
        sh.text(after + 2, r.grade)
        sh.text(after + 3, r.adjustments)
        sh.number(after + 4, len(r.items))
        sh.text(after + 5, r.file)
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

    def finish(self, files: Iterable[FileReport], kpis: Iterable[Kpi]) -> None:
        """Close the long sheets, write the distribution, the common problems, ``kpis`` and the input problems
        of ``files``, and complete the workbook (moved into place when the ``summary_writer`` block ends)."""
        assert not self.finished, "finish() called twice"
        wb, lang, fmt, counts = self._wb, self.lang, self._fmt, self._counts
        if self._indicator_ids is None:  # no branch was graded
            self._head_summary(())
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
        _inputs_sheet(self._inputs, files, lang)
        wb.close()
        self._tmpdir.cleanup()
        self.finished = True

    def abandon(self) -> None:
        """Give up on the workbook: close it (what is written is discarded) and remove the temporary files."""
        with contextlib.suppress(Exception):
            self._wb.close()
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


def _distribution_sheet(wb: Any, ws: Any, tally: _Counts, lang: Lang, fmt: _Formats) -> None:
    grades = tally.grades
    by_org, by_type, none = tally.by_org, tally.by_type, tally.none
    # Grade codes sort best first in every profile so far (A, B, C, D); the code, not the name, orders them
    # so the columns keep their place when names are translated.
    codes = sorted(grades)
    name = label("sh_distribution", lang)
    ws.set_column(0, 0, 24)
    ws.set_column(1, len(codes) + 1, 10)
    row = 0
    chart_col = len(codes) + 3
    next_chart_row = 0
    for title_key, key_label, counts in (
        ("by_general_branch", "general_branch", by_org),
        ("by_branch_type", "branch_type", by_type),
    ):
        put_text(ws, row, 0, label(title_key, lang), fmt.title)
        row += 1
        head_row = row
        put_text(ws, row, 0, label(key_label, lang), fmt.head)
        for c, code in enumerate(codes, start=1):
            put_text(ws, row, c, grades[code], fmt.head_center)
        put_text(ws, row, len(codes) + 1, label("sum", lang), fmt.head_center)
        row += 1
        first = row
        totals: Counter[str] = Counter()
        for group in sorted(counts, key=lambda g: (g == none, g)):
            put_text(ws, row, 0, group)
            for c, code in enumerate(codes, start=1):
                ws.write_number(row, c, counts[group][code], fmt.center)
            ws.write_number(row, len(codes) + 1, sum(counts[group].values()), fmt.center)
            totals.update(counts[group])
            row += 1
        last = row - 1
        put_text(ws, row, 0, label("sum", lang), fmt.bold)
        for c, code in enumerate(codes, start=1):
            ws.write_number(row, c, totals[code], fmt.bold_center)
        ws.write_number(row, len(codes) + 1, sum(totals.values()), fmt.bold_center)
        row += 1
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
        row += 2


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
    keys = ("kpi_code", "kpi_title", "target", "actual", "numerator", "denominator", "met")
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
        sh.next()
    sh.finish(filter_=False)


def _inputs_sheet(sh: _Sheet, files: Iterable[FileReport], lang: Lang) -> None:
    keys = ("file", "file_status", "problem_code", "message", "location", "fix")
    sh.head([label(k, lang) for k in keys])
    for f in files:
        status = label(f.status, lang)
        for p in f.problems:
            sh.text(0, f.file)
            sh.text(1, status)
            sh.text(2, p.code)
            sh.text(3, p.message.get(lang))
            sh.text(4, evidence_cells(p.evidence, lang))
            sh.text(5, p.rectification.get(lang))
            sh.next()
    sh.finish()
