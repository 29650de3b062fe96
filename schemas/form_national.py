"""The national-2018 form: the form of the current national norms.

It is the 2012 form without what only the 2012 construction year asked for, and without every field and
column no national rule reads (``UNREAD``): the checklist keeps the items
the national-2018 rules read (commitments, plan and summary, venue and facilities, funds, the
member information system, responsibility zones, the self-check) and drops the campaign's (创先争优 plan,
construction-year working group, 宁乡 discussion …) and the systems no national rule checks; the meeting
types drop the construction year's 教育周, 动员会 and 征求意见会. Its template carries its own version, so a
workbook made from it is never read as a 2012 form, nor graded under the 2012 profile (IN-29).

It adds what the 2018 norms check person by person, which a row of the meeting register cannot show:
each member's 民主评议 result (民主评议 sheet), each 谈心谈话 as a pair of people with their roles
(谈心谈话 sheet), each member's 检视材料 for the 组织生活会's 对照检查 (对照检查 sheet); the Party group
of each 党小组会 and the reason a 主题党日 moved off the branch's fixed day (会议活动), that fixed day
(基本信息), and each candidate's sponsors, political review and pre-admission training (发展党员).
The meeting register therefore no longer offers 民主评议 or 谈心谈话 as meeting types.
Workbooks from the form's first version (2018.1, which registered both as meeting rows) are refused with a
message naming that version and asking for the current template (IN-47): read as this form, their
appraisals and talks would silently count as none.
"""

from __future__ import annotations

from dataclasses import replace

from schemas.form_layout import (
    BASIC,
    CANDIDATES,
    MEETINGS,
    SHEETS,
    SYSTEMS,
    FieldSpec,
    FormLayout,
    Kind,
    SheetSpec,
    TableSpec,
)

NATIONAL_FORM_VERSION = "2018.2"
RETIRED_VERSIONS = ("2018.1",)  # the first national form: appraisals and talks were meeting rows

# The checklist items the national-2018 rules read (CM-01, DM-04, PR-07, SV-02, VN-02, VN-03, VN-05); DM-02
# reads the 党务公开记录 register the form shares with the 2012 one.
CHECKLIST_ITEMS = (
    "commitments_signed",
    "annual_plan",
    "annual_summary",
    "venue",
    "facilities",
    "funds",
    "info_system",
    "responsibility_zones",
    "self_check",
)
CAMPAIGN_MEETING_TYPES = ("教育周", "动员会", "征求意见会")
# Meeting types that have a register of their own on this form (person by person), not a meeting row.
REGISTERED_APART = ("民主评议", "谈心谈话")
NOT_MEETING_TYPES = CAMPAIGN_MEETING_TYPES + REGISTERED_APART


def register_sheet(
    sheet: tuple[str, str, str],
    note: str,
    register: tuple[str, str],
    columns: tuple[FieldSpec, ...],
    rows: int,
) -> SheetSpec:
    """A sheet that holds one register and nothing else: ``sheet`` is (name, key, English), ``register``
    the register's (Chinese, English) title; the register is named by the sheet's key."""
    name, key, en = sheet
    table = TableSpec(name=key, zh=register[0], en=register[1], columns=columns, template_rows=rows)
    return SheetSpec(name=name, key=key, en=en, note=note, table=table)


APPRAISAL_RESULTS = ("优秀", "合格", "基本合格", "不合格")  # 党员教育管理工作条例 第十八条
TALK_ROLES = ("委员", "党员")  # a committee member, or a member who is not on the committee
F = FieldSpec

# The columns and fields the national form adds to the 2012 sheets, by sheet key.
THEMED_DAY_FIELD = F(
    "themed_day",
    "主题党日固定日（每月几日）",
    "Fixed day of the themed Party day (day of month)",
    Kind.INT,
    width=20,
    hint="每月相对固定开展主题党日的日子，填 1–31 的数字，如 15",
)
GROUP_COLUMN = F("group", "党小组", "Party group", width=14, hint="党小组会填写召开会议的党小组名称")
MOVED_COLUMN = F(
    "moved_reason", "改期原因", "Reason for moving", width=20, hint="主题党日未在固定日开展时填写改期原因"
)
CANDIDATE_COLUMNS = (
    F("sponsors", "入党介绍人", "Sponsors", width=18, hint="两名正式党员的姓名，用顿号分隔"),
    F("review_on", "政治审查日期", "Political review date", Kind.DATE, width=14),
    F("training_hours", "发展对象培训学时", "Pre-admission training hours", Kind.NUMBER, width=16),
)

MEMBER_NAME = F("name", "姓名", "Name", required=True)

APPRAISALS = register_sheet(
    ("民主评议", "appraisal_results", "Democratic appraisal"),
    "民主评议党员：每名党员一行，填写本年度评议结果（优秀、合格、基本合格、不合格）和评议日期。",
    ("民主评议党员结果", "Appraisal result of each member"),
    (
        MEMBER_NAME,
        F("result", "评议结果", "Result", Kind.ENUM, APPRAISAL_RESULTS, required=True),
        F("date", "评议日期", "Date of the appraisal", Kind.DATE, required=True),
    ),
    150,
)

TALKS = register_sheet(
    ("谈心谈话", "talks", "One-to-one talks"),
    "每次谈心谈话一行：谈话双方的姓名和身份（支部委员填“委员”，其他党员填“党员”）。支委之间、支委和党员之间、"
    "党员和党员之间都要开展谈心谈话；按人核对，每名党员一年至少谈一次。",
    ("谈心谈话登记", "Talks register"),
    (
        F("date", "日期", "Date", Kind.DATE, required=True),
        F("person", "谈话人", "One party", required=True),
        F("person_role", "谈话人身份", "Role of that party", Kind.ENUM, TALK_ROLES, required=True),
        F("partner", "谈话对象", "The other party", required=True),
        F("partner_role", "谈话对象身份", "Role of the other", Kind.ENUM, TALK_ROLES, required=True),
    ),
    200,
)


REVIEWS = register_sheet(
    ("对照检查", "org_life_reviews", "Self-review for the 组织生活会"),
    "组织生活会前，每名党员对照检查、撰写检视材料：每人一行，填写姓名和提交检视材料的日期。",
    ("对照检查检视材料", "Each member's self-review"),
    (MEMBER_NAME, F("date", "检视材料日期", "Date of the self-review", Kind.DATE, required=True)),
    150,
)


# The 2012 form's fields and columns no national rule reads (the construction year's and the seed's own:
# the linked cadre, young teachers, backbone staff, declared totals, study topics, online study …), by
# sheet key or table name; tests/test_national_form.py keeps this list and the rules' reads in step.
UNREAD: dict[str, frozenset[str]] = {
    "basic": frozenset(
        (
            "window_department",
            "contact_leader",
            "filled_on",
            "filled_by",
            "directly_reporting",
            "young_teachers_non_members",
        )
    ),
    "committee": frozenset(("admin_post",)),
    "meetings": frozenset(
        ("chair", "topic", "expected", "present", "tags", "online", "leader_present", "note")
    ),
    "training": frozenset(("organiser", "topic", "hours")),
    "candidates": frozenset(
        ("identity", "ballot", "approved_on", "young_teacher", "backbone", "failed_courses", "sanctioned")
    ),
    "systems": frozenset(("note",)),
    "student_classes": frozenset(("students", "failing_members")),
    "satisfaction": frozenset(("surveyed_on", "dissatisfied")),
    "negative_list": frozenset(("note",)),
    "self_assessment": frozenset(("graded_on", "declared_committee_meetings", "declared_lectures")),
    "disclosures": frozenset(("content", "channel", "evidence")),  # DM-02 counts the dates by quarter
}


def _read(fields: tuple[FieldSpec, ...], where: str) -> tuple[FieldSpec, ...]:
    return tuple(f for f in fields if f.name not in UNREAD.get(where, ()))


def _national(spec: SheetSpec) -> SheetSpec:
    spec = replace(spec, fields=_read(spec.fields, spec.key), item_columns=_read(spec.item_columns, spec.key))
    if spec.table is not None:
        spec = replace(spec, table=replace(spec.table, columns=_read(spec.table.columns, spec.table.name)))
    if spec.key == SYSTEMS.key:
        return replace(spec, items=tuple(i for i in spec.items if i.key in CHECKLIST_ITEMS))
    if spec.key == BASIC.key:
        return replace(spec, fields=(*spec.fields, THEMED_DAY_FIELD))
    if spec.key == MEETINGS.key and spec.table is not None:
        columns = tuple(
            replace(c, choices=tuple(t for t in c.choices if t not in NOT_MEETING_TYPES))
            if c.name == "type"
            else c
            for c in spec.table.columns
        )
        return replace(spec, table=replace(spec.table, columns=(*columns, GROUP_COLUMN, MOVED_COLUMN)))
    if spec.key == CANDIDATES.key and spec.table is not None:
        return replace(spec, table=replace(spec.table, columns=(*spec.table.columns, *CANDIDATE_COLUMNS)))
    return spec


NATIONAL_FORM = FormLayout(
    "national-2018",
    NATIONAL_FORM_VERSION,
    (*(_national(s) for s in SHEETS), APPRAISALS, TALKS, REVIEWS),
    example_year=2019,
    retired_versions=RETIRED_VERSIONS,
)
