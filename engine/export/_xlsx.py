"""Shared xlsxwriter plumbing for the branch list and the summary workbook.

Two concerns live here so neither writer can get them wrong on its own:

* **Text stays text.** Workbooks are opened with ``strings_to_formulas``/``strings_to_urls``/
  ``strings_to_numbers`` all off, and every text goes through :func:`put_text`, i.e. ``write_string``, so a
  message a branch typed as ``=HYPERLINK(…)``, ``+1+1``, ``-1``, ``@SUM(1)`` or ``\\t=1`` is stored as a
  string cell whichever route it takes (Excel and WPS evaluate a cell written as a formula, and a leading
  ``=``, ``+``, ``-`` or ``@`` typed into a text is read as one).
* **The stamp.** Every workbook branchgrade writes as an output (not the blank template, which users fill
  and send back) carries the custom document property :data:`STAMP_PROPERTY` = ``<kind> <version>``
  (:func:`output_stamp`), by which branchgrade tells its own outputs from the forms in an input folder.
* **Widths and heights for Chinese.** xlsxwriter's ``autofit`` undercounts CJK characters and no writer
  computes wrapped row heights, so both are estimated here from east-asian widths (a CJK character is
  two units wide).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from importlib.metadata import version
from typing import Any

__all__ = [
    "MAX_CELL_CHARS",
    "STAMP_PROPERTY",
    "WORKBOOK_OPTIONS",
    "clip",
    "output_stamp",
    "put_text",
    "row_height",
    "text_width",
]

WORKBOOK_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

STAMP_PROPERTY = "branchgrade.output"


@functools.cache
def output_stamp(kind: str) -> str:
    """The stamp's value for an output of ``kind`` (整改清单, 汇总): the kind and branchgrade's version."""
    return f"{kind} {version('branchgrade')}"


# Excel's hard limit on the characters of one cell; xlsxwriter would truncate silently and return -2.
MAX_CELL_CHARS = 32767

# Points per wrapped line at the default 11-pt font; CJK glyphs need a little more than Latin ones.
LINE_HEIGHT = 15.0


def clip(text: str) -> str:
    """Keep within Excel's cell limit, saying so, so hostile or runaway text can't break the file."""
    if len(text) <= MAX_CELL_CHARS:
        return text
    return text[: MAX_CELL_CHARS - 1] + "…"


def put_text(ws: Any, row: int, col: int, text: str, fmt: Any = None) -> None:
    """Write ``text`` as a string cell, never a formula, URL or number."""
    ws.write_string(row, col, clip(text), fmt)


class _Widths(dict[str, int]):
    """Display width per character (2 for east-asian wide/full-width, else 1), looked up once each: a
    branch list measures a few thousand characters, nearly all from a small set of Chinese ones."""

    def __missing__(self, ch: str) -> int:
        width = self[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return width


_width_of = _Widths().__getitem__


def _line_width(line: str) -> int:
    return len(line) if line.isascii() else sum(map(_width_of, line))


def text_width(text: str) -> int:
    """Display width (Excel column units, roughly) of the longest line of ``text``."""
    if not text:
        return 0
    return max(map(_line_width, text.split("\n")))


def _count_lines(text: str, width: float) -> int:
    usable = max(width - 1, 1.0)  # cell padding eats about a character
    n = 0
    for line in text.split("\n"):
        n += max(1, math.ceil(_line_width(line) / usable))
    return n


# Most texts recur from branch to branch (indicator names, sources, measures, messages): remembering the
# line counts of short ones saves measuring them character by character again. Long texts are measured
# each time, so the cache stays small whatever a form holds.
_CACHED_TEXT_CHARS = 500
_count_lines_cached = functools.lru_cache(maxsize=4096)(_count_lines)


def _lines(text: str, width: float) -> int:
    if len(text) <= _CACHED_TEXT_CHARS:
        return _count_lines_cached(text, width)
    return _count_lines(text, width)


def row_height(cells: list[tuple[str, float]], max_lines: int = 40) -> float:
    """Height for a row whose wrapped cells are ``(text, column width)``; capped so one runaway cell can't
    make a row taller than a page (Excel's own limit is 409 points)."""
    lines = max((_lines(text, width) for text, width in cells), default=1)
    return min(max(lines, 1), max_lines) * LINE_HEIGHT
