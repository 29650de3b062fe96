"""The public notice workbook (公示名单): a round's branches by grade, the notice period and where
objections go, laid out to print on one A4 page per 50 branches.

One sheet: a title, the notice text (the period in working days, where to send objections), then one
table of every branch — 等次, 序号, 支部编号, 支部名称, 上级党组织 — best grade first, then by general
branch and branch ID. Printed A4 portrait, one page wide, the table's header on every page, and a page
break after every 50 branches; row heights are fixed so that 50 rows and the header fit one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import engine.notice.texts  # noqa: F401 - registers the notice labels
from engine.export.i18n import label
from schemas.common import Lang

__all__ = ["NOTICE_KIND", "PER_PAGE", "NoticeRow", "write_notice"]

NOTICE_KIND = "公示名单"  # the stamp's kind, whatever the language
PER_PAGE = 50  # branches on one printed page
A4 = 9  # SpreadsheetML's paper code
# Points. A4 portrait is 842 pt tall; within 0.6-inch margins and the footer about 740 pt are left. The
# title, the text, the header and 50 rows of 10-pt text take 24 + 60 + 16 + 50 × 12.75 = 737.5 pt, printed at
# 80% (590 pt), so 50 rows always fit a page and the page breaks, not the paper, decide where pages end.
# (A fit-to-page scale would make Excel ignore the page breaks.) The columns, 88 characters (about 470 pt
# at 10 pt, 376 pt at 80%), fit the page's 523 pt width.
_TITLE_HEIGHT, _TEXT_HEIGHT, _HEAD_HEIGHT, _ROW_HEIGHT = 24, 60, 16, 12.75
_SCALE = 80
_COLUMNS = (("grade", 10), ("no", 6), ("branch_id", 12), ("branch_name", 34), ("general_branch", 26))


@dataclass(frozen=True)
class NoticeRow:
    """One branch as the notice shows it (texts in the notice's language)."""

    grade_rank: int  # the grade's place, best first
    grade: str
    branch_id: str
    branch_name: str
    general_branch: str


def _day(d: date, lang: Lang) -> str:
    return d.isoformat() if lang == "en" else f"{d.year}年{d.month}月{d.day}日"


def notice_lines(
    round_name: str, first: date, last: date, days: int, contact: str, count: int, lang: Lang
) -> tuple[str, str]:
    """The notice's title and its text, in ``lang``."""
    title = label("nt_title", lang, round=round_name)
    text = label(
        "nt_text", lang, n=count, first=_day(first, lang), last=_day(last, lang), days=days, contact=contact
    )
    return title, text


def write_notice(
    path: Path,
    rows: Sequence[NoticeRow],
    title: str,
    text: str,
    lang: Lang = "zh",
) -> int:
    """Write the notice workbook to ``path`` (atomically); returns the number of printed pages the table
    takes (one per ``PER_PAGE`` branches)."""
    import xlsxwriter

    from engine.export._xlsx import STAMP_PROPERTY, WORKBOOK_OPTIONS, output_stamp, put_text
    from engine.export.atomic import atomic_path

    ordered = sorted(rows, key=lambda r: (r.grade_rank, r.general_branch, r.branch_id))
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_custom_property(STAMP_PROPERTY, output_stamp(NOTICE_KIND))
        heading = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        para = wb.add_format({"text_wrap": True, "valign": "top", "font_size": 10})
        head = wb.add_format(
            {"bold": True, "border": 1, "align": "center", "bg_color": "#F2F2F2", "font_size": 10}
        )
        cell = wb.add_format({"border": 1, "valign": "vcenter", "font_size": 10})
        ws = wb.add_worksheet(label("nt_sheet", lang))
        last_col = len(_COLUMNS) - 1
        ws.merge_range(0, 0, 0, last_col, "", heading)
        put_text(ws, 0, 0, title, heading)
        ws.set_row(0, _TITLE_HEIGHT)
        ws.merge_range(1, 0, 1, last_col, "", para)
        put_text(ws, 1, 0, text, para)
        ws.set_row(1, _TEXT_HEIGHT)
        header_row = 2
        ws.set_row(header_row, _HEAD_HEIGHT)
        for c, (key, width) in enumerate(_COLUMNS):
            ws.set_column(c, c, width)
            put_text(ws, header_row, c, label(key, lang), head)
        for k, r in enumerate(ordered):
            row = header_row + 1 + k
            ws.set_row(row, _ROW_HEIGHT)
            put_text(ws, row, 0, r.grade, cell)
            ws.write_number(row, 1, k + 1, cell)
            put_text(ws, row, 2, r.branch_id, cell)
            put_text(ws, row, 3, r.branch_name, cell)
            put_text(ws, row, 4, r.general_branch, cell)
        pages = max(1, -(-len(ordered) // PER_PAGE))
        # page setup: A4 portrait, one page wide, the table's header repeated, a break every 50 branches
        ws.set_paper(A4)
        ws.set_portrait()
        ws.set_print_scale(_SCALE)
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.repeat_rows(header_row, header_row)
        ws.set_h_pagebreaks([header_row + 1 + PER_PAGE * p for p in range(1, pages)])
        ws.set_footer(f"&C{label('nt_footer', lang)}")
        ws.print_area(0, 0, header_row + max(1, len(ordered)), last_col)
        wb.close()
    return pages
