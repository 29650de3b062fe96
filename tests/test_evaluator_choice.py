"""Which evaluator decides the rules: ``auto`` takes durable_rules where it imports and the reference
evaluator elsewhere; either can be forced; both grade the fixture colleges to the same results.json; the
one that ran is named in the console, results.json and run-manifest.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine import pipeline
from engine.cli import app
from engine.rulebook import choice, durable_adapter, load_profile
from engine.rulebook.choice import EvaluatorUnavailable, durable_available, resolve_evaluator
from tests.durable import requires_durable

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
runner = CliRunner()


@pytest.fixture
def no_durable(monkeypatch: pytest.MonkeyPatch) -> None:
    """This interpreter as one where durable-rules is not installed (Windows, Python 3.13)."""
    monkeypatch.setattr(choice, "durable_available", lambda: False)
    monkeypatch.setattr(durable_adapter, "durable_rules_engine", None)


def _name_line(name: str) -> bytes:
    return f'\n "evaluator": "{name}",\n'.encode()


@pytest.mark.slow
@requires_durable
@pytest.mark.parametrize(
    ("folder", "profile"), [("college", "loudi-2012"), ("college-2019", "national-2018")]
)
def test_both_evaluators_write_byte_identical_results(tmp_path: Path, folder: str, profile: str) -> None:
    written: dict[str, bytes] = {}
    # durable in this process, reference in worker processes: the choice reaches the workers too
    for name, workers in (("durable", 0), ("reference", 2)):
        out = tmp_path / name
        run = pipeline.grade_folder(ROOT / "fixtures" / folder, out, profile, workers=workers, evaluator=name)
        assert run.evaluator == name and run.exit_code == 0
        assert json.loads((run.out / "run-manifest.json").read_text(encoding="utf-8"))["evaluator"] == name
        written[name] = (run.out / "results.json").read_bytes()
        assert written[name].count(_name_line(name)) == 1
    assert written["durable"].replace(_name_line("durable"), _name_line("reference")) == written["reference"]


def test_auto_takes_durable_exactly_where_it_imports() -> None:
    assert resolve_evaluator("auto") == ("durable" if durable_available() else "reference")
    assert resolve_evaluator("reference") == "reference"


@pytest.mark.usefixtures("no_durable")
def test_without_durable_auto_grades_with_the_reference_evaluator(tmp_path: Path) -> None:
    run = pipeline.grade_folder(COLLEGE, tmp_path / "out", workers=0)
    assert run.evaluator == "reference" and run.exit_code == 0
    report = json.loads((run.out / "results.json").read_text(encoding="utf-8"))
    assert report["evaluator"] == "reference" and len(report["results"]) == 18


@pytest.mark.usefixtures("no_durable")
def test_asking_for_durable_where_it_is_absent_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluatorUnavailable, match="--evaluator reference"):
        resolve_evaluator("durable")
    with pytest.raises(EvaluatorUnavailable):
        durable_adapter.DurableEvaluator(load_profile("loudi-2012"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["grade", str(COLLEGE), "-o", str(out), "--evaluator", "durable"])
    assert (
        result.exit_code == 2
        and "durable_rules" in result.output
        and "--evaluator reference" in result.output
    )
    assert not out.exists()  # refused before anything was written
    explained = runner.invoke(app, ["explain", str(COLLEGE / "JD-01.xlsx"), "--evaluator", "durable"])
    assert explained.exit_code == 2 and "Traceback" not in explained.output


def test_an_unknown_evaluator_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["grade", str(COLLEGE), "-o", str(tmp_path / "o"), "--evaluator", "fast"])
    assert result.exit_code == 2 and "auto" in result.output and "'fast'" in result.output


def test_the_console_names_the_evaluator_in_one_line() -> None:
    zh = runner.invoke(app, ["explain", str(COLLEGE / "JD-01.xlsx"), "--evaluator", "reference"])
    assert zh.exit_code == 0, zh.output
    assert [line for line in zh.output.splitlines() if "求值器" in line] == [
        "规则求值器：reference（纯 Python）"
    ]
    en = runner.invoke(app, ["explain", str(COLLEGE / "JD-01.xlsx"), "--lang", "en", "--evaluator", "auto"])
    expected = "durable_rules" if durable_available() else "reference (plain Python)"
    assert en.exit_code == 0 and f"Rule evaluator: {expected}" in en.output.splitlines()
