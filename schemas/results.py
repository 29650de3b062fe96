"""What rules and grading produce for a branch, and what a batch run produces."""

from __future__ import annotations

from typing import Literal

from schemas.common import Evidence, Finding, Frozen, Scalar, Status, Text, distinct_cells
from schemas.facts import BranchIdentity
from schemas.rules import Cap


class RuleTrace(Frozen):
    """One rule evaluated for one branch, whatever its outcome."""

    code: str
    title: Text
    indicator: str
    kind: str
    status: Status
    ctx: dict[str, Scalar] = {}
    # The facts the rule read (the one it reports as actual, then those of its condition and of its
    # ``applies``), present or not: their values are the result's ``facts``, their cells its
    # ``fact_evidence`` — kept once per branch there, not once per rule here (most facts feed several rules).
    facts: tuple[str, ...] = ()
    deduction: float = 0.0


# The cells behind each fact a rule read, by fact name (facts without cells left out).
FactEvidence = dict[str, tuple[Evidence, ...]]


class Evaluation(Frozen):
    """The rulebook stage's output: every rule's outcome and the findings (failed / not evidenced)."""

    identity: BranchIdentity
    profile: str
    facts: dict[str, Scalar]
    fact_evidence: FactEvidence = {}
    trace: tuple[RuleTrace, ...]
    findings: tuple[Finding, ...]
    caps: tuple[Cap, ...] = ()  # grade caps whose condition held for this branch
    kpi_flags: dict[str, bool] = {}  # KPI code -> met, for the KPIs whose population holds this branch
    warnings: tuple[Finding, ...] = ()


class IndicatorScore(Frozen):
    id: str
    name: Text
    points: float
    deducted: float
    score: float


class Grade(Frozen):
    code: str
    name: Text


class PathCondition(Frozen):
    """What points cannot fix on the way to the next grade, met before any item's points help: a veto
    lifted (its rule passing) or a grade cap whose condition ends (e.g. satisfaction reaching 90%).

    ``codes`` are the open items whose correction meets it — the veto's rule; the rules the profile names
    as lifting the cap (``lifted_by``) — and ``restores`` the points those items give back."""

    kind: Literal["veto", "cap"]
    reason: Text  # the veto's rule title, or the cap's reason as the grade's adjustment states it
    codes: tuple[str, ...] = ()
    restores: float = 0.0


class PathStep(Frozen):
    """One open item on the path to the next grade: correcting it (its rule passing) gives back
    ``restores`` points, counted in the path's order (a floored indicator gives back nothing until enough
    of its deductions are gone), which brings the total to ``total``."""

    code: str
    title: Text
    indicator: str | None = None
    restores: float
    total: float


class GradePath(Frozen):
    """The exact path to the next band for a branch below the top one: the conditions points cannot fix,
    first, then the smallest set of open items whose correction reaches ``target``, in the order that
    brings the total up fastest. ``reachable`` is false when correcting every open item would still not
    reach it (the profile's indicators cannot add up to the band); the steps are then empty."""

    target: Grade
    target_min: float  # the total the target band needs
    conditions: tuple[PathCondition, ...] = ()
    steps: tuple[PathStep, ...] = ()
    total: float  # the total once the conditions are met and the steps taken
    reachable: bool = True


MoveKind = Literal["weighted", "step_up", "step_up_exception", "quota_cap", "quota_floor"]


class PolicyMove(Frozen):
    """One change the policy made to a branch's grade: from, to, and why (always recorded)."""

    kind: MoveKind
    from_grade: Grade
    to_grade: Grade
    reason: Text


class PolicyOutcome(Frozen):
    """What the profile's policy made of one branch (``BranchResult.policy``; None where the profile has no
    policy): the grade grading computed from the evidence, the score the policy ranked it by (the weighted
    total where a review score is recorded, else the evidence score) and every move, each with its
    reason. The result's ``grade`` is the grade after the policy; its ``adjustments`` repeat the reasons."""

    computed: Grade  # the grade grading computed
    score: float
    review_score: float | None = None
    moves: tuple[PolicyMove, ...] = ()
    # Last year's final grade, from the ledger (逐级晋升 counts from it); None: not known — no ledger, or
    # no round of last year in it — so 逐级晋升 did not limit this grade.
    previous: Grade | None = None
    # The best grade the branch's caps and vetoes allow (None: none binds): what a weighted total taken
    # later (review export, once review scores are recorded) still respects.
    capped_at: Grade | None = None
    # The profile weights a review score in (evidence × w + review × (1 − w)): without a recorded review
    # score the evidence score stands — never a missing score counted as 0.
    weighted: bool = False


class Review(Frozen):
    """An officer's reviewed grade (审定等次) for a branch in a recorded round: raise, lower or confirm the
    computed ``grade``, with the reason and who decided. Added to a result read from the ledger (never by
    grading, which only computes); the newest review of the branch in the round is the one shown."""

    grade: Grade
    reason: str
    reviewer: str
    recorded_at: str  # when the ledger recorded it (ISO 8601, UTC)


class BranchResult(Frozen):
    identity: BranchIdentity
    profile: str
    scores: tuple[IndicatorScore, ...]
    total: float
    score_grade: Grade  # the band the total falls in, before caps and vetoes
    grade: Grade
    adjustments: tuple[Text, ...] = ()  # caps and vetoes applied, in words
    items: tuple[Finding, ...] = ()  # the rectification list, most weighty indicator first
    trace: tuple[RuleTrace, ...] = ()
    facts: dict[str, Scalar] = {}
    fact_evidence: FactEvidence = {}
    kpi_flags: dict[str, bool] = {}
    warnings: tuple[Finding, ...] = ()
    path: GradePath | None = None  # the path to the next grade; None at the top band
    review: Review | None = None  # the reviewed grade, when an officer recorded one (engine.review)
    # whether the grade that stands is final (its notice period over, every objection decided —
    # engine.notice); None when the round was never published (公示)
    final: bool | None = None
    # The profile's scoring policy applied (weights, 逐级晋升, quotas). results.json leaves it out when None
    # (a profile without a policy), so such a profile's file is what it was before policies existed.
    policy: PolicyOutcome | None = None

    @property
    def awarded(self) -> Grade:
        """The grade that stands: the reviewed grade when there is one, else the computed grade."""
        return self.grade if self.review is None else self.review.grade

    def evidence_of(self, trace: RuleTrace) -> tuple[Evidence, ...]:
        """The cells behind a rule's outcome: those of the facts it read, each once, in the trace's order."""
        return distinct_cells(self.fact_evidence.get(name, ()) for name in trace.facts)
