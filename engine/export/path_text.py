"""The path to the next grade in words, as ``explain`` prints it and the 整改清单's 晋级路径 block shows it.

The conditions points cannot fix come first (a veto to lift, a cap to end, with the items that do it),
then the items to correct in order, each with the points it gives back and the total after it.
"""

from __future__ import annotations

from engine.export.i18n import fmt_num, label
from schemas.common import Lang
from schemas.results import BranchResult, PathCondition

__all__ = ["path_lines", "path_text"]


def _titled(result: BranchResult, code: str, lang: Lang) -> str:
    item = next((f for f in result.items if f.code == code), None)
    return f"{code} {item.title.get(lang)}" if item is not None else code


def _condition(result: BranchResult, cond: PathCondition, lang: Lang) -> str:
    sep = "; " if lang == "en" else "；"
    if cond.kind == "veto":
        return label("path_veto", lang, rule=_titled(result, cond.codes[0], lang))
    text = label("path_cap", lang, reason=cond.reason.get(lang))
    if cond.codes:
        fixes = sep.join(_titled(result, c, lang) for c in cond.codes)
        text += label("path_cap_by", lang, rules=fixes)
    else:
        text += label("path_cap_no_item", lang)
    if cond.restores:
        text += label("path_restores", lang, n=fmt_num(cond.restores))
    return text


def path_lines(result: BranchResult, lang: Lang = "zh") -> list[str]:
    """The path as lines (no indentation): the target, the conditions, the numbered steps. At the top band,
    one line saying so."""
    path = result.path
    if path is None:
        return [label("path_top", lang)]
    target = path.target.name.get(lang)
    lines = [label("path_target", lang, grade=target, min=fmt_num(path.target_min))]
    if path.conditions:
        lines.append(label("path_conditions", lang))
        lines += [f"· {_condition(result, c, lang)}" for c in path.conditions]
    if not path.reachable:
        points = fmt_num(sum(s.points for s in result.scores))
        lines.append(label("path_unreachable", lang, grade=target, points=points))
        return lines
    if not path.steps:
        lines.append(label("path_no_steps", lang, grade=target, total=fmt_num(path.total)))
        return lines
    lines.append(label("path_steps_then" if path.conditions else "path_steps", lang, n=len(path.steps)))
    indicators = {s.id: s.name.get(lang) for s in result.scores}
    for n, step in enumerate(path.steps, start=1):
        where = indicators.get(step.indicator or "", step.indicator or "")
        where = (f" [{where}]" if lang == "en" else f"［{where}］") if where else ""
        gain = (
            label("path_gain", lang, n=fmt_num(step.restores))
            if step.restores
            else label("path_gain_floored", lang)
        )
        lines.append(
            label("path_step", lang, n=n, rule=f"{step.code} {step.title.get(lang)}{where}", gain=gain)
            + label("path_total_after", lang, total=fmt_num(step.total))
        )
    return lines


def path_text(result: BranchResult, lang: Lang = "zh") -> str:
    """The path as one multi-line text (a cell's value)."""
    return "\n".join(path_lines(result, lang))
