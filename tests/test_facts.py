"""The facts stage on hand-built forms: every fact at its boundary, with the cells behind it."""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.facts import build_facts
from engine.facts.people import name_key, name_keys
from engine.facts.periods import window_months
from engine.rulebook.loader import load_profile as load_rules_profile
from schemas.common import Evidence
from schemas.facts import FACTS, FORM_2012_FACTS, FORM_FACTS, NATIONAL_FACTS, BranchFacts, form_facts
from schemas.form import (
    BasicInfo,
    BranchForm,
    CommitteeMember,
    Meeting,
    NegativeItem,
    Problem,
    Satisfaction,
    SelfAssessment,
    StudyHours,
    Training,
)
from schemas.forms import FORMS
from schemas.rules import Profile, Window
from schemas.workdays import WorkCalendar

PROFILE_TOML = Path(__file__).resolve().parents[1] / "rules" / "loudi-2012" / "profile.toml"
FILE = "branch.xlsx"
_rows = itertools.count(2)


def load_profile(**params: Any) -> Profile:
    data = tomllib.loads(PROFILE_TOML.read_text("utf-8"))
    data["params"].update(params)
    return Profile.model_validate(data)


PROFILE = load_profile()


def ev(sheet: str, cell: str, value: object = None) -> Evidence:
    return Evidence(file=FILE, sheet=sheet, cell=cell, value=None if value is None else str(value))


def meeting(
    day: str, type_: str, chair: str | None = None, *, minutes: bool | None = True, **kw: Any
) -> Meeting:
    row = next(_rows)
    cells = {"date": ev("会议活动", f"A{row}", day), "type": ev("会议活动", f"B{row}", type_)}
    if chair is not None:
        cells["chair"] = ev("会议活动", f"C{row}", chair)
    cells["minutes"] = ev("会议活动", f"I{row}", minutes)
    return Meeting(
        date=dt.date.fromisoformat(day), type=type_, chair=chair, minutes=minutes, cells=cells, **kw
    )


def member(name: str, post: str, row: int) -> CommitteeMember:
    return CommitteeMember(name=name, post=post, cells={"name": ev("基本信息", f"A{row}", name)})


COMMITTEE = (member("张三", "书记", 20), member("李四", "组织委员", 21), member("王五", "宣传委员", 22))
SHEETS = {
    name: Evidence(file=FILE, sheet=name)
    for name in ("会议活动", "学习学时", "书记培训", "满意度测评", "负面清单")
}


def make_form(
    *,
    meetings: tuple[Meeting, ...] | list[Meeting] = (),
    committee: tuple[CommitteeMember, ...] = COMMITTEE,
    full_members: int = 12,
    secretary: str = "张三",
    **kw: Any,
) -> BranchForm:
    basic = BasicInfo(
        branch_name="机关第一党支部",
        branch_id="JG-01",
        general_branch="机关党总支",
        branch_type="机关",
        window_department=True,
        full_members=full_members,
        secretary=secretary,
        assessment_year=2012,
        cells={
            "full_members": ev("基本信息", "B6", full_members),
            "secretary": ev("基本信息", "B8", secretary),
            "branch_type": ev("基本信息", "B4", "机关"),
        },
    )
    return BranchForm(
        file=FILE,
        sha256="0" * 64,
        basic=basic,
        committee=committee,
        meetings=tuple(meetings),
        sheet_cells=SHEETS,
        **kw,
    )


CADENCE_MONTHS = [f"2012-{m:02d}" for m in range(4, 13)]


def monthly(type_: str, day: int = 5, months: range = range(4, 13), **kw: Any) -> list[Meeting]:
    return [meeting(f"2012-{m:02d}-{day:02d}", type_, **kw) for m in months]


def facts_of(form: BranchForm, profile: Profile = PROFILE) -> BranchFacts:
    return build_facts(form, profile)


# --- catalogue, identity ---------------------------------------------------------------------------------


def test_key_set_equals_catalogue_in_order() -> None:
    for form in (make_form(), make_form(meetings=monthly("支委会"))):
        facts = facts_of(form)
        assert list(facts.facts) == list(form_facts(PROFILE.form)) == list(FORM_2012_FACTS)
        assert all(f.name == n for n, f in facts.facts.items())


def test_each_form_yields_its_own_catalogue() -> None:
    """The 2012 form yields the catalogue as it stood before forms had their own (so 2012 results stay
    byte-identical); the national form yields only what its profile reads, the registers kept person by
    person among them, and none of the 2012 campaign's facts."""
    assert set(FORM_FACTS) == {form.profile for form in FORMS}
    assert all(set(names) <= set(FACTS) and len(set(names)) == len(names) for names in FORM_FACTS.values())
    national = load_rules_profile("national-2018")
    facts = build_facts(make_form(), national)
    assert list(facts.facts) == list(NATIONAL_FACTS)
    assert {"members_appraised_share", "members_talked_share", "talk_pair_kinds_missing"} <= set(facts.facts)
    assert not {"appraisals", "talks_coverage", "cxzy_plan_done", "education_week_july"} & set(facts.facts)
    assert "members_talked_share" not in FORM_2012_FACTS


def test_series_only_where_the_catalogue_says_so() -> None:
    form = make_form(
        meetings=[*monthly("支委会"), meeting("2012-05-10", "党课", "张三")],
        study_hours=(StudyHours(name="张三", leader=True, q2=40, q3=40, q4=40),),
        training=(Training(name="张三", date=dt.date(2012, 3, 1), type="集中培训"),),
    )
    for name, fact in facts_of(form).facts.items():
        if fact.series is not None:
            assert FACTS[name].series, name


def test_identity_and_problems_listed() -> None:
    problem = Problem(
        problem="支委会不按月召开", measure="每月5日前召开", owner="张三", due=dt.date(2012, 12, 31)
    )
    form = make_form(self_assessment=SelfAssessment(self_score=88.5, self_grade="较好", problems=(problem,)))
    facts = facts_of(form)
    assert facts.identity.branch_id == "JG-01"
    assert facts.identity.secretary == "张三"
    assert facts.identity.self_grade == "较好"
    assert facts.identity.self_score == 88.5
    assert facts.problems_listed == (
        ("支委会不按月召开", "每月5日前召开", "张三", dt.date(2012, 12, 31), None),
    )
    assert facts.value("branch_type") == "机关"
    assert facts.value("assessment_year") == 2012
    assert facts.value("window_department") is True
    assert facts.facts["full_members"].evidence == (ev("基本信息", "B6", 12),)


def test_window_department_blank_is_none() -> None:
    form = make_form()
    form = form.model_copy(update={"basic": form.basic.model_copy(update={"window_department": None})})
    assert facts_of(form).value("window_department") is None


# --- committee ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_members", "committee", "expected"),
    [(7, COMMITTEE, True), (6, COMMITTEE, False), (12, (), False)],
)
def test_has_committee(full_members: int, committee: tuple[CommitteeMember, ...], expected: bool) -> None:
    facts = facts_of(make_form(full_members=full_members, committee=committee))
    assert facts.value("has_committee") is expected
    assert facts.value("committee_size") == len(committee)


# --- empty register -------------------------------------------------------------------------------------

MEETING_FACTS = (
    "general_meetings",
    "meetings_without_minutes",
    "committee_meetings_min_month",
    "org_life_min_month",
    "study_day_min_month",
    "education_week_july",
    "leadership_study_sessions",
    "branch_study_sessions",
    "lectures_min_per_lecturer",
)


def test_empty_meeting_register_is_not_evidenced() -> None:
    facts = facts_of(make_form(meetings=()))
    for name in MEETING_FACTS:
        assert facts.value(name) is None, name
        assert facts.facts[name].evidence == (SHEETS["会议活动"],), name


def test_register_with_rows_gives_real_zeroes() -> None:
    facts = facts_of(make_form(meetings=[meeting("2012-05-05", "网上学习")]))
    for name in MEETING_FACTS:
        assert facts.value(name) == 0, name
    # Nothing counted: the finding points at the sheet.
    assert facts.facts["committee_meetings_min_month"].evidence == (SHEETS["会议活动"],)


# --- monthly cadence ------------------------------------------------------------------------------------


def test_committee_every_month_and_a_month_with_none() -> None:
    full = facts_of(make_form(meetings=monthly("支委会")))
    assert full.value("committee_meetings_min_month") == 1
    assert list(full.facts["committee_meetings_min_month"].series or {}) == CADENCE_MONTHS

    gap = monthly("支委会", months=range(4, 13))
    gap = [m for m in gap if m.date.month != 8] + [meeting("2012-09-20", "支委会")]
    fact = facts_of(make_form(meetings=gap)).facts["committee_meetings_min_month"]
    assert fact.value == 0
    assert fact.series is not None
    assert fact.series["2012-08"] == 0
    assert fact.series["2012-09"] == 2
    assert fact.detail is not None and "2012-08" in fact.detail.zh


def test_committee_meeting_evidence_is_the_date_cells_counted() -> None:
    meetings = monthly("支委会")
    fact = facts_of(make_form(meetings=[*meetings, meeting("2012-05-05", "党课")])).facts[
        "committee_meetings_min_month"
    ]
    assert fact.evidence == tuple(m.cells["date"] for m in meetings)


def test_december_counts_up_to_the_self_check_date_only() -> None:
    before = [*monthly("支委会", months=range(4, 12)), meeting("2012-12-10", "支委会")]
    assert facts_of(make_form(meetings=before)).value("committee_meetings_min_month") == 1
    after = [*monthly("支委会", months=range(4, 12)), meeting("2012-12-11", "支委会")]
    fact = facts_of(make_form(meetings=after)).facts["committee_meetings_min_month"]
    assert fact.value == 0
    assert fact.series is not None and fact.series["2012-12"] == 0


def test_meetings_before_the_window_do_not_count() -> None:
    meetings = [*monthly("支委会", months=range(5, 13)), meeting("2012-03-31", "支委会")]
    fact = facts_of(make_form(meetings=meetings)).facts["committee_meetings_min_month"]
    assert fact.value == 0
    assert fact.series is not None and fact.series["2012-04"] == 0 and "2012-03" not in fact.series


@pytest.mark.parametrize("vacation", [[7], ["2012-07"]])
def test_vacation_month_is_excluded(vacation: list[int] | list[str]) -> None:
    meetings = [m for m in monthly("支委会") if m.date.month != 7]
    assert facts_of(make_form(meetings=meetings)).value("committee_meetings_min_month") == 0
    fact = facts_of(make_form(meetings=meetings), load_profile(vacation_months=vacation)).facts[
        "committee_meetings_min_month"
    ]
    assert fact.value == 1
    assert fact.series is not None and "2012-07" not in fact.series


def test_org_life_counts_member_events_not_committee_meetings() -> None:
    org_types = [
        "支部党员大会",
        "党小组会",
        "党课",
        "学习日",
        "组织生活会",
        "主题活动",
        "集中学习",
        "民主评议",
        "教育周",
    ]
    meetings = [meeting(f"2012-{m:02d}-03", org_types[(m - 4) % len(org_types)]) for m in range(4, 13)]
    assert facts_of(make_form(meetings=meetings)).value("org_life_min_month") == 1
    # Committee meetings, leadership study and individual online study are not organisational life.
    others = [
        meeting(f"2012-{m:02d}-03", t) for m in range(4, 13) for t in ("支委会", "班子集体学习", "网上学习")
    ]
    assert facts_of(make_form(meetings=others)).value("org_life_min_month") == 0


@pytest.mark.parametrize(("day", "counts"), [(15, True), (12, True), (18, True), (11, False), (19, False)])
def test_study_day_tolerance(day: int, counts: bool) -> None:
    meetings = [meeting(f"2012-{m:02d}-15", "学习日") for m in range(4, 12) if m != 6]
    meetings.append(meeting(f"2012-06-{day:02d}", "学习日"))
    fact = facts_of(make_form(meetings=meetings)).facts["study_day_min_month"]
    assert fact.value == (1 if counts else 0)
    assert fact.series is not None and fact.series["2012-06"] == (1 if counts else 0)


def test_study_day_tolerance_is_a_parameter() -> None:
    meetings = [meeting(f"2012-{m:02d}-11", "学习日") for m in range(4, 12)]
    assert facts_of(make_form(meetings=meetings)).value("study_day_min_month") == 0
    assert (
        facts_of(make_form(meetings=meetings), load_profile(study_day_tolerance_days=4)).value(
            "study_day_min_month"
        )
        == 1
    )


@pytest.mark.parametrize(("calendar", "counts"), [(WorkCalendar.CN, True), (WorkCalendar.WEEKDAYS, False)])
def test_a_study_day_in_a_holiday_moves_to_the_next_working_day(calendar: WorkCalendar, counts: bool) -> None:
    # 2018-02-15 is a Thursday inside the Spring Festival holiday (02-15…02-21): by China's calendar the
    # study day moves to Thursday 02-22, so a 学习日 held then counts; Monday–Friday keeps it on the 15th.
    year_2018 = Window(start=dt.date(2018, 1, 1), end=dt.date(2018, 12, 31))
    prof = PROFILE.model_copy(update={"window": year_2018, "year_window": year_2018, "calendar": calendar})
    meetings = [meeting(f"2018-{m:02d}-15", "学习日") for m in range(1, 13) if m != 2]
    meetings.append(meeting("2018-02-22", "学习日"))
    fact = facts_of(make_form(meetings=meetings), prof).facts["study_day_min_month"]
    assert fact.series is not None and fact.series["2018-02"] == (1 if counts else 0)
    assert "顺延至下一个工作日" in (fact.detail.zh if fact.detail else "")


def test_study_day_months_stop_before_a_study_day_after_the_window() -> None:
    # The window ends on 12-10, before December's 15th: December is not asked for a study day.
    meetings = [meeting(f"2012-{m:02d}-15", "学习日") for m in range(4, 12)]
    fact = facts_of(make_form(meetings=meetings)).facts["study_day_min_month"]
    assert fact.value == 1
    assert fact.series is not None and list(fact.series) == CADENCE_MONTHS[:-1]


# --- annual counts --------------------------------------------------------------------------------------


def test_general_meetings_and_minutes() -> None:
    meetings = [
        meeting("2012-03-01", "支部党员大会", minutes=True),
        meeting("2012-06-01", "支部党员大会", minutes=None),
        meeting("2012-07-01", "支委会", minutes=False),
        meeting("2012-08-01", "党课", minutes=True),
        meeting("2012-09-01", "集中学习", minutes=False),  # not one of 三会一课
        meeting("2011-12-01", "支委会", minutes=False),  # outside the year
    ]
    facts = facts_of(make_form(meetings=meetings))
    assert facts.value("general_meetings") == 2
    fact = facts.facts["meetings_without_minutes"]
    assert fact.value == 2
    assert fact.evidence == (meetings[1].cells["minutes"], meetings[2].cells["minutes"])


def test_study_sessions_each_row_once() -> None:
    meetings = [
        *[meeting(f"2012-{m:02d}-02", "班子集体学习") for m in range(1, 11)],
        *[meeting(f"2012-{m:02d}-20", "集中学习") for m in range(1, 6)],
        *[meeting(f"2012-{m:02d}-15", "学习日") for m in range(4, 7)],
        meeting("2013-01-02", "班子集体学习"),
    ]
    facts = facts_of(make_form(meetings=meetings))
    assert facts.value("leadership_study_sessions") == 10
    assert facts.value("branch_study_sessions") == 8


def test_education_week() -> None:
    meetings = [
        meeting("2012-07-09", "教育周"),
        meeting("2012-07-10", "主题活动", topic="党员教育周：重温入党誓词"),
        meeting("2012-07-11", "网上学习", tags=("教育周",)),
        meeting("2012-07-12", "支委会", topic="部署教育周"),  # committee meeting: not an activity
        meeting("2012-06-30", "教育周"),  # not July
        meeting("2012-07-13", "主题活动", topic="参观"),
    ]
    fact = facts_of(make_form(meetings=meetings)).facts["education_week_july"]
    assert fact.value == 3
    assert fact.evidence == tuple(m.cells["date"] for m in meetings[:3])


# --- lectures -------------------------------------------------------------------------------------------


def test_each_committee_member_lectures() -> None:
    lectures = [meeting("2012-05-10", "党课", "张三（书记）"), meeting("2012-06-10", "党课", "李 四")]
    fact = facts_of(make_form(meetings=lectures)).facts["lectures_min_per_lecturer"]
    assert fact.value == 0
    assert fact.series == {"张三": 1, "李四": 1, "王五": 0}
    # The lectures counted, and the committee cell of the member with none.
    assert fact.evidence == (
        lectures[0].cells["chair"],
        lectures[1].cells["chair"],
        COMMITTEE[2].cells["name"],
    )
    lectures.append(meeting("2012-11-10", "党课", "王五、张三"))
    fact = facts_of(make_form(meetings=lectures)).facts["lectures_min_per_lecturer"]
    assert fact.value == 1
    assert fact.series == {"张三": 2, "李四": 1, "王五": 1}


def test_lectures_outside_the_year_or_of_another_type_do_not_count() -> None:
    meetings = [meeting("2011-12-10", "党课", "张三"), meeting("2012-05-10", "集中学习", "张三")]
    fact = facts_of(make_form(meetings=meetings, committee=(COMMITTEE[0],))).facts[
        "lectures_min_per_lecturer"
    ]
    assert fact.value == 0


def test_secretary_stands_in_without_committee() -> None:
    small = (member("张三", "书记", 20), member("赵六", "副书记", 21), member("钱七", "委员", 22))
    lectures = [meeting("2012-05-10", "党课", "张三")]
    fact = facts_of(make_form(meetings=lectures, committee=small, full_members=5)).facts[
        "lectures_min_per_lecturer"
    ]
    assert fact.series == {"张三": 1, "赵六": 0}  # deputy included, plain members not
    assert fact.value == 0
    only_secretary = facts_of(make_form(meetings=lectures, committee=(), full_members=5))
    assert only_secretary.facts["lectures_min_per_lecturer"].series == {"张三": 1}
    assert only_secretary.value("lectures_min_per_lecturer") == 1


def test_name_keys() -> None:
    assert name_key(" 张\u3000三（书记） ") == "张三"
    assert name_key("张三(主讲)") == "张三"
    assert name_keys("张三、李四【支委】") == {"张三", "李四"}
    assert name_keys(None) == set()


# --- hours ----------------------------------------------------------------------------------------------


def test_member_hours_quarter_average_ignores_q1_and_counts_blank_as_zero() -> None:
    rows = (
        StudyHours(name="张三", q1=0, q2=30, q3=20, q4=25, cells={"q3": ev("学习学时", "E2", 20)}),
        StudyHours(name="李四", q1=0, q2=30, q3=None, q4=25, cells={"q3": ev("学习学时", "E3")}),
    )
    fact = facts_of(make_form(study_hours=rows)).facts["member_hours_min_quarter_avg"]
    assert fact.series == {"2012Q2": 30, "2012Q3": 10, "2012Q4": 25}
    assert fact.value == 10
    assert fact.evidence == (ev("学习学时", "E2", 20), ev("学习学时", "E3"))


def test_member_hours_quarters_come_from_the_profile() -> None:
    rows = (StudyHours(name="张三", q1=0, q2=30, q3=30, q4=30),)
    assert facts_of(make_form(study_hours=rows)).value("member_hours_min_quarter_avg") == 30
    with_q1 = load_profile(hour_quarters=[1, 2, 3, 4])
    assert facts_of(make_form(study_hours=rows), with_q1).value("member_hours_min_quarter_avg") == 0


def test_hours_empty_register_is_none() -> None:
    facts = facts_of(make_form())
    assert facts.value("member_hours_min_quarter_avg") is None
    assert facts.value("leader_hours_min") is None
    assert facts.facts["member_hours_min_quarter_avg"].evidence == (SHEETS["学习学时"],)


def test_leader_hours_flagged_rows_win() -> None:
    rows = (
        StudyHours(name="张三", leader=True, q2=40, q3=35, q4=33),
        StudyHours(name="王五", leader=False, q2=1, q3=1, q4=1),
        StudyHours(name="孙八", leader=True, q2=32, q3=None, q4=50),
    )
    fact = facts_of(make_form(study_hours=rows)).facts["leader_hours_min"]
    assert fact.value == 0
    assert fact.series is not None
    assert fact.series["张三 2012Q3"] == 35 and fact.series["孙八 2012Q3"] == 0
    assert len(fact.series) == 6


def test_leader_hours_by_committee_name_then_secretary() -> None:
    rows = (
        StudyHours(name="张三", q2=40, q3=40, q4=40),
        StudyHours(name="李四（组织委员）", q2=33, q3=34, q4=35),
        StudyHours(name="普通党员", q2=1, q3=1, q4=1),
    )
    assert facts_of(make_form(study_hours=rows)).value("leader_hours_min") == 33
    no_committee = facts_of(make_form(study_hours=rows, committee=(), full_members=5))
    assert no_committee.value("leader_hours_min") == 40
    assert set(no_committee.facts["leader_hours_min"].series or {}) == {
        "张三 2012Q2",
        "张三 2012Q3",
        "张三 2012Q4",
    }
    nobody = facts_of(make_form(study_hours=(rows[2],), committee=(), full_members=5))
    assert nobody.value("leader_hours_min") is None


# --- secretary training ---------------------------------------------------------------------------------


def test_secretary_training_per_half_and_practice() -> None:
    rows = (
        Training(
            name="张三", date=dt.date(2012, 3, 1), type="集中培训", cells={"date": ev("书记培训", "B2")}
        ),
        Training(
            name="张三（书记）",
            date=dt.date(2012, 9, 1),
            type="专题培训",
            cells={"date": ev("书记培训", "B3")},
        ),
        Training(name="李四", date=dt.date(2012, 10, 1), type="集中培训"),
        Training(name="张三", date=dt.date(2012, 11, 1), type="实践活动"),
        Training(name="张三", date=dt.date(2011, 11, 1), type="实践活动"),
    )
    facts = facts_of(make_form(training=rows))
    fact = facts.facts["secretary_training_min_half"]
    assert fact.series == {"2012H1": 1, "2012H2": 1}
    assert fact.value == 1
    assert fact.evidence == (ev("书记培训", "B2"), ev("书记培训", "B3"))
    assert facts.value("secretary_practice_count") == 1

    h2_only = facts_of(make_form(training=rows[1:]))
    assert h2_only.value("secretary_training_min_half") == 0
    assert (h2_only.facts["secretary_training_min_half"].series or {})["2012H1"] == 0


def test_secretary_training_empty_register_is_none() -> None:
    facts = facts_of(make_form())
    assert facts.value("secretary_training_min_half") is None
    assert facts.value("secretary_practice_count") is None
    assert facts.facts["secretary_practice_count"].evidence == (SHEETS["书记培训"],)
    # A register with someone else's rows is a real 0 for the secretary.
    other = facts_of(make_form(training=(Training(name="李四", date=dt.date(2012, 3, 1), type="集中培训"),)))
    assert other.value("secretary_training_min_half") == 0
    assert other.value("secretary_practice_count") == 0


# --- satisfaction and vetoes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("survey", "expected"),
    [
        (Satisfaction(respondents=40, satisfied=30, basically_satisfied=6, dissatisfied=4), 0.9),
        (Satisfaction(respondents=40, satisfied=20, basically_satisfied=None), 0.5),
        (Satisfaction(respondents=0, satisfied=0, basically_satisfied=0), None),
        (Satisfaction(respondents=None, satisfied=10), None),
        (Satisfaction(respondents=40), None),
    ],
)
def test_satisfaction_rate(survey: Satisfaction, expected: float | None) -> None:
    assert facts_of(make_form(satisfaction=survey)).value("satisfaction_rate") == expected


def test_vetoes() -> None:
    items = {
        "discipline": NegativeItem(
            key="discipline", present=True, cells={"present": ev("负面清单", "B3", "是")}
        ),
        "inactive": NegativeItem(key="inactive", present=False),
        "petition": NegativeItem(key="petition", present=None),
    }
    facts = facts_of(make_form(negative_list=items))
    assert facts.value("veto_discipline") is True
    assert facts.facts["veto_discipline"].evidence == (ev("负面清单", "B3", "是"),)
    assert facts.value("veto_inactive") is False
    assert facts.value("veto_petition") is None
    assert facts.value("veto_disunity") is None
    assert facts.facts["veto_disunity"].evidence == (SHEETS["负面清单"],)


# --- periods --------------------------------------------------------------------------------------------


def test_window_months_cross_a_year_end() -> None:
    window = Window(start=dt.date(2012, 11, 20), end=dt.date(2013, 2, 1))
    assert window_months(window) == [(2012, 11), (2012, 12), (2013, 1), (2013, 2)]
    assert window_months(window, [12, "2013-02"]) == [(2012, 11), (2013, 1)]


# --- properties -----------------------------------------------------------------------------------------

dates_2012 = st.dates(min_value=dt.date(2012, 1, 1), max_value=dt.date(2012, 12, 31))
types = st.sampled_from(["支委会", "党课", "学习日", "主题活动", "集中学习"])


@settings(max_examples=60, deadline=None)
@given(existing=st.lists(st.tuples(dates_2012, types), min_size=1, max_size=25), extra=dates_2012)
def test_adding_a_committee_meeting_never_lowers_the_monthly_minimum(
    existing: list[tuple[dt.date, str]], extra: dt.date
) -> None:
    meetings = [meeting(d.isoformat(), t) for d, t in existing]
    before = facts_of(make_form(meetings=meetings))
    after = facts_of(make_form(meetings=[*meetings, meeting(extra.isoformat(), "支委会")]))
    for name in ("committee_meetings_min_month", "org_life_min_month", "study_day_min_month"):
        b, a = before.value(name), after.value(name)
        assert isinstance(b, int) and isinstance(a, int)
        assert a >= b, name
    b_series = before.facts["committee_meetings_min_month"].series or {}
    a_series = after.facts["committee_meetings_min_month"].series or {}
    assert all(a_series[k] >= v for k, v in b_series.items())
