"""The committed CATALOGUE.md must be exactly what the rule files render to."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.rulebook.catalogue import CATALOGUE_FILE, HEADER, render_catalogue
from engine.rulebook.lint import lint_profile
from engine.rulebook.loader import find_profile_dir, load_profile
from schemas.common import Severity

PROFILES = sorted(
    p.parent.name for p in (Path(__file__).resolve().parent.parent / "rules").glob("*/profile.toml")
)


def test_both_years_are_profiles() -> None:
    assert {"loudi-2012", "national-2018"} <= set(PROFILES)


@pytest.mark.parametrize("name", PROFILES)
def test_catalogue_is_current(name: str) -> None:
    profile = load_profile(name)
    path = find_profile_dir(name) / CATALOGUE_FILE
    rendered = render_catalogue(profile)
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    assert committed == rendered, (
        f"{path} is out of date: regenerate it with `branchgrade rules catalogue` "
        "(or engine.rulebook.catalogue.write_catalogue)"
    )


def test_catalogue_shape() -> None:
    profile = load_profile("loudi-2012")
    text = render_catalogue(profile)
    assert text.startswith(HEADER + "\n")
    assert "| code | title | indicator | kind | deduction | source clause |" in text
    for rule in profile.rules:
        assert f"### {rule.code} " in text
        assert rule.rectification.zh in text
    assert "`member_avg_hours_per_quarter` = 20" in text
    assert render_catalogue(profile) == text  # deterministic


@pytest.mark.parametrize("name", PROFILES)
def test_profile_lints_clean(name: str) -> None:
    issues = [i for i in lint_profile(name) if i.severity in (Severity.ERROR, Severity.WARNING)]
    assert not issues, "\n".join(f"{i.code} {i.file}: {i.message.en}" for i in issues)


@pytest.mark.parametrize("name", PROFILES)
def test_every_deduction_states_where_its_size_comes_from(name: str) -> None:
    profile = load_profile(name)
    text = render_catalogue(profile)
    unstated = [r.code for r in profile.rules if r.kind == "deduction" and r.deduction.basis is None]
    assert not unstated, f"deduction rules without deduction.basis / basis_note: {unstated}"
    table = text.split("## Deduction sizes", 1)[1].split("\n## ", 1)[0]
    rows = {line.split(" | ")[0].lstrip("| ") for line in table.splitlines() if line.startswith("| ")}
    deducting = {r.code for r in profile.rules if r.kind == "deduction"}
    assert deducting <= rows, f"rules missing from the deduction table: {sorted(deducting - rows)}"
    assert "**not stated**" not in table
