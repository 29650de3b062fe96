"""The path to the next grade: exact (checked against brute force over every smaller set of items), really
reaching the band when applied to the findings, conditions points cannot fix first, order-independent."""

from __future__ import annotations

import itertools
import random
from typing import Literal

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.grading import corrected, grade, reaches
from engine.grading.scoring import band_of, total_of
from schemas.common import Finding, Status, Text
from schemas.results import BranchResult, Evaluation
from schemas.rules import Cap, GradeBand, GradingPolicy, Indicator
from tests.test_grading import IDENTITY, POLICY, SATISFACTION_CAP, evaluation, finding

Kind = Literal["deduction", "veto", "suggestion"]


def _rank(result: BranchResult, policy: GradingPolicy) -> int:
    return [g.code for g in policy.grades].index(result.grade.code)


def _path_codes(result: BranchResult) -> set[str]:
    assert result.path is not None
    return {c for cond in result.path.conditions for c in cond.codes} | {s.code for s in result.path.steps}


# --- examples on the loudi-2012 policy -------------------------------------------------------------------


def test_top_band_has_no_path() -> None:
    assert grade(evaluation([finding("OL-02", "systems", 5)]), POLICY).path is None


def test_fewest_items_not_the_first_ones() -> None:
    # 85 (B): 5 points short of A. One 5-point item does it; greedy-by-list-order would take the 1s first.
    findings = [finding(f"OL-0{n}", "leader", 1) for n in range(2, 7)]
    findings += [finding("ED-01", "performance", 5), finding("ED-02", "performance", 5)]
    result = grade(evaluation(findings), POLICY)
    assert result.total == 85 and result.grade.code == "B"
    assert result.path is not None and result.path.target.code == "A" and result.path.target_min == 90
    assert [(s.code, s.restores, s.total) for s in result.path.steps] == [("ED-01", 5, 90)]
    assert result.path.conditions == ()


def test_a_floored_indicator_gives_back_nothing_until_enough_is_corrected() -> None:
    # systems (10): 6 + 6 = 12 taken, floored -> 0; performance 2.5 taken: total 87.5 (B), 2.5 short of A.
    # Correcting one systems item gives back 4 (6 still taken); so does nothing else but ED-01 (2.5).
    findings = [
        finding("OL-02", "systems", 6),
        finding("OL-03", "systems", 6),
        finding("ED-01", "performance", 2.5),
    ]
    result = grade(evaluation(findings), POLICY)
    assert result.total == 87.5 and result.path is not None
    # One item is enough either way; of the one-item sets, the one reaching the highest total: OL-02 (91.5).
    assert [(s.code, s.restores, s.total) for s in result.path.steps] == [("OL-02", 4, 91.5)]


def test_floored_indicator_counts_in_order() -> None:
    # systems 8 + 8 = 16 taken (score 0), feedback 10 taken (FB-03): total 65 (C), 15 short of B.
    # FB-03 gives 10 back; the systems items give 2 then 8: two items are needed, which ones and in which
    # order is decided exactly - the first systems correction gives back only 2.
    findings = [
        finding("OL-02", "systems", 8),
        finding("OL-03", "systems", 8),
        finding("FB-03", "feedback", 10),
    ]
    findings.append(finding("ED-01", "performance", 15))
    result = grade(evaluation(findings), POLICY)
    assert result.total == 65 and result.grade.code == "C" and result.path is not None
    steps = [(s.code, s.restores, s.total) for s in result.path.steps]
    assert steps == [("ED-01", 15, 80)]  # one item: ED-01 alone
    harder = grade(evaluation([*findings[:3], finding("ED-01", "performance", 5)]), POLICY)
    assert harder.total == 75 and harder.path is not None and harder.path.target.code == "B"
    # 5 short: FB-03 (10) or ED-01 (5) alone; FB-03 reaches higher.
    assert [(s.code, s.restores) for s in harder.path.steps] == [("FB-03", 10)]
    hardest = grade(evaluation([*findings[:2], finding("ED-01", "performance", 20)]), POLICY)
    assert hardest.total == 70 and hardest.path is not None
    # 10 short: ED-01 alone (20). Without it (see below) the two systems items together give back 10.
    assert [s.code for s in hardest.path.steps] == ["ED-01"]
    only_systems = grade(
        evaluation([*findings[:2], finding("ED-01", "performance", 4), finding("ED-02", "performance", 4)]),
        POLICY,
    )
    # 82: B; 8 short of A. ED-01 + ED-02 give 8 back (4 + 4); OL-02 + OL-03 give 10 back (2, then 8).
    assert only_systems.total == 82 and only_systems.path is not None
    steps = [(s.code, s.restores, s.total) for s in only_systems.path.steps]
    assert steps == [("OL-02", 2, 84), ("OL-03", 8, 92)] or steps == [("OL-03", 2, 84), ("OL-02", 8, 92)]


def test_satisfaction_cap_is_lifted_before_points_help() -> None:
    # Satisfaction below 90%: FB-01 fails (10 points) and the grade is capped at C. Total 70 - to reach B
    # the cap must end (FB-01 passing, its 10 points back: 80) - no further item needed.
    findings = [finding("FB-01", "feedback", 10), finding("ED-01", "performance", 20)]
    result = grade(evaluation(findings, caps=(SATISFACTION_CAP,)), POLICY)
    assert result.total == 70 and result.grade.code == "C"
    path = result.path
    assert path is not None and path.target.code == "B"
    assert [(c.kind, c.codes, c.restores) for c in path.conditions] == [("cap", ("FB-01",), 10)]
    assert path.conditions[0].reason == SATISFACTION_CAP.reason
    assert path.steps == () and path.total == 80


def test_capped_branch_with_a_high_score_needs_the_cap_and_nothing_else() -> None:
    result = grade(evaluation([finding("FB-01", "feedback", 10)], caps=(SATISFACTION_CAP,)), POLICY)
    assert result.score_grade.code == "A" and result.grade.code == "C"
    assert result.path is not None and result.path.target.code == "B" and result.path.steps == ()
    assert result.path.conditions[0].kind == "cap"


def test_veto_is_lifted_first_then_points() -> None:
    findings = [
        finding("VT-01", "feedback", 0, kind="veto", title="班子成员严重违纪违法"),
        finding("ED-01", "performance", 20),
        finding("ED-02", "performance", 2),
        finding("OL-02", "systems", 10),
        finding("OL-03", "leader", 15),
    ]
    result = grade(evaluation(findings), POLICY)
    assert result.total == 55 and result.grade.code == "D"
    path = result.path
    assert path is not None and path.target.code == "C"
    assert [(c.kind, c.codes, c.restores) for c in path.conditions] == [("veto", ("VT-01",), 0)]
    assert path.conditions[0].reason.zh == "班子成员严重违纪违法"
    # 5 short of 60: OL-02 (10), OL-03 (15) or ED-01 (18: ED-02's 2 stay taken) alone; ED-01 reaches highest.
    assert [(s.code, s.restores, s.total) for s in path.steps] == [("ED-01", 18, 73)]
    assert reaches(evaluation(findings), POLICY, path) <= 2


def test_not_evidenced_items_count_as_open() -> None:
    # A rule that could not be evidenced deducts (the profile says so) and its evidence gives it back.
    findings = [
        finding("OL-02", "systems", 8, status=Status.NOT_EVIDENCED),
        finding("ED-01", "performance", 5),
    ]
    result = grade(evaluation(findings), POLICY)
    assert result.total == 87 and result.path is not None
    # Either item alone reaches 90; OL-02 reaches higher (95).
    assert [(s.code, s.restores, s.total) for s in result.path.steps] == [("OL-02", 8, 95)]


def test_equal_choices_go_to_the_earlier_item_on_the_list() -> None:
    # Both give back 6: ED-01 (performance, 20 points) comes before OL-02 (systems, 10) on the list.
    findings = [finding("OL-02", "systems", 6), finding("ED-01", "performance", 6)]
    result = grade(evaluation(findings), POLICY)
    assert result.total == 88 and result.path is not None
    assert [s.code for s in result.path.steps] == ["ED-01"]


def test_unreachable_target_says_so() -> None:
    # A policy whose indicators add up to 50 cannot reach a band at 60 whatever is corrected.
    policy = POLICY.model_copy(
        update={"indicators": (Indicator(id="systems", name=Text(zh="制度", en="Systems"), points=50),)}
    )
    result = grade(evaluation([finding("OL-02", "systems", 50)]), policy)
    assert result.grade.code == "D" and result.path is not None
    assert result.path.target.code == "C" and not result.path.reachable and result.path.steps == ()


# --- properties against brute force -----------------------------------------------------------------------

_CODES = [f"XX-0{i}" for i in range(1, 8)]
_INDICATORS = ("a", "b", "c")
_POINTS = st.sampled_from([5.0, 10.0, 15.0, 20.0, 25.0])
_DEDUCTIONS = st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 10.0, 12.0])


@st.composite
def _policies(draw: st.DrawFn) -> GradingPolicy:
    points = draw(st.lists(_POINTS, min_size=len(_INDICATORS), max_size=len(_INDICATORS)))
    top = sum(points)
    n = draw(st.integers(2, 4))
    mins = sorted(draw(st.sets(st.integers(1, int(top)), min_size=n - 1, max_size=n - 1)), reverse=True)
    grades = [
        GradeBand(code=chr(ord("A") + i), name=Text(zh=f"等次{i}", en=f"band {i}"), min=m)
        for i, m in enumerate([*mins, 0])
    ]
    return GradingPolicy(
        indicators=tuple(
            Indicator(id=i, name=Text(zh=i, en=i), points=p) for i, p in zip(_INDICATORS, points, strict=True)
        ),
        grades=tuple(grades),
        veto_grade=draw(st.sampled_from([g.code for g in grades])),
        not_evidenced_deducts=draw(st.booleans()),
        kpi_grade="A",
        kpi_min_share=0.9,
    )


@st.composite
def _cases(draw: st.DrawFn) -> tuple[GradingPolicy, Evaluation]:
    policy = draw(_policies())
    codes = draw(st.lists(st.sampled_from(_CODES), min_size=2, max_size=7, unique=True))
    findings: list[Finding] = []
    for code in codes:
        kind: Kind = draw(st.sampled_from(["deduction"] * 6 + ["veto", "suggestion"]))
        # Usually one finding per rule; sometimes two, and then possibly in two indicators.
        for _ in range(draw(st.integers(1, 2))):
            findings.append(
                finding(
                    code,
                    draw(st.sampled_from(_INDICATORS)),
                    draw(_DEDUCTIONS) if kind == "deduction" else 0.0,
                    kind=kind,
                    status=draw(st.sampled_from([Status.FAILED, Status.FAILED, Status.NOT_EVIDENCED])),
                )
            )
    caps = tuple(
        Cap(
            when=f"cap_{n}",
            max_grade=draw(st.sampled_from([g.code for g in policy.grades])),
            reason=Text(zh=f"封顶{n}", en=f"cap {n}"),
            lifted_by=tuple(draw(st.lists(st.sampled_from(_CODES), max_size=2, unique=True))),
        )
        for n in range(draw(st.sampled_from([0, 0, 0, 1, 2])))
    )
    ev = Evaluation(identity=IDENTITY, profile="p", facts={}, trace=(), findings=tuple(findings), caps=caps)
    return policy, ev


def _brute_force_band(ev: Evaluation, policy: GradingPolicy, fixed: set[str], target: int) -> int:
    """The band with the rules ``fixed`` passing: a binding cap is lifted when its open ``lifted_by`` rules
    all pass (a cap no open item lifts is a condition met outright, as the path states it)."""
    open_codes = {f.code for f in ev.findings}
    lifted = []
    for cap in ev.caps:
        own = set(cap.lifted_by) & open_codes
        if own <= fixed:
            lifted.append(cap)
    fixed_ev = corrected(ev, fixed, lifted)
    return band_of(fixed_ev.findings, fixed_ev.caps, policy)


@settings(max_examples=400, deadline=None)
@given(_cases())
def test_the_path_reaches_the_band_and_no_smaller_set_does(case: tuple[GradingPolicy, Evaluation]) -> None:
    policy, ev = case
    result = grade(ev, policy)
    current = _rank(result, policy)
    if current == 0:
        assert result.path is None
        return
    path = result.path
    assert path is not None and path.target == result.path.target
    target = current - 1
    assert path.target.code == policy.grades[target].code
    open_codes = sorted({f.code for f in ev.findings})
    if not path.reachable:
        assert _brute_force_band(ev, policy, set(open_codes), target) > target
        return
    # Applying the path's corrections to the findings really reaches the band ...
    assert reaches(ev, policy, path) <= target
    chosen = _path_codes(result)
    assert _brute_force_band(ev, policy, chosen, target) <= target
    # ... the total it states is the one grading gives ...
    assert path.total == total_of(corrected(ev, chosen).findings, policy)
    restored = sum(c.restores for c in path.conditions) + sum(s.restores for s in path.steps)
    assert abs(result.total + restored - path.total) < 1e-6
    # ... and no smaller set of open items does.
    for size in range(len(chosen)):
        for subset in itertools.combinations(open_codes, size):
            assert _brute_force_band(ev, policy, set(subset), target) > target, (subset, chosen)


@settings(max_examples=150, deadline=None)
@given(_cases(), st.randoms(use_true_random=False))
def test_the_path_does_not_depend_on_the_order_of_findings(
    case: tuple[GradingPolicy, Evaluation], rnd: random.Random
) -> None:
    policy, ev = case
    shuffled = list(ev.findings)
    rnd.shuffle(shuffled)
    caps = list(ev.caps)
    rnd.shuffle(caps)
    again = ev.model_copy(update={"findings": tuple(shuffled), "caps": tuple(caps)})
    assert grade(again, policy).path == grade(ev, policy).path


@settings(max_examples=150, deadline=None)
@given(_cases())
def test_conditions_come_from_vetoes_and_binding_caps_only(case: tuple[GradingPolicy, Evaluation]) -> None:
    policy, ev = case
    result = grade(ev, policy)
    if result.path is None:
        return
    target = _rank(result, policy) - 1
    codes = [g.code for g in policy.grades]
    vetoed = codes.index(policy.veto_grade) > target and any(
        f.kind == "veto" and f.status is Status.FAILED for f in ev.findings
    )
    assert any(c.kind == "veto" for c in result.path.conditions) == vetoed
    capped = any(codes.index(c.max_grade) > target for c in ev.caps)
    assert any(c.kind == "cap" for c in result.path.conditions) == capped
    # Steps are open deduction items only, each once, never one a condition already corrects.
    condition_codes = {c for cond in result.path.conditions for c in cond.codes}
    step_codes = [s.code for s in result.path.steps]
    assert len(set(step_codes)) == len(step_codes) and not set(step_codes) & condition_codes
    deducting = {f.code for f in ev.findings if f.kind == "deduction"}
    assert set(step_codes) <= deducting
