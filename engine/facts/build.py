"""build_facts: a validated form -> the flat facts every rule reads, each with the cells behind it.

Conventions (also in the report to the lead, and in tests/test_facts.py):

* A fact is ``None`` when its register is empty (no rows at all): rules then say *not evidenced*
  instead of failing a threshold on a zero nobody typed. A register with rows yields real counts, 0 allowed.
* Cadence facts (``*_min_month``) look at every month the profile's ``window`` touches, minus
  ``vacation_months``; only meetings dated inside the window count (December up to the self-check date).
* Annual counts use ``year_window``; education week, training halves and quarter keys use the form's
  assessment year.
* Each register row is one event and counts once: a row typed 学习日 is not also a 集中学习.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.meetings import MeetingFacts, MeetingParams
from engine.facts.people import name_key, name_keys
from engine.facts.periods import half_key, half_of, in_window, quarter_key
from schemas import form_layout as layout
from schemas.common import Evidence
from schemas.facts import FACTS, BranchFacts, BranchIdentity, Fact, FactValue
from schemas.form import BranchForm, CommitteeMember, StudyHours
from schemas.rules import ParamValue, Profile

SECRETARY_TRAINING_TYPES = frozenset(("集中培训", "专题培训"))
PRACTICE_TYPE = "实践活动"
DEPUTY_SECRETARY = "副书记"


def build_facts(form: BranchForm, profile: Profile) -> BranchFacts:
    """Every fact of ``schemas.facts.FACTS`` for one branch, in catalogue order."""
    params = Params(profile.params)
    has_committee = _has_committee(form, params)
    facts: dict[str, Fact] = {}
    facts.update(_basic_facts(form, params, has_committee))
    facts.update(MeetingFacts(form, profile, params.meeting_params()).facts())
    facts["lectures_min_per_lecturer"] = _lectures_fact(form, profile, has_committee)
    facts["member_hours_min_quarter_avg"] = _member_hours_fact(form, params)
    facts["leader_hours_min"] = _leader_hours_fact(form, params, has_committee)
    facts.update(_training_facts(form, profile))
    facts["satisfaction_rate"] = _satisfaction_fact(form)
    facts.update(_veto_facts(form))

    if facts.keys() != FACTS.keys():  # a programming error, never a user error: fail loudly
        raise RuntimeError(f"facts stage out of step with FACTS: {sorted(facts.keys() ^ FACTS.keys())}")
    return BranchFacts(
        identity=identity_of(form),
        facts={name: facts[name] for name in FACTS},
        problems_listed=tuple(
            (p.problem, p.measure, p.owner, p.due, p.state) for p in form.self_assessment.problems
        ),
    )


def identity_of(form: BranchForm) -> BranchIdentity:
    basic = form.basic
    return BranchIdentity(
        file=form.file,
        sha256=form.sha256,
        branch_id=basic.branch_id,
        branch_name=basic.branch_name,
        branch_type=basic.branch_type,
        general_branch=basic.general_branch,
        secretary=basic.secretary,
        assessment_year=basic.assessment_year,
        self_grade=form.self_assessment.self_grade,
        self_score=form.self_assessment.self_score,
    )


# --- parameters ---------------------------------------------------------------------------------------


class Params:
    """Typed access to ``profile.params``; a missing or mistyped parameter names itself in the error."""

    def __init__(self, raw: Mapping[str, ParamValue]) -> None:
        self.raw = raw

    def number(self, name: str, default: float | None = None) -> float:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"profile parameter {name!r} must be a number, got {value!r}")
        return float(value)

    def integer(self, name: str, default: int | None = None) -> int:
        return int(self.number(name, default))

    def ints(self, name: str, default: Sequence[int] | None = None) -> list[int]:
        value = self.raw.get(name, list(default) if default is not None else None)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise ValueError(f"profile parameter {name!r} must be a list of whole numbers, got {value!r}")
        return [int(v) for v in value]

    def months(self, name: str) -> list[int | str]:
        """Month numbers (7) or keys ("2012-07"); absent means none."""
        value = self.raw.get(name, [])
        if not isinstance(value, list):
            raise ValueError(f"profile parameter {name!r} must be a list of months, got {value!r}")
        out: list[int | str] = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | str):
                raise ValueError(f"profile parameter {name!r}: {v!r} is not a month number or YYYY-MM")
            out.append(v)
        return out

    def meeting_params(self) -> MeetingParams:
        return MeetingParams(
            study_day=self.integer("study_day"),
            study_day_tolerance_days=self.integer("study_day_tolerance_days", 0),
            education_week_month=self.integer("education_week_month"),
            vacation_months=tuple(self.months("vacation_months")),
        )


def _has_committee(form: BranchForm, params: Params) -> bool:
    return form.basic.full_members >= params.integer("committee_min_full_members") and bool(form.committee)


# --- 基本信息 ----------------------------------------------------------------------------------------


def _basic_facts(form: BranchForm, params: Params, has_committee: bool) -> dict[str, Fact]:
    b = form.basic
    minimum = params.integer("committee_min_full_members")
    committee_cells = cells(form.committee, "name") or sheet_evidence(form, layout.BASIC)
    return {
        "branch_type": Fact(name="branch_type", value=b.branch_type, evidence=cell(b, "branch_type")),
        "assessment_year": Fact(
            name="assessment_year", value=b.assessment_year, evidence=cell(b, "assessment_year")
        ),
        "window_department": Fact(
            name="window_department", value=b.window_department, evidence=cell(b, "window_department")
        ),
        "full_members": Fact(name="full_members", value=b.full_members, evidence=cell(b, "full_members")),
        "has_committee": Fact(
            name="has_committee",
            value=has_committee,
            evidence=cell(b, "full_members") + committee_cells,
            detail=detail(
                f"正式党员{b.full_members}人（≥{minimum}人设支委会），支委会成员表{len(form.committee)}人",
                f"{b.full_members} full members (a committee needs ≥{minimum}); "
                f"{len(form.committee)} listed on the committee table",
            ),
        ),
        "committee_size": Fact(name="committee_size", value=len(form.committee), evidence=committee_cells),
    }


# --- 党课: each committee member (or the secretary) lectures --------------------------------------------


def required_lecturers(form: BranchForm, has_committee: bool) -> list[tuple[str, tuple[Evidence, ...]]]:
    """(display name, cells naming them). With a committee: every member on the committee table.

    Without one (domain §5 item 10) the secretary from 基本信息 stands in, plus a deputy secretary when the
    committee table lists one.
    """
    people: list[tuple[str, tuple[Evidence, ...]]] = []
    seen: set[str] = set()

    def add(name: str, evidence: tuple[Evidence, ...]) -> None:
        key = name_key(name)
        if key and key not in seen:
            seen.add(key)
            people.append((key, evidence))

    if has_committee:
        for m in form.committee:
            add(m.name, cell(m, "name"))
    else:
        add(form.basic.secretary, cell(form.basic, "secretary"))
        deputies: list[CommitteeMember] = [m for m in form.committee if m.post == DEPUTY_SECRETARY]
        for m in deputies:
            add(m.name, cell(m, "name"))
    return people


def _lectures_fact(form: BranchForm, profile: Profile, has_committee: bool) -> Fact:
    name = "lectures_min_per_lecturer"
    if not form.meetings:
        return Fact(
            name=name,
            value=None,
            evidence=sheet_evidence(form, layout.MEETINGS),
            detail=detail("会议活动台账为空", "The meeting register is empty"),
        )
    lecturers = required_lecturers(form, has_committee)
    lectures = [m for m in form.meetings if m.type == "党课" and in_window(m.date, profile.year_window)]
    series: dict[str, float] = {}
    evidence: list[Evidence] = []
    for person, person_cells in lecturers:
        given = [m for m in lectures if person in name_keys(m.chair)]
        series[person] = float(len(given))
        # The lectures that count, or the cell naming a lecturer with none, so the finding points at them.
        evidence.extend(cells(given, "chair", "date") if given else person_cells)
    value = int(min(series.values())) if series else None
    who_zh = "支委会成员" if has_committee else "支部书记（及副书记）"
    who_en = "committee members" if has_committee else "the secretary (and deputy)"
    return Fact(
        name=name,
        value=value,
        evidence=tuple(evidence) or sheet_evidence(form, layout.MEETINGS),
        series=series or None,
        detail=detail(
            f"按{who_zh}统计全年主讲党课次数：" + "、".join(f"{p}{int(n)}次" for p, n in series.items()),
            f"Party lectures in the year per {who_en}: "
            + ", ".join(f"{p} {int(n)}" for p, n in series.items()),
        ),
    )


# --- 学习学时 ----------------------------------------------------------------------------------------


def _hours(row: StudyHours, q: int) -> float:
    # A listed member with a blank quarter studied 0 hours that quarter: the row says the member exists,
    # and a blank is the usual way "none" is typed. The validate stage warns about blanks separately.
    value = row.quarter(q)
    return float(value) if value is not None else 0.0


def _quarters(params: Params) -> list[int]:
    quarters = params.ints("hour_quarters", [1, 2, 3, 4])
    bad = [q for q in quarters if q not in (1, 2, 3, 4)]
    if bad:
        raise ValueError(f"profile parameter 'hour_quarters' holds {bad}; quarters are 1–4")
    return quarters


def _member_hours_fact(form: BranchForm, params: Params) -> Fact:
    name = "member_hours_min_quarter_avg"
    rows = form.study_hours
    quarters = _quarters(params)
    if not rows or not quarters:
        return Fact(
            name=name,
            value=None,
            evidence=sheet_evidence(form, layout.STUDY_HOURS),
            detail=detail("学习学时表为空", "The study-hours register is empty"),
        )
    year = form.basic.assessment_year
    series = {quarter_key(year, q): round(sum(_hours(r, q) for r in rows) / len(rows), 2) for q in quarters}
    worst_q = min(quarters, key=lambda q: series[quarter_key(year, q)])
    return Fact(
        name=name,
        value=series[quarter_key(year, worst_q)],
        evidence=cells(rows, f"q{worst_q}", "name") or sheet_evidence(form, layout.STUDY_HOURS),
        series=series,
        detail=detail(
            f"{len(rows)}名党员的季度平均学时（空白按0计）："
            + "，".join(f"{k} {v:g}" for k, v in series.items()),
            f"Mean hours of {len(rows)} members per quarter (blank = 0): "
            + ", ".join(f"{k} {v:g}" for k, v in series.items()),
        ),
    )


def leader_rows(form: BranchForm, has_committee: bool) -> tuple[list[StudyHours], str]:
    """The leadership's rows of the hours register and how they were found.

    Rows flagged 是否班子成员 win. With none flagged, the committee members are matched by name, or the
    secretary when there is no committee (domain §5 item 8).
    """
    flagged = [r for r in form.study_hours if r.leader]
    if flagged:
        return flagged, "flagged"
    if has_committee:
        wanted = {name_key(m.name) for m in form.committee}
        how = "committee"
    else:
        wanted = {name_key(form.basic.secretary)}
        how = "secretary"
    wanted.discard("")
    return [r for r in form.study_hours if name_key(r.name) in wanted], how


def _leader_hours_fact(form: BranchForm, params: Params, has_committee: bool) -> Fact:
    name = "leader_hours_min"
    quarters = _quarters(params)
    leaders, how = leader_rows(form, has_committee)
    if not leaders or not quarters:
        return Fact(
            name=name,
            value=None,
            evidence=sheet_evidence(form, layout.STUDY_HOURS),
            detail=detail(
                "学习学时表中找不到班子成员（未标注“是否班子成员”，也找不到支委或书记的姓名）",
                "No leadership member found in the study-hours register (none flagged, no committee member "
                "or secretary by name)",
            ),
        )
    year = form.basic.assessment_year
    series: dict[str, float] = {}
    for r in leaders:
        for q in quarters:
            series[f"{name_key(r.name)} {quarter_key(year, q)}"] = _hours(r, q)
    how_zh = {"flagged": "标注为班子成员者", "committee": "按姓名匹配的支委", "secretary": "支部书记"}[how]
    how_en = {
        "flagged": "rows flagged as leadership",
        "committee": "committee members by name",
        "secretary": "the secretary",
    }[how]
    return Fact(
        name=name,
        value=min(series.values()),
        evidence=tuple(e for r in leaders for q in quarters for e in cell(r, f"q{q}", "name")),
        series=series,
        detail=detail(
            f"班子成员：{how_zh}，共{len(leaders)}人", f"Leadership: {how_en}, {len(leaders)} people"
        ),
    )


# --- 书记培训 ----------------------------------------------------------------------------------------


def _training_facts(form: BranchForm, profile: Profile) -> dict[str, Fact]:
    if not form.training:
        # An empty register is "not evidenced", not "0 trainings": the college organises the training
        # (domain §5 item 9) and a branch that skipped the sheet should be asked, not silently failed.
        empty = detail("书记培训表为空", "The secretary-training register is empty")
        ev = sheet_evidence(form, layout.TRAINING)
        return {
            "secretary_training_min_half": Fact(
                name="secretary_training_min_half", value=None, evidence=ev, detail=empty
            ),
            "secretary_practice_count": Fact(
                name="secretary_practice_count", value=None, evidence=ev, detail=empty
            ),
        }
    year = form.basic.assessment_year
    secretary = name_key(form.basic.secretary)
    own = [t for t in form.training if secretary in name_keys(t.name)]
    trainings = [t for t in own if t.type in SECRETARY_TRAINING_TYPES and t.date.year == year]
    series = {half_key(year, h): float(sum(1 for t in trainings if half_of(t.date) == h)) for h in (1, 2)}
    practice = [t for t in own if t.type == PRACTICE_TYPE and in_window(t.date, profile.year_window)]
    sheet = sheet_evidence(form, layout.TRAINING)
    return {
        "secretary_training_min_half": Fact(
            name="secretary_training_min_half",
            value=int(min(series.values())),
            evidence=cells(trainings, "date") or sheet,
            series=series,
            detail=detail(
                f"书记{form.basic.secretary}的集中/专题培训：上半年{int(series[half_key(year, 1)])}次，"
                f"下半年{int(series[half_key(year, 2)])}次",
                f"Trainings of secretary {form.basic.secretary}: H1 {int(series[half_key(year, 1)])}, "
                f"H2 {int(series[half_key(year, 2)])}",
            ),
        ),
        "secretary_practice_count": Fact(
            name="secretary_practice_count",
            value=len(practice),
            evidence=cells(practice, "date") or sheet,
        ),
    }


# --- 满意度测评 and 负面清单 ---------------------------------------------------------------------------


def _satisfaction_fact(form: BranchForm) -> Fact:
    s = form.satisfaction
    evidence = cells([s], "respondents") + cells([s], "satisfied") + cells([s], "basically_satisfied")
    if not s.respondents or (s.satisfied is None and s.basically_satisfied is None):
        # No respondents, or neither satisfied count typed: a rate of 0 would wrongly trigger the veto.
        return Fact(
            name="satisfaction_rate",
            value=None,
            evidence=evidence or sheet_evidence(form, layout.SATISFACTION),
            detail=detail("未填写参评人数或满意人数", "Respondents or satisfied counts not filled in"),
        )
    pleased = (s.satisfied or 0) + (s.basically_satisfied or 0)
    return Fact(
        name="satisfaction_rate",
        value=round(pleased / s.respondents, 4),
        evidence=evidence,
        detail=detail(
            f"（满意{s.satisfied or 0}+基本满意{s.basically_satisfied or 0}）÷参评{s.respondents}",
            f"(satisfied {s.satisfied or 0} + basically {s.basically_satisfied or 0})"
            f" / {s.respondents} respondents",
        ),
    )


VETO_ITEMS = {
    "veto_discipline": "discipline",
    "veto_inactive": "inactive",
    "veto_petition": "petition",
    "veto_disunity": "disunity",
}


def _veto_facts(form: BranchForm) -> dict[str, Fact]:
    out: dict[str, Fact] = {}
    for fact_name, key in VETO_ITEMS.items():
        item = form.negative_list.get(key)
        value: FactValue = item.present if item is not None else None
        ev = cell(item, "present", "note") if item is not None else ()
        out[fact_name] = Fact(
            name=fact_name, value=value, evidence=ev or sheet_evidence(form, layout.NEGATIVE_LIST)
        )
    return out
