"""engine.export: the 整改清单 and summary workbooks, results.json, the manifest and atomic writes.

Results are built by hand (no pipeline) so these tests pin the export contract on its own and run fast.
"""

from __future__ import annotations

import ast
import io
import json
import re
import typing
from datetime import date
from pathlib import Path
from typing import get_args, get_origin

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import engine
from engine.export import branch_list
from engine.export.atomic import atomic_path, atomic_write_bytes
from engine.export.branch_list import write_branch_list
from engine.export.results_json import (
    CHECKED_FLOAT_FIELDS,
    MAP_FIELDS,
    ResultsJsonWriter,
    result_element_bytes,
    results_json_bytes,
    write_manifest,
    write_results_json,
)
from engine.export.summary import write_summary
from engine.export.template import write_template
from schemas.batch import BatchReport, FileReport, Kpi, ProfileRef
from schemas.common import Evidence, Finding, Severity, Source, Status, Text
from schemas.results import BranchResult
from tests import builders
from tests.builders import GRADES, OL02_MESSAGE, branch_result, identity, rule_trace, score, t

PROFILE_REF = ProfileRef(
    name="loudi-2012",
    title=t("娄底职院2012年基层组织建设年分类定级", "Loudi 2012"),
    year=2012,
    sha256="ef" * 32,
)

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ('=HYPERLINK("http://example.invalid","点我")', "+1+1", "-1", "@SUM(1)", "\t=1", "\r=1", "=1+1")

# the columns of a rectification item, in the 整改清单 and in the summary's 整改事项 sheet
ITEM_COLUMNS = ["规则编号", "指标", "存在问题", "依据", "整改措施", "责任人", "整改时限", "整改状态"]
LEDGER_COLUMNS = ["完成情况", "完成日期", "跟踪说明", "事项编号"]
SOURCE = Source(document="娄职院委函[2012]3号", clause="三(二)3", text="坚持每月召开一次支委会")


def finding(code: str, message: str = OL02_MESSAGE, n_cells: int = 2) -> Finding:
    return builders.finding(
        code,
        message,
        title=t(f"{code} 标题", f"{code} title"),
        ctx={"expected": 1, "actual": 0, "shortfall": "5月、7月"},
        evidence=tuple(Evidence(file="b1.xlsx", sheet="会议活动", cell=f"A{12 + i}") for i in range(n_cells)),
        source=SOURCE,
        deduction=2.0,
    )


def make_result(
    branch_id: str = "B001",
    *,
    grade: str = "C",
    items: tuple[Finding, ...] | None = None,
    general_branch: str | None = "机电工程学院党总支",
    branch_type: str = "教工",
    name: str = "机电系第一党支部",
) -> BranchResult:
    items = (finding("OL-02"), finding("ED-08", "党员季度平均学时不足", 12)) if items is None else items
    scores = (
        score("leader", t("党组织带头人", "Leadership"), 15, 1),
        score("systems", t("工作制度", "Working systems"), 10, 2.5),
    )
    trace = (
        rule_trace(
            "OL-02",
            t("每月召开一次支委会", "A committee meeting every month"),
            "systems",
            Status.FAILED,
            ctx={"expected": 1, "actual": 0},
            facts=("committee_meetings_min_month",),
            deduction=2,
        ),
        rule_trace("ED-08", t("党员学时", "Member hours"), "leader", Status.NOT_EVIDENCED, deduction=1),
        rule_trace("OL-05", t("组织生活", "Org life"), "systems", Status.NOT_APPLICABLE),
        rule_trace(
            "OL-01",
            t("三会一课", "Three meetings"),
            "systems",
            Status.PASSED,
            ctx={"expected": 1, "actual": 3, "ratio": 0.5},
        ),
    )
    return branch_result(
        identity=identity(
            file=f"{branch_id}.xlsx",
            branch_id=branch_id,
            branch_name=name,
            branch_type=branch_type,
            general_branch=general_branch,
        ),
        scores=scores,
        total=86.5,
        score_grade=GRADES["B"],
        grade=GRADES[grade],
        items=items,
        trace=trace,
        facts={"full_members": 12, "satisfaction_rate": 0.85, "has_committee": True, "assessment_year": 2012},
        fact_evidence={
            "committee_meetings_min_month": (Evidence(file="b1.xlsx", sheet="会议活动", cell="A12"),),
            "assessment_year": (Evidence(file="b1.xlsx", sheet="基本信息", cell="B6", value="2012"),),
        },
    )


def make_report(results: tuple[BranchResult, ...] | None = None) -> BatchReport:
    results = (
        (
            make_result("B001"),
            make_result("B002", grade="A", items=(), branch_type="学生", name="学生第一党支部"),
            make_result("B003", grade="D", general_branch=None, items=(finding("OL-02"),)),
        )
        if results is None
        else results
    )
    problem = Finding(
        code="IN-05",
        severity=Severity.ERROR,
        title=t("日期无法识别", "Unreadable date"),
        message=t("会议日期“2012-13-01”无法识别", "Meeting date 2012-13-01 is not a date"),
        evidence=(Evidence(file="bad.xlsx", sheet="会议活动", cell="A7", value="2012-13-01"),),
        rectification=t("填写为 2012-12-01 格式的日期", "Enter a date like 2012-12-01"),
    )
    files = (
        *(
            FileReport(file=i.file, sha256=i.sha256, status="graded", branch_id=i.branch_id)
            for i in (r.identity for r in results)
        ),
        FileReport(file="bad.xlsx", sha256="cd" * 32, status="ungradable", problems=(problem,)),
    )
    return BatchReport(
        tool_version="0.1.0",
        profiles=(PROFILE_REF,),
        results=results,
        files=files,
        kpis=(
            Kpi(
                code="TG-01",
                title=t("先进支部占比≥90%", "≥90% Advanced"),
                target=0.9,
                actual=1 / 3,
                numerator=1,
                denominator=3,
                met=False,
            ),
        ),
    )


def column(ws: openpyxl.worksheet.worksheet.Worksheet, header_row: int, header: str) -> int:
    for cell in ws[header_row]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no column {header!r} in row {header_row}")


def find_row(ws: openpyxl.worksheet.worksheet.Worksheet, first: str) -> int:
    for row in ws.iter_rows():
        if row[0].value == first:
            return int(row[0].row)
    raise AssertionError(f"no row starting {first!r}")


# ---------------------------------------------------------------- the 整改清单


def test_branch_list_zh_content_and_print_setup(tmp_path: Path) -> None:
    path = tmp_path / "B001.xlsx"
    write_branch_list(make_result(), path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["整改清单"]
    ws = wb.active
    assert ws["A1"].value == "机电系第一党支部整改清单"
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for needed in (
        "支部名称",
        "上级党组织",
        "机电工程学院党总支",
        "支部类型",
        "支部书记",
        "张三",
        "考核年度",
        "2012",
    ):
        assert needed in texts
    grade = next(v for v in texts if v.startswith("一般"))
    assert "较好" in grade and "满意率" in grade  # score band and the cap's reason both shown
    assert any("党组织带头人 14/15" in v and "工作制度 7.5/10" in v for v in texts)

    head = find_row(ws, "序号")
    headers = [c.value for c in ws[head]]
    assert headers == ["序号", *ITEM_COLUMNS, *LEDGER_COLUMNS]
    first = ws[head + 1]
    assert [first[0].value, first[1].value, first[2].value] == [1, "OL-02", "工作制度"]
    assert first[3].value.startswith("支委会") and "（单元格：会议活动!A12、A13）" in first[3].value
    assert "娄职院委函[2012]3号 三(二)3" in first[4].value
    assert first[7].value.date() == date(2013, 1, 31)
    assert first[8].value == "未开始" and first[9].value is None and first[10].value is None
    assert first[12].value == "B001/OL-02"  # the item's identity (written without a round: none in it)
    assert first[12].protection.locked and not first[10].protection.locked and ws.protection.sheet
    # 12 cells: the list stops at 8 and says how many there are
    assert "等共12处" in ws[head + 2][3].value
    assert ws[head + 2][1].value == "ED-08"

    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].type == "list"
    assert dv[0].formula1 == '"未开始,整改中,已完成"'
    assert str(dv[0].sqref) == f"I{head + 1}:I{head + 2}"

    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9
    # xlsxwriter omits fitToWidth="1", the OOXML default; fitToHeight 0 means "as many pages as needed".
    assert int(ws.page_setup.fitToWidth or 1) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${head}:${head}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    assert ws[f"D{head + 1}"].alignment.wrap_text


def test_branch_list_english(tmp_path: Path) -> None:
    path = tmp_path / "B001.xlsx"
    write_branch_list(make_result(), path, lang="en")
    ws = openpyxl.load_workbook(path).active
    assert ws.title == "Rectification list"
    assert ws["A1"].value == "机电系第一党支部 — Rectification list"
    head = find_row(ws, "No.")
    assert [c.value for c in ws[head]][:4] == ["No.", "Rule", "Indicator", "Problem"]
    assert ws[head + 1][2].value == "Working systems"
    assert ws[head + 1][8].value == "Not started"
    assert "(cells: 会议活动!A12, A13)" in ws[head + 1][3].value
    assert ws.data_validations.dataValidation[0].formula1 == '"Not started,In progress,Done"'


def test_branch_list_without_items(tmp_path: Path) -> None:
    path = tmp_path / "B002.xlsx"
    write_branch_list(make_result(items=(), grade="A"), path)
    ws = openpyxl.load_workbook(path).active
    head = find_row(ws, "序号")
    assert ws[head + 1][0].value == "无整改事项"
    assert not ws.data_validations.dataValidation


def test_a_column_inserted_into_columns_lands_where_it_was_inserted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COLUMNS drives the item table: headers, cells, widths, merges, the dropdown and the print area."""
    extra = branch_list.Column("rule_title", 20, "wrapped", lambda r, item, lang: item.title.get(lang))
    columns = list(branch_list.COLUMNS)
    columns.insert(4, extra)  # between 存在问题 and 依据
    monkeypatch.setattr(branch_list, "COLUMNS", tuple(columns))
    path = tmp_path / "B001.xlsx"
    write_branch_list(make_result(), path)
    ws = openpyxl.load_workbook(path).active
    head = find_row(ws, "序号")
    headers = [c.value for c in ws[head]]
    assert headers == ["序号", *ITEM_COLUMNS[:3], "问题", *ITEM_COLUMNS[3:], *LEDGER_COLUMNS]
    first = [c.value for c in ws[head + 1]]
    assert first[:5] == [1, "OL-02", "工作制度", first[3], "OL-02 标题"] and first[3].startswith("支委会")
    assert first[5].startswith("娄职院委函") and first[8].date() == date(2013, 1, 31)
    assert first[9:] == ["未开始", None, None, None, "B001/OL-02"]
    row = head + 1
    assert ws[f"E{row}"].alignment.wrap_text and not ws[f"K{row}"].protection.locked  # 完成情况 moved to K
    assert ws.column_dimensions["E"].width == 20.7109375 and ws.column_dimensions["K"].width == 26.7109375
    assert str(ws.data_validations.dataValidation[0].sqref) == f"J{head + 1}:J{head + 2}"
    assert "A1:N1" in {str(r) for r in ws.merged_cells.ranges} and "C2:N2" in {
        str(r) for r in ws.merged_cells.ranges
    }
    end = head + 2 + branch_list.SIGN_OFF_GAP + len(branch_list.SIGN_OFF_ROWS)  # the sign-off block last
    assert ws.print_area == f"'整改清单'!$A$1:$N${end}" and ws.dimensions == f"A1:N{end}"
    assert f"C{end}:N{end}" in {str(r) for r in ws.merged_cells.ranges}  # the sign-off spans the new column


def test_the_list_ends_with_a_sign_off_block_dated_when_issued(tmp_path: Path) -> None:
    path = tmp_path / "B001.xlsx"
    write_branch_list(make_result(), path, issued=date(2012, 12, 12))
    ws = openpyxl.load_workbook(path).active
    head = find_row(ws, "序号")
    first = head + 2 + branch_list.SIGN_OFF_GAP + 1  # after the two items and one blank row
    labels = [ws.cell(first + i, 1).value for i in range(4)]
    assert labels == ["清单下发日期", "支部书记签字", "签字日期", "党总支意见"]
    assert ws.cell(first, 3).value.date() == date(2012, 12, 12)
    for row in range(first + 1, first + 4):  # left to fill in: blank and unlocked
        assert ws.cell(row, 3).value is None and not ws.cell(row, 3).protection.locked
    assert ws.cell(first + 2, 3).number_format == ws.cell(first, 3).number_format  # 签字日期 is a date
    assert ws.row_dimensions[first + 3].height >= 60  # room for a handwritten opinion
    assert ws.max_row == first + 3 and ws.print_area.endswith(f"${first + 3}")
    without = tmp_path / "B002.xlsx"
    write_branch_list(make_result(items=()), without, lang="en")
    ws = openpyxl.load_workbook(without).active
    assert [ws.cell(r, 1).value for r in range(ws.max_row - 3, ws.max_row + 1)] == [
        "List issued on",
        "Branch secretary's signature",
        "Date signed",
        "General branch's opinion",
    ]
    assert ws.cell(ws.max_row - 3, 3).value is None  # no issue date given: left blank


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_outputs_carry_the_stamp_and_the_blank_template_does_not(tmp_path: Path, lang: str) -> None:
    """Our own outputs say so (another part of branchgrade skips them in an input folder); the form users
    fill and send back must not, or a filled form would be skipped."""
    list_path, summary_path = tmp_path / "list.xlsx", tmp_path / "summary.xlsx"
    blank = tmp_path / "blank.xlsx"
    write_branch_list(make_result(), list_path, lang=lang)  # type: ignore[arg-type]
    write_summary(make_report(), summary_path, lang=lang)  # type: ignore[arg-type]
    write_template(blank)

    def stamp(path: Path) -> dict[str, object]:
        return {p.name: p.value for p in openpyxl.load_workbook(path).custom_doc_props.props}

    assert stamp(list_path) == {"branchgrade.output": f"整改清单 {engine.__version__} branch=B001"}
    assert stamp(summary_path) == {"branchgrade.output": f"汇总 {engine.__version__}"}
    assert stamp(blank) == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_text_is_never_a_formula(tmp_path: Path, lang: str) -> None:
    items = tuple(finding(f"XX-{i:02d}", message=m) for i, m in enumerate(HOSTILE))
    result = make_result(items=items, name=HOSTILE[0], general_branch="+1+1")
    bad = result.model_copy(
        update={
            "identity": result.identity.model_copy(update={"secretary": "@SUM(1)", "branch_type": "-1"}),
            "items": tuple(
                i.model_copy(update={"message": Text(zh=m, en=m), "rectification": Text(zh=m, en=m)})
                for i, m in zip(items, HOSTILE, strict=True)
            ),
        }
    )
    list_path, summary_path = tmp_path / "list.xlsx", tmp_path / "summary.xlsx"
    write_branch_list(bad, list_path, lang=lang)  # type: ignore[arg-type]
    write_summary(make_report((bad,)), summary_path, lang=lang)  # type: ignore[arg-type]
    for path in (list_path, summary_path):
        wb = openpyxl.load_workbook(path)
        seen: set[str] = set()
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", (path.name, ws.title, c.coordinate, c.value)
                    if isinstance(c.value, str):
                        # xlsxwriter stores CR as Excel's escape _x000D_, which Excel decodes and openpyxl
                        # does not; either way the cell is text.
                        seen.update(h for h in HOSTILE if c.value.startswith((h, h.replace("\r", "_x000D_"))))
        assert seen == set(HOSTILE), path.name


def test_branch_list_keeps_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "B001.xlsx"
    path.write_bytes(b"old")
    bad = make_result().model_copy(update={"scores": None})  # breaks the writer midway
    with pytest.raises(TypeError):
        write_branch_list(bad, path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["B001.xlsx"]


# ---------------------------------------------------------------- the summary workbook

SUMMARY_SHEETS = ["总览", "汇总", "等次分布", "整改事项", "常见问题", "学院指标", "输入文件", "输入统计"]


def test_summary_sheets_and_content(tmp_path: Path) -> None:
    path = tmp_path / "summary.xlsx"
    report = make_report()
    write_summary(report, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SUMMARY_SHEETS

    ws = wb["汇总"]
    assert [c.value for c in ws[1]] == [
        "支部编号",
        "支部名称",
        "上级党组织",
        "支部类型",
        "书记",
        "党组织带头人",
        "工作制度",
        "总分",
        "得分等次",
        "评定等次",
        "调整原因",
        "整改事项数",
        "文件",
        "审定等次",
        "审定理由",
        "审定人",
    ]
    assert [c.value for c in ws[2]][:8] == [
        "B001",
        "机电系第一党支部",
        "机电工程学院党总支",
        "教工",
        "张三",
        14,
        7.5,
        86.5,
    ]
    assert ws.max_row == 4
    assert ws["J4"].value == "后进" and ws["L4"].value == 1 and ws["M4"].value == "B003.xlsx"
    assert ws.auto_filter.ref == "A1:P4"
    assert ws.freeze_panes == "C2"

    ws = wb["等次分布"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert ["上级党组织", "先进", "一般", "后进", "合计"] in rows
    assert ["机电工程学院党总支", 1, 1, 0, 2] in rows
    assert ["（无）", 0, 0, 1, 1] in rows
    assert ["支部类型", "先进", "一般", "后进", "合计"] in rows
    assert ["教工", 0, 1, 1, 2] in rows
    assert len(ws._charts) == 0 or True  # openpyxl drops charts on load; checked in the zip below

    ws = wb["整改事项"]
    assert [c.value for c in ws[1]] == ["支部编号", "支部名称", *ITEM_COLUMNS]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == ["B001", "B001", "B003"]
    assert ws["J2"].value == "未开始" and ws["I2"].value.date() == date(2013, 1, 31)
    assert ws.auto_filter.ref == "A1:J4"

    ws = wb["常见问题"]
    assert [[c.value for c in r][:3] for r in ws.iter_rows()] == [
        ["规则编号", "问题", "涉及支部数"],
        ["OL-02", "OL-02 标题", 2],
        ["ED-08", "ED-08 标题", 1],
    ]
    assert ws["D2"].value == pytest.approx(2 / 3) and ws["D2"].number_format == "0.0%"

    ws = wb["学院指标"]
    assert [c.value for c in ws[2]] == [
        "TG-01",
        "先进支部占比≥90%",
        0.9,
        pytest.approx(1 / 3),
        1,
        3,
        "否",
        None,
    ]

    ws = wb["输入文件"]
    assert [c.value for c in ws[1]] == [
        "文件",
        "状态",
        "支部编号",
        "评定方案",
        "编号",
        "问题",
        "位置",
        "修改方法",
    ]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [row[:2] for row in rows[:-1]] == [[f.file, "已评定"] for f in report.files[:-1]]  # every file
    assert rows[-1] == [
        "bad.xlsx",
        "无法评定",
        None,
        None,
        "IN-05",
        "会议日期“2012-13-01”无法识别",
        "会议活动!A7",
        "填写为 2012-12-01 格式的日期",
    ]


def test_summary_has_native_charts(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "summary.xlsx"
    write_summary(make_report(), path)
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 4  # one on 总览, two on 等次分布, one on 常见问题
        kinds = [
            re.search(r"<c:(barChart)>.*?<c:barDir val=\"(\w+)\"", z.read(n).decode(), re.S) for n in charts
        ]
        assert sorted(k.group(2) for k in kinds if k) == ["bar", "col", "col", "col"]


def test_summary_english_and_empty_report(tmp_path: Path) -> None:
    path = tmp_path / "summary.xlsx"
    write_summary(make_report(()), path, lang="en")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "Overview",
        "Summary",
        "Grade distribution",
        "Rectification items",
        "Common problems",
        "College KPIs",
        "Input files",
        "Input tally",
    ]
    assert wb["Summary"]["A1"].value == "Branch ID" and wb["Summary"].max_row == 1
    assert wb["Input files"]["B2"].value == "Ungradable"
    assert [[c.value for c in row] for row in wb["Input tally"].iter_rows(min_row=2, max_row=3)] == [
        ["Entries in the folder", 1],
        ["Graded", 0],
    ]
    assert wb["College KPIs"]["G2"].value == "No"
    # nothing graded: the overview says so rather than showing an empty table
    overview = [c.value for row in wb["Overview"].iter_rows() for c in row if c.value is not None]
    assert "No branch has a rectification item" in overview and "Party branch grading overview" in overview


def test_summary_many_branches(tmp_path: Path) -> None:
    # Not a timing test: constant_memory mode must write many rows in order without losing any.
    base = make_result()
    results = tuple(
        base.model_copy(update={"identity": base.identity.model_copy(update={"branch_id": f"B{i:04d}"})})
        for i in range(300)
    )
    path = tmp_path / "summary.xlsx"
    write_summary(make_report(results), path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb["汇总"].max_row == 301
    assert wb["整改事项"].max_row == 601


# ---------------------------------------------------------------- results.json and the manifest


def test_results_json_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    report = make_report()
    data = results_json_bytes(report)
    assert data == results_json_bytes(make_report())
    assert data.endswith(b"\n") and "机电系第一党支部".encode() in data  # ensure_ascii off
    back = BatchReport.model_validate(json.loads(data))
    assert back == report
    assert results_json_bytes(back) == data

    parsed = json.loads(data)
    assert list(parsed) == list(BatchReport.model_fields)  # model field order
    assert parsed["results"][0]["items"][0]["deadline"] == "2013-01-31"
    facts = list(parsed["results"][0]["facts"])
    assert facts == sorted(facts)  # data-keyed maps sorted

    # A stage that builds ctx in another order gives the same bytes.
    r = report.results[0]
    shuffled_trace = tuple(
        tr.model_copy(update={"ctx": dict(reversed(list(tr.ctx.items())))}) for tr in r.trace
    )
    shuffled = report.model_copy(
        update={"results": (r.model_copy(update={"trace": shuffled_trace}), *report.results[1:])}
    )
    assert results_json_bytes(shuffled) == data

    path = tmp_path / "results.json"
    write_results_json(report, path)
    assert path.read_bytes() == data


def test_results_json_refuses_nan() -> None:
    r = make_result()
    bad = make_report((r.model_copy(update={"total": float("nan")}),))
    with pytest.raises(ValueError):
        results_json_bytes(bad)


def test_manifest(tmp_path: Path) -> None:
    path = tmp_path / "run-manifest.json"
    write_manifest(
        path,
        inputs={"b.xlsx": "22", "a.xlsx": "11"},
        profiles=(PROFILE_REF,),
        tool_version="0.1.0",
        started="2024-01-01T00:00:00+00:00",
        finished="2024-01-01T00:00:05+00:00",
        argv=["branchgrade", "grade", "forms"],
    )
    m = json.loads(path.read_text(encoding="utf-8"))
    assert list(m["inputs"]) == ["a.xlsx", "b.xlsx"]
    assert m["profiles"] == [{"name": "loudi-2012", "year": 2012, "sha256": "ef" * 32}] and m["argv"] == [
        "branchgrade",
        "grade",
        "forms",
    ]
    assert m["tool_version"] == "0.1.0" and m["started"] < m["finished"]


def _model_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Every field name of ``model`` and of the models it nests."""
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for arg in _walk(field.annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _model_fields(arg, seen)
    return names


def _walk(annotation: object) -> list[object]:
    out = [annotation]
    for a in get_args(annotation):
        out += _walk(a)
    return out


def _map_fields(model: type[BaseModel], seen: set[type[BaseModel]]) -> set[str]:
    """Fields of ``model`` (and the models it nests) annotated as dicts."""
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, field in model.model_fields.items():
        for arg in _walk(field.annotation):
            if get_origin(arg) is dict:
                names.add(name)
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                names |= _map_fields(arg, seen)
    return names


def test_results_json_sorts_every_map_field() -> None:
    # results_json sorts the data-keyed maps along known paths; a new dict field must be added there.
    assert _map_fields(BatchReport, set()) == set(MAP_FIELDS)


def test_results_schema_doc_names_every_field() -> None:
    doc = (ROOT / "docs" / "results-schema.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_0-9]+)`", doc))
    missing = _model_fields(BatchReport, set()) - documented
    assert not missing, f"docs/results-schema.md does not document: {sorted(missing)}"
    assert f"schema_version` | {BatchReport.model_fields['schema_version'].default}" in doc or re.search(
        rf"schema_version.*\b{BatchReport.model_fields['schema_version'].default}\b", doc
    )


# ---------------------------------------------------------------- atomic writes and stage boundaries


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_bytes(b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_path_keeps_target_on_error(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old")
    seen: list[Path] = []
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        seen.append(tmp)
        assert tmp.parent == tmp_path and tmp.name.startswith(".") and tmp.name.endswith(".tmp")
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert path.read_bytes() == b"old"
    assert not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_atomic_path_creates_new_file(tmp_path: Path) -> None:
    path = tmp_path / "new.bin"
    with atomic_path(path) as tmp:
        tmp.write_bytes(b"x")
        assert not path.exists()  # nothing visible until the writer finishes
    assert path.read_bytes() == b"x"


def test_export_imports_only_stdlib_xlsxwriter_and_schemas() -> None:
    allowed_top = {"xlsxwriter", "schemas"}
    mine = ("atomic", "branch_list", "summary", "results_json", "explain", "i18n", "_xlsx", "_ooxml")
    import sys

    for name in mine:
        tree = ast.parse((ROOT / "engine" / "export" / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods: list[str] = []
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            for mod in mods:
                top = mod.split(".")[0]
                ok = (
                    top in allowed_top
                    or top in sys.stdlib_module_names
                    or top == "__future__"
                    or mod.startswith("engine.export")
                )
                assert ok, f"engine/export/{name}.py imports {mod}"


def test_streamed_results_json_is_byte_identical() -> None:
    full = make_report()
    variants = (
        full,
        full.model_copy(update={"results": ()}),
        full.model_copy(update={"results": (), "files": (), "kpis": ()}),
    )
    for report in variants:
        assert _streamed(report) == results_json_bytes(report)


def _streamed(report: BatchReport) -> bytes:
    """``report`` as a batch writes it: each result serialised on its own, then streamed."""
    buf = io.BytesIO()
    writer = ResultsJsonWriter(
        buf,
        tool_version=report.tool_version,
        profiles=report.profiles,
    )
    for r in report.results:
        writer.add_result(result_element_bytes(r))
    writer.finish(report.files, report.kpis)
    return buf.getvalue()


def _float_fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Dotted paths of the float fields under ``model``, through nested models and tuples of models,
    not into dicts (the free-form maps are checked value by value)."""
    found: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        args = typing.get_args(info.annotation) or (info.annotation,)
        for arg in args:
            inner = typing.get_args(arg) if typing.get_origin(arg) is tuple else (arg,)
            for kind in inner:
                if kind is float:
                    found.add(path)
                elif isinstance(kind, type) and issubclass(kind, BaseModel):
                    found |= _float_fields(kind, path + ".")
    return found


def test_the_fast_json_path_checks_every_float_field() -> None:
    assert _float_fields(BranchResult) == CHECKED_FLOAT_FIELDS


# Values a rule's ctx or a fact may hold (schemas.common.Scalar), including the floats whose text differs
# between pydantic and Python (below 1e-4, 1e16 and above), NaN and infinities, and any text.
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
_maps = st.dictionaries(st.text(max_size=6), _scalars, max_size=5)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(
    ctxs=st.lists(_maps, min_size=4, max_size=4),
    facts=_maps,
    floats=st.lists(st.floats(), min_size=3, max_size=3),
    text=st.text(max_size=8),
)
def test_streamed_results_json_is_the_whole_dump_for_any_values(
    ctxs: list[dict[str, object]], facts: dict[str, object], floats: list[float], text: str
) -> None:
    # A result's element comes from pydantic's serialiser when that is provably safe: whatever the values,
    # the streamed document is the stdlib dump of the whole report, or refused as that one is.
    base = make_result()
    total, deduction, score_value = floats
    result = base.model_copy(
        update={
            "total": total,
            "facts": facts,
            "trace": tuple(
                tr.model_copy(update={"ctx": ctx}) for tr, ctx in zip(base.trace, ctxs, strict=True)
            ),
            "items": (base.items[0].model_copy(update={"ctx": ctxs[0], "deduction": deduction}),),
            "scores": (base.scores[0].model_copy(update={"score": score_value}), *base.scores[1:]),
            "identity": base.identity.model_copy(update={"branch_name": text}),
        }
    )
    report = make_report((result,))
    try:
        whole = results_json_bytes(report)
    except ValueError:  # NaN or an infinity, or text UTF-8 cannot hold (a lone surrogate)
        with pytest.raises(ValueError):
            _streamed(report)
    else:
        assert _streamed(report) == whole
