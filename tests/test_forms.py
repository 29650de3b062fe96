"""Each profile has its own form: ``template --profile`` writes it, a workbook is read with the form its
template stamped, and a workbook made from one profile's form is refused (IN-29) under a profile with
another form, never read against the wrong sheets."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.export.template import build_template
from engine.ingest import read_workbook
from engine.profiles import ProfileChoice
from engine.rulebook import load_profile
from engine.validate import validate_workbook
from schemas.common import Evidence, Finding
from schemas.form_layout import FORM_2012, META_SHEET, SYSTEMS
from schemas.form_national import CAMPAIGN_MEETING_TYPES, CHECKLIST_ITEMS, NATIONAL_FORM
from schemas.forms import FORMS, form_named, form_of_version
from tests.intake_helpers import COLLEGE, COLLEGE_2019

runner = CliRunner()
DATA = Path(__file__).resolve().parent / "data"
# A 2019 workbook filled in on the 2012 form, as branches did before the national form existed.
OLD_FORM_2019 = DATA / "form-2012-year-2019.xlsx"
# A 2019 workbook filled in on the national form's first version (2018.1: appraisals and talks as meeting
# rows), as the fixture college's JD-01 was before the form had registers of its own for them.
FIRST_NATIONAL_FORM_2019 = DATA / "form-national-2018.1-year-2019.xlsx"


def test_every_profile_names_a_known_form_and_forms_have_their_own_versions() -> None:
    assert load_profile("loudi-2012").form == "loudi-2012" and form_named("loudi-2012") is FORM_2012
    assert load_profile("national-2018").form == "national-2018"
    assert len({f.version for f in FORMS}) == len(FORMS)
    assert form_of_version(NATIONAL_FORM.version) is NATIONAL_FORM and form_of_version("1999.9") is None


def test_the_national_form_has_no_2012_campaign_rows() -> None:
    systems = NATIONAL_FORM.sheet(SYSTEMS.key)
    assert [i.key for i in systems.items] == [
        i for i in (x.key for x in SYSTEMS.items) if i in CHECKLIST_ITEMS
    ]
    assert not {"cxzy_plan", "working_group", "ningxiang", "plan_submitted"} & {i.key for i in systems.items}
    meetings = NATIONAL_FORM.sheet("meetings").table
    assert meetings is not None
    assert not set(CAMPAIGN_MEETING_TYPES) & set(meetings.column("type").choices)
    # every checklist item kept is read by a national-2018 rule
    profile = load_profile("national-2018")
    read = " ".join(f"{r.applies} {r.condition}" for r in profile.rules)
    assert all(any(name.startswith(key) for name in read.split()) for key in CHECKLIST_ITEMS)


def test_template_profile_writes_that_form_with_its_year_and_version(tmp_path: Path) -> None:
    out = tmp_path / "2025.xlsx"
    result = runner.invoke(app, ["template", str(out), "--profile", "national-2018", "--year", "2025"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    assert wb[META_SHEET]["B1"].value == NATIONAL_FORM.version
    labels = {row[0] for row in wb[SYSTEMS.name].iter_rows(values_only=True)}
    assert (
        "年度工作计划" in labels and "创先争优活动方案" not in labels and "学习宁乡经验大讨论" not in labels
    )
    instructions = " ".join(str(c) for row in wb["填表说明"].iter_rows(values_only=True) for c in row if c)
    assert f"模板版本 {NATIONAL_FORM.version}" in instructions
    assert "2025-03-15" in instructions and "2012" not in instructions
    basic = {row[0]: row[1] for row in wb["基本信息"].iter_rows(values_only=True) if row and row[0]}
    assert 2025 in basic.values()
    # the default form is still the 2012 one
    default = build_template()
    assert default[META_SHEET]["B1"].value == FORM_2012.version


def test_template_refuses_a_year_the_profile_does_not_grade(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["template", str(tmp_path / "x.xlsx"), "--profile", "national-2018", "--year", "2012"]
    )
    assert result.exit_code == 2 and "2019–2026" in result.output and not (tmp_path / "x.xlsx").exists()


def test_a_national_workbook_is_read_with_its_own_form() -> None:
    checked = validate_workbook(read_workbook(COLLEGE_2019 / "JD-01.xlsx"))
    assert checked.form is not None and not checked.problems
    assert checked.form.template_version == NATIONAL_FORM.version
    assert set(checked.form.systems) == set(CHECKLIST_ITEMS)


def test_a_2012_form_filled_for_2019_is_refused_under_national_2018(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "JD-01.xlsx").write_bytes(OLD_FORM_2019.read_bytes())
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=0)
    (report,) = run.files
    assert report.status == "ungradable" and run.exit_code == 1
    (problem,) = [p for p in report.problems if p.code == "IN-29"]
    assert "loudi-2012" in problem.message.zh and "national-2018" in problem.message.zh
    assert "template --profile national-2018" in problem.rectification.en
    assert (problem.evidence[0].sheet, problem.evidence[0].cell) == (META_SHEET, "B1")
    validated = runner.invoke(app, ["validate", str(folder / "JD-01.xlsx")])
    assert validated.exit_code == 1 and "IN-29" in validated.output and "Traceback" not in validated.output


def test_a_workbook_of_the_national_forms_first_version_is_refused_naming_the_version_and_the_fix(
    tmp_path: Path,
) -> None:
    """Read as the current form, its 民主评议 and 谈心谈话 meeting rows would count as no appraisal and no
    talk: it is refused, in both languages, with the version it carries and the template to re-fill."""
    assert "2018.1" in NATIONAL_FORM.retired_versions and NATIONAL_FORM.version != "2018.1"
    checked = validate_workbook(read_workbook(FIRST_NATIONAL_FORM_2019))
    assert checked.form is None
    (problem,) = checked.problems
    assert problem.code == "IN-47" and (problem.evidence[0].sheet, problem.evidence[0].cell) == (
        META_SHEET,
        "B1",
    )
    assert "2018.1" in problem.message.zh and NATIONAL_FORM.version in problem.message.zh
    assert "2018.1" in problem.message.en and "template --profile national-2018" in problem.rectification.en
    assert "template --profile national-2018" in problem.rectification.zh
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "JD-01.xlsx").write_bytes(FIRST_NATIONAL_FORM_2019.read_bytes())
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=0)
    (report,) = run.files
    assert report.status == "ungradable" and [p.code for p in report.problems] == ["IN-47"]
    validated = runner.invoke(app, ["validate", str(folder / "JD-01.xlsx"), "--lang", "en"])
    assert validated.exit_code == 1 and "IN-47" in validated.output and "Traceback" not in validated.output
    assert FIRST_NATIONAL_FORM_2019.read_bytes() == (folder / "JD-01.xlsx").read_bytes()  # input untouched


def test_a_national_form_is_refused_under_a_profile_of_the_2012_form() -> None:
    choice = ProfileChoice.from_ref("loudi-2012")
    entry = choice.entries[0]
    where = Evidence(file="a.xlsx", sheet=META_SHEET, cell="B1")
    problem = choice.form_refusal(entry, NATIONAL_FORM.version, where)
    assert isinstance(problem, Finding) and problem.code == "IN-29"
    assert "national-2018" in problem.message.en and "loudi-2012" in problem.message.en
    assert choice.form_refusal(entry, FORM_2012.version, where) is None
    assert choice.form_refusal(entry, None, where) is None  # no stamp: IN-11 warns, the form is read as 2012


@pytest.mark.parametrize("name", ["JD-01.xlsx", "XS-01.xlsx"])
def test_2012_workbooks_are_still_read_with_the_2012_form(name: str) -> None:
    checked = validate_workbook(read_workbook(COLLEGE / name))
    assert checked.form is not None and not checked.problems
    assert len(checked.form.systems) == len(SYSTEMS.items)
