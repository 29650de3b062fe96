"""The reviewed grade (审定) on a branch's page: the reviews of the branch in the round its collection was
recorded as, and an officer's review with a reason, recorded through the review library's call
(``engine.review.record.record_review``: checked there, refused with located problems). The computed
grade is never changed; nothing here decides a grade.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.ledger import Ledger, RoundInfo
from engine.review.record import (
    ReviewEvent,
    profile_grades,
    record_review,
    review_history,
    reviewed_results,
)
from engine.review.weighted import decided_again
from schemas.common import Text
from schemas.results import BranchResult, Grade


@dataclass(frozen=True)
class BranchReview:
    """A branch's reviews in one recorded round: the grades a review may choose (best first) and every
    review recorded, oldest first (the last one stands)."""

    round: RoundInfo
    grades: tuple[Grade, ...]
    history: tuple[ReviewEvent, ...]
    # The branch as the round now decides it (engine.review.weighted): under a scoring policy, with its
    # review score weighted in; None when its profile has no policy.
    decided: BranchResult | None = None

    def grade(self, code: str) -> Grade:
        return next(
            (g for g in self.grades if g.code == code),
            Grade(code=code, name=Text(zh=code, en=code)),
        )

    @property
    def standing(self) -> ReviewEvent | None:
        return self.history[-1] if self.history else None


def branch_review(
    ledger: Path, round_ids: Sequence[int], branch_id: str, profile: str
) -> BranchReview | None:
    """The branch's reviews in the current round (of ``round_ids``, those its collection was recorded as)
    that holds it; None when there is none (a collection not recorded, or since recorded again)."""
    if not round_ids or not ledger.exists():
        return None
    with Ledger.open(ledger, create=False) as led:
        for round_id in round_ids:
            info = led.round_by_id(round_id)
            if info is None or info.replaced_by is not None or branch_id not in led.branch_grades(round_id):
                continue
            history = tuple(review_history(led, round_id, branch_id))
            records = led.branch_records(round_id, (branch_id,))
            decided = None
            if any(r.result.policy is not None for r in records):  # the weighted total reads the whole round
                decided = next(
                    r
                    for r in decided_again(led, info, reviewed_results(led, round_id))
                    if r.identity.branch_id == branch_id
                )
            return BranchReview(info, profile_grades(profile), history, decided)
    return None


def review(
    ledger: Path,
    round_id: int,
    branch_id: str,
    decided: tuple[str, str, str, str],
    reviewer: str,
) -> bool:
    """Record the review (``record_review``) — ``decided``: the grade, reason, review score and 破格晋升
    reason as entered — True when recorded, False when it equals the standing one; raises
    ``ReviewRefused`` with the problems that refuse it."""
    grade, reason, score, exception = decided
    with Ledger.open(ledger, create=False) as led:
        return record_review(led, str(round_id), branch_id, grade, reason, reviewer, score, exception)
