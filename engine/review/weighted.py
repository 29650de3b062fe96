"""A recorded round under its profiles' scoring policies again, with what the ledger has learnt since.

Grading a round applies each profile's policy (docs/scoring-policy.md) before any review score is known,
and the round records the grade it gives (``engine.ledger.capture.RoundContext.decided``). Once officers
record review scores (``review import``'s 审定评分 column, ``review add --score``), the weighted total can be
taken: :func:`decided_again` applies the policy to the round's branches again — each from its computed
grade, evidence score, caps and vetoes as recorded, with its standing review score and last year's final
grade — so every output written from the ledger (``review export``) shows the weighted total. A branch
without a review score keeps its evidence score and says so; a missing score is never weighted as 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.grading.policy import Standing, apply_policy, with_policy
from engine.ledger.record import final_grades
from engine.ledger.store import Ledger, RoundInfo
from engine.review.record import loaded_profile, standing_scores
from schemas.results import BranchResult

__all__ = ["as_computed", "decided_again"]


def as_computed(result: BranchResult) -> BranchResult:
    """``result`` as grading computed it, before its policy: the computed grade, the adjustments without
    the policy's reasons (which ``with_policy`` added last), no ``policy``."""
    policy = result.policy
    if policy is None:
        return result
    kept = len(result.adjustments) - len(policy.moves)
    return result.model_copy(
        update={"grade": policy.computed, "adjustments": result.adjustments[:kept], "policy": None}
    )


def decided_again(led: Ledger, info: RoundInfo, results: Sequence[BranchResult]) -> list[BranchResult]:
    """``results`` (round ``info``'s, as recorded) with each profile's scoring policy applied again over
    the round's branches of that profile, with the standing review scores and last year's final grades.
    A result whose profile has no policy (or is not available here) is returned as it is."""
    scores = standing_scores(led, info.id)
    previous = final_grades(led).get(info.year, {})
    out = list(results)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(results):
        if r.policy is not None:
            groups.setdefault(r.profile, []).append(i)
    for name, indexes in sorted(groups.items()):
        profile = loaded_profile(name)
        if profile is None or profile.policy is None:
            continue
        grading = profile.grading
        codes = [g.code for g in grading.grades]
        standings = []
        for i in indexes:
            r, policy = results[i], results[i].policy
            assert policy is not None
            branch_id = r.identity.branch_id
            last = previous.get(branch_id)
            standings.append(
                Standing(
                    branch_id=branch_id,
                    general_branch=r.identity.general_branch,
                    grade=codes.index(policy.computed.code),
                    limit=0 if policy.capped_at is None else codes.index(policy.capped_at.code),
                    evidence=r.total,
                    items=len(r.items),
                    review=scores.get(branch_id),
                    previous=codes.index(last) if last in codes else None,
                )
            )
        decided = {d.branch_id: d for d in apply_policy(standings, profile.policy, grading)}
        for i in indexes:
            r = results[i]
            out[i] = with_policy(as_computed(r), decided[r.identity.branch_id], grading)
    return out
