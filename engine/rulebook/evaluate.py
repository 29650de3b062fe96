"""The rulebook stage: BranchFacts + Profile + an evaluator → Evaluation (trace, findings, caps).

The evaluator only decides each rule's status; everything a person reads — message, shortfall periods,
deduction, deadline, evidence cells — is rendered here in plain Python from the rule's spec, so both
evaluators produce byte-identical Evaluations.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from engine.rulebook.choice import EvaluatorName
from engine.rulebook.compiled import CompiledRule, compile_rules
from engine.rulebook.conditions import And, Bound, Expr, evaluate_expr, parse
from engine.rulebook.values import Norm, normalise_values
from schemas.common import Evidence, Finding, Scalar, Severity, Status, Text, distinct_cells
from schemas.construct import assemble
from schemas.facts import FACTS, BranchFacts, Fact, FactValue, FactValues
from schemas.results import Evaluation, RuleTrace
from schemas.rules import Cap, ConditionValue, Profile, RuleSpec
from schemas.values import format_value

END_OF_NEXT_MONTH = "end_of_next_month"


class Evaluator(Protocol):
    def statuses(self, values: Mapping[str, FactValue]) -> dict[str, Status]: ...

    def decide_all(self, branches: Sequence[Mapping[str, Norm]]) -> list[dict[str, Status]]: ...

    def close(self) -> None: ...


def open_evaluator(profile: Profile, engine: EvaluatorName = "durable") -> Evaluator:
    """The durable_rules evaluator or the plain-Python reference one (``choice.resolve_evaluator`` says
    which runs here); asking for durable_rules where it is not installed raises ``EvaluatorUnavailable``."""
    if engine == "reference":
        from engine.rulebook.reference import ReferenceEvaluator

        return ReferenceEvaluator(profile)
    from engine.rulebook.durable_adapter import DurableEvaluator

    return DurableEvaluator(profile)


# --- compiled profile cache: conditions are bound once per profile, not once per branch -------------------


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
            (cap, parse(cap.when, f"{where} [grading.caps]").bind(profile.condition_params))
            for cap in profile.grading.caps
        ),
        kpis=tuple(
            (
                kpi.code,
                parse(kpi.population, f"{where} [grading.kpis]").bind(profile.condition_params),
                parse(kpi.met, f"{where} [grading.kpis]").bind(profile.condition_params),
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


class _Template(dict[str, str]):
    def __missing__(self, key: str) -> str:  # the loader checks placeholders; never fail on rendering
        return "{" + key + "}"


# --- per rule ---------------------------------------------------------------------------------------------


def _expected(rule: RuleSpec, params: Mapping[str, ConditionValue]) -> Scalar:
    if rule.expected in params:
        value = params[rule.expected]
        return None if isinstance(value, list) else value
    if rule.expected in ("true", "false"):
        return rule.expected == "true"
    number = float(rule.expected)
    return int(number) if number.is_integer() else number


def _short_periods(series: Mapping[str, float] | None, expected: Scalar) -> list[str]:
    """The periods (series keys) whose value falls short of ``expected``, sorted."""
    if not series or isinstance(expected, bool) or not isinstance(expected, int | float):
        return []
    return sorted(key for key, value in series.items() if value < expected)


def _shortfalls(plan: _RulePlan, short: Sequence[str], values: Mapping[str, FactValue]) -> int:
    """What a failed rule's deduction multiplies: the unmet ``and`` parts of its condition for a
    ``per_part`` deduction, else the periods that fall short."""
    if plan.rule.spec.deduction.per_part:
        return unmet_parts(plan.rule.condition.expr, values)
    return len(short)


def unmet_parts(condition: Expr, values: Mapping[str, object]) -> int:
    """How many top-level ``and`` parts of a condition do not hold (a condition without ``and`` is one
    part): what a ``per_part`` deduction multiplies — "no plan −5, no summary −5" is one rule,
    ``annual_plan_done == true and annual_summary_done == true``, taking 5 per document missing."""
    parts = condition.items if isinstance(condition, And) else (condition,)
    return sum(1 for part in parts if evaluate_expr(part, values) is not True)


def _deduction(rule: RuleSpec, status: Status, n_short: int, profile: Profile) -> float:
    if status is Status.FAILED:
        if rule.deduction.per_period or rule.deduction.per_part:
            return min(rule.deduction.points * max(n_short, 1), rule.deduction.ceiling)
        return rule.deduction.points
    if status is Status.NOT_EVIDENCED and profile.grading.not_evidenced_deducts:
        return rule.deduction.ceiling
    return 0.0


def _end_of_month_after(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def resolve_deadline(
    rule: RuleSpec, profile: Profile, filled: date | None = None, issued: date | None = None
) -> date:
    """A rule's rectification deadline, never from today's date (results must be reproducible).

    * a profile deadline name (``self_check`` …) → that date;
    * ``end_of_next_month`` → the last day of the month after ``issued`` (the day the rectification list
      is issued, ``grade --issued``), else after ``filled`` (the form's date, when the caller knows it),
      else after the end of the profile's assessment window: the window end is the data cut-off the
      findings speak for (for loudi-2012, the 12-10 self-check → 2013-01-31), so the deadline can never
      fall before the facts it asks to correct were collected;
    * ``YYYY-MM-DD`` → that date.

    A list never sets a deadline already past on the day it is issued: a deadline before ``issued`` moves
    to the end of the month after it (the team's choice: the same month's grace ``end_of_next_month``
    gives, counted from the day the branch receives the list).
    """
    if rule.deadline in profile.deadlines:
        deadline = profile.deadlines[rule.deadline]
    elif rule.deadline == END_OF_NEXT_MONTH:
        deadline = _end_of_month_after(issued or filled or profile.window.end)
    else:
        deadline = date.fromisoformat(rule.deadline)
    if issued is not None and deadline < issued:
        return _end_of_month_after(issued)
    return deadline


def _cells(facts: Mapping[str, Fact], names: tuple[str, ...]) -> tuple[Evidence, ...]:
    """The cells behind the facts ``names`` (those present), each once."""
    return distinct_cells(fact.evidence for name in names if (fact := facts.get(name)) is not None)


def _not_evidenced_text(rule: RuleSpec, missing: list[str]) -> Text:
    if rule.not_evidenced is not None:
        return rule.not_evidenced
    zh_names = "、".join(f"“{FACTS[n].zh}”" if n in FACTS else n for n in missing)
    en_names = ", ".join(f"'{FACTS[n].en}'" if n in FACTS else n for n in missing)
    return Text(
        zh=f"缺少{zh_names}的记录，无法核实：{rule.title.zh}",
        en=f"No record of {en_names}, so '{rule.title.en}' cannot be verified",
    )


@dataclass(frozen=True)
class _RulePlan:
    """What a rule's trace and finding need that depends on the profile only, worked out once."""

    rule: CompiledRule
    cond_refs: tuple[str, ...]
    trace_names: tuple[str, ...]  # the facts the trace names (actual, condition, applies)
    finding_names: tuple[str, ...]  # facts whose cells the finding shows (actual, condition)
    expected: Scalar
    expected_text: tuple[str, str]  # zh, en
    unit: tuple[str, str]
    severity: Severity
    deadline: date | None  # None when it depends on the form's date (end_of_next_month)


@dataclass(frozen=True)
class _Plans:
    rules: tuple[_RulePlan, ...]
    evidence_names: tuple[str, ...]  # every fact some rule's trace names, sorted: the keys of fact_evidence
    # A passed or not-applicable rule's trace depends only on the rule, its status and its actual value
    # (its type included: 1, 1.0 and True are equal keys but different JSON), so one frozen RuleTrace
    # serves every branch with the same three: a batch's thousands of such traces are a few hundred distinct
    # ones, however many forms it holds. Bounded — cleared when full — so values that never repeat (rates
    # with many decimals) cost a worker at most a few MB and the build they would have cost anyway.
    shared_traces: dict[tuple[int, Status, type, Scalar], RuleTrace] = field(default_factory=dict)


_SHARED_TRACES_MAX = 4096


_PLANS: dict[int, tuple[_CompiledProfile, _Plans]] = {}
_NOT_EVIDENCED: dict[tuple[int, str, tuple[str, ...]], tuple[RuleSpec, Text, Text]] = {}


def _plans(profile: Profile, compiled_profile: _CompiledProfile) -> _Plans:
    hit = _PLANS.get(id(compiled_profile))
    if hit is not None and hit[0] is compiled_profile:
        return hit[1]
    plans: list[_RulePlan] = []
    for compiled in compiled_profile.rules:
        rule = compiled.spec
        cond_refs = tuple(sorted(compiled.condition.references()))
        applies_refs = tuple(sorted(compiled.applies.references() - set(cond_refs)))
        expected = _expected(rule, profile.condition_params)
        # A date parameter or deadline is shown as the date the profile states, not its number.
        shown = stated if isinstance(stated := profile.named_value(rule.expected), date) else expected
        unit = FACTS.get(rule.actual)
        plans.append(
            _RulePlan(
                rule=compiled,
                cond_refs=cond_refs,
                # A repeated name adds no cells (its cells are already in), so names are deduplicated.
                trace_names=tuple(dict.fromkeys((rule.actual, *cond_refs, *applies_refs))),
                finding_names=tuple(dict.fromkeys((rule.actual, *cond_refs))),
                expected=expected,
                expected_text=(
                    format_value(shown, rule.expected, "zh"),
                    format_value(shown, rule.expected, "en"),
                ),
                unit=(unit.unit_zh, unit.unit_en) if unit else ("", ""),
                severity=Severity.INFO if rule.kind == "suggestion" else Severity.ERROR,
                deadline=None if rule.deadline == END_OF_NEXT_MONTH else resolve_deadline(rule, profile),
            )
        )
    planned = _Plans(tuple(plans), tuple(sorted({name for plan in plans for name in plan.trace_names})))
    if len(_PLANS) >= 8:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[id(compiled_profile)] = (compiled_profile, planned)
    return planned


def _both_ways_out(rule: RuleSpec, missing: list[str]) -> Text:
    """The rectification of a requirement left unproven: a blank register is not the same as work not
    done, so the branch is told both ways out — record what was held, or hold it."""
    zh_names = "、".join(f"“{FACTS[n].zh}”" if n in FACTS else n for n in missing)
    en_names = ", ".join(f"'{FACTS[n].en}'" if n in FACTS else n for n in missing)
    return Text(
        zh=f"两种办法：如确已开展，请在工作簿中如实补填{zh_names}的记录并留存佐证材料；"
        f"如尚未开展，{rule.rectification.zh}",
        en=f"Two ways out: if it was done, fill in the record of {en_names} in the workbook and keep the "
        f"evidence; if it was not, {rule.rectification.en[:1].lower()}{rule.rectification.en[1:]}",
    )


def _not_evidenced_cached(rule: RuleSpec, missing: list[str]) -> tuple[Text, Text]:
    """The message and rectification of a not-evidenced finding (a few distinct ones per rule)."""
    key = (id(rule), rule.code, tuple(missing))
    hit = _NOT_EVIDENCED.get(key)
    if hit is not None and hit[0] is rule:  # the rule itself is kept, so its id cannot be reused
        return hit[1], hit[2]
    text, fix = _not_evidenced_text(rule, missing), _both_ways_out(rule, missing)
    if len(_NOT_EVIDENCED) >= 4096:
        _NOT_EVIDENCED.clear()
    _NOT_EVIDENCED[key] = (rule, text, fix)
    return text, fix


def evaluate(
    facts: BranchFacts,
    profile: Profile,
    evaluator: Evaluator,
    *,
    filled: date | None = None,
    issued: date | None = None,
) -> Evaluation:
    """Every rule's trace, a finding for each FAILED / NOT_EVIDENCED rule, and the caps that hold.
    ``issued``: the day the rectification list is issued, from which deadlines are resolved
    (``resolve_deadline``)."""
    return evaluate_many([facts], profile, evaluator, filled=filled, issued=issued)[0]


def evaluate_many(
    branches: Sequence[BranchFacts],
    profile: Profile,
    evaluator: Evaluator,
    *,
    filled: date | None = None,
    issued: date | None = None,
) -> list[Evaluation]:
    """``evaluate`` for several branches with one call to the evaluator, which decides them together (the
    durable engine's cost is per action call, and one call serves a whole batch).

    Traces, findings and messages are made by their validating constructors; each branch's
    ``Evaluation`` is assembled from them and the facts' own models without validating them again
    (schemas/construct.py).
    """
    values = [facts.values() for facts in branches]
    norms = [normalise_values(v) for v in values]
    decided = evaluator.decide_all(norms)
    return [
        _evaluation(facts, v, norm, statuses, profile, filled, issued)
        for facts, v, norm, statuses in zip(branches, values, norms, decided, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class PricedFinding:
    """A finding reduced to what scoring reads: its rule, indicator, kind, status and deduction."""

    code: str
    indicator: str | None
    kind: str
    status: Status
    deduction: float


@dataclass(frozen=True, slots=True)
class Decided:
    """A branch's rule outcomes without their texts or evidence: every rule's status (profile order), the
    priced findings (the rules FAILED or NOT_EVIDENCED, as ``evaluate`` makes findings of them) and the
    caps that hold. What grades the branch — ``engine.grading.scoring`` on these gives ``grade``'s total
    and band — for a caller that needs no message, list or result (a replay)."""

    statuses: dict[str, Status]
    findings: tuple[PricedFinding, ...]
    caps: tuple[Cap, ...]


def decide_many(branches: Sequence[FactValues], profile: Profile, evaluator: Evaluator) -> list[Decided]:
    """``evaluate_many`` cut down to the outcomes and deductions (see ``Decided``): the same statuses,
    deductions and caps, none of the messages, periods' wording, evidence cells or traces."""
    norms = [normalise_values(b.values) for b in branches]
    decided = evaluator.decide_all(norms)
    compiled_profile = _compiled(profile)
    planned = _plans(profile, compiled_profile)
    not_evidenced_deducts = profile.grading.not_evidenced_deducts
    failed, not_evidenced = Status.FAILED, Status.NOT_EVIDENCED
    out = []
    for branch, norm, statuses in zip(branches, norms, decided, strict=True):
        priced = []
        for plan in planned.rules:
            rule = plan.rule.spec
            status = statuses[rule.code]
            if status is failed:
                short = _short_periods(branch.series.get(rule.actual), plan.expected)
                deduction = _deduction(rule, status, _shortfalls(plan, short, branch.values), profile)
            elif status is not_evidenced:
                deduction = rule.deduction.ceiling if not_evidenced_deducts else 0.0
            else:
                continue
            priced.append(PricedFinding(rule.code, rule.indicator, rule.kind, status, float(deduction)))
        held = tuple(cap for cap, cond in compiled_profile.caps if cond.evaluate(norm) is True)
        out.append(Decided(statuses, tuple(priced), held))
    return out


def _trace(plan: _RulePlan, status: Status, ctx: dict[str, Scalar], deduction: float) -> RuleTrace:
    rule = plan.rule.spec
    return RuleTrace(
        code=rule.code,
        title=rule.title,
        indicator=rule.indicator,
        kind=rule.kind,
        status=status,
        ctx=ctx,
        facts=plan.trace_names,
        deduction=deduction,
    )


def _plain_trace(plan: _RulePlan, status: Status, actual: Scalar) -> RuleTrace:
    """The trace of a rule that passed or does not apply: its values, nothing deducted."""
    # ctx keys are added in sorted order (results.json writes maps key-sorted and then needs no copy)
    return _trace(plan, status, {"actual": actual, "expected": plan.expected}, 0.0)


def _evaluation(
    facts: BranchFacts,
    values: dict[str, FactValue],
    norm: dict[str, Norm],
    statuses: dict[str, Status],
    profile: Profile,
    filled: date | None,
    issued: date | None = None,
) -> Evaluation:
    compiled_profile = _compiled(profile)
    caps = compiled_profile.caps
    planned = _plans(profile, compiled_profile)
    fact_map = facts.facts
    not_evidenced_deducts = profile.grading.not_evidenced_deducts
    trace: list[RuleTrace] = []
    findings: list[Finding] = []
    failed, not_evidenced = Status.FAILED, Status.NOT_EVIDENCED
    passed, not_applicable = Status.PASSED, Status.NOT_APPLICABLE
    shared = planned.shared_traces
    for position, plan in enumerate(planned.rules):
        rule = plan.rule.spec
        status = statuses[rule.code]
        fact = fact_map.get(rule.actual)
        expected = plan.expected
        actual: Scalar = fact.value if fact is not None else None
        # (-0.0 == 0.0 but prints differently, NaN never equals itself: neither float is shared)
        if (status is passed or status is not_applicable) and (
            actual.__class__ is not float or (actual and actual == actual)
        ):
            key = (position, status, actual.__class__, actual)
            hit = shared.get(key)
            if hit is None:
                if len(shared) >= _SHARED_TRACES_MAX:
                    shared.clear()
                hit = shared[key] = _plain_trace(plan, status, actual)
            trace.append(hit)
            continue
        # ctx keys are added in sorted order (results.json writes maps key-sorted and then needs no copy)
        ctx: dict[str, Scalar] = {"actual": actual, "expected": expected}
        deduction = 0.0
        message: Text | None = None
        rectification = rule.rectification
        if status is failed:
            short = _short_periods(fact.series if fact is not None else None, expected)
            periods = format_periods(short) if short else None
            ctx.update(
                short_periods=len(short),
                shortfall=periods.zh if periods else format_value(actual, rule.actual, "zh"),
                shortfall_en=periods.en if periods else format_value(actual, rule.actual, "en"),
                unit=plan.unit[0],
                unit_en=plan.unit[1],
            )
            deduction = _deduction(rule, status, _shortfalls(plan, short, values), profile)
            message = Text(
                zh=rule.message.zh.format_map(_render_ctx(plan, fact, ctx, "zh")),
                en=rule.message.en.format_map(_render_ctx(plan, fact, ctx, "en")),
            )
        elif status is not_evidenced:
            missing = [n for n in plan.cond_refs if norm.get(n) is None]
            ctx["missing"] = ", ".join(missing)
            if not_evidenced_deducts:
                deduction = rule.deduction.ceiling
            message, rectification = _not_evidenced_cached(rule, missing)
        trace.append(_trace(plan, status, ctx, deduction))
        if message is not None:
            findings.append(
                Finding(
                    code=rule.code,
                    status=status,
                    severity=plan.severity,
                    kind=rule.kind,
                    title=rule.title,
                    message=message,
                    ctx=ctx,
                    evidence=_cells(fact_map, plan.finding_names),
                    rectification=rectification,
                    owner=rule.owner,
                    deadline=resolve_deadline(rule, profile, filled, issued)
                    if issued is not None or plan.deadline is None
                    else plan.deadline,
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
    kpi_flags = dict(sorted(kpi_flags.items()))  # a data-keyed map: sorted, as results.json promises
    fact_evidence = {}
    for name in planned.evidence_names:  # sorted, as results.json writes data-keyed maps
        fact = fact_map.get(name)
        if fact is not None and fact.evidence:
            fact_evidence[name] = fact.evidence
    return assemble(
        Evaluation,
        {
            "identity": facts.identity,
            "profile": profile.name,
            "facts": dict(values),
            "fact_evidence": fact_evidence,
            "trace": tuple(trace),
            "findings": tuple(findings),
            "caps": held,
            "kpi_flags": kpi_flags,
            "warnings": facts.warnings,
        },
    )


def _render_ctx(
    plan: _RulePlan, fact: Fact | None, ctx: Mapping[str, Scalar], lang: Literal["zh", "en"]
) -> _Template:
    """The values a rule's message template may name, in ``lang`` (the expected value's text was worked
    out once per profile)."""
    suffix = "" if lang == "zh" else "_en"
    detail = fact.detail.get(lang) if fact is not None and fact.detail is not None else ""
    return _Template(
        actual=format_value(ctx.get("actual"), plan.rule.spec.actual, lang),
        expected=plan.expected_text[0 if lang == "zh" else 1],
        shortfall=str(ctx.get("shortfall" + suffix, "")),
        unit=str(ctx.get("unit" + suffix, "")),
        detail=detail,
    )
