"""A batch too small to gain from workers is graded in the calling process when no worker count is asked
for (the command line's default), with the same outputs; a file calamine would parse without the
pre-flight's checks (an .xls) still goes to a worker, where a parser crash costs only its own file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.export.i18n import label
from engine.ingest import parsed_unchecked
from engine.ingest.preflight import OLE2_MAGIC

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
FORMS = sorted(COLLEGE.glob("*.xlsx"))


def _jobs(n: int) -> list[tuple[Path, str]]:
    return [(FORMS[i % len(FORMS)], f"{i}.xlsx") for i in range(n)]


def _ole2(path: Path) -> Path:
    path.write_bytes(OLE2_MAGIC + bytes(504))  # an OLE2 header calamine would be handed as it is
    return path


@given(workers=st.integers(0, 8), n=st.integers(0, 3 * pipeline.INLINE_FILES))
def test_an_explicit_worker_count_is_kept(workers: int, n: int) -> None:
    assert pipeline.worker_count(workers, _jobs(n), small_in_process=True) == workers


@given(n=st.integers(0, 3 * pipeline.INLINE_FILES), small_in_process=st.booleans())
def test_without_a_count_only_a_small_batch_of_checked_files_runs_here(
    n: int, small_in_process: bool
) -> None:
    here = small_in_process and n <= pipeline.INLINE_FILES
    assert pipeline.worker_count(None, _jobs(n), small_in_process) == (0 if here else os.cpu_count() or 1)


def test_the_help_names_the_size_of_a_small_batch() -> None:
    assert f" {pipeline.INLINE_FILES} " in label("h_workers", "en")
    assert f" {pipeline.INLINE_FILES} " in label("h_workers", "zh")


def test_a_small_batch_holding_an_xls_goes_to_workers(tmp_path: Path) -> None:
    jobs = [*_jobs(2), (_ole2(tmp_path / "old.xls"), "old.xls")]
    assert pipeline.worker_count(None, jobs, small_in_process=True) == (os.cpu_count() or 1)


def test_what_calamine_would_parse_unchecked(tmp_path: Path) -> None:
    assert parsed_unchecked(_ole2(tmp_path / "old.xls"))
    assert not parsed_unchecked(FORMS[0])  # a zip: cleared part by part by the pre-flight
    (tmp_path / "page.xls").write_bytes(b"<html><table></table></html>")
    assert not parsed_unchecked(tmp_path / "page.xls")  # refused before any parser runs
    assert not parsed_unchecked(tmp_path / "gone.xlsx")  # unreadable: refused before any parser runs


def _no_workers(*args: Any, **kwargs: Any) -> list[pipeline.FileOutcome]:
    raise AssertionError("a worker pool was started")


def _folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for source in FORMS[:n]:
        shutil.copyfile(source, folder / source.name)
    return folder


def test_the_command_line_grades_a_small_batch_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 3)
    monkeypatch.setattr(pipeline, "run_parallel", _no_workers)
    result = CliRunner().invoke(app, ["grade", str(folder), "-o", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 0, result.output
    (run,) = [p for p in (tmp_path / "out").iterdir() if (p / pipeline.RESULTS_NAME).is_file()]
    assert len(list((run / pipeline.LIST_FOLDER["zh"]).glob("*.xlsx"))) == 3


@pytest.mark.slow
def test_in_process_and_worker_runs_write_the_same_results(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 4)
    here = pipeline.grade_folder(folder, tmp_path / "here", small_in_process=True)
    workers = pipeline.grade_folder(folder, tmp_path / "workers", workers=2)
    assert (here.out / pipeline.RESULTS_NAME).read_bytes() == (
        workers.out / pipeline.RESULTS_NAME
    ).read_bytes()
    assert [f.status for f in here.files] == [f.status for f in workers.files] == ["graded"] * 4


@pytest.mark.slow
def test_a_small_batch_with_an_xls_is_graded_by_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path, 2)
    _ole2(folder / "old.xls")
    started: list[int] = []
    real = pipeline.run_parallel

    def counted(jobs: Any, *args: Any, **kwargs: Any) -> list[pipeline.FileOutcome]:
        started.append(len(jobs))
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run_parallel", counted)
    run = pipeline.grade_folder(folder, tmp_path / "out", small_in_process=True)
    assert started == [3]
    assert [f.status for f in run.files] == ["graded", "graded", "ungradable"]
