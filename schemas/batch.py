"""What a batch run produces: every branch's result, every file's status, the college KPIs."""

from __future__ import annotations

from typing import Literal

from schemas.common import Finding, Frozen, Text
from schemas.results import BranchResult

RESULTS_SCHEMA_VERSION = 2


class FileReport(Frozen):
    """One input file: graded (perhaps with warnings) or ungradable, with every IN- problem found."""

    file: str
    sha256: str
    status: Literal["graded", "ungradable"]
    branch_id: str | None = None
    problems: tuple[Finding, ...] = ()


class Kpi(Frozen):
    """A college-level figure reported against its target (e.g. TG-01: ≥90% of branches 先进)."""

    code: str
    title: Text
    target: float
    actual: float | None  # None when no branch was graded
    numerator: int
    denominator: int
    met: bool


class BatchReport(Frozen):
    """Everything a run writes to results.json. Deterministic: no timestamps, sorted by file name."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    tool_version: str
    profile: str
    profile_title: Text
    profile_sha256: str
    # which evaluator decided the rules: "durable" (durable_rules) or "reference" (plain Python); both
    # give the same results. None in files written before it was recorded.
    evaluator: Literal["durable", "reference"] | None = None
    results: tuple[BranchResult, ...]
    files: tuple[FileReport, ...]
    kpis: tuple[Kpi, ...] = ()
