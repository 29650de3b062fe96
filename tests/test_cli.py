"""The CLI: exit codes 0 / 1 / 2, Chinese by default, English with --lang en."""

from __future__ import annotations

import ast
import json
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from engine import runs
from engine.cli import app
from engine.export.i18n import LABELS
from schemas.form_layout import BRANCH_TYPES

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
runner = CliRunner()


def test_template_then_validate_reports_the_blank_required_fields(tmp_path: Path) -> None:
    blank = tmp_path / "空白.xlsx"
    assert runner.invoke(app, ["template", str(blank), "--type", "学生"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(blank)])
    assert result.exit_code == 1
    assert "支部名称" in result.output and "IN-06" in result.output
    english = runner.invoke(app, ["validate", str(blank), "--lang", "en"])
    assert english.exit_code == 1 and "error" in english.output


def test_template_refuses_to_overwrite_and_bad_type(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"keep me")
    assert runner.invoke(app, ["template", str(target)]).exit_code == 2
    assert target.read_bytes() == b"keep me"
    assert runner.invoke(app, ["template", str(tmp_path / "u.xlsx"), "--type", "工人"]).exit_code == 2


def test_validate_a_good_fixture_exits_0() -> None:
    result = runner.invoke(app, ["validate", str(COLLEGE / "JD-01.xlsx")])
    assert result.exit_code == 0, result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["grade", str(tmp_path / "nope"), "-o", str(tmp_path / "o")]).exit_code == 2
    assert (
        runner.invoke(
            app, ["grade", str(COLLEGE), "-o", str(tmp_path / "o"), "--profile", "no-such"]
        ).exit_code
        == 2
    )
    assert runner.invoke(app, ["validate", str(tmp_path / "missing.xlsx")]).exit_code == 2
    assert (
        runner.invoke(app, ["grade", str(COLLEGE), "-o", str(tmp_path / "o"), "--lang", "fr"]).exit_code == 2
    )


@pytest.mark.slow
def test_grade_exits_1_when_a_workbook_is_ungradable_and_grades_the_rest(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    for name in ("JD-01.xlsx", "LT-02.xlsx"):
        shutil.copy(COLLEGE / name, forms / name)
    (forms / "坏文件.xlsx").write_text("<html><body>not a workbook</body></html>", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["grade", str(forms), "-o", str(out), "--workers", "0", "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "坏文件.xlsx" in result.output and "IN-01" in result.output
    assert "已评定 2 个" in result.output
    # A second run into the same folder adds its own run folder; --force is still accepted (and changes
    # nothing: no run replaces another).
    again = runner.invoke(app, ["grade", str(forms), "-o", str(out), "--workers", "0", "--no-progress"])
    assert again.exit_code == 1
    forced = runner.invoke(
        app,
        ["grade", str(forms), "-o", str(out), "--workers", "0", "--no-progress", "--force", "--lang", "en"],
    )
    assert forced.exit_code == 1 and "Graded 2 of 3" in forced.output
    assert len(runs.complete_runs(out)) == 3 and runs.find_latest_run(out) == runs.complete_runs(out)[-1]
    assert str(runs.find_latest_run(out)) in forced.output


@pytest.mark.parametrize(
    "command",
    [["rules", "lint"], ["rules", "list"], ["rules", "show", "OL-02"], ["grade", str(COLLEGE), "-o", "x"]],
)
def test_an_unknown_profile_is_named_in_the_users_language_without_folders(command: list[str]) -> None:
    zh = runner.invoke(app, [*command, "--profile", "no-such"])
    assert zh.exit_code == 2
    assert "没有名为“no-such”的规则集" in zh.output and "example-policy、loudi-2012" in zh.output
    en = runner.invoke(app, [*command, "--profile", "no-such", "--lang", "en"])
    assert en.exit_code == 2
    assert "no profile named “no-such”; known profiles: example-policy, loudi-2012" in en.output
    for output in (zh.output, en.output):
        assert str(ROOT) not in output and "/rules" not in output


def test_grade_issued_sets_the_lists_issue_date_and_no_deadline_precedes_it(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(COLLEGE / "JD-02.xlsx", forms / "JD-02.xlsx")
    out = tmp_path / "out"
    args = ["grade", str(forms), "-o", str(out), "--workers", "0", "--no-progress"]
    result = runner.invoke(app, [*args, "--issued", "2012/12/12"])
    assert result.exit_code == 0, result.output
    data = json.loads((runs.find_latest_run(out) / "results.json").read_text("utf-8"))
    assert data["issued"] == "2012-12-12"
    deadlines = {item["deadline"] for r in data["results"] for item in r["items"]}
    # the 12-10 self-check had passed: its items are due at the end of the next month; 12-20 stands
    assert deadlines == {"2012-12-20", "2013-01-31"}
    listed = openpyxl.load_workbook(next((runs.find_latest_run(out) / "整改清单").glob("*.xlsx"))).active
    issued_row = next(r for r in range(1, listed.max_row + 1) if listed.cell(r, 1).value == "清单下发日期")
    assert listed.cell(issued_row, 3).value.date() == date(2012, 12, 12)
    for bad in ("2012-13-01", "明天"):
        refused = runner.invoke(app, [*args, "--issued", bad])
        assert refused.exit_code == 2 and "--issued 应为日期" in refused.output and bad in refused.output
    english = runner.invoke(app, [*args, "--issued", "x", "--lang", "en"])
    assert english.exit_code == 2 and "--issued must be a date" in english.output
    today = runner.invoke(app, args)  # by default the lists are issued today
    assert today.exit_code == 0, today.output
    data = json.loads((runs.find_latest_run(out) / "results.json").read_text("utf-8"))
    assert data["issued"] == date.today().isoformat()
    assert all(item["deadline"] >= data["issued"] for r in data["results"] for item in r["items"])


@pytest.mark.slow
def test_explain_prints_the_trace() -> None:
    result = runner.invoke(app, ["explain", str(COLLEGE / "JD-02.xlsx")])
    assert result.exit_code == 0, result.output
    assert "OL-02" in result.output and "2012年7月" in result.output


def test_rules_show_and_list_values_as_people_read_them() -> None:
    shown = runner.invoke(app, ["rules", "show", "PR-02"]).output
    assert "指标: 工作思路 · 扣分 · 扣2分" in shown  # the indicator's name, the kind and size in words
    late = "示例: 是否直属党支部 是，建设年实施方案报送组织部（日期） 2012年5月15日 → 未通过（fail_late）"
    assert late in shown
    assert "20120515" not in shown and "True" not in shown and "failed" not in shown
    english = runner.invoke(app, ["rules", "show", "CM-01", "--lang", "en"]).output
    assert "parameters: commitments_min_share = 100%" in english
    assert "example: share of members who signed 85% → Failed (fail_some_unsigned)" in english
    assert "example: nothing filled in → Not evidenced" in english
    listed = runner.invoke(app, ["rules", "list"]).output.splitlines()
    assert "CM-01  扣分  工作制度  每个党员签好承诺书" in listed


def test_rules_show_words_the_condition_and_where_it_applies() -> None:
    shown = runner.invoke(app, ["rules", "show", "PR-02"]).output
    # the parameter's value, as a date; then the rule file's own words, for its authors
    assert "条件: 建设年实施方案报送组织部（日期） ≤ 2012年4月30日" in shown
    assert "条件表达式: plan_submitted_date <= plan_due" in shown
    assert "适用: 是否直属党支部 = 是" in shown
    student = runner.invoke(app, ["rules", "show", "ST-01"]).output
    assert "适用: 支部类型 = 学生 且 班级数 > 0个" in student
    english = runner.invoke(app, ["rules", "show", "CM-01", "--lang", "en"]).output
    assert "condition: share of members who signed ≥ 100%" in english and "applies: always" in english


def test_rules_list_and_show() -> None:
    listed = runner.invoke(app, ["rules", "list"])
    assert listed.exit_code == 0 and "OL-02" in listed.output
    shown = runner.invoke(app, ["rules", "show", "OL-02", "--lang", "en"])
    assert shown.exit_code == 0 and "committee" in shown.output.lower()
    assert runner.invoke(app, ["rules", "show", "ZZ-99"]).exit_code == 2


def test_the_console_script_leaves_workers_light() -> None:
    # Spawned workers re-run the script that started the batch, imports included: the module the script
    # imports must not pull in the CLI's libraries (typer, rich), which no worker uses.
    import subprocess
    import sys
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, _, function = scripts["branchgrade"].partition(":")
    probe = (
        f"import sys, {module}; assert callable({module}.{function}); "
        "heavy = sorted({'typer', 'rich', 'click', 'engine.cli'} & set(sys.modules)); print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


# --- every user-facing string through the label table -------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
CLI_SOURCE = ROOT / "engine" / "cli.py"


def test_the_cli_writes_no_chinese_of_its_own() -> None:
    """Its words come from engine.export.i18n (zh and en), never inline ``zh if ... else en`` pairs."""
    tree = ast.parse(CLI_SOURCE.read_text(encoding="utf-8"))
    inline = [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
    ]
    assert inline == []


def test_every_label_the_cli_names_exists() -> None:
    tree = ast.parse(CLI_SOURCE.read_text(encoding="utf-8"))
    named = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"label", "both", "_h", "_say", "_fail"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(named) > 40 and named <= LABELS.keys(), named - LABELS.keys()


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "{tmp}/missing.xlsx"],
        ["validate", "{tmp}/*.xlsx"],
        ["grade", "{tmp}/nope", "-o", "{tmp}/o"],
        ["grade", str(COLLEGE), "-o", "{tmp}/full"],
        ["grade", str(COLLEGE), "-o", "{tmp}/o", "--workers", "-1"],
        ["explain", "{tmp}/missing.xlsx"],
        ["template", "{tmp}/t.txt"],
        ["template", "{tmp}/t.xlsx", "--type", "工人"],
        ["template", "{tmp}/t.xlsx", "--roster", "--year", "2012"],
        ["rules", "show", "XX-99"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_usage_errors_in_english_with_lang_en(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("a user's file", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    english = runner.invoke(app, [*argv, "--lang", "en"])
    assert english.exit_code == 2, english.output
    message = english.output.replace(str(tmp_path), "").replace(str(COLLEGE), "")
    for value in ("工人", *BRANCH_TYPES):  # values the user types are Chinese in both languages
        message = message.replace(value, "")
    assert message.strip() and not CJK.search(message), message
    chinese = runner.invoke(app, argv)
    assert chinese.exit_code == 2 and CJK.search(chinese.output)
