"""BranchForm: the whole grading form as validated models, every value with its cell.

Each record keeps ``cells``: field name -> Evidence (file, sheet, cell, raw text), so later stages can
name the exact cells behind a finding without going back to the workbook.

``cells`` is any read-only mapping: a plain dict when a record is built by hand, and, from the validate
stage, a mapping that makes each ``Evidence`` only when it is asked for (a workbook has thousands of
cells and the facts cite a few hundred of them). It compares equal to the dict of the same Evidence and
serialises as that dict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import SerializerFunctionWrapHandler, WrapSerializer

from schemas.common import Evidence, Finding, Frozen


def _cells_as_dict(cells: Mapping[str, Evidence], handler: SerializerFunctionWrapHandler) -> Any:
    """Serialise any mapping of cells as the dict it stands for (pydantic's dict serialiser wants a dict)."""
    return handler(cells if type(cells) is dict else dict(cells))


# Validation makes a dict of any mapping (pydantic reads ``Mapping`` so); a trusted build keeps it as given.
Cells = Annotated[Mapping[str, Evidence], WrapSerializer(_cells_as_dict)]


class Record(Frozen):
    cells: Cells = {}

    def at(self, name: str) -> Evidence | None:
        return self.cells.get(name)


class CommitteeMember(Record):
    name: str
    post: str
    admin_post: bool | None = None


class BasicInfo(Record):
    branch_name: str
    branch_id: str
    general_branch: str | None = None
    branch_type: str
    window_department: bool | None = None
    full_members: int
    probationary_members: int | None = None
    secretary: str
    last_election: dt.date | None = None
    contact_leader: str | None = None
    assessment_year: int
    filled_on: dt.date | None = None
    filled_by: str | None = None
    directly_reporting: bool | None = None
    party_groups: int | None = None
    young_teachers_non_members: int | None = None
    themed_day: int | None = None  # the national form's fixed day of the themed Party day


class Meeting(Record):
    date: dt.date
    type: str
    chair: str | None = None
    topic: str | None = None
    expected: int | None = None
    present: int | None = None
    tags: tuple[str, ...] = ()
    online: bool | None = None
    minutes: bool | None = None
    leader_present: bool | None = None
    note: str | None = None
    group: str | None = None  # the national form: the Party group of a 党小组会
    moved_reason: str | None = None  # the national form: why a 主题党日 left the fixed day


class StudyHours(Record):
    name: str
    leader: bool = False
    q1: float | None = None
    q2: float | None = None
    q3: float | None = None
    q4: float | None = None

    def quarter(self, q: int) -> float | None:
        return (self.q1, self.q2, self.q3, self.q4)[q - 1]


class Training(Record):
    name: str
    date: dt.date
    type: str
    organiser: str | None = None
    topic: str | None = None
    hours: float | None = None


class Candidate(Record):
    name: str
    identity: str | None = None
    applied_on: dt.date | None = None
    activist_on: dt.date | None = None
    candidate_on: dt.date | None = None
    notice_start: dt.date | None = None
    notice_end: dt.date | None = None
    voters_due: int | None = None
    voters_present: int | None = None
    votes_yes: int | None = None
    ballot: str | None = None
    vote_on: dt.date | None = None
    approved_on: dt.date | None = None
    young_teacher: bool | None = None
    backbone: bool | None = None
    dossier_complete: bool | None = None
    failed_courses: int | None = None
    sanctioned: bool | None = None
    # the national form's admission steps
    sponsors: str | None = None
    review_on: dt.date | None = None
    training_hours: float | None = None


class AppraisalResult(Record):
    """One member's 民主评议 result (the national form's 民主评议 sheet)."""

    name: str
    result: str
    date: dt.date


class Talk(Record):
    """One 谈心谈话: the two people and their roles, 委员 or 党员 (the national form's 谈心谈话 sheet)."""

    date: dt.date
    person: str
    person_role: str
    partner: str
    partner_role: str


class OrgLifeReview(Record):
    """One member's 检视材料 for the 组织生活会's 对照检查 (the national form's 对照检查 sheet)."""

    name: str
    date: dt.date


class ChecklistItem(Record):
    """A row of 制度落实: ``done`` None means the row was left blank (not evidenced)."""

    key: str
    done: bool | None = None
    date: dt.date | None = None
    count: float | None = None
    note: str | None = None


class Disclosure(Record):
    """A row of 党务公开记录: one publication of Party affairs. The 2012 form requires its content; the
    national form, whose rules count the dates by quarter, has no content column (None)."""

    date: dt.date
    content: str | None = None
    channel: str | None = None
    evidence: str | None = None


class StudentClass(Record):
    class_name: str
    study_year: str | None = None
    students: int | None = None
    members: int | None = None
    full_members: int | None = None
    party_group: bool | None = None
    failing_members: int | None = None


class Satisfaction(Record):
    surveyed_on: dt.date | None = None
    respondents: int | None = None
    satisfied: int | None = None
    basically_satisfied: int | None = None
    dissatisfied: int | None = None


class NegativeItem(Record):
    key: str
    present: bool | None = None
    note: str | None = None


class Problem(Record):
    problem: str
    measure: str | None = None
    owner: str | None = None
    due: dt.date | None = None
    state: str | None = None


class SelfAssessment(Record):
    self_score: float | None = None
    self_grade: str | None = None
    graded_on: dt.date | None = None
    baseline_grade: str | None = None
    declared_committee_meetings: int | None = None
    declared_lectures: int | None = None
    problems: tuple[Problem, ...] = ()


class BranchForm(Frozen):
    """A validated branch workbook. ``warnings`` are IN- findings that do not stop grading."""

    file: str
    sha256: str
    template_version: str | None = None
    basic: BasicInfo
    committee: tuple[CommitteeMember, ...] = ()
    meetings: tuple[Meeting, ...] = ()
    study_hours: tuple[StudyHours, ...] = ()
    training: tuple[Training, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    systems: dict[str, ChecklistItem] = {}
    disclosures: tuple[Disclosure, ...] = ()
    student_classes: tuple[StudentClass, ...] = ()
    appraisal_results: tuple[AppraisalResult, ...] = ()
    talks: tuple[Talk, ...] = ()
    org_life_reviews: tuple[OrgLifeReview, ...] = ()
    satisfaction: Satisfaction = Satisfaction()
    negative_list: dict[str, NegativeItem] = {}
    self_assessment: SelfAssessment = SelfAssessment()
    sheet_cells: dict[str, Evidence] = {}  # sheet name -> Evidence of the sheet (for "register empty")
    warnings: tuple[Finding, ...] = ()


class FormResult(Frozen):
    """What validate returns for one workbook: a form when it can be graded, and every problem found."""

    file: str
    sha256: str
    form: BranchForm | None
    problems: tuple[Finding, ...] = ()
