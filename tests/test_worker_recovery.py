"""A crashing workbook costs the batch only its own retries: the suspects of a broken pool are retried in
one reused pool, one file per task, then alone in one single-worker pool — a handful of worker starts
whatever the size of the batch, never one new pool per suspect."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine import pipeline
from schemas.common import Lang

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
LOG_ENV = "BRANCHGRADE_TEST_WORKER_LOG"

pytestmark = pytest.mark.slow


def _log(line: str) -> None:
    with open(os.environ[LOG_ENV], "a", encoding="utf-8") as log:  # one short append: whole lines
        log.write(line + "\n")


def counting_init(choice_state: object, list_dir: str, lang: Lang, *rest: object) -> None:
    """Test hook, run in each worker as it starts (pickled by reference): note the start."""
    _log(f"start {os.getpid()}")
    pipeline._init_worker(choice_state, list_dir, lang, *rest)  # type: ignore[arg-type]


def crash_logging(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook, a worker's task: note each file attempted; a task holding a ``crash-*`` file kills its
    worker the way a native parser abort does."""
    for _, name in jobs:
        _log(f"file {name}")
    if any("crash-" in name for _, name in jobs):
        os.abort()
    return pipeline._work(jobs)


def _grade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashes: list[int], n: int) -> tuple[
    pipeline.BatchRun, list[str], list[str]
]:
    folder = tmp_path / "in"
    folder.mkdir()
    sources = sorted(COLLEGE.glob("*.xlsx"))
    for i in range(n):
        prefix = "crash-" if i in crashes else ""
        source = sources[i % len(sources)]
        shutil.copyfile(source, folder / f"{i:03d}-{prefix}{source.name}")
    log = tmp_path / "workers.log"
    monkeypatch.setenv(LOG_ENV, str(log))
    monkeypatch.setattr(pipeline, "_init_worker", counting_init)
    monkeypatch.setattr(pipeline, "_work", crash_logging)
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=2)
    lines = log.read_text(encoding="utf-8").splitlines()
    starts = [line for line in lines if line.startswith("start ")]
    attempts = [line.removeprefix("file ") for line in lines if line.startswith("file ")]
    return run, starts, attempts


@pytest.mark.parametrize("crashes", [[0], [20], [5, 37]], ids=["first", "middle", "two"])
def test_a_crashing_file_costs_a_few_worker_starts_and_one_retry_of_its_neighbours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crashes: list[int]
) -> None:
    n = 48
    run, starts, attempts = _grade(tmp_path, monkeypatch, crashes, n)
    bad = [f.file for f in run.files if f.status == "ungradable" and f.problems[0].code == "IN-01"]
    assert bad == [f.file for f in run.files if "crash-" in f.file] and len(bad) == len(crashes)
    # every other file graded (byte copies of one workbook count once: status "copy", not lost)
    assert len(run.files) == n and all(f.status in ("graded", "copy") or f.file in bad for f in run.files)
    # Per crash, after the first pool's 2 workers: one reused pool for its suspects (2), which it breaks
    # again; a single-worker pool where it breaks alone (1), and another for a file queued after it (1);
    # a new pool for the remaining suspects (2) and one for the rest of the batch (2): at most 8 worker
    # starts — where a new pool per suspect would start one process per file of every task in flight
    # (here 4 tasks of 6 files: 24 per crash).
    assert len(starts) <= 2 + 8 * len(crashes), starts
    # Each file is attempted at most 3 times (its task broke; its retry broke beside the culprit; alone),
    # and only the culprit and the one file retried beside it (2 workers) go that far; the rest of the
    # files of the broken tasks (at most 4 tasks of 6) are graded twice, every other file once.
    tries = {name: attempts.count(name) for name in set(attempts)}
    assert set(tries) == {f.file for f in run.files} and max(tries.values()) <= 3, tries
    assert sum(1 for count in tries.values() if count == 3) <= 2 * len(crashes), tries
    assert sum(1 for count in tries.values() if count >= 2) <= 4 * 6 * len(crashes), tries


def test_a_batch_without_crashes_starts_each_worker_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, starts, attempts = _grade(tmp_path, monkeypatch, [], 24)
    assert run.exit_code == 0 and len(starts) == 2  # (byte copies are graded once, not an error)
    assert sorted(attempts) == sorted(f.file for f in run.files)  # each file graded exactly once
