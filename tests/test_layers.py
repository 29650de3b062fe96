"""The folders show the flow: each stage imports only schemas (and the stage before it, never after).

ingest -> validate -> facts -> rulebook -> grading -> export. Only one module imports durable_rules,
only ingest reads Excel, grading is pure (no I/O libraries).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ["ingest", "validate", "facts", "rulebook", "grading", "export"]
EXCEL_READERS = {"python_calamine", "openpyxl", "xlrd", "pandas.read_excel"}
IO_MODULES = {
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "sqlite3",
    "subprocess",
    "socket",
    "openpyxl",
    "xlsxwriter",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules_under(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("stage", STAGES)
def test_stage_imports_no_later_or_sibling_stage(stage: str) -> None:
    allowed_engine = {f"engine.{stage}"}
    for path in modules_under(f"engine/{stage}"):
        for name in imports_of(path):
            if name == "engine" or name.startswith("engine."):
                assert any(name == a or name.startswith(a + ".") for a in allowed_engine), (
                    f"{path.relative_to(ROOT)} imports {name}: a stage reads only schemas/ and itself"
                )


def test_schemas_import_nothing_from_engine() -> None:
    for path in modules_under("schemas"):
        assert not any(n == "engine" or n.startswith("engine.") for n in imports_of(path)), path


def test_only_the_adapter_imports_durable_rules() -> None:
    users = [
        path.relative_to(ROOT).as_posix()
        for folder in ("engine", "schemas", "fixtures")
        for path in modules_under(folder)
        if any(
            n == "durable" or n.startswith("durable.") or n == "durable_rules_engine"
            for n in imports_of(path)
        )
    ]
    assert users == ["engine/rulebook/durable_adapter.py"]


def test_only_ingest_reads_excel() -> None:
    for folder in ("engine", "schemas"):
        for path in modules_under(folder):
            rel = path.relative_to(ROOT).as_posix()
            readers = imports_of(path) & EXCEL_READERS
            if rel.startswith("engine/ingest/"):
                continue
            if rel == "engine/export/template.py":
                # The template writer builds the blank form with openpyxl; it writes, it never reads.
                readers -= {"openpyxl"}
            assert not readers, f"{rel} imports {readers}: only engine/ingest reads workbooks"


def test_grading_is_pure() -> None:
    for path in modules_under("engine/grading"):
        used = {n.split(".")[0] for n in imports_of(path)}
        assert not used & IO_MODULES, (
            f"{path.relative_to(ROOT)} imports {used & IO_MODULES}: grading does no I/O"
        )
