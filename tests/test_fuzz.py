"""Fuzzing the whole chain with generated form contents: never an unhandled exception.

Hypothesis writes random contents — text with control characters, very long text, numbers, dates,
booleans, formula-looking text, blanks — into the fields, checklist columns and register rows of every
sheet of ``schemas.form_layout.SHEETS``, saves a real workbook, and runs it through read_workbook →
validate_workbook → build_facts → evaluate (reference and durable evaluators, which must agree) → grade
→ write_branch_list. ``BRANCHGRADE_FUZZ_EXAMPLES`` raises the example count for a longer hunt.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from engine.export.branch_list import write_branch_list
from engine.facts import build_facts
from engine.grading import grade
from engine.ingest import read_workbook
from engine.rulebook import (
    Evaluator,
    ReferenceEvaluator,
    evaluate,
    load_profile,
    open_evaluator,
    resolve_evaluator,
)
from engine.validate import validate_workbook
from fixtures.formfill import filled_template
from fixtures.generate import branch_data
from schemas.common import Severity
from schemas.form_layout import SHEETS, FieldSpec, Kind
from schemas.rules import Profile

pytestmark = pytest.mark.slow  # hypothesis-heavy or whole-fixture runs: in `make test`, not `make test-fast`

ROOT = Path(__file__).resolve().parents[1]
SPEC = tomllib.loads((ROOT / "fixtures" / "college.toml").read_text(encoding="utf-8"))
EXAMPLES = int(os.environ.get("BRANCHGRADE_FUZZ_EXAMPLES", "25"))

# A real office client cannot store most C0 control characters in a cell (openpyxl refuses them too);
# tab, newline and carriage return are kept.
_clean = ILLEGAL_CHARACTERS_RE.sub

short_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40).map(lambda s: _clean("", s))
long_text = st.builds(lambda s, n: (s or "长") * n, short_text, st.integers(200, 4000)).map(
    lambda s: s[:30000]
)
tricky_text = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\u3000",
        "\u200b",
        "=1+1",
        "@SUM(1)",
        "+1",
        "-1",
        "十二",
        "１２人",
        "12.5次",
        "约10",
        "2012-02-30",
        "2012年13月1日",
        "是 ",
        "否否",
        "先进\n",
        "NaN",
        "inf",
        "1e309",
        "#REF!",
        "0x10",
    ]
)
numbers = st.one_of(
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(0, 500),
)
dates = st.one_of(
    st.dates(date(1900, 3, 1), date(9999, 12, 31)),
    st.datetimes(datetime(1900, 3, 1), datetime(9999, 12, 31)),
    st.dates(date(2011, 1, 1), date(2013, 12, 31)),
)


def values_for(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Anything at all for ``spec``'s cell, or — four times in five, where the field has a type — a
    plausible value of that type, so that many examples get through validation to the rules."""
    anything = st.one_of(st.none(), short_text, long_text, tricky_text, numbers, dates, st.booleans())
    words = short_text.map(lambda t: t if t.strip() else "文本" + t)
    typed: list[st.SearchStrategy[Any]] = [words] if spec.kind is Kind.TEXT else []
    if spec.choices:
        typed.append(st.sampled_from(spec.choices))
    if spec.kind in (Kind.INT, Kind.NUMBER):
        typed.append(st.integers(0, 60))
    if spec.kind is Kind.DATE:
        typed.append(st.dates(date(2012, 1, 1), date(2012, 12, 31)))
    if spec.kind is Kind.BOOL:
        typed.append(st.sampled_from([True, False, "是", "否"]))
    if not typed:
        return anything
    return st.integers(0, 4).flatmap(lambda n: anything if n == 0 else st.one_of(*typed))


def _sheet_slots() -> Iterator[tuple[str, str, str | None, FieldSpec]]:
    """Every fillable slot: ("field", sheet key, None, spec), ("item", sheet key, item key, column spec),
    ("table", table name, None, column spec)."""
    for sheet in SHEETS:
        for f in sheet.fields:
            yield "field", sheet.key, None, f
        for item in sheet.items:
            for column in sheet.item_columns:
                yield "item", sheet.key, item.key, column
        if sheet.table is not None:
            for column in sheet.table.columns:
                yield "table", sheet.table.name, None, column


SLOTS = tuple(_sheet_slots())


@st.composite
def forms(draw: st.DrawFn) -> dict[str, Any]:
    """A fixture branch's contents with some slots (or, in one mode of four, every slot) made random."""
    index = draw(st.integers(0, len(SPEC["branch"]) - 1))
    values = branch_data(index, dict(SPEC["branch"][index]), SPEC["year"])
    everything = draw(st.integers(0, 3)) == 0
    chosen = SLOTS if everything else draw(st.lists(st.sampled_from(SLOTS), min_size=1, max_size=6))
    for kind, key, item, spec in chosen:
        value = draw(values_for(spec))
        if kind == "field":
            values.setdefault(key, {})[spec.name] = value
        elif kind == "item":
            values.setdefault(key, {}).setdefault(item, {})[spec.name] = value
        else:
            rows = values.setdefault(key, [])
            if not rows or draw(st.booleans()):
                rows.append(dict(rows[-1]) if rows else {})  # a copy keeps the other required cells
            rows[draw(st.integers(0, len(rows) - 1))][spec.name] = value
    return values


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("loudi-2012")


@pytest.fixture(scope="module")
def durable(profile: Profile) -> Iterator[Evaluator]:
    """The evaluator a run takes here: durable_rules where it is installed, else the reference one."""
    evaluator = open_evaluator(profile, resolve_evaluator("auto"))
    yield evaluator
    evaluator.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(values=forms())
def test_any_form_content_runs_the_whole_chain(
    values: dict[str, Any], profile: Profile, durable: Evaluator
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.xlsx"
        filled_template(values, year=SPEC["year"]).save(path)
        raw = read_workbook(path)
        if raw.problems:  # only a value calamine cannot convert (a huge number in a date cell)
            assert [p.code for p in raw.problems] == ["IN-01"], raw.problems
            assert raw.problems[0].evidence[0].sheet, raw.problems
            event("refused by the reader")
            return
        checked = validate_workbook(raw, expected_year=profile.year)
        for problem in checked.problems:
            assert problem.code.startswith("IN-") and problem.message.zh and problem.message.en
            assert problem.evidence and problem.evidence[0].file == "fuzz.xlsx"
        if checked.form is None:
            assert any(p.severity is Severity.ERROR for p in checked.problems)
            event(f"ungradable: {next(p.code for p in checked.problems if p.severity is Severity.ERROR)}")
            return
        facts = build_facts(checked.form, profile)
        reference = evaluate(facts, profile, ReferenceEvaluator(profile))
        durable_run = evaluate(facts, profile, durable)
        assert [(t.code, t.status) for t in reference.trace] == [
            (t.code, t.status) for t in durable_run.trace
        ]
        result = grade(reference, profile.grading)
        write_branch_list(result, Path(tmp) / "list.xlsx")
        write_branch_list(result, Path(tmp) / "list-en.xlsx", lang="en")
        assert (Path(tmp) / "list.xlsx").stat().st_size > 0
        event(f"graded {result.grade.name.en}")
