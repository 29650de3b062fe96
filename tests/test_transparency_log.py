"""党务公开 as a dated register: one row per disclosure, the quarters it covers, and older forms still graded.

The 2012 form registers each disclosure on 党务公开记录; DM-02 asks for one a quarter and names the quarters
without. A workbook made from a form before the register counts disclosures on the 制度落实 row 党务公开; it
still reads and grades from that row, and the finding says the count came from the older form. A blank log
is not evidence either way: the finding names both ways out (register what was published, or publish).
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.ingest import read_workbook
from engine.pipeline import grade_workbook
from engine.rulebook import load_profile
from engine.rulebook.evaluate import open_evaluator
from engine.validate import validate_workbook
from fixtures import generate
from fixtures.formfill import filled_template
from schemas.common import Status
from schemas.form_layout import SYSTEMS, TRAINING, TRANSPARENCY_LOG
from schemas.results import BranchResult

ROOT = Path(__file__).resolve().parents[1]
LOG = TRANSPARENCY_LOG.name


def _branch(**changes: Any) -> dict[str, Any]:
    """The first (fully compliant) branch of the 2012 fixture college, with ``changes`` to its knobs."""
    spec = tomllib.loads((ROOT / "fixtures" / "college.toml").read_text(encoding="utf-8"))
    return generate.branch_data(0, {**spec["branch"][0], **changes}, 2012)


def _save(values: dict[str, Any], path: Path) -> Path:
    filled_template(values, branch_type=values["basic"]["branch_type"], year=2012).save(path)
    return path


def _grade(path: Path) -> BranchResult:
    profile = load_profile("loudi-2012")
    evaluator = open_evaluator(profile, "reference")
    try:
        outcome = grade_workbook(path, profile, evaluator)
    finally:
        evaluator.close()
    assert outcome.result is not None, outcome.report
    return outcome.result


def _dm02(result: BranchResult) -> tuple[Status, str]:
    trace = next(t for t in result.trace if t.code == "DM-02")
    finding = next((f for f in result.items if f.code == "DM-02"), None)
    return trace.status, finding.message.zh if finding is not None else ""


def _as_older_form(path: Path, done: str | None, count: int | None) -> Path:
    """The workbook as a 2012.2 template made it: no 党务公开记录 sheet, a 党务公开 row on 制度落实."""
    wb = openpyxl.load_workbook(path)
    del wb[LOG]
    ws = wb[SYSTEMS.name]
    row = ws.max_row + 1
    ws.cell(row=row, column=1, value="党务公开")
    ws.cell(row=row, column=2, value=done)
    ws.cell(row=row, column=4, value=count)
    wb["_meta"]["B1"] = "2012.2"
    old = path.with_name("older.xlsx")
    wb.save(old)
    return old


def test_a_disclosure_every_quarter_passes(tmp_path: Path) -> None:
    result = _grade(_save(_branch(), tmp_path / "branch.xlsx"))
    assert _dm02(result)[0] is Status.PASSED
    assert result.facts["transparency_count"] == 4
    assert result.facts["transparency_min_quarter"] == 1


def test_the_quarters_without_a_disclosure_are_named_and_the_log_rows_cited(tmp_path: Path) -> None:
    result = _grade(_save(_branch(disclosures=[1, 2, 2]), tmp_path / "branch.xlsx"))
    status, message = _dm02(result)
    assert status is Status.FAILED
    assert "第三季度、第四季度没有公开" in message
    # three rows are three disclosures, but two in one quarter do not stand for another quarter
    assert result.facts["transparency_count"] == 3
    trace = next(t for t in result.trace if t.code == "DM-02")
    cited = result.evidence_of(trace)
    assert cited and all(e.sheet == LOG for e in cited)
    assert sorted(e.cell for e in cited) == ["A5", "A6", "A7"]


def test_a_blank_log_names_both_ways_out(tmp_path: Path) -> None:
    result = _grade(_save(_branch(disclosures=[]), tmp_path / "branch.xlsx"))
    status, message = _dm02(result)
    assert status is Status.NOT_EVIDENCED
    assert "如本年度已公开党务" in message and "如尚未公开" in message


@pytest.mark.parametrize(
    ("done", "count", "expected"),
    [
        ("是", 4, Status.PASSED),
        ("是", 2, Status.FAILED),
        ("否", 4, Status.FAILED),
        ("是", None, Status.NOT_EVIDENCED),
    ],
)
def test_a_workbook_from_the_older_form_grades_from_its_checklist_row(
    tmp_path: Path, done: str, count: int | None, expected: Status
) -> None:
    old = _as_older_form(_save(_branch(), tmp_path / "branch.xlsx"), done, count)
    checked = validate_workbook(read_workbook(old), expected_year=2012)
    assert checked.form is not None
    assert not checked.form.disclosures and checked.form.systems["transparency"].done is (done == "是")
    # the older form's own row is no missing-row warning; its version stamp says it is an older template
    assert "IN-05" not in {p.code for p in checked.problems}
    result = _grade(old)
    status, message = _dm02(result)
    assert status is expected
    if expected is Status.FAILED:
        assert "旧版表格" in message


def test_the_current_template_has_the_log_and_no_checklist_count(tmp_path: Path) -> None:
    path = _save(_branch(), tmp_path / "branch.xlsx")
    wb = openpyxl.load_workbook(path)
    assert LOG in wb.sheetnames
    labels = {row[0].value for row in wb[SYSTEMS.name].iter_rows(min_row=5)}
    assert "党务公开" not in labels
    checked = validate_workbook(read_workbook(path), expected_year=2012)
    assert checked.form is not None
    assert [d.date for d in checked.form.disclosures] == [
        date(2012, 3, 20),
        date(2012, 6, 15),
        date(2012, 9, 20),
        date(2012, 12, 3),
    ]


def test_the_training_sheet_under_its_old_name_still_reads(tmp_path: Path) -> None:
    path = _save(_branch(), tmp_path / "branch.xlsx")
    wb = openpyxl.load_workbook(path)
    assert TRAINING.name == "支委培训" and "书记培训" in TRAINING.aliases
    wb[TRAINING.name].title = "书记培训"
    old = tmp_path / "old-name.xlsx"
    wb.save(old)
    new_form, old_form = (validate_workbook(read_workbook(p), expected_year=2012).form for p in (path, old))
    assert new_form is not None and old_form is not None
    assert old_form.training and [t.date for t in old_form.training] == [t.date for t in new_form.training]
    assert _grade(old).grade == _grade(path).grade


def test_only_disclosures_in_the_assessment_period_count(tmp_path: Path) -> None:
    values = _branch()
    # the fourth quarter's disclosure dated after the assessment year (loudi-2012's year_window ends 12-31)
    values["disclosures"][-1]["date"] = date(2013, 1, 5)
    result = _grade(_save(values, tmp_path / "branch.xlsx"))
    status, message = _dm02(result)
    assert status is Status.FAILED and "第四季度没有公开" in message
    assert result.facts["transparency_count"] == 3
