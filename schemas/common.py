"""Shared value types: bilingual text, provenance of a value, the finding record."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

Lang = Literal["zh", "en"]
Scalar = str | int | float | bool | None


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(Frozen):
    """A user-facing text in Chinese (the default) and English."""

    zh: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.en if lang == "en" else self.zh


class Evidence(Frozen):
    """Where a value came from: file, sheet and cell (A1 style), with the value as the user typed it."""

    file: str
    sheet: str | None = None
    cell: str | None = None
    value: str | None = None

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(self.sheet + (f"!{self.cell}" if self.cell else ""))
        return " › ".join(parts)


def distinct_cells(groups: Iterable[Iterable[Evidence]]) -> tuple[Evidence, ...]:
    """The cells of several groups (e.g. the facts a rule read), each once, in order of first appearance."""
    return tuple(dict.fromkeys(cell for group in groups for cell in group))


class Severity(StrEnum):
    ERROR = "error"  # the workbook cannot be graded
    WARNING = "warning"  # graded, but the user should look
    INFO = "info"


class Status(StrEnum):
    """The outcome of one rule for one branch."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    NOT_EVIDENCED = "not_evidenced"


class Source(Frozen):
    """The clause a rule or a form requirement comes from."""

    document: str
    clause: str
    text: str = ""


class Finding(Frozen):
    """One problem, shaped like pydantic's error record.

    Rule findings (``OL-02`` …) and input problems (``IN-05`` …) share this shape.
    ``ctx`` holds the values the message was rendered from (``expected``, ``actual`` …).
    """

    code: str
    status: Status | None = None  # FAILED / NOT_EVIDENCED for rules; None for input problems
    severity: Severity = Severity.ERROR
    kind: Literal["deduction", "veto", "suggestion", "input"] = "input"
    title: Text
    message: Text
    ctx: dict[str, Scalar] = {}
    evidence: tuple[Evidence, ...] = ()
    rectification: Text
    owner: Text | None = None
    deadline: date | None = None
    source: Source | None = None
    indicator: str | None = None
    deduction: float = 0.0

    def render(self, lang: Lang = "zh") -> str:
        """One line: the problem, then where, then the fix."""
        where = "; ".join(e.where() for e in self.evidence[:3])
        if len(self.evidence) > 3:
            where += f" (+{len(self.evidence) - 3})"
        fix_label = "Fix" if lang == "en" else "整改"
        loc = f" [{where}]" if where else ""
        return f"{self.code} {self.message.get(lang)}{loc} {fix_label}: {self.rectification.get(lang)}"


def fill_template(template: str, values: Mapping[str, object], code: str) -> str:
    """``template``'s ``{placeholders}`` filled from ``values``, for the message or fix of catalogue entry
    ``code`` (an input problem, a lint code). A placeholder without a value is a programming error in the
    caller, never caused by user input: it fails loudly (KeyError) in the tests."""
    missing = {name for _, name, _, _ in string.Formatter().parse(template) if name} - values.keys()
    if missing:
        raise KeyError(f"{code}: missing context {sorted(missing)} for template {template!r}")
    return template.format_map(values)
