"""公示: the notice period in working days, objections and their decisions, which grades are final (with
a property of the rule), the notice workbook read back, and the summary and results.json saying so."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export.explain import explain
from engine.export.stamp import read_output_stamp
from engine.ledger import Ledger
from engine.ledger.store import MIGRATIONS, SCHEMA_VERSION, migrate
from engine.notice.record import (
    NoticeRefused,
    add_objection,
    decide_objection,
    finality,
    is_final,
    notice_period,
    objections,
    publish,
)
from engine.notice.workbook import PER_PAGE, NoticeRow, notice_lines, write_notice
from engine.review.export import round_report, write_round_outputs
from engine.review.record import record_review
from tests.ledger_helpers import MARCH_BRANCHES as BRANCHES

V1_LEDGER = Path(__file__).resolve().parent / "data" / "ledger-v1.sqlite"
ROUND = "2012-年初定级"
CONTACT = "学院党委组织部（电话 0738-1234567）"


@pytest.fixture
def led(march_ledger: Path) -> Iterator[Ledger]:
    with Ledger.open(march_ledger) as opened:
        yield opened


@pytest.mark.parametrize(
    ("start", "days", "first", "last"),
    [
        (date(2012, 12, 3), 5, date(2012, 12, 3), date(2012, 12, 7)),  # Monday to Friday
        (date(2012, 12, 1), 5, date(2012, 12, 3), date(2012, 12, 7)),  # from a Saturday: the Monday
        # Friday 09-28, make-up Saturday 09-29, then the National Day holiday to 10-07: the 5th is 10-10
        (date(2012, 9, 28), 5, date(2012, 9, 28), date(2012, 10, 10)),
        (date(2012, 12, 3), 1, date(2012, 12, 3), date(2012, 12, 3)),
    ],
)
def test_the_notice_period_counts_working_days_by_chinas_calendar(
    start: date, days: int, first: date, last: date
) -> None:
    assert notice_period(start, days) == (first, last)


def test_a_notice_records_the_grades_that_stand_and_objections_decide_finality(led: Ledger) -> None:
    record_review(led, ROUND, "XS-02", "一般", "组织生活会记录缺失", "张三")
    notice = publish(led, ROUND, date(2012, 12, 3), 5, CONTACT)
    assert (notice.first_day, notice.last_day, notice.contact) == (
        date(2012, 12, 3),
        date(2012, 12, 7),
        CONTACT,
    )
    assert dict(notice.grades) == {"JD-02": "A", "XS-02": "C", "XX-01": "B"}  # XS-02's reviewed grade
    round_id = notice.round_id
    assert finality(led, round_id, date(2012, 12, 7)).branches == dict.fromkeys(BRANCHES, False)  # period on
    objection = add_objection(led, ROUND, "XS-02", "李四", "组织生活会记录其实齐全", date(2012, 12, 5))
    state = finality(led, round_id, date(2012, 12, 8))
    assert state.branches == {"JD-02": True, "XS-02": False, "XX-01": True} and not state.round_final
    decide_objection(led, objection.id, "upheld", "复核后改为较好", "王五")
    decided = objections(led, round_id, "XS-02")[0]
    assert decided.decision is not None and decided.decision.outcome == "upheld"
    assert finality(led, round_id, date(2012, 12, 8)).round_final
    # upheld, the grade is reviewed again: not the one published, so not final until published anew
    record_review(led, ROUND, "XS-02", "较好", "异议成立，复核后改为较好", "王五")
    assert finality(led, round_id, date(2012, 12, 10)).branches["XS-02"] is False
    publish(led, ROUND, date(2012, 12, 10), 5, CONTACT)
    assert not finality(led, round_id, date(2012, 12, 14)).round_final
    assert finality(led, round_id, date(2012, 12, 15)).round_final


@pytest.mark.parametrize(
    ("call", "zh", "en"),
    [
        (
            lambda led: publish(led, "2099-年初定级", date(2012, 12, 3), 5, CONTACT),
            "没有轮次",
            "has no round",
        ),
        (lambda led: publish(led, ROUND, date(2012, 12, 3), 0, CONTACT), "至少 1 个工作日", "at least one"),
        (lambda led: publish(led, ROUND, date(2012, 12, 3), 5, " "), "--contact", "--contact"),
        (
            lambda led: add_objection(led, ROUND, "XS-02", "李四", "x", date(2012, 12, 3)),
            "尚未公示",
            "not been",
        ),
        (lambda led: decide_objection(led, 9, "upheld", "x", "王五"), "没有编号为 9 的异议", "number 9"),
    ],
)
def test_what_cannot_be_recorded_is_refused_saying_what_to_do(led: Ledger, call, zh: str, en: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoticeRefused) as refused:
        call(led)
    assert zh in refused.value.text.zh and en in refused.value.text.en


def test_objections_are_refused_for_an_unknown_branch_or_without_who_and_what(led: Ledger) -> None:
    publish(led, ROUND, date(2012, 12, 3), 5, CONTACT)
    for branch, by, content, words in (
        ("XS-99", "李四", "x", "不在轮次 2012-年初定级 的公示名单中"),
        ("XS-02", "", "x", "提出人"),
        ("XS-02", "李四", " ", "异议内容"),
    ):
        with pytest.raises(NoticeRefused) as refused:
            add_objection(led, ROUND, branch, by, content, date(2012, 12, 4))
        assert words in refused.value.text.zh
    objection = add_objection(led, ROUND, "XS-02", "李四", "x", date(2012, 12, 4))
    for outcome, decision, by, words in (
        ("maybe", "x", "王五", "upheld"),
        ("upheld", "", "王五", "--decision"),
    ):
        with pytest.raises(NoticeRefused) as refused:
            decide_objection(led, objection.id, outcome, decision, by)
        assert words in refused.value.text.en
    assert led.conn.execute("SELECT count(*) FROM objection_decisions").fetchone()[0] == 0


@given(
    published=st.sampled_from("ABCD"),
    standing=st.sampled_from("ABCD"),
    decided=st.lists(st.booleans(), max_size=5),
    offset=st.integers(-10, 10),
)
def test_a_grade_is_final_only_after_the_period_with_every_objection_decided_and_unchanged(
    published: str, standing: str, decided: list[bool], offset: int
) -> None:
    last = date(2012, 12, 7)
    today = last + timedelta(days=offset)
    final = is_final(last, today, published, standing, decided)
    assert final == (offset > 0 and all(decided) and published == standing)
    assert not is_final(None, today, published, standing, decided)  # never published: never final


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(BRANCHES), st.booleans()), max_size=6
    ),  # objections raised, each decided or not
    offset=st.integers(-3, 3),
)
def test_the_round_is_final_exactly_when_the_period_is_over_and_every_objection_decided(
    march_pristine: Path, tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, bool]], offset: int
) -> None:
    path = tmp_path_factory.mktemp("final") / "ledger.sqlite"
    shutil.copy(march_pristine, path)
    with Ledger.open(path) as led:
        notice = publish(led, ROUND, date(2012, 12, 3), 5, CONTACT)
        for branch, decide in steps:
            o = add_objection(led, ROUND, branch, "李四", "异议", date(2012, 12, 4))
            if decide:
                decide_objection(led, o.id, "dismissed", "维持", "王五")
        state = finality(led, notice.round_id, notice.last_day + timedelta(days=offset))
    open_branches = {b for b, decide in steps if not decide}
    for branch in BRANCHES:
        assert state.branches[branch] == (offset > 0 and branch not in open_branches)
    assert state.round_final == (offset > 0 and not open_branches)


def test_the_notice_workbook_lists_branches_by_grade_and_prints_fifty_to_an_a4_page(tmp_path: Path) -> None:
    grades = ("先进", "较好", "一般", "后进")
    rows = [NoticeRow(i % 4, grades[i % 4], f"XS-{i:03d}", f"第{i}党支部", "学生党总支") for i in range(120)]
    title, text = notice_lines("2012年 年初定级", date(2012, 12, 3), date(2012, 12, 7), 5, CONTACT, 120, "zh")
    path = tmp_path / "公示名单.xlsx"
    assert write_notice(path, rows, title, text) == 3
    assert str(read_output_stamp(path)).startswith("公示名单 ")  # a folder holding it grades it as an output
    ws = openpyxl.load_workbook(path)["公示名单"]
    assert ws["A1"].value == "2012年 年初定级党支部分类定级结果公示"
    assert ws["A2"].value == (
        "经支部自评、党总支审核、学院党委审定，现将 120 个党支部的分类定级结果予以公示。"
        "公示期为 2012年12月3日 "
        f"至 2012年12月7日（5 个工作日）。公示期间如有异议，请向{CONTACT}反映。"
    )
    assert [c.value for c in ws[3]] == ["评定等次", "序号", "支部编号", "支部名称", "上级党组织"]
    table = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[0] for r in table] == [g for g in grades for _ in range(30)]  # best grade first
    assert [r[1] for r in table] == list(range(1, 121))
    assert [r[2] for r in table[:2]] == ["XS-000", "XS-004"]
    assert [b.id for b in ws.row_breaks.brk] == [3 + PER_PAGE, 3 + 2 * PER_PAGE]  # after rows 50 and 100
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation, setup.scale) == (9, "portrait", 80)
    assert not ws.sheet_properties.pageSetUpPr or not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3"


def test_english_notice_text() -> None:
    title, text = notice_lines(
        "2012 年初定级", date(2012, 9, 28), date(2012, 10, 10), 5, "the office", 4, "en"
    )
    assert title == "Party branch grades of 2012 年初定级: public notice"
    assert "from 2012-09-28 to 2012-10-10 (5 working days). Objections: the office." in text


def test_the_summary_results_json_and_explain_say_which_grades_are_final(led: Ledger, tmp_path: Path) -> None:
    info = led.find_round(ROUND)
    assert {r.final for r in round_report(led, info, date(2012, 12, 10)).results} == {None}  # unpublished
    publish(led, ROUND, date(2012, 12, 3), 5, CONTACT)
    add_objection(led, ROUND, "XX-01", "李四", "异议", date(2012, 12, 4))
    summary, results, _ = write_round_outputs(led, info, tmp_path, "zh", today=date(2012, 12, 10))
    data = json.loads(results.read_text("utf-8"))
    assert {r["identity"]["branch_id"]: r["final"] for r in data["results"]} == {
        "JD-02": True,
        "XS-02": True,
        "XX-01": False,
    }
    sheet = openpyxl.load_workbook(summary)["汇总"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "是否最终"
    assert {r[0]: r[-1] for r in sheet.iter_rows(min_row=2, values_only=True)} == {
        "JD-02": "是",
        "XS-02": "是",
        "XX-01": "否",
    }
    report = round_report(led, info, date(2012, 12, 10))
    assert "是否最终：否" in explain(next(r for r in report.results if r.identity.branch_id == "XX-01"))


def test_the_third_schema_versions_ledger_upgrades_to_hold_notices(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    conn = sqlite3.connect(ledger, isolation_level=None)
    migrate(conn, ledger, MIGRATIONS[:3])
    conn.execute(
        "INSERT INTO reviews (round_id, branch_id, grade, reason, reviewer, recorded_at) "
        "VALUES (1, 'XS-04', 'C', '复核', '张三', '2012-12-01T00:00:00+00:00')"
    )
    conn.close()
    with Ledger.open(ledger) as led:
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4
        assert led.backup is not None and led.backup.name.startswith("ledger.sqlite.v3-")
        notice = publish(led, "2012-年初定级", date(2012, 12, 3), 5, CONTACT)
        assert notice.grades["XS-04"] == "C"  # the review recorded under version 3 stands
