"""Facts a round stored under an earlier version, read as today's rules need them.

A round keeps the facts its branches had when it was recorded. When a later version reads a requirement
from a new fact, replaying an older round would find that fact missing and report the rule not
evidenced: a change no branch made. Each derivation here makes the new fact from the facts the earlier
version stored, by the reading the facts stage gives a workbook of the older form, so an older round
replays as its workbooks would grade today.

* ``transparency_min_quarter`` (党务公开 as a dated log, template 2012.3): rounds recorded before stored the
  制度落实 row's ``transparency_done`` and ``transparency_count``; the fewest disclosures in a quarter is
  that count spread over the four quarters, none when answered 否 (engine/facts/transparency.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from schemas.common import Text
from schemas.facts import BranchFacts, Fact, FactValue, FactValues, fact


def _number(value: FactValue) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _transparency_min_quarter(values: Mapping[str, FactValue]) -> FactValue:
    # imported here: only an older round pays for the facts stage (replay workers otherwise never load it)
    from engine.facts.transparency import former_count, former_fewest_in_quarter

    done = values.get("transparency_done")
    return former_fewest_in_quarter(
        former_count(done if isinstance(done, bool) else None, _number(values.get("transparency_count")))
    )


# new fact -> (the stored facts it is made from, how)
DERIVED: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, FactValue]], FactValue]]] = {
    "transparency_min_quarter": (("transparency_done", "transparency_count"), _transparency_min_quarter),
}

_FROM_EARLIER = Text(
    zh="由较早版本记录的事实推算（该轮记录时尚无此事实）",
    en="worked out from the facts an earlier version recorded (the round predates this fact)",
)


def _missing(names: Mapping[str, object]) -> list[str]:
    return [new for new, (sources, _) in DERIVED.items() if new not in names and sources[-1] in names]


def upgrade_values(values: FactValues) -> FactValues:
    """``values`` with every derivable fact an earlier version did not store (``values`` itself when
    none is missing)."""
    missing = _missing(values.values)
    if not missing:
        return values
    added = {new: DERIVED[new][1](values.values) for new in missing}
    return FactValues(values.year, {**values.values, **added}, values.series)


def upgrade_facts(facts: BranchFacts) -> BranchFacts:
    """``facts`` with every derivable fact an earlier version did not store, its evidence that of the
    facts it is made from (``facts`` itself when none is missing)."""
    missing = _missing(facts.facts)
    if not missing:
        return facts
    values = facts.values()
    added: dict[str, Fact] = {}
    for new in missing:
        sources, derive = DERIVED[new]
        evidence = tuple(e for name in sources if name in facts.facts for e in facts.facts[name].evidence)
        added[new] = fact(new, derive(values), evidence, None, _FROM_EARLIER)
    return facts.model_copy(update={"facts": {**facts.facts, **added}})
