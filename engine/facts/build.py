"""build_facts: a validated form -> the flat facts every rule reads, each with the cells behind it.

Conventions (docs/form.md "From the form to facts"; tested in tests/test_facts.py):

* A fact is ``None`` when its register is empty (no rows at all): rules then say *not evidenced*
  instead of failing a threshold on a zero nobody typed. A register with rows yields real counts, 0 allowed.
* Cadence facts (``*_min_month``) look at every month the profile's ``window`` touches, minus
  ``vacation_months``; only meetings dated inside the window count (December up to the self-check date).
* Annual counts use ``year_window``; education week, training halves and quarter keys use the form's
  assessment year.
* Each register row is one event and counts once: a row typed 学习日 is not also a 集中学习.

Registers, checklist and process facts (docs/form.md; tests/test_facts_boundaries.py):

* Dates in facts are ``yyyymmdd`` ints (``task_division_date`` 20120420), comparable with date parameters
  written the same way.
* Quarterly cadence (``*_min_quarter``) asks for the assessment year's quarters in ``hour_quarters`` and,
  like the monthly facts, counts meetings inside ``window``; half-yearly (``contact_leader_visits_min_half``)
  counts the assessment year, like the secretary's training halves. Both carry a series.
* 发展党员: an empty register is "nobody admitted", so the per-candidate counts are 0 (not None);
  ``min_notice_working_days`` alone is None without candidates.
* A parameter a fact needs and the profile lacks (``congress_keyword``, ``consultation_months``,
  ``study_topics``, ``lower_year`` … on a profile that never uses them) makes that fact None (not
  evidenced) instead of failing the stage; a parameter present with the wrong type still fails loudly.
* Modules: basic (基本信息, 自评), meetings, hours, training, candidates, checklist (制度落实, generated from
  ``schemas.facts.CHECKLIST_FACTS``), transparency (党务公开记录), classes; this module assembles them and
  checks the key set.
"""

from __future__ import annotations

from engine.facts.basic import basic_facts, has_committee, members_of, self_assessment_facts
from engine.facts.candidates import candidate_facts, notice_span
from engine.facts.checklist import checklist_facts
from engine.facts.classes import class_facts
from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.hours import hour_quarters, hours_facts
from engine.facts.meetings import MeetingFacts, MeetingParams
from engine.facts.params import Params
from engine.facts.people import name_key, name_keys
from engine.facts.periods import in_window
from engine.facts.registers import register_facts
from engine.facts.training import training_facts
from engine.facts.transparency import transparency_facts
from schemas import form_layout as layout
from schemas.common import Evidence, Finding
from schemas.facts import FACTS, FORM_FACTS, BranchFacts, BranchIdentity, Fact, FactValue, fact
from schemas.form import BranchForm, CommitteeMember
from schemas.problems import make_problem
from schemas.rules import Profile
from schemas.workdays import covered_years, uncovered_years

DEPUTY_SECRETARY = "副书记"


def build_facts(form: BranchForm, profile: Profile) -> BranchFacts:
    """Every fact of the profile's form (``schemas.facts.FORM_FACTS``) for one branch, in catalogue order.

    All facts are worked out (a register the form lacks is simply empty) and the form's are kept."""
    params = Params(profile.params)
    committee = has_committee(form, params)
    members, members_cells = members_of(form)
    facts: dict[str, Fact] = {}
    facts.update(basic_facts(form, params, committee))
    meetings = MeetingFacts(form, profile, meeting_params(params), members, members_cells)
    facts.update(meetings.facts())
    facts["lectures_min_per_lecturer"] = _lectures_fact(form, profile, committee)
    facts.update(hours_facts(form, params, committee, members))
    facts.update(training_facts(form, profile, params, committee))
    facts.update(candidate_facts(form, profile.calendar))
    facts.update(checklist_facts(form, members, members_cells))
    facts.update(transparency_facts(form, profile))
    facts.update(class_facts(form, params))
    facts.update(self_assessment_facts(form))
    facts["satisfaction_rate"] = _satisfaction_fact(form)
    facts.update(_veto_facts(form))
    facts.update(register_facts(form, profile, params, members, members_cells))

    if facts.keys() != FACTS.keys():  # a programming error, never a user error: fail loudly
        raise RuntimeError(f"facts stage out of step with FACTS: {sorted(facts.keys() ^ FACTS.keys())}")
    return BranchFacts(
        identity=identity_of(form),
        facts={name: facts[name] for name in FORM_FACTS[profile.form]},
        problems_listed=tuple(
            (p.problem, p.measure, p.owner, p.due, p.state) for p in form.self_assessment.problems
        ),
        warnings=calendar_warnings(form, profile, meetings),
    )


# --- the working calendar ------------------------------------------------------------------------------


def calendar_warnings(form: BranchForm, profile: Profile, meetings: MeetingFacts) -> tuple[Finding, ...]:
    """IN-38 when a working-day count or a study day's move reached a year the profile's calendar does
    not cover (it counted Monday–Friday there), pointing at the notice dates concerned."""
    calendar = profile.calendar
    notices = [(c, span) for c in form.candidates if (span := notice_span(c)) is not None]
    study_days = [d for k in meetings.study_months for d in meetings.study_day_span(int(k[:4]), int(k[5:]))]
    used = [d for _, span in notices for d in span] + study_days
    years = uncovered_years(used, calendar)
    if not years:
        return ()
    concerned = [c for c, (start, end) in notices if start.year in years or end.year in years]
    known = covered_years(calendar)
    return (
        make_problem(
            "IN-38",
            tuple(e for c in concerned for e in (*cell(c, "notice_start"), *cell(c, "notice_end")))
            or sheet_evidence(form, layout.CANDIDATES),
            covered=f"{known.start}–{known.stop - 1}",
            years="、".join(str(y) for y in years),
            years_en=", ".join(str(y) for y in years),
        ),
    )


def meeting_params(params: Params) -> MeetingParams:
    """The parameters the meetings pass reads. The optional ones (None when absent) leave the facts that
    need them None: a profile such as national-2018 does not carry consultation_months or congress_keyword."""
    return MeetingParams(
        study_day=params.integer("study_day"),
        study_day_tolerance_days=params.integer("study_day_tolerance_days", 0),
        education_week_month=params.integer("education_week_month"),
        vacation_months=tuple(params.months("vacation_months")),
        quarters=tuple(hour_quarters(params)),
        study_topics=params.optional_texts("study_topics"),
        congress_date=params.optional_date("congress_date"),
        congress_keyword=params.optional_text("congress_keyword"),
        mobilisation_month=params.optional_integer("mobilisation_month"),
        consultation_months=params.optional_ints("consultation_months"),
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


# --- 党课: each committee member (or the secretary) lectures --------------------------------------------


def required_lecturers(form: BranchForm, has_committee: bool) -> list[tuple[str, tuple[Evidence, ...]]]:
    """(display name, cells naming them). With a committee: every member on the committee table.

    Without one (docs/requirements-2012.md §5 item 10) the secretary from 基本信息 stands in, plus a
    deputy secretary when the committee table lists one.
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
        return fact(
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
    return fact(
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


# --- 满意度测评 and 负面清单 ---------------------------------------------------------------------------


def _satisfaction_fact(form: BranchForm) -> Fact:
    s = form.satisfaction
    evidence = cells([s], "respondents") + cells([s], "satisfied") + cells([s], "basically_satisfied")
    if not s.respondents or (s.satisfied is None and s.basically_satisfied is None):
        # No respondents, or neither satisfied count typed: a rate of 0 would wrongly trigger the veto.
        return fact(
            name="satisfaction_rate",
            value=None,
            evidence=evidence or sheet_evidence(form, layout.SATISFACTION),
            detail=detail("未填写参评人数或满意人数", "Respondents or satisfied counts not filled in"),
        )
    pleased = (s.satisfied or 0) + (s.basically_satisfied or 0)
    return fact(
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
        out[fact_name] = fact(
            name=fact_name, value=value, evidence=ev or sheet_evidence(form, layout.NEGATIVE_LIST)
        )
    return out
