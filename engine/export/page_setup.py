"""Printing a worksheet as it is handed out: A4 landscape, one page wide, the table's header rows on every
page, a page header saying whose figures these are and a page number in the footer.

Every workbook branchgrade hands out prints through here, whichever library writes it: a :class:`PageSetup`
says how one sheet prints (A4, its orientation, one page wide, the rows repeated on every page, the header
and the footer, margins, centring) and declares it on an xlsxwriter worksheet (:meth:`PageSetup.xlsxwriter`:
the summary, sheet by sheet, and the 整改清单, whose fixed parts engine/export/parts/generate.py declares with
xlsxwriter once) or an openpyxl one (:meth:`PageSetup.openpyxl`: the blank template).
:func:`apply_page_setup` is the summary's page (landscape, its header rows, the header of a
:class:`PrintHeading` — the college, the grading profile, the round and the date); :func:`page_header` /
:func:`page_footer` give the header and footer strings, and :func:`title_header` a header that names one
title in the centre (the 整改清单's branch). Texts the user typed (a college's name) are escaped, so an ``&``
prints as typed rather than as a control code, and clipped so the header stays within Excel's 255
characters — a longer one is dropped by xlsxwriter and by Excel, leaving a page that names nobody.
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
    "PageSetup",
    "PrintHeading",
    "apply_page_setup",
    "header_escape",
    "page_footer",
    "page_header",
    "sections",
    "title_header",
]

A4 = 9  # the paper size's code in SpreadsheetML
SUMMARY_MARGINS = (0.4, 0.4, 0.7, 0.6)  # left, right, top, bottom (inches): room for the header's line
_HEADER_FOOTER_MARGIN = 0.3  # the header and footer sit this far from the paper's edge
_TITLE_CHARS = 200  # a title header's text beyond this is cut (the header's codes need the rest)
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


def title_header(title: str) -> str | None:
    """A header naming ``title`` in the centre of every page (the 整改清单's branch), every ``&`` doubled so
    it prints as typed; None — no header — when Excel would drop it anyway: longer than its 255 characters,
    or holding an image placeholder (``&G``) with no image to show."""
    text = f"&C{title.replace('&', '&&')[:_TITLE_CHARS]}".replace("&[Picture]", "&G")
    return None if utf16_len(text) > MAX_HEADER_CHARS or "&G" in text else text


@dataclass(frozen=True)
class PageSetup:
    """How one sheet prints: A4, landscape or portrait, one page wide (and one tall when ``one_page``), the
    0-based rows ``repeat`` (first, last) on every page, ``header`` and ``footer`` strings (Excel's codes),
    ``margins`` left, right, top and bottom in inches, centred across the page when ``centred``."""

    header: str | None
    footer: str
    landscape: bool = True
    one_page: bool = False
    repeat: tuple[int, int] | None = None
    margins: tuple[float, float, float, float] = SUMMARY_MARGINS
    centred: bool = False

    def xlsxwriter(self, ws: Any) -> None:
        """Declare the page setup on an xlsxwriter worksheet."""
        ws.set_paper(A4)
        if self.landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 1 if self.one_page else 0)
        left, right, top, bottom = self.margins
        ws.set_margins(left=left, right=right, top=top, bottom=bottom)
        if self.centred:
            ws.center_horizontally()
        if self.repeat is not None:
            ws.repeat_rows(*self.repeat)
        if self.header is not None:
            ws.set_header(self.header)
        ws.set_footer(self.footer)

    def openpyxl(self, ws: Any) -> None:
        """Declare the page setup on an openpyxl worksheet."""
        from openpyxl.worksheet.properties import PageSetupProperties

        setup = ws.page_setup
        setup.paperSize = A4
        setup.orientation = "landscape" if self.landscape else "portrait"
        setup.fitToWidth = 1
        setup.fitToHeight = 1 if self.one_page else 0  # 0: as many pages tall as the rows need
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        margins = ws.page_margins
        margins.left, margins.right, margins.top, margins.bottom = self.margins
        margins.header = margins.footer = _HEADER_FOOTER_MARGIN
        ws.print_options.horizontalCentered = self.centred
        if self.repeat is not None:
            first, last = self.repeat
            ws.print_title_rows = f"{first + 1}:{last + 1}"
        for item, text in ((ws.oddHeader, self.header), (ws.oddFooter, self.footer)):
            for key, part in sections(text or "").items():
                getattr(item, _OPENPYXL_SECTIONS[key]).text = part


_OPENPYXL_SECTIONS = {"L": "left", "C": "center", "R": "right"}


def sections(text: str) -> dict[str, str]:
    """The left, centre and right sections (``L``, ``C``, ``R``) of a header or footer string
    (``&L…&C…&R…``), each with its codes as written (``&&`` stays an escaped ``&``)."""
    found: dict[str, str] = {}
    key: str | None = None
    i = 0
    while i < len(text):
        if text.startswith("&&", i):
            if key is not None:
                found[key] += "&&"
            i += 2
        elif text[i] == "&" and i + 1 < len(text) and text[i + 1] in _OPENPYXL_SECTIONS:
            key = text[i + 1]
            found.setdefault(key, "")
            i += 2
        else:
            if key is not None:
                found[key] += text[i]
            i += 1
    return found


def apply_page_setup(
    ws: Any,
    heading: PrintHeading | None = None,
    lang: Lang = "zh",
    *,
    header_rows: int = 1,
    one_page: bool = False,
    margins: tuple[float, float, float, float] = SUMMARY_MARGINS,
) -> None:
    """Declare ``ws``'s (an xlsxwriter worksheet's) page setup: A4 landscape, one page wide (and one page
    tall when ``one_page``), the first ``header_rows`` rows repeated on every page (none when 0), the page
    header of ``heading`` and page numbers in the footer. ``margins`` are left, right, top and bottom, in
    inches (the header and footer sit 0.3 inch from the edge)."""
    PageSetup(
        header=page_header(heading, lang),
        footer=page_footer(lang),
        one_page=one_page,
        repeat=(0, header_rows - 1) if header_rows > 0 else None,
        margins=margins,
    ).xlsxwriter(ws)
