"""Hand-built stage outputs (Text, Finding, RuleTrace, BranchResult) shared by the export tests.

Every builder takes keyword overrides for any field, so a test states only what it cares about.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from schemas.common import Evidence, Finding, Source, Status, Text
from schemas.facts import BranchIdentity
from schemas.results import BranchResult, Grade, IndicatorScore, RuleTrace

OL02_MESSAGE = "支委会：5月、7月未召开（应每月至少1次）"


def t(zh: str, en: str | None = None) -> Text:
    return Text(zh=zh, en=en or f"en:{zh}")


GRADES = {
    "A": Grade(code="A", name=t("先进", "Advanced")),
    "B": Grade(code="B", name=t("较好", "Good")),
    "C": Grade(code="C", name=t("一般", "Average")),
    "D": Grade(code="D", name=t("后进", "Lagging")),
}
CAP_REASON = t("党员群众满意率低于90%，等次最高为一般", "Satisfaction below 90%: capped at Average")


def finding(code: str, message: str = OL02_MESSAGE, **overrides: Any) -> Finding:
    """An OL-02-style failed deduction (committee meetings missed) under ``code``."""
    fields: dict[str, Any] = {
        "code": code,
        "status": Status.FAILED,
        "kind": "deduction",
        "title": t("每月召开一次支委会", "A committee meeting every month"),
        "message": Text(zh=message, en="Committee meetings: none held in May, July"),
        "ctx": {"expected": 1, "actual": 0},
        "evidence": (Evidence(file="b.xlsx", sheet="会议活动", cell="A12"),),
        "rectification": t("每月至少召开一次支委会", "Hold a committee meeting every month"),
        "owner": t("支部书记", "branch secretary"),
        "deadline": date(2013, 1, 31),
        "source": Source(document="娄职院委函[2012]3号", clause="三(二)3"),
        "indicator": "systems",
        "deduction": 2,
    }
    fields.update(overrides)
    return Finding(**fields)


def rule_trace(code: str, title: Text, indicator: str, status: Status, **overrides: Any) -> RuleTrace:
    """A deduction rule's trace line."""
    return RuleTrace(
        code=code, title=title, indicator=indicator, kind="deduction", status=status, **overrides
    )


def score(id: str, name: Text, points: float, deducted: float) -> IndicatorScore:
    return IndicatorScore(id=id, name=name, points=points, deducted=deducted, score=points - deducted)


def identity(**overrides: Any) -> BranchIdentity:
    fields: dict[str, Any] = {
        "file": "b.xlsx",
        "sha256": "ab" * 32,
        "branch_id": "B001",
        "branch_name": "机电系第一党支部",
        "branch_type": "教工",
        "general_branch": "机电工程学院党总支",
        "secretary": "张三",
        "assessment_year": 2012,
    }
    fields.update(overrides)
    return BranchIdentity(**fields)


def branch_result(**overrides: Any) -> BranchResult:
    """A loudi-2012 result whose grade was capped by satisfaction; pass the fields a test cares about."""
    fields: dict[str, Any] = {
        "identity": identity(),
        "profile": "loudi-2012",
        "score_grade": GRADES["B"],
        "grade": GRADES["C"],
        "adjustments": (CAP_REASON,),
    }
    fields.update(overrides)
    return BranchResult(**fields)
