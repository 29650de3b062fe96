"""The facts of the registers and checklist (docs/form.md) on hand-built forms: each at its boundary.

Conventions under test: dates are yyyymmdd ints; a blank cell or an empty register is None (not
evidenced) except where docs/form.md says 0 (发展党员 counts, classes_count, problems); a parameter the
profile lacks makes the facts that read it None instead of failing the stage.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine.facts import build_facts
from engine.facts.params import Params
from schemas import form_layout as layout
from schemas.common import Evidence, Severity
from schemas.facts import CHECKLIST_FACTS, FACTS, FORM_2012_FACTS, BranchFacts
from schemas.form import (
    BasicInfo,
    BranchForm,
    Candidate,
    ChecklistItem,
    CommitteeMember,
    Meeting,
    Problem,
    SelfAssessment,
    StudentClass,
    StudyHours,
    Training,
)
from schemas.rules import Profile
from schemas.workdays import WorkCalendar, covered_years

ROOT = Path(__file__).resolve().parents[1]
PROFILE_TOML = ROOT / "rules" / "loudi-2012" / "profile.toml"
FILE = "branch.xlsx"
_rows = itertools.count(2)

# Loudi-only parameters: a profile without them (national-2018 has none of these two) must still run.
LOUDI_ONLY = ("congress_keyword", "consultation_months")


def profile(drop: tuple[str, ...] = (), **params: Any) -> Profile:
    data = tomllib.loads(PROFILE_TOML.read_text("utf-8"))
    data["params"].update(params)
    for name in drop:
        data["params"].pop(name, None)
    return Profile.model_validate(data)


LOUDI = profile()
# A national-2018-like calendar: the whole year is the window, every quarter counts.
NATIONAL = profile(hour_quarters=[1, 2, 3, 4]).model_copy(
    update={"window": LOUDI.year_window, "year_window": LOUDI.year_window}
)


def ev(sheet: str, cell: str, value: object = None) -> Evidence:
    return Evidence(file=FILE, sheet=sheet, cell=cell, value=None if value is None else str(value))


SHEETS = {s.name: Evidence(file=FILE, sheet=s.name) for s in layout.SHEETS}


def meeting(day: str, type_: str, **kw: Any) -> Meeting:
    row = next(_rows)
    cells = {
        "date": ev("会议活动", f"A{row}", day),
        "type": ev("会议活动", f"B{row}", type_),
        "tags": ev("会议活动", f"G{row}", "、".join(kw.get("tags", ()))),
        "leader_present": ev("会议活动", f"J{row}", kw.get("leader_present")),
    }
    return Meeting(date=dt.date.fromisoformat(day), type=type_, cells=cells, minutes=True, **kw)


def member(name: str, post: str, admin_post: bool | None = None) -> CommitteeMember:
    row = next(_rows)
    return CommitteeMember(
        name=name,
        post=post,
        admin_post=admin_post,
        cells={
            "name": ev("基本信息", f"A{row}", name),
            "post": ev("基本信息", f"B{row}", post),
            "admin_post": ev("基本信息", f"C{row}", admin_post),
        },
    )


COMMITTEE = (member("张三", "书记", True), member("李四", "组织委员", False), member("王五", "宣传委员"))


def make_form(
    *,
    full_members: int = 12,
    probationary: int | None = 2,
    committee: tuple[CommitteeMember, ...] = COMMITTEE,
    secretary: str = "张三",
    basic: dict[str, Any] | None = None,
    **kw: Any,
) -> BranchForm:
    info = BasicInfo(
        branch_name="机关第一党支部",
        branch_id="JG-01",
        branch_type="机关",
        full_members=full_members,
        probationary_members=probationary,
        secretary=secretary,
        assessment_year=2012,
        cells={
            "full_members": ev("基本信息", "B6", full_members),
            "probationary_members": ev("基本信息", "B7", probationary),
            "secretary": ev("基本信息", "B8", secretary),
            "last_election": ev("基本信息", "B9"),
            "contact_leader": ev("基本信息", "B10"),
            "directly_reporting": ev("基本信息", "B14"),
        },
        **(basic or {}),
    )
    return BranchForm(file=FILE, sha256="0" * 64, basic=info, committee=committee, sheet_cells=SHEETS, **kw)


def facts_of(form: BranchForm, prof: Profile = LOUDI) -> BranchFacts:
    return build_facts(form, prof)


def value(form: BranchForm, name: str, prof: Profile = LOUDI) -> object:
    return facts_of(form, prof).value(name)


# --- catalogue --------------------------------------------------------------------------------------------

FACT_TYPES: dict[str, type] = {
    # 基本信息, checklist, candidates, classes, self-assessment
    "directly_reporting": bool,
    "members": int,
    "members_without_activity": int,
    "baseline_grade_rank": int,
    "self_grade_rank": int,
    "secretary_present": bool,
    "years_since_election": float,
    "secretary_admin_post": bool,
    "joint_meetings_min_quarter": int,
    "committee_trained_min": int,
    "congress_trainings": int,
    "contact_leader_assigned": bool,
    "contact_leader_visits_min_half": int,
    "transparency_count": int,
    "transparency_min_quarter": int,
    "task_division_date": int,
    "candidates_count": int,
    "candidates_dossier_incomplete": int,
    "min_notice_working_days": int,
    "notices_after_vote": int,
    "ballots_invalid": int,
    "young_teachers_non_members": int,
    "young_teacher_candidates": int,
    "backbone_candidates": int,
    "student_candidates_unqualified": int,
    "online_min_quarter": int,
    "topics_missing": int,
    "congress_study_sessions": int,
    "commitments_signed_share": float,
    "funds_amount": float,
    "responsibility_zones_count": float,
    "seminar_count": float,
    "publicity_count": float,
    "classes_count": int,
    "lower_year_classes_without_members": int,
    "upper_year_classes_without_group": int,
    "failing_members_total": int,
    "mobilisation_meetings": int,
    "consultation_meetings": int,
    "grading_meeting_date": int,
    "problems_listed": int,
    "problems_without_measure": int,
    "plan_submitted_date": int,
    "self_check_date": int,
    "named_lagging": bool,
    "committee_meetings_declared_gap": int,
    "lectures_declared_gap": int,
    "members_listed_gap": int,
    "party_groups": int,
    "grade_rank_change": int,
    # cadence and hours
    "general_meetings_min_quarter": int,
    "party_group_min_month": int,
    "lectures_min_quarter": int,
    "themed_day_min_month": int,
    "org_life_meetings": int,
    "appraisals": int,
    "talks_coverage": float,
    "member_hours_year_min": float,
    "leader_hours_year_min": float,
    "secretary_trainings_year": int,
}
CHECKLIST_DONE_ITEMS = (
    "cxzy_plan",
    "democratic_centralism",
    "written_systems",
    "annual_plan",
    "annual_summary",
    "task_division",
    "party_school",
    "supervision",
    "commitments_public",
    "party_worker",
    "venue",
    "facilities",
    "venue_inspection",
    "info_system",
    "badges",
    "ningxiang",
    "cadre_pairing",
    "working_group",
    "experience_summary",
)
SERIES_FACTS = {
    "joint_meetings_min_quarter": "quarter",
    "transparency_min_quarter": "quarter",
    "committee_trained_min": "person",
    "contact_leader_visits_min_half": "half",
    "online_min_quarter": "quarter",
    "general_meetings_min_quarter": "quarter",
    "party_group_min_month": "month",
    "lectures_min_quarter": "quarter",
    "themed_day_min_month": "month",
    "member_hours_year_min": "person",
    "leader_hours_year_min": "person",
}


def test_every_documented_fact_is_catalogued_with_its_type_and_series() -> None:
    expected = dict(FACT_TYPES) | {f"{k}_done": bool for k in CHECKLIST_DONE_ITEMS}
    for name, kind in expected.items():
        assert name in FACTS, name
        assert FACTS[name].type is kind, name
        assert FACTS[name].zh and FACTS[name].en, name
    for name, series in SERIES_FACTS.items():
        assert FACTS[name].series == series, name


def test_checklist_facts_name_real_items() -> None:
    keys = {i.key for i in layout.SYSTEMS.items}
    for name, spec in CHECKLIST_FACTS.items():
        assert spec.item in keys, name
        assert spec.column in ("done", "date", "count"), name
        assert FACTS[name].type is {"done": bool, "date": int, "count": float}[spec.column], name


def test_a_bare_form_builds_every_new_fact_with_evidence() -> None:
    facts = facts_of(make_form())
    assert list(facts.facts) == list(FORM_2012_FACTS)
    for name in [*FACT_TYPES, *CHECKLIST_FACTS]:
        fact = facts.facts[name]
        assert fact.evidence, name
        if fact.series is not None:
            assert FACTS[name].series, name


# --- 基本信息 ----------------------------------------------------------------------------------------------


def test_members_is_full_plus_probationary_and_blank_probationary_is_zero() -> None:
    facts = facts_of(make_form(full_members=12, probationary=2))
    assert facts.value("members") == 14
    assert facts.facts["members"].evidence == (ev("基本信息", "B6", 12), ev("基本信息", "B7", 2))
    assert value(make_form(full_members=12, probationary=None), "members") == 12


def test_new_basic_fields_are_none_when_blank() -> None:
    facts = facts_of(make_form())
    for name in ("directly_reporting", "party_groups", "young_teachers_non_members"):
        assert facts.value(name) is None, name
    form = make_form(basic={"directly_reporting": True, "party_groups": 2, "young_teachers_non_members": 0})
    facts = facts_of(form)
    assert facts.value("directly_reporting") is True
    assert facts.value("party_groups") == 2
    assert facts.value("young_teachers_non_members") == 0
    assert facts.facts["directly_reporting"].evidence == (ev("基本信息", "B14"),)


@pytest.mark.parametrize(
    ("full_members", "committee", "secretary", "expected"),
    [
        (12, COMMITTEE, "张三", True),
        (
            12,
            (member("李四", "副书记"), member("王五", "组织委员")),
            "张三",
            False,
        ),  # no 书记 on the committee
        (5, (member("李四", "副书记"),), "张三", True),  # no committee: the secretary on 基本信息 is enough
        (5, (), "  ", False),  # secretary blank
    ],
)
def test_secretary_present(
    full_members: int, committee: tuple[CommitteeMember, ...], secretary: str, expected: bool
) -> None:
    form = make_form(full_members=full_members, committee=committee, secretary=secretary)
    assert value(form, "secretary_present") is expected


def test_years_since_election() -> None:
    form = make_form(basic={"last_election": dt.date(2011, 5, 20)})
    assert value(form, "years_since_election") == round(
        (dt.date(2012, 12, 31) - dt.date(2011, 5, 20)).days / 365.25, 2
    )
    assert value(form, "years_since_election") == 1.62
    assert value(make_form(), "years_since_election") is None


def test_secretary_admin_post_by_post_then_by_name() -> None:
    assert value(make_form(), "secretary_admin_post") is True
    by_name = (member("李四", "组织委员", False), member("张三（兼）", "委员", True))
    assert value(make_form(committee=by_name), "secretary_admin_post") is True
    blank = (member("张三", "书记", None),)
    assert value(make_form(committee=blank), "secretary_admin_post") is None
    assert value(make_form(committee=(member("李四", "委员", True),)), "secretary_admin_post") is None


def test_contact_leader_assigned() -> None:
    assert value(make_form(), "contact_leader_assigned") is False
    assert value(make_form(basic={"contact_leader": "  "}), "contact_leader_assigned") is False
    assert value(make_form(basic={"contact_leader": "院党委副书记"}), "contact_leader_assigned") is True


# --- 自评 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "own", "ranks", "change"),
    [
        ("一般", "较好", (3, 2), -1),
        ("较好", "较好", (2, 2), 0),
        ("先进", "后进", (1, 4), 3),
        (None, "先进", (None, 1), None),
        ("一般", None, (3, None), None),
    ],
)
def test_grade_ranks_and_change(
    baseline: str | None, own: str | None, ranks: tuple[int | None, int | None], change: int | None
) -> None:
    facts = facts_of(make_form(self_assessment=SelfAssessment(baseline_grade=baseline, self_grade=own)))
    assert (facts.value("baseline_grade_rank"), facts.value("self_grade_rank")) == ranks
    assert facts.value("grade_rank_change") == change


def test_grading_date_and_problems() -> None:
    problems = (
        Problem(problem="支委会不按月召开", measure="每月5日前召开"),
        Problem(problem="学习学时不足", measure="  "),
        Problem(problem="党务公开不及时"),
    )
    sa = SelfAssessment(graded_on=dt.date(2012, 3, 28), problems=problems)
    facts = facts_of(make_form(self_assessment=sa))
    assert facts.value("grading_meeting_date") == 20120328
    assert facts.value("problems_listed") == 3
    assert facts.value("problems_without_measure") == 2
    empty = facts_of(make_form())
    assert empty.value("grading_meeting_date") is None
    assert (empty.value("problems_listed"), empty.value("problems_without_measure")) == (0, 0)


# --- declared totals vs the register ----------------------------------------------------------------------


def test_declared_gaps_compare_with_the_years_rows() -> None:
    meetings = [meeting(f"2012-{m:02d}-05", "支委会") for m in range(1, 9)]  # 8 in 2012
    meetings += [
        meeting("2011-12-05", "支委会"),
        meeting("2012-04-10", "党课"),
        meeting("2012-06-10", "党课"),
    ]
    sa = SelfAssessment(
        declared_committee_meetings=10,
        declared_lectures=2,
        cells={"declared_committee_meetings": ev("自评", "B8", 10), "declared_lectures": ev("自评", "B9", 2)},
    )
    facts = facts_of(make_form(meetings=tuple(meetings), self_assessment=sa))
    assert facts.value("committee_meetings_declared_gap") == 2
    assert facts.value("lectures_declared_gap") == 0
    gap = facts.facts["committee_meetings_declared_gap"]
    assert gap.evidence[0] == ev("自评", "B8", 10)  # the declared cell, then the register rows counted
    assert gap.evidence[1:] == tuple(m.cells["date"] for m in meetings[:8])


def test_declared_gap_none_when_blank_and_real_against_an_empty_register() -> None:
    assert value(make_form(), "committee_meetings_declared_gap") is None
    sa = SelfAssessment(declared_committee_meetings=3, declared_lectures=0)
    facts = facts_of(make_form(self_assessment=sa))
    assert facts.value("committee_meetings_declared_gap") == 3
    assert facts.value("lectures_declared_gap") == 0


# --- 会议活动: quarters, halves, months --------------------------------------------------------------------

MEETING_REGISTER_FACTS = (
    "joint_meetings_min_quarter",
    "contact_leader_visits_min_half",
    "online_min_quarter",
    "topics_missing",
    "congress_study_sessions",
    "mobilisation_meetings",
    "consultation_meetings",
    "general_meetings_min_quarter",
    "party_group_min_month",
    "lectures_min_quarter",
    "themed_day_min_month",
    "org_life_meetings",
    "appraisals",
    "talks_coverage",
)


def test_empty_meeting_register_is_none() -> None:
    facts = facts_of(make_form())
    for name in MEETING_REGISTER_FACTS:
        assert facts.value(name) is None, name
        assert facts.facts[name].evidence == (SHEETS["会议活动"],), name


def test_joint_meetings_per_quarter_of_hour_quarters() -> None:
    meetings = [
        meeting("2012-02-10", "党政联席会议"),  # Q1: not asked for by loudi (hour_quarters = [2, 3, 4])
        meeting("2012-05-10", "党政联席会议"),
        meeting("2012-06-10", "党政联席会议"),
        meeting("2012-11-10", "党政联席会议"),
        meeting("2012-08-10", "支委会"),
    ]
    fact = facts_of(make_form(meetings=tuple(meetings))).facts["joint_meetings_min_quarter"]
    assert fact.value == 0
    assert fact.series == {"2012Q2": 2.0, "2012Q3": 0.0, "2012Q4": 1.0}
    assert fact.evidence == tuple(m.cells["date"] for m in meetings[1:4])
    assert fact.detail is not None and "2012Q3" in fact.detail.zh


def test_quarter_facts_count_only_inside_the_window() -> None:
    # loudi's window ends on the 12-10 self-check: a meeting on 12-20 is not counted for Q4
    meetings = [meeting(f"2012-{m:02d}-10", "党政联席会议") for m in (5, 8)] + [
        meeting("2012-12-20", "党政联席会议")
    ]
    assert facts_of(make_form(meetings=tuple(meetings))).facts["joint_meetings_min_quarter"].series == {
        "2012Q2": 1.0,
        "2012Q3": 1.0,
        "2012Q4": 0.0,
    }


def test_online_study_counts_online_rows_and_online_type() -> None:
    meetings = [
        meeting("2012-04-20", "网上学习"),
        meeting("2012-08-20", "组织生活会", online=True),
        meeting("2012-10-20", "集中学习", online=False),
    ]
    fact = facts_of(make_form(meetings=tuple(meetings))).facts["online_min_quarter"]
    assert fact.series == {"2012Q2": 1.0, "2012Q3": 1.0, "2012Q4": 0.0}
    assert fact.value == 0


def test_contact_leader_visits_per_half_of_the_assessment_year() -> None:
    meetings = [
        meeting("2012-02-15", "支部党员大会", leader_present=True),  # before the window: halves use the year
        meeting("2012-09-15", "主题活动", leader_present=False),
        meeting("2011-10-15", "主题活动", leader_present=True),
    ]
    fact = facts_of(make_form(meetings=tuple(meetings))).facts["contact_leader_visits_min_half"]
    assert fact.series == {"2012H1": 1.0, "2012H2": 0.0}
    assert fact.value == 0
    assert fact.evidence == (meetings[0].cells["leader_present"],)


def test_topics_missing_lists_the_uncovered_topics() -> None:
    meetings = [
        meeting("2012-04-15", "学习日", tags=("思想政治教育",)),  # a tag containing the topic counts
        meeting("2012-05-15", "学习日", tags=("理想信念", "思想政治")),
        meeting("2011-12-15", "学习日", tags=("法律法规",)),  # last year
    ]
    fact = facts_of(make_form(meetings=tuple(meetings))).facts["topics_missing"]
    assert fact.value == 1
    assert fact.detail is not None and "法律法规" in fact.detail.zh
    assert fact.evidence == (meetings[0].cells["tags"], meetings[1].cells["tags"])
    meetings.append(meeting("2012-06-15", "学习日", tags=("法律法规",)))
    assert value(make_form(meetings=tuple(meetings)), "topics_missing") == 0
    assert (
        value(make_form(meetings=tuple(meetings)), "topics_missing", profile(drop=("study_topics",))) is None
    )


def test_congress_study_from_the_congress_date() -> None:
    meetings = [
        meeting("2012-11-07", "集中学习", topic="学习十八大报告"),  # the day before: not counted
        meeting("2012-11-08", "集中学习", topic="收看十八大开幕式"),
        meeting("2012-11-20", "学习日", tags=("十八大精神",)),
        meeting("2012-11-25", "集中学习", topic="学习党章"),
    ]
    facts = facts_of(make_form(meetings=tuple(meetings)))
    assert facts.value("congress_study_sessions") == 2
    assert facts.facts["congress_study_sessions"].evidence == (
        meetings[1].cells["date"],
        meetings[2].cells["date"],
    )
    assert (
        value(
            make_form(meetings=tuple(meetings)),
            "congress_study_sessions",
            profile(congress_date=dt.date(2012, 11, 9)),
        )
        == 1
    )


def test_mobilisation_and_consultation_months() -> None:
    meetings = [
        meeting("2012-03-20", "动员会"),
        meeting("2012-04-02", "动员会"),
        meeting("2012-01-10", "征求意见会"),
        meeting("2012-03-31", "征求意见会"),
        meeting("2012-04-01", "征求意见会"),
        meeting("2011-03-20", "动员会"),
    ]
    facts = facts_of(make_form(meetings=tuple(meetings)))
    assert facts.value("mobilisation_meetings") == 1
    assert facts.value("consultation_meetings") == 2
    facts = facts_of(make_form(meetings=tuple(meetings)), profile(mobilisation_month=4))
    assert facts.value("mobilisation_meetings") == 1


def test_national_quarterly_and_monthly_cadence() -> None:
    meetings = [
        *[meeting(f"2012-{m:02d}-03", "支部党员大会") for m in (2, 5, 8, 11)],
        *[meeting(f"2012-{m:02d}-04", "党课") for m in (1, 4, 7)],
        *[meeting(f"2012-{m:02d}-06", "党小组会") for m in range(1, 13) if m != 8],
        *[meeting(f"2012-{m:02d}-15", "主题党日" if m % 2 else "学习日") for m in range(1, 13)],
    ]
    facts = facts_of(make_form(meetings=tuple(meetings)), NATIONAL)
    assert facts.value("general_meetings_min_quarter") == 1
    assert facts.facts["general_meetings_min_quarter"].series == {f"2012Q{q}": 1.0 for q in (1, 2, 3, 4)}
    assert facts.value("lectures_min_quarter") == 0
    assert facts.facts["lectures_min_quarter"].series == {
        "2012Q1": 1.0,
        "2012Q2": 1.0,
        "2012Q3": 1.0,
        "2012Q4": 0.0,
    }
    assert facts.value("party_group_min_month") == 0
    assert facts.facts["party_group_min_month"].series is not None
    assert facts.facts["party_group_min_month"].series["2012-08"] == 0.0
    assert facts.value("themed_day_min_month") == 1  # 学习日 counts as the themed day
    # a vacation month is skipped, like committee_meetings_min_month
    vacation = NATIONAL.model_copy(update={"params": {**NATIONAL.params, "vacation_months": [8]}})
    facts = facts_of(make_form(meetings=tuple(meetings)), vacation)
    assert facts.value("party_group_min_month") == 1
    assert "2012-08" not in (facts.facts["party_group_min_month"].series or {})


def test_org_life_meetings_appraisals_and_talks() -> None:
    meetings = [
        meeting("2012-06-20", "组织生活会"),
        meeting("2011-12-20", "组织生活会"),
        meeting("2012-12-20", "民主评议"),
        *[meeting(f"2012-0{m}-09", "谈心谈话") for m in range(1, 8)],
    ]
    facts = facts_of(make_form(meetings=tuple(meetings), full_members=10, probationary=None))
    assert facts.value("org_life_meetings") == 1
    assert facts.value("appraisals") == 1
    assert facts.value("talks_coverage") == 0.7
    assert ev("基本信息", "B6", 10) in facts.facts["talks_coverage"].evidence


def test_an_ordinary_org_life_event_counts_as_org_life_but_not_as_an_org_life_meeting() -> None:
    # 组织生活 and 组织生活会 are different choices: the first is any organisational-life event, the second
    # the meeting of criticism and self-criticism the yearly count asks for.
    facts = facts_of(make_form(meetings=(meeting("2012-06-20", "组织生活"),)))
    assert facts.value("org_life_meetings") == 0
    assert (facts.facts["org_life_min_month"].series or {})["2012-06"] == 1.0
    facts = facts_of(make_form(meetings=(meeting("2012-06-20", "组织生活会"),)))
    assert facts.value("org_life_meetings") == 1
    assert (facts.facts["org_life_min_month"].series or {})["2012-06"] == 1.0


def test_talks_coverage_is_none_without_members() -> None:
    form = make_form(meetings=(meeting("2012-06-20", "谈心谈话"),), full_members=0, probationary=None)
    assert value(form, "talks_coverage") is None


# --- 学习学时 ----------------------------------------------------------------------------------------------


def hours(name: str, *q: float | None, leader: bool = False) -> StudyHours:
    row = next(_rows)
    cells = {"name": ev("学习学时", f"A{row}", name)} | {
        f"q{i}": ev("学习学时", f"{'CDEF'[i - 1]}{row}") for i in (1, 2, 3, 4)
    }
    return StudyHours(name=name, leader=leader, q1=q[0], q2=q[1], q3=q[2], q4=q[3], cells=cells)


def test_hours_facts_none_on_an_empty_register() -> None:
    facts = facts_of(make_form())
    for name in (
        "members_without_activity",
        "member_hours_year_min",
        "leader_hours_year_min",
        "members_listed_gap",
    ):
        assert facts.value(name) is None, name


def test_members_without_activity_in_the_counted_quarters() -> None:
    rows = (
        hours("张三", 0, 10, 10, 10, leader=True),
        hours("赵六", 30, None, 0, None),  # hours only in Q1, which loudi does not count
        hours("钱七", None, None, None, None),
        hours("孙八", None, None, 0.5, None),
    )
    facts = facts_of(make_form(study_hours=rows))
    assert facts.value("members_without_activity") == 2
    assert facts.facts["members_without_activity"].detail is not None
    assert "赵六" in facts.facts["members_without_activity"].detail.zh
    assert (
        value(make_form(study_hours=rows), "members_without_activity", profile(hour_quarters=[1, 2, 3, 4]))
        == 1
    )


def test_yearly_hours_per_person_members_and_leaders() -> None:
    rows = (
        hours("张三", 99, 20, 20, 20, leader=True),
        hours("李四", None, 30, 30, None, leader=True),
        hours("赵 六", None, 10, 10, 12.5),
        hours("钱七", None, 20, 20, 20),
    )
    facts = facts_of(make_form(study_hours=rows))
    member_fact = facts.facts["member_hours_year_min"]
    assert member_fact.value == 32.5
    assert member_fact.series == {"赵六": 32.5, "钱七": 60.0}
    leader_fact = facts.facts["leader_hours_year_min"]
    assert leader_fact.value == 60.0
    assert leader_fact.series == {"张三": 60.0, "李四": 60.0}
    national = facts_of(make_form(study_hours=rows), NATIONAL)
    assert national.facts["leader_hours_year_min"].series == {"张三": 159.0, "李四": 60.0}


def test_member_hours_year_min_none_when_only_leaders_are_listed() -> None:
    facts = facts_of(make_form(study_hours=(hours("张三", 0, 40, 40, 40, leader=True),)))
    assert facts.value("member_hours_year_min") is None
    assert facts.value("leader_hours_year_min") == 120.0


def test_members_listed_gap() -> None:
    rows = tuple(hours(n, 0, 1, 1, 1) for n in ("张三", "李四", "王五"))
    facts = facts_of(make_form(study_hours=rows, full_members=4, probationary=1))
    assert facts.value("members_listed_gap") == 2
    evidence = facts.facts["members_listed_gap"].evidence
    assert evidence[:2] == (ev("基本信息", "B6", 4), ev("基本信息", "B7", 1))
    assert evidence[2:] == tuple(r.cells["name"] for r in rows)


# --- 支委培训 ----------------------------------------------------------------------------------------------


def training(name: str, day: str, type_: str = "集中培训", topic: str | None = None) -> Training:
    row = next(_rows)
    cells = {
        "name": ev("书记培训", f"A{row}", name),
        "date": ev("书记培训", f"B{row}", day),
        "topic": ev("书记培训", f"E{row}", topic),
    }
    return Training(name=name, date=dt.date.fromisoformat(day), type=type_, topic=topic, cells=cells)


def test_training_facts_none_on_an_empty_register() -> None:
    facts = facts_of(make_form())
    for name in ("committee_trained_min", "congress_trainings", "secretary_trainings_year"):
        assert facts.value(name) is None, name


def test_committee_trained_min_per_person() -> None:
    rows = (
        training("张三", "2012-05-10"),
        training("李四（组织委员）", "2012-06-10", "党务培训"),
        training("王五", "2012-07-10", "实践活动"),  # practice does not count
        training("王五", "2011-07-10"),  # last year
    )
    fact = facts_of(make_form(training=rows)).facts["committee_trained_min"]
    assert fact.value == 0
    assert fact.series == {"张三": 1.0, "李四": 1.0, "王五": 0.0}
    # without a committee the secretary alone is asked
    small = facts_of(make_form(training=rows, full_members=5)).facts["committee_trained_min"]
    assert small.series == {"张三": 1.0}
    assert small.value == 1


def test_secretary_trainings_in_the_year() -> None:
    rows = (
        training("张三", "2012-03-10", "专题培训"),
        training("张三", "2012-05-10", "党务培训"),
        training("张三", "2012-07-10", "实践活动"),
        training("李四", "2012-07-10"),
    )
    assert value(make_form(training=rows), "secretary_trainings_year") == 2


def test_congress_trainings_from_the_congress_date() -> None:
    rows = (
        training("张三", "2012-11-07", topic="十八大精神专题培训"),
        training("张三", "2012-11-08", topic="学习贯彻十八大精神专题培训"),
        training("李四", "2012-11-20", topic="党务工作培训"),
    )
    facts = facts_of(make_form(training=rows))
    assert facts.value("congress_trainings") == 1
    assert facts.facts["congress_trainings"].evidence == (rows[1].cells["topic"],)


# --- 发展党员 ----------------------------------------------------------------------------------------------


def candidate(name: str = "刘一", **kw: Any) -> Candidate:
    row = next(_rows)
    fields: dict[str, Any] = {
        "identity": "教师",
        "applied_on": dt.date(2010, 3, 1),
        "activist_on": dt.date(2010, 9, 1),
        "candidate_on": dt.date(2011, 9, 1),
        "notice_start": dt.date(2012, 11, 5),  # Monday
        "notice_end": dt.date(2012, 11, 9),  # Friday
        "vote_on": dt.date(2012, 11, 12),
        "voters_due": 10,
        "voters_present": 9,
        "votes_yes": 9,
        "dossier_complete": True,
    } | kw
    cells = {c: ev("发展党员", f"{chr(65 + i)}{row}") for i, c in enumerate(("name", *fields))}
    return Candidate(name=name, cells=cells, **fields)


def test_notice_working_days_by_the_official_calendar_across_national_day() -> None:
    # Thursday 2012-09-27 to Tuesday 10-09: 13 days, 9 of them Monday–Friday, but 09-30…10-07 is the
    # Mid-Autumn and National Day holiday and Saturday 09-29 a make-up working day: 27, 28, 29, 10-08, 10-09.
    row = candidate(notice_start=dt.date(2012, 9, 27), notice_end=dt.date(2012, 10, 9), vote_on=None)
    form = make_form(candidates=(row,))
    fact = facts_of(form).facts["min_notice_working_days"]
    assert fact.value == 5
    assert "法定节假日" in fact.detail.zh if fact.detail else False
    weekdays = LOUDI.model_copy(update={"calendar": WorkCalendar.WEEKDAYS})
    assert value(form, "min_notice_working_days", weekdays) == 9
    assert facts_of(form).warnings == ()  # 2012 is covered: nothing to warn about


def test_a_year_the_calendar_does_not_cover_counts_weekdays_and_warns() -> None:
    year = covered_years(WorkCalendar.CN).stop  # the first year after the installed calendar's data
    start = dt.date(year, 10, 1)
    start -= dt.timedelta(days=start.weekday())  # a Monday: to Friday is 5 weekdays
    row = candidate(notice_start=start, notice_end=start + dt.timedelta(days=4), vote_on=None)
    facts = facts_of(make_form(candidates=(row, candidate("陈二"))))
    assert facts.value("min_notice_working_days") == 5
    (warning,) = facts.warnings
    assert warning.code == "IN-38" and warning.severity is Severity.WARNING
    assert str(year) in warning.message.zh and str(year) in warning.message.en
    assert "周一至周五" in warning.message.zh and "chinese-calendar" in warning.rectification.zh
    assert warning.evidence == (row.cells["notice_start"], row.cells["notice_end"])  # not 陈二's 2012 notice


def test_candidates_empty_register_is_zero_not_none() -> None:
    facts = facts_of(make_form())
    for name in (
        "candidates_count",
        "candidates_dossier_incomplete",
        "notices_after_vote",
        "ballots_invalid",
        "young_teacher_candidates",
        "backbone_candidates",
        "student_candidates_unqualified",
    ):
        assert facts.value(name) == 0, name
    assert facts.value("min_notice_working_days") is None


def test_notice_working_days_across_a_weekend_and_blank() -> None:
    rows = (
        candidate("刘一"),
        candidate("陈二", notice_start=dt.date(2012, 11, 8), notice_end=dt.date(2012, 11, 13)),  # Thu–Tue: 4
    )
    fact = facts_of(make_form(candidates=rows)).facts["min_notice_working_days"]
    assert fact.value == 4
    assert fact.evidence == (rows[1].cells["notice_start"], rows[1].cells["notice_end"])
    assert value(make_form(candidates=(candidate(notice_start=None),)), "min_notice_working_days") == 0


@pytest.mark.parametrize(
    ("notice_end", "vote_on", "after"),
    [
        (dt.date(2012, 11, 9), dt.date(2012, 11, 12), 0),
        (dt.date(2012, 11, 12), dt.date(2012, 11, 12), 1),  # the notice ends on the vote day
        (dt.date(2012, 11, 13), dt.date(2012, 11, 12), 1),
        (None, dt.date(2012, 11, 12), 1),
        (dt.date(2012, 11, 9), None, 1),
    ],
)
def test_notices_after_vote(notice_end: dt.date | None, vote_on: dt.date | None, after: int) -> None:
    assert (
        value(
            make_form(candidates=(candidate(notice_end=notice_end, vote_on=vote_on),)), "notices_after_vote"
        )
        == after
    )


@pytest.mark.parametrize(
    ("due", "present", "yes", "invalid"),
    [
        (10, 6, 6, 0),
        (10, 5, 5, 1),  # exactly half present
        (10, 9, 5, 1),  # exactly half yes
        (9, 5, 5, 0),  # just over half of an odd number
        (10, None, 6, 1),
        (None, 6, 6, 1),
    ],
)
def test_ballots_invalid(due: int | None, present: int | None, yes: int | None, invalid: int) -> None:
    row = candidate(voters_due=due, voters_present=present, votes_yes=yes)
    assert value(make_form(candidates=(row,)), "ballots_invalid") == invalid


def test_dossier_and_candidate_kinds() -> None:
    rows = (
        candidate("刘一", young_teacher=True, backbone=True),
        candidate("陈二", dossier_complete=None, young_teacher=False),
        candidate("张二", activist_on=None, backbone=True),
        candidate("学甲", identity="学生", failed_courses=1),
        candidate("学乙", identity="学生", failed_courses=0, sanctioned=True),
        candidate("学丙", identity="学生", failed_courses=0, sanctioned=False),
        candidate("教丁", identity="教师", failed_courses=2),  # not a student
    )
    facts = facts_of(make_form(candidates=rows))
    assert facts.value("candidates_count") == 7
    assert facts.value("candidates_dossier_incomplete") == 2
    assert facts.value("young_teacher_candidates") == 1
    assert facts.value("backbone_candidates") == 2
    assert facts.value("student_candidates_unqualified") == 2
    assert facts.facts["young_teacher_candidates"].evidence[0] == rows[0].cells["young_teacher"]


# --- 学生班级 ----------------------------------------------------------------------------------------------


def klass(
    name: str, year: str | None, members: int | None, full: int | None = None, **kw: Any
) -> StudentClass:
    row = next(_rows)
    cells = {
        c: ev("学生班级", f"{col}{row}")
        for c, col in zip(
            (
                "class_name",
                "study_year",
                "students",
                "members",
                "full_members",
                "party_group",
                "failing_members",
            ),
            "ABCDEFG",
            strict=True,
        )
    }
    return StudentClass(
        class_name=name, study_year=year, members=members, full_members=full, cells=cells, **kw
    )


def test_classes_empty_register() -> None:
    facts = facts_of(make_form())
    assert facts.value("classes_count") == 0
    for name in (
        "lower_year_classes_without_members",
        "upper_year_classes_without_group",
        "failing_members_total",
    ):
        assert facts.value(name) is None, name


def test_lower_and_upper_year_classes() -> None:
    rows = (
        klass("会计1201", "一年级", 0),  # first year: not asked
        klass("会计1101", "二年级", 0),
        klass("会计1102", "二年级", None),
        klass("会计1103", "二年级", 1),
        klass("会计1001", "三年级", 3, 1, party_group=True),  # the minimum: fine
        klass("会计1002", "三年级", 2, 1, party_group=True),  # a Party group with 2 members
        klass("会计1003", "三年级", 4, 0, party_group=True),  # no full member
        klass("会计1004", "三年级", 5, 2, party_group=None),  # no group recorded
    )
    facts = facts_of(make_form(student_classes=rows))
    assert facts.value("classes_count") == 8
    assert facts.value("lower_year_classes_without_members") == 2
    assert facts.value("upper_year_classes_without_group") == 3
    assert facts.facts["lower_year_classes_without_members"].evidence == (
        rows[1].cells["members"],
        rows[2].cells["members"],
    )
    assert (
        value(
            make_form(student_classes=rows),
            "upper_year_classes_without_group",
            profile(party_group_min_members=2),
        )
        == 2
    )


def test_failing_members_total() -> None:
    blank = (klass("会计1101", "二年级", 2), klass("会计1001", "三年级", 3))
    assert value(make_form(student_classes=blank), "failing_members_total") is None
    rows = (
        klass("会计1101", "二年级", 2, failing_members=1),
        klass("会计1001", "三年级", 3),
        klass("会计1002", "三年级", 3, failing_members=2),
    )
    assert value(make_form(student_classes=rows), "failing_members_total") == 3
    zero = (klass("会计1101", "二年级", 2, failing_members=0),)
    assert value(make_form(student_classes=zero), "failing_members_total") == 0


# --- 制度落实 ----------------------------------------------------------------------------------------------


def item(key: str, row: int, **kw: Any) -> ChecklistItem:
    cells = {
        c: ev("制度落实", f"{col}{row}")
        for c, col in zip(("done", "date", "count", "note"), "BCDE", strict=True)
    }
    return ChecklistItem(key=key, cells=cells, **kw)


def test_checklist_facts_read_their_cells() -> None:
    systems = {
        "cxzy_plan": item("cxzy_plan", 20, done=True),
        "transparency": item("transparency", 7, done=True, count=3),
        "task_division": item("task_division", 21, done=True, date=dt.date(2012, 4, 20)),
        "funds": item("funds", 15, done=True, count=2000),
        "named_lagging": item("named_lagging", 32, done=False),
        "supervision": item("supervision", 22),
        "self_check": item("self_check", 19, done=True, date=dt.date(2012, 12, 8)),
    }
    form = make_form(systems=systems)
    # a form before the 党务公开记录 register: no such sheet, the count on its 制度落实 row
    form = form.model_copy(
        update={"sheet_cells": {k: v for k, v in form.sheet_cells.items() if k != "党务公开记录"}}
    )
    facts = facts_of(form)
    assert facts.value("cxzy_plan_done") is True
    # an older form's 党务公开 row (no 党务公开记录 sheet): its count, spread evenly over the quarters
    assert facts.value("transparency_count") == 3
    assert facts.value("transparency_min_quarter") == 0
    assert facts.facts["transparency_count"].evidence == (ev("制度落实", "B7"), ev("制度落实", "D7"))
    assert facts.value("task_division_date") == 20120420
    assert facts.value("funds_amount") == 2000.0
    assert facts.value("named_lagging") is False
    assert facts.value("supervision_done") is None  # the row is there, left blank
    assert facts.value("self_check_date") == 20121208
    assert facts.value("seminar_count") is None  # no such row (a 2012.1 form)
    assert facts.facts["task_division_date"].evidence == (ev("制度落实", "C21"),)
    assert facts.facts["seminar_count"].evidence == (SHEETS["制度落实"],)


def test_every_checklist_fact_is_none_without_the_sheet() -> None:
    facts = facts_of(make_form())
    for name in CHECKLIST_FACTS:
        assert facts.value(name) is None, name


def test_commitments_signed_share() -> None:
    systems = {"commitments_signed": item("commitments_signed", 8, done=True, count=20)}
    facts = facts_of(make_form(systems=systems, full_members=20, probationary=2))
    assert facts.value("commitments_signed_share") == 0.91
    assert ev("制度落实", "D8") in facts.facts["commitments_signed_share"].evidence
    assert ev("基本信息", "B6", 20) in facts.facts["commitments_signed_share"].evidence
    blank = {"commitments_signed": item("commitments_signed", 8, done=True)}
    assert value(make_form(systems=blank), "commitments_signed_share") is None


# --- parameters --------------------------------------------------------------------------------------------


def test_the_profile_carries_every_parameter_the_facts_read() -> None:
    for name in (
        "study_topics",
        "lower_year",
        "upper_year",
        "party_group_min_members",
        "congress_date",
        "congress_keyword",
        "consultation_months",
        "mobilisation_month",
        "hour_quarters",
        "vacation_months",
    ):
        assert name in LOUDI.params, name
    assert LOUDI.params["congress_date"] == dt.date(2012, 11, 8)
    assert LOUDI.params["consultation_months"] == [1, 2, 3]


def test_a_profile_without_loudi_only_parameters_gives_none_not_an_error() -> None:
    form = make_form(
        meetings=(meeting("2012-03-10", "征求意见会"), meeting("2012-11-10", "集中学习", topic="十八大")),
        training=(training("张三", "2012-11-20", topic="十八大"),),
        student_classes=(klass("会计1101", "二年级", 0),),
    )
    drop = (*LOUDI_ONLY, "study_topics", "lower_year", "upper_year", "mobilisation_month", "congress_date")
    facts = facts_of(form, profile(drop=drop))
    for name in (
        "consultation_meetings",
        "congress_study_sessions",
        "congress_trainings",
        "topics_missing",
        "lower_year_classes_without_members",
        "upper_year_classes_without_group",
        "mobilisation_meetings",
    ):
        assert facts.value(name) is None, name
        assert facts.facts[name].detail is not None and "profile" in facts.facts[name].detail.en, name
    assert facts.value("classes_count") == 1  # facts that need no parameter are unaffected


@pytest.mark.parametrize(
    ("param", "bad"),
    [
        ("congress_date", "2012-11-08"),
        ("congress_date", 20121108),  # a yyyymmdd number is not a date: profiles write 2012-11-08
        ("study_topics", "思想政治"),
        ("consultation_months", ["一月"]),
    ],
)
def test_a_mistyped_parameter_fails_loudly(param: str, bad: Any) -> None:
    with pytest.raises(ValueError, match=param):
        facts_of(make_form(meetings=(meeting("2012-05-10", "支委会"),)), profile(**{param: bad}))


def test_reading_an_undeclared_parameter_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="FACT_PARAMS"):
        Params(LOUDI.params).integer("leadership_study_per_year")


def test_the_facts_stage_reads_exactly_the_declared_parameters() -> None:
    """FACT_PARAMS is what ``rules lint`` counts as used by the facts stage: no more, no less."""
    import ast

    from schemas.facts import FACT_PARAMS

    readers = {n for n in dir(Params) if not n.startswith("_")}
    read: set[str] = set()
    for path in (Path(__file__).parent.parent / "engine" / "facts").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in readers
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                read.add(node.args[0].value)
    assert read == set(FACT_PARAMS)
