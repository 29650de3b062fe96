"""``review import / add / show / export`` through the command line: every refusal located and in the
user's language, re-imports harmless, and a round's outputs written again with its reviews."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from engine.export.summary import write_summary
from engine.ledger import Ledger
from engine.review.export import round_report
from schemas.batch import RESULTS_SCHEMA_VERSION, BatchReport
from tests.ledger_helpers import YEAR, run_cli

ROUND = "2012-年初定级"


@pytest.fixture(scope="module")
def graded_summary(march_pristine: Path) -> Path:
    """The March round's summary as a graded run writes it: no round in its stamp."""
    path = march_pristine.parent / "分类定级汇总.xlsx"
    with Ledger.open(march_pristine) as led:
        write_summary(round_report(led, led.find_round(ROUND)), path)
    return path


@pytest.fixture
def ledger(march_ledger: Path) -> Path:
    return march_ledger


run = run_cli


def fill(source: Path, target: Path, rows: dict[str, tuple[str | None, ...]]) -> Path:
    """``source``'s 汇总 sheet with the 审定等次 / 审定理由 / 审定人 cells of the branches in ``rows``."""
    book = openpyxl.load_workbook(source)
    sheet = book["汇总"]
    header = [c.value for c in sheet[1]]
    first = header.index("审定等次") + 1
    for row in sheet.iter_rows(min_row=2):
        values = rows.get(str(row[0].value))
        for k, value in enumerate(values or ()):
            sheet.cell(row[0].row, first + k).value = value
    book.save(target)
    return target


def test_import_refuses_each_bad_row_located_in_either_language_then_takes_the_fixed_file(
    graded_summary: Path, ledger: Path, tmp_path: Path
) -> None:
    summary = graded_summary
    bad = fill(
        summary,
        tmp_path / "bad.xlsx",
        {
            "JD-02": ("较好", None, "张三"),
            "XS-02": ("优秀", "复核", "张三"),
            "XX-01": (None, "只有理由", None),
        },
    )
    code, output = run("review", "import", str(bad), "--ledger", str(ledger))
    assert code == 1 and "IN-40" in output and "--round" in output  # a graded run's summary names no round
    code, output = run("review", "import", str(bad), "--round", "2099-年初定级", "--ledger", str(ledger))
    assert code == 1 and "IN-41 台账中没有轮次 2099-年初定级（已有：2012-年初定级）" in output
    code, output = run("review", "import", str(bad), "--round", ROUND, "--ledger", str(ledger))
    assert code == 1 and "拒绝 1 份" in output and "Traceback" not in output
    assert "IN-43 支部 JD-02 审定为“较好”，但没有填写审定理由 [bad.xlsx › 汇总!S2]" in output.replace(
        str(tmp_path) + "/", ""
    )
    assert "IN-44 支部 XS-02 的审定等次“优秀”不是评定方案 loudi-2012 允许的等次" in output
    assert "IN-46 支部 XX-01 填写了审定理由，但审定等次为空" in output
    code, output = run(
        "review", "import", str(bad), "--round", ROUND, "--ledger", str(ledger), "--lang", "en"
    )
    assert code == 1 and "Branch JD-02 is reviewed as “Good” without a reason" in output
    assert "汇总!S3" in output and "Choose the reviewed grade from the dropdown" in output
    with Ledger.open(ledger) as led:
        assert led.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0  # refused whole

    no_reviewer = fill(summary, tmp_path / "no-reviewer.xlsx", {"JD-02": ("较好", "实地核查")})
    code, output = run("review", "import", str(no_reviewer), "--round", ROUND, "--ledger", str(ledger))
    assert code == 1 and "IN-45 支部 JD-02 的审定没有审定人" in output and "--reviewer" in output
    code, output = run(
        "review", "import", str(no_reviewer), "--round", ROUND, "--reviewer", "王五", "--ledger", str(ledger)
    )
    assert code == 0 and "记录审定 1 条" in output
    code, output = run(
        "review", "import", str(no_reviewer), "--round", ROUND, "--reviewer", "王五", "--ledger", str(ledger)
    )
    assert code == 0 and "没有新的审定，未作改动" in output  # the same file again
    code, output = run("review", "show", ROUND, "--ledger", str(ledger))
    assert (
        "JD-02 机电工程系教工第二党支部：计算等次 先进 → 审定等次 较好（审定理由：实地核查；审定人：王五；"
        in output
    )


def test_a_file_that_is_no_summary_is_refused_with_what_to_do(ledger: Path) -> None:
    form = YEAR / "march" / "JD-02.xlsx"  # a grading form
    code, output = run(
        "review", "import", str(form), "--round", ROUND, "--ledger", str(ledger), "--lang", "en"
    )
    assert code == 1 and "IN-39" in output
    assert "No “Summary” sheet with a “Branch ID” column header" in output


def test_add_then_export_writes_the_round_again_with_its_reviews(ledger: Path, tmp_path: Path) -> None:
    code, output = run(
        "review", "add", ROUND, "XS-02", "一般", "--reason", "组织生活会记录缺失", "--reviewer", "张三",
        "--ledger", str(ledger),
    )  # fmt: skip
    assert code == 0 and "审定等次：一般（审定理由：组织生活会记录缺失；审定人：张三）" in output
    code, output = run("review", "add", ROUND, "XS-02", "一般", "--reviewer", "张三", "--ledger", str(ledger))
    assert code == 1 and "IN-43" in output
    code, output = run(
        "review", "add", ROUND, "XS-09", "一般", "--reason", "r", "--ledger", str(ledger), "--lang", "en"
    )
    assert code == 1 and "IN-42 Branch ID “XS-09” is not a branch graded in round 2012-年初定级" in output

    out = tmp_path / "again"
    code, output = run("review", "export", ROUND, "-o", str(out), "--ledger", str(ledger))
    assert code == 0 and "审定 1 个支部" in output
    report = BatchReport.model_validate(json.loads((out / "results.json").read_text("utf-8")))
    assert report.schema_version == RESULTS_SCHEMA_VERSION == 4
    by_id = {r.identity.branch_id: r for r in report.results}
    assert by_id["XS-02"].grade.code == "B" and by_id["XS-02"].review is not None
    assert by_id["XS-02"].review.grade.code == "C" and by_id["JD-02"].review is None
    assert [f.status for f in report.files] == ["graded"] * 3 and report.kpis
    sheet = openpyxl.load_workbook(out / "分类定级汇总.xlsx")["汇总"]
    # the pages printed from the rewritten summary name its round and profile, dated the day of the export
    assert sheet.oddHeader.center.text == "娄底职院2012年基层组织建设年分类定级"
    assert sheet.oddHeader.right.text == f"2012年 年初定级\u3000{date.today().isoformat()}"
    header = [c.value for c in sheet[1]]
    assert header[-4:] == ["审定等次", "审定理由", "审定人", "是否最终"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["XS-02"][header.index("评定等次")] == "较好"
    assert rows["XS-02"][-4:] == ("一般", "组织生活会记录缺失", "张三", None)  # not published: no final
    dropdown = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert dropdown and dropdown[0].formula1 == '"先进,较好,一般,后进"' and str(dropdown[0].sqref) == "S2:S4"
    lists = sorted(p.name for p in (out / "整改清单").iterdir())
    assert lists == [
        "JD-02 机电工程系教工第二党支部.xlsx",
        "XS-02 机电工程系学生第二党支部.xlsx",
        "XX-01 信息工程系教工党支部.xlsx",
    ]
    xs02 = openpyxl.load_workbook(out / "整改清单" / lists[1]).active
    assert xs02 is not None
    cells = [str(v) for row in xs02.iter_rows(max_row=8, values_only=True) for v in row if v]
    assert any("审定等次：一般（审定理由：组织生活会记录缺失；审定人：张三）" in c for c in cells)
    # the written-again summary names its round: importing it needs no --round and changes nothing
    code, output = run("review", "import", str(out / "分类定级汇总.xlsx"), "--ledger", str(ledger))
    assert code == 0 and "没有新的审定" in output
    code, output = run("review", "show", ROUND, "XS-02", "--ledger", str(ledger), "--lang", "en")
    assert (
        "Grade: Good" in output
        and "Reviewed grade: Average (reason: 组织生活会记录缺失; reviewer: 张三)" in output
    )
    assert "Review history (the last one stands):" in output
