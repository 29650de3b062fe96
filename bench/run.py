"""Speed as users feel it, and where the time goes.

    .venv/bin/python bench/run.py --n 1000 [--n 10000] [--workers 2] [--repeats 3] [--stages]
    .venv/bin/python bench/run.py --n 1000 --workers 2 --reference main   # make bench-reference

For each N it makes N realistic branch workbooks once into ``<cache>/n<N>-t<template>-g<gen>/`` (reused by
later runs), then (bench/users.py) times from outside, start-up included: ``branchgrade validate`` and
``grade`` of one form, and ``branchgrade grade`` of the N forms against the floor program
(bench/floor.py: python-calamine reading every sheet, xlsxwriter writing a plain list per branch) with
the same number of workers; memory is summed over each process tree; results.json is compared byte for
byte with the reference ``--reference`` made. With ``--stages`` it also times every stage inside the
workers, the floor in-process and ``grade_folder`` without start-up.

It prints each target with its measured value and met / not met, and the same tables go to
bench/RESULTS.md. See bench/README.md for how the workbooks are generated (the zip-patching trick) and
what each number means.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import floor, users  # noqa: E402
from schemas.form_layout import TEMPLATE_VERSION  # noqa: E402

GENERATOR_VERSION = 1  # bump when the knobs below change, so cached workbooks are rebuilt
DISTINCT = 200  # workbooks really built with openpyxl; the rest are byte-patched copies
PROFILE = "loudi-2012"
YEAR = 2012
TOKEN = "ZQXBENCHIDZQX"  # placeholder written into id and name; rewritten per copy (see README)
STAGES = ("ingest", "validate", "facts", "rules", "grading", "exports", "pack")
MONTHS = list(range(4, 13))
VETO_KEYS = ("discipline", "inactive", "petition", "disunity")
CTX = get_context("spawn")  # as the pipeline: durable_rules must not be forked into workers


# --- 1. generation -----------------------------------------------------------------------------------


def _sample(rng: random.Random, items: Sequence[Any], weights: Sequence[int]) -> list[Any]:
    """0..n items of ``items``; how many is drawn with ``weights`` (index = count)."""
    k = rng.choices(range(len(weights)), weights=weights)[0]
    return sorted(rng.sample(list(items), min(k, len(items))))


def knobs(k: int, college: list[dict[str, Any]]) -> dict[str, Any]:
    """The knobs of distinct workbook ``k``: a fixture branch (type, committee, classes) varied per index.

    Deterministic (``random.Random(k)``), mostly compliant with a tail of lagging branches.
    """
    rng = random.Random(k)
    b = copy.deepcopy(college[k % len(college)])
    committee: list[str] = b["committee"]
    b["id"] = f"{TOKEN}{k:04d}"
    b["name"] = f"{b['name']}（{TOKEN}{k:04d}）"
    b["full_members"] = 20 + (k * 37) % 81  # 20..100 people in the branch
    b["probationary_members"] = rng.choice([0, 0, 1, 2, 4])
    b["skip_committee"] = _sample(rng, MONTHS, [70, 15, 10, 0, 5])
    b["skip_org_life"] = _sample(rng, MONTHS, [75, 15, 5, 0, 0, 5])
    b["skip_study_day"] = _sample(rng, MONTHS, [70, 15, 10, 0, 5])
    b["no_lecture"] = _sample(rng, committee, [80, 15, 5])
    b["minutes_missing"] = rng.choice([0, 0, 0, 0, 1, 3])
    b["education_week"] = rng.random() > 0.15
    b["leadership_study"] = rng.choice([11, 11, 11, 9, 5])
    b["member_hours"] = rng.choice([24, 24, 24, 20, 15])
    b["low_member_quarters"] = _sample(rng, [2, 3, 4], [75, 15, 5, 5])
    b["leader_hours"] = rng.choice([36, 36, 40, 30])
    b["low_leaders"] = _sample(rng, committee, [85, 10, 5])
    b["training"] = rng.choice([["H1", "H2"], ["H1", "H2"], ["H1", "H2"], ["H1"], []])
    b["practice"] = rng.choice([1, 1, 1, 0, 2])
    respondents = rng.randint(30, 80)
    unhappy = rng.choice([0, 0, 0, 1, respondents // 8])
    basic = rng.randint(0, respondents // 4)
    b["survey"] = [respondents, respondents - basic - unhappy, basic, unhappy]
    b["vetoes"] = [rng.choice(VETO_KEYS)] if rng.random() < 0.05 else []
    b.setdefault("expect", {"failed": []})
    return b


def group_meetings(b: dict[str, Any], members: int) -> list[dict[str, Any]]:
    """Monthly meetings of each party group: big branches have one group per ~9 members."""
    rows = []
    groups = 2 + members // 9
    size = max(1, members // groups)
    for g in range(1, groups + 1):
        for month in range(1, 13):
            rows.append(
                {
                    "date": date(YEAR, month, 9 + g),
                    "type": "党小组会",
                    "topic": f"第{g}党小组{month}月学习讨论",
                    "chair": b["secretary"],
                    "expected": size,
                    "present": max(1, size - (month + g) % 3),
                    "minutes": "是",
                }
            )
    return rows


def build_distinct(k: int) -> tuple[bytes, int]:
    """Distinct workbook ``k`` as xlsx bytes (openpyxl, slow), and its register row count."""
    from engine.export.template import build_template
    from fixtures.formfill import fill_workbook
    from fixtures.generate import branch_data

    college = tomllib.loads((ROOT / "fixtures" / "college.toml").read_text(encoding="utf-8"))["branch"]
    b = knobs(k, college)
    data = branch_data(k, b, YEAR)
    data["meetings"] = sorted(
        data["meetings"] + group_meetings(b, b["full_members"] + b["probationary_members"]),
        key=lambda r: (r["date"], r["type"]),
    )
    wb = build_template(branch_type=b["type"], year=YEAR)
    fill_workbook(wb, data)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), len(data["meetings"]) + len(data["study_hours"])


@cache
def _members(base: Path) -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    """The decompressed members of a base workbook (read once per process)."""
    with zipfile.ZipFile(base) as z:
        return tuple((info, z.read(info)) for info in z.infolist())


def write_copy(base: Path, k: int, branch_id: str, target: Path) -> None:
    """Copy ``base`` to ``target`` with its placeholder id (and the name that embeds it) rewritten.

    openpyxl writes strings inline (``<is><t>…</t></is>``) in the sheet XML, so a plain byte
    replace in the members that hold the placeholder is a valid edit: no shared-string counts to fix.
    """
    token, new = f"{TOKEN}{k:04d}".encode(), branch_id.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in _members(base):
            zout.writestr(copy.copy(info), data.replace(token, new) if token in data else data)
    target.write_bytes(out.getvalue())


def _copy_range(base_dir: str, folder: str, indices: range) -> None:
    for i in indices:
        k = i % DISTINCT
        branch_id = f"BENCH-{i:05d}"
        write_copy(Path(base_dir) / f"{k:04d}.xlsx", k, branch_id, Path(folder) / f"{branch_id}.xlsx")


def _build_and_save(base_dir: str, k: int) -> int:
    data, rows = build_distinct(k)
    (Path(base_dir) / f"{k:04d}.xlsx").write_bytes(data)
    return rows


def ensure_workbooks(cache_dir: Path, n: int, workers: int) -> Path:
    """``<cache>/n<N>-…/`` holding N workbooks, made once; a ``.complete`` marker guards half-made ones."""
    tag = f"t{TEMPLATE_VERSION}-g{GENERATOR_VERSION}"
    base_dir = cache_dir / f"base-{tag}"
    folder = cache_dir / f"n{n}-{tag}"
    if (folder / ".complete").exists():
        print(f"  workbooks: reusing {folder}")
        return folder
    if n < DISTINCT:
        raise SystemExit(f"--n must be at least {DISTINCT} (the distinct workbooks behind the copies)")
    with ProcessPoolExecutor(workers, mp_context=CTX) as pool:
        if not (base_dir / ".complete").exists():
            t = time.perf_counter()
            base_dir.mkdir(parents=True, exist_ok=True)
            rows = list(pool.map(_build_and_save, [str(base_dir)] * DISTINCT, range(DISTINCT)))
            (base_dir / ".complete").write_text(json.dumps({"register_rows": rows}))
            print(
                f"  built {DISTINCT} distinct workbooks with openpyxl in {time.perf_counter() - t:.1f} s "
                f"({min(rows)}-{max(rows)} register rows)"
            )
        t = time.perf_counter()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        step = -(-n // (workers * 8))
        chunks = [range(s, min(s + step, n)) for s in range(0, n, step)]
        list(pool.map(_copy_range, [str(base_dir)] * len(chunks), [str(folder)] * len(chunks), chunks))
    (folder / ".complete").write_text(str(n))
    print(f"  wrote {n} patched copies in {time.perf_counter() - t:.1f} s -> {folder}")
    return folder


# --- 2b. stages, timed per branch inside the workers ----------------------------------------------------

_w: dict[str, Any] = {}


def _init_stages(list_dir: str) -> None:
    from engine.pipeline import _init_worker
    from engine.profiles import ProfileChoice

    # exactly a pipeline worker's set-up (profile, engine, GC)
    _init_worker(ProfileChoice.from_ref(PROFILE).state(), list_dir, "zh")


def _stage_work(paths: list[str]) -> list[tuple[dict[str, float], Any, str]]:
    """Run a chunk of workbooks through every stage as a pipeline worker does (the rules decide the
    chunk's branches in one call, whose time is shared out evenly); per workbook: per-stage seconds, its
    packed result and list rows (or None), and its status."""
    from engine.export.branch_list import write_branch_list
    from engine.facts import build_facts
    from engine.grading import grade
    from engine.ingest import read_workbook
    from engine.pipeline import FileOutcome, _worker, list_temp_name, pack
    from engine.profiles import Evaluators, ProfileChoice
    from engine.rulebook import evaluate_many
    from engine.validate import validate_workbook
    from schemas.common import Severity

    choice, evaluators, list_dir = _worker["choice"], _worker["evaluators"], Path(str(_worker["list_dir"]))
    assert isinstance(choice, ProfileChoice) and isinstance(evaluators, Evaluators)
    profile = choice.profile(choice.entries[0].name)
    evaluator = evaluators(profile.name)
    clock = time.perf_counter
    times: list[dict[str, float]] = []
    statuses: list[str] = []
    gradable: list[tuple[int, Any]] = []  # (position in the chunk, facts)
    for path in paths:
        t: dict[str, float] = {}
        times.append(t)
        t0 = clock()
        raw = read_workbook(Path(path), Path(path).name)
        t["ingest"] = clock() - t0
        if any(p.severity is Severity.ERROR for p in raw.problems):
            statuses.append("unreadable")
            continue
        t0 = clock()
        checked = validate_workbook(raw, expected_year=profile.year)
        t["validate"] = clock() - t0
        if checked.form is None:
            statuses.append("invalid: " + "; ".join(p.code for p in checked.problems[:3]))
            continue
        t0 = clock()
        gradable.append((len(statuses), build_facts(checked.form, profile)))
        t["facts"] = clock() - t0
        statuses.append("graded")
    t0 = clock()
    evaluations = evaluate_many([facts for _, facts in gradable], profile, evaluator)
    rules_each = (clock() - t0) / max(1, len(gradable))
    done: list[Any] = [None] * len(paths)
    for (i, _), evaluation in zip(gradable, evaluations, strict=True):
        t, name = times[i], Path(paths[i]).name
        t["rules"] = rules_each
        t0 = clock()
        result = grade(evaluation, profile.grading)
        t["grading"] = clock() - t0
        t0 = clock()
        write_branch_list(
            result, list_dir / list_temp_name(name), lang="zh", durable=False
        )  # as grade_and_list
        t["exports"] = clock() - t0
        t0 = clock()
        # What a pipeline worker sends back: the result already serialised for results.json + summary record.
        outcome = pack(FileOutcome(_report(name, result.identity.branch_id), result), "zh")
        t["pack"] = clock() - t0
        done[i] = (outcome.packed, len(result.items))
    return list(zip(times, done, statuses, strict=True))


def _report(name: str, branch_id: str) -> Any:
    from schemas.batch import FileReport

    return FileReport(
        file=name, sha256=hashlib.sha256(name.encode()).hexdigest(), status="graded", branch_id=branch_id
    )


@dataclass
class StageRun:
    wall: float
    per_stage: dict[str, list[float]] = field(default_factory=dict)
    streamed: float = 0.0  # results.json elements + summary rows, as outcomes arrive (while workers run)
    tail: dict[str, float] = field(default_factory=dict)  # what is left after the last outcome
    list_rows: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)


def run_stages(paths: list[Path], workers: int, scratch: Path) -> StageRun:
    from engine import __version__
    from engine.export.results_json import ResultsJsonWriter, write_manifest
    from engine.export.summary import summary_writer
    from engine.intake import Entry
    from engine.pipeline import _BatchSink, chunk_bounds
    from engine.profiles import ProfileChoice

    list_dir = scratch / "stage-lists"
    list_dir.mkdir()
    t = time.perf_counter()
    # the chunks grade_folder would make
    chunks = [[str(paths[i]) for i in bounds] for bounds in chunk_bounds(len(paths), workers)]
    with ProcessPoolExecutor(
        workers, mp_context=CTX, initializer=_init_stages, initargs=(str(list_dir),)
    ) as pool:
        done = [one for chunk in pool.map(_stage_work, chunks) for one in chunk]
    run = StageRun(wall=time.perf_counter() - t)
    for stage in STAGES:
        run.per_stage[stage] = [times.get(stage, 0.0) for times, _, _ in done]
    packed = []
    for path, (_, got, status) in zip(paths, done, strict=True):
        run.statuses[status] = run.statuses.get(status, 0) + 1
        if got is not None:
            packed.append((path.name, got[0]))
            run.list_rows[path.name] = got[1]

    # The main-process work of grade_folder, the same calls: each packed result streamed to results.json
    # and its rows to the summary workbook as it arrives (timed together here: in grade_folder this runs
    # while the workers do), then kpis, the summary's short sheets and manifest.
    from engine.pipeline import FileOutcome

    choice = ProfileChoice.from_ref(PROFILE)
    clock = time.perf_counter
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open(scratch / "results.json", "wb"))
        t0 = clock()
        summary = stack.enter_context(summary_writer(scratch / "summary.xlsx", "zh"))
        writer = ResultsJsonWriter(fh, tool_version=__version__, profiles=choice.refs())
        entries = [Entry(list_dir / name, name, None) for name, _ in packed]
        sink = stack.enter_context(contextlib.closing(_BatchSink(entries, writer, summary, list_dir, "zh")))
        for i, (name, p) in enumerate(packed):
            sink.arrived(i, FileOutcome(_report(name, p.branch_id), None, p))
        sink.finish()
        files = tuple(sink.files)
        run.streamed = clock() - t0
        t0 = clock()
        kpis = sink.kpis(choice)
        run.tail["kpis"] = clock() - t0
        t0 = clock()
        writer.finish(files, kpis)
        fh.flush()
        run.tail["results.json"] = clock() - t0
        t0 = clock()
        summary.finish(files, kpis)
        stack.close()  # the summary moved into place (fsynced, renamed)
        run.tail["summary"] = clock() - t0
    t0 = clock()
    write_manifest(
        scratch / "run-manifest.json",
        inputs={f.file: f.sha256 for f in files},
        profiles=choice.refs(),
        tool_version=__version__,
        started="",
        finished="",
        argv=[],
    )
    run.tail["manifest"] = clock() - t0
    return run


# --- 2a. the floor: calamine read + plain xlsxwriter write (bench/floor.py) --------------------------------


def floor_rows(paths: Sequence[Path], list_rows: dict[str, int]) -> list[int]:
    """Rows of each branch's plain list: title + 9 header rows + blank + table head + one row per item
    (or the "none" row), as the 整改清单 has."""
    return [12 + max(1, list_rows.get(p.name, 0)) for p in paths]


def run_floor(
    paths: list[Path], list_rows: dict[str, int], workers: int, scratch: Path
) -> tuple[float, list[float], list[float]]:
    out_dir = scratch / "floor-lists"
    out_dir.mkdir()
    t = time.perf_counter()
    done = floor.run_floor(paths, floor_rows(paths, list_rows), workers, out_dir)
    return time.perf_counter() - t, [r for r, _ in done], [w for _, w in done]


# --- 2c. end to end, in a fresh process so its peak RSS is its own ---------------------------------------


def _own_peak_kb() -> int:
    """This process's peak RSS in KiB. ``VmHWM`` where there is one: on Linux ``ru_maxrss`` of a spawned
    process also carries the high-water mark of the process that spawned it (kept across exec), i.e. this
    benchmark's own memory, which after the stage pass holds every branch's result."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _e2e_child(folder: str, out: str, workers: int, conn: Any) -> None:
    from engine.pipeline import grade_folder

    t = time.perf_counter()
    run = grade_folder(Path(folder), Path(out), profile_ref=PROFILE, workers=workers)
    wall = time.perf_counter() - t
    graded = sum(f.status == "graded" for f in run.files)  # not run.report: that loads results.json
    own = _own_peak_kb()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    conn.send((wall, graded, own, kids))
    conn.close()


def run_e2e(folder: Path, workers: int, scratch: Path) -> tuple[float, int, float, float]:
    parent, child = CTX.Pipe(duplex=False)
    proc = CTX.Process(target=_e2e_child, args=(str(folder), str(scratch / "e2e-out"), workers, child))
    proc.start()
    wall, graded, own_kb, kids_kb = parent.recv()
    proc.join()
    return wall, graded, own_kb / 1024, kids_kb / 1024  # ru_maxrss is in KiB on Linux


# --- recording a round: what the ledger adds to a grade run ----------------------------------------------


def _recording_child(folder: str, out: str, workers: int, ledger: str, conn: Any) -> None:
    """``grade --round``'s work in a fresh process: the ledger's context, the run with the round hooks
    (facts carried back, lists marked), and the one transaction that records the round."""
    from engine.ledger.record import Recorder, RoundPlan, round_context
    from engine.ledger.store import Ledger
    from engine.pipeline import grade_folder
    from engine.profiles import ProfileChoice

    t = time.perf_counter()
    choice = ProfileChoice.from_ref(PROFILE)
    plan = RoundPlan("年初定级", None, False, {e.name: e.sha256 for e in choice.entries})
    with Ledger.open(Path(ledger)) as led:
        context = round_context(led, plan)
    with Recorder(plan) as recorder:
        run = grade_folder(
            Path(folder),
            Path(out),
            profile_ref=PROFILE,
            workers=workers,
            hooks=context,
            on_captured=recorder.add,
        )
        graded_at = time.perf_counter() - t
        with Ledger.open(Path(ledger)) as led:
            recorder.commit(led)
    wall = time.perf_counter() - t
    graded = sum(f.status == "graded" for f in run.files)
    conn.send((wall, graded, graded_at, Path(ledger).stat().st_size))
    conn.close()


def measure_recording(n: int, folder: Path, workers: int, repeats: int = 2) -> dict[str, Any]:
    """The grade run's wall time without and with recording the round into a fresh ledger, alternated
    ``repeats`` times (the machine's load drifts); the ratio of the medians is what recording adds."""
    plain: list[float] = []
    recorded: list[float] = []
    commit: list[float] = []
    size = 0
    for r in range(repeats):
        with tempfile.TemporaryDirectory(prefix="bench-rec-") as tmp:
            scratch = Path(tmp)
            plain.append(run_e2e(folder, workers, scratch)[0])
            parent, child = CTX.Pipe(duplex=False)
            args = (str(folder), str(scratch / "rec-out"), workers, str(scratch / "ledger.sqlite"), child)
            proc = CTX.Process(target=_recording_child, args=args)
            proc.start()
            wall, graded, graded_at, size = parent.recv()
            proc.join()
            assert graded == n, f"recorded {graded} of {n}"
            recorded.append(wall)
            commit.append(wall - graded_at)
        print(
            f"  repeat {r + 1}: plain {plain[-1]:.1f} s, recorded {recorded[-1]:.1f} s "
            f"(commit {commit[-1]:.2f} s)",
            flush=True,
        )
    ratio = statistics.median(recorded) / statistics.median(plain)
    return {
        "n": n,
        "plain_s": statistics.median(plain),
        "recorded_s": statistics.median(recorded),
        "commit_s": statistics.median(commit),
        "ratio": ratio,
        "ledger_mb": size / 1e6,
    }


# --- 3. report -------------------------------------------------------------------------------------------


def ms(values: Sequence[float]) -> float:
    return 1000 * sum(values) / max(1, len(values))


def measure(n: int, folder: Path, workers: int) -> dict[str, Any]:
    paths = sorted(folder.glob("*.xlsx"))
    assert len(paths) == n, f"{folder} holds {len(paths)} workbooks, expected {n}"
    for p in paths:  # warm the page cache so no phase pays for the first disk read
        p.read_bytes()
    with tempfile.TemporaryDirectory(prefix="branchgrade-bench-") as tmp:
        scratch = Path(tmp)
        print("  stages ...", flush=True)
        stages = run_stages(paths, workers, scratch)
        print("  floor ...", flush=True)
        floor_wall, reads, writes = run_floor(paths, stages.list_rows, workers, scratch)
        print("  end to end (grade_folder) ...", flush=True)
        e2e_wall, graded, own_mb, kids_mb = run_e2e(folder, workers, scratch)
    stage_ms = {s: ms(v) for s, v in stages.per_stage.items()}
    items = list(stages.list_rows.values())
    return {
        "n": n,
        "workers": workers,
        "statuses": stages.statuses,
        "graded_e2e": graded,
        "items_mean": statistics.mean(items) if items else 0.0,
        "items_max": max(items, default=0),
        "stage_ms": stage_ms,
        "stage_sum_ms": sum(stage_ms.values()),
        "stage_wall_s": stages.wall,
        "streamed_s": stages.streamed,
        "tail_s": stages.tail,
        "floor_read_ms": ms(reads),
        "floor_write_ms": ms(writes),
        "floor_ms": ms(reads) + ms(writes),
        "floor_wall_s": floor_wall,
        "e2e_wall_s": e2e_wall,
        "rss_main_mb": own_mb,
        "rss_worker_mb": kids_mb,
    }


def print_one(m: dict[str, Any]) -> None:
    n, floor_ms = m["n"], m["floor_ms"]
    print(
        f"\nN = {n}, workers = {m['workers']}  (stage pass statuses: {m['statuses']}; "
        f"grade_folder graded {m['graded_e2e']}; "
        f"整改清单 items mean {m['items_mean']:.1f}, max {m['items_max']})"
    )
    print(f"  {'per branch, in a worker':<28}{'ms':>9}{'share':>8}{'x floor':>9}")
    for stage, value in m["stage_ms"].items():
        print(f"  {stage:<28}{value:9.2f}{value / m['stage_sum_ms']:8.0%}{value / floor_ms:9.2f}")
    print(f"  {'sum of stages':<28}{m['stage_sum_ms']:9.2f}{1:8.0%}{m['stage_sum_ms'] / floor_ms:9.2f}")
    print(f"  {'floor: calamine read':<28}{m['floor_read_ms']:9.2f}")
    print(f"  {'floor: plain xlsxwriter':<28}{m['floor_write_ms']:9.2f}")
    print(f"  {'floor total':<28}{floor_ms:9.2f}")
    print(
        f"  main process, while the workers run: results.json + summary rows {m['streamed_s']:.2f} s"
        f" = {1000 * m['streamed_s'] / n:.2f} ms/branch"
    )
    print(
        "  main-process tail (s): "
        + ", ".join(f"{k} {v:.2f}" for k, v in m["tail_s"].items())
        + f"  = {sum(m['tail_s'].values()):.2f} s = {1000 * sum(m['tail_s'].values()) / n:.2f} ms/branch"
    )
    print(
        f"  wall: stage pool {m['stage_wall_s']:.2f} s, floor pool {m['floor_wall_s']:.2f} s, "
        f"grade_folder {m['e2e_wall_s']:.2f} s"
    )
    print(f"  branches/s: floor {n / m['floor_wall_s']:.0f}, end to end {n / m['e2e_wall_s']:.0f}")
    print(
        f"  ratio end-to-end / floor (wall): {m['e2e_wall_s'] / m['floor_wall_s']:.2f}; "
        f"(rules + grading) / floor (per-branch ms): "
        f"{(m['stage_ms']['rules'] + m['stage_ms']['grading']) / floor_ms:.2f}"
    )
    print(
        f"  peak RSS of grade_folder: main {m['rss_main_mb']:.0f} MB + largest worker "
        f"{m['rss_worker_mb']:.0f} MB = {m['rss_main_mb'] + m['rss_worker_mb']:.0f} MB"
    )


def markdown(ms_: list[dict[str, Any]]) -> str:
    cores = os.cpu_count()
    today = date.today().isoformat()
    lines = [
        "| cores | date | N | workers | floor s | end-to-end s | ratio | rules+grading ratio "
        "| peak RSS MB | branches/s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in ms_:
        rg = (m["stage_ms"]["rules"] + m["stage_ms"]["grading"]) / m["floor_ms"]
        lines.append(
            f"| {cores} | {today} | {m['n']} | {m['workers']} | {m['floor_wall_s']:.1f} | "
            f"{m['e2e_wall_s']:.1f} | {m['e2e_wall_s'] / m['floor_wall_s']:.2f} | {rg:.2f} | "
            f"{m['rss_main_mb'] + m['rss_worker_mb']:.0f} | {m['n'] / m['e2e_wall_s']:.0f} |"
        )
    stages = " | ".join(STAGES)
    lines += [
        "",
        "Per branch, ms in a worker (floor = calamine read + plain xlsxwriter write):",
        "",
        f"| N | floor | {stages} | sum |",
        "|---:|" + "---:|" * (len(STAGES) + 2),
    ]
    for m in ms_:
        cells = " | ".join(f"{m['stage_ms'][s]:.1f}" for s in STAGES)
        lines.append(f"| {m['n']} | {m['floor_ms']:.1f} | {cells} | {m['stage_sum_ms']:.1f} |")
    return "\n".join(lines) + "\n"


DESIGN_SECTION = "## Design measurements"

# The performance targets, checked on the measured ratios (a benchmark reports; it never fails a test run).
E2E_MAX = 1.5  # end to end / floor, at every N
RULES_MAX = 0.1  # (rules + grading) / floor
FLAT_MAX = 1.5  # peak RSS at the largest N / at the smallest
BIG_N, BIG_N_SECONDS = 10_000, 120.0  # 10,000 branches end to end in under 2 minutes


def targets(ms_: list[dict[str, Any]]) -> str:
    """One line per target: the measured value, the limit, met or not."""

    def line(what: str, value: float, limit: float, unit: str = "") -> str:
        verdict = "met" if value <= limit else "NOT met"
        return f"- {what}: {value:.2f}{unit} (target ≤ {limit:g}{unit}) — {verdict}"

    lines = ["Targets:", ""]
    for m in ms_:
        lines.append(line(f"N={m['n']} end to end / floor", m["e2e_wall_s"] / m["floor_wall_s"], E2E_MAX))
        rules = (m["stage_ms"]["rules"] + m["stage_ms"]["grading"]) / m["floor_ms"]
        lines.append(line(f"N={m['n']} (rules + grading) / floor", rules, RULES_MAX))
        if m["n"] == BIG_N:
            lines.append(line(f"N={BIG_N} end to end", m["e2e_wall_s"], BIG_N_SECONDS, " s"))
    if len(ms_) > 1:
        small, big = min(ms_, key=lambda m: m["n"]), max(ms_, key=lambda m: m["n"])
        rss = (big["rss_main_mb"] + big["rss_worker_mb"]) / (small["rss_main_mb"] + small["rss_worker_mb"])
        lines.append(line(f"peak RSS N={big['n']} / N={small['n']}", rss, FLAT_MAX))
    return "\n".join(lines) + "\n"


# --- 0. as users run it (bench/users.py): the targets of speed as users feel it ------------------------

ONE_VALIDATE_MAX = 0.25  # s, `branchgrade validate ONE.xlsx`, median wall
ONE_GRADE_MAX = 0.4  # s, `branchgrade grade` of a one-form folder, median wall
BATCH_MAX = 1.25  # the branchgrade process / the floor program, wall, at every N
USERS_SECTION = "## As users run it"


def measure_users(n: int, folder: Path, workers: int, cache: Path, repeats: int) -> dict[str, Any]:
    """The batch of ``n`` forms through ``branchgrade grade`` against the floor, and results.json against
    the reference."""
    paths = sorted(folder.glob("*.xlsx"))
    assert len(paths) == n, f"{folder} holds {len(paths)} workbooks, expected {n}"
    for p in paths:  # warm the page cache so no run pays for the first disk read
        p.read_bytes()
    tag = folder.name.split("-", 1)[1]
    items = users.list_rows(cache / f"base-{tag}", DISTINCT, PROFILE)
    rows = dict(
        zip(
            (p.name for p in paths),
            floor_rows(paths, {p.name: items[i % DISTINCT] for i, p in enumerate(paths)}),
            strict=True,
        )
    )
    with tempfile.TemporaryDirectory(prefix="branchgrade-bench-") as tmp:
        m = users.batch(folder, rows, workers, Path(tmp), repeats)
        m["identical"], m["reference"] = users.against_reference(m.pop("results"), cache, folder)
    m.update(n=n, workers=workers, repeats=repeats)
    return m


def print_users(one: dict[str, Any] | None, batches: list[dict[str, Any]], parts: dict[str, Any]) -> None:
    if one is not None:
        for name, t in one.items():
            print(
                f"  one form, {name}: median {t['wall']:.2f} s wall, {t['cpu']:.2f} s CPU (runs {t['walls']})"
            )
    for m in batches:
        print(
            f"  N={m['n']}, {m['workers']} workers: branchgrade {m['grade_s']:.2f} s {m['grade_walls']}, "
            f"floor {m['floor_s']:.2f} s {m['floor_walls']} -> {m['grade_s'] / m['floor_s']:.2f}x; CPU "
            f"{m['grade_cpu_s']:.1f} / {m['floor_cpu_s']:.1f} s; peak memory summed over the process tree "
            f"{m['grade_mb']:.0f} MB ({m['grade_processes']} processes), floor {m['floor_mb']:.0f} MB; "
            f"results.json {m['reference']}"
        )
    print(f"  pre-flight + parser on one form: {parts}")


def users_markdown(one: dict[str, Any] | None, batches: list[dict[str, Any]], load: float) -> str:
    today = date.today().isoformat()
    lines = [USERS_SECTION, ""]
    if one is not None:
        lines += [
            f"One form (a bench workbook), median of the runs after a warm-up; load average {load:.1f} "
            f"on {os.cpu_count()} cores:",
            "",
            "| date | command | wall s | CPU s | runs (wall s) |",
            "|---|---|---:|---:|---|",
        ]
        commands = {
            "validate": "`branchgrade validate ONE.xlsx`",
            "grade": "`branchgrade grade` (one-form folder)",
        }
        for name, t in one.items():
            walls = ", ".join(f"{w:.2f}" for w in t["walls"])
            lines.append(f"| {today} | {commands[name]} | {t['wall']:.2f} | {t['cpu']:.2f} | {walls} |")
        lines.append("")
    if batches:
        lines += [
            "A batch: `branchgrade grade FOLDER --workers W --no-progress` against the floor program "
            "(bench/floor.py), both timed from outside with start-up, same W, medians of alternated runs; "
            "memory is the peak of the resident set summed over each process tree:",
            "",
            "| cores | date | N | workers | runs | floor s | branchgrade s | ratio "
            "| CPU s floor / branchgrade | peak MB floor / branchgrade | branches/s | results.json |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
        ]
        for m in batches:
            lines.append(
                f"| {os.cpu_count()} | {today} | {m['n']} | {m['workers']} | {m['repeats']} | "
                f"{m['floor_s']:.1f} | {m['grade_s']:.1f} | {m['grade_s'] / m['floor_s']:.2f} | "
                f"{m['floor_cpu_s']:.1f} / "
                f"{m['grade_cpu_s']:.1f} | {m['floor_mb']:.0f} / {m['grade_mb']:.0f} | "
                f"{m['n'] / m['grade_s']:.0f} | {m['reference']} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def users_targets(one: dict[str, Any] | None, batches: list[dict[str, Any]], parts: dict[str, Any]) -> str:
    """One line per target of speed as users feel it: the measured value, the limit, met or not."""

    def line(what: str, value: float, limit: float, unit: str = "") -> str:
        verdict = "met" if value <= limit else "NOT met"
        return f"- {what}: {value:.2f}{unit} (target ≤ {limit:g}{unit}) — {verdict}"

    lines = ["Targets:", ""]
    if one is not None:
        lines.append(
            line("one form, validate (median wall)", one["validate"]["wall"], ONE_VALIDATE_MAX, " s")
        )
        lines.append(line("one form, grade (median wall)", one["grade"]["wall"], ONE_GRADE_MAX, " s"))
    for m in batches:
        lines.append(
            line(f"N={m['n']} branchgrade / floor, start-up included", m["grade_s"] / m["floor_s"], BATCH_MAX)
        )
    if len(batches) > 1:
        small, big = min(batches, key=lambda m: m["n"]), max(batches, key=lambda m: m["n"])
        flat = big["grade_mb"] / small["grade_mb"]
        lines.append(line(f"memory summed over all processes, N={big['n']} / N={small['n']}", flat, FLAT_MAX))
    for m in batches:
        verdict = {True: "met", False: "NOT met", None: "not checked"}[m["identical"]]
        lines.append(f"- N={m['n']} results.json unchanged: {m['reference']} — {verdict}")
    once = parts["inflated"] == parts["deflated_parts"] and parts["stored_for_calamine"]
    lines.append(
        f"- each part inflated once: {parts['inflated']} inflations for {parts['deflated_parts']} deflated "
        f"parts, calamine given {'only stored parts' if parts['stored_for_calamine'] else 'deflated parts'} "
        f"— {'met' if once else 'NOT met'}"
    )
    return "\n".join(lines) + "\n"


# --- movement: compare and replay over rounds recorded in a ledger -------------------------------------

MOVEMENT_SECTION = "## Movement: compare and replay"
MOVEMENT_SETTING = "org_life_per_month=2"  # the what-if of the replay pass (and the second round's grading)


def _copies(pairs: list[Any], n: int) -> list[Any]:
    """``n`` (facts, result) pairs cycled from ``pairs``, each under its own branch id ``BENCH-<i>``."""
    out = []
    for i in range(n):
        facts, result = pairs[i % len(pairs)]
        identity = result.identity.model_copy(update={"branch_id": f"BENCH-{i:05d}"})
        out.append(
            (
                facts.model_copy(update={"identity": identity}),
                result.model_copy(update={"identity": identity}),
            )
        )
    return out


def measure_movement(n: int, scratch: Path, workers: int) -> dict[str, Any]:
    """Two rounds of ``n`` branches recorded in a ledger (the fixture college's 18 real results cycled
    under unique ids; the second round graded with ``MOVEMENT_SETTING``), then timed as the commands run
    them: compare's light read of a round (``Ledger.graded_rows``: columns selected by SQL), ``replay`` of
    the first round with the setting (``Ledger.stored_branches`` and ``replay_stored`` in ``workers``
    processes, their start included), ``compare`` of the two rounds, and its workbook and JSON."""
    from engine.facts import build_facts
    from engine.ledger import Ledger
    from engine.ledger.record import Recorder, RoundPlan, round_context
    from engine.movement import apply_settings, compare, parse_settings, regrade
    from engine.movement.cli import side_of
    from engine.movement.replay_pool import replay_stored
    from engine.movement.report import write_json, write_workbook
    from engine.pipeline import check_workbook
    from engine.rulebook import load_profile, open_evaluator, resolve_evaluator

    profile = load_profile(PROFILE)
    where = f"rules/{PROFILE}/profile.toml"
    settings = parse_settings([MOVEMENT_SETTING], profile, where)
    strict = apply_settings(profile, settings, where)
    forms = [check_workbook(p).form for p in sorted((ROOT / "fixtures" / "college").glob("*.xlsx"))]
    facts = [build_facts(f, profile) for f in forms if f is not None]
    name = resolve_evaluator("auto")
    rounds: dict[str, list[Any]] = {}
    for stage, prof in (("年初定级", profile), ("年终自查", strict)):
        ev = open_evaluator(prof, name)
        rounds[stage] = _copies(list(zip(facts, regrade(facts, prof, ev), strict=True)), n)
        ev.close()
    path = scratch / "ledger.sqlite"
    m: dict[str, Any] = {"n": n, "evaluator": name, "workers": workers}
    with Ledger.open(path) as led:
        for stage, pairs in rounds.items():
            plan = RoundPlan(stage=stage, year=None, replace=False, profiles={PROFILE: ""})
            context = round_context(led, plan)
            t = time.perf_counter()
            with Recorder(plan) as recorder:
                for f, r in pairs:
                    recorder.add(context.capture(f, r, r.identity.file))
                recorder.commit(led)
            m[f"record_{stage}"] = time.perf_counter() - t
        del rounds
        a, b = led.rounds()
        t, cpu = time.perf_counter(), time.process_time()
        profile_of = cache(load_profile)  # as the command: a profile both rounds share, once
        side_a = side_of(a, led.graded_rows(a.id), led, profile_of)
        m["read"] = time.perf_counter() - t
        side_b = side_of(b, led.graded_rows(b.id), led, profile_of)
        m["compare_cpu"] = time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        stored = led.stored_branches(a.id)
        m["read_stored"] = time.perf_counter() - t
        m["replay_cpu"] = time.process_time() - cpu
    t, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
    replayed = replay_stored(stored, strict, name, workers, settings)
    m["replay"] = time.perf_counter() - t
    # the workers' CPU (counted once the pool has reaped them), and the busiest share of it per worker
    m["replay_workers_cpu"] = _children_cpu() - kids
    m["replay_cpu"] += time.process_time() - cpu + m["replay_workers_cpu"]
    m["replay_changed"] = len(replayed.changes)
    t, cpu = time.perf_counter(), time.process_time()
    moved = compare(side_a, side_b)
    m["compare"] = time.perf_counter() - t
    m["compare_cpu"] += time.process_time() - cpu
    m["compare_moved"] = len(moved.moved("down")) + len(moved.moved("up"))
    t = time.perf_counter()
    write_workbook(moved, scratch / "movement.xlsx")
    write_json(moved, scratch / "movement.json")
    m["outputs"] = time.perf_counter() - t
    m["load"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return m


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's reaped children so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


# The targets, for a round of TARGET_N branches on 2 cores (seconds).
MOVEMENT_TARGET_N = 10_000
REPLAY_MAX_S = 10.0
COMPARE_MAX_S = 2.0


def movement_targets(ms_: list[dict[str, Any]]) -> str:
    """Each target against the run at its size; a size not measured is said so, not estimated."""
    at = [m for m in ms_ if m["n"] == MOVEMENT_TARGET_N]
    if not at:
        sizes = ", ".join(str(m["n"]) for m in ms_)
        return (
            f"- replay of {MOVEMENT_TARGET_N:,} branches ≤ {REPLAY_MAX_S:.0f} s, compare ≤ "
            f"{COMPARE_MAX_S:.0f} s: not measured at that size (measured: N = {sizes})\n"
        )
    m = at[-1]
    replay = m["read_stored"] + m["replay"]
    compare = 2 * m["read"] + m["compare"]
    # On 2 idle cores the workers' CPU is spread over them: the least wall time the CPU allows.
    replay_idle = m["replay_cpu"] - m["replay_workers_cpu"] + m["replay_workers_cpu"] / max(1, m["workers"])
    lines = []
    for what, value, idle, cores, limit in (
        ("replay", replay, replay_idle, m["workers"] or 1, REPLAY_MAX_S),
        ("compare", compare, m["compare_cpu"], 1, COMPARE_MAX_S),
    ):
        wall = "met" if value <= limit else "NOT met"
        cpu = "met" if idle <= limit else "NOT met"
        lines.append(
            f"- {what} of {MOVEMENT_TARGET_N:,} branches (target ≤ {limit:.0f} s): {value:.2f} s wall at "
            f"load {m['load']:.1f} — {wall}; its CPU time, spread over {cores} idle core(s): "
            f"{idle:.2f} s — {cpu}"
        )
    return "\n".join(lines) + "\n"


def movement_markdown(ms_: list[dict[str, Any]]) -> str:
    lines = [
        MOVEMENT_SECTION,
        "",
        f"`python bench/run.py --movement N --workers {ms_[0]['workers']}` — python "
        f"{platform.python_version()}, {ms_[0]['evaluator']} evaluator, load average {ms_[-1]['load']:.1f} "
        f"on {os.cpu_count()} cores; two rounds of N branches recorded in a ledger. compare reads each "
        "round's columns (grades, totals, items, KPI flags) by SQL; replay reads each branch's compact "
        "replay inputs (fact values, series, recorded statuses: ledger schema 6) and decodes them in its "
        "workers (pool start included). Wall seconds, then CPU seconds — "
        "replay's of the main process and its workers together, compare's of its 2 reads and tables — which "
        "the machine's load does not stretch:",
        "",
        "| date | N | workers | read a round (columns) | read stored branches | replay (decode + rules + "
        "grading + diff) | read + replay | compare (2 reads + tables) | compare tables | workbook + JSON "
        "| replay CPU | compare CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in ms_:
        lines.append(
            f"| {date.today()} | {m['n']} | {m['workers']} | {m['read']:.2f} | {m['read_stored']:.2f} | "
            f"{m['replay']:.2f} | {m['read_stored'] + m['replay']:.2f} | "
            f"{2 * m['read'] + m['compare']:.2f} | {m['compare']:.2f} | {m['outputs']:.2f} | "
            f"{m['replay_cpu']:.2f} | {m['compare_cpu']:.2f} |"
        )
    lines += [
        "",
        "Targets (replay: read + replay; compare: 2 reads + tables):",
        "",
        movement_targets(ms_),
        "",
    ]
    return "\n".join(lines)


def run_movement(sizes: list[int], results: Path, workers: int) -> None:
    """``--movement``: the movement pass alone; its table replaces the movement section of ``results``."""
    measured = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            m = measure_movement(n, Path(scratch), workers)
        print(
            f"N={n}: read {m['read']:.2f} s, read stored {m['read_stored']:.2f} s, "
            f"replay {m['replay']:.2f} s ({m['replay_changed']} changed), "
            f"compare {m['compare']:.2f} s ({m['compare_moved']} moved), outputs {m['outputs']:.2f} s; "
            f"CPU: replay {m['replay_cpu']:.2f} s (workers {m['replay_workers_cpu']:.2f} s), "
            f"compare {m['compare_cpu']:.2f} s",
            flush=True,
        )
        measured.append(m)
    table = movement_markdown(measured)
    print("\n" + table)
    previous = results.read_text(encoding="utf-8") if results.exists() else ""
    start = previous.find(MOVEMENT_SECTION)
    if start < 0:
        updated = previous.rstrip("\n") + "\n\n" + table
    else:
        end = previous.find("\n## ", start + len(MOVEMENT_SECTION))
        updated = previous[:start] + table + (previous[end + 1 :] if end >= 0 else "")
    results.write_text(updated, encoding="utf-8")
    print(f"written to {results}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, action="append", help="number of branches (repeatable; default 1000)"
    )
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)"
    )
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "bench" / "cache", help="where workbooks are kept"
    )
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md", help="markdown output")
    parser.add_argument("--repeats", type=int, default=1, help="alternated runs of branchgrade and the floor")
    parser.add_argument("--one-form-repeats", type=int, default=5, help="runs of each one-form command")
    parser.add_argument(
        "--reference",
        metavar="REV",
        help="only grade the forms of each --n with commit REV's code and keep its results.json "
        "as the reference later runs compare with (make bench-reference: REV = main)",
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time every stage inside the workers (slower)"
    )
    parser.add_argument(
        "--recording", action="store_true", help="measure only what recording a round adds (grade --round)"
    )
    parser.add_argument(
        "--movement",
        type=int,
        action="append",
        help="only time compare and replay of N branches (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.movement:
        run_movement(args.movement, args.results, args.workers)
        return
    if args.recording:
        for n in args.n or [1000]:
            m = measure_recording(n, ensure_workbooks(args.cache, n, args.workers), args.workers)
            print(
                f"N={n}: grade {m['plain_s']:.1f} s, grade --round {m['recorded_s']:.1f} s "
                f"(commit {m['commit_s']:.2f} s, ledger {m['ledger_mb']:.0f} MB): ×{m['ratio']:.2f}"
            )
        return
    if args.reference:
        for n in args.n or [1000]:
            folder = ensure_workbooks(args.cache, n, args.workers)
            sha = users.make_reference(args.reference, args.cache, folder, args.workers)
            print(f"N={n}: reference results.json made by {args.reference} ({sha[:12]})")
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, {args.workers} workers, load {load:.1f}"
    )
    folders = {n: ensure_workbooks(args.cache, n, args.workers) for n in args.n or [1000]}
    first = sorted(next(iter(folders.values())).glob("*.xlsx"))[0]
    parts = users.inflations(first)
    print("\n== one form", flush=True)
    with tempfile.TemporaryDirectory(prefix="branchgrade-bench-") as tmp:
        one = users.one_form(first, Path(tmp), args.one_form_repeats) if args.one_form_repeats else None
    batches, staged = [], []
    for n, folder in folders.items():
        print(f"\n== N = {n}", flush=True)
        batches.append(measure_users(n, folder, args.workers, args.cache, args.repeats))
        if args.stages:
            m = measure(n, folder, args.workers)
            print_one(m)
            staged.append(m)
    print()
    print_users(one, batches, parts)
    report = users_markdown(one, batches, load) + "\n" + users_targets(one, batches, parts)
    if staged:
        report += "\n## Inside the workers (--stages)\n\n" + markdown(staged) + "\n" + targets(staged)
    print("\n" + report)
    header = (
        f"# branchgrade benchmark\n\n`python bench/run.py {' '.join(sys.argv[1:])}` "
        f"— python {platform.python_version()}, {platform.machine()}\n\n"
    )
    # The hand-kept "Design measurements" section (the numbers behind design choices) survives a new run.
    previous = args.results.read_text(encoding="utf-8") if args.results.exists() else ""
    kept = previous[previous.find(DESIGN_SECTION) :] if DESIGN_SECTION in previous else ""
    args.results.write_text(header + report + ("\n" + kept if kept else ""), encoding="utf-8")
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
