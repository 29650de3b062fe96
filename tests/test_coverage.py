"""Every requirement of a profile's catalogue is enforced: by a rule, or — for college-level rows only — by
a KPI in the summary. Each profile's coverage.toml is the table:

* loudi-2012 answers to the S12 rows of docs/requirements-2012.md (what the 2012 plan states);
* national-2018 answers to every row of docs/requirements-2018.md (the current national norms and the
  grading practice they are read with), and its rules apply to the branch types the rows name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

from engine.rulebook import load_profile
from schemas.rules import Profile

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Catalogue:
    profile_name: str
    document: str  # the catalogue in docs/ the profile's coverage table answers to
    era: str | None  # only rows whose era column mentions this tag (None: every row)
    rows_expected: int

    @cached_property
    def profile(self) -> Profile:
        return load_profile(self.profile_name)

    @cached_property
    def coverage(self) -> dict[str, object]:
        path = ROOT / "rules" / self.profile_name / "coverage.toml"
        return tomllib.loads(path.read_text(encoding="utf-8"))

    @property
    def table(self) -> dict[str, dict[str, object]]:
        return self.coverage["requirements"]  # type: ignore[return-value]

    def rows(self) -> dict[str, str]:
        """Catalogue row id -> its 'applies to' cell, for the rows this profile must cover."""
        text = (ROOT / "docs" / self.document).read_text(encoding="utf-8")
        rows = {}
        for line in text.splitlines():
            cells = [c.strip() for c in line.split("|")]
            is_row = len(cells) > 7 and re.fullmatch(r"[A-Z]{2}-\d{2}", cells[1])
            if is_row and (self.era is None or self.era in cells[7]):
                rows[cells[1]] = cells[5]
        return rows


CATALOGUES = [
    Catalogue("loudi-2012", "requirements-2012.md", "S12", 66),
    Catalogue("national-2018", "requirements-2018.md", None, 39),
]


@pytest.fixture(params=CATALOGUES, ids=lambda c: c.profile_name)
def catalogue(request: pytest.FixtureRequest) -> Catalogue:
    return request.param  # type: ignore[no-any-return]


def test_every_row_names_existing_rules_or_a_kpi(catalogue: Catalogue) -> None:
    rules = {r.code for r in catalogue.profile.rules}
    kpis = {"TG-01", *(k.code for k in catalogue.profile.grading.kpis)}
    for code, row in catalogue.table.items():
        named, kpi = row.get("rules", []), row.get("kpi")
        assert bool(named) != bool(kpi), f"{code}: exactly one of rules / kpi"
        assert all(r in rules for r in named), f"{code}: {named} not all in {catalogue.profile_name}"  # type: ignore[union-attr]
        if kpi:
            assert kpi in kpis, f"{code}: KPI {kpi} is not defined in profile.toml [[grading.kpis]]"


def test_every_row_is_covered_and_kpis_only_for_college_rows(catalogue: Catalogue) -> None:
    rows = catalogue.rows()
    assert len(rows) == catalogue.rows_expected
    assert sorted(catalogue.table) == sorted(rows), "coverage.toml must list exactly the catalogue's rows"
    for code, applies in rows.items():
        if "kpi" in catalogue.table[code]:
            assert applies.startswith("College"), f"{code} applies to {applies!r}: only college rows are KPIs"


def test_every_rule_of_the_profile_is_in_the_table_or_an_extension(catalogue: Catalogue) -> None:
    covered = {r for row in catalogue.table.values() for r in row.get("rules", [])}  # type: ignore[attr-defined]
    # Beyond the seed's rows (loudi-2012): FB/VT carry the 2012 grading reference list (satisfaction,
    # vetoes) and DC the declared-versus-listed checks; they are listed in coverage.toml's [extensions].
    extensions = set(catalogue.coverage.get("extensions", {}))  # type: ignore[call-overload]
    assert {r.code for r in catalogue.profile.rules} - covered == extensions


# How a national-2018 row's "applies to" cell reads in its rule's ``applies``.
APPLIES_READ_AS = {
    "学生": "branch_type == '学生'",
    "except 离退休": "branch_type not in hours_exempt_types",
    "Branches with a committee": "has_committee == true",
    "Branches with Party groups": "party_groups > 0",
    "Branches with ≥7 full members": "full_members >= committee_min_full_members",
}


def test_national_rules_apply_to_the_branch_types_their_rows_name() -> None:
    (national,) = [c for c in CATALOGUES if c.profile_name == "national-2018"]
    rules = {r.code: r for r in national.profile.rules}
    admitting = None
    for code, applies in national.rows().items():
        if applies.startswith("College"):
            continue
        rule = rules[code]
        if applies in ("Branches that admitted members", "Same"):  # "Same": as the row above
            admitting = admitting or applies
            assert "candidates_count > 0" in rule.applies, code
            continue
        named = [expr for cell, expr in APPLIES_READ_AS.items() if cell in applies]
        if applies == "All":
            assert rule.applies == "true", f"{code} applies to all branches, not only where {rule.applies!r}"
        else:
            assert named, f"{code}: no reading known for 'applies to' {applies!r}"
            assert all(expr in rule.applies for expr in named), f"{code}: {rule.applies!r} vs {applies!r}"
    assert admitting is not None
