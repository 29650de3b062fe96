"""``publish`` and ``objection add / decide / list`` through the command line, in either language."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from tests.ledger_helpers import run_cli

ROUND = "2012-年初定级"
CONTACT = "学院党委组织部（电话 0738-1234567）"


@pytest.fixture
def ledger(march_ledger: Path) -> Path:
    return march_ledger


run = run_cli


def test_publish_refuses_what_it_cannot_use_then_writes_the_notice(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "公示名单.xlsx"
    base = ("publish", ROUND, "--ledger", str(ledger), "-o", str(out))
    code, output = run(*base, "--from", "2012-12-03")
    assert code == 2 and "公示须写明异议受理方式：请用 --contact 指定" in output
    code, output = run(*base, "--from", "12/03/2012", "--contact", CONTACT, "--lang", "en")
    assert code == 2 and "--from must be a date such as 2012-12-03 (given: 12/03/2012)" in output
    code, output = run(
        "publish", "2099-年初定级", "--from", "2012-12-03", "--contact", CONTACT, "--ledger", str(ledger)
    )
    assert code == 2 and "没有轮次 '2099-年初定级'" in output
    code, output = run(*base, "--from", "2012-12-03", "--contact", CONTACT, "--days", "0")
    assert code == 2 and "公示期应至少 1 个工作日" in output
    assert not out.exists()
    code, output = run(*base, "--from", "2012-09-28", "--contact", CONTACT)
    assert code == 0, output
    assert (
        f"已公示轮次 {ROUND}：3 个支部，公示期 2012-09-28 至 2012-10-10（5 个工作日）" in output
        and "（1 页）" in output
    )
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    listed = [r[:3] for r in sheet.iter_rows(min_row=4, values_only=True)]
    # by grade, then by general branch (信息工程系 before 机电工程系)
    assert listed == [("先进", 1, "JD-02"), ("较好", 2, "XX-01"), ("较好", 3, "XS-02")]


def test_objections_are_recorded_decided_and_the_round_becomes_final(ledger: Path, tmp_path: Path) -> None:
    code, output = run(
        "objection", "add", ROUND, "XS-02", "--by", "李四", "--content", "x", "--ledger", str(ledger)
    )
    assert code == 2 and "尚未公示" in output
    run(
        "publish",
        ROUND,
        "--from",
        "2012-12-03",
        "--contact",
        CONTACT,
        "-o",
        str(tmp_path / "n.xlsx"),
        "--ledger",
        str(ledger),
    )
    add = ("objection", "add", ROUND, "--ledger", str(ledger))
    code, output = run(*add, "XS-99", "--by", "李四", "--content", "x", "--lang", "en")
    assert (
        code == 2
        and "branch ID “XS-99” is not on round 2012-年初定级's notice (e.g. JD-02, XS-02, XX-01)" in output
    )
    code, output = run(*add, "XS-02", "--content", "x")
    assert code == 2 and "异议须写明提出人（--by）和异议内容（--content）" in output
    code, output = run(
        *add, "XS-02", "--by", "李四", "--content", "组织生活会记录其实齐全", "--on", "2012-12-05"
    )
    assert code == 0 and "已登记异议 1：支部 XS-02，提出人 李四（2012-12-05）" in output
    code, output = run("objection", "list", ROUND, "--today", "2012-12-10", "--ledger", str(ledger))
    assert "1. XS-02 李四（2012-12-05）：组织生活会记录其实齐全 — 待处理" in output
    assert "截至 2012-12-10：2/3 个支部的等次已成为最终等次" in output and "尚未最终：XS-02" in output
    decide = ("objection", "decide", "1", "--ledger", str(ledger))
    code, output = run(*decide, "--outcome", "maybe", "--decision", "x", "--by", "王五")
    assert code == 2 and "处理结果“maybe”无法识别" in output
    code, output = run(
        "objection",
        "decide",
        "5",
        "--outcome",
        "upheld",
        "--decision",
        "x",
        "--by",
        "王五",
        "--ledger",
        str(ledger),
        "--lang",
        "en",
    )
    assert code == 2 and "there is no objection number 5" in output
    code, output = run(*decide, "--outcome", "dismissed", "--decision", "经核查维持原等次", "--by", "王五")
    assert code == 0 and "已处理异议 1：异议不成立（经核查维持原等次；处理人 王五）" in output
    code, output = run(
        "objection", "list", ROUND, "--today", "2012-12-10", "--ledger", str(ledger), "--lang", "en"
    )
    assert (
        "dismissed: 经核查维持原等次 (王五)" in output
        and "as of 2012-12-10: 3 of 3 branch grade(s) final; the round is final" in output
    )
    code, output = run("objection", "list", ROUND, "--today", "2012-12-07", "--ledger", str(ledger))
    assert "截至 2012-12-07：0/3 个支部的等次已成为最终等次" in output  # the period's last day
