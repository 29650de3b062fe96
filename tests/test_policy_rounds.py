"""The example-policy college through the ledger: the policy's grades recorded, review scores weighting the
total, and a second year held back by 逐级晋升 from last year's final grades — and lifted by an exception.

fixtures/college-policy (2012) is recorded as a round; review scores are imported from its summary's
审定评分 column; a 2013 college (the same data, its lagging branch SC-03 now fully compliant) is then
graded against the same ledger."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.ledger import Ledger
from engine.review.export import round_report, write_round_outputs
from tests.ledger_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "fixtures" / "college-policy.toml"
FOLDER = ROOT / "fixtures" / "college-policy"
PROFILE = "example-policy"
FIRST, SECOND = "2012-年初定级", "2013-年初定级"

pytestmark = pytest.mark.slow


def _grade(folder: Path, out: Path, ledger: Path | None) -> tuple[int, str]:
    args = ["grade", str(folder), "-o", str(out), "--profile", PROFILE, "--workers", "0", "--no-progress"]
    if ledger is not None:
        args += ["--round", "年初定级", "--ledger", str(ledger)]
    return run_cli(*args)


def _second_year(tmp: Path) -> Path:
    """The college a year on (2013): the same branches, SC-03 now fully compliant."""
    from fixtures import generate

    spec: dict[str, Any] = tomllib.loads(DATA.read_text(encoding="utf-8"))
    lines = [f"college = {spec['college']!r}".replace("'", '"'), "year = 2013", ""]
    text = DATA.read_text(encoding="utf-8")
    body = text[text.index("[[branch]]") :]
    start = body.index('id = "SC-03"')
    end = body.index("[[branch]]", start)
    compliant = (
        'id = "SC-03"\nname = "示例机关第三党支部"\ngeneral_branch = "示例机关党总支"\ntype = "机关"\n'
        'full_members = 10\ncommittee = ["辛一", "辛二", "辛三"]\n'
        'expect = { grade = "先进", failed = [], not_evidenced = [] }\n\n'
    )
    data = tmp / "college-2013.toml"
    data.write_text("\n".join(lines) + body[:start] + compliant + body[end:], encoding="utf-8")
    folder = tmp / "college-2013"
    generate.generate(data, folder)
    return folder


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("policy-rounds")
    path = tmp / "ledger.sqlite"
    code, output = _grade(FOLDER, tmp / "out", path)
    assert code == 0, output
    return path


def test_a_recorded_round_keeps_the_policys_grade_and_the_computed_one(ledger: Path) -> None:
    with Ledger.open(ledger, create=False) as led:
        info = led.find_round(FIRST)
        grades = led.branch_grades(info.id)
        results = {r.branch_id: r.result for r in led.branch_records(info.id)}
    assert grades["SA-02"] == "B" and grades["SC-03"] == "D" and grades["SA-01"] == "A"
    moved = results["SA-02"].policy
    assert moved is not None and moved.computed.code == "A" and moved.moves[0].kind == "quota_cap"
    assert results["SC-03"].policy is not None and results["SC-03"].policy.computed.code == "C"


def test_without_a_ledger_last_years_grade_is_said_to_be_unknown(tmp_path: Path) -> None:
    code, output = _grade(FOLDER, tmp_path / "out", None)
    assert code == 0 and "上一年度等次未知" in output and "未按逐级晋升限制" in output


def _fill_scores(source: Path, target: Path, scores: dict[str, object]) -> Path:
    book = openpyxl.load_workbook(source)
    sheet = book["汇总"]
    header = [c.value for c in sheet[1]]
    col = header.index("审定评分") + 1
    who = header.index("审定人") + 1
    for row in sheet.iter_rows(min_row=2):
        if str(row[0].value) in scores:
            sheet.cell(row[0].row, col).value = scores[str(row[0].value)]
            sheet.cell(row[0].row, who).value = "示例审定人"
    book.save(target)
    return target


def test_review_scores_are_imported_and_weight_the_total(ledger: Path, tmp_path: Path) -> None:
    with Ledger.open(ledger, create=False) as led:
        summary, _, _ = write_round_outputs(led, led.find_round(FIRST), tmp_path / "export")
    # a score that is not one is refused, located at its cell, in either language
    bad = _fill_scores(summary, tmp_path / "bad.xlsx", {"SB-03": "很好", "SC-02": 120})
    code, output = run_cli("review", "import", str(bad), "--ledger", str(ledger))
    assert code == 1 and output.count("IN-48") == 2 and "“很好”不是 0 到 100 之间的数" in output
    code, output = run_cli("review", "import", str(bad), "--ledger", str(ledger), "--lang", "en")
    assert code == 1 and "review score “120” is not a number from 0 to 100" in output, output
    good = _fill_scores(summary, tmp_path / "good.xlsx", {"SB-03": 95, "SB-01": 60})
    code, output = run_cli("review", "import", str(good), "--ledger", str(ledger))
    assert code == 0, output
    with Ledger.open(ledger, create=False) as led:
        report = round_report(led, led.find_round(FIRST))
    by_id = {r.identity.branch_id: r for r in report.results}
    raised, lowered, plain = by_id["SB-03"], by_id["SB-01"], by_id["SC-02"]
    assert raised.policy is not None and raised.policy.review_score == 95
    assert raised.policy.score == 81.0 and raised.grade.code == "B"  # 75 × 0.7 + 95 × 0.3: 一般 → 较好
    assert [m.kind for m in raised.policy.moves] == ["weighted"]
    assert lowered.policy is not None and lowered.policy.score == 85.2  # 96 × 0.7 + 60 × 0.3
    assert (
        plain.policy is not None and plain.policy.review_score is None and plain.policy.score == plain.total
    )
    # the exported summary has the scores back in its 审定评分 column, ready for the next import
    with Ledger.open(ledger, create=False) as led:
        again, _, _ = write_round_outputs(led, led.find_round(FIRST), tmp_path / "again")
    sheet = openpyxl.load_workbook(again)["汇总"]
    header = [c.value for c in sheet[1]]
    scores = {r[0].value: r[header.index("审定评分")].value for r in sheet.iter_rows(min_row=2)}
    assert scores["SB-03"] == 95 and scores["SC-02"] is None
    code, output = run_cli("review", "show", FIRST, "SC-02", "--ledger", str(ledger))
    assert code == 0 and "未记录审定评分" in output


def test_a_second_year_is_held_by_last_years_grade_and_an_exception_lifts_it(
    ledger: Path, tmp_path: Path
) -> None:
    folder = _second_year(tmp_path)
    code, output = _grade(folder, tmp_path / "out", ledger)
    assert code == 0, output
    with Ledger.open(ledger, create=False) as led:
        info = led.find_round(SECOND)
        held = next(r.result for r in led.branch_records(info.id) if r.branch_id == "SC-03")
    assert held.policy is not None and held.policy.computed.code == "A"
    assert held.policy.previous is not None and held.policy.previous.code == "D"  # 2012: floored to 后进
    assert held.grade.code == "C" and "step_up" in [m.kind for m in held.policy.moves]
    # A reviewed grade above the limit needs a 破格晋升 reason …
    code, output = run_cli(
        "review", "add", SECOND, "SC-03", "先进", "--reason", "整改成效突出", "--reviewer", "示例审定人",
        "--ledger", str(ledger),
    )  # fmt: skip
    assert code == 1 and "IN-49" in output and "破格晋升理由" in output
    # … and with one it is recorded, and kept with the review
    code, output = run_cli(
        "review", "add", SECOND, "SC-03", "先进", "--reason", "整改成效突出", "--reviewer", "示例审定人",
        "--exception", "经党委会研究同意破格晋升", "--ledger", str(ledger),
    )  # fmt: skip
    assert code == 0, output
    with Ledger.open(ledger, create=False) as led:
        from engine.review.record import review_history

        (event,) = review_history(led, led.find_round(SECOND).id, "SC-03")
    assert event.grade == "A" and event.exception == "经党委会研究同意破格晋升"


def test_the_web_review_records_a_score_and_shows_the_weighted_total(ledger: Path) -> None:
    """The web's branch page (engine.web.reviews): the form's score is recorded through the review library,
    and the branch as the round now decides it carries the weighted total."""
    from engine.review.record import ReviewRefused
    from engine.web import reviews

    with Ledger.open(ledger, create=False) as led:
        info = led.find_round(FIRST)
    with pytest.raises(ReviewRefused) as refused:
        reviews.review(ledger, info.id, "SC-02", ("", "", "101", ""), "网页审定人")
    assert [p.code for p in refused.value.problems] == ["IN-48"]
    assert reviews.review(ledger, info.id, "SC-02", ("", "", "100", ""), "网页审定人")
    shown = reviews.branch_review(ledger, [info.id], "SC-02", PROFILE)
    assert shown is not None and shown.decided is not None and shown.decided.policy is not None
    assert shown.decided.policy.review_score == 100 and shown.decided.policy.score == 89.5  # 85 × 0.7 + 30
