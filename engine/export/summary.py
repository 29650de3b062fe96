"""The summary workbook for the organization department: every branch, the grade distribution with charts,
every rectification item, the most common problems, the college KPIs and every input problem.

Sized for a college of 10,000 branches: the workbook is written in xlsxwriter's ``constant_memory`` mode
(each row is flushed to disk as soon as the next one starts), every sheet is written top to bottom straight
from the ``BatchReport`` without building row lists, and the only things accumulated are counters (grades
per organisation, branches per rule code) whose size does not grow with the number of branches.

Text from forms and rule files goes through ``write_string`` in a workbook with formula conversion off.
"""

from __future__ import annotations

import contextlib
from collections import Counter, defaultdict
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter

from engine.export._xlsx import WORKBOOK_OPTIONS, put_text, text_width
from engine.export.atomic import atomic_path
from engine.export.i18n import evidence_cells, label, problem_text
from schemas.batch import BatchReport
from schemas.common import Lang, Text
from schemas.results import BranchResult

__all__ = ["write_summary"]

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


def write_summary(report: BatchReport, path: Path, lang: Lang = "zh") -> None:
    """Write the summary workbook for ``report`` to ``path`` (xlsx), atomically."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "constant_memory": True})
        try:
            fmt = _Formats(wb)
            _summary_sheet(wb, report, lang, fmt)
            _distribution_sheet(wb, report, lang, fmt)
            _items_sheet(wb, report, lang, fmt)
            _common_sheet(wb, report, lang, fmt)
            _kpi_sheet(wb, report, lang, fmt)
            _inputs_sheet(wb, report, lang, fmt)
        except BaseException:
            # Release xlsxwriter's temp files; atomic_path discards the half-built output.
            with contextlib.suppress(Exception):
                wb.close()
            raise
        wb.close()


def _indicators(report: BatchReport) -> dict[str, Text]:
    """Every indicator any branch was scored on, in first-seen order (one profile: the profile's order)."""
    seen: dict[str, Text] = {}
    for r in report.results:
        for s in r.scores:
            if s.id not in seen:
                seen[s.id] = s.name
    return seen


def _indicator_names(result: BranchResult, lang: Lang) -> dict[str, str]:
    return {s.id: s.name.get(lang) for s in result.scores}


def _adjustments(result: BranchResult, lang: Lang) -> str:
    return ("; " if lang == "en" else "；").join(a.get(lang) for a in result.adjustments)


def _summary_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    indicators = _indicators(report)
    ids = list(indicators)
    headers = [
        label("branch_id", lang),
        label("branch_name", lang),
        label("general_branch", lang),
        label("branch_type", lang),
        label("secretary_short", lang),
        *(indicators[i].get(lang) for i in ids),
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
    for r in report.results:
        ident = r.identity
        sh.text(0, ident.branch_id)
        sh.text(1, ident.branch_name)
        sh.text(2, ident.general_branch)
        sh.text(3, ident.branch_type)
        sh.text(4, ident.secretary)
        by_id = {s.id: s.score for s in r.scores}
        for k, ind in enumerate(ids):
            sh.number(first_score + k, by_id.get(ind), fmt.score)
        sh.number(after, r.total, fmt.score)
        sh.text(after + 1, r.score_grade.name.get(lang))
        sh.text(after + 2, r.grade.name.get(lang))
        sh.text(after + 3, _adjustments(r, lang))
        sh.number(after + 4, len(r.items))
        sh.text(after + 5, ident.file)
        sh.next()
    sh.finish(freeze_cols=2)


def _distribution_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    grades: dict[str, Text] = {}
    by_org: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
    none = label("none", lang)
    for r in report.results:
        grades.setdefault(r.grade.code, r.grade.name)
        by_org[r.identity.general_branch or none][r.grade.code] += 1
        by_type[r.identity.branch_type or none][r.grade.code] += 1
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
            put_text(ws, row, c, grades[code].get(lang), fmt.head_center)
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


def _items_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    keys = ("branch_id", "branch_name", "code", "indicator", "problem", "basis", "measure", "owner")
    headers = [label(k, lang) for k in keys] + [label("deadline", lang), label("rect_status", lang)]
    sh = _Sheet(wb, label("sh_items", lang), headers, fmt)
    todo = label("st_todo", lang)
    for r in report.results:
        if not r.items:
            continue
        names = _indicator_names(r, lang)
        for item in r.items:
            sh.text(0, r.identity.branch_id)
            sh.text(1, r.identity.branch_name)
            sh.text(2, item.code)
            if item.indicator is not None:
                sh.text(3, names.get(item.indicator, item.indicator))
            # One line per item: this sheet is for filtering, so rows stay one line high.
            sh.text(4, problem_text(item.message.get(lang), item.evidence, lang).replace("\n", " "))
            if item.source is not None:
                sh.text(5, f"{item.source.document} {item.source.clause}".strip())
            sh.text(6, item.rectification.get(lang))
            sh.text(7, item.owner.get(lang) if item.owner else None)
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


def _common_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    affected: Counter[str] = Counter()
    titles: dict[str, Text] = {}
    for r in report.results:
        for code in {i.code for i in r.items}:
            affected[code] += 1
        for i in r.items:
            titles.setdefault(i.code, i.title)
    graded = len(report.results)
    headers = [label(k, lang) for k in ("code", "rule_title", "branches_affected", "share")]
    name = label("sh_common", lang)
    sh = _Sheet(wb, name, headers, fmt)
    for code, n in sorted(affected.items(), key=lambda kv: (-kv[1], kv[0])):
        sh.text(0, code)
        sh.text(1, titles[code].get(lang))
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


def _kpi_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    keys = ("kpi_code", "kpi_title", "target", "actual", "numerator", "denominator", "met")
    sh = _Sheet(wb, label("sh_kpis", lang), [label(k, lang) for k in keys], fmt)
    for k in report.kpis:
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
        sh.next()
    sh.finish(filter_=False)


def _inputs_sheet(wb: Any, report: BatchReport, lang: Lang, fmt: _Formats) -> None:
    keys = ("file", "file_status", "problem_code", "message", "location", "fix")
    sh = _Sheet(wb, label("sh_inputs", lang), [label(k, lang) for k in keys], fmt)
    for f in report.files:
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
