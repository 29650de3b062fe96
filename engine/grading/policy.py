"""Applying a profile's scoring policy to graded branches: weighted total, 逐级晋升, quotas. Pure; no I/O.

Grading decides each branch's computed grade from its evidence alone. The policy (``[policy]`` of the
profile, ``schemas.policy.ScoringPolicy``; docs/scoring-policy.md) then decides the published grade over
the whole batch: a weighted total (evidence × w + review × (1 − w)) where a review score is recorded, at
most ``max_step_up`` bands above the previous year's grade unless an exception is recorded, and the quotas
per scope, applied after scoring. Every branch the policy moves carries the reason; the policy never
raises a grade above what its own score gives, and quotas only ever lower one.

Ranking (who moves when a quota binds): the better grade first, then the higher weighted total, the
higher evidence score, fewer open items, and last the branch ID in order — the later ID ranks lower. The
input order never matters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.grading.scoring import round_score, score_band
from schemas.common import Text
from schemas.policy import Quota, ScoringPolicy, Weights
from schemas.results import BranchResult, Grade, MoveKind, PolicyMove, PolicyOutcome
from schemas.rules import GradingPolicy

__all__ = ["Decision", "Standing", "apply_policy", "standing_of", "weighted_total", "with_policy"]


@dataclass(frozen=True)
class Standing:
    """What the policy reads of one graded branch."""

    branch_id: str
    general_branch: str | None
    grade: int  # the computed grade's index (0 the best)
    limit: int  # the best index its caps and vetoes allow (0: none binds)
    evidence: float  # the evidence score (the total)
    items: int  # open items on its list
    review: float | None = None  # the review score, when one is recorded
    previous: int | None = None  # the previous year's grade index, when the ledger knows it
    exception: Text | None = None  # a recorded 破格晋升 reason: 逐级晋升 does not hold this branch back


@dataclass(frozen=True)
class Decision:
    """The policy's decision for one branch: its score (weighted where it could be) and grade index, and
    every move from the computed grade, in order."""

    branch_id: str
    score: float
    grade: int
    moves: tuple[PolicyMove, ...] = field(default=())
    review: float | None = None  # the review score it was weighted with
    previous: int | None = None  # last year's grade index, when known
    limit: int = 0  # the best index its caps and vetoes allow (0: none binds)
    weighted: bool = False  # the policy has a weighted total


def weighted_total(evidence: float, review: float | None, policy: ScoringPolicy) -> float:
    """evidence × w + review × (1 − w), or the evidence score where the policy sets no weights or the branch
    has no review score."""
    if policy.weights is None or review is None:
        return evidence
    return round_score(math.fsum((evidence * policy.weights.evidence, review * policy.weights.review)))


def _code(grading: GradingPolicy, idx: int) -> Grade:
    band = grading.grades[idx]
    return Grade(code=band.code, name=band.name)


def _name(grading: GradingPolicy, idx: int) -> Text:
    return grading.grades[idx].name


def _move(kind: MoveKind, grading: GradingPolicy, before: int, after: int, why: Text) -> PolicyMove:
    return PolicyMove(
        kind=kind, from_grade=_code(grading, before), to_grade=_code(grading, after), reason=why
    )


class _State:
    def __init__(self, standings: Sequence[Standing], policy: ScoringPolicy, grading: GradingPolicy) -> None:
        self.policy, self.grading = policy, grading
        self.by_id = {s.branch_id: s for s in standings}
        self.score = {s.branch_id: weighted_total(s.evidence, s.review, policy) for s in standings}
        self.grade: dict[str, int] = {}
        self.moves: dict[str, list[PolicyMove]] = {s.branch_id: [] for s in standings}

    def rank_key(self, branch_id: str) -> tuple[int, float, float, int, str]:
        s = self.by_id[branch_id]
        return (self.grade[branch_id], -self.score[branch_id], -s.evidence, s.items, branch_id)

    def set(self, branch_id: str, idx: int, kind: MoveKind, why: Text) -> None:
        before = self.grade[branch_id]
        if idx == before:
            return
        self.grade[branch_id] = idx
        self.moves[branch_id].append(_move(kind, self.grading, before, idx, why))


def _weighted_reason(score: float, weights: Weights) -> Text:
    e, r = fmt(weights.evidence), fmt(weights.review)
    return Text(
        zh=f"加权总分{fmt(score)}（依据得分×{e}＋审定评分×{r}）",
        en=f"weighted total {fmt(score)} (evidence × {e} + review × {r})",
    )


def fmt(x: float) -> str:
    """A number as people write it (85, 85.5), for reasons."""
    return f"{x:g}"


def _scored(state: _State) -> None:
    """The grade by the weighted total, caps and vetoes still applied; 逐级晋升 on top."""
    grading, policy = state.grading, state.policy
    for branch_id, s in sorted(state.by_id.items()):
        state.grade[branch_id] = s.grade
        idx = max(score_band(state.score[branch_id], grading), s.limit)
        if idx != s.grade and policy.weights is not None:  # only weighting changes a band here
            why = _weighted_reason(state.score[branch_id], policy.weights)
            state.set(branch_id, idx, "weighted", why)
        step = policy.max_step_up
        if step is None or s.previous is None:
            continue
        best = max(0, s.previous - step)
        if state.grade[branch_id] < best:
            prev = _name(grading, s.previous)
            if s.exception is not None:  # 破格晋升: allowed with its recorded reason, which is kept
                state.moves[branch_id].append(
                    PolicyMove(
                        kind="step_up_exception",
                        from_grade=_code(grading, best),
                        to_grade=_code(grading, state.grade[branch_id]),
                        reason=Text(
                            zh=f"破格晋升（上一年度为{prev.zh}）：{s.exception.zh}",
                            en=f"exceptional promotion (last year {prev.en}): {s.exception.en}",
                        ),
                    )
                )
                continue
            state.set(
                branch_id,
                best,
                "step_up",
                Text(
                    zh=f"逐级晋升：上一年度为{prev.zh}，本年度最多晋升{step}个等次",
                    en=f"one step a year: last year {prev.en}, at most {step} band(s) up this year",
                ),
            )


def _groups(state: _State, quota: Quota) -> list[list[str]]:
    if quota.scope == "college":
        return [sorted(state.by_id)]
    groups: dict[str, list[str]] = {}
    for branch_id, s in state.by_id.items():
        groups.setdefault(s.general_branch or "", []).append(branch_id)
    return [sorted(g) for _, g in sorted(groups.items())]


def _quota(state: _State, quota: Quota) -> bool:
    """Apply one quota to each of its groups; True if it moved any branch."""
    grading = state.grading
    q = next(i for i, g in enumerate(grading.grades) if g.code == quota.grade)
    moved = False
    for group in _groups(state, quota):
        n = len(group)
        ranked = sorted(group, key=state.rank_key)
        scope = (
            Text(zh="学院", en="the college")
            if quota.scope == "college"
            else Text(
                zh=state.by_id[group[0]].general_branch or "未列党总支",
                en=state.by_id[group[0]].general_branch or "no general branch",
            )
        )
        if quota.max_share is not None:
            allowed = math.floor(quota.max_share * n + 1e-9)
            above = [b for b in ranked if state.grade[b] <= q]
            for b in above[allowed:]:  # the lowest-ranked beyond the cap, one band below it
                share, band = f"{quota.max_share:.0%}", _name(grading, q)
                better = "" if q == 0 else "及以上"
                why = Text(
                    zh=f"名额限制：{scope.zh}{band.zh}{better}不超过{share}（{n}个支部中最多{allowed}个），按排名顺延",
                    en=f"quota: at most {share} of {scope.en} at {band.en}{'' if q == 0 else ' or better'} "
                    f"({allowed} of {n}), by rank",
                )
                state.set(b, q + 1, "quota_cap", _cite(why, quota))
                moved = True
        if quota.min_share is not None:
            needed = math.ceil(quota.min_share * n - 1e-9)
            at = sum(1 for b in group if state.grade[b] >= q)
            if at >= needed:
                continue
            above = [b for b in ranked if state.grade[b] < q]
            for b in above[len(above) - (needed - at) :]:  # the lowest-ranked above the floor
                why = Text(
                    zh=f"名额要求：{scope.zh}{_name(grading, q).zh}不少于{quota.min_share:.0%}"
                    f"（{n}个支部中至少{needed}个），按排名确定",
                    en=f"quota: at least {quota.min_share:.0%} of {scope.en} at {_name(grading, q).en} "
                    f"({needed} of {n}), by rank",
                )
                state.set(b, q, "quota_floor", _cite(why, quota))
                moved = True
    return moved


def _cite(why: Text, quota: Quota) -> Text:
    if quota.reason is None:
        return why
    return Text(zh=f"{why.zh}（{quota.reason.zh}）", en=f"{why.en} ({quota.reason.en})")


def apply_policy(
    standings: Sequence[Standing], policy: ScoringPolicy, grading: GradingPolicy
) -> tuple[Decision, ...]:
    """Each branch's decision, in branch-ID order. Quotas are applied in the order listed, again and again
    until none moves a branch (a later quota's moves can only lower grades, so this ends), so every cap
    holds at the end."""
    state = _State(standings, policy, grading)
    _scored(state)
    for _ in range(len(standings) * len(grading.grades) + 1):
        if not any([_quota(state, q) for q in policy.quotas]):
            break
    return tuple(
        Decision(
            branch_id=b,
            score=state.score[b],
            grade=state.grade[b],
            moves=tuple(state.moves[b]),
            review=state.by_id[b].review,
            previous=state.by_id[b].previous,
            limit=state.by_id[b].limit,
            weighted=policy.weights is not None,
        )
        for b in sorted(state.by_id)
    )


def with_policy(result: BranchResult, decision: Decision, grading: GradingPolicy) -> BranchResult:
    """``result`` as the policy decided it: the grade after the policy, each move's reason added to the
    adjustments, and ``policy`` saying what the computed grade was and why it moved."""
    band = grading.grades[decision.grade]
    return result.model_copy(
        update={
            "grade": Grade(code=band.code, name=band.name),
            "adjustments": (*result.adjustments, *(m.reason for m in decision.moves)),
            "policy": PolicyOutcome(
                computed=result.grade,
                score=decision.score,
                review_score=decision.review,
                moves=decision.moves,
                previous=None if decision.previous is None else _code(grading, decision.previous),
                capped_at=None if decision.limit == 0 else _code(grading, decision.limit),
                weighted=decision.weighted,
            ),
        }
    )


def standing_of(result: BranchResult, ceiling: int, grading: GradingPolicy) -> Standing:
    """What the policy reads of a graded branch: its computed grade, the best grade its caps and vetoes
    allow (``ceiling``, from ``engine.grading.scoring.ceiling``), its evidence score and open items."""
    codes = [g.code for g in grading.grades]
    return Standing(
        branch_id=result.identity.branch_id,
        general_branch=result.identity.general_branch,
        grade=codes.index(result.grade.code),
        limit=ceiling,
        evidence=result.total,
        items=len(result.items),
    )
