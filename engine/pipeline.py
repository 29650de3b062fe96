"""The library API: grade one workbook or a whole folder, stage by stage.

This is the only module that knows every stage; the CLI is a thin layer over it. A batch runs each
workbook's whole chain (read, validate, facts, rules, grade, its rectification list) in worker
processes: durable_rules is not thread-safe (one ruleset per worker, driven without its threaded Host),
and a workbook that crashes a native parser costs only that workbook — its suspects are retried in one
reused pool, and it is reported as ungradable (``run_parallel``). Workers exit as soon as their run
stops or their main process dies. ``grade_folder`` writes each run into a new run folder under an
output-folder lock (``engine.runs``).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import cached_property
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as connection_wait
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Protocol

import engine
from engine import runs
from engine.coverage import unproven_problems
from engine.export.atomic import atomic_path, sync_all
from engine.export.branch_list import ListMarks, write_branch_list
from engine.export.i18n import label
from engine.export.results_json import ResultsJsonWriter, result_element_bytes, write_manifest
from engine.export.summary import (
    PrintHeading,
    SummaryRecord,
    SummaryWriter,
    summary_record,
    summary_writer,
)
from engine.facts import build_facts
from engine.grading import college_kpis, grade
from engine.grading.policy import Decision, Standing, apply_policy, with_policy
from engine.grading.scoring import ceiling
from engine.ingest import parsed_unchecked, read_workbook
from engine.intake import Entry, ListNames, discover, list_file_stem, readable_name, readable_time
from engine.profiles import Evaluators, ProfileChoice, ProfileEntry
from engine.roster import Roster, RosterCheck, compare
from engine.rulebook import (
    Evaluator,
    EvaluatorName,
    EvaluatorUnavailable,
    evaluate_many,
    resolve_evaluator,
)
from engine.validate import validate_workbook
from schemas.batch import WORKBOOK_STATUSES, BatchReport, FileReport, Kpi
from schemas.common import Evidence, Finding, Lang, Text
from schemas.facts import BranchFacts
from schemas.form import FormResult
from schemas.form_layout import META_SHEET
from schemas.problems import make_problem
from schemas.results import BranchResult, Grade
from schemas.rules import Profile

if sys.platform != "win32":
    import resource

LIST_FOLDER = {"zh": "整改清单", "en": "rectification-lists"}
SUMMARY_NAME = {"zh": "分类定级汇总.xlsx", "en": "grading-summary.xlsx"}
RESULTS_NAME = "results.json"
MANIFEST_NAME = runs.MANIFEST_NAME
WORKER_MEMORY_MB = 1536  # address-space cap per worker; BRANCHGRADE_WORKER_MEMORY_MB overrides, 0 = none
MEMORY_ENV = "BRANCHGRADE_WORKER_MEMORY_MB"
# A batch of at most this many workbooks is graded in the calling process when no worker count is asked
# for (worker_count): a worker is a fresh interpreter that imports the stages and loads the profile before
# its first file, more than a few forms take to grade (bench/RESULTS.md, "Design measurements").
INLINE_FILES = 16
CHUNK_FILES = 64  # files per worker task at most, decided by the rules in one engine call (chunk_bounds)
WORKER_GC_THRESHOLDS = (20_000, 50, 100)  # see _init_worker


class UsageError(Exception):
    """The request itself is wrong (unknown profile, missing folder, output folder in use): exit 2.

    ``text`` holds the message in each language; ``str()`` gives both."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.text = Text(zh=zh, en=en)


class RoundHooks(Protocol):
    """What a capability above the library adds to each graded branch when a run is recorded (the
    ledger, engine.ledger.capture.RoundContext): facts the forms do not hold, a second grading when those
    depend on the first one's grade, the marks on the branch's list, and the branch packed for recording
    (bytes, carried back to the main process with the outcome). Picklable: workers receive it once."""

    def supplement(self, facts: BranchFacts, profile: Profile) -> BranchFacts: ...

    def revise(self, facts: BranchFacts, result: BranchResult, profile: Profile) -> BranchFacts | None: ...

    def list_marks(self, result: BranchResult) -> ListMarks: ...

    def capture(
        self, facts: BranchFacts, result: BranchResult, source_name: str, problems: tuple[Finding, ...]
    ) -> bytes: ...

    def previous_grade(self, branch_id: str, year: int) -> str | None: ...

    def decided(self, captured: bytes, result: BranchResult) -> bytes: ...


@dataclass(frozen=True)
class Packed:
    """A graded file's result in the form the batch outputs take it: what a worker sends back instead of
    the ``BranchResult`` (whose trace and evidence the main process would otherwise have to unpickle and
    keep). ``result_json`` is the result's element of results.json, byte for byte; ``record`` the
    :class:`~engine.export.summary.SummaryRecord` (in the run's language) for the summary workbook — plain
    tuples, pickled once, with the outcome, on its way to the main process."""

    branch_id: str
    branch_name: str
    profile: str
    grade: Grade
    kpi_flags: dict[str, bool]
    result_json: bytes
    record: SummaryRecord
    captured: bytes | None = None  # the branch packed by the run's RoundHooks, when it is recorded
    marks: ListMarks | None = None  # what the RoundHooks marked on its list, when a round is recorded
    # What a profile's scoring policy reads of it besides its record (engine.grading.policy.Standing): the
    # best grade index its caps and vetoes allow, and its open items (the tie rule counts them).
    ceiling: int = 0
    open_items: int = 0
    year: int = 0  # the form's 考核年度


@dataclass(frozen=True)
class FileOutcome:
    """One file's outcome. ``result`` is the full ``BranchResult`` when graded in this process; a batch
    worker sends ``packed`` instead (and ``result`` None): use ``graded``, not ``result``, to ask."""

    report: FileReport
    result: BranchResult | None
    packed: Packed | None = None
    captured: bytes | None = None  # see Packed.captured
    marks: ListMarks | None = None  # see Packed.marks
    ceiling: int = 0  # the best grade index its caps and vetoes allow (engine.grading.scoring.ceiling)

    @property
    def graded(self) -> bool:
        return self.result is not None or self.packed is not None


def pack(outcome: FileOutcome, lang: Lang) -> FileOutcome:
    """``outcome`` with its result serialised for the batch outputs (see :class:`Packed`), result dropped."""
    result = outcome.result
    if result is None:
        return outcome
    packed = Packed(
        branch_id=result.identity.branch_id,
        branch_name=result.identity.branch_name,
        profile=result.profile,
        grade=result.grade,
        kpi_flags=result.kpi_flags,
        result_json=result_element_bytes(result),
        record=summary_record(result, lang),
        captured=outcome.captured,
        marks=outcome.marks,
        ceiling=outcome.ceiling,
        open_items=len(result.items),
        year=result.identity.assessment_year,
    )
    return FileOutcome(outcome.report, None, packed)


def find_workbooks(folder: Path) -> list[Path]:
    """The grading workbooks under ``folder`` in the order a batch grades them (see engine.intake)."""
    return [entry.path for entry in discover(folder) if entry.is_workbook]


def check_workbook(path: Path, display_name: str | None = None) -> FormResult:
    """Read and validate one workbook; ingest problems come back through the FormResult too. No profile
    is needed: dates are checked against the form's own 考核年度, which then chooses the profile."""
    return validate_workbook(read_workbook(path, display_name or path.name))


def choose_profile(checked: FormResult, choice: ProfileChoice) -> ProfileEntry | Finding | None:
    """The profile that grades a valid form (by its 考核年度), the problem that refuses it, or None for a
    form that is not valid anyway."""
    form = checked.form
    if form is None:
        return None
    where = form.basic.at("assessment_year") or Evidence(file=checked.file)
    chosen = choice.choose(form.basic.assessment_year, where)
    if isinstance(chosen, ProfileEntry):
        stamp = Evidence(file=checked.file, sheet=META_SHEET, cell="B1")
        return choice.form_refusal(chosen, form.template_version, stamp) or chosen
    return chosen


def grade_workbooks(
    items: Sequence[tuple[Path, str]],
    choice: ProfileChoice,
    evaluators: Callable[[str, int], Evaluator],
    hooks: RoundHooks | None = None,
    issued: date | None = None,
) -> list[FileOutcome]:
    """Run workbooks (path, display name) through every stage up to their grades. Never raises for bad
    input. Each is read and validated on its own, its profile chosen by its year and its facts built;
    the rules then decide each profile's branches in one call, which the durable engine serves far more
    cheaply per branch than one call each. With ``hooks`` (a recorded run) the facts are supplemented,
    branches whose supplemented facts depend on their grade are graded again, and each outcome carries
    the branch as ``hooks.capture`` packs it. ``issued``: the day the rectification lists are issued,
    from which the items' deadlines are resolved (``engine.rulebook.resolve_deadline``); None keeps the
    profile's dates."""
    checked = [check_workbook(path, name) for path, name in items]
    chosen = [choose_profile(c, choice) for c in checked]
    # Grouped by (profile, year): a profile of several years grades each with that year's dates.
    groups: dict[tuple[str, int], list[int]] = {}
    for i, entry in enumerate(chosen):
        form = checked[i].form
        if isinstance(entry, ProfileEntry) and form is not None:
            groups.setdefault((entry.name, form.basic.assessment_year), []).append(i)
    results: dict[int, BranchResult] = {}
    ceilings: dict[int, int] = {}
    captured: dict[int, bytes] = {}
    for (name, year), members in groups.items():
        profile = choice.profile(name, year)
        evaluator = evaluators(name, year)
        facts = [
            build_facts(form, profile) for form in (checked[i].form for i in members) if form is not None
        ]
        if hooks is not None:
            facts = [hooks.supplement(f, profile) for f in facts]
        evaluations = evaluate_many(facts, profile, evaluator, issued=issued)
        for i, evaluation in zip(members, evaluations, strict=True):
            results[i] = grade(evaluation, profile.grading)
            ceilings[i] = ceiling(evaluation, profile.grading)
        if hooks is not None:
            _regrade(members, facts, results, ceilings, profile, evaluator, hooks, issued)
            for i, f in zip(members, facts, strict=True):
                captured[i] = hooks.capture(f, results[i], items[i][1], checked[i].problems)
    outcomes: list[FileOutcome] = []
    for i, c in enumerate(checked):
        result = results.get(i)
        if result is None:
            refusal = chosen[i]
            problems = (*c.problems, refusal) if isinstance(refusal, Finding) else c.problems
            report = FileReport(file=c.file, sha256=c.sha256, status="ungradable", problems=problems)
            outcomes.append(FileOutcome(report, None))
            continue
        report = FileReport(
            file=c.file,
            sha256=c.sha256,
            status="graded",
            branch_id=result.identity.branch_id,
            profile=result.profile,
            problems=c.problems,
        )
        outcomes.append(FileOutcome(report, result, captured=captured.get(i), ceiling=ceilings[i]))
    return outcomes


def _regrade(
    members: Sequence[int],
    facts: list[BranchFacts],
    results: dict[int, BranchResult],
    ceilings: dict[int, int],
    profile: Profile,
    evaluator: Evaluator,
    hooks: RoundHooks,
    issued: date | None = None,
) -> None:
    """Grade again, in one call, the branches whose facts ``hooks.revise`` revises after the first
    grading; ``facts`` and ``results`` are updated in place."""
    again = [
        (k, revised)
        for k, i in enumerate(members)
        if (revised := hooks.revise(facts[k], results[i], profile)) is not None
    ]
    if not again:
        return
    evaluations = evaluate_many([f for _, f in again], profile, evaluator, issued=issued)
    for (k, revised), evaluation in zip(again, evaluations, strict=True):
        facts[k] = revised
        results[members[k]] = grade(evaluation, profile.grading)
        ceilings[members[k]] = ceiling(evaluation, profile.grading)


def grade_workbook(
    path: Path, profile: Profile, evaluator: Evaluator, display_name: str | None = None
) -> FileOutcome:
    """Run one workbook through every stage up to its grade under ``profile`` (a workbook of another
    year is refused). Never raises for bad input."""
    return grade_workbooks(
        [(path, display_name or path.name)], ProfileChoice.of(profile), lambda *_: evaluator
    )[0]


def grade_and_list(
    items: Sequence[tuple[Path, str]],
    choice: ProfileChoice,
    evaluators: Callable[[str, int], Evaluator],
    list_dir: Path,
    lang: Lang,
    hooks: RoundHooks | None = None,
    issued: date | None = None,
) -> list[FileOutcome]:
    """Grade workbooks together and write each graded one's rectification list into ``list_dir``, under
    a temporary name of its own (``list_temp_name``); the batch gives it its final name. ``issued``: the
    lists' issue date (``grade_workbooks``)."""
    outcomes = grade_workbooks(items, choice, evaluators, hooks, issued)
    for i, ((_, name), outcome) in enumerate(zip(items, outcomes, strict=True)):
        if outcome.result is not None:
            marks = None if hooks is None else hooks.list_marks(outcome.result)
            # not fsynced one by one: grade_folder syncs them all before it writes the manifest
            write_branch_list(
                outcome.result,
                list_dir / list_temp_name(name),
                lang=lang,
                durable=False,
                marks=marks,
                issued=issued,
            )
            if marks is not None:  # the summary counts the marked items too
                outcomes[i] = replace(outcome, marks=marks)
    return outcomes


# --- worker process state: the profile choice, each profile and its evaluator loaded once ------------

_worker: dict[str, object] = {}


def worker_memory_limit() -> int | None:
    """The per-worker address-space cap in bytes (None: no cap), from ``BRANCHGRADE_WORKER_MEMORY_MB``."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    try:
        mb = int(raw) if raw else WORKER_MEMORY_MB
    except ValueError:
        raise UsageError(
            f"环境变量 {MEMORY_ENV} 应为整数（兆字节），实际为 {raw!r}",
            f"{MEMORY_ENV} must be a whole number of megabytes, got {raw!r}",
        ) from None
    return mb * 1024 * 1024 if mb > 0 else None


def cap_memory(limit: int | None) -> None:
    """Cap this process's address space so a memory blow-up fails in this worker, not the machine.

    Python then raises MemoryError (reported as IN-03); a native parser aborts instead, which breaks the
    pool and is reported as IN-01 for that file alone. Windows has no RLIMIT_AS: no cap there.
    """
    if limit is None or sys.platform == "win32":
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _init_worker(
    choice_state: tuple[tuple[ProfileEntry, ...], bool],
    list_dir: str,
    lang: Lang,
    memory_limit: int | None = None,
    lifeline: Connection | None = None,
    evaluator_name: EvaluatorName | None = None,
    hooks: RoundHooks | None = None,
    issued: date | None = None,
) -> None:
    cap_memory(memory_limit)
    # Ctrl+C and a closing terminal reach the whole process group: the main process decides what a
    # stop means and tells the workers through the lifeline, so they take no part (and print nothing).
    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    runs.unblock_stop_signals()  # started with them blocked (run_parallel): from here they are handled
    if lifeline is not None:
        threading.Thread(target=_watch_lifeline, args=(lifeline,), daemon=True).start()
    choice = ProfileChoice(*choice_state)
    evaluators = Evaluators(choice, evaluator_name)
    if len(choice.entries) == 1:  # the usual batch: ready before the first task, and out of the GC's sight
        evaluators(choice.entries[0].name, choice.entries[0].year)
    _worker.update(
        choice=choice, evaluators=evaluators, list_dir=list_dir, lang=lang, hooks=hooks, issued=issued
    )
    # A worker allocates tens of thousands of short-lived acyclic objects per workbook (cells, records,
    # findings), which reference counting frees. The collector's default rhythm (a pass every 700
    # allocations) then spends a sizeable share of the worker's time re-scanning the long-lived profile and
    # engine. Those are moved out of its sight and passes made rarer.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


ORPHANED_WORKER_EXIT = 70  # a worker's exit status when its run stopped or its main process died


class _Grading:
    """Whether this worker is inside a task (``_work``), and the gate it leaves it through."""

    task = False
    gate = threading.Lock()


_grading = _Grading()


def _watch_lifeline(lifeline: Connection) -> None:
    """In a worker: exit as soon as the main process is gone (killed outright, even by SIGKILL), or the
    lifeline closes (the run was stopped) — instead of grading on for minutes for no one.

    A stopped run's worker exits only while it is grading, never while it sends a result: the main
    process's executor would wait forever for the rest of a message cut short. A worker that is not
    grading is idle (the executor's shutdown ends it) or sending (then idle, or grading the next task);
    the watchdog looks again every 50 ms.
    """
    parent = multiprocessing.parent_process()
    sentinels = [parent.sentinel] if parent is not None else []
    connection_wait([lifeline, *sentinels])
    while True:
        if parent is None or not parent.is_alive():  # no executor left to confuse
            os._exit(ORPHANED_WORKER_EXIT)
        with _grading.gate:
            if _grading.task:
                os._exit(ORPHANED_WORKER_EXIT)
        connection_wait(sentinels, timeout=0.05)


class _Lifeline:
    """A pipe whose write end only the main process holds (spawned workers get just the read end): when
    it closes — ``cut`` on a stop, or the kernel closing it when the main process dies — every worker's
    watchdog sees end-of-file and the worker exits."""

    def __init__(self, ctx: BaseContext) -> None:
        self.reader, self._writer = ctx.Pipe(duplex=False)

    def cut(self) -> None:
        self._writer.close()

    def close(self) -> None:
        self._writer.close()
        self.reader.close()


def _work(jobs: Sequence[tuple[str, str]]) -> list[FileOutcome]:
    """A worker's task: grade a chunk of (path, display name) jobs together, each outcome packed.

    While it runs, the worker is ``grading`` (see ``_watch_lifeline``): it leaves that state through the
    gate, so the watchdog, holding the gate, knows the task's result is not being sent yet."""
    _grading.task = True
    try:
        return _grade_chunk(jobs)
    finally:
        with _grading.gate:
            _grading.task = False


def _grade_chunk(jobs: Sequence[tuple[str, str]]) -> list[FileOutcome]:
    choice, evaluators = _worker["choice"], _worker["evaluators"]
    list_dir, lang = _worker["list_dir"], _worker["lang"]
    assert isinstance(choice, ProfileChoice) and isinstance(evaluators, Evaluators)
    assert isinstance(list_dir, str)
    language: Lang = "en" if lang == "en" else "zh"
    items = [(Path(path), name) for path, name in jobs]
    try:
        hooks: RoundHooks | None = _worker.get("hooks")  # type: ignore[assignment]
        issued: date | None = _worker.get("issued")  # type: ignore[assignment]
        outcomes = grade_and_list(items, choice, evaluators, Path(list_dir), language, hooks, issued)
    except MemoryError:
        if len(items) == 1:
            return [out_of_memory_outcome(items[0][1])]
        return [outcome for job in jobs for outcome in _grade_chunk([job])]  # find the one that needs it
    return [pack(outcome, language) for outcome in outcomes]


def list_temp_name(display_name: str) -> str:
    """Where a worker writes the rectification list of the input ``display_name`` (unique in a batch, as
    display names are): a hidden temporary name, since two branches may come to the same final name and
    only the batch, seeing them in file order, can tell which gets which (``_BatchSink``)."""
    digest = hashlib.sha256(display_name.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return f".~{digest}.xlsx"


def list_file_name(branch_id: str, branch_name: str, names: ListNames) -> str:
    """A branch's rectification list name: ``XS-05 学生第五党支部.xlsx``, Windows-safe, unique among the
    ``names`` already given (``XS-05 学生第五党支部 (2).xlsx`` otherwise)."""
    return names.take(list_file_stem(branch_id, branch_name))


def crashed_outcome(display_name: str) -> FileOutcome:
    problem = make_problem(
        "IN-01",
        Evidence(file=display_name),
        reason="解析器异常退出（文件可能已损坏，或处理时超出内存上限）",
        reason_en="the spreadsheet parser crashed on this file (it may be corrupt, or hit the memory cap)",
    )
    return _ungradable(display_name, problem)


def _ungradable(display_name: str, problem: Finding) -> FileOutcome:
    return FileOutcome(
        FileReport(file=display_name, sha256="", status="ungradable", problems=(problem,)), None
    )


def out_of_memory_outcome(display_name: str) -> FileOutcome:
    limit = worker_memory_limit()
    problem = make_problem(
        "IN-03",
        Evidence(file=display_name),
        what=Text(zh="处理该文件所需的内存", en="the memory needed to process this file"),
        actual=f"> {limit // (1024 * 1024)} MB" if limit else "?",
        limit=f"{limit // (1024 * 1024)} MB" if limit else "?",
    )
    return _ungradable(display_name, problem)


def worker_count(
    workers: int | None, jobs: Sequence[tuple[Path, str]], small_in_process: bool = False
) -> int:
    """How many worker processes grade ``jobs`` (0: this process). An explicit ``workers`` is kept.

    Without one, every core; but with ``small_in_process`` a batch of at most ``INLINE_FILES`` workbooks is
    graded here, provided the pre-flight clears each of them before calamine parses it: a file calamine
    would parse unchecked (an .xls, ``parsed_unchecked``) could abort this process, so a batch holding one
    goes to workers, where a parser crash costs only its own file (``run_parallel``).
    """
    if workers is not None:
        return workers
    if small_in_process and len(jobs) <= INLINE_FILES and not any(parsed_unchecked(p) for p, _ in jobs):
        return 0
    return os.cpu_count() or 1


def chunk_bounds(jobs: int, workers: int) -> list[range]:
    """How ``jobs`` files are cut into worker tasks, in order ("guided" scheduling).

    A task is at most ``CHUNK_FILES`` files, so the rules decide up to that many branches in one engine
    call; it is never more than a quarter of what is left per worker, so tasks shrink towards the end and
    no worker sits idle while another finishes one large last task (as fixed chunks let the pool do at the
    end of a batch); small batches are spread over the pool.
    """
    bounds: list[range] = []
    first = 0
    while first < jobs:
        size = max(1, min(CHUNK_FILES, -(-(jobs - first) // (workers * 4))))
        bounds.append(range(first, first + size))
        first += size
    return bounds


# what each worker starts from: the profile choice, the list folder, language, memory cap, lifeline,
# evaluator, round hooks, the lists' issue date
WorkerArgs = tuple[
    tuple[tuple[ProfileEntry, ...], bool],
    str,
    Lang,
    int | None,
    Connection,
    EvaluatorName | None,
    RoundHooks | None,
    date | None,
]
Task = list[tuple[str, str]]  # a worker task: (path, display name) of each file it grades together


def run_parallel(
    jobs: Sequence[tuple[Path, str]],
    choice: ProfileChoice,
    list_dir: Path,
    lang: Lang,
    workers: int,
    on_done: Callable[[FileOutcome], None] | None = None,
    on_outcome: Callable[[int, FileOutcome], None] | None = None,
    evaluator: EvaluatorName | None = None,
    hooks: RoundHooks | None = None,
    issued: date | None = None,
) -> list[FileOutcome]:
    """Grade ``jobs`` in ``workers`` processes, in chunks. A worker that dies takes only its own file.

    A worker that dies breaks its pool, failing every task not yet finished: those files are suspects.
    They are retried right away, one file per task, in one pool of ``workers`` processes reused until it
    breaks again; the few then in flight are retried one at a time in one single-worker pool, where a
    break names its file — reported ungradable (IN-01). A lone suspect is the culprit at once. So a
    crashing file costs a handful of pools and one or two retries of the files near it, whatever the
    size of the batch; the rest of the batch then goes on in a new pool.

    If the caller is stopped (an exception, including :class:`~engine.runs.Interrupted`, or an error while
    taking an outcome), the workers are told through the lifeline and exit at once, and the exception
    goes on; workers also exit by themselves if this process dies.

    Outcomes arrive in completion order. With ``on_outcome`` each is handed over with its index in
    ``jobs`` as it arrives and none is kept (the result is ``[]``); without, they are returned in
    ``jobs`` order.
    """
    outcomes: dict[str, FileOutcome] = {}
    index = {name: i for i, (_, name) in enumerate(jobs)}
    chunks: list[Task] = [
        [(str(jobs[i][0]), jobs[i][1]) for i in bounds] for bounds in chunk_bounds(len(jobs), workers)
    ]
    ctx = get_context("spawn")
    lifeline = _Lifeline(ctx)
    initargs: WorkerArgs = (
        choice.state(),
        str(list_dir),
        lang,
        worker_memory_limit(),
        lifeline.reader,
        evaluator,
        hooks,
        issued,
    )

    def record(name: str, outcome: FileOutcome) -> None:
        if on_outcome is None:
            outcomes[name] = outcome
        else:
            on_outcome(index[name], outcome)
        if on_done:
            on_done(outcome)

    def deliver(task: Task, results: list[FileOutcome]) -> None:
        for (_, name), outcome in zip(task, results, strict=True):
            record(name, outcome)

    def drain(tasks: list[Task], size: int, in_flight: int, on_broken: Callable[[list[Task]], None]) -> None:
        _drain(tasks, size, in_flight, ctx, initargs, lifeline, deliver, on_broken)

    def culprits(tasks: list[Task]) -> None:
        for task in tasks:
            record(task[0][1], crashed_outcome(task[0][1]))

    def alone(tasks: list[Task]) -> None:  # one at a time: a break names its file
        drain(tasks, 1, 1, culprits)

    def suspects(tasks: list[Task]) -> None:
        files = [[job] for task in tasks for job in task]
        if len(files) == 1:  # the only unfinished task in the pool broke it
            culprits(files)
        else:
            drain(files, workers, workers, isolate)

    def isolate(tasks: list[Task]) -> None:
        (culprits if len(tasks) == 1 else alone)(tasks)

    try:
        drain(chunks, workers, workers * 2, suspects)
    finally:
        lifeline.close()
    return [] if on_outcome is not None else [outcomes[name] for _, name in jobs]


def _drain(
    tasks: list[Task],
    size: int,
    in_flight: int,
    ctx: BaseContext,
    initargs: WorkerArgs,
    lifeline: _Lifeline,
    deliver: Callable[[Task, list[FileOutcome]], None],
    on_broken: Callable[[list[Task]], None],
) -> None:
    """Run ``tasks`` in a pool of ``size`` workers, at most ``in_flight`` submitted at a time. When the
    pool breaks, the tasks it failed go to ``on_broken`` (before any other task starts), and the rest go
    on in a new pool. On any exception the workers are stopped through the lifeline before it goes on."""
    queue = deque(tasks)
    while queue:
        pool = ProcessPoolExecutor(
            min(size, len(queue)), mp_context=ctx, initializer=_init_worker, initargs=initargs
        )
        broken: list[Task] = []
        try:
            futures: dict[Future[list[FileOutcome]], Task] = {}
            refused = False
            while True:
                # a submission may start a worker: a signal then waits, not to cut its start-up data short
                with runs.deferred_interrupts():
                    try:
                        while queue and len(futures) < in_flight:
                            futures[pool.submit(_work, queue[0])] = queue[0]
                            queue.popleft()  # only once submitted: a refused task stays queued
                    except BrokenProcessPool:  # broke between two submissions: nothing of the task ran
                        refused = True
                if not futures:
                    break
                _settle(wait(futures, return_when=FIRST_COMPLETED).done, futures, deliver, broken)
                if broken or refused:
                    # the rest fail at once, or had finished just before the break
                    _settle(wait(futures).done, futures, deliver, broken)
                    break
        except BaseException:
            lifeline.cut()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if broken:
            on_broken(broken)


def _settle(
    done: Iterable[Future[list[FileOutcome]]],
    futures: dict[Future[list[FileOutcome]], Task],
    deliver: Callable[[Task, list[FileOutcome]], None],
    broken: list[Task],
) -> None:
    """Hand over the outcomes of the finished tasks ``done``; those their broken pool failed go to
    ``broken``."""
    for fut in done:
        task = futures.pop(fut)
        try:
            results = fut.result()
        except BrokenProcessPool:
            broken.append(task)
        else:
            deliver(task, results)


LEGACY_OUTPUTS = (*LIST_FOLDER.values(), *SUMMARY_NAME.values(), RESULTS_NAME, MANIFEST_NAME)
"""What earlier versions wrote at the top of the output folder (one run, no run folders): still ours."""


def check_output(out: Path) -> None:
    """Refuse an output path that is a file, or a folder holding files branchgrade did not write: a run
    never mixes its folders into someone's documents. Our own (earlier runs, the pointer, the lock, the
    outputs of the earlier single-run layout) are fine: a run adds a run folder and removes none."""
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"输出路径 {out} 已存在且不是文件夹", f"output path {out} exists and is not a folder"
        )
    try:
        strangers = runs.foreign_entries(out, LEGACY_OUTPUTS) if out.is_dir() else []
    except OSError as exc:  # a folder that cannot be listed
        raise runs.EnvironmentFailure.from_os_error(exc, out) from exc
    if strangers:
        raise UsageError(
            f"输出文件夹 {out} 含有不是本工具生成的文件（{', '.join(strangers[:5])}），不会在其中写入；"
            "请换一个空文件夹",
            f"output folder {out} holds files branchgrade did not write ({', '.join(strangers[:5])}); "
            "choose an empty folder",
        )


@dataclass(frozen=True)
class BatchRun:
    """What a batch run leaves in memory: each entry's report, the KPIs, the grade counts and how many
    branches each profile graded. ``out`` is the run's folder (``<output folder>/<run-id>``), where every
    output is; every branch's full result is in its ``results.json``; ``report`` loads it back (on first
    use) as the ``BatchReport`` the run wrote — fine for a test or a small run, but it holds every trace,
    so a caller that only needs the counts should use the other fields. ``cleared`` names what killed runs
    had left in the output folder and this run removed (unfinished run folders, temporary files)."""

    out: Path
    files: tuple[FileReport, ...]
    kpis: tuple[Kpi, ...]
    grades: tuple[tuple[Grade, int], ...]  # each grade given and how many branches got it, by code
    profiles: tuple[tuple[str, int], ...] = ()  # each profile that graded and how many branches
    roster: RosterCheck | None = None  # the batch against the roster, when one was given
    cleared: tuple[str, ...] = ()
    evaluator: EvaluatorName = "durable"  # which evaluator decided the rules
    notes: tuple[Text, ...] = ()  # what the run says besides the counts (last year's grades not known)

    @cached_property
    def report(self) -> BatchReport:
        return BatchReport.model_validate_json((self.out / RESULTS_NAME).read_bytes())

    @property
    def exit_code(self) -> int:
        return 1 if any(f.status in ("ungradable", "duplicate") for f in self.files) else 0


@dataclass(frozen=True, slots=True)
class _Graded:
    """What ``college_kpis`` reads of a graded branch (a ``KpiSource``), without its trace."""

    grade: Grade
    kpi_flags: dict[str, bool]


@dataclass(slots=True)
class _Held:
    """A grading workbook's outcome kept until every file is in: its report and, when graded, what the
    batch needs of it and where its result and summary record wait in the spool."""

    entry: int  # its index among the folder's entries
    report: FileReport
    graded: _Graded | None = None  # None: not graded
    branch: tuple[str, str, str] = ("", "", "")  # branch id, branch name, profile
    spooled: tuple[int, int] = (0, 0)  # offset and length of (result_json, record) in the spool
    standing: Standing | None = None  # what a scoring policy reads of it (when graded)


class _BatchSink:
    """Takes each workbook's outcome and, once every file is in, writes the batch outputs in file order.

    Two decisions need every file first: a workbook byte-identical to an earlier one is a copy (IN-21:
    counted once, as the earlier file), and different workbooks for one branch ID are duplicates (IN-13:
    none of them is graded — the user decides which counts); and each rectification list gets its final,
    unique name (workers wrote it under a temporary one) in file order. Until then a graded result and
    its summary record wait in a spool file on disk, so memory stays flat in the number of branches."""

    def __init__(
        self,
        entries: Sequence[Entry],
        writer: ResultsJsonWriter,
        summary: SummaryWriter,
        list_dir: Path,
        lang: Lang,
        on_captured: Callable[[bytes], None] | None = None,
        profile_of: Callable[[str], Profile] | None = None,
        marks: Callable[[BranchResult], ListMarks] | None = None,
        hooks: RoundHooks | None = None,
    ) -> None:
        self.entries = entries
        self.hooks = hooks  # a recorded run's: last year's grades, and the round records the policy's
        self.on_captured = on_captured
        self.profile_of = profile_of  # a profile by name (loaded once): its scoring policy, if it has one
        self.policies: dict[str, Profile] = {}  # the profiles with a scoring policy that graded a branch
        self._plain: set[str] = set()  # the profiles without one
        self._unknown: Counter[str] = Counter()  # per profile with 逐级晋升: branches of no known last year
        self.marks = marks
        self.writer, self.summary, self.list_dir, self.lang = writer, summary, list_dir, lang
        self.files: list[FileReport] = []
        self.grades: dict[str, Grade] = {}
        self.grade_counts: Counter[str] = Counter()
        self.graded: dict[str, list[_Graded]] = {}  # per profile, for the college KPIs
        self._job_entry = [i for i, entry in enumerate(entries) if entry.is_workbook]
        self._held: list[_Held] = []
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), whatever happens
        self._early: dict[int, FileOutcome] = {}
        self._next = 0

    @property
    def written(self) -> int:
        """How many outcomes have been taken, in order (the rest are still awaited)."""
        return self._next

    def arrived(self, index: int, outcome: FileOutcome) -> None:
        self._early[index] = outcome
        while self._next in self._early:
            self._hold(self._early.pop(self._next))
            self._next += 1

    def _hold(self, outcome: FileOutcome) -> None:
        if outcome.result is not None:
            outcome = pack(outcome, self.lang)
        held = _Held(self._job_entry[self._next], outcome.report)
        packed = outcome.packed
        if packed is not None:
            blob = pickle.dumps(
                (packed.result_json, packed.record, packed.captured, packed.marks),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            held.spooled = (self._spool.tell(), len(blob))
            self._spool.write(blob)
            held.graded = _Graded(packed.grade, packed.kpi_flags)
            held.branch = (packed.branch_id, packed.branch_name, packed.profile)
            if self._policy(packed.profile) is not None:
                held.standing = self._standing(packed)
        self._held.append(held)

    def finish(self) -> None:
        """Decide copies and duplicates, name the lists, write results and summary rows in file order."""
        self._mark_copies()
        self._mark_duplicates()
        decided = self._apply_policies()
        names = ListNames()
        held = iter(self._held)
        for i, entry in enumerate(self.entries):
            if entry.report is not None:
                self.files.append(entry.report)
                continue
            one = next(held)
            assert one.entry == i
            if one.graded is not None:
                temp = self.list_dir / list_temp_name(one.report.file)
                if one.report.status != "graded":  # a copy or a duplicate: its list does not count
                    temp.unlink(missing_ok=True)
                else:
                    final = self.list_dir / list_file_name(*one.branch[:2], names)
                    os.replace(temp, final)
                    self._write(one, one.graded, decided.get(one.entry), final)
            self.files.append(one.report)

    def close(self) -> None:
        """Let go of the spool (the batch is done, or stopped: nothing in it is needed any more)."""
        self._spool.close()

    def _policy(self, name: str) -> Profile | None:
        """The profile ``name`` if it has a scoring policy (looked up once per profile)."""
        if self.profile_of is None:
            return None
        if name not in self.policies and name not in self._plain:
            profile = self.profile_of(name)
            if profile.policy is None:
                self._plain.add(name)
            else:
                self.policies[name] = profile
        return self.policies.get(name)

    def _standing(self, packed: Packed) -> Standing:
        """What the profile's policy reads of a graded branch, last year's grade from the ledger included
        (a recorded run's; unknown otherwise, and counted for the run's notes)."""
        profile = self.policies[packed.profile]
        codes = [g.code for g in profile.grading.grades]
        last = None if self.hooks is None else self.hooks.previous_grade(packed.branch_id, packed.year)
        previous = codes.index(last) if last in codes else None
        if previous is None and profile.policy is not None and profile.policy.max_step_up is not None:
            self._unknown[packed.profile] += 1
        return Standing(
            branch_id=packed.branch_id,
            general_branch=packed.record.general_branch,
            grade=codes.index(packed.grade.code),
            limit=packed.ceiling,
            evidence=packed.record.total,
            items=packed.open_items,
            previous=previous,
        )

    def notes(self) -> tuple[Text, ...]:
        """逐级晋升 where last year's grades were not known: said, never silently taken as no limit."""
        out = []
        for name, unknown in sorted(self._unknown.items()):
            if self.hooks is None:
                out.append(
                    Text(
                        zh=f"逐级晋升（{name}）：未记录轮次（--round 与 --ledger），上一年度等次未知，"
                        "本次未按逐级晋升限制等次",
                        en=f"one step a year ({name}): no round recorded (--round with --ledger), so last "
                        "year's grades are unknown and did not limit this run's grades",
                    )
                )
            else:
                out.append(
                    Text(
                        zh=f"逐级晋升（{name}）：{unknown} 个支部在台账中没有上一年度的等次，"
                        "未按逐级晋升限制",
                        en=f"one step a year ({name}): {unknown} branch(es) have no grade of last year in "
                        "the ledger and were not limited",
                    )
                )
        return tuple(out)

    def _apply_policies(self) -> dict[int, Decision]:
        """Each profile's scoring policy over the branches it graded (copies and duplicates left out), by
        entry: a decision for every branch of a profile with a policy."""
        out: dict[int, Decision] = {}
        for name, profile in self.policies.items():
            assert profile.policy is not None
            group = [
                one
                for one in self._held
                if one.standing is not None and one.report.status == "graded" and one.branch[2] == name
            ]
            standings = [one.standing for one in group if one.standing is not None]
            decided = {d.branch_id: d for d in apply_policy(standings, profile.policy, profile.grading)}
            out.update((one.entry, decided[one.branch[0]]) for one in group)
        return out

    def _write(self, one: _Held, graded: _Graded, decision: Decision | None, listed: Path) -> None:
        self._spool.seek(one.spooled[0])
        result_json, record, captured, marks = pickle.loads(self._spool.read(one.spooled[1]))
        if decision is not None:
            # The policy's grade replaces the computed one in every output (which it keeps, with why):
            # the result, its summary row and its list are made again from the decided result.
            result = with_policy(
                BranchResult.model_validate_json(result_json), decision, self.policies[one.branch[2]].grading
            )
            result_json, record = result_element_bytes(result), summary_record(result, self.lang)
            marks = None if self.marks is None else self.marks(result)
            write_branch_list(result, listed, lang=self.lang, durable=False, marks=marks)
            graded = _Graded(result.grade, graded.kpi_flags)
            if captured is not None and self.hooks is not None:
                captured = self.hooks.decided(captured, result)
        self.writer.add_result(result_json)
        self.summary.add(record)
        if marks is not None:
            self.summary.add_marks(one.branch[0], one.branch[1], marks)
        if captured is not None and self.on_captured is not None:
            self.on_captured(captured)
        self.grades.setdefault(graded.grade.code, graded.grade)
        self.grade_counts[graded.grade.code] += 1
        self.graded.setdefault(one.branch[2], []).append(graded)

    def _mark_copies(self) -> None:
        first: dict[str, _Held] = {}
        for one in self._held:
            sha = one.report.sha256
            if not sha:
                continue
            original = first.setdefault(sha, one)
            if original is not one:
                problem = make_problem("IN-21", Evidence(file=one.report.file), original=original.report.file)
                one.report = one.report.model_copy(
                    update={"status": "copy", "profile": None, "problems": (*one.report.problems, problem)}
                )

    def _mark_duplicates(self) -> None:
        # One branch's workbooks of different years (each graded by its own year's profile) are not
        # duplicates: a folder may hold last year's form beside this year's.
        by_branch: dict[tuple[str, str | None], list[_Held]] = {}
        for one in self._held:
            if one.graded is not None and one.report.status == "graded":
                by_branch.setdefault((one.branch[0], one.branch[2]), []).append(one)
        for (branch_id, _), group in by_branch.items():
            if len(group) < 2:
                continue
            files = [self._described(one) for one in group]
            problem = make_problem(
                "IN-13",
                tuple(Evidence(file=one.report.file) for one in group),
                branch_id=branch_id,
                count=len(group),
                files=Text(zh="；".join(f.zh for f in files), en="; ".join(f.en for f in files)),
            )
            for one in group:
                one.report = one.report.model_copy(
                    update={
                        "status": "duplicate",
                        "profile": None,
                        "problems": (*one.report.problems, problem),
                    }
                )

    def _described(self, one: _Held) -> Text:
        mtime = self.entries[one.entry].mtime
        saved = readable_time(mtime) if mtime is not None else "?"
        sha = one.report.sha256[:8]
        return Text(
            zh=f"{one.report.file}（保存于 {saved}，SHA-256 {sha}）",
            en=f"{one.report.file} (saved {saved}, SHA-256 {sha})",
        )

    def kpis(self, choice: ProfileChoice, submitted: tuple[int, int] | None = None) -> tuple[Kpi, ...]:
        """Each grading profile's college KPIs over the branches it graded (the files' KPI over every
        grading workbook); with --profile and nothing graded, that profile's (empty) figures."""
        workbooks = [f for f in self.files if f.status in WORKBOOK_STATUSES]
        used = [e.name for e in choice.entries if e.name in self.graded]
        if not used and choice.explicit:
            used = [choice.entries[0].name]
        return tuple(
            kpi.model_copy(update={"profile": name})
            for name in used
            for kpi in college_kpis(
                self.graded.get(name, []), choice.profile(name).grading, workbooks, submitted
            )
        )

    def profile_counts(self) -> tuple[tuple[str, int], ...]:
        return tuple((name, len(graded)) for name, graded in sorted(self.graded.items()))


def grade_folder(
    folder: Path,
    out: Path,
    profile_ref: str = "auto",
    lang: Lang = "zh",
    workers: int | None = None,
    argv: Iterable[str] = (),
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[FileOutcome], None] | None = None,
    paths: Sequence[Path] | None = None,
    roster: Roster | None = None,
    evaluator: str = "auto",
    hooks: RoundHooks | None = None,
    on_captured: Callable[[bytes], None] | None = None,
    issued: date | None = None,
    college: str | None = None,
    round_name: str | None = None,
    small_in_process: bool = False,
) -> BatchRun:
    """Grade every workbook under ``folder`` (or only ``paths``, workbooks under it) and write all
    outputs into a new run folder in ``out``. Files are named by their path relative to ``folder``.

    The run becomes the current one only when complete; until then, and whenever it fails, the previous
    runs in ``out`` stay as they were (see engine.runs). Raises :class:`UsageError` for a bad request,
    :class:`~engine.runs.OutputBusy` when another run holds ``out``,
    :class:`~engine.runs.EnvironmentFailure` when the machine refuses a read or write (disk full, folder
    not writable, input folder gone) and :class:`~engine.runs.Interrupted` when a signal stops it (under
    :func:`~engine.runs.interrupts_raise`).

    ``profile_ref`` ``auto`` grades each workbook by the profile covering its year (engine.profiles).
    With a ``roster`` the summary lists the roster branches that submitted nothing, a graded branch off the
    roster gets an IN-19 warning, and the completion KPI counts roster branches. ``workers`` = 0 runs in
    this process (debugging); None uses every core, or, with ``small_in_process`` (the command line), this
    process for a batch too small to gain from workers (``worker_count``). Memory stays flat in the
    number of workbooks: results and summary records wait in a spool on disk, not in memory, until the
    batch has seen every file (``_BatchSink``); only the summary's short sheets are left for the end.

    With ``hooks`` (a recorded run, see :class:`RoundHooks`) each graded branch is also packed by them and
    handed, in file order, to ``on_captured`` once the batch has decided copies and duplicates (only the
    branches it counts as graded).

    ``issued`` is the day the rectification lists are issued: deadlines are resolved from it and never
    fall before it, each list shows it in its sign-off block, and results.json records it (None: the
    profile's dates as they are, no issue date).

    The summary's printed pages name ``college`` and ``round_name`` (the grading round) when given, the
    profiles that graded and the day the lists are issued (the day of the run without ``issued``).
    """
    if not folder.is_dir():
        raise UsageError(f"找不到文件夹 {folder}", f"folder {folder} not found")
    choice = ProfileChoice.from_ref(profile_ref)
    evaluator_name = choose_evaluator(evaluator)
    worker_memory_limit()  # a bad BRANCHGRADE_WORKER_MEMORY_MB is a usage error, before any output
    out_resolved, folder_resolved = out.resolve(), folder.resolve()
    if out_resolved == folder_resolved or folder_resolved in out_resolved.parents:
        # Outputs inside the input folder would be read back as forms by the next run.
        raise UsageError(
            f"输出文件夹不能位于输入文件夹 {folder} 之内", f"the output folder must not be inside {folder}"
        )
    # the members of zips in ``folder`` are copied into a private scratch folder, removed at the end
    with tempfile.TemporaryDirectory(prefix="branchgrade-zips-") as scratch_dir:
        scratch = Path(scratch_dir)
        try:
            entries = discover(folder, scratch)
        except OSError as exc:
            raise UsageError(
                f"无法读取文件夹 {folder}：{exc.strerror}", f"cannot read folder {folder}: {exc}"
            ) from exc
        if not entries:
            raise UsageError(
                f"文件夹 {folder} 是空的，没有可评定的文件", f"folder {folder} is empty: nothing to grade"
            )
        if paths is not None:  # a pattern's matches: those entries (and the members of a matched zip) only
            wanted = {p.relative_to(folder).as_posix() for p in paths}
            entries = [e for e in entries if e.key in wanted or e.key.split("/", 1)[0] in wanted]
        check_output(out)
        with runs.open_run(out, argv, LEGACY_OUTPUTS) as run_folder:
            run = _grade_run(
                folder,
                entries,
                run_folder.path,
                choice,
                lang,
                workers,
                argv,
                on_start,
                on_done,
                roster,
                evaluator_name,
                hooks,
                on_captured,
                issued,
                PrintHeading(college=college, round_name=round_name, on=issued or date.today()),
                small_in_process,
            )
            return replace(run, out=run_folder.final, cleared=tuple(run_folder.removed))


def _grade_run(
    folder: Path,
    entries: Sequence[Entry],
    out: Path,
    choice: ProfileChoice,
    lang: Lang,
    workers: int | None,
    argv: Iterable[str],
    on_start: Callable[[int], None] | None,
    on_done: Callable[[FileOutcome], None] | None,
    roster: Roster | None,
    evaluator_name: EvaluatorName,
    hooks: RoundHooks | None = None,
    on_captured: Callable[[bytes], None] | None = None,
    issued: date | None = None,
    heading: PrintHeading | None = None,
    small_in_process: bool = False,
) -> BatchRun:
    """``grade_folder``'s run of ``entries``, writing into the (new, empty) run folder ``out``."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    jobs = [(entry.path, entry.name) for entry in entries if entry.is_workbook]
    if on_start:
        on_start(len(jobs))
    list_dir = out / LIST_FOLDER[lang]
    list_dir.mkdir(exist_ok=True)
    n_workers = worker_count(workers, jobs, small_in_process)
    with summary_writer(out / SUMMARY_NAME[lang], lang, grades=choice.grade_names(lang)) as summary:
        with atomic_path(out / RESULTS_NAME) as results_tmp, open(results_tmp, "wb") as results_fh:
            writer = ResultsJsonWriter(
                results_fh,
                tool_version=engine.__version__,
                profiles=choice.refs(),
                evaluator=evaluator_name,
                issued=issued,
            )
            marks = None if hooks is None else hooks.list_marks
            sink = _BatchSink(
                entries, writer, summary, list_dir, lang, on_captured, choice.profile, marks, hooks
            )
            with closing(sink):
                if n_workers == 0:
                    _run_inline(
                        jobs, choice, list_dir, lang, on_done, sink.arrived, evaluator_name, hooks, issued
                    )
                else:
                    run_parallel(
                        jobs,
                        choice,
                        list_dir,
                        lang,
                        min(n_workers, max(1, len(jobs))),
                        on_done,
                        on_outcome=sink.arrived,
                        evaluator=evaluator_name,
                        hooks=hooks,
                        issued=issued,
                    )
                assert sink.written == len(jobs), "an outcome never arrived"
                sink.finish()
                files, check = _against_roster(sink.files, roster)
                submitted = None if check is None else (check.graded, check.expected)
                kpis = sink.kpis(choice, submitted)
                if check is not None:
                    summary.add_missing(
                        (e.branch_id, e.branch_name, e.general_branch, e.branch_type, e.row)
                        for e in check.missing
                    )
                writer.finish(files, kpis)
        # results.json is in place (atomic_path fsynced and renamed it); the summary's long sheets are
        # written, its short ones (from counters, the KPIs and the file reports) remain.
        summary.finish(files, kpis, _with_profiles(heading or PrintHeading(), choice, sink, lang))
    _check_input_folder(folder, files)
    sync_all(out)  # the lists were written without fsync; the manifest, written last, vouches for them
    write_manifest(
        out / MANIFEST_NAME,
        inputs={f.file: f.sha256 for f in files if f.sha256},
        profiles=choice.refs(),
        tool_version=engine.__version__,
        evaluator=evaluator_name,
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        argv=list(argv),
        roster=None if roster is None else {"file": roster.file, "sha256": roster.sha256},
    )
    grades = tuple((sink.grades[code], sink.grade_counts[code]) for code in sorted(sink.grades))
    return BatchRun(
        out, files, kpis, grades, sink.profile_counts(), check, evaluator=evaluator_name, notes=sink.notes()
    )


def _with_profiles(
    heading: PrintHeading, choice: ProfileChoice, sink: _BatchSink, lang: Lang
) -> PrintHeading:
    """``heading`` naming the profiles that graded the batch by their titles (the chosen one if none did)."""
    used = {name for name, _ in sink.profile_counts()}
    titles = [e.title.get(lang) for e in choice.entries if e.name in used] or (
        [choice.entries[0].title.get(lang)] if choice.explicit else []
    )
    return replace(heading, profile=label("list_sep", lang).join(titles) or None)


def _against_roster(
    files: Sequence[FileReport], roster: Roster | None
) -> tuple[tuple[FileReport, ...], RosterCheck | None]:
    """The file reports, each graded branch off ``roster`` warned (IN-19), and the roster check."""
    if roster is None:
        return tuple(files), None
    check = compare(roster, [(f.branch_id, f.file) for f in files if f.status == "graded" and f.branch_id])
    off = {file for _, file in check.unknown}
    return (
        tuple(
            f.model_copy(
                update={
                    "problems": (
                        *f.problems,
                        make_problem(
                            "IN-19", Evidence(file=f.file), branch_id=f.branch_id, roster=roster.file
                        ),
                    )
                }
            )
            if f.file in off
            else f
            for f in files
        ),
        check,
    )


def _check_input_folder(folder: Path, files: Sequence[FileReport]) -> None:
    """Files that went missing during the run (IN-28) are each their file's problem, unless the input
    folder itself went away or became unreadable: then the run is void (an ``OSError`` naming it)."""
    if any(p.code == "IN-28" for f in files for p in f.problems):
        with os.scandir(folder):
            pass


def _run_inline(
    jobs: Sequence[tuple[Path, str]],
    choice: ProfileChoice,
    list_dir: Path,
    lang: Lang,
    on_done: Callable[[FileOutcome], None] | None,
    on_outcome: Callable[[int, FileOutcome], None],
    evaluator_name: EvaluatorName,
    hooks: RoundHooks | None = None,
    issued: date | None = None,
) -> None:
    with Evaluators(choice, evaluator_name) as evaluators:
        for first in range(0, len(jobs), CHUNK_FILES):
            chunk = jobs[first : first + CHUNK_FILES]
            graded = grade_and_list(chunk, choice, evaluators, list_dir, lang, hooks, issued)
            for i, outcome in enumerate(graded, first):
                outcome = pack(outcome, lang)
                on_outcome(i, outcome)
                if on_done:
                    on_done(outcome)


def choose_evaluator(choice: str = "auto") -> EvaluatorName:
    """The evaluator ``choice`` (auto, durable, reference) means here; one that cannot run is a usage
    error (``choice.resolve_evaluator``)."""
    try:
        return resolve_evaluator(choice)
    except EvaluatorUnavailable as exc:
        raise UsageError(exc.zh, exc.en) from None


def check_files(
    paths: Sequence[Path], profile_ref: str = "auto", names: Sequence[str] | None = None
) -> list[tuple[str, tuple[Finding, ...]]]:
    """Validate workbooks without grading: every problem of every file (for ``branchgrade validate``),
    each named by ``names`` (default: the file name as people read it), including a year no profile (or
    not the chosen one) covers. A valid workbook also gets what grading would find unprovable
    (``check_coverage``) under the profile its year chooses."""
    choice = ProfileChoice.from_ref(profile_ref)
    out: list[tuple[str, tuple[Finding, ...]]] = []
    with Evaluators(choice, "reference") as evaluators:
        for path, name in zip(paths, names or [readable_name(p.name) for p in paths], strict=True):
            checked = check_workbook(path, name)
            chosen = choose_profile(checked, choice)
            problems = checked.problems
            if isinstance(chosen, Finding):
                problems = (*problems, chosen)
            elif isinstance(chosen, ProfileEntry) and checked.form is not None:
                year = checked.form.basic.assessment_year
                profile = choice.profile(chosen.name, year)
                problems = (*problems, *check_coverage(checked, profile, evaluators(chosen.name, year)))
            out.append((checked.file, problems))
    return out


def check_coverage(
    checked: FormResult, profile: Profile, evaluator: Evaluator | None = None
) -> tuple[Finding, ...]:
    """What grading ``checked`` would leave "not evidenced", as one warning (IN-14) per empty register or
    blank sheet, naming the requirements it leaves unproven; nothing for a form that cannot be graded."""
    if checked.form is None:
        return ()
    return unproven_problems(checked.form, profile, evaluator)


def explain_file(path: Path, profile_ref: str = "auto", evaluator: str = "auto") -> FileOutcome:
    """Grade one workbook in this process, for ``branchgrade explain``."""
    choice = ProfileChoice.from_ref(profile_ref)
    with Evaluators(choice, choose_evaluator(evaluator)) as evaluators:
        return grade_workbooks([(path, readable_name(path.name))], choice, evaluators)[0]
