"""``rules lint``: the shipped profile is clean; each kind of mistake, planted in a copy, is found."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.rulebook.lint import LintIssue, achievable_totals, lint_profile
from engine.rulebook.loader import RulebookError, find_profile_dir, load_profile
from schemas.common import Severity

runner = CliRunner()
SOURCE = find_profile_dir("loudi-2012")


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "loudi-copy"
    shutil.copytree(SOURCE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _codes(issues: list[LintIssue], severity: Severity | None = None) -> set[str]:
    return {i.code for i in issues if severity is None or i.severity is severity}


def test_loudi_2012_lints_clean() -> None:
    issues = lint_profile("loudi-2012")
    assert not [i for i in issues if i.severity is not Severity.INFO], [i.render("en") for i in issues]
    for issue in issues:  # every issue speaks both languages and says what to do
        assert issue.message.zh and issue.message.en and issue.fix.zh and issue.fix.en


def test_achievable_totals_of_loudi() -> None:
    profile = load_profile("loudi-2012")
    totals = achievable_totals(profile)
    # Every rule passing gives 100; every deduction rule taking its ceiling leaves each indicator its points
    # minus the sum of its rules' ceilings, floored at 0.
    ceilings: dict[str, float] = {}
    for rule in profile.rules:
        if rule.kind == "deduction":
            ceilings[rule.indicator] = ceilings.get(rule.indicator, 0.0) + rule.deduction.ceiling
    floor = sum(max(0.0, i.points - ceilings.get(i.id, 0.0)) for i in profile.grading.indicators)
    assert max(totals) == 100 and min(totals) == floor


MUTATIONS: list[tuple[str, str, str, str, str]] = [
    # id, file, old text, new text, expected issue code
    ("gap_below_bands", "profile.toml", 'alias = "较差"\nmin = 0', 'alias = "较差"\nmin = 10', "L11"),
    ("overlapping_bands", "profile.toml", 'alias = "较好"\nmin = 80', 'alias = "较好"\nmin = 90', "L10"),
    ("unreachable_band", "profile.toml", 'alias = "较好"\nmin = 80', 'alias = "较好"\nmin = 89.5', "L13"),
    ("top_out_of_reach", "profile.toml", 'alias = "好"\nmin = 90', 'alias = "好"\nmin = 101', "L12"),
    ("cap_not_a_band", "profile.toml", 'max_grade = "C"', 'max_grade = "X"', "L14"),
    ("cap_lifted_by_no_rule", "profile.toml", 'lifted_by = ["FB-01"]', 'lifted_by = ["FB-09"]', "L15"),
    (
        "unknown_fact",
        "OL/OL-02.toml",
        'condition = "committee_meetings_min_month >=',
        'condition = "committee_meetings_min_mnth >=',
        "L02",
    ),
    (
        "wrong_example_expectation",
        "OL/OL-02.toml",
        'facts = { has_committee = true }\nexpect = "not_evidenced"',
        'facts = { has_committee = true }\nexpect = "failed"',
        "L40",
    ),
    (
        "veto_with_deduction",
        "VT/VT-01.toml",
        "deduction = { points = 0 }",
        "deduction = { points = 5 }",
        "L21",
    ),
    ("deduction_of_zero", "SC/SC-03.toml", "deduction = { points = 3,", "deduction = { points = 0,", "L22"),
    (
        "no_failed_example",
        "SC/SC-03.toml",
        'facts = { secretary_practice_count = 0 }\nexpect = "failed"',
        'facts = { secretary_practice_count = 2 }\nexpect = "passed"',
        "L42",
    ),
    ("never_in_year", "SC/SC-03.toml", 'applies = "true"', 'applies = "true"\nyears = [2018]', "L24"),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("file", "old", "new", "code"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_mutation_is_found(tmp_path: Path, file: str, old: str, new: str, code: str) -> None:
    profile = _copy(tmp_path)
    _edit(profile / file, old, new)
    issues = lint_profile(profile)
    severity = Severity.WARNING if code == "L24" else Severity.ERROR
    assert code in _codes(issues, severity), [i.render("en") for i in issues]
    assert runner.invoke(app, ["rules", "lint", "--profile", str(profile)]).exit_code == 1


@pytest.mark.slow
def test_overlap_makes_a_band_unreachable_and_a_narrow_band_is_no_overlap(tmp_path: Path) -> None:
    overlap = _copy(tmp_path / "a")
    _edit(overlap / "profile.toml", 'alias = "较好"\nmin = 80', 'alias = "较好"\nmin = 90')
    assert {"L10", "L13"} <= _codes(lint_profile(overlap))
    narrow = _copy(tmp_path / "b")  # [89.5, 90): no whole-point total falls in it
    _edit(narrow / "profile.toml", 'alias = "较好"\nmin = 80', 'alias = "较好"\nmin = 89.5')
    codes = _codes(lint_profile(narrow), Severity.ERROR)
    assert "L13" in codes and "L10" not in codes


@pytest.mark.slow
def test_deduction_larger_than_its_indicator_is_a_warning(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "SC/SC-03.toml", "deduction = { points = 3,", "deduction = { points = 16,")
    issues = lint_profile(profile)
    assert "L20" in _codes(issues, Severity.WARNING)
    assert not _codes(issues, Severity.ERROR)


def test_dead_parameter_is_a_warning(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "profile.toml", "[params]\n", "[params]\nnever_used_threshold = 3\n")
    issues = lint_profile(profile)
    dead = [i for i in issues if i.code == "L30"]
    assert len(dead) == 1 and "never_used_threshold" in dead[0].message.en
    assert dead[0].severity is Severity.WARNING
    # parameters the facts stage reads (study_day, hour_quarters …) are not dead
    assert not any("study_day" in i.message.en for i in dead)


@pytest.mark.slow
def test_duplicate_and_retired_codes(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    shutil.copy(profile / "OL/OL-02.toml", profile / "OL/OL-05.toml")  # same code inside
    (profile / "retired.toml").write_text('[retired]\n"OL-04" = "merged into OL-02"\n', encoding="utf-8")
    issues = lint_profile(profile)
    assert {"L03", "L04"} <= _codes(issues, Severity.ERROR)
    dup = next(i for i in issues if i.code == "L03")
    assert dup.file.endswith("OL/OL-05.toml")


@pytest.mark.slow
def test_missing_not_applicable_example_is_a_warning(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(
        profile / "OL/OL-02.toml",
        'facts = { has_committee = false, committee_meetings_min_month = 0 }\nexpect = "not_applicable"',
        'facts = { has_committee = true, committee_meetings_min_month = 3 }\nexpect = "passed"',
    )
    issues = lint_profile(profile)
    assert "L43" in _codes(issues, Severity.WARNING)
    assert not _codes(issues, Severity.ERROR)


@pytest.mark.slow
def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """A rulebook the loader refuses is still linted: the loader's problems and the other checks together."""
    profile = _copy(tmp_path)
    _edit(profile / "OL/OL-02.toml", "committee_meetings_min_month >=", "committee_meetings_min_mnth >=")
    _edit(profile / "profile.toml", 'alias = "较差"\nmin = 0', 'alias = "较差"\nmin = 10')
    _edit(
        profile / "SC/SC-03.toml",
        'facts = { secretary_practice_count = 0 }\nexpect = "failed"',
        'facts = { secretary_practice_count = 0 }\nexpect = "passed"',
    )
    assert {"L02", "L11", "L40"} <= _codes(lint_profile(profile), Severity.ERROR)


def test_cli_clean_profile_exits_0() -> None:
    result = runner.invoke(app, ["rules", "lint", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    zh = runner.invoke(app, ["rules", "lint"])
    assert zh.exit_code == 0 and "0 个错误" in zh.output


def test_cli_prints_the_summary_first_and_notes_only_when_verbose() -> None:
    quiet = runner.invoke(app, ["rules", "lint", "--profile", "national-2018"])
    assert quiet.exit_code == 0, quiet.output
    lines = quiet.output.splitlines()
    assert lines[0].startswith("0 个错误，0 个警告，") and " info " not in quiet.output
    assert "--verbose" in lines[-1]
    verbose = runner.invoke(app, ["rules", "lint", "--profile", "national-2018", "--verbose", "--lang", "en"])
    assert verbose.exit_code == 0
    lines = verbose.output.splitlines()
    assert lines[0].startswith("0 error(s), 0 warning(s), ") and all(" info " in line for line in lines[1:])
    assert len(lines) - 1 == int(lines[0].split(", ")[2].split()[0])  # every note listed


@pytest.mark.slow
def test_cli_errors_exit_1(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "profile.toml", 'alias = "较差"\nmin = 0', 'alias = "较差"\nmin = 10')
    result = runner.invoke(app, ["rules", "lint", "--profile", str(profile), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "L11 error" in result.output and "1 error(s)" in result.output


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["rules", "lint", "--profile", "no-such-profile"]).exit_code == 2
    assert runner.invoke(app, ["rules", "lint", "--lang", "fr"]).exit_code == 2
    assert runner.invoke(app, ["rules", "lint", "--profile", str(tmp_path / "empty")]).exit_code == 2


def test_unused_deadline_is_a_warning_and_a_window_end_uses_one(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "profile.toml", "[deadlines]\n", "[deadlines]\nforgotten = 2012-06-30\n")
    issues = lint_profile(profile)
    dead = [i for i in issues if i.code == "L32"]
    assert [i.severity for i in dead] == [Severity.WARNING]
    assert "forgotten" in dead[0].message.en and "2012-06-30" in dead[0].message.zh
    _edit(profile / "profile.toml", 'end = "self_check"', 'end = "forgotten"')
    assert "L32" not in _codes(lint_profile(profile))


def test_an_alias_that_is_a_code_or_another_rules_alias_is_refused(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "OL/OL-02.toml", "version = 1\n", 'aliases = ["OL-03"]\nversion = 1\n')
    _edit(profile / "OL/OL-04.toml", "version = 1\n", 'aliases = ["OL-92"]\nversion = 1\n')
    _edit(profile / "OL/OL-12.toml", "version = 1\n", 'aliases = ["OL-92"]\nversion = 1\n')
    with pytest.raises(RulebookError) as info:
        load_profile(profile)
    problems = sorted(info.value.problems)
    assert problems == [
        ("OL/OL-02.toml", "alias OL-03 of OL-02 is the code of a rule"),
        ("OL/OL-12.toml", "alias OL-92 of OL-12 is also an alias of OL-04"),
    ]
    assert [i.file.rsplit("/", 2)[-2:] for i in lint_profile(profile) if i.code == "L05"] == [
        ["OL", "OL-02.toml"],
        ["OL", "OL-12.toml"],
    ]


def test_an_alias_finds_its_rule_in_rules_show(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    _edit(profile / "OL/OL-02.toml", "version = 1\n", 'aliases = ["OL-92"]\nversion = 1\n')
    loaded = load_profile(profile)
    assert loaded.rule("ol-92") is loaded.rule("OL-02") is not None
    assert loaded.rule("OL-93") is None
    result = runner.invoke(app, ["rules", "show", "OL-92", "--profile", str(profile), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OL-02 ")


def test_example_params_are_applied_and_checked(tmp_path: Path) -> None:
    profile = _copy(tmp_path)
    pr04 = profile / "PR/PR-04.toml"
    _edit(pr04, "grading_from = 2012-04-01, grading_to = 2012-04-30", "grading_to = 2012-04-10")
    wrong = [i for i in lint_profile(profile) if i.code == "L40"]
    assert len(wrong) == 1 and "pass_in_a_grading_month_moved_to_april" in wrong[0].message.en
    _edit(pr04, "grading_to = 2012-04-10", "no_such_threshold = 3, grading_to = 20120430")
    with pytest.raises(RulebookError) as info:
        load_profile(profile)
    problems = [p for _, p in info.value.problems]
    assert any("unknown parameters: no_such_threshold" in p for p in problems), problems
    assert any("'grading_to' to 20120430, a int where the profile has a date" in p for p in problems), (
        problems
    )


def test_every_lint_code_is_catalogued_once_in_both_languages() -> None:
    from schemas.lint_codes import LINT_CODES

    codes = [c.code for c in LINT_CODES]
    symbols = [c.symbol for c in LINT_CODES]
    assert len(set(codes)) == len(codes) and len(set(symbols)) == len(symbols)
    for spec in LINT_CODES:
        assert spec.message.zh and spec.message.en and spec.fix.zh and spec.fix.en, spec.code
    source = (Path(__file__).parent.parent / "engine" / "rulebook" / "lint.py").read_text(encoding="utf-8")
    assert set(re.findall(r'"(L\d\d)"', source)) == set(codes)  # each code is reported, none made up


def test_an_example_the_engine_cannot_take_is_pinned_on_that_example(tmp_path: Path) -> None:
    """Examples go to the engine in one batch; one it refuses is found alone, the others still decide."""
    profile = _copy(tmp_path)
    _edit(
        profile / "CM/CM-01.toml",
        "facts = { commitments_signed_share = 1.0 }",
        "facts = { commitments_signed_share = 1e20 }",
    )
    issues = lint_profile(profile)
    refused = [i for i in issues if i.code == "L41"]
    assert len(refused) == 1 and "CM-01" in refused[0].message.en, [i.render("en") for i in refused]
    assert not [i for i in issues if i.code == "L40"]
