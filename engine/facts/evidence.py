"""Evidence helpers: the cells behind a fact, or the sheet when a register is empty."""

from __future__ import annotations

from collections.abc import Iterable

from schemas import form_layout as layout
from schemas.common import Evidence, Text
from schemas.form import BranchForm, Record


def cell(record: Record, *names: str) -> tuple[Evidence, ...]:
    """The first of ``names`` the record has a cell for (records built by hand may have none)."""
    for n in names:
        ev = record.at(n)
        if ev is not None:
            return (ev,)
    return ()


def cells(records: Iterable[Record], *names: str) -> tuple[Evidence, ...]:
    if len(names) == 1:
        # The common case (a register's date column), on every row of every register: skip the
        # per-record tuple that ``cell`` builds.
        name = names[0]
        return tuple(ev for r in records if (ev := r.cells.get(name)) is not None)  # Record.at, inlined
    out: list[Evidence] = []
    for r in records:
        out.extend(cell(r, *names))
    return tuple(out)


def sheet_evidence(form: BranchForm, sheet: layout.SheetSpec) -> tuple[Evidence, ...]:
    """The sheet itself, for facts about a whole (often empty) register."""
    ev = form.sheet_cells.get(sheet.name)
    if ev is None:
        ev = next((form.sheet_cells[a] for a in sheet.aliases if a in form.sheet_cells), None)
    return (ev,) if ev is not None else (Evidence(file=form.file, sheet=sheet.name),)


def detail(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)
