"""Every example of every rule, through both evaluators: the rule files' own executable specification."""

from __future__ import annotations

import pytest

from engine.rulebook.evaluate import Evaluator, open_evaluator
from engine.rulebook.loader import load_profile
from engine.rulebook.reference import ReferenceEvaluator
from schemas.rules import Example, Profile, RuleSpec
from tests.durable import requires_durable

PROFILE = load_profile("loudi-2012")
CASES = [(rule, ex) for rule in PROFILE.rules for ex in rule.examples]


@pytest.mark.parametrize("engine", ["reference", pytest.param("durable", marks=requires_durable)])
@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{r.code}::{e.name}" for r, e in CASES])
def test_example(rule: RuleSpec, example: Example, engine: str, request: pytest.FixtureRequest) -> None:
    if example.params:  # the example's own parameters: its rule alone on a copy of the profile
        own = PROFILE.with_params(example.params, (rule,))
        own_evaluator = open_evaluator(own, "durable" if engine == "durable" else "reference")
        try:
            assert own_evaluator.statuses(example.facts)[rule.code] == example.expect
        finally:
            own_evaluator.close()
        return
    evaluator: Evaluator = request.getfixturevalue(engine)  # the conftest fixtures `reference`, `durable`
    assert evaluator.statuses(example.facts)[rule.code] == example.expect


def test_an_example_with_params_would_fail_without_them(reference: ReferenceEvaluator) -> None:
    with_params = [(r, e) for r, e in CASES if e.params]
    assert with_params, "some example overrides parameters"
    for rule, example in with_params:
        assert reference.statuses(example.facts)[rule.code] != example.expect, (rule.code, example.name)


def test_every_rule_has_pass_and_fail_examples() -> None:
    for rule in PROFILE.rules:
        expects = {ex.expect.value for ex in rule.examples}
        assert {"passed", "failed"} <= expects, rule.code


def test_rule_set_is_complete(profile: Profile = PROFILE) -> None:
    codes = {r.code for r in profile.rules}
    wanted = {"OL-01", "OL-02", "OL-03", "OL-04", "ED-01", "ED-02", "ED-06", "ED-07", "ED-08", "ED-09"}
    wanted |= {"SC-02", "SC-03", "FB-01", "VT-01", "VT-02", "VT-03", "VT-04", "VT-05"}
    assert wanted <= codes
