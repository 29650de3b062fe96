"""One run per output folder at a time: a second run is refused with a message naming the holder, and the
lock of a killed run is free again at once (an OS lock dies with its process) and taken over."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import pipeline, runs

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"

# A process that opens a run in ``out`` (argv[1]) under a recognisable command line and holds it until
# its stdin closes, or it is killed.
HOLDER = """
import sys
from pathlib import Path
from engine import runs
with runs.open_run(Path(sys.argv[1]), ["holder-command", "--marker"]) as run:
    print(run.path, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copyfile(COLLEGE / "JG-01.xlsx", folder / "JG-01.xlsx")
    return folder


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A live holder of ``tmp_path/out``'s lock, and the run folder it opened."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "out")],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:  # closes its pipes
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line, "the holder did not open its run"
            yield proc, Path(line)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def _grade(forms: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "grade", str(forms), "-o", str(out), "--workers", "0",
         "--no-progress", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_a_second_run_is_refused_naming_the_holder(
    tmp_path: Path, forms: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    proc, held = holder
    out = tmp_path / "out"
    before = sorted(p.name for p in out.iterdir())
    refused = _grade(forms, out)
    assert refused.returncode == 4, refused.stderr
    message = refused.stderr
    assert "正被另一次评定使用" in message and f"进程 {proc.pid}" in message
    assert socket.gethostname() in message and "holder-command --marker" in message
    assert "Traceback" not in message and refused.stdout == ""
    english = _grade(forms, out, "--lang", "en")
    assert english.returncode == 4 and f"in use by another run (process {proc.pid}" in english.stderr
    # nothing was written, and the holder's own run is untouched
    assert sorted(p.name for p in out.iterdir()) == before and held.is_dir()

    proc.communicate("", timeout=10)  # the holder finishes: its run is published, the lock released
    assert proc.returncode == 0 and runs.find_latest_run(out) is None  # (it wrote no manifest)
    done = _grade(forms, out)
    assert done.returncode == 0, done.stderr


def test_a_killed_holders_lock_is_taken_over(
    tmp_path: Path, forms: Path, holder: tuple[subprocess.Popen[str], Path]
) -> None:
    proc, held = holder
    out = tmp_path / "out"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stale = runs.Holder.read(out / runs.HOLDER_NAME)
    assert stale is not None and stale.pid == proc.pid  # left behind: the holder had no chance to clean

    done = _grade(forms, out)
    assert done.returncode == 0, done.stderr
    assert held.name in done.stdout and not held.exists()  # its unfinished run is cleared, and said so
    assert not (out / runs.HOLDER_NAME).exists()
    latest = runs.find_latest_run(out)
    assert latest is not None and (latest / pipeline.RESULTS_NAME).is_file()


def test_the_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with runs.open_run(out, ["first"]):
        with pytest.raises(runs.OutputBusy) as refused, runs.open_run(out, ["second"]):
            pass
        assert refused.value.holder is not None and refused.value.holder.argv == ("first",)
        assert refused.value.holder.pid == os.getpid()
    with runs.open_run(out, ["third"]):  # released
        pass
