"""ReferenceEvaluator: the plain-Python evaluator of a profile's rules.

It is the test oracle for the durable_rules adapter (same spec, same outcomes) and the drop-in
fallback if the engine ever has to go: it needs nothing but the compiled conditions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType

from engine.rulebook.compiled import CompiledRule, compile_rules, rule_status
from engine.rulebook.values import Norm, normalise_values
from schemas.common import Status
from schemas.facts import FactValue
from schemas.rules import Profile


class ReferenceEvaluator:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.rules: tuple[CompiledRule, ...] = compile_rules(profile)

    def statuses(self, values: Mapping[str, FactValue]) -> dict[str, Status]:
        """Every rule's status, in profile order.

        Rule outside ``years`` or ``applies`` not true (false or unknown) → NOT_APPLICABLE; a fact the
        condition names missing → NOT_EVIDENCED; else PASSED / FAILED (see ``compiled.decide``).
        """
        return self.decide_all([normalise_values(values)])[0]

    def decide_all(self, branches: Sequence[Mapping[str, Norm]]) -> list[dict[str, Status]]:
        """Every rule's status for each branch of ``branches`` (already normalised), in order."""
        return [{rule.code: rule_status(rule, env) for rule in self.rules} for env in branches]

    def close(self) -> None:
        """Nothing to free; present so both evaluators share one protocol."""

    def __enter__(self) -> ReferenceEvaluator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
