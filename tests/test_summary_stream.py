"""The summary workbook written record by record while a batch runs (engine.export.summary.summary_writer).

The content is checked against a plain reading of the records — one 汇总 row per branch, one 整改事项 row per
item, the common problems and the grade distribution counted afresh — for any records hypothesis makes; then
what happens when the block fails, forgets ``finish`` or gets a record the columns cannot hold.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.export.summary import ItemRow, SummaryRecord, summary_record, summary_writer, write_summary
from schemas.batch import FileReport, Kpi
from tests.builders import t
from tests.test_export import SUMMARY_SHEETS, make_report, make_result

INDICATORS = (("leader", "党组织带头人"), ("systems", "工作制度"))
GRADE_NAMES = {"A": "先进", "B": "较好", "C": "一般", "D": "后进"}

# Text as forms and rule files give it: Chinese, Latin, digits, spaces and punctuation (the writer's escaping
# of control characters is tested with the hostile texts in test_export.py).
_text = st.text(st.sampled_from("党支部机电系一二三 abcXYZ019-()（）、：=+@."), min_size=1, max_size=12)
_maybe = st.none() | _text
_codes = st.sampled_from(["OL-01", "OL-02", "ED-08", "CM-01", "SC-09"])


@st.composite
def _items(draw: st.DrawFn) -> ItemRow:
    code = draw(_codes)
    return ItemRow(
        code=code,
        indicator=draw(st.none() | st.sampled_from([name for _, name in INDICATORS])),
        problem=draw(_text),
        basis=draw(_maybe),
        measure=draw(_text),
        owner=draw(_maybe),
        deadline=draw(st.none() | st.dates(date(2012, 1, 1), date(2014, 12, 31))),
        title=f"{code} 标题",  # one title per code, as rule files give it
    )


@st.composite
def _records(draw: st.DrawFn) -> list[SummaryRecord]:
    records = []
    for i in range(draw(st.integers(0, 8))):
        scores = tuple((sid, name, draw(st.integers(0, 30)) / 2) for sid, name in INDICATORS)
        code = draw(st.sampled_from(sorted(GRADE_NAMES)))
        reviewed = draw(st.none() | st.sampled_from(sorted(GRADE_NAMES.values())))
        records.append(
            SummaryRecord(
                branch_id=f"B{i:03d}",
                branch_name=draw(_text),
                general_branch=draw(st.none() | st.sampled_from(["机电工程学院党总支", "学生工作党总支"])),
                branch_type=draw(st.sampled_from(["教工", "学生", "离退休"])),
                secretary=draw(_text),
                file=f"B{i:03d}.xlsx",
                scores=scores,
                total=sum(s for _, _, s in scores),
                score_grade=GRADE_NAMES[code],
                grade_code=code,
                grade=GRADE_NAMES[code],
                adjustments=draw(st.sampled_from(["", "一票否决：测试"])),
                items=tuple(draw(st.lists(_items(), max_size=4))),
                reviewed_grade=reviewed,
                review_reason=None if reviewed is None else draw(_text),
                reviewer=None if reviewed is None else draw(_text),
            )
        )
    return records


def _rows(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def _written(records: list[SummaryRecord], path: Path) -> openpyxl.Workbook:
    with summary_writer(path) as summary:
        for r in records:
            summary.add(r)
        summary.finish((), ())
    return openpyxl.load_workbook(path)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records())
def test_streamed_summary_holds_every_record(records: list[SummaryRecord]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wb = _written(records, Path(tmp) / "summary.xlsx")

    summary = _rows(wb["汇总"])
    indicator_names = [name for _, name in INDICATORS] if records else []
    assert summary[0][5 : 5 + len(indicator_names)] == indicator_names
    assert summary[1:] == [
        [
            r.branch_id,
            r.branch_name,
            r.general_branch,
            r.branch_type,
            r.secretary,
            *(s for _, _, s in r.scores),
            r.total,
            r.score_grade,
            r.grade,
            r.adjustments or None,  # an empty text is an empty cell
            len(r.items),
            r.file,
            r.reviewed_grade,
            r.review_reason,
            r.reviewer,
        ]
        for r in records
    ]

    items = _rows(wb["整改事项"])
    assert items[1:] == [
        [
            r.branch_id,
            r.branch_name,
            i.code,
            i.indicator,
            i.problem,
            i.basis,
            i.measure,
            i.owner,
            None if i.deadline is None else datetime.combine(i.deadline, datetime.min.time()),
            "未开始",
        ]
        for r in records
        for i in r.items
    ]

    affected = Counter(code for r in records for code in {i.code for i in r.items})
    common = _rows(wb["常见问题"])
    assert common[1:] == [
        [code, f"{code} 标题", n, pytest.approx(n / len(records))]
        for code, n in sorted(affected.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    distribution = _rows(wb["等次分布"])
    codes = sorted({r.grade_code for r in records})
    for group in {r.branch_type for r in records}:
        counts = Counter(r.grade_code for r in records if r.branch_type == group)
        assert [group, *(counts[c] for c in codes), sum(counts.values())] in [
            row[: len(codes) + 2] for row in distribution
        ]


def test_the_records_of_a_report_give_the_summary_of_the_report(tmp_path: Path) -> None:
    report = make_report()
    whole, streamed = tmp_path / "whole.xlsx", tmp_path / "streamed.xlsx"
    write_summary(report, whole)
    with summary_writer(streamed) as summary:
        for r in report.results:
            summary.add(summary_record(r))
        summary.finish(report.files, report.kpis)
    a, b = openpyxl.load_workbook(whole), openpyxl.load_workbook(streamed)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        assert _rows(a[name]) == _rows(b[name]), name


def test_results_of_different_policies_each_get_their_columns(tmp_path: Path) -> None:
    first = make_result("B001")
    other = make_result("B002").model_copy(
        update={
            "scores": (
                *first.scores[1:],
                first.scores[0].model_copy(update={"id": "extra", "name": t("附加")}),
            )
        }
    )
    path = tmp_path / "summary.xlsx"
    write_summary(make_report((first, other)), path)
    rows = _rows(openpyxl.load_workbook(path)["汇总"])
    assert rows[0][5:8] == ["党组织带头人", "工作制度", "附加"]
    assert rows[1][5:8] == [14, 7.5, None] and rows[2][5:8] == [None, 7.5, 14]


def test_a_record_without_a_column_is_refused(tmp_path: Path) -> None:
    record = summary_record(make_result())
    stranger = record._replace(scores=(("extra", "附加", 1.0),))
    path = tmp_path / "summary.xlsx"
    with pytest.raises(ValueError, match="extra"), summary_writer(path) as summary:
        summary.add(record)
        summary.add(stranger)
    assert not path.exists()


def _no_temp_files_left(folder: Path, xlsxwriter_tmp: Path) -> None:
    assert [p.name for p in folder.iterdir()] == ["summary.xlsx"]
    assert list(xlsxwriter_tmp.iterdir()) == []  # xlsxwriter's row files (constant_memory) released


@pytest.fixture
def xlsxwriter_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where xlsxwriter puts its temporary files during the test (it uses the tempfile module's default)."""
    folder = tmp_path / "xlsxwriter-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_failed_batch_keeps_the_old_summary(tmp_path: Path, xlsxwriter_tmp: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = out / "summary.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), summary_writer(path) as summary:
        summary.add(summary_record(make_result()))
        raise KeyboardInterrupt  # the user stops the batch halfway
    assert path.read_bytes() == b"old"
    _no_temp_files_left(out, xlsxwriter_tmp)


def test_a_summary_left_unfinished_is_not_placed(tmp_path: Path, xlsxwriter_tmp: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    path = out / "summary.xlsx"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="finish"), summary_writer(path) as summary:
        summary.add(summary_record(make_result()))
    assert path.read_bytes() == b"old"
    _no_temp_files_left(out, xlsxwriter_tmp)


def test_an_empty_batch_still_gets_every_sheet(tmp_path: Path) -> None:
    path = tmp_path / "summary.xlsx"
    bad = FileReport(file="bad.xlsx", sha256="", status="ungradable")
    kpi = Kpi(
        code="TG-01", title=t("先进支部占比"), target=0.9, actual=None, numerator=0, denominator=0, met=False
    )
    with summary_writer(path) as summary:
        summary.finish((bad,), (kpi,))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SUMMARY_SHEETS
    assert _rows(wb["汇总"])[0][4:6] == ["书记", "总分"]  # no indicator columns without a graded branch
    assert _rows(wb["学院指标"])[1][:4] == ["TG-01", "先进支部占比", 0.9, "—"]
