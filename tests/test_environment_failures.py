"""The environment fails, the tool explains: a full disk, a read-only or misplaced output folder, a file
size limit, an input folder that vanishes — one located message (zh, or en with --lang en), exit 3, no
traceback, no temporary files, the previous run intact. A single input file that vanishes is that file's
problem (IN-28) and the batch goes on."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import pipeline, runs
from engine.ingest import read_workbook
from tests.test_run_folders import snapshot

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"


def _forms(folder: Path, n: int) -> Path:
    folder.mkdir()
    sources = sorted(COLLEGE.glob("*.xlsx"))
    for i in range(n):
        shutil.copyfile(sources[i % len(sources)], folder / f"{i:02d}-{sources[i % len(sources)].name}")
    return folder


def _grade(forms: Path, out: Path, *extra: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", "grade", str(forms), "-o", str(out), "--no-progress", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False, **kwargs,  # type: ignore[call-overload]
    )  # fmt: skip


def _assert_clean_failure(done: subprocess.CompletedProcess[str], out: Path, before: dict[str, str]) -> None:
    assert done.returncode == 3, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert snapshot(out) == before
    assert not list(out.glob(f"*{runs.PARTIAL_SUFFIX}")) and not list(out.rglob("*.tmp"))


# ------------------------------------------------------------------ real errors from the OS


def test_an_output_path_under_a_regular_file(tmp_path: Path) -> None:
    forms = _forms(tmp_path / "in", 1)
    (tmp_path / "report.txt").write_text("a file", encoding="utf-8")
    out = tmp_path / "report.txt" / "results"
    zh = _grade(forms, out, "--workers", "0")
    assert zh.returncode == 3 and "Traceback" not in zh.stderr
    assert str(out) in zh.stderr and "路径中有一部分是文件而不是文件夹" in zh.stderr
    assert "已有的结果未受影响" in zh.stderr
    en = _grade(forms, out, "--workers", "0", "--lang", "en")
    assert en.returncode == 3 and "part of the path is a file, not a folder" in en.stderr
    assert (tmp_path / "report.txt").read_text(encoding="utf-8") == "a file"


def _limit_file_size() -> None:  # in the child, before it runs: files may not grow past 64 KiB
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


@pytest.mark.slow
def test_a_file_size_limit_mid_run(tmp_path: Path) -> None:
    forms, out = _forms(tmp_path / "in", 17), tmp_path / "out"
    pipeline.grade_folder(_forms(tmp_path / "small", 1), out, workers=0)
    before = snapshot(out)
    done = _grade(forms, out, "--workers", "2", preexec_fn=_limit_file_size)  # results.json is larger
    _assert_clean_failure(done, out, before)
    assert "文件超过了系统允许的大小" in done.stderr and str(out) in done.stderr


# A run's output folder on a small file system of its own (a tmpfs in a private mount namespace): the
# test runs this inside ``unshare -rm``, where mounting needs no privileges, and it reports back in JSON.
SCENARIO = r"""
import json, shutil, subprocess, sys
from pathlib import Path
from engine import pipeline
from tests.test_run_folders import snapshot

mount, forms, small, kind = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
out = mount / "out"
pipeline.grade_folder(small, out, workers=0)
before = snapshot(out)
if kind == "full":  # leave ~150 KiB: the run starts, then the disk fills while it writes
    free = shutil.disk_usage(mount).free
    with open(mount / "filler", "wb") as filler:
        filler.write(b"\0" * (free - 150 * 1024))
else:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
done = subprocess.run(
    [sys.executable, "-m", "engine", "grade", str(forms), "-o", str(out), "--workers", "2", "--no-progress",
     *sys.argv[5:]], capture_output=True, text=True, timeout=180,
)
print(json.dumps({
    "rc": done.returncode, "stderr": done.stderr, "out": str(out), "same": snapshot(out) == before,
    "left": sorted(p.name for p in out.rglob("*") if p.name.endswith((".tmp", ".partial"))),
}))
"""


def _in_namespace(tmp_path: Path, kind: str, *extra: str) -> dict[str, object]:
    unshare = shutil.which("unshare")
    usable = unshare and not subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode
    if unshare is None or not usable:
        pytest.skip("needs unshare -rm (a private mount namespace) to mount a small file system")
    mount = tmp_path / "mnt"
    mount.mkdir()
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO, encoding="utf-8")
    forms, small = _forms(tmp_path / "in", 17), _forms(tmp_path / "small", 1)
    done = subprocess.run(
        [unshare, "-rm", sys.executable, str(script), str(mount), str(forms), str(small), kind, *extra],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.slow
def test_the_disk_fills_up_mid_run(tmp_path: Path) -> None:
    result = _in_namespace(tmp_path, "full")
    assert result["rc"] == 3, result
    stderr = str(result["stderr"])
    assert "磁盘空间已满" in stderr and "清理磁盘空间" in stderr and str(result["out"]) in stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert result["same"] is True and result["left"] == []


@pytest.mark.slow
def test_a_read_only_output_folder(tmp_path: Path) -> None:
    result = _in_namespace(tmp_path, "read-only", "--lang", "en")
    assert result["rc"] == 3, result
    stderr = str(result["stderr"])
    assert "the file system is read-only" in stderr and str(result["out"]) in stderr
    assert "Traceback" not in stderr and result["same"] is True and result["left"] == []


# ------------------------------------------------------------------ inputs that vanish during the run


def vanish_on_marker(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook, a worker's task: a ``gone-*`` file is deleted just before it is read; a ``vanish-*``
    file takes its whole input folder with it."""
    for path, name in jobs:
        if name.startswith("gone-"):
            Path(path).unlink(missing_ok=True)
        if name.startswith("vanish-"):
            shutil.rmtree(Path(path).parent, ignore_errors=True)
    return pipeline._work(jobs)


@pytest.mark.slow
def test_a_file_that_vanishes_is_its_own_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_work", vanish_on_marker)
    forms = _forms(tmp_path / "in", 3)
    shutil.copyfile(COLLEGE / "XX-01.xlsx", forms / "gone-XX-01.xlsx")
    run = pipeline.grade_folder(forms, tmp_path / "out", workers=2)
    bad = [f for f in run.files if f.status == "ungradable"]
    assert [f.file for f in bad] == ["gone-XX-01.xlsx"] and run.exit_code == 1
    problem = bad[0].problems[0]
    assert problem.code == "IN-28" and "无法访问" in problem.message.zh and "accessed" in problem.message.en
    assert "重新评定" in problem.rectification.zh
    assert len(run.report.results) == 3


@pytest.mark.slow
def test_an_input_folder_that_vanishes_voids_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    pipeline.grade_folder(_forms(tmp_path / "small", 1), out, workers=0)
    before = snapshot(out)
    monkeypatch.setattr(pipeline, "_work", vanish_on_marker)
    forms = _forms(tmp_path / "in", 6)
    shutil.copyfile(COLLEGE / "XX-01.xlsx", forms / "vanish-XX-01.xlsx")
    with pytest.raises(runs.EnvironmentFailure) as failed:
        pipeline.grade_folder(forms, out, workers=2)
    assert failed.value.path == forms and failed.value.code == errno.ENOENT
    assert "可能已被移走或删除" in failed.value.text.zh and str(forms) in failed.value.text.en
    assert snapshot(out) == before and not list(out.glob(f"*{runs.PARTIAL_SUFFIX}"))


def lock_out_on_marker(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook, a worker's task: a ``lock-*`` file makes its input folder unreadable."""
    for path, name in jobs:
        if name.startswith("lock-"):
            Path(path).parent.chmod(0)
    return pipeline._work(jobs)


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not stop root")
def test_an_input_folder_that_becomes_unreadable_voids_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_work", lock_out_on_marker)
    forms = _forms(tmp_path / "in", 6)
    shutil.copyfile(COLLEGE / "XX-01.xlsx", forms / "lock-XX-01.xlsx")
    try:
        with pytest.raises(runs.EnvironmentFailure) as failed:
            pipeline.grade_folder(forms, tmp_path / "out", workers=2)
    finally:
        forms.chmod(0o755)
    assert failed.value.path == forms and failed.value.code == errno.EACCES
    assert "没有访问权限" in failed.value.text.zh and runs.find_latest_run(tmp_path / "out") is None


def test_reading_a_file_that_is_gone_is_in_14(tmp_path: Path) -> None:
    raw = read_workbook(tmp_path / "gone.xlsx")
    assert [p.code for p in raw.problems] == ["IN-28"] and raw.problems[0].evidence[0].file == "gone.xlsx"


# ------------------------------------------------------------------ injected errors


def test_an_os_error_while_writing_becomes_a_located_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms, out = _forms(tmp_path / "in", 1), tmp_path / "out"
    pipeline.grade_folder(forms, out, workers=0)
    before = snapshot(out)

    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as os.write raises it: no file name

    monkeypatch.setattr(pipeline, "write_manifest", disk_full)
    with pytest.raises(runs.EnvironmentFailure) as failed:
        pipeline.grade_folder(forms, out, workers=0)
    assert failed.value.path == out and failed.value.code == errno.ENOSPC
    assert failed.value.text.zh == (
        f"无法完成评定：{out}：磁盘空间已满。请清理磁盘空间，或换一个输出文件夹，然后重新运行。已有的结果未受影响。"
    )
    assert failed.value.text.en.startswith(f"The run could not finish: {out}: the disk is full. Free some")
    assert snapshot(out) == before and not (out / runs.HOLDER_NAME).exists()


def disk_full_in_worker(jobs: list[tuple[str, str]]) -> list[pipeline.FileOutcome]:
    """Test hook, a worker's task: writing its rectification lists finds the disk full."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/out/list.xlsx")


@pytest.mark.slow
def test_an_os_error_in_a_worker_ends_the_run_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_work", disk_full_in_worker)
    out = tmp_path / "out"
    with pytest.raises(runs.EnvironmentFailure) as failed:
        pipeline.grade_folder(_forms(tmp_path / "in", 4), out, workers=2)
    assert failed.value.path == Path("/data/out/list.xlsx") and failed.value.code == errno.ENOSPC
    assert {p.name for p in out.iterdir()} <= {runs.LOCK_NAME}  # the run folder is gone


@pytest.mark.parametrize(
    "code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR,
             errno.ENOENT, errno.EIO, errno.ELOOP]  # the last has no wording of its own
)  # fmt: skip
def test_every_cause_is_said_in_both_languages_with_the_path(code: int) -> None:
    failure = runs.EnvironmentFailure.from_os_error(OSError(code, os.strerror(code), "/x/y"), Path("/x"))
    for lang in ("zh", "en"):
        text = failure.text.get(lang)
        assert "/x/y" in text and "\n" not in text
    assert failure.text.zh != failure.text.en or code == errno.ELOOP
    assert os.strerror(code) in failure.text.en or code in (
        errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR,
        errno.ENOENT, errno.EIO,
    )  # fmt: skip
