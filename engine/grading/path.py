"""The exact path to the next grade: what, precisely, would lift a branch one band. Pure; no I/O.

For a branch below the top band the path names, first, the conditions points cannot fix — a failed veto
must be lifted (its rule passing), a binding grade cap must end (the satisfaction cap: satisfaction ≥ 90%,
i.e. the cap's ``lifted_by`` rule FB-01 passing) — and then the smallest set of the branch's other open
items whose correction brings the total into the next band, each with the points it gives back.

Exact, not greedy. Correcting an item removes its rule's findings; deductions are added up per indicator
and floored at 0 (扣完为止), so what an item gives back depends on the others (an indicator already at 0
gives nothing back until enough of its deductions are gone). Within one indicator, correcting k items
gives back the most when they are the k largest deductions; so the fewest items overall follow from a
small knapsack over the indicators — for each count, the best total any split of that count across the
indicators reaches — computed on the very functions that graded the branch (``engine.grading.scoring``).
A rule whose findings fall in several indicators (none does in the shipped profiles) is tried in and out.
tests/test_grade_path.py checks the result against brute force over every smaller set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.grading.scoring import (
    band_of,
    cap_index,
    corrected,
    deduction,
    deductions_by_indicator,
    failed_vetoes,
    grade_index,
    indicator_score,
    round_score,
    total_of,
)
from schemas.common import Finding
from schemas.results import Evaluation, Grade, GradePath, PathCondition, PathStep
from schemas.rules import Cap, GradingPolicy

__all__ = ["binding_caps", "next_grade_path", "reaches"]


@dataclass(frozen=True)
class _Unit:
    """One open rule that costs points: correcting it removes all its findings."""

    code: str
    rank: int  # its first item's place on the rectification list (ties go to the earlier item)
    taken: dict[str, tuple[float, ...]]  # its deductions, by indicator

    def points(self, indicator: str) -> float:
        return math.fsum(self.taken[indicator])

    @property
    def size(self) -> float:
        """All it deducts, floors aside: of items giving back as much now, the larger brings a floored
        indicator back sooner."""
        return math.fsum(d for taken in self.taken.values() for d in taken)


def binding_caps(evaluation: Evaluation, policy: GradingPolicy, target: int) -> tuple[Cap, ...]:
    """The caps that hold for the branch and keep it below band ``target``, each once, in a stable order."""
    caps = {cap for cap in evaluation.caps if cap_index(cap, policy) > target}
    return tuple(sorted(caps, key=lambda c: (c.when, c.max_grade, c.reason.zh)))


def _cents(x: float) -> int:
    return round(x * 100)


def _units(findings: Iterable[Finding], policy: GradingPolicy, rank: dict[str, int]) -> list[_Unit]:
    taken: dict[str, dict[str, tuple[float, ...]]] = {}
    known = {ind.id for ind in policy.indicators}
    for f in findings:
        points = deduction(f, policy)
        if points > 0 and f.indicator in known:
            per = taken.setdefault(f.code, {})
            per[f.indicator] = (*per.get(f.indicator, ()), points)
    return sorted(
        (_Unit(code, rank[code], per) for code, per in taken.items()), key=lambda u: (u.rank, u.code)
    )


def _fewest(
    findings: Sequence[Finding], units: Sequence[_Unit], policy: GradingPolicy, need: float
) -> tuple[_Unit, ...] | None:
    """The fewest ``units`` (each in one indicator) whose correction brings the total of ``findings`` to
    ``need`` or more — of the sets that few, the one reaching the highest total, then the one whose items
    come earliest on the list — or None if even all of them do not."""
    fixed_by: dict[str, list[_Unit]] = {ind.id: [] for ind in policy.indicators}
    for u in units:
        fixed_by[next(iter(u.taken))].append(u)
    unit_codes = {u.code for u in units}
    by_indicator = deductions_by_indicator((f for f in findings if f.code not in unit_codes), policy)
    # best[count] = (total in cents, ranks of the units chosen so far, negated and sorted, units chosen per
    # indicator so far): the knapsack over indicators. Of two choices of one count, the higher total wins,
    # then the one whose first differing item comes earlier on the list (the negated sorted ranks compared
    # as tuples) - an order a common rest added to both cannot change, so the search stays exact for it.
    best: dict[int, tuple[int, tuple[int, ...], tuple[int, ...]]] = {0: (0, (), ())}
    for ind in policy.indicators:
        # Correct the largest deductions first (the earlier item on a tie): the best k of this indicator.
        ordered = sorted(fixed_by[ind.id], key=lambda u: (-u.points(ind.id), u.rank, u.code))
        left = [d for u in ordered for d in u.taken[ind.id]]
        starts = list(itertools.accumulate((len(u.taken[ind.id]) for u in ordered), initial=0))
        options = [
            _cents(indicator_score(ind.points, [*by_indicator[ind.id], *left[start:]])[1]) for start in starts
        ]
        fixed_by[ind.id] = ordered
        step: dict[int, tuple[int, tuple[int, ...], tuple[int, ...]]] = {}
        for count, (cents, ranks, chosen) in best.items():
            for k, gained in enumerate(options):
                merged = tuple(sorted((*ranks, *(-u.rank for u in ordered[:k])), reverse=True))
                candidate = (cents + gained, merged, (*chosen, k))
                if count + k not in step or candidate[:2] > step[count + k][:2]:
                    step[count + k] = candidate
        best = step
    for count in sorted(best):
        cents, _, chosen = best[count]
        if round_score(cents / 100) >= need:
            return tuple(
                u for ind, k in zip(policy.indicators, chosen, strict=True) for u in fixed_by[ind.id][:k]
            )
    return None


def _cheapest(
    findings: Sequence[Finding], units: Sequence[_Unit], policy: GradingPolicy, need: float
) -> tuple[_Unit, ...] | None:
    """The fewest units reaching ``need`` (then the highest total, then the earliest on the list)."""
    single = [u for u in units if len(u.taken) == 1]
    spread = [u for u in units if len(u.taken) > 1]
    found: tuple[_Unit, ...] | None = None
    found_total = 0.0
    for size in range(len(spread) + 1):
        for extra in itertools.combinations(spread, size):
            gone = {u.code for u in extra}
            rest = [f for f in findings if f.code not in gone]
            chosen = _fewest(rest, single, policy, need)
            if chosen is None:
                continue
            chosen = (*extra, *chosen)
            codes = {u.code for u in chosen}
            total = total_of((f for f in findings if f.code not in codes), policy)
            if (
                found is None
                or len(chosen) < len(found)
                or (len(chosen) == len(found) and total > found_total)
            ):
                found, found_total = chosen, total
    return found


def _in_order(
    findings: Sequence[Finding], chosen: Sequence[_Unit], policy: GradingPolicy, titles: dict[str, Finding]
) -> tuple[PathStep, ...]:
    """The chosen items in the order that brings the total up fastest: each next the one giving back the
    most points now (on a tie the larger deduction, then the earlier item on the list), with what it gives
    back and the total after."""
    left = list(chosen)
    gone: set[str] = set()
    total = total_of(findings, policy)
    steps: list[PathStep] = []
    while left:
        after = [(total_of((f for f in findings if f.code not in gone | {u.code}), policy), u) for u in left]
        new_total, unit = max(after, key=lambda pair: (pair[0], pair[1].size, -pair[1].rank))
        left.remove(unit)
        gone.add(unit.code)
        item = titles[unit.code]
        steps.append(
            PathStep(
                code=unit.code,
                title=item.title,
                indicator=item.indicator,
                restores=round_score(new_total - total),
                total=new_total,
            )
        )
        total = new_total
    return tuple(steps)


def next_grade_path(
    evaluation: Evaluation, policy: GradingPolicy, current: int, items: Sequence[Finding]
) -> GradePath | None:
    """The path from band ``current`` (the grade awarded) to the band above it; None at the top band.

    ``items`` is the rectification list (``order_items`` of the findings): ties between equally good
    sets go to the items earlier on it, so the path does not depend on the order findings came in."""
    if current <= 0:
        return None
    target = current - 1
    rank: dict[str, int] = {}
    titles: dict[str, Finding] = {}
    for n, f in enumerate(items):
        rank.setdefault(f.code, n)
        titles.setdefault(f.code, f)
    findings = list(evaluation.findings)
    total = total_of(findings, policy)

    conditions: list[PathCondition] = []
    forced: set[str] = set()
    if grade_index(policy, policy.veto_grade, "veto_grade") > target:
        for code in sorted({f.code for f in failed_vetoes(findings)}):
            conditions.append(PathCondition(kind="veto", reason=titles[code].title, codes=(code,)))
    open_codes = set(titles)
    for cap in binding_caps(evaluation, policy, target):
        codes = tuple(c for c in cap.lifted_by if c in open_codes)
        conditions.append(PathCondition(kind="cap", reason=cap.reason, codes=codes))
    # What each condition's items give back, counted in the conditions' order.
    counted: list[PathCondition] = []
    for condition in conditions:
        forced |= set(condition.codes)
        after = total_of((f for f in findings if f.code not in forced), policy)
        counted.append(condition.model_copy(update={"restores": round_score(after - total)}))
        total = after

    rest = [f for f in findings if f.code not in forced]
    need = policy.grades[target].min
    chosen = _cheapest(rest, _units(rest, policy, rank), policy, need)
    steps = () if chosen is None else _in_order(rest, chosen, policy, titles)
    band = policy.grades[target]
    return GradePath(
        target=Grade(code=band.code, name=band.name),
        target_min=band.min,
        conditions=tuple(counted),
        steps=steps,
        total=steps[-1].total if steps else total,
        reachable=chosen is not None,
    )


def reaches(evaluation: Evaluation, policy: GradingPolicy, path: GradePath) -> int:
    """The band a branch ends in once it meets ``path``'s conditions and takes its steps: the grading
    arithmetic re-run on the corrected findings (a cap in the conditions counts as lifted)."""
    codes = {c for cond in path.conditions for c in cond.codes} | {s.code for s in path.steps}
    target = grade_index(policy, path.target.code, "path target")
    fixed = corrected(evaluation, codes, binding_caps(evaluation, policy, target))
    return band_of(fixed.findings, fixed.caps, policy)
