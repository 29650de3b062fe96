"""Every requirement the 2012 plan states (the S12 rows of docs/requirements-2012.md) is enforced: by a
rule, or — for college-level rows only — by a KPI in the summary. rules/loudi-2012/coverage.toml is the
table."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from engine.rulebook import load_profile

ROOT = Path(__file__).resolve().parent.parent
COVERAGE = tomllib.loads((ROOT / "rules" / "loudi-2012" / "coverage.toml").read_text(encoding="utf-8"))
ROWS: dict[str, dict[str, object]] = COVERAGE["requirements"]
PROFILE = load_profile("loudi-2012")
RULES = {r.code: r for r in PROFILE.rules}
KPIS = {"TG-01", *(k.code for k in PROFILE.grading.kpis)}
# The catalogue the coverage table answers to, kept in the repository.
REQUIREMENTS = ROOT / "docs" / "requirements-2012.md"


def s12_rows(text: str) -> dict[str, str]:
    """Catalogue row id -> its 'applies to' cell, for every row whose era column mentions S12."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 7 and re.fullmatch(r"[A-Z]{2}-\d{2}", cells[1]) and "S12" in cells[7]:
            rows[cells[1]] = cells[5]
    return rows


def test_every_row_names_existing_rules_or_a_kpi() -> None:
    for code, row in ROWS.items():
        rules, kpi = row.get("rules", []), row.get("kpi")
        assert bool(rules) != bool(kpi), f"{code}: exactly one of rules / kpi"
        assert all(r in RULES for r in rules), f"{code}: {rules} not all in rules/loudi-2012"  # type: ignore[union-attr]
        if kpi:
            assert kpi in KPIS, f"{code}: KPI {kpi} is not defined in profile.toml [[grading.kpis]]"


def test_every_s12_row_is_covered_and_kpis_only_for_college_rows() -> None:
    s12 = s12_rows(REQUIREMENTS.read_text(encoding="utf-8"))
    assert len(s12) == 66
    assert sorted(ROWS) == sorted(s12), "coverage.toml must list exactly the S12 rows of the catalogue"
    for code, applies in s12.items():
        if "kpi" in ROWS[code]:
            assert applies.startswith("College"), f"{code} applies to {applies!r}: only college rows are KPIs"


def test_every_rule_of_the_profile_is_in_the_table_or_an_extension() -> None:
    covered = {r for row in ROWS.values() for r in row.get("rules", [])}  # type: ignore[attr-defined]
    # Beyond the seed's rows: FB/VT carry the 2012 grading reference list (satisfaction, vetoes) and DC the
    # declared-versus-listed checks; they are listed in coverage.toml's [extensions].
    extensions = set(COVERAGE.get("extensions", {}))
    assert set(RULES) - covered == extensions
