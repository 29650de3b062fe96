"""What pyproject.toml declares is what the code imports, bounded and locked; a plain install grades."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from engine import runs

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
DEV = [Requirement(r) for r in PROJECT["optional-dependencies"]["dev"]]
SHIPPED = ("engine", "schemas")  # the folders whose imports the runtime dependencies must serve


def imported_top_level(folders: tuple[str, ...] = SHIPPED) -> set[str]:
    """The top-level module names every ``import`` / ``from`` in the folders' sources names."""
    names: set[str] = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names


def third_party(names: set[str]) -> set[str]:
    """``names`` less the standard library and the project's own top-level packages."""
    own = {"engine", "schemas", "tests", "fixtures", "branchgrade_rules"}
    return {n for n in names if n not in sys.stdlib_module_names and n not in own and n != "__future__"}


def distributions_of(modules: set[str]) -> dict[str, set[str]]:
    """Each import name → the (canonical) distributions installed here that provide it."""
    provided = importlib.metadata.packages_distributions()
    return {m: {canonicalize_name(d) for d in provided.get(m, [])} for m in modules}


def applies_here(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate(default_environment() | {"extra": ""})


def test_every_declared_runtime_dependency_is_imported_and_every_import_declared() -> None:
    declared = {canonicalize_name(r.name) for r in RUNTIME}
    imports = third_party(imported_top_level())
    providers = distributions_of(imports)
    # A module no installed distribution provides can only be one whose requirement's marker excludes
    # this interpreter (durable_rules_engine on 3.13): it is checked where it is installed.
    absent_here = [r.name for r in RUNTIME if not applies_here(r)]
    undeclared = {m: d for m, d in providers.items() if not d & declared and (d or not absent_here)}
    assert not undeclared, f"imported by engine/ or schemas/ but not declared in pyproject: {undeclared}"
    # durable-rules is declared only where it installs; elsewhere it cannot be installed to be mapped.
    installed = {r for r in RUNTIME if applies_here(r)}
    used = set().union(*providers.values())
    # starlette parses forms with python-multipart but lists it only as an optional extra
    imported_by_others = {"python-multipart"}
    unused = {r.name for r in installed if canonicalize_name(r.name) not in used | imported_by_others}
    assert not unused, f"declared in pyproject but imported by nothing in engine/ or schemas/: {unused}"


def test_the_import_scan_sees_optional_and_nested_imports() -> None:
    # durable_rules_engine is imported inside try/except and a function: the scan must still see it.
    assert "durable_rules_engine" in imported_top_level()
    assert third_party({"json", "engine", "pydantic", "__future__"}) == {"pydantic"}


def test_every_dependency_has_an_upper_bound() -> None:
    for req in RUNTIME + DEV:
        ops = {spec.operator for spec in req.specifier}
        assert ops & {"<", "<=", "==", "~="}, f"{req.name} has no upper bound in pyproject.toml"


def test_durable_rules_is_required_only_where_it_installs() -> None:
    (durable,) = [r for r in RUNTIME if canonicalize_name(r.name) == "durable-rules"]
    assert durable.marker is not None

    def env(python: str, platform: str, implementation: str = "CPython") -> dict[str, str]:
        return default_environment() | {
            "python_version": python,
            "python_full_version": python + ".0",
            "sys_platform": platform,
            "platform_python_implementation": implementation,
            "extra": "",
        }

    assert durable.marker.evaluate(env("3.11", "linux")) and durable.marker.evaluate(env("3.12", "darwin"))
    assert not durable.marker.evaluate(env("3.13", "linux"))
    assert not durable.marker.evaluate(env("3.12", "win32"))
    assert not durable.marker.evaluate(env("3.12", "linux", "PyPy"))
    assert PROJECT["requires-python"] == ">=3.11"


def _lock() -> dict[str, tuple[str, Requirement]]:
    pins: dict[str, tuple[str, Requirement]] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            req = Requirement(line.strip())
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = (spec.version, req)
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_bounds() -> None:
    pins = _lock()
    for req in RUNTIME + DEV:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared but not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements.lock pins {req.name}=={pins[name][0]}, outside {req.specifier}: run make lock"
        )
    # the lock keeps durable-rules' marker, so the same file installs on 3.13 and Windows
    assert pins["durable-rules"][1].marker is not None


@pytest.mark.skipif(
    os.environ.get("BRANCHGRADE_UNLOCKED") == "1", reason="make upgrade-check installs the newest releases"
)
def test_the_installed_environment_matches_the_lock() -> None:
    # make installs with the lock as constraints: what runs the tests is what the lock pins.
    for name, (version, req) in _lock().items():
        if req.marker is not None and not req.marker.evaluate(default_environment() | {"extra": ""}):
            continue
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pytest.fail(f"{name} is locked but not installed: run make venv")
        assert installed == version, f"{name} {installed} installed, {version} locked: run make venv"


def test_the_listed_packages_are_every_package_on_disk() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for folder in SHIPPED
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert listed - {"branchgrade_rules"} == on_disk, "update [tool.setuptools] packages in pyproject.toml"
    assert PYPROJECT["tool"]["setuptools"]["package-dir"]["branchgrade_rules"] == "rules"


@pytest.mark.slow
def test_a_non_editable_install_grades_from_another_folder(tmp_path: Path) -> None:
    """``pip install .`` (a built wheel, not a link to the checkout) finds its profiles and grades."""
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    bindir = target / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / "python"
    # The dependencies come from this environment (a path entry, whose .pth files are not run, so the
    # checkout's editable install stays out); only branchgrade itself is built and installed.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = {p for p in sys.path if p.endswith("site-packages")}
    Path(site, "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", str(ROOT)],
        check=True,
        env=env,
        timeout=300,
        cwd=tmp_path,
    )
    where = subprocess.run(
        [python, "-c", "import engine.rulebook.loader as l; print(l.__file__); print(l.RULES_ROOT)"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    ).stdout.split("\n")
    assert Path(where[0]).is_relative_to(site) and Path(where[1]) == Path(site, "branchgrade_rules")
    run = subprocess.run(
        [
            bindir / "branchgrade",
            "grade",
            ROOT / "fixtures" / "college",
            "-o",
            "out",
            "--no-progress",
            "--workers",
            "2",
            "--lang",
            "en",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Graded 18 of 18 workbooks" in run.stdout and "Rule evaluator:" in run.stdout
    latest = runs.find_latest_run(tmp_path / "out")
    assert latest is not None and (latest / "results.json").is_file()
