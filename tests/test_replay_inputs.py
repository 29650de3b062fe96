"""The ledger's compact replay inputs (schema version 6) and the replay that reads them.

A replay from the compact inputs (``replay_values``: fact values, recorded statuses) must report exactly
what a replay from the full stored facts and results reports (``replay_chunk``, the path every replay took
before the inputs existed, and still takes when the new results are kept): on the fixture college graded
for real, on facts changed at random, on the committed first-version ledger once upgraded, and under
changed parameters.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export.results_json import result_element_bytes
from engine.ledger.check import check_ledger
from engine.ledger.replay_inputs import (
    decode_inputs,
    decode_titles,
    encode_inputs,
    encode_titles,
    inputs_from_stored,
    titles_from_stored,
)
from engine.ledger.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    Ledger,
    compress,
    decompress,
    kpi_flags_json,
    migrate,
)
from engine.movement import apply_settings, parse_settings
from engine.movement.replay import outcomes_of, replay_chunk, replay_values
from engine.movement.replay_pool import replay_stored
from engine.rulebook import Evaluator, load_profile, open_evaluator
from schemas.facts import FACTS, BranchFacts, FactValues, fact
from schemas.results import BranchResult
from schemas.rules import Profile
from tests.fact_values import fact_value
from tests.ledger_helpers import college_forms, plan_for, record

V1_LEDGER = Path(__file__).resolve().parent / "data" / "ledger-v1.sqlite"
WHERE = "rules/loudi-2012/profile.toml"
# what-ifs that move some fixture branches: a rule's threshold, a rule's threshold read per period, and
# not-evidenced rules deducting nothing
WHAT_IFS = ((), ("org_life_per_month=2",), ("committee_meetings_per_month=2",), ("org_life_per_month=3",))


@pytest.fixture(scope="module")
def college(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the fixture college graded for real as round 2012-年初定级."""
    path = tmp_path_factory.mktemp("college") / "ledger.sqlite"
    with Ledger.open(path) as led:
        record(led, college_forms(), plan_for("年初定级"))
    return path


def _profile(items: tuple[str, ...]) -> Profile:
    base = load_profile("loudi-2012")
    return apply_settings(base, parse_settings(items, base, WHERE), WHERE)


@pytest.fixture(scope="module")
def reference() -> Iterator[Evaluator]:
    ev = open_evaluator(load_profile("loudi-2012"), "reference")
    yield ev
    ev.close()


def _full_and_compact(path: Path) -> tuple[list[BranchFacts], list[BranchResult], list[tuple[bytes, bytes]]]:
    with Ledger.open(path) as led:
        info = led.rounds()[0]
        records = led.branch_records(info.id)
        stored = led.stored_branches(info.id)
    return (
        [r.facts for r in records],
        [r.result for r in records],
        [(s.inputs_z, s.titles_z) for s in stored],
    )


def _compact_replay(packed: list[tuple[bytes, bytes]], profile: Profile, ev: Evaluator) -> list[object]:
    decoded = [decode_inputs(i) for i, _ in packed]
    titles = [decode_titles(t).__getitem__ for _, t in packed]
    return list(replay_values([v for v, _ in decoded], [s for _, s in decoded], titles, profile, ev))


def _full_replay(facts: list[BranchFacts], results: list[BranchResult], profile: Profile) -> list[object]:
    ev = open_evaluator(profile, "reference")
    try:
        return [
            r.__class__(r.year, r.grade, r.total, r.rules, None)
            for r in replay_chunk(facts, [outcomes_of(r) for r in results], profile, ev)
        ]
    finally:
        ev.close()


@pytest.mark.parametrize("what_if", WHAT_IFS)
def test_replay_from_the_compact_inputs_reports_what_replay_from_the_full_record_does(
    college: Path, what_if: tuple[str, ...]
) -> None:
    facts, results, packed = _full_and_compact(college)
    profile = _profile(what_if)
    ev = open_evaluator(profile, "reference")
    try:
        compact = _compact_replay(packed, profile, ev)
    finally:
        ev.close()
    full = _full_replay(facts, results, profile)
    assert compact == full
    if what_if:  # the what-if moves something, so the comparison compares changes, not only sameness
        assert any(r.rules for r in compact)  # type: ignore[attr-defined]


def test_a_replay_that_keeps_the_results_and_one_that_does_not_report_alike(college: Path) -> None:
    """The pool reads the compact inputs unless the new results are kept; both give the same report."""
    profile = _profile(("org_life_per_month=2",))
    with Ledger.open(college) as led:
        info = led.rounds()[0]
        lean = replay_stored(led.stored_branches(info.id), profile, "reference", 0)
        kept = replay_stored(led.stored_branches(info.id, full=True), profile, "reference", 0, keep=True)
    assert lean.changes and lean.changes == kept.changes
    assert (lean.grades, lean.matrix, lean.years) == (kept.grades, kept.matrix, kept.years)
    assert lean.results == () and len(kept.results) == len(college_forms())


def test_rules_the_replaying_profile_lacks_are_named_by_their_recorded_titles(college: Path) -> None:
    facts, results, packed = _full_and_compact(college)
    base = load_profile("loudi-2012")
    dropped = base.rules[0]
    profile = base.with_params({}, tuple(r for r in base.rules if r.code != dropped.code))
    ev = open_evaluator(profile, "reference")
    try:
        compact = _compact_replay(packed, profile, ev)
    finally:
        ev.close()
    assert compact == _full_replay(facts, results, profile)
    gone = [c for r in compact for c in r.rules if c.code == dropped.code]  # type: ignore[attr-defined]
    assert len(gone) == len(results) and all(c.after is None and c.title == dropped.title for c in gone)


_CHANGED = st.lists(st.sampled_from(sorted(FACTS)), max_size=6, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({name: fact_value(name) for name in names})
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10_000), changed=_CHANGED, what_if=st.sampled_from(WHAT_IFS))
def test_changed_facts_replay_alike_from_the_compact_inputs_and_the_stored_json(
    college: Path, pick: int, changed: dict[str, object], what_if: tuple[str, ...]
) -> None:
    """A fixture branch with some fact values changed at random (missing, NaN, tiny, near a threshold,
    text): recorded, its compact inputs made at recording and those the migration makes from the stored
    JSON agree, and a replay from them reports what a replay from the stored JSON facts reports."""
    facts, results, _ = _full_and_compact(college)
    base, result = facts[pick % len(facts)], results[pick % len(facts)]
    updated = dict(base.facts)
    for name, value in changed.items():
        was = updated.get(name)
        updated[name] = fact(name, value, was.evidence if was else (), was.series if was else None)  # type: ignore[arg-type]
    branch = base.model_copy(update={"facts": updated})
    stored_facts = compress(branch.model_dump_json().encode())
    stored_result = compress(result_element_bytes(result))
    written = encode_inputs(branch, result)
    assert decode_inputs(written) == decode_inputs(inputs_from_stored(stored_facts, stored_result))
    assert decode_titles(encode_titles(result)) == decode_titles(titles_from_stored(stored_result))
    profile = _profile(what_if)
    ev = open_evaluator(profile, "reference")
    try:
        compact = _compact_replay([(written, encode_titles(result))], profile, ev)
    finally:
        ev.close()
    assert compact == _full_replay(
        [BranchFacts.model_validate_json(decompress(stored_facts))], [result], profile
    )


def test_recorded_inputs_are_the_branches_values_and_statuses(college: Path) -> None:
    facts, results, packed = _full_and_compact(college)
    for f, r, (inputs, titles) in zip(facts, results, packed, strict=True):
        values, statuses = decode_inputs(inputs)
        assert values == FactValues.of(f) and values.year == f.identity.assessment_year
        assert statuses == {t.code: t.status for t in r.trace}
        assert decode_titles(titles) == {t.code: t.title for t in r.trace}
        assert len(inputs) < len(decompress(inputs)) < 8_000  # compact: a few KB, not the facts' ~40 KB


def test_the_migration_fills_the_inputs_of_earlier_rounds_after_a_backup(
    college: Path, tmp_path: Path
) -> None:
    """A version-5 ledger (the college's, its table taken away) upgrades to the same inputs that recording
    writes, backed up first; ``ledger check`` then finds it sound."""
    older = tmp_path / "v5.sqlite"
    with Ledger.open(college) as led:
        written = {(r, b): (i, t) for r, b, i, t in led.conn.execute("SELECT * FROM replay_inputs")}
    conn = sqlite3.connect(older, isolation_level=None)
    conn.create_function("ledger_kpi_flags", 1, kpi_flags_json)  # what step 5 reads, as Ledger.open has it
    migrate(conn, older, MIGRATIONS[:5])  # a ledger of version 5, holding the college's rounds
    conn.execute("ATTACH DATABASE ? AS college", (str(college),))
    conn.execute(
        "INSERT INTO rounds SELECT id, year, stage, profile, profile_sha256, tool_version, recorded_at, "
        "replaced_by FROM college.rounds"
    )
    conn.execute("INSERT INTO branches SELECT * FROM college.branches")
    conn.execute("DETACH DATABASE college")
    conn.close()
    with Ledger.open(older) as led:
        assert led.backup is not None and led.backup.exists()
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        filled = {(r, b): (i, t) for r, b, i, t in led.conn.execute("SELECT * FROM replay_inputs")}
        assert check_ledger(led) == []
    assert filled.keys() == written.keys()
    for key, (inputs, titles) in filled.items():
        assert decode_inputs(inputs) == decode_inputs(written[key][0])
        assert decode_titles(titles) == decode_titles(written[key][1])


def test_the_first_versions_ledger_upgrades_and_replays_alike_both_ways(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    profile = _profile(("org_life_per_month=2",))
    with Ledger.open(ledger) as led:
        assert check_ledger(led) == []
        for info in led.rounds():
            records = led.branch_records(info.id)
            stored = led.stored_branches(info.id)
            assert [s.branch_id for s in stored] == [r.branch_id for r in records]
            ev = open_evaluator(profile, "reference")
            try:
                compact = _compact_replay([(s.inputs_z, s.titles_z) for s in stored], profile, ev)
            finally:
                ev.close()
            assert compact == _full_replay([r.facts for r in records], [r.result for r in records], profile)


def test_check_finds_missing_and_disagreeing_replay_inputs(college: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(college, ledger)
    with Ledger.open(ledger) as led:
        first, second = [r[0] for r in led.conn.execute("SELECT branch_id FROM replay_inputs LIMIT 2")]
        led.conn.execute("DELETE FROM replay_inputs WHERE branch_id = ?", (first,))
        other = led.conn.execute(
            "SELECT inputs FROM replay_inputs WHERE branch_id <> ?", (second,)
        ).fetchone()
        led.conn.execute("UPDATE replay_inputs SET inputs = ? WHERE branch_id = ?", (other[0], second))
        problems = [p.en for p in check_ledger(led)]
        zh = [p.zh for p in check_ledger(led)]
    assert any(first in p and "missing" in p for p in problems)
    assert any(second in p and "disagree" in p for p in problems)
    assert any(first in p and "缺少" in p for p in zh) and any(second in p and "不符" in p for p in zh)


def test_a_replay_of_a_round_missing_replay_inputs_is_refused_with_a_message(
    college: Path, tmp_path: Path
) -> None:
    """A branch whose replay inputs are gone is never silently left out of a replay."""
    from tests.ledger_helpers import run_cli

    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(college, ledger)
    with Ledger.open(ledger) as led:
        led.conn.execute("DELETE FROM replay_inputs WHERE branch_id = 'XS-02'")
    args = ["replay", "1", "--profile", "loudi-2012", "--ledger", str(ledger), "--workers", "0"]
    code, output = run_cli(*args)
    assert code == 2 and "缺少复算用的事实值（XS-02）" in output and "ledger check" in output
    code, output = run_cli(*args, "--lang", "en")
    assert code == 2 and "have no replay inputs (XS-02)" in output
