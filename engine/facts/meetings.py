"""Facts from the meetings register (会议活动): 三会一课, organisational life, study days, study sessions.

One pass over the register sorts each meeting into the facts it counts for (a list per fact, in register
order, so evidence cells come out in the order the user typed them), and the monthly facts then count their
list per month key. Plain Python on purpose: a register holds tens of rows, where a DataFrame per branch
cost several times the work itself (issue 4).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.facts.evidence import cells, detail, sheet_evidence
from engine.facts.periods import anchor_day, in_window, month_key, window_months
from schemas import form_layout as layout
from schemas.common import Evidence, Text
from schemas.facts import Fact
from schemas.form import BranchForm, Meeting
from schemas.rules import Profile

GENERAL_MEETING = "支部党员大会"
COMMITTEE_MEETING = "支委会"
LECTURE = "党课"
STUDY_DAY = "学习日"
EDUCATION_WEEK = "教育周"
LEADERSHIP_STUDY = "班子集体学习"

# 三会一课: the four meeting types whose minutes OL-01 checks.
THREE_MEETINGS_ONE_LESSON = frozenset((GENERAL_MEETING, COMMITTEE_MEETING, "党小组会", LECTURE))

# Organisational life (domain §5 item 6): every member-wide branch event. 集中学习 (a whole-branch study
# session), 民主评议 (the annual appraisal meeting) and 教育周 activities are member-wide gatherings too, so
# they count. Not counted: 支委会 and 班子集体学习 (committee / leadership only) and 网上学习 (individual
# online study, not a branch gathering; an online 组织生活会 is registered as 组织生活会 with 是否线上=是).
ORG_LIFE_TYPES = frozenset(
    (
        GENERAL_MEETING,
        "党小组会",
        LECTURE,
        STUDY_DAY,
        "组织生活会",
        "主题活动",
        "集中学习",
        "民主评议",
        EDUCATION_WEEK,
    )
)

# ED-07 whole-branch study: 集中学习 plus the monthly 学习日 (domain §5 item 7); each row counts once.
BRANCH_STUDY_TYPES = frozenset(("集中学习", STUDY_DAY))

# Education week: 教育周 rows, plus any member-facing activity whose topic or tags name the week
# (a 主题活动 or 网上学习 "党员教育周：…" is how branches often register it).
# Committee-only meetings never count.
EDUCATION_WEEK_MARK = "教育周"
NOT_EDUCATION_WEEK_TYPES = frozenset((COMMITTEE_MEETING, LEADERSHIP_STUDY))


@dataclass(frozen=True)
class MeetingParams:
    study_day: int
    study_day_tolerance_days: int
    education_week_month: int
    vacation_months: tuple[int | str, ...] = ()


def _mentions_education_week(m: Meeting) -> bool:
    return EDUCATION_WEEK_MARK in (m.topic or "") or any(EDUCATION_WEEK_MARK in t for t in m.tags)


class MeetingFacts:
    """The meeting-derived facts of one form. All are ``None`` when the register has no rows at all."""

    NAMES = (
        "general_meetings",
        "meetings_without_minutes",
        "committee_meetings_min_month",
        "org_life_min_month",
        "study_day_min_month",
        "education_week_july",
        "leadership_study_sessions",
        "branch_study_sessions",
    )

    def __init__(self, form: BranchForm, profile: Profile, params: MeetingParams) -> None:
        self.form = form
        self.profile = profile
        self.params = params
        self.meetings = form.meetings
        self.sheet = sheet_evidence(form, layout.MEETINGS)
        self.year = form.basic.assessment_year
        self.months = [f"{y:04d}-{m:02d}" for y, m in window_months(profile.window, params.vacation_months)]
        # Study-day months: only months whose study day falls inside the window (the 2012 window ends on
        # 12-10, before December's 15th, so December cannot be asked for a study day).
        self.study_months = [
            k
            for k in self.months
            if in_window(anchor_day(int(k[:4]), int(k[5:]), params.study_day), profile.window)
        ]

    # -- building blocks --

    def _on_study_day(self, m: Meeting) -> bool:
        # A 学习日 counts for its own month when within ±tol days of that month's study day.
        anchor = anchor_day(m.date.year, m.date.month, self.params.study_day)
        return abs((m.date - anchor).days) <= self.params.study_day_tolerance_days

    def _evidence(self, records: list[Meeting], *names: str) -> tuple[Evidence, ...]:
        return cells(records, *names) or self.sheet

    def _count(self, name: str, records: list[Meeting], text: Text, *cell_names: str) -> Fact:
        return Fact(
            name=name,
            value=len(records),
            evidence=self._evidence(records, *(cell_names or ("date",))),
            detail=text,
        )

    def _monthly_min(
        self, name: str, keyed: list[tuple[str, Meeting]], months: list[str], text: Text
    ) -> Fact:
        """Fewest meetings in any of ``months``; ``keyed``: (month key, meeting) for those months only."""
        counts = dict.fromkeys(months, 0)  # every month asked for, in window order, 0 until seen
        for key, _ in keyed:
            counts[key] += 1
        series = {k: float(n) for k, n in counts.items()}
        value = int(min(series.values())) if series else None
        short = [k for k, v in series.items() if v == 0]
        return Fact(
            name=name,
            value=value,
            evidence=self._evidence([m for _, m in keyed], "date"),
            series=series or None,
            detail=Text(
                zh=text.zh + (f"；无记录的月份：{'、'.join(short)}" if short else ""),
                en=text.en + (f"; months with none: {', '.join(short)}" if short else ""),
            ),
        )

    # -- the facts --

    def facts(self) -> dict[str, Fact]:
        if not self.meetings:
            empty = detail("会议活动台账为空", "The meeting register is empty")
            return {n: Fact(name=n, value=None, evidence=self.sheet, detail=empty) for n in self.NAMES}

        p = self.params
        window, year_window = self.profile.window, self.profile.year_window
        months = frozenset(self.months)
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

        for m in self.meetings:
            kind, d = m.type, m.date
            in_year = in_window(d, year_window)
            if in_year:
                if kind == GENERAL_MEETING:
                    general.append(m)
                elif kind == LEADERSHIP_STUDY:
                    leadership.append(m)
                if kind in THREE_MEETINGS_ONE_LESSON and m.minutes is not True:
                    without_minutes.append(m)
                if kind in BRANCH_STUDY_TYPES:
                    branch_study.append(m)
            # Monthly facts: dated inside the window and in one of the months asked for (a vacation month
            # is inside the window but asked for nothing).
            if in_window(d, window):
                key = month_key(d)
                if key in months:
                    if kind == COMMITTEE_MEETING:
                        committee.append((key, m))
                    if kind in ORG_LIFE_TYPES:
                        org_life.append((key, m))
                if kind == STUDY_DAY and key in study_months and self._on_study_day(m):
                    study_days.append((key, m))
            if (
                d.year == self.year
                and d.month == p.education_week_month
                and (
                    kind == EDUCATION_WEEK
                    or (kind not in NOT_EDUCATION_WEEK_TYPES and _mentions_education_week(m))
                )
            ):
                education_week.append(m)

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
                    f"按月统计组织生活（党员大会、党小组会、党课、学习日、组织生活会、主题活动、集中学习、民主评议、"
                    f"教育周；不含支委会）（{span_zh}）",
                    f"Organisational-life events per month, committee meetings excluded ({span_en})",
                ),
            ),
            "study_day_min_month": self._monthly_min(
                "study_day_min_month",
                study_days,
                self.study_months,
                detail(
                    f"按月统计{p.study_day}日（±{p.study_day_tolerance_days}天）的学习日；其他日期的学习日不计",
                    f"Study days on the {p.study_day}th (±{p.study_day_tolerance_days} days) per month; "
                    "study days on other dates do not count",
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
        }
