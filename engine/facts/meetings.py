"""Facts from the meetings register (会议活动): 三会一课, organisational life, study days, study sessions,
joint meetings, online study, themed days, talks, the linked cadre's visits, topics, declared totals.

One pass over the register sorts each meeting into the facts it counts for (a list per fact, in register
order, so evidence cells come out in the order the user typed them), and the periodic facts then count their
list per month, quarter or half key. Plain Python on purpose: a register holds tens of rows, and building
a DataFrame per branch costs more than the counting it would serve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.facts.evidence import cells, detail, sheet_evidence
from engine.facts.periods import anchor_day, half_key, in_window, quarter_key, window_months
from schemas import form_layout as layout
from schemas.common import Evidence, Text
from schemas.facts import Fact, fact
from schemas.form import BranchForm, Meeting
from schemas.rules import Profile
from schemas.workdays import next_workday

GENERAL_MEETING = "支部党员大会"
COMMITTEE_MEETING = "支委会"
LECTURE = "党课"
STUDY_DAY = "学习日"
EDUCATION_WEEK = "教育周"
LEADERSHIP_STUDY = "班子集体学习"
PARTY_GROUP = "党小组会"
ORG_LIFE = "组织生活"  # an ordinary organisational-life event that has no type of its own
ORG_LIFE_MEETING = "组织生活会"  # the meeting of criticism and self-criticism (OL-08 and the like)
APPRAISAL = "民主评议"
ONLINE_STUDY = "网上学习"
JOINT_MEETING = "党政联席会议"
TALK = "谈心谈话"
THEMED_DAY = "主题党日"
MOBILISATION = "动员会"
CONSULTATION = "征求意见会"

# 三会一课: the four meeting types whose minutes OL-01 checks.
THREE_MEETINGS_ONE_LESSON = frozenset((GENERAL_MEETING, COMMITTEE_MEETING, PARTY_GROUP, LECTURE))

# Organisational life (docs/requirements-2012.md §5 item 6): every member-wide branch event. 集中学习
# (a whole-branch study session), 民主评议 (the annual appraisal meeting) and 教育周 activities are
# member-wide gatherings too, so they count. Not counted: 支委会 and 班子集体学习 (committee / leadership
# only) and 网上学习 (individual online study, not a branch gathering; an online 组织生活会 is registered as
# 组织生活会 with 是否线上=是). 组织生活 (an ordinary event with no type of its own) counts as organisational
# life but is never a 组织生活会: only rows of that type count towards the yearly meeting.
ORG_LIFE_TYPES = frozenset(
    (
        GENERAL_MEETING,
        "党小组会",
        LECTURE,
        STUDY_DAY,
        ORG_LIFE,
        ORG_LIFE_MEETING,
        "主题活动",
        "集中学习",
        "民主评议",
        EDUCATION_WEEK,
    )
)

# ED-07 whole-branch study: 集中学习 plus the monthly 学习日 (docs/requirements-2012.md §5 item 7); each row
# counts once.
BRANCH_STUDY_TYPES = frozenset(("集中学习", STUDY_DAY))

# Education week: 教育周 rows, plus any member-facing activity whose topic or tags name the week
# (a 主题活动 or 网上学习 "党员教育周：…" is how branches often register it).
# Committee-only meetings never count.
EDUCATION_WEEK_MARK = "教育周"
NOT_EDUCATION_WEEK_TYPES = frozenset((COMMITTEE_MEETING, LEADERSHIP_STUDY))

# national-2018 OL-10: the monthly themed Party day; a loudi-style 学习日 is the same fixed monthly day.
THEMED_DAY_TYPES = frozenset((THEMED_DAY, STUDY_DAY))


@dataclass(frozen=True)
class MeetingParams:
    study_day: int
    study_day_tolerance_days: int
    education_week_month: int
    vacation_months: tuple[int | str, ...] = ()
    # Quarterly cadence: the quarters of the assessment year asked for (profile ``hour_quarters``).
    quarters: tuple[int, ...] = (1, 2, 3, 4)
    # None when the profile lacks the parameter: the fact reading it is then None (not evidenced).
    study_topics: tuple[str, ...] | None = None
    congress_date: dt.date | None = None
    congress_keyword: str | None = None
    mobilisation_month: int | None = None
    consultation_months: tuple[int, ...] | None = None


def _mentions_education_week(m: Meeting) -> bool:
    return EDUCATION_WEEK_MARK in (m.topic or "") or any(EDUCATION_WEEK_MARK in t for t in m.tags)


def _mentions(m: Meeting, keyword: str) -> bool:
    return keyword in (m.topic or "") or any(keyword in t for t in m.tags)


class MeetingFacts:
    """The meeting-derived facts of one form.

    Every fact of ``NAMES`` is ``None`` when the register has no rows at all. The declared-total gaps
    (``_declared_gaps``) are not: a declared 12 against an empty register is a gap of 12. They are
    ``None`` when the declared total on 自评 is blank.
    """

    NAMES = (
        "general_meetings",
        "meetings_without_minutes",
        "committee_meetings_min_month",
        "org_life_min_month",
        "study_day_min_month",
        "education_week_july",
        "leadership_study_sessions",
        "branch_study_sessions",
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

    def __init__(
        self,
        form: BranchForm,
        profile: Profile,
        params: MeetingParams,
        members: int = 0,
        members_evidence: tuple[Evidence, ...] = (),
    ) -> None:
        self.form = form
        self.profile = profile
        self.params = params
        self.members = members
        self.members_evidence = members_evidence
        self.meetings = form.meetings
        self.sheet = sheet_evidence(form, layout.MEETINGS)
        self.year = form.basic.assessment_year
        window_ym = window_months(profile.window, params.vacation_months)
        self.months = [f"{y:04d}-{m:02d}" for y, m in window_ym]
        self.month_keys = {y * 12 + m: key for (y, m), key in zip(window_ym, self.months, strict=True)}
        # Study-day months: only months whose study day falls inside the window (the 2012 window ends on
        # 12-10, before December's 15th, so December cannot be asked for a study day).
        self.study_months = [
            k
            for k in self.months
            if in_window(anchor_day(int(k[:4]), int(k[5:]), params.study_day), profile.window)
        ]
        # Quarterly and half-yearly keys of the assessment year, looked up by month number.
        self.quarter_keys = [quarter_key(self.year, q) for q in params.quarters]
        self.quarter_by_month = {
            m: quarter_key(self.year, (m - 1) // 3 + 1)
            for m in range(1, 13)
            if (m - 1) // 3 + 1 in params.quarters
        }
        self.half_keys = [half_key(self.year, 1), half_key(self.year, 2)]
        self._study_spans: dict[int, tuple[dt.date, dt.date]] = {}  # year * 12 + month -> span
        self.half_by_month = {m: self.half_keys[0 if m <= 6 else 1] for m in range(1, 13)}

    # -- building blocks --

    def study_day_span(self, year: int, month: int) -> tuple[dt.date, dt.date]:
        """The days a month's 学习日 may fall on: ±tol days around the study day, and when that day is a
        rest day by the profile's calendar, up to tol days past the working day it moves to (a 15th in
        the Spring Festival holiday moves past the holiday)."""
        tol = dt.timedelta(days=self.params.study_day_tolerance_days)
        anchor = anchor_day(year, month, self.params.study_day)
        return anchor - tol, next_workday(anchor, self.profile.calendar) + tol

    def _on_study_day(self, m: Meeting) -> bool:
        # A 学习日 counts for its own month when within that month's span.
        key = m.date.year * 12 + m.date.month
        span = self._study_spans.get(key)
        if span is None:
            span = self._study_spans[key] = self.study_day_span(m.date.year, m.date.month)
        return span[0] <= m.date <= span[1]

    def _evidence(self, records: list[Meeting], *names: str) -> tuple[Evidence, ...]:
        return cells(records, *names) or self.sheet

    def _count(self, name: str, records: list[Meeting], text: Text, *cell_names: str) -> Fact:
        return fact(
            name=name,
            value=len(records),
            evidence=self._evidence(records, *(cell_names or ("date",))),
            detail=text,
        )

    def _monthly_min(
        self,
        name: str,
        keyed: list[tuple[str, Meeting]],
        months: list[str],
        text: Text,
        periods: tuple[str, str] = ("月份", "months"),
        cell_name: str = "date",
    ) -> Fact:
        """Fewest meetings in any of ``months`` (or quarters, halves: ``periods`` names them in the detail);
        ``keyed``: (period key, meeting) for those periods only."""
        counts = dict.fromkeys(months, 0)  # every period asked for, in order, 0 until seen
        for key, _ in keyed:
            counts[key] += 1
        series = {k: float(n) for k, n in counts.items()}
        value = int(min(series.values())) if series else None
        short = [k for k, v in series.items() if v == 0]
        return fact(
            name=name,
            value=value,
            evidence=self._evidence([m for _, m in keyed], cell_name),
            series=series or None,
            detail=Text(
                zh=text.zh + (f"；无记录的{periods[0]}：{'、'.join(short)}" if short else ""),
                en=text.en + (f"; {periods[1]} with none: {', '.join(short)}" if short else ""),
            ),
        )

    def _quarterly_min(self, name: str, keyed: list[tuple[str, Meeting]], text: Text) -> Fact:
        return self._monthly_min(name, keyed, self.quarter_keys, text, ("季度", "quarters"))

    def _missing_param(self, name: str, *params: str) -> Fact:
        listed = "、".join(params)
        return fact(
            name=name,
            value=None,
            evidence=self.sheet,
            detail=detail(
                f"考核方案未设置参数 {listed}", f"The profile has no parameter {', '.join(params)}"
            ),
        )

    def _declared_gaps(self, committee: list[Meeting], lectures: list[Meeting]) -> dict[str, Fact]:
        """The totals declared on 自评 against the year's register rows (committee meetings, lectures)."""
        return {
            "committee_meetings_declared_gap": self._declared_gap(
                "committee_meetings_declared_gap", "declared_committee_meetings", COMMITTEE_MEETING, committee
            ),
            "lectures_declared_gap": self._declared_gap(
                "lectures_declared_gap", "declared_lectures", LECTURE, lectures
            ),
        }

    def _declared_gap(self, name: str, declared_field: str, kind: str, records: list[Meeting]) -> Fact:
        sa = self.form.self_assessment
        declared: int | None = getattr(sa, declared_field)
        declared_cell = cells([sa], declared_field)
        if declared is None:
            return fact(
                name=name,
                value=None,
                evidence=declared_cell or sheet_evidence(self.form, layout.SELF_ASSESSMENT),
                detail=detail(
                    f"自评表未填报全年{kind}次数", f"The declared yearly number of {kind} is blank"
                ),
            )
        return fact(
            name=name,
            value=abs(declared - len(records)),
            evidence=declared_cell + (cells(records, "date") or self.sheet),
            detail=detail(
                f"自评填报{kind}{declared}次，会议活动台账全年登记{len(records)}次",
                f"{declared} {kind} declared on 自评, {len(records)} in the year's meeting register",
            ),
        )

    # -- the facts --

    def facts(self) -> dict[str, Fact]:
        if not self.meetings:
            empty = detail("会议活动台账为空", "The meeting register is empty")
            out = {n: fact(name=n, value=None, evidence=self.sheet, detail=empty) for n in self.NAMES}
            return out | self._declared_gaps(committee=[], lectures=[])

        p = self.params
        window, year_window = self.profile.window, self.profile.year_window
        study_months = frozenset(self.study_months)

        # One list per fact, filled in register order; the monthly ones keep the month key they were counted
        # under, so it is formatted once per meeting.
        general: list[Meeting] = []
        without_minutes: list[Meeting] = []
        committee: list[tuple[str, Meeting]] = []
        org_life: list[tuple[str, Meeting]] = []
        study_days: list[tuple[str, Meeting]] = []
        education_week: list[Meeting] = []
        leadership: list[Meeting] = []
        branch_study: list[Meeting] = []
        # annual lists, then quarterly / monthly / half-yearly ones keyed like the monthly facts
        committee_year: list[Meeting] = []
        lectures_year: list[Meeting] = []
        org_life_meetings: list[Meeting] = []
        appraisals: list[Meeting] = []
        talks: list[Meeting] = []
        joint: list[tuple[str, Meeting]] = []
        online: list[tuple[str, Meeting]] = []
        general_q: list[tuple[str, Meeting]] = []
        lectures_q: list[tuple[str, Meeting]] = []
        party_group: list[tuple[str, Meeting]] = []
        themed: list[tuple[str, Meeting]] = []
        visits: list[tuple[str, Meeting]] = []
        mobilisation: list[Meeting] = []
        consultation: list[Meeting] = []
        congress: list[Meeting] = []
        topics = p.study_topics or ()
        tagged: list[Meeting] = []  # meetings whose tags name a study topic (the evidence of topics_missing)
        congress_date, keyword = p.congress_date, p.congress_keyword
        consultation_months = frozenset(p.consultation_months or ())
        quarter_by_month, half_by_month = self.quarter_by_month, self.half_by_month

        # Window bounds and keys as locals: this loop runs once per register row of every branch.
        ys, ye = year_window.start, year_window.end
        ws, we = window.start, window.end
        year, month_keys = self.year, self.month_keys
        education_week_month = p.education_week_month
        remaining = list(topics)  # study topics no tagged meeting has named yet

        for m in self.meetings:
            kind, d = m.type, m.date
            if ys <= d <= ye:
                if kind == GENERAL_MEETING:
                    general.append(m)
                elif kind == LEADERSHIP_STUDY:
                    leadership.append(m)
                elif kind == COMMITTEE_MEETING:
                    committee_year.append(m)
                elif kind == LECTURE:
                    lectures_year.append(m)
                elif kind == ORG_LIFE_MEETING:
                    org_life_meetings.append(m)
                elif kind == APPRAISAL:
                    appraisals.append(m)
                elif kind == TALK:
                    talks.append(m)
                if kind in THREE_MEETINGS_ONE_LESSON and m.minutes is not True:
                    without_minutes.append(m)
                if kind in BRANCH_STUDY_TYPES:
                    branch_study.append(m)
                if remaining and m.tags:
                    # A topic is covered when one tag contains it; NUL never occurs in a topic, so a match
                    # in the joined text is a match inside one tag.
                    joined = "\x00".join(m.tags)
                    hit = [t for t in remaining if t in joined]
                    if hit:
                        tagged.append(m)
                        for t in hit:
                            remaining.remove(t)
            # Monthly facts: dated inside the window and in one of the months asked for (a vacation month
            # is inside the window but asked for nothing).
            if ws <= d <= we:
                key = month_keys.get(d.year * 12 + d.month)
                if key is not None:
                    if kind == COMMITTEE_MEETING:
                        committee.append((key, m))
                    if kind in ORG_LIFE_TYPES:
                        org_life.append((key, m))
                    if kind == PARTY_GROUP:
                        party_group.append((key, m))
                    if kind in THEMED_DAY_TYPES:
                        themed.append((key, m))
                    # study months are a subset of the months asked for
                    if kind == STUDY_DAY and key in study_months and self._on_study_day(m):
                        study_days.append((key, m))
                # Quarterly facts: inside the window too, in one of the assessment year's quarters asked for.
                quarter = quarter_by_month.get(d.month) if d.year == year else None
                if quarter is not None:
                    if kind == JOINT_MEETING:
                        joint.append((quarter, m))
                    elif kind == GENERAL_MEETING:
                        general_q.append((quarter, m))
                    elif kind == LECTURE:
                        lectures_q.append((quarter, m))
                    if m.online is True or kind == ONLINE_STUDY:
                        online.append((quarter, m))
            if d.year == year:
                if d.month == education_week_month and (
                    kind == EDUCATION_WEEK
                    or (kind not in NOT_EDUCATION_WEEK_TYPES and _mentions_education_week(m))
                ):
                    education_week.append(m)
                # Halves follow the secretary-training halves: the assessment year, not the window.
                if m.leader_present is True:
                    visits.append((half_by_month[d.month], m))
                if kind == MOBILISATION and d.month == p.mobilisation_month:
                    mobilisation.append(m)
                elif kind == CONSULTATION and d.month in consultation_months:
                    consultation.append(m)
            if (
                congress_date is not None
                and keyword is not None
                and d >= congress_date
                and _mentions(m, keyword)
            ):
                congress.append(m)

        first, last = (self.months[0], self.months[-1]) if self.months else ("-", "-")
        span_zh = f"{first}至{last}" + ("（不含假期月份）" if p.vacation_months else "")
        span_en = f"{first} to {last}" + (" (vacation months excluded)" if p.vacation_months else "")

        return {
            "general_meetings": self._count(
                "general_meetings",
                general,
                detail("全年支部党员大会", "Branch general meetings in the year"),
            ),
            "meetings_without_minutes": self._count(
                "meetings_without_minutes",
                without_minutes,
                detail("“是否有纪要”为否或空白的三会一课", "三会一课 rows with minutes 否 or blank"),
                "minutes",
                "date",
            ),
            "committee_meetings_min_month": self._monthly_min(
                "committee_meetings_min_month",
                committee,
                self.months,
                detail(f"按月统计支委会（{span_zh}）", f"Committee meetings per month ({span_en})"),
            ),
            "org_life_min_month": self._monthly_min(
                "org_life_min_month",
                org_life,
                self.months,
                detail(
                    f"按月统计组织生活（党员大会、党小组会、党课、学习日、组织生活、组织生活会、主题活动、集中学习、民主评议、"
                    f"教育周；不含支委会）（{span_zh}）",
                    f"Organisational-life events per month, committee meetings excluded ({span_en})",
                ),
            ),
            "study_day_min_month": self._monthly_min(
                "study_day_min_month",
                study_days,
                self.study_months,
                detail(
                    f"按月统计{p.study_day}日（±{p.study_day_tolerance_days}天，逢休息日顺延至下一个工作日）的学习日；"
                    "其他日期的学习日不计",
                    f"Study days on the {p.study_day}th (±{p.study_day_tolerance_days} days, moved to the "
                    "next working day when it is a rest day) per month; study days on other dates "
                    "do not count",
                ),
            ),
            "education_week_july": self._count(
                "education_week_july",
                education_week,
                detail(
                    f"{self.year}年{p.education_week_month}月的教育周活动（含主题注明“教育周”的活动）",
                    f"Education-week activities in {self.year}-{p.education_week_month:02d} "
                    "(including activities whose topic names the week)",
                ),
            ),
            "leadership_study_sessions": self._count(
                "leadership_study_sessions",
                leadership,
                detail("全年班子集体学习", "Leadership collective study sessions in the year"),
            ),
            "branch_study_sessions": self._count(
                "branch_study_sessions",
                branch_study,
                detail(
                    "全年集中学习与学习日（每次只计一次）",
                    "Whole-branch study sessions and study days in the year",
                ),
            ),
            **self._cadence_facts(
                committee_year=committee_year,
                lectures_year=lectures_year,
                org_life_meetings=org_life_meetings,
                appraisals=appraisals,
                talks=talks,
                joint=joint,
                online=online,
                general_q=general_q,
                lectures_q=lectures_q,
                party_group=party_group,
                themed=themed,
                visits=visits,
                mobilisation=mobilisation,
                consultation=consultation,
                congress=congress,
                topics_not_found=remaining,
                tagged=tagged,
                span=(span_zh, span_en),
            ),
        }

    def _cadence_facts(
        self,
        *,
        committee_year: list[Meeting],
        lectures_year: list[Meeting],
        org_life_meetings: list[Meeting],
        appraisals: list[Meeting],
        talks: list[Meeting],
        joint: list[tuple[str, Meeting]],
        online: list[tuple[str, Meeting]],
        general_q: list[tuple[str, Meeting]],
        lectures_q: list[tuple[str, Meeting]],
        party_group: list[tuple[str, Meeting]],
        themed: list[tuple[str, Meeting]],
        visits: list[tuple[str, Meeting]],
        mobilisation: list[Meeting],
        consultation: list[Meeting],
        congress: list[Meeting],
        topics_not_found: list[str],
        tagged: list[Meeting],
        span: tuple[str, str],
    ) -> dict[str, Fact]:
        p = self.params
        span_zh, span_en = span
        out: dict[str, Fact] = {
            "joint_meetings_min_quarter": self._quarterly_min(
                "joint_meetings_min_quarter",
                joint,
                detail("按季度统计党政联席会议", "Joint Party–admin meetings per quarter"),
            ),
            "online_min_quarter": self._quarterly_min(
                "online_min_quarter",
                online,
                detail(
                    "按季度统计网上学习（类型为网上学习或“是否线上”为是）",
                    "Online study per quarter (type 网上学习 or online 是)",
                ),
            ),
            "general_meetings_min_quarter": self._quarterly_min(
                "general_meetings_min_quarter",
                general_q,
                detail("按季度统计支部党员大会", "General meetings per quarter"),
            ),
            "lectures_min_quarter": self._quarterly_min(
                "lectures_min_quarter", lectures_q, detail("按季度统计党课", "Party lectures per quarter")
            ),
            "party_group_min_month": self._monthly_min(
                "party_group_min_month",
                party_group,
                self.months,
                detail(f"按月统计党小组会（{span_zh}）", f"Party-group meetings per month ({span_en})"),
            ),
            "themed_day_min_month": self._monthly_min(
                "themed_day_min_month",
                themed,
                self.months,
                detail(
                    f"按月统计主题党日（含学习日）（{span_zh}）",
                    f"Themed Party days (study days too) per month ({span_en})",
                ),
            ),
            "contact_leader_visits_min_half": self._monthly_min(
                "contact_leader_visits_min_half",
                visits,
                self.half_keys,
                detail(
                    f"{self.year}年联系领导参加的支部活动（“联系领导是否参加”为是），按半年统计",
                    f"Activities attended by the linked cadre in {self.year} (leader present 是), "
                    "per half-year",
                ),
                ("半年", "half-years"),
                "leader_present",
            ),
            "org_life_meetings": self._count(
                "org_life_meetings",
                org_life_meetings,
                detail("全年组织生活会", "Organisational-life meetings in the year"),
            ),
            "appraisals": self._count(
                "appraisals", appraisals, detail("全年民主评议党员", "Member appraisals in the year")
            ),
            "talks_coverage": self._talks(talks),
            **self._declared_gaps(committee=committee_year, lectures=lectures_year),
        }

        if p.study_topics is None:
            out["topics_missing"] = self._missing_param("topics_missing", "study_topics")
        else:
            missing = topics_not_found
            out["topics_missing"] = fact(
                name="topics_missing",
                value=len(missing),
                evidence=self._evidence(tagged, "tags", "date"),
                detail=detail(
                    f"全年主题标签未涉及的专题：{'、'.join(missing) or '无'}"
                    f"（应涉及：{'、'.join(p.study_topics)}）",
                    f"Topics no meeting of the year is tagged with: {', '.join(missing) or 'none'} "
                    f"(expected: {', '.join(p.study_topics)})",
                ),
            )

        if p.congress_date is None or p.congress_keyword is None:
            out["congress_study_sessions"] = self._missing_param(
                "congress_study_sessions", "congress_date", "congress_keyword"
            )
        else:
            out["congress_study_sessions"] = self._count(
                "congress_study_sessions",
                congress,
                detail(
                    f"{p.congress_date.isoformat()}以后主题或标签含“{p.congress_keyword}”的会议活动",
                    f"Meetings from {p.congress_date.isoformat()} whose topic or tags name "
                    f"{p.congress_keyword}",
                ),
            )

        if p.mobilisation_month is None:
            out["mobilisation_meetings"] = self._missing_param("mobilisation_meetings", "mobilisation_month")
        else:
            out["mobilisation_meetings"] = self._count(
                "mobilisation_meetings",
                mobilisation,
                detail(
                    f"{self.year}年{p.mobilisation_month}月的动员会",
                    f"Mobilisation meetings in {self.year}-{p.mobilisation_month:02d}",
                ),
            )

        if p.consultation_months is None:
            out["consultation_meetings"] = self._missing_param("consultation_meetings", "consultation_months")
        else:
            months_zh = "、".join(f"{m}月" for m in p.consultation_months)
            out["consultation_meetings"] = self._count(
                "consultation_meetings",
                consultation,
                detail(
                    f"{self.year}年{months_zh}的征求意见会",
                    f"Consultation meetings in {self.year}, months "
                    f"{', '.join(map(str, p.consultation_months))}",
                ),
            )
        return out

    def _talks(self, talks: list[Meeting]) -> Fact:
        name = "talks_coverage"
        if not self.members:
            return fact(
                name=name,
                value=None,
                evidence=self.members_evidence or self.sheet,
                detail=detail("党员人数为0或空白，无法折算", "No members on 基本信息, so no coverage"),
            )
        return fact(
            name=name,
            value=round(len(talks) / self.members, 2),
            evidence=cells(talks, "date") + self.members_evidence or self.sheet,
            detail=detail(
                f"全年谈心谈话{len(talks)}人次÷党员{self.members}人",
                f"{len(talks)} talks in the year / {self.members} members",
            ),
        )
