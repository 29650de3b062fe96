"""The summary workbook's writer as it was when every cell went through xlsxwriter (engine/export/summary.py
before the rows were serialised directly), frozen as the oracle of tests/test_summary_equivalence.py.

Not used by the engine. Its own docstring follows.

The summary workbook for the organization department: every branch, the grade distribution with charts,
every rectification item, the most common problems, the college KPIs and every input problem.

Sized for a college of 10,000 branches: the workbook is written in xlsxwriter's ``constant_memory`` mode
(each row is flushed to disk as soon as the next one starts), every sheet is written top to bottom from a
stream of compact :class:`SummaryRecord` s (one per graded branch, made in the worker; the pipeline spills
them to a temporary file and reads it once per pass), never from every ``BranchResult`` at once, and the
only things accumulated are counters (grades per organisation, branches per rule code) whose size does not
grow with the number of branches.

Text from forms and rule files goes through ``write_string`` in a workbook with formula conversion off.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

import xlsxwriter

from engine.export._xlsx import WORKBOOK_OPTIONS, put_text, text_width
from engine.export.atomic import atomic_path
from engine.export.i18n import label, problem_text
from engine.export.summary import INPUT_KEYS, input_rows, tally_rows
from schemas.batch import BatchReport, FileReport, Kpi
from schemas.common import Lang
from schemas.results import BranchResult

__all__ = ["ItemRow", "SummaryRecord", "summary_record", "write_summary", "write_summary_records"]

_MAX_WIDTH = 60  # a column wider than this is unreadable; long texts are cut off on screen, not lost
_CHART_ROWS = 16  # rows a default-size chart covers (288 px at 20 px a row, plus a margin)
_TOP_CODES_IN_CHART = 20


class _Sheet:
    """A worksheet written strictly top to bottom, tracking each column's display width as it goes."""

    def __init__(self, wb: Any, name: str, headers: list[str], fmt: _Formats) -> None:
        self.ws = wb.add_worksheet(name)
        # Printable as handed out: A4 landscape, one page wide, the header row on every page.
        self.ws.set_landscape()
        self.ws.set_paper(9)
        self.ws.fit_to_pages(1, 0)
        self.ws.repeat_rows(0)
        self.fmt = fmt
        self.ncols = len(headers)
        self.widths = [max(text_width(h) + 2, 8) for h in headers]
        self.row = 0
        for c, h in enumerate(headers):
            put_text(self.ws, 0, c, h, fmt.head)
        self.row = 1

    def text(self, col: int, value: str | None) -> None:
        if value:
            put_text(self.ws, self.row, col, value)
            w = text_width(value) + 2
            if w > self.widths[col]:
                self.widths[col] = min(w, _MAX_WIDTH)

    def number(self, col: int, value: float | None, fmt: Any = None) -> None:
        if value is not None:
            self.ws.write_number(self.row, col, value, fmt)

    def date(self, col: int, value: date | None) -> None:
        if value is not None:
            d = value if isinstance(value, datetime) else datetime.combine(value, time())
            self.ws.write_datetime(self.row, col, d, self.fmt.date)
            self.widths[col] = max(self.widths[col], 12)

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

    Built where the result is built (in the worker) and streamed to the main process, so the summary
    never needs every ``BranchResult`` at once."""

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
    write_summary_records(lambda: iter(records), report.files, report.kpis, path, lang)


def write_summary_records(
    records: Callable[[], Iterable[SummaryRecord]],
    files: Iterable[FileReport],
    kpis: Iterable[Kpi],
    path: Path,
    lang: Lang = "zh",
) -> None:
    """Write the summary workbook from the graded branches' records, in file-name order, to ``path``.

    ``records`` is called once per pass (three: counts, the summary sheet, the items sheet) and must give
    the same records each time, e.g. by re-reading a spill file, so no pass holds them all."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "constant_memory": True})
        try:
            fmt = _Formats(wb)
            counts = _Counts(records(), lang)
            _summary_sheet(wb, records(), counts, lang, fmt)
            _distribution_sheet(wb, counts, lang, fmt)
            _items_sheet(wb, records(), lang, fmt)
            _common_sheet(wb, counts, lang, fmt)
            _kpi_sheet(wb, kpis, lang, fmt)
            files = tuple(files)
            _inputs_sheet(wb, files, lang, fmt)
            _tally_sheet(wb, files, lang, fmt)
        except BaseException:
            # Release xlsxwriter's temp files; atomic_path discards the half-built output.
            with contextlib.suppress(Exception):
                wb.close()
            raise
        wb.close()


class _Counts:
    """One pass over the records: every indicator (first-seen order), the grades per organisation and
    type, the branches per rule code. None of it grows with the number of branches."""

    def __init__(self, records: Iterable[SummaryRecord], lang: Lang) -> None:
        self.indicators: dict[str, str] = {}
        self.grades: dict[str, str] = {}
        self.by_org: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.affected: Counter[str] = Counter()
        self.titles: dict[str, str] = {}
        self.graded = 0
        self.none = none = label("none", lang)
        for r in records:
            self.graded += 1
            for sid, name, _ in r.scores:
                if sid not in self.indicators:
                    self.indicators[sid] = name
            self.grades.setdefault(r.grade_code, r.grade)
            self.by_org[r.general_branch or none][r.grade_code] += 1
            self.by_type[r.branch_type or none][r.grade_code] += 1
            for code in {i.code for i in r.items}:
                self.affected[code] += 1
            for i in r.items:
                self.titles.setdefault(i.code, i.title)


def _indicator_names(result: BranchResult, lang: Lang) -> dict[str, str]:
    return {s.id: s.name.get(lang) for s in result.scores}


def _adjustments(result: BranchResult, lang: Lang) -> str:
    return ("; " if lang == "en" else "；").join(a.get(lang) for a in result.adjustments)


def _summary_sheet(
    wb: Any, records: Iterable[SummaryRecord], counts: _Counts, lang: Lang, fmt: _Formats
) -> None:
    indicators = counts.indicators
    ids = list(indicators)
    headers = [
        label("branch_id", lang),
        label("branch_name", lang),
        label("general_branch", lang),
        label("branch_type", lang),
        label("secretary_short", lang),
        *(indicators[i] for i in ids),
        label("total", lang),
        label("score_grade", lang),
        label("grade", lang),
        label("adjustments", lang),
        label("item_count", lang),
        label("file", lang),
    ]
    sh = _Sheet(wb, label("sh_summary", lang), headers, fmt)
    first_score = 5
    after = first_score + len(ids)
    for r in records:
        sh.text(0, r.branch_id)
        sh.text(1, r.branch_name)
        sh.text(2, r.general_branch)
        sh.text(3, r.branch_type)
        sh.text(4, r.secretary)
        by_id = {sid: score for sid, _, score in r.scores}
        for k, ind in enumerate(ids):
            sh.number(first_score + k, by_id.get(ind), fmt.score)
        sh.number(after, r.total, fmt.score)
        sh.text(after + 1, r.score_grade)
        sh.text(after + 2, r.grade)
        sh.text(after + 3, r.adjustments)
        sh.number(after + 4, len(r.items))
        sh.text(after + 5, r.file)
        sh.next()
    sh.finish(freeze_cols=2)


def _distribution_sheet(wb: Any, tally: _Counts, lang: Lang, fmt: _Formats) -> None:
    grades = tally.grades
    by_org, by_type, none = tally.by_org, tally.by_type, tally.none
    # Grade codes sort best first in every profile so far (A, B, C, D); the code, not the name, orders them
    # so the columns keep their place when names are translated.
    codes = sorted(grades)
    name = label("sh_distribution", lang)
    ws = wb.add_worksheet(name)
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


def _items_sheet(wb: Any, records: Iterable[SummaryRecord], lang: Lang, fmt: _Formats) -> None:
    keys = ("branch_id", "branch_name", "code", "indicator", "problem", "basis", "measure", "owner")
    headers = [label(k, lang) for k in keys] + [label("deadline", lang), label("rect_status", lang)]
    sh = _Sheet(wb, label("sh_items", lang), headers, fmt)
    todo = label("st_todo", lang)
    for r in records:
        for item in r.items:
            sh.text(0, r.branch_id)
            sh.text(1, r.branch_name)
            sh.text(2, item.code)
            sh.text(3, item.indicator)
            sh.text(4, item.problem)
            sh.text(5, item.basis)
            sh.text(6, item.measure)
            sh.text(7, item.owner)
            sh.date(8, item.deadline)
            sh.text(9, todo)
            sh.next()
    if sh.row > 1:
        sh.ws.data_validation(
            1,
            9,
            sh.row - 1,
            9,
            {"validate": "list", "source": [label(k, lang) for k in ("st_todo", "st_doing", "st_done")]},
        )
    sh.finish(freeze_cols=2)


def _common_sheet(wb: Any, counts: _Counts, lang: Lang, fmt: _Formats) -> None:
    affected, titles, graded = counts.affected, counts.titles, counts.graded
    headers = [label(k, lang) for k in ("code", "rule_title", "branches_affected", "share")]
    name = label("sh_common", lang)
    sh = _Sheet(wb, name, headers, fmt)
    for code, n in sorted(affected.items(), key=lambda kv: (-kv[1], kv[0])):
        sh.text(0, code)
        sh.text(1, titles[code])
        sh.number(2, n)
        sh.number(3, n / graded if graded else None, fmt.pct)
        sh.next()
    sh.finish()
    shown = min(len(affected), _TOP_CODES_IN_CHART)
    if shown:
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


def _kpi_sheet(wb: Any, kpis: Iterable[Kpi], lang: Lang, fmt: _Formats) -> None:
    keys = ("kpi_code", "kpi_title", "target", "actual", "numerator", "denominator", "met", "profile")
    sh = _Sheet(wb, label("sh_kpis", lang), [label(k, lang) for k in keys], fmt)
    for k in kpis:
        sh.text(0, k.code)
        sh.text(1, k.title.get(lang))
        sh.number(2, k.target, fmt.pct)
        if k.actual is None:
            sh.text(3, "—")  # no branch graded: there is no share to report
        else:
            sh.number(3, k.actual, fmt.pct)
        sh.number(4, k.numerator)
        sh.number(5, k.denominator)
        sh.text(6, label("yes" if k.met else "no_", lang))
        sh.text(7, k.profile)
        sh.next()
    sh.finish(filter_=False)


def _inputs_sheet(wb: Any, files: Iterable[FileReport], lang: Lang, fmt: _Formats) -> None:
    sh = _Sheet(wb, label("sh_inputs", lang), [label(k, lang) for k in INPUT_KEYS], fmt)
    for row in input_rows(files, lang):
        for col, value in enumerate(row):
            sh.text(col, value)
        sh.next()
    sh.finish()


def _tally_sheet(wb: Any, files: Iterable[FileReport], lang: Lang, fmt: _Formats) -> None:
    sh = _Sheet(wb, label("sh_tally", lang), [label("tally_item", lang), label("tally_count", lang)], fmt)
    for item, n in tally_rows(files, lang):
        sh.text(0, item)
        sh.number(1, n)
        sh.next()
    sh.finish(filter_=False)
