"""The branch roster: read from .xlsx or .csv (UTF-8, UTF-8 with BOM, GBK), headers found by label, ids
compared normalised; a bad roster is a located usage error; ``grade --roster`` lists who sent nothing."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine import runs
from engine.cli import app
from engine.grading import college_kpis
from engine.roster import Roster, RosterEntry, RosterError, compare, normalise_id, read_roster
from engine.rulebook import load_profile
from schemas.batch import FileReport

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
runner = CliRunner()

HEAD = "支部编号,支部名称,所属党总支,支部类型"
ROWS = ["JD-01,机电一支部,机电党总支,教工", "JD-02,机电二支部,机电党总支,学生"]


def write_csv(path: Path, lines: list[str], encoding: str) -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_every_encoding_chinese_excel_saves(tmp_path: Path, encoding: str) -> None:
    roster = read_roster(write_csv(tmp_path / "花名册.csv", [HEAD, *ROWS], encoding))
    assert [(e.branch_id, e.branch_name, e.general_branch, e.branch_type) for e in roster.entries] == [
        ("JD-01", "机电一支部", "机电党总支", "教工"),
        ("JD-02", "机电二支部", "机电党总支", "学生"),
    ]
    assert len(roster.sha256) == 64


def test_headers_are_found_by_label_under_a_title_in_any_order(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2012年党支部花名册"])
    ws.append([])
    ws.append(["备注", "上级党组织", "党支部名称", "支部编号 *"])  # aliases, a mark, another order
    ws.append(["", "机电党总支", "机电一支部", "JD-01"])
    ws.append([])  # empty rows are skipped
    ws.append(["新", "外语党总支", "外语支部", 1001])  # an id typed as a number
    wb.save(path)
    entries = read_roster(path).entries
    assert [(e.branch_id, e.general_branch, e.row) for e in entries] == [
        ("JD-01", "机电党总支", 4),
        ("1001", "外语党总支", 6),
    ]


def test_the_blank_roster_template_reads_back_and_fills_in(tmp_path: Path) -> None:
    path = tmp_path / "花名册.xlsx"
    result = runner.invoke(app, ["template", "--roster", str(path)])
    assert result.exit_code == 0, result.output
    [empty] = errors(path)  # a roster listing no branch is refused, not read as "nobody expected"
    assert "IN-18" in empty and "lists no branch" in empty and "花名册!A2" in empty
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert [c.value for c in ws[1]] == ["支部编号 *", "支部名称 *", "所属党总支 *", "支部类型"]
    assert ws["A1"].comment is not None and "JD-01" in ws["A1"].comment.text  # the example, in a note
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert any(dv.type == "list" and "教工" in (dv.formula1 or "") for dv in rules.values())
    assert any(dv.type == "custom" and "COUNTIF" in (dv.formula1 or "") for dv in rules.values())
    ws.append(["JD-01", "机电一支部", "机电党总支", "教工"])
    wb.save(path)
    assert [e.branch_id for e in read_roster(path).entries] == ["JD-01"]
    again = runner.invoke(app, ["template", "--roster", str(path)])
    assert again.exit_code == 2  # never overwrites


def errors(path: Path) -> list[str]:
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    return [p.render("zh") + "\n" + p.render("en") for p in caught.value.problems]


def test_a_missing_column_is_located(tmp_path: Path) -> None:
    [problem] = errors(write_csv(tmp_path / "r.csv", ["支部编号,支部名称", "JD-01,一支部"], "utf-8"))
    assert "IN-15" in problem and "所属党总支" in problem and "General branch" in problem
    assert "r.csv" in problem and "A1" in problem  # the file and the header row
    [no_header] = errors(write_csv(tmp_path / "s.csv", ["编码,名字", "JD-01,一支部"], "utf-8"))
    assert "IN-15" in no_header and "支部编号" in no_header


def test_duplicate_and_blank_ids_are_located_each(tmp_path: Path) -> None:
    lines = [HEAD, *ROWS, "jd－01 ,重复支部,机电党总支,", ",无编号支部,机电党总支,"]
    found = errors(write_csv(tmp_path / "r.csv", lines, "gbk"))
    assert len(found) == 2
    duplicate, blank = found
    assert "IN-16" in duplicate and "第 2 行与第 4 行" in duplicate and "rows 2 and 4" in duplicate
    assert "A4" in duplicate
    assert "IN-17" in blank and "第 5 行" in blank and "A5" in blank


def test_an_unreadable_roster_is_an_error_not_a_crash(tmp_path: Path) -> None:
    fake = tmp_path / "r.xlsx"
    fake.write_bytes(b"\x00\x01 definitely not a workbook")
    assert any("IN-01" in e for e in errors(fake))
    binary = tmp_path / "r.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00\x00binary")
    assert any("IN-18" in e for e in errors(binary))
    assert any("IN-18" in e for e in errors(tmp_path / "missing.csv"))


FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1))
def test_ids_match_however_they_are_typed(branch_id: str) -> None:
    fullwidth = "".join(FULLWIDTH[c] for c in branch_id)
    typed = [branch_id, branch_id.lower(), f"  {branch_id}\t", fullwidth, f"\u3000{fullwidth}\u3000"]
    assert {normalise_id(t) for t in typed} == {branch_id.upper()}
    assert normalise_id(normalise_id(fullwidth)) == normalise_id(fullwidth)
    assert unicodedata.is_normalized("NFKC", normalise_id(fullwidth))


def entry(branch_id: str, row: int) -> RosterEntry:
    return RosterEntry(branch_id, f"{branch_id}支部", "党总支", "", row)


def test_compare_finds_the_missing_and_the_unknown() -> None:
    roster = Roster("r.csv", "0" * 64, (entry("JD-01", 2), entry("ｊｄ－02", 3), entry("XS-09", 4)))
    check = compare(roster, [("jd-01", "a.xlsx"), ("JD-02", "b.xlsx"), ("ZZ-01", "c.xlsx")])
    assert (check.expected, check.graded) == (3, 2)
    assert [e.branch_id for e in check.missing] == ["XS-09"]
    assert check.unknown == (("ZZ-01", "c.xlsx"),)


def test_the_completion_kpi_counts_roster_branches() -> None:
    policy = load_profile("loudi-2012").grading
    files = [FileReport(file="a.xlsx", sha256="", status="graded", branch_id="JD-01")]
    by_file = {k.code: k for k in college_kpis([], policy, files)}
    by_roster = {k.code: k for k in college_kpis([], policy, files, roster=(1, 4))}
    assert (by_file["PR-08"].numerator, by_file["PR-08"].denominator) == (1, 1)
    assert (by_roster["PR-08"].numerator, by_roster["PR-08"].denominator, by_roster["PR-08"].met) == (
        1,
        4,
        False,
    )


@pytest.mark.slow
def test_grade_with_a_roster(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    for name in ("JD-01.xlsx", "JD-02.xlsx", "LT-02.xlsx"):
        shutil.copy(COLLEGE / name, forms / name)
    roster = write_csv(
        tmp_path / "花名册.csv",
        [
            HEAD,
            "ｊｄ－０１,机电一支部,机电党总支,教工",
            "JD-02,机电二支部,机电党总支,学生",
            "WY-07,外语支部,外语党总支,",
        ],
        "gbk",
    )
    out = tmp_path / "out"
    args = ["grade", str(forms), "-o", str(out), "--workers", "0", "--no-progress", "--roster", str(roster)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "缺交" in result.output and "WY-07 外语支部（外语党总支）" in result.output
    assert "不在花名册中" in result.output and "LT-02" in result.output
    run = runs.find_latest_run(out)
    assert run is not None

    wb = openpyxl.load_workbook(run / "分类定级汇总.xlsx", read_only=True)
    missing = [list(r) for r in wb["缺交"].iter_rows(values_only=True)]
    assert missing == [
        ["支部编号", "支部名称", "所属党总支", "支部类型", "花名册行号"],
        ["WY-07", "外语支部", "外语党总支", None, 4],
    ]
    inputs = [r for r in wb["输入文件"].iter_rows(values_only=True) if r[4] == "IN-19"]
    assert [r[0] for r in inputs] == ["LT-02.xlsx"]
    kpis = {r[0]: r for r in wb["学院指标"].iter_rows(values_only=True)}
    assert kpis["PR-08"][4:6] == (2, 3)  # roster branches graded / roster branches, not files

    manifest = json.loads((run / "run-manifest.json").read_text(encoding="utf-8"))
    assert manifest["roster"]["file"] == str(roster) and len(manifest["roster"]["sha256"]) == 64
    results = json.loads((run / "results.json").read_text(encoding="utf-8"))
    lt = next(f for f in results["files"] if f["file"] == "LT-02.xlsx")
    assert lt["status"] == "graded" and [p["code"] for p in lt["problems"]][-1] == "IN-19"


def test_a_bad_roster_stops_grade_before_any_output(tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "r.csv", [HEAD, *ROWS, ROWS[0]], "utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["grade", str(COLLEGE), "-o", str(out), "--roster", str(roster), "--lang", "en"]
    )
    assert result.exit_code == 2
    assert "IN-16" in result.output and "rows 2 and 4" in result.output and "cannot be used" in result.output
    assert not out.exists()
