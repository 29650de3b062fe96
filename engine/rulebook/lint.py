"""``rules lint``: every problem of a profile folder at once, beyond what the loader refuses.

The loader stops a broken rulebook from being used; lint explains what is wrong *and* what is merely
suspicious, in one pass. Checks (code, severity):

* L01 error   — anything else the loader refuses (its ``RulebookError`` problems, collected, not raised)
* L02 error   — unknown fact, parameter or indicator (conditions, ``actual``, ``expected``, examples)
* L03 error   — duplicate rule code
* L04 error   — retired code reused
* L10 error   — grade bands not ordered best first with strictly decreasing minimums (overlap)
* L11 error   — the lowest band's minimum is not 0 (a gap below it)
* L12 error   — the top band is out of reach: the indicators' points add up to less than its minimum
* L13 error   — a band no branch can reach: no achievable total (given the indicators' points and the
  rules' possible deductions) falls in it, and no veto or cap leads to it
* L14 error   — a cap's ``max_grade`` (or ``veto_grade`` / ``kpi_grade``) is not a band
* L20 warning — a rule can deduct more than its indicator's points
* L21 error   — a veto rule with a non-zero deduction (grading ignores it)
* L22 error   — a deduction rule whose deduction is 0 (it can never take a point)
* L23 warning — a suggestion with a non-zero deduction (grading ignores it)
* L24 warning — a rule that can never fail (condition always true) or never apply
* L30 warning — a parameter used by no rule, no cap and not by the facts stage (dead parameter)
* L31 info    — a fact of the catalogue used by no rule and no cap
* L40 error   — an example whose ``expect`` differs from what an evaluator (reference or durable) gives
* L41 error   — an example the evaluators cannot run, or on which they disagree with each other
* L42 error   — a rule with no example expecting ``passed`` or none expecting ``failed``
* L43 warning — a rule with an ``applies`` condition but no example reaching ``not_applicable``
"""

from __future__ import annotations

import ast
import itertools
import math
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from engine.rulebook.compiled import CompiledRule, compile_rule
from engine.rulebook.conditions import BoolConst, ConditionError, parse
from engine.rulebook.loader import (
    PROFILE_FILE,
    REPO_ROOT,
    RulebookError,
    _retired,
    find_profile_dir,
    load_profile,
)
from schemas.common import Frozen, Lang, Severity, Status, Text
from schemas.facts import FACTS
from schemas.rules import Profile, RuleSpec

# The facts stage reads some parameters itself (study day, tolerance, quarters …); a parameter named by a
# string literal in its sources is in use even when no rule names it.
FACTS_STAGE = REPO_ROOT / "engine" / "facts"


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


def _issue(code: str, severity: Severity, file: str, zh: str, en: str, fix_zh: str, fix_en: str) -> LintIssue:
    return LintIssue(
        code=code, severity=severity, file=file, message=Text(zh=zh, en=en), fix=Text(zh=fix_zh, en=fix_en)
    )


# --- the loader's problems -----------------------------------------------------------------------------

_LOADER_CLASSES: tuple[tuple[re.Pattern[str], str, Text], ...] = (
    (
        re.compile(r"duplicate code"),
        "L03",
        Text(
            zh="给其中一条规则换一个未用过的编号（文件名随之改名）",
            en="give one of the rules an unused code (and rename its file)",
        ),
    ),
    (
        re.compile(r"is retired"),
        "L04",
        Text(zh="退役编号永不复用：换一个新编号", en="retired codes are never reused: pick a new code"),
    ),
    (
        re.compile(r"unknown name|is not a fact|neither a profile parameter|unknown facts|unknown indicator"),
        "L02",
        Text(
            zh="改用 schemas/facts.py FACTS 中的事实名、profile.toml [params] 中的参数或已有指标",
            en="use a fact of schemas/facts.py FACTS, a parameter of profile.toml [params] "
            "or a known indicator",
        ),
    ),
    (
        re.compile(r"max_grade|is not a grade"),
        "L14",
        Text(
            zh="改为 [[grading.grades]] 中已有的等次代码", en="use a grade code listed in [[grading.grades]]"
        ),
    ),
    (
        re.compile(r"needs at least one example expecting"),
        "L42",
        Text(zh="补充一个预期为 passed / failed 的示例", en="add an example expecting passed / failed"),
    ),
)
_LOADER_FIX = Text(
    zh="按提示修改该文件后重新运行 rules lint", en="correct the file as the problem says and lint again"
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
        code, fix = "L01", _LOADER_FIX
        for pattern, c, f in _LOADER_CLASSES:
            if pattern.search(problem):
                code, fix = c, f
                break
        out.append(
            LintIssue(
                code=code,
                severity=Severity.ERROR,
                file=file,
                message=Text(zh=f"规则库无法加载：{problem}", en=f"the loader refuses this: {problem}"),
                fix=fix,
            )
        )
    return out


def _lenient(profile_dir: Path) -> tuple[Profile | None, dict[str, str]]:
    """The profile with every rule file that parses and compiles (first of a duplicated code), so the
    remaining checks still run on a rulebook the loader refuses. Returns (profile, code → file)."""
    ignored: list[tuple[str, str]] = []
    try:
        with (profile_dir / PROFILE_FILE).open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError):
        return None, {}
    data.pop("rules", None)
    data.pop("retired", None)
    try:
        base = Profile.model_validate({**data, "retired": _retired(profile_dir, ignored)})
    except ValidationError:
        return None, {}
    rules: dict[str, RuleSpec] = {}
    files: dict[str, str] = {}
    for path in sorted(profile_dir.glob("*/*.toml")):
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
    if rule.kind != "deduction" or (rule.years and profile.year not in rule.years):
        return {0.0}
    d = rule.deduction
    out = {0.0}
    if d.per_period and d.points > 0:
        steps = max(1, math.ceil(d.ceiling / d.points))
        out |= {min(d.points * k, d.ceiling) for k in range(1, steps + 1)}
    else:
        out.add(d.points if not d.per_period else min(d.points, d.ceiling))
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
        return [
            _issue(
                "L10",
                Severity.ERROR,
                file,
                "没有任何等次",
                "no grade bands",
                "添加 [[grading.grades]]",
                "add [[grading.grades]]",
            )
        ]
    for prev, band in itertools.pairwise(grades):
        if band.min >= prev.min:
            out.append(
                _issue(
                    "L10",
                    Severity.ERROR,
                    file,
                    f"等次 {band.code}（下限 {band.min:g}）不低于前一等次 {prev.code}"
                    f"（下限 {prev.min:g}）：分数段重叠或顺序颠倒",
                    f"band {band.code} (min {band.min:g}) is not below the band before it, "
                    f"{prev.code} (min {prev.min:g}): the bands overlap or are out of order",
                    "等次按从好到差排列，下限严格递减",
                    "list bands best first with strictly decreasing minimums",
                )
            )
    lowest = grades[-1]
    if lowest.min != 0:
        out.append(
            _issue(
                "L11",
                Severity.ERROR,
                file,
                f"最低等次 {lowest.code} 的下限是 {lowest.min:g}，不是 0：低于它的总分没有对应分数段",
                f"the lowest band {lowest.code} starts at {lowest.min:g}, not 0: "
                "totals below it fall in no band",
                f"把 {lowest.code} 的 min 设为 0",
                f"set min = 0 for {lowest.code}",
            )
        )
    top_points = math.fsum(i.points for i in profile.grading.indicators)
    if grades[0].min > top_points:
        out.append(
            _issue(
                "L12",
                Severity.ERROR,
                file,
                f"最高等次 {grades[0].code} 需要 {grades[0].min:g} 分，"
                f"而各指标满分合计只有 {top_points:g} 分",
                f"the top band {grades[0].code} needs {grades[0].min:g} "
                f"but the indicators add up to {top_points:g}",
                "降低最高等次的下限或调整指标分值",
                "lower the top band's minimum or the indicators' points",
            )
        )
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
                Severity.ERROR,
                file,
                f"等次 {band.code}（{band.name.zh}）无法达到：可能的总分"
                f"（{totals[0]:g}–{totals[-1]:g}，共 {len(totals)} 种）"
                "没有一个落在该分数段，也没有否决或封顶会定为该等次",
                f"band {band.code} ({band.name.en}) cannot be reached: none of the {len(totals)} "
                f"achievable totals ({totals[0]:g}–{totals[-1]:g}) falls in it, "
                "and no veto or cap leads to it",
                "调整等次下限或规则扣分，使该分数段可以达到",
                "move the band's minimum or the rules' deductions so that some total falls in it",
            )
        )
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
                Severity.WARNING,
                file,
                f"{rule.code} 最多扣 {ceiling:g} 分，"
                f"超过指标 {rule.indicator} 的满分 {points[rule.indicator]:g} 分",
                f"{rule.code} can deduct {ceiling:g}, more than its indicator {rule.indicator} is worth "
                f"({points[rule.indicator]:g})",
                "把 deduction 的 points / max 降到不超过指标分值",
                "lower deduction.points / max to at most the indicator's points",
            )
        )
    if rule.kind == "veto" and (rule.deduction.points > 0 or (rule.deduction.max or 0) > 0):
        out.append(
            _issue(
                "L21",
                Severity.ERROR,
                file,
                f"{rule.code} 是一票否决规则，却设置了扣分 {ceiling:g}（评定时不计）",
                f"{rule.code} is a veto rule with a deduction of {ceiling:g}, which grading ignores",
                '否决规则写 deduction = { points = 0 }；要扣分就改为 kind = "deduction"',
                'write deduction = { points = 0 } for a veto; make it kind = "deduction" to deduct points',
            )
        )
    if rule.kind == "deduction" and ceiling <= 0:
        out.append(
            _issue(
                "L22",
                Severity.ERROR,
                file,
                f"{rule.code} 是扣分规则，但扣分为 0，永远不会扣分",
                f"{rule.code} is a deduction rule that deducts 0 points: it can never take a point",
                '设置 deduction.points；若只作提醒，改为 kind = "suggestion"；若为否决，改为 kind = "veto"',
                'set deduction.points, or make it kind = "suggestion" (a reminder) or kind = "veto"',
            )
        )
    if rule.kind == "suggestion" and ceiling > 0:
        out.append(
            _issue(
                "L23",
                Severity.WARNING,
                file,
                f"{rule.code} 是建议类规则，设置的扣分 {ceiling:g} 在评定时不计",
                f"{rule.code} is a suggestion; its deduction of {ceiling:g} is ignored by grading",
                '建议类规则写 deduction = { points = 0 }，或改为 kind = "deduction"',
                'write deduction = { points = 0 }, or make it kind = "deduction"',
            )
        )
    years = ", ".join(map(str, rule.years))
    if not compiled.in_year:
        out.append(
            _issue(
                "L24",
                Severity.WARNING,
                file,
                f"{rule.code} 只适用于 {years} 年，本规则集是 {profile.year} 年，永远不适用",
                f"{rule.code} is limited to years {years}; this profile is {profile.year}, "
                "so it never applies",
                "删除该规则或修正 years",
                "remove the rule from this profile or correct its years",
            )
        )
    elif compiled.applies.expr == BoolConst(False):
        out.append(
            _issue(
                "L24",
                Severity.WARNING,
                file,
                f"{rule.code} 的 applies 恒为假，永远不适用",
                f"{rule.code}: applies is always false, so the rule never applies",
                "修正 applies 或删除该规则",
                "correct applies or remove the rule",
            )
        )
    if compiled.condition.expr == BoolConst(True):
        out.append(
            _issue(
                "L24",
                Severity.WARNING,
                file,
                f"{rule.code} 的 condition 恒为真（不读取任何事实），永远不会不通过",
                f"{rule.code}: condition is always true (it reads no fact), so the rule can never fail",
                "condition 应比较事实与参数",
                "make condition compare a fact with a parameter",
            )
        )
    return out


def _example_issues(profile: Profile, files: dict[str, str], pfile: str) -> list[LintIssue]:
    from engine.rulebook.choice import durable_available
    from engine.rulebook.durable_adapter import DurableEvaluator
    from engine.rulebook.reference import ReferenceEvaluator

    out: list[LintIssue] = []
    reference = ReferenceEvaluator(profile)
    try:  # where durable_rules is not installed, the examples are checked by the reference evaluator alone
        durable: DurableEvaluator | None = DurableEvaluator(profile) if durable_available() else None
    except Exception as exc:  # a rulebook the engine cannot compile is a finding
        durable = None
        out.append(
            _issue(
                "L41",
                Severity.ERROR,
                pfile,
                f"durable_rules 无法编译本规则集：{exc}",
                f"durable_rules cannot compile this profile: {exc}",
                "检查最近修改的规则条件",
                "check the conditions changed most recently",
            )
        )
    try:
        for rule in profile.rules:
            file = files.get(rule.code, pfile)
            for ex in rule.examples:
                got: dict[str, Status] = {}
                try:
                    got["reference"] = reference.statuses(ex.facts)[rule.code]
                    if durable is not None:
                        got["durable"] = durable.statuses(ex.facts)[rule.code]
                except Exception as exc:  # reported; the other examples still run
                    out.append(
                        _issue(
                            "L41",
                            Severity.ERROR,
                            file,
                            f"{rule.code} 示例 {ex.name!r} 无法运行：{exc}",
                            f"{rule.code} example {ex.name!r} cannot be evaluated: {exc}",
                            "检查示例中的事实值类型",
                            "check the types of the example's fact values",
                        )
                    )
                    continue
                if len(set(got.values())) > 1:
                    shown = ", ".join(f"{k} {v.value}" for k, v in got.items())
                    out.append(
                        _issue(
                            "L41",
                            Severity.ERROR,
                            file,
                            f"{rule.code} 示例 {ex.name!r}：两个求值器结果不一致（{shown}）",
                            f"{rule.code} example {ex.name!r}: the evaluators disagree ({shown})",
                            "这是求值器的缺陷，请报告；在修复前不要发布结果",
                            "this is an evaluator bug: report it and do not publish results until fixed",
                        )
                    )
                    continue
                actual = next(iter(got.values()))
                if actual != ex.expect:
                    out.append(
                        _issue(
                            "L40",
                            Severity.ERROR,
                            file,
                            f"{rule.code} 示例 {ex.name!r} 预期 {ex.expect.value}，实际为 {actual.value}",
                            f"{rule.code} example {ex.name!r} expects {ex.expect.value} "
                            f"but evaluates to {actual.value}",
                            "修正示例的 expect（或事实），或修正规则条件",
                            "correct the example's expect (or facts), or the rule's condition",
                        )
                    )
            expects = {ex.expect for ex in rule.examples}
            # Only ``applies`` can be exercised by an example: examples run under the profile's own year,
            # so a rule restricted by ``years`` alone can never reach not_applicable there.
            restricted = rule.applies.strip() != "true"
            if restricted and Status.NOT_APPLICABLE not in expects:
                out.append(
                    _issue(
                        "L43",
                        Severity.WARNING,
                        file,
                        f"{rule.code} 有适用条件（{rule.applies}），但没有预期 not_applicable 的示例",
                        f"{rule.code} has an applicability condition ({rule.applies}) "
                        "but no example expecting not_applicable",
                        "补充一个不适用的示例",
                        "add an example where the rule does not apply",
                    )
                )
    finally:
        if durable is not None:
            durable.close()
    return out


# --- parameters and facts ----------------------------------------------------------------------------


def _facts_stage_literals(root: Path = FACTS_STAGE) -> set[str]:
    names: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return names


def _usage_issues(profile: Profile, pfile: str) -> list[LintIssue]:
    used: set[str] = set()
    for rule in profile.rules:
        for text in (rule.applies, rule.condition):
            try:
                used |= parse(text).names()
            except ConditionError:
                continue
        used |= {rule.actual, rule.expected}
    for cap in profile.grading.caps:
        try:
            used |= parse(cap.when).names()
        except ConditionError:
            continue
    out: list[LintIssue] = []
    stage = _facts_stage_literals()
    for name in sorted(profile.params):
        if name not in used and name not in stage:
            out.append(
                _issue(
                    "L30",
                    Severity.WARNING,
                    pfile,
                    f"参数 {name} 没有被任何规则、封顶条件或事实计算使用",
                    f"parameter {name} is used by no rule, no cap and not by the facts stage "
                    "(dead parameter)",
                    "删除该参数，或在规则中使用它",
                    "remove the parameter or use it in a rule",
                )
            )
    for name in sorted(FACTS):
        if name not in used:
            out.append(
                _issue(
                    "L31",
                    Severity.INFO,
                    "schemas/facts.py",
                    f"事实 {name}（{FACTS[name].zh}）没有被本规则集的任何规则或封顶条件使用",
                    f"fact {name} ({FACTS[name].en}) is used by no rule or cap of this profile",
                    "如有相应要求，为它写一条规则；否则可忽略",
                    "write a rule for it if the plan asks for one; otherwise nothing to do",
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
        files = {r.code: _display(profile_dir / r.code[:2] / f"{r.code}.toml") for r in loaded.rules}
        profile: Profile | None = loaded
    except RulebookError as exc:
        issues += _loader_issues(profile_dir, exc.problems)
        profile, files = _lenient(profile_dir)
    if profile is not None:
        pfile = _display(profile_dir / PROFILE_FILE)
        issues += _band_issues(profile, pfile)
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
