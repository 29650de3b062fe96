"""Reading what LibreOffice printed: a PDF's text fragments with their positions, grouped into lines, pages
(a page header, a footer and the lines between) and columns (by where a table's header labels start), so a
test can say that every text of a worksheet's cells was printed whole, in its column, on its sheet's pages.

Used by the print tests (tests/test_summary_print.py, tests/test_template_print.py); they need ``soffice``
and a CJK font (without one LibreOffice prints Chinese as glyphs no text can be read from).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdf
import pytest


def require_cjk_font() -> None:
    """Skip (fail under BRANCHGRADE_REQUIRE_OFFICE=1) without a CJK font LibreOffice can print with."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False).stdout
    if shutil.which("fc-list") is None or not fonts.strip():
        message = (
            "no CJK font: LibreOffice prints Chinese without readable text; install one with "
            "`apt-get install -y --no-install-recommends fonts-noto-cjk`"
        )
        if os.environ.get("BRANCHGRADE_REQUIRE_OFFICE") == "1":
            pytest.fail(message)
        pytest.skip(message)


@dataclass(frozen=True)
class Fragment:
    x: float
    y: float
    size: float
    text: str


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def fragments(page: Any) -> list[Fragment]:
    found: list[Fragment] = []

    def visit(text: str, cm: Any, tm: Any, _font: Any, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append(Fragment(x, y, abs(size * tm[3] * cm[3]) or size, text))

    page.extract_text(visitor_text=visit)
    return found


def lines(found: list[Fragment]) -> list[list[Fragment]]:
    """Fragments grouped into printed lines, top to bottom, each left to right (a line's Latin and CJK runs
    sit on slightly different baselines)."""
    out: list[list[Fragment]] = []
    for f in sorted(found, key=lambda f: -f.y):
        if out and out[-1][0].y - f.y < 0.45 * max(f.size, out[-1][0].size):
            out[-1].append(f)
        else:
            out.append([f])
    return [sorted(line, key=lambda f: f.x) for line in out]


@dataclass
class Page:
    number: int
    sheet: str
    header: str
    footer: str
    body: list[list[Fragment]]  # the lines between the page header and footer

    def text(self) -> str:
        return "".join(norm(f.text) for line in self.body for f in line)


def printed_pages(pdf: Path) -> list[Page]:
    """Every page of ``pdf``: its first line is the page header, its last the footer (``sheet`` left blank
    for the caller to tell from the header)."""
    pages = []
    for number, page in enumerate(pypdf.PdfReader(pdf).pages, start=1):
        found = lines(fragments(page))
        header = "".join(f.text for f in found[0])
        footer = "".join(f.text for f in found[-1])
        pages.append(Page(number, "", header, footer, found[1:-1]))
    return pages


def column_starts(page: Page, labels: list[str]) -> list[float] | None:
    """Where each of ``labels`` starts on ``page``, when one printed line holds them all in order (a label
    wrapped onto more lines starts with its first)."""
    for line in page.body:
        starts: list[float] = []
        for label in labels:
            x = next(
                (
                    f.x
                    for f in line
                    if (not starts or f.x > starts[-1]) and norm(label).startswith(norm(f.text))
                ),
                None,
            )
            if x is None:
                break
            starts.append(x)
        else:
            return starts
    return None


def _printed_width(text: str, size: float) -> float:
    """About how wide ``text`` prints at ``size`` points: a wide (CJK) character a full em, others half."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size / 2 for ch in text)


def column_edges(page: Page, labels: list[str], widths: list[float]) -> list[float] | None:
    """Where each column starts on ``page``, for a header row of ``labels`` printed centred in columns
    ``widths`` wide (the sheet's units): the labels' centres, found on one printed line, fix the scale and
    the table's left edge, and so every column's edge. None when no line holds every label in order."""
    for line in page.body:
        centres: list[tuple[float, float]] = []  # (column centre in units, label centre on paper)
        left = 0.0
        last_x = -1.0
        for label, width in zip(labels, widths, strict=True):
            f = next((f for f in line if f.x > last_x and norm(label).startswith(norm(f.text))), None)
            if f is None:
                break
            last_x = f.x
            centres.append((left + width / 2, f.x + _printed_width(f.text.strip(), f.size) / 2))
            left += width
        else:
            n = len(centres)
            mean_u = sum(u for u, _ in centres) / n
            mean_x = sum(x for _, x in centres) / n
            spread = sum((u - mean_u) ** 2 for u, _ in centres)
            scale = sum((u - mean_u) * (x - mean_x) for u, x in centres) / spread
            origin = mean_x - scale * mean_u
            edges, left = [], 0.0
            for width in widths:
                edges.append(origin + scale * left)
                left += width
            return edges
    return None


def column_lines(page: Page, starts: list[float]) -> list[list[tuple[int, str]]]:
    """Each printed line of ``page`` as its fragments' (column, text), the column told by where the columns
    start; text left of the first column is left out."""
    out = []
    for line in page.body:
        placed = []
        for f in line:
            col = max((k for k, x in enumerate(starts) if x <= f.x + 0.5), default=None)
            if col is not None:
                placed.append((col, norm(f.text)))
        out.append(placed)
    return out


def column_streams(pages: Iterable[Page], starts: list[float]) -> dict[int, str]:
    """The text printed in each column (by where the columns start), page after page, top to bottom: a
    wrapped cell's lines follow one another in its column's stream."""
    streams: dict[int, list[str]] = defaultdict(list)
    for page in pages:
        for line in column_lines(page, starts):
            for col, text in line:
                streams[col].append(text)
    return {col: "".join(texts) for col, texts in streams.items()}


def cell_texts(ws: Any) -> Iterable[tuple[Any, str]]:
    """Every cell of ``ws`` holding text (a date as it prints, ISO), with that text."""
    for row in ws.iter_rows():
        for c in row:
            value = c.value
            if isinstance(value, datetime):
                value = value.date().isoformat()
            if isinstance(value, str) and norm(value):
                yield c, value
