"""The form says what it means, and workbooks filled in the old wording are still read the same."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from engine.ingest import read_workbook
from engine.validate import validate_workbook
from engine.validate.parse import parse_choice
from fixtures.formfill import filled_template
from schemas.form_layout import MEETINGS, SELF_ASSESSMENT, TRAINING, FieldSpec
from schemas.forms import FORMS
from tests.test_validate import GOOD

SELF = {"self_score": 88.5, "self_grade": "较好", "baseline_grade": "一般"}
# The labels and 说明 texts templates printed before the wording said whose grade and which round.
OLD_LABELS = {"self_score": "自评得分", "self_grade": "自评等次", "baseline_grade": "年初定级等次"}


def _field(name: str) -> FieldSpec:
    return next(f for f in SELF_ASSESSMENT.fields if f.name == name)


def test_the_grades_say_whose_judgement_and_which_round() -> None:
    assert "本轮" in _field("self_grade").zh and "自评" in _field("self_grade").zh
    assert "年初" in _field("baseline_grade").zh and "上级" in _field("baseline_grade").zh
    assert "不是支部自评" in _field("baseline_grade").explanation


@pytest.mark.parametrize("blank_value", [False, True], ids=["filled", "blank"])
def test_a_workbook_in_the_old_wording_reads_the_same(tmp_path: Path, blank_value: bool) -> None:
    values = {} if blank_value else SELF
    new = tmp_path / "new.xlsx"
    filled_template({**GOOD, "self_assessment": values}, branch_type="机关", year=2012).save(new)
    old = tmp_path / "old.xlsx"
    wb = openpyxl.load_workbook(new)
    ws = wb[SELF_ASSESSMENT.name]
    for row in ws.iter_rows(min_col=1, max_col=3):
        for name, old_label in OLD_LABELS.items():
            if row[0].value == _field(name).zh:
                row[0].value = old_label
                row[2].value = _field(name).en  # older templates printed the English label as 说明
    wb.save(old)
    read = [validate_workbook(read_workbook(p), expected_year=2012).form for p in (new, old)]
    assert all(form is not None for form in read)
    new_sa, old_sa = (form.self_assessment for form in read if form is not None)
    for name in OLD_LABELS:
        assert getattr(old_sa, name) == getattr(new_sa, name) == (None if blank_value else SELF[name])


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.profile)
def test_the_meeting_note_names_only_types_the_dropdown_offers(form: object) -> None:
    sheet = form.sheet(MEETINGS.key)  # type: ignore[attr-defined]
    assert sheet.table is not None
    choices = sheet.table.column("type").choices
    quoted = set(re.findall(r"“([^”]+)”", sheet.note)) - {"类型"}
    assert {"组织生活", "组织生活会"} <= quoted <= set(choices)


def test_org_life_and_the_org_life_meeting_are_different_choices() -> None:
    assert MEETINGS.table is not None
    choices = MEETINGS.table.column("type").choices
    assert parse_choice("组织生活", choices) == "组织生活"
    assert parse_choice("组织生活会", choices) == "组织生活会"


def test_the_training_sheet_registers_every_committee_member() -> None:
    assert TRAINING.table is not None
    for text in (TRAINING.note, TRAINING.table.zh):
        assert "支委" in text
    assert "不只是书记" in TRAINING.note
