"""Every example of every rule, through both evaluators: the rule files' own executable specification."""

from __future__ import annotations

import pytest

from engine.rulebook.evaluate import Evaluator
from engine.rulebook.loader import load_profile
from schemas.rules import Example, Profile, RuleSpec
from tests.durable import requires_durable

PROFILE = load_profile("loudi-2012")
CASES = [(rule, ex) for rule in PROFILE.rules for ex in rule.examples]


@pytest.mark.parametrize("engine", ["reference", pytest.param("durable", marks=requires_durable)])
@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{r.code}::{e.name}" for r, e in CASES])
def test_example(rule: RuleSpec, example: Example, engine: str, request: pytest.FixtureRequest) -> None:
    evaluator: Evaluator = request.getfixturevalue(engine)  # the conftest fixtures `reference`, `durable`
    assert evaluator.statuses(example.facts)[rule.code] == example.expect


def test_every_rule_has_pass_and_fail_examples() -> None:
    for rule in PROFILE.rules:
        expects = {ex.expect.value for ex in rule.examples}
        assert {"passed", "failed"} <= expects, rule.code


def test_rule_set_is_complete(profile: Profile = PROFILE) -> None:
    codes = {r.code for r in profile.rules}
    wanted = {"OL-01", "OL-02", "OL-03", "OL-04", "ED-01", "ED-02", "ED-06", "ED-07", "ED-08", "ED-09"}
    wanted |= {"SC-02", "SC-03", "FB-01", "VT-01", "VT-02", "VT-03", "VT-04", "VT-05"}
    assert wanted <= codes
