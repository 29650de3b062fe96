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


YEAR = COLLEGE.parent / "year"
MARCH_BRANCHES = ("JD-02", "XS-02", "XX-01")  # computed in March: 先进, 较好, 较好


def record_march(folder: Path) -> Path:
    """A ledger in ``folder`` holding the fixture year's March round (2012-年初定级) of ``MARCH_BRANCHES``,
    checkpointed so that copying the file copies the round."""
    path = folder / "pristine.sqlite"
    with Ledger.open(path) as led:
        record(led, [YEAR / "march" / f"{b}.xlsx" for b in MARCH_BRANCHES], plan_for("年初定级"))
        led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def run_cli(*args: str) -> tuple[int, str]:
    """Run the command line in this process: its exit code and output (a traceback fails the test)."""
    from typer.testing import CliRunner

    from engine.cli import app

    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output
