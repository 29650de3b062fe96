"""What ``grade`` will be unable to verify, told at ``validate`` time.

A workbook with empty registers is valid — nothing in it is wrong — yet grading it marks every rule that
reads those registers "not evidenced". ``validate`` runs the rest of the chain on the validated form
(facts and rules are cheap) and groups the not-evidenced rules by the sheet their missing facts come
from: one warning (IN-14) per empty register or sheet left blank, naming the cells still blank (a blank
制度落实 row, a 自评 date), the requirements — rule codes and titles — it leaves unproven, and the fix.

Only facts whose evidence names a sheet are attributed: a fact missing because the profile lacks a
parameter is not the user's to fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from engine.export.i18n import evidence_cells
from engine.facts import build_facts
from engine.rulebook import Evaluator, ReferenceEvaluator, evaluate
from schemas.common import Evidence, Finding, Status, Text
from schemas.form import BranchForm
from schemas.form_layout import SHEETS
from schemas.problems import make_problem
from schemas.results import Evaluation, RuleTrace
from schemas.rules import Profile

__all__ = ["MAX_RULES_LISTED", "unproven_by_sheet", "unproven_problems"]

MAX_RULES_LISTED = 12  # a warning names this many requirements, then says how many more


def unproven_by_sheet(evaluation: Evaluation) -> dict[str, tuple[list[RuleTrace], list[Evidence]]]:
    """Sheet name -> (the not-evidenced rules whose missing facts come from it, the blank cells read)."""
    grouped: dict[str, tuple[list[RuleTrace], list[Evidence]]] = defaultdict(lambda: ([], []))
    values, evidence = evaluation.facts, evaluation.fact_evidence
    for trace in evaluation.trace:
        if trace.status is not Status.NOT_EVIDENCED:
            continue
        missing = [name for name in trace.facts if values.get(name) is None]
        blank = [ev for name in missing for ev in evidence.get(name, ()) if _blank(ev)]
        for sheet in dict.fromkeys(ev.sheet for ev in blank if ev.sheet):
            rules, cells = grouped[sheet]
            rules.append(trace)
            cells.extend(ev for ev in blank if ev.sheet == sheet and ev not in cells)
    order = {sheet.name: i for i, sheet in enumerate(SHEETS)}  # as the workbook shows them
    return dict(sorted(grouped.items(), key=lambda item: order.get(item[0], len(order))))


def _blank(ev: Evidence) -> bool:
    """A whole sheet (a register a fact found empty) or a cell nobody filled in."""
    return bool(ev.sheet) and (ev.cell is None or not (ev.value or "").strip())


def _rule_list(rules: Sequence[RuleTrace], lang: str) -> str:
    sep = "; " if lang == "en" else "；"
    shown = sep.join(
        f"{t.code} {t.title.get('en' if lang == 'en' else 'zh')}" for t in rules[:MAX_RULES_LISTED]
    )
    more = len(rules) - MAX_RULES_LISTED
    if more > 0:
        shown += f"{sep}… (+{more})" if lang == "en" else f"{sep}…等共 {len(rules)} 项"
    return shown


def unproven_problems(
    form: BranchForm, profile: Profile, evaluator: Evaluator | None = None
) -> tuple[Finding, ...]:
    """One IN-14 warning per sheet whose blanks leave requirements of ``profile`` unproven."""
    facts = build_facts(form, profile)
    evaluation = evaluate(facts, profile, evaluator or ReferenceEvaluator(profile))
    problems: list[Finding] = []
    for sheet, (rules, cells) in unproven_by_sheet(evaluation).items():
        blank = [ev for ev in cells if ev.cell]
        what = (
            Text(
                zh=f"有 {len(blank)} 处未填写（{evidence_cells(blank, 'zh')}）",
                en=f"has {len(blank)} blank cell(s) ({evidence_cells(blank, 'en')})",
            )
            if blank
            else Text(zh="没有任何记录", en="holds no record")
        )
        where = tuple(blank) or (Evidence(file=form.file, sheet=sheet),)
        problems.append(
            make_problem(
                "IN-14",
                where,
                sheet=sheet,
                what=what,
                n=len(rules),
                rules=Text(zh=_rule_list(rules, "zh"), en=_rule_list(rules, "en")),
            )
        )
    return tuple(problems)
