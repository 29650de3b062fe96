"""Printing a worksheet as it is handed out: A4 landscape, one page wide, the table's header rows on every
page, a page header saying whose figures these are and a page number in the footer.

Any workbook branchgrade writes through xlsxwriter can use it (the summary does, sheet by sheet, after its
content): :func:`apply_page_setup` declares the page setup of one worksheet; :class:`PrintHeading` is what
the page header names — the college, the grading profile, the round and the date — and
:func:`page_header` / :func:`page_footer` give the header and footer strings for a writer that fills its
sheet XML itself (the 整改清单). Texts the user typed (a college's name) are escaped, so an ``&`` prints as
typed rather than as a control code, and clipped so the header stays within Excel's 255 characters — a
longer one is dropped by xlsxwriter and by Excel, leaving a page that names nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.export._ooxml import utf16_len
from engine.export.i18n import label
from schemas.common import Lang

__all__ = [
    "A4",
    "MAX_HEADER_CHARS",
    "PrintHeading",
    "apply_page_setup",
    "header_escape",
    "page_footer",
    "page_header",
]

A4 = 9  # the paper size's code in SpreadsheetML
MAX_HEADER_CHARS = 255  # Excel's limit on a header or footer string, control codes included
_PART_CHARS = 60  # a college's or profile's name beyond this is clipped (the three parts share one line)
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]+")
# The sheet's own name, as the header's centre shows it (&A: the tab's name, whatever it is translated to).
_SHEET_NAME = "&A"


@dataclass(frozen=True)
class PrintHeading:
    """What every printed page names: the college, the grading profile (its title), the grading round
    and the date of the figures. Any of them may be missing; the header then leaves it out."""

    college: str | None = None
    profile: str | None = None
    round_name: str | None = None
    on: date | None = None


def header_escape(text: str, limit: int = _PART_CHARS) -> str:
    """``text`` for a header or footer: on one line, clipped to ``limit`` characters (saying so with …),
    every ``&`` doubled (Excel reads ``&`` as the start of a control code such as ``&P``)."""
    text = _CONTROLS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("&", "&&")


def page_header(heading: PrintHeading | None, lang: Lang = "zh") -> str:
    """The page header: the college and the sheet's name on the left, the profile in the centre, the round
    and the date on the right — e.g. ``&L娄底职业技术学院　&A&C…分类定级&R年终自查　2012-12-10``."""
    heading = heading or PrintHeading()
    gap = "  " if lang == "en" else "　"
    left = gap.join(p for p in (heading.college and header_escape(heading.college), _SHEET_NAME) if p)
    centre = header_escape(heading.profile) if heading.profile else ""
    right = gap.join(
        p
        for p in (
            heading.round_name and header_escape(heading.round_name),
            heading.on and heading.on.isoformat(),
        )
        if p
    )
    text = f"&L{left}" + (f"&C{centre}" if centre else "") + (f"&R{right}" if right else "")
    if utf16_len(text) > MAX_HEADER_CHARS:  # only with names far beyond any real one: keep the sheet's
        text = f"&L{_SHEET_NAME}"
    return text


def page_footer(lang: Lang = "zh") -> str:
    """The footer: the page's number and the count of pages (第 1 页，共 3 页)."""
    return f"&C{label('page_footer', lang)}"


def apply_page_setup(
    ws: Any,
    heading: PrintHeading | None = None,
    lang: Lang = "zh",
    *,
    header_rows: int = 1,
    one_page: bool = False,
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.7, 0.6),
) -> None:
    """Declare ``ws``'s (an xlsxwriter worksheet's) page setup: A4 landscape, one page wide (and one page
    tall when ``one_page``), the first ``header_rows`` rows repeated on every page (none when 0), the page
    header of ``heading`` and page numbers in the footer. ``margins`` are left, right, top and bottom, in
    inches (the header and footer sit 0.3 inch from the edge)."""
    ws.set_paper(A4)
    ws.set_landscape()
    ws.fit_to_pages(1, 1 if one_page else 0)
    left, right, top, bottom = margins
    ws.set_margins(left=left, right=right, top=top, bottom=bottom)
    if header_rows > 0:
        ws.repeat_rows(0, header_rows - 1)
    ws.set_header(page_header(heading, lang))
    ws.set_footer(page_footer(lang))
