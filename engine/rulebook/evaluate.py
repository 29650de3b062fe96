"""The rulebook stage: BranchFacts + Profile + an evaluator → Evaluation (trace, findings, caps).

The evaluator only decides each rule's status; everything a person reads — message, shortfall periods,
deduction, deadline, evidence cells — is rendered here in plain Python from the rule's spec, so both
evaluators produce byte-identical Evaluations.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

from engine.rulebook.compiled import CompiledRule, compile_rules
from engine.rulebook.conditions import Bound, parse
from engine.rulebook.values import normalise_values
from schemas.common import Evidence, Finding, Scalar, Severity, Status, Text
from schemas.facts import FACTS, BranchFacts, Fact, FactValue
from schemas.results import Evaluation, RuleTrace
from schemas.rules import Cap, ParamValue, Profile, RuleSpec

END_OF_NEXT_MONTH = "end_of_next_month"


class Evaluator(Protocol):
    def statuses(self, values: Mapping[str, FactValue]) -> dict[str, Status]: ...

    def close(self) -> None: ...


def open_evaluator(profile: Profile, engine: Literal["durable", "reference"] = "durable") -> Evaluator:
    """The durable_rules evaluator (the required engine) or the plain-Python reference one."""
    if engine == "reference":
        from engine.rulebook.reference import ReferenceEvaluator

        return ReferenceEvaluator(profile)
    from engine.rulebook.durable_adapter import DurableEvaluator

    return DurableEvaluator(profile)


# --- compiled profile cache: binding conditions costs ~1 ms, a batch evaluates thousands of branches ----


@dataclass(frozen=True)
class _CompiledProfile:
    rules: tuple[CompiledRule, ...]
    caps: tuple[tuple[Cap, Bound], ...]
    kpis: tuple[tuple[str, Bound, Bound], ...]  # code, population, met (branch-scoped KPIs only)


_CACHE: dict[int, tuple[Profile, _CompiledProfile]] = {}


def _compiled(profile: Profile) -> _CompiledProfile:
    hit = _CACHE.get(id(profile))
    if hit is not None and hit[0] is profile:  # the profile itself is kept, so its id cannot be reused
        return hit[1]
    where = f"rules/{profile.name}/profile.toml"
    compiled = _CompiledProfile(
        rules=compile_rules(profile),
        caps=tuple(
            (cap, parse(cap.when, f"{where} [grading.caps]").bind(profile.params))
            for cap in profile.grading.caps
        ),
        kpis=tuple(
            (
                kpi.code,
                parse(kpi.population, f"{where} [grading.kpis]").bind(profile.params),
                parse(kpi.met, f"{where} [grading.kpis]").bind(profile.params),
            )
            for kpi in profile.grading.kpis
            if kpi.scope == "branches"
        ),
    )
    if len(_CACHE) >= 8:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[id(profile)] = (profile, compiled)
    return compiled


# --- formatting ---------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})H([12])$")
_ZH_QUARTER = {"1": "第一季度", "2": "第二季度", "3": "第三季度", "4": "第四季度"}
_ZH_HALF = {"1": "上半年", "2": "下半年"}
_EN_MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _period_parts(key: str) -> tuple[str | None, str, str]:
    """(year, zh label without year, en label) of a series key; year None for a person."""
    if m := _MONTH.match(key):
        year, month = m.group(1), int(m.group(2))
        return year, f"{month}月", f"{_EN_MONTH[month - 1]} {year}"
    if m := _QUARTER.match(key):
        return m.group(1), _ZH_QUARTER[m.group(2)], f"Q{m.group(2)} {m.group(1)}"
    if m := _HALF.match(key):
        return m.group(1), _ZH_HALF[m.group(2)], f"H{m.group(2)} {m.group(1)}"
    return None, key, key


def format_periods(keys: list[str]) -> Text:
    """Series keys as text: months "2012年7月、8月" / "Jul 2012, Aug 2012"; quarters "2012年第三季度" /
    "Q3 2012"; halves "2012年上半年" / "H1 2012"; person names as they are. The year is written once
    per run of keys in the same year in Chinese."""
    zh: list[str] = []
    en: list[str] = []
    last_year: str | None = None
    for key in keys:
        year, zh_label, en_label = _period_parts(key)
        if year is None:
            zh.append(zh_label)
            last_year = None
        else:
            zh.append(zh_label if year == last_year else f"{year}年{zh_label}")
            last_year = year
        en.append(en_label)
    return Text(zh="、".join(zh), en=", ".join(en))


def _number_text(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{round(v, 4):g}"


_DATE_SUFFIXES = ("_date", "_due", "_from", "_to")


def format_value(value: object, name: str = "", lang: Literal["zh", "en"] = "zh") -> str:
    """A fact or parameter value as a person reads it; rates (names ending in ``rate``) as percentages."""
    if value is None:
        return "无" if lang == "zh" else "none"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int) and name.endswith(_DATE_SUFFIXES) and 19000101 <= value <= 21001231:
        # Dates travel through facts and parameters as yyyymmdd integers (comparable by the engine).
        y, m, d = value // 10000, value // 100 % 100, value % 100
        return f"{y}年{m}月{d}日" if lang == "zh" else f"{y}-{m:02d}-{d:02d}"
    if isinstance(value, int | float):
        if name.endswith("rate") and 0 <= value <= 1:
            return _number_text(round(value * 100, 2)) + "%"
        return _number_text(value)
    if isinstance(value, list):
        return ("、" if lang == "zh" else ", ").join(format_value(v, name, lang) for v in value)
    return str(value)


class _Template(dict[str, str]):
    def __missing__(self, key: str) -> str:  # the loader checks placeholders; never fail on rendering
        return "{" + key + "}"


# --- per rule ---------------------------------------------------------------------------------------------


def _expected(rule: RuleSpec, params: Mapping[str, ParamValue]) -> Scalar:
    if rule.expected in params:
        value = params[rule.expected]
        return None if isinstance(value, list) else value
    if rule.expected in ("true", "false"):
        return rule.expected == "true"
    number = float(rule.expected)
    return int(number) if number.is_integer() else number


def _short_periods(fact: Fact | None, expected: Scalar) -> list[str]:
    if fact is None or not fact.series or isinstance(expected, bool) or not isinstance(expected, int | float):
        return []
    return sorted(key for key, value in fact.series.items() if value < expected)


def _deduction(rule: RuleSpec, status: Status, n_short: int, profile: Profile) -> float:
    if status is Status.FAILED:
        if rule.deduction.per_period:
            return min(rule.deduction.points * max(n_short, 1), rule.deduction.ceiling)
        return rule.deduction.points
    if status is Status.NOT_EVIDENCED and profile.grading.not_evidenced_deducts:
        return rule.deduction.ceiling
    return 0.0


def _end_of_month_after(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def resolve_deadline(rule: RuleSpec, profile: Profile, filled: date | None = None) -> date:
    """A rule's rectification deadline, never from today's date (results must be reproducible).

    * a profile deadline name (``self_check`` …) → that date;
    * ``end_of_next_month`` → the last day of the month after ``filled`` (the form's date, when the
      caller knows it) or, by default, after the end of the profile's assessment window: the window end
      is the data cut-off the findings speak for (for loudi-2012, the 12-10 self-check → 2013-01-31),
      so the deadline can never fall before the facts it asks to correct were collected;
    * ``YYYY-MM-DD`` → that date.
    """
    if rule.deadline in profile.deadlines:
        return profile.deadlines[rule.deadline]
    if rule.deadline == END_OF_NEXT_MONTH:
        return _end_of_month_after(filled or profile.window.end)
    return date.fromisoformat(rule.deadline)


def _evidence(facts: BranchFacts, names: list[str]) -> tuple[Evidence, ...]:
    seen: dict[Evidence, None] = {}
    for name in names:
        fact = facts.facts.get(name)
        if fact is not None:
            for ev in fact.evidence:
                seen.setdefault(ev, None)
    return tuple(seen)


def _not_evidenced_text(rule: RuleSpec, missing: list[str]) -> Text:
    if rule.not_evidenced is not None:
        return rule.not_evidenced
    zh_names = "、".join(f"“{FACTS[n].zh}”" if n in FACTS else n for n in missing)
    en_names = ", ".join(f"'{FACTS[n].en}'" if n in FACTS else n for n in missing)
    return Text(
        zh=f"缺少{zh_names}的记录，无法核实：{rule.title.zh}",
        en=f"No record of {en_names}, so '{rule.title.en}' cannot be verified",
    )


def evaluate(
    facts: BranchFacts, profile: Profile, evaluator: Evaluator, *, filled: date | None = None
) -> Evaluation:
    """Every rule's trace, a finding for each FAILED / NOT_EVIDENCED rule, and the caps that hold."""
    compiled_profile = _compiled(profile)
    rules, caps = compiled_profile.rules, compiled_profile.caps
    values = facts.values()
    statuses = evaluator.statuses(values)
    norm = normalise_values(values)
    trace: list[RuleTrace] = []
    findings: list[Finding] = []
    for compiled in rules:
        rule = compiled.spec
        status = statuses[rule.code]
        cond_refs = sorted(compiled.condition.references())
        applies_refs = sorted(compiled.applies.references() - set(cond_refs))
        fact = facts.facts.get(rule.actual)
        expected = _expected(rule, profile.params)
        actual: Scalar = fact.value if fact is not None else None
        ctx: dict[str, Scalar] = {"expected": expected, "actual": actual}
        deduction = 0.0
        message: Text | None = None
        if status is Status.FAILED:
            short = _short_periods(fact, expected)
            periods = format_periods(short) if short else None
            unit = FACTS.get(rule.actual)
            ctx.update(
                shortfall=periods.zh if periods else format_value(actual, rule.actual, "zh"),
                shortfall_en=periods.en if periods else format_value(actual, rule.actual, "en"),
                short_periods=len(short),
                unit=unit.unit_zh if unit else "",
                unit_en=unit.unit_en if unit else "",
            )
            deduction = _deduction(rule, status, len(short), profile)
            message = Text(
                zh=rule.message.zh.format_map(_render_ctx(rule, fact, ctx, expected, "zh")),
                en=rule.message.en.format_map(_render_ctx(rule, fact, ctx, expected, "en")),
            )
        elif status is Status.NOT_EVIDENCED:
            missing = [n for n in cond_refs if norm.get(n) is None]
            ctx["missing"] = ", ".join(missing)
            deduction = _deduction(rule, status, 0, profile)
            message = _not_evidenced_text(rule, missing)
        trace.append(
            RuleTrace(
                code=rule.code,
                title=rule.title,
                indicator=rule.indicator,
                kind=rule.kind,
                status=status,
                ctx=ctx,
                evidence=_evidence(facts, [rule.actual, *cond_refs, *applies_refs]),
                deduction=deduction,
            )
        )
        if message is not None:
            findings.append(
                Finding(
                    code=rule.code,
                    status=status,
                    severity=Severity.INFO if rule.kind == "suggestion" else Severity.ERROR,
                    kind=rule.kind,
                    title=rule.title,
                    message=message,
                    ctx=ctx,
                    evidence=_evidence(facts, [rule.actual, *cond_refs]),
                    rectification=rule.rectification,
                    owner=rule.owner,
                    deadline=resolve_deadline(rule, profile, filled),
                    source=rule.source,
                    indicator=rule.indicator,
                    deduction=deduction,
                )
            )
    held = tuple(cap for cap, cond in caps if cond.evaluate(norm) is True)  # missing facts → not triggered
    kpi_flags: dict[str, bool] = {}
    for code, population, met in compiled_profile.kpis:
        outcome = met.evaluate(norm)
        if population.evaluate(norm) is True and outcome is not None:  # undecided branches are left out
            kpi_flags[code] = outcome
    return Evaluation(
        identity=facts.identity,
        profile=profile.name,
        facts=dict(values),
        trace=tuple(trace),
        findings=tuple(findings),
        caps=held,
        kpi_flags=kpi_flags,
    )


def _render_ctx(
    rule: RuleSpec, fact: Fact | None, ctx: Mapping[str, Scalar], expected: Scalar, lang: Literal["zh", "en"]
) -> _Template:
    suffix = "" if lang == "zh" else "_en"
    detail = fact.detail.get(lang) if fact is not None and fact.detail is not None else ""
    return _Template(
        actual=format_value(ctx.get("actual"), rule.actual, lang),
        expected=format_value(expected, rule.expected, lang),
        shortfall=str(ctx.get("shortfall" + suffix, "")),
        unit=str(ctx.get("unit" + suffix, "")),
        detail=detail,
    )
