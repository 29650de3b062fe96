"""Two workbooks for one branch are the user's call; identical copies count once.

Different workbooks with one 支部编号: none of them is graded (待定), one IN-13 names every file with
its saved time and hash prefix and says how to resolve it, and none of them gets a rectification list.
A byte-identical copy is graded once, as the first file, and noted (IN-21)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from engine import pipeline
from engine.intake import readable_time
from tests.intake_helpers import COLLEGE, changed, lists, place, results, sheet_rows

pytestmark = pytest.mark.slow
SAVED = time.mktime((2012, 12, 8, 17, 5, 0, 0, 0, -1))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dups")
    place(folder, "JG-01.xlsx", COLLEGE / "JG-01.xlsx")
    place(folder, "b/JG-01 副本.xlsx", COLLEGE / "JG-01.xlsx")  # the same bytes: a copy
    changed(COLLEGE / "JG-01.xlsx", folder / "JG-01 修改后.xlsx", secretary="李四")  # same ID, other content
    place(folder, "XS-01.xlsx", COLLEGE / "XS-01.xlsx")
    os.utime(folder / "JG-01 修改后.xlsx", (SAVED, SAVED))
    return folder


@pytest.mark.parametrize("workers", [0, 2])
def test_duplicates_are_held_back_and_named_together(folder: Path, tmp_path: Path, workers: int) -> None:
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=workers)
    by_file = {f.file: f for f in run.files}
    assert run.exit_code == 1
    first, changed_one = by_file["JG-01.xlsx"], by_file["JG-01 修改后.xlsx"]
    assert first.status == changed_one.status == "duplicate"
    (problem,) = [p for p in first.problems if p.code == "IN-13"]
    assert problem in changed_one.problems  # one problem, naming both
    assert {e.file for e in problem.evidence} == {"JG-01.xlsx", "JG-01 修改后.xlsx"}
    message = problem.message.zh
    assert "JG-01.xlsx" in message and "JG-01 修改后.xlsx" in message and "2 个" in message
    assert f"保存于 {readable_time(SAVED)}" in message and readable_time(SAVED) == "2012-12-08 17:05"
    assert first.sha256[:8] in message and changed_one.sha256[:8] in message
    assert "移出文件夹" in problem.rectification.zh and "run the grading again" in problem.rectification.en
    # the copy of the first file is recognised as a copy, not a third duplicate
    copy = by_file["b/JG-01 副本.xlsx"]
    assert copy.status == "copy" and [p.code for p in copy.problems] == ["IN-21"]
    assert "JG-01.xlsx" in copy.problems[0].message.zh
    # none of them is graded: not in results, not in the summary, no list
    data = results(run)
    assert [r["identity"]["branch_id"] for r in data["results"]] == ["XS-01"]
    assert [name for name in lists(run)] == [n for n in lists(run) if n.startswith("XS-01 ")] and len(
        lists(run)
    ) == 1
    summary = run.out / pipeline.SUMMARY_NAME["zh"]
    assert [row[0] for row in sheet_rows(summary, "汇总")[1:]] == ["XS-01"]
    statuses = {row[0]: row[1] for row in sheet_rows(summary, "输入文件")[1:]}
    assert (
        statuses["JG-01.xlsx"] == "待定（支部编号重复）"
        and statuses["b/JG-01 副本.xlsx"] == "副本（不重复计算）"
    )
    # the completion KPI counts the grading workbooks: the duplicates as not graded, the copy not at all
    (files_kpi,) = [k for k in run.kpis if k.code == "PR-08"]
    assert (files_kpi.numerator, files_kpi.denominator) == (1, 3)


def test_identical_copies_are_graded_once(tmp_path: Path) -> None:
    place(tmp_path / "in", "JG-01.xlsx", COLLEGE / "JG-01.xlsx")
    place(tmp_path / "in", "JG-01 (1).xlsx", COLLEGE / "JG-01.xlsx")
    run = pipeline.grade_folder(tmp_path / "in", tmp_path / "out", workers=0)
    assert run.exit_code == 0
    assert [f.status for f in run.files] == ["graded", "copy"]  # sorted by name: "JG-01 (1)" first
    assert [r["identity"]["file"] for r in results(run)["results"]] == ["JG-01 (1).xlsx"]
    assert lists(run) == ["JG-01 机关第一党支部.xlsx"]


def test_one_branch_in_two_years_is_not_a_duplicate(tmp_path: Path) -> None:
    """Last year's form beside this year's: each is graded by its own year's profile."""
    folder = tmp_path / "in"
    place(folder, "2012/JD-01.xlsx", COLLEGE / "JD-01.xlsx")
    place(folder, "2019/JD-01.xlsx", COLLEGE.parent / "college-2019" / "JD-01.xlsx")
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=0)
    assert run.exit_code == 0, [(f.file, [p.code for p in f.problems]) for f in run.files]
    assert {(f.file, f.profile) for f in run.files} == {
        ("2012/JD-01.xlsx", "loudi-2012"),
        ("2019/JD-01.xlsx", "national-2018"),
    }
    assert len(lists(run)) == 2
