"""``branchgrade explain FILE``: one branch's result as plain text, for a person checking a grade.

Identity, grade (with total and score band) and any adjustment, the indicator table, the path to the next
grade (conditions points cannot fix, then the fewest items to correct), then every rule of
the trace grouped by outcome — failed, not evidenced, not applicable, passed — each with its code, title,
expected and actual values, the evidence cells and, where the rule produced an item, its message and
rectification. Plain text only (no ANSI colour): it is also pasted into e-mails and issue notes.
"""

from __future__ import annotations

import unicodedata

from engine.export.i18n import (
    STATUS_ORDER,
    evidence_cells,
    fmt_num,
    label,
    review_text,
    source_text,
    status_label,
)
from engine.export.path_text import path_lines
from schemas.common import Evidence, Finding, Lang
from schemas.results import BranchResult, RuleTrace
from schemas.values import format_value

__all__ = ["explain"]

_INDENT = "    "
_SHOWN_FIRST = ("expected", "actual")  # the two ctx values a reader looks for first


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int, right: bool = False) -> str:
    """Pad to a display width, counting a CJK character as two columns so the table lines up."""
    gap = " " * max(width - _width(s), 0)
    return gap + s if right else s + gap


def _kv(key: str, value: str, lang: Lang) -> str:
    # A multi-line value (a message with its cells, a quoted clause) keeps its continuation lines indented.
    value = value.replace("\n", "\n" + _INDENT * 2)
    return f"{key}: {value}" if lang == "en" else f"{key}：{value}"


def _printable(text: str) -> str:
    """Show control characters from form text as ``\\x1b`` rather than emit them: an escape sequence typed
    into a branch name must not recolour or rewrite the terminal that ``explain`` prints to."""
    return "".join(c if c in "\n\t" or unicodedata.category(c) != "Cc" else f"\\x{ord(c):02x}" for c in text)


def explain(result: BranchResult, lang: Lang = "zh") -> str:
    """A readable plain-text report of ``result`` in ``lang``; ends with a newline."""
    ident = result.identity
    out: list[str] = []
    title = (
        f"{ident.branch_name}（{ident.branch_id}）"
        if lang == "zh"
        else f"{ident.branch_name} ({ident.branch_id})"
    )
    out += [title, "=" * max(_width(title), 8)]
    out.append(_kv(label("file", lang), ident.file, lang))
    out.append(_kv(label("sha256", lang), ident.sha256, lang))
    out.append(_kv(label("profile", lang), result.profile, lang))
    out.append(_kv(label("general_branch", lang), ident.general_branch or label("none", lang), lang))
    out.append(_kv(label("branch_type", lang), ident.branch_type, lang))
    out.append(_kv(label("secretary", lang), ident.secretary, lang))
    out.append(_kv(label("assessment_year", lang), str(ident.assessment_year), lang))
    if ident.self_grade is not None:
        out.append(_kv(label("self_grade", lang), ident.self_grade, lang))
    if ident.self_score is not None:
        out.append(_kv(label("self_score", lang), fmt_num(ident.self_score), lang))
    out.append("")

    grade = result.grade.name.get(lang)
    score_grade = result.score_grade.name.get(lang)
    total = fmt_num(result.total)
    if lang == "en":
        out.append(f"{label('grade', lang)}: {grade} (total {total}, by score: {score_grade})")
    else:
        total_part = f"{label('total', lang)} {total}"
        band_part = f"{label('score_grade', lang)}：{score_grade}"
        out.append(f"{label('grade', lang)}：{grade}（{total_part}，{band_part}）")
    if result.adjustments:
        out.append(label("adjustments", lang) + (":" if lang == "en" else "："))
        out += [f"{_INDENT}- {a.get(lang)}" for a in result.adjustments]
    if result.policy is not None:
        out += _policy_lines(result, lang)
    reviewed = review_text(result.review, lang)
    if reviewed is not None:  # the officer's reviewed grade stands beside the computed one above
        out.append(reviewed)
    if result.final is not None:  # the round was published (公示): is the grade that stands final?
        out.append(_kv(label("final", lang), label("yes" if result.final else "no_", lang), lang))
    out.append("")

    out += _score_table(result, lang)
    out.append("")
    out.append(label("path", lang) + (":" if lang == "en" else "："))
    out += [_INDENT + line for line in path_lines(result, lang)]
    out.append("")

    # A rule's item (failed or not evidenced) carries its rendered message and rectification; the trace
    # does not, so look them up by code.
    items: dict[str, Finding] = {}
    for f in (*result.items, *result.warnings):
        items.setdefault(f.code, f)
    indicators = {s.id: s.name.get(lang) for s in result.scores}
    rules_n = label("rules_n", lang, n=len(result.trace))
    out.append(
        f"{label('trace', lang)} ({rules_n})" if lang == "en" else f"{label('trace', lang)}（{rules_n}）"
    )
    for status in STATUS_ORDER:
        group = [t for t in result.trace if t.status == status]
        if not group:
            continue
        out.append("")
        head = (
            f"{status_label(status, lang)} ({len(group)})"
            if lang == "en"
            else f"{status_label(status, lang)}（{len(group)}）"
        )
        out += [head, "-" * _width(head)]
        for t in group:
            out += _rule(t, result.evidence_of(t), items.get(t.code), indicators, lang)
    if result.warnings:
        out += ["", label("warnings", lang) + (":" if lang == "en" else "：")]
        out += [f"{_INDENT}- {w.render(lang)}" for w in result.warnings]
    return _printable("\n".join(out).rstrip()) + "\n"


def _policy_lines(result: BranchResult, lang: Lang) -> list[str]:
    """The scoring policy's part: the score it ranked the branch by (and the review score weighted in), the
    self-score beside it with the gap, and the grade computed before the policy moved it."""
    policy = result.policy
    assert policy is not None
    parts = [label("policy_score", lang, n=fmt_num(policy.score))]
    if policy.review_score is not None:
        parts.append(label("review_score", lang, n=fmt_num(policy.review_score)))
    elif policy.weighted:  # said, never a missing score weighted in as 0
        parts.append(label("no_review_score", lang))
    self_score = result.identity.self_score
    if self_score is not None:
        gap = fmt_num(abs(self_score - policy.score))
        parts.append(label("self_gap", lang, n=fmt_num(self_score), gap=gap))
    if policy.moves:
        parts.append(label("policy_computed", lang, grade=policy.computed.name.get(lang)))
    if policy.previous is not None:
        parts.append(label("policy_previous", lang, grade=policy.previous.name.get(lang)))
    return [_INDENT + ("; " if lang == "en" else "；").join(parts)]


def _score_table(result: BranchResult, lang: Lang) -> list[str]:
    heads = [label(k, lang) for k in ("indicator", "points", "deducted", "score")]
    rows = [
        [s.name.get(lang), fmt_num(s.points), fmt_num(s.deducted), fmt_num(s.score)] for s in result.scores
    ]
    points = sum(s.points for s in result.scores)
    deducted = sum(s.deducted for s in result.scores)
    rows.append([label("total", lang), fmt_num(points), fmt_num(deducted), fmt_num(result.total)])
    widths = [max(_width(r[i]) for r in [heads, *rows]) for i in range(4)]
    lines = []
    for r in [heads, *rows]:
        cells = [_pad(r[0], widths[0])] + [_pad(r[i], widths[i], right=True) for i in range(1, 4)]
        lines.append(_INDENT + "  ".join(cells).rstrip())
    lines.insert(1, _INDENT + "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, _INDENT + "  ".join("-" * w for w in widths))
    return lines


def _rule(
    t: RuleTrace, evidence: tuple[Evidence, ...], item: Finding | None, indicators: dict[str, str], lang: Lang
) -> list[str]:
    head = f"{t.code} {t.title.get(lang)}"
    ind = indicators.get(t.indicator, t.indicator)
    head += f" [{ind}]" if lang == "en" else f"［{ind}］"
    if t.deduction:
        head += " " + label("deduct_n", lang, n=fmt_num(t.deduction))
    lines = [head]
    # Only expected and actual, with their unit: the other ctx values (shortfall …) are already in the
    # rendered message, and results.json keeps them all.
    unit = t.ctx.get("unit_en" if lang == "en" else "unit") or ""
    unit = f" {unit}" if unit and lang == "en" else str(unit)
    # Values as people read them, by the fact the rule reports (its first): dates, percentages, 是/否.
    reported = t.facts[0] if t.facts else ""
    ctx_parts = [
        f"{label(k + '_v', lang)} {format_value(t.ctx[k], reported, lang)}{unit}"
        if lang == "en"
        else f"{label(k + '_v', lang)}：{format_value(t.ctx[k], reported, lang)}{unit}"
        for k in _SHOWN_FIRST
        if k in t.ctx and t.ctx[k] is not None
    ]
    if ctx_parts:
        lines.append(_INDENT + ("; " if lang == "en" else "；").join(ctx_parts))
    cells = evidence_cells(evidence, lang)
    if cells:
        lines.append(_INDENT + _kv(label("cells", lang).capitalize(), cells, lang))
    if item is not None:
        lines.append(_INDENT + _kv(label("message", lang), item.message.get(lang), lang))
        lines.append(_INDENT + _kv(label("rectification", lang), item.rectification.get(lang), lang))
        basis = source_text(item.source, with_quote=False)
        if basis:
            lines.append(_INDENT + _kv(label("basis", lang), basis, lang))
    return lines
