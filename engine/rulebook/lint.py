"""``rules lint``: every problem of a profile folder at once, beyond what the loader refuses.

The loader stops a broken rulebook from being used; lint explains what is wrong *and* what is merely
suspicious, in one pass. The codes, their severities, messages and fixes are the catalogue in
``schemas/lint_codes.py`` (rendered into docs/lint-codes.md): L0x what the loader refuses, L1x grade bands,
L2x one rule, L3x parameters, deadlines and facts, L4x the rules' examples (run with their own ``params``).
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from engine.rulebook.compiled import CompiledRule, compile_rule, compile_rules, rule_status
from engine.rulebook.conditions import BoolConst, ConditionError, parse
from engine.rulebook.loader import (
    PROFILE_FILE,
    REPO_ROOT,
    RulebookError,
    _retired,
    find_profile_dir,
    load_profile,
    read_profile_data,
    rule_files,
)
from engine.rulebook.reference import ReferenceEvaluator
from engine.rulebook.values import Norm, normalise_values
from schemas.common import Frozen, Lang, Scalar, Severity, Status, Text
from schemas.facts import FACT_PARAMS, form_facts
from schemas.lint_codes import LINT_CATALOGUE, lint_text
from schemas.rules import Example, Profile, RuleSpec

if TYPE_CHECKING:
    from engine.rulebook.durable_adapter import DurableEvaluator


class LintIssue(Frozen):
    code: str  # L01 …
    severity: Severity
    file: str
    message: Text
    fix: Text

    def render(self, lang: Lang = "zh") -> str:
        fix = "Fix" if lang == "en" else "修改"
        message, how = self.message.get(lang), self.fix.get(lang)
        return f"{self.code} {self.severity.value} {self.file}: {message} — {fix}: {how}"


def _issue(code: str, file: str, **ctx: Scalar | Text) -> LintIssue:
    """The issue ``code`` of the catalogue at ``file``: its severity, message and fix, ``ctx`` filled in."""
    message, fix = lint_text(code, **ctx)
    return LintIssue(code=code, severity=LINT_CATALOGUE[code].severity, file=file, message=message, fix=fix)


# --- the loader's problems -----------------------------------------------------------------------------

# Which catalogue code a loader problem is, by its wording (the first pattern that matches; else L01).
_LOADER_CLASSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"duplicate code"), "L03"),
    (re.compile(r"is retired"), "L04"),
    (re.compile(r"alias"), "L05"),
    (
        re.compile(
            r"unknown name|is not a fact|neither a profile parameter|unknown (facts|parameters|indicator)"
        ),
        "L02",
    ),
    (re.compile(r"max_grade|is not a grade"), "L14"),
    (re.compile(r"lifted_by names"), "L15"),
    (re.compile(r"needs at least one example expecting"), "L42"),
)


def _display(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _loader_issues(profile_dir: Path, problems: Iterable[tuple[str, str]]) -> list[LintIssue]:
    out: list[LintIssue] = []
    for where, problem in problems:
        file = _display(profile_dir / where) if not Path(where).is_absolute() else _display(Path(where))
        code = next((c for pattern, c in _LOADER_CLASSES if pattern.search(problem)), "L01")
        out.append(_issue(code, file, problem=problem))
    return out


def _lenient(profile_dir: Path) -> tuple[Profile | None, dict[str, str]]:
    """The profile with every rule file that parses and compiles (first of a duplicated code), so the
    remaining checks still run on a rulebook the loader refuses. Returns (profile, code → file)."""
    ignored: list[tuple[str, str]] = []
    folders, data = read_profile_data(profile_dir, ignored)
    if data is None:
        return None, {}
    data.pop("rules", None)
    data.pop("retired", None)
    retired = {code: why for folder in folders for code, why in _retired(folder, ignored).items()}
    try:
        base = Profile.model_validate({**data, "retired": retired})
    except ValidationError:
        return None, {}
    rules: dict[str, RuleSpec] = {}
    files: dict[str, str] = {}
    for _, path in rule_files(folders).values():
        try:
            with path.open("rb") as fh:
                rule = RuleSpec.model_validate(tomllib.load(fh))
            compile_rule(rule, base)
        except (OSError, tomllib.TOMLDecodeError, ValidationError, ConditionError):
            continue
        if rule.code not in rules:
            rules[rule.code] = rule
            files[rule.code] = _display(path)
    profile = base.model_copy(update={"rules": tuple(sorted(rules.values(), key=lambda r: r.code))})
    return profile, files


# --- grade bands -----------------------------------------------------------------------------------------


def _round(x: float) -> float:
    return round(x, 2) + 0.0  # as engine.grading rounds scores


def _score_band(total: float, profile: Profile) -> int:
    for i, band in enumerate(profile.grading.grades):
        if total >= band.min:
            return i
    return len(profile.grading.grades) - 1


def _rule_deductions(rule: RuleSpec, profile: Profile) -> set[float]:
    """Every deduction one rule can take: 0 (passed / not applicable), each per-period step when failed,
    its ceiling when not evidenced (if the policy deducts for that)."""
    if rule.kind != "deduction" or (rule.years and not set(rule.years) & set(profile.years)):
        return {0.0}
    d = rule.deduction
    out = {0.0}
    if (d.per_period or d.per_part) and d.points > 0:
        steps = max(1, math.ceil(d.ceiling / d.points))
        out |= {min(d.points * k, d.ceiling) for k in range(1, steps + 1)}
    else:
        out.add(d.points)
    if profile.grading.not_evidenced_deducts:
        out.add(d.ceiling)
    return out


def achievable_totals(profile: Profile) -> set[float]:
    """Every total score some combination of rule outcomes gives (each indicator floored at 0)."""
    totals = {0.0}
    for ind in profile.grading.indicators:
        taken = {0.0}
        for rule in profile.rules:
            if rule.indicator == ind.id:
                taken = {
                    min(ind.points, _round(a + b)) for a in taken for b in _rule_deductions(rule, profile)
                }
        scores = {_round(max(0.0, ind.points - t)) for t in taken}
        totals = {_round(a + b) for a in totals for b in scores}
    return totals


def _band_issues(profile: Profile, file: str) -> list[LintIssue]:
    out: list[LintIssue] = []
    grades = profile.grading.grades
    if not grades:
        return [_issue("L01", file, problem="no grade bands: add [[grading.grades]]")]
    for prev, band in itertools.pairwise(grades):
        if band.min >= prev.min:
            out.append(_issue("L10", file, band=band.code, min=band.min, prev=prev.code, prev_min=prev.min))
    lowest = grades[-1]
    if lowest.min != 0:
        out.append(_issue("L11", file, band=lowest.code, min=lowest.min))
    top_points = math.fsum(i.points for i in profile.grading.indicators)
    if grades[0].min > top_points:
        out.append(_issue("L12", file, band=grades[0].code, min=grades[0].min, points=top_points))
    # Which bands can a branch end in? By score, then a cap or a veto can only make the grade worse.
    codes = [g.code for g in grades]
    by_score = {_score_band(t, profile) for t in achievable_totals(profile)}
    reachable = set(by_score)
    for cap in profile.grading.caps:
        if cap.max_grade in codes and by_score and min(by_score) <= codes.index(cap.max_grade):
            reachable.add(codes.index(cap.max_grade))
    if profile.grading.veto_grade in codes and any(r.kind == "veto" for r in profile.rules):
        reachable.add(codes.index(profile.grading.veto_grade))
    totals = sorted(achievable_totals(profile))
    for i, band in enumerate(grades):
        if i in reachable or (i == 0 and grades[0].min > top_points):
            continue  # the top band out of reach is L12 already
        out.append(
            _issue(
                "L13",
                file,
                band=band.code,
                name=band.name,
                low=totals[0],
                high=totals[-1],
                count=len(totals),
            )
        )
    return out


def _policy_issues(profile: Profile, file: str) -> list[LintIssue]:
    """The scoring policy's weights and quotas (docs/scoring-policy.md)."""
    policy = profile.policy
    if policy is None:
        return []
    out: list[LintIssue] = []
    if policy.weights is not None:
        w = policy.weights
        total = _round(w.evidence + w.review)
        if total != 1:
            out.append(_issue("L16", file, evidence=w.evidence, review=w.review, sum=total))
    codes = [g.code for g in profile.grading.grades]
    for n, quota in enumerate(policy.quotas, start=1):
        if quota.grade not in codes:
            continue  # the loader refuses it (L14)
        q = codes.index(quota.grade)
        if quota.max_share is not None and q == len(codes) - 1:
            why = Text(
                zh=f"上限设在最低等次 {quota.grade}，超出者无处可降",
                en=f"it caps the lowest band {quota.grade}: there is no band to move branches down to",
            )
            out.append(_issue("L17", file, n=n, why=why))
        elif quota.max_share == 0:
            bands = "、".join(codes[: q + 1])
            why = Text(zh="上限比例为 0", en="its share is 0")
            out.append(_issue("L18", file, n=n, bands=bands, why=why))
        elif quota.min_share == 1 and q > 0:
            bands = "、".join(codes[:q])
            why = Text(
                zh=f"要求全部支部为 {quota.grade} 或更低",
                en=f"every branch must be at {quota.grade} or below",
            )
            out.append(_issue("L18", file, n=n, bands=bands, why=why))
    return out


# --- rules -------------------------------------------------------------------------------------------


def _rule_issues(rule: RuleSpec, compiled: CompiledRule, profile: Profile, file: str) -> list[LintIssue]:
    out: list[LintIssue] = []
    points = {i.id: i.points for i in profile.grading.indicators}
    ceiling = rule.deduction.ceiling
    if rule.kind == "deduction" and rule.indicator in points and ceiling > points[rule.indicator]:
        out.append(
            _issue(
                "L20",
                file,
                rule=rule.code,
                ceiling=ceiling,
                indicator=rule.indicator,
                points=points[rule.indicator],
            )
        )
    if rule.kind == "veto" and (rule.deduction.points > 0 or (rule.deduction.max or 0) > 0):
        out.append(_issue("L21", file, rule=rule.code, ceiling=ceiling))
    if rule.kind == "deduction" and ceiling <= 0:
        out.append(_issue("L22", file, rule=rule.code))
    if rule.kind == "suggestion" and ceiling > 0:
        out.append(_issue("L23", file, rule=rule.code, ceiling=ceiling))
    years = ", ".join(map(str, rule.years))
    if rule.years and not set(rule.years) & set(profile.years):
        why = Text(
            zh=f"只适用于 {years} 年，本规则集是 {profile.years_shown} 年，永远不适用",
            en=f"limited to years {years}; this profile is {profile.years_shown}, so it never applies",
        )
        out.append(_issue("L24", file, rule=rule.code, why=why))
    elif compiled.applies.expr == BoolConst(False):
        why = Text(zh="applies 恒为假，永远不适用", en="applies is always false, so the rule never applies")
        out.append(_issue("L24", file, rule=rule.code, why=why))
    if compiled.condition.expr == BoolConst(True):
        why = Text(
            zh="condition 恒为真（不读取任何事实），永远不会不通过",
            en="condition is always true (it reads no fact), so the rule can never fail",
        )
        out.append(_issue("L24", file, rule=rule.code, why=why))
    return out


def _own_statuses(rule: RuleSpec, ex: Example, profile: Profile, with_durable: bool) -> dict[str, Status]:
    """An example with ``params``: its rule alone, on a copy of the profile with those parameters."""
    from engine.rulebook.durable_adapter import DurableEvaluator

    own = profile.with_params(ex.params, (rule,))
    got = {"reference": ReferenceEvaluator(own).statuses(ex.facts)[rule.code]}
    if with_durable:
        with DurableEvaluator(own) as durable:
            got["durable"] = durable.statuses(ex.facts)[rule.code]
    return got


def _run_examples(
    profile: Profile, durable: DurableEvaluator | None
) -> dict[tuple[str, str], dict[str, Status] | Exception]:
    """Each example's status by each evaluator, or the error it raised, by (rule code, example name).

    Only the example's own rule is read. Examples without ``params`` go to the engine together, in its
    batches; should the batch fail, each is sent alone, so the error is pinned on its example."""
    compiled = {r.code: r for r in compile_rules(profile)}
    results: dict[tuple[str, str], dict[str, Status] | Exception] = {}
    pending: list[tuple[tuple[str, str], dict[str, Status], Mapping[str, Norm]]] = []
    for rule in profile.rules:
        for ex in rule.examples:
            key = (rule.code, ex.name)
            try:
                if ex.params:
                    results[key] = _own_statuses(rule, ex, profile, durable is not None)
                    continue
                env = normalise_values(ex.facts)
                results[key] = got = {"reference": rule_status(compiled[rule.code], env)}
                pending.append((key, got, env))
            except Exception as exc:  # reported; the other examples still run
                results[key] = exc
    if durable is None or not pending:
        return results
    try:
        batch: list[dict[str, Status]] | None = durable.decide_all([env for _, _, env in pending])
    except Exception:
        batch = None
    for i, (key, got, alone) in enumerate(pending):
        try:
            got["durable"] = (batch[i] if batch is not None else durable.decide_all([alone])[0])[key[0]]
        except Exception as exc:
            results[key] = exc
    return results


def _example_issues(profile: Profile, files: dict[str, str], pfile: str) -> list[LintIssue]:
    from engine.rulebook.choice import durable_available
    from engine.rulebook.durable_adapter import DurableEvaluator

    out: list[LintIssue] = []
    try:  # where durable_rules is not installed, the examples are checked by the reference evaluator alone
        durable: DurableEvaluator | None = DurableEvaluator(profile) if durable_available() else None
    except Exception as exc:  # a rulebook the engine cannot compile is a finding
        durable = None
        problem = Text(zh=f"durable_rules 无法编译：{exc}", en=f"durable_rules cannot compile it: {exc}")
        out.append(_issue("L41", pfile, subject=Text(zh="本规则集", en="this profile"), problem=problem))
    try:
        outcomes = _run_examples(profile, durable)
        for rule in profile.rules:
            file = files.get(rule.code, pfile)
            for ex in rule.examples:
                subject = Text(zh=f"{rule.code} 示例 {ex.name!r}", en=f"{rule.code} example {ex.name!r}")
                got = outcomes[(rule.code, ex.name)]
                if isinstance(got, Exception):
                    problem = Text(zh=f"无法运行：{got}", en=f"cannot be evaluated: {got}")
                    out.append(_issue("L41", file, subject=subject, problem=problem))
                    continue
                if len(set(got.values())) > 1:
                    shown = ", ".join(f"{k} {v.value}" for k, v in got.items())
                    problem = Text(
                        zh=f"两个求值器结果不一致（{shown}）", en=f"the evaluators disagree ({shown})"
                    )
                    out.append(_issue("L41", file, subject=subject, problem=problem))
                    continue
                actual = next(iter(got.values()))
                if actual != ex.expect:
                    out.append(
                        _issue(
                            "L40",
                            file,
                            rule=rule.code,
                            example=repr(ex.name),
                            expect=ex.expect.value,
                            actual=actual.value,
                        )
                    )
            expects = {ex.expect for ex in rule.examples}
            # Only ``applies`` can be exercised by an example: examples run under the profile's own year,
            # so a rule restricted by ``years`` alone can never reach not_applicable there.
            restricted = rule.applies.strip() != "true"
            if restricted and Status.NOT_APPLICABLE not in expects:
                out.append(_issue("L43", file, rule=rule.code, applies=rule.applies))
    finally:
        if durable is not None:
            durable.close()
    return out


# --- parameters and facts ----------------------------------------------------------------------------


def _names(text: str) -> set[str]:
    try:
        return set(parse(text).names())
    except ConditionError:
        return set()


def _usage_issues(profile: Profile, pfile: str) -> list[LintIssue]:
    used: set[str] = set()
    for rule in profile.rules:
        used |= _names(rule.applies) | _names(rule.condition) | {rule.actual, rule.expected, rule.deadline}
    for cap in profile.grading.caps:
        used |= _names(cap.when)
    for kpi in profile.grading.kpis:
        used |= _names(kpi.population) | _names(kpi.met)
    out: list[LintIssue] = []
    for name in sorted(profile.params):
        if name not in used and name not in FACT_PARAMS:
            out.append(_issue("L30", pfile, name=name))
    for name, day in sorted(profile.deadlines.items()):
        # A window that ends (or starts) at a deadline uses it: that is how a date is stated once.
        ends = {profile.window.start, profile.window.end, profile.year_window.start, profile.year_window.end}
        if name not in used and day not in ends:
            out.append(_issue("L32", pfile, name=name, date=day.isoformat()))
    catalogue = form_facts(profile.form)
    for name in sorted(catalogue):
        if name not in used:
            out.append(
                _issue(
                    "L31",
                    "schemas/facts.py",
                    name=name,
                    title=Text(zh=catalogue[name].zh, en=catalogue[name].en),
                )
            )
    return out


# --- entry point -------------------------------------------------------------------------------------

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def lint_profile(name_or_path: str | Path, rules_root: Path | None = None) -> list[LintIssue]:
    """Every lint issue of a profile, errors first. Raises ``RulebookError`` only when there is no
    profile folder at all (a usage error, not a lint finding)."""
    profile_dir = find_profile_dir(name_or_path, rules_root)
    issues: list[LintIssue] = []
    try:
        loaded = load_profile(profile_dir)
        folders = read_profile_data(profile_dir, [])[0]
        files = {path.stem: _display(path) for _, path in rule_files(folders).values()}
        profile: Profile | None = loaded
    except RulebookError as exc:
        issues += _loader_issues(profile_dir, exc.problems)
        profile, files = _lenient(profile_dir)
    if profile is not None:
        pfile = _display(profile_dir / PROFILE_FILE)
        issues += _band_issues(profile, pfile)
        issues += _policy_issues(profile, pfile)
        for rule in profile.rules:
            issues += _rule_issues(
                rule, compile_rule(rule, profile), profile, files.get(rule.code, rule.code)
            )
        issues += _example_issues(profile, files, pfile)
        issues += _usage_issues(profile, pfile)
    return sorted(issues, key=lambda i: (_ORDER[i.severity], i.code, i.file))


def counts(issues: Iterable[LintIssue]) -> dict[Severity, int]:
    out = dict.fromkeys(Severity, 0)
    for issue in issues:
        out[issue.severity] += 1
    return out
