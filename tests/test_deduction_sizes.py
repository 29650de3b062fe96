"""Deduction sizes as the 2012 reference form sets them: per unmet part of a condition, and a branch
with no venue, no funds, no plan and no summary graded no better than 一般."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from engine.pipeline import explain_file
from engine.rulebook.conditions import compile_condition
from engine.rulebook.evaluate import unmet_parts
from engine.rulebook.loader import load_profile

COLLEGE = Path(__file__).resolve().parent.parent / "fixtures" / "college"
PARTS = ("annual_plan_done", "annual_summary_done", "venue_done")


@given(st.fixed_dictionaries({name: st.one_of(st.booleans(), st.none()) for name in PARTS}))
def test_unmet_parts_counts_the_clauses_that_do_not_hold(values: dict[str, bool | None]) -> None:
    condition = compile_condition(" and ".join(f"{name} == true" for name in PARTS), {})
    assert unmet_parts(condition.expr, values) == sum(1 for v in values.values() if v is not True)


def test_a_condition_without_and_is_one_part() -> None:
    condition = compile_condition("funds_amount > 0", {})
    assert unmet_parts(condition.expr, {"funds_amount": 0}) == 1
    assert unmet_parts(condition.expr, {"funds_amount": 10}) == 0


def test_no_venue_no_funds_no_plan_no_summary_is_at_most_average() -> None:
    outcome = explain_file(COLLEGE / "JJ-02.xlsx", "loudi-2012")
    result = outcome.result
    assert result is not None
    deducted = {t.code: t.deduction for t in result.trace if t.deduction}
    # The reference form: no venue −10 (and none to equip), no funds −5, no plan −5, no summary −5.
    assert deducted["VN-03"] == 10 and deducted["DM-04"] == 10 and deducted["VN-02"] == 5
    scores = {s.id: s.score for s in result.scores}
    assert scores["venue"] == 0 and scores["approach"] == 0 and scores["support"] == 5
    profile = load_profile("loudi-2012")
    order = [g.code for g in profile.grading.grades]
    assert order.index(result.grade.code) >= order.index("C"), result.grade


def test_one_document_missing_takes_half() -> None:
    outcome = explain_file(COLLEGE / "JJ-01.xlsx", "loudi-2012")  # a plan but no year-end summary
    assert outcome.result is not None
    dm04 = next(t for t in outcome.result.trace if t.code == "DM-04")
    assert dm04.deduction == 5
