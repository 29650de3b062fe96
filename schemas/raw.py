"""What the ingest stage hands on: cell values exactly as read, with their addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from schemas.common import Finding

CellValue = str | int | float | bool | date | datetime | time | timedelta | None
# merged areas that span rows: ((first row, first column), (last row, last column)), 0-based, inclusive
MergedAreas = tuple[tuple[tuple[int, int], tuple[int, int]], ...]


@dataclass(frozen=True)
class RawSheet:
    """One sheet as a rectangle of values; ``rows[r][c]`` is the cell at row r+1, column c+1."""

    name: str
    rows: list[list[CellValue]]
    hidden: bool = False
    merged: MergedAreas = ()  # only those spanning rows: a register's cell may cover several records


@dataclass(frozen=True)
class RawWorkbook:
    """A workbook that could be opened, or the problems that stopped it from being read.

    ``file`` is the name shown to users (relative to the batch folder); ``sha256`` is the input's hash
    for the run manifest. ``problems`` holds ``IN-`` findings raised while reading (unreadable file,
    encryption, limits); when any of them is an error, ``sheets`` is empty.
    """

    file: str
    sha256: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    problems: tuple[Finding, ...] = ()
