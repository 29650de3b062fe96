"""``replay … --record NAME``: a replay recorded as a what-if round of its own, over the fixture year.

The what-if round names the round it replays, its profile and hash and the ``--set`` values; the round
replayed is left byte for byte as it was; compare and history read the what-if round; and nothing that
reads a stage's rounds — TG-04's baseline, closure by evidence (对账销号), the 整改台账, returned lists —
ever takes it for a real round, even when it is named after a real stage.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine.ledger import Ledger
from engine.ledger.check import check_ledger
from engine.ledger.record import open_items
from engine.ledger.status import ledger_rows
from tests.ledger_helpers import YEAR, plan_for, record, run_cli

SETTING = "committee_meetings_per_month=2"  # JD-01 and one other March branch then fail OL-02


@pytest.fixture(scope="module")
def march(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger holding the fixture year's March round (all four branches)."""
    path = tmp_path_factory.mktemp("march") / "ledger.sqlite"
    with Ledger.open(path) as led:
        record(led, sorted((YEAR / "march").glob("*.xlsx")), plan_for("年初定级"))
        led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _copy(march: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ledger.sqlite"
    shutil.copy(march, path)
    return path


def _replay(ledger: Path, *args: str) -> tuple[int, str]:
    return run_cli(
        "replay", "2012-年初定级", "--profile", "loudi-2012", "--set", SETTING, "--ledger", str(ledger),
        "--workers", "0", *args,
    )  # fmt: skip


def _snapshot(led: Ledger, round_id: int) -> list[tuple[object, ...]]:
    """Everything the ledger holds of round ``round_id``: its row, branches, items and their events."""
    return [
        *led.conn.execute("SELECT * FROM rounds WHERE id = ?", (round_id,)),
        *led.conn.execute("SELECT * FROM branches WHERE round_id = ? ORDER BY branch_id", (round_id,)),
        *led.conn.execute("SELECT * FROM items WHERE round_id = ? ORDER BY id", (round_id,)),
        *led.conn.execute(
            "SELECT e.* FROM events e JOIN items i ON i.id = e.item_id WHERE i.round_id = ? ORDER BY seq",
            (round_id,),
        ),
    ]


def test_a_replay_is_recorded_as_a_what_if_round_and_the_round_replayed_stays_as_it_was(
    march: Path, tmp_path: Path
) -> None:
    ledger = _copy(march, tmp_path)
    with Ledger.open(ledger) as led:
        source = led.find_round("2012-年初定级")
        before = _snapshot(led, source.id)
    code, output = _replay(ledger, "--record", "严格支委会")
    assert code == 0, output
    assert "已记录为模拟轮次 2012年 模拟-严格支委会（编号 2），重演自 2012年 年初定级" in output
    assert "已记录的轮次不变" in output
    assert "branchgrade compare 2012-年初定级 2012-模拟-严格支委会" in output
    assert "未记录" not in output and "OL-02" in output  # the replay's report, as without --record
    with Ledger.open(ledger) as led:
        assert _snapshot(led, source.id) == before
        what_if = led.find_round("2012-模拟-严格支委会")
        assert what_if.what_if and what_if.replay_of == source.id and what_if.stage == "模拟-严格支委会"
        assert json.loads(what_if.replay_settings or "") == {"committee_meetings_per_month": 2}
        assert what_if.profile == "loudi-2012" and re.fullmatch(r"[0-9a-f]{64}", what_if.profile_sha256)
        replayed = {r.branch_id: r.result for r in led.branch_records(what_if.id)}
        recorded = {r.branch_id: r.result for r in led.branch_records(source.id)}
        assert replayed.keys() == recorded.keys()
        jd01 = replayed["JD-01"]
        assert next(t for t in jd01.trace if t.code == "OL-02").status == "failed"
        assert jd01.total < recorded["JD-01"].total
        items = led.conn.execute(
            "SELECT identity FROM items WHERE round_id = ? AND branch_id = 'JD-01'", (what_if.id,)
        ).fetchall()
        assert ("2012-模拟-严格支委会/JD-01/OL-02",) in items  # its own identities
        assert check_ledger(led) == []

    compared = run_cli("compare", "2012-年初定级", "2012-模拟-严格支委会", "--ledger", str(ledger))
    assert compared[0] == 0 and "2012年 年初定级 → 2012年 模拟-严格支委会：两轮均有 4 个支部" in compared[1]
    history = run_cli("history", "JD-01", "--ledger", str(ledger), "--lang", "en")
    assert history[0] == 0, history[1]
    assert "2012 模拟-严格支委会 (loudi-2012)" in history[1] and "opened: OL-02" in history[1]


def test_a_name_recorded_already_is_refused_without_replace_in_either_language(
    march: Path, tmp_path: Path
) -> None:
    ledger = _copy(march, tmp_path)
    assert _replay(ledger, "--record", "年终自查")[0] == 0
    code, output = _replay(ledger, "--record", "年终自查")
    assert code == 2 and "台账中已有轮次 2012-模拟-年终自查" in output and "--replace" in output
    code, output = _replay(ledger, "--record", "年终自查", "--lang", "en")
    assert code == 2 and "already holds round 2012-模拟-年终自查" in output and "add --replace" in output
    code, output = _replay(ledger, "--record", "年终自查", "--replace", "--lang", "en")
    assert code == 0 and "Recorded as the what-if round 2012 模拟-年终自查 (number 3)" in output
    with Ledger.open(ledger) as led:
        rounds = [(r.id, r.stage, r.replaced_by) for r in led.rounds(include_replaced=True)]
    assert rounds == [(1, "年初定级", None), (2, "模拟-年终自查", 3), (3, "模拟-年终自查", None)]


def test_record_options_are_checked_before_anything_is_replayed(march: Path, tmp_path: Path) -> None:
    ledger = _copy(march, tmp_path)
    code, output = _replay(ledger, "--record", " ")
    assert code == 2 and "--record 需要一个名称" in output
    code, output = _replay(ledger, "--replace", "--lang", "en")
    assert code == 2 and "--replace only goes with --record" in output
    with Ledger.open(ledger) as led:
        assert len(led.rounds(include_replaced=True)) == 1


def test_a_what_if_round_is_never_a_baseline_nor_closes_or_lists_items(march: Path, tmp_path: Path) -> None:
    """A what-if round named after the year-end stage, then the real year-end round: TG-04 compares with
    the real March round, 对账销号 decides the March items only, and the what-if round's items are in no
    整改台账 and open no item."""
    ledger = _copy(march, tmp_path)
    assert _replay(ledger, "--record", "年终自查")[0] == 0
    with Ledger.open(ledger) as led:
        what_if = led.find_round("2012-模拟-年终自查")
        assert all(
            item.round_ref == "2012-年初定级" for per in open_items(led).values() for item in per.values()
        )
        _, outcomes = record(
            led, sorted((YEAR / "december").glob("*.xlsx")), plan_for("年终自查", baseline="年初定级")
        )
        year_end = led.find_round("2012-年终自查")
        assert not year_end.what_if and year_end.id != what_if.id
        xs02 = next(o.result for o in outcomes if o.result and o.result.identity.branch_id == "XS-02")
        tg04 = next(f for f in xs02.items if f.code == "TG-04")  # fell below its real March grade
        assert "年初定级" in tg04.message.zh and "模拟" not in tg04.message.zh
        decided = led.conn.execute(
            "SELECT DISTINCT i.round_id FROM events e JOIN items i ON i.id = e.item_id "
            "WHERE e.source = 'round'"
        ).fetchall()
        assert decided == [(led.find_round("2012-年初定级").id,)]
        assert not any(row.round_ref.startswith("2012-模拟") for row in ledger_rows(led, "zh"))
        assert check_ledger(led) == []


def test_check_finds_a_what_if_mark_that_disagrees_with_its_round(march: Path, tmp_path: Path) -> None:
    ledger = _copy(march, tmp_path)
    assert _replay(ledger, "--record", "严格支委会")[0] == 0
    with Ledger.open(ledger) as led:
        led.conn.execute("UPDATE rounds SET replay_of = NULL WHERE id = 2")
        led.conn.execute("UPDATE rounds SET replay_of = 2 WHERE id = 1")
        problems = [p.en for p in check_ledger(led)]
    assert sum("what-if mark disagrees" in p for p in problems) == 2
