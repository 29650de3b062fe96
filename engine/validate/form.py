"""RawWorkbook → FormResult: find every value by its label, parse it, check it, and collect every problem.

Nothing stops at the first mistake: a branch gets the full list of what to fix in one go (the same idea
as pandera's ``lazy=True``). The form is built only when no problem is an error; warnings travel with it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

from engine.validate.build import evidence as _evidence
from engine.validate.build import record as _record
from engine.validate.cells import Columns, RowCells
from engine.validate.locate import (
    Header,
    a1,
    cell,
    column_letters,
    find_fields,
    find_header,
    find_sheet,
    find_text_row,
    first_text_cell,
    label_keys,
)
from engine.validate.parse import _MAX_YEAR as _MAX_DATE_YEAR
from engine.validate.parse import _MIN_YEAR as _MIN_DATE_YEAR
from engine.validate.parse import (
    MAX_NUMBER,
    ParseError,
    _choice_keys,
    clean_text,
    display_value,
    is_blank,
    normalise_label,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_number,
    parse_tags,
)
from schemas.common import Evidence, Finding, Severity, Text
from schemas.form import (
    AppraisalResult,
    BasicInfo,
    BranchForm,
    Candidate,
    ChecklistItem,
    CommitteeMember,
    Disclosure,
    FormResult,
    Meeting,
    NegativeItem,
    OrgLifeReview,
    Problem,
    Satisfaction,
    SelfAssessment,
    StudentClass,
    StudyHours,
    Talk,
    Training,
)
from schemas.form_layout import (
    BASIC,
    CANDIDATES,
    FORM_2012,
    MEETINGS,
    META_MARK,
    META_SHEET,
    NEGATIVE_LIST,
    SATISFACTION,
    SELF_ASSESSMENT,
    STUDENT_CLASSES,
    STUDY_HOURS,
    SYSTEMS,
    TEMPLATE_VERSION,
    TRAINING,
    TRANSPARENCY_LOG,
    FieldSpec,
    Kind,
    SheetSpec,
    TableSpec,
)
from schemas.forms import form_of_version, form_retiring
from schemas.problems import make_problem
from schemas.raw import CellValue, RawSheet, RawWorkbook

# The registers of the national form kept person by person (schemas/form_national.py); a form without
# them reads them as empty.
PER_PERSON = ("appraisal_results", "talks", "org_life_reviews")
MAX_HOURS_PER_QUARTER = 500.0  # 500 h a quarter is already ~40 h a week of study: more is a typo
MIN_YEAR, MAX_YEAR = 1990, 2100

_nfkc = unicodedata.normalize

_PART_LABEL = Text(zh="标签", en="label")
_PART_HEADER = Text(zh="表头", en="column header")
_PART_ITEM = Text(zh="项目行", en="checklist row")


@lru_cache(maxsize=4096)
def _text(zh: str, en: str) -> Text:
    """A bilingual text; the same few hundred recur in every workbook, and a ``Text`` is immutable."""
    return Text(zh=zh, en=en)


T = TypeVar("T")


def _per_spec(make: Callable[[FieldSpec], T]) -> Callable[[FieldSpec], T]:
    """``make(spec)`` worked out once per spec object (specs are module constants; hashing one field by
    field on every cell would cost more than the lookup saves)."""
    made: dict[int, tuple[FieldSpec, T]] = {}

    def of(spec: FieldSpec) -> T:
        entry = made.get(id(spec))
        if entry is None or entry[0] is not spec:
            entry = made[id(spec)] = (spec, make(spec))
        return entry[1]

    return of


@_per_spec
def _label(spec: FieldSpec) -> Text:
    """The spec's bilingual label (a ``Text`` is immutable, so one can be shared)."""
    return _text(spec.zh, spec.en)


@lru_cache(maxsize=1024)
def _item_label(item_zh: str, column_zh: str, item_en: str, column_en: str) -> Text:
    """A checklist cell's label, ``项目—列``; the same few dozen in every workbook."""
    return _text(f"{item_zh}—{column_zh}", f"{item_en} — {column_en}")


@lru_cache(maxsize=1024)
def _bool_of_text(value: str) -> bool | None:
    """``parse_bool`` of a text cell, or None when it refuses it (the caller then reports the error)."""
    try:
        return parse_bool(value)
    except ParseError:
        return None


# ``convert``'s answer for a value outside the common cases below: the general path decides.
_UNCOMMON: Any = object()


def _quick_text(value: CellValue) -> Any:
    return _nfkc("NFKC", value).strip() if type(value) is str else _UNCOMMON  # clean_text


def _quick_tags(value: CellValue) -> Any:
    return parse_tags(value) if type(value) is str else _UNCOMMON


def _quick_int(value: CellValue) -> Any:
    # calamine gives every number as a float; is_integer() is False for NaN and infinities
    if type(value) is float and value.is_integer() and 0 <= value < MAX_NUMBER:
        return int(value)
    return _UNCOMMON


def _quick_number(value: CellValue) -> Any:
    return value if type(value) is float and 0 <= value < MAX_NUMBER else _UNCOMMON


def _quick_date(value: CellValue) -> Any:
    if type(value) is date and _MIN_DATE_YEAR <= value.year <= _MAX_DATE_YEAR:
        return value
    return _UNCOMMON


def _quick_bool(value: CellValue) -> Any:
    if type(value) is str:
        answer = _bool_of_text(value)
        if answer is not None:
            return answer
    return _UNCOMMON


def _quick_choice(choices: tuple[str, ...]) -> Callable[[CellValue], Any]:
    canonical = _choice_keys(choices)

    def quick(value: CellValue) -> Any:
        if type(value) is str:
            found = canonical.get(normalise_label(value))
            if found is not None:
                return found
        return _UNCOMMON

    return quick


@_per_spec
def _quick(spec: FieldSpec) -> Callable[[CellValue], Any]:
    """The spec's common case, as cheap as possible: a non-blank value of the type calamine gives for it,
    parsed exactly as the general path of ``convert`` would (``_UNCOMMON`` for anything else). Most of a
    workbook's cells take this path; doing it first means their address is never even formatted."""
    if spec.kind is Kind.TEXT:
        return _quick_tags if spec.name == "tags" else _quick_text
    if spec.kind is Kind.ENUM:
        return _quick_choice(spec.choices)
    return {
        Kind.INT: _quick_int,
        Kind.NUMBER: _quick_number,
        Kind.DATE: _quick_date,
        Kind.BOOL: _quick_bool,
    }[spec.kind]


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())  # is_blank, for raw cells


# Where a value is, for a problem about it: (sheet name, A1 cell, the value as shown or None when blank).
# Made into an ``Evidence`` only when a problem is reported, which is rare.
Spot = tuple[str, str, str | None]


class Row:
    """One parsed record: its typed values (a value left blank or refused is absent) and its cells."""

    __slots__ = ("cells", "values")

    def __init__(
        self, values: dict[str, Any] | None = None, cells: Mapping[str, Evidence] | None = None
    ) -> None:
        self.values: dict[str, Any] = {} if values is None else values
        self.cells: Mapping[str, Evidence] = {} if cells is None else cells


# A register column as ``read_row`` uses it: field name, quick parser, spec, required, column letters.
_Column = tuple[str, Callable[[CellValue], Any], FieldSpec, bool, str]


class _Validator:
    def __init__(self, raw: RawWorkbook, expected_year: int | None) -> None:
        self.raw = raw
        self.file = raw.file
        self.expected_year = expected_year
        self.problems: list[Finding] = []

    # ------------------------------------------------------------ problems and evidence

    def evidence(
        self, sheet: RawSheet, row: int | None = None, column: int | None = None, value: object = None
    ) -> Evidence:
        where = a1(row, column) if row is not None and column is not None else None
        shown = display_value(value) if value is not None and not is_blank(value) else None
        # built without validation: every argument is already a str or None (see engine/validate/build.py)
        return _evidence(self.file, sheet.name, where, shown)

    def cell_evidence(
        self, sheet: RawSheet, row: int, column: int, value: CellValue
    ) -> tuple[Evidence, Spot]:
        """The record's ``Evidence`` of a cell (its value as shown, '' when empty) and its ``Spot``."""
        shown = display_value(value)
        where = a1(row, column)
        spot = (sheet.name, where, None if is_blank(value) else shown)
        return _evidence(self.file, sheet.name, where, shown), spot

    def report(
        self,
        code: str,
        evidence: Evidence | tuple[Evidence, ...],
        severity: Severity | None = None,
        **ctx: Any,
    ) -> None:
        self.problems.append(make_problem(code, evidence, severity, **ctx))

    # ------------------------------------------------------------ one value

    def convert(self, spec: FieldSpec, label: Text, value: CellValue, spot: Spot) -> Any:
        """Parse ``value`` as ``spec`` says; report and return None when it is blank or refused."""
        if spot[2] is None:  # blank
            if spec.required:
                self.report("IN-06", _evidence(self.file, *spot), label=label)
            return None
        shown = spot[2]
        answer = _quick(spec)(value)  # the common cases, each exactly what the general path would give
        if answer is not _UNCOMMON:
            return answer
        try:
            if spec.kind in (Kind.INT, Kind.NUMBER):
                number: float = parse_int(value) if spec.kind is Kind.INT else parse_number(value)
                if number < 0:
                    self.report(
                        "IN-10",
                        _evidence(self.file, *spot),
                        label=label,
                        value=shown,
                        reason=_text("不能为负数", "it cannot be negative"),
                        hint=_text("请填写 0 或正数", "enter 0 or a positive number"),
                    )
                    return None
                return number
            if spec.kind is Kind.DATE:
                return parse_date(value)
            if spec.kind is Kind.BOOL:
                return parse_bool(value)
            if spec.kind is Kind.ENUM:
                return parse_choice(value, spec.choices)
            if spec.name == "tags":
                return parse_tags(value)
            return clean_text(value)
        except ParseError as error:
            if spec.kind in (Kind.INT, Kind.NUMBER):
                self.report(
                    "IN-07", _evidence(self.file, *spot), label=label, value=shown, reason=error.reason
                )
            elif spec.kind is Kind.DATE:
                self.report(
                    "IN-08", _evidence(self.file, *spot), label=label, value=shown, reason=error.reason
                )
            else:
                choices = spec.choices or ("是", "否")
                self.report(
                    "IN-09", _evidence(self.file, *spot), label=label, value=shown, choices="、".join(choices)
                )
            return None

    # ------------------------------------------------------------ sheets

    def sheet_for(self, spec: SheetSpec, required: bool) -> RawSheet | None:
        found = find_sheet(self.raw, spec)
        if found is None and required:
            names = "、".join(self.raw.sheets) or "（无）"
            self.report("IN-04", Evidence(file=self.file), sheet=_text(spec.name, spec.en), found=names)
        return found

    def read_fields(self, sheet: RawSheet, spec: SheetSpec, stop: int) -> Row:
        located = find_fields(sheet, spec.fields, 0, stop)
        values: dict[str, Any] = {}
        cells: dict[str, Evidence] = {}  # a handful per sheet, each at its own row: made at once
        for field_spec in spec.fields:
            label = _label(field_spec)
            spot = located.get(field_spec.name)
            if spot is None:
                severity = Severity.ERROR if field_spec.required else Severity.WARNING
                self.report(
                    "IN-05",
                    self.evidence(sheet),
                    severity,
                    part=_PART_LABEL,
                    label=label,
                    searched=_text(
                        f"工作表“{sheet.name}”第 1–{stop} 行", f"sheet “{sheet.name}”, rows 1–{stop}"
                    ),
                )
                continue
            evidence, where = self.cell_evidence(sheet, spot.row, spot.value_column, spot.value)
            cells[field_spec.name] = evidence
            value = self.convert(field_spec, label, spot.value, where)
            if value is not None:
                values[field_spec.name] = value
        return Row(values, cells)

    def report_missing_columns(self, sheet: RawSheet, header: Header, columns: Sequence[FieldSpec]) -> None:
        """IN-05 for each column the header row lacks: an error if the column is required, else a warning."""
        for spec in columns:
            if spec.name not in header.columns:
                self.report(
                    "IN-05",
                    self.evidence(sheet, header.row, 0),
                    Severity.ERROR if spec.required else Severity.WARNING,
                    part=_PART_HEADER,
                    label=_label(spec),
                    searched=_text(
                        f"表头行（第 {header.row + 1} 行）", f"the header row (row {header.row + 1})"
                    ),
                )

    def report_extra_columns(self, sheet: RawSheet, header: Header, table: TableSpec) -> None:
        """IN-20 (a warning) for each titled column of the header row that is none of the register's: what
        a secretary types there would otherwise be silently ignored."""
        known = set(header.columns.values())
        for column, value in enumerate(sheet.rows[header.row]):
            if column in known or _blank(value):
                continue
            if not any(not _blank(row[column]) for row in sheet.rows[header.row + 1 :] if column < len(row)):
                continue  # a titled but empty column loses nothing
            self.report(
                "IN-20",
                self.evidence(sheet, header.row, column),
                column=column_letters(column),
                header=display_value(value),
                sheet=_text(f"工作表“{sheet.name}”", f"sheet “{sheet.name}”"),
            )

    def read_table(self, sheet: RawSheet, table: TableSpec, start: int) -> list[Row]:
        header = find_header(sheet, table.columns, start)
        last = min(len(sheet.rows), start + 40)
        if header is None:
            expected = "、".join(c.zh for c in table.columns)
            self.report(
                "IN-05",
                self.evidence(sheet),
                part=_PART_HEADER,
                label=_text(f"{table.zh}：{expected}", f"{table.en}: {expected}"),
                searched=_text(
                    f"工作表“{sheet.name}”第 {start + 1}–{last} 行",
                    f"sheet “{sheet.name}”, rows {start + 1}–{last}",
                ),
            )
            return []
        self.report_missing_columns(sheet, header, table.columns)
        self.report_extra_columns(sheet, header, table)
        found = [(spec, header.columns[spec.name]) for spec in table.columns if spec.name in header.columns]
        indices = [c for _, c in found]
        columns, plan = self.columns(sheet, found)
        labels = [_label(spec) for spec, _ in found]
        widest = max(indices) + 1
        # a row's values in the found columns, as a tuple (itemgetter of one index gives the bare value)
        pick = itemgetter(*indices) if len(indices) > 1 else lambda values: (values[indices[0]],)
        covered = _covered_by_merges(sheet, header.row, set(indices))
        rows: list[Row] = []
        for r in range(header.row + 1, len(sheet.rows)):
            values = sheet.rows[r]
            if covered and r in covered:
                values = _with_merged(values, covered[r])
            if len(values) >= widest:
                raw = pick(values)
            else:
                raw = tuple(values[c] if c < len(values) else None for c in indices)
            if all(map(_blank, raw)):
                continue  # blank rows (and prepared template rows) are not records
            rows.append(
                Row(self.read_row(plan, labels, sheet.name, r + 1, raw), RowCells(columns, r + 1, raw))
            )
        return rows

    def columns(
        self, sheet: RawSheet, found: Sequence[tuple[FieldSpec, int]]
    ) -> tuple[Columns, list[_Column]]:
        """For the columns ``found`` (spec, 0-based column) of a register: the places its rows' cells share,
        and what ``read_row`` needs of each column."""
        letters = [column_letters(c) for _, c in found]
        places = {spec.name: (i, letters[i]) for i, (spec, _) in enumerate(found)}
        plan = [
            (spec.name, _quick(spec), spec, spec.required, letters[i]) for i, (spec, _) in enumerate(found)
        ]
        return Columns(self.file, sheet.name, places), plan

    def read_row(
        self,
        plan: Sequence[_Column],
        labels: Sequence[Text],
        sheet: str,
        number: int,
        raw: Sequence[CellValue],
    ) -> dict[str, Any]:
        """The typed values of one register row (``raw``: its values in the columns of ``plan``), each
        exactly as ``convert`` gives it, blanks and refused values left out; problems reported in column
        order. The common cases skip ``convert`` and so never format the cell's address."""
        typed: dict[str, Any] = {}
        for (name, quick, spec, required, letters), label, value in zip(plan, labels, raw, strict=True):
            if value is None or (isinstance(value, str) and not value.strip()):  # _blank, inlined
                if required:
                    self.convert(spec, label, value, (sheet, f"{letters}{number}", None))  # reports IN-06
                continue
            answer = quick(value)
            if answer is _UNCOMMON:
                answer = self.convert(spec, label, value, (sheet, f"{letters}{number}", display_value(value)))
                if answer is None:
                    continue
            typed[name] = answer
        return typed

    def read_checklist(self, sheet: RawSheet, spec: SheetSpec) -> dict[str, Row]:
        header = find_header(sheet, spec.item_columns, 0, len(sheet.rows))
        if header is None:
            expected = "、".join((spec.item_header, *(c.zh for c in spec.item_columns)))
            self.report(
                "IN-05",
                self.evidence(sheet),
                part=_PART_HEADER,
                label=_text(expected, expected),
                searched=_text(f"工作表“{sheet.name}”", f"sheet “{sheet.name}”"),
            )
            return {}
        item_rows: dict[str, int] = {}
        items = (*spec.items, *spec.former_items)
        labels = {normalise_label(label): item.key for item in items for label in item.labels}
        for r, values in enumerate(sheet.rows):
            first = first_text_cell(values)
            if first is None:
                continue
            for key in label_keys(first[1]):
                if key in labels and labels[key] not in item_rows:
                    item_rows[labels[key]] = r
                    break
        any_required = any(c.required for c in spec.item_columns)
        found = [(c, header.columns[c.name]) for c in spec.item_columns if c.name in header.columns]
        columns, plan = self.columns(sheet, found)
        result: dict[str, Row] = {}
        former = {item.key for item in spec.former_items}
        for item in items:
            r_found = item_rows.get(item.key)
            if r_found is None and item.key in former:
                continue  # a row of older forms: read when there, never asked for
            if r_found is None:
                self.report(
                    "IN-05",
                    self.evidence(sheet),
                    Severity.ERROR if any_required else Severity.WARNING,
                    part=_PART_ITEM,
                    label=_text(item.zh, item.en),
                    searched=_text(
                        f"工作表“{sheet.name}”各行的第一个单元格",
                        f"the first cell of each row of “{sheet.name}”",
                    ),
                )
                continue
            raw = tuple(cell(sheet, r_found, c) for _, c in found)
            item_labels = [_item_label(item.zh, c.zh, item.en, c.en) for c, _ in found]
            typed = self.read_row(plan, item_labels, sheet.name, r_found + 1, raw)
            result[item.key] = Row(typed, RowCells(columns, r_found + 1, raw))
        self.report_missing_columns(sheet, header, spec.item_columns)
        return result

    def read_fields_and_table(self, sheet: RawSheet, spec: SheetSpec) -> tuple[Row, list[Row]]:
        """Fields live above the table title; the table's header is searched below it."""
        assert spec.table is not None
        title_row = find_text_row(sheet, spec.table.zh)
        if title_row is None:
            header = find_header(sheet, spec.table.columns, 0, len(sheet.rows))
            fields_stop = header.row if header is not None else len(sheet.rows)
            table_start = max(0, fields_stop - 1) if header is not None else 0
        else:
            fields_stop, table_start = title_row, title_row + 1
        fields = self.read_fields(sheet, spec, max(fields_stop, 1))
        return fields, self.read_table(sheet, spec.table, table_start)

    # ------------------------------------------------------------ checks across values

    def check_not_above(
        self, row: Row, part: str, whole: str, specs: Sequence[FieldSpec], reason: Text, hint: Text
    ) -> None:
        """``part`` must not exceed ``whole`` (present ≤ expected, yes votes ≤ voters present …)."""
        small, big = row.values.get(part), row.values.get(whole)
        if small is None or big is None or small <= big:
            return
        part_spec = next(s for s in specs if s.name == part)
        self.report(
            "IN-10",
            (row.cells[part], row.cells[whole]),
            label=_text(part_spec.zh, part_spec.en),
            value=display_value(small),
            reason=Text(
                zh=reason.zh.format(big=display_value(big)), en=reason.en.format(big=display_value(big))
            ),
            hint=hint,
        )

    def check_in_year(self, rows: Sequence[Row], name: str, spec: FieldSpec, year: int | None) -> None:
        if year is None:
            return
        for row in rows:
            value = row.values.get(name)
            if isinstance(value, date) and value.year != year:
                self.report(
                    "IN-12",
                    row.cells[name],
                    label=_text(spec.zh, spec.en),
                    value=value.isoformat(),
                    year=year,
                )

    # ------------------------------------------------------------ the whole form

    def run(self) -> FormResult:
        # The form the workbook was made from (its template's version stamp); the 2012 form without one.
        stamped = self.stamped_version()
        retiring = form_retiring(stamped)
        if retiring is not None:
            self.report(
                "IN-47",
                Evidence(file=self.file, sheet=META_SHEET, cell="B1"),
                version=stamped,
                form_profile=retiring.profile,
                current=retiring.version,
            )
            return FormResult(
                file=self.file, sha256=self.raw.sha256, form=None, problems=tuple(self.problems)
            )
        layout = form_of_version(stamped) or FORM_2012
        basic_sheet = self.sheet_for(BASIC, True)
        basic, committee = (
            (Row(), [])
            if basic_sheet is None
            else self.read_fields_and_table(basic_sheet, layout.sheet(BASIC.key))
        )
        self.check_basic(basic)
        branch_type = basic.values.get("branch_type")
        year = self.assessment_year(basic)

        tables: dict[str, list[Row]] = {"committee": committee}
        sheet_cells: dict[str, Evidence] = {}
        if basic_sheet is not None:
            sheet_cells[BASIC.name] = Evidence(file=self.file, sheet=basic_sheet.name)
        for key in (
            MEETINGS.key,
            STUDY_HOURS.key,
            TRAINING.key,
            CANDIDATES.key,
            STUDENT_CLASSES.key,
            *PER_PERSON,
        ):
            if not layout.has(key):
                tables[key] = []
                continue
            spec = layout.sheet(key)
            assert spec.table is not None
            required = spec.required or (branch_type is not None and branch_type in spec.applies_to)
            sheet = self.sheet_for(spec, required)
            tables[spec.table.name] = [] if sheet is None else self.read_table(sheet, spec.table, 0)
            if sheet is not None:
                sheet_cells[spec.name] = Evidence(file=self.file, sheet=sheet.name)

        checklists: dict[str, dict[str, Row]] = {}
        for spec in (layout.sheet(SYSTEMS.key), layout.sheet(NEGATIVE_LIST.key)):
            sheet = self.sheet_for(spec, True)
            checklists[spec.key] = {} if sheet is None else self.read_checklist(sheet, spec)
            if sheet is not None:
                sheet_cells[spec.name] = Evidence(file=self.file, sheet=sheet.name)

        # 党务公开记录: a register of the current forms; a workbook made from an older form has none and
        # counts its disclosures on the 制度落实 row instead (read above as a former item).
        tables["disclosures"] = []
        log_spec = next((s for s in layout.sheets if s.key == TRANSPARENCY_LOG.key), None)
        log_sheet = None if log_spec is None else self.sheet_for(log_spec, False)
        if log_spec is not None and log_spec.table is not None and log_sheet is not None:
            tables["disclosures"] = self.read_table(log_sheet, log_spec.table, 0)
            sheet_cells[log_spec.name] = Evidence(file=self.file, sheet=log_sheet.name)

        satisfaction_sheet = self.sheet_for(SATISFACTION, True)
        satisfaction = Row()
        if satisfaction_sheet is not None:
            satisfaction = self.read_fields(
                satisfaction_sheet, layout.sheet(SATISFACTION.key), len(satisfaction_sheet.rows)
            )
            sheet_cells[SATISFACTION.name] = Evidence(file=self.file, sheet=satisfaction_sheet.name)
        self_sheet = self.sheet_for(SELF_ASSESSMENT, True)
        self_fields, problem_rows = Row(), list[Row]()
        if self_sheet is not None:
            self_fields, problem_rows = self.read_fields_and_table(
                self_sheet, layout.sheet(SELF_ASSESSMENT.key)
            )
            sheet_cells[SELF_ASSESSMENT.name] = Evidence(file=self.file, sheet=self_sheet.name)

        self.cross_checks(tables, satisfaction, year)
        version = self.template_version()

        errors = any(p.severity is Severity.ERROR for p in self.problems)
        problems = tuple(self.problems)
        if errors:
            return FormResult(file=self.file, sha256=self.raw.sha256, form=None, problems=problems)
        form = BranchForm(
            file=self.file,
            sha256=self.raw.sha256,
            template_version=version,
            basic=_model(BasicInfo, basic),
            committee=tuple(_model(CommitteeMember, r) for r in tables["committee"]),
            meetings=tuple(_model(Meeting, r) for r in tables["meetings"]),
            study_hours=tuple(_model(StudyHours, r) for r in tables["study_hours"]),
            training=tuple(_model(Training, r) for r in tables["training"]),
            candidates=tuple(_model(Candidate, r) for r in tables["candidates"]),
            systems={k: _model(ChecklistItem, r, key=k) for k, r in checklists["systems"].items()},
            disclosures=tuple(_model(Disclosure, r) for r in tables["disclosures"]),
            student_classes=tuple(_model(StudentClass, r) for r in tables["student_classes"]),
            appraisal_results=tuple(_model(AppraisalResult, r) for r in tables["appraisal_results"]),
            talks=tuple(_model(Talk, r) for r in tables["talks"]),
            org_life_reviews=tuple(_model(OrgLifeReview, r) for r in tables["org_life_reviews"]),
            satisfaction=_model(Satisfaction, satisfaction),
            negative_list={k: _model(NegativeItem, r, key=k) for k, r in checklists["negative_list"].items()},
            self_assessment=_model(
                SelfAssessment, self_fields, problems=tuple(_model(Problem, r) for r in problem_rows)
            ),
            sheet_cells=sheet_cells,
            warnings=problems,
        )
        return FormResult(file=self.file, sha256=self.raw.sha256, form=form, problems=problems)

    def check_basic(self, basic: Row) -> None:
        branch_id = basic.values.get("branch_id")
        if isinstance(branch_id, str):
            basic.values["branch_id"] = normalise_branch_id(branch_id)
        year = basic.values.get("assessment_year")
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            self.report(
                "IN-10",
                basic.cells["assessment_year"],
                label=_text("考核年度", "Assessment year"),
                value=display_value(year),
                reason=_text(
                    f"应为 {MIN_YEAR}–{MAX_YEAR} 之间的四位年份",
                    f"a year between {MIN_YEAR} and {MAX_YEAR} is expected",
                ),
                hint=_text("请填写四位数年份，如 2012", "enter a four-digit year such as 2012"),
            )
            del basic.values["assessment_year"]  # refused: as if left blank
        day = basic.values.get("themed_day")
        if day is not None and not 1 <= day <= 31:
            self.report(
                "IN-10",
                basic.cells["themed_day"],
                label=_text("主题党日固定日", "Fixed day of the themed Party day"),
                value=display_value(day),
                reason=_text("应为 1–31 之间的日子", "a day of the month, 1–31, is expected"),
                hint=_text("填写每月几日，如 15", "enter the day of the month, such as 15"),
            )
            del basic.values["themed_day"]  # refused: as if left blank

    def assessment_year(self, basic: Row) -> int | None:
        declared = basic.values.get("assessment_year")
        if declared is not None and self.expected_year is not None and declared != self.expected_year:
            self.report(
                "IN-12",
                basic.cells["assessment_year"],
                label=_text("考核年度", "Assessment year"),
                value=display_value(declared),
                year=self.expected_year,
            )
        year = declared if declared is not None else self.expected_year
        return int(year) if year is not None else None

    def cross_checks(self, tables: dict[str, list[Row]], satisfaction: Row, year: int | None) -> None:
        meeting_columns = MEETINGS.table.columns if MEETINGS.table else ()
        for row in tables["meetings"]:
            self.check_not_above(
                row,
                "present",
                "expected",
                meeting_columns,
                _text("实到人数超过应到人数 {big}", "more present than the {big} expected"),
                _text("实到人数不能多于应到人数", "present cannot exceed expected attendance"),
            )
        candidate_columns = CANDIDATES.table.columns if CANDIDATES.table else ()
        for row in tables["candidates"]:
            self.check_not_above(
                row,
                "voters_present",
                "voters_due",
                candidate_columns,
                _text("实到人数超过应到人数 {big}", "more present than the {big} due"),
                _text("实到有表决权党员不能多于应到人数", "voters present cannot exceed voters due"),
            )
            self.check_not_above(
                row,
                "votes_yes",
                "voters_present",
                candidate_columns,
                _text("赞成票超过实到人数 {big}", "more yes votes than the {big} present"),
                _text("赞成票数不能多于实到人数", "yes votes cannot exceed voters present"),
            )
        class_columns = STUDENT_CLASSES.table.columns if STUDENT_CLASSES.table else ()
        for row in tables["student_classes"]:
            for part, whole in (("full_members", "members"), ("members", "students")):
                self.check_not_above(
                    row,
                    part,
                    whole,
                    class_columns,
                    _text("超过 {big}", "more than {big}"),
                    _text("部分人数不能多于总人数", "a part cannot exceed the whole"),
                )
        hour_columns = STUDY_HOURS.table.columns if STUDY_HOURS.table else ()
        for row in tables["study_hours"]:
            for spec in hour_columns:
                hours = row.values.get(spec.name)
                if spec.kind is Kind.NUMBER and hours is not None and hours > MAX_HOURS_PER_QUARTER:
                    self.report(
                        "IN-10",
                        row.cells[spec.name],
                        label=_text(spec.zh, spec.en),
                        value=display_value(hours),
                        reason=_text(
                            f"超过每季度 {MAX_HOURS_PER_QUARTER:.0f} 学时的合理上限",
                            f"above the plausible maximum of {MAX_HOURS_PER_QUARTER:.0f} hours a quarter",
                        ),
                        hint=_text(
                            "请填写该季度的学时数，不要填写全年合计",
                            "enter the quarter's hours, not a yearly total",
                        ),
                    )
        counts = [satisfaction.values.get(n) for n in ("satisfied", "basically_satisfied", "dissatisfied")]
        respondents = satisfaction.values.get("respondents")
        if respondents is not None and all(c is not None for c in counts):
            total = sum(c for c in counts if c is not None)
            if total > respondents:
                names = ("respondents", "satisfied", "basically_satisfied", "dissatisfied")
                self.report(
                    "IN-10",
                    tuple(satisfaction.cells[n] for n in names),
                    label=_text("参评人数", "Respondents"),
                    value=display_value(respondents),
                    reason=_text(
                        f"满意、基本满意、不满意合计 {display_value(total)} 人，多于参评人数",
                        f"satisfied + basically satisfied + dissatisfied = {display_value(total)}, "
                        "more than the respondents",
                    ),
                    hint=_text(
                        "三项人数之和不能超过参评人数",
                        "the three counts cannot add up to more than the respondents",
                    ),
                )
        for spec_sheet, table_name in (
            (MEETINGS, "meetings"),
            (TRAINING, "training"),
            (TRANSPARENCY_LOG, "disclosures"),
        ):
            assert spec_sheet.table is not None
            self.check_in_year(tables[table_name], "date", spec_sheet.table.column("date"), year)
        surveyed = next(f for f in SATISFACTION.fields if f.name == "surveyed_on")
        self.check_in_year([satisfaction], "surveyed_on", surveyed, year)

    def stamped_version(self) -> str | None:
        """The template version in the hidden ``_meta`` sheet, or None without a stamp."""
        meta = self.raw.sheets.get(META_SHEET)
        if meta is not None and display_value(cell(meta, 0, 0)) == META_MARK:
            return display_value(cell(meta, 0, 1)) or None
        return None

    def template_version(self) -> str | None:
        """The stamped version; IN-11 when there is none, no known form stamps it, or an earlier template of
        its form stamped it (the current template has moved or added something)."""
        meta = self.raw.sheets.get(META_SHEET)
        actual = self.stamped_version()
        form = form_of_version(actual)
        if form is None or actual != form.version:  # none known, or an earlier template of its form
            where = Evidence(
                file=self.file, sheet=META_SHEET if meta is not None else None, cell="B1" if meta else None
            )
            self.report(
                "IN-11",
                where,
                actual=actual if actual is not None else _text("（无版本标记）", "(no version stamp)"),
                expected=form.version if form is not None else TEMPLATE_VERSION,
            )
        return actual


def _model(model: type[Any], row: Row, **extra: Any) -> Any:
    return _record(model, row.values, extra, row.cells)


def _covered_by_merges(
    sheet: RawSheet, header_row: int, columns: set[int]
) -> dict[int, dict[int, CellValue]]:
    """Register cells under a merged area that spans rows: row → column → the area's value. A secretary
    who merges one date over the three meetings held that day means the date for each of them."""
    covered: dict[int, dict[int, CellValue]] = {}
    for (first_row, column), (last_row, _) in sheet.merged:
        if last_row <= first_row or first_row <= header_row or column not in columns:
            continue
        top = sheet.rows[first_row] if first_row < len(sheet.rows) else []
        value = top[column] if column < len(top) else None
        for r in range(first_row + 1, last_row + 1):
            covered.setdefault(r, {})[column] = value
    return covered


def _with_merged(values: list[CellValue], cells: dict[int, CellValue]) -> list[CellValue]:
    filled = values + [None] * (max(cells) + 1 - len(values)) if max(cells) >= len(values) else list(values)
    for column, value in cells.items():
        if _blank(filled[column]):
            filled[column] = value
    return filled


_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−－"), "-")


def normalise_branch_id(text: str) -> str:
    """A 支部编号 as the department issues it: `` xs-05 ``, ``ＸＳ－０５`` and ``XS—05`` are all ``XS-05``
    (width folded, spaces dropped, letters upper-case, any dash a hyphen), so one branch never counts as
    two because of how its number was typed."""
    folded = _nfkc("NFKC", text).translate(_DASHES)
    return "".join(folded.split()).upper()


def validate_workbook(raw: RawWorkbook, expected_year: int | None = None) -> FormResult:
    """Validate one workbook read by ingest. Every problem is collected, each with its file, sheet and cell.

    ``expected_year`` is the batch's assessment year: dates outside the form's own 考核年度 (or this year,
    when the form does not say) are warnings, and a 考核年度 different from it is a warning too. The result
    has ``form=None`` when any problem is an error (including the ingest problems in ``raw``).
    """
    if any(p.severity is Severity.ERROR for p in raw.problems):
        return FormResult(file=raw.file, sha256=raw.sha256, form=None, problems=raw.problems)
    validator = _Validator(raw, expected_year)
    validator.problems.extend(raw.problems)
    return validator.run()


__all__ = ["validate_workbook"]
