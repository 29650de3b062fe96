"""Reviewed grades (审定) in the ledger: record one, read the standing ones, and attach them to results.

A review is an event (the ledger's ``reviews`` table): recording one appends a row, never changes the
computed grade nor an earlier review. The newest review of a branch in a round stands; the others are its
history. A decision is checked before anything is written — the round exists, the branch was graded in it,
the grade is one the branch's profile awards, the reason and the reviewer are given — and refused with a
located problem (``IN-41`` … ``IN-45``) otherwise. A decision equal to the standing review changes nothing,
so entering the same decisions again (a re-import) records nothing new.

Under a profile with a scoring policy (docs/scoring-policy.md) a decision may also carry a review score
(审定评分, 0–100: what the weighted total reads besides the evidence; ``IN-48`` when it is not one), alone
or with a reviewed grade, recorded as an event of its own (``review_scores``); and a reviewed grade more
than ``max_step_up`` bands above the branch's final grade of the year before (逐级晋升) is refused
(``IN-49``) unless it carries a 破格晋升 reason, which is recorded with it.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

from engine.ledger.store import Ledger, LedgerError, RoundInfo, now_iso
from engine.movement.compare import Graded
from schemas.common import Evidence, Finding, Text
from schemas.problems import make_problem
from schemas.results import BranchResult, Grade, Review
from schemas.rules import Profile

__all__ = [
    "Decision",
    "ReviewEvent",
    "ReviewRefused",
    "RoundBranches",
    "check_decision",
    "find_round",
    "loaded_profile",
    "max_step_up",
    "profile_grades",
    "record_review",
    "record_reviews",
    "review_history",
    "reviewed_results",
    "round_reviews",
    "standing_reviews",
    "standing_scores",
]


class ReviewRefused(Exception):
    """A review that cannot be recorded: ``problems`` say why, where and what to do."""

    def __init__(self, problems: Sequence[Finding]) -> None:
        super().__init__("; ".join(p.message.zh for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Decision:
    """A reviewed grade as an officer enters it: the grade by code or name (either language), the reason
    and the reviewer; ``where`` locates it (a cell of the summary, nothing for a direct call)."""

    branch_id: str
    grade: str  # empty: no reviewed grade, a review score alone
    reason: str
    reviewer: str
    where: Evidence | None = None
    score: str = ""  # the review score as entered (审定评分); empty: none
    exception: str = ""  # the 破格晋升 reason, for a grade above 逐级晋升's limit
    score_where: Evidence | None = None  # the score's cell, when it has one


@dataclass(frozen=True)
class ReviewEvent:
    """A recorded review: the grade code, reason, reviewer, and where and when it was recorded."""

    seq: int
    round_id: int
    branch_id: str
    grade: str
    reason: str
    reviewer: str
    source_file: str | None
    recorded_at: str
    exception: str | None = None  # the 破格晋升 reason it was recorded with


_EVENT_COLUMNS = "seq, round_id, branch_id, grade, reason, reviewer, source_file, recorded_at, exception"


@cache
def loaded_profile(name: str) -> Profile | None:
    from engine.rulebook import RulebookError, load_profile

    try:
        return load_profile(name)
    except RulebookError:
        return None


def _profile_bands(name: str) -> tuple[Grade, ...] | None:
    profile = loaded_profile(name)
    return None if profile is None else tuple(Grade(code=b.code, name=b.name) for b in profile.grading.grades)


def max_step_up(profile: str) -> int | None:
    """逐级晋升's limit of profile ``profile`` (None: none, or the profile is not available here)."""
    loaded = loaded_profile(profile)
    return None if loaded is None or loaded.policy is None else loaded.policy.max_step_up


def profile_grades(profile: str, seen: Iterable[Grade] = ()) -> tuple[Grade, ...]:
    """The grades profile ``profile`` awards, best first; when the profile is not available here, the
    grades ``seen`` (those its branches were given) — a review can only choose among those."""
    bands = _profile_bands(profile)
    return bands if bands is not None else tuple(dict.fromkeys(seen))


def _match_grade(text: str, grades: Sequence[Grade]) -> Grade | None:
    wanted = text.strip()
    for g in grades:
        if wanted in (g.code, g.name.zh, g.name.en) or wanted.casefold() == g.name.en.casefold():
            return g
    return None


def find_round(led: Ledger, ref: str, where: Evidence | None = None) -> RoundInfo:
    """The round ``ref`` names (year-stage or number); ``IN-41`` when the ledger holds none."""
    try:
        return led.find_round(ref)
    except LedgerError:
        known = "、".join(r.ref for r in led.rounds()) or "—"
        raise ReviewRefused([make_problem("IN-41", _located(where), round=ref, rounds=known)]) from None


def _located(where: Evidence | None) -> tuple[Evidence, ...]:
    return () if where is None else (where,)


@dataclass(frozen=True)
class RoundBranches:
    """What checking decisions against a round needs: each branch's profile and recorded grade, and its
    final grade code of the year before (what 逐级晋升 counts from), where the ledger has one."""

    info: RoundInfo
    profiles: Mapping[str, str]  # branch id -> profile name
    computed: Mapping[str, Grade]
    previous: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, led: Ledger, info: RoundInfo) -> RoundBranches:
        from engine.ledger.record import final_grades

        profiles: dict[str, str] = {}
        computed: dict[str, Grade] = {}
        for r in led.branch_records(info.id):
            profiles[r.branch_id] = r.result.profile
            computed[r.branch_id] = r.result.grade
        return cls(info, profiles, computed, final_grades(led).get(info.year, {}))


def _score(text: str) -> float | None:
    """A review score as entered, or None when it is not a number from 0 to 100."""
    try:
        value = float(text.strip().removesuffix("分"))
    except ValueError:
        return None
    return value if 0 <= value <= 100 and math.isfinite(value) else None


def _step_problem(
    round_: RoundBranches,
    decision: Decision,
    grade: Grade,
    grades: Sequence[Grade],
    where: tuple[Evidence, ...],
) -> Finding | None:
    """IN-49 when ``grade`` is more than 逐级晋升's limit above the branch's final grade of the year before
    and the decision gives no 破格晋升 reason."""
    branch = decision.branch_id.strip()
    step = max_step_up(round_.profiles[branch])
    last = round_.previous.get(branch)
    codes = [g.code for g in grades]
    if step is None or last not in codes or decision.exception.strip():
        return None
    if codes.index(grade.code) >= codes.index(last) - step:
        return None
    return make_problem(
        "IN-49",
        where,
        branch_id=branch,
        grade=grade.name,
        previous=grades[codes.index(last)].name,
        year=round_.info.year - 1,
        step=step,
    )


def check_decision(round_: RoundBranches, decision: Decision) -> tuple[Grade | None, list[Finding]]:
    """The grade ``decision`` names and the problems that refuse it (empty: it can be recorded)."""
    where = _located(decision.where)
    ref = round_.info.ref
    branch = decision.branch_id.strip()
    profile = round_.profiles.get(branch)
    if profile is None:
        return None, [make_problem("IN-42", where, branch_id=branch, round=ref)]
    grades = profile_grades(profile, round_.computed.values())
    problems: list[Finding] = []
    if decision.score.strip() and _score(decision.score) is None:
        problems.append(
            make_problem(
                "IN-48",
                _located(decision.score_where or decision.where),
                branch_id=branch,
                score=decision.score.strip(),
            )
        )
    if not decision.grade.strip() and decision.score.strip():  # a review score alone
        if not decision.reviewer.strip():
            problems.append(make_problem("IN-45", where, branch_id=branch))
        return None, problems
    grade = _match_grade(decision.grade, grades)
    if grade is not None and (stepped := _step_problem(round_, decision, grade, grades, where)) is not None:
        problems.append(stepped)
    if grade is None:
        problems.append(
            make_problem(
                "IN-44",
                where,
                branch_id=branch,
                grade=decision.grade.strip() or "—",
                profile=profile,
                grades="、".join(g.name.zh for g in grades),
                grades_en=", ".join(g.name.en for g in grades),
            )
        )
    shown = grade.name if grade is not None else decision.grade.strip()
    if not decision.reason.strip():
        problems.append(make_problem("IN-43", where, branch_id=branch, grade=shown))
    if not decision.reviewer.strip():
        problems.append(make_problem("IN-45", where, branch_id=branch))
    return grade, problems


def standing_reviews(conn: Ledger | sqlite3.Connection, round_id: int) -> dict[str, ReviewEvent]:
    """The review that stands for each reviewed branch of round ``round_id`` (its newest)."""
    db = conn.conn if isinstance(conn, Ledger) else conn
    rows = db.execute(
        f"SELECT {_EVENT_COLUMNS} FROM reviews WHERE round_id = ? ORDER BY seq", (round_id,)
    ).fetchall()
    return {row[2]: ReviewEvent(*row) for row in rows}


def standing_scores(conn: Ledger | sqlite3.Connection, round_id: int) -> dict[str, float]:
    """The review score that stands for each branch of round ``round_id`` given one (its newest)."""
    db = conn.conn if isinstance(conn, Ledger) else conn
    rows = db.execute(
        "SELECT branch_id, score FROM review_scores WHERE round_id = ? ORDER BY seq", (round_id,)
    ).fetchall()
    return dict(rows)


def review_history(led: Ledger, round_id: int, branch_id: str) -> list[ReviewEvent]:
    """Every review of branch ``branch_id`` in round ``round_id``, oldest first (the last one stands)."""
    rows = led.conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM reviews WHERE round_id = ? AND branch_id = ? ORDER BY seq",
        (round_id, branch_id),
    ).fetchall()
    return [ReviewEvent(*row) for row in rows]


@dataclass
class Recorded:
    """What recording a set of decisions did: reviews ``recorded``, decisions ``unchanged`` (equal to the
    standing review)."""

    recorded: int = 0
    unchanged: int = 0


def record_reviews(
    led: Ledger,
    info: RoundInfo,
    decisions: Sequence[Decision],
    source_file: str | None = None,
    source_sha256: str | None = None,
) -> Recorded:
    """Record ``decisions`` for round ``info`` — all of them, or none: any decision refused raises
    :class:`ReviewRefused` with every problem found, before anything is written."""
    round_ = RoundBranches.of(led, info)
    checked: list[tuple[Decision, Grade | None]] = []
    problems: list[Finding] = []
    for d in decisions:
        grade, found = check_decision(round_, d)
        problems += found
        if not found and (grade is not None or d.score.strip()):
            checked.append((d, grade))
    if problems:
        raise ReviewRefused(problems)
    outcome = Recorded()
    recorded_at = now_iso()
    with led.write() as conn:
        standing, scores = standing_reviews(conn, info.id), standing_scores(conn, info.id)
        for d, grade in checked:
            branch, reason, reviewer = d.branch_id.strip(), d.reason.strip(), d.reviewer.strip()
            changed = False
            score = _score(d.score) if d.score.strip() else None
            if score is not None and scores.get(branch) != score:
                conn.execute(
                    "INSERT INTO review_scores (round_id, branch_id, score, reviewer, recorded_at, "
                    "source_file) VALUES (?, ?, ?, ?, ?, ?)",
                    (info.id, branch, score, reviewer, recorded_at, source_file),
                )
                changed = True
            now = standing.get(branch)
            exception = d.exception.strip() or None
            same = (grade.code, reason, reviewer, exception) if grade is not None else None
            if grade is not None and (
                now is None or (now.grade, now.reason, now.reviewer, now.exception) != same
            ):
                conn.execute(
                    "INSERT INTO reviews (round_id, branch_id, grade, reason, reviewer, source_file, "
                    "source_sha256, recorded_at, exception) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        info.id,
                        branch,
                        grade.code,
                        reason,
                        reviewer,
                        source_file,
                        source_sha256,
                        recorded_at,
                        exception,
                    ),
                )
                changed = True
            if changed:
                outcome.recorded += 1
            else:
                outcome.unchanged += 1
    return outcome


def record_review(
    led: Ledger,
    round_ref: str,
    branch_id: str,
    grade: str,
    reason: str,
    reviewer: str,
    score: str = "",
    exception: str = "",
) -> bool:
    """Record one reviewed grade for ``branch_id`` in round ``round_ref`` (the web page's and the command
    line's call), with a review score and a 破格晋升 reason when given (``grade`` empty: the score alone).
    True when recorded, False when it equals the standing review; raises :class:`ReviewRefused`."""
    info = find_round(led, round_ref)
    decision = Decision(branch_id, grade, reason, reviewer, score=score, exception=exception)
    return record_reviews(led, info, [decision]).recorded == 1


class Reviewable(Graded, Protocol):
    """What a review is shown beside: a ``BranchResult``, or compare's light record of one."""

    @property
    def profile(self) -> str: ...


def round_reviews(led: Ledger, round_id: int, results: Sequence[Reviewable]) -> dict[str, Review]:
    """The standing review of each reviewed branch among ``results`` (round ``round_id``'s), by branch id."""
    standing = standing_reviews(led, round_id)
    seen = [r.grade for r in results]
    out: dict[str, Review] = {}
    for result in results:
        event = standing.get(result.identity.branch_id)
        if event is None:
            continue
        grades = profile_grades(result.profile, seen)
        # a code the profile no longer awards (it changed since) is still shown, by its code
        grade = next((g for g in grades if g.code == event.grade), None) or Grade(
            code=event.grade, name=Text(zh=event.grade, en=event.grade)
        )
        out[result.identity.branch_id] = Review(
            grade=grade, reason=event.reason, reviewer=event.reviewer, recorded_at=event.recorded_at
        )
    return out


def reviewed_results(led: Ledger, round_id: int) -> list[BranchResult]:
    """Every branch's result in round ``round_id`` (by branch id) with its standing review attached (the
    computed grade untouched)."""
    results = [r.result for r in led.branch_records(round_id)]
    reviews = round_reviews(led, round_id, results)
    return [
        r
        if r.identity.branch_id not in reviews
        else r.model_copy(update={"review": reviews[r.identity.branch_id]})
        for r in results
    ]
