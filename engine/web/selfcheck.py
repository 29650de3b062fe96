"""A secretary's self-check: one workbook graded in a warm pool of isolated worker processes.

The server process never parses a workbook (a malformed file can abort a native parser, and with it the
process): each check is sent, as bytes, to a worker that was started once, with every profile and its
evaluator compiled once (``_start``). The worker writes the bytes to a private temporary file under a
generated name, runs the library API on it (``pipeline.grade_workbooks``: the CLI's pre-flight, reading,
validation, facts, rules and grade) and deletes the file before it answers: nothing stays on disk.
A worker that dies takes only its own check (reported as the CLI reports it, IN-01); the pool is then
replaced. The answer keeps the rectification list as bytes, for the page's download link.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import anyio

from engine import pipeline
from engine.export.branch_list import branch_list_bytes
from engine.profiles import Evaluators, ProfileChoice
from engine.rulebook import EvaluatorName
from schemas.batch import FileReport
from schemas.common import Lang
from schemas.results import BranchResult


@dataclass(frozen=True)
class CheckAnswer:
    """What a self-check found: the file's report (every IN- problem), its result when graded, and the
    rectification list in the language asked for (None when not graded). The result is what the page
    shows and a submission records (grade, scores, items with their cells, the path): without the rule
    trace and the facts, which the list was written from in the worker and which would more than double
    the answer carried back to the server."""

    report: FileReport
    result: BranchResult | None
    list_bytes: bytes | None
    worker_ms: float = (
        0.0  # the worker's own time on it (the rest of a request's time is queueing and the page)
    )


_state: dict[str, object] = {}


def _start(evaluator: EvaluatorName, memory_limit: int | None) -> None:
    """A worker's start: memory capped like a batch worker's, every profile loaded and compiled once."""
    pipeline.cap_memory(memory_limit)
    choice = ProfileChoice.from_ref("auto")
    evaluators = Evaluators(choice, evaluator)
    for entry in choice.entries:  # each profile's first year; its other years on first use
        evaluators(entry.name, entry.year)
    _state.update(choice=choice, evaluators=evaluators, scratch=tempfile.mkdtemp(prefix="branchgrade-check-"))


def _check(data: bytes, display_name: str, lang: Lang) -> CheckAnswer:
    started = time.perf_counter()
    choice, evaluators, scratch = _state["choice"], _state["evaluators"], _state["scratch"]
    assert isinstance(choice, ProfileChoice) and isinstance(evaluators, Evaluators)
    assert isinstance(scratch, str)
    fd, name = tempfile.mkstemp(dir=scratch, suffix=".upload")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        outcome = pipeline.grade_workbooks([(path, display_name)], choice, evaluators)[0]
    except MemoryError:  # over the worker's memory cap: reported as a batch reports it (IN-03)
        return CheckAnswer(pipeline.out_of_memory_outcome(display_name).report, None, None)
    finally:
        path.unlink(missing_ok=True)
    result = outcome.result
    listed = None if result is None else branch_list_bytes(result, lang)
    if result is not None:  # the page shows neither: they are most of the answer's bytes to carry back
        result = result.model_copy(update={"trace": (), "facts": {}, "fact_evidence": {}})
    return CheckAnswer(outcome.report, result, listed, (time.perf_counter() - started) * 1000)


Task = Callable[[bytes, str, Lang], CheckAnswer]


class CheckPool:
    """The warm pool: ``workers`` processes started once; ``check`` sends one workbook to one of them.
    ``task`` is what a worker runs (tests give one that crashes on purpose)."""

    def __init__(self, workers: int = 1, evaluator: str = "auto", task: Task = _check) -> None:
        self.workers = workers
        self.evaluator = pipeline.choose_evaluator(evaluator)
        self.memory_limit = pipeline.worker_memory_limit()
        self.task = task
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = self._executor(self.workers)
        # start every worker now, so the first secretary does not wait for the profiles to compile
        for future in [pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result()
        return pool

    def _renew(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:  # the first to see the break renews the pool
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def check(self, data: bytes, display_name: str, lang: Lang) -> CheckAnswer:
        """The answer for one workbook. A worker that dies breaks the pool and every check in it: the
        pool is renewed and each of those checks is tried again alone, in a worker of its own, where a
        second death names its workbook (IN-01, as a batch reports it) and spares the others."""
        with self._lock:
            pool = self._pool
        try:
            future = pool.submit(self.task, data, display_name, lang)
            return future.result()
        except BrokenProcessPool:
            return self._recover(pool, data, display_name, lang)

    async def answer(self, data: bytes, display_name: str, lang: Lang) -> CheckAnswer:
        """``check`` for the server's event loop: the answer is awaited where it is asked for, with no
        thread of the server blocked on it (a thread per check in flight costs a hand-off each way and,
        with many clients, takes the thread pool that the other pages' file and database work need)."""
        with self._lock:
            pool = self._pool
        try:
            return await asyncio.wrap_future(pool.submit(self.task, data, display_name, lang))
        except BrokenProcessPool:
            return await anyio.to_thread.run_sync(self._recover, pool, data, display_name, lang)

    def _recover(
        self, broken: ProcessPoolExecutor, data: bytes, display_name: str, lang: Lang
    ) -> CheckAnswer:
        self._renew(broken)
        return self._alone(data, display_name, lang)

    def _alone(self, data: bytes, display_name: str, lang: Lang) -> CheckAnswer:
        with self._executor(1) as alone:
            try:
                return alone.submit(self.task, data, display_name, lang).result()
            except BrokenProcessPool:
                return CheckAnswer(pipeline.crashed_outcome(display_name).report, None, None)

    def _executor(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            workers,
            mp_context=get_context("spawn"),
            initializer=_start,
            initargs=(self.evaluator, self.memory_limit),
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
