"""BranchFacts: flat metrics derived from a form's registers, each with the cells behind it.

``FACTS`` is the catalogue of every fact name the facts stage produces; rule conditions may only name
these (and profile parameters). A fact is ``None`` when its evidence is absent (e.g. an empty
register): rules then report *not evidenced* rather than a failed threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from schemas.common import Evidence, Frozen, Text

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


class BranchFacts(Frozen):
    identity: BranchIdentity
    facts: dict[str, Fact]
    problems_listed: tuple[tuple[str, str | None, str | None, date | None, str | None], ...] = ()

    def value(self, name: str) -> FactValue:
        fact = self.facts.get(name)
        return None if fact is None else fact.value

    def values(self) -> dict[str, FactValue]:
        return {name: fact.value for name, fact in self.facts.items()}


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
