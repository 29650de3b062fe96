"""Recording rounds in tests: grade fixture workbooks in this process through a round's hooks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.ledger.record import Recorder, RoundPlan, round_context
from engine.ledger.store import Ledger, RoundInfo
from engine.pipeline import FileOutcome, grade_workbooks
from engine.profiles import Evaluators, ProfileChoice

COLLEGE = Path(__file__).resolve().parent.parent / "fixtures" / "college"


def college_forms(count: int | None = None) -> list[Path]:
    forms = sorted(COLLEGE.glob("*.xlsx"))
    return forms if count is None else forms[:count]


def plan_for(
    stage: str, year: int | None = None, replace: bool = False, baseline: str | None = None
) -> RoundPlan:
    choice = ProfileChoice.from_ref("loudi-2012")
    return RoundPlan(
        stage=stage,
        year=year,
        replace=replace,
        profiles={e.name: e.sha256 for e in choice.entries},
        baseline_stage=baseline,
    )


def record(led: Ledger, forms: Sequence[Path], plan: RoundPlan) -> tuple[list[RoundInfo], list[FileOutcome]]:
    """Grade ``forms`` (in this process, reference evaluator) as the round ``plan`` and record it."""
    context = round_context(led, plan)
    choice = ProfileChoice.from_ref("loudi-2012")
    with Evaluators(choice, "reference") as evaluators:
        outcomes = grade_workbooks([(p, p.name) for p in forms], choice, evaluators, context)
    with Recorder(plan) as recorder:
        for outcome in outcomes:
            if outcome.captured is not None:
                recorder.add(outcome.captured)
        return recorder.commit(led), outcomes
