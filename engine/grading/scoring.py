"""Scoring: findings -> indicator scores -> total -> band, caps and vetoes applied. Pure; no I/O.

The pieces of ``grade`` that the path to the next grade re-runs on corrected findings, so a path is judged
by exactly the arithmetic that graded the branch.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol, TypeVar

from schemas.common import Status
from schemas.results import Evaluation
from schemas.rules import Cap, GradingPolicy


class Priced(Protocol):
    """What scoring reads of a finding: a ``schemas.common.Finding``, or the rulebook's ``PricedFinding``
    (a replay's, without texts or evidence)."""

    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> Status | None: ...

    @property
    def indicator(self) -> str | None: ...

    @property
    def deduction(self) -> float: ...


P = TypeVar("P", bound=Priced)


def round_score(x: float) -> float:
    # Two decimals removes float noise (0.1 + 0.2) while keeping half-point deductions exact;
    # "+ 0.0" turns -0.0 into 0.0 so equal results serialise equally.
    return round(x, 2) + 0.0


def deduction(finding: Priced, policy: GradingPolicy) -> float:
    """What one finding takes from its indicator.

    Only deductions deduct (suggestions and vetoes do not). Negative points are ignored, so no finding can
    ever raise a score. ``not_evidenced_deducts = false`` is honoured here too: the rulebook should
    already have priced such findings at 0, and applying the switch twice is harmless.
    """
    if finding.kind != "deduction":
        return 0.0
    if finding.status is Status.NOT_EVIDENCED and not policy.not_evidenced_deducts:
        return 0.0
    return max(0.0, finding.deduction)


def indicator_score(points: float, deductions: Iterable[float]) -> tuple[float, float]:
    """(deducted, score) of one indicator worth ``points``: the deductions added up (fsum is exact, so the
    order of the findings does not matter) and floored at 0 (扣完为止)."""
    taken = min(points, math.fsum(deductions))
    return round_score(taken), round_score(max(0.0, points - taken))


def deductions_by_indicator(findings: Iterable[Priced], policy: GradingPolicy) -> dict[str, list[float]]:
    """Each indicator's deductions. A finding for an indicator the policy does not know cannot be scored
    (it still appears in the items)."""
    deducted: dict[str, list[float]] = {ind.id: [] for ind in policy.indicators}
    for f in findings:
        if f.indicator in deducted:
            deducted[f.indicator].append(deduction(f, policy))
    return deducted


def total_of(findings: Iterable[Priced], policy: GradingPolicy) -> float:
    """The total score the findings leave (each indicator floored at 0)."""
    deducted = deductions_by_indicator(findings, policy)
    return round_score(
        math.fsum(indicator_score(ind.points, deducted[ind.id])[1] for ind in policy.indicators)
    )


def grade_index(policy: GradingPolicy, code: str, what: str) -> int:
    for i, band in enumerate(policy.grades):
        if band.code == code:
            return i
    raise ValueError(f"{what} names grade {code!r}, which is not one of {[g.code for g in policy.grades]}")


def score_band(total: float, policy: GradingPolicy) -> int:
    """Index of the first band (best first) whose minimum the total reaches; the last band otherwise."""
    if not policy.grades:
        raise ValueError("grading policy has no grades")
    for i, band in enumerate(policy.grades):
        if total >= band.min:
            return i
    return len(policy.grades) - 1


def cap_index(cap: Cap, policy: GradingPolicy) -> int:
    return grade_index(policy, cap.max_grade, f"cap {cap.when!r}")


def failed_vetoes(findings: Iterable[P]) -> list[P]:
    """The findings of failed veto rules (a not-evidenced veto does not veto)."""
    return [f for f in findings if f.kind == "veto" and f.status is Status.FAILED]


def band_of(findings: Iterable[Priced], caps: Iterable[Cap], policy: GradingPolicy) -> int:
    """The grade's index (0 best) for these findings and caps: the score's band, lowered by each cap to its
    ``max_grade`` and by any failed veto to the veto grade — what ``grade`` awards."""
    findings = tuple(findings)
    idx = score_band(total_of(findings, policy), policy)
    for cap in caps:
        idx = max(idx, cap_index(cap, policy))
    if failed_vetoes(findings):
        idx = max(idx, grade_index(policy, policy.veto_grade, "veto_grade"))
    return idx


def ceiling(evaluation: Evaluation, policy: GradingPolicy) -> int:
    """The best grade index the branch's caps and vetoes allow, whatever its score (0: none holds): what a
    scoring policy that re-scores the branch (a weighted total) must still respect."""
    idx = 0
    for cap in evaluation.caps:
        idx = max(idx, cap_index(cap, policy))
    if failed_vetoes(evaluation.findings):
        idx = max(idx, grade_index(policy, policy.veto_grade, "veto_grade"))
    return idx


def corrected(evaluation: Evaluation, codes: Iterable[str], lifted: Iterable[Cap] = ()) -> Evaluation:
    """``evaluation`` as if the rules ``codes`` had passed (their findings gone) and the caps ``lifted`` no
    longer held: what a branch's facts give once it corrects those items and meets those conditions."""
    fixed = set(codes)
    gone = list(lifted)
    return evaluation.model_copy(
        update={
            "findings": tuple(f for f in evaluation.findings if f.code not in fixed),
            "caps": tuple(c for c in evaluation.caps if c not in gone),
        }
    )
