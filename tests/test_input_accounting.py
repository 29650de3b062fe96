"""Every entry of the input folder is accounted for: graded, not gradable (with the reason), not a
grading workbook (with the reason and the fix), or an earlier output of this tool (skipped, by its stamp).

The console lists the counts per category and the names of the entries not graded; the summary's inputs
sheet lists every entry; the completion KPI counts grading workbooks only."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.export.stamp import read_output_stamp
from engine.export.template import write_template
from tests.intake_helpers import COLLEGE, place, sheet_rows

runner = CliRunner()


def _stamped(path: Path, value: str) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write(0, 0, "XS-05")
    wb.set_custom_property("branchgrade.output", value)
    wb.close()
    return path


def test_the_stamp_is_read_back(tmp_path: Path) -> None:
    assert read_output_stamp(_stamped(tmp_path / "a.xlsx", "整改清单 0.1.0")) == "整改清单 0.1.0"
    assert read_output_stamp(_stamped(tmp_path / "b.xlsx", "summary 0.1.0")) == "summary 0.1.0"
    assert read_output_stamp(_stamped(tmp_path / "c.xlsx", "something else")) is None
    write_template(tmp_path / "template.xlsx")
    assert read_output_stamp(tmp_path / "template.xlsx") is None  # the blank form is a form
    assert read_output_stamp(COLLEGE / "JG-01.xlsx") is None
    (tmp_path / "not-a-zip.xlsx").write_bytes(b"<html></html>")
    assert read_output_stamp(tmp_path / "not-a-zip.xlsx") is None
    with zipfile.ZipFile(tmp_path / "dtd.xlsx", "w") as z:  # a DTD is never handed to the parser
        z.writestr(
            "docProps/custom.xml",
            '<!DOCTYPE x [<!ENTITY e "整改清单">]><Properties xmlns="http://schemas.openxmlformats.org/'
            'officeDocument/2006/custom-properties"><property name="branchgrade.output">&e;</property>'
            "</Properties>",
        )
    assert read_output_stamp(tmp_path / "dtd.xlsx") is None


NOT_WORKBOOKS = {
    "表格.et": "WPS 默认保存为 .et，请另存为 .xlsx",
    "data.csv": "定级模板",
    "binary.xlsb": "另存为",
    "mac.numbers": "导出为",
    "scan.pdf": "定级模板",
    "photo.JPG": "定级模板",
    "说明.docx": "定级模板",
    "forms.zip": "重新压缩",  # not a zip at all
    "notes.foo": "定级模板",
    "README": "定级模板",
    "~$JG-01.xlsx": "自动消失",
    ".hidden.xlsx": "无需处理",
    ".git": "无需处理",  # a hidden folder: one entry, not walked
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if sys.platform == "win32":
        pytest.skip("links and FIFOs as POSIX makes them")
    folder = tmp_path_factory.mktemp("everything")
    place(folder, "JG-01.xlsx", COLLEGE / "JG-01.xlsx")
    (folder / "broken.xlsx").write_bytes(b"not a workbook")
    for name in NOT_WORKBOOKS:
        if name == ".git":
            place(folder, ".git/objects/x.xlsx", COLLEGE / "XS-01.xlsx")
        else:
            (folder / name).write_bytes(b"x")
    os.symlink(folder / "nowhere.xlsx", folder / "gone.xlsx")
    os.symlink(folder / "loop.xlsx", folder / "loop.xlsx")
    os.symlink(folder / ".git", folder / "linked-folder")
    os.mkfifo(folder / "pipe.xlsx")  # opening it would block: it must never be opened
    (folder / "sub").mkdir()
    os.symlink(folder / "JG-01.xlsx", folder / "sub" / "link-to-JG-01.xlsx")
    _stamped(folder / "sub" / "JG-01 机关第一党支部.xlsx", "整改清单 0.1.0")
    _stamped(folder / "分类定级汇总.xlsx", "汇总 0.1.0")
    (folder / "empty-subfolder").mkdir()
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_every_entry_is_accounted_for(folder: Path, tmp_path: Path, workers: int) -> None:
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=workers)
    status = {f.file: f.status for f in run.files}
    assert status["JG-01.xlsx"] == "graded" and status["broken.xlsx"] == "ungradable"
    assert status["sub/link-to-JG-01.xlsx"] == "copy"  # a link to a form reads as that form: counted once
    for name in (*NOT_WORKBOOKS, "gone.xlsx", "loop.xlsx", "linked-folder", "pipe.xlsx"):
        assert status[name] == "not_workbook", name
    assert status["sub/JG-01 机关第一党支部.xlsx"] == status["分类定级汇总.xlsx"] == "output"
    assert (
        len(run.files) == len(NOT_WORKBOOKS) + 9
    )  # nothing else, nothing twice (.git's inside is not walked)
    fixes = {f.file: f.problems[0].rectification.zh for f in run.files if f.status == "not_workbook"}
    for name, fix in NOT_WORKBOOKS.items():
        assert fix in fixes[name], (name, fixes[name])
    assert {f.file: f.problems[0].code for f in run.files if f.file in ("gone.xlsx", "loop.xlsx")} == {
        "gone.xlsx": "IN-24",
        "loop.xlsx": "IN-24",
    }
    assert run.exit_code == 1  # broken.xlsx; the others do not fail the run
    # the completion KPI counts grading workbooks only
    (files_kpi,) = [k for k in run.kpis if k.code == "PR-08"]
    assert (files_kpi.numerator, files_kpi.denominator) == (1, 2)
    # the summary lists every entry, and the tally adds up
    summary = run.out / pipeline.SUMMARY_NAME["zh"]
    assert {row[0] for row in sheet_rows(summary, "输入文件")[1:]} == set(status)
    tally = dict(sheet_rows(summary, "输入统计")[1:])
    assert tally["文件夹中的文件"] == len(status)
    assert (tally["已评定"], tally["无法评定"], tally["副本（不重复计算）"]) == (1, 1, 1)
    assert tally["本工具的输出（已跳过）"] == 2 and tally["不是定级工作簿"] == len(NOT_WORKBOOKS) + 4


@pytest.mark.slow
def test_the_console_counts_and_names_what_was_not_graded(folder: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["grade", str(folder), "-o", str(tmp_path / "out"), "--workers", "0", "--no-progress"]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        f"不是定级工作簿 {len(NOT_WORKBOOKS) + 4}" in result.output
        and "本工具的输出（已跳过） 2" in result.output
    )
    for name in ("表格.et", "forms.zip", "pipe.xlsx", "分类定级汇总.xlsx", "broken.xlsx"):
        assert name in result.output, name
    assert "WPS 默认保存为 .et，请另存为 .xlsx" in result.output


def test_an_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "in" / "nothing-here").mkdir(parents=True)
    result = runner.invoke(app, ["grade", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-progress"])
    assert result.exit_code == 2 and "空的" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_folder_of_earlier_outputs_grades_nothing_and_fails_nothing(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    _stamped(tmp_path / "in" / "JG-01 机关第一党支部.xlsx", "整改清单 0.1.0")
    run = pipeline.grade_folder(tmp_path / "in", tmp_path / "out", workers=0)
    assert [f.status for f in run.files] == ["output"] and run.exit_code == 0
    assert run.files[0].problems[0].code == "IN-23" and "整改清单" in run.files[0].problems[0].message.zh


def _gbk_zip(path: Path, members: dict[bytes, bytes]) -> Path:
    """A zip as Chinese Windows makes it: member names in GBK, without the UTF-8 flag (zipfile always
    sets the flag for non-ASCII names, so each name is written as ASCII of the same length, then patched)."""
    placeholders = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, (name, data) in enumerate(members.items()):
            stand_in = "QZXJV"[n] * len(name)
            placeholders[stand_in.encode()] = name
            z.writestr(stand_in, data)
    raw = path.read_bytes()
    for stand_in, name in placeholders.items():
        assert raw.count(stand_in) == 2  # the local header and the central directory
        raw = raw.replace(stand_in, name)
    path.write_bytes(raw)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_the_members_of_a_zip_are_graded(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "in"
    place(folder, "JG-01.xlsx", COLLEGE / "JG-01.xlsx")
    jg01, xs01 = (COLLEGE / "JG-01.xlsx").read_bytes(), (COLLEGE / "XS-01.xlsx").read_bytes()
    _gbk_zip(
        folder / "各支部.zip",
        {
            "学生支部.xlsx".encode("gbk"): xs01,
            "机关/副本.xlsx".encode("gbk"): jg01,  # the same bytes as JG-01.xlsx outside: a copy
            b"../../escape.xlsx": (COLLEGE / "LT-01.xlsx").read_bytes(),  # must not leave the scratch folder
            "表格.et".encode("gbk"): b"x",
            b"inner.zip": b"PK",
        },
    )
    run = pipeline.grade_folder(folder, tmp_path / "out", workers=workers)
    status = {f.file: f.status for f in run.files}
    assert status == {
        "JG-01.xlsx": "graded",
        "各支部.zip/../../escape.xlsx": "graded",
        "各支部.zip/\\xbb\\xfa\\xb9\\xd8/\\xb8\\xb1\\xb1\\xbe.xlsx [GBK: 各支部.zip/机关/副本.xlsx]": "copy",
        "各支部.zip/inner.zip": "not_workbook",
        "各支部.zip/\\xd1\\xa7\\xc9\\xfa\\xd6\\xa7\\xb2\\xbf.xlsx [GBK: 各支部.zip/学生支部.xlsx]": "graded",
        "各支部.zip/\\xb1\\xed\\xb8\\xf1.et [GBK: 各支部.zip/表格.et]": "not_workbook",
    }
    assert run.exit_code == 0
    assert sorted(name.split(" ")[0] for name in lists_of(run)) == ["JG-01", "LT-01", "XS-01"]
    assert not (tmp_path / "escape.xlsx").exists() and not any(tmp_path.glob("**/escape.xlsx"))
    zipped = [f for f in run.files if f.file.startswith("各支部.zip/") and f.status == "graded"]
    assert all(len(f.sha256) == 64 for f in zipped)
    inner = next(f for f in run.files if f.file == "各支部.zip/inner.zip")
    assert "解压后再评定" in inner.problems[0].rectification.zh


def lists_of(run: pipeline.BatchRun) -> list[str]:
    return sorted(p.name for p in (run.out / pipeline.LIST_FOLDER["zh"]).iterdir())
