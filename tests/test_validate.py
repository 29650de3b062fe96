"""Validate: values found by label/header wherever they are, every problem located and reported at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from engine.ingest import read_workbook
from engine.validate import validate_workbook
from fixtures.formfill import filled_template
from schemas.common import Evidence, Severity
from schemas.form import FormResult
from schemas.form_layout import META_MARK, META_SHEET, SHEETS, TEMPLATE_VERSION
from schemas.problems import CATALOGUE, make_problem
from schemas.raw import RawSheet, RawWorkbook

NEGATIVE_NO = {key: {"present": "否"} for key in ("discipline", "inactive", "petition", "disunity")}
GOOD: dict[str, Any] = {
    "basic": {
        "branch_name": "机关第一党支部",
        "branch_id": "JG-01",
        "full_members": "12人",
        "secretary": "张三",
        "window_department": "是",
        "last_election": "2011年6月1日",
    },
    "committee": [{"name": "张三", "post": "书记", "admin_post": "否"}, {"name": "李四", "post": "组织委员"}],
    "meetings": [
        {
            "date": date(2012, 4, 10),
            "type": "支委会",
            "expected": 7,
            "present": 6,
            "tags": "思想政治、法律法规",
        },
        {"date": "２０１２年３月１５日", "type": "党课", "expected": "12人", "present": " 11 "},
    ],
    "study_hours": [{"name": "张三", "leader": "是", "q1": "8学时", "q2": 6, "q3": 0, "q4": "4.5"}],
    "systems": {"venue": {"done": "是", "date": date(2012, 3, 1), "count": "1个", "note": "党员活动室"}},
    "satisfaction": {"respondents": 40, "satisfied": 35, "basically_satisfied": 4, "dissatisfied": 1},
    "negative_list": NEGATIVE_NO,
}


def _validate(wb: openpyxl.Workbook, tmp_path: Path, year: int | None = 2012) -> FormResult:
    path = tmp_path / "branch.xlsx"
    wb.save(path)
    return validate_workbook(read_workbook(path), expected_year=year)


def _codes(result: FormResult) -> list[str]:
    return sorted(p.code for p in result.problems)


def test_round_trip_through_the_template(tmp_path: Path) -> None:
    result = _validate(filled_template(GOOD, branch_type="机关", year=2012), tmp_path)
    assert result.problems == ()
    form = result.form
    assert form is not None and form.template_version == TEMPLATE_VERSION
    assert form.basic.full_members == 12 and form.basic.window_department is True
    assert form.basic.last_election == date(2011, 6, 1)
    assert form.basic.cells["branch_id"] == Evidence(
        file="branch.xlsx", sheet="基本信息", cell="B6", value="JG-01"
    )
    assert [m.post for m in form.committee] == ["书记", "组织委员"]
    assert [m.date for m in form.meetings] == [date(2012, 4, 10), date(2012, 3, 15)]
    assert form.meetings[0].tags == ("思想政治", "法律法规") and form.meetings[1].present == 11
    assert form.study_hours[0].q1 == 8.0 and form.study_hours[0].leader is True
    assert form.systems["venue"].done is True and form.systems["venue"].count == 1.0
    assert form.systems["funds"].done is None  # blank row: not evidenced, still listed
    assert form.negative_list["petition"].present is False
    assert form.satisfaction.respondents == 40
    assert set(form.sheet_cells) >= {s.name for s in SHEETS if s.required}


def test_five_mistakes_give_five_located_problems(tmp_path: Path) -> None:
    values = {
        **GOOD,
        "basic": {**GOOD["basic"], "full_members": "十二", "secretary": None},
        "meetings": [
            {"date": "2012-02-30", "type": "支委会", "expected": 7, "present": 9},
            {"date": date(2012, 5, 1), "type": "座谈会"},
        ],
    }
    result = _validate(filled_template(values, branch_type="机关", year=2012), tmp_path)
    assert result.form is None
    assert _codes(result) == ["IN-06", "IN-07", "IN-08", "IN-09", "IN-10"]
    cells = {p.code: (p.evidence[0].sheet, p.evidence[0].cell) for p in result.problems}
    assert cells["IN-07"][0] == "基本信息" and cells["IN-08"] == ("会议活动", "A5")
    assert cells["IN-10"] == ("会议活动", "F5") and cells["IN-09"] == ("会议活动", "B6")
    by_code = {p.code: p for p in result.problems}
    assert "2月没有30日" in by_code["IN-08"].message.zh and "2012-03-15" in by_code["IN-08"].rectification.zh
    assert "支部党员大会" in by_code["IN-09"].message.zh
    for problem in result.problems:
        line = problem.render("zh")
        assert "branch.xlsx" in line and "整改" in line
        assert problem.render("en").startswith(problem.code)


def test_warnings_keep_the_form(tmp_path: Path) -> None:
    values = {**GOOD, "meetings": [{"date": date(2011, 12, 20), "type": "支委会"}]}
    wb = filled_template(values, branch_type="机关", year=2012)
    wb[META_SHEET]["B1"] = "2011.0"
    result = _validate(wb, tmp_path)
    assert _codes(result) == ["IN-11", "IN-12"]
    assert result.form is not None and result.form.warnings == result.problems
    assert len(result.form.meetings) == 1  # the row is kept
    assert all(p.severity is Severity.WARNING for p in result.problems)


def test_assessment_year_differs_from_the_batch(tmp_path: Path) -> None:
    result = _validate(filled_template(GOOD, branch_type="机关", year=2012), tmp_path, year=2013)
    assert "IN-12" in _codes(result) and result.form is not None


def test_missing_sheets_and_student_classes(tmp_path: Path) -> None:
    wb = filled_template({**GOOD, "basic": {**GOOD["basic"], "branch_type": "学生"}}, year=2012)
    wb.security = None
    del wb["学生班级"]
    del wb["自评"]
    result = _validate(wb, tmp_path)
    assert _codes(result) == ["IN-04", "IN-04"]
    assert "学生班级" in result.problems[0].message.zh + result.problems[1].message.zh
    assert "基本信息" in result.problems[0].message.zh  # lists the sheets found
    wb2 = filled_template(GOOD, branch_type="机关", year=2012)
    wb2.security = None
    del wb2["学生班级"]
    assert _validate(wb2, tmp_path).problems == ()  # not required for a 机关 branch


def test_satisfaction_counts_above_respondents(tmp_path: Path) -> None:
    values = {
        **GOOD,
        "satisfaction": {"respondents": 10, "satisfied": 8, "basically_satisfied": 3, "dissatisfied": 0},
    }
    result = _validate(filled_template(values, branch_type="机关", year=2012), tmp_path)
    assert _codes(result) == ["IN-10"] and len(result.problems[0].evidence) == 4


def test_out_of_range_numbers(tmp_path: Path) -> None:
    values = {
        **GOOD,
        "study_hours": [{"name": "张三", "q1": 900}],
        "basic": {**GOOD["basic"], "probationary_members": -1},
    }
    result = _validate(filled_template(values, branch_type="机关", year=2012), tmp_path)
    assert _codes(result) == ["IN-10", "IN-10"]


@pytest.mark.parametrize("huge", [1e20, "1" + "0" * 20, 10**12])
def test_a_huge_count_is_a_located_input_problem(tmp_path: Path, huge: object) -> None:
    """A count far beyond any branch (a typo, a pasted number) is refused at its cell, in both languages,
    rather than reaching the facts, where the evaluators cannot compare a number that large."""
    values = {**GOOD, "basic": {**GOOD["basic"], "probationary_members": huge}}
    result = _validate(filled_template(values, branch_type="机关", year=2012), tmp_path)
    [problem] = result.problems
    assert problem.code.startswith("IN-") and problem.severity is Severity.ERROR
    assert problem.evidence[0].sheet == "基本信息" and problem.evidence[0].cell
    assert "过大" in problem.message.zh and "too large" in problem.message.en


def _put(ws: Worksheet, top: int, left: int, rows: list[list[Any]]) -> None:
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is not None:
                ws.cell(row=top + r, column=left + c, value=value)


def _hand_made(
    shift: int = 0, reorder: bool = False, alias_sheet: bool = False, alias_header: bool = False
) -> openpyxl.Workbook:
    """A form written without the template: labels and headers where a user might leave them."""
    wb = openpyxl.Workbook()
    basic = wb.active
    basic.title = "基本信息"
    _put(
        basic,
        1 + shift,
        1,
        [
            ["基本信息"],
            ["支部名称 *", "教工第二党支部"],
            ["支部编号：", "JG-02"],
            ["支部\n类型", "教工支部"],
            ["正式党员数", "１２"],
            ["书记", "王五"],
            ["考核年度", "2012年"],
            [None],
            ["支委会成员"],
            ["姓名", "职务"],
            ["王五", "书记"],
        ],
    )
    meetings = wb.create_sheet("会议记录" if alias_sheet else "会议活动")
    header = ["日期", "会议类型" if alias_header else "类型", "实到", "应到", "额外列"]
    rows = [["2012.3.15", "支委会", 5, 7, "x"], [None] * 5, ["20120410", "党课", "6人", "7人", None]]
    if reorder:
        header, rows = header[::-1], [row[::-1] for row in rows]
    _put(meetings, 3 + shift, 2, [["会议活动台账"], header, *rows])
    for name, head in (
        ("学习学时", ["姓名", "Q1", "Q2"]),
        ("书记培训", ["姓名", "日期", "类型"]),
        ("发展党员", ["姓名", "身份"]),
        ("自评", ["存在问题", "整改措施"]),
    ):
        _put(wb.create_sheet(name), 2 + shift, 1, [head])
    systems = wb.create_sheet("制度落实")
    _put(systems, 1 + shift, 1, [["项目", "是否落实", "日期"], ["党务公开", "√", "2012/5/1"]])
    negative = wb.create_sheet("负面清单")
    _put(
        negative,
        1 + shift,
        1,
        [["情形", "是否存在", "说明"]]
        + [
            [label, "否"]
            for label in (
                "班子成员近两年受到严重违纪违法处理",
                "一年以上未开展组织活动或换届严重超期",
                "近一年发生群体性上访或重大投诉",
                "班子不团结、书记长期空缺",
            )
        ],
    )
    _put(
        wb.create_sheet("满意度测评"),
        1 + shift,
        1,
        [["参评人数", 20], ["满意", 18], ["基本满意", 2], ["不满意", 0]],
    )
    meta = wb.create_sheet(META_SHEET)
    meta["A1"], meta["B1"] = META_MARK, TEMPLATE_VERSION
    meta.sheet_state = "hidden"
    return wb


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"shift": 2},
        {"reorder": True},
        {"alias_sheet": True, "alias_header": True},
        {"shift": 5, "reorder": True},
    ],
)
def test_layout_variants_read_the_same(tmp_path: Path, variant: dict[str, Any]) -> None:
    result = _validate(_hand_made(**variant), tmp_path)
    warnings = {p.code for p in result.problems}
    # only optional labels/columns absent, and the register's extra column (which holds entries) named
    assert warnings <= {"IN-05", "IN-20"}, [p.render() for p in result.problems]
    assert [p.ctx["header"] for p in result.problems if p.code == "IN-20"] == ["额外列"]
    assert all(p.severity is Severity.WARNING for p in result.problems)
    form = result.form
    assert form is not None
    assert (
        form.basic.branch_type == "教工" and form.basic.full_members == 12 and form.basic.secretary == "王五"
    )
    assert form.basic.assessment_year == 2012 and form.committee[0].post == "书记"
    assert [(m.date, m.type, m.expected, m.present) for m in form.meetings] == [
        (date(2012, 3, 15), "支委会", 7, 5),
        (date(2012, 4, 10), "党课", 7, 6),
    ]
    assert form.systems["transparency"].done is True and form.systems["transparency"].date == date(2012, 5, 1)
    assert form.satisfaction.satisfied == 18
    shift = variant.get("shift", 0)
    assert form.basic.cells["branch_id"].cell == f"B{3 + shift}"


def test_missing_labels_headers_and_items(tmp_path: Path) -> None:
    wb = _hand_made()
    wb["基本信息"]["A3"] = "名称"  # the required 支部名称 label reworded
    wb["会议活动"]["B4"] = "时间"  # the required 日期 header reworded
    wb["负面清单"]["A3"] = "别的情形"  # a required veto row reworded
    result = _validate(wb, tmp_path)
    errors = [p for p in result.problems if p.severity is Severity.ERROR]
    assert [p.code for p in errors] == ["IN-05", "IN-05", "IN-05"]
    assert any("日期" in p.message.zh and "第 4 行" in p.message.zh for p in errors)
    assert result.form is None


def test_unparseable_checklist_and_blank_required_in_table(tmp_path: Path) -> None:
    wb = _hand_made()
    wb["负面清单"]["B2"] = "不知道"
    wb["基本信息"]["A12"] = "赵六"  # a committee row without its required post
    result = _validate(wb, tmp_path)
    located = {(p.code, p.evidence[0].cell) for p in result.problems if p.severity is Severity.ERROR}
    assert located == {("IN-09", "B2"), ("IN-06", "B12")}


def test_ingest_errors_pass_through(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"not a workbook")
    result = validate_workbook(read_workbook(path))
    assert result.form is None and _codes(result) == ["IN-01"]


def test_empty_workbook_reports_every_missing_sheet() -> None:
    raw = RawWorkbook(file="f.xlsx", sha256="0", sheets={"Sheet1": RawSheet("Sheet1", [])})
    result = validate_workbook(raw)
    assert _codes(result).count("IN-04") == sum(1 for s in SHEETS if s.required)
    assert "IN-11" in _codes(result)


def test_every_catalogue_code_renders_in_both_languages() -> None:
    where = Evidence(file="a.xlsx", sheet="基本信息", cell="B2", value="x")
    ctx = {
        "reason": "r",
        "what": "w",
        "actual": "1",
        "limit": "2",
        "sheet": "s",
        "found": "f",
        "part": "p",
        "label": "l",
        "searched": "s",
        "value": "v",
        "choices": "c",
        "hint": "h",
        "expected": "e",
        "year": 2012,
        "branch_id": "JG-01",
        "other": "b.xlsx",
        "n": 3,
        "rules": "OL-01 r",
        "rows": "1",
        "first": 2,
        "row": 4,
        "column": "支部编号",
        "roster": "r.csv",
        "header": "h",
        "count": 2,
        "files": "a.xlsx、b.xlsx",
        "original": "a.xlsx",
        "fix": "f",
        "kind": "k",
        "profiles": "p",
        "profile": "p",
        "profile_year": 2019,
        "form_profile": "loudi-2012",
        "current": "2018.2",
        "version": "2012.2",
        "identity": "2012-年初定级/JG-01/OL-02",
        "round": "2012-年初定级",
        "rounds": "2012-年初定级",
        "covered": "2004–2026",
        "years": "2027",
        "grade": "先进",
        "grades": "先进、较好",
        "score": "120",
        "previous": "后进",
        "step": 1,
    }
    for code, spec in CATALOGUE.items():
        finding = make_problem(code, where, **ctx)
        assert finding.severity is spec.severity and finding.kind == "input"
        assert "{" not in finding.message.zh + finding.message.en + finding.rectification.en
    # IN-29: a workbook of another profile's form; IN-30…IN-37: returned rectification lists;
    # IN-38: a working calendar that does not cover a year; IN-39…IN-46: reviewed grades; IN-47: a form
    # version its form no longer reads; IN-48, IN-49: a review under a scoring policy
    numbers = tuple(range(1, 50))
    assert [p.code for p in CATALOGUE.values()] == [f"IN-{n:02d}" for n in numbers]
    with pytest.raises(KeyError):
        make_problem("IN-08", where)


def test_make_problem_accepts_separate_english_context() -> None:
    finding = make_problem(
        "IN-01", Evidence(file="a.xlsx"), reason="解析器异常退出", reason_en="the parser crashed"
    )
    assert "解析器异常退出" in finding.message.zh and "the parser crashed" in finding.message.en
    assert finding.ctx["reason_en"] == "the parser crashed"
    duplicate = make_problem(
        "IN-13", Evidence(file="b.xlsx"), branch_id="JG-01", count=2, files="a.xlsx、b.xlsx"
    )
    assert "a.xlsx" in duplicate.message.zh and duplicate.severity is Severity.ERROR
