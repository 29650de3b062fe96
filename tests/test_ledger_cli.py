"""``grade --round``, ``ledger check`` and the committed first-version ledger, through the command line."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.ledger import Ledger
from engine.ledger.store import MIGRATIONS, SCHEMA_VERSION, migrate
from tests.ledger_helpers import college_forms

runner = CliRunner()
V1_LEDGER = Path(__file__).resolve().parent / "data" / "ledger-v1.sqlite"


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    for form in college_forms()[:2]:
        shutil.copy(form, folder / form.name)
    return folder


def grade(folder: Path, out: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["grade", str(folder), "-o", str(out), "--workers", "0", "--no-progress", *args]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.slow
def test_grade_records_a_round_only_when_asked_and_replaces_only_with_replace(
    forms: Path, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.sqlite"
    code, _ = grade(forms, tmp_path / "out", "--ledger", str(ledger))
    assert code == 0 and not ledger.exists()  # no --round: nothing recorded, no ledger made
    code, output = grade(forms, tmp_path / "out", "--round", "年初定级", "--ledger", str(ledger))
    assert code == 0 and "已记录轮次 2012年 年初定级（编号 1）：2 个支部" in output
    code, output = grade(
        forms, tmp_path / "out", "--round", "年初定级", "--year", "2012", "--ledger", str(ledger)
    )
    assert code == 2 and "--replace" in output
    code, output = grade(forms, tmp_path / "out", "--round", "年初定级", "--replace", "--ledger", str(ledger))
    assert code == 0 and "替换了编号 1 的轮次" in output
    with Ledger.open(ledger) as led:
        assert [(r.id, r.replaced_by) for r in led.rounds(include_replaced=True)] == [(1, 2), (2, None)]
    result = runner.invoke(app, ["ledger", "check", "--ledger", str(ledger)])
    assert result.exit_code == 0 and "完好" in result.output


def test_round_options_are_checked_before_grading(forms: Path, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    code, output = grade(forms, tmp_path / "out", "--round", "期末", "--ledger", str(ledger))
    assert code == 2 and "年初定级、中期督查、年终自查、验收" in output
    code, output = grade(forms, tmp_path / "out", "--year", "2012", "--lang", "en")
    assert code == 2 and "--year and --replace only go with --round" in output
    assert not (tmp_path / "out").exists()


def test_grade_refuses_a_ledger_path_that_is_not_a_ledger(forms: Path, tmp_path: Path) -> None:
    other = tmp_path / "notes.xlsx"
    shutil.copy(college_forms()[0], other)
    code, output = grade(forms, tmp_path / "out", "--round", "年初定级", "--ledger", str(other))
    assert code == 2 and "不是 branchgrade 的整改台账" in output
    assert not (tmp_path / "out").exists()


def test_check_reports_missing_foreign_and_damaged_files_without_a_traceback(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["ledger", "check", "--ledger", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "不存在" in missing.output
    assert not (tmp_path / "none.sqlite").exists()
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    foreign = runner.invoke(app, ["ledger", "check", "--ledger", str(other), "--lang", "en"])
    assert foreign.exit_code == 2 and "not a branchgrade ledger" in foreign.output
    damaged = tmp_path / "damaged.sqlite"
    shutil.copy(V1_LEDGER, damaged)
    data = bytearray(damaged.read_bytes())
    data[8192:16384] = b"\x00\x01" * 4096  # pages of the tables, not the header
    damaged.write_bytes(bytes(data))
    result = runner.invoke(app, ["ledger", "check", "--ledger", str(damaged)])
    assert result.exit_code in (1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and ("✗" in result.output or "损坏" in result.output)


def test_check_finds_broken_invariants(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    with Ledger.open(ledger) as led:
        led.conn.execute("UPDATE items SET identity = 'forged' WHERE id = 1")
        led.conn.execute(
            "UPDATE branches SET source_sha256 = 'abc' WHERE branch_id = 'XS-04' AND round_id = 1"
        )
    result = runner.invoke(app, ["ledger", "check", "--ledger", str(ledger), "--lang", "en"])
    assert result.exit_code == 1
    assert "identity forged does not match" in result.output and "malformed input hash 'abc'" in result.output


def test_the_first_schema_versions_ledger_opens_reads_and_upgrades_with_a_backup(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    with Ledger.open(
        ledger
    ) as led:  # opened by this version: upgraded to its schema (backed up if it had to)
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert (led.backup is not None) == (SCHEMA_VERSION > 1)
        assert [r.ref for r in led.rounds()] == ["2012-年初定级", "2012-年终自查"]
        records = led.branch_records(led.find_round("2012-年初定级").id)
        assert [r.branch_id for r in records] == ["XS-04", "XX-02"]
        assert all(r.result.identity.branch_id == r.branch_id for r in records)
        assert all(r.facts.identity == r.result.identity for r in records)
        assert led.branch_problems(records[0].round_id, "XS-04") == ()  # not kept before version 2
    # and a further step beyond this version applies on top of it, after a backup
    conn = sqlite3.connect(ledger, isolation_level=None)
    future = (*MIGRATIONS, ("CREATE TABLE later_step (item_id INTEGER, grade TEXT)",))
    backup = migrate(conn, ledger, future)
    assert backup is not None and backup.exists()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()
    result = runner.invoke(app, ["ledger", "check", "--ledger", str(backup)])
    assert result.exit_code == 0, result.output
