"""The web layer's own small SQLite file in the data folder: officer accounts, their sessions, the
server's secret, the collections (batches) officers started and the submission rounds with their branch
codes (engine/web/submissions.py). Not the grading ledger.

Connections follow the recipe that kept every write under concurrent writers: WAL, ``synchronous=FULL``,
a busy timeout and ``BEGIN IMMEDIATE`` for each write. Passwords are kept as scrypt hashes (stdlib
``hashlib.scrypt``) with a random salt each; sessions by the SHA-256 of their id, so the file alone does
not let anyone take over a session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DB_NAME = "web.sqlite3"
SESSION_SECONDS = 8 * 3600  # an officer's session lasts a working day
SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~16 MB and ~50 ms per hash: slow for guessing, fine for a login
USER_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{1,40}$")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY, hash TEXT NOT NULL, created REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
        expires REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS batches (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, created REAL NOT NULL, status TEXT NOT NULL,
        run TEXT, detail TEXT NOT NULL DEFAULT '{}')""",
    # rounds open for secretaries' submissions, the branch codes issued for them, what was submitted
    """CREATE TABLE IF NOT EXISTS intake_rounds (
        id INTEGER PRIMARY KEY, year INTEGER NOT NULL, stage TEXT NOT NULL, deadline TEXT,
        opened REAL NOT NULL, opened_by TEXT NOT NULL, closed REAL, profile TEXT NOT NULL DEFAULT 'auto')""",
    """CREATE TABLE IF NOT EXISTS intake_codes (
        code TEXT PRIMARY KEY, round_id INTEGER NOT NULL REFERENCES intake_rounds(id),
        branch_id TEXT NOT NULL, branch_name TEXT NOT NULL, issued REAL NOT NULL, issued_by TEXT NOT NULL,
        used REAL, replaced REAL)""",
    """CREATE TABLE IF NOT EXISTS intake_submissions (
        id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL REFERENCES intake_rounds(id),
        code TEXT NOT NULL REFERENCES intake_codes(code), branch_id TEXT NOT NULL, branch_name TEXT NOT NULL,
        submitted REAL NOT NULL, stored TEXT NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL,
        grade TEXT NOT NULL, superseded INTEGER NOT NULL DEFAULT 0)""",
)


class StoreError(Exception):
    """A request the store refuses (a bad user name, an account that exists); ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    actual = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(actual.hex(), digest)


# a hash to check against when the user does not exist, so a login takes as long either way
_DUMMY_HASH = hash_password(secrets.token_hex(8))


@dataclass(frozen=True)
class Batch:
    id: str
    owner: str
    created: float
    status: str  # running, done, failed
    run: str | None  # the run folder, once done
    detail: dict[str, Any]


class Store:
    """The web layer's SQLite file ``<data>/web.sqlite3``; one connection per call (thread-safe)."""

    def __init__(self, data: Path) -> None:
        self.path = data / DB_NAME
        data.mkdir(parents=True, exist_ok=True)
        with self.write() as db:
            for statement in SCHEMA:
                db.execute(statement)
            columns = {row[1] for row in db.execute("PRAGMA table_info(intake_rounds)")}
            if "profile" not in columns:  # a data folder from before rounds named their profile: by year
                db.execute("ALTER TABLE intake_rounds ADD COLUMN profile TEXT NOT NULL DEFAULT 'auto'")
            if db.execute("SELECT 1 FROM meta WHERE key = 'secret'").fetchone() is None:
                db.execute("INSERT INTO meta VALUES ('secret', ?)", (secrets.token_hex(32),))
        self.secret = bytes.fromhex(self.one("SELECT value FROM meta WHERE key = 'secret'")[0])

    def college(self) -> str | None:
        """The college's name this server prints on its outputs (``serve --college``), if one was given."""
        row = self.one("SELECT value FROM meta WHERE key = 'college'")
        return None if row is None else str(row[0])

    def set_college(self, name: str) -> None:
        """Keep ``name`` as the college's name for every later start of the server; an empty one removes
        it (the outputs then name no college)."""
        with self.write() as db:
            db.execute("DELETE FROM meta WHERE key = 'college'")
            if name.strip():
                db.execute("INSERT INTO meta VALUES ('college', ?)", (name.strip(),))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA foreign_keys=ON")
        return db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``), committed when the block ends, else rolled back."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def one(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        """The first row ``sql`` selects (None when there is none)."""
        db = self._connect()
        try:
            row: tuple[Any, ...] = db.execute(sql, args).fetchone()
            return row
        finally:
            db.close()

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Every row ``sql`` selects."""
        db = self._connect()
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    # --- accounts ------------------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        if not USER_NAME.match(name):
            raise StoreError(
                "用户名只能由 1–40 个字母、数字、汉字或 _ . - 组成",
                "a user name is 1-40 letters, digits, Chinese characters or _ . -",
            )
        if len(password) < 8:
            raise StoreError("密码至少 8 个字符", "a password has at least 8 characters")
        with self.write() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"用户 {name} 已存在", f"user {name} already exists")
            db.execute("INSERT INTO users VALUES (?, ?, ?)", (name, hash_password(password), time.time()))

    def users(self) -> list[str]:
        return [row[0] for row in self.rows("SELECT name FROM users ORDER BY name")]

    def check_login(self, name: str, password: str) -> bool:
        row = self.one("SELECT hash FROM users WHERE name = ?", (name,))
        ok = verify_password(password, row[0] if row else _DUMMY_HASH)
        return ok and row is not None

    # --- sessions: the cookie holds a random id, the file its hash ------------------------------------

    def start_session(self, user: str) -> str:
        sid = secrets.token_urlsafe(32)
        with self.write() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?)", (_sid_hash(sid), user, time.time() + SESSION_SECONDS)
            )
        return sid

    def session_user(self, sid: str) -> str | None:
        row = self.one(
            "SELECT user FROM sessions WHERE id_hash = ? AND expires > ?", (_sid_hash(sid), time.time())
        )
        return None if row is None else str(row[0])

    def end_session(self, sid: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (_sid_hash(sid),))

    # --- collections ---------------------------------------------------------------------------------

    def add_batch(self, batch_id: str, owner: str, detail: dict[str, Any]) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO batches VALUES (?, ?, ?, 'running', NULL, ?)",
                (batch_id, owner, time.time(), json.dumps(detail, ensure_ascii=False)),
            )

    def finish_batch(self, batch_id: str, status: str, run: str | None, detail: dict[str, Any]) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE batches SET status = ?, run = ?, detail = ? WHERE id = ?",
                (status, run, json.dumps(detail, ensure_ascii=False), batch_id),
            )

    def batch(self, batch_id: str) -> Batch | None:
        row = self.one("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return None if row is None else _batch(row)

    def batches(self) -> list[Batch]:
        return [_batch(row) for row in self.rows("SELECT * FROM batches ORDER BY created DESC")]


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def _batch(row: tuple[Any, ...]) -> Batch:
    return Batch(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))
