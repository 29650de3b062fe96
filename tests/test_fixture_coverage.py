"""The fixture college exercises every rule of loudi-2012 both ways: each rule passes in at least one branch
and fails in at least one, so a rule that can never fire (or never pass) on realistic data is caught."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from engine import pipeline
from engine.rulebook import load_profile
from schemas.common import Status

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
PROFILE = "loudi-2012"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def statuses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[Status, list[str]]]:
    """rule code -> status -> the branches where the rule ended with that status."""
    run = pipeline.grade_folder(COLLEGE, tmp_path_factory.mktemp("out-coverage"), PROFILE, workers=0)
    assert run.exit_code == 0
    seen: dict[str, dict[Status, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in run.report.results:
        for trace in result.trace:
            seen[trace.code][trace.status].append(result.identity.branch_id)
    return seen


def test_every_rule_passes_and_fails_somewhere(statuses: dict[str, dict[Status, list[str]]]) -> None:
    codes = sorted(rule.code for rule in load_profile(PROFILE).rules)
    assert codes, f"profile {PROFILE} has no rules"
    never_passed = [c for c in codes if not statuses[c][Status.PASSED]]
    never_failed = [c for c in codes if not statuses[c][Status.FAILED]]
    assert not (never_passed or never_failed), (
        f"rules never passed in any fixture branch: {never_passed}; "
        f"rules never failed in any fixture branch: {never_failed} "
        "(add or adjust a branch's knobs in fixtures/college.toml, then run `make fixtures`)"
    )
