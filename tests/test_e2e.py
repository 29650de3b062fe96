"""The fixture colleges end to end, one per profile.

fixtures/college.toml (2012) is graded by loudi-2012 and fixtures/college-2019.toml by national-2018. In
each: every workbook is well formed, every branch gets the grade and the items its data file expects,
every rule of the profile passes in at least one branch and fails in at least one (so a rule that can
never fire, or never pass, on realistic data is caught), the outputs are written, and the committed
workbooks are what the generator writes now. The 2012 college named to national-2018 with --profile is
refused workbook by workbook: its 考核年度 is not the profile's year."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from engine import pipeline
from engine.export.explain import explain
from engine.ingest.reader import read_workbook
from engine.rulebook import load_profile
from engine.validate.form import validate_workbook
from fixtures.generate import load_spec
from schemas.common import Status

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class College:
    data: str  # the data file under fixtures/
    profile: str
    spec: dict[str, Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "spec", load_spec(FIXTURES / self.data))

    @property
    def folder(self) -> Path:
        return FIXTURES / self.data.removesuffix(".toml")

    @property
    def branches(self) -> dict[str, dict[str, Any]]:
        return {b["id"]: b for b in self.spec["branch"]}


COLLEGES = {
    "2012": College("college.toml", "loudi-2012"),
    "2019": College("college-2019.toml", "national-2018"),
    "2025": College("college-2025.toml", "national-2018"),
}
# Every generated college, the example-policy one (tests/test_policy_college.py grades it) included.
GENERATED = {**COLLEGES, "policy": College("college-policy.toml", "example-policy")}
BRANCH_CASES = [(key, bid) for key, college in COLLEGES.items() for bid in sorted(college.branches)]
_runs: dict[tuple[str, str, int], pipeline.BatchRun] = {}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """graded(college key, profile=None, workers=0): the college graded once per combination."""

    def run(key: str, profile: str | None = None, workers: int = 0) -> pipeline.BatchRun:
        college = COLLEGES[key]
        combo = (key, profile or college.profile, workers)
        if combo not in _runs:
            out = tmp_path_factory.mktemp(f"out-{key}-{combo[1]}-{workers}")
            _runs[combo] = pipeline.grade_folder(college.folder, out, combo[1], workers=workers)
        return _runs[combo]

    return run


@pytest.mark.parametrize("key", COLLEGES)
def test_the_college_has_every_branch_type_and_grade(key: str) -> None:
    college = COLLEGES[key]
    assert college.spec["year"] in load_profile(college.profile).years
    assert len(college.branches) >= 12
    assert {b["type"] for b in college.branches.values()} == {"教工", "学生", "机关", "离退休"}
    assert {b["expect"]["grade"] for b in college.branches.values()} == {"先进", "较好", "一般", "后进"}


@pytest.mark.parametrize(("key", "branch_id"), BRANCH_CASES)
def test_fixture_workbook_validates_without_problems(key: str, branch_id: str) -> None:
    """The fixtures fail rules, never the form: every knob yields a well-formed workbook."""
    college = COLLEGES[key]
    path = college.folder / f"{branch_id}.xlsx"
    checked = validate_workbook(read_workbook(path), expected_year=college.spec["year"])
    assert checked.form is not None and not checked.problems, [p.code for p in checked.problems]


@pytest.mark.parametrize("key", COLLEGES)
def test_every_fixture_is_graded(graded: Any, key: str) -> None:
    run = graded(key)
    assert run.exit_code == 0
    assert sorted(r.identity.branch_id for r in run.report.results) == sorted(COLLEGES[key].branches)


@pytest.mark.parametrize(("key", "branch_id"), BRANCH_CASES)
def test_branch_gets_expected_grade_and_items(graded: Any, key: str, branch_id: str) -> None:
    result = next(r for r in graded(key).report.results if r.identity.branch_id == branch_id)
    expect: dict[str, Any] = COLLEGES[key].branches[branch_id]["expect"]
    failed = sorted(t.code for t in result.trace if t.status is Status.FAILED)
    not_evidenced = sorted(t.code for t in result.trace if t.status is Status.NOT_EVIDENCED)
    assert (failed, not_evidenced) == (sorted(expect["failed"]), sorted(expect["not_evidenced"]))
    assert result.grade.name.zh == expect["grade"], f"total {result.total}, adjustments {result.adjustments}"
    assert sorted({i.code for i in result.items}) == sorted(expect["failed"] + expect["not_evidenced"])


@pytest.mark.parametrize("key", COLLEGES)
def test_every_rule_passes_and_fails_somewhere(graded: Any, key: str) -> None:
    college = COLLEGES[key]
    seen: dict[str, dict[Status, list[str]]] = defaultdict(lambda: defaultdict(list))
    for result in graded(key).report.results:
        for trace in result.trace:
            seen[trace.code][trace.status].append(result.identity.branch_id)
    codes = sorted(rule.code for rule in load_profile(college.profile).rules)
    assert codes, f"profile {college.profile} has no rules"
    never_passed = [c for c in codes if not seen[c][Status.PASSED]]
    never_failed = [c for c in codes if not seen[c][Status.FAILED]]
    assert not (never_passed or never_failed), (
        f"rules never passed in any fixture branch: {never_passed}; "
        f"rules never failed in any fixture branch: {never_failed} "
        f"(add or adjust a branch's knobs in fixtures/{college.data}, then run `make fixtures`)"
    )


@pytest.mark.parametrize("key", COLLEGES)
def test_outputs_are_written(graded: Any, key: str) -> None:
    college, run = COLLEGES[key], graded(key)
    lists = sorted(p.name for p in (run.out / pipeline.LIST_FOLDER["zh"]).iterdir())
    # one list per branch, named by its ID and name as the form gives them (the name as validated)
    named = {r.identity.branch_id: r.identity.branch_name for r in run.report.results}
    assert named.keys() == college.branches.keys()
    assert lists == sorted(f"{bid} {name}.xlsx" for bid, name in named.items())
    summary = CalamineWorkbook.from_path(str(run.out / pipeline.SUMMARY_NAME["zh"]))
    assert "汇总" in summary.sheet_names
    data = json.loads((run.out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert [p["name"] for p in data["profiles"]] == [college.profile]
    assert {r["profile"] for r in data["results"]} == {college.profile}
    kpi = data["kpis"][0]
    graded_a = sum(1 for b in college.branches.values() if b["expect"]["grade"] == "先进")
    assert (kpi["numerator"], kpi["denominator"]) == (graded_a, len(college.branches))


def test_parallel_run_gives_the_same_results_json(graded: Any) -> None:
    inline, parallel = graded("2012"), graded("2012", workers=2)
    assert (inline.out / pipeline.RESULTS_NAME).read_bytes() == (
        parallel.out / pipeline.RESULTS_NAME
    ).read_bytes()


def test_the_2012_college_is_not_graded_under_national_2018(graded: Any) -> None:
    """--profile national-2018 (2019) on 2012 workbooks: none is graded under the wrong year's norms;
    each says its year, the profile's year and the fix."""
    run = graded("2012", "national-2018")
    assert run.exit_code == 1
    assert run.report.results == () and not any((run.out / pipeline.LIST_FOLDER["zh"]).iterdir())
    assert {f.status for f in run.files} == {"ungradable"} and len(run.files) == len(
        COLLEGES["2012"].branches
    )
    for f in run.files:
        (problem,) = [p for p in f.problems if p.code == "IN-26"]
        assert "2012" in problem.message.zh and "national-2018" in problem.message.zh
        assert "2019" in problem.message.zh and "--profile loudi-2012" in problem.rectification.zh


@pytest.mark.parametrize("key", GENERATED)
def test_committed_workbooks_match_the_generator(key: str, tmp_path: Path) -> None:
    """A change to the form, to generate.py or to the data file must be followed by `make fixtures`."""
    from fixtures import generate

    college = GENERATED[key]
    generate.generate(FIXTURES / college.data, tmp_path)
    committed = sorted(p.name for p in college.folder.glob("*.xlsx"))
    assert committed == sorted(f"{b}.xlsx" for b in college.branches), "run `make fixtures`"
    assert sorted(p.name for p in tmp_path.glob("*.xlsx")) == committed
    for name in committed:
        a = CalamineWorkbook.from_path(str(college.folder / name))
        b = CalamineWorkbook.from_path(str(tmp_path / name))
        assert a.sheet_names == b.sheet_names
        for sheet in a.sheet_names:
            assert a.get_sheet_by_name(sheet).to_python() == b.get_sheet_by_name(sheet).to_python(), (
                f"{name} › {sheet} differs from what generate.py writes: run `make fixtures`"
            )


def _path_of(graded: Any, branch_id: str) -> Any:
    result = next(r for r in graded("2012").report.results if r.identity.branch_id == branch_id)
    return result, result.path


def test_a_capped_branch_must_lift_the_cap_before_points_help(graded: Any) -> None:
    # XX-02: satisfaction 85% caps it at 一般 and it scores 66 (一般). To reach 较好 the cap must end first -
    # FB-01 passing, its 10 points back (76) - and then two more items (82).
    result, path = _path_of(graded, "XX-02")
    assert (result.total, result.grade.name.zh) == (66, "一般")
    assert path.target.name.zh == "较好" and path.target_min == 80
    assert [(c.kind, c.codes, c.restores) for c in path.conditions] == [("cap", ("FB-01",), 10)]
    assert [(s.code, s.restores, s.total) for s in path.steps] == [("ED-06", 3, 79), ("SC-02", 3, 82)]
    lines = explain(result).splitlines()
    block = lines[lines.index("晋级路径：") :]
    assert block[1].strip() == "下一等次：较好（总分须达到80分）"
    assert "解除封顶" in block[3] and "FB-01" in block[3] and "恢复10分" in block[3]
    assert block[5].strip().startswith("1. ED-06") and block[6].strip().endswith("总分82分")


@pytest.mark.parametrize(
    ("branch_id", "vetoes"), [("LT-02", ["VT-03"]), ("JC-01", ["VT-01", "VT-02", "VT-04", "VT-05"])]
)
def test_a_vetoed_branch_must_lift_the_veto_whatever_its_score(
    graded: Any, branch_id: str, vetoes: list[str]
) -> None:
    result, path = _path_of(graded, branch_id)
    assert result.grade.name.zh == "后进" and path.target.name.zh == "一般"
    assert [c.codes[0] for c in path.conditions if c.kind == "veto"] == vetoes
    assert path.steps == ()  # the score is 一般 or better already: lifting the vetoes is all it takes


def test_every_branch_below_the_top_has_a_path_that_reaches_the_next_band(graded: Any) -> None:
    profile = load_profile("loudi-2012")
    codes = [g.code for g in profile.grading.grades]
    for result in graded("2012").report.results:
        if result.grade.code == codes[0]:
            assert result.path is None
            continue
        assert result.path is not None and result.path.reachable
        assert result.path.target.code == codes[codes.index(result.grade.code) - 1]


def test_the_path_is_in_the_list_and_in_results_json(graded: Any) -> None:
    run = graded("2012")
    listed = next((run.out / pipeline.LIST_FOLDER["zh"]).glob("XX-02 *.xlsx"))
    rows = CalamineWorkbook.from_path(str(listed)).get_sheet_by_index(0).to_python()
    path_row = next(r for r in rows if r[0] == "晋级路径")
    head = next(i for i, r in enumerate(rows) if r[0] == "序号")
    assert rows.index(path_row) < head  # above the items
    text = next(c for c in path_row[1:] if c)
    assert text.splitlines()[0] == "下一等次：较好（总分须达到80分）" and "2. SC-02" in text
    data = json.loads((run.out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    by_id = {r["identity"]["branch_id"]: r for r in data["results"]}
    assert by_id["XX-02"]["path"]["conditions"][0]["codes"] == ["FB-01"]
    assert by_id["JD-01"]["path"] is None
