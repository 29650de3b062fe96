"""Recording a round: the context the run starts from, and the one transaction that records it.

``round_context`` reads, before grading, what the run needs from the ledger (the open items of earlier
rounds, the baseline grades for TG-04). ``Recorder`` takes each graded branch's :class:`Captured` bytes
as the batch hands them over, in file order, into a spool file (memory stays flat), and ``commit``
records everything in one ``BEGIN IMMEDIATE`` transaction: the round (one per year present), its
branches, their items, and the closure (对账销号) of every earlier open item the new forms decide.
"""

from __future__ import annotations

import pickle
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import engine
from engine.ledger.capture import Captured, PriorItem, RoundContext, item_identity, round_ref
from engine.ledger.store import Ledger, LedgerError, RoundInfo, now_iso

__all__ = [
    "CLAIMS",
    "DECISIONS",
    "Recorder",
    "RoundPlan",
    "open_items",
    "round_context",
]

CLAIMS = ("todo", "doing", "done")  # what a branch reports on its list (未开始, 整改中, 已完成)
# What a later round's evidence decides; each ends the item (carried and ineffective continue as the new
# round's item of the same rule).
DECISIONS = ("closed", "not_applicable", "carried", "ineffective")


@dataclass(frozen=True)
class RoundPlan:
    """What ``grade --round`` asks: the stage, the year (None: each form's 考核年度), replace or not,
    and each grading profile's sha256 by name."""

    stage: str
    year: int | None
    replace: bool
    profiles: Mapping[str, str]
    baseline_stage: str | None = None  # the stage TG-04 compares this one with (None: no comparison)
    replay_of: int | None = None  # a what-if round (replay --record): the round it replays
    replay_settings: str | None = None  # and its --set values as JSON


def open_items(led: Ledger) -> dict[str, dict[str, PriorItem]]:
    """Per branch, per rule code, the newest still-open item of the current rounds."""
    rows = led.conn.execute(
        "SELECT s.id, s.identity, s.branch_id, s.rule_code, s.status, r.year, r.stage FROM item_state s "
        "JOIN rounds r ON r.id = s.round_id WHERE r.replaced_by IS NULL AND r.replay_of IS NULL "
        "ORDER BY s.round_id, s.id"
    ).fetchall()
    out: dict[str, dict[str, PriorItem]] = {}
    for item_id, identity, branch_id, code, status, year, stage in rows:
        if status in DECISIONS:
            continue
        out.setdefault(branch_id, {})[code] = PriorItem(
            item_id, identity, round_ref(year, stage), status == "done"
        )
    return out


def round_context(led: Ledger, plan: RoundPlan) -> RoundContext:
    """What the workers need from the ledger for the round ``plan`` describes. Refuses (LedgerError) a
    round that is recorded already unless ``plan.replace`` — checked here, before any grading, when the
    year is given; otherwise once the forms' years are known (``Recorder.commit``)."""
    if plan.year is not None and not plan.replace:
        _refuse_existing(led, plan.year, plan.stage)
    baselines: dict[str, tuple[str, str]] = {}
    if plan.baseline_stage is not None and plan.baseline_stage != plan.stage:
        for info in led.rounds():
            if info.what_if:  # a what-if round is never a baseline
                continue
            if info.stage == plan.baseline_stage and (plan.year is None or info.year == plan.year):
                for branch_id, grade in led.branch_grades(info.id).items():
                    baselines[branch_id] = (grade, info.ref)  # the latest year's, rounds are oldest first
    return RoundContext(
        stage=plan.stage,
        year=plan.year,
        prior=open_items(led),
        baselines=baselines,
        previous=final_grades(led),
    )


def final_grades(led: Ledger) -> dict[int, dict[str, str]]:
    """Per year Y, each branch's final grade code in its latest recorded round of year Y − 1: the newest
    review where it was reviewed, else the grade the round recorded (the scoring policy's, where its
    profile has one). What 逐级晋升 counts from (docs/scoring-policy.md)."""
    out: dict[int, dict[str, str]] = {}
    for info in led.rounds():  # oldest first: a branch's later round of the year replaces its earlier one
        if info.replay_of is not None:  # a what-if round decided nothing
            continue
        final = led.branch_grades(info.id)
        reviewed = led.conn.execute(
            "SELECT branch_id, grade FROM reviews WHERE round_id = ? ORDER BY seq", (info.id,)
        )
        final.update(reviewed.fetchall())  # in recording order: each branch's newest review stands
        out.setdefault(info.year + 1, {}).update(final)
    return out


def _refuse_existing(led: Ledger, year: int, stage: str) -> None:
    existing = led.current_round(year, stage)
    if existing is not None:
        raise LedgerError(
            f"台账中已有轮次 {existing.ref}（编号 {existing.id}，记录于 {existing.recorded_at}）；"
            "要重新记录请加 "
            "--replace（原轮次保留在历史中）",
            f"the ledger already holds round {existing.ref} (number {existing.id}, recorded "
            f"{existing.recorded_at}); add --replace to record it again (the earlier one stays in history)",
        )


class Recorder:
    """Collects the batch's captured branches in a spool file, then records them (``commit``)."""

    def __init__(self, plan: RoundPlan) -> None:
        self.plan = plan
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        # closed too when a run that stopped early (a usage error, a signal) drops the recorder unclosed
        weakref.finalize(self, self._spool.close)
        self._index: list[tuple[int, int]] = []

    def add(self, blob: bytes) -> None:
        self._index.append((self._spool.tell(), len(blob)))
        self._spool.write(blob)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self._index)

    def _entries(self) -> Iterator[Captured]:
        for offset, length in self._index:
            self._spool.seek(offset)
            captured = pickle.loads(self._spool.read(length))
            assert isinstance(captured, Captured)
            yield captured

    def years(self) -> list[tuple[int, str]]:
        """Each year present and the profile that graded its first branch, in order of first appearance."""
        seen: dict[int, str] = {}
        for c in self._entries():
            seen.setdefault(c.year, c.profile)
        return list(seen.items())

    def commit(self, led: Ledger) -> list[RoundInfo]:
        """Record the round (one per year present) in one transaction; returns the rounds recorded. A
        round recorded already is refused unless the plan says replace (the old one then stays, marked
        replaced)."""
        plan = self.plan
        years = self.years()
        recorded_at = now_iso()
        with led.write() as conn:
            rounds: dict[int, int] = {}
            for year, profile in years:
                existing = led.current_round(year, plan.stage)
                if existing is not None and not plan.replace:
                    _refuse_existing(led, year, plan.stage)
                round_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM rounds").fetchone()[0]
                if existing is not None:  # first, so one round of the year and stage stays current
                    conn.execute("UPDATE rounds SET replaced_by = ? WHERE id = ?", (round_id, existing.id))
                conn.execute(
                    "INSERT INTO rounds (id, year, stage, profile, profile_sha256, tool_version, "
                    "recorded_at, replay_of, replay_settings) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        round_id,
                        year,
                        plan.stage,
                        profile,
                        plan.profiles.get(profile, ""),
                        engine.__version__,
                        recorded_at,
                        plan.replay_of,
                        plan.replay_settings,
                    ),
                )
                rounds[year] = round_id
            for c in self._entries():
                self._record_branch(led, rounds[c.year], c, recorded_at)
        found = [led.round_by_id(i) for i in rounds.values()]
        return [r for r in found if r is not None]

    def _record_branch(self, led: Ledger, round_id: int, c: Captured, recorded_at: str) -> None:
        conn = led.conn
        conn.execute(
            "INSERT INTO branches (round_id, branch_id, branch_name, general_branch, source_name, "
            "source_sha256, grade, total, result, facts, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                round_id,
                c.branch_id,
                c.branch_name,
                c.general_branch,
                c.source_name,
                c.source_sha256,
                c.grade,
                c.total,
                c.result_z,
                c.facts_z,
                c.problems,
            ),
        )
        conn.execute(
            "INSERT INTO replay_inputs (round_id, branch_id, inputs, titles) VALUES (?, ?, ?, ?)",
            (round_id, c.branch_id, c.inputs_z, c.titles_z),
        )
        conn.executemany(
            "INSERT INTO branch_kpis (round_id, branch_id, kpi_code, met) VALUES (?, ?, ?, ?)",
            [(round_id, c.branch_id, code, int(met)) for code, met in c.kpi_flags],
        )
        ref = round_ref(c.year, self.plan.stage)
        new_items: dict[str, str] = {}
        for item in c.items:
            identity = item_identity(ref, c.branch_id, item.code)
            new_items[item.code] = identity
            conn.execute(
                "INSERT INTO items (round_id, branch_id, rule_code, identity, title_zh, title_en, kind, "
                "deadline) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    round_id,
                    c.branch_id,
                    item.code,
                    identity,
                    item.title_zh,
                    item.title_en,
                    item.kind,
                    item.deadline,
                ),
            )
        _decide(led, round_id, c, new_items, recorded_at)


def _decide(led: Ledger, round_id: int, c: Captured, new_items: Mapping[str, str], recorded_at: str) -> None:
    """对账销号: each open earlier item of the branch decided by the new forms (see DECISIONS)."""
    conn = led.conn
    for outcome in c.outcomes:
        row = conn.execute(
            "SELECT rule_code, status FROM item_state WHERE id = ?", (outcome.item_id,)
        ).fetchone()
        if row is None or row[1] in DECISIONS:
            continue  # decided meanwhile (another round recorded while this one was graded)
        code, status = row
        if outcome.status == "passed":
            decision, evidence = "closed", outcome.evidence
        elif outcome.status in ("not_applicable", "absent"):
            decision, evidence = "not_applicable", None
        else:
            decision, evidence = ("ineffective" if status == "done" else "carried"), None
        conn.execute(
            "INSERT INTO events (item_id, status, note, source, round_id, evidence, as_of, recorded_at) "
            "VALUES (?, ?, ?, 'round', ?, ?, ?, ?)",
            (
                outcome.item_id,
                decision,
                new_items.get(code, ""),
                round_id,
                evidence,
                recorded_at,
                recorded_at,
            ),
        )
