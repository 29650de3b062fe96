"""compare, history and replay on the command line, over rounds of the fixture college recorded into a
ledger in a temporary folder."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.ledger import Ledger
from tests.ledger_helpers import college_forms, plan_for, record

runner = CliRunner()
YEAR = Path(__file__).resolve().parent.parent / "fixtures" / "year"


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two rounds of 2012: 年初定级 without JC-01, 年终自查 without XX-02."""
    path = tmp_path_factory.mktemp("ledger") / "ledger.sqlite"
    forms = college_forms()
    with Ledger.open(path) as led:
        record(led, [f for f in forms if f.stem != "JC-01"], plan_for("年初定级"))
        record(led, [f for f in forms if f.stem != "XX-02"], plan_for("年终自查"))
    return path


def test_compare_writes_the_workbook_and_json(ledger: Path, tmp_path: Path) -> None:
    book, data = tmp_path / "变动.xlsx", tmp_path / "变动.json"
    args = ["compare", "2012-年初定级", "2012-年终自查", "--ledger", str(ledger), "-o", str(book)]
    result = runner.invoke(app, [*args, "--json", str(data)])
    assert result.exit_code == 0, result.output
    assert "两轮均有 16 个支部" in result.output and f"已写出 {book}" in result.output
    moved = json.loads(data.read_text(encoding="utf-8"))
    assert moved["before"]["label"]["zh"] == "2012年 年初定级" and moved["after"]["branches"] == 17
    assert [b["branch_id"] for b in moved["only_before"]] == ["XX-02"]
    assert [b["branch_id"] for b in moved["only_after"]] == ["JC-01"]
    assert moved["counts"]["same"] == 16 and moved["counts"]["opened"] == moved["counts"]["closed"] == 0
    with zipfile.ZipFile(book) as z:
        assert sum(n.startswith("xl/charts/chart") for n in z.namelist()) == 2

    english = runner.invoke(app, ["compare", "1", "2", "--ledger", str(ledger), "--lang", "en"])
    assert english.exit_code == 0 and "16 branches in both rounds" in english.output


def test_compare_refuses_an_unknown_round_and_a_bad_output(ledger: Path, tmp_path: Path) -> None:
    unknown = runner.invoke(app, ["compare", "2012-年初定级", "2013-验收", "--ledger", str(ledger)])
    assert unknown.exit_code == 2 and "2013-验收" in unknown.output and "2012-年终自查" in unknown.output
    wrong = runner.invoke(app, ["compare", "1", "2", "--ledger", str(ledger), "-o", str(tmp_path / "x.csv")])
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output
    nowhere = tmp_path / "missing" / "x.json"
    gone = runner.invoke(
        app, ["compare", "1", "2", "--ledger", str(ledger), "--json", str(nowhere), "--lang", "en"]
    )
    assert gone.exit_code == 2 and "folder does not exist" in gone.output


def test_compare_refuses_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.sqlite"
    bogus.write_text("not a database", encoding="utf-8")
    result = runner.invoke(app, ["compare", "1", "2", "--ledger", str(bogus)])
    assert result.exit_code == 2 and "不是 branchgrade 的整改台账文件" in result.output
    assert "Traceback" not in result.output and bogus.read_text(encoding="utf-8") == "not a database"


def test_history_prints_a_branchs_rounds(ledger: Path) -> None:
    result = runner.invoke(app, ["history", "xs-03", "--ledger", str(ledger)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("支部 xs-03 ") and "2012年 年初定级（loudi-2012）" in lines[1]
    absent = runner.invoke(app, ["history", "JC-01", "--ledger", str(ledger), "--lang", "en"])
    assert "2012 年初定级: the branch is not in this round" in absent.output
    missing = runner.invoke(app, ["history", "ZZ-99", "--ledger", str(ledger)])
    assert missing.exit_code == 2 and "ZZ-99" in missing.output and "JD-01" in missing.output


def test_replay_shows_what_a_threshold_change_does(ledger: Path) -> None:
    args = ["replay", "2012-年初定级", "--profile", "loudi-2012", "--ledger", str(ledger)]
    same = runner.invoke(app, args)
    assert same.exit_code == 0, same.output
    assert "未记录" in same.output and "等次与规则结果均无变化" in same.output
    stricter = runner.invoke(app, [*args, "--set", "org_life_per_month=2", "--lang", "en"])
    assert stricter.exit_code == 0, stricter.output
    assert "Parameters changed: org_life_per_month = 2" in stricter.output
    assert "XS-03" in stricter.output and "OL-03" in stricter.output and "Passed → Failed" in stricter.output
    with Ledger.open(ledger) as led:  # nothing recorded
        assert [r.stage for r in led.rounds(include_replaced=True)] == ["年初定级", "年终自查"]


def test_replay_refuses_a_bad_setting_before_reading_the_ledger(tmp_path: Path) -> None:
    absent = tmp_path / "never.sqlite"
    args = ["replay", "1", "--profile", "loudi-2012", "--ledger", str(absent)]
    facts = runner.invoke(app, [*args, "--set", "study_day=16"])
    assert facts.exit_code == 2 and "事实阶段" in facts.output and "profile.toml" in facts.output
    unknown = runner.invoke(app, [*args, "--set", "org_life=2", "--lang", "en"])
    assert unknown.exit_code == 2 and "has no such parameter" in unknown.output
    profile = runner.invoke(app, ["replay", "1", "--profile", "nowhere-2099", "--ledger", str(absent)])
    assert profile.exit_code == 2 and "nowhere-2099" in profile.output
    workers = runner.invoke(app, [*args, "--workers", "-1", "--lang", "en"])
    assert workers.exit_code == 2 and "--workers cannot be negative" in workers.output
    assert not absent.exists()


def test_compare_and_history_over_the_fixture_year(tmp_path: Path) -> None:
    """March and the year-end self-check of the fixture year: XX-01 fixed nearly everything and moves up,
    XS-02's satisfaction fell and it moves down; the items the new forms pass are closed."""
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as led:
        record(led, sorted((YEAR / "march").glob("*.xlsx")), plan_for("年初定级"))
        record(led, sorted((YEAR / "december").glob("*.xlsx")), plan_for("年终自查", baseline="年初定级"))
    data = tmp_path / "year.json"
    args = ["compare", "2012-年初定级", "2012-年终自查", "--ledger", str(path), "--json", str(data)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "晋位升级: XX-01" in result.output and "等次下降: XS-02" in result.output
    moved = json.loads(data.read_text(encoding="utf-8"))
    rows = {b["branch_id"]: b for b in moved["branches"]}
    assert (rows["XX-01"]["grade_before"], rows["XX-01"]["grade_after"], rows["XX-01"]["direction"]) == (
        "B",
        "A",
        "up",
    )
    assert rows["XS-02"]["direction"] == "down" and rows["XS-02"]["grade_after"] == "C"
    assert {rows["JD-01"]["direction"], rows["JD-02"]["direction"]} == {"same"}
    items = {(i["branch_id"], i["code"]): i["state"] for i in moved["items"]}
    assert items[("JD-02", "OL-02")] == "closed"  # committee meetings fixed
    assert items[("JD-01", "OL-03")] == "opened"  # no organisational life in October
    assert items[("XS-02", "TG-04")] == "opened"  # fell below its March grade
    assert rows["XX-01"]["items"]["closed"] > rows["XX-01"]["items"]["still_open"]

    history = runner.invoke(app, ["history", "XS-02", "--ledger", str(path), "--lang", "en"])
    assert history.exit_code == 0, history.output
    assert "2012 年终自查 (loudi-2012): Average" in history.output and "TG-04" in history.output


def test_compare_from_the_ledgers_columns_equals_compare_of_the_full_results(ledger: Path) -> None:
    """What compare reads lightly (grades, totals, items and KPI flags selected by SQL) gives the same
    movement as the branches' full recorded results."""
    from engine.movement import Side, compare
    from engine.movement.cli import side_of
    from engine.rulebook import load_profile

    policy = load_profile("loudi-2012").grading
    with Ledger.open(ledger) as led:
        a, b = led.rounds()
        light = compare(side_of(a, led.graded_rows(a.id)), side_of(b, led.graded_rows(b.id)))
        full = compare(
            *(
                Side(info.label, info.profile, [r.result for r in led.branch_records(info.id)], policy)
                for info in (a, b)
            )
        )
    assert light == full
    assert light.kpis and all(k.before is not None for k in light.kpis)


@pytest.mark.slow
def test_replay_across_workers_reports_what_one_process_does(ledger: Path) -> None:
    """The ledger's stored branches re-graded in a pool of two workers (each decoding its chunk and
    compiling the profile once) give the report the in-process replay of the full records gives."""
    from engine.movement import apply_settings, parse_settings, replay
    from engine.movement.replay_pool import replay_stored
    from engine.pipeline import CHUNK_FILES
    from engine.rulebook import load_profile, open_evaluator, resolve_evaluator

    base = load_profile("loudi-2012")
    where = "rules/loudi-2012/profile.toml"
    settings = parse_settings(["org_life_per_month=2"], base, where)
    profile = apply_settings(base, settings, where)
    name = resolve_evaluator("auto")
    with Ledger.open(ledger) as led:
        info = led.rounds()[0]
        stored = led.stored_branches(info.id)
        records = led.branch_records(info.id)
    copies = -(-(CHUNK_FILES + 1) // len(stored))  # more than one task: the pool is used
    pooled = replay_stored(stored * copies, profile, name, 2, settings)
    ev = open_evaluator(profile, name)
    try:
        alone = replay([(r.facts, r.result) for r in records] * copies, profile, ev, settings)
    finally:
        ev.close()
    assert pooled.results == () and len(alone.results) == len(stored) * copies  # kept only when asked
    assert pooled.changes and pooled.changes == alone.changes
    assert (pooled.grades, pooled.matrix, pooled.years) == (alone.grades, alone.matrix, alone.years)
    with Ledger.open(ledger) as led:
        full = led.stored_branches(info.id, full=True)
    kept = replay_stored(full, profile, name, 0, settings, keep=True)
    assert kept.results == alone.results[: len(stored)]
