"""Submitting a self-check to the current round: rounds open for submissions, the branch codes the
department issues for them, and the workbooks submitted with those codes.

An officer opens a round (year and stage of the profile, an optional deadline) and issues one code per
branch — ten letters and digits with nothing that reads alike (no 0/O, 1/I/L), ~50 bits, shown as
``ABCDE-FGHJK``. A secretary who has self-checked a workbook submits it with the branch's code as a
separate, explicit step: the code must belong to the open round, be unused and not replaced, and name the
branch the workbook is of; only a workbook that could be graded, of the round's year, is taken. It is
then stored under a generated name (``<data>/intake/<round>/<random>.<ext>``, written atomically) as that
branch's workbook of the round and the code is used up. To let a branch submit again the officer issues
it a new code; the new submission supersedes the earlier one, which stays on disk and in the table.
The round's submissions are graded as a collection, recorded as that round (app.py).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from engine.export.atomic import atomic_write_bytes
from engine.ledger.store import round_label
from engine.profiles import AUTO
from engine.roster import normalise_id
from schemas.common import Lang, Text
from schemas.results import BranchResult

from .store import Store
from .texts import text

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """A code as it is printed for people: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def typed_code(typed: str) -> str:
    """What a person typed, as a code: spaces and dashes dropped, upper case."""
    return re.sub(r"[\s\-－—_]", "", typed).upper()


class SubmissionRefused(Exception):
    """A submission the round does not take; ``message(lang)`` says why and what to do."""

    def __init__(self, key: str, **fmt: object) -> None:
        super().__init__(key)
        self.key, self.fmt = key, fmt

    def message(self, lang: Lang) -> str:
        return text(
            self.key, lang, **{k: v.get(lang) if isinstance(v, Text) else v for k, v in self.fmt.items()}
        )


@dataclass(frozen=True)
class IntakeRound:
    id: int
    year: int
    stage: str
    deadline: str | None  # ISO date, inclusive
    opened: float
    opened_by: str
    closed: float | None
    profile: str = AUTO  # the profile that grades it: a profile's name, or auto (by the year)

    @property
    def label(self) -> Text:
        return round_label(self.year, self.stage)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    round_id: int
    branch_id: str
    branch_name: str
    issued: float
    issued_by: str
    used: float | None
    replaced: float | None

    @property
    def shown(self) -> str:
        return shown_code(self.code)


@dataclass(frozen=True)
class Submission:
    id: int
    round_id: int
    code: str
    branch_id: str
    branch_name: str
    submitted: float
    stored: str  # the generated file name under the round's folder
    file: str  # the name the secretary's file had
    sha256: str
    grade: Text  # the provisional grade the self-check showed
    superseded: bool

    def late(self, deadline: str | None) -> bool:
        return deadline is not None and time.strftime("%Y-%m-%d", time.localtime(self.submitted)) > deadline


_ROUND = "id, year, stage, deadline, opened, opened_by, closed, profile"
_CODE = "code, round_id, branch_id, branch_name, issued, issued_by, used, replaced"
_SUBMISSION = "id, round_id, code, branch_id, branch_name, submitted, stored, file, sha256, grade, superseded"


def _submission(row: tuple[object, ...]) -> Submission:
    values = list(row)
    values[9] = Text.model_validate_json(str(values[9]))
    values[10] = bool(values[10])
    return Submission(*values)  # type: ignore[arg-type]


class Intake:
    """The submission rounds in the web store, and their workbooks under ``<data>/intake/``."""

    def __init__(self, data: Path, store: Store) -> None:
        self.folder = data / "intake"
        self.store = store

    # --- rounds --------------------------------------------------------------------------------------

    def open_round(
        self, year: int, stage: str, deadline: str | None, user: str, profile: str = AUTO
    ) -> IntakeRound:
        """Open a round for submissions, graded by ``profile``; the round open before it (if any) is
        closed: one is current."""
        now = time.time()
        with self.store.write() as db:
            db.execute("UPDATE intake_rounds SET closed = ? WHERE closed IS NULL", (now,))
            cursor = db.execute(
                "INSERT INTO intake_rounds (year, stage, deadline, opened, opened_by, profile) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (year, stage, deadline, now, user, profile),
            )
            round_id = cursor.lastrowid
        found = self.round(int(round_id or 0))
        assert found is not None
        return found

    def close_round(self, round_id: int) -> None:
        with self.store.write() as db:
            db.execute(
                "UPDATE intake_rounds SET closed = ? WHERE id = ? AND closed IS NULL", (time.time(), round_id)
            )

    def round(self, round_id: int) -> IntakeRound | None:
        row = self.store.one(f"SELECT {_ROUND} FROM intake_rounds WHERE id = ?", (round_id,))
        return None if row is None else IntakeRound(*row)

    def rounds(self) -> list[IntakeRound]:
        return [
            IntakeRound(*r) for r in self.store.rows(f"SELECT {_ROUND} FROM intake_rounds ORDER BY id DESC")
        ]

    def current(self) -> IntakeRound | None:
        """The round taking submissions now (the last one opened and not closed)."""
        row = self.store.one(f"SELECT {_ROUND} FROM intake_rounds WHERE closed IS NULL ORDER BY id DESC")
        return None if row is None else IntakeRound(*row)

    # --- codes ---------------------------------------------------------------------------------------

    def issue(self, round_id: int, branches: list[tuple[str, str]], user: str) -> list[IssuedCode]:
        """A code for each branch (id, name) of the list that holds no live one in the round; returns the
        codes issued now."""
        now = time.time()
        with self.store.write() as db:
            live = {
                normalise_id(r[0])
                for r in db.execute(
                    "SELECT branch_id FROM intake_codes WHERE round_id = ? AND replaced IS NULL", (round_id,)
                )
            }
            for branch_id, name in branches:
                if normalise_id(branch_id) in live:
                    continue
                live.add(normalise_id(branch_id))
                db.execute(
                    f"INSERT INTO intake_codes ({_CODE}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                    (new_code(), round_id, branch_id, name, now, user),
                )
        return [c for c in self.codes(round_id) if c.issued == now]

    def reissue(self, round_id: int, branch_id: str, user: str) -> IssuedCode | None:
        """A new code for the branch, the old one replaced (refused from now on): the branch may submit
        again. None when the branch holds no code in the round."""
        now = time.time()
        with self.store.write() as db:
            row = db.execute(
                "SELECT branch_id, branch_name FROM intake_codes "
                "WHERE round_id = ? AND branch_id = ? AND replaced IS NULL",
                (round_id, branch_id),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE intake_codes SET replaced = ? "
                "WHERE round_id = ? AND branch_id = ? AND replaced IS NULL",
                (now, round_id, branch_id),
            )
            code = new_code()
            db.execute(
                f"INSERT INTO intake_codes ({_CODE}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                (code, round_id, row[0], row[1], now, user),
            )
        return next(c for c in self.codes(round_id) if c.code == code)

    def codes(self, round_id: int) -> list[IssuedCode]:
        """The round's live codes (replaced ones left out), by branch."""
        rows = self.store.rows(
            f"SELECT {_CODE} FROM intake_codes WHERE round_id = ? AND replaced IS NULL ORDER BY branch_id",
            (round_id,),
        )
        return [IssuedCode(*r) for r in rows]

    # --- submissions ---------------------------------------------------------------------------------

    def submit(self, typed: str, workbook: bytes, file: str, result: BranchResult | None) -> Submission:
        """Store ``workbook`` (self-checked as ``result``) as its branch's workbook of the current round,
        with the code ``typed``; raises ``SubmissionRefused`` saying why not."""
        current = self.current()
        if current is None:
            raise SubmissionRefused("no_round_open")
        code = typed_code(typed)
        row = self.store.one(f"SELECT {_CODE} FROM intake_codes WHERE code = ?", (code,))
        if row is None or len(code) != CODE_LENGTH:
            raise SubmissionRefused("code_unknown")
        issued = IssuedCode(*row)
        if issued.round_id != current.id:
            owner = self.round(issued.round_id)
            raise SubmissionRefused(
                "code_other_round", round=owner.label if owner else "?", now=current.label
            )
        if issued.replaced is not None:
            raise SubmissionRefused("code_replaced")
        if issued.used is not None:
            raise SubmissionRefused("code_used", when=_when(issued.used))
        if result is None:
            raise SubmissionRefused("not_gradable")
        identity = result.identity
        if normalise_id(identity.branch_id) != normalise_id(issued.branch_id):
            raise SubmissionRefused(
                "code_wrong_branch", code_branch=issued.branch_id, branch=identity.branch_id
            )
        if identity.assessment_year != current.year:
            raise SubmissionRefused("wrong_year", year=identity.assessment_year, round_year=current.year)
        suffix = Path(file).suffix.lower()
        stored = secrets.token_urlsafe(16) + (suffix if suffix in WORKBOOK_SUFFIXES else ".xlsx")
        folder = self.folder / str(current.id)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / stored, workbook)
        now = time.time()
        with self.store.write() as db:
            taken = db.execute(
                "UPDATE intake_codes SET used = ? WHERE code = ? AND used IS NULL AND replaced IS NULL",
                (now, code),
            )
            if taken.rowcount != 1:  # another submission used the code a moment ago
                (folder / stored).unlink(missing_ok=True)
                raise SubmissionRefused("code_used", when=_when(now))
            db.execute(
                "UPDATE intake_submissions SET superseded = 1 WHERE round_id = ? AND branch_id = ?",
                (current.id, issued.branch_id),
            )
            db.execute(
                "INSERT INTO intake_submissions (round_id, code, branch_id, branch_name, submitted, stored, "
                "file, sha256, grade, superseded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    current.id,
                    code,
                    issued.branch_id,
                    identity.branch_name,
                    now,
                    stored,
                    file,
                    hashlib.sha256(workbook).hexdigest(),
                    result.grade.name.model_dump_json(),
                ),
            )
        found = [s for s in self.submissions(current.id) if s.code == code]
        return found[0]

    def submissions(self, round_id: int, include_superseded: bool = False) -> list[Submission]:
        """The round's submissions by branch (each branch's latest unless ``include_superseded``)."""
        where = "" if include_superseded else " AND superseded = 0"
        rows = self.store.rows(
            f"SELECT {_SUBMISSION} FROM intake_submissions WHERE round_id = ?{where} ORDER BY branch_id, id",
            (round_id,),
        )
        return [_submission(r) for r in rows]

    def path(self, submission: Submission) -> Path:
        return self.folder / str(submission.round_id) / submission.stored


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
