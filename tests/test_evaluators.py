"""DurableEvaluator against ReferenceEvaluator, engine hygiene, and the rendered Evaluation."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.grading import grade
from engine.rulebook.choice import resolve_evaluator
from engine.rulebook.compiled import compile_rules
from engine.rulebook.durable_adapter import (
    BATCH_SIZE,
    MAX_LEAVES_PER_KIND,
    DurableEvaluationError,
    DurableEvaluator,
    plan_kinds,
)
from engine.rulebook.evaluate import (
    _PLANS,
    evaluate,
    evaluate_many,
    format_periods,
    open_evaluator,
    resolve_deadline,
)
from engine.rulebook.loader import load_profile
from engine.rulebook.reference import ReferenceEvaluator
from engine.rulebook.values import normalise_values
from schemas.common import Evidence, Severity, Status
from schemas.facts import FACTS, BranchFacts, BranchIdentity, Fact, FactValue
from tests.builders import identity
from tests.durable import requires_durable
from tests.fact_values import fact_dicts

PROFILE = load_profile("loudi-2012")


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=fact_dicts)
def test_durable_matches_reference(
    values: dict[str, FactValue], durable: DurableEvaluator, reference: ReferenceEvaluator
) -> None:
    assert durable.statuses(values) == reference.statuses(values)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(fact_dicts, min_size=1, max_size=BATCH_SIZE * 2 + 3))
def test_batches_match_reference_branch_by_branch(
    batch: list[dict[str, FactValue]], durable: DurableEvaluator, reference: ReferenceEvaluator
) -> None:
    # Several branches share one engine session (and a batch may span several): each branch must get
    # exactly its own outcomes, as if it had been evaluated alone.
    norms = [normalise_values(values) for values in batch]
    together = durable.decide_all(norms)
    assert together == reference.decide_all(norms)
    assert together == [reference.statuses(values) for values in batch]


@requires_durable
@pytest.mark.parametrize("profile_name", ["loudi-2012", "national-2018"])
def test_kinds_cover_every_rule_within_the_engine_limits(profile_name: str) -> None:
    with DurableEvaluator(load_profile(profile_name)) as evaluator:
        codes = [code for kind in evaluator.kinds for code in kind.codes]
        assert codes == [rule.code for rule in evaluator.rules]  # each rule once, in profile order
        assert len({kind.name for kind in evaluator.kinds}) == len(evaluator.kinds)
        for kind in evaluator.kinds:
            rules = [rule for rule in evaluator.rules if rule.code in kind.codes and rule.in_year]
            assert set(kind.fields) == {name for rule in rules for name in rule.fields()}
            assert len(kind.keys) == len(kind.fields)
        key = {name: k for kind in evaluator.kinds for name, k in zip(kind.fields, kind.keys, strict=True)}
        assert len(key) == len(set(key.values()))  # one short key per fact name, and back


def test_a_rule_too_big_for_one_kind_is_refused() -> None:
    rules = compile_rules(PROFILE)
    with pytest.raises(ValueError, match="split the rule"):
        plan_kinds(rules[:1], {rules[0].code: MAX_LEAVES_PER_KIND + 1})
    packed = plan_kinds(rules[:3], {rule.code: MAX_LEAVES_PER_KIND // 2 for rule in rules[:3]})
    assert [kind.codes for kind in packed] == [(rules[0].code, rules[1].code), (rules[2].code,)]


def test_edge_values_agree(durable: DurableEvaluator, reference: ReferenceEvaluator) -> None:
    cases: list[dict[str, FactValue]] = [
        {},
        {name: 0 for name in FACTS if FACTS[name].type is not str},  # fails nearly everything
        {name: 1e6 for name in FACTS if FACTS[name].type is not str} | {"branch_type": "学生"},
        {"has_committee": 1.0, "committee_meetings_min_month": 1.0, "satisfaction_rate": 0.9},
        {"satisfaction_rate": 0.8999999, "veto_discipline": 0.0, "branch_type": "离退休"},
        {"satisfaction_rate": 1e-7, "member_hours_min_quarter_avg": "20", "branch_type": "教工"},
        {"leader_hours_min": float("nan"), "branch_type": "教工", "general_meetings": "abc"},
    ]
    for values in cases:
        assert durable.statuses(values) == reference.statuses(values), values


def test_text_shaped_like_the_engines_json_is_only_a_value(
    durable: DurableEvaluator, reference: ReferenceEvaluator
) -> None:
    # Outcomes are read from the engine's JSON by pattern (rule name, batch position "b"): a string fact
    # that spells such keys must stay a value, in a batch where position 0 and 5 really exist.
    tricky = ['教工", "b": 5, "k": "g0', '{"b": 0}', ',"b":3}', '\\", "b": 1, "x": "']
    branches: list[dict[str, FactValue]] = [
        {"branch_type": text, "org_life_min_month": n % 2, "satisfaction_rate": 0.95}
        for n, text in enumerate(tricky)
    ]
    branches += [{"org_life_min_month": 1}, {"branch_type": "学生"}]
    decided = durable.decide_all([normalise_values(values) for values in branches])
    assert decided == [reference.statuses(values) for values in branches]


def test_sessions_are_freed(durable: DurableEvaluator) -> None:
    # A ruleset holds at most 1,024 live sessions: 1,100 branches only pass if each one is deleted.
    for n in range(1100):
        statuses = durable.statuses({"org_life_min_month": n % 3, "branch_type": "学生"})
        assert statuses["OL-03"] == (Status.PASSED if n % 3 else Status.FAILED)


class _Failing(DurableEvaluator):
    def _record(self, branch: int, code: str, status: Status) -> None:
        if code == "OL-03":
            raise RuntimeError("boom in OL-03")
        super()._record(branch, code, status)


@requires_durable
def test_action_error_surfaces() -> None:
    with _Failing(PROFILE) as evaluator:
        with pytest.raises(DurableEvaluationError, match="boom in OL-03"):
            evaluator.statuses({"org_life_min_month": 1})
        # the session was still freed, and a later branch is evaluated afresh (and fails again)
        with pytest.raises(DurableEvaluationError):
            evaluator.statuses({"org_life_min_month": 0})


class _Losing(DurableEvaluator):
    def _record(self, branch: int, code: str, status: Status) -> None:
        if code != "ED-02":  # simulate an action stolen by another thread
            super()._record(branch, code, status)


@requires_durable
def test_lost_action_is_detected() -> None:
    with _Losing(PROFILE) as evaluator, pytest.raises(DurableEvaluationError, match="ED-02"):
        evaluator.statuses({})


class _LosingOne(DurableEvaluator):
    def _record(self, branch: int, code: str, status: Status) -> None:
        if not (branch == 3 and code == "OL-03"):  # one branch of the batch loses one outcome
            super()._record(branch, code, status)


class _Doubling(DurableEvaluator):
    def _record(self, branch: int, code: str, status: Status) -> None:
        super()._record(branch, code, status)
        if branch == 2 and code == "OL-01":
            super()._record(branch, code, status)


@requires_durable
@pytest.mark.parametrize(("evaluator_type", "match"), [(_LosingOne, "OL-03"), (_Doubling, "two outcomes")])
def test_one_bad_outcome_in_a_batch_is_detected(evaluator_type: type[DurableEvaluator], match: str) -> None:
    with evaluator_type(PROFILE) as evaluator, pytest.raises(DurableEvaluationError, match=match):
        evaluator.decide_all([normalise_values({"org_life_min_month": n}) for n in range(5)])


@requires_durable
def test_two_evaluators_coexist_and_close() -> None:
    a = DurableEvaluator(PROFILE)
    b = DurableEvaluator(PROFILE)
    try:
        assert a.statuses({"satisfaction_rate": 0.95}) == b.statuses({"satisfaction_rate": 0.95})
    finally:
        a.close()
        b.close()
        a.close()  # idempotent
    with pytest.raises(DurableEvaluationError, match="closed"):
        a.statuses({})


# --- evaluate(): rendering ---------------------------------------------------------------------------


def _ev(cell: str) -> tuple[Evidence, ...]:
    return (Evidence(file="b.xlsx", sheet="会议活动台账", cell=cell),)


def _facts(**overrides: Fact) -> BranchFacts:
    facts = {
        "branch_type": Fact(name="branch_type", value="教工", evidence=_ev("B3")),
        "has_committee": Fact(name="has_committee", value=True),
        "general_meetings": Fact(name="general_meetings", value=2, evidence=_ev("A2")),
        "meetings_without_minutes": Fact(name="meetings_without_minutes", value=0),
        "committee_meetings_min_month": Fact(
            name="committee_meetings_min_month",
            value=0,
            evidence=_ev("A5"),
            series={"2012-06": 1, "2012-07": 0, "2012-08": 0, "2013-01": 0},
        ),
        "member_hours_min_quarter_avg": Fact(
            name="member_hours_min_quarter_avg", value=18.5, series={"2012Q2": 25, "2012Q3": 18.5}
        ),
        "secretary_training_min_half": Fact(
            name="secretary_training_min_half", value=0, series={"2012H1": 0, "2012H2": 0}
        ),
        "lectures_min_per_lecturer": Fact(
            name="lectures_min_per_lecturer", value=0, series={"张三": 1, "李四": 0, "王五": 0}
        ),
        "satisfaction_rate": Fact(name="satisfaction_rate", value=0.85),
        "veto_discipline": Fact(name="veto_discipline", value=False),
    }
    facts.update(overrides)
    identity = BranchIdentity(
        file="b.xlsx",
        sha256="0" * 64,
        branch_id="B01",
        branch_name="第一党支部",
        branch_type="教工",
        secretary="张三",
        assessment_year=2012,
    )
    return BranchFacts(identity=identity, facts=facts)


@pytest.mark.parametrize("engine", ["reference", pytest.param("durable", marks=requires_durable)])
def test_evaluation_renders_findings(engine: str) -> None:
    evaluator = open_evaluator(PROFILE, engine)  # type: ignore[arg-type]
    try:
        result = evaluate(_facts(), PROFILE, evaluator)
    finally:
        evaluator.close()
    trace = {t.code: t for t in result.trace}
    findings = {f.code: f for f in result.findings}
    assert set(trace) == {r.code for r in PROFILE.rules}
    assert trace["OL-01"].status is Status.PASSED and "OL-01" not in findings

    ol02 = findings["OL-02"]
    assert ol02.status is Status.FAILED and ol02.kind == "deduction" and ol02.severity is Severity.ERROR
    assert "2012年7月、8月、2013年1月" in ol02.message.zh
    assert "Jul 2012, Aug 2012, Jan 2013" in ol02.message.en
    assert ol02.deduction == 3  # 1 per month, three months short, max 4
    assert ol02.deadline == date(2013, 1, 31)  # end of the month after the window end (12-10)
    assert ol02.evidence == _ev("A5")
    assert ol02.ctx["expected"] == 1 and ol02.ctx["short_periods"] == 3

    assert "2012年第三季度" in findings["ED-08"].message.zh and "Q3 2012" in findings["ED-08"].message.en
    assert findings["ED-08"].deduction == 2
    sc02 = findings["SC-02"]
    assert "2012年上半年、下半年" in sc02.message.zh and sc02.deduction == 6
    assert sc02.deadline == date(2012, 12, 10) and sc02.owner is not None and "组织部" in sc02.owner.zh
    ol04 = findings["OL-04"]
    assert "李四、王五" in ol04.message.zh and ol04.deduction == 2
    assert "85%" in findings["FB-01"].message.zh and "90%" in findings["FB-01"].message.zh

    # not evidenced: the rule's own text, full deduction (not_evidenced_deducts = true)
    ol03 = findings["OL-03"]
    assert ol03.status is Status.NOT_EVIDENCED and ol03.deduction == 4
    assert ol03.message == next(r for r in PROFILE.rules if r.code == "OL-03").not_evidenced
    assert trace["VT-01"].status is Status.PASSED
    assert findings["VT-02"].kind == "veto" and findings["VT-02"].deduction == 0
    assert [c.max_grade for c in result.caps] == ["C"]  # satisfaction 85% < 90%
    assert result.facts["branch_type"] == "教工"


def test_caps_need_the_fact() -> None:
    facts = _facts()
    del facts.facts["satisfaction_rate"]
    with ReferenceEvaluator(PROFILE) as evaluator:
        result = evaluate(facts, PROFILE, evaluator)
    assert result.caps == ()


def test_both_engines_render_identically(durable: DurableEvaluator, reference: ReferenceEvaluator) -> None:
    facts = _facts()
    assert evaluate(facts, PROFILE, durable) == evaluate(facts, PROFILE, reference)


def test_not_applicable_has_no_finding(reference: ReferenceEvaluator) -> None:
    facts = _facts(branch_type=Fact(name="branch_type", value="离退休"))
    result = evaluate(facts, PROFILE, reference)
    assert {t.code: t.status for t in result.trace}["ED-08"] is Status.NOT_APPLICABLE
    assert "ED-08" not in {f.code for f in result.findings}


def test_format_periods() -> None:
    assert format_periods(["2012-07", "2012-08"]).zh == "2012年7月、8月"
    assert format_periods(["2012-07", "2012-08"]).en == "Jul 2012, Aug 2012"
    assert format_periods(["2012Q3"]).zh == "2012年第三季度"
    assert format_periods(["2012Q3"]).en == "Q3 2012"
    assert format_periods(["2012H1"]).zh == "2012年上半年"
    assert format_periods(["2012H1"]).en == "H1 2012"
    assert format_periods(["张三", "李四"]).zh == "张三、李四"


def test_deadlines() -> None:
    rules = {r.code: r for r in PROFILE.rules}
    assert resolve_deadline(rules["ED-06"], PROFILE) == date(2012, 12, 10)
    assert resolve_deadline(rules["OL-02"], PROFILE) == date(2013, 1, 31)
    assert resolve_deadline(rules["OL-02"], PROFILE, filled=date(2012, 3, 20)) == date(2012, 4, 30)
    fixed = rules["OL-02"].model_copy(update={"deadline": "2013-03-01"})
    assert resolve_deadline(fixed, PROFILE) == date(2013, 3, 1)


def test_deadlines_from_the_issue_date() -> None:
    rules = {r.code: r for r in PROFILE.rules}
    # Issued before the self-check: its date stands; end_of_next_month counts from the issue date.
    assert resolve_deadline(rules["ED-06"], PROFILE, issued=date(2012, 3, 30)) == date(2012, 12, 10)
    assert resolve_deadline(rules["OL-02"], PROFILE, issued=date(2012, 3, 30)) == date(2012, 4, 30)
    assert resolve_deadline(rules["ED-06"], PROFILE, issued=date(2012, 12, 10)) == date(2012, 12, 10)
    # Issued after it: the deadline moves to the end of the month after the issue date.
    assert resolve_deadline(rules["ED-06"], PROFILE, issued=date(2012, 12, 12)) == date(2013, 1, 31)
    assert resolve_deadline(rules["OL-02"], PROFILE, issued=date(2012, 12, 12)) == date(2013, 1, 31)


@given(st.dates(min_value=date(2011, 1, 1), max_value=date(2030, 12, 31)))
def test_no_deadline_falls_before_the_issue_date(issued: date) -> None:
    for rule in PROFILE.rules:
        deadline = resolve_deadline(rule, PROFILE, issued=issued)
        assert deadline >= issued
        # the profile's own date when still ahead, else the end of the month after the issue date
        next_month = date(issued.year + issued.month // 12, issued.month % 12 + 1, 1)
        month_after = date(next_month.year + next_month.month // 12, next_month.month % 12 + 1, 1)
        month_end = month_after - timedelta(days=1)
        assert deadline in (resolve_deadline(rule, PROFILE), month_end)


def test_the_trace_names_the_facts_read_and_their_cells_are_kept_once() -> None:
    branch = _facts()
    evaluator = open_evaluator(PROFILE, resolve_evaluator("auto"))
    try:
        evaluation = evaluate(branch, PROFILE, evaluator)
    finally:
        evaluator.close()
    trace = {t.code: t for t in evaluation.trace}
    rules = {r.code: r for r in PROFILE.rules}
    for code, entry in trace.items():
        assert entry.facts[0] == rules[code].actual  # the reported fact first, then the others it reads
        assert len(set(entry.facts)) == len(entry.facts)
    assert "committee_meetings_min_month" in trace["OL-02"].facts
    named = {name for entry in evaluation.trace for name in entry.facts}
    # Every named fact that has cells is in fact_evidence, with exactly its own cells; nothing else is.
    assert evaluation.fact_evidence == {
        name: fact.evidence for name, fact in sorted(branch.facts.items()) if name in named and fact.evidence
    }
    assert list(evaluation.fact_evidence) == sorted(evaluation.fact_evidence)
    result = grade(evaluation, PROFILE.grading)
    assert result.fact_evidence == evaluation.fact_evidence
    assert result.evidence_of(trace["OL-02"]) == _ev("A5")
    # a cell behind two facts of one rule is listed once
    cell = _ev("A5")[0]
    doubled = result.model_copy(update={"fact_evidence": {"a": (cell,), "b": (cell, *_ev("A6"))}})
    assert doubled.evidence_of(trace["OL-02"].model_copy(update={"facts": ("a", "b")})) == (cell, *_ev("A6"))


def _branch(values: dict[str, FactValue]) -> BranchFacts:
    return BranchFacts(
        identity=identity(), facts={name: Fact(name=name, value=value) for name, value in values.items()}
    )


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(fact_dicts, min_size=1, max_size=6))
def test_shared_traces_are_the_traces_built_afresh(
    batch: list[dict[str, FactValue]], durable: DurableEvaluator
) -> None:
    # Passed and not-applicable traces are shared between branches with equal values; sharing must never
    # change a byte: every branch's evaluation equals (as JSON too) the one built with nothing shared.
    branches = [_branch(values) for values in batch]
    warm = evaluate_many(branches, PROFILE, durable)
    _PLANS.clear()
    cold = [evaluate_many([branch], PROFILE, durable)[0] for branch in branches]
    for a, b in zip(warm, cold, strict=True):
        assert a == b and a.model_dump_json() == b.model_dump_json()


def test_equal_but_differently_written_values_do_not_share_a_trace(durable: DurableEvaluator) -> None:
    # 0, 0.0 and False are equal dict keys, -0.0 equals 0.0: all pass VT-01 ("veto_discipline == false"),
    # and each trace must still write the value as the branch gave it.
    values: list[FactValue] = [0, 0.0, False, -0.0, 0, False, -0.0]
    evaluations = evaluate_many([_branch({"veto_discipline": v}) for v in values], PROFILE, durable)
    traces = [next(t for t in e.trace if t.code == "VT-01") for e in evaluations]
    assert {t.status for t in traces} == {Status.PASSED}
    assert [json.dumps(t.ctx["actual"]) for t in traces] == [json.dumps(v) for v in values]
    assert traces[1] is not traces[0] and traces[4] is traces[0]  # shared only when truly the same


def test_ctx_keys_come_sorted(durable: DurableEvaluator) -> None:
    # results.json writes maps with sorted keys; a ctx built in that order is serialised without a copy.
    zeros = {name: 0 for name in FACTS if FACTS[name].type is not str} | {"branch_type": "教工"}
    branch = BranchFacts(
        identity=identity(), facts={name: Fact(name=name, value=value) for name, value in zeros.items()}
    )
    evaluation = evaluate(branch, PROFILE, durable)
    assert {Status.FAILED, Status.PASSED} <= {t.status for t in evaluation.trace}
    for item in (*evaluation.trace, *evaluation.findings):
        assert list(item.ctx) == sorted(item.ctx), item.code
