"""Movement between rounds, a branch's history and replay, over the fixture college graded for real.

The recorded round is the fixture college as a batch grades it (``pipeline.grade_workbooks``), with each
branch's facts as the facts stage builds them; further rounds are the same facts re-graded under changed
parameters (``replay``), so every result here is one the engine produced.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.facts import build_facts
from engine.grading import college_kpis
from engine.movement import (
    Movement,
    MovementError,
    SettingError,
    Side,
    apply_settings,
    compare,
    parse_settings,
    render,
    replay,
    timeline,
)
from engine.movement.report import matrix_text, movement_json, write_json, write_workbook
from engine.pipeline import check_workbook, grade_workbooks
from engine.profiles import ProfileChoice
from engine.rulebook import Evaluator, load_profile, open_evaluator, resolve_evaluator
from schemas.common import Status, Text
from schemas.facts import BranchFacts
from schemas.results import BranchResult
from schemas.rules import Profile

COLLEGE = Path(__file__).resolve().parent.parent / "fixtures" / "college"
WHERE = "rules/loudi-2012/profile.toml"
Recorded = list[tuple[BranchFacts, BranchResult]]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("loudi-2012")


@pytest.fixture(scope="module")
def evaluator(profile: Profile) -> Iterator[Evaluator]:
    ev = open_evaluator(profile, resolve_evaluator("auto"))
    yield ev
    ev.close()


@pytest.fixture(scope="module")
def recorded(profile: Profile, evaluator: Evaluator) -> Recorded:
    """The fixture college as a batch grades it, each result with the facts it was graded from."""
    paths = sorted(COLLEGE.glob("*.xlsx"))
    outcomes = grade_workbooks([(p, p.name) for p in paths], ProfileChoice.of(profile), lambda *_: evaluator)
    pairs = []
    for path, outcome in zip(paths, outcomes, strict=True):
        form = check_workbook(path).form
        assert form is not None and outcome.result is not None
        pairs.append((build_facts(form, profile), outcome.result))
    return pairs


def _under(profile: Profile, recorded: Recorded, *items: str) -> list[BranchResult]:
    """The college re-graded with ``--set`` items."""
    changed = apply_settings(profile, parse_settings(items, profile, WHERE), WHERE)
    ev = open_evaluator(changed, resolve_evaluator("auto"))
    try:
        return list(replay(recorded, changed, ev).results)
    finally:
        ev.close()


@pytest.fixture(scope="module")
def strict_org_life(profile: Profile, recorded: Recorded) -> list[BranchResult]:
    return _under(profile, recorded, "org_life_per_month=2")


@pytest.fixture(scope="module")
def strict_committee(profile: Profile, recorded: Recorded) -> list[BranchResult]:
    return _under(profile, recorded, "committee_meetings_per_month=2")


def _side(name: str, results: list[BranchResult], profile: Profile) -> Side:
    return Side(Text(zh=name, en=name), profile.name, results, profile.grading)


def _by_id(results: list[BranchResult]) -> dict[str, BranchResult]:
    return {r.identity.branch_id: r for r in results}


# --- replay -----------------------------------------------------------------------------------------------


def test_replay_under_the_unchanged_profile_changes_nothing(
    profile: Profile, evaluator: Evaluator, recorded: Recorded
) -> None:
    result = replay(recorded, profile, evaluator)
    assert result.changes == ()
    assert [r.model_dump() for r in result.results] == [r.model_dump() for _, r in recorded]
    codes = [g.code for g in result.grades]
    for i, row in enumerate(result.matrix):  # everything on the diagonal, as many as were graded so
        assert sum(row) == row[i] == sum(1 for _, r in recorded if r.grade.code == codes[i])


def test_replay_with_a_stricter_threshold_names_the_branches_and_rules_that_change(
    profile: Profile, recorded: Recorded
) -> None:
    changed = apply_settings(profile, parse_settings(["org_life_per_month=2"], profile, WHERE), WHERE)
    ev = open_evaluator(changed, resolve_evaluator("auto"))
    try:
        result = replay(recorded, changed, ev, {"org_life_per_month": 2})
    finally:
        ev.close()
    before = {r.identity.branch_id: r for _, r in recorded}
    assert result.changes, "twice a month is stricter than the college meets everywhere"
    for change in result.changes:
        was = before[change.branch_id]
        assert change.before.code == was.grade.code and change.total_before == was.total
        assert {rc.code for rc in change.rules} == {"OL-03"}  # the one rule reading the parameter
        assert all(rc.before is not Status.FAILED and rc.after is Status.FAILED for rc in change.rules)
        assert change.total_after <= change.total_before
    down = [c.branch_id for c in result.moved("down")]
    assert "XS-03" in down and not result.moved("up")
    codes = [g.code for g in result.grades]
    xs03 = next(c for c in result.changes if c.branch_id == "XS-03")
    assert result.matrix[codes.index(xs03.before.code)][codes.index(xs03.after.code)] >= 1
    assert sum(map(sum, result.matrix)) == len(recorded)


def test_settings_are_checked_with_located_messages(profile: Profile) -> None:
    def refused(*items: str) -> Text:
        with pytest.raises(SettingError) as caught:
            parse_settings(items, profile, WHERE)
        return caught.value.text

    unknown = refused("org_life_per_mont=2")
    assert WHERE in unknown.zh and "org_life_per_month" in unknown.zh and "did you mean" in unknown.en
    facts = refused("study_day=16")
    assert "事实阶段" in facts.zh and "facts stage" in facts.en and WHERE in facts.en
    kind = refused("org_life_per_month=often")
    assert "整数" in kind.zh and "whole number" in kind.en and "now 1" in kind.en
    assert "NAME=VALUE" in refused("org_life_per_month").en
    assert "twice" in refused("org_life_per_month=2", "org_life_per_month=3").en
    assert "date" in refused("task_division_due=5").en
    assert "list" in refused("hours_exempt_types=离退休").en

    ok = parse_settings(
        ["satisfaction_min_rate=1", "task_division_due=2012-05-15", "hours_exempt_types=['离退休', '机关']"],
        profile,
        WHERE,
    )
    assert ok["satisfaction_min_rate"] == 1.0 and isinstance(ok["satisfaction_min_rate"], float)
    assert str(ok["task_division_due"]) == "2012-05-15"
    assert ok["hours_exempt_types"] == ["离退休", "机关"]
    changed = apply_settings(profile, ok, WHERE)
    assert changed.params["satisfaction_min_rate"] == 1.0 and profile.params["satisfaction_min_rate"] == 0.9


# --- compare ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movement(
    profile: Profile, strict_org_life: list[BranchResult], strict_committee: list[BranchResult]
) -> Movement:
    """Round A: twice-monthly organisational life asked (XS-03 falls), without JC-01; round B: twice-monthly
    committee meetings asked (XS-04 falls), without XX-02."""
    a = [r for r in strict_org_life if r.identity.branch_id != "JC-01"]
    b = [r for r in strict_committee if r.identity.branch_id != "XX-02"]
    return compare(_side("A", a, profile), _side("B", b, profile))


def test_compare_finds_the_branches_that_moved_up_and_down(
    movement: Movement, strict_org_life: list[BranchResult], strict_committee: list[BranchResult]
) -> None:
    a, b = _by_id(strict_org_life), _by_id(strict_committee)
    up, down = movement.moved("up"), movement.moved("down")
    assert [m.branch_id for m in up] == ["XS-03"] and [m.branch_id for m in down] == ["XS-04"]
    assert up[0].before == a["XS-03"].grade and up[0].after == b["XS-03"].grade
    assert len(movement.moved("same")) == 18 - 2 - 2  # 16 in both rounds, 2 of them moved
    assert [x.branch_id for x in movement.only_before] == ["XX-02"]
    assert [x.branch_id for x in movement.only_after] == ["JC-01"]
    assert sum(map(sum, movement.matrix)) == len(movement.moves) == 16
    codes = [g.code for g in movement.grades]
    assert codes == ["A", "B", "C", "D"]
    assert movement.matrix[codes.index("C")][codes.index("B")] == 1  # XS-03
    assert movement.matrix[codes.index("A")][codes.index("B")] == 1  # XS-04
    # OL-03 closed at XS-03 (the stricter org-life rule is gone), OL-02 opened at XS-04
    xs03 = {(i.code, i.state) for i in movement.items if i.branch_id == "XS-03"}
    xs04 = {(i.code, i.state) for i in movement.items if i.branch_id == "XS-04"}
    assert ("OL-03", "closed") in xs03 and ("OL-02", "opened") in xs04


def test_compare_kpis_are_each_rounds_own(
    movement: Movement,
    profile: Profile,
    strict_org_life: list[BranchResult],
    strict_committee: list[BranchResult],
) -> None:
    a = college_kpis([r for r in strict_org_life if r.identity.branch_id != "JC-01"], profile.grading)
    b = college_kpis([r for r in strict_committee if r.identity.branch_id != "XX-02"], profile.grading)
    assert [k.code for k in movement.kpis] == [k.code for k in b]
    for move, was, now in zip(movement.kpis, a, b, strict=True):
        assert (move.before, move.after, move.met_before, move.met_after) == (
            was.actual,
            now.actual,
            was.met,
            now.met,
        )
        assert move.change == round((now.actual - was.actual) * 100, 2)  # type: ignore[operator]


def test_compare_without_any_profile_says_so(strict_org_life: list[BranchResult]) -> None:
    side = Side(Text(zh="A", en="A"), "gone-2099", strict_org_life, None)
    with pytest.raises(MovementError) as caught:
        compare(side, side)
    assert "gone-2099" in caught.value.text.zh and "rules/" in caught.value.text.zh
    assert "no round's profile (gone-2099) is available" in caught.value.text.en


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_movement_agrees_with_set_arithmetic(
    data: st.DataObject,
    profile: Profile,
    recorded: Recorded,
    strict_org_life: list[BranchResult],
    strict_committee: list[BranchResult],
) -> None:
    """Any two rounds drawn from the real results: the matrix holds exactly the branches of both rounds,
    each move follows the grade order, and the items are the set differences of the (branch, rule) pairs."""
    versions = [[r for _, r in recorded], strict_org_life, strict_committee]
    ids = [r.identity.branch_id for _, r in recorded]

    def round_of() -> list[BranchResult]:
        chosen = data.draw(st.lists(st.sampled_from(ids), unique=True))
        return [versions[data.draw(st.integers(0, 2))][ids.index(i)] for i in chosen]

    a, b = round_of(), round_of()
    m = compare(_side("A", a, profile), _side("B", b, profile))
    ra, rb = _by_id(a), _by_id(b)
    common = ra.keys() & rb.keys()
    assert sum(map(sum, m.matrix)) == len(m.moves) == len(common)
    assert {x.branch_id for x in m.only_before} == ra.keys() - common
    assert {x.branch_id for x in m.only_after} == rb.keys() - common
    rank = {g.code: i for i, g in enumerate(m.grades)}
    for x in m.moves:
        delta = rank[ra[x.branch_id].grade.code] - rank[rb[x.branch_id].grade.code]
        assert x.direction == ("up" if delta > 0 else "down" if delta < 0 else "same")
    expected = set()
    for bid in common:
        was = {f.code for f in ra[bid].items}
        now = {f.code for f in rb[bid].items}
        expected |= {(bid, c, "closed") for c in was - now}
        expected |= {(bid, c, "opened") for c in now - was}
        expected |= {(bid, c, "still_open") for c in was & now}
    assert {(i.branch_id, i.code, i.state) for i in m.items} == expected
    per_rule = {r.code: (r.opened, r.closed, r.still_open) for r in m.rules}
    for code, counts in per_rule.items():
        states = [s for _, c, s in expected if c == code]
        assert counts == (states.count("opened"), states.count("closed"), states.count("still_open"))
    assert sum(x.opened + x.closed + x.still_open for x in m.moves) == len(expected)
    kpis = {k.code: k for k in college_kpis(b, profile.grading)}
    assert all(k.after == kpis[k.code].actual for k in m.kpis)


# --- outputs ----------------------------------------------------------------------------------------------


def test_workbook_has_the_tables_and_native_charts(movement: Movement, tmp_path: Path) -> None:
    path = tmp_path / "变动.xlsx"
    write_workbook(movement, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["概览", "等次迁移", "支部变动", "整改事项（按规则）", "整改事项明细"]
    matrix = book["等次迁移"]
    assert [c.value for c in matrix[1]] == ["前一轮 \\ 后一轮", "先进", "较好", "一般", "后进", "合计"]
    assert matrix.cell(6, 6).value == 16
    rows = {r[0]: r for r in book["支部变动"].iter_rows(min_row=2, values_only=True)}
    assert rows["XS-03"][5] == "晋位升级" and rows["XS-04"][5] == "等次下降"
    assert rows["XX-02"][5] == "仅在前一轮" and rows["JC-01"][5] == "仅在后一轮"
    assert book["整改事项明细"].max_row == len(movement.items) + 1
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    english = tmp_path / "movement.xlsx"
    write_workbook(movement, english, "en")
    en = openpyxl.load_workbook(english)
    assert en.sheetnames[0] == "Overview" and "Grade migration" in en.sheetnames
    assert {r[5] for r in en["Branch movement"].iter_rows(min_row=2, values_only=True)} >= {
        "moved up",
        "moved down",
        "stayed",
    }


def test_json_carries_the_same_movement(movement: Movement, tmp_path: Path) -> None:
    path = tmp_path / "movement.json"
    write_json(movement, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(movement_json(movement)))
    assert data["counts"]["up"] == 1 and data["counts"]["down"] == 1
    assert data["counts"]["only_before"] == 1 and data["counts"]["only_after"] == 1
    assert data["matrix"] == [list(r) for r in movement.matrix]
    assert data["grades"][0] == {"code": "A", "name": {"zh": "先进", "en": "Advanced"}}
    assert len(data["items"]) == sum(data["counts"][s] for s in ("opened", "closed", "still_open"))


def test_matrix_text_lines_up_chinese_grade_names(movement: Movement) -> None:
    lines = matrix_text(movement.grades, movement.matrix).splitlines()
    assert lines[0].split() == ["前一轮", "\\", "后一轮", "先进", "较好", "一般", "后进", "合计"]
    assert lines[-1].split()[-1] == "16"
    from rich.cells import cell_len

    assert len({cell_len(line) for line in lines}) == 1  # every row as wide: the columns line up


# --- history ----------------------------------------------------------------------------------------------


def test_history_follows_one_branch_through_rounds(
    recorded: Recorded, strict_org_life: list[BranchResult]
) -> None:
    base = _by_id([r for _, r in recorded])["XS-03"]
    strict = _by_id(strict_org_life)["XS-03"]
    rounds = [
        (Text(zh="2012年 年初定级", en="2012 年初定级"), "loudi-2012", base),
        (Text(zh="2012年 中期督查", en="2012 中期督查"), "loudi-2012", None),
        (Text(zh="2012年 年终自查", en="2012 年终自查"), "loudi-2012", strict),
        (Text(zh="2012年 验收", en="2012 验收"), "loudi-2012", base),
    ]
    steps = timeline(rounds)
    assert steps[0].opened == tuple(sorted({f.code for f in base.items})) and steps[0].closed == ()
    assert steps[1].result is None
    assert steps[2].opened == ("OL-03",) and steps[2].closed == ()  # against the last round holding it
    assert steps[3].opened == () and steps[3].closed == ("OL-03",)
    zh = render("XS-03", steps)
    assert "本轮无该支部" in zh and "销号：OL-03" in zh and strict.grade.name.zh in zh
    en = render("XS-03", steps, "en")
    assert "closed: OL-03" in en and "not in this round" in en
