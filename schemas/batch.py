"""What a batch run produces: every branch's result, every file's status, the college KPIs."""

from __future__ import annotations

from datetime import date
from typing import Literal

from schemas.common import Finding, Frozen, Text
from schemas.results import BranchResult

RESULTS_SCHEMA_VERSION = 4

# What became of one entry of the input folder. ``graded`` and ``ungradable`` are grading workbooks read
# and graded or not; ``duplicate``: one of several different workbooks for one branch ID, none graded
# (待定) until the user removes the wrong one; ``copy``: byte-identical to an earlier file, graded once
# as that file; ``not_workbook``: not a grading workbook (another file type, a lock or hidden file, an
# entry that cannot be accessed); ``output``: an earlier output of this tool, recognised by its stamp.
FileStatus = Literal["graded", "ungradable", "duplicate", "copy", "not_workbook", "output"]
FILE_STATUSES: tuple[FileStatus, ...] = (
    "graded",
    "ungradable",
    "duplicate",
    "copy",
    "not_workbook",
    "output",
)
# Statuses of grading workbooks: the files the completion KPI (scope "files") counts.
WORKBOOK_STATUSES: frozenset[str] = frozenset({"graded", "ungradable", "duplicate"})


class FileReport(Frozen):
    """One entry of the input folder: its status (see ``FileStatus``) with every IN- problem found.
    ``file`` is its path below the folder as people read it (undecodable bytes escaped, see
    engine/intake.readable_name); ``profile`` names the profile that graded it."""

    file: str
    sha256: str
    status: FileStatus
    branch_id: str | None = None
    profile: str | None = None
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
    profile: str | None = None  # the profile whose policy defines it (each profile of a run has its own)


class ProfileRef(Frozen):
    """A profile a run could grade with: its name, title, the year it covers and the hash of its files."""

    name: str
    title: Text
    year: int
    sha256: str


class BatchReport(Frozen):
    """Everything a run writes to results.json. Deterministic: no timestamps, sorted by file name."""

    schema_version: int = RESULTS_SCHEMA_VERSION
    tool_version: str
    profiles: tuple[ProfileRef, ...]
    # which evaluator decided the rules: "durable" (durable_rules) or "reference" (plain Python); both
    # give the same results. None in files written before it was recorded.
    evaluator: Literal["durable", "reference"] | None = None
    # The day the rectification lists were issued (``grade --issued``, by default the day of the run):
    # every item's deadline is on or after it. None when the run named no issue date.
    issued: date | None = None
    results: tuple[BranchResult, ...]
    files: tuple[FileReport, ...]
    kpis: tuple[Kpi, ...] = ()
