"""The summary workbook's writing time alone: N branches' records through ``summary_writer``.

    .venv/bin/python bench/summary.py --n 10000 [--repeat 3]

The fixture college (fixtures/college, graded once in this process) gives the records; they are repeated,
each copy with an id, name, file and problem texts of its own, until there are N. Timed: opening the
writer, ``add`` of every record (in grade_folder this runs while the workers grade) and ``finish`` (the
short sheets, page setup and the package), best of ``--repeat`` runs, and the least CPU time a run took
(steadier than wall time on a shared machine). Not part of the test run.
"""

from __future__ import annotations

import argparse
import inspect
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _records(n: int) -> tuple[list, object]:
    from engine import pipeline
    from engine.export.summary import summary_record

    with tempfile.TemporaryDirectory() as out:
        report = pipeline.grade_folder(
            ROOT / "fixtures" / "college", Path(out), "loudi-2012", workers=0
        ).report
    base = [summary_record(r, "zh") for r in report.results]
    # Each copy is a branch of its own: its id, name and file, and problems worded for it (a form's problems
    # name its own cells), so no writer gets to reuse what it made for an earlier branch.
    records = []
    for i in range(n):
        r = base[i % len(base)]
        records.append(
            r._replace(
                branch_id=f"BENCH-{i:05d}",
                branch_name=f"{r.branch_name}{i}",
                file=f"BENCH-{i:05d}.xlsx",
                items=tuple(item._replace(problem=f"{item.problem}（第{i}号）") for item in r.items),
            )
        )
    return records, report


def _once(records: list, report: object, folder: Path) -> tuple[float, float, float, float]:
    from engine.export.summary import SummaryWriter, summary_writer

    clock = time.perf_counter
    extra = []
    # the page header's facts, where finish takes them (it did not before the summary printed)
    if "heading" in inspect.signature(SummaryWriter.finish).parameters:
        from engine.export.page_setup import PrintHeading

        extra.append(
            PrintHeading("娄底职业技术学院", "娄底职院2012年基层组织建设年分类定级", "年终自查", date.today())
        )
    cpu = time.process_time()
    t0 = clock()
    with summary_writer(folder / "summary.xlsx", "zh") as summary:
        t1 = clock()
        for record in records:
            summary.add(record)
        t2 = clock()
        summary.finish(report.files, report.kpis, *extra)  # type: ignore[attr-defined]
    t3 = clock()
    return t1 - t0, t2 - t1, t3 - t2, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="branches in the summary")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args()
    records, report = _records(args.n)
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.repeat):
            runs.append(_once(records, report, Path(scratch)))
    best = min(runs, key=lambda run: sum(run[:3]))
    least_cpu = min(run[3] for run in runs)
    items = sum(len(r.items) for r in records)
    print(f"summary of {args.n} branches ({items} items), best of {args.repeat}:")
    print(f"  open {best[0]:.3f} s, add {best[1]:.3f} s, finish {best[2]:.3f} s, total {sum(best[:3]):.3f} s")
    # CPU time of this process: steadier than wall time on a shared machine
    print(f"  CPU {least_cpu:.3f} s")


if __name__ == "__main__":
    main()
