"""Grading: per-indicator deductions, bands, caps, vetoes, the rectification order and the college KPI."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.grading import college_kpis, grade
from schemas.batch import FileReport
from schemas.common import Finding, Status, Text
from schemas.facts import BranchIdentity
from schemas.results import BranchResult, Evaluation, Grade, RuleTrace
from schemas.rules import Cap, GradingPolicy

PROFILE_TOML = Path(__file__).resolve().parents[1] / "rules" / "loudi-2012" / "profile.toml"
POLICY = GradingPolicy.model_validate(tomllib.loads(PROFILE_TOML.read_text("utf-8"))["grading"])
GRADE_ORDER = [g.code for g in POLICY.grades]
POINTS = {i.id: i.points for i in POLICY.indicators}

IDENTITY = BranchIdentity(
    file="b.xlsx",
    sha256="0" * 64,
    branch_id="JG-01",
    branch_name="机关第一党支部",
    branch_type="机关",
    secretary="张三",
    assessment_year=2012,
)
SATISFACTION_CAP = POLICY.caps[0]


def finding(
    code: str = "OL-02",
    indicator: str | None = "systems",
    deduction: float = 1.0,
    kind: Literal["deduction", "veto", "suggestion", "input"] = "deduction",
    status: Status = Status.FAILED,
    title: str = "每月召开一次支委会",
) -> Finding:
    return Finding(
        code=code,
        status=status,
        kind=kind,
        title=Text(zh=title, en=f"{code} title"),
        message=Text(zh="问题", en="problem"),
        rectification=Text(zh="整改", en="fix"),
        indicator=indicator,
        deduction=deduction,
    )


def evaluation(findings: list[Finding] | tuple[Finding, ...] = (), caps: tuple[Cap, ...] = ()) -> Evaluation:
    trace = (
        RuleTrace(
            code="OL-02",
            title=Text(zh="t", en="t"),
            indicator="systems",
            kind="deduction",
            status=Status.PASSED,
        ),
    )
    return Evaluation(
        identity=IDENTITY,
        profile="loudi-2012",
        facts={"committee_meetings_min_month": 1},
        trace=trace,
        findings=tuple(findings),
        caps=caps,
    )


def rank(result: BranchResult) -> int:
    return GRADE_ORDER.index(result.grade.code)


# --- examples -------------------------------------------------------------------------------------------


def test_no_findings_full_points_top_band() -> None:
    result = grade(evaluation(), POLICY)
    assert result.total == 100
    assert result.score_grade == result.grade == Grade(code="A", name=POLICY.grades[0].name)
    assert [s.score for s in result.scores] == [i.points for i in POLICY.indicators]
    assert result.adjustments == ()
    assert result.trace == evaluation().trace
    assert result.facts == {"committee_meetings_min_month": 1}


def test_deductions_per_indicator_floor_at_zero_and_suggestions_free() -> None:
    findings = [
        finding("OL-02", "systems", 4),
        finding("OL-03", "systems", 8),  # systems: 12 taken from 10 -> 0
        finding("ED-01", "performance", 2.5),
        finding("SC-04", "leader", 5, kind="suggestion"),
    ]
    result = grade(evaluation(findings), POLICY)
    by_id = {s.id: s for s in result.scores}
    assert by_id["systems"].score == 0 and by_id["systems"].deducted == 10
    assert by_id["performance"].score == 17.5 and by_id["performance"].deducted == 2.5
    assert by_id["leader"].score == 15 and by_id["leader"].deducted == 0
    assert result.total == 87.5
    assert result.grade.code == "B"


def test_float_noise_is_rounded_away() -> None:
    findings = [finding(f"OL-0{i}", "systems", 0.1) for i in range(1, 4)]
    result = grade(evaluation(findings), POLICY)
    assert next(s for s in result.scores if s.id == "systems").score == 9.7
    assert result.total == 99.7


@pytest.mark.parametrize(
    ("taken", "band"), [(10, "A"), (10.01, "B"), (20, "B"), (20.5, "C"), (40, "C"), (41, "D")]
)
def test_band_boundaries(taken: float, band: str) -> None:
    # Spread the deduction over two indicators so it is not floored.
    findings = [
        finding("FB-01", "feedback", min(taken, 25)),
        finding("ED-08", "performance", max(0, taken - 25)),
    ]
    result = grade(evaluation(findings), POLICY)
    assert result.total == round(100 - taken, 2)
    assert result.score_grade.code == band


def test_satisfaction_cap_lowers_and_is_explained() -> None:
    result = grade(evaluation(caps=(SATISFACTION_CAP,)), POLICY)
    assert result.score_grade.code == "A"
    assert result.grade.code == "C"
    assert result.adjustments == (SATISFACTION_CAP.reason,)


def test_cap_above_the_score_band_changes_nothing() -> None:
    findings = [finding("FB-01", "feedback", 25), finding("ED-08", "performance", 20)]
    result = grade(evaluation(findings, caps=(SATISFACTION_CAP,)), POLICY)
    assert result.score_grade.code == result.grade.code == "D"
    assert result.adjustments == ()


def test_failed_veto_gives_the_veto_grade_and_says_why() -> None:
    veto = finding("VT-01", "feedback", 0, kind="veto", title="班子成员严重违纪")
    result = grade(evaluation([veto], caps=(SATISFACTION_CAP,)), POLICY)
    assert result.total == 100
    assert result.grade.code == POLICY.veto_grade
    assert result.adjustments == (
        SATISFACTION_CAP.reason,
        Text(zh="一票否决：班子成员严重违纪", en="Veto: VT-01 title"),
    )


def test_not_evidenced_veto_is_not_a_veto() -> None:
    veto = finding("VT-01", "feedback", 0, kind="veto", status=Status.NOT_EVIDENCED)
    assert grade(evaluation([veto]), POLICY).grade.code == "A"


def test_not_evidenced_deducts_switch() -> None:
    ne = finding("OL-02", "systems", 3, status=Status.NOT_EVIDENCED)
    assert grade(evaluation([ne]), POLICY).total == 97
    lenient = POLICY.model_copy(update={"not_evidenced_deducts": False})
    assert grade(evaluation([ne]), lenient).total == 100


def test_items_most_weighty_indicator_first_then_code() -> None:
    findings = [
        finding("OL-03", "systems"),
        finding("DM-04", "approach"),
        finding("SC-02", "leader"),
        finding("ED-08", "performance"),
        finding("FB-01", "feedback"),
        finding("OL-02", "systems"),
        finding("XX-01", None),
    ]
    codes = [f.code for f in grade(evaluation(findings), POLICY).items]
    assert codes == ["FB-01", "ED-08", "SC-02", "DM-04", "OL-02", "OL-03", "XX-01"]


def test_unknown_cap_grade_is_a_configuration_error() -> None:
    bad = Cap(when="true", max_grade="Z", reason=Text(zh="x", en="x"))
    with pytest.raises(ValueError, match="'Z'"):
        grade(evaluation(caps=(bad,)), POLICY)


def test_warnings_pass_through() -> None:
    warning = finding("IN-05", None, 0, kind="input")
    ev = evaluation().model_copy(update={"warnings": (warning,)})
    assert grade(ev, POLICY).warnings == (warning,)


# --- college KPI ----------------------------------------------------------------------------------------


def result_with(code: str) -> BranchResult:
    caps = () if code == "A" else (Cap(when="true", max_grade=code, reason=Text(zh="c", en="c")),)
    return grade(evaluation(caps=caps), POLICY)


def test_kpi_without_results() -> None:
    kpis = college_kpis([], POLICY)
    assert [k.code for k in kpis] == ["TG-01", *(k.code for k in POLICY.kpis if k.scope == "branches")]
    assert all(k.actual is None and not k.met for k in kpis)
    kpi = kpis[0]
    assert kpi.code == "TG-01"
    assert kpi.actual is None and kpi.met is False
    assert kpi.numerator == kpi.denominator == 0
    assert kpi.title == Text(
        zh="先进党支部比例（目标≥90%）", en="Share of branches graded Advanced (target ≥90%)"
    )


@pytest.mark.parametrize(
    ("advanced", "others", "met"), [(9, 1, True), (8, 2, False), (1, 0, True), (0, 3, False)]
)
def test_kpi_share(advanced: int, others: int, met: bool) -> None:
    results = [result_with("A")] * advanced + [result_with("B")] * others
    kpi = college_kpis(results, POLICY)[0]
    assert (kpi.numerator, kpi.denominator) == (advanced, advanced + others)
    assert kpi.actual == pytest.approx(advanced / (advanced + others))
    assert kpi.target == 0.9
    assert kpi.met is met


# --- properties -----------------------------------------------------------------------------------------

codes = st.sampled_from(["OL-02", "OL-03", "ED-01", "ED-08", "SC-02", "VT-01", "FB-01", "DM-04"])
indicators = st.sampled_from([*POINTS, None, "unknown"])
kinds = st.sampled_from(["deduction", "deduction", "veto", "suggestion"])
statuses = st.sampled_from([Status.FAILED, Status.NOT_EVIDENCED])
points = st.one_of(
    st.floats(min_value=0, max_value=30, allow_nan=False), st.sampled_from([0.5, 1.0, 2.0, 5.0])
)
findings_st = st.builds(
    finding,
    code=codes,
    indicator=indicators,
    deduction=points,
    kind=kinds,
    status=statuses,
    title=st.sampled_from(["甲", "乙"]),
)
caps_st = st.lists(
    st.builds(
        Cap,
        when=st.sampled_from(["a", "b"]),
        max_grade=st.sampled_from(GRADE_ORDER),
        reason=st.sampled_from([Text(zh="原因一", en="r1"), Text(zh="原因二", en="r2")]),
    ),
    max_size=3,
).map(tuple)
policies = st.sampled_from([POLICY, POLICY.model_copy(update={"not_evidenced_deducts": False})])


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(data=st.data(), fs=st.lists(findings_st, max_size=12), caps=caps_st, policy=policies)
def test_order_of_findings_does_not_matter(
    data: st.DataObject, fs: list[Finding], caps: tuple[Cap, ...], policy: GradingPolicy
) -> None:
    shuffled = data.draw(st.permutations(fs))
    shuffled_caps = tuple(data.draw(st.permutations(caps)))
    assert grade(evaluation(fs, caps), policy) == grade(evaluation(shuffled, shuffled_caps), policy)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(fs=st.lists(findings_st, max_size=12), extra=findings_st, caps=caps_st, policy=policies)
def test_adding_a_finding_never_improves(
    fs: list[Finding], extra: Finding, caps: tuple[Cap, ...], policy: GradingPolicy
) -> None:
    before = grade(evaluation(fs, caps), policy)
    after = grade(evaluation([*fs, extra], caps), policy)
    assert after.total <= before.total
    assert rank(after) >= rank(before)
    assert GRADE_ORDER.index(after.score_grade.code) >= GRADE_ORDER.index(before.score_grade.code)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(fs=st.lists(findings_st, max_size=12), caps=caps_st, policy=policies)
def test_scores_stay_within_points(fs: list[Finding], caps: tuple[Cap, ...], policy: GradingPolicy) -> None:
    result = grade(evaluation(fs, caps), policy)
    for s in result.scores:
        assert 0 <= s.score <= s.points
        assert s.score == round(s.points - s.deducted, 2)
    assert 0 <= result.total <= sum(POINTS.values())
    assert result.total == round(sum(s.score for s in result.scores), 2)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(fs=st.lists(findings_st, max_size=12), extra_veto=findings_st, caps=caps_st)
def test_any_failed_veto_gives_the_veto_grade(
    fs: list[Finding], extra_veto: Finding, caps: tuple[Cap, ...]
) -> None:
    veto = extra_veto.model_copy(update={"kind": "veto", "status": Status.FAILED})
    result = grade(evaluation([*fs, veto], caps), POLICY)
    assert result.grade.code == POLICY.veto_grade
    assert any(a.zh.startswith("一票否决：") for a in result.adjustments)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(fs=st.lists(findings_st, max_size=12), caps=caps_st, extra_cap=caps_st)
def test_a_cap_never_raises_a_grade(
    fs: list[Finding], caps: tuple[Cap, ...], extra_cap: tuple[Cap, ...]
) -> None:
    without = grade(evaluation(fs, caps), POLICY)
    with_cap = grade(evaluation(fs, caps + extra_cap), POLICY)
    assert rank(with_cap) >= rank(without)
    assert with_cap.total == without.total
    assert rank(with_cap) >= GRADE_ORDER.index(with_cap.score_grade.code)
    for cap in caps + extra_cap:
        assert rank(with_cap) >= GRADE_ORDER.index(cap.max_grade)


@pytest.mark.slow
@settings(max_examples=50, deadline=None)
@given(fs=st.lists(findings_st.filter(lambda f: f.kind != "veto"), max_size=12))
def test_no_vetoes_no_caps_grade_is_the_score_band(fs: list[Finding]) -> None:
    result = grade(evaluation(fs), POLICY)
    assert result.grade == result.score_grade
    assert result.adjustments == ()


def test_branch_kpis_count_only_branches_in_their_population() -> None:
    spec = next(k for k in POLICY.kpis if k.scope == "branches")
    flagged = [
        grade(evaluation().model_copy(update={"kpi_flags": flags}), POLICY)
        for flags in ({spec.code: True}, {spec.code: False}, {spec.code: True}, {})
    ]
    kpi = next(k for k in college_kpis(flagged, POLICY) if k.code == spec.code)
    assert (kpi.numerator, kpi.denominator) == (2, 3)
    assert kpi.met is (spec.target <= 2 / 3)


def test_file_kpis_need_the_file_list() -> None:
    spec = next(k for k in POLICY.kpis if k.scope == "files")
    assert spec.code not in {k.code for k in college_kpis([], POLICY)}
    files = [
        FileReport(file=f"{n}.xlsx", sha256="", status=status)
        for n, status in enumerate(["graded", "graded", "ungradable"])
    ]
    kpi = next(k for k in college_kpis([], POLICY, files) if k.code == spec.code)
    assert (kpi.numerator, kpi.denominator, kpi.met) == (2, 3, False)
