"""The ledger file: one SQLite database holding every recorded round, its items and their status events.

Written through the standard library's ``sqlite3`` only, set up so that nothing a user entered is lost:

* WAL journal, ``synchronous=FULL`` and a busy timeout, and every write one short ``BEGIN IMMEDIATE``
  transaction (``Ledger.write``): a process killed mid-write leaves the file as before or as after, and
  processes writing at once wait for each other instead of failing or losing a write.
* A versioned schema: ``PRAGMA user_version`` counts the migration steps applied (``MIGRATIONS``). A
  ledger of an older version is copied (``<name>.v<N>-<time>.bak``, through SQLite's online backup) and
  then upgraded step by step, each step one transaction; a ledger of a newer version is refused.
* ``PRAGMA application_id`` marks the file as a ledger: any other SQLite database, or a file that is not
  SQLite at all, is refused with a message saying what the file is and what to do — never overwritten.

WAL needs every process on one machine: a ledger on a network share (SMB/NFS) is not supported.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import zlib
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from engine.ledger.replay_inputs import inputs_from_stored, titles_from_stored
from engine.ledger.stored_facts import upgrade_facts
from schemas.common import Finding, Text
from schemas.facts import BranchFacts
from schemas.results import BranchResult

__all__ = [
    "APPLICATION_ID",
    "LEDGER_ENV",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "BranchRecord",
    "GradedRow",
    "ItemTitle",
    "Ledger",
    "LedgerError",
    "RoundInfo",
    "StoredBranch",
    "default_ledger_path",
]

LEDGER_ENV = "BRANCHGRADE_LEDGER"
LEDGER_NAME = "ledger.sqlite"
APPLICATION_ID = 0x4247_4C44  # "BGLD": this file is a branchgrade ledger
BUSY_TIMEOUT_MS = 30_000
_SQLITE_HEADER = b"SQLite format 3\x00"

# Each step takes the schema from version i to i + 1 (user_version counts the steps applied). A step is
# a list of statements run in one transaction; steps are never edited once released, only added.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # One row per recorded grading round. A round replaced by a later recording of the same year and
        # stage keeps its row, pointing at its replacement: nothing recorded is ever deleted.
        """CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            year INTEGER NOT NULL,
            stage TEXT NOT NULL,
            profile TEXT NOT NULL,
            profile_sha256 TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            replaced_by INTEGER REFERENCES rounds(id) DEFERRABLE INITIALLY DEFERRED
        )""",
        "CREATE UNIQUE INDEX rounds_current ON rounds(year, stage) WHERE replaced_by IS NULL",
        # A branch's full outcome in a round: the result (results.json's element) and the facts, each as
        # zlib-compressed JSON, with the input file's name and hash.
        """CREATE TABLE branches (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            branch_id TEXT NOT NULL,
            branch_name TEXT NOT NULL,
            general_branch TEXT,
            source_name TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            grade TEXT NOT NULL,
            total REAL NOT NULL,
            result BLOB NOT NULL,
            facts BLOB NOT NULL,
            PRIMARY KEY (round_id, branch_id)
        ) WITHOUT ROWID""",
        # A rectification item: identity (round, branch, rule code), printed on the branch's list.
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            branch_id TEXT NOT NULL,
            rule_code TEXT NOT NULL,
            identity TEXT NOT NULL,
            title_zh TEXT NOT NULL,
            title_en TEXT NOT NULL,
            kind TEXT NOT NULL,
            deadline TEXT,
            UNIQUE (round_id, branch_id, rule_code)
        )""",
        "CREATE INDEX items_identity ON items(identity)",
        "CREATE INDEX items_branch ON items(branch_id, rule_code)",
        # Append-only: every status an item ever had — claimed by a branch on a returned list (source
        # 'import'), or decided by a later round's evidence (source 'round'). ``as_of`` orders them (when the
        # list was saved, or the round recorded); a claim older than the item's newest event that says
        # otherwise is kept, flagged ``conflict``, and does not change the item's state.
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            item_id INTEGER NOT NULL REFERENCES items(id),
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            done_date TEXT,
            source TEXT NOT NULL CHECK (source IN ('import', 'round')),
            source_file TEXT,
            source_sha256 TEXT,
            round_id INTEGER REFERENCES rounds(id),
            evidence TEXT,
            as_of TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            conflict INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX events_item ON events(item_id, seq)",
        # Every returned list imported, by its bytes' hash: importing the same file again changes nothing.
        """CREATE TABLE imports (
            sha256 TEXT PRIMARY KEY,
            file TEXT NOT NULL,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            branch_id TEXT NOT NULL,
            imported_at TEXT NOT NULL
        )""",
        # An item's state: its newest event that is not a conflict (none: open, nothing claimed yet).
        """CREATE VIEW item_state AS
        SELECT items.*, (
            SELECT status FROM events WHERE events.item_id = items.id AND conflict = 0
            ORDER BY as_of DESC, seq DESC LIMIT 1
        ) AS status
        FROM items""",
    ),
    # Version 2: each branch's input problems (the warnings its file got: graded, but worth a look).
    ("ALTER TABLE branches ADD COLUMN problems TEXT NOT NULL DEFAULT '[]'",),
    # Version 3: reviewed grades (审定, engine.review), each an event appended, never an update.
    (
        # A reviewed grade (a grade code of the round's profile) with its reason and reviewer. The newest
        # of a branch's reviews in a round stands; the earlier ones stay as its history.
        """CREATE TABLE reviews (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            round_id INTEGER NOT NULL,
            branch_id TEXT NOT NULL,
            grade TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (trim(reason) <> ''),
            reviewer TEXT NOT NULL CHECK (trim(reviewer) <> ''),
            source_file TEXT,
            source_sha256 TEXT,
            recorded_at TEXT NOT NULL,
            FOREIGN KEY (round_id, branch_id) REFERENCES branches(round_id, branch_id)
        )""",
        "CREATE INDEX reviews_branch ON reviews(round_id, branch_id, seq)",
    ),
    # Version 4: public notices (公示, engine.notice) and the objections raised against them, events too.
    (
        # A public notice of a round: its first and last day (the period in working days), where objections
        # go, and the grade each branch was published with (JSON: branch id -> grade code).
        """CREATE TABLE notices (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            first_day TEXT NOT NULL,
            last_day TEXT NOT NULL,
            working_days INTEGER NOT NULL CHECK (working_days > 0),
            contact TEXT NOT NULL CHECK (trim(contact) <> ''),
            grades TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""",
        # An objection raised against a branch's published grade: who raised it, when, and what it says.
        """CREATE TABLE objections (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL,
            branch_id TEXT NOT NULL,
            raised_by TEXT NOT NULL CHECK (trim(raised_by) <> ''),
            raised_on TEXT NOT NULL,
            content TEXT NOT NULL CHECK (trim(content) <> ''),
            recorded_at TEXT NOT NULL,
            FOREIGN KEY (round_id, branch_id) REFERENCES branches(round_id, branch_id)
        )""",
        "CREATE INDEX objections_round ON objections(round_id, branch_id)",
        # The decision on an objection: upheld or dismissed, in words, by whom; a later one supersedes.
        """CREATE TABLE objection_decisions (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            objection_id INTEGER NOT NULL REFERENCES objections(id),
            outcome TEXT NOT NULL CHECK (outcome IN ('upheld', 'dismissed')),
            decision TEXT NOT NULL CHECK (trim(decision) <> ''),
            decided_by TEXT NOT NULL CHECK (trim(decided_by) <> ''),
            recorded_at TEXT NOT NULL
        )""",
    ),
    # Version 5: each branch's KPI flags (KPI code -> met, for the KPIs whose population holds it) as rows
    # of their own, so compare reads a round's KPIs without decoding every branch's whole result. Rounds
    # recorded before are filled in from their results (``ledger_kpi_flags``, registered by ``_prepare``).
    (
        """CREATE TABLE branch_kpis (
            round_id INTEGER NOT NULL,
            branch_id TEXT NOT NULL,
            kpi_code TEXT NOT NULL,
            met INTEGER NOT NULL CHECK (met IN (0, 1)),
            PRIMARY KEY (round_id, branch_id, kpi_code),
            FOREIGN KEY (round_id, branch_id) REFERENCES branches(round_id, branch_id)
        ) WITHOUT ROWID""",
        "INSERT INTO branch_kpis (round_id, branch_id, kpi_code, met) "
        "SELECT b.round_id, b.branch_id, f.key, f.value "
        "FROM branches b, json_each(ledger_kpi_flags(b.result)) f",
    ),
    # Version 6: what-if rounds, and what a replay reads of each branch, compact (below). A what-if round
    # (``replay --record``) is a recorded round replayed under another profile or changed parameters: it
    # names the round it replays and the ``--set`` values (JSON), its stage is ``WHAT_IF_PREFIX`` + a
    # name, and no baseline, closure (对账销号) or 整改台账 ever reads it.
    # The replay inputs: what a replay reads of each branch, compact (engine.ledger.replay_inputs): its fact
    # values and series with its recorded rule statuses (``inputs``), and its rules' titles (``titles``),
    # each zlib-compressed JSON of a few KB, so a replay decodes neither the full facts nor the result.
    # Rounds recorded before are filled in from their stored facts and results (``ledger_replay_inputs`` and
    # ``ledger_rule_titles``, registered by ``_prepare``).
    (
        "ALTER TABLE rounds ADD COLUMN replay_of INTEGER REFERENCES rounds(id)",
        "ALTER TABLE rounds ADD COLUMN replay_settings TEXT",
        """CREATE TABLE replay_inputs (
            round_id INTEGER NOT NULL,
            branch_id TEXT NOT NULL,
            inputs BLOB NOT NULL,
            titles BLOB NOT NULL,
            PRIMARY KEY (round_id, branch_id),
            FOREIGN KEY (round_id, branch_id) REFERENCES branches(round_id, branch_id)
        )""",
        "INSERT INTO replay_inputs (round_id, branch_id, inputs, titles) "
        "SELECT round_id, branch_id, ledger_replay_inputs(facts, result), ledger_rule_titles(result) "
        "FROM branches",
    ),
    # Version 7: review scores (审定评分, engine.review: what a profile's weighted total reads besides the
    # evidence) as events of their own, the newest standing; and the 破格晋升 reason a review above
    # 逐级晋升's limit is recorded with (docs/scoring-policy.md).
    (
        """CREATE TABLE review_scores (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            round_id INTEGER NOT NULL,
            branch_id TEXT NOT NULL,
            score REAL NOT NULL CHECK (score >= 0 AND score <= 100),
            reviewer TEXT NOT NULL CHECK (trim(reviewer) <> ''),
            recorded_at TEXT NOT NULL,
            source_file TEXT,  -- the summary it was imported from (None: review add, the web)
            FOREIGN KEY (round_id, branch_id) REFERENCES branches(round_id, branch_id)
        )""",
        "CREATE INDEX review_scores_branch ON review_scores(round_id, branch_id, seq)",
        "ALTER TABLE reviews ADD COLUMN exception TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
# The stage of every what-if round begins so: no grading stage does (a profile's stages are 年初定级 …), so
# a what-if round never stands for a stage's round, and its items' identities are its own.
WHAT_IF_PREFIX = "模拟-"


def _round_branches(round_id: int, branch_ids: Collection[str] | None) -> tuple[str, tuple[object, ...]]:
    """The WHERE clause and its arguments selecting round ``round_id``'s branches (those of ``branch_ids``
    only, when given)."""
    if branch_ids is None:
        return "round_id = ?", (round_id,)
    wanted = sorted(set(branch_ids))
    return f"round_id = ? AND branch_id IN ({', '.join('?' * len(wanted))})", (round_id, *wanted)


class LedgerError(Exception):
    """The ledger cannot be used as asked: ``text`` says why and what to do, in each language."""

    def __init__(self, zh: str, en: str, damaged: bool = False) -> None:
        super().__init__(f"{zh} / {en}")
        self.text = Text(zh=zh, en=en)
        self.damaged = damaged  # the file is a ledger, or was, but cannot be read


def default_ledger_path() -> Path:
    """Where the ledger lives unless chosen otherwise: ``BRANCHGRADE_LEDGER`` when set, else the user's
    local application data (``%LOCALAPPDATA%\\branchgrade\\ledger.sqlite`` on Windows,
    ``$XDG_DATA_HOME/branchgrade/ledger.sqlite`` — by default ``~/.local/share/…`` — elsewhere)."""
    chosen = os.environ.get(LEDGER_ENV, "").strip()
    if chosen:
        return Path(chosen)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "branchgrade" / LEDGER_NAME


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def round_label(year: int, stage: str) -> Text:
    """How a round is named to people: ``2012年 年初定级`` / ``2012 年初定级``."""
    return Text(zh=f"{year}年 {stage}", en=f"{year} {stage}")


@dataclass(frozen=True)
class RoundInfo:
    """One recorded round. ``replaced_by`` is the id of the round that replaced it (None: current)."""

    id: int
    year: int
    stage: str
    profile: str
    profile_sha256: str
    tool_version: str
    recorded_at: str
    replaced_by: int | None
    replay_of: int | None = None  # a what-if round: the round it replays
    replay_settings: str | None = None  # a what-if round: its --set values, JSON (name -> value)

    @property
    def what_if(self) -> bool:
        return self.replay_of is not None

    @property
    def label(self) -> Text:
        return round_label(self.year, self.stage)

    @property
    def ref(self) -> str:
        """How a command names the round: ``2012-年初定级``."""
        return f"{self.year}-{self.stage}"


@dataclass(frozen=True)
class BranchRecord:
    """A branch's recorded outcome in a round: its full result and the facts it was graded from."""

    round_id: int
    branch_id: str
    branch_name: str
    source_name: str
    source_sha256: str
    result: BranchResult
    facts: BranchFacts


@dataclass(frozen=True, slots=True)
class ItemTitle:
    """A rectification item as a round lists it: the rule's code and title."""

    code: str
    title: Text


@dataclass(frozen=True, slots=True)
class GradedRow:
    """A branch's recorded grade (its code), total, items (in its list's order) and KPI flags, read from
    the ledger's columns and tables without decoding its full result: what compare and history read."""

    round_id: int
    branch_id: str
    branch_name: str
    general_branch: str | None
    grade: str
    total: float
    items: tuple[ItemTitle, ...]
    kpi_flags: dict[str, bool]


@dataclass(frozen=True, slots=True)
class StoredBranch:
    """A branch's recorded grade code and total, with what a replay reads of it as stored (undecoded: the
    replay's workers decode them): its ``replay_inputs`` row (engine.ledger.replay_inputs) and, when asked
    for (a replay that keeps or records the new results), its full result and facts (zlib JSON)."""

    branch_id: str
    branch_name: str
    grade: str
    total: float
    inputs_z: bytes
    titles_z: bytes
    result_z: bytes = b""
    facts_z: bytes = b""


_ROUND_COLUMNS = (
    "id, year, stage, profile, profile_sha256, tool_version, recorded_at, replaced_by, replay_of, "
    "replay_settings"
)


def _round(row: Sequence[object]) -> RoundInfo:
    return RoundInfo(*row)  # type: ignore[arg-type]


def kpi_flags_json(result_z: bytes) -> str:
    """The KPI flags of a recorded result (its zlib-compressed results.json element) as a JSON object."""
    return json.dumps(json.loads(decompress(result_z)).get("kpi_flags", {}))


def compress(data: bytes) -> bytes:
    return zlib.compress(data, 1)


def decompress(data: bytes) -> bytes:
    return zlib.decompress(data)


def _not_a_ledger(path: Path, what_zh: str, what_en: str) -> LedgerError:
    return LedgerError(
        f"{path} 不是 branchgrade 的整改台账文件（{what_zh}）；未作任何改动。请用 --ledger 指定台账文件，"
        f"或指定一个新的文件名以新建台账",
        f"{path} is not a branchgrade ledger ({what_en}); it was left as it is. Name the ledger with "
        "--ledger, or a new file name to start a new ledger",
    )


def _damaged(path: Path, exc: BaseException) -> LedgerError:
    return LedgerError(
        f"台账文件 {path} 已损坏或无法读取（{exc}）。请从备份恢复（同一文件夹中的 *.bak），"
        "或运行 branchgrade ledger check 查看详情",
        f"the ledger {path} is damaged or unreadable ({exc}). Restore it from a backup (*.bak in the same "
        "folder), or run branchgrade ledger check for details",
        damaged=True,
    )


class Ledger:
    """An open ledger. ``Ledger.open(path)`` (a context manager) creates or upgrades the file; reads go
    through the methods below, writes through :meth:`write` (one ``BEGIN IMMEDIATE`` transaction)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, backup: Path | None = None) -> None:
        self.conn = conn
        self.path = path
        self.backup = backup  # the copy made before this open upgraded the file, if it did

    # --- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, create: bool = True) -> Ledger:
        """Open (creating when ``create``, upgrading when older) the ledger at ``path`` — None: the
        ``BRANCHGRADE_LEDGER`` variable, else the default location. Raises :class:`LedgerError`."""
        path = default_ledger_path() if path is None else path
        _check_header(path, create)
        if not path.exists():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"无法创建台账文件夹 {path.parent}：{exc.strerror}",
                    f"cannot create the ledger's folder {path.parent}: {exc.strerror}",
                ) from None
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise LedgerError(
                f"无法打开台账文件 {path}：{exc}", f"cannot open the ledger {path}: {exc}"
            ) from None
        try:
            backup = _prepare(conn, path)
        except LedgerError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise _damaged(path, exc) from None
        return cls(conn, path, backup)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed when the block ends, rolled back on any
        exception. Another process writing waits up to the busy timeout."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(
                f"台账 {self.path} 正被其他程序写入，等待超时（{exc}）；请稍后重试",
                f"the ledger {self.path} is being written by another program and the wait timed out "
                f"({exc}); try again shortly",
            ) from None
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- the read API --------------------------------------------------------------------------------

    def rounds(self, include_replaced: bool = False) -> list[RoundInfo]:
        """The recorded rounds, oldest first (replaced ones too when asked)."""
        where = "" if include_replaced else " WHERE replaced_by IS NULL"
        rows = self.conn.execute(f"SELECT {_ROUND_COLUMNS} FROM rounds{where} ORDER BY id").fetchall()
        return [_round(r) for r in rows]

    def round_by_id(self, round_id: int) -> RoundInfo | None:
        row = self.conn.execute(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,)).fetchone()
        return None if row is None else _round(row)

    def current_round(self, year: int, stage: str) -> RoundInfo | None:
        row = self.conn.execute(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE year = ? AND stage = ? AND replaced_by IS NULL",
            (year, stage),
        ).fetchone()
        return None if row is None else _round(row)

    def find_round(self, ref: str) -> RoundInfo:
        """The round ``ref`` names: ``2012-年初定级`` (year-stage: the current one) or its number."""
        ref = ref.strip()
        found: RoundInfo | None = None
        if ref.isdigit():
            found = self.round_by_id(int(ref))
        else:
            year, sep, stage = ref.partition("-")
            if sep and year.strip().isdigit():
                found = self.current_round(int(year), stage.strip())
        if found is not None:
            return found
        known = self.rounds(include_replaced=True)
        listed = "、".join(f"{r.id}（{r.ref}{'，已被替换' if r.replaced_by else ''}）" for r in known)
        listed_en = ", ".join(f"{r.id} ({r.ref}{', replaced' if r.replaced_by else ''})" for r in known)
        raise LedgerError(
            f"台账 {self.path} 中没有轮次 {ref!r}。已有轮次：{listed or '无'}。"
            "请写作“年度-阶段”（如 2012-年初定级）或轮次编号",
            f"the ledger {self.path} has no round {ref!r}. Rounds recorded: {listed_en or 'none'}. Name it "
            "as year-stage (e.g. 2012-年初定级) or by its number",
        )

    def branch_records(self, round_id: int, branch_ids: Collection[str] | None = None) -> list[BranchRecord]:
        """Every branch recorded in round ``round_id`` (those of ``branch_ids`` only, when given: only theirs
        are read and decoded), sorted by branch id."""
        where, args = _round_branches(round_id, branch_ids)
        rows = self.conn.execute(
            "SELECT round_id, branch_id, branch_name, source_name, source_sha256, result, facts "
            f"FROM branches WHERE {where} ORDER BY branch_id",
            args,
        ).fetchall()
        return [
            BranchRecord(
                round_id=r[0],
                branch_id=r[1],
                branch_name=r[2],
                source_name=r[3],
                source_sha256=r[4],
                result=BranchResult.model_validate_json(decompress(r[5])),
                facts=upgrade_facts(BranchFacts.model_validate_json(decompress(r[6]))),
            )
            for r in rows
        ]

    def graded_rows(self, round_id: int, branch_ids: Collection[str] | None = None) -> list[GradedRow]:
        """The branches of round ``round_id`` (those of ``branch_ids`` only, when given) as
        :class:`GradedRow`, sorted by branch id: columns selected by SQL, no result or facts decoded."""
        where, args = _round_branches(round_id, branch_ids)
        items: dict[str, list[ItemTitle]] = {}
        titles: dict[tuple[str, str, str], ItemTitle] = {}  # one ItemTitle per rule and wording
        for branch_id, code, zh, en in self.conn.execute(
            f"SELECT branch_id, rule_code, title_zh, title_en FROM items WHERE {where} "
            "ORDER BY branch_id, id",
            args,
        ):
            item = titles.get((code, zh, en))
            if item is None:
                item = titles[code, zh, en] = ItemTitle(code, Text(zh=zh, en=en))
            items.setdefault(branch_id, []).append(item)
        flags: dict[str, dict[str, bool]] = {}
        for branch_id, code, met in self.conn.execute(
            f"SELECT branch_id, kpi_code, met FROM branch_kpis WHERE {where} ORDER BY branch_id, kpi_code",
            args,
        ):
            flags.setdefault(branch_id, {})[code] = bool(met)
        rows = self.conn.execute(
            f"SELECT branch_id, branch_name, general_branch, grade, total FROM branches WHERE {where} "
            "ORDER BY branch_id",
            args,
        )
        return [
            GradedRow(
                round_id, bid, name, general, grade, total, tuple(items.get(bid, ())), flags.get(bid, {})
            )
            for bid, name, general, grade, total in rows
        ]

    def stored_branches(self, round_id: int, full: bool = False) -> list[StoredBranch]:
        """Every branch of round ``round_id`` as :class:`StoredBranch`, sorted by branch id; with its full
        result and facts when ``full``. A branch without its replay inputs (a damaged ledger) is refused
        (``LedgerError``), never left out."""
        more = ", b.result, b.facts" if full else ""
        rows = self.conn.execute(
            f"SELECT b.branch_id, b.branch_name, b.grade, b.total, r.inputs, r.titles{more} FROM branches b "
            "LEFT JOIN replay_inputs r ON r.round_id = b.round_id AND r.branch_id = b.branch_id "
            "WHERE b.round_id = ? ORDER BY b.branch_id",
            (round_id,),
        ).fetchall()
        missing = [row[0] for row in rows if row[4] is None or row[5] is None]
        if missing:
            shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
            raise LedgerError(
                f"台账 {self.path} 中轮次 {round_id} 有 {len(missing)} 个支部缺少复算用的事实值（{shown}）："
                "台账可能已损坏。请运行 branchgrade ledger check 查看详情，"
                "或从备份恢复（同一文件夹中的 *.bak）",
                f"the ledger {self.path}: {len(missing)} branches of round {round_id} have no replay inputs "
                f"({shown}), so it may be damaged. Run branchgrade ledger check for details, or restore it "
                "from a backup (*.bak in the same folder)",
                damaged=True,
            )
        return [StoredBranch(*row) for row in rows]

    def branch_ids(self) -> list[str]:
        """Every branch id of the current rounds (not replaced), sorted."""
        rows = self.conn.execute(
            "SELECT DISTINCT b.branch_id FROM branches b JOIN rounds r ON r.id = b.round_id "
            "WHERE r.replaced_by IS NULL ORDER BY b.branch_id"
        )
        return [r[0] for r in rows]

    def branch_problems(self, round_id: int, branch_id: str) -> tuple[Finding, ...]:
        """The input problems (warnings) the branch's file got in round ``round_id``."""
        row = self.conn.execute(
            "SELECT problems FROM branches WHERE round_id = ? AND branch_id = ?", (round_id, branch_id)
        ).fetchone()
        return () if row is None else tuple(Finding.model_validate(p) for p in json.loads(row[0]))

    def branch_grades(self, round_id: int) -> dict[str, str]:
        """Each branch's computed grade code in round ``round_id`` (no result is decompressed)."""
        rows = self.conn.execute("SELECT branch_id, grade FROM branches WHERE round_id = ?", (round_id,))
        return dict(rows.fetchall())


def _check_header(path: Path, create: bool) -> None:
    """Refuse, before SQLite touches it, a path that is a folder or a file that is not SQLite."""
    if path.is_dir():
        raise _not_a_ledger(path, "这是一个文件夹", "it is a folder")
    if not path.exists():
        if not create:
            raise LedgerError(
                f"台账文件 {path} 不存在；请先用 branchgrade grade … --round 记录一个轮次，"
                "或用 --ledger 指定台账",
                f"the ledger {path} does not exist; record a round first (branchgrade grade … --round), "
                "or name the ledger with --ledger",
            )
        return
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise LedgerError(
            f"无法读取台账文件 {path}：{exc.strerror}", f"cannot read the ledger {path}: {exc.strerror}"
        ) from None
    if head and head != _SQLITE_HEADER:
        raise _not_a_ledger(path, "不是 SQLite 数据库", "not an SQLite database")


def _prepare(conn: sqlite3.Connection, path: Path) -> Path | None:
    """Set the connection up, check the file is a ledger, and create or upgrade its schema. Returns the
    backup made before an upgrade (None when none was needed)."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # read by migration steps 5 and 6, filling in the KPI flags and the replay inputs of rounds recorded
    # before them
    conn.create_function("ledger_kpi_flags", 1, kpi_flags_json, deterministic=True)
    conn.create_function("ledger_replay_inputs", 2, inputs_from_stored, deterministic=True)
    conn.create_function("ledger_rule_titles", 1, titles_from_stored, deterministic=True)
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    if app_id != APPLICATION_ID and (app_id != 0 or tables or version):
        raise _not_a_ledger(path, "是其他程序的 SQLite 数据库", "an SQLite database of another program")
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"台账 {path} 由更新版本的 branchgrade 写入（结构版本 {version}，"
            f"本程序支持到 {SCHEMA_VERSION}）；"
            "请升级 branchgrade 后再用",
            f"the ledger {path} was written by a newer branchgrade (schema version {version}; this one "
            f"knows up to {SCHEMA_VERSION}); upgrade branchgrade to use it",
        )
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise LedgerError(
            f"台账 {path} 无法使用 WAL 日志模式（{mode}）：台账不能放在网络共享或只读位置，请放在本机磁盘上",
            f"the ledger {path} cannot use the WAL journal ({mode}): keep it on a local disk, never on a "
            "network share or read-only location",
        )
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return migrate(conn, path, MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: Path, steps: Sequence[Sequence[str]]) -> Path | None:
    """Apply the ``steps`` beyond the file's ``user_version``, each in its own transaction. A file that
    already holds a ledger is first copied beside itself (SQLite's online backup, so a consistent copy
    even while others read); returns that copy's path (None for a new file or one already current)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= len(steps):
        return None
    backup: Path | None = None
    if version > 0:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        backup = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
        with contextlib.closing(sqlite3.connect(backup)) as copy:
            conn.backup(copy)
    for number in range(version, len(steps)):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # another process may have upgraded the file while this one waited for the lock
            if conn.execute("PRAGMA user_version").fetchone()[0] != number:
                conn.execute("ROLLBACK")
                continue
            for statement in steps[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {number + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return backup
