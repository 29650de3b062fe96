"""grade: a branch's findings -> indicator scores, total, grade band, caps and vetoes, and the path to the
next grade (engine.grading.path). Pure; no I/O.

The rulebook stage already priced every finding (``Finding.deduction``, not-evidenced ones included), so
grading only adds them up per indicator, floors each indicator at 0 (扣完为止) and applies the bands.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from engine.grading.path import next_grade_path
from engine.grading.scoring import (
    cap_index,
    deductions_by_indicator,
    failed_vetoes,
    grade_index,
    indicator_score,
    round_score,
    score_band,
)
from schemas.batch import FileReport, Kpi
from schemas.common import Finding, Text
from schemas.construct import assemble
from schemas.results import BranchResult, Evaluation, Grade, IndicatorScore
from schemas.rules import GradeBand, GradingPolicy

KPI_ADVANCED_SHARE = "TG-01"


def _as_grade(band: GradeBand) -> Grade:
    return Grade(code=band.code, name=band.name)


def _item_order(policy: GradingPolicy) -> dict[str, float]:
    return {ind.id: ind.points for ind in policy.indicators}


def order_items(findings: Iterable[Finding], policy: GradingPolicy) -> tuple[Finding, ...]:
    """The rectification list: most weighty indicator first, then by code.

    The last key (the finding as JSON) only breaks ties between findings of one code, so the order never
    depends on the order the rulebook produced them in.
    """
    weight = _item_order(policy)

    def key(f: Finding) -> tuple[float, str, str]:
        return (-weight.get(f.indicator or "", 0.0), f.code, f.indicator or "")

    # Sort on the cheap key, then order each run of equal keys by JSON: the same order as sorting on
    # (key, JSON) at once, without serialising the findings that need no tie-break (almost all).
    ordered = sorted(findings, key=key)
    keys = [key(f) for f in ordered]
    i = 0
    while i < len(ordered):
        j = i + 1
        while j < len(ordered) and keys[j] == keys[i]:
            j += 1
        if j - i > 1:
            ordered[i:j] = sorted(ordered[i:j], key=lambda f: f.model_dump_json())
        i = j
    return tuple(ordered)


def grade(evaluation: Evaluation, policy: GradingPolicy) -> BranchResult:
    """Score and grade one branch under ``policy``."""
    deducted = deductions_by_indicator(evaluation.findings, policy)
    scores: list[IndicatorScore] = []
    for ind in policy.indicators:
        taken, score = indicator_score(ind.points, deducted[ind.id])
        scores.append(
            IndicatorScore(id=ind.id, name=ind.name, points=ind.points, deducted=taken, score=score)
        )
    total = round_score(math.fsum(s.score for s in scores))

    score_idx = score_band(total, policy)
    idx = score_idx
    adjustments: list[Text] = []

    # Caps: each lowers the grade to at most its max_grade. Reasons are listed for the caps that bind
    # (their ceiling is below the score band); a cap the score already sits under changes nothing.
    caps = sorted(
        ((cap_index(cap, policy), cap) for cap in evaluation.caps),
        key=lambda pair: (-pair[0], pair[1].when, pair[1].reason.zh),
    )
    for cap_idx, cap in caps:
        if cap_idx > score_idx and cap.reason not in adjustments:
            adjustments.append(cap.reason)
        idx = max(idx, cap_idx)

    # Vetoes: any failed veto rule gives the veto grade (or keeps a worse one: a veto never improves).
    items = order_items(evaluation.findings, policy)
    vetoes: dict[str, Finding] = {}
    for f in failed_vetoes(items):  # the ordered list, so the title kept for a repeated code is stable
        vetoes.setdefault(f.code, f)
    if vetoes:
        idx = max(idx, grade_index(policy, policy.veto_grade, "veto_grade"))
        for code in sorted(vetoes):
            title = vetoes[code].title
            adjustments.append(Text(zh=f"一票否决：{title.zh}", en=f"Veto: {title.en}"))

    # Every value below is already of its field's type (the evaluation's own, floats, models built here),
    # so the result is assembled without re-validating the ~100 facts and ~70 traces it carries.
    return assemble(
        BranchResult,
        {
            "identity": evaluation.identity,
            "profile": evaluation.profile,
            "scores": tuple(scores),
            "total": total,
            "score_grade": _as_grade(policy.grades[score_idx]),
            "grade": _as_grade(policy.grades[idx]),
            "adjustments": tuple(adjustments),
            "items": items,
            "trace": evaluation.trace,
            "facts": dict(evaluation.facts),
            "fact_evidence": dict(evaluation.fact_evidence),
            "kpi_flags": dict(evaluation.kpi_flags),
            "warnings": evaluation.warnings,
            "path": next_grade_path(evaluation, policy, idx, items),
        },
    )


def _share(code: str, title: Text, target: float, numerator: int, denominator: int) -> Kpi:
    return Kpi(
        code=code,
        title=title,
        target=target,
        actual=round(numerator / denominator, 4) if denominator else None,
        numerator=numerator,
        denominator=denominator,
        # Compare the exact fraction, not the rounded share, so 9/10 meets 0.9 and 899/1000 misses it.
        met=denominator > 0 and numerator >= target * denominator - 1e-9,
    )


class KpiSource(Protocol):
    """What ``college_kpis`` reads of a graded branch: a ``BranchResult``, or a compact stand-in of one."""

    @property
    def grade(self) -> Grade: ...

    @property
    def kpi_flags(self) -> Mapping[str, bool]: ...


def college_kpis(
    results: Sequence[KpiSource],
    policy: GradingPolicy,
    files: Sequence[FileReport] | None = None,
    roster: tuple[int, int] | None = None,
) -> tuple[Kpi, ...]:
    """College-level figures against their targets.

    TG-01 is the share of branches at ``kpi_grade``; the policy's further ``kpis`` are shares of the
    branches' per-branch flags (decided by the rulebook) or, for ``scope = "files"``, of the workbooks
    graded among ``files`` (left out when the caller has no file list) — or, when the caller knows which
    branches should have submitted, ``roster`` = (roster branches graded, roster branches): a branch that
    sent nothing counts against the figure, and a file of a branch off the roster does not count for it.
    """
    target = policy.kpi_min_share
    band = policy.grades[grade_index(policy, policy.kpi_grade, "kpi_grade")].name
    kpis = [
        _share(
            KPI_ADVANCED_SHARE,
            Text(
                zh=f"{band.zh}党支部比例（目标≥{target:.0%}）",
                en=f"Share of branches graded {band.en} (target ≥{target:.0%})",
            ),
            target,
            sum(1 for r in results if r.grade.code == policy.kpi_grade),
            len(results),
        )
    ]
    for spec in policy.kpis:
        if spec.scope == "files":
            if roster is not None:
                kpis.append(_share(spec.code, spec.title, spec.target, *roster))
                continue
            if files is None:
                continue
            graded = sum(1 for f in files if f.status == "graded")
            kpis.append(_share(spec.code, spec.title, spec.target, graded, len(files)))
            continue
        flags = [r.kpi_flags[spec.code] for r in results if spec.code in r.kpi_flags]
        kpis.append(_share(spec.code, spec.title, spec.target, sum(flags), len(flags)))
    return tuple(kpis)
