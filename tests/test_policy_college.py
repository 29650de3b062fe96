"""The fictional example-policy college end to end: every part of the scoring policy on real workbooks.

fixtures/college-policy.toml (示例学院, 10 branches, 2012) is graded with the fictional profile
example-policy (loudi-2012's rules; weights 70/30, 逐级晋升 one band, quotas per general branch and per
college). Each branch gets the computed grade its data file expects and the grade the policy gives, and
every branch the policy moves says why: the general-branch cap with its tie broken by the stated rule,
the college cap, the college floor."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine import pipeline
from schemas.results import BranchResult

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fixtures" / "college-policy.toml"
FOLDER = ROOT / "fixtures" / "college-policy"
PROFILE = "example-policy"
SPEC: dict[str, Any] = tomllib.loads(DATA.read_text(encoding="utf-8"))
BRANCHES = {b["id"]: b for b in SPEC["branch"]}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BranchResult]:
    run = pipeline.grade_folder(FOLDER, tmp_path_factory.mktemp("policy-college"), PROFILE, workers=0)
    assert run.exit_code == 0
    return {r.identity.branch_id: r for r in run.report.results}


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_computed_and_policy_grades_are_as_expected(graded: dict[str, BranchResult], branch_id: str) -> None:
    result, expect = graded[branch_id], BRANCHES[branch_id]["expect"]
    assert result.policy is not None
    assert result.policy.computed.name.zh == expect["grade"], f"total {result.total}"
    assert result.grade.name.zh == expect["policy_grade"], [m.reason.zh for m in result.policy.moves]
    failed = sorted(t.code for t in result.trace if t.status.value == "failed")
    assert failed == sorted(expect["failed"])
    moved = result.grade != result.policy.computed
    assert bool(result.policy.moves) == moved  # a branch moves only with a reason, and every move has one
    assert all(m.reason in result.adjustments for m in result.policy.moves)


def test_the_general_branch_cap_breaks_the_tie_by_branch_id(graded: dict[str, BranchResult]) -> None:
    first, second = graded["SA-01"], graded["SA-02"]
    # equal in all the rule ranks by: grade, score, evidence score, open items
    assert (first.total, len(first.items)) == (second.total, len(second.items)) == (100.0, 0)
    assert first.grade.code == "A" and second.grade.code == "B"
    assert second.policy is not None
    (move,) = second.policy.moves
    assert move.kind == "quota_cap" and "示例一系党总支" in move.reason.zh and "最多1个" in move.reason.zh


def test_the_college_cap_and_floor(graded: dict[str, BranchResult]) -> None:
    top = [b for b, r in graded.items() if r.grade.code == "A"]
    assert len(top) <= 3 == int(0.3 * len(graded))  # the college cap holds
    assert sum(r.grade.code == "D" for r in graded.values()) >= 1  # the floor is met
    capped, floored = graded["SB-01"].policy, graded["SC-03"].policy
    assert capped is not None and [m.kind for m in capped.moves] == ["quota_cap"]
    assert "学院先进不超过30%" in capped.moves[0].reason.zh
    assert "示例文件（虚构）第六条" in capped.moves[0].reason.zh  # the quota's source, quoted
    assert floored is not None and [m.kind for m in floored.moves] == ["quota_floor"]
    assert "后进不少于10%" in floored.moves[0].reason.zh
    # Quotas never raise a grade.
    codes = "ABCD"
    assert all(
        codes.index(r.grade.code) >= codes.index(r.policy.computed.code)
        for r in graded.values()
        if r.policy is not None
    )
