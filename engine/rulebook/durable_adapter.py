"""DurableEvaluator: a profile's rules compiled to a durable_rules ruleset.

This is the only module of the repository that imports durable.

Compilation. For each rule the compiler enumerates a decision tree over *literals*: "field present /
absent" for every fact the rule reads, then "atom true / false" for every comparison on a present field
(an ``in`` list is expanded to its equalities). Each leaf gets its outcome from ``compiled.decide`` —
the same function the reference evaluator runs — and sibling leaves with the same outcome are merged.
Every remaining leaf becomes one durable rule ``kind == <code> and <literals>``. Leaves of a tree are
mutually exclusive and exhaustive, so every rule fact matches exactly one durable rule; we cannot use
``$or`` instead, because durable fires a rule once per *true disjunct* (measured: three true branches of
an ``$or`` fired the action three times).

Runtime. One fact per rule, ``kind`` = the rule code, carrying only the fields that rule reads (an
absent or null value is left out, so ``$nex`` sees it): every ``kind`` node then has a handful of
children, far from the 64-simultaneously-true limit (error 303), and no rule can match the session
state fact. Each branch gets its own session, deleted in ``finally`` (1,024 live sessions at most).
The host is quiet (no background timer threads that steal actions), the ruleset name is unique, and
actions only append ``(code, status)`` to a collector; after each branch we check that every rule got
exactly one outcome, that no action raised, and that the engine stored no ``exception``.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import durable_rules_engine
from durable import engine as _durable

from engine.rulebook.compiled import CompiledRule, compile_rules, decide
from engine.rulebook.conditions import NEGATE, Atom, evaluate_with_atoms
from engine.rulebook.values import Norm, is_engine_safe, normalise_values
from schemas.common import Status
from schemas.facts import FactValue
from schemas.rules import Profile

Json = dict[str, Any]


class DurableEvaluationError(RuntimeError):
    """The engine lost, duplicated or failed an action for a branch; its result cannot be trusted."""


class _QuietHost(_durable.Host):  # type: ignore[misc]
    def _run(self) -> None:
        """No background dispatch/timer threads: they pick up pending actions and lose results (§3.1)."""


# --- compilation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    field: str


Literal = tuple[Presence | Atom, bool]


@dataclass(frozen=True)
class _Leaf:
    status: Status


@dataclass(frozen=True)
class _Split:
    var: Presence | Atom
    yes: _Node
    no: _Node


_Node = _Leaf | _Split


def _decision_tree(rule: CompiledRule) -> _Node:
    fields = rule.fields()
    atoms_by_field: dict[str, list[Atom]] = {f: [] for f in fields}
    for atom in (*rule.applies.atoms(), *rule.condition.atoms()):
        if atom not in atoms_by_field[atom.fact]:
            atoms_by_field[atom.fact].append(atom)
    condition_fields = rule.condition.references()

    def outcome(present: Mapping[str, bool], truth: Mapping[Atom, bool | None]) -> Status:
        applies = evaluate_with_atoms(rule.applies.expr, truth)
        missing = any(not present[f] for f in condition_fields)
        condition = None if missing else evaluate_with_atoms(rule.condition.expr, truth)
        return decide(rule.in_year, applies, missing, condition)

    def build(i: int, present: dict[str, bool], truth: dict[Atom, bool | None], pending: list[Atom]) -> _Node:
        if pending:  # decide the atoms of the field just found present
            atom, rest = pending[0], pending[1:]
            yes = build(i, present, {**truth, atom: True}, rest)
            no = build(i, present, {**truth, atom: False}, rest)
            return _merge(atom, yes, no)
        if i == len(fields):
            return _Leaf(outcome(present, truth))
        field = fields[i]
        absent_truth = {**truth, **{a: None for a in atoms_by_field[field]}}
        no = build(i + 1, {**present, field: False}, absent_truth, [])
        yes = build(i + 1, {**present, field: True}, truth, list(atoms_by_field[field]))
        return _merge(Presence(field), yes, no)

    if not rule.in_year:
        return _Leaf(Status.NOT_APPLICABLE)
    return build(0, {}, {}, [])


def _merge(var: Presence | Atom, yes: _Node, no: _Node) -> _Node:
    if isinstance(yes, _Leaf) and yes == no:
        return yes
    return _Split(var, yes, no)


def _leaves(node: _Node, path: tuple[Literal, ...] = ()) -> list[tuple[tuple[Literal, ...], Status]]:
    if isinstance(node, _Leaf):
        return [(path, node.status)]
    return _leaves(node.yes, (*path, (node.var, True))) + _leaves(node.no, (*path, (node.var, False)))


_OP_KEYS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}


def _literal_json(lit: Literal) -> Json:
    var, value = lit
    if isinstance(var, Presence):
        return {"$ex" if value else "$nex": {var.field: 1}}
    op = var.op if value else NEGATE[var.op]
    if op == "==":
        return {var.fact: var.value}
    return {_OP_KEYS[op]: {var.fact: var.value}}


def compile_ruleset(
    rules: tuple[CompiledRule, ...], make_action: Callable[[str, Status], Callable[[Any], None]]
) -> tuple[Json, dict[str, int]]:
    """The durable JSON ruleset (with ``run`` closures) and the number of durable rules per rule code."""
    definition: Json = {}
    counts: dict[str, int] = {}
    for rule in rules:
        leaves = _leaves(_decision_tree(rule))
        counts[rule.code] = len(leaves)
        for n, (path, status) in enumerate(leaves):
            # Every condition starts with the kind discriminator: nothing can match the state fact.
            tests: list[Json] = [{"kind": rule.code}, *(_literal_json(lit) for lit in path)]
            expr: Json = tests[0] if len(tests) == 1 else {"$and": tests}
            definition[f"{rule.code}__{n}__{status.value}"] = {
                "all": [{"m": expr}],
                "pri": 0,
                "run": make_action(rule.code, status),
            }
    return definition, counts


# --- runtime -------------------------------------------------------------------------------------------


class DurableEvaluator:
    """Same ``statuses()`` as ``ReferenceEvaluator``, run on durable_rules. Call ``close()`` (or use
    ``with``) to free the C ruleset, which the engine never frees by itself (~0.4 MB each)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.rules: tuple[CompiledRule, ...] = compile_rules(profile)
        self._fields = {rule.code: rule.fields() if rule.in_year else () for rule in self.rules}
        self._collected: list[tuple[str, Status]] = []
        self._errors: list[BaseException] = []
        self._name = f"branchgrade_{profile.name}_{uuid.uuid4().hex}"
        self._host = _QuietHost()
        self._counter = itertools.count()
        self._closed = False
        definition, self.rule_counts = compile_ruleset(self.rules, self._make_action)
        # set_rulesets deletes the 'run' keys of what it is given; the definition is built fresh here and
        # never reused, so no copy is needed.
        self._host.set_rulesets({self._name: definition})

    def _make_action(self, code: str, status: Status) -> Callable[[Any], None]:
        def action(c: Any) -> None:  # a real function: durable inspects __code__.co_argcount
            try:
                self._record(code, status)
            except Exception as exc:  # durable would swallow it into state['exception']
                self._errors.append(exc)
                raise

        return action

    def _record(self, code: str, status: Status) -> None:
        self._collected.append((code, status))

    def _facts(self, sid: str, env: Mapping[str, Norm]) -> list[Json]:
        facts: list[Json] = []
        for code, fields in self._fields.items():
            fact: Json = {"sid": sid, "kind": code}
            for name in fields:
                value = env.get(name)
                if value is None:
                    continue  # absent, so $nex matches: durable's null only matches == null
                if not is_engine_safe(value):
                    raise DurableEvaluationError(f"fact {name}={value!r} cannot be sent to the engine")
                fact[name] = value
            facts.append(fact)
        return facts

    def statuses(self, values: Mapping[str, FactValue]) -> dict[str, Status]:
        if self._closed:
            raise DurableEvaluationError("the evaluator is closed")
        env = normalise_values(values)
        sid = f"b{next(self._counter)}"
        facts = self._facts(sid, env)
        self._collected.clear()
        self._errors.clear()
        try:
            state = self._host.assert_facts(self._name, facts)
        finally:
            with contextlib.suppress(Exception):  # incl. durable_rules_engine.error (309: no such sid)
                self._host.delete_state(self._name, sid)  # always free the session (1,024 limit)
        collected = list(self._collected)
        if self._errors:
            raise DurableEvaluationError(f"a rule action failed: {self._errors[0]!r}") from self._errors[0]
        if not isinstance(state, dict):
            raise DurableEvaluationError(f"the engine returned {state!r} instead of the session state")
        if "exception" in state:
            raise DurableEvaluationError(f"the engine reported an exception: {state['exception']}")
        out: dict[str, Status] = {}
        for code, status in collected:
            if code in out:
                raise DurableEvaluationError(f"rule {code} got two outcomes ({out[code]}, {status})")
            out[code] = status
        missing = [rule.code for rule in self.rules if rule.code not in out]
        if missing:
            raise DurableEvaluationError(f"rules without an outcome (lost actions?): {', '.join(missing)}")
        return {rule.code: out[rule.code] for rule in self.rules}

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for ruleset in self._host._ruleset_list:
            with contextlib.suppress(Exception):
                durable_rules_engine.delete_ruleset(ruleset._handle)
        self._host._ruleset_list.clear()
        self._host._ruleset_directory.clear()

    def __enter__(self) -> DurableEvaluator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
