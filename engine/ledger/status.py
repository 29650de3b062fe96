"""Statuses coming back: returned 整改清单 imported as status events, and the college's 整改台账.

A branch fills in its list in Excel, WPS or LibreOffice (整改状态 dropdown, 完成情况, 完成日期) and sends
it back. ``import_lists`` matches each file to the ledger by its stamp (branch and round) and each row
by its item identity, and appends one status event per row — append-only, never an update. A file is
refused whole, with a located message, when it is no list of ours, was written without a round, names
a round the ledger does not hold, or carries an identity that is altered or names another branch. The
same file imported again changes nothing (files are known by their bytes' hash). A row that says
something else than a newer entry for the item (by the time each list was saved), or that reaches an
item a later round has already decided, is kept but flagged as a conflict and changes nothing.

``write_ledger_workbook`` writes the 整改台账: every item of the current rounds, its state, deadline and
whether it is overdue, grouped by general branch, with a sheet of counts per general branch.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

from engine.export.i18n import label
from engine.export.stamp import read_list_stamp
from engine.intake import is_workbook_name
from engine.ledger.record import CLAIMS, DECISIONS
from engine.ledger.store import Ledger, LedgerError, RoundInfo, now_iso
from schemas.common import Evidence, Finding, Lang, Severity
from schemas.problems import make_problem

__all__ = [
    "ImportOutcome",
    "import_lists",
    "list_files",
    "read_returned",
    "state_label",
    "write_ledger_workbook",
]

# The list's column headers this reads, in both languages (engine.export.i18n labels).
_HEADERS = {"item_id": "identity", "rect_status": "status", "completion": "note", "done_date": "done_date"}
_CLAIM_KEYS = {"todo": "st_todo", "doing": "st_doing", "done": "st_done"}
_CORE = "docProps/core.xml"
_MODIFIED = "{http://purl.org/dc/terms/}modified"
_IDENTITY = re.compile(r"(?P<round>\d{4}-[^/]+)/(?P<branch>[^/]+)/(?P<code>[^/]+)")


@dataclass
class ImportOutcome:
    """One file's import: ``state`` is recorded, unchanged (imported before) or refused."""

    file: str
    state: str
    recorded: int = 0
    conflicts: int = 0
    problems: list[Finding] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return self.state == "refused"


def list_files(args: Iterable[Path]) -> list[Path]:
    """The workbooks ``args`` name: files as given, folders searched at any depth (Office's lock files
    ``~$…`` left out), each once, sorted within a folder."""
    out: dict[Path, None] = {}
    for arg in args:
        if arg.is_dir():
            found = (p for p in sorted(arg.rglob("*"), key=Path.as_posix) if p.is_file())
            for p in found:
                if is_workbook_name(p.name) and not p.name.startswith("~$"):
                    out.setdefault(p, None)
        else:
            out.setdefault(arg, None)
    return list(out)


def import_lists(
    led: Ledger, paths: Sequence[Path], names: Sequence[str] | None = None
) -> list[ImportOutcome]:
    """Import each returned list (see the module text); one file's refusal never stops the others."""
    return [
        _import_one(led, p, name) for p, name in zip(paths, names or [p.name for p in paths], strict=True)
    ]


@dataclass(frozen=True)
class _Row:
    identity: str
    status: str
    note: str
    done_date: str | None
    cell: str


def read_returned(path: Path, where: Evidence, problems: list[Finding]) -> bytes | None:
    """The bytes of a returned file (a list, a summary), or None with an ``IN-01`` in ``problems``."""
    try:
        return path.read_bytes()
    except OSError as exc:
        problems.append(make_problem("IN-01", where, reason=exc.strerror or str(exc)))
        return None


def _import_one(led: Ledger, path: Path, name: str) -> ImportOutcome:
    outcome = ImportOutcome(name, "refused")
    where = Evidence(file=name)
    data = read_returned(path, where, outcome.problems)
    if data is None:
        return outcome
    sha = hashlib.sha256(data).hexdigest()
    if led.conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (sha,)).fetchone():
        outcome.state = "unchanged"
        return outcome
    stamp = read_list_stamp(path)
    if stamp is None:
        outcome.problems.append(make_problem("IN-30", where))
        return outcome
    branch, ref = stamp
    if ref is None:
        outcome.problems.append(make_problem("IN-31", where, branch_id=branch))
        return outcome
    try:
        info: RoundInfo | None = led.find_round(ref)
    except LedgerError:
        info = None
    if info is None or info.what_if:  # no list is ever issued for a what-if round (replay --record)
        known = "、".join(r.ref for r in led.rounds() if not r.what_if) or "—"
        outcome.problems.append(make_problem("IN-32", where, round=ref, rounds=known))
        return outcome
    try:
        rows, sheet, warnings = _read_rows(path, name)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        outcome.problems.append(make_problem("IN-01", where, reason=str(exc)))
        return outcome
    outcome.problems += warnings
    items = dict(
        led.conn.execute(
            "SELECT identity, id FROM items WHERE round_id = ? AND branch_id = ?", (info.id, branch)
        ).fetchall()
    )
    for row in rows:
        cell = Evidence(file=name, sheet=sheet, cell=row.cell, value=row.identity)
        match = _IDENTITY.fullmatch(row.identity)
        if match is not None and (match["branch"] != branch or match["round"] != ref):
            outcome.problems.append(make_problem("IN-34", cell, identity=row.identity, branch_id=branch))
        elif row.identity not in items:
            outcome.problems.append(make_problem("IN-33", cell, identity=row.identity, round=ref))
    if any(p.severity is Severity.ERROR for p in outcome.problems):
        return outcome
    as_of = _saved_at(path)
    recorded_at = now_iso()
    with led.write() as conn:
        if conn.execute("SELECT 1 FROM imports WHERE sha256 = ?", (sha,)).fetchone():
            outcome.state = "unchanged"  # imported by another process meanwhile
            return outcome
        for row in rows:
            item_id = items[row.identity]
            conflict = _conflicts(conn, item_id, row, as_of)
            if conflict:
                outcome.conflicts += 1
                outcome.problems.append(
                    make_problem(
                        "IN-37",
                        Evidence(file=name, sheet=sheet, cell=row.cell, value=row.identity),
                        identity=row.identity,
                    )
                )
            conn.execute(
                "INSERT INTO events (item_id, status, note, done_date, source, source_file, source_sha256, "
                "as_of, recorded_at, conflict) VALUES (?, ?, ?, ?, 'import', ?, ?, ?, ?, ?)",
                (item_id, row.status, row.note, row.done_date, name, sha, as_of, recorded_at, int(conflict)),
            )
            outcome.recorded += 1
        conn.execute(
            "INSERT INTO imports (sha256, file, round_id, branch_id, imported_at) VALUES (?, ?, ?, ?, ?)",
            (sha, name, info.id, branch, recorded_at),
        )
    outcome.state = "recorded"
    return outcome


def _conflicts(conn: sqlite3.Connection, item_id: int, row: _Row, as_of: str) -> bool:
    """Does this claim conflict with what the item holds: a later round decided the item already, or a
    newer entry (saved later) says something else?"""
    latest = conn.execute(
        "SELECT status, note, done_date, as_of FROM events WHERE item_id = ? AND conflict = 0 "
        "ORDER BY as_of DESC, seq DESC LIMIT 1",
        (item_id,),
    ).fetchone()
    if latest is None:
        return False
    status, note, done_date, latest_as_of = latest
    if status in DECISIONS:
        return True
    return bool(latest_as_of > as_of and (status, note, done_date) != (row.status, row.note, row.done_date))


def _saved_at(path: Path) -> str:
    """When the list was last saved: its core properties' modified time (Excel, WPS and LibreOffice set
    it), else the file's own time — by which entries for one item are ordered."""
    try:
        with zipfile.ZipFile(path) as package:
            root = ElementTree.fromstring(package.read(_CORE)[:65536])
        node = root.find(_MODIFIED)
        if node is not None and node.text:
            return (
                datetime.fromisoformat(node.text.strip().replace("Z", "+00:00"))
                .astimezone(UTC)
                .isoformat(timespec="seconds")
            )
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def _read_rows(path: Path, name: str) -> tuple[list[_Row], str, list[Finding]]:
    """The item rows of a returned list (those with an identity), its sheet's name, and warnings for
    cells that cannot be read (a status not among the choices, a date that is no date). Read through the
    ingest stage's reader, as every workbook is; a file it cannot read raises ValueError with its
    problems' text."""
    from engine.ingest import read_workbook

    book = read_workbook(path, name)
    errors = [p for p in book.problems if p.severity is Severity.ERROR]
    if errors or not book.sheets:
        raise ValueError("; ".join(p.message.zh for p in errors) or "no sheet")
    sheet = next(iter(book.sheets.values()))
    header_row, columns = _find_header(sheet.rows)
    claims = {label(key, lang): claim for claim, key in _CLAIM_KEYS.items() for lang in ("zh", "en")}
    rows: list[_Row] = []
    warnings: list[Finding] = []
    for r, values in enumerate(sheet.rows[header_row:], start=header_row + 1):
        identity = _cell(values, columns.get("identity"))
        if not identity:
            continue
        status_text = _cell(values, columns.get("status"))
        status = claims.get(status_text)
        if status is None:
            where = Evidence(file=name, sheet=sheet.name, cell=f"{_letter(columns.get('status', 0))}{r}")
            warnings.append(make_problem("IN-35", where, value=status_text or "—", choices="、".join(claims)))
            continue
        date_col = columns.get("done_date")
        raw_date = values[date_col] if date_col is not None and date_col < len(values) else None
        done, bad = _date_of(raw_date)
        if bad and date_col is not None:
            where = Evidence(file=name, sheet=sheet.name, cell=f"{_letter(date_col)}{r}", value=str(raw_date))
            warnings.append(make_problem("IN-36", where, value=str(raw_date)))
        note = _cell(values, columns.get("note"))
        rows.append(_Row(identity, status, note, done, f"{_letter(columns['identity'])}{r}"))
    return rows, sheet.name, warnings


def _find_header(rows: Sequence[Sequence[object]]) -> tuple[int, dict[str, int]]:
    """The header row (1-based) of the item table and the columns this reads, found by their labels."""
    wanted = {label(key, lang): field for key, field in _HEADERS.items() for lang in ("zh", "en")}
    for r, values in enumerate(rows[:40], start=1):
        columns = {
            wanted[v.strip()]: c for c, v in enumerate(values) if isinstance(v, str) and v.strip() in wanted
        }
        if "identity" in columns:
            return r, columns
    raise ValueError("no 事项编号 column / no Item ID column")


def _cell(values: Sequence[object], col: int | None) -> str:
    if col is None or col >= len(values) or values[col] is None:
        return ""
    return str(values[col]).strip()


def _letter(col: int) -> str:
    from engine.export._ooxml import col_name

    return col_name(col)


def _date_of(value: object) -> tuple[str | None, bool]:
    """An ISO date from a 完成日期 cell (a date, or text like 2012-11-30 / 2012/11/30 / 2012年11月30日),
    and whether the cell held something that is no date."""
    if value is None or value == "":
        return None, False
    if isinstance(value, datetime):
        return value.date().isoformat(), False
    if isinstance(value, date):
        return value.isoformat(), False
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat(), False
        except ValueError:
            pass
    return None, True


# --- the 整改台账 ---------------------------------------------------------------------------------------

_STATE_LABELS = {
    None: ("未反馈", "No report"),
    "todo": ("未开始", "Not started"),
    "doing": ("整改中", "In progress"),
    "done": ("已完成（待核验）", "Done (to be verified)"),
    "closed": ("已销号", "Closed"),
    "not_applicable": ("不再适用（销号）", "No longer applicable (closed)"),
    "carried": ("结转下一轮", "Carried over"),
    "ineffective": ("整改未见成效", "Not effective"),
}
assert set(_STATE_LABELS) == {None, *CLAIMS, *DECISIONS}


def state_label(state: str | None, lang: Lang) -> str:
    zh, en = _STATE_LABELS[state]
    return en if lang == "en" else zh


@dataclass(frozen=True)
class LedgerRow:
    general_branch: str
    branch_id: str
    branch_name: str
    round_ref: str
    identity: str
    code: str
    title: str
    deadline: str | None
    state: str | None
    note: str
    done_date: str | None
    evidence: str
    conflicts: int

    @property
    def open(self) -> bool:
        return self.state not in DECISIONS

    def overdue(self, today: date) -> bool:
        return (
            self.open
            and self.state != "done"
            and self.deadline is not None
            and self.deadline < today.isoformat()
        )


def ledger_rows(led: Ledger, lang: Lang) -> list[LedgerRow]:
    """Every item of the current rounds with its state, by general branch, branch, round and rule."""
    title = "title_en" if lang == "en" else "title_zh"
    none = label("none", lang)
    rows = led.conn.execute(
        "SELECT coalesce(b.general_branch, ''), s.branch_id, b.branch_name, r.year || '-' || r.stage, "
        "s.identity, "
        f"s.rule_code, s.{title}, s.deadline, s.status, "
        "(SELECT note FROM events e WHERE e.item_id = s.id AND e.conflict = 0 AND e.source = 'import' "
        " ORDER BY as_of DESC, seq DESC LIMIT 1), "
        "(SELECT done_date FROM events e WHERE e.item_id = s.id AND e.conflict = 0 AND e.source = 'import' "
        " ORDER BY as_of DESC, seq DESC LIMIT 1), "
        "(SELECT evidence FROM events e WHERE e.item_id = s.id AND e.source = 'round' "
        " ORDER BY seq DESC LIMIT 1), "
        "(SELECT count(*) FROM events e WHERE e.item_id = s.id AND e.conflict = 1) "
        "FROM item_state s JOIN rounds r ON r.id = s.round_id "
        "JOIN branches b ON b.round_id = s.round_id AND b.branch_id = s.branch_id "
        "WHERE r.replaced_by IS NULL AND r.replay_of IS NULL ORDER BY 1, 2, r.id, s.rule_code"
    ).fetchall()
    return [
        LedgerRow(
            general_branch=g or none,
            branch_id=bid,
            branch_name=bname,
            round_ref=ref,
            identity=identity,
            code=code,
            title=t,
            deadline=deadline,
            state=state,
            note=note or "",
            done_date=done,
            evidence=_evidence_text(evidence),
            conflicts=conflicts,
        )
        for g, bid, bname, ref, identity, code, t, deadline, state, note, done, evidence, conflicts in rows
    ]


def _evidence_text(evidence: str | None) -> str:
    import json

    if not evidence:
        return ""
    cells = [Evidence.model_validate(c) for c in json.loads(evidence)]
    from engine.export.i18n import evidence_cells

    return evidence_cells(cells, lang="zh")


def write_ledger_workbook(
    led: Ledger, path: Path, lang: Lang = "zh", today: date | None = None
) -> list[LedgerRow]:
    """Write the 整改台账 to ``path`` (atomically); returns its rows."""
    import xlsxwriter

    from engine.export._xlsx import STAMP_PROPERTY, WORKBOOK_OPTIONS, output_stamp, put_text, text_width
    from engine.export.atomic import atomic_path

    today = today or date.today()
    rows = ledger_rows(led, lang)
    t = _texts(lang)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        wb.set_custom_property(STAMP_PROPERTY, output_stamp(LEDGER_KIND))
        head = wb.add_format(
            {"bold": True, "bg_color": "#C00000", "font_color": "#FFFFFF", "border": 1, "text_wrap": True}
        )
        cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
        flag = wb.add_format({"border": 1, "text_wrap": True, "valign": "top", "bg_color": "#FFC7CE"})

        counts = wb.add_worksheet(t["counts_sheet"])
        count_head = [
            t[k]
            for k in ("general", "items", "open", "closed", "carried", "ineffective", "overdue", "conflicts")
        ]
        for c, text in enumerate(count_head):
            put_text(counts, 0, c, text, head)
            counts.set_column(c, c, max(10, text_width(text) + 2))
        groups: dict[str, list[LedgerRow]] = {}
        for row in rows:
            groups.setdefault(row.general_branch, []).append(row)
        totals = [0] * 7
        for r, (general, members) in enumerate(sorted(groups.items()), start=1):
            figures = _figures(members, today)
            totals = [a + b for a, b in zip(totals, figures, strict=True)]
            put_text(counts, r, 0, general, cell)
            for c, n in enumerate(figures, start=1):
                counts.write_number(r, c, n, cell)
        last = len(groups) + 1
        put_text(counts, last, 0, t["total"], head)
        for c, n in enumerate(totals, start=1):
            counts.write_number(last, c, n, head)

        sheet = wb.add_worksheet(t["items_sheet"])
        columns = [
            ("general", 18),
            ("branch_id", 10),
            ("branch_name", 20),
            ("round", 16),
            ("identity", 28),
            ("code", 9),
            ("title", 30),
            ("deadline", 12),
            ("state", 16),
            ("note", 30),
            ("done_date", 12),
            ("overdue", 8),
            ("evidence", 30),
            ("conflicts", 10),
        ]
        for c, (key, width) in enumerate(columns):
            put_text(sheet, 0, c, t[key], head)
            sheet.set_column(c, c, width)
        yes, no = label("yes", lang), label("no_", lang)
        for r, row in enumerate(rows, start=1):
            overdue = row.overdue(today)
            values = [
                row.general_branch,
                row.branch_id,
                row.branch_name,
                row.round_ref,
                row.identity,
                row.code,
                row.title,
                row.deadline or "",
                state_label(row.state, lang),
                row.note,
                row.done_date or "",
                yes if overdue else no,
                row.evidence,
                str(row.conflicts) if row.conflicts else "",
            ]
            style = flag if overdue or row.state == "ineffective" or row.conflicts else cell
            for c, value in enumerate(values):
                put_text(sheet, r, c, value, style)
        sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
        sheet.freeze_panes(1, 0)
        wb.close()
    return rows


LEDGER_KIND = "整改台账"


def _figures(rows: Sequence[LedgerRow], today: date) -> list[int]:
    """items, open, closed (incl. no longer applicable), carried, not effective, overdue, with conflicts."""
    return [
        len(rows),
        sum(r.open for r in rows),
        sum(r.state in ("closed", "not_applicable") for r in rows),
        sum(r.state == "carried" for r in rows),
        sum(r.state == "ineffective" for r in rows),
        sum(r.overdue(today) for r in rows),
        sum(r.conflicts > 0 for r in rows),
    ]


def _texts(lang: Lang) -> dict[str, str]:
    zh = {
        "counts_sheet": "各党总支汇总",
        "items_sheet": "整改台账",
        "general": "党总支",
        "items": "事项数",
        "open": "未销号",
        "closed": "已销号",
        "carried": "结转",
        "ineffective": "整改未见成效",
        "overdue": "逾期",
        "conflicts": "有冲突",
        "total": "合计",
        "branch_id": "支部编号",
        "branch_name": "支部名称",
        "round": "轮次",
        "identity": "事项编号",
        "code": "规则编号",
        "title": "事项",
        "deadline": "整改时限",
        "state": "状态",
        "note": "完成情况",
        "done_date": "完成日期",
        "evidence": "销号依据（单元格）",
    }
    en = {
        "counts_sheet": "By general branch",
        "items_sheet": "Rectification ledger",
        "general": "General branch",
        "items": "Items",
        "open": "Open",
        "closed": "Closed",
        "carried": "Carried over",
        "ineffective": "Not effective",
        "overdue": "Overdue",
        "conflicts": "Conflicts",
        "total": "Total",
        "branch_id": "Branch ID",
        "branch_name": "Branch",
        "round": "Round",
        "identity": "Item ID",
        "code": "Rule",
        "title": "Item",
        "deadline": "Deadline",
        "state": "Status",
        "note": "Progress",
        "done_date": "Date done",
        "evidence": "Evidence for closing (cells)",
    }
    return en if lang == "en" else zh
