"""Signals and crashes: SIGINT, SIGTERM and SIGHUP stop a run cleanly at any point (exit 128 + the signal,
one line, no temporary files, no worker left, the lock released, the previous run intact); a main process
killed outright takes its workers with it within seconds."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from engine import pipeline, runs
from engine.profiles import ProfileChoice
from tests.processes import alive, children, need_proc, wait_until
from tests.test_run_folders import snapshot

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
FILES = 48

pytestmark = pytest.mark.slow


def _batch(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A folder of FILES workbooks, and an output folder already holding one complete run."""
    folder = tmp_path / "in"
    folder.mkdir()
    sources = sorted(COLLEGE.glob("*.xlsx"))
    for i in range(FILES):
        shutil.copyfile(sources[i % len(sources)], folder / f"{i:02d}-{sources[i % len(sources)].name}")
    small = tmp_path / "small"
    small.mkdir()
    shutil.copyfile(sources[0], small / sources[0].name)
    out = tmp_path / "out"
    pipeline.grade_folder(small, out, workers=0)
    return folder, out, snapshot(out)


def _lists(out: Path) -> int:
    return sum(1 for _ in out.glob(f"*{runs.PARTIAL_SUFFIX}/*/*.xlsx"))  # in the rectification lists


MOMENTS: dict[str, Callable[[Path], bool]] = {
    # the lock is taken and the run folder made, no workbook graded yet
    "started": lambda out: any(out.glob(f"*{runs.PARTIAL_SUFFIX}")),
    "grading": lambda out: _lists(out) >= 4,
    "finishing": lambda out: _lists(out) >= FILES - 8,
}
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]


def _start(folder: Path, out: Path, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "engine", "grade", str(folder), "-o", str(out), "--workers", "2",
         "--no-progress", *extra],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Whatever is left of the run's process group (its own session), should a test fail midway."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _watch(proc: subprocess.Popen[str], until: Callable[[], bool], seen: set[int]) -> bool:
    """Wait (bounded) for ``until``, noting every child ``proc`` has meanwhile (its workers)."""

    def check() -> bool:
        seen.update(children(proc.pid))
        return until() or proc.poll() is not None

    return wait_until(check, 60) and proc.poll() is None


@pytest.mark.parametrize("moment", list(MOMENTS))
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_stops_the_run_cleanly(tmp_path: Path, moment: str, signum: int) -> None:
    need_proc()
    folder, out, before = _batch(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    workers: set[int] = set()
    with _start(folder, out, tmp) as proc:
        try:
            running = _watch(proc, lambda: MOMENTS[moment](out), workers)
            if running:
                os.kill(proc.pid, signum)  # the main process only: it must stop its workers itself
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            _kill_group(proc)
    assert "Traceback" not in stderr, stderr
    if proc.returncode == 128 + signum:
        assert stderr.strip().splitlines()[-1].startswith("评定已中断"), stderr
        assert snapshot(out) == before  # no new run, the previous one byte for byte
    else:  # the run completed before the signal could reach it: it must then be whole
        assert moment == "finishing" and proc.returncode == 1, (proc.returncode, stderr)
        latest = runs.find_latest_run(out)
        assert latest is not None and str(latest) in stdout
        previous = runs.complete_runs(out)[0]
        assert {k: v for k, v in snapshot(out).items() if k.startswith(previous.name + "/")} == {
            k: v for k, v in before.items() if k.startswith(previous.name + "/")
        }
    assert not any(out.glob(f"*{runs.PARTIAL_SUFFIX}")) and not list(out.rglob("*.tmp"))
    assert not (out / runs.HOLDER_NAME).exists()
    assert list(tmp.iterdir()) == []  # the summary's scratch folder too
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), "a worker outlived the run"


@pytest.mark.parametrize("moment", ["started", "grading"])
def test_ctrl_c_to_the_whole_process_group(tmp_path: Path, moment: str) -> None:
    """Ctrl+C reaches the workers too, even those still starting: they ignore it and are stopped by the
    main process, so the only output is the main process's one line."""
    need_proc()
    folder, out, before = _batch(tmp_path)
    workers: set[int] = set()
    with _start(folder, out, tmp_path, "--lang", "en") as proc:
        try:
            assert _watch(proc, lambda: MOMENTS[moment](out), workers)
            os.killpg(proc.pid, signal.SIGINT)
            _stdout, stderr = proc.communicate(timeout=60)
        finally:
            _kill_group(proc)
    assert proc.returncode == 130
    assert stderr.strip() == (
        "Interrupted (SIGINT): no new results were written; earlier results are untouched."
    )
    assert snapshot(out) == before
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 5)


def test_workers_exit_when_the_main_process_is_killed(tmp_path: Path) -> None:
    need_proc()
    folder, out, _ = _batch(tmp_path)
    workers: set[int] = set()
    with _start(folder, out, tmp_path) as proc:
        try:
            assert _watch(proc, lambda: MOMENTS["grading"](out), workers)
            workers.update(children(proc.pid))
            assert len(workers) >= 2  # the pool (and the resource tracker)
            os.kill(proc.pid, signal.SIGKILL)  # the main process alone: nobody tells the workers
            proc.communicate(timeout=10)
            assert wait_until(lambda: not any(alive(pid) for pid in workers), 5), [
                pid for pid in workers if alive(pid)
            ]
        finally:
            _kill_group(proc)
    # the killed run is no result; the next run clears it
    assert runs.find_latest_run(out) is not None and any(out.glob(f"*{runs.PARTIAL_SUFFIX}"))


def busy_worker(lifeline: Connection, grading: bool) -> None:
    """A pool worker's set-up (its watchdog included), then two minutes inside a task (``grading``) or
    outside one (as while it sends a result): it can only end sooner through the watchdog."""
    pipeline._init_worker(ProfileChoice.from_ref("loudi-2012").state(), ".", "zh", None, lifeline)
    pipeline._grading.task = grading
    time.sleep(120)


# The main process of a run, reduced to its worker's lifeline: starts busy_worker, prints its pid, then
# either waits to be killed ("kill") or stops the run ("cut"; "cut-sending": the worker is not in a task).
MAIN = """
import sys, time
from multiprocessing import get_context
from engine import pipeline
from tests.test_interrupts import busy_worker

if __name__ == "__main__":
    ctx = get_context("spawn")
    lifeline = pipeline._Lifeline(ctx)
    worker = ctx.Process(target=busy_worker, args=(lifeline.reader, sys.argv[1] != "cut-sending"))
    worker.start()
    print(worker.pid, flush=True)
    time.sleep(3)  # the worker is set up
    if sys.argv[1].startswith("cut"):
        lifeline.cut()
        worker.join(10 if sys.argv[1] == "cut" else 1)
        print(worker.exitcode, flush=True)
    time.sleep(120)
"""


@pytest.mark.parametrize("how", ["kill", "cut", "cut-sending"])
def test_a_worker_exits_when_its_run_stops_or_its_main_process_dies(tmp_path: Path, how: str) -> None:
    """A stopped run's worker exits at once while grading, but never in the middle of sending a result
    (the executor would wait forever for the rest of it): that one is left to the executor's shutdown —
    and still exits the moment its main process dies."""
    need_proc()
    script = tmp_path / "main.py"
    script.write_text(MAIN, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, str(script), how], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True, stdout=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        try:
            assert proc.stdout is not None
            worker = int(proc.stdout.readline())
            if how == "cut":
                assert int(proc.stdout.readline()) == pipeline.ORPHANED_WORKER_EXIT
            else:
                if how == "cut-sending":
                    assert proc.stdout.readline().strip() == "None" and alive(worker)  # still there
                else:
                    time.sleep(3)
                os.kill(proc.pid, signal.SIGKILL)
            assert wait_until(lambda: not alive(worker), 5), "the worker outlived its main process"
        finally:
            _kill_group(proc)


def test_signals_raise_once_and_not_while_a_run_is_published() -> None:
    with runs.interrupts_raise():
        with pytest.raises(runs.Interrupted) as stopped:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler runs at once; never reached
        assert stopped.value.exit_code == 143 and "SIGTERM" in stopped.value.text.en
        os.kill(os.getpid(), signal.SIGTERM)  # a second signal during the cleanup: ignored
    reached = False
    # starting a worker: the signal waits for the end of the step
    with runs.interrupts_raise(), pytest.raises(runs.Interrupted) as deferred, runs.deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
        reached = True
    assert reached and deferred.value.exit_code == 130
    with runs.interrupts_raise():
        runs.ignore_interrupts()  # publishing: the run is as good as done
        os.kill(os.getpid(), signal.SIGHUP)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handlers are back
