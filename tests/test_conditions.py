"""The condition language: what it accepts, what it refuses, and its three-valued logic."""

from __future__ import annotations

import operator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rulebook.conditions import (
    And,
    Atom,
    BoolConst,
    ConditionError,
    InSet,
    compile_condition,
    parse,
)

PARAMS = {
    "org_life_per_month": 1,
    "satisfaction_min_rate": 0.9,
    "hours_exempt_types": ["离退休"],
    "flag_on": True,
    "label": "学生",
}


def bind(text: str) -> object:
    return compile_condition(text, PARAMS, "rules/x/OL/OL-99.toml")


@pytest.mark.parametrize(
    "text",
    [
        "org_life_min_month >= org_life_per_month",
        "org_life_min_month >= 1 and (has_committee == true or full_members < 7)",
        "not veto_discipline",
        "veto_discipline == false",
        "branch_type in ['学生', '教工']",
        "branch_type not in hours_exempt_types",
        "branch_type == label",
        "1 <= org_life_min_month <= 2",
        "satisfaction_rate >= satisfaction_min_rate or false",
        "true",
        "flag_on",
        "-1 < full_members",
    ],
)
def test_accepts(text: str) -> None:
    bound = compile_condition(text, PARAMS)
    assert bound.references() <= {
        "org_life_min_month",
        "has_committee",
        "full_members",
        "veto_discipline",
        "branch_type",
        "satisfaction_rate",
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "function calls are not allowed"),
        ("os.system('x')", "function calls are not allowed"),
        ("branch_type.upper == 1", "attribute access is not allowed"),
        ("(lambda: 1)()", "function calls"),
        ("lambda x: x", "lambda is not allowed"),
        ("full_members[0] > 1", "subscripts are not allowed"),
        ("full_members + 1 > 2", "arithmetic is not allowed"),
        ("[x for x in y]", "comprehensions"),
        ("full_members > ", "syntax error"),
        ("full_members = 3", "syntax error"),
        ("", "empty condition"),
        ("full_members > None", "literal None is not allowed"),
        ("f'{x}' == 1", "f-strings"),
        ("_secret > 1", "names may not start with '_'"),
        ("full_members if true else false", "conditional expressions"),
    ],
)
def test_rejects_eval_like_input(text: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse(text, "rules/x/OL/OL-99.toml")
    assert fragment in str(info.value)
    assert "rules/x/OL/OL-99.toml" in str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("no_such_fact > 1", "unknown name 'no_such_fact'"),
        ("full_members > no_such_param", "unknown name 'no_such_param'"),
        ("branch_type > '学生'", "only ==, !=, in and not in"),
        ("branch_type == 3", "can only be compared with a string"),
        ("full_members == '3'", "cannot be compared with the string"),
        ("full_members > committee_size", "not two facts"),
        ("full_members", "not a yes/no fact"),
        ("full_members in hours_exempt_types", "cannot be compared with the string"),
        ("branch_type in org_life_per_month", "is not a list"),
        ("full_members > hours_exempt_types", "expected a single number"),
        ("1 in [1]", "left side of 'in' must be a fact"),
    ],
)
def test_bind_errors_name_file_and_problem(text: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        bind(text)
    assert fragment in str(info.value)
    assert "OL-99.toml" in str(info.value)


def test_error_position_counts_characters_not_bytes() -> None:
    with pytest.raises(ConditionError) as info:
        bind("branch_type == '学生' and nope > 1")
    assert info.value.col == len("branch_type == '学生' and ")
    assert "column 25" in str(info.value)


def test_params_are_constants_after_bind() -> None:
    bound = compile_condition("org_life_min_month >= org_life_per_month", PARAMS)
    assert bound.expr == Atom("org_life_min_month", ">=", 1)
    flipped = compile_condition("org_life_per_month <= org_life_min_month", PARAMS)
    assert flipped.expr == Atom("org_life_min_month", ">=", 1)
    assert compile_condition("1 < 2", PARAMS).expr == BoolConst(True)
    assert compile_condition("branch_type in hours_exempt_types", PARAMS).expr == InSet(
        "branch_type", ("离退休",), False
    )
    assert compile_condition("veto_discipline == true", PARAMS).expr == Atom("veto_discipline", "==", 1)
    chained = compile_condition("1 <= org_life_min_month <= 2", PARAMS).expr
    assert isinstance(chained, And) and len(chained.items) == 2


def test_parse_is_immutable_and_names() -> None:
    cond = parse("org_life_min_month >= org_life_per_month and branch_type != label")
    assert cond.names() == {"org_life_min_month", "org_life_per_month", "branch_type", "label"}
    assert cond.references() == {"org_life_min_month", "branch_type"}
    with pytest.raises(AttributeError):
        cond.text = "x"  # type: ignore[misc]


def test_three_valued_logic() -> None:
    c = compile_condition
    missing: dict[str, object] = {}
    assert c("full_members > 3", PARAMS).evaluate(missing) is None
    assert c("not (full_members > 3)", PARAMS).evaluate(missing) is None
    # and: false wins over unknown; or: true wins over unknown
    assert c("full_members > 3 and committee_size > 1", PARAMS).evaluate({"committee_size": 0}) is False
    assert c("full_members > 3 and committee_size > 1", PARAMS).evaluate({"committee_size": 2}) is None
    assert c("full_members > 3 or committee_size > 1", PARAMS).evaluate({"committee_size": 2}) is True
    assert c("full_members > 3 or committee_size > 1", PARAMS).evaluate({"committee_size": 0}) is None
    assert c("branch_type in ['学生']", PARAMS).evaluate({"branch_type": None}) is None
    assert c("branch_type not in hours_exempt_types", PARAMS).evaluate({"branch_type": "学生"}) is True
    assert c("branch_type not in hours_exempt_types", PARAMS).evaluate({"branch_type": "离退休"}) is False
    # NaN is missing; bools are 1/0; numeric strings in numeric facts are numbers, others missing
    assert c("satisfaction_rate >= 0.9", PARAMS).evaluate({"satisfaction_rate": float("nan")}) is None
    assert c("has_committee == true", PARAMS).evaluate({"has_committee": 1}) is True
    assert c("full_members >= 8", PARAMS).evaluate({"full_members": True}) is False
    assert c("full_members < 8", PARAMS).evaluate({"full_members": "10"}) is False
    assert c("full_members < 8", PARAMS).evaluate({"full_members": "abc"}) is None


OPS = ["<", "<=", ">", ">=", "==", "!="]
PY_OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
values = st.one_of(
    st.none(), st.integers(-5, 5), st.floats(-5, 5, allow_nan=False).map(lambda f: round(f, 3))
)


@settings(max_examples=200, deadline=None)
@given(op=st.sampled_from(OPS), value=values, threshold=st.integers(-5, 5))
def test_comparison_matches_python(op: str, value: float | None, threshold: int) -> None:
    got = compile_condition(f"full_members {op} {threshold}", PARAMS).evaluate({"full_members": value})
    if value is None:
        assert got is None
    else:
        assert got == PY_OPS[op](value, threshold)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    a=st.sampled_from(OPS),
    b=st.sampled_from(OPS),
    joiner=st.sampled_from(["and", "or"]),
    x=values,
    y=values,
)
def test_de_morgan_and_double_negation(a: str, b: str, joiner: str, x: float | None, y: float | None) -> None:
    env = {"full_members": x, "committee_size": y}
    text = f"full_members {a} 1 {joiner} committee_size {b} 2"
    other = "or" if joiner == "and" else "and"
    plain = compile_condition(text, PARAMS).evaluate(env)
    negated = compile_condition(f"not ({text})", PARAMS).evaluate(env)
    de_morgan = compile_condition(
        f"not (full_members {a} 1) {other} not (committee_size {b} 2)", PARAMS
    ).evaluate(env)
    assert negated == de_morgan
    assert negated == (None if plain is None else not plain)
    assert compile_condition(f"not not ({text})", PARAMS).evaluate(env) == plain


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_never_escapes(text: str) -> None:
    try:
        bound = compile_condition(text, PARAMS)
    except ConditionError:
        return
    # anything that binds evaluates without raising on an empty environment
    assert bound.evaluate({}) in (True, False, None)


def test_render_round_trips() -> None:
    text = "branch_type not in hours_exempt_types and (satisfaction_rate >= 0.9 or not has_committee)"
    bound = compile_condition(text, PARAMS)
    again = compile_condition(bound.render(), PARAMS)
    assert again.expr == bound.expr


@pytest.mark.parametrize("text", ["\0", "members\0 > 1", "members > 1 and\0 x"])
def test_a_nul_character_is_a_condition_error_on_every_python(text: str) -> None:
    # ast.parse raises ValueError for a NUL byte on Python 3.11.2 (Debian's) and SyntaxError on 3.11.7:
    # either way the rule file's author gets a located ConditionError, never a traceback.
    with pytest.raises(ConditionError, match="NUL") as caught:
        parse(text, "rules/x/OL/OL-01.toml")
    assert caught.value.col == text.index("\0")
