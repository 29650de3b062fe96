"""The xlsxwriter-based 整改清单 writer as it was before the list was written as XML directly, kept as a
test oracle: tests/test_branch_list_equivalence.py writes the same results through both and compares them.

Frozen on purpose — a copy, not an import, of the old ``engine/export/branch_list.py`` — so a change to the
package writer cannot change what it is compared against. Only the shared helpers it always used (labels,
text formatting, ``put_text``/``row_height``, the atomic write) come from the package.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import xlsxwriter

from engine.export._xlsx import WORKBOOK_OPTIONS, put_text, row_height
from engine.export.atomic import atomic_path
from engine.export.i18n import fmt_num, label, problem_text, source_text
from schemas.common import Finding, Lang
from schemas.results import BranchResult

__all__ = ["write_branch_list"]

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


def _merged_text(ws: Any, row: int, first: int, last: int, text: str, fmt: Any) -> None:
    # merge_range writes through write(), which would honour the workbook's formula options; write the
    # merged area blank and then put the text with write_string so it is text by construction.
    ws.merge_range(row, first, row, last, "", fmt)
    put_text(ws, row, first, text, fmt)


def write_branch_list(result: BranchResult, path: Path, lang: Lang = "zh") -> None:
    """Write ``result``'s rectification list to ``path`` (xlsx), atomically."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {**WORKBOOK_OPTIONS, "in_memory": True})
        try:
            _build(wb, result, lang)
        except BaseException:
            # close() releases xlsxwriter's own temp files; its output is discarded by atomic_path, and
            # an error it raises must not hide the one that got us here.
            with contextlib.suppress(Exception):
                wb.close()
            raise
        wb.close()


def _build(wb: Any, result: BranchResult, lang: Lang) -> None:
    ident = result.identity
    fmt = _Formats(wb)
    ws = wb.add_worksheet(label("title_suffix", lang))
    widths = [w for _, w in COLUMNS]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    value_width = sum(widths[_LABEL_LAST_COL + 1 :])

    title = (
        f"{ident.branch_name} — {label('title_suffix', lang)}"
        if lang == "en"
        else f"{ident.branch_name}{label('title_suffix', lang)}"
    )
    _merged_text(ws, 0, 0, _LAST_COL, title, fmt.title)
    ws.set_row(0, 30)

    header: list[tuple[str, str | float]] = [
        ("branch_name", ident.branch_name),
        ("branch_id", ident.branch_id),
        ("general_branch", ident.general_branch or label("none", lang)),
        ("branch_type", ident.branch_type),
        ("secretary", ident.secretary),
        ("assessment_year", str(ident.assessment_year)),
        ("grade", grade_text(result, lang)),
        ("total", result.total),
        ("scores", _scores_line(result, lang)),
    ]
    row = 1
    for key, value in header:
        _merged_text(ws, row, 0, _LABEL_LAST_COL, label(key, lang), fmt.label)
        if isinstance(value, str):
            _merged_text(ws, row, _LABEL_LAST_COL + 1, _LAST_COL, value, fmt.value)
            ws.set_row(row, row_height([(value, value_width)]))
        else:
            ws.merge_range(row, _LABEL_LAST_COL + 1, row, _LAST_COL, "", fmt.number)
            ws.write_number(row, _LABEL_LAST_COL + 1, value, fmt.number)
        row += 1

    row += 1  # one blank row between the header block and the table
    head_row = row
    for i, (key, _) in enumerate(COLUMNS):
        put_text(ws, head_row, i, label(key, lang), fmt.head)
    ws.set_row(head_row, 20)
    ws.repeat_rows(head_row)
    row += 1

    if not result.items:
        _merged_text(ws, row, 0, _LAST_COL, label("no_items", lang), fmt.empty)
        ws.set_row(row, 24)
    else:
        first_item = row
        default_status = label(STATUS_CHOICES[0], lang)
        for n, item in enumerate(result.items, start=1):
            values = {
                "indicator": _indicator_name(result, item, lang),
                "problem": problem_text(item.message.get(lang), item.evidence, lang),
                "basis": source_text(item.source),
                "measure": item.rectification.get(lang),
                "owner": item.owner.get(lang) if item.owner else "",
            }
            ws.write_number(row, _COL["no"], n, fmt.center)
            put_text(ws, row, _COL["code"], item.code, fmt.center)
            for key, text in values.items():
                put_text(ws, row, _COL[key], text, fmt.cell)
            if item.deadline is not None:
                ws.write_datetime(row, _COL["deadline"], _as_datetime(item.deadline), fmt.date)
            else:
                ws.write_blank(row, _COL["deadline"], None, fmt.date)
            put_text(ws, row, _COL["rect_status"], default_status, fmt.input_center)
            ws.write_blank(row, _COL["completion"], None, fmt.input)
            ws.set_row(row, row_height([(values[k], widths[_COL[k]]) for k in _WRAPPED if k in values]))
            row += 1
        col = _COL["rect_status"]
        ws.data_validation(
            first_item,
            col,
            row - 1,
            col,
            {
                "validate": "list",
                "source": [label(k, lang) for k in STATUS_CHOICES],
                "error_title": label("rect_status", lang),
                "error_message": " / ".join(label(k, lang) for k in STATUS_CHOICES),
            },
        )

    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_header(f"&C{_header_escape(title)}")
    ws.set_footer(f"&C{label('page_footer', lang)}")
    ws.print_area(0, 0, max(row - 1, head_row + 1), _LAST_COL)


def _as_datetime(d: date) -> datetime:
    return d if isinstance(d, datetime) else datetime.combine(d, time())
