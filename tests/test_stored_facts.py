"""Facts stored by an earlier version, read as today's rules need them (engine/ledger/stored_facts.py).

The committed first-version ledger was recorded when 党务公开 was a 制度落实 row (transparency_done,
transparency_count); today DM-02 reads the fewest disclosures in a quarter from a dated log. Replaying that
round under an unchanged profile must not report DM-02 as changed: the missing fact is worked out from the
stored ones by the reading an older workbook gets, on both replay paths (compact inputs and full facts).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.facts.transparency import former_count, former_fewest_in_quarter
from engine.ledger.store import Ledger
from engine.ledger.stored_facts import upgrade_facts, upgrade_values
from engine.movement.replay_pool import replay_stored
from engine.rulebook import load_profile
from schemas.facts import FactValues

V1_LEDGER = Path(__file__).resolve().parent / "data" / "ledger-v1.sqlite"


@pytest.mark.parametrize("keep", [False, True], ids=["compact-inputs", "full-facts"])
def test_an_older_round_replays_dm02_as_recorded(tmp_path: Path, keep: bool) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    profile = load_profile("loudi-2012")
    with Ledger.open(ledger) as led:
        for info in led.rounds():
            records = led.branch_records(info.id)
            assert all("transparency_min_quarter" in r.facts.facts for r in records)
            assert any(r.facts.facts["transparency_min_quarter"].value is not None for r in records)
            stored = led.stored_branches(info.id, full=True) if keep else led.stored_branches(info.id)
            report = replay_stored(stored, profile, "reference", workers=0, keep=keep)
            changed = {rule.code for change in report.changes for rule in change.rules}
            assert "DM-02" not in changed


@given(
    done=st.sampled_from([True, False, None]),
    count=st.one_of(st.none(), st.integers(min_value=0, max_value=60)),
)
def test_the_derived_fact_reads_an_older_row_as_the_facts_stage_does(
    done: bool | None, count: int | None
) -> None:
    values = FactValues(2012, {"transparency_done": done, "transparency_count": count}, {})
    upgraded = upgrade_values(values)
    expected = former_fewest_in_quarter(former_count(done, count))
    assert upgraded.values["transparency_min_quarter"] == expected
    if done is True and count is not None:
        # the old rule (done and at least four in the year) and today's (one a quarter) agree
        assert (expected is not None and expected >= 1) == (count >= 4)


def test_facts_a_round_stored_are_never_replaced(tmp_path: Path) -> None:
    values = FactValues(2012, {"transparency_count": 9, "transparency_min_quarter": 1}, {})
    assert upgrade_values(values) is values
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)  # opening upgrades it: never the committed file
    with Ledger.open(ledger) as led:
        facts = led.branch_records(led.rounds()[0].id)[0].facts
    assert upgrade_facts(facts) is facts  # already upgraded when read: nothing left to add
    derived = facts.facts["transparency_min_quarter"]
    assert (
        derived.evidence
        == facts.facts["transparency_done"].evidence + facts.facts["transparency_count"].evidence
    )
