"""The condition language of rule files: a small, safe expression language that is parsed, never eval'ed.

Grammar (a strict subset of Python expression syntax, checked node by node)::

    expr    := expr "or" expr | expr "and" expr | "not" expr | "(" expr ")"
             | compare | NAME | "true" | "false"
    compare := operand OP operand [OP operand ...]        OP in < <= > >= == !=
             | NAME ["not"] "in" ( "[" literal, ... "]" | NAME )
    operand := NAME | NUMBER | STRING | "true" | "false"

``NAME`` is a fact name (``schemas.facts.FACTS``) or a profile parameter. Parsing is done with
``ast.parse(mode="eval")`` and a whitelist walk: every node type not listed above (calls, attribute
access, subscripts, lambdas, arithmetic, comprehensions ...) is rejected with its position, so input such
as ``__import__('os')`` can never run. ``bind(params)`` then replaces parameter names by their values and
type-checks every comparison against the fact catalogue, giving a ``Bound`` expression whose comparisons
all have the canonical shape ``fact OP constant``; that shape is what the durable_rules compiler needs.

Evaluation is three-valued (Kleene): a comparison on a missing fact is ``None`` (unknown); ``and`` is
false if any side is false, ``or`` is true if any side is true, otherwise unknown propagates.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from engine.rulebook.values import Norm, normalise_value
from schemas.facts import FACTS, FactDef
from schemas.rules import ParamValue

Op = Literal["<", "<=", ">", ">=", "==", "!="]
Const = int | float | str  # a normalised constant: bools are 1 / 0, like fact values

_OPS: dict[type[ast.cmpop], Op] = {
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
# a OP b  <=>  b FLIP[OP] a
FLIP: dict[Op, Op] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
# not (a OP b)  <=>  a NEGATE[OP] b, valid only when a is present (two-valued)
NEGATE: dict[Op, Op] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_ORDERING: frozenset[Op] = frozenset({"<", "<=", ">", ">="})
MAX_LENGTH = 1000  # a condition is one line of a rule file; refuse anything that could be a resource attack

# Node names that people may try, with a clear explanation.
_FORBIDDEN = {
    "Call": "function calls are not allowed",
    "Attribute": "attribute access is not allowed",
    "Subscript": "subscripts are not allowed",
    "Lambda": "lambda is not allowed",
    "BinOp": "arithmetic is not allowed (put the computed threshold in a profile parameter)",
    "IfExp": "conditional expressions are not allowed",
    "NamedExpr": "assignment expressions are not allowed",
    "ListComp": "comprehensions are not allowed",
    "SetComp": "comprehensions are not allowed",
    "DictComp": "comprehensions are not allowed",
    "GeneratorExp": "comprehensions are not allowed",
    "Starred": "starred expressions are not allowed",
    "JoinedStr": "f-strings are not allowed",
    "Await": "await is not allowed",
    "Yield": "yield is not allowed",
    "YieldFrom": "yield is not allowed",
}


class ConditionError(ValueError):
    """A condition that does not parse or bind. The message names the file, the text and the column."""

    def __init__(self, problem: str, *, text: str, source: str, col: int | None = None) -> None:
        self.problem = problem
        self.text = text
        self.source = source
        self.col = col
        where = f" at column {col + 1}" if col is not None else ""
        super().__init__(f"{source}: condition {text!r}{where}: {problem}")


# ---------------------------------------------------------------------------------------------------
# Parsed (unbound) tree: names are not yet resolved to facts or parameters.


@dataclass(frozen=True)
class PName:
    id: str
    col: int


@dataclass(frozen=True)
class PConst:
    value: bool | int | float | str
    col: int


@dataclass(frozen=True)
class PList:
    items: tuple[PConst, ...]
    col: int


@dataclass(frozen=True)
class PCompare:
    left: PName | PConst
    op: Op
    right: PName | PConst
    col: int


@dataclass(frozen=True)
class PIn:
    left: PName | PConst
    right: PName | PList
    negated: bool
    col: int


@dataclass(frozen=True)
class PAnd:
    items: tuple[PExpr, ...]


@dataclass(frozen=True)
class POr:
    items: tuple[PExpr, ...]


@dataclass(frozen=True)
class PNot:
    item: PExpr


PExpr = PName | PConst | PCompare | PIn | PAnd | POr | PNot


# ---------------------------------------------------------------------------------------------------
# Bound tree: what evaluators run.


@dataclass(frozen=True)
class BoolConst:
    value: bool


@dataclass(frozen=True)
class Atom:
    """``fact OP value``; the value is normalised exactly like fact values."""

    fact: str
    op: Op
    value: Const

    def test(self, actual: Norm) -> bool | None:
        if actual is None:
            return None
        return _compare(actual, self.op, self.value)


@dataclass(frozen=True)
class InSet:
    fact: str
    values: tuple[Const, ...]
    negated: bool

    def test(self, actual: Norm) -> bool | None:
        if actual is None:
            return None
        hit = any(_compare(actual, "==", v) for v in self.values)
        return not hit if self.negated else hit


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    item: Expr


Expr = BoolConst | Atom | InSet | And | Or | Not


def _compare(a: Norm, op: Op, b: Const) -> bool:
    # Types were checked at bind time: a string fact only meets strings with == / !=, a numeric fact
    # only meets numbers. A mismatch here can only be a string value in a numeric fact's slot that the
    # normaliser kept (a name outside the catalogue); it compares as "not equal", never raises.
    if isinstance(a, str) != isinstance(b, str):
        return op == "!="
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    if op == ">=":
        return a >= b  # type: ignore[operator]
    if op == "==":
        return a == b
    return a != b


def evaluate_expr(expr: Expr, env: Mapping[str, object]) -> bool | None:
    """Kleene three-valued evaluation; ``env`` values are normalised on lookup."""
    if isinstance(expr, BoolConst):
        return expr.value
    if isinstance(expr, Atom | InSet):
        return expr.test(normalise_value(expr.fact, env.get(expr.fact)))
    if isinstance(expr, Not):
        inner = evaluate_expr(expr.item, env)
        return None if inner is None else not inner
    if isinstance(expr, And):
        result: bool | None = True
        for item in expr.items:
            v = evaluate_expr(item, env)
            if v is False:
                return False
            if v is None:
                result = None
        return result
    result = False
    for item in expr.items:
        v = evaluate_expr(item, env)
        if v is True:
            return True
        if v is None:
            result = None
    return result


def expr_references(expr: Expr) -> frozenset[str]:
    if isinstance(expr, BoolConst):
        return frozenset()
    if isinstance(expr, Atom | InSet):
        return frozenset({expr.fact})
    if isinstance(expr, Not):
        return expr_references(expr.item)
    out: frozenset[str] = frozenset()
    for item in expr.items:
        out |= expr_references(item)
    return out


def expr_atoms(expr: Expr) -> tuple[Atom, ...]:
    """Every comparison, with ``in`` lists expanded to equalities, without duplicates, in order."""
    seen: dict[Atom, None] = {}

    def walk(e: Expr) -> None:
        if isinstance(e, Atom):
            seen.setdefault(e, None)
        elif isinstance(e, InSet):
            for v in e.values:
                seen.setdefault(Atom(e.fact, "==", v), None)
        elif isinstance(e, Not):
            walk(e.item)
        elif isinstance(e, And | Or):
            for item in e.items:
                walk(item)

    walk(expr)
    return tuple(seen)


def evaluate_with_atoms(expr: Expr, truth: Mapping[Atom, bool | None]) -> bool | None:
    """Evaluate from the truth values of the atoms (``expr_atoms``) instead of from fact values.

    The durable_rules compiler enumerates atom assignments with this; for the same facts it gives
    exactly what ``evaluate_expr`` gives, because an ``in`` test is the disjunction of its equalities.
    """
    if isinstance(expr, BoolConst):
        return expr.value
    if isinstance(expr, Atom):
        return truth[expr]
    if isinstance(expr, InSet):
        hits = [truth[Atom(expr.fact, "==", v)] for v in expr.values]
        if any(h is None for h in hits):
            return None
        hit = any(hits)
        return not hit if expr.negated else hit
    if isinstance(expr, Not):
        inner = evaluate_with_atoms(expr.item, truth)
        return None if inner is None else not inner
    values = [evaluate_with_atoms(item, truth) for item in expr.items]
    if isinstance(expr, And):
        if any(v is False for v in values):
            return False
        return None if any(v is None for v in values) else True
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def render_expr(expr: Expr) -> str:
    """Canonical text of a bound expression (parameters shown as their values)."""
    if isinstance(expr, BoolConst):
        return "true" if expr.value else "false"
    if isinstance(expr, Atom):
        return f"{expr.fact} {expr.op} {_lit(expr.value)}"
    if isinstance(expr, InSet):
        items = ", ".join(_lit(v) for v in expr.values)
        return f"{expr.fact} {'not in' if expr.negated else 'in'} [{items}]"
    if isinstance(expr, Not):
        return f"not ({render_expr(expr.item)})"
    joiner = " and " if isinstance(expr, And) else " or "
    return joiner.join(
        f"({render_expr(i)})" if isinstance(i, And | Or) else render_expr(i) for i in expr.items
    )


def _lit(v: Const) -> str:
    return repr(v) if isinstance(v, str) else str(v)


# ---------------------------------------------------------------------------------------------------
# Parsing


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source

    def error(self, problem: str, node: ast.AST | None = None, col: int | None = None) -> ConditionError:
        if node is not None and col is None:
            col = self.col(node)
        return ConditionError(problem, text=self.text, source=self.source, col=col)

    def col(self, node: ast.AST) -> int:
        # ast columns are UTF-8 byte offsets; convert to characters so Chinese literals don't skew them.
        byte_col: int = getattr(node, "col_offset", 0)
        return len(self.text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def parse(self) -> PExpr:
        if not self.text.strip():
            raise self.error("empty condition")
        if len(self.text) > MAX_LENGTH:
            raise self.error(f"longer than {MAX_LENGTH} characters")
        if "\n" in self.text.strip():
            raise self.error("a condition is a single line")
        if "\0" in self.text:  # ast.parse raises ValueError for it before Python 3.11.4, SyntaxError after
            raise self.error("contains a NUL character", col=self.text.index("\0"))
        try:
            tree = ast.parse(self.text.strip(), mode="eval")
        except (SyntaxError, ValueError) as exc:  # ValueError: source ast.parse refuses outright
            offset = exc.offset if isinstance(exc, SyntaxError) else None
            message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            raise self.error(f"syntax error: {message}", col=(offset - 1) if offset else None) from None
        self.text = self.text.strip()
        return self.expr(tree.body)

    def expr(self, node: ast.expr) -> PExpr:
        if isinstance(node, ast.BoolOp):
            items = tuple(self.expr(v) for v in node.values)
            return PAnd(items) if isinstance(node.op, ast.And) else POr(items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return PNot(self.expr(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Name | ast.Constant | ast.UnaryOp):
            return self.operand(node)
        if isinstance(node, ast.List):
            raise self.error("a list may only follow 'in' / 'not in'", node)
        raise self.error(_FORBIDDEN.get(type(node).__name__, f"{type(node).__name__} is not allowed"), node)

    def compare(self, node: ast.Compare) -> PExpr:
        parts: list[PExpr] = []
        left: ast.expr = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            col = self.col(left)
            if isinstance(op, ast.In | ast.NotIn):
                if len(node.ops) != 1:
                    raise self.error("'in' cannot be chained with other comparisons", node)
                if isinstance(right, ast.List):
                    rhs: PName | PList = PList(tuple(self.literal(e) for e in right.elts), self.col(right))
                elif isinstance(right, ast.Name):
                    rhs = PName(right.id, self.col(right))
                else:
                    raise self.error("'in' needs a literal list [..] or a list parameter", right)
                parts.append(PIn(self.operand(left), rhs, isinstance(op, ast.NotIn), col))
            elif type(op) in _OPS:
                parts.append(PCompare(self.operand(left), _OPS[type(op)], self.operand(right), col))
            else:
                raise self.error(f"operator {type(op).__name__} is not allowed", node)
            left = right
        return parts[0] if len(parts) == 1 else PAnd(tuple(parts))

    def operand(self, node: ast.expr) -> PName | PConst:
        if isinstance(node, ast.Name):
            if node.id in ("true", "True"):
                return PConst(True, self.col(node))
            if node.id in ("false", "False"):
                return PConst(False, self.col(node))
            if node.id.startswith("_"):
                raise self.error(f"names may not start with '_' ({node.id!r})", node)
            return PName(node.id, self.col(node))
        return self.literal(node)

    def literal(self, node: ast.expr) -> PConst:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            inner = self.literal(node.operand)
            if isinstance(inner.value, bool) or not isinstance(inner.value, int | float):
                raise self.error("a sign may only precede a number", node)
            value = -inner.value if isinstance(node.op, ast.USub) else inner.value
            return PConst(value, self.col(node))
        if isinstance(node, ast.Name) and node.id in ("true", "false", "True", "False"):
            return PConst(node.id in ("true", "True"), self.col(node))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int | float | str):
                return PConst(node.value, self.col(node))
            raise self.error(f"literal {node.value!r} is not allowed (numbers, strings, true, false)", node)
        if isinstance(node, ast.Name):
            raise self.error(f"expected a literal, found the name {node.id!r}", node)
        raise self.error(_FORBIDDEN.get(type(node).__name__, f"{type(node).__name__} is not allowed"), node)


@dataclass(frozen=True)
class Condition:
    """A parsed condition: immutable, not yet bound to a profile's parameters."""

    text: str
    source: str
    tree: PExpr

    def names(self) -> frozenset[str]:
        """Every name used (facts and parameters alike)."""
        out: set[str] = set()

        def walk(e: PExpr | PList) -> None:
            if isinstance(e, PName):
                out.add(e.id)
            elif isinstance(e, PCompare | PIn):
                walk(e.left)
                walk(e.right)
            elif isinstance(e, PNot):
                walk(e.item)
            elif isinstance(e, PAnd | POr):
                for i in e.items:
                    walk(i)

        walk(self.tree)
        return frozenset(out)

    def references(self, facts: Mapping[str, FactDef] | None = None) -> frozenset[str]:
        """The fact names used (names in the fact catalogue)."""
        catalogue = FACTS if facts is None else facts
        return frozenset(n for n in self.names() if n in catalogue)

    def bind(self, params: Mapping[str, ParamValue], facts: Mapping[str, FactDef] | None = None) -> Bound:
        return Bound(
            self.text, self.source, _Binder(self, params, FACTS if facts is None else facts).expr(self.tree)
        )


def parse(text: str, source: str = "<condition>") -> Condition:
    """Parse a condition; ``source`` (the rule file) is named in every error."""
    parser = _Parser(text, source)
    tree = parser.parse()
    return Condition(parser.text, source, tree)


# ---------------------------------------------------------------------------------------------------
# Binding


class _Binder:
    def __init__(
        self, cond: Condition, params: Mapping[str, ParamValue], facts: Mapping[str, FactDef]
    ) -> None:
        self.cond = cond
        self.params = params
        self.facts = facts

    def error(self, problem: str, col: int | None) -> ConditionError:
        return ConditionError(problem, text=self.cond.text, source=self.cond.source, col=col)

    def resolve(self, node: PName | PConst) -> tuple[str, None] | tuple[None, ParamValue]:
        """(fact name, None) or (None, constant value)."""
        if isinstance(node, PConst):
            return None, node.value
        if node.id in self.facts:
            return node.id, None
        if node.id in self.params:
            return None, self.params[node.id]
        raise self.error(
            f"unknown name {node.id!r}: not a fact of schemas/facts.py FACTS nor a parameter of profile.toml",
            node.col,
        )

    def const(self, fact: str, value: ParamValue, col: int, op: Op) -> Const:
        if isinstance(value, list) or value is None:
            raise self.error(f"{fact} is compared with {value!r}; expected a single number or string", col)
        ftype = self.facts[fact].type
        if ftype is str:
            if not isinstance(value, str):
                raise self.error(f"{fact} is text and can only be compared with a string, not {value!r}", col)
            if op in _ORDERING:
                raise self.error(f"{fact} is text: only ==, !=, in and not in are allowed", col)
            return value
        if isinstance(value, str):
            raise self.error(f"{fact} is a number/flag and cannot be compared with the string {value!r}", col)
        norm = normalise_value(fact, value)
        if norm is None or isinstance(norm, str):
            raise self.error(f"{value!r} is not a usable constant", col)
        return norm

    def expr(self, node: PExpr) -> Expr:
        if isinstance(node, PAnd):
            return And(tuple(self.expr(i) for i in node.items))
        if isinstance(node, POr):
            return Or(tuple(self.expr(i) for i in node.items))
        if isinstance(node, PNot):
            return Not(self.expr(node.item))
        if isinstance(node, PCompare):
            return self.compare(node)
        if isinstance(node, PIn):
            return self.in_(node)
        # A bare operand used as a truth value.
        fact, value = self.resolve(node)
        col = node.col
        if fact is not None:
            if self.facts[fact].type is not bool:
                raise self.error(f"{fact} is not a yes/no fact; compare it with something", col)
            return Atom(fact, "==", 1)
        if isinstance(value, bool):
            return BoolConst(value)
        raise self.error(f"{value!r} is not a truth value", col)

    def compare(self, node: PCompare) -> Expr:
        lfact, lval = self.resolve(node.left)
        rfact, rval = self.resolve(node.right)
        if lfact is not None and rfact is not None:
            raise self.error("compare a fact with a parameter or a literal, not two facts", node.col)
        if lfact is not None:
            return Atom(lfact, node.op, self.const(lfact, rval, node.col, node.op))
        if rfact is not None:
            op = FLIP[node.op]
            return Atom(rfact, op, self.const(rfact, lval, node.col, op))
        # Two constants (parameters or literals): fold now so evaluators never see them.
        if isinstance(lval, list) or isinstance(rval, list) or lval is None or rval is None:
            raise self.error("lists can only be used with 'in'", node.col)
        if isinstance(lval, str) != isinstance(rval, str):
            raise self.error(f"cannot compare {lval!r} with {rval!r}", node.col)
        a = normalise_value("", lval)
        b = normalise_value("", rval)
        assert a is not None and b is not None
        return BoolConst(_compare(a, node.op, b))

    def in_(self, node: PIn) -> Expr:
        fact, _ = self.resolve(node.left)
        if fact is None:
            raise self.error("the left side of 'in' must be a fact", node.col)
        if isinstance(node.right, PList):
            raw: list[ParamValue] = [c.value for c in node.right.items]
        else:
            if node.right.id in self.facts:
                raise self.error("the right side of 'in' must be a list or a list parameter", node.right.col)
            if node.right.id not in self.params:
                raise self.error(
                    f"unknown name {node.right.id!r}: not a parameter of profile.toml", node.right.col
                )
            pv = self.params[node.right.id]
            if not isinstance(pv, list):
                raise self.error(f"parameter {node.right.id!r} is not a list", node.right.col)
            raw = list(pv)
        values = tuple(dict.fromkeys(self.const(fact, v, node.col, "==") for v in raw))
        return InSet(fact, values, node.negated)


@dataclass(frozen=True)
class Bound:
    """A condition bound to a profile: parameters replaced by values, ready to evaluate or compile."""

    text: str
    source: str
    expr: Expr

    def references(self) -> frozenset[str]:
        return expr_references(self.expr)

    def evaluate(self, env: Mapping[str, object]) -> bool | None:
        return evaluate_expr(self.expr, env)

    def atoms(self) -> tuple[Atom, ...]:
        return expr_atoms(self.expr)

    def render(self) -> str:
        return render_expr(self.expr)


def compile_condition(
    text: str,
    params: Mapping[str, ParamValue],
    source: str = "<condition>",
    facts: Mapping[str, FactDef] | None = None,
) -> Bound:
    """``parse`` then ``bind`` in one step."""
    return parse(text, source).bind(params, facts)
