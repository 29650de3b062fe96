"""The cells of a register row, as a mapping that makes each ``Evidence`` only when it is asked for.

A workbook's registers hold one to three thousand cells, and every record must be able to name each of
its cells (``Record.cells``), yet the facts cite only about one in six. Building an ``Evidence`` per cell
up front was the largest cost of validating a workbook; here a row keeps what names its cells — the
columns it shares with every other row of its register, its row number and its raw values — and a cell's
``Evidence`` is made on first access and then kept, so the same cell always gives the same object.

The values are exactly those an eager build would give: the cell in A1 style and the value as shown
(``display_value``, '' for an empty cell).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload

from engine.validate.build import evidence
from engine.validate.parse import display_value
from schemas.common import Evidence
from schemas.raw import CellValue

__all__ = ["Columns", "RowCells"]

T = TypeVar("T")


class Columns:
    """What every row of one register shares: file, sheet, and each field's place.

    ``places`` maps a field name to its position in a row's ``values`` and its column letters.
    """

    __slots__ = ("file", "places", "sheet")

    def __init__(self, file: str, sheet: str, places: dict[str, tuple[int, str]]) -> None:
        self.file = file
        self.sheet = sheet
        self.places = places

    def __repr__(self) -> str:
        return f"Columns({self.file!r}, {self.sheet!r}, {self.places!r})"


class RowCells(Mapping[str, Evidence]):
    """field name -> the ``Evidence`` of its cell on spreadsheet row ``number`` (1-based)."""

    __slots__ = ("_columns", "_made", "_number", "_values")

    def __init__(self, columns: Columns, number: int, values: Sequence[CellValue]) -> None:
        self._columns = columns
        self._number = number
        self._values = values
        self._made: dict[str, Evidence] | None = None  # the Evidence given out so far

    def __getitem__(self, name: str) -> Evidence:
        made = self._made
        if made is not None:
            found = made.get(name)
            if found is not None:
                return found
        return self._make(name)  # KeyError for a field the row has no cell for

    @overload
    def get(self, name: str, /) -> Evidence | None: ...

    @overload
    def get(self, name: str, /, default: Evidence | T) -> Evidence | T: ...

    def get(self, name: str, /, default: Any = None) -> Any:
        # __getitem__ again, not a call to it: the facts ask for a cell this way hundreds of times a branch
        made = self._made
        if made is not None:
            found = made.get(name)
            if found is not None:
                return found
        return self._make(name) if name in self._columns.places else default

    def _make(self, name: str) -> Evidence:
        columns = self._columns
        index, letters = columns.places[name]
        shown = display_value(self._values[index])
        built = evidence(columns.file, columns.sheet, f"{letters}{self._number}", shown)
        if self._made is None:
            self._made = {name: built}
        else:
            self._made[name] = built
        return built

    def __contains__(self, name: object) -> bool:
        return name in self._columns.places

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns.places)

    def __len__(self) -> int:
        return len(self._columns.places)

    def __repr__(self) -> str:
        return f"RowCells({dict(self)!r})"
