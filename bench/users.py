"""Speed as users feel it: the ``branchgrade`` command timed from outside, start-up included.

Used by bench/run.py (its default pass). Every number here is taken around a process as a user starts it:

* one form — ``branchgrade validate ONE.xlsx`` and ``branchgrade grade`` of a folder holding that one
  form, after one warm-up run of each (which also leaves Python's bytecode cache, as an installed tool
  has), the median of ``repeats`` runs, wall and CPU (user + system of the whole process tree);
* a batch — ``branchgrade grade FOLDER --workers W`` against the floor program (bench/floor.py, the same
  W), alternated ``repeats`` times; the ratio is the median of the one over the median of the other;
* memory — the resident set summed over the process and all its descendants (every worker, not only the
  largest), sampled from /proc every 50 ms, its peak;
* results.json — compared byte for byte with the one a reference commit wrote for the same forms
  (``--reference REV``, kept under bench/cache/reference/).
"""

from __future__ import annotations

import filecmp
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ROOT / "bench" / "floor.py"
SAMPLE_SECONDS = 0.05
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def branchgrade() -> list[str]:
    """The console script users run, from this interpreter's environment."""
    script = Path(sys.executable).with_name("branchgrade")
    if not script.exists():
        raise SystemExit(f"{script} not found: install the project first (make venv)")
    return [str(script)]


def user_env() -> dict[str, str]:
    """The environment a user's command has: Python may keep its bytecode cache (an installed tool has
    one; a development shell's PYTHONDONTWRITEBYTECODE would make every run compile every module)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


# --- memory of a whole process tree -----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listing:
                found += [int(child) for child in listing.read().split()]
    except OSError:  # gone meanwhile
        pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


class TreeMemory(threading.Thread):
    """The peak of the resident set summed over process ``pid`` and every descendant, and the most
    processes seen at once, sampled every ``SAMPLE_SECONDS`` until ``stop``. Linux (/proc) only."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.processes = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            tree, stack = [], [self.pid]
            while stack:
                pid = stack.pop()
                tree.append(pid)
                stack += _children(pid)
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in tree))
            self.processes = max(self.processes, len(tree))
            self._stopped.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


@dataclass(frozen=True)
class Timed:
    wall: float  # seconds, from starting the process to its exit
    cpu: float  # user + system seconds of the process and every descendant it waited for
    peak_mb: float  # peak resident set summed over the process tree
    processes: int  # most processes of the tree at once
    stdout: str


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Timed:
    """Run ``cmd`` to its end, timed from outside; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or user_env(), cwd=cwd, text=True
    )
    memory = TreeMemory(proc.pid)
    memory.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    memory.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):  # 1: some form ungradable, still a finished run
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err[-2000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Timed(wall, cpu, memory.peak_kb / 1024, memory.processes, out)


# --- one form -------------------------------------------------------------------------------------------


def one_form(form: Path, scratch: Path, repeats: int) -> dict[str, Any]:
    """``validate`` of ``form`` and ``grade`` of a folder holding only it: median wall and CPU seconds."""
    folder = scratch / "one-form"
    folder.mkdir()
    shutil.copyfile(form, folder / form.name)
    commands = {
        "validate": [*branchgrade(), "validate", str(form)],
        "grade": [*branchgrade(), "grade", str(folder), "-o", str(scratch / "one-form-out"), "--no-progress"],
    }
    for cmd in commands.values():  # warm-up: the bytecode cache, the page cache
        timed(cmd)
    runs: dict[str, list[Timed]] = {name: [] for name in commands}
    for _ in range(repeats):  # alternated: the machine's load drifts
        for name, cmd in commands.items():
            runs[name].append(timed(cmd))
    return {
        name: {
            "wall": statistics.median(t.wall for t in done),
            "cpu": statistics.median(t.cpu for t in done),
            "walls": [round(t.wall, 3) for t in done],
        }
        for name, done in runs.items()
    }


# --- a batch, against the floor -------------------------------------------------------------------------


def list_rows(base_dir: Path, distinct: int, profile: str) -> list[int]:
    """The number of items on each distinct workbook's 整改清单 (a copy has its base's), graded once in
    this process and kept beside the workbooks."""
    from engine.pipeline import grade_workbooks
    from engine.profiles import Evaluators, ProfileChoice

    choice = ProfileChoice.from_ref(profile)
    kept = base_dir / f"list-items-{choice.entries[0].sha256[:12]}.json"
    if kept.exists():
        items: list[int] = json.loads(kept.read_text(encoding="utf-8"))
        return items
    paths = [(base_dir / f"{k:04d}.xlsx", f"{k:04d}.xlsx") for k in range(distinct)]
    with Evaluators(choice) as evaluators:
        outcomes = grade_workbooks(paths, choice, evaluators)
    items = [len(o.result.items) if o.result is not None else 0 for o in outcomes]
    kept.write_text(json.dumps(items), encoding="utf-8")
    return items


def batch(folder: Path, rows: dict[str, int], workers: int, scratch: Path, repeats: int) -> dict[str, Any]:
    """``branchgrade grade`` of ``folder`` and the floor, alternated ``repeats`` times."""
    rows_file = scratch / "rows.json"
    rows_file.write_text(json.dumps(rows), encoding="utf-8")
    grades: list[Timed] = []
    floors: list[Timed] = []
    results: Path | None = None
    for r in range(repeats):
        out = scratch / f"grade-{r}"
        grades.append(
            timed(
                [
                    *branchgrade(),
                    "grade",
                    str(folder),
                    "-o",
                    str(out),
                    "--workers",
                    str(workers),
                    "--no-progress",
                ]
            )
        )
        if results is not None:
            shutil.rmtree(results.parent.parent)  # keep one run's outputs on disk, not one per repeat
        (run,) = [p for p in out.iterdir() if (p / "results.json").is_file()]
        results = run / "results.json"
        floor_out = scratch / f"floor-{r}"
        floors.append(
            timed([sys.executable, str(FLOOR), str(folder), str(rows_file), str(floor_out), str(workers)])
        )
        shutil.rmtree(floor_out)
    assert results is not None
    floor_ms = json.loads(floors[-1].stdout)
    return {
        "grade_s": statistics.median(t.wall for t in grades),
        "floor_s": statistics.median(t.wall for t in floors),
        "grade_walls": [round(t.wall, 2) for t in grades],
        "floor_walls": [round(t.wall, 2) for t in floors],
        "grade_cpu_s": statistics.median(t.cpu for t in grades),
        "floor_cpu_s": statistics.median(t.cpu for t in floors),
        "grade_mb": max(t.peak_mb for t in grades),
        "floor_mb": max(t.peak_mb for t in floors),
        "grade_processes": max(t.processes for t in grades),
        "floor_read_ms": floor_ms["read_ms"],
        "floor_write_ms": floor_ms["write_ms"],
        "results": results,
    }


# --- results.json against a reference commit ------------------------------------------------------------


def reference_paths(cache: Path, folder: Path) -> tuple[Path, Path]:
    """Where the reference results.json for the forms of ``folder`` is kept, and the commit that made it."""
    home = cache / "reference"
    return home / f"{folder.name}.results.json", home / f"{folder.name}.commit"


def make_reference(rev: str, cache: Path, folder: Path, workers: int) -> str:
    """Grade ``folder`` with the code of commit ``rev`` (exported from git into the cache, run with this
    environment's libraries) and keep its results.json as the reference. Returns the commit."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    src = cache / "reference" / f"src-{sha[:12]}"
    if not (src / "engine").is_dir():
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", sha], capture_output=True, check=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(src, filter="data")
    env = user_env()
    env["PYTHONPATH"] = str(src)  # its engine, schemas and rules, not this checkout's
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        cmd = [sys.executable, "-m", "engine", "grade", str(folder), "-o", tmp, "--workers", str(workers)]
        timed([*cmd, "--no-progress"], env=env, cwd=src)
        (results,) = Path(tmp).glob("*/results.json")
        target, commit = reference_paths(cache, folder)
        shutil.copyfile(results, target)
    commit.write_text(f"{sha} {rev}\n", encoding="utf-8")
    return sha


def against_reference(results: Path, cache: Path, folder: Path) -> tuple[bool | None, str]:
    """Whether ``results`` is byte-identical to the reference (None: there is none), and what it was."""
    reference, commit = reference_paths(cache, folder)
    if not reference.exists():
        return None, "no reference (make bench-reference)"
    made_by = commit.read_text(encoding="utf-8").split()[0][:12] if commit.exists() else "?"
    if filecmp.cmp(results, reference, shallow=False):
        return True, f"byte-identical to {made_by}'s"
    a, b = results.read_bytes(), reference.read_bytes()
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return False, f"differs from {made_by}'s at byte {at} ({len(a)} vs {len(b)} bytes)"


# --- each part inflated once ----------------------------------------------------------------------------


def inflations(form: Path) -> dict[str, int | bool]:
    """How often ``read_workbook`` inflates a deflate stream for ``form``, against the deflated parts the
    reader gets, and whether the archive handed to calamine is all stored (nothing left to inflate)."""
    import zlib

    from engine.ingest import Limits, read_workbook
    from engine.ingest.preflight import preflight

    data = form.read_bytes()
    cleared = preflight(data, Limits())
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(io.BytesIO(cleared.data)) as given:
        handed = set(given.namelist())
        deflated = sum(1 for i in original.infolist() if i.filename in handed and i.compress_type == 8)
        stored = all(i.compress_type == zipfile.ZIP_STORED for i in given.infolist())
    calls: list[int] = []
    real = zlib.decompressobj

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    with mock.patch("zlib.decompressobj", counted):
        read_workbook(form)
    return {"inflated": len(calls), "deflated_parts": deflated, "stored_for_calamine": stored}
