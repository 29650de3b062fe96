"""A replay recorded as a what-if round (``branchgrade replay ROUND --profile P [--set …] --record NAME``).

The replayed results are recorded as a round of their own — stage ``模拟-NAME`` (``WHAT_IF_PREFIX``), the
year of the round replayed — with the profile they were graded under, its hash, the round they replay
(``rounds.replay_of``) and the ``--set`` values (``rounds.replay_settings``), each branch with its new
result, the facts it was re-graded from (the replayed round's, unchanged) and its items. ``history`` and
``compare`` read it as any round; nothing else does: no TG-04 baseline, no closure by evidence (对账销号),
no 整改台账 and no returned list ever uses a what-if round (``engine.ledger.record.open_items``,
``round_context``, ``engine.ledger.status``), and the recorded round itself is never touched. A name
recorded already is refused unless ``--replace`` (the earlier what-if round then stays, marked replaced).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

from engine.ledger.capture import RoundContext
from engine.ledger.record import Recorder, RoundPlan, round_context
from engine.ledger.store import WHAT_IF_PREFIX, Ledger, RoundInfo
from schemas.results import BranchResult
from schemas.rules import ParamValue

__all__ = ["WHAT_IF_PREFIX", "record_what_if", "settings_json", "what_if_plan", "what_if_stage"]


def what_if_stage(name: str) -> str:
    """The stage a what-if round named ``name`` is recorded under (``模拟-`` + the name, once)."""
    name = name.strip()
    return name if name.startswith(WHAT_IF_PREFIX) else WHAT_IF_PREFIX + name


def settings_json(settings: dict[str, ParamValue]) -> str:
    """The ``--set`` values as the round keeps them: JSON, dates as ISO text."""

    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, date) else str(value)

    return json.dumps(settings, ensure_ascii=False, sort_keys=True, default=plain)


def what_if_plan(
    source: RoundInfo,
    name: str,
    profile: str,
    profile_sha256: str,
    settings: dict[str, ParamValue],
    replace: bool,
) -> RoundPlan:
    """The round a replay of ``source`` named ``name`` is recorded as."""
    return RoundPlan(
        stage=what_if_stage(name),
        year=source.year,
        replace=replace,
        profiles={profile: profile_sha256},
        replay_of=source.id,
        replay_settings=settings_json(settings),
    )


def check_what_if(led: Ledger, plan: RoundPlan) -> None:
    """Refuse (``LedgerError``) a what-if name recorded already for the year, unless ``plan.replace``:
    asked before replaying, so a refusal costs nothing."""
    round_context(led, plan)


def record_what_if(
    led: Ledger, source: RoundInfo, plan: RoundPlan, results: Sequence[BranchResult]
) -> RoundInfo:
    """Record ``results`` — the replay of every branch of round ``source``, in branch-id order — as the
    what-if round ``plan`` describes, with the facts each branch was re-graded from. Returns the round."""
    records = led.branch_records(source.id)
    if [r.branch_id for r in records] != [r.identity.branch_id for r in results]:
        raise ValueError("the replayed results do not match the round's branches")
    context = RoundContext(stage=plan.stage, year=plan.year)  # no earlier item, no baseline: a what-if
    with Recorder(plan) as recorder:
        for record, result in zip(records, results, strict=True):
            problems = led.branch_problems(source.id, record.branch_id)
            recorder.add(context.capture(record.facts, result, record.source_name, problems))
        (recorded,) = recorder.commit(led)
    return recorded
