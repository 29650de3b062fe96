"""Patterns and folders on the command line, expanded by branchgrade itself (cmd.exe passes ``*`` as typed).

``validate`` takes files, folders (every workbook under them) and patterns; ``grade`` takes a folder or a
pattern (the matched workbooks, named relative to the pattern's fixed folder). A pattern that matches
nothing, a folder without workbooks and a missing path are usage errors (exit 2) that say which.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import runs
from engine.cli import app
from engine.inputs import InputError, expand, is_pattern, pattern_root

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
runner = CliRunner()


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    """forms/JD-01.xlsx, forms/JD-02.xlsx, forms/学生/XS-01.xlsx, an Office lock file and a note."""
    folder = tmp_path / "forms"
    (folder / "学生").mkdir(parents=True)
    for name in ("JD-01.xlsx", "JD-02.xlsx"):
        shutil.copy(COLLEGE / name, folder / name)
    shutil.copy(COLLEGE / "XS-01.xlsx", folder / "学生" / "XS-01.xlsx")
    (folder / "~$JD-01.xlsx").write_bytes(b"lock")
    (folder / "说明.txt").write_text("not a form", encoding="utf-8")
    return folder


def names(args: list[str]) -> list[str]:
    return [Path(n).name for n in expand(args).names]


def test_a_literal_star_is_expanded(forms: Path) -> None:
    assert names([f"{forms}/*.xlsx"]) == ["JD-01.xlsx", "JD-02.xlsx"]  # not the lock file, not deeper
    assert names([f"{forms}/**/*.xlsx"]) == ["JD-01.xlsx", "JD-02.xlsx", "XS-01.xlsx"]
    assert names([f"{forms}/JD-0?.xlsx"]) == ["JD-01.xlsx", "JD-02.xlsx"]


def test_a_folder_means_every_workbook_under_it(forms: Path) -> None:
    assert names([str(forms)]) == ["JD-01.xlsx", "JD-02.xlsx", "XS-01.xlsx"]


def test_each_workbook_once_in_the_order_given(forms: Path) -> None:
    chosen = expand([str(forms / "JD-02.xlsx"), f"{forms}/*.xlsx", str(forms)])
    assert [p.name for p in chosen.paths] == ["JD-02.xlsx", "JD-01.xlsx", "XS-01.xlsx"]


def test_what_names_nothing_is_an_error_that_says_so(forms: Path) -> None:
    with pytest.raises(InputError) as nothing:
        expand([f"{forms}/*.ods"])
    assert "*.ods" in nothing.value.text.zh and "matches" in nothing.value.text.en
    empty = forms / "空"
    empty.mkdir()
    with pytest.raises(InputError) as no_workbook:
        expand([str(empty)])
    assert "no workbook" in no_workbook.value.text.en
    with pytest.raises(InputError) as missing:
        expand([str(forms / "nowhere.xlsx")])
    assert "not found" in missing.value.text.en


def test_pattern_helpers() -> None:
    assert is_pattern("forms/*.xlsx") and is_pattern("a?.xlsx") and is_pattern("[ab].xlsx")
    assert not is_pattern("forms/JD-01.xlsx")
    assert pattern_root("forms/*/a.xlsx") == Path("forms")
    assert pattern_root("*.xlsx") == Path(".")


def test_validate_takes_a_pattern_and_a_folder(forms: Path) -> None:
    result = runner.invoke(app, ["validate", f"{forms}/*.xlsx"])
    assert result.exit_code == 0, result.output
    assert result.output.count("未发现问题") == 2
    folder = runner.invoke(app, ["validate", str(forms), "--lang", "en"])
    assert folder.exit_code == 0, folder.output
    assert folder.output.count("no problems") == 3 and "学生/XS-01.xlsx" in folder.output


def test_validate_with_a_pattern_matching_nothing_is_a_usage_error(forms: Path) -> None:
    zh = runner.invoke(app, ["validate", f"{forms}/*.xls"])
    assert zh.exit_code == 2 and "没有与" in zh.output
    en = runner.invoke(app, ["validate", f"{forms}/*.xls", "--lang", "en"])
    assert en.exit_code == 2 and "no workbook" in en.output and "没有" not in en.output


@pytest.mark.slow
def test_grade_takes_a_pattern(forms: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["grade", f"{forms}/**/XS-*.xlsx", "-o", str(out), "--workers", "0", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    latest = runs.find_latest_run(out)
    assert latest is not None
    manifest = json.loads((latest / "run-manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["inputs"]) == ["学生/XS-01.xlsx"]  # named relative to the pattern's folder


def test_grade_with_a_pattern_matching_nothing_writes_nothing(forms: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["grade", f"{forms}/*.csv", "-o", str(out), "--lang", "en"])
    assert result.exit_code == 2 and "no workbook" in result.output
    assert not out.exists()
