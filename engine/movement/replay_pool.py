"""Replay of a recorded round across worker processes.

The ledger's rows go to the workers as stored (each branch's facts and result as zlib-compressed JSON);
a worker decodes them, re-grades a chunk of branches in one engine call and sends back only what the
report needs (``replay.Replayed``: grade, total, the rules that changed — the new results only when
kept). Each worker opens the evaluator, compiling the profile, once, when it starts. The pool follows
the grading pipeline's: spawned processes (durable_rules must not be forked), the tasks cut by
``pipeline.chunk_bounds``, each worker's memory capped (``pipeline.cap_memory``), Ctrl+C left to the
main process.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from engine.ledger.store import StoredBranch, decompress
from engine.movement.replay import Before, Replay, Replayed, assemble, outcomes_of_json, replay_chunk
from engine.pipeline import CHUNK_FILES, cap_memory, chunk_bounds, worker_memory_limit
from engine.rulebook import EvaluatorName, open_evaluator
from schemas.facts import BranchFacts
from schemas.results import Grade
from schemas.rules import ParamValue, Profile

if TYPE_CHECKING:
    from engine.rulebook import Evaluator

__all__ = ["replay_stored"]

Packed = tuple[bytes, bytes]  # a branch's stored result and facts
_worker: dict[str, Any] = {}


def _init(profile: Profile, evaluator: EvaluatorName, keep: bool, memory_limit: int | None) -> None:
    cap_memory(memory_limit)
    for name in ("SIGINT", "SIGHUP"):  # a stop reaches the whole process group: the main process decides
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    _worker.update(profile=profile, evaluator=open_evaluator(profile, evaluator), keep=keep)


def _regrade(packed: Sequence[Packed], profile: Profile, evaluator: Evaluator, keep: bool) -> list[Replayed]:
    facts = [BranchFacts.model_validate_json(decompress(f)) for _, f in packed]
    was = [outcomes_of_json(decompress(r)) for r, _ in packed]
    return replay_chunk(facts, was, profile, evaluator, keep)


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
    cost more to start than it saves). ``keep``: the report carries the new results too."""
    packed = [(s.result_z, s.facts_z) for s in stored]
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
