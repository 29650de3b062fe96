"""Run folders: every run writes a new folder that becomes the current result only when complete, so a
re-run — failed, interrupted or successful — never destroys the last good run."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import pipeline, runs

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"


def _forms(folder: Path, names: tuple[str, ...] = ("JG-01.xlsx", "XS-01.xlsx")) -> Path:
    folder.mkdir()
    for name in names:
        shutil.copyfile(COLLEGE / name, folder / name)
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256): what "byte-identical" is checked against."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_each_run_is_a_new_folder_and_the_pointer_names_the_latest(tmp_path: Path) -> None:
    forms, out = _forms(tmp_path / "in"), tmp_path / "out"
    first = pipeline.grade_folder(forms, out, workers=0)
    assert first.out.parent == out and (first.out / pipeline.RESULTS_NAME).is_file()
    assert runs.find_latest_run(out) == first.out
    before = snapshot(first.out)
    second = pipeline.grade_folder(forms, out, workers=0, lang="en")
    assert second.out != first.out and snapshot(first.out) == before  # kept, untouched
    assert runs.complete_runs(out) == [first.out, second.out]
    assert runs.find_latest_run(out) == second.out
    assert (out / runs.POINTER_NAME).read_text(encoding="utf-8").splitlines()[0] == second.out.name
    manifest = json.loads((second.out / runs.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["inputs"]) == ["JG-01.xlsx", "XS-01.xlsx"]
    # nothing but runs, the pointer (and the lock's file, where the system keeps it) in the output
    # folder: no unfinished run, no temporary file, no holder record
    assert {p.name for p in out.iterdir()} - {runs.LOCK_NAME} == {
        first.out.name, second.out.name, runs.POINTER_NAME
    }


def test_a_run_that_fails_midway_leaves_the_previous_run_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forms, out = _forms(tmp_path / "in"), tmp_path / "out"
    good = pipeline.grade_folder(forms, out, workers=0)
    before, pointer = snapshot(out), (out / runs.POINTER_NAME).read_bytes()

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("stopped after the rectification lists were written")

    monkeypatch.setattr(pipeline, "write_manifest", fail)  # everything else of the run is written by then
    with pytest.raises(RuntimeError, match="stopped"):
        pipeline.grade_folder(forms, out, workers=0)
    assert snapshot(out) == before and (out / runs.POINTER_NAME).read_bytes() == pointer
    assert runs.find_latest_run(out) == good.out
    assert not (out / runs.HOLDER_NAME).exists()  # the lock was released with its holder record


def test_run_ids_sort_by_time_and_are_disambiguated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    fixed = datetime(2026, 12, 3, 9, 15, 0)

    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Clock:  # type: ignore[override]
            return cls.fromtimestamp(fixed.timestamp())

    monkeypatch.setattr(runs, "datetime", Clock)
    made = []
    for _ in range(3):
        with runs.open_run(out) as run:
            (run.path / runs.MANIFEST_NAME).write_text("{}", encoding="utf-8")
        made.append(run.final.name)
    assert made == ["20261203-091500", "20261203-091500-2", "20261203-091500-3"]
    assert [p.name for p in runs.complete_runs(out)] == made


def test_the_next_run_clears_what_a_killed_run_left(tmp_path: Path) -> None:
    forms, out = _forms(tmp_path / "in", ("JG-01.xlsx",)), tmp_path / "out"
    good = pipeline.grade_folder(forms, out, workers=0)
    kept = snapshot(good.out)
    # a run killed by SIGKILL: its unfinished run folder (with a half-written temporary file), a temporary
    # pointer, and the earlier single-run layout's outputs and temporary file at the top
    partial = out / ("20261203-235959" + runs.PARTIAL_SUFFIX)
    (partial / pipeline.LIST_FOLDER["zh"]).mkdir(parents=True)
    (partial / ".results.json.0123abcd.tmp").write_text('{"half": ', encoding="utf-8")
    (out / f".{runs.POINTER_NAME}.89abcdef.tmp").write_text("2026", encoding="utf-8")
    (out / ".results.json.00000000.tmp").write_text("{", encoding="utf-8")
    (out / pipeline.RESULTS_NAME).write_text("{}", encoding="utf-8")  # an earlier version's result: kept
    assert runs.find_latest_run(out) == good.out  # an unfinished run is never taken for a result

    run = pipeline.grade_folder(forms, out, workers=0)
    assert sorted(run.cleared) == sorted(
        [partial.name, f".{runs.POINTER_NAME}.89abcdef.tmp", ".results.json.00000000.tmp"]
    )
    assert not partial.exists() and list(out.rglob("*.tmp")) == []
    assert snapshot(good.out) == kept and (out / pipeline.RESULTS_NAME).read_text(encoding="utf-8") == "{}"
    assert runs.find_latest_run(out) == run.out


@pytest.mark.parametrize(
    "stranger", ["notes.txt", ".notes.txt.0123abcd.tmp", "20261203-091500"]  # the last: a file, not a run
)
def test_an_output_folder_holding_other_files_is_not_touched(tmp_path: Path, stranger: str) -> None:
    forms, out = _forms(tmp_path / "in", ("JG-01.xlsx",)), tmp_path / "out"
    out.mkdir()
    (out / stranger).write_text("the user's", encoding="utf-8")
    with pytest.raises(pipeline.UsageError, match=re.escape(stranger)):
        pipeline.grade_folder(forms, out, workers=0)
    assert sorted(p.name for p in out.iterdir()) == [stranger]


def test_an_output_path_that_is_a_file_is_a_usage_error(tmp_path: Path) -> None:
    forms, out = _forms(tmp_path / "in", ("JG-01.xlsx",)), tmp_path / "out"
    out.write_text("a file", encoding="utf-8")
    with pytest.raises(pipeline.UsageError, match="不是文件夹"):
        pipeline.grade_folder(forms, out, workers=0)
    assert out.read_text(encoding="utf-8") == "a file"


_RUN_NAMES = st.builds(
    lambda day, second, number: f"202612{day:02d}-0915{second:02d}" + (f"-{number}" if number > 1 else ""),
    st.integers(1, 28),
    st.integers(0, 59),
    st.integers(1, 12),
)


@settings(max_examples=40, deadline=None)
@given(
    complete=st.sets(_RUN_NAMES, max_size=5),
    unfinished=st.sets(_RUN_NAMES, max_size=3),
    pointer=st.one_of(st.none(), _RUN_NAMES, st.just("garbage")),
)
def test_the_latest_run_is_the_pointer_or_else_the_newest_complete_one(
    tmp_path_factory: pytest.TempPathFactory, complete: set[str], unfinished: set[str], pointer: str | None
) -> None:
    out = tmp_path_factory.mktemp("out")
    for name in complete:
        (out / name).mkdir()
        (out / name / runs.MANIFEST_NAME).write_text("{}", encoding="utf-8")
    for name in unfinished - complete:  # killed: a partial folder, or one renamed without a manifest
        (out / (name + runs.PARTIAL_SUFFIX)).mkdir()
        (out / name).mkdir()
    if pointer is not None:
        (out / runs.POINTER_NAME).write_text(pointer + "\n", encoding="utf-8")

    def key(name: str) -> tuple[str, int]:
        base, _, number = name.partition("-0915")
        seconds, _, n = number.partition("-")
        return (base + seconds, int(n or 1))

    expected = (
        pointer
        if pointer in complete
        else max(complete, key=key)
        if complete
        else None
    )
    latest = runs.find_latest_run(out)
    assert (latest.name if latest else None) == expected
    assert [p.name for p in runs.complete_runs(out)] == sorted(complete, key=key)


def test_a_run_folder_is_published_by_one_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The publishing step is a rename of the whole folder: a crash before it leaves a .partial (no
    result); after it, a complete run the fallback finds even if the pointer was not yet rewritten."""
    out = tmp_path / "out"
    renames: list[tuple[str, str]] = []
    real_rename = os.rename

    def rename(src: str | Path, dst: str | Path) -> None:
        renames.append((Path(src).name, Path(dst).name))
        real_rename(src, dst)

    monkeypatch.setattr(runs.os, "rename", rename)
    with runs.open_run(out) as run:
        (run.path / runs.MANIFEST_NAME).write_text("{}", encoding="utf-8")
        assert run.path.name.endswith(runs.PARTIAL_SUFFIX)
    assert renames == [(run.final.name + runs.PARTIAL_SUFFIX, run.final.name)]
    (out / runs.POINTER_NAME).unlink()
    assert runs.find_latest_run(out) == run.final
