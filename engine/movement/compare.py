"""compare: what changed between two rounds of graded branches.

A round is its branches' ``BranchResult`` (as the ledger keeps them, or as a replay makes them). Between
two rounds this works out

* the grade migration matrix — branches in both rounds, by grade before (rows) and after (columns);
* each such branch's movement: 晋位升级 (a better grade), 等次下降 (a worse one) or 等次持平;
* the branches found in one round only (listed, outside the matrix);
* rectification items opened, closed and still open — an item is (branch, rule code) on a result's
  ``items``, counted for branches in both rounds — per branch and per rule;
* the college KPIs of each round under its own profile's policy (``engine.grading.college_kpis``);
* beside each branch's computed grades, the reviewed grade (审定) an officer recorded in either round —
  shown, not compared: the movement is the computed grades'.

The cross-round tables are pandas (a merge on the branch, ``crosstab``, ``pivot_table``); what leaves this
module is plain frozen dataclasses, which the workbook, the JSON and the console read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol

from engine.grading import college_kpis
from schemas.common import Text
from schemas.facts import BranchIdentity
from schemas.results import Grade, Review
from schemas.rules import GradingPolicy

if TYPE_CHECKING:
    import pandas as pd

Direction = Literal["up", "down", "same"]
ItemState = Literal["opened", "closed", "still_open"]
DIRECTIONS: tuple[Direction, ...] = ("up", "down", "same")
ITEM_STATES: tuple[ItemState, ...] = ("opened", "closed", "still_open")


class MovementError(Exception):
    """Two rounds that cannot be compared; ``text`` says why in each language."""

    def __init__(self, text: Text) -> None:
        super().__init__(f"{text.zh} / {text.en}")
        self.text = text


class ItemSource(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def title(self) -> Text: ...


class Graded(Protocol):
    """What compare reads of a graded branch: a ``BranchResult``, or a lighter record carrying these (so a
    round can be compared without decoding every full result and its trace)."""

    @property
    def identity(self) -> BranchIdentity: ...

    @property
    def grade(self) -> Grade: ...

    @property
    def total(self) -> float: ...

    @property
    def items(self) -> Sequence[ItemSource]: ...

    @property
    def kpi_flags(self) -> Mapping[str, bool]: ...


@dataclass(frozen=True)
class Side:
    """One round as compare reads it: its label, profile name, results and (when the profile is available
    here) that profile's grading policy — it orders the grades and prices the KPIs."""

    label: Text
    profile: str
    results: Sequence[Graded]
    policy: GradingPolicy | None = None
    reviews: Mapping[str, Review] = field(default_factory=dict)  # branch id -> standing reviewed grade


@dataclass(frozen=True)
class Move:
    """One branch found in both rounds."""

    branch_id: str
    branch_name: str
    general_branch: str | None
    before: Grade
    after: Grade
    total_before: float
    total_after: float
    direction: Direction
    opened: int
    closed: int
    still_open: int
    # an officer's reviewed grade in each round, where there is one (the grades above are computed)
    reviewed_before: Review | None = None
    reviewed_after: Review | None = None


@dataclass(frozen=True)
class Lone:
    """A branch found in one round only."""

    branch_id: str
    branch_name: str
    grade: Grade
    total: float


@dataclass(frozen=True)
class ItemMove:
    """One rectification item (branch, rule code) of a branch found in both rounds."""

    branch_id: str
    branch_name: str
    code: str
    title: Text
    state: ItemState


@dataclass(frozen=True)
class RuleCount:
    """Items of one rule across the branches in both rounds."""

    code: str
    title: Text
    opened: int
    closed: int
    still_open: int


@dataclass(frozen=True)
class KpiMove:
    """A college KPI in each round (None where a round does not report it)."""

    code: str
    title: Text
    target: float
    before: float | None
    after: float | None
    met_before: bool | None
    met_after: bool | None

    @property
    def change(self) -> float | None:
        """The change of the share, in percentage points."""
        if self.before is None or self.after is None:
            return None
        return round((self.after - self.before) * 100, 2) + 0.0


@dataclass(frozen=True)
class Movement:
    before_label: Text
    after_label: Text
    before_profile: str
    after_profile: str
    before_count: int
    after_count: int
    grades: tuple[Grade, ...]  # best first: the matrix's row and column order
    matrix: tuple[tuple[int, ...], ...]  # [row = grade before][column = grade after]
    moves: tuple[Move, ...]  # up first, then down, then same; by branch id within each
    only_before: tuple[Lone, ...]
    only_after: tuple[Lone, ...]
    items: tuple[ItemMove, ...]  # by branch id, then state, then code
    rules: tuple[RuleCount, ...]  # most items first, then by code
    kpis: tuple[KpiMove, ...]

    def moved(self, direction: Direction) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.direction == direction)

    def item_count(self, state: ItemState) -> int:
        return sum(1 for i in self.items if i.state == state)


def grade_order(sides: Iterable[Side]) -> tuple[Grade, ...]:
    """The grades best first: each available policy's bands (the later round's first), then any grade a
    result carries that no policy names (by code). Raises ``MovementError`` when no policy is available."""
    sides = list(sides)
    order: dict[str, Grade] = {}
    for side in reversed(sides):
        if side.policy is not None:
            for band in side.policy.grades:
                order.setdefault(band.code, Grade(code=band.code, name=band.name))
    if not order:
        names = "、".join(dict.fromkeys(s.profile for s in sides))
        raise MovementError(
            Text(
                zh=f"无法排列等次：两轮的规则集 {names} 在本机均不存在；"
                "请把该规则集文件夹放回 rules/ 下再比较",
                en=f"cannot order the grades: no round's profile ({names}) is available here; put the "
                "profile's folder back under rules/ and compare again",
            )
        )
    extra = sorted(
        {r.grade.code: r.grade for s in sides for r in s.results if r.grade.code not in order}.items()
    )
    return (*order.values(), *(grade for _, grade in extra))


def _branches(side: Side) -> pd.DataFrame:
    import pandas as pd

    rows = [
        (
            r.identity.branch_id,
            r.identity.branch_name,
            r.identity.general_branch,
            r.grade.code,
            r.total,
        )
        for r in side.results
    ]
    frame = pd.DataFrame(rows, columns=["branch_id", "name", "general", "grade", "total"])
    return frame.drop_duplicates("branch_id", keep="last").set_index("branch_id")


def _items(side: Side) -> pd.DataFrame:
    """The round's items as (branch_id, code) rows, each pair once."""
    import pandas as pd

    rows = [(r.identity.branch_id, f.code) for r in side.results for f in r.items]
    return pd.DataFrame(rows, columns=["branch_id", "code"]).drop_duplicates()


_MOVE_COLUMNS = ("name_b", "general_b", "grade_a", "grade_b", "total_a", "total_b", "direction", *ITEM_STATES)

# The merge indicator of an item's (branch, rule) pair -> its state from the earlier round to the later.
_HELD = {"left_only": "closed", "right_only": "opened", "both": "still_open"}


def migration(
    before: Sequence[str], after: Sequence[str], grades: Sequence[Grade]
) -> tuple[tuple[int, ...], ...]:
    """The migration matrix of paired grade codes: ``[row = before][column = after]`` in ``grades``'
    order, every grade a row and a column (zeros included)."""
    import pandas as pd

    codes = [g.code for g in grades]
    table = pd.crosstab(
        pd.Categorical(list(before), categories=codes),
        pd.Categorical(list(after), categories=codes),
        dropna=False,
    ).reindex(index=codes, columns=codes, fill_value=0)
    return tuple(tuple(int(v) for v in row) for row in table.to_numpy())


def directions(before: pd.Series, after: pd.Series, grades: Sequence[Grade]) -> list[Direction]:
    """Per pair of grade codes (two aligned Series), "up" / "down" / "same" by their rank in ``grades``."""
    rank = {g.code: i for i, g in enumerate(grades)}
    delta = before.map(rank).to_numpy() - after.map(rank).to_numpy()  # a smaller rank is a better grade
    return ["up" if d > 0 else "down" if d < 0 else "same" for d in delta]


def compare(before: Side, after: Side) -> Movement:
    """The movement from round ``before`` to round ``after`` (see the module doc)."""

    grades = grade_order((before, after))
    by_code = {g.code: g for g in grades}
    a, b = _branches(before), _branches(after)
    merged = a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_a", "_b")).sort_index()
    in_a, in_b = merged["grade_a"].notna(), merged["grade_b"].notna()
    both = merged[in_a & in_b].copy()
    both["direction"] = directions(both["grade_a"], both["grade_b"], grades)

    # An item is (branch, rule): an outer merge of the two rounds' pairs says which round holds each.
    pairs = [_items(side)[lambda f: f["branch_id"].isin(both.index)] for side in (before, after)]
    items = pairs[0].merge(pairs[1], how="outer", indicator="held").sort_values(["branch_id", "code"])
    items["state"] = items["held"].map(_HELD).astype(str)
    per_branch = (
        items.groupby(["branch_id", "state"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=both.index, columns=list(ITEM_STATES), fill_value=0)
    )
    per_rule = (
        items.groupby(["code", "state"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=list(ITEM_STATES), fill_value=0)
    )
    table = both.join(per_branch)
    titles = _titles((before, after))

    columns = (table.index.tolist(), *(table[c].tolist() for c in _MOVE_COLUMNS))
    moves = [
        replace(
            mv,
            reviewed_before=before.reviews.get(mv.branch_id),
            reviewed_after=after.reviews.get(mv.branch_id),
        )
        for mv in (_move(by_code, *row) for row in zip(*columns, strict=True))
    ]
    moves.sort(key=lambda m: (DIRECTIONS.index(m.direction), m.branch_id))
    names = both["name_b"].to_dict()
    item_moves = sorted(
        (
            ItemMove(str(bid), str(names[bid]), str(code), titles[code], state)
            for bid, code, state in zip(
                *(items[c].tolist() for c in ("branch_id", "code", "state")), strict=True
            )
        ),
        key=lambda i: (i.branch_id, ITEM_STATES.index(i.state), i.code),
    )
    rule_counts = sorted(
        (
            RuleCount(str(code), titles[str(code)], int(o), int(c), int(k))
            for code, o, c, k in zip(
                per_rule.index.tolist(), *(per_rule[c].tolist() for c in ITEM_STATES), strict=True
            )
        ),
        key=lambda r: (-(r.opened + r.closed + r.still_open), r.code),
    )
    return Movement(
        before_label=before.label,
        after_label=after.label,
        before_profile=before.profile,
        after_profile=after.profile,
        before_count=len(a),
        after_count=len(b),
        grades=grades,
        matrix=migration(list(both["grade_a"]), list(both["grade_b"]), grades),
        moves=tuple(moves),
        only_before=_lone(merged[in_a & ~in_b], "a", by_code),
        only_after=_lone(merged[~in_a & in_b], "b", by_code),
        items=tuple(item_moves),
        rules=tuple(rule_counts),
        kpis=kpi_moves(before, after),
    )


def _move(
    by_code: dict[str, Grade],
    branch_id: str,
    name: str,
    general: str | None,
    grade_a: str,
    grade_b: str,
    total_a: float,
    total_b: float,
    direction: Direction,
    opened: int,
    closed: int,
    still_open: int,
) -> Move:
    """A row of the joined table (``_MOVE_COLUMNS``) as a ``Move``."""
    import pandas as pd

    return Move(
        branch_id=str(branch_id),
        branch_name=str(name),
        general_branch=None if pd.isna(general) else str(general),
        before=by_code[grade_a],
        after=by_code[grade_b],
        total_before=float(total_a),
        total_after=float(total_b),
        direction=direction,
        opened=int(opened),
        closed=int(closed),
        still_open=int(still_open),
    )


def _lone(frame: pd.DataFrame, suffix: str, by_code: dict[str, Grade]) -> tuple[Lone, ...]:
    return tuple(
        Lone(str(bid), str(name), by_code[code], float(total))
        for bid, name, code, total in zip(
            frame.index,
            frame[f"name_{suffix}"],
            frame[f"grade_{suffix}"],
            frame[f"total_{suffix}"],
            strict=True,
        )
    )


def _titles(sides: Iterable[Side]) -> dict[str, Text]:
    """Each rule code's title, the later round's wording where both have it."""
    titles: dict[str, Text] = {}
    for side in sides:
        for r in side.results:
            for f in r.items:
                titles[f.code] = f.title
    return titles


def kpi_moves(before: Side, after: Side) -> tuple[KpiMove, ...]:
    """Each round's college KPIs under its own policy, paired by code (the later round's order first)."""
    figures = [
        {k.code: k for k in college_kpis(s.results, s.policy)} if s.policy is not None else {}
        for s in (before, after)
    ]
    codes = list(dict.fromkeys([*figures[1], *figures[0]]))
    out: list[KpiMove] = []
    for code in codes:
        a, b = figures[0].get(code), figures[1].get(code)
        shown = b or a
        assert shown is not None
        out.append(
            KpiMove(
                code=code,
                title=shown.title,
                target=shown.target,
                before=a.actual if a is not None else None,
                after=b.actual if b is not None else None,
                met_before=a.met if a is not None else None,
                met_after=b.met if b is not None else None,
            )
        )
    return tuple(out)
