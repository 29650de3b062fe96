"""Building input folders for the intake tests: fixture workbooks copied or changed under any name."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import openpyxl

from engine import pipeline
from fixtures.formfill import field_cell

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"  # 2012, graded by loudi-2012
COLLEGE_2019 = ROOT / "fixtures" / "college-2019"  # 2019, graded by national-2018


def place(folder: Path | bytes, name: str | bytes, source: Path) -> Path:
    """Copy ``source`` into ``folder`` as ``name``; bytes names (not UTF-8) are made as the OS allows."""
    target = os.path.join(os.fsencode(folder), os.fsencode(name))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)
    return Path(os.fsdecode(target))


def changed(source: Path, target: Path, **basic: Any) -> Path:
    """``source`` with fields of its 基本信息 sheet changed (``branch_id="XS-99"`` …), saved as ``target``."""
    wb = openpyxl.load_workbook(source)
    for name, value in basic.items():
        field_cell(wb, "basic", name).value = value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def results(run: pipeline.BatchRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run.out / pipeline.RESULTS_NAME).read_text(encoding="utf-8"))
    return data


def lists(run: pipeline.BatchRun, lang: str = "zh") -> list[str]:
    return sorted(p.name for p in (run.out / pipeline.LIST_FOLDER[lang]).iterdir())


def sheet_rows(path: Path, sheet: str) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
