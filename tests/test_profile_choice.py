"""Each workbook is graded by the profile whose year covers its 考核年度, or not at all.

A folder may mix years: without --profile each workbook goes to the profile of its year; a year no
profile covers, or (with --profile) another year than the named profile's, is refused with an IN- error
naming the year and the profiles. Never graded under another year's norms."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.profiles import Evaluators, ProfileChoice
from engine.rulebook import load_profile
from schemas.batch import RESULTS_SCHEMA_VERSION
from schemas.common import Evidence, Finding
from tests.intake_helpers import COLLEGE, COLLEGE_2019, changed, place, results, sheet_rows

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mixed")
    place(folder, "2012/JG-01.xlsx", COLLEGE / "JG-01.xlsx")
    place(folder, "2012/XS-01.xlsx", COLLEGE / "XS-01.xlsx")
    place(folder, "2019/JD-01.xlsx", COLLEGE_2019 / "JD-01.xlsx")
    changed(COLLEGE / "LT-01.xlsx", folder / "2015/LT-01.xlsx", assessment_year=2015)
    return folder


@pytest.mark.parametrize("workers", [0, 2])
def test_a_mixed_folder_is_graded_by_year(mixed: Path, tmp_path: Path, workers: int) -> None:
    run = pipeline.grade_folder(mixed, tmp_path / "out", workers=workers)
    by_file = {f.file: f for f in run.files}
    assert by_file["2012/JG-01.xlsx"].profile == "loudi-2012" == by_file["2012/XS-01.xlsx"].profile
    assert by_file["2019/JD-01.xlsx"].profile == "national-2018"
    assert run.profiles == (("loudi-2012", 2), ("national-2018", 1))
    data = results(run)
    assert {r["identity"]["branch_id"]: r["profile"] for r in data["results"]} == {
        "JG-01": "loudi-2012",
        "XS-01": "loudi-2012",
        "JD-01": "national-2018",
    }
    assert data["schema_version"] == RESULTS_SCHEMA_VERSION
    assert [(p["name"], p["year"]) for p in data["profiles"]] == [
        ("loudi-2012", 2012),
        ("national-2018", 2019),
    ]
    assert all(len(p["sha256"]) == 64 for p in data["profiles"])
    # each profile's KPIs over its own branches
    tg01 = {k["profile"]: k["denominator"] for k in data["kpis"] if k["code"] == "TG-01"}
    assert tg01 == {"loudi-2012": 2, "national-2018": 1}
    # 2015: no profile covers it — not graded, the error names the year and the profiles there are
    refused = by_file["2015/LT-01.xlsx"]
    assert refused.status == "ungradable" and run.exit_code == 1
    (problem,) = [p for p in refused.problems if p.code == "IN-25"]
    assert "2015" in problem.message.zh and "loudi-2012（2012 年）" in problem.message.zh
    assert "national-2018 (2019–2026)" in problem.message.en
    assert problem.evidence[0].sheet and problem.evidence[0].cell  # the 考核年度 cell
    # the summary says which profile graded how many
    tally = dict(sheet_rows(run.out / pipeline.SUMMARY_NAME["zh"], "输入统计")[1:])
    assert tally["由 loudi-2012 评定"] == 2 and tally["由 national-2018 评定"] == 1
    assert tally["无法评定"] == 1 and tally["已评定"] == 3


def test_the_console_names_the_profiles_and_their_counts(mixed: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["grade", str(mixed), "-o", str(tmp_path / "out"), "--workers", "0", "--no-progress"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "评定方案：loudi-2012 2、national-2018 1" in result.output
    assert "IN-25" in result.output and "2015/LT-01.xlsx" in result.output


def test_an_explicit_profile_refuses_other_years(mixed: Path, tmp_path: Path) -> None:
    run = pipeline.grade_folder(mixed, tmp_path / "out", "national-2018", workers=0)
    by_file = {f.file: f for f in run.files}
    assert by_file["2019/JD-01.xlsx"].status == "graded"
    for name in ("2012/JG-01.xlsx", "2012/XS-01.xlsx"):
        (problem,) = [p for p in by_file[name].problems if p.code == "IN-26"]
        assert by_file[name].status == "ungradable"
        assert (
            "2012" in problem.message.zh
            and "national-2018" in problem.message.zh
            and "2019" in problem.message.zh
        )
        assert (
            "去掉 --profile" in problem.rectification.zh
            and "--profile loudi-2012" in problem.rectification.zh
        )
    assert [p["name"] for p in results(run)["profiles"]] == ["national-2018"]


def test_validate_and_explain_choose_by_year(tmp_path: Path) -> None:
    form = place(tmp_path, "JD-01.xlsx", COLLEGE_2019 / "JD-01.xlsx")
    assert runner.invoke(app, ["validate", str(form)]).exit_code == 0
    refused = runner.invoke(app, ["validate", str(form), "--profile", "loudi-2012", "--lang", "en"])
    assert (
        refused.exit_code == 1 and "IN-26" in refused.output and "--profile national-2018" in refused.output
    )
    explained = runner.invoke(app, ["explain", str(form)])
    assert explained.exit_code == 0 and "national-2018" in explained.output


def test_two_profiles_for_one_year_are_not_guessed_between(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(load_rules_dir("loudi-2012"), rules / "loudi-2012")
    shutil.copytree(load_rules_dir("loudi-2012"), rules / "loudi-2012-b")
    toml = rules / "loudi-2012-b" / "profile.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('name = "loudi-2012"', 'name = "loudi-2012-b"'), "utf-8"
    )
    choice = ProfileChoice.from_ref("auto", rules)
    problem = choice.choose(2012, Evidence(file="a.xlsx"))
    assert not isinstance(problem, type(choice.entries[0]))
    assert (
        problem.code == "IN-27"
        and "loudi-2012-b" in problem.message.zh
        and "--profile" in problem.rectification.en
    )
    other = choice.choose(2019, Evidence(file="a.xlsx"))
    assert isinstance(other, Finding) and other.code == "IN-25"


def load_rules_dir(name: str) -> Path:
    from engine.rulebook import find_profile_dir

    return find_profile_dir(name)


def test_each_profile_covers_its_own_years_only() -> None:
    choice = ProfileChoice.from_ref("auto")
    years: set[int] = set()
    for entry in choice.entries:
        profile = load_profile(entry.ref)
        assert (profile.year, profile.last_year) == (entry.year, entry.last_year)
        for year in profile.years:
            assert choice.choose(year, Evidence(file="a.xlsx")) == entry
        years |= set(profile.years)
    assert years >= {2012, *range(2019, 2027)}
    assert all(
        isinstance(choice.choose(y, Evidence(file="a.xlsx")), Finding)
        for y in range(2000, 2040)
        if y not in years
    )


def test_a_profile_of_several_years_grades_each_with_its_own_dates() -> None:
    choice = ProfileChoice.from_ref("auto")
    base = choice.profile("national-2018")
    later = choice.profile("national-2018", 2024)
    assert later is choice.profile("national-2018", 2024)  # made once per (profile, year)
    assert (later.year, later.rules, later.params) == (2024, base.rules, base.params)
    assert later.window.start == date(2024, 1, 1) and later.year_window.end == date(2024, 12, 31)
    assert {name: day.year for name, day in later.deadlines.items()} == {
        name: day.year + 5 for name, day in base.deadlines.items()
    }
    assert choice.profile("loudi-2012", 2012) is choice.profile("loudi-2012")  # one year: itself
    with pytest.raises(ValueError, match="2019–2026"):
        base.for_year(2030)
    leap = base.model_copy(update={"deadlines": {**base.deadlines, "leap": date(2020, 2, 29)}})
    assert leap.for_year(2021).deadlines["leap"] == date(2022, 2, 28)  # 29 February to the 28th


def test_evaluators_are_kept_per_profile_and_year() -> None:
    choice = ProfileChoice.from_ref("national-2018")
    with Evaluators(choice, "reference") as evaluators:
        first, again = evaluators("national-2018", 2019), evaluators("national-2018")
        later = evaluators("national-2018", 2025)
        assert first is again and later is not first
        assert later is evaluators("national-2018", 2025)


def test_an_explicit_multi_year_profile_names_its_span(tmp_path: Path) -> None:
    choice = ProfileChoice.from_ref("national-2018")
    problem = choice.choose(2012, Evidence(file="a.xlsx"))
    assert isinstance(problem, Finding) and problem.code == "IN-26"
    assert "2019–2026" in problem.message.zh and "--profile loudi-2012" in problem.rectification.zh
