"""What rules and grading produce for a branch, and what a batch run produces."""

from __future__ import annotations

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
    review: Review | None = None  # the reviewed grade, when an officer recorded one (engine.review)

    @property
    def awarded(self) -> Grade:
        """The grade that stands: the reviewed grade when there is one, else the computed grade."""
        return self.grade if self.review is None else self.review.grade

    def evidence_of(self, trace: RuleTrace) -> tuple[Evidence, ...]:
        """The cells behind a rule's outcome: those of the facts it read, each once, in the trace's order."""
        return distinct_cells(self.fact_evidence.get(name, ()) for name in trace.facts)
