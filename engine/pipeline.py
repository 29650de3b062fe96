"""The library API: grade one workbook or a whole folder, stage by stage.

This is the only module that knows every stage; the CLI is a thin layer over it. A batch runs each
workbook's whole chain (read, validate, facts, rules, grade, its rectification list) in worker
processes: durable_rules is not thread-safe (one quiet host per worker), and a workbook that crashes a
native parser costs only that workbook — the pool is rebuilt and the file is reported as ungradable.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from multiprocessing import get_context
from pathlib import Path

import engine
from engine.export.atomic import temp_target
from engine.export.branch_list import write_branch_list
from engine.export.results_json import write_manifest, write_results_json
from engine.export.summary import write_summary
from engine.facts import build_facts
from engine.grading import college_kpis, grade
from engine.ingest import read_workbook
from engine.rulebook import DurableEvaluator, Evaluator, evaluate, load_profile, profile_sha256
from engine.validate import validate_workbook
from schemas.batch import BatchReport, FileReport
from schemas.common import Evidence, Finding, Lang, Text
from schemas.form import FormResult
from schemas.problems import make_problem
from schemas.results import BranchResult
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


class UsageError(Exception):
    """The request itself is wrong (unknown profile, missing folder, output folder in use): exit 2."""


@dataclass(frozen=True)
class FileOutcome:
    report: FileReport
    result: BranchResult | None


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


def grade_and_list(
    path: Path, display_name: str, profile: Profile, evaluator: Evaluator, list_dir: Path | None, lang: Lang
) -> FileOutcome:
    """Grade one workbook and, when it is graded, write its rectification list into ``list_dir``."""
    outcome = grade_workbook(path, profile, evaluator, display_name)
    if outcome.result is not None and list_dir is not None:
        write_branch_list(outcome.result, list_dir / list_file_name(display_name), lang=lang)
    return outcome


def grade_workbook(
    path: Path, profile: Profile, evaluator: Evaluator, display_name: str | None = None
) -> FileOutcome:
    """Run one workbook through every stage up to its grade. Never raises for bad input."""
    checked = check_workbook(path, profile, display_name)
    if checked.form is None:
        report = FileReport(
            file=checked.file, sha256=checked.sha256, status="ungradable", problems=checked.problems
        )
        return FileOutcome(report, None)
    facts = build_facts(checked.form, profile)
    result = grade(evaluate(facts, profile, evaluator), profile.grading)
    report = FileReport(
        file=checked.file,
        sha256=checked.sha256,
        status="graded",
        branch_id=result.identity.branch_id,
        problems=checked.problems,
    )
    return FileOutcome(report, result)


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


def _init_worker(profile_ref: str, list_dir: str | None, lang: Lang, memory_limit: int | None = None) -> None:
    _cap_memory(memory_limit)
    profile = load_profile(profile_ref)
    _worker.update(profile=profile, evaluator=DurableEvaluator(profile), list_dir=list_dir, lang=lang)


def _work(path: str, display_name: str) -> FileOutcome:
    profile, evaluator = _worker["profile"], _worker["evaluator"]
    list_dir, lang = _worker["list_dir"], _worker["lang"]
    assert isinstance(profile, Profile) and isinstance(evaluator, DurableEvaluator)
    try:
        return grade_and_list(
            Path(path),
            display_name,
            profile,
            evaluator,
            Path(list_dir) if isinstance(list_dir, str) else None,
            "en" if lang == "en" else "zh",
        )
    except MemoryError:
        return _out_of_memory(display_name)


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


def run_parallel(
    jobs: Sequence[tuple[Path, str]],
    profile_ref: str,
    list_dir: Path | None,
    lang: Lang,
    workers: int,
    on_done: Callable[[FileOutcome], None] | None = None,
) -> list[FileOutcome]:
    """Grade ``jobs`` in ``workers`` processes. A worker that dies takes only its own file with it.

    When the pool breaks, the files that were in flight are retried one at a time in a fresh
    single-worker pool: the one that breaks it again alone is the culprit and is reported ungradable.
    """
    outcomes: dict[str, FileOutcome] = {}
    pending = list(jobs)
    suspects: list[tuple[Path, str]] = []
    ctx = get_context("spawn")
    initargs = (profile_ref, str(list_dir) if list_dir else None, lang, worker_memory_limit())

    def record(name: str, outcome: FileOutcome) -> None:
        outcomes[name] = outcome
        if on_done:
            on_done(outcome)

    while pending:
        with ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_worker, initargs=initargs
        ) as pool:
            futures: dict[Future[FileOutcome], tuple[Path, str]] = {}
            queue = iter(pending)
            pending = []
            broken = False
            for job in islice(queue, workers * 4):
                futures[pool.submit(_work, str(job[0]), job[1])] = job
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = futures.pop(fut)
                    try:
                        record(job[1], fut.result())
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(job)
                if broken:
                    suspects.extend(futures.values())
                    pending.extend(queue)
                    futures.clear()
                    break
                for job in islice(queue, len(done)):
                    futures[pool.submit(_work, str(job[0]), job[1])] = job
        for job in suspects:
            record(job[1], _run_alone(job, initargs))
        suspects = []
    return [outcomes[name] for _, name in jobs]


def _run_alone(job: tuple[Path, str], initargs: tuple[str, str | None, Lang, int | None]) -> FileOutcome:
    with ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=_init_worker, initargs=initargs
    ) as pool:
        try:
            return pool.submit(_work, str(job[0]), job[1]).result()
        except BrokenProcessPool:
            return _crashed(job[1])


def mark_duplicate_ids(outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """The same branch id in two files: the first file (by name) is graded, later ones are not."""
    first_file: dict[str, str] = {}
    marked = []
    for outcome in outcomes:
        bid = outcome.result.identity.branch_id if outcome.result else None
        if bid is None:
            marked.append(outcome)
            continue
        if bid not in first_file:
            first_file[bid] = outcome.report.file
            marked.append(outcome)
            continue
        problem = make_problem(
            "IN-13", Evidence(file=outcome.report.file), branch_id=bid, other=first_file[bid]
        )
        report = outcome.report.model_copy(
            update={"status": "ungradable", "problems": (*outcome.report.problems, problem)}
        )
        marked.append(FileOutcome(report, None))
    return marked


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
    report: BatchReport
    out: Path

    @property
    def exit_code(self) -> int:
        return 1 if any(f.status == "ungradable" for f in self.report.files) else 0


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
) -> BatchRun:
    """Grade every workbook under ``folder`` and write all outputs into ``out``.

    ``workers`` = 0 runs in this process (debugging); None uses every core.
    """
    if not folder.is_dir():
        raise UsageError(f"找不到文件夹 {folder} / folder {folder} not found")
    profile = load_profile(profile_ref)
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
    if n_workers == 0:
        outcomes = _run_inline(jobs, profile, list_dir, lang, on_done)
    else:
        outcomes = run_parallel(jobs, profile_ref, list_dir, lang, min(n_workers, max(1, len(jobs))), on_done)
    outcomes = mark_duplicate_ids(outcomes)
    for outcome in outcomes:
        if outcome.result is None:  # a duplicate's list was written before the duplicate was known
            (list_dir / list_file_name(outcome.report.file)).unlink(missing_ok=True)
    results = tuple(o.result for o in outcomes if o.result is not None)
    report = BatchReport(
        tool_version=engine.__version__,
        profile=profile.name,
        profile_title=profile.title,
        profile_sha256=profile_sha256(profile_ref),
        results=results,
        files=tuple(o.report for o in outcomes),
        kpis=college_kpis(results, profile.grading, [o.report for o in outcomes]),
    )
    write_results_json(report, out / RESULTS_NAME)
    write_summary(report, out / SUMMARY_NAME[lang], lang=lang)
    write_manifest(
        out / MANIFEST_NAME,
        inputs={f.file: f.sha256 for f in report.files},
        profile=profile.name,
        profile_sha256=report.profile_sha256,
        tool_version=engine.__version__,
        started=started,
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
        argv=list(argv),
    )
    return BatchRun(report, out)


def _run_inline(
    jobs: Sequence[tuple[Path, str]],
    profile: Profile,
    list_dir: Path,
    lang: Lang,
    on_done: Callable[[FileOutcome], None] | None,
) -> list[FileOutcome]:
    outcomes = []
    with DurableEvaluator(profile) as evaluator:
        for path, name in jobs:
            outcome = grade_and_list(path, name, profile, evaluator, list_dir, lang)
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    return outcomes


def check_files(
    paths: Sequence[Path], profile_ref: str = "loudi-2012"
) -> list[tuple[str, tuple[Finding, ...]]]:
    """Validate workbooks without grading: every problem of every file (for ``branchgrade validate``)."""
    profile = load_profile(profile_ref)
    return [(checked.file, checked.problems) for checked in (check_workbook(p, profile) for p in paths)]


def explain_file(path: Path, profile_ref: str = "loudi-2012") -> FileOutcome:
    """Grade one workbook in this process, for ``branchgrade explain``."""
    profile = load_profile(profile_ref)
    with DurableEvaluator(profile) as evaluator:
        return grade_workbook(path, profile, evaluator, path.name)
