"""``validate`` predicts what ``grade`` will find unprovable: an empty register or a blank sheet gets an
IN-14 warning naming the requirements it leaves "not evidenced" — exactly those grading then reports."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.coverage import MAX_RULES_LISTED, unproven_by_sheet, unproven_problems
from engine.export.template import write_template
from engine.facts import build_facts
from engine.pipeline import check_coverage, check_files, check_workbook, find_workbooks, grade_workbooks
from engine.profiles import ProfileChoice
from engine.rulebook import ReferenceEvaluator, evaluate, load_profile
from schemas.common import Severity, Status

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
PROFILE = load_profile("loudi-2012")
runner = CliRunner()


@pytest.fixture(scope="module")
def almost_empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The blank template with only what validate requires: the identity sheet and the 负面清单 answers."""
    path = tmp_path_factory.mktemp("coverage") / "几乎空白.xlsx"
    write_template(path, branch_type="学生", year=2012)
    wb = openpyxl.load_workbook(path)
    basic = wb["基本信息"]
    for label, value in {
        "支部名称": "测试支部",
        "支部编号": "XS-99",
        "正式党员数": 10,
        "支部书记": "张三",
    }.items():
        row = next(r for r in range(1, 30) if str(basic.cell(r, 1).value or "").startswith(label))
        basic.cell(row, 2).value = value
    negative = wb["负面清单"]  # each situation answered 否 under the 是否存在 header
    head = next(r for r in range(1, 30) if "是否存在" in str(negative.cell(r, 2).value or ""))
    for row in range(head + 1, head + 30):
        if negative.cell(row, 1).value:
            negative.cell(row, 2).value = "否"
    wb.save(path)
    return path


def not_evidenced(path: Path) -> set[str]:
    with ReferenceEvaluator(PROFILE) as evaluator:
        outcome = grade_workbooks([(path, path.name)], ProfileChoice.of(PROFILE), lambda *_: evaluator)[0]
    assert outcome.result is not None, outcome.report.problems
    return {t.code for t in outcome.result.trace if t.status is Status.NOT_EVIDENCED}


def test_the_almost_empty_workbook_is_valid_but_warned(almost_empty: Path) -> None:
    result = runner.invoke(app, ["validate", str(almost_empty)])
    assert result.exit_code == 0, result.output  # warnings alone: exit 0
    for register in ("会议活动", "学习学时", "支委培训"):
        assert f"工作表“{register}”没有任何记录" in result.output
    assert "OL-01" in result.output and "未能核实" in result.output
    english = runner.invoke(app, ["validate", str(almost_empty), "--lang", "en"])
    assert english.exit_code == 0
    assert "holds no record" in english.output and "not evidenced" in english.output


def test_the_warnings_name_exactly_what_grading_cannot_verify(almost_empty: Path) -> None:
    expected = not_evidenced(almost_empty)
    assert len(expected) > 40  # the case this guards: ~half the rule set unprovable, validate silent
    form = check_workbook(almost_empty).form
    assert form is not None
    grouped = unproven_by_sheet(evaluate(build_facts(form, PROFILE), PROFILE, ReferenceEvaluator(PROFILE)))
    assert {t.code for rules, _ in grouped.values() for t in rules} == expected
    problems = unproven_problems(form, PROFILE)
    assert len(problems) == len(grouped)  # one warning per sheet
    for p in problems:
        assert p.code == "IN-14" and p.severity is Severity.WARNING
        rules, _ = grouped[str(p.ctx["sheet"])]
        assert p.ctx["n"] == len(rules)
        listed = rules[:MAX_RULES_LISTED]
        assert all(f"{t.code} {t.title.zh}" in p.message.zh for t in listed)
        assert all(t.code in p.message.en for t in listed)
        assert p.evidence and all(ev.sheet == p.ctx["sheet"] for ev in p.evidence)


def test_a_filled_register_is_no_longer_warned(almost_empty: Path) -> None:
    form = check_workbook(almost_empty).form
    filled = check_workbook(COLLEGE / "XS-01.xlsx").form
    assert form is not None and filled is not None
    before = {p.ctx["sheet"] for p in unproven_problems(form, PROFILE)}
    after = {
        p.ctx["sheet"]
        for p in unproven_problems(form.model_copy(update={"meetings": filled.meetings}), PROFILE)
    }
    assert "会议活动" in before and "会议活动" not in after


def test_blank_cells_are_named_not_the_filled_ones(almost_empty: Path) -> None:
    checked = check_workbook(almost_empty)
    basic = next(p for p in check_coverage(checked, PROFILE) if p.ctx["sheet"] == "基本信息")
    cells = {ev.cell for ev in basic.evidence}
    assert "B13" in cells  # 上次换届日期, blank
    assert "B10" not in cells  # 正式党员数, filled in


@pytest.mark.parametrize("path", find_workbooks(COLLEGE), ids=lambda p: p.name)
def test_fixture_warnings_only_name_rules_grading_leaves_unproven(path: Path) -> None:
    form = check_workbook(path).form
    assert form is not None
    grouped = unproven_by_sheet(evaluate(build_facts(form, PROFILE), PROFILE, ReferenceEvaluator(PROFILE)))
    assert {t.code for rules, _ in grouped.values() for t in rules} <= not_evidenced(path)
    [(_, problems)] = check_files([path])
    assert sorted(str(p.ctx["sheet"]) for p in problems if p.code == "IN-14") == sorted(grouped)


def test_an_ungradable_workbook_gets_no_prediction(tmp_path: Path) -> None:
    blank = tmp_path / "blank.xlsx"
    write_template(blank)
    checked = check_workbook(blank)
    assert checked.form is None and check_coverage(checked, PROFILE) == ()
