"""The national form holds what the national-2018 rules read and nothing else: the entries its rules' facts
read (schemas.facts.NATIONAL_FACT_INPUTS) plus what the engine reads of every form (ENGINE_INPUTS) are
exactly the entries `template --profile national-2018` writes, derived here from both sides."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from engine.cli import app
from engine.rulebook import load_profile
from engine.rulebook.lint import _names
from fixtures.formfill import field_cell, item_cell, table_header
from schemas.facts import ENGINE_INPUTS, NATIONAL_FACT_INPUTS, NATIONAL_FACTS
from schemas.form_layout import FormLayout
from schemas.form_national import NATIONAL_FORM

runner = CliRunner()


def facts_the_profile_reads(name: str) -> set[str]:
    """The facts named by the profile's rules (their examples too), caps and KPIs."""
    profile = load_profile(name)
    used: set[str] = set()
    for rule in profile.rules:
        used |= _names(rule.applies) | _names(rule.condition) | {rule.actual}
        used |= {name for example in rule.examples for name in example.facts}
    for cap in profile.grading.caps:
        used |= _names(cap.when)
    for kpi in profile.grading.kpis:
        used |= _names(kpi.population) | _names(kpi.met)
    return used & set(NATIONAL_FACTS)


def entries_read() -> set[str]:
    facts = facts_the_profile_reads("national-2018")
    return {e for f in facts for e in NATIONAL_FACT_INPUTS[f]} | set(ENGINE_INPUTS)


def entries_of(form: FormLayout) -> set[str]:
    out: set[str] = set()
    for sheet in form.sheets:
        out |= {f"{sheet.key}.{f.name}" for f in (*sheet.fields, *sheet.item_columns)}
        out |= {f"{sheet.key}:{i.key}" for i in sheet.items}
        if sheet.table is not None:
            out |= {f"{sheet.table.name}.{c.name}" for c in sheet.table.columns}
    return out


def test_every_fact_of_the_national_form_says_what_it_reads() -> None:
    assert set(NATIONAL_FACT_INPUTS) == set(NATIONAL_FACTS)
    assert facts_the_profile_reads("national-2018") | {"baseline_grade_rank"} == set(NATIONAL_FACTS)


def test_the_national_template_writes_exactly_what_the_rules_read(tmp_path: Path) -> None:
    path = tmp_path / "national.xlsx"
    result = runner.invoke(app, ["template", str(path), "--profile", "national-2018", "--year", "2025"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(path)
    written: set[str] = set()
    for sheet in NATIONAL_FORM.sheets:  # each entry is found in the written workbook by its label
        for f in sheet.fields:
            field_cell(wb, sheet.key, f.name)
            written.add(f"{sheet.key}.{f.name}")
        for i in sheet.items:
            for c in sheet.item_columns:
                item_cell(wb, sheet.key, i.key, c.name)
                written |= {f"{sheet.key}:{i.key}", f"{sheet.key}.{c.name}"}
        if sheet.table is not None:
            ws, row, columns = table_header(wb, sheet.table.name)
            headers = [c.value for c in ws[row] if c.value]
            assert len(headers) == len(columns), (sheet.name, headers)  # no header the form does not know
            written |= {f"{sheet.table.name}.{name}" for name in columns}
    assert written == entries_of(NATIONAL_FORM)
    read = entries_read()
    assert sorted(written - read) == [], "written but read by no national rule"
    assert sorted(read - written) == [], "read by a national rule but not on the form"


def test_the_2012_only_entries_are_not_on_the_national_form() -> None:
    entries = entries_of(NATIONAL_FORM)
    for gone in (
        "basic.contact_leader",
        "basic.young_teachers_non_members",
        "committee.admin_post",
        "meetings.leader_present",
        "meetings.tags",
        "candidates.young_teacher",
        "candidates.failed_courses",
        "student_classes.failing_members",
        "self_assessment.declared_lectures",
        "systems:cxzy_plan",
    ):
        assert gone not in entries, gone
