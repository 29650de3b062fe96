"""A filled template survives an office application: LibreOffice re-saves it as .xlsx, .ods and .xls.

This stands in for "a secretary opened the form, filled it and saved it": every value must come back
with its type (dates as dates, numbers as numbers, Chinese text intact, typed-text dates as the text),
the hidden version stamp must survive, and the dropdowns and protection must still be in the .xlsx.
The other way round, a 整改清单 the tool wrote must open, re-save with its content and dropdown intact,
and print to PDF.

Needs ``soffice`` (``apt-get install -y --no-install-recommends libreoffice-calc``). Skipped without it,
unless ``BRANCHGRADE_REQUIRE_OFFICE=1``, which turns the skip into a failure (for CI that promises it).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import unicodedata
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from engine.export.branch_list import HEAD_ROW
from engine.export.template import VERSION_NAME, sheet_note
from fixtures.formfill import filled_template, normalise
from schemas.form_layout import (
    INSTRUCTIONS_SHEET,
    META_MARK,
    META_SHEET,
    SHEETS,
    TEMPLATE_VERSION,
    FieldSpec,
    Kind,
    SheetSpec,
)

pytestmark = pytest.mark.office

CONVERT_TIMEOUT = 180  # seconds; a cold LibreOffice profile takes a few seconds, a hung one never ends
FORMATS = ("xlsx", "ods", "xls")

# Dates typed as text stay text in LibreOffice (en-US): the reader parses them, the office must keep them.
TEXT_DATES = {
    "2012年5月15日": dt.date(2012, 5, 15),
    "2012/9/3": dt.date(2012, 9, 3),
    "２０１２年１１月２日": dt.date(2012, 11, 2),
    "2012.12.20": dt.date(2012, 12, 20),
    "2012年12月20日": dt.date(2012, 12, 20),
}

VALUES: dict[str, Any] = {
    "basic": {
        "branch_name": "学生第一党支部",
        "branch_id": "XS-01",
        "general_branch": "化学与化工学院党总支",
        "branch_type": "学生",
        "window_department": "否",
        "full_members": 12,
        "probationary_members": 4,
        "secretary": "李四",
        "last_election": dt.date(2010, 6, 18),
        "contact_leader": "王五",
        "assessment_year": 2012,
        "filled_on": "2012年12月20日",
        "filled_by": "赵六",
    },
    "committee": [
        {"name": "李四", "post": "书记", "admin_post": "是"},
        {"name": "钱七", "post": "组织委员", "admin_post": "否"},
        {"name": "孙八", "post": "宣传委员", "admin_post": "否"},
    ],
    "meetings": [
        {
            "date": dt.date(2012, 1, 10),
            "type": "支委会",
            "chair": "李四",
            "topic": "研究年度工作计划",
            "expected": 3,
            "present": 3,
            "tags": "思想政治、理想信念",
            "online": "否",
            "minutes": "是",
            "note": "=不是公式",  # a leading "=" must stay text through the office re-save
        },
        {"date": "2012年5月15日", "type": "党课", "chair": "王五", "topic": "学习十八大精神", "present": 15},
        {"date": "2012/9/3", "type": "支部党员大会", "expected": 16, "present": 14, "minutes": "是"},
        {"date": "２０１２年１１月２日", "type": "组织生活会", "expected": 16, "present": 16, "online": "是"},
    ],
    "study_hours": [
        {"name": "李四", "leader": "是", "q1": 8, "q2": 6.5, "q3": 7, "q4": 9.5},
        {"name": "钱七", "leader": "否", "q1": 4, "q2": 4, "q3": 0, "q4": 5},
    ],
    "training": [
        {
            "name": "李四",
            "date": dt.date(2012, 7, 8),
            "type": "集中培训",
            "organiser": "校党委组织部",
            "hours": 16,
        },
        {"name": "李四", "date": "2012.12.20", "type": "实践活动", "organiser": "学院党委", "hours": 4.5},
    ],
    "candidates": [
        {
            "name": "周九",
            "identity": "学生",
            "applied_on": dt.date(2010, 10, 9),
            "activist_on": dt.date(2011, 3, 1),
            "candidate_on": dt.date(2012, 3, 20),
            "notice_start": dt.date(2012, 4, 1),
            "notice_end": dt.date(2012, 4, 7),
            "voters_due": 12,
            "voters_present": 11,
            "votes_yes": 11,
            "ballot": "无记名投票",
            "vote_on": dt.date(2012, 4, 20),
            "approved_on": dt.date(2012, 5, 10),
        }
    ],
    "systems": {
        "venue": {"done": "是", "date": dt.date(2012, 3, 1), "count": 1, "note": "党员活动室 201"},
        "funds": {"done": "是", "count": 3000, "note": "党建经费（元）"},
        "badges": {"done": "否"},
    },
    "student_classes": [
        {
            "class_name": "化工2010级1班",
            "study_year": "三年级",
            "students": 38,
            "members": 6,
            "full_members": 4,
        },
        {
            "class_name": "化工2011级2班",
            "study_year": "二年级",
            "students": 40,
            "members": 3,
            "party_group": "否",
        },
    ],
    "satisfaction": {
        "surveyed_on": dt.date(2012, 12, 10),
        "respondents": 60,
        "satisfied": 50,
        "basically_satisfied": 8,
        "dissatisfied": 2,
    },
    "negative_list": {
        "discipline": {"present": "否"},
        "inactive": {"present": "否", "note": "每月均开展活动"},
        "petition": {"present": "否"},
        "disunity": {"present": "否"},
    },
    "self_assessment": {"self_score": 91.5, "self_grade": "先进", "graded_on": dt.date(2012, 12, 25)},
    "problems": [
        {
            "problem": "理论学习深度不够",
            "measure": "每月开展一次专题学习",
            "owner": "李四",
            "due": dt.date(2013, 6, 30),
        },
        {"problem": "党务公开不及时", "measure": "建立公开台账", "state": "整改中"},
    ],
}


# --- locating values in calamine rows, the way the reader does -------------------------------------------


def _spec(key: str) -> SheetSpec:
    return next(s for s in SHEETS if s.key == key)


def _row_of(rows: list[list[Any]], labels: tuple[str, ...], start: int = 0) -> int:
    wanted = {normalise(x) for x in labels}
    for r in range(start, len(rows)):
        if rows[r] and normalise(rows[r][0]) in wanted:
            return r
    raise AssertionError(f"label {labels[0]!r} not found in column A")


def _header(rows: list[list[Any]], columns: tuple[FieldSpec, ...]) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int]] = (-1, {})
    for r, row in enumerate(rows[:60]):
        found = {
            f.name: c
            for c, v in enumerate(row)
            for f in columns
            if normalise(v) in {normalise(x) for x in f.labels}
        }
        if len(found) > len(best[1]):
            best = (r, found)
    assert best[0] >= 0, f"no header row with any of {[f.zh for f in columns]}"
    return best


def _at(rows: list[list[Any]], r: int, c: int) -> Any:
    return rows[r][c] if r < len(rows) and c < len(rows[r]) else ""


def expected_cells(book: CalamineWorkbook) -> Iterator[tuple[str, Any, Any]]:
    """(where, value read back, value written) for every value in VALUES."""
    for key, value in VALUES.items():
        if isinstance(value, Mapping):
            spec = _spec(key)
            rows = book.get_sheet_by_name(spec.name).to_python()
            if spec.items:
                head, cols = _header(rows, spec.item_columns)
                for item_key, columns in value.items():
                    item = next(i for i in spec.items if i.key == item_key)
                    r = _row_of(rows, item.labels, head + 1)
                    for name, v in columns.items():
                        yield f"{spec.name}/{item.zh}/{name}", _at(rows, r, cols[name]), v
            else:
                for name, v in value.items():
                    f = next(f for f in spec.fields if f.name == name)
                    yield f"{spec.name}/{f.zh}", _at(rows, _row_of(rows, f.labels), 1), v
        else:
            spec = next(s for s in SHEETS if s.table is not None and s.table.name == key)
            assert spec.table is not None
            rows = book.get_sheet_by_name(spec.name).to_python()
            head, cols = _header(rows, spec.table.columns)
            for i, record in enumerate(value):
                for name, v in record.items():
                    yield f"{spec.name}/{key}[{i}]/{name}", _at(rows, head + 1 + i, cols[name]), v


def leaf_count(values: Any) -> int:
    if isinstance(values, Mapping):
        return sum(leaf_count(v) for v in values.values())
    if isinstance(values, list):
        return sum(leaf_count(v) for v in values)
    return 1


def same(actual: Any, expected: Any) -> bool:
    """Equal and of the same kind: a date must come back as a date, a number as a number."""
    if isinstance(expected, dt.date):
        if isinstance(actual, dt.datetime):
            return actual.time() == dt.time(0) and actual.date() == expected
        return isinstance(actual, dt.date) and actual == expected
    if isinstance(expected, int | float):
        return isinstance(actual, int | float) and not isinstance(actual, bool) and actual == expected
    return isinstance(actual, str) and actual == expected


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def soffice() -> str:
    found = shutil.which("soffice")
    if found is None:
        if os.environ.get("BRANCHGRADE_REQUIRE_OFFICE") == "1":
            pytest.fail(
                "BRANCHGRADE_REQUIRE_OFFICE=1 but LibreOffice (soffice) is not on PATH; install it with "
                "`apt-get install -y --no-install-recommends libreoffice-calc`"
            )
        pytest.skip(
            "LibreOffice (soffice) not installed; set BRANCHGRADE_REQUIRE_OFFICE=1 to make this a failure"
        )
    return found


def convert(soffice: str, source: Path, fmt: str, workdir: Path) -> Path:
    outdir = workdir / f"out-{fmt}"
    outdir.mkdir()
    profile = workdir / "lo-profile"  # a private profile: no clash with a running office, no user settings
    cmd = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        fmt,
        "--outdir",
        str(outdir),
        str(source),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=CONVERT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"soffice did not finish converting to {fmt} within {CONVERT_TIMEOUT}s: {exc}")
    out = outdir / f"{source.stem}.{fmt}"
    if done.returncode != 0 or not out.is_file():
        pytest.fail(
            f"soffice failed to convert to {fmt} (rc={done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return out


@pytest.fixture(scope="module")
def files(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The filled source (openpyxl) and its LibreOffice re-saves, by format."""
    workdir = tmp_path_factory.mktemp("office")
    source = workdir / "branch.xlsx"
    filled_template(VALUES, branch_type="学生", year=2012).save(source)
    converted = {fmt: convert(soffice, source, fmt, workdir) for fmt in FORMATS}
    return {"source": source, **converted}


def open_book(path: Path) -> CalamineWorkbook:
    with path.open("rb") as fh:  # from_filelike sniffs the real format instead of trusting the suffix
        return CalamineWorkbook.from_filelike(fh)


ALL = ("source", *FORMATS)


# --- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ALL)
def test_every_filled_value_comes_back_with_its_type(files: dict[str, Path], fmt: str) -> None:
    book = open_book(files[fmt])
    checked = list(expected_cells(book))
    wrong = [(where, actual, expected) for where, actual, expected in checked if not same(actual, expected)]
    assert not wrong, f"{fmt}: {wrong}"
    assert len(checked) == leaf_count(VALUES)  # the test really walked every section
    typed = [e for _, _, e in checked if isinstance(e, str) and e in TEXT_DATES]
    assert len(typed) == len(TEXT_DATES)  # every kind of typed date was exercised


@pytest.mark.parametrize("fmt", ALL)
def test_sheets_and_hidden_meta_sheet_survive(files: dict[str, Path], fmt: str) -> None:
    book = open_book(files[fmt])
    assert book.sheet_names == [INSTRUCTIONS_SHEET, *(s.name for s in SHEETS), META_SHEET]
    hidden = [m.name for m in book.sheets_metadata if m.visible != SheetVisibleEnum.Visible]
    assert hidden == [META_SHEET]
    assert next(m for m in book.sheets_metadata if m.name == META_SHEET).visible == SheetVisibleEnum.Hidden
    meta = book.get_sheet_by_name(META_SHEET).to_python()
    assert meta[0][:2] == [META_MARK, TEMPLATE_VERSION]


@pytest.mark.parametrize("fmt", ALL)
def test_labels_survive_unchanged(files: dict[str, Path], fmt: str) -> None:
    book = open_book(files[fmt])
    for spec in SHEETS:
        rows = book.get_sheet_by_name(spec.name).to_python()
        assert rows[0][0] == spec.name and rows[1][0] == sheet_note(spec, VALUES["basic"]["branch_type"])
        for f in spec.fields:
            _row_of(rows, f.labels)
        for item in spec.items:
            _row_of(rows, item.labels)
        if spec.table is not None:
            _, cols = _header(rows, spec.table.columns)
            assert set(cols) == {c.name for c in spec.table.columns}


def test_dropdowns_protection_and_version_name_survive_the_xlsx_resave(files: dict[str, Path]) -> None:
    with warnings.catch_warnings():
        # LibreOffice writes extensions openpyxl does not model; only what survives matters here.
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(files["xlsx"])
    ws = wb["会议活动"]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    table = _spec("meetings").table
    assert table is not None
    meeting_types = table.column("type").choices
    assert lists["B5:B304"] == '"' + ",".join(meeting_types) + '"'
    dates = [dv for dv in ws.data_validations.dataValidation if dv.type == "date"]
    assert [str(dv.sqref) for dv in dates] == ["A5:A304"]
    assert ws.protection.sheet and not ws.protection.password
    assert ws["A4"].protection.locked and ws["A300"].protection.locked is False
    assert wb.defined_names[VERSION_NAME].attr_text.endswith("$B$1")
    assert wb[META_SHEET].sheet_state == "hidden"


# --- the project's own reader --------------------------------------------------------------------------


def _expected_model_value(spec: FieldSpec, value: Any) -> Any:
    """What the validate stage should make of a value written into the form."""
    if spec.kind is Kind.DATE:
        return TEXT_DATES.get(value, value) if isinstance(value, str) else value
    if spec.kind is Kind.BOOL:
        return value == "是"
    if spec.kind is Kind.INT:
        return int(value)
    if spec.kind is Kind.NUMBER:
        return float(value)
    if spec.name == "tags":
        return tuple(value.split("、"))
    # Free text is NFKC-normalised by the reader (full-width brackets become ASCII), on purpose.
    return unicodedata.normalize("NFKC", value).strip()


@pytest.mark.parametrize("fmt", ALL)
def test_the_ingest_stage_reads_every_format(files: dict[str, Path], fmt: str) -> None:
    from engine.ingest import read_workbook

    raw = read_workbook(files[fmt])
    assert not raw.problems, raw.problems
    assert list(raw.sheets) == [INSTRUCTIONS_SHEET, *(s.name for s in SHEETS), META_SHEET]
    assert raw.sheets[META_SHEET].hidden and not raw.sheets["基本信息"].hidden
    assert raw.sheets[META_SHEET].rows[0][:2] == [META_MARK, TEMPLATE_VERSION]


@pytest.mark.parametrize("fmt", ALL)
def test_the_validate_stage_reads_back_every_value(files: dict[str, Path], fmt: str) -> None:
    from engine.ingest import read_workbook

    validate = pytest.importorskip("engine.validate")
    validate_workbook = getattr(validate, "validate_workbook", None)
    if validate_workbook is None:
        pytest.skip("engine.validate.validate_workbook is not implemented yet; the calamine checks above ran")
    result = validate_workbook(read_workbook(files[fmt]))
    assert result.form is not None, result.problems
    form = result.form
    assert form.template_version == TEMPLATE_VERSION
    for key, value in VALUES.items():
        spec = next((s for s in SHEETS if s.key == key and isinstance(value, Mapping)), None)
        if spec is not None and spec.items:
            section = getattr(form, key)
            for item_key, columns in value.items():
                for name, v in columns.items():
                    f = next(c for c in spec.item_columns if c.name == name)
                    got = getattr(section[item_key], name)
                    assert got == _expected_model_value(f, v), (key, item_key, name)
        elif spec is not None:
            section = getattr(form, key)
            for name, v in value.items():
                f = next(c for c in spec.fields if c.name == name)
                assert getattr(section, name) == _expected_model_value(f, v), (key, name)
        else:
            table = next(s.table for s in SHEETS if s.table is not None and s.table.name == key)
            assert table is not None
            records = form.self_assessment.problems if key == "problems" else getattr(form, key)
            assert len(records) == len(value), key
            for i, record in enumerate(value):
                for name, v in record.items():
                    got = getattr(records[i], name)
                    assert got == _expected_model_value(table.column(name), v), (key, i, name)


# --- the 整改清单 the tool writes: LibreOffice opens it, re-saves it and prints it -------------------------


@pytest.fixture(scope="module")
def list_files(soffice: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A branch list (written directly as XML, see engine/export/branch_list) and its LibreOffice
    re-save as .xlsx and print as .pdf."""
    from engine.export.branch_list import write_branch_list
    from tests.test_export import finding, make_result

    workdir = tmp_path_factory.mktemp("office-list")
    source = workdir / "list.xlsx"
    items = (finding("OL-02", message="=1+1 不是公式 & <标签>"), finding("ED-08", n_cells=12))
    write_branch_list(make_result(name="机电系第一党支部", items=items), source)
    return {"source": source, **{fmt: convert(soffice, source, fmt, workdir) for fmt in ("xlsx", "pdf")}}


def test_branch_list_survives_a_libreoffice_resave(list_files: dict[str, Path]) -> None:
    original = openpyxl.load_workbook(list_files["source"]).active
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LibreOffice writes extensions openpyxl does not model
        resaved = openpyxl.load_workbook(list_files["xlsx"]).active
    assert resaved.title == original.title == "整改清单"
    values = {c.coordinate: c.value for row in original.iter_rows() for c in row if c.value is not None}
    assert {
        c.coordinate: c.value for row in resaved.iter_rows() for c in row if c.value is not None
    } == values
    formula_like = next(k for k, v in values.items() if isinstance(v, str) and v.startswith("=1+1"))
    assert resaved[formula_like].data_type == "s"  # still text after the office read and wrote it
    assert not any(c.data_type == "f" for row in resaved.iter_rows() for c in row)
    assert {str(r) for r in resaved.merged_cells.ranges} == {str(r) for r in original.merged_cells.ranges}
    assert [(dv.type, dv.formula1, str(dv.sqref)) for dv in resaved.data_validations.dataValidation] == [
        ("list", '"未开始,整改中,已完成"', f"I{HEAD_ROW + 2}:I{HEAD_ROW + 3}")
    ]
    assert resaved.print_title_rows == f"${HEAD_ROW + 1}:${HEAD_ROW + 1}"  # the table's header row
    assert (resaved.page_setup.orientation, int(resaved.page_setup.paperSize)) == ("landscape", 9)
    assert resaved[f"D{HEAD_ROW + 2}"].alignment.wrap_text and resaved["A1"].font.b


def test_branch_list_prints_to_pdf(list_files: dict[str, Path]) -> None:
    pdf = list_files["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
