"""Facts from the member-development register (发展党员).

An empty register means nobody was admitted this year, a real answer: ``candidates_count`` and every
per-candidate count are 0 then, not None (docs/form.md). Only ``min_notice_working_days``, a
minimum over candidates, is None without candidates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from engine.facts.evidence import cells, detail, sheet_evidence
from schemas import form_layout as layout
from schemas.common import Evidence, Text
from schemas.facts import Fact, fact
from schemas.form import BranchForm, Candidate
from schemas.workdays import WorkCalendar, count_workdays

STUDENT = "学生"
DOSSIER_DATES = ("applied_on", "activist_on", "candidate_on", "vote_on")
# How each calendar counts, as a fact's detail says it.
CALENDAR_WORDS = {
    WorkCalendar.CN: (
        "按国家法定节假日和调休安排计",
        "by the official calendar: public holidays off, make-up days worked",
    ),
    WorkCalendar.WEEKDAYS: ("周一至周五", "Mon–Fri"),
}


def notice_span(c: Candidate) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a candidate's notice, or None when a date is blank."""
    if c.notice_start is None or c.notice_end is None:
        return None
    return c.notice_start, c.notice_end


def _notice_days(c: Candidate, calendar: WorkCalendar) -> int:
    span = notice_span(c)
    return 0 if span is None else count_workdays(*span, calendar)  # a blank notice date: no notice shown


def _dossier_incomplete(c: Candidate) -> bool:
    return c.dossier_complete is not True or any(getattr(c, f) is None for f in DOSSIER_DATES)


def _notice_after_vote(c: Candidate) -> bool:
    return c.notice_end is None or c.vote_on is None or c.notice_end >= c.vote_on


def _ballot_invalid(c: Candidate) -> bool:
    due, present, yes = c.voters_due, c.voters_present, c.votes_yes
    if due is None or present is None or yes is None:
        return True
    return present * 2 <= due or yes * 2 <= due


def _student_unqualified(c: Candidate) -> bool:
    return c.identity == STUDENT and ((c.failed_courses or 0) > 0 or c.sanctioned is True)


def candidate_facts(form: BranchForm, calendar: WorkCalendar) -> dict[str, Fact]:
    rows = form.candidates
    sheet = sheet_evidence(form, layout.CANDIDATES)

    def count(name: str, test: Callable[[Candidate], bool], columns: tuple[str, ...], text: Text) -> Fact:
        hits = [c for c in rows if test(c)]
        # The cells of the candidates counted; with none counted, the column for everyone (a 0 that fails
        # a minimum points at the 否 cells); with no candidates, the sheet.
        ev: tuple[Evidence, ...] = cells(hits, *columns, "name") or cells(rows, *columns, "name") or sheet
        names = "、".join(c.name for c in hits) or "无"
        return fact(
            name=name,
            value=len(hits),
            evidence=ev,
            detail=detail(f"{text.zh}：{names}", f"{text.en}: {names if hits else 'none'}"),
        )

    out = {
        "candidates_count": fact(
            name="candidates_count",
            value=len(rows),
            evidence=cells(rows, "name") or sheet,
        ),
        "candidates_dossier_incomplete": count(
            "candidates_dossier_incomplete",
            _dossier_incomplete,
            ("dossier_complete",),
            detail(
                "档案材料未注明齐全或缺申请、积极分子、发展对象、表决日期",
                "Dossier not marked complete, or an application/activist/candidate/vote date blank",
            ),
        ),
        "notices_after_vote": count(
            "notices_after_vote",
            _notice_after_vote,
            ("notice_end",),
            detail(
                "公示未在支部大会表决日前结束（或日期空白）",
                "Notice not ended before the vote (or a date blank)",
            ),
        ),
        "ballots_invalid": count(
            "ballots_invalid",
            _ballot_invalid,
            ("voters_present",),
            detail(
                "实到或赞成票未超过应到有表决权正式党员半数（或空白）",
                "Present or yes votes not above half of the voting members due (or blank)",
            ),
        ),
        "young_teacher_candidates": count(
            "young_teacher_candidates",
            lambda c: c.young_teacher is True,
            ("young_teacher",),
            detail("发展的青年教师", "Young teachers admitted"),
        ),
        "backbone_candidates": count(
            "backbone_candidates",
            lambda c: c.backbone is True,
            ("backbone",),
            detail("发展的业务骨干", "Backbone staff admitted"),
        ),
        "student_candidates_unqualified": count(
            "student_candidates_unqualified",
            _student_unqualified,
            ("failed_courses", "sanctioned"),
            detail("有挂科或受处分的学生发展对象", "Student candidates with failed courses or a sanction"),
        ),
    }
    if not rows:
        out["min_notice_working_days"] = fact(
            name="min_notice_working_days",
            value=None,
            evidence=sheet,
            detail=detail("本年度未发展党员", "Nobody admitted this year"),
        )
    else:
        days = [(c, _notice_days(c, calendar)) for c in rows]
        rule_zh, rule_en = CALENDAR_WORDS[calendar]
        low = min(d for _, d in days)
        out["min_notice_working_days"] = fact(
            name="min_notice_working_days",
            value=low,
            evidence=tuple(
                e
                for c, d in days
                if d == low
                for e in (*cells([c], "notice_start"), *cells([c], "notice_end"))
            )
            or sheet,
            detail=detail(
                f"公示工作日（{rule_zh}，空白按0计）：" + "、".join(f"{c.name}{d}天" for c, d in days),
                f"Notice working days ({rule_en}, blank = 0): " + ", ".join(f"{c.name} {d}" for c, d in days),
            ),
        )
    return out
