"""Reviewed grades (审定): recorded as events beside the computed grade, refused with located problems,
shown by every output, and the property that the standing review is always the last decision."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export.branch_list import grade_text
from engine.export.explain import explain
from engine.export.summary import summary_record
from engine.ledger import Ledger
from engine.ledger.store import MIGRATIONS, SCHEMA_VERSION, migrate
from engine.movement.cli import side_of
from engine.movement.compare import compare
from engine.movement.report import movement_json
from engine.review.record import (
    ReviewRefused,
    record_review,
    review_history,
    reviewed_results,
    standing_reviews,
)
from tests.ledger_helpers import plan_for, record

YEAR = Path(__file__).resolve().parent.parent / "fixtures" / "year"
V1_LEDGER = Path(__file__).resolve().parent / "data" / "ledger-v1.sqlite"
BRANCHES = ("JD-02", "XS-02", "XX-01")  # computed in March: 先进, 较好, 较好
ROUND = "2012-年初定级"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reviewed") / "pristine.sqlite"
    with Ledger.open(path) as led:
        record(led, [YEAR / "march" / f"{b}.xlsx" for b in BRANCHES], plan_for("年初定级"))
        led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def led(pristine: Path, tmp_path: Path) -> Iterator[Ledger]:
    path = tmp_path / "ledger.sqlite"
    shutil.copy(pristine, path)
    with Ledger.open(path) as opened:
        yield opened


def _result(led: Ledger, branch: str):  # type: ignore[no-untyped-def]
    info = led.find_round(ROUND)
    return next(r for r in reviewed_results(led, info.id) if r.identity.branch_id == branch)


def test_a_review_stands_beside_the_computed_grade_and_a_later_one_supersedes_it(led: Ledger) -> None:
    assert record_review(led, ROUND, "XS-02", "一般", "实地核查：组织生活记录缺失", "张三")
    reviewed = _result(led, "XS-02")
    assert reviewed.grade.code == "B" and reviewed.review is not None  # computed grade untouched
    assert (reviewed.review.grade.code, reviewed.review.reviewer) == ("C", "张三")
    assert reviewed.awarded.code == "C"
    # by code or by English name, too; the newer review stands, the older stays in the history
    assert record_review(led, ROUND, "XS-02", "Advanced", "补充材料后复核", "李四")
    assert _result(led, "XS-02").awarded.code == "A"
    history = review_history(led, led.find_round(ROUND).id, "XS-02")
    assert [(e.grade, e.reviewer) for e in history] == [("C", "张三"), ("A", "李四")]
    # the same decision again records nothing; the branch's stored result is never rewritten
    assert not record_review(led, ROUND, "XS-02", "A", "补充材料后复核", "李四")
    assert len(review_history(led, led.find_round(ROUND).id, "XS-02")) == 2
    assert led.branch_grades(led.find_round(ROUND).id)["XS-02"] == "B"
    assert _result(led, "XX-01").review is None


@pytest.mark.parametrize(
    ("round_ref", "branch", "grade", "reason", "reviewer", "codes"),
    [
        ("2099-年初定级", "XS-02", "一般", "r", "张三", ["IN-41"]),
        (ROUND, "XS-99", "一般", "r", "张三", ["IN-42"]),
        (ROUND, "XS-02", "一般", "  ", "张三", ["IN-43"]),
        (ROUND, "XS-02", "优秀", "r", "张三", ["IN-44"]),
        (ROUND, "XS-02", "一般", "r", "", ["IN-45"]),
        (ROUND, "XS-02", "", "", "", ["IN-44", "IN-43", "IN-45"]),
    ],
)
def test_a_decision_the_ledger_cannot_take_is_refused_whole_and_says_why(
    led: Ledger, round_ref: str, branch: str, grade: str, reason: str, reviewer: str, codes: list[str]
) -> None:
    with pytest.raises(ReviewRefused) as refused:
        record_review(led, round_ref, branch, grade, reason, reviewer)
    assert [p.code for p in refused.value.problems] == codes
    problem = refused.value.problems[0]
    assert problem.rectification.zh and problem.rectification.en
    assert led.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0
    if codes == ["IN-44"]:
        assert "先进、较好、一般、后进" in problem.message.zh and "Advanced, Good" in problem.message.en
    if codes == ["IN-41"]:
        assert ROUND in problem.message.zh  # names the rounds the ledger holds


def test_every_output_shows_the_computed_and_the_reviewed_grade(led: Ledger) -> None:
    record_review(led, ROUND, "XX-01", "一般", "党员大会记录不全", "张三")
    result = _result(led, "XX-01")
    header = grade_text(result)
    assert (
        header.startswith("较好") and "审定等次：一般（审定理由：党员大会记录不全；审定人：张三）" in header
    )
    assert "Reviewed grade: Average (reason: 党员大会记录不全; reviewer: 张三)" in grade_text(result, "en")
    text = explain(result)
    assert "评定等次：较好" in text and "审定等次：一般" in text
    row = summary_record(result)
    assert (row.grade, row.reviewed_grade, row.review_reason, row.reviewer) == (
        "较好",
        "一般",
        "党员大会记录不全",
        "张三",
    )
    # compare: the movement is the computed grades'; the reviewed grade is shown beside it
    info = led.find_round(ROUND)
    side = side_of(info, led.branch_records(info.id), led)
    moved = compare(side, side)
    move = next(m for m in moved.moves if m.branch_id == "XX-01")
    assert move.direction == "same" and move.reviewed_after is not None
    data = next(b for b in movement_json(moved)["branches"] if b["branch_id"] == "XX-01")
    assert data["reviewed_after"]["code"] == "C" and data["reviewed_after"]["reason"] == "党员大会记录不全"
    assert (
        next(b for b in movement_json(moved)["branches"] if b["branch_id"] == "JD-02")["reviewed_after"]
        is None
    )


def test_the_second_schema_versions_ledger_upgrades_to_hold_reviews(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(V1_LEDGER, ledger)
    conn = sqlite3.connect(ledger, isolation_level=None)
    migrate(conn, ledger, MIGRATIONS[:2])  # the committed first version, taken to version 2
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()
    with Ledger.open(ledger) as led:
        assert led.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert led.backup is not None and led.backup.name.startswith("ledger.sqlite.v2-")
        assert record_review(led, "2012-年初定级", "XS-04", "较好", "复核", "张三")
        assert list(standing_reviews(led, led.find_round("2012-年初定级").id)) == ["XS-04"]
    with sqlite3.connect(led.backup) as backup:
        tables = {r[0] for r in backup.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    backup.close()
    assert "reviews" not in tables  # the backup is the file as it was


def test_the_ledger_refuses_a_review_without_reason_even_past_the_library(led: Ledger) -> None:
    with pytest.raises(sqlite3.IntegrityError), led.write() as conn:
        conn.execute(
            "INSERT INTO reviews (round_id, branch_id, grade, reason, reviewer, recorded_at) "
            "VALUES (1, 'XS-02', 'C', ' ', '张三', '2012-12-01')"
        )
    with pytest.raises(sqlite3.IntegrityError), led.write() as conn:
        conn.execute(
            "INSERT INTO reviews (round_id, branch_id, grade, reason, reviewer, recorded_at) "
            "VALUES (1, 'NOPE', 'C', 'r', '张三', '2012-12-01')"
        )


DECISIONS = st.lists(
    st.tuples(
        st.sampled_from(BRANCHES),
        st.sampled_from(["A", "B", "C", "D", "先进", "较好", "一般", "后进"]),
        st.sampled_from(["复核", "实地核查", "补充材料"]),
        st.sampled_from(["张三", "李四"]),
    ),
    max_size=12,
)
NAMES = {"先进": "A", "较好": "B", "一般": "C", "后进": "D"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(decisions=DECISIONS)
def test_the_standing_review_is_the_last_decision_and_the_history_keeps_every_change(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, decisions: list[tuple[str, str, str, str]]
) -> None:
    path = tmp_path_factory.mktemp("property") / "ledger.sqlite"
    shutil.copy(pristine, path)
    with Ledger.open(path) as led:
        round_id = led.find_round(ROUND).id
        computed = led.branch_grades(round_id)
        for branch, grade, reason, reviewer in decisions:
            record_review(led, ROUND, branch, grade, reason, reviewer)
        standing = standing_reviews(led, round_id)
        for branch in BRANCHES:
            own = [(NAMES.get(g, g), r, w) for b, g, r, w in decisions if b == branch]
            changes = [d for i, d in enumerate(own) if i == 0 or d != own[i - 1]]
            history = [(e.grade, e.reason, e.reviewer) for e in review_history(led, round_id, branch)]
            assert history == changes
            now = standing.get(branch)
            assert (None if now is None else (now.grade, now.reason, now.reviewer)) == (
                own[-1] if own else None
            )
        assert led.branch_grades(round_id) == computed  # reviews never touch the computed grades
