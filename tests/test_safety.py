"""Safety of the batch: formula text stays text, a crashing or bloating worker costs only its file, a
killed run leaves no half-written output and untouched inputs, and results are deterministic."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine import pipeline, runs
from engine.export.atomic import temp_target
from engine.intake import list_file_stem
from fixtures.formfill import field_cell, table_cell
from schemas.common import Severity

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
BRANCHGRADE = ROOT / ".venv" / "bin" / "branchgrade"

pytestmark = pytest.mark.slow


def _cli() -> list[str]:
    if BRANCHGRADE.exists():
        return [str(BRANCHGRADE)]
    found = shutil.which("branchgrade")
    if found is None:
        pytest.skip("the branchgrade console script is not installed")
    return [found]


# ------------------------------------------------------------------ 1. formula text stays text

HOSTILE_NAMES = {
    "FX-EQ": "=1+1",
    "FX-PLUS": "+1",
    "FX-MINUS": "-1",
    "FX-AT": "@SUM(1)",
    "FX-TAB": "\t=1+1",
    "FX-CR": "\r=1+1",
}
TOPIC = '=HYPERLINK("http://x","点我")'


def _text_cell(cell: Any, value: str) -> None:
    cell.value = value
    cell.data_type = "s"  # a user who typed '=... in Excel: stored as text


def _injection_folder(folder: Path) -> None:
    for bid, name in HOSTILE_NAMES.items():
        wb = openpyxl.load_workbook(COLLEGE / "JG-02.xlsx")  # a 后进 branch: a long rectification list
        field_cell(wb, "basic", "branch_id").value = bid
        _text_cell(field_cell(wb, "basic", "branch_name"), name)
        _text_cell(field_cell(wb, "basic", "secretary"), "@SUM(1)")
        _text_cell(field_cell(wb, "basic", "general_branch"), "-机关党总支")
        _text_cell(table_cell(wb, "meetings", 0, "topic"), TOPIC)
        _text_cell(table_cell(wb, "problems", 0, "problem"), "=cmd|' /C calc'!A0")
        wb.save(folder / f"{bid}.xlsx")


def _cells(path: Path) -> list[tuple[str, str, Any, str]]:
    wb = openpyxl.load_workbook(path)
    return [
        (ws.title, c.coordinate, c.value, c.data_type)
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    ]


def _has_formula_part(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return any(
            b"<f>" in archive.read(n) or b"<f " in archive.read(n)
            for n in archive.namelist()
            if n.endswith(".xml")
        )


def test_form_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _injection_folder(folder)
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=0)
    assert run.exit_code == 0, [f.problems for f in run.report.files]
    names = {r.identity.branch_id: r.identity.branch_name for r in run.report.results}
    # what the form held is what the results hold: verbatim, apart from the reader trimming whitespace
    for bid, name in HOSTILE_NAMES.items():
        assert names[bid] == name.strip()
    data = json.loads((run.out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert {r["identity"]["branch_name"] for r in data["results"]} == {
        n.strip() for n in HOSTILE_NAMES.values()
    }

    outputs = [
        run.out / pipeline.SUMMARY_NAME["zh"],
        *sorted((run.out / pipeline.LIST_FOLDER["zh"]).iterdir()),
    ]
    assert len(outputs) == 1 + len(HOSTILE_NAMES)
    for path in outputs:
        cells = _cells(path)
        assert [c for c in cells if c[3] == "f"] == [], path.name
        assert not _has_formula_part(path), path.name
        values = {v for _, _, v, _ in cells}
        assert "@SUM(1)" in values and "-机关党总支" in values, path.name
    summary = {v for _, _, v, _ in _cells(outputs[0])}
    assert {n.strip() for n in HOSTILE_NAMES.values()} <= summary
    by_list = {f"{list_file_stem(bid, name)}.xlsx": name for bid, name in names.items()}
    for path in outputs[1:]:
        assert by_list[path.name] in {v for _, _, v, _ in _cells(path)}, path.name


# ------------------------------------------------------------------ 2. isolation of workers


def crash_on_marker(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook run in the worker (pickled by reference): a chunk holding a file named ``crash-*`` kills
    the process the way a native parser abort does."""
    if any("crash-" in name for _, name in jobs):
        os.abort()
    return pipeline._work(jobs)


def bloat_on_marker(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook: grading a file named ``bloat-*`` tries to take 2 GiB, more than the worker cap."""

    def greedy(items: list[tuple[Path, str]], *args: Any, **kwargs: Any) -> list[pipeline.FileOutcome]:
        if any(name.startswith("bloat-") for _, name in items):
            blob = bytearray(2 * 1024**3)
            raise AssertionError(f"the worker memory cap did not apply ({len(blob)} bytes allocated)")
        return _real_grade_workbooks(items, *args, **kwargs)

    pipeline.grade_workbooks = greedy  # this worker only: it is spawned, the parent is untouched
    try:
        return pipeline._work(jobs)
    finally:
        pipeline.grade_workbooks = _real_grade_workbooks


_real_grade_workbooks = pipeline.grade_workbooks


def _small_folder(folder: Path, extra: str) -> None:
    folder.mkdir()
    for name in ("JG-01.xlsx", "XS-01.xlsx", "LT-01.xlsx", "JD-01.xlsx"):
        shutil.copyfile(COLLEGE / name, folder / name)
    shutil.copyfile(COLLEGE / "XX-01.xlsx", folder / extra)


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_work", crash_on_marker)
    _small_folder(tmp_path / "in", "crash-XX-01.xlsx")
    run = pipeline.grade_folder(tmp_path / "in", tmp_path / "out", workers=2)
    assert run.exit_code == 1
    bad = [f for f in run.report.files if f.status == "ungradable"]
    assert [f.file for f in bad] == ["crash-XX-01.xlsx"]
    problem = bad[0].problems[0]
    assert (
        problem.code == "IN-01" and "解析器异常退出" in problem.message.zh and "crashed" in problem.message.en
    )
    assert problem.evidence[0].file == "crash-XX-01.xlsx"
    assert sorted(r.identity.branch_id for r in run.report.results) == ["JD-01", "JG-01", "LT-01", "XS-01"]


def test_a_crash_in_a_chunk_of_several_files_costs_only_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first task holds several files (chunk_bounds): the crash takes the whole task down, and each
    # of its files is then retried alone, so only the culprit is lost.
    monkeypatch.setattr(pipeline, "_work", crash_on_marker)
    shutil.copytree(COLLEGE, tmp_path / "in")
    shutil.copyfile(COLLEGE / "XX-01.xlsx", tmp_path / "in" / "0-crash-XX-01.xlsx")
    files = pipeline.find_workbooks(tmp_path / "in")
    first = pipeline.chunk_bounds(len(files), 2)[0]
    assert files[0].name == "0-crash-XX-01.xlsx" and len(first) > 1
    run = pipeline.grade_folder(tmp_path / "in", tmp_path / "out", workers=2)
    bad = [f.file for f in run.files if f.status == "ungradable"]
    assert bad == ["0-crash-XX-01.xlsx"]
    assert len(run.files) - len(bad) == len(files) - 1  # every other file, its chunk-mates included


def test_a_memory_blowup_is_capped_in_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_work", bloat_on_marker)
    monkeypatch.setenv(pipeline.MEMORY_ENV, "600")
    _small_folder(tmp_path / "in", "bloat-XX-01.xlsx")
    run = pipeline.grade_folder(tmp_path / "in", tmp_path / "out", workers=2)
    assert run.exit_code == 1
    bad = [f for f in run.report.files if f.status == "ungradable"]
    assert [f.file for f in bad] == ["bloat-XX-01.xlsx"]
    problem = bad[0].problems[0]
    assert problem.code in ("IN-03", "IN-01") and problem.severity is Severity.ERROR
    assert "内存" in problem.message.zh and "memory" in problem.message.en
    assert len(run.report.results) == 4


def test_worker_memory_limit_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pipeline.MEMORY_ENV, raising=False)
    assert pipeline.worker_memory_limit() == pipeline.WORKER_MEMORY_MB * 1024 * 1024
    monkeypatch.setenv(pipeline.MEMORY_ENV, "0")
    assert pipeline.worker_memory_limit() is None
    monkeypatch.setenv(pipeline.MEMORY_ENV, "lots")
    with pytest.raises(pipeline.UsageError, match="BRANCHGRADE_WORKER_MEMORY_MB"):
        pipeline.worker_memory_limit()


# ------------------------------------------------------------------ 3. a killed run loses nothing


def _sha256s(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_killed_mid_batch_leaves_no_half_output(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    sources = sorted(COLLEGE.glob("*.xlsx"))
    for i in range(40):
        shutil.copyfile(sources[i % len(sources)], folder / f"{i:02d}-{sources[i % len(sources)].name}")
    before = _sha256s(folder)
    out = tmp_path / "out"
    lists = f"*{runs.PARTIAL_SUFFIX}/{pipeline.LIST_FOLDER['zh']}/*.xlsx"
    cmd = [*_cli(), "grade", str(folder), "-o", str(out), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if sum(1 for _ in out.glob(lists)) >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the batch finished before it could be killed"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers: our own process group only
        proc.wait()
    time.sleep(0.2)

    assert _sha256s(folder) == before
    # SIGKILL gives no chance to clean up: what the run wrote stays in its unfinished run folder, which
    # is no result (no complete run, no pointer); a file being written may stay behind there, but only
    # under its hidden temporary name, never under an output's name.
    assert runs.find_latest_run(out) is None and not (out / runs.POINTER_NAME).exists()
    (partial,) = [p for p in out.iterdir() if p.name.endswith(runs.PARTIAL_SUFFIX)]
    leftovers = [p for p in partial.rglob("*") if p.is_file()]
    temps = [p for p in leftovers if p.name.endswith(".tmp")]
    assert all(temp_target(p.name) for p in temps), temps
    for path in leftovers:
        if path.suffix == ".xlsx" and path not in temps:
            with zipfile.ZipFile(path) as archive:  # complete: the central directory is there
                assert archive.testzip() is None, path

    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr  # the later files are copies (IN-21): graded once
    assert partial.name in again.stdout and not partial.exists()  # the next run clears and says so
    latest = runs.find_latest_run(out)
    assert latest is not None and str(latest) in again.stdout
    data = json.loads((latest / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    assert len(data["files"]) == 40 and len(data["results"]) == len(sources)
    assert [p for p in out.rglob("*.tmp")] == []
    assert _sha256s(folder) == before


# ------------------------------------------------------------------ 4. deterministic


def test_results_do_not_depend_on_hash_seed_file_order_or_mtime(tmp_path: Path) -> None:
    sources = sorted(COLLEGE.glob("*.xlsx"))
    outputs = []
    for seed, order in (("1", sources), ("4242", list(reversed(sources)))):
        folder = tmp_path / f"in-{seed}"
        folder.mkdir()
        shuffled = list(order)
        random.Random(seed).shuffle(shuffled)
        for i, source in enumerate(shuffled):  # created in a different order, with scattered mtimes
            target = folder / source.name
            shutil.copyfile(source, target)
            mtime = 1_000_000_000 + (i * 7919) % 1000
            os.utime(target, (mtime, mtime))
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [*_cli(), "grade", str(folder), "-o", str(out), "--workers", "2", "--no-progress"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        latest = runs.find_latest_run(out)
        assert latest is not None
        outputs.append((latest / pipeline.RESULTS_NAME).read_bytes())
    assert outputs[0] == outputs[1]
