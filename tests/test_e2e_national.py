"""Profile national-2018 end to end on the 2019 fixture college (fixtures/college-2019.toml).

Every branch gets the grade and the items the data file expects, every national-2018 rule passes in at least
one branch and fails in at least one, and the committed workbooks are what the generator writes now. The
2012 college is graded with national-2018 too: its dates are out of the profile's year, so the grades are
poor, but every workbook must still be graded and the outputs written."""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from engine import pipeline
from engine.ingest.reader import read_workbook
from engine.rulebook import load_profile
from engine.validate.form import validate_workbook
from schemas.common import Status

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "national-2018"
DATA = ROOT / "fixtures" / "college-2019.toml"
COLLEGE = ROOT / "fixtures" / "college-2019"
COLLEGE_2012 = ROOT / "fixtures" / "college"
SPEC = tomllib.loads(DATA.read_text(encoding="utf-8"))
BRANCHES = {b["id"]: b for b in SPEC["branch"]}
BRANCHES_2012 = [
    b["id"] for b in tomllib.loads((ROOT / "fixtures" / "college.toml").read_text(encoding="utf-8"))["branch"]
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> pipeline.BatchRun:
    return pipeline.grade_folder(COLLEGE, tmp_path_factory.mktemp("out-national"), PROFILE, workers=0)


@pytest.fixture(scope="module")
def run_2012(tmp_path_factory: pytest.TempPathFactory) -> pipeline.BatchRun:
    return pipeline.grade_folder(
        COLLEGE_2012, tmp_path_factory.mktemp("out-national-2012"), PROFILE, workers=0
    )


def test_the_college_has_every_branch_type_and_grade() -> None:
    assert SPEC["year"] == load_profile(PROFILE).year == 2019
    assert SPEC["norms"] == "2018"
    assert len(BRANCHES) >= 12
    assert {b["type"] for b in BRANCHES.values()} == {"教工", "学生", "机关", "离退休"}
    assert {b["expect"]["grade"] for b in BRANCHES.values()} == {"先进", "较好", "一般", "后进"}


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_fixture_workbook_validates_without_problems(branch_id: str) -> None:
    """The fixtures fail rules, never the form: every knob yields a well-formed workbook."""
    checked = validate_workbook(read_workbook(COLLEGE / f"{branch_id}.xlsx"), expected_year=SPEC["year"])
    assert checked.form is not None and not checked.problems, [p.code for p in checked.problems]


def test_every_fixture_is_graded(run: pipeline.BatchRun) -> None:
    assert run.exit_code == 0
    assert sorted(r.identity.branch_id for r in run.report.results) == sorted(BRANCHES)


@pytest.mark.parametrize("branch_id", sorted(BRANCHES))
def test_branch_gets_expected_grade_and_items(run: pipeline.BatchRun, branch_id: str) -> None:
    result = next(r for r in run.report.results if r.identity.branch_id == branch_id)
    expect: dict[str, Any] = BRANCHES[branch_id]["expect"]
    failed = sorted(t.code for t in result.trace if t.status is Status.FAILED)
    not_evidenced = sorted(t.code for t in result.trace if t.status is Status.NOT_EVIDENCED)
    assert (failed, not_evidenced) == (sorted(expect["failed"]), sorted(expect["not_evidenced"]))
    assert result.grade.name.zh == expect["grade"], f"total {result.total}, adjustments {result.adjustments}"
    assert sorted({i.code for i in result.items}) == sorted(expect["failed"] + expect["not_evidenced"])


def test_every_rule_passes_and_fails_somewhere(run: pipeline.BatchRun) -> None:
    seen: dict[str, dict[Status, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in run.report.results:
        for trace in result.trace:
            seen[trace.code][trace.status].append(result.identity.branch_id)
    codes = sorted(rule.code for rule in load_profile(PROFILE).rules)
    assert len(codes) == 17, codes
    never_passed = [c for c in codes if not seen[c][Status.PASSED]]
    never_failed = [c for c in codes if not seen[c][Status.FAILED]]
    assert not (never_passed or never_failed), (
        f"rules never passed in any fixture branch: {never_passed}; "
        f"rules never failed in any fixture branch: {never_failed} "
        "(add or adjust a branch's knobs in fixtures/college-2019.toml, then run `make fixtures`)"
    )


def test_outputs_are_written(run: pipeline.BatchRun) -> None:
    out = run.out
    lists = sorted(p.name for p in (out / pipeline.LIST_FOLDER["zh"]).iterdir())
    assert lists == sorted(f"{bid}.xlsx" for bid in BRANCHES)
    data = json.loads((out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert data["profile"] == PROFILE
    kpi = data["kpis"][0]
    graded_a = sum(1 for b in BRANCHES.values() if b["expect"]["grade"] == "先进")
    assert (kpi["numerator"], kpi["denominator"]) == (graded_a, len(BRANCHES))


def test_the_2012_college_is_graded_end_to_end_with_national_2018(run_2012: pipeline.BatchRun) -> None:
    """Dates in 2012 against a 2019 profile: poor grades, but nothing ungradable and every output written."""
    assert run_2012.exit_code == 0
    assert sorted(r.identity.branch_id for r in run_2012.report.results) == sorted(BRANCHES_2012)
    out = run_2012.out
    lists = sorted(p.name for p in (out / pipeline.LIST_FOLDER["zh"]).iterdir())
    assert lists == sorted(f"{bid}.xlsx" for bid in BRANCHES_2012)
    assert "汇总" in CalamineWorkbook.from_path(str(out / pipeline.SUMMARY_NAME["zh"])).sheet_names
    data = json.loads((out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert data["profile"] == PROFILE
    assert len(data["results"]) == len(BRANCHES_2012)


def test_committed_workbooks_match_the_generator(tmp_path: Path) -> None:
    """A change to the form, to generate.py or to college-2019.toml must be followed by `make fixtures`."""
    from fixtures import generate

    generate.generate(DATA, tmp_path)
    committed = sorted(p.name for p in COLLEGE.glob("*.xlsx"))
    assert committed == sorted(f"{b}.xlsx" for b in BRANCHES), "run `make fixtures`"
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == committed
    for name in committed:
        a = CalamineWorkbook.from_path(str(COLLEGE / name))
        b = CalamineWorkbook.from_path(str(tmp_path / name))
        assert a.sheet_names == b.sheet_names
        for sheet in a.sheet_names:
            assert a.get_sheet_by_name(sheet).to_python() == b.get_sheet_by_name(sheet).to_python(), (
                f"{name} › {sheet} differs from what generate.py writes: run `make fixtures`"
            )
