"""Reviewed grades entered in the summary workbook's 汇总 sheet, imported into the ledger.

An officer opens 分类定级汇总.xlsx, chooses a 审定等次 from the dropdown for the branches whose grade the
review changes (or confirms), writes the 审定理由 and the 审定人 (or names one reviewer for the whole file
with ``--reviewer``), saves, and runs ``branchgrade review import``. Each row with a 审定等次 is one
decision; every decision is checked (``engine.review.record``) and located by its cell, and the file is
recorded whole or not at all. Rows left blank are no decision. A file imported before (the same bytes) and
rows equal to the standing review change nothing, so importing again is harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.export._ooxml import col_name
from engine.export.i18n import label
from engine.export.stamp import read_summary_round
from engine.ledger.status import read_returned
from engine.ledger.store import Ledger
from engine.review.record import Decision, ReviewRefused, find_round, record_reviews
from schemas.common import Evidence, Finding, Severity
from schemas.problems import make_problem

__all__ = ["ReviewImport", "import_review_sheet"]

# The columns this reads, by their header in either language (engine.export.i18n labels).
_COLUMNS = {
    "branch_id": "branch",
    "reviewed_grade": "grade",
    "review_reason": "reason",
    "reviewer": "reviewer",
    "review_score_col": "score",  # under a scoring policy: the review score (审定评分)
    "review_exception": "exception",  # … and a 破格晋升 reason
}


@dataclass
class ReviewImport:
    """One file's import: ``state`` is recorded, unchanged (nothing new) or refused."""

    file: str
    state: str = "refused"
    round_ref: str | None = None
    recorded: int = 0
    unchanged: int = 0
    problems: list[Finding] = field(default_factory=list)


def import_review_sheet(
    led: Ledger,
    path: Path,
    name: str | None = None,
    round_ref: str | None = None,
    reviewer: str | None = None,
) -> ReviewImport:
    """Import the reviews entered in the 汇总 sheet of the summary at ``path`` (shown as ``name``) into
    round ``round_ref`` (default: the round the summary's stamp names). ``reviewer`` fills in a row whose
    审定人 is blank."""
    name = name or path.name
    outcome = ReviewImport(name)
    where = Evidence(file=name)
    data = read_returned(path, where, outcome.problems)
    if data is None:
        return outcome
    ref = round_ref or read_summary_round(path)
    if ref is None:
        outcome.problems.append(make_problem("IN-40", where))
        return outcome
    try:
        info = find_round(led, ref, where)
    except ReviewRefused as exc:
        outcome.problems += exc.problems
        return outcome
    outcome.round_ref = info.ref
    sha = hashlib.sha256(data).hexdigest()
    known = "SELECT 1 FROM reviews WHERE round_id = ? AND source_sha256 = ?"
    if led.conn.execute(known, (info.id, sha)).fetchone():
        outcome.state = "unchanged"
        return outcome
    decisions = _read_decisions(path, name, reviewer or "", outcome.problems)
    if decisions is None or any(p.severity is Severity.ERROR for p in outcome.problems):
        return outcome
    try:
        done = record_reviews(led, info, decisions, source_file=name, source_sha256=sha)
    except ReviewRefused as exc:
        outcome.problems += exc.problems
        return outcome
    outcome.recorded, outcome.unchanged = done.recorded, done.unchanged
    outcome.state = "recorded" if done.recorded else "unchanged"
    return outcome


def _read_decisions(path: Path, name: str, reviewer: str, problems: list[Finding]) -> list[Decision] | None:
    """The decisions of the 汇总 sheet (None, with a problem, when the file has no such sheet or columns);
    read through the ingest stage's reader, as every workbook is."""
    from engine.ingest import read_workbook

    book = read_workbook(path, name)
    errors = [p for p in book.problems if p.severity is Severity.ERROR]
    if errors:
        problems += errors
        return None
    sheet_names = {label("sh_summary", lang) for lang in ("zh", "en")}
    sheet = next((s for s in book.sheets.values() if s.name.strip() in sheet_names), None)
    wanted = {label(key, lang): col for key, col in _COLUMNS.items() for lang in ("zh", "en")}
    columns: dict[str, int] = {}
    if sheet is not None and sheet.rows:
        columns = {
            wanted[v.strip()]: c
            for c, v in enumerate(sheet.rows[0])
            if isinstance(v, str) and v.strip() in wanted
        }
    missing = [c for c in ("branch", "grade", "reason") if c not in columns]
    if sheet is None or missing:
        key = {"branch": "branch_id", "grade": "reviewed_grade", "reason": "review_reason"}[
            missing[0] if missing else "branch"
        ]
        problems.append(
            make_problem(
                "IN-39",
                Evidence(file=name, sheet=None if sheet is None else sheet.name),
                sheet=label("sh_summary", "zh"),
                sheet_en=label("sh_summary", "en"),
                column=label(key, "zh"),
                column_en=label(key, "en"),
            )
        )
        return None
    decisions: list[Decision] = []
    for r, values in enumerate(sheet.rows[1:], start=2):
        branch = _cell(values, columns["branch"])
        grade = _cell(values, columns["grade"])
        reason = _cell(values, columns["reason"])
        who = _cell(values, columns.get("reviewer")) or reviewer
        score, exception = _number(values, columns.get("score")), _cell(values, columns.get("exception"))
        score_where = None
        if score:
            cell = f"{col_name(columns['score'])}{r}"
            score_where = Evidence(file=name, sheet=sheet.name, cell=cell, value=score)
        if not grade:
            if score and branch:  # a review score alone: the weighted total's input, no reviewed grade
                decisions.append(Decision(branch, "", reason, who, score_where, score=score))
                continue
            if reason and branch:
                cell = f"{col_name(columns['reason'])}{r}"
                problems.append(
                    make_problem("IN-46", Evidence(file=name, sheet=sheet.name, cell=cell), branch_id=branch)
                )
            continue
        cell = f"{col_name(columns['grade'])}{r}"
        where = Evidence(file=name, sheet=sheet.name, cell=cell, value=grade)
        decisions.append(
            Decision(
                branch, grade, reason, who, where, score=score, exception=exception, score_where=score_where
            )
        )
    return decisions


def _number(values: Sequence[object], col: int | None) -> str:
    """A number cell as people write it (95, 86.5 — never 95.0); any other value as text."""
    value = values[col] if col is not None and col < len(values) else None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _cell(values, col)


def _cell(values: Sequence[object], col: int | None) -> str:
    if col is None or col >= len(values) or values[col] is None:
        return ""
    return str(values[col]).strip()
