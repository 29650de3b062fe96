"""Facts from the meetings register (会议活动): 三会一课, organisational life, study days, study sessions.

The register becomes one small DataFrame (a row per meeting, with its month key and window flags) so the
per-month counts are one ``value_counts`` each; the row number ``i`` leads back to the record and its cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

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
        self.df = self._frame()

    def _frame(self) -> pd.DataFrame:
        window, year_window = self.profile.window, self.profile.year_window
        tol = self.params.study_day_tolerance_days
        rows = [
            {
                "i": i,
                "month": month_key(m.date),
                "type": m.type,
                "in_window": in_window(m.date, window),
                "in_year": in_window(m.date, year_window),
                # A 学习日 counts for its own month when within ±tol days of that month's study day.
                "on_study_day": abs(
                    (m.date - anchor_day(m.date.year, m.date.month, self.params.study_day)).days
                )
                <= tol,
                "cal_year": m.date.year,
                "cal_month": m.date.month,
                "no_minutes": m.minutes is not True,
                "edu_week_mention": m.type not in NOT_EDUCATION_WEEK_TYPES and _mentions_education_week(m),
            }
            for i, m in enumerate(self.meetings)
        ]
        return pd.DataFrame(rows)

    # -- building blocks --

    def _rows(self, mask: pd.Series[bool]) -> list[Meeting]:
        return [self.meetings[int(i)] for i in self.df.loc[mask, "i"]]

    def _evidence(self, records: list[Meeting], *names: str) -> tuple[Evidence, ...]:
        return cells(records, *names) or self.sheet

    def _count(self, name: str, mask: pd.Series[bool], text: Text, *cell_names: str) -> Fact:
        records = self._rows(mask)
        return Fact(
            name=name,
            value=len(records),
            evidence=self._evidence(records, *(cell_names or ("date",))),
            detail=text,
        )

    def _monthly_min(self, name: str, mask: pd.Series[bool], months: list[str], text: Text) -> Fact:
        in_months = mask & self.df["month"].isin(months)
        counts = self.df.loc[in_months, "month"].value_counts()
        series = {k: float(counts.get(k, 0)) for k in months}
        value = int(min(series.values())) if series else None
        short = [k for k, v in series.items() if v == 0]
        return Fact(
            name=name,
            value=value,
            evidence=self._evidence(self._rows(in_months), "date"),
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

        df, p = self.df, self.params
        of_type = df["type"]
        window, in_year = df["in_window"], df["in_year"]
        first, last = (self.months[0], self.months[-1]) if self.months else ("-", "-")
        span_zh = f"{first}至{last}" + ("（不含假期月份）" if p.vacation_months else "")
        span_en = f"{first} to {last}" + (" (vacation months excluded)" if p.vacation_months else "")

        # Study-day months: only months whose study day falls inside the window (the 2012 window ends on
        # 12-10, before December's 15th, so December cannot be asked for a study day).
        study_months = [
            k
            for k in self.months
            if in_window(anchor_day(int(k[:4]), int(k[5:]), p.study_day), self.profile.window)
        ]
        edu_month = (df["cal_year"] == self.year) & (df["cal_month"] == p.education_week_month)

        return {
            "general_meetings": self._count(
                "general_meetings",
                (of_type == GENERAL_MEETING) & in_year,
                detail("全年支部党员大会", "Branch general meetings in the year"),
            ),
            "meetings_without_minutes": self._count(
                "meetings_without_minutes",
                of_type.isin(THREE_MEETINGS_ONE_LESSON) & in_year & df["no_minutes"],
                detail("“是否有纪要”为否或空白的三会一课", "三会一课 rows with minutes 否 or blank"),
                "minutes",
                "date",
            ),
            "committee_meetings_min_month": self._monthly_min(
                "committee_meetings_min_month",
                (of_type == COMMITTEE_MEETING) & window,
                self.months,
                detail(f"按月统计支委会（{span_zh}）", f"Committee meetings per month ({span_en})"),
            ),
            "org_life_min_month": self._monthly_min(
                "org_life_min_month",
                of_type.isin(ORG_LIFE_TYPES) & window,
                self.months,
                detail(
                    f"按月统计组织生活（党员大会、党小组会、党课、学习日、组织生活会、主题活动、集中学习、民主评议、"
                    f"教育周；不含支委会）（{span_zh}）",
                    f"Organisational-life events per month, committee meetings excluded ({span_en})",
                ),
            ),
            "study_day_min_month": self._monthly_min(
                "study_day_min_month",
                (of_type == STUDY_DAY) & window & df["on_study_day"],
                study_months,
                detail(
                    f"按月统计{p.study_day}日（±{p.study_day_tolerance_days}天）的学习日；其他日期的学习日不计",
                    f"Study days on the {p.study_day}th (±{p.study_day_tolerance_days} days) per month; "
                    "study days on other dates do not count",
                ),
            ),
            "education_week_july": self._count(
                "education_week_july",
                edu_month & ((of_type == EDUCATION_WEEK) | df["edu_week_mention"]),
                detail(
                    f"{self.year}年{p.education_week_month}月的教育周活动（含主题注明“教育周”的活动）",
                    f"Education-week activities in {self.year}-{p.education_week_month:02d} "
                    "(including activities whose topic names the week)",
                ),
            ),
            "leadership_study_sessions": self._count(
                "leadership_study_sessions",
                (of_type == LEADERSHIP_STUDY) & in_year,
                detail("全年班子集体学习", "Leadership collective study sessions in the year"),
            ),
            "branch_study_sessions": self._count(
                "branch_study_sessions",
                of_type.isin(BRANCH_STUDY_TYPES) & in_year,
                detail(
                    "全年集中学习与学习日（每次只计一次）",
                    "Whole-branch study sessions and study days in the year",
                ),
            ),
        }
