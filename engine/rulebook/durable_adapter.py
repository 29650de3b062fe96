"""DurableEvaluator: a profile's rules compiled to a durable_rules ruleset.

This is the only module of the repository that imports durable.

Compilation. For each rule the compiler enumerates a decision tree over *literals*: "field present /
absent" for every fact the rule reads, then "atom true / false" for every comparison on a present field
(an ``in`` list is expanded to its equalities). Each leaf gets its outcome from ``compiled.decide`` —
the same function the reference evaluator runs — and sibling leaves with the same outcome are merged.
Every remaining leaf becomes one durable rule ``k == <kind of the rule> and <literals>``. Leaves of a tree
are mutually exclusive and exhaustive, so every branch's fact matches exactly one durable rule of each of
its kind's rules; we cannot use
``$or`` instead, because durable fires a rule once per *true disjunct* (measured: three true branches of
an ``$or`` fired the action three times).

Runtime. Rules are packed, in profile order, into *kinds* ``g0``, ``g1`` … of at most
``MAX_LEAVES_PER_KIND`` durable rules each, and every rule condition starts with its kind, so nothing can
match the session state fact. A branch is sent as one fact per kind carrying the fields that kind's rules
read, under short keys (an absent or null value is left out, so ``$nex`` sees it), and its position in
the batch. (One kind per rule was measured too: 10× less JSON for the actions to decode, but ten times
as many facts to assert — 1.6× slower overall.) The bound
is what keeps the C core safe: it walks a kind's alpha nodes depth first on a fixed 64-entry stack (error
303 beyond), and since the leaves of a rule are mutually exclusive and each is one chain of literals, at
most one node per leaf can be pending on that stack — so a kind with ≤ 60 leaves can never overflow,
however merged or unmerged durable's network is.

Branches are evaluated ``BATCH_SIZE`` at a time in one session: every durable rule has ``cap`` set, so
the engine calls its action once with every fact that reached that leaf in the batch, instead of once per
branch (measured: the engine's cost is its per-action round trip — 71 actions per branch were ≈1.6 ms;
batched, ≈0.45 ms). Each session is deleted in ``finally`` (1,024 live sessions at most). The host is quiet
(no background timer threads that steal actions), the ruleset name is unique, and actions only append
``(branch, code, status)`` to a collector; after each batch we check that every rule got exactly one
outcome for every branch, that no action raised, and that the engine stored no ``exception``.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Callable, Mapping, Sequence
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


def _literal_json(lit: Literal, key: Mapping[str, str]) -> Json:
    var, value = lit
    if isinstance(var, Presence):
        return {"$ex" if value else "$nex": {key[var.field]: 1}}
    op = var.op if value else NEGATE[var.op]
    if op == "==":
        return {key[var.fact]: var.value}
    return {_OP_KEYS[op]: {key[var.fact]: var.value}}


# The C core's depth-first alpha walk has a 64-entry stack (error 303 beyond); a kind's root and at most
# one pending node per leaf are on it, so 60 leaves per kind leaves room to spare (see the module doc).
MAX_LEAVES_PER_KIND = 60
# A fact with more than ~253 properties fails (error 302) or crashes the C core; sid, kind and the batch
# position are three of them.
MAX_FIELDS_PER_KIND = 240
# Inside the engine a fact is {"sid", "k": kind, "b": position in the batch, "f0": …, "f1": …}: short keys
# instead of fact names, because every action gets its matched facts back as JSON and decoding them was the
# largest part of the engine's cost (measured: ~35% of it with the full names).
KIND_FIELD = "k"
BRANCH_FIELD = "b"
# Branches per session. Engine time per branch on 200 bench forms: 16 → 0.57 ms, 32 → 0.48, 64 → 0.43,
# 128 → 0.42.
BATCH_SIZE = 64


@dataclass(frozen=True)
class Kind:
    """One fact kind: the rules whose durable rules start with ``k == name``, the facts they read and
    the short key each fact travels under in the engine."""

    name: str
    codes: tuple[str, ...]
    fields: tuple[str, ...]
    keys: tuple[str, ...]


def plan_kinds(rules: tuple[CompiledRule, ...], leaves: Mapping[str, int]) -> tuple[Kind, ...]:
    """Rules packed in profile order into kinds of at most ``MAX_LEAVES_PER_KIND`` leaves and
    ``MAX_FIELDS_PER_KIND`` fields. A single rule beyond either limit cannot be compiled safely. Each fact
    name gets one short key (``f0``, ``f1`` … in order of first use), the same in every kind."""
    names = dict.fromkeys(name for rule in rules if rule.in_year for name in rule.fields())
    key = {name: f"f{n}" for n, name in enumerate(names)}
    kinds: list[Kind] = []
    codes: list[str] = []
    fields: dict[str, None] = {}
    used = 0

    def close_kind() -> None:
        if codes:
            kinds.append(Kind(f"g{len(kinds)}", tuple(codes), tuple(fields), tuple(key[f] for f in fields)))

    for rule in rules:
        own = rule.fields() if rule.in_year else ()
        if leaves[rule.code] > MAX_LEAVES_PER_KIND or len(own) > MAX_FIELDS_PER_KIND:
            raise ValueError(
                f"rule {rule.code} compiles to {leaves[rule.code]} durable rules over {len(own)} facts; "
                f"the engine takes at most {MAX_LEAVES_PER_KIND} and {MAX_FIELDS_PER_KIND}: split the rule"
            )
        merged = {**fields, **dict.fromkeys(own)}
        if used + leaves[rule.code] > MAX_LEAVES_PER_KIND or len(merged) > MAX_FIELDS_PER_KIND:
            close_kind()
            codes, fields, used = [], dict.fromkeys(own), 0
        else:
            fields = merged
        codes.append(rule.code)
        used += leaves[rule.code]
    close_kind()
    return tuple(kinds)


def compile_ruleset(
    rules: tuple[CompiledRule, ...], make_action: Callable[[str, Status], Callable[[Any], None]]
) -> tuple[Json, tuple[Kind, ...]]:
    """The durable JSON ruleset (with ``run`` closures) and the fact kinds it expects."""
    trees = {rule.code: _leaves(_decision_tree(rule)) for rule in rules}
    kinds = plan_kinds(rules, {code: len(leaves) for code, leaves in trees.items()})
    key = {name: k for kind in kinds for name, k in zip(kind.fields, kind.keys, strict=True)}
    kind_of = {code: kind.name for kind in kinds for code in kind.codes}
    definition: Json = {}
    for rule in rules:
        for n, (path, status) in enumerate(trees[rule.code]):
            # Every condition starts with the kind discriminator: nothing can match the state fact.
            tests: list[Json] = [{KIND_FIELD: kind_of[rule.code]}, *(_literal_json(lit, key) for lit in path)]
            expr: Json = tests[0] if len(tests) == 1 else {"$and": tests}
            definition[f"{rule.code}__{n}__{status.value}"] = {
                "all": [{"m": expr}],
                "pri": 0,
                "cap": BATCH_SIZE,  # one action call for all the batch's facts that reach this leaf
                "run": make_action(rule.code, status),
            }
    return definition, kinds


# --- runtime -------------------------------------------------------------------------------------------


class DurableEvaluator:
    """Same ``statuses()`` as ``ReferenceEvaluator``, run on durable_rules. Call ``close()`` (or use
    ``with``) to free the C ruleset, which the engine never frees by itself (~0.4 MB each)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.rules: tuple[CompiledRule, ...] = compile_rules(profile)
        self._collected: list[tuple[int, str, Status]] = []
        self._errors: list[BaseException] = []
        self._name = f"branchgrade_{profile.name}_{uuid.uuid4().hex}"
        self._host = _QuietHost()
        self._counter = itertools.count()
        self._closed = False
        definition, self.kinds = compile_ruleset(self.rules, self._make_action)
        # set_rulesets deletes the 'run' keys of what it is given; the definition is built fresh here and
        # never reused, so no copy is needed.
        self._host.set_rulesets({self._name: definition})

    def _make_action(self, code: str, status: Status) -> Callable[[Any], None]:
        def action(c: Any) -> None:  # a real function: durable inspects __code__.co_argcount
            try:
                frames = c.m if isinstance(c.m, list) else [c.m]  # with "cap", a list of matched facts
                for frame in frames:
                    self._record(frame[BRANCH_FIELD], code, status)
            except Exception as exc:  # durable would swallow it into state['exception']
                self._errors.append(exc)
                raise

        return action

    def _record(self, branch: int, code: str, status: Status) -> None:
        self._collected.append((branch, code, status))

    def statuses(self, values: Mapping[str, FactValue]) -> dict[str, Status]:
        """Every rule's status for one branch, in profile order."""
        return self.decide_all([normalise_values(values)])[0]

    def decide_all(self, branches: Sequence[Mapping[str, Norm]]) -> list[dict[str, Status]]:
        """Every rule's status for each branch of ``branches`` (already normalised), in order."""
        if self._closed:
            raise DurableEvaluationError("the evaluator is closed")
        out: list[dict[str, Status]] = []
        for first in range(0, len(branches), BATCH_SIZE):
            out.extend(self._decide_batch(branches[first : first + BATCH_SIZE]))
        return out

    def _facts(self, sid: str, batch: Sequence[Mapping[str, Norm]]) -> list[Json]:
        facts: list[Json] = []
        for position, env in enumerate(batch):
            for kind in self.kinds:
                fact: Json = {"sid": sid, KIND_FIELD: kind.name, BRANCH_FIELD: position}
                for name, key in zip(kind.fields, kind.keys, strict=True):
                    value = env.get(name)
                    if value is None:
                        continue  # absent, so $nex matches: durable's null only matches == null
                    if not is_engine_safe(value):
                        raise DurableEvaluationError(f"fact {name}={value!r} cannot be sent to the engine")
                    fact[key] = value
                facts.append(fact)
        return facts

    def _decide_batch(self, batch: Sequence[Mapping[str, Norm]]) -> list[dict[str, Status]]:
        sid = f"b{next(self._counter)}"
        facts = self._facts(sid, batch)
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
        got: list[dict[str, Status]] = [{} for _ in batch]
        for branch, code, status in collected:
            if not (isinstance(branch, int) and 0 <= branch < len(batch)):
                raise DurableEvaluationError(f"rule {code} fired for an unknown branch {branch!r}")
            if code in got[branch]:
                raise DurableEvaluationError(
                    f"rule {code} got two outcomes ({got[branch][code]}, {status}) for one branch"
                )
            got[branch][code] = status
        for outcomes in got:
            missing = ", ".join(rule.code for rule in self.rules if rule.code not in outcomes)
            if missing:
                raise DurableEvaluationError(f"rules without an outcome (lost actions?): {missing}")
        return [{rule.code: outcomes[rule.code] for rule in self.rules} for outcomes in got]

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
