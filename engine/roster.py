"""The college's branch roster (支部花名册): who should have submitted a grading workbook.

A roster is a simple table — an .xlsx (read by the ingest stage, with its safety checks) or a .csv (UTF-8
with or without BOM, or GBK as Chinese Excel saves it) — with the columns 支部编号, 支部名称, 所属党总支
and optionally 支部类型, found by their header labels wherever the header row is. Branch ids are compared
normalised (:func:`normalise_id`: trimmed, full-width → half-width, upper case), so ``jd-01`` and
``ＪＤ－０１`` on the roster match ``JD-01`` in a workbook.

A roster that cannot be used (unreadable, a column missing, an id twice or a row without an id) raises
:class:`RosterError` with every problem found, each an IN- finding located by file, row and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from engine.export._xlsx import WORKBOOK_OPTIONS
from engine.export.atomic import atomic_path
from engine.ingest import read_workbook
from schemas.common import Evidence, Finding, Severity
from schemas.form_layout import BRANCH_TYPES
from schemas.problems import make_problem
from schemas.raw import CellValue

__all__ = [
    "COLUMNS",
    "MAX_CSV_BYTES",
    "Roster",
    "RosterCheck",
    "RosterEntry",
    "RosterError",
    "compare",
    "normalise_id",
    "read_roster",
    "write_roster_template",
]

MAX_CSV_BYTES = 20 * 1024 * 1024  # a roster of 10,000 branches is well under 1 MB
HEADER_ROWS = 20  # the header row is looked for this far down (a title row or two may come first)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    required: bool
    aliases: tuple[str, ...]
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("branch_id", "支部编号", "Branch ID", True, ("编号", "支部代码", "党支部编号"), "JD-01"),
    Column("branch_name", "支部名称", "Branch name", True, ("党支部名称", "名称"), "机电工程学院教工党支部"),
    Column(
        "general_branch",
        "所属党总支",
        "General branch",
        True,
        ("上级党组织", "上级党总支", "党总支", "所属总支"),
        "机电工程学院党总支",
    ),
    Column("branch_type", "支部类型", "Branch type", False, ("类型",), "教工"),
)


def normalise_id(value: str) -> str:
    """A branch id as compared: NFKC (full-width letters, digits, hyphens and spaces → half-width), trimmed,
    upper case."""
    return unicodedata.normalize("NFKC", value).strip().upper()


def _header_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("*", "").replace(" ", "").strip()


_BY_LABEL = {_header_key(name): col for col in COLUMNS for name in (col.zh, *col.aliases)}


@dataclass(frozen=True)
class RosterEntry:
    branch_id: str  # as written on the roster
    branch_name: str
    general_branch: str
    branch_type: str
    row: int  # 1-based, as the spreadsheet numbers it

    @property
    def key(self) -> str:
        return normalise_id(self.branch_id)


@dataclass(frozen=True)
class Roster:
    file: str  # the path as given
    sha256: str
    entries: tuple[RosterEntry, ...]


@dataclass(frozen=True)
class RosterCheck:
    """A batch against its roster: the roster branches graded, those that submitted nothing (缺交), and
    the graded branches the roster does not list (branch id, file)."""

    expected: int
    graded: int
    missing: tuple[RosterEntry, ...]
    unknown: tuple[tuple[str, str], ...]


class RosterError(Exception):
    """The roster cannot be used; ``problems`` are every IN- finding, located."""

    def __init__(self, problems: Sequence[Finding]) -> None:
        super().__init__("; ".join(p.render("en") for p in problems))
        self.problems = tuple(problems)


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number: 1001, not 1001.0
    return str(value).strip()


def _col_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def read_roster(path: Path) -> Roster:
    """Read the roster at ``path`` (.xlsx/.xlsm/.xls/.ods or .csv). Raises ``RosterError``."""
    file = str(path)
    where = Evidence(file=file)
    if not path.is_file():
        raise RosterError([_unreadable(where, "找不到该文件", "the file does not exist")])
    if path.suffix.lower() in (".csv", ".txt"):
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RosterError(
                [_unreadable(where, f"无法打开（{exc.strerror}）", f"cannot open ({exc.strerror})")]
            ) from None
        sha256 = hashlib.sha256(data).hexdigest()
        tables = [(path.stem, _csv_rows(data, where))]  # Excel names a CSV's one sheet after the file
    else:
        raw = read_workbook(path, file)
        if any(p.severity is Severity.ERROR for p in raw.problems):
            raise RosterError(raw.problems)
        sha256 = raw.sha256
        tables = [(name, sheet.rows) for name, sheet in raw.sheets.items() if not sheet.hidden]
    return Roster(file, sha256, _entries(file, tables))


def _csv_rows(data: bytes, where: Evidence) -> list[list[CellValue]]:
    if len(data) > MAX_CSV_BYTES:
        raise RosterError(
            [
                make_problem(
                    "IN-03",
                    where,
                    what="花名册文件大小",
                    what_en="the roster's size",
                    actual=len(data),
                    limit=MAX_CSV_BYTES,
                )
            ]
        )
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 (with or without BOM), else GBK as Chinese Excel saves
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any bytes; kept for a future stricter codec
        raise RosterError([_unreadable(where, "既不是 UTF-8 也不是 GBK 编码", "neither UTF-8 nor GBK text")])
    if "\x00" in text:
        raise RosterError([_unreadable(where, "不是文本文件", "it is not a text file")])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def _unreadable(where: Evidence, zh: str, en: str) -> Finding:
    return make_problem("IN-18", where, reason=zh, reason_en=en)


def _find_header(rows: list[list[CellValue]]) -> tuple[int, dict[str, int]] | None:
    """The header row (0-based) and column of each known label: the first row naming 支部编号."""
    for r, row in enumerate(rows[:HEADER_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            col = _BY_LABEL.get(_header_key(_text(value)))
            if col is not None:
                found.setdefault(col.key, c)
        if "branch_id" in found:
            return r, found
    return None


def _entries(file: str, tables: list[tuple[str, list[list[CellValue]]]]) -> tuple[RosterEntry, ...]:
    found = next(((sheet, rows, h) for sheet, rows in tables if (h := _find_header(rows)) is not None), None)
    if found is None:
        sheet = tables[0][0] if tables else ""
        raise RosterError([_missing_column(file, sheet, COLUMNS[0], None)])
    sheet, rows, (head, columns) = found
    problems = [
        _missing_column(file, sheet, col, head + 1)
        for col in COLUMNS
        if col.required and col.key not in columns
    ]
    if problems:
        raise RosterError(problems)
    entries: list[RosterEntry] = []
    first_row: dict[str, int] = {}
    id_col = columns["branch_id"]
    for r in range(head + 1, len(rows)):
        row = rows[r]
        values = {key: _text(row[c]) if c < len(row) else "" for key, c in columns.items()}
        if not any(values.values()):
            continue  # an empty row
        cell = Evidence(
            file=file, sheet=sheet or None, cell=f"{_col_name(id_col)}{r + 1}", value=values["branch_id"]
        )
        if not values["branch_id"]:
            problems.append(make_problem("IN-17", cell, row=r + 1, column=COLUMNS[0].zh))
            continue
        entry = RosterEntry(
            branch_id=values["branch_id"],
            branch_name=values["branch_name"],
            general_branch=values["general_branch"],
            branch_type=values.get("branch_type", ""),
            row=r + 1,
        )
        first = first_row.setdefault(entry.key, r + 1)
        if first != r + 1:
            problems.append(make_problem("IN-16", cell, branch_id=entry.branch_id, first=first, row=r + 1))
            continue
        entries.append(entry)
    if problems:
        raise RosterError(problems)
    if not entries:  # every graded branch would be "off the roster", the completion KPI 0 out of 0
        where = Evidence(file=file, sheet=sheet or None, cell=f"A{head + 2}")
        raise RosterError([_unreadable(where, "表头下没有任何支部", "it lists no branch under its header")])
    return tuple(entries)


def _missing_column(file: str, sheet: str, col: Column, header_row: int | None) -> Finding:
    where = Evidence(file=file, sheet=sheet or None, cell=None if header_row is None else f"A{header_row}")
    searched = f"{header_row}" if header_row is not None else f"1-{HEADER_ROWS}"
    return make_problem("IN-15", where, label=col.zh, label_en=col.en, rows=searched)


def compare(roster: Roster, graded: Iterable[tuple[str, str]]) -> RosterCheck:
    """``graded`` (branch id, file) pairs against ``roster``: who is missing, who is not listed."""
    listed = {entry.key for entry in roster.entries}
    seen: set[str] = set()
    unknown: list[tuple[str, str]] = []
    for branch_id, file in graded:
        key = normalise_id(branch_id)
        if key in listed:
            seen.add(key)
        else:
            unknown.append((branch_id, file))
    missing = tuple(e for e in roster.entries if e.key not in seen)
    return RosterCheck(
        expected=len(roster.entries), graded=len(seen), missing=missing, unknown=tuple(unknown)
    )


def write_roster_template(path: Path) -> None:
    """The blank roster workbook: its headers (required ones marked *), a note on each header with an
    example, a drop-down for 支部类型 and a check that no 支部编号 is entered twice. Written atomically."""
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        ws = wb.add_worksheet("花名册")
        head = wb.add_format({"bold": True, "font_color": "#FFFFFF", "bg_color": "#C00000", "border": 1})
        text = wb.add_format({"num_format": "@"})  # ids stay text: 001 keeps its zeros
        last = 2000
        for c, col in enumerate(COLUMNS):
            ws.write_string(0, c, col.zh + (" *" if col.required else ""), head)
            ws.set_column(c, c, 28 if col.key in ("branch_name", "general_branch") else 14, text)
            ws.write_comment(
                0,
                c,
                f"{col.en}{'（必填）' if col.required else '（选填）'}\n示例：{col.example}",
                {"x_scale": 1.6},
            )
        ws.data_validation(
            1,
            0,
            last,
            0,
            {
                "validate": "custom",
                "value": f"=COUNTIF($A$2:$A${last + 1},A2)=1",
                "error_title": "支部编号重复",
                "error_message": "该支部编号已在花名册中出现，每个支部只列一行。",
            },
        )
        ws.data_validation(1, 3, last, 3, {"validate": "list", "source": list(BRANCH_TYPES)})
        ws.freeze_panes(1, 0)
        wb.close()
