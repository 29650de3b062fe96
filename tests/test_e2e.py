"""The fixture college end to end: every branch gets the grade and the items college.toml expects."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from engine import pipeline
from engine.ingest.reader import read_workbook
from engine.validate.form import validate_workbook
from schemas.common import Status

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
SPEC = tomllib.loads((ROOT / "fixtures" / "college.toml").read_text(encoding="utf-8"))
BRANCHES = {b["id"]: b for b in SPEC["branch"]}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inline_run(tmp_path_factory: pytest.TempPathFactory) -> pipeline.BatchRun:
    return pipeline.grade_folder(COLLEGE, tmp_path_factory.mktemp("out-inline"), workers=0)


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory: pytest.TempPathFactory) -> pipeline.BatchRun:
    return pipeline.grade_folder(COLLEGE, tmp_path_factory.mktemp("out-parallel"), workers=2)


def test_the_college_has_every_branch_type_and_grade() -> None:
    assert len(BRANCHES) >= 12
    assert {b["type"] for b in BRANCHES.values()} == {"教工", "学生", "机关", "离退休"}
    assert {b["expect"]["grade"] for b in BRANCHES.values()} == {"先进", "较好", "一般", "后进"}


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_fixture_workbook_validates_without_problems(branch_id: str) -> None:
    """The fixtures fail rules, never the form: every knob yields a well-formed workbook."""
    checked = validate_workbook(read_workbook(COLLEGE / f"{branch_id}.xlsx"), expected_year=SPEC["year"])
    assert checked.form is not None and not checked.problems, [p.code for p in checked.problems]


def test_every_fixture_is_graded(inline_run: pipeline.BatchRun) -> None:
    assert inline_run.exit_code == 0
    assert sorted(r.identity.branch_id for r in inline_run.report.results) == sorted(BRANCHES)


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_branch_gets_expected_grade_and_items(inline_run: pipeline.BatchRun, branch_id: str) -> None:
    result = next(r for r in inline_run.report.results if r.identity.branch_id == branch_id)
    expect: dict[str, Any] = BRANCHES[branch_id]["expect"]
    failed = sorted(t.code for t in result.trace if t.status is Status.FAILED)
    not_evidenced = sorted(t.code for t in result.trace if t.status is Status.NOT_EVIDENCED)
    assert (failed, not_evidenced) == (sorted(expect["failed"]), sorted(expect["not_evidenced"]))
    assert result.grade.name.zh == expect["grade"], f"total {result.total}, adjustments {result.adjustments}"
    assert sorted({i.code for i in result.items}) == sorted(expect["failed"] + expect["not_evidenced"])


def test_parallel_run_gives_the_same_results_json(
    inline_run: pipeline.BatchRun, parallel_run: pipeline.BatchRun
) -> None:
    a = (inline_run.out / pipeline.RESULTS_NAME).read_bytes()
    b = (parallel_run.out / pipeline.RESULTS_NAME).read_bytes()
    assert a == b


def test_outputs_are_written(inline_run: pipeline.BatchRun) -> None:
    out = inline_run.out
    lists = sorted(p.name for p in (out / pipeline.LIST_FOLDER["zh"]).iterdir())
    assert lists == sorted(f"{bid}.xlsx" for bid in BRANCHES)
    summary = CalamineWorkbook.from_path(str(out / pipeline.SUMMARY_NAME["zh"]))
    assert "汇总" in summary.sheet_names
    data = json.loads((out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert data["profile"] == "loudi-2012"
    kpi = data["kpis"][0]
    graded_a = sum(1 for b in BRANCHES.values() if b["expect"]["grade"] == "先进")
    assert (kpi["numerator"], kpi["denominator"]) == (graded_a, len(BRANCHES))


def test_committed_workbooks_match_the_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A change to the form or to college.toml must be followed by `make fixtures`."""
    from fixtures import generate

    monkeypatch.setattr(generate, "OUT", tmp_path)
    generate.main()
    for committed in sorted(COLLEGE.glob("*.xlsx")):
        fresh = tmp_path / committed.name
        assert fresh.exists(), f"{committed.name} is no longer generated: run `make fixtures`"
        a, b = CalamineWorkbook.from_path(str(committed)), CalamineWorkbook.from_path(str(fresh))
        assert a.sheet_names == b.sheet_names
        for name in a.sheet_names:
            assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), (
                f"{committed.name} › {name} differs from what generate.py writes: run `make fixtures`"
            )
