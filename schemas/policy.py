"""A profile's scoring policy (``[policy]`` in profile.toml, optional) and what applying it decides.

Grading gives each branch its computed grade from the evidence. Many places then weight that score with a
review score, allow at most one band up a year (逐级晋升) and cap the top band's share (or floor the
bottom band's) per general branch and per college. Those are data here, never code; docs/scoring-policy.md
explains them. A profile without ``[policy]`` (loudi-2012: the seed sets no weights or quotas) grades as
before.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas.common import Frozen, Text

QuotaScope = Literal["general_branch", "college"]


class Weights(Frozen):
    """The weighted total: evidence score × ``evidence`` + review score × ``review`` (the two sum to 1;
    ``rules lint`` says so when they do not)."""

    evidence: float = Field(ge=0, le=1)
    review: float = Field(ge=0, le=1)


class Quota(Frozen):
    """A share limit per ``scope`` (each general branch, or the whole college), applied after scoring:
    ``max_share`` caps the share of branches at ``grade`` or better (the lowest-ranked above the cap move
    down one band); ``min_share`` floors the share at ``grade`` or worse (the lowest-ranked above it move
    down to ``grade``). ``round``: how a share becomes a number of branches — ``down`` (the cap's
    count rounds down, the floor's up: the strict reading) is the default."""

    scope: QuotaScope
    grade: str
    max_share: float | None = Field(default=None, ge=0, le=1)
    min_share: float | None = Field(default=None, ge=0, le=1)
    reason: Text | None = None  # the notice the quota comes from, as a reason on every branch it moves

    @model_validator(mode="after")
    def _one_limit(self) -> Quota:
        if (self.max_share is None) == (self.min_share is None):
            raise ValueError(
                "a quota has either max_share (a cap on the top) or min_share (a floor), not both"
            )
        return self


class ScoringPolicy(Frozen):
    """``[policy]`` of a profile.

    ``weights``: the weighted total (None: the evidence score alone). ``max_step_up``: 逐级晋升, at most
    this many bands above the branch's previous-year grade (None: no limit); a recorded exception reason
    (破格晋升) lifts it for that branch. ``quotas`` apply after scoring, in the order listed. Ties between
    branches of equal rank are broken by the stated rule: the higher weighted total ranks higher, then the
    higher evidence score, then fewer open items, then the branch ID in order (the later ID is the lower).
    """

    weights: Weights | None = None
    max_step_up: int | None = Field(default=None, ge=0)
    quotas: tuple[Quota, ...] = ()
    reason: Text | None = None  # the document the policy comes from, quoted in reasons
