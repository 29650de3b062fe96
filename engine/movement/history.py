"""history: one branch's timeline across rounds — grade, total, items, and the items each round opened
and closed against the branch's previous round (a what-if round: against the round it replays)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.export.i18n import fmt_num
from engine.movement.compare import Graded
from engine.movement.labels import word
from schemas.common import Lang, Text


@dataclass(frozen=True)
class Step:
    """The branch in one round (``result`` None: the round does not hold the branch)."""

    round: Text
    profile: str
    result: Graded | None
    opened: tuple[str, ...] = ()  # rule codes, against the branch's previous round holding it
    closed: tuple[str, ...] = ()


def timeline(
    rounds: Sequence[tuple[Text, str, Graded | None]], replays: Mapping[int, int] | None = None
) -> tuple[Step, ...]:
    """The steps of one branch through ``rounds`` (label, profile, its result there), oldest first. The
    first round holding the branch opens all its items. ``replays``: for the position of a what-if round,
    the position of the round it replays — its items are opened and closed against that round's, and it
    is no later round's previous one."""
    replays = replays or {}
    steps: list[Step] = []
    previous: set[str] = set()
    held: dict[int, set[str]] = {}  # each position's item codes
    for position, (label, profile, result) in enumerate(rounds):
        if result is None:
            steps.append(Step(label, profile, None))
            continue
        codes = held[position] = {f.code for f in result.items}
        source = replays.get(position)
        against = previous if source is None else held.get(source, set())
        steps.append(
            Step(label, profile, result, tuple(sorted(codes - against)), tuple(sorted(against - codes)))
        )
        if source is None:
            previous = codes
    return tuple(steps)


def render(branch_id: str, steps: Sequence[Step], lang: Lang = "zh") -> str:
    """The timeline as console lines."""
    name = next((s.result.identity.branch_name for s in reversed(steps) if s.result is not None), "")
    lines = [word("h_head", lang, branch_id=branch_id, name=name)]
    sep = word("list_sep", lang)
    for step in steps:
        shown = step.round.get(lang)
        if step.result is None:
            lines.append(word("h_absent", lang, round=shown))
            continue
        r = step.result
        lines.append(
            word(
                "h_row",
                lang,
                round=shown,
                profile=step.profile,
                grade=r.grade.name.get(lang),
                total=fmt_num(r.total),
                items=len(r.items),
                opened=len(step.opened),
                closed=len(step.closed),
            )
        )
        if step.opened:
            lines.append(word("h_opened", lang, codes=sep.join(step.opened)))
        if step.closed:
            lines.append(word("h_closed", lang, codes=sep.join(step.closed)))
    return "\n".join(lines)
