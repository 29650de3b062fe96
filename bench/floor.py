"""The floor: what any program grading these forms must at least do, as a program of its own.

    python bench/floor.py FOLDER ROWS.json OUT WORKERS

Reads every workbook of FOLDER with python-calamine (every sheet ``to_python``) and writes, for each, a
plain unstyled xlsx with xlsxwriter of as many rows (× 10 columns of short text) as that branch's 整改清单
has (ROWS.json: file name → rows), in WORKERS spawned processes. Prints the per-file read and write
milliseconds as JSON. bench/run.py times it from outside, start-up included, as it times ``branchgrade``.
It imports nothing of branchgrade: a bare script is what the floor is.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

LIST_COLUMNS = 10  # the 整改清单 has 10 columns


def floor_work(path: str, rows: int, out_dir: str) -> tuple[float, float]:
    """Read one workbook, write its plain list; the seconds each took."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    wb = CalamineWorkbook.from_path(path)
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
    t1 = time.perf_counter()
    out = xlsxwriter.Workbook(str(Path(out_dir) / Path(path).name))
    ws = out.add_worksheet()
    for r in range(rows):
        for c in range(LIST_COLUMNS):
            ws.write_string(r, c, f"r{r}c{c}")
    out.close()
    return t1 - t0, time.perf_counter() - t1


def run_floor(paths: list[Path], rows: list[int], workers: int, out_dir: Path) -> list[tuple[float, float]]:
    """``floor_work`` of every path in a pool of ``workers`` spawned processes."""
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(floor_work, map(str, paths), rows, [str(out_dir)] * len(paths), chunksize=8))


def main(argv: list[str]) -> None:
    folder, rows_file, out, workers = Path(argv[0]), Path(argv[1]), Path(argv[2]), int(argv[3])
    rows: dict[str, int] = json.loads(rows_file.read_text(encoding="utf-8"))
    paths = sorted(folder.glob("*.xlsx"))
    out.mkdir(parents=True, exist_ok=True)
    done = run_floor(paths, [rows[p.name] for p in paths], workers, out)
    n = max(1, len(done))
    print(
        json.dumps(
            {"read_ms": 1000 * sum(r for r, _ in done) / n, "write_ms": 1000 * sum(w for _, w in done) / n}
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
