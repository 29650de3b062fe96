"""Facts from the student-classes register (学生班级): members in the lower year, Party groups in the
upper year, members failing courses.

``classes_count`` is 0 for an empty register (rules apply only when it is > 0); the other facts are None
then, and None when the profile lacks the parameter they read (lower_year, upper_year,
party_group_min_members).
"""

from __future__ import annotations

from engine.facts.evidence import cells, detail, sheet_evidence
from engine.facts.params import Params
from schemas import form_layout as layout
from schemas.common import Text
from schemas.facts import Fact, fact
from schemas.form import BranchForm, StudentClass

NAMES = ("lower_year_classes_without_members", "upper_year_classes_without_group", "failing_members_total")


def _names(rows: list[StudentClass]) -> str:
    return "、".join(c.class_name for c in rows) or "无"


def class_facts(form: BranchForm, params: Params) -> dict[str, Fact]:
    rows = form.student_classes
    sheet = sheet_evidence(form, layout.STUDENT_CLASSES)
    out = {
        "classes_count": fact(
            name="classes_count", value=len(rows), evidence=cells(rows, "class_name") or sheet
        )
    }
    if not rows:
        empty = detail("学生班级表为空", "The student-classes register is empty")
        out.update({n: fact(name=n, value=None, evidence=sheet, detail=empty) for n in NAMES})
        return out

    def missing(name: str, param: str) -> Fact:
        return fact(
            name=name,
            value=None,
            evidence=sheet,
            detail=detail(f"考核方案未设置参数 {param}", f"The profile has no parameter {param}"),
        )

    def counted(name: str, hits: list[StudentClass], column: str, text: Text) -> Fact:
        return fact(
            name=name,
            value=len(hits),
            evidence=cells(hits, column, "class_name") or cells(rows, "study_year", "class_name") or sheet,
            detail=detail(
                f"{text.zh}：{_names(hits)}", f"{text.en}: {', '.join(c.class_name for c in hits) or 'none'}"
            ),
        )

    lower = params.optional_text("lower_year")
    if lower is None:
        out["lower_year_classes_without_members"] = missing(
            "lower_year_classes_without_members", "lower_year"
        )
    else:
        hits = [c for c in rows if c.study_year == lower and not c.members]
        out["lower_year_classes_without_members"] = counted(
            "lower_year_classes_without_members",
            hits,
            "members",
            detail(f"{lower}党员人数为0或空白的班级", f"{lower} classes with no members (0 or blank)"),
        )

    upper = params.optional_text("upper_year")
    minimum = params.optional_integer("party_group_min_members")
    if upper is None or minimum is None:
        out["upper_year_classes_without_group"] = missing(
            "upper_year_classes_without_group", "upper_year、party_group_min_members"
        )
    else:
        hits = [
            c
            for c in rows
            if c.study_year == upper
            and (c.party_group is not True or (c.members or 0) < minimum or (c.full_members or 0) < 1)
        ]
        out["upper_year_classes_without_group"] = counted(
            "upper_year_classes_without_group",
            hits,
            "party_group",
            detail(
                f"{upper}未建党小组、党员少于{minimum}人或无正式党员的班级",
                f"{upper} classes without a Party group, with fewer than {minimum} members or no full member",
            ),
        )

    filled = [c for c in rows if c.failing_members is not None]
    if not filled:
        # Every class left the column blank: not evidenced, rather than a total of 0 nobody typed.
        out["failing_members_total"] = fact(
            name="failing_members_total",
            value=None,
            evidence=cells(rows, "failing_members") or sheet,
            detail=detail(
                "各班级“挂科党员人数”均未填写", "Members with failed courses: blank for every class"
            ),
        )
    else:
        total = sum(c.failing_members or 0 for c in filled)
        failing = [c for c in filled if c.failing_members]
        out["failing_members_total"] = fact(
            name="failing_members_total",
            value=total,
            evidence=cells(failing, "failing_members") or cells(filled, "failing_members") or sheet,
            detail=detail(
                f"挂科党员共{total}人（空白按0计）：{_names(failing)}",
                f"{total} members with failed courses (blank = 0): "
                f"{', '.join(c.class_name for c in failing) or 'none'}",
            ),
        )
    return out
