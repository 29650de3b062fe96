"""The fixture year through the ledger: March recorded, statuses returned, year-end recorded; closure by
evidence, the marks on the new lists, the 整改台账 and TG-04 from the record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from engine.export.branch_list import branch_list_bytes
from engine.ledger import Ledger
from engine.ledger.capture import RoundContext
from engine.ledger.record import round_context
from engine.ledger.status import import_lists, list_files, write_ledger_workbook
from engine.pipeline import FileOutcome
from schemas.common import Status
from schemas.results import BranchResult
from tests.ledger_helpers import plan_for, record

YEAR = Path(__file__).resolve().parent.parent / "fixtures" / "year"
pytestmark = pytest.mark.slow


@dataclass
class Year:
    led: Ledger
    baseline: list[FileOutcome]
    year_end: list[FileOutcome]
    year_end_context: RoundContext

    def result(self, outcomes: list[FileOutcome], branch: str) -> BranchResult:
        found = [o.result for o in outcomes if o.result and o.result.identity.branch_id == branch]
        assert len(found) == 1
        return found[0]

    def state(self, identity: str) -> str | None:
        row = self.led.conn.execute(
            "SELECT status FROM item_state WHERE identity = ?", (identity,)
        ).fetchone()
        assert row is not None, identity
        return row[0]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    path = tmp_path_factory.mktemp("year") / "ledger.sqlite"
    with Ledger.open(path) as led:
        _, baseline = record(led, sorted((YEAR / "march").glob("*.xlsx")), plan_for("年初定级"))
        outcomes = import_lists(led, list_files([YEAR / "returned"]))
        assert [o.state for o in outcomes] == ["recorded"] * 4, [o.problems for o in outcomes]
        plan = plan_for("年终自查", baseline="年初定级")
        context = round_context(led, plan)
        _, year_end = record(led, sorted((YEAR / "december").glob("*.xlsx")), plan)
        yield Year(led, baseline, year_end, context)


def test_items_the_new_forms_pass_are_closed_with_the_cells_that_show_it(year: Year) -> None:
    assert year.state("2012-年初定级/JD-02/OL-02") == "closed"
    evidence = year.led.conn.execute(
        "SELECT e.evidence FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE i.identity = '2012-年初定级/JD-02/OL-02' AND e.source = 'round'"
    ).fetchone()[0]
    cells = json.loads(evidence)
    assert cells and all(c["file"] == "JD-02.xlsx" for c in cells)
    assert year.state("2012-年初定级/XX-01/ED-02") == "closed"  # XX-01 fixed everything


def test_items_claimed_done_but_still_failing_are_flagged_not_effective(year: Year) -> None:
    assert year.state("2012-年初定级/JD-02/OL-04") == "ineffective"  # reported 已完成, lecture still missing
    assert year.state("2012-年初定级/XS-02/ED-01") == "ineffective"


def test_items_still_failing_and_not_claimed_are_carried_over(year: Year) -> None:
    assert year.state("2012-年初定级/XS-02/OL-02") == "carried"  # reported 整改中
    assert year.state("2012-年初定级/JD-02/SC-04") == "carried"  # never reported
    note = year.led.conn.execute(
        "SELECT e.note FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE i.identity = '2012-年初定级/JD-02/SC-04' AND e.source = 'round'"
    ).fetchone()[0]
    assert note == "2012-年终自查/JD-02/SC-04"  # continues as the new round's item
    assert year.state("2012-年终自查/JD-02/SC-04") is None  # open, nothing reported yet


def test_every_open_earlier_item_is_decided_once(year: Year) -> None:
    decided = year.led.conn.execute(
        "SELECT i.identity, count(*) FROM events e JOIN items i ON i.id = e.item_id "
        "WHERE e.source = 'round' GROUP BY i.id"
    ).fetchall()
    march = year.led.conn.execute(
        "SELECT count(*) FROM items WHERE identity LIKE '2012-年初定级/%'"
    ).fetchone()[0]
    assert len(decided) == march and all(n == 1 for _, n in decided)


def test_the_new_lists_mark_carried_over_and_not_effective_items(year: Year, tmp_path: Path) -> None:
    result = year.result(year.year_end, "JD-02")
    path = tmp_path / "JD-02.xlsx"
    path.write_bytes(branch_list_bytes(result, "zh", year.year_end_context.list_marks(result)))
    ws = openpyxl.load_workbook(path).active
    rows = {r[1]: r for r in ws.iter_rows(values_only=True) if r[0] and isinstance(r[0], int)}
    assert rows["OL-04"][11].startswith("整改未见成效：2012-年初定级 报已完成")
    assert rows["SC-04"][11] == "结转自 2012-年初定级"
    assert rows["SC-04"][12] == "2012-年终自查/JD-02/SC-04"


def test_lists_written_again_from_the_ledger_carry_the_marks_the_recording_gave(year: Year) -> None:
    from engine.review.export import round_list_marks

    info = year.led.find_round("2012-年终自查")
    for outcome in year.year_end:
        assert outcome.result is not None
        marks = year.year_end_context.list_marks(outcome.result)
        assert round_list_marks(year.led, info, outcome.result.identity.branch_id) == marks
    assert any(year.year_end_context.list_marks(o.result).notes for o in year.year_end if o.result)


def test_tg04_compares_the_recorded_march_grade_not_the_declared_one(year: Year) -> None:
    xs02 = year.result(year.year_end, "XS-02")
    march = year.result(year.baseline, "XS-02")
    assert (march.grade.code, xs02.grade.code) == ("B", "C")  # the form declares 较好 held throughout
    tg04 = next(t for t in xs02.trace if t.code == "TG-04")
    assert tg04.status is Status.FAILED
    finding = next(f for f in xs02.items if f.code == "TG-04")
    assert "依据台账：2012-年初定级 轮次的计算等次较好" in finding.message.zh
    assert xs02.facts["grade_rank_change"] == 1
    xx01 = year.result(year.year_end, "XX-01")
    assert xx01.grade.code == "A" and xx01.facts["grade_rank_change"] == -1  # moved up
    assert next(t for t in xx01.trace if t.code == "TG-04").status is Status.PASSED


def test_without_a_baseline_round_tg04_falls_back_to_the_forms_declaration_and_says_so(
    tmp_path: Path,
) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as led:
        _, outcomes = record(
            led, [YEAR / "december" / "XS-02.xlsx"], plan_for("年终自查", baseline="年初定级")
        )
    result = outcomes[0].result
    assert result is not None
    assert result.facts["grade_rank_change"] == 0  # declared 较好 → 较好
    assert next(t for t in result.trace if t.code == "TG-04").status is Status.PASSED


def test_the_ledger_workbook_counts_every_state_per_general_branch(year: Year, tmp_path: Path) -> None:
    path = tmp_path / "台账.xlsx"
    rows = write_ledger_workbook(year.led, path, "zh", today=date(2012, 12, 31))
    wb = openpyxl.load_workbook(path)
    counts = {r[0]: r[1:] for r in wb["各党总支汇总"].iter_rows(min_row=2, values_only=True)}
    # items, open, closed, carried, not effective, overdue, with conflicts
    items = sum(1 for r in rows if r.general_branch == "机电工程系党总支")
    mech = counts["机电工程系党总支"]
    assert mech[0] == items and mech[3] >= 1 and mech[4] == 2
    assert counts["合计"][0] == len(rows)
    assert counts["信息工程系党总支"][2] == 8  # XX-01's eight March items, all closed
    sheet = wb["整改台账"]
    states = {r[4]: r[8] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert states["2012-年初定级/JD-02/OL-04"] == "整改未见成效"
    assert states["2012-年初定级/JD-02/OL-02"] == "已销号"
    assert states["2012-年终自查/JD-01/OL-03"] == "未反馈"
