"""Replay of a recorded round across worker processes.

The ledger's rows go to the workers as stored: each branch's compact replay inputs (its fact values and
recorded rule statuses, engine.ledger.replay_inputs) — or, when the new results are kept, its full facts
and result (zlib-compressed JSON). A worker decodes them, re-grades a chunk of branches in one engine call
(from the values alone unless results are kept: ``replay.replay_values``) and sends back only what the
report needs (``replay.Replayed``: grade, total, the rules that changed — the new results only when
kept). Each worker opens the evaluator, compiling the profile, once, when it starts. The pool follows
the grading pipeline's: spawned processes (durable_rules must not be forked), the tasks cut by
``pipeline.chunk_bounds``, each worker's memory capped (``pipeline.cap_memory``), Ctrl+C left to the
main process.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache, partial
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from engine.ledger.replay_inputs import decode_inputs, decode_titles
from engine.ledger.store import StoredBranch, decompress
from engine.movement.replay import (
    Before,
    Replay,
    Replayed,
    assemble,
    outcomes_of_json,
    replay_chunk,
    replay_values,
)
from engine.pipeline import CHUNK_FILES, cap_memory, chunk_bounds, worker_memory_limit
from engine.rulebook import EvaluatorName, open_evaluator
from schemas.common import Text
from schemas.facts import BranchFacts
from schemas.results import Grade
from schemas.rules import ParamValue, Profile

if TYPE_CHECKING:
    from engine.rulebook import Evaluator

__all__ = ["replay_stored"]

# a branch as stored: its replay inputs and titles, or (keep) its result and facts
Packed = tuple[bytes, bytes]
_worker: dict[str, Any] = {}


def _init(profile: Profile, evaluator: EvaluatorName, keep: bool, memory_limit: int | None) -> None:
    cap_memory(memory_limit)
    for name in ("SIGINT", "SIGHUP"):  # a stop reaches the whole process group: the main process decides
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    _worker.update(profile=profile, evaluator=open_evaluator(profile, evaluator), keep=keep)


@lru_cache(maxsize=16)
def _titles(titles_z: bytes) -> dict[str, Text]:
    """A round's rule titles, decoded once for the branches that share them (all, in a round of one
    profile)."""
    return decode_titles(titles_z)


def _recorded_title(titles_z: bytes, code: str) -> Text:
    return _titles(titles_z)[code]


def _regrade(packed: Sequence[Packed], profile: Profile, evaluator: Evaluator, keep: bool) -> list[Replayed]:
    if keep:
        facts = [BranchFacts.model_validate_json(decompress(f)) for _, f in packed]
        was = [outcomes_of_json(decompress(r)) for r, _ in packed]
        return replay_chunk(facts, was, profile, evaluator, keep)
    decoded = [decode_inputs(inputs) for inputs, _ in packed]
    titles: list[Callable[[str], Text]] = [partial(_recorded_title, t) for _, t in packed]
    return replay_values([v for v, _ in decoded], [s for _, s in decoded], titles, profile, evaluator)


def _task(packed: Sequence[Packed]) -> list[Replayed]:
    return _regrade(packed, _worker["profile"], _worker["evaluator"], _worker["keep"])


def replay_stored(
    stored: Sequence[StoredBranch],
    profile: Profile,
    evaluator: EvaluatorName,
    workers: int,
    settings: dict[str, ParamValue] | None = None,
    recorded_grades: Sequence[Grade] = (),
    keep: bool = False,
) -> Replay:
    """Re-grade the ``stored`` branches of a recorded round under ``profile`` (settings applied) in
    ``workers`` processes — in this one when 0, or when the round is no more than one task (a pool would
    cost more to start than it saves). ``keep``: the report carries the new results too (``stored`` then
    read in full: ``Ledger.stored_branches(…, full=True)``)."""
    packed = [(s.result_z, s.facts_z) if keep else (s.inputs_z, s.titles_z) for s in stored]
    if workers == 0 or len(packed) <= CHUNK_FILES:
        ev = open_evaluator(profile, evaluator)
        try:
            after = _regrade(packed, profile, ev, keep)
        finally:
            ev.close()
    else:
        chunks = [packed[b.start : b.stop] for b in chunk_bounds(len(packed), workers)]
        initargs = (profile, evaluator, keep, worker_memory_limit())
        with ProcessPoolExecutor(
            min(workers, len(chunks)), mp_context=get_context("spawn"), initializer=_init, initargs=initargs
        ) as pool:
            after = [r for part in pool.map(_task, chunks) for r in part]
    before = [Before(s.branch_id, s.branch_name, s.grade, s.total) for s in stored]
    return assemble(before, after, profile, settings, recorded_grades)
