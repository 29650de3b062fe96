"""A ledger write killed at any point leaves the ledger as before or as after; processes writing at once
never lose a write. Real processes (tests/ledger_writers.py), killed with SIGKILL."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.ledger import Ledger
from engine.ledger.check import check_ledger
from tests.test_ledger_status import Recorded, fill, item_ids

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]
ROOT = Path(__file__).resolve().parent.parent
BRANCHES = 1500


def writer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger_writers", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def started(proc: subprocess.Popen[str], word: str) -> float:
    """Wait for ``word`` on the writer's output; the moment it came."""
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == word, (line, proc.stderr.read() if proc.stderr else "")
    return time.monotonic()


def counts(path: Path) -> tuple[int, int, int, int]:
    with Ledger.open(path) as led:
        assert check_ledger(led) == []
        c = led.conn
        return (
            c.execute("SELECT count(*) FROM rounds").fetchone()[0],
            c.execute("SELECT count(*) FROM branches").fetchone()[0],
            c.execute("SELECT count(*) FROM items").fetchone()[0],
            c.execute("SELECT count(*) FROM events").fetchone()[0],
        )


def test_a_record_killed_at_any_moment_leaves_the_ledger_as_before_or_as_after(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine.sqlite"
    done = writer("record", str(pristine), "年初定级", str(BRANCHES))
    begun = started(done, "committing")
    done.communicate(timeout=60)
    assert done.returncode == 0
    duration = time.monotonic() - begun  # how long the commit (and closing) takes here
    before = counts(pristine)
    after = (before[0] + 1, before[1] + BRANCHES, before[2] + 5 * BRANCHES, before[3])
    rng = random.Random(20121210)
    seen = set()
    for attempt in range(8):
        path = tmp_path / f"ledger-{attempt}.sqlite"
        shutil.copy(pristine, path)
        proc = writer("record", str(path), "年终自查", str(BRANCHES))
        started(proc, "committing")
        time.sleep(rng.uniform(0, duration * 1.1))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        found = counts(path)
        assert found in (before, after), (attempt, found)
        seen.add(found == after)
    assert seen  # at least one kill landed; usually both outcomes occur


def test_an_import_killed_at_any_moment_leaves_every_list_imported_whole_or_not_at_all(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("kill-import")
    recorded = Recorded(folder)
    files = []
    for n in range(12):
        branch = ("JD-02", "XS-02", "XX-01")[n % 3]
        files.append(
            fill(recorded.lists[branch], folder / f"{n}-{branch}.xlsx", {0: ("已完成", f"第{n}次", None)})
        )
    rows = {f.name: len(item_ids(f)) for f in files}
    rng = random.Random(1220)
    for attempt in range(6):
        path = _copy(recorded, folder, attempt)
        proc = writer("import", str(path), *map(str, files))
        started(proc, "importing")
        time.sleep(rng.uniform(0, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        with Ledger.open(path) as led:
            assert check_ledger(led) == []
            imported = dict(led.conn.execute("SELECT sha256, file FROM imports").fetchall())
            per_file = dict(
                led.conn.execute("SELECT source_file, count(*) FROM events GROUP BY source_file").fetchall()
            )
        # each list imported whole (all its rows, and its hash noted) or not at all
        assert per_file == {name: rows[name] for name in imported.values()}


def _copy(recorded: Recorded, folder: Path, attempt: int) -> Path:
    target = folder / f"try-{attempt}"
    target.mkdir()
    return recorded.ledger(target)


def test_processes_writing_at_once_lose_no_write(tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("concurrent")
    recorded = Recorded(folder)
    path = _copy(recorded, folder, 0)
    batches = []
    for p in range(4):
        batch = []
        for n in range(6):
            branch = ("JD-02", "XS-02", "XX-01")[(p + n) % 3]
            note = f"进程{p}第{n}份"
            batch.append(
                fill(recorded.lists[branch], folder / f"{p}-{n}-{branch}.xlsx", {0: ("整改中", note, None)})
            )
        batches.append(batch)
    procs = [writer("import", str(path), *map(str, batch)) for batch in batches]
    procs.append(writer("record", str(path), "中期督查", "300"))
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    expected_events = sum(len(item_ids(f)) for batch in batches for f in batch)
    with Ledger.open(path) as led:
        assert check_ledger(led) == []
        assert led.conn.execute("SELECT count(*) FROM events").fetchone()[0] == expected_events
        assert led.conn.execute("SELECT count(*) FROM imports").fetchone()[0] == 24
        assert [r.stage for r in led.rounds()] == ["年初定级", "中期督查"]
