"""The library API: grade one workbook or a whole folder, stage by stage.

This is the only module that knows every stage; the CLI is a thin layer over it. A batch runs each
workbook's whole chain (read, validate, facts, rules, grade, its rectification list) in worker
processes: durable_rules is not thread-safe (one ruleset per worker, driven without its threaded Host),
and a workbook that crashes a native parser costs only that workbook — the pool is rebuilt and the
file is reported as ungradable.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import cast

import engine
from engine.export.atomic import atomic_path, sync_all, temp_target
from engine.export.branch_list import write_branch_list
from engine.export.results_json import ResultsJsonWriter, result_element_bytes, write_manifest
from engine.export.summary import SummaryRecord, SummaryWriter, summary_record, summary_writer
from engine.facts import build_facts
from engine.grading import college_kpis, grade
from engine.ingest import read_workbook
from engine.rulebook import (
    Evaluator,
    EvaluatorName,
    EvaluatorUnavailable,
    evaluate_many,
    load_profile,
    open_evaluator,
    profile_sha256,
    resolve_evaluator,
)
from engine.validate import validate_workbook
from schemas.batch import BatchReport, FileReport, Kpi
from schemas.common import Evidence, Finding, Lang, Text
from schemas.form import FormResult
from schemas.problems import make_problem
from schemas.results import BranchResult, Grade
from schemas.rules import Profile

if sys.platform != "win32":
    import resource

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
LIST_FOLDER = {"zh": "整改清单", "en": "rectification-lists"}
SUMMARY_NAME = {"zh": "分类定级汇总.xlsx", "en": "grading-summary.xlsx"}
RESULTS_NAME = "results.json"
MANIFEST_NAME = "run-manifest.json"
WORKER_MEMORY_MB = 1536  # address-space cap per worker; BRANCHGRADE_WORKER_MEMORY_MB overrides, 0 = none
MEMORY_ENV = "BRANCHGRADE_WORKER_MEMORY_MB"
CHUNK_FILES = 64  # files per worker task at most, decided by the rules in one engine call (chunk_bounds)
WORKER_GC_THRESHOLDS = (20_000, 50, 100)  # see _init_worker


class UsageError(Exception):
    """The request itself is wrong (unknown profile, missing folder, output folder in use): exit 2."""


@dataclass(frozen=True)
class Packed:
    """A graded file's result in the form the batch outputs take it: what a worker sends back instead of
    the ``BranchResult`` (whose trace and evidence the main process would otherwise have to unpickle and
    keep). ``result_json`` is the result's element of results.json, byte for byte; ``record`` the
    :class:`~engine.export.summary.SummaryRecord` (in the run's language) for the summary workbook — plain
    tuples, pickled once, with the outcome, on its way to the main process."""

    branch_id: str
    grade: Grade
    kpi_flags: dict[str, bool]
    result_json: bytes
    record: SummaryRecord


@dataclass(frozen=True)
class FileOutcome:
    """One file's outcome. ``result`` is the full ``BranchResult`` when graded in this process; a batch
    worker sends ``packed`` instead (and ``result`` None): use ``graded``, not ``result``, to ask."""

    report: FileReport
    result: BranchResult | None
    packed: Packed | None = None

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
        grade=result.grade,
        kpi_flags=result.kpi_flags,
        result_json=result_element_bytes(result),
        record=summary_record(result, lang),
    )
    return FileOutcome(outcome.report, None, packed)


def find_workbooks(folder: Path) -> list[Path]:
    """Workbooks under ``folder`` in a stable order (sorted by relative path, never by the file system).

    Office lock files (``~$x.xlsx``) and hidden files are skipped: they are not branch forms.
    """
    found = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES and not p.name.startswith(("~$", "."))
    ]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def check_workbook(path: Path, profile: Profile, display_name: str | None = None) -> FormResult:
    """Read and validate one workbook; ingest problems come back through the FormResult too."""
    return validate_workbook(read_workbook(path, display_name or path.name), expected_year=profile.year)


def grade_workbooks(
    items: Sequence[tuple[Path, str]], profile: Profile, evaluator: Evaluator
) -> list[FileOutcome]:
    """Run workbooks (path, display name) through every stage up to their grades. Never raises for bad
    input. Each is read, validated and turned into facts on its own; the rules then decide them in one
    call, which the durable engine serves far more cheaply per branch than one call each."""
    checked = [check_workbook(path, profile, name) for path, name in items]
    gradable = [form for form in (c.form for c in checked) if form is not None]
    evaluations = iter(evaluate_many([build_facts(form, profile) for form in gradable], profile, evaluator))
    outcomes: list[FileOutcome] = []
    for c in checked:
        if c.form is None:
            report = FileReport(file=c.file, sha256=c.sha256, status="ungradable", problems=c.problems)
            outcomes.append(FileOutcome(report, None))
            continue
        result = grade(next(evaluations), profile.grading)
        report = FileReport(
            file=c.file,
            sha256=c.sha256,
            status="graded",
            branch_id=result.identity.branch_id,
            problems=c.problems,
        )
        outcomes.append(FileOutcome(report, result))
    return outcomes


def grade_workbook(
    path: Path, profile: Profile, evaluator: Evaluator, display_name: str | None = None
) -> FileOutcome:
    """Run one workbook through every stage up to its grade. Never raises for bad input."""
    return grade_workbooks([(path, display_name or path.name)], profile, evaluator)[0]


def grade_and_list(
    items: Sequence[tuple[Path, str]], profile: Profile, evaluator: Evaluator, list_dir: Path, lang: Lang
) -> list[FileOutcome]:
    """Grade workbooks together and write each graded one's rectification list into ``list_dir``."""
    outcomes = grade_workbooks(items, profile, evaluator)
    for (_, name), outcome in zip(items, outcomes, strict=True):
        if outcome.result is not None:
            # not fsynced one by one: grade_folder syncs them all before it writes the manifest
            write_branch_list(outcome.result, list_dir / list_file_name(name), lang=lang, durable=False)
    return outcomes


# --- worker process state: one profile and one quiet durable host per process -------------------------

_worker: dict[str, object] = {}


def worker_memory_limit() -> int | None:
    """The per-worker address-space cap in bytes (None: no cap), from ``BRANCHGRADE_WORKER_MEMORY_MB``."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    try:
        mb = int(raw) if raw else WORKER_MEMORY_MB
    except ValueError:
        raise UsageError(
            f"环境变量 {MEMORY_ENV} 应为整数（兆字节），实际为 {raw!r} / {MEMORY_ENV} must be a whole number "
            f"of megabytes, got {raw!r}"
        ) from None
    return mb * 1024 * 1024 if mb > 0 else None


def _cap_memory(limit: int | None) -> None:
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
    profile_ref: str,
    list_dir: str,
    lang: Lang,
    memory_limit: int | None = None,
    evaluator_name: EvaluatorName = "durable",
) -> None:
    _cap_memory(memory_limit)
    profile = load_profile(profile_ref)
    evaluator = open_evaluator(profile, evaluator_name)
    _worker.update(profile=profile, evaluator=evaluator, list_dir=list_dir, lang=lang)
    # A worker allocates tens of thousands of short-lived acyclic objects per workbook (cells, records,
    # findings), which reference counting frees. The collector's default rhythm (a pass every 700
    # allocations) then spends ~15% of the worker's time re-scanning the long-lived profile and engine
    # (measured: 20.6 → 17.9 ms per workbook). Those are moved out of its sight and passes made rarer.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


def _work(jobs: Sequence[tuple[str, str]]) -> list[FileOutcome]:
    """A worker's task: grade a chunk of (path, display name) jobs together, each outcome packed."""
    profile, evaluator = _worker["profile"], cast(Evaluator, _worker["evaluator"])
    list_dir, lang = _worker["list_dir"], _worker["lang"]
    assert isinstance(profile, Profile)
    assert isinstance(list_dir, str)
    language: Lang = "en" if lang == "en" else "zh"
    items = [(Path(path), name) for path, name in jobs]
    try:
        outcomes = grade_and_list(items, profile, evaluator, Path(list_dir), language)
    except MemoryError:
        if len(items) == 1:
            return [_out_of_memory(items[0][1])]
        return [outcome for job in jobs for outcome in _work([job])]  # find the file that needs it
    return [pack(outcome, language) for outcome in outcomes]


def list_file_name(display_name: str) -> str:
    """The rectification list of ``a/b.xlsx`` is ``a_b.xlsx``: unique because input paths are unique."""
    stem = display_name.replace("/", "_")
    return (
        stem.rsplit(".", 1)[0]
        + ("" if stem.lower().endswith(".xlsx") else "_" + stem.rsplit(".", 1)[-1])
        + ".xlsx"
    )


def _crashed(display_name: str) -> FileOutcome:
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


def _out_of_memory(display_name: str) -> FileOutcome:
    limit = worker_memory_limit()
    problem = make_problem(
        "IN-03",
        Evidence(file=display_name),
        what=Text(zh="处理该文件所需的内存", en="the memory needed to process this file"),
        actual=f"> {limit // (1024 * 1024)} MB" if limit else "?",
        limit=f"{limit // (1024 * 1024)} MB" if limit else "?",
    )
    return _ungradable(display_name, problem)


def chunk_bounds(jobs: int, workers: int) -> list[range]:
    """How ``jobs`` files are cut into worker tasks, in order ("guided" scheduling).

    A task is at most ``CHUNK_FILES`` files, so the rules decide up to that many branches in one engine
    call; it is never more than a quarter of what is left per worker, so tasks shrink towards the end and
    no worker sits idle while another finishes one large last task (measured: with fixed chunks of 32 the
    pool idled ~0.2 s at the end of a 1,000-file batch); small batches are spread over the pool.
    """
    bounds: list[range] = []
    first = 0
    while first < jobs:
        size = max(1, min(CHUNK_FILES, -(-(jobs - first) // (workers * 4))))
        bounds.append(range(first, first + size))
        first += size
    return bounds


def run_parallel(
    jobs: Sequence[tuple[Path, str]],
    profile_ref: str,
    list_dir: Path,
    lang: Lang,
    workers: int,
    on_done: Callable[[FileOutcome], None] | None = None,
    on_outcome: Callable[[int, FileOutcome], None] | None = None,
    evaluator: EvaluatorName = "durable",
) -> list[FileOutcome]:
    """Grade ``jobs`` in ``workers`` processes, in chunks. A worker that dies takes only its own file.

    When the pool breaks, the files of the chunks that were in flight are retried one at a time in a
    fresh single-worker pool: the one that breaks it again alone is the culprit and is reported
    ungradable.

    Outcomes arrive in completion order. With ``on_outcome`` each is handed over with its index in
    ``jobs`` as it arrives and none is kept (the result is ``[]``); without, they are returned in
    ``jobs`` order.
    """
    outcomes: dict[str, FileOutcome] = {}
    index = {name: i for i, (_, name) in enumerate(jobs)}
    pending: list[list[tuple[str, str]]] = [
        [(str(jobs[i][0]), jobs[i][1]) for i in bounds] for bounds in chunk_bounds(len(jobs), workers)
    ]
    suspects: list[tuple[str, str]] = []
    ctx = get_context("spawn")
    initargs = (profile_ref, str(list_dir), lang, worker_memory_limit(), evaluator)

    def record(name: str, outcome: FileOutcome) -> None:
        if on_outcome is None:
            outcomes[name] = outcome
        else:
            on_outcome(index[name], outcome)
        if on_done:
            on_done(outcome)

    while pending:
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=initargs
        ) as pool:
            futures: dict[Future[list[FileOutcome]], list[tuple[str, str]]] = {}
            queue = iter(pending)
            pending = []
            broken = False
            for chunk in islice(queue, workers * 2):
                futures[pool.submit(_work, chunk)] = chunk
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = futures.pop(fut)
                    try:
                        for (_, name), outcome in zip(chunk, fut.result(), strict=True):
                            record(name, outcome)
                    except BrokenProcessPool:
                        broken = True
                        suspects.extend(chunk)
                if broken:
                    suspects.extend(job for chunk in futures.values() for job in chunk)
                    pending.extend(queue)
                    futures.clear()
                    break
                for chunk in islice(queue, len(done)):
                    futures[pool.submit(_work, chunk)] = chunk
        for job in suspects:
            record(job[1], _run_alone(job, initargs))
        suspects = []
    return [] if on_outcome is not None else [outcomes[name] for _, name in jobs]


def _run_alone(
    job: tuple[str, str], initargs: tuple[str, str, Lang, int | None, EvaluatorName]
) -> FileOutcome:
    with ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=_init_worker, initargs=initargs
    ) as pool:
        try:
            return pool.submit(_work, [job]).result()[0]
        except BrokenProcessPool:
            return _crashed(job[1])


def prepare_output(out: Path, force: bool) -> None:
    """Refuse to mix a new run into a folder holding other files, unless ``force`` clears ours."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"输出路径 {out} 已存在且不是文件夹 / output path {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise UsageError(
                f"输出文件夹 {out} 不为空；请换一个文件夹，或加 --force 覆盖上次的结果 / "
                f"output folder {out} is not empty: choose another folder or pass --force"
            )
        ours = {*LIST_FOLDER.values(), *SUMMARY_NAME.values(), RESULTS_NAME, MANIFEST_NAME}
        stale = [p for p in out.iterdir() if p.is_file() and temp_target(p.name) in ours]
        strangers = sorted(p.name for p in out.iterdir() if p.name not in ours and p not in stale)
        if strangers:
            raise UsageError(
                f"输出文件夹 {out} 含有不是本工具生成的文件（{', '.join(strangers[:5])}），不会覆盖 / "
                f"output folder {out} holds files branchgrade did not write; refusing to overwrite"
            )
        for temp in stale:  # left by a run killed while writing
            temp.unlink()
        for name in ours:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class BatchRun:
    """What a batch run leaves in memory: each file's report, the KPIs and the grade counts. Every branch's
    full result is in ``out/results.json``; ``report`` loads it back (on first use) as the ``BatchReport``
    the run wrote — fine for a test or a small run, but it holds every trace, so a caller that only needs
    the counts should use ``files``, ``kpis`` and ``grades``."""

    out: Path
    files: tuple[FileReport, ...]
    kpis: tuple[Kpi, ...]
    grades: tuple[tuple[Grade, int], ...]  # each grade given and how many branches got it, by code
    evaluator: EvaluatorName = "durable"  # which evaluator decided the rules

    @cached_property
    def report(self) -> BatchReport:
        return BatchReport.model_validate_json((self.out / RESULTS_NAME).read_bytes())

    @property
    def exit_code(self) -> int:
        return 1 if any(f.status == "ungradable" for f in self.files) else 0


@dataclass(frozen=True, slots=True)
class _Graded:
    """What ``college_kpis`` reads of a graded branch (a ``KpiSource``), without its trace."""

    grade: Grade
    kpi_flags: dict[str, bool]


class _BatchSink:
    """Takes each file's outcome in file-name order and streams it to the batch outputs: the result to
    results.json (already serialised by the worker), its summary record's rows to the summary workbook,
    its file report to a list. A branch id already seen makes the file a duplicate (IN-13): its result is
    not written and its rectification list is removed. Outcomes that arrive early wait in ``_early`` for
    the ones before them — at most about a pool's queue of them."""

    def __init__(self, writer: ResultsJsonWriter, summary: SummaryWriter, list_dir: Path, lang: Lang) -> None:
        self.writer, self.summary, self.list_dir, self.lang = writer, summary, list_dir, lang
        self.files: list[FileReport] = []
        self.grades: dict[str, Grade] = {}
        self.grade_counts: Counter[str] = Counter()
        self.graded: list[_Graded] = []  # for the college KPIs: a grade and a few flags per branch
        self._first_file: dict[str, str] = {}
        self._early: dict[int, FileOutcome] = {}
        self._next = 0

    @property
    def written(self) -> int:
        """How many outcomes have gone out, in order (the rest are still awaited)."""
        return self._next

    def arrived(self, index: int, outcome: FileOutcome) -> None:
        self._early[index] = outcome
        while self._next in self._early:
            self._add(self._early.pop(self._next))
            self._next += 1

    def _add(self, outcome: FileOutcome) -> None:
        if outcome.result is not None:
            outcome = pack(outcome, self.lang)
        report, packed = outcome.report, outcome.packed
        if packed is not None:
            first = self._first_file.setdefault(packed.branch_id, report.file)
            if first != report.file:
                problem = make_problem(
                    "IN-13", Evidence(file=report.file), branch_id=packed.branch_id, other=first
                )
                report = report.model_copy(
                    update={"status": "ungradable", "problems": (*report.problems, problem)}
                )
                # its list was written before the duplicate was known
                (self.list_dir / list_file_name(report.file)).unlink(missing_ok=True)
            else:
                self.writer.add_result(packed.result_json)
                self.summary.add(packed.record)
                self.grades.setdefault(packed.grade.code, packed.grade)
                self.grade_counts[packed.grade.code] += 1
                self.graded.append(_Graded(packed.grade, packed.kpi_flags))
        self.files.append(report)


def grade_folder(
    folder: Path,
    out: Path,
    profile_ref: str = "loudi-2012",
    lang: Lang = "zh",
    workers: int | None = None,
    force: bool = False,
    argv: Iterable[str] = (),
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[FileOutcome], None] | None = None,
    evaluator: str = "auto",
) -> BatchRun:
    """Grade every workbook under ``folder`` and write all outputs into ``out``.

    ``workers`` = 0 runs in this process (debugging); None uses every core. Memory stays flat in the
    number of workbooks: results are written to results.json and each branch's rows to the summary workbook
    as they come (in file-name order); only the summary's short sheets are left for the end.
    """
    if not folder.is_dir():
        raise UsageError(f"找不到文件夹 {folder} / folder {folder} not found")
    profile = load_profile(profile_ref)
    evaluator_name = choose_evaluator(evaluator)
    worker_memory_limit()  # a bad BRANCHGRADE_WORKER_MEMORY_MB is a usage error, before any output
    out_resolved, folder_resolved = out.resolve(), folder.resolve()
    if out_resolved == folder_resolved or folder_resolved in out_resolved.parents:
        # Outputs inside the input folder would be read back as forms by the next run.
        raise UsageError(
            f"输出文件夹不能位于输入文件夹 {folder} 之内 / the output folder must not be inside {folder}"
        )
    prepare_output(out, force)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    paths = find_workbooks(folder)
    jobs = [(p, p.relative_to(folder).as_posix()) for p in paths]
    if on_start:
        on_start(len(jobs))
    list_dir = out / LIST_FOLDER[lang]
    list_dir.mkdir(exist_ok=True)
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    sha = profile_sha256(profile_ref)
    with summary_writer(out / SUMMARY_NAME[lang], lang) as summary:
        with atomic_path(out / RESULTS_NAME) as results_tmp, open(results_tmp, "wb") as results_fh:
            writer = ResultsJsonWriter(
                results_fh,
                tool_version=engine.__version__,
                profile=profile.name,
                profile_title=profile.title,
                profile_sha256=sha,
                evaluator=evaluator_name,
            )
            sink = _BatchSink(writer, summary, list_dir, lang)
            if n_workers == 0:
                _run_inline(jobs, profile, list_dir, lang, on_done, sink.arrived, evaluator_name)
            else:
                run_parallel(
                    jobs,
                    profile_ref,
                    list_dir,
                    lang,
                    min(n_workers, max(1, len(jobs))),
                    on_done,
                    on_outcome=sink.arrived,
                    evaluator=evaluator_name,
                )
            assert sink.written == len(jobs), "an outcome never arrived"
            kpis = college_kpis(sink.graded, profile.grading, sink.files)
            files = tuple(sink.files)
            writer.finish(files, kpis)
        # results.json is in place (atomic_path fsynced and renamed it); the summary's long sheets are
        # written, its short ones (from counters, the KPIs and the file reports) remain.
        summary.finish(files, kpis)
    sync_all(out)  # the lists were written without fsync; the manifest, written last, vouches for them
    write_manifest(
        out / MANIFEST_NAME,
        inputs={f.file: f.sha256 for f in files},
        profile=profile.name,
        profile_sha256=sha,
        tool_version=engine.__version__,
        evaluator=evaluator_name,
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        argv=list(argv),
    )
    grades = tuple((sink.grades[code], sink.grade_counts[code]) for code in sorted(sink.grades))
    return BatchRun(out, files, kpis, grades, evaluator_name)


def _run_inline(
    jobs: Sequence[tuple[Path, str]],
    profile: Profile,
    list_dir: Path,
    lang: Lang,
    on_done: Callable[[FileOutcome], None] | None,
    on_outcome: Callable[[int, FileOutcome], None],
    evaluator_name: EvaluatorName,
) -> None:
    evaluator = open_evaluator(profile, evaluator_name)
    try:
        for first in range(0, len(jobs), CHUNK_FILES):
            chunk = jobs[first : first + CHUNK_FILES]
            for i, outcome in enumerate(grade_and_list(chunk, profile, evaluator, list_dir, lang), first):
                outcome = pack(outcome, lang)
                on_outcome(i, outcome)
                if on_done:
                    on_done(outcome)
    finally:
        evaluator.close()


def choose_evaluator(choice: str = "auto") -> EvaluatorName:
    """The evaluator ``choice`` (auto, durable, reference) means here; one that cannot run is a usage
    error (``choice.resolve_evaluator``)."""
    try:
        return resolve_evaluator(choice)
    except EvaluatorUnavailable as exc:
        raise UsageError(str(exc)) from None


def check_files(
    paths: Sequence[Path], profile_ref: str = "loudi-2012"
) -> list[tuple[str, tuple[Finding, ...]]]:
    """Validate workbooks without grading: every problem of every file (for ``branchgrade validate``)."""
    profile = load_profile(profile_ref)
    return [(checked.file, checked.problems) for checked in (check_workbook(p, profile) for p in paths)]


def explain_file(path: Path, profile_ref: str = "loudi-2012", evaluator: str = "auto") -> FileOutcome:
    """Grade one workbook in this process, for ``branchgrade explain``."""
    profile = load_profile(profile_ref)
    opened = open_evaluator(profile, choose_evaluator(evaluator))
    try:
        return grade_workbook(path, profile, opened, path.name)
    finally:
        opened.close()
