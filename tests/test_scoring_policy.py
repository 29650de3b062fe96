"""The scoring policy applied after grading: weighted total, 逐级晋升 with its recorded exception, quotas per
scope with the stated tie rule — quotas never raise a grade, a capped band's share never exceeds its cap,
ties are resolved the same whatever the input order, and every moved branch carries its reason."""

from __future__ import annotations

import math
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from python_calamine import CalamineWorkbook

from engine import pipeline
from engine.grading.policy import Standing, apply_policy, weighted_total
from engine.grading.scoring import score_band
from engine.rulebook.lint import lint_profile
from schemas.common import Severity, Text
from schemas.policy import Quota, ScoringPolicy, Weights
from tests.test_grading import POLICY as GRADING

CODES = [g.code for g in GRADING.grades]  # A B C D


def standing(branch_id: str, evidence: float, **kw: object) -> Standing:
    grade = int(kw.pop("grade", score_band(evidence, GRADING)))  # type: ignore[call-overload]
    defaults: dict[str, object] = {"general_branch": "一总支", "limit": 0, "items": 0}
    return Standing(branch_id=branch_id, evidence=evidence, grade=grade, **{**defaults, **kw})  # type: ignore[arg-type]


def grades_of(decisions: tuple[object, ...]) -> dict[str, str]:
    return {d.branch_id: CODES[d.grade] for d in decisions}  # type: ignore[attr-defined]


def test_no_policy_changes_nothing() -> None:
    standings = [standing("A-01", 95), standing("A-02", 70), standing("A-03", 85, limit=2, grade=2)]
    decided = apply_policy(standings, ScoringPolicy(), GRADING)
    assert grades_of(decided) == {"A-01": "A", "A-02": "C", "A-03": "C"}
    assert all(d.moves == () for d in decided)


def test_weighted_total_uses_the_review_score_where_there_is_one() -> None:
    policy = ScoringPolicy(weights=Weights(evidence=0.7, review=0.3))
    assert weighted_total(80, 100, policy) == 86
    assert weighted_total(80, None, policy) == 80  # no review score recorded: the evidence score alone
    decided = {d.branch_id: d for d in apply_policy([standing("A-01", 88, review=95)], policy, GRADING)}
    # 88 × 0.7 + 95 × 0.3 = 61.6 + 28.5 = 90.1 -> A
    assert decided["A-01"].score == 90.1 and CODES[decided["A-01"].grade] == "A"
    assert decided["A-01"].moves[0].kind == "weighted" and "90.1" in decided["A-01"].moves[0].reason.zh


def test_weighting_never_lifts_a_cap_or_veto() -> None:
    policy = ScoringPolicy(weights=Weights(evidence=0.5, review=0.5))
    decided = apply_policy([standing("A-01", 70, review=100, limit=2)], policy, GRADING)
    assert CODES[decided[0].grade] == "C"  # weighted 85 is 较好 by score, but the cap keeps 一般


def test_one_step_a_year_unless_an_exception_is_recorded() -> None:
    policy = ScoringPolicy(max_step_up=1)
    lagging_last_year = CODES.index("D")
    plain = standing("A-01", 95, previous=lagging_last_year)
    excepted = standing(
        "A-02", 95, previous=lagging_last_year, exception=Text(zh="抗洪救灾表现突出", en="flood relief")
    )
    decided = {d.branch_id: d for d in apply_policy([plain, excepted], policy, GRADING)}
    assert CODES[decided["A-01"].grade] == "C" and decided["A-01"].moves[0].kind == "step_up"
    assert "逐级晋升" in decided["A-01"].moves[0].reason.zh
    assert CODES[decided["A-02"].grade] == "A"
    assert [m.kind for m in decided["A-02"].moves] == ["step_up_exception"]
    assert "抗洪救灾表现突出" in decided["A-02"].moves[0].reason.zh


def test_a_cap_moves_the_lowest_ranked_down_one_band_with_the_tie_rule() -> None:
    policy = ScoringPolicy(quotas=(Quota(scope="college", grade="A", max_share=0.5),))
    standings = [
        standing("X-01", 95),
        standing("X-02", 92),
        standing("X-03", 92, items=3),  # ties on score with X-02: more open items ranks lower
        standing("X-04", 70),
    ]
    decided = {d.branch_id: d for d in apply_policy(standings, policy, GRADING)}
    assert grades_of(tuple(decided.values())) == {"X-01": "A", "X-02": "A", "X-03": "B", "X-04": "C"}
    move = decided["X-03"].moves[0]
    assert (move.kind, move.from_grade.code, move.to_grade.code) == (
        "quota_cap",
        "A",
        "B",
    ) and "50%" in move.reason.zh


def test_full_ties_go_by_branch_id_the_later_moving() -> None:
    policy = ScoringPolicy(quotas=(Quota(scope="college", grade="A", max_share=0.5),))
    decided = apply_policy([standing("X-02", 95), standing("X-01", 95)], policy, GRADING)
    assert grades_of(decided) == {"X-01": "A", "X-02": "B"}


def test_a_floor_moves_the_lowest_ranked_to_the_bottom_band() -> None:
    policy = ScoringPolicy(quotas=(Quota(scope="general_branch", grade="D", min_share=0.2),))
    standings = [standing(f"Y-0{i}", 90 - i) for i in range(1, 5)] + [
        standing(f"Z-0{i}", 95, general_branch="二总支") for i in range(1, 5)
    ]
    standings.append(standing("Z-05", 40, general_branch="二总支"))  # 二总支 already has its 后进
    decided = grades_of(apply_policy(standings, policy, GRADING))
    assert decided["Y-04"] == "D" and [decided[f"Y-0{i}"] for i in range(1, 4)] == ["B", "B", "B"]
    assert all(decided[f"Z-0{i}"] == "A" for i in range(1, 5)) and decided["Z-05"] == "D"


def test_a_quota_has_one_limit() -> None:
    with pytest.raises(ValidationError):
        Quota(scope="college", grade="A", max_share=0.3, min_share=0.1)
    with pytest.raises(ValidationError):
        Quota(scope="college", grade="A")


# --- properties ---------------------------------------------------------------------------------------------

_SHARES = st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0])


@st.composite
def _standings(draw: st.DrawFn) -> list[Standing]:
    n = draw(st.integers(1, 12))
    return [_graded(f"B-{i:02d}", draw) for i in range(n)]


def _graded(branch_id: str, draw: st.DrawFn) -> Standing:
    evidence = draw(st.sampled_from([40.0, 59.5, 60.0, 75.0, 80.0, 85.5, 90.0, 95.0, 100.0]))
    limit = draw(st.sampled_from([0, 0, 0, 2, 3]))
    return Standing(
        branch_id=branch_id,
        general_branch=draw(st.sampled_from(["一总支", "二总支", None])),
        grade=max(score_band(evidence, GRADING), limit),
        limit=limit,
        evidence=evidence,
        items=draw(st.integers(0, 3)),
        review=draw(st.none() | st.sampled_from([50.0, 80.0, 100.0])),
        previous=draw(st.none() | st.integers(0, 3)),
    )


@st.composite
def _policies(draw: st.DrawFn) -> ScoringPolicy:
    quotas = []
    for _ in range(draw(st.integers(0, 3))):
        scope = draw(st.sampled_from(["college", "general_branch"]))
        if draw(st.booleans()):
            quotas.append(
                Quota(scope=scope, grade=draw(st.sampled_from(CODES[:-1])), max_share=draw(_SHARES))
            )
        else:
            quotas.append(Quota(scope=scope, grade=draw(st.sampled_from(CODES[1:])), min_share=draw(_SHARES)))
    w = draw(st.none() | st.sampled_from([0.5, 0.7, 1.0]))
    return ScoringPolicy(
        weights=None if w is None else Weights(evidence=w, review=round(1 - w, 2)),
        max_step_up=draw(st.none() | st.integers(0, 2)),
        quotas=tuple(quotas),
    )


def _scopes(standings: list[Standing], quota: Quota) -> list[list[str]]:
    if quota.scope == "college":
        return [[s.branch_id for s in standings]]
    groups: dict[str | None, list[str]] = {}
    for s in standings:
        groups.setdefault(s.general_branch, []).append(s.branch_id)
    return list(groups.values())


@settings(max_examples=300, deadline=None)
@given(_standings(), _policies())
def test_quotas_never_raise_and_caps_hold(standings: list[Standing], policy: ScoringPolicy) -> None:
    without = {
        d.branch_id: d.grade
        for d in apply_policy(standings, policy.model_copy(update={"quotas": ()}), GRADING)
    }
    decided = {d.branch_id: d for d in apply_policy(standings, policy, GRADING)}
    for branch_id, d in decided.items():
        assert d.grade >= without[branch_id]  # quotas only ever lower a grade
        quota_moves = [m for m in d.moves if m.kind.startswith("quota")]
        assert (d.grade != without[branch_id]) == bool(quota_moves)  # a moved branch says why
        assert all(m.reason.zh and m.reason.en for m in d.moves)
    for quota in policy.quotas:
        q = CODES.index(quota.grade)
        for group in _scopes(standings, quota):
            if quota.max_share is not None:
                at = sum(1 for b in group if decided[b].grade <= q)
                assert at <= math.floor(quota.max_share * len(group) + 1e-9)
            else:
                at = sum(1 for b in group if decided[b].grade >= q)
                assert at >= math.ceil((quota.min_share or 0) * len(group) - 1e-9)


@settings(max_examples=200, deadline=None)
@given(_standings(), _policies(), st.randoms(use_true_random=False))
def test_the_same_decisions_whatever_the_input_order(
    standings: list[Standing], policy: ScoringPolicy, rnd: random.Random
) -> None:
    shuffled = list(standings)
    rnd.shuffle(shuffled)
    assert apply_policy(shuffled, policy, GRADING) == apply_policy(standings, policy, GRADING)


# --- a batch under a profile with a policy ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
QUOTAS = """
[policy]

[[policy.quotas]]
scope = "college"
grade = "A"
max_share = 0.2
reason = { zh = "示例通知（虚构）", en = "example notice (fictional)" }

[[policy.quotas]]
scope = "college"
grade = "D"
min_share = 0.5
"""


@pytest.fixture(scope="module")
def quota_run(tmp_path_factory: pytest.TempPathFactory) -> pipeline.BatchRun:
    """The fixture college graded under a copy of loudi-2012 with quotas: at most 20% 先进, at least half
    后进 (a harsh, fictional notice: it makes the floor move branches)."""
    base = tmp_path_factory.mktemp("quota-profile")
    profile = base / "quota-2012"
    shutil.copytree(ROOT / "rules" / "loudi-2012", profile)
    toml = (profile / "profile.toml").read_text(encoding="utf-8")
    toml = toml.replace('name = "loudi-2012"', 'name = "quota-2012"', 1) + QUOTAS
    (profile / "profile.toml").write_text(toml, encoding="utf-8")
    return pipeline.grade_folder(ROOT / "fixtures" / "college", base / "out", str(profile), workers=0)


@pytest.mark.slow
def test_a_batch_applies_the_quotas_after_grading(quota_run: pipeline.BatchRun) -> None:
    results = quota_run.report.results
    n = len(results)
    assert all(r.policy is not None for r in results)
    top = [r for r in results if r.grade.code == "A"]
    assert len(top) <= math.floor(0.2 * n)
    assert sum(1 for r in results if r.grade.code == "D") >= math.ceil(0.5 * n)
    moved = [r for r in results if r.policy is not None and r.policy.moves]
    assert moved
    for r in moved:
        assert r.policy is not None
        assert CODES.index(r.grade.code) > CODES.index(r.policy.computed.code)  # only ever down
        assert r.adjustments[-len(r.policy.moves) :] == tuple(m.reason for m in r.policy.moves)
    capped = next(r for r in moved if r.policy is not None and r.policy.moves[0].kind == "quota_cap")
    assert "示例通知（虚构）" in capped.policy.moves[0].reason.zh  # type: ignore[union-attr]
    # The moved branch's list and its summary row show the grade after the policy, with the reason.
    listed = next((quota_run.out / pipeline.LIST_FOLDER["zh"]).glob(f"{capped.identity.branch_id} *.xlsx"))
    rows = CalamineWorkbook.from_path(str(listed)).get_sheet_by_index(0).to_python()
    grade_row = next(r for r in rows if r[0] == "评定等次")
    shown = next(c for c in grade_row[1:] if c)
    assert shown.startswith(capped.grade.name.zh) and "名额限制" in shown
    # The run's grade counts (the console's line) are the decided grades.
    assert {g.code: count for g, count in quota_run.grades} == Counter(r.grade.code for r in results)


@pytest.mark.slow
def test_a_profile_without_a_policy_writes_no_policy_key(tmp_path: Path) -> None:
    run = pipeline.grade_folder(ROOT / "fixtures" / "college", tmp_path, "loudi-2012", workers=0)
    assert b'"policy"' not in (run.out / pipeline.RESULTS_NAME).read_bytes()


# --- rules lint on a policy -------------------------------------------------------------------------------


def _with_policy(tmp_path: Path, policy: str) -> Path:
    profile = tmp_path / "policy-copy"
    shutil.copytree(ROOT / "rules" / "loudi-2012", profile)
    with (profile / "profile.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + policy)
    return profile


@pytest.mark.slow
@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ("[policy]\nweights = { evidence = 0.7, review = 0.2 }\n", "L16"),
        ('[policy]\n[[policy.quotas]]\nscope = "college"\ngrade = "D"\nmax_share = 0.5\n', "L17"),
        ('[policy]\n[[policy.quotas]]\nscope = "college"\ngrade = "A"\nmax_share = 0\n', "L18"),
        ('[policy]\n[[policy.quotas]]\nscope = "general_branch"\ngrade = "C"\nmin_share = 1.0\n', "L18"),
        ('[policy]\n[[policy.quotas]]\nscope = "college"\ngrade = "X"\nmax_share = 0.3\n', "L14"),
    ],
    ids=["weights", "cap_on_lowest", "cap_of_zero", "floor_of_all", "unknown_grade"],
)
def test_lint_checks_the_policy(tmp_path: Path, policy: str, code: str) -> None:
    issues = lint_profile(_with_policy(tmp_path, policy))
    assert code in {i.code for i in issues if i.severity is Severity.ERROR}, [i.render("en") for i in issues]


@pytest.mark.slow
def test_a_sound_policy_lints_clean(tmp_path: Path) -> None:
    sound = "[policy]\nweights = { evidence = 0.7, review = 0.3 }\nmax_step_up = 1\n" + QUOTAS.replace(
        "[policy]\n", ""
    )
    issues = lint_profile(_with_policy(tmp_path, sound))
    assert not [i for i in issues if i.severity is not Severity.INFO], [i.render("en") for i in issues]
