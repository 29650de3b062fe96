"""Importing returned 整改清单: matching by stamp and identity, refusals, re-imports, conflicts, and the
property that the event log keeps every status ever imported."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export.branch_list import ListMarks, branch_list_bytes
from engine.ledger import Ledger
from engine.ledger.capture import RoundContext
from engine.ledger.status import ImportOutcome, import_lists
from fixtures.generate import set_saved_time
from tests.ledger_helpers import plan_for, record
from tests.test_office_roundtrip import convert, soffice  # noqa: F401 - soffice is a fixture

YEAR = Path(__file__).resolve().parent.parent / "fixtures" / "year"
BRANCHES = ("JD-02", "XS-02", "XX-01")
STATUS_TEXT = {"todo": "未开始", "doing": "整改中", "done": "已完成"}
STATUS_COL, NOTE_COL, DATE_COL, ID_COL = 8, 9, 10, 12  # 0-based columns of the item table


class Recorded:
    """A ledger holding the March round of the fixture year, and each branch's March list."""

    def __init__(self, folder: Path) -> None:
        self.pristine = folder / "pristine.sqlite"
        self.lists: dict[str, Path] = {}
        forms = [YEAR / "march" / f"{b}.xlsx" for b in BRANCHES]
        with Ledger.open(self.pristine) as led:
            _, outcomes = record(led, forms, plan_for("年初定级"))
            led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        context = RoundContext(stage="年初定级")
        for outcome in outcomes:
            assert outcome.result is not None
            path = folder / f"{outcome.result.identity.branch_id}.xlsx"
            path.write_bytes(branch_list_bytes(outcome.result, "zh", context.list_marks(outcome.result)))
            self.lists[outcome.result.identity.branch_id] = path

    def ledger(self, folder: Path) -> Path:
        path = folder / "ledger.sqlite"
        shutil.copy(self.pristine, path)
        return path


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    return Recorded(tmp_path_factory.mktemp("recorded"))


@pytest.fixture
def led(recorded: Recorded, tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(recorded.ledger(tmp_path)) as opened:
        yield opened


def fill(
    source: Path,
    target: Path,
    rows: dict[int, tuple[str, str, object]] | None = None,
    saved: datetime | None = None,
    cells: dict[str, object] | None = None,
) -> Path:
    """``source`` filled as a branch would: per item row (0-based among the items) status text, progress
    and date done; ``cells`` set by address; saved at ``saved``."""
    wb = openpyxl.load_workbook(source)
    ws = wb.worksheets[0]
    items = [r for r in ws.iter_rows() if isinstance(r[0].value, int)]
    for n, (status, note, done) in (rows or {}).items():
        items[n][STATUS_COL].value, items[n][NOTE_COL].value, items[n][DATE_COL].value = status, note, done
    for ref, value in (cells or {}).items():
        ws[ref] = value
    wb.save(target)
    set_saved_time(target, saved or datetime(2012, 11, 30, tzinfo=UTC))
    return target


def item_ids(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path).worksheets[0]
    return [r[ID_COL].value for r in ws.iter_rows() if isinstance(r[0].value, int)]


def one(led: Ledger, path: Path) -> ImportOutcome:
    return import_lists(led, [path])[0]


def events(led: Ledger) -> int:
    return int(led.conn.execute("SELECT count(*) FROM events").fetchone()[0])


def test_a_returned_list_adds_one_event_per_row_and_again_changes_nothing(
    led: Ledger, recorded: Recorded, tmp_path: Path
) -> None:
    path = fill(recorded.lists["JD-02"], tmp_path / "JD-02.xlsx", {0: ("已完成", "已整改", "2012-11-02")})
    first = one(led, path)
    assert first.state == "recorded" and first.recorded == len(item_ids(path)) and not first.problems
    row = led.conn.execute(
        "SELECT status, note, done_date, source_file, length(source_sha256), as_of FROM events e "
        "JOIN items i ON i.id = e.item_id WHERE i.identity = ?",
        (item_ids(path)[0],),
    ).fetchone()
    assert row == ("done", "已整改", "2012-11-02", path.name, 64, "2012-11-30T00:00:00+00:00")
    before = events(led)
    again = one(led, path)
    assert again.state == "unchanged" and events(led) == before


def test_an_altered_identity_refuses_the_whole_list_with_its_cell(
    led: Ledger, recorded: Recorded, tmp_path: Path
) -> None:
    ids = item_ids(recorded.lists["JD-02"])
    path = fill(recorded.lists["JD-02"], tmp_path / "x.xlsx", {0: ("已完成", "", None)}, cells={})
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    cell = next(c for r in ws.iter_rows() for c in r if c.value == ids[1])
    cell.value = ids[1].replace("/JD-02/", "/JD-02/X")
    wb.save(path)
    outcome = one(led, path)
    assert outcome.refused and events(led) == 0
    [problem] = outcome.problems
    assert problem.code == "IN-33" and problem.evidence[0].cell == cell.coordinate


def test_a_row_of_another_branch_is_refused(led: Ledger, recorded: Recorded, tmp_path: Path) -> None:
    foreign = item_ids(recorded.lists["XS-02"])[0]
    path = fill(recorded.lists["JD-02"], tmp_path / "x.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    next(r for r in ws.iter_rows() if isinstance(r[0].value, int))[ID_COL].value = foreign
    wb.save(path)
    outcome = one(led, path)
    assert outcome.refused and [p.code for p in outcome.problems] == ["IN-34"] and events(led) == 0


def test_lists_of_no_round_or_an_unknown_round_and_forms_are_refused(
    led: Ledger, recorded: Recorded, tmp_path: Path
) -> None:
    result = record_result(recorded)
    no_round = tmp_path / "none.xlsx"
    no_round.write_bytes(branch_list_bytes(result, "zh", ListMarks()))
    unknown = tmp_path / "unknown.xlsx"
    unknown.write_bytes(branch_list_bytes(result, "zh", ListMarks(round_ref="2013-年初定级")))
    form = YEAR / "march" / "JD-02.xlsx"
    outcomes = import_lists(led, [no_round, unknown, form])
    assert [o.problems[0].code for o in outcomes] == ["IN-31", "IN-32", "IN-30"]
    assert all(o.refused for o in outcomes) and events(led) == 0
    assert "2012-年初定级" in outcomes[1].problems[0].message.zh  # names the rounds there are


def record_result(recorded: Recorded) -> object:
    from engine.pipeline import grade_workbooks
    from engine.profiles import Evaluators, ProfileChoice

    choice = ProfileChoice.from_ref("loudi-2012")
    with Evaluators(choice, "reference") as evaluators:
        path = YEAR / "march" / "JD-02.xlsx"
        return grade_workbooks([(path, path.name)], choice, evaluators)[0].result


def test_unreadable_cells_are_warned_and_the_rest_imported(
    led: Ledger, recorded: Recorded, tmp_path: Path
) -> None:
    path = fill(
        recorded.lists["XS-02"],
        tmp_path / "x.xlsx",
        {0: ("差不多了", "", None), 1: ("已完成", "好", "下周"), 2: ("整改中", "", "2012年11月5日")},
    )
    outcome = one(led, path)
    assert outcome.state == "recorded" and outcome.recorded == len(item_ids(path)) - 1
    assert [p.code for p in outcome.problems] == ["IN-35", "IN-36"]
    dates = dict(
        led.conn.execute(
            "SELECT i.identity, e.done_date FROM events e JOIN items i ON i.id = e.item_id"
        ).fetchall()
    )
    ids = item_ids(path)
    assert ids[0] not in dates and dates[ids[1]] is None and dates[ids[2]] == "2012-11-05"


def test_an_older_list_conflicting_with_a_newer_entry_is_flagged_and_changes_nothing(
    led: Ledger, recorded: Recorded, tmp_path: Path
) -> None:
    source = recorded.lists["JD-02"]
    newer = fill(
        source, tmp_path / "new.xlsx", {0: ("已完成", "done", None)}, datetime(2012, 12, 5, tzinfo=UTC)
    )
    older = fill(
        source, tmp_path / "old.xlsx", {0: ("整改中", "doing", None)}, datetime(2012, 11, 1, tzinfo=UTC)
    )
    assert one(led, newer).conflicts == 0
    outcome = one(led, older)
    assert outcome.state == "recorded" and outcome.conflicts == 1
    assert [p.code for p in outcome.problems] == ["IN-37"]
    identity = item_ids(source)[0]
    state = led.conn.execute("SELECT status FROM item_state WHERE identity = ?", (identity,)).fetchone()[0]
    assert state == "done"
    flagged = led.conn.execute("SELECT status FROM events WHERE conflict = 1").fetchall()
    assert flagged == [("doing",)]  # kept, never lost


claims = st.sampled_from(sorted(STATUS_TEXT))
an_import = st.tuples(
    st.sampled_from(BRANCHES),
    st.dictionaries(st.integers(0, 2), st.tuples(claims, st.text("整改已完成abc ", max_size=6)), max_size=3),
    st.integers(1, 60),  # the day (from 2012-11-01) the list was saved
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(an_import, min_size=1, max_size=5))
def test_the_event_log_holds_every_status_ever_imported(
    recorded: Recorded,
    tmp_path_factory: pytest.TempPathFactory,
    imports: list[tuple[str, dict[int, tuple[str, str]], int]],
) -> None:
    folder = tmp_path_factory.mktemp("imports")
    expected: list[tuple[str, str, str, str]] = []
    with Ledger.open(recorded.ledger(folder)) as led:
        for n, (branch, rows, day) in enumerate(imports):
            saved = datetime(2012, 11, 1, tzinfo=UTC) + timedelta(days=day)
            fills = {i: (STATUS_TEXT[s], note, None) for i, (s, note) in rows.items()}
            path = fill(recorded.lists[branch], folder / f"{n}-{branch}.xlsx", fills, saved)
            outcome = one(led, path)
            ids = item_ids(path)
            if outcome.state == "recorded":
                for i, identity in enumerate(ids):
                    status, note = rows.get(i, ("todo", ""))
                    expected.append((identity, status, note.strip(), path.name))
        logged = led.conn.execute(
            "SELECT i.identity, e.status, e.note, e.source_file FROM events e "
            "JOIN items i ON i.id = e.item_id "
            "WHERE e.source = 'import'"
        ).fetchall()
    assert sorted(logged) == sorted(expected)


@pytest.mark.office
def test_a_list_filled_and_saved_by_libreoffice_imports(
    soffice: str,  # noqa: F811 - the fixture imported above
    led: Ledger,
    recorded: Recorded,
    tmp_path: Path,
) -> None:
    filled = fill(recorded.lists["JD-02"], tmp_path / "JD-02.xlsx", {0: ("已完成", "按期完成", "2012-11-02")})
    resaved = convert(soffice, filled, "xlsx", tmp_path)
    outcome = one(led, resaved)
    assert outcome.state == "recorded" and outcome.recorded == len(item_ids(filled)), outcome.problems
    row = led.conn.execute(
        "SELECT status, note, done_date FROM events e JOIN items i ON i.id = e.item_id WHERE i.identity = ?",
        (item_ids(filled)[0],),
    ).fetchone()
    assert row == ("done", "按期完成", "2012-11-02")
