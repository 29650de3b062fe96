"""What the user named on the command line -> the workbooks it means.

cmd.exe and PowerShell hand ``forms\\*.xlsx`` to the program as typed (no shell expands it), so the CLI
expands patterns itself, on every system alike: ``*``, ``?``, ``[...]`` and ``**`` (any depth). A folder
means every workbook under it, at any depth (``pipeline.find_workbooks``: lock files ``~$x.xlsx`` and
hidden files are not forms). A pattern that matches no workbook, a folder without one and a path that
does not exist are usage errors that say which.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.export.i18n import label
from engine.intake import is_workbook_name
from engine.pipeline import find_workbooks
from schemas.common import Text

__all__ = ["InputError", "Selection", "expand", "is_pattern", "pattern_root"]


class InputError(Exception):
    """A named input that means no workbook; ``text`` says which and why, in both languages."""

    def __init__(self, text: Text) -> None:
        super().__init__(f"{text.zh} / {text.en}")
        self.text = text


@dataclass(frozen=True)
class Selection:
    """The workbooks an argument names, in a stable order, each with the name reports show for it."""

    paths: tuple[Path, ...]
    names: tuple[str, ...]


def is_pattern(arg: str) -> bool:
    """Does ``arg`` hold a wildcard (``*``, ``?`` or ``[``)? Such an argument is expanded, not opened."""
    return glob.escape(arg) != arg


def pattern_root(pattern: str) -> Path:
    """The folder a pattern starts in: its leading parts without a wildcard (``forms/*/a.xlsx`` → forms)."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if is_pattern(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _is_form(path: Path) -> bool:
    return path.is_file() and is_workbook_name(path.name)


def matches(pattern: str) -> list[Path]:
    """The workbooks ``pattern`` matches, sorted by path; ``**`` matches any depth of folders."""
    return sorted(
        (p for p in map(Path, glob.glob(pattern, recursive=True)) if _is_form(p)), key=Path.as_posix
    )


def expand(args: Iterable[str]) -> Selection:
    """The workbooks ``args`` name (files, folders, patterns), each once, in the order given.

    Raises ``InputError`` for the first argument that names nothing: a missing path, a pattern that
    matches no workbook, a folder that holds none."""
    seen: dict[Path, str] = {}
    for arg in args:
        path = Path(arg)
        if path.is_file():
            seen.setdefault(path.resolve(), arg)
            continue
        if is_pattern(arg) and not path.exists():
            found, nothing = matches(arg), _text("u_no_match", pattern=arg)
        elif path.is_dir():
            found, nothing = find_workbooks(path), _text("u_empty_folder", path=arg)
        else:
            raise InputError(_text("u_not_found", paths=arg))
        if not found:
            raise InputError(nothing)
        for p in found:
            seen.setdefault(p.resolve(), p.as_posix())
    return Selection(tuple(seen), tuple(seen.values()))


def _text(key: str, **fmt: object) -> Text:
    return Text(zh=label(key, "zh", **fmt), en=label(key, "en", **fmt))
