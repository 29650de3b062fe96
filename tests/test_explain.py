"""engine.export.explain: the plain-text report behind ``branchgrade explain FILE``."""

from __future__ import annotations

from engine.export.explain import explain
from schemas.common import Evidence, Status
from schemas.results import BranchResult
from tests.builders import branch_result, finding, identity, rule_trace, score, t

CODES = ("OL-01", "OL-02", "ED-08", "OL-05")  # every rule in the trace


def make_result() -> BranchResult:
    ol02 = finding("OL-02")
    ed08 = ol02.model_copy(
        update={
            "code": "ED-08",
            "status": Status.NOT_EVIDENCED,
            "message": t("学习学时表为空，无法核实党员学时", "The hours sheet is empty"),
            "rectification": t("补填学习学时表", "Fill in the hours sheet"),
            "evidence": (),
            "indicator": "leader",
        }
    )
    trace = (
        rule_trace(
            "OL-01",
            t("三会一课", "Three meetings and a lecture"),
            "systems",
            Status.PASSED,
            ctx={"expected": 1, "actual": 3},
        ),
        rule_trace(
            "OL-02",
            ol02.title,
            "systems",
            Status.FAILED,
            ctx={"expected": 1, "actual": 0, "shortfall": "5月、7月"},
            facts=("committee_meetings_min_month", "has_committee"),
            deduction=2,
        ),
        rule_trace("ED-08", t("党员学时", "Member hours"), "leader", Status.NOT_EVIDENCED, deduction=1),
        rule_trace("OL-05", t("支委会人数", "Committee size"), "systems", Status.NOT_APPLICABLE),
    )
    return branch_result(
        identity=identity(),
        scores=(
            score("leader", t("党组织带头人", "Leadership"), 15, 1),
            score("systems", t("工作制度", "Working systems"), 10, 2),
        ),
        total=87,
        items=(ol02, ed08),
        trace=trace,
        # A12 is behind both facts of OL-02: it is shown once.
        fact_evidence={
            "committee_meetings_min_month": (
                Evidence(file="b.xlsx", sheet="会议活动", cell="A12"),
                Evidence(file="b.xlsx", sheet="会议活动", cell="A15"),
            ),
            "has_committee": (Evidence(file="b.xlsx", sheet="会议活动", cell="A12"),),
        },
    )


def test_explain_zh_mentions_everything() -> None:
    text = explain(make_result())
    assert "\x1b" not in text and text.endswith("\n")
    for code in CODES:
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
    for code in CODES:
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


def test_explain_shows_values_as_people_read_them() -> None:
    # (code, the fact it reports, expected, actual): a date, a share and a yes/no
    shown = (
        ("DM-05", "task_division_date", 20120430, 20120520),
        ("CM-01", "commitments_signed_share", 1.0, 0.85),
        ("PR-02", "directly_reporting", True, False),
    )
    trace = tuple(
        rule_trace(
            code, t(code, code), "systems", Status.FAILED, ctx={"expected": e, "actual": a}, facts=(fact,)
        )
        for code, fact, e, a in shown
    )
    r = make_result().model_copy(update={"trace": trace, "items": ()})
    text = explain(r)
    for needed in ("应为：2012年4月30日；实际：2012年5月20日", "应为：100%；实际：85%", "应为：是；实际：否"):
        assert needed in text, needed
    assert "20120430" not in text and "true" not in text and "0.85" not in text
    english = explain(r, lang="en")
    assert "expected 2012-04-30; actual 2012-05-20" in english and "expected yes; actual no" in english
