"""Which branch types each part of the form is for, as the rules' ``applies`` say, and ``template --type``.

A part of the form (a field, a register column, a checklist row, a sheet) is for the branch types some rule
reading it can apply to. The form declares that (``applies_to``); the test derives it from every profile's
rules and their parameters, so a declaration never outruns the rules nor lags behind them.
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.export.template import NOT_APPLICABLE_FILL, build_template, not_applicable_parts, sheet_note
from engine.rulebook import load_profile
from engine.rulebook.conditions import evaluate_with_atoms, parse
from schemas.facts import CHECKLIST_FACTS
from schemas.form_layout import BRANCH_TYPES, CANDIDATES, INSTRUCTIONS_SHEET, SHEETS, STUDY_HOURS, SYSTEMS
from schemas.rules import Profile, RuleSpec

PROFILES = ("loudi-2012", "national-2018")

# The facts each part restricted to some branch types feeds (engine/facts reads the part into these).
FED: dict[tuple[str, str], frozenset[str]] = {
    ("basic", "young_teachers_non_members"): frozenset({"young_teachers_non_members"}),
    ("basic", "admin_post"): frozenset({"secretary_admin_post"}),
    ("candidates", "young_teacher"): frozenset({"young_teacher_candidates"}),
    ("candidates", "backbone"): frozenset({"backbone_candidates"}),
    ("candidates", "failed_courses"): frozenset({"student_candidates_unqualified"}),
    ("study_hours", ""): frozenset(
        {
            "member_hours_min_quarter_avg",
            "leader_hours_min",
            "members_without_activity",
            "members_listed_gap",
            "member_hours_year_min",
            "leader_hours_year_min",
        }
    ),
    **{
        ("systems", item.key): frozenset(name for name, f in CHECKLIST_FACTS.items() if f.item == item.key)
        for item in SYSTEMS.items
    },
}


def _types_it_can_apply_to(rule: RuleSpec, profile: Profile) -> set[str]:
    """The branch types for which some value of the rule's other facts makes its ``applies`` true."""
    bound = parse(rule.applies).bind(profile.params)
    atoms = bound.atoms()
    others = [a for a in atoms if a.fact != "branch_type"]
    types = set()
    for branch_type in BRANCH_TYPES:
        by_type = {a: a.test(branch_type) for a in atoms if a.fact == "branch_type"}
        for values in itertools.product((True, False), repeat=len(others)):
            if evaluate_with_atoms(bound.expr, {**by_type, **dict(zip(others, values, strict=True))}):
                types.add(branch_type)
                break
    return types


@cache
def _reading_rules() -> dict[str, set[str]]:
    """Fact name → the branch types some rule (of any profile) reading it can apply to."""
    out: dict[str, set[str]] = {}
    for name in PROFILES:
        profile = load_profile(name)
        for rule in profile.rules:
            types = _types_it_can_apply_to(rule, profile)
            for text in (rule.applies, rule.condition, rule.actual):
                for fact in parse(text).references():
                    out.setdefault(fact, set()).update(types)
    return out


def _declared(sheet_key: str, name: str) -> tuple[str, ...]:
    spec = next(s for s in SHEETS if s.key == sheet_key)
    if not name:
        return spec.applies_to
    if sheet_key == "systems":
        return next(i for i in spec.items if i.key == name).applies_to
    fields = (*spec.fields, *(spec.table.columns if spec.table else ()))
    return next(f for f in fields if f.name == name).applies_to


@pytest.mark.parametrize("part", sorted(FED), ids=lambda p: ".".join(filter(None, p)))
def test_a_part_is_for_the_types_whose_rules_read_it(part: tuple[str, str]) -> None:
    reading = _reading_rules()
    read = [reading[fact] for fact in FED[part] if fact in reading]
    # A part no rule reads has nothing to restrict it by: it stays for every type.
    derived = set().union(*read) if read else set(BRANCH_TYPES)
    assert set(_declared(*part)) == derived


def test_every_part_restricted_to_some_types_is_derived_from_the_rules() -> None:
    restricted = {
        (sheet.key, part.key if sheet.key == "systems" else part.name)  # type: ignore[union-attr]
        for sheet in SHEETS
        for part in (*sheet.fields, *(sheet.table.columns if sheet.table else ()), *sheet.items)
        if set(part.applies_to) != set(BRANCH_TYPES)
    }
    restricted |= {(s.key, "") for s in SHEETS if s.key != "student_classes" and s.applies_to != BRANCH_TYPES}
    assert restricted <= set(FED)


def _fill(ws: openpyxl.worksheet.worksheet.Worksheet, label: str) -> str | None:
    """The fill of the first input cell right of (or under) the label."""
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            if cell.value == label:
                below = ws.cell(row=cell.row + 1, column=cell.column)
                right = ws.cell(row=cell.row, column=cell.column + 1)
                target = right if cell.column == 1 and cell.row > 4 else below
                return str(target.fill.fgColor.rgb)[-6:]
    raise LookupError(label)


def test_template_type_greys_out_and_names_what_that_type_leaves_blank() -> None:
    student = build_template(branch_type="学生")
    teacher = build_template(branch_type="教工")
    assert _fill(student[SYSTEMS.name], "干部下基层结对联系") == NOT_APPLICABLE_FILL
    assert _fill(teacher[SYSTEMS.name], "干部下基层结对联系") != NOT_APPLICABLE_FILL
    assert _fill(student[CANDIDATES.name], "是否青年教师") == NOT_APPLICABLE_FILL
    assert _fill(student[CANDIDATES.name], "挂科门数") != NOT_APPLICABLE_FILL
    note = student[SYSTEMS.name]["A2"].value
    assert note == sheet_note(SYSTEMS, "学生") and "“干部下基层结对联系”不适用于学生党支部" in note
    assert not_applicable_parts(CANDIDATES, "教工") == ("挂科门数",)
    retired = build_template(branch_type="离退休")
    assert retired[STUDY_HOURS.name]["A2"].value.startswith("本表不适用于离退休党支部")
    purposes = {r[0].value: r[2].value for r in retired[INSTRUCTIONS_SHEET].iter_rows()}
    assert purposes[STUDY_HOURS.name] == "不适用于离退休党支部，可留空"
    assert build_template()[SYSTEMS.name]["A2"].value == SYSTEMS.note  # no type: nothing is marked


def test_the_cli_writes_the_marked_template(tmp_path: Path) -> None:
    out = tmp_path / "学生.xlsx"
    result = CliRunner().invoke(app, ["template", str(out), "--type", "学生"])
    assert result.exit_code == 0, result.output
    assert "不适用于学生党支部" in openpyxl.load_workbook(out)[SYSTEMS.name]["A2"].value
