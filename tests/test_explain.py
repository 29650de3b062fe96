"""engine.export.explain: the plain-text report behind ``branchgrade explain FILE``."""

from __future__ import annotations

from datetime import date

from engine.export.explain import explain
from schemas.common import Evidence, Finding, Source, Status, Text
from schemas.facts import BranchIdentity
from schemas.results import BranchResult, Grade, IndicatorScore, RuleTrace


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


def make_result() -> BranchResult:
    ol02 = Finding(
        code="OL-02",
        status=Status.FAILED,
        kind="deduction",
        title=_t("每月召开一次支委会", "A committee meeting every month"),
        message=_t("支委会：5月、7月未召开（应每月至少1次）", "Committee meetings: none held in May, July"),
        ctx={"expected": 1, "actual": 0},
        evidence=(Evidence(file="b.xlsx", sheet="会议活动", cell="A12"),),
        rectification=_t("每月至少召开一次支委会", "Hold a committee meeting every month"),
        owner=_t("支部书记", "branch secretary"),
        deadline=date(2013, 1, 31),
        source=Source(document="娄职院委函[2012]3号", clause="三(二)3"),
        indicator="systems",
        deduction=2,
    )
    ed08 = ol02.model_copy(
        update={
            "code": "ED-08",
            "status": Status.NOT_EVIDENCED,
            "message": _t("学习学时表为空，无法核实党员学时", "The hours sheet is empty"),
            "rectification": _t("补填学习学时表", "Fill in the hours sheet"),
            "evidence": (),
            "indicator": "leader",
        }
    )
    trace = (
        RuleTrace(
            code="OL-01",
            title=_t("三会一课", "Three meetings and a lecture"),
            indicator="systems",
            kind="deduction",
            status=Status.PASSED,
            ctx={"expected": 1, "actual": 3},
        ),
        RuleTrace(
            code="OL-02",
            title=ol02.title,
            indicator="systems",
            kind="deduction",
            status=Status.FAILED,
            ctx={"expected": 1, "actual": 0, "shortfall": "5月、7月"},
            evidence=(
                Evidence(file="b.xlsx", sheet="会议活动", cell="A12"),
                Evidence(file="b.xlsx", sheet="会议活动", cell="A15"),
            ),
            deduction=2,
        ),
        RuleTrace(
            code="ED-08",
            title=_t("党员学时", "Member hours"),
            indicator="leader",
            kind="deduction",
            status=Status.NOT_EVIDENCED,
            deduction=1,
        ),
        RuleTrace(
            code="OL-05",
            title=_t("支委会人数", "Committee size"),
            indicator="systems",
            kind="deduction",
            status=Status.NOT_APPLICABLE,
        ),
    )
    return BranchResult(
        identity=BranchIdentity(
            file="b.xlsx",
            sha256="ab" * 32,
            branch_id="B001",
            branch_name="机电系第一党支部",
            branch_type="教工",
            general_branch="机电工程学院党总支",
            secretary="张三",
            assessment_year=2012,
        ),
        profile="loudi-2012",
        scores=(
            IndicatorScore(
                id="leader", name=_t("党组织带头人", "Leadership"), points=15, deducted=1, score=14
            ),
            IndicatorScore(
                id="systems", name=_t("工作制度", "Working systems"), points=10, deducted=2, score=8
            ),
        ),
        total=87,
        score_grade=Grade(code="B", name=_t("较好", "Good")),
        grade=Grade(code="C", name=_t("一般", "Average")),
        adjustments=(
            _t("党员群众满意率低于90%，等次最高为一般", "Satisfaction below 90%: capped at Average"),
        ),
        items=(ol02, ed08),
        trace=trace,
    )


def test_explain_zh_mentions_everything() -> None:
    text = explain(make_result())
    assert "\x1b" not in text and text.endswith("\n")
    for code in ("OL-01", "OL-02", "ED-08", "OL-05"):
        assert code in text
    for needed in (
        "机电系第一党支部",
        "张三",
        "机电工程学院党总支",
        "一般",
        "较好",
        "87",
        "满意率低于90%",
        "党组织带头人",
        "会议活动!A12、A15",
        "应为：1",
        "实际：0",
        "每月至少召开一次支委会",
        "娄职院委函[2012]3号 三(二)3",
        "学习学时表为空",
    ):
        assert needed in text, needed
    # groups in the order a reader acts on them
    order = [text.index(h) for h in ("\n未通过（1）", "\n未能核实（1）", "\n不适用（1）", "\n通过（1）")]
    assert order == sorted(order)
    assert text.index("OL-02") < text.index("ED-08") < text.index("OL-05") < text.index("OL-01 ")


def test_explain_english() -> None:
    text = explain(make_result(), lang="en")
    for code in ("OL-01", "OL-02", "ED-08", "OL-05"):
        assert code in text
    for needed in (
        "Grade: Average",
        "Good",
        "Failed (1)",
        "Not evidenced (1)",
        "Not applicable (1)",
        "Passed (1)",
        "Leadership",
        "expected 1",
        "actual 0",
        "Hold a committee meeting every month",
    ):
        assert needed in text, needed
    assert "未通过" not in text and "应为" not in text


def test_explain_score_table_lines_up() -> None:
    lines = explain(make_result()).splitlines()
    start = next(i for i, line in enumerate(lines) if "满分" in line)
    table = lines[start : start + 6]
    # CJK counts as two columns: every numeric column ends at the same display position
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)

    assert len({width(line) for line in table}) == 1, table


def test_explain_without_items_or_trace() -> None:
    r = make_result().model_copy(update={"items": (), "trace": (), "adjustments": ()})
    text = explain(r)
    assert "共0条" in text and "未通过" not in text


def test_explain_neutralises_control_characters() -> None:
    r = make_result()
    hostile = r.model_copy(
        update={"identity": r.identity.model_copy(update={"branch_name": "\x1b[2J\x1b[31m红"})}
    )
    text = explain(hostile)
    assert "\x1b" not in text and "\\x1b[2J" in text
