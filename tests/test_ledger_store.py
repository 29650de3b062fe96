"""The ledger file: creation, refusal of what is not a ledger, migrations with backup, the read API."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from engine.ledger import Ledger, LedgerError, default_ledger_path
from engine.ledger.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, migrate
from tests.ledger_helpers import college_forms, plan_for, record


def test_a_new_ledger_is_created_in_wal_with_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ledger.sqlite"
    with Ledger.open(path) as led:
        assert led.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert led.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert led.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert led.rounds() == []
        assert led.backup is None


def test_the_environment_variable_chooses_the_default_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRANCHGRADE_LEDGER", str(tmp_path / "mine.sqlite"))
    assert default_ledger_path() == tmp_path / "mine.sqlite"
    monkeypatch.delenv("BRANCHGRADE_LEDGER")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if default_ledger_path().drive == "":  # not Windows
        assert default_ledger_path() == tmp_path / "data" / "branchgrade" / "ledger.sqlite"


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a ledger" * 10)
    before = path.read_bytes()
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert "不是 branchgrade 的整改台账" in caught.value.text.zh
    assert "not a branchgrade ledger" in caught.value.text.en
    assert path.read_bytes() == before


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert "其他程序" in caught.value.text.zh


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError):
        Ledger.open(tmp_path)


def test_a_damaged_ledger_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path):
        pass
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the first page's b-tree header and schema
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert "损坏" in caught.value.text.zh or "不是" in caught.value.text.zh


def test_a_ledger_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as led:
        led.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LedgerError) as caught:
        Ledger.open(path)
    assert "更新版本" in caught.value.text.zh


def test_migrating_backs_the_file_up_first_and_each_step_is_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path) as led:
        led.conn.execute(
            "INSERT INTO rounds (year, stage, profile, profile_sha256, tool_version, recorded_at) "
            "VALUES (2012, '年初定级', 'p', 'x', 'v', 't')"
        )
    future = (*MIGRATIONS, ("ALTER TABLE rounds ADD COLUMN note TEXT DEFAULT 'migrated'",))
    conn = sqlite3.connect(path, isolation_level=None)
    backup = migrate(conn, path, future)
    assert backup is not None and backup.name.startswith(f"ledger.sqlite.v{SCHEMA_VERSION}-")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert conn.execute("SELECT note FROM rounds").fetchall() == [("migrated",)]
    assert migrate(conn, path, future) is None  # nothing left to apply
    conn.close()
    with contextlib.closing(sqlite3.connect(backup)) as copy:  # the copy is the ledger as it was
        assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert copy.execute("SELECT year, stage FROM rounds").fetchall() == [(2012, "年初定级")]
    copy.close()


def test_a_failing_migration_step_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path):
        pass
    broken = (*MIGRATIONS, ("CREATE TABLE extra (x)", "THIS IS NOT SQL"))
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, path, broken)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'extra'").fetchone()[0] == 0
    conn.close()


@pytest.mark.slow
def test_a_recorded_round_reads_back_with_its_results_and_facts(tmp_path: Path) -> None:
    forms = college_forms(3)
    with Ledger.open(tmp_path / "ledger.sqlite") as led:
        rounds, outcomes = record(led, forms, plan_for("年初定级"))
        assert [r.ref for r in rounds] == ["2012-年初定级"]
        info = rounds[0]
        assert info.label.zh == "2012年 年初定级" and info.label.en == "2012 年初定级"
        assert info.profile == "loudi-2012" and len(info.profile_sha256) == 64
        assert led.find_round("2012-年初定级") == info == led.find_round(str(info.id))
        records = led.branch_records(info.id)
        graded = sorted(
            (o for o in outcomes if o.result is not None), key=lambda o: o.result.identity.branch_id
        )  # type: ignore[union-attr]
        assert [r.branch_id for r in records] == [o.result.identity.branch_id for o in graded]  # type: ignore[union-attr]
        for rec, outcome in zip(records, graded, strict=True):
            assert rec.result == outcome.result
            assert rec.facts.identity == outcome.result.identity  # type: ignore[union-attr]
            assert rec.source_sha256 == outcome.report.sha256 and rec.source_name == outcome.report.file
            assert led.branch_problems(info.id, rec.branch_id) == outcome.report.problems
        items = led.conn.execute("SELECT count(*) FROM items WHERE round_id = ?", (info.id,)).fetchone()[0]
        assert items == sum(len(o.result.items) for o in graded)  # type: ignore[union-attr]
        # the light read (compare, history) gives what the full results hold, from columns alone
        rows = led.graded_rows(info.id)
        for row, rec in zip(rows, records, strict=True):
            r = rec.result
            assert (row.branch_id, row.branch_name, row.general_branch) == (
                r.identity.branch_id,
                r.identity.branch_name,
                r.identity.general_branch,
            )
            assert (row.grade, row.total, row.kpi_flags) == (r.grade.code, r.total, r.kpi_flags)
            assert [(i.code, i.title) for i in row.items] == [(f.code, f.title) for f in r.items]
        one = rows[-1].branch_id
        assert led.graded_rows(info.id, [one, "NOT-THERE"]) == [rows[-1]]
        assert led.branch_records(info.id, [one, "NOT-THERE"]) == [records[-1]]  # one branch read alone
        assert led.branch_ids() == sorted(r.branch_id for r in records)


@pytest.mark.slow
def test_a_round_recorded_again_needs_replace_and_the_old_one_stays(tmp_path: Path) -> None:
    forms = college_forms(1)
    with Ledger.open(tmp_path / "ledger.sqlite") as led:
        first = record(led, forms, plan_for("年初定级"))[0][0]
        with pytest.raises(LedgerError) as caught:
            record(led, forms, plan_for("年初定级", year=2012))
        assert "--replace" in caught.value.text.zh
        with pytest.raises(LedgerError):  # the year known only from the forms: refused when recording
            record(led, forms, plan_for("年初定级"))
        assert led.rounds() == [first]
        second = record(led, forms, plan_for("年初定级", replace=True))[0][0]
        assert led.rounds() == [second]
        history = led.rounds(include_replaced=True)
        assert [r.id for r in history] == [first.id, second.id]
        assert history[0].replaced_by == second.id
        assert led.find_round("2012-年初定级") == second
        assert len(led.branch_records(first.id)) == 1  # still readable


def test_an_unknown_round_names_the_rounds_there_are(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as led:
        led.conn.execute(
            "INSERT INTO rounds (year, stage, profile, profile_sha256, tool_version, recorded_at) "
            "VALUES (2012, '年初定级', 'p', 'x', 'v', 't')"
        )
        with pytest.raises(LedgerError) as caught:
            led.find_round("2013-验收")
        assert "2012-年初定级" in caught.value.text.zh and "2013-验收" in caught.value.text.en
        with pytest.raises(LedgerError):
            led.find_round("99")
