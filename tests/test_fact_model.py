"""``schemas.facts.fact``: the facts stage's unvalidated Fact builder is the validating constructor."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.facts.evidence import detail
from schemas.common import Evidence, Text
from schemas.construct import same_instance
from schemas.facts import Fact, fact

evidence = st.builds(
    Evidence,
    file=st.text(max_size=5),
    sheet=st.none() | st.text(max_size=5),
    cell=st.none() | st.text(max_size=4),
    value=st.none() | st.text(max_size=5),
)
values = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
numbers = st.integers(-5, 5) | st.floats(-5, 5) | st.booleans()


@given(
    name=st.text(max_size=8),
    value=values,
    cells=st.lists(evidence, max_size=4),
    as_list=st.booleans(),
    series=st.none() | st.dictionaries(st.text(max_size=4), numbers, max_size=3),
    zh_en=st.none() | st.tuples(st.text(max_size=5), st.text(max_size=5)),
)
def test_fact_equals_the_validating_constructor(
    name: str,
    value: Any,
    cells: list[Evidence],
    as_list: bool,
    series: dict[str, Any] | None,
    zh_en: tuple[str, str] | None,
) -> None:
    # Whatever the builders pass — exact types (the fast path) or convertible ones (ints in a series, a
    # list of cells) — the result is the model pydantic would have made, field types included.
    text = Text(zh=zh_en[0], en=zh_en[1]) if zh_en else None
    given_cells: Any = list(cells) if as_list else tuple(cells)
    built = fact(name=name, value=value, evidence=given_cells, series=series, detail=text)
    validated = Fact(name=name, value=value, evidence=given_cells, series=series, detail=text)
    assert built == validated
    assert type(built.value) is type(validated.value)
    assert built.series is None or all(type(v) is float for v in built.series.values())
    assert type(built.evidence) is tuple


def test_fact_is_built_directly_only_for_exact_types() -> None:
    exact = fact(name="n", value=3, evidence=(), series={"2012-04": 1.0})
    reference = Fact(name="n", value=3, evidence=(), series={"2012-04": 1.0}, detail=None)
    assert same_instance(exact, reference)  # same layout as pydantic's own instance
    converted = fact(name="n", value=3, series={"2012-04": 1})  # an int in the series: pydantic converts
    assert converted.series == {"2012-04": 1.0} and type(converted.series["2012-04"]) is float


@given(zh=st.text(max_size=6), en=st.text(max_size=6))
def test_detail_equals_text(zh: str, en: str) -> None:
    assert same_instance(detail(zh, en), Text(zh=zh, en=en))
