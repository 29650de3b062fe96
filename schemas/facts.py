"""BranchFacts: flat metrics derived from a form's registers, each with the cells behind it.

``FACTS`` is the catalogue of every fact name the facts stage produces; each form yields its own part of
it (``FORM_FACTS``, ``form_facts``), and a profile's rule conditions may only name the facts of its form
(and profile parameters). A fact is ``None`` when its evidence is absent (e.g. an empty
register): rules then report *not evidenced* rather than a failed threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schemas.common import Evidence, Finding, Frozen, Text
from schemas.form_layout import SYSTEMS

FactValue = int | float | str | bool | None


class BranchIdentity(Frozen):
    file: str
    sha256: str
    branch_id: str
    branch_name: str
    branch_type: str
    general_branch: str | None = None
    secretary: str
    assessment_year: int
    self_grade: str | None = None
    self_score: float | None = None


class Fact(Frozen):
    """One metric. ``series`` holds per-period values (``2012-04``, ``2012Q2``, ``2012H1``, or a person)
    so a message can name the periods that fall short; ``detail`` is a short explanation."""

    name: str
    value: FactValue
    evidence: tuple[Evidence, ...] = ()
    series: dict[str, float] | None = None
    detail: Text | None = None


def fact(
    name: str,
    value: FactValue,
    evidence: tuple[Evidence, ...] = (),
    series: dict[str, float] | None = None,
    detail: Text | None = None,
) -> Fact:
    """``Fact(...)`` with every field given (a fact with no detail or series says so explicitly)."""
    return Fact(name=name, value=value, evidence=evidence, series=series, detail=detail)


class BranchFacts(Frozen):
    identity: BranchIdentity
    facts: dict[str, Fact]
    problems_listed: tuple[tuple[str, str | None, str | None, date | None, str | None], ...] = ()
    # What the user should know about how facts were worked out (a year the working calendar does not
    # cover, IN-38); carried to the result's warnings.
    warnings: tuple[Finding, ...] = ()

    def value(self, name: str) -> FactValue:
        fact = self.facts.get(name)
        return None if fact is None else fact.value

    def values(self) -> dict[str, FactValue]:
        return {name: fact.value for name, fact in self.facts.items()}


@dataclass(frozen=True, slots=True)
class FactValues:
    """A branch's fact values and per-period series without their evidence or details: all that the rules
    decide on and the deductions count (``series`` holds the facts that have one). What a replay re-grades
    from, as the ledger keeps it beside the full facts."""

    year: int  # the form's assessment year
    values: dict[str, FactValue]
    series: dict[str, dict[str, float]]

    @classmethod
    def of(cls, facts: BranchFacts) -> FactValues:
        return cls(
            facts.identity.assessment_year,
            facts.values(),
            {name: f.series for name, f in facts.facts.items() if f.series},
        )


@dataclass(frozen=True)
class FactDef:
    zh: str
    en: str
    type: type  # int, float, bool or str
    unit_zh: str = ""
    unit_en: str = ""
    series: str = ""  # "month", "quarter", "half", "person" when the fact carries a series


FACTS: dict[str, FactDef] = {
    "branch_type": FactDef("支部类型", "branch type", str),
    "assessment_year": FactDef("考核年度", "assessment year", int),
    "window_department": FactDef("是否窗口部门", "window department", bool),
    "full_members": FactDef("正式党员数", "full members", int, "人", "members"),
    "has_committee": FactDef("是否设支委会", "has a committee", bool),
    "committee_size": FactDef("支委人数", "committee members", int, "人", "members"),
    "general_meetings": FactDef(
        "支部党员大会次数（全年）", "general meetings in the year", int, "次", "times"
    ),
    "meetings_without_minutes": FactDef(
        "无纪要的“三会一课”次数", "三会一课 meetings without minutes", int, "次", "times"
    ),
    "committee_meetings_min_month": FactDef(
        "评估期内每月支委会最少次数", "fewest committee meetings in a month", int, "次", "times", "month"
    ),
    "org_life_min_month": FactDef(
        "评估期内每月组织生活最少次数",
        "fewest organisational-life events in a month",
        int,
        "次",
        "times",
        "month",
    ),
    "lectures_min_per_lecturer": FactDef(
        "每名支委全年讲党课最少次数",
        "fewest Party lectures given by a committee member",
        int,
        "次",
        "times",
        "person",
    ),
    "study_day_min_month": FactDef(
        "评估期内每月15日学习日最少次数",
        "fewest 15th-of-month study days in a month",
        int,
        "次",
        "times",
        "month",
    ),
    "education_week_july": FactDef(
        "7月党员教育周活动次数", "education-week activities in July", int, "次", "times"
    ),
    "leadership_study_sessions": FactDef(
        "支部领导班子集体学习次数（全年）",
        "leadership collective study sessions in the year",
        int,
        "次",
        "times",
    ),
    "branch_study_sessions": FactDef(
        "支部集中学习次数（全年）", "whole-branch study sessions in the year", int, "次", "times"
    ),
    "member_hours_min_quarter_avg": FactDef(
        "党员季度平均学时（最低季度）",
        "lowest quarterly average member hours",
        float,
        "学时",
        "hours",
        "quarter",
    ),
    "leader_hours_min": FactDef(
        "班子成员季度学时（最低）",
        "lowest quarterly hours of a leadership member",
        float,
        "学时",
        "hours",
        "person",
    ),
    "secretary_training_min_half": FactDef(
        "书记每半年集中培训最少次数", "fewest secretary trainings in a half-year", int, "次", "times", "half"
    ),
    "secretary_practice_count": FactDef(
        "书记全年实践活动次数", "secretary practice activities", int, "次", "times"
    ),
    "satisfaction_rate": FactDef("党员群众满意率", "satisfaction rate", float, "", ""),
    "veto_discipline": FactDef("班子成员严重违纪", "team member seriously disciplined", bool),
    "veto_inactive": FactDef("长期不开展活动或换届严重超期", "inactive or election long overdue", bool),
    "veto_petition": FactDef("群体性上访或重大投诉", "mass petition or major complaint", bool),
    "veto_disunity": FactDef("班子不团结、书记空缺", "team disunited or secretary vacant", bool),
}


# --- checklist, candidates, classes, process --------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistFact:
    """A fact read off one 制度落实 row: its ``done`` (bool), ``date`` (yyyymmdd int) or ``count``."""

    item: str  # the ItemSpec key in schemas/form_layout.py SYSTEMS
    column: str  # "done", "date" or "count"
    unit_zh: str = ""
    unit_en: str = ""


# Fact name -> the 制度落实 cell it reads. The catalogue entries below and engine/facts/checklist.py are
# both generated from this table; names follow ``<item>_done`` / ``<item>_date`` / ``<item>_count`` except
# where the contract names them otherwise (funds_amount, named_lagging).
CHECKLIST_FACTS: dict[str, ChecklistFact] = {
    "cxzy_plan_done": ChecklistFact("cxzy_plan", "done"),
    "democratic_centralism_done": ChecklistFact("democratic_centralism", "done"),
    "written_systems_done": ChecklistFact("written_systems", "done"),
    "annual_plan_done": ChecklistFact("annual_plan", "done"),
    "annual_summary_done": ChecklistFact("annual_summary", "done"),
    "task_division_done": ChecklistFact("task_division", "done"),
    "task_division_date": ChecklistFact("task_division", "date"),
    "party_school_done": ChecklistFact("party_school", "done"),
    "supervision_done": ChecklistFact("supervision", "done"),
    "commitments_public_done": ChecklistFact("commitments_public", "done"),
    "party_worker_done": ChecklistFact("party_worker", "done"),
    "venue_done": ChecklistFact("venue", "done"),
    "facilities_done": ChecklistFact("facilities", "done"),
    "venue_inspection_done": ChecklistFact("venue_inspection", "done"),
    "info_system_done": ChecklistFact("info_system", "done"),
    "badges_done": ChecklistFact("badges", "done"),
    "funds_amount": ChecklistFact("funds", "count", "元", "yuan"),
    "responsibility_zones_count": ChecklistFact("responsibility_zones", "count", "个", "zones"),
    "ningxiang_done": ChecklistFact("ningxiang", "done"),
    "cadre_pairing_done": ChecklistFact("cadre_pairing", "done"),
    "seminar_count": ChecklistFact("seminar", "count", "次", "times"),
    "publicity_count": ChecklistFact("publicity", "count", "次", "times"),
    "plan_submitted_date": ChecklistFact("plan_submitted", "date"),
    "working_group_done": ChecklistFact("working_group", "done"),
    "experience_summary_done": ChecklistFact("experience_summary", "done"),
    "self_check_date": ChecklistFact("self_check", "date"),
    "named_lagging": ChecklistFact("named_lagging", "done"),
}

_COLUMN_TYPES: dict[str, tuple[str, str, type]] = {
    "done": ("是否落实", "in place", bool),
    "date": ("日期", "date", int),
    "count": ("数量", "count", float),
}


def _checklist_defs() -> dict[str, FactDef]:
    items = {item.key: item for item in SYSTEMS.items}
    out: dict[str, FactDef] = {}
    for name, spec in CHECKLIST_FACTS.items():
        item = items[spec.item]  # a KeyError here is a typo in CHECKLIST_FACTS: fail at import
        col_zh, col_en, kind = _COLUMN_TYPES[spec.column]
        out[name] = FactDef(
            f"{item.zh}（{col_zh}）", f"{item.en} ({col_en})", kind, spec.unit_zh, spec.unit_en
        )
    return out


_TIMES = ("次", "times")

FACTS.update(
    {
        # 基本信息
        "directly_reporting": FactDef("是否直属党支部", "reports directly to the college committee", bool),
        "members": FactDef("党员数（正式+预备）", "members (full and probationary)", int, "人", "members"),
        "party_groups": FactDef("党小组数", "Party groups", int, "个", "groups"),
        "young_teachers_non_members": FactDef(
            "非党员青年教师人数", "young teachers who are not members", int, "人", "people"
        ),
        "secretary_present": FactDef("支部书记在岗", "secretary in post", bool),
        "years_since_election": FactDef(
            "距上次换届年数", "years since the last election", float, "年", "years"
        ),
        "secretary_admin_post": FactDef(
            "书记兼任行政职务", "secretary also holds an administrative post", bool
        ),
        "contact_leader_assigned": FactDef("已明确联系领导", "linked leading cadre assigned", bool),
        # 自评
        "baseline_grade_rank": FactDef(
            "年初定级等次（1=先进…4=后进）", "grade at the March grading (1–4)", int
        ),
        "self_grade_rank": FactDef("自评等次（1=先进…4=后进）", "self grade (1–4)", int),
        "grade_rank_change": FactDef(
            "等次变化（自评−年初，负数为晋位）", "grade change (self − baseline; negative = moved up)", int
        ),
        "grading_meeting_date": FactDef("分类定级会议日期", "grading meeting date", int),
        "problems_listed": FactDef("查找问题条数", "problems listed", int, "条", "items"),
        "problems_without_measure": FactDef(
            "无整改措施的问题条数", "problems without a measure", int, "条", "items"
        ),
        "committee_meetings_declared_gap": FactDef(
            "填报支委会次数与台账差额", "declared vs registered committee meetings", int, *_TIMES
        ),
        "lectures_declared_gap": FactDef(
            "填报党课次数与台账差额", "declared vs registered lectures", int, *_TIMES
        ),
        # 学习学时
        "members_without_activity": FactDef(
            "评估期内零学时党员人数", "members with no study hours in the period", int, "人", "members"
        ),
        "members_listed_gap": FactDef(
            "党员数与学时表人数差额", "members vs rows of the study-hours register", int, "人", "members"
        ),
        # 会议活动
        "joint_meetings_min_quarter": FactDef(
            "每季度党政联席会议最少次数",
            "fewest joint Party–admin meetings in a quarter",
            int,
            *_TIMES,
            "quarter",
        ),
        "contact_leader_visits_min_half": FactDef(
            "联系领导每半年参加支部活动最少次数",
            "fewest activities attended by the linked cadre in a half-year",
            int,
            *_TIMES,
            "half",
        ),
        "online_min_quarter": FactDef(
            "每季度网上学习最少次数", "fewest online study sessions in a quarter", int, *_TIMES, "quarter"
        ),
        "topics_missing": FactDef("未覆盖的学习专题数", "study topics not covered", int, "个", "topics"),
        "congress_study_sessions": FactDef(
            "学习党代会精神次数", "sessions studying the Party congress", int, *_TIMES
        ),
        "mobilisation_meetings": FactDef("动员会次数", "mobilisation meetings", int, *_TIMES),
        "consultation_meetings": FactDef("征求意见会次数", "consultation meetings", int, *_TIMES),
        # 支委培训
        "committee_trained_min": FactDef(
            "每名支委全年参加培训最少次数",
            "fewest trainings attended by a committee member",
            int,
            *_TIMES,
            "person",
        ),
        "congress_trainings": FactDef(
            "党代会精神专题培训次数", "trainings on the Party congress", int, *_TIMES
        ),
        # 发展党员
        "candidates_count": FactDef("发展党员人数", "candidates admitted", int, "人", "people"),
        "candidates_dossier_incomplete": FactDef(
            "档案材料不全的发展对象人数", "candidates with an incomplete dossier", int, "人", "people"
        ),
        "min_notice_working_days": FactDef(
            "发展对象公示最少工作日",
            "shortest candidate notice (working days)",
            int,
            "个工作日",
            "working days",
        ),
        "notices_after_vote": FactDef(
            "公示未在表决前结束的人数", "notices not ended before the vote", int, "人", "people"
        ),
        "ballots_invalid": FactDef(
            "表决不符合规定的人数", "candidates with an invalid vote", int, "人", "people"
        ),
        "young_teacher_candidates": FactDef(
            "发展青年教师人数", "young teachers admitted", int, "人", "people"
        ),
        "backbone_candidates": FactDef("发展业务骨干人数", "backbone staff admitted", int, "人", "people"),
        "student_candidates_unqualified": FactDef(
            "有挂科或处分的学生发展对象人数",
            "student candidates with failed courses or a sanction",
            int,
            "人",
            "people",
        ),
        # 制度落实
        **_checklist_defs(),
        # 党务公开记录
        "transparency_count": FactDef(
            "党务公开次数（全年）", "Party-affairs disclosures in the year", int, *_TIMES
        ),
        "transparency_min_quarter": FactDef(
            "每季度党务公开最少次数",
            "fewest Party-affairs disclosures in a quarter",
            int,
            *_TIMES,
            "quarter",
        ),
        "commitments_signed_share": FactDef("党员承诺书签订比例", "share of members who signed", float),
        # 学生班级
        "classes_count": FactDef("班级数", "classes", int, "个", "classes"),
        "lower_year_classes_without_members": FactDef(
            "低年级无党员班级数", "lower-year classes without members", int, "个", "classes"
        ),
        "upper_year_classes_without_group": FactDef(
            "高年级未建党小组班级数", "upper-year classes without a Party group", int, "个", "classes"
        ),
        "failing_members_total": FactDef("挂科党员人数", "members with failed courses", int, "人", "members"),
        # --- national-2018 ---
        "general_meetings_min_quarter": FactDef(
            "每季度支部党员大会最少次数", "fewest general meetings in a quarter", int, *_TIMES, "quarter"
        ),
        "party_group_min_month": FactDef(
            "每月党小组会最少次数", "fewest Party-group meetings in a month", int, *_TIMES, "month"
        ),
        "lectures_min_quarter": FactDef(
            "每季度党课最少次数", "fewest Party lectures in a quarter", int, *_TIMES, "quarter"
        ),
        "themed_day_min_month": FactDef(
            "每月主题党日最少次数", "fewest themed Party days in a month", int, *_TIMES, "month"
        ),
        "org_life_meetings": FactDef(
            "组织生活会次数（全年）", "organisational-life meetings in the year", int, *_TIMES
        ),
        "appraisals": FactDef("民主评议党员次数（全年）", "member appraisals in the year", int, *_TIMES),
        "talks_coverage": FactDef("谈心谈话人次与党员数之比", "heart-to-heart talks per member", float),
        "member_hours_year_min": FactDef(
            "党员全年学时（最低）", "lowest yearly hours of a member", float, "学时", "hours", "person"
        ),
        "leader_hours_year_min": FactDef(
            "班子成员全年学时（最低）",
            "lowest yearly hours of a leadership member",
            float,
            "学时",
            "hours",
            "person",
        ),
        "secretary_trainings_year": FactDef(
            "书记全年参加培训次数", "secretary trainings in the year", int, *_TIMES
        ),
    }
)


# --- the facts of each form ---------------------------------------------------------------------------

# The 2012 form yields every fact above, in this order: the catalogue as it stood before each form had its
# own, so the 2012 profile's facts, and every 2012 results.json, stay byte-identical.
FORM_2012_FACTS: tuple[str, ...] = tuple(FACTS)

FACTS.update(
    {
        # 民主评议 and 谈心谈话 kept person by person (the national form's own registers)
        "members_appraised_share": FactDef(
            "已登记民主评议结果的党员比例", "share of members with an appraisal result", float
        ),
        "members_talked_share": FactDef(
            "参加谈心谈话的党员比例", "share of members who had a one-to-one talk", float
        ),
        "members_reviewed_share": FactDef(
            "提交对照检查检视材料的党员比例", "share of members with a self-review for the 组织生活会", float
        ),
        "group_meetings_min_month": FactDef(
            "每个党小组每月党小组会最少次数",
            "fewest meetings of a Party group in a month",
            int,
            *_TIMES,
            "month",
        ),
        "themed_days_off_day": FactDef(
            "不在固定日且未注明改期原因的主题党日次数",
            "themed Party days off the fixed day without a reason",
            int,
            *_TIMES,
        ),
        "candidates_steps_missing": FactDef(
            "入党程序缺项的发展对象人数（介绍人、政治审查、培训、培养期）",
            "candidates missing an admission step (sponsors, political review, training, activist year)",
            int,
            "人",
            "people",
        ),
        "talk_pair_kinds_missing": FactDef(
            "未开展的谈心谈话类别数（支委之间、支委和党员、党员之间）",
            "kinds of talk not held (committee–committee, committee–member, member–member)",
            int,
            "类",
            "kinds",
        ),
    }
)

# The national form's facts: what the national-2018 rules, caps and the ledger's baseline (TG-04) read.
NATIONAL_FACTS: tuple[str, ...] = (
    "branch_type",
    "full_members",
    "has_committee",
    "committee_size",
    "general_meetings",
    "meetings_without_minutes",
    "committee_meetings_min_month",
    "satisfaction_rate",
    "veto_discipline",
    "veto_inactive",
    "veto_petition",
    "veto_disunity",
    "members",
    "party_groups",
    "secretary_present",
    "years_since_election",
    "baseline_grade_rank",
    "grade_rank_change",
    "problems_listed",
    "problems_without_measure",
    "members_without_activity",
    "candidates_count",
    "candidates_dossier_incomplete",
    "min_notice_working_days",
    "notices_after_vote",
    "ballots_invalid",
    "candidates_steps_missing",
    "transparency_count",
    "transparency_min_quarter",
    "annual_plan_done",
    "annual_summary_done",
    "venue_done",
    "facilities_done",
    "info_system_done",
    "funds_amount",
    "responsibility_zones_count",
    "self_check_date",
    "commitments_signed_share",
    "classes_count",
    "lower_year_classes_without_members",
    "upper_year_classes_without_group",
    "general_meetings_min_quarter",
    "group_meetings_min_month",
    "lectures_min_quarter",
    "themed_day_min_month",
    "themed_days_off_day",
    "org_life_meetings",
    "members_reviewed_share",
    "members_appraised_share",
    "members_talked_share",
    "talk_pair_kinds_missing",
    "member_hours_year_min",
    "leader_hours_year_min",
    "secretary_trainings_year",
)

# Form (schemas/forms.py, by the profile it was made for) -> the facts its workbooks yield, in order.
FORM_FACTS: dict[str, tuple[str, ...]] = {"loudi-2012": FORM_2012_FACTS, "national-2018": NATIONAL_FACTS}


def form_facts(form: str) -> dict[str, FactDef]:
    """The fact catalogue of one form: the names its workbooks yield, each with its definition. A rule of a
    profile may name only the facts of its profile's form (``rules lint`` and the loader check it)."""
    return {name: FACTS[name] for name in FORM_FACTS[form]}


# --- what each fact of the national form reads -----------------------------------------------------------

# The form entries each fact of the national form reads, as ``sheet.name`` (a labelled field, or a column of
# a checklist's rows), ``table.column`` (a register's column, by its table name) or ``sheet:item`` (a
# checklist row). tests/test_national_form.py derives from it the entries the national rules read and
# compares them with the entries `template --profile national-2018` writes.
_MEETING = ("meetings.date", "meetings.type")
_STUDY = (
    "study_hours.name",
    "study_hours.leader",
    "study_hours.q1",
    "study_hours.q2",
    "study_hours.q3",
    "study_hours.q4",
)
_MEMBERS = ("basic.full_members", "basic.probationary_members")


def _item(item: str, column: str) -> tuple[str, str]:
    return (f"systems:{item}", f"systems.{column}")


NATIONAL_FACT_INPUTS: dict[str, tuple[str, ...]] = {
    "branch_type": ("basic.branch_type",),
    "full_members": ("basic.full_members",),
    "has_committee": ("basic.full_members", "committee.name"),
    "committee_size": ("committee.name",),
    "general_meetings": _MEETING,
    "meetings_without_minutes": (*_MEETING, "meetings.minutes"),
    "committee_meetings_min_month": _MEETING,
    "satisfaction_rate": (
        "satisfaction.respondents",
        "satisfaction.satisfied",
        "satisfaction.basically_satisfied",
    ),
    "veto_discipline": ("negative_list:discipline", "negative_list.present"),
    "veto_inactive": ("negative_list:inactive", "negative_list.present"),
    "veto_petition": ("negative_list:petition", "negative_list.present"),
    "veto_disunity": ("negative_list:disunity", "negative_list.present"),
    "members": _MEMBERS,
    "party_groups": ("basic.party_groups",),
    "secretary_present": ("basic.secretary", "committee.post"),
    "years_since_election": ("basic.last_election", "basic.assessment_year"),
    "baseline_grade_rank": ("self_assessment.baseline_grade",),
    "grade_rank_change": ("self_assessment.baseline_grade", "self_assessment.self_grade"),
    "problems_listed": ("problems.problem",),
    "problems_without_measure": ("problems.problem", "problems.measure"),
    "members_without_activity": _STUDY,
    "candidates_count": ("candidates.name",),
    "candidates_dossier_incomplete": (
        "candidates.dossier_complete",
        "candidates.applied_on",
        "candidates.activist_on",
        "candidates.candidate_on",
        "candidates.vote_on",
    ),
    "min_notice_working_days": ("candidates.notice_start", "candidates.notice_end"),
    "notices_after_vote": ("candidates.notice_end", "candidates.vote_on"),
    "ballots_invalid": ("candidates.voters_due", "candidates.voters_present", "candidates.votes_yes"),
    "candidates_steps_missing": (
        "candidates.sponsors",
        "candidates.review_on",
        "candidates.training_hours",
        "candidates.activist_on",
        "candidates.candidate_on",
        "candidates.vote_on",
    ),
    "transparency_count": ("disclosures.date",),
    "transparency_min_quarter": ("disclosures.date",),
    "annual_plan_done": _item("annual_plan", "done"),
    "annual_summary_done": _item("annual_summary", "done"),
    "venue_done": _item("venue", "done"),
    "facilities_done": _item("facilities", "done"),
    "info_system_done": _item("info_system", "done"),
    "funds_amount": _item("funds", "count"),
    "responsibility_zones_count": _item("responsibility_zones", "count"),
    "self_check_date": _item("self_check", "date"),
    "commitments_signed_share": (*_item("commitments_signed", "count"), *_MEMBERS),
    "classes_count": ("student_classes.class_name",),
    "lower_year_classes_without_members": ("student_classes.study_year", "student_classes.members"),
    "upper_year_classes_without_group": (
        "student_classes.study_year",
        "student_classes.party_group",
        "student_classes.members",
        "student_classes.full_members",
    ),
    "general_meetings_min_quarter": _MEETING,
    "group_meetings_min_month": (*_MEETING, "meetings.group", "basic.party_groups"),
    "lectures_min_quarter": _MEETING,
    "themed_day_min_month": _MEETING,
    "themed_days_off_day": (*_MEETING, "meetings.moved_reason", "basic.themed_day"),
    "org_life_meetings": _MEETING,
    "members_reviewed_share": ("org_life_reviews.name", "org_life_reviews.date", *_MEMBERS),
    # a row is a member's result: the result column is required, so a row without one is refused
    "members_appraised_share": (
        "appraisal_results.name",
        "appraisal_results.result",
        "appraisal_results.date",
        *_MEMBERS,
    ),
    "members_talked_share": ("talks.person", "talks.partner", "talks.date", *_MEMBERS),
    "talk_pair_kinds_missing": ("talks.person_role", "talks.partner_role", "committee.name", *_MEMBERS),
    "member_hours_year_min": (*_STUDY, "committee.name"),
    "leader_hours_year_min": (*_STUDY, "committee.name"),
    "secretary_trainings_year": ("training.name", "training.date", "training.type", "basic.secretary"),
}

# What the engine reads of every form whatever its rules: the branch's identity (its result, lists and
# summary name it), the self-assessment the summary shows, and the rectification ledger's rows.
ENGINE_INPUTS: tuple[str, ...] = (
    "basic.branch_name",
    "basic.branch_id",
    "basic.general_branch",
    "basic.branch_type",
    "basic.secretary",
    "basic.assessment_year",
    "self_assessment.self_score",
    "self_assessment.self_grade",
    "problems.problem",
    "problems.measure",
    "problems.owner",
    "problems.due",
    "problems.state",
)


# --- parameters the facts stage reads ----------------------------------------------------------------------

# Profile parameters the facts stage reads itself (besides those rules compare facts with). The facts
# stage's parameter reader refuses a name missing here, so ``rules lint`` knows every parameter in use.
FACT_PARAMS: dict[str, str] = {
    "committee_min_full_members": "below this many full members a branch has no committee",
    "congress_date": "training and study count for the Party congress from this date",
    "congress_keyword": "the word a training or meeting names the congress by",
    "consultation_months": "months whose consultation meetings count",
    "education_week_month": "the month of the education week",
    "hour_quarters": "the quarters study hours are asked for",
    "lower_year": "the study year whose classes must have a member",
    "upper_year": "the study year whose classes must have a Party group",
    "mobilisation_month": "the month of the mobilisation meeting",
    "party_group_min_members": "members a class needs for a Party group",
    "pre_admission_training_hours": "hours of training a candidate needs before admission",
    "activist_min_months": "months an activist is trained before becoming a candidate",
    "study_day": "the day of the month of the study day",
    "study_day_tolerance_days": "days a study day may move off its date",
    "study_topics": "topics the year's meetings must cover",
    "vacation_months": "months exempt from monthly cadence",
}
