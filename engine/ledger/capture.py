"""What a round's recording takes from each graded branch, made where the branch is graded (a worker).

The pipeline calls a :class:`RoundContext` (its ``RoundHooks``) for every graded branch: it supplies
what the ledger knows that the forms do not (the baseline round's computed grade, for TG-04), says
which items of the branch's list continue earlier ones, and packs the branch for the ledger
(:class:`Captured`: the result and facts as compressed JSON, the items, and how the new forms decide
each still-open item of earlier rounds). Everything here is pure: the context is built from the ledger
before the run (``engine.ledger.record.round_context``) and sent to the workers once.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from engine.export.branch_list import ListMarks, item_identity
from engine.export.results_json import result_element_bytes
from engine.ledger.replay_inputs import encode_inputs, encode_titles
from engine.ledger.store import compress
from schemas.common import Finding, Status, Text
from schemas.facts import BranchFacts, fact
from schemas.results import BranchResult
from schemas.rules import Profile

__all__ = [
    "Captured",
    "ItemRow",
    "PriorItem",
    "PriorOutcome",
    "RoundContext",
    "item_identity",
    "round_ref",
]


def carry_note(earlier_ref: str, claimed_done: bool) -> Text:
    """The list's note on an item continuing an open item of round ``earlier_ref``: 整改未见成效 when the
    branch had reported it done, else 结转."""
    if claimed_done:
        return Text(
            zh=f"整改未见成效：{earlier_ref} 报已完成，仍未达标",
            en=f"Rectification not effective: reported done in {earlier_ref}, still failing",
        )
    return Text(zh=f"结转自 {earlier_ref}", en=f"Carried over from {earlier_ref}")


def round_ref(year: int, stage: str) -> str:
    """A round as people and lists name it: ``2012-年初定级``."""
    return f"{year}-{stage}"


@dataclass(frozen=True, slots=True)
class PriorItem:
    """An item of an earlier round still open for a branch, as the run starts."""

    item_id: int
    identity: str
    round_ref: str
    claimed_done: bool  # the branch's newest claim is 已完成


@dataclass(frozen=True, slots=True)
class PriorOutcome:
    """How the new forms decide an open earlier item: the rule's status now and the cells behind it."""

    item_id: int
    status: str  # a schemas.common.Status value, or "absent" when the profile no longer has the rule
    evidence: str  # JSON list of the cells (file, sheet, cell, value)


@dataclass(frozen=True, slots=True)
class ItemRow:
    code: str
    title_zh: str
    title_en: str
    kind: str
    deadline: str | None  # ISO date


@dataclass(frozen=True, slots=True)
class Captured:
    """One graded branch, packed for the ledger (pickled by the worker, spooled by the batch)."""

    year: int
    branch_id: str
    branch_name: str
    general_branch: str | None
    source_name: str
    source_sha256: str
    profile: str
    grade: str
    total: float
    result_z: bytes
    facts_z: bytes
    inputs_z: bytes  # what a replay reads (engine.ledger.replay_inputs)
    titles_z: bytes
    items: tuple[ItemRow, ...]
    outcomes: tuple[PriorOutcome, ...]
    problems: str = "[]"  # JSON list of the file's input problems (warnings: it was graded)
    kpi_flags: tuple[tuple[str, bool], ...] = ()  # (KPI code, met), for the KPIs whose population holds it


# The TG-04 facts the ledger supplies in place of the form's own declaration.
BASELINE_FACTS = ("baseline_grade_rank", "grade_rank_change")


@dataclass(frozen=True)
class RoundContext:
    """The round being recorded and what the ledger holds that bears on it (see the module text).

    ``year`` None: each branch's round is the year of its form. ``prior``: per branch, its open items
    of earlier rounds by rule code. ``baselines``: per branch, the baseline round's recorded grade code
    and that round's name — given only when this stage is compared with the baseline (TG-04).
    ``previous``: per round year Y, each branch's final grade code of year Y − 1 (what 逐级晋升 counts
    from, ``engine.ledger.record.final_grades``)."""

    stage: str
    year: int | None = None
    prior: Mapping[str, Mapping[str, PriorItem]] = field(default_factory=dict)
    baselines: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    previous: Mapping[int, Mapping[str, str]] = field(default_factory=dict)

    def round_of(self, result: BranchResult) -> str:
        return round_ref(self.year or result.identity.assessment_year, self.stage)

    def previous_grade(self, branch_id: str, year: int) -> str | None:
        """The branch's final grade code of the year before its round's (its form's ``year`` unless the
        round's year is given); None when the ledger holds no round of that year with the branch."""
        return self.previous.get(self.year or year, {}).get(branch_id)

    def decided(self, captured: bytes, result: BranchResult) -> bytes:
        """``captured`` (a branch packed by ``capture``) holding ``result``, the branch as the profile's
        scoring policy decided it: the round records the policy's grade, with the computed grade and the
        reason for every move in its ``policy`` — what compare, history and the 整改台账 read."""
        before: Captured = pickle.loads(captured)
        after = replace(before, grade=result.grade.code, result_z=compress(result_element_bytes(result)))
        return pickle.dumps(after, protocol=pickle.HIGHEST_PROTOCOL)

    # --- the pipeline's hooks ------------------------------------------------------------------------

    def supplement(self, facts: BranchFacts, profile: Profile) -> BranchFacts:
        """Facts as the forms give them, the baseline replaced by the recorded one where there is one. The
        year-end grade is not known before grading: the change is provisionally 0 (held), and ``revise``
        gives the real change once the branch is graded."""
        recorded = self.baselines.get(facts.identity.branch_id)
        if recorded is None:
            return facts
        return _with_baseline(facts, profile, recorded, 0)

    def revise(self, facts: BranchFacts, result: BranchResult, profile: Profile) -> BranchFacts | None:
        """The facts to grade the branch again with, when its computed grade moved from the recorded
        baseline (TG-04 then decides on the real change); None when the provisional grading stands."""
        recorded = self.baselines.get(facts.identity.branch_id)
        if recorded is None:
            return None
        ranks = grade_ranks(profile)
        change = ranks[result.grade.code] - ranks[recorded[0]]
        return None if change == 0 else _with_baseline(facts, profile, recorded, change)

    def list_marks(self, result: BranchResult) -> ListMarks:
        """The list's round and, per item continuing an open item of an earlier round, what to mark."""
        prior = self.prior.get(result.identity.branch_id, {})
        notes: dict[str, Text] = {}
        flagged: set[str] = set()
        for item in result.items:
            earlier = prior.get(item.code)
            if earlier is None:
                continue
            if earlier.claimed_done:
                flagged.add(item.code)
            notes[item.code] = carry_note(earlier.round_ref, earlier.claimed_done)
        return ListMarks(round_ref=self.round_of(result), notes=notes, flagged=frozenset(flagged))

    def capture(
        self, facts: BranchFacts, result: BranchResult, source_name: str, problems: tuple[Finding, ...] = ()
    ) -> bytes:
        ident = result.identity
        prior = self.prior.get(ident.branch_id, {})
        traces = {t.code: t for t in result.trace}
        outcomes = []
        for code, earlier in sorted(prior.items()):
            trace = traces.get(code)
            if trace is None:
                outcomes.append(PriorOutcome(earlier.item_id, "absent", "[]"))
                continue
            cells = result.evidence_of(trace) if trace.status is Status.PASSED else ()
            evidence = json.dumps([c.model_dump(exclude_none=True) for c in cells], ensure_ascii=False)
            outcomes.append(PriorOutcome(earlier.item_id, trace.status.value, evidence))
        captured = Captured(
            year=self.year or ident.assessment_year,
            branch_id=ident.branch_id,
            branch_name=ident.branch_name,
            general_branch=ident.general_branch,
            source_name=source_name,
            source_sha256=ident.sha256,
            profile=result.profile,
            grade=result.grade.code,
            total=result.total,
            result_z=compress(result_element_bytes(result)),
            facts_z=compress(facts.model_dump_json().encode()),
            inputs_z=encode_inputs(facts, result),
            titles_z=encode_titles(result),
            items=tuple(
                ItemRow(
                    code=item.code,
                    title_zh=item.title.zh,
                    title_en=item.title.en,
                    kind=item.kind,
                    deadline=None if item.deadline is None else item.deadline.isoformat(),
                )
                for item in result.items
            ),
            outcomes=tuple(outcomes),
            problems=json.dumps(
                [p.model_dump(mode="json", exclude_defaults=True) for p in problems], ensure_ascii=False
            ),
            kpi_flags=tuple(result.kpi_flags.items()),
        )
        return pickle.dumps(captured, protocol=pickle.HIGHEST_PROTOCOL)


def grade_ranks(profile: Profile) -> dict[str, int]:
    """Each grade code's rank under ``profile``: 1 for the best, as the forms' ranks count."""
    return {g.code: rank for rank, g in enumerate(profile.grading.grades, start=1)}


def _with_baseline(
    facts: BranchFacts, profile: Profile, recorded: tuple[str, str], change: int
) -> BranchFacts:
    code, round_name = recorded
    ranks = grade_ranks(profile)
    name = next((g.name for g in profile.grading.grades if g.code == code), Text(zh=code, en=code))
    detail = Text(
        zh=f"依据台账：{round_name} 轮次的计算等次{name.zh}与本轮计算等次比较，不采用自评表填报的等次",
        en=f"from the ledger: round {round_name}'s computed grade {name.en} against this round's computed "
        "grade; the form's declared grades are not used",
    )
    updated = dict(facts.facts)
    updated["baseline_grade_rank"] = fact("baseline_grade_rank", ranks.get(code), detail=detail)
    updated["grade_rank_change"] = fact("grade_rank_change", change, detail=detail)
    return facts.model_copy(update={"facts": updated})
