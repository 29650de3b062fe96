"""DurableEvaluator: a profile's rules compiled to a durable_rules ruleset.

This is the only module of the repository that imports durable.

Compilation. For each rule the compiler enumerates a decision tree over *literals*: "field present /
absent" for every fact the rule reads, then "atom true / false" for every comparison on a present field
(an ``in`` list is expanded to its equalities). Each leaf gets its outcome from ``compiled.decide`` —
the same function the reference evaluator runs — and sibling leaves with the same outcome are merged.
Every remaining leaf becomes one durable rule ``k == <kind of the rule> and <literals>``. Leaves of a tree
are mutually exclusive and exhaustive, so every branch's fact matches exactly one durable rule of each of
its kind's rules; we cannot use
``$or`` instead, because durable fires a rule once per *true disjunct* (three true branches of an ``$or``
fire the action three times).

Runtime. Rules are packed, in profile order, into *kinds* ``g0``, ``g1`` … of at most
``MAX_LEAVES_PER_KIND`` durable rules each, and every rule condition starts with its kind, so nothing can
match the session state fact. A branch is sent as one fact per kind carrying the fields that kind's rules
read, under short keys (an absent or null value is left out, so ``$nex`` sees it), and its position in
the batch. (One kind per rule hands back less JSON but asserts as many facts as there are rules, which
costs more overall.) The bound
is what keeps the C core safe: it walks a kind's alpha nodes depth first on a fixed 64-entry stack (error
303 beyond), and since the leaves of a rule are mutually exclusive and each is one chain of literals, at
most one node per leaf can be pending on that stack — so a kind with ≤ 60 leaves can never overflow,
however merged or unmerged durable's network is.

Branches are evaluated ``BATCH_SIZE`` at a time in one session: every durable rule has ``cap`` set, so
the engine hands over, once, every fact that reached that leaf in the batch, instead of once per branch:
the engine's cost is its per-action round trip, so fewer actions is most of what can be saved. Each
session is deleted in ``finally`` (1,024 live sessions at most).

The engine is driven through its C core (``durable_rules_engine``: create the ruleset, assert the
batch's facts, then take the pending actions one by one until none is left), not through durable's
Python ``Host``: the Host runs background timer threads that steal actions (results lost), wraps every
action in closures, promises and a JSON round trip of the session state, and decodes every matched fact
again — most of the engine's time went there, and none of it decides anything. An "action" here
reads the rule name and the matched facts' batch positions from the engine's JSON and records
``(branch, code, status)``. After each batch we check that every rule got exactly one outcome for every
branch and that the engine's session state holds no ``exception``; a failure while taking the actions
abandons the pending one and is raised, never swallowed.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

try:
    import durable_rules_engine
except ImportError:  # not installed here (Windows, Python 3.13): choice.py runs the reference evaluator
    durable_rules_engine = None

from engine.rulebook.choice import EvaluatorUnavailable, resolve_evaluator
from engine.rulebook.compiled import CompiledRule, compile_rules, decide
from engine.rulebook.conditions import NEGATE, Atom, evaluate_with_atoms
from engine.rulebook.values import Norm, is_engine_safe, normalise_values
from schemas.common import Status
from schemas.facts import FactValue
from schemas.rules import Profile

Json = dict[str, Any]


def engine_installed() -> bool:
    """durable_rules' C core imported here."""
    return durable_rules_engine is not None


class DurableEvaluationError(RuntimeError):
    """The engine lost, duplicated or failed an action for a branch; its result cannot be trusted."""


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
# instead of fact names, because every action gets its matched facts back as JSON and decoding them is a
# large part of the engine's cost.
KIND_FIELD = "k"
BRANCH_FIELD = "b"
# Branches per session: the engine's time per branch falls as batches grow and levels off around 64, while
# a larger batch only holds more in memory (bench/RESULTS.md, "Design measurements").
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
    rules: tuple[CompiledRule, ...],
) -> tuple[Json, dict[str, tuple[str, Status]], tuple[Kind, ...]]:
    """The durable JSON ruleset, each durable rule's (rule code, status) by its name, and the fact kinds
    the ruleset expects."""
    trees = {rule.code: _leaves(_decision_tree(rule)) for rule in rules}
    kinds = plan_kinds(rules, {code: len(leaves) for code, leaves in trees.items()})
    key = {name: k for kind in kinds for name, k in zip(kind.fields, kind.keys, strict=True)}
    kind_of = {code: kind.name for kind in kinds for code in kind.codes}
    definition: Json = {}
    outcomes: dict[str, tuple[str, Status]] = {}
    for rule in rules:
        for n, (path, status) in enumerate(trees[rule.code]):
            # Every condition starts with the kind discriminator: nothing can match the state fact.
            tests: list[Json] = [{KIND_FIELD: kind_of[rule.code]}, *(_literal_json(lit, key) for lit in path)]
            expr: Json = tests[0] if len(tests) == 1 else {"$and": tests}
            name = f"{rule.code}__{n}__{status.value}"
            definition[name] = {
                "all": [{"m": expr}],
                "pri": 0,
                "cap": BATCH_SIZE,  # one action for all the batch's facts that reach this leaf
            }
            outcomes[name] = (rule.code, status)
    return definition, outcomes, kinds


# An action, as the C core hands it over: {"<rule name>":[{"m":{"sid": "b7", "k": "g0", "b": 3, …}}, …]}.
# Only the rule name and the batch positions are needed. Decoding the whole JSON cost more than the engine's
# own matching, so both are read with two patterns instead. Neither can match inside a string value: the
# engine escapes every quote in a string (as JSON must), so a quote, a letter and a quote in a row, or a
# quote right after "{", only occur around a key. A position read wrongly or twice could not go unnoticed
# either — every rule must end with exactly one outcome per branch, which is checked after every batch.
_ACTION_NAME = re.compile(r'\{"([^"]+)":')
_POSITION = re.compile('"' + BRANCH_FIELD + r'": ?(\d+)')


# --- runtime -------------------------------------------------------------------------------------------


class DurableEvaluator:
    """Same ``statuses()`` as ``ReferenceEvaluator``, run on durable_rules. Call ``close()`` (or use
    ``with``) to free the C ruleset, which the engine never frees by itself (~0.4 MB each)."""

    def __init__(self, profile: Profile) -> None:
        if durable_rules_engine is None:
            resolve_evaluator("durable")  # raises EvaluatorUnavailable, with the user's way out
            raise EvaluatorUnavailable("未安装 durable_rules", "durable_rules is not installed")
        self.profile = profile
        self.rules: tuple[CompiledRule, ...] = compile_rules(profile)
        self._codes = tuple(rule.code for rule in self.rules)
        self._counter = itertools.count()
        self._closed = False
        self._collected: list[tuple[int, str, Status]] = []  # (batch position, rule code, status)
        definition, self._outcome_of, self.kinds = compile_ruleset(self.rules)
        # A unique name: durable keeps a registry of names, and two evaluators must never share a ruleset.
        self._name = f"branchgrade_{profile.name}_{uuid.uuid4().hex}"
        self._handle = durable_rules_engine.create_ruleset(
            self._name, json.dumps(definition, ensure_ascii=False)
        )

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
                    if value.__class__ is float and not is_engine_safe(value):  # ints and strings are
                        raise DurableEvaluationError(f"fact {name}={value!r} cannot be sent to the engine")
                    fact[key] = value
                facts.append(fact)
        return facts

    def _decide_batch(self, batch: Sequence[Mapping[str, Norm]]) -> list[dict[str, Status]]:
        sid = f"b{next(self._counter)}"
        facts = json.dumps(self._facts(sid, batch), ensure_ascii=False)
        self._collected.clear()
        handle = self._handle
        state: object = None
        try:
            code, state_handle = durable_rules_engine.assert_facts(handle, facts)
            if code != 0:  # 1 not handled, 2 already observed, 3 deferred: none can happen to a new session's
                # facts (each matches a leaf of every rule of its kind; each has its own kind and position)
                raise DurableEvaluationError(f"the engine did not take the batch's facts (code {code})")
            started = durable_rules_engine.start_action_for_state(handle, state_handle)
            if started:
                state = json.loads(started[0])
                action: str | None = started[1]
                while action:
                    try:
                        self._take(action)
                    except Exception as exc:
                        with contextlib.suppress(Exception):
                            durable_rules_engine.abandon_action(handle, state_handle)
                        raise DurableEvaluationError(f"a rule action failed: {exc!r}") from exc
                    action = durable_rules_engine.complete_and_start_action(handle, state_handle)
        finally:
            with contextlib.suppress(Exception):  # incl. durable_rules_engine.error (309: no such sid)
                durable_rules_engine.delete_state(handle, sid)  # always free the session (1,024 limit)
        if isinstance(state, dict) and "exception" in state:
            raise DurableEvaluationError(f"the engine reported an exception: {state['exception']}")
        collected = list(self._collected)
        got: list[dict[str, Status]] = [{} for _ in batch]
        for branch, code, status in collected:
            if not (isinstance(branch, int) and 0 <= branch < len(batch)):
                raise DurableEvaluationError(f"rule {code} fired for an unknown branch {branch!r}")
            if code in got[branch]:
                raise DurableEvaluationError(
                    f"rule {code} got two outcomes ({got[branch][code]}, {status}) for one branch"
                )
            got[branch][code] = status
        codes = self._codes
        for outcomes in got:
            if len(outcomes) != len(codes):  # every code recorded is a rule's, so a short count means lost
                missing = ", ".join(code for code in codes if code not in outcomes)
                raise DurableEvaluationError(f"rules without an outcome (lost actions?): {missing}")
        return [{code: outcomes[code] for code in codes} for outcomes in got]

    def _take(self, action: str) -> None:
        """Record the outcome of one action: its durable rule's (code, status) for every matched fact."""
        name = _ACTION_NAME.match(action)
        if name is None or name.group(1) not in self._outcome_of:
            raise DurableEvaluationError(
                f"the engine started an action this ruleset does not have: {action[:80]}"
            )
        code, status = self._outcome_of[name.group(1)]
        for position in _POSITION.findall(action, name.end()):
            self._record(int(position), code, status)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            durable_rules_engine.delete_ruleset(self._handle)

    def __enter__(self) -> DurableEvaluator:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
