"""Facts from 基本信息 (the branch, its committee, secretary and linked cadre) and 自评 (grades, problems)."""

from __future__ import annotations

import datetime as dt

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.params import Params, int_of_date
from engine.facts.people import name_key
from schemas import form_layout as layout
from schemas.common import Evidence
from schemas.facts import Fact, fact
from schemas.form import BranchForm, CommitteeMember

SECRETARY = "书记"
# 先进=1 较好=2 一般=3 后进=4: a lower rank is a better grade.
GRADE_RANKS = {grade: rank for rank, grade in enumerate(layout.GRADES, start=1)}


def has_committee(form: BranchForm, params: Params) -> bool:
    return form.basic.full_members >= params.integer("committee_min_full_members") and bool(form.committee)


def members_of(form: BranchForm) -> tuple[int, tuple[Evidence, ...]]:
    """Full plus probationary members, and the cells they come from. A blank probationary count is 0:
    the full-member count is required, and a branch without probationary members leaves the cell empty."""
    b = form.basic
    return b.full_members + (b.probationary_members or 0), cell(b, "full_members") + cell(
        b, "probationary_members"
    )


def secretary_row(form: BranchForm) -> CommitteeMember | None:
    """The committee row of the secretary: the row whose post is 书记, else the row naming the secretary."""
    for m in form.committee:
        if m.post == SECRETARY:
            return m
    wanted = name_key(form.basic.secretary)
    return next((m for m in form.committee if wanted and name_key(m.name) == wanted), None)


def basic_facts(form: BranchForm, params: Params, committee: bool) -> dict[str, Fact]:
    b = form.basic
    minimum = params.integer("committee_min_full_members")
    committee_cells = cells(form.committee, "name") or sheet_evidence(form, layout.BASIC)
    members, members_cells = members_of(form)
    basic_sheet = sheet_evidence(form, layout.BASIC)
    return {
        "branch_type": fact(name="branch_type", value=b.branch_type, evidence=cell(b, "branch_type")),
        "assessment_year": fact(
            name="assessment_year", value=b.assessment_year, evidence=cell(b, "assessment_year")
        ),
        "window_department": fact(
            name="window_department", value=b.window_department, evidence=cell(b, "window_department")
        ),
        "full_members": fact(name="full_members", value=b.full_members, evidence=cell(b, "full_members")),
        "has_committee": fact(
            name="has_committee",
            value=committee,
            evidence=cell(b, "full_members") + committee_cells,
            detail=detail(
                f"正式党员{b.full_members}人（≥{minimum}人设支委会），支委会成员表{len(form.committee)}人",
                f"{b.full_members} full members (a committee needs ≥{minimum}); "
                f"{len(form.committee)} listed on the committee table",
            ),
        ),
        "committee_size": fact(name="committee_size", value=len(form.committee), evidence=committee_cells),
        "directly_reporting": fact(
            name="directly_reporting",
            value=b.directly_reporting,
            evidence=cell(b, "directly_reporting") or basic_sheet,
        ),
        "members": fact(
            name="members",
            value=members,
            evidence=members_cells or basic_sheet,
            detail=detail(
                f"正式党员{b.full_members}人+预备党员{b.probationary_members or 0}人",
                f"{b.full_members} full + {b.probationary_members or 0} probationary members",
            ),
        ),
        "party_groups": fact(
            name="party_groups", value=b.party_groups, evidence=cell(b, "party_groups") or basic_sheet
        ),
        "young_teachers_non_members": fact(
            name="young_teachers_non_members",
            value=b.young_teachers_non_members,
            evidence=cell(b, "young_teachers_non_members") or basic_sheet,
        ),
        "secretary_present": _secretary_present(form, committee),
        "years_since_election": _years_since_election(form),
        "secretary_admin_post": _secretary_admin_post(form),
        "contact_leader_assigned": fact(
            name="contact_leader_assigned",
            value=bool((b.contact_leader or "").strip()),
            evidence=cell(b, "contact_leader") or basic_sheet,
        ),
    }


def _secretary_present(form: BranchForm, committee: bool) -> Fact:
    """The secretary is named on 基本信息 and, for a branch with a committee, holds the 书记 post on it."""
    b = form.basic
    named = bool(name_key(b.secretary))
    on_table = any(m.post == SECRETARY for m in form.committee)
    value = named and (not committee or on_table)
    return fact(
        name="secretary_present",
        value=value,
        evidence=cell(b, "secretary") + cells(form.committee, "post"),
        detail=detail(
            f"支部书记：{b.secretary or '空白'}；"
            + ("支委会成员表有“书记”" if on_table else "支委会成员表无“书记”"),
            f"Secretary: {b.secretary or 'blank'}; "
            + ("a 书记 on the committee table" if on_table else "no 书记 on the committee table"),
        ),
    )


def _years_since_election(form: BranchForm) -> Fact:
    b = form.basic
    ev = cell(b, "last_election") or sheet_evidence(form, layout.BASIC)
    if b.last_election is None:
        return fact(
            name="years_since_election",
            value=None,
            evidence=ev,
            detail=detail("未填写上次换届日期", "The date of the last election is blank"),
        )
    year_end = dt.date(b.assessment_year, 12, 31)
    years = round((year_end - b.last_election).days / 365.25, 2)
    return fact(
        name="years_since_election",
        value=years,
        evidence=ev,
        detail=detail(
            f"{b.last_election.isoformat()}换届，至{year_end.isoformat()}约{years:g}年",
            f"Elected {b.last_election.isoformat()}: {years:g} years to {year_end.isoformat()}",
        ),
    )


def _secretary_admin_post(form: BranchForm) -> Fact:
    row = secretary_row(form)
    if row is None:
        return fact(
            name="secretary_admin_post",
            value=None,
            evidence=cell(form.basic, "secretary") or sheet_evidence(form, layout.BASIC),
            detail=detail("支委会成员表中没有书记", "The committee table lists no secretary"),
        )
    return fact(
        name="secretary_admin_post",
        value=row.admin_post,
        evidence=cell(row, "admin_post", "name"),
    )


# --- 自评 --------------------------------------------------------------------------------------------------


def self_assessment_facts(form: BranchForm) -> dict[str, Fact]:
    sa = form.self_assessment
    sheet = sheet_evidence(form, layout.SELF_ASSESSMENT)
    baseline = GRADE_RANKS.get(sa.baseline_grade or "")
    own = GRADE_RANKS.get(sa.self_grade or "")
    change = own - baseline if own is not None and baseline is not None else None
    problems = sa.problems
    no_measure = [p for p in problems if not (p.measure or "").strip()]
    return {
        "baseline_grade_rank": fact(
            name="baseline_grade_rank", value=baseline, evidence=cell(sa, "baseline_grade") or sheet
        ),
        "self_grade_rank": fact(name="self_grade_rank", value=own, evidence=cell(sa, "self_grade") or sheet),
        "grade_rank_change": fact(
            name="grade_rank_change",
            value=change,
            evidence=(cell(sa, "baseline_grade") + cell(sa, "self_grade")) or sheet,
            detail=detail(
                f"依据自评表填报的等次：年初定级{sa.baseline_grade or '空白'}，自评{sa.self_grade or '空白'}",
                f"as the form declares them: March grade {sa.baseline_grade or 'blank'}, "
                f"self grade {sa.self_grade or 'blank'}",
            ),
        ),
        "grading_meeting_date": fact(
            name="grading_meeting_date",
            value=int_of_date(sa.graded_on),
            evidence=cell(sa, "graded_on") or sheet,
        ),
        # The problems table: an empty table is a real 0 (no problem found), which PR-05 fails.
        "problems_listed": fact(
            name="problems_listed", value=len(problems), evidence=cells(problems, "problem") or sheet
        ),
        "problems_without_measure": fact(
            name="problems_without_measure",
            value=len(no_measure),
            evidence=cells(no_measure, "measure", "problem") or cells(problems, "measure") or sheet,
        ),
    }
