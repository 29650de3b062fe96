"""A profile's rules bound to its parameters, plus the one definition of a rule's outcome.

Every evaluator starts from ``compile_rules``; ``decide`` is the specification of the four outcomes
that the reference evaluator runs directly and the durable_rules compiler enumerates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.rulebook.conditions import Bound, parse
from schemas.common import Status
from schemas.rules import Profile, RuleSpec


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    in_year: bool  # False when the rule lists ``years`` and the profile's year is not among them
    applies: Bound
    condition: Bound

    @property
    def code(self) -> str:
        return self.spec.code

    def fields(self) -> tuple[str, ...]:
        """Every fact the rule reads, sorted: the fields of the rule's durable fact."""
        return tuple(sorted(self.applies.references() | self.condition.references()))


def compile_rule(rule: RuleSpec, profile: Profile, source: str | None = None) -> CompiledRule:
    where = source or f"rules/{profile.name}/{rule.code[:2]}/{rule.code}.toml"
    applies = parse(rule.applies, f"{where} [applies]").bind(profile.condition_params)
    condition = parse(rule.condition, f"{where} [condition]").bind(profile.condition_params)
    # ``years`` is compared with the profile's year: a profile grades a workbook as its rule set for that
    # workbook's year (``Profile.for_year``), and a form of a year the profile does not cover is refused.
    in_year = not rule.years or profile.year in rule.years
    return CompiledRule(rule, in_year, applies, condition)


def compile_rules(profile: Profile) -> tuple[CompiledRule, ...]:
    return tuple(compile_rule(rule, profile) for rule in profile.rules)


def decide(in_year: bool, applies: bool | None, condition_missing: bool, condition: bool | None) -> Status:
    """The outcome of a rule.

    * not in one of the rule's years, or ``applies`` not *true* → NOT_APPLICABLE. An ``applies`` that
      is unknown (a fact it names is missing) also means not applicable: applicability is about what the
      branch *is* (its type, whether it has a committee), which the basic-information sheet always
      states once validation has passed; guessing "applies" would turn a missing type into a finding
      the branch cannot act on.
    * any fact named by ``condition`` missing → NOT_EVIDENCED (even if the rest would decide it: the
      register behind the fact is what the rectification asks for).
    * otherwise the (now two-valued) condition → PASSED or FAILED.
    """
    if not in_year or applies is not True:
        return Status.NOT_APPLICABLE
    if condition_missing:
        return Status.NOT_EVIDENCED
    return Status.PASSED if condition is True else Status.FAILED


def rule_status(rule: CompiledRule, env: Mapping[str, object]) -> Status:
    """Plain-Python outcome of one rule for normalised fact values."""
    if not rule.in_year:
        return Status.NOT_APPLICABLE
    applies = rule.applies.evaluate(env)
    missing = any(env.get(name) is None for name in rule.condition.references())
    condition = None if missing else rule.condition.evaluate(env)
    return decide(rule.in_year, applies, missing, condition)
