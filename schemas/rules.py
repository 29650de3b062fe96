"""Rule specs and profiles: what a rule file and a profile folder hold, validated on load."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from schemas.common import Frozen, Scalar, Source, Status, Text
from schemas.facts import FactValue
from schemas.form_layout import FORM_2012
from schemas.forms import form_named
from schemas.policy import ScoringPolicy
from schemas.workdays import WorkCalendar

CODE_RE = re.compile(r"^[A-Z]{2}-\d{2}$")
ParamValue = Scalar | date | list[str] | list[int] | list[float]
# What a condition compares: a parameter or deadline with its dates as ``yyyymmdd`` numbers, the form date
# facts take (``task_division_date`` 20120420), so the engines compare plain numbers.
ConditionValue = Scalar | list[str] | list[int] | list[float]


def date_number(day: date) -> int:
    """date(2012, 11, 8) -> 20121108: a date as conditions and facts compare it."""
    return day.year * 10000 + day.month * 100 + day.day


def condition_value(value: ParamValue) -> ConditionValue:
    return date_number(value) if isinstance(value, date) else value


DeductionBasis = Literal["reference", "default", "choice"]


class Deduction(Frozen):
    """Points a finding takes from its indicator: fixed; per period that falls short; or per unmet part of
    the condition (its top-level ``and`` clauses) — in the last two cases up to ``max``.

    ``basis`` says where the size comes from — ``reference``: a row of the 2012 reference scoring form
    (docs/scoring-2012.md §1), ``default``: a stated default (§2 there), ``choice``: the team's reasoned
    choice — and ``basis_note`` quotes the row or states the reasoning. The rule catalogue prints both.
    """

    points: float = Field(ge=0)
    per_period: bool = False
    per_part: bool = False
    max: float | None = Field(default=None, ge=0)
    basis: DeductionBasis | None = None
    basis_note: Text | None = None

    @model_validator(mode="after")
    def _one_multiplier(self) -> Deduction:
        if self.per_period and self.per_part:
            raise ValueError("a deduction is per period or per part of the condition, not both")
        if (self.basis is None) != (self.basis_note is None):
            raise ValueError("basis and basis_note go together: say where the size comes from, and how")
        return self

    @property
    def ceiling(self) -> float:
        return self.max if self.max is not None else self.points


class Example(Frozen):
    """A rule's executable specification: these facts give ``expect``. ``params`` overrides profile
    parameters for this example alone (a threshold's other side, a later due date)."""

    name: str
    facts: dict[str, FactValue]
    params: dict[str, ParamValue] = {}
    expect: Status


class RuleSpec(Frozen):
    """One rule file (``rules/<profile>/<AREA>/<CODE>.toml``).

    ``applies`` and ``condition`` are expressions of the safe condition language over fact names and
    profile parameters; ``condition`` is what must hold for the branch to pass.
    """

    code: str
    aliases: tuple[str, ...] = ()  # earlier codes of this rule: results readers and ``rules show`` find it
    version: int = 1
    title: Text
    indicator: str
    kind: Literal["deduction", "veto", "suggestion"] = "deduction"
    deduction: Deduction = Deduction(points=0)
    applies: str = "true"
    years: tuple[int, ...] = ()
    condition: str
    actual: str  # the fact reported as the actual value
    expected: str  # a parameter name or literal reported as the expected value
    message: Text  # may use {actual} {expected} {shortfall} {detail} {unit}
    not_evidenced: Text | None = None
    rectification: Text
    owner: Text = Text(zh="支部书记", en="branch secretary")
    deadline: str = "self_check"  # a profile deadline name, "end_of_next_month", or YYYY-MM-DD
    source: Source
    rationale: Text
    examples: tuple[Example, ...] = ()

    @field_validator("code")
    @classmethod
    def _code_format(cls, v: str) -> str:
        if not CODE_RE.match(v):
            raise ValueError(f"rule code {v!r} must look like OL-02 (two capital letters, '-', two digits)")
        return v

    @field_validator("aliases")
    @classmethod
    def _alias_format(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for alias in v:
            if not CODE_RE.match(alias):
                raise ValueError(f"alias {alias!r} must look like a rule code (OL-02)")
        return v


class Indicator(Frozen):
    id: str
    name: Text
    points: float = Field(gt=0)


class GradeBand(Frozen):
    code: str
    name: Text
    alias: str | None = None
    min: float


class Cap(Frozen):
    """When ``when`` holds (an expression over facts and parameters) the grade is at most ``max_grade``.

    ``lifted_by`` names the rules whose condition is the cap's lifting (``when`` no longer holding): the
    satisfaction cap is lifted exactly when FB-01 (satisfaction ≥ 90%) passes, so the path to the next
    grade counts that rule's points with the cap. ``rules lint`` checks that each names a rule."""

    when: str
    max_grade: str
    reason: Text
    lifted_by: tuple[str, ...] = ()


class KpiSpec(Frozen):
    """A college-level figure the summary reports against its target (S12 rows that apply to the College).

    ``scope = "branches"``: among graded branches where ``population`` holds, the share where ``met`` holds
    (both expressions of the condition language over facts and parameters; a branch whose facts leave
    either undecided is left out). ``scope = "files"``: the share of input workbooks that could be graded.
    """

    code: str
    title: Text
    target: float = Field(ge=0, le=1)
    scope: Literal["branches", "files"] = "branches"
    population: str = "true"
    met: str = "true"
    measure: Text | None = None  # what the figure stands for, when it is a proxy


class GradingPolicy(Frozen):
    indicators: tuple[Indicator, ...]
    grades: tuple[GradeBand, ...]  # best first
    caps: tuple[Cap, ...] = ()
    veto_grade: str
    not_evidenced_deducts: bool = True
    kpi_grade: str
    kpi_min_share: float = Field(ge=0, le=1)
    kpis: tuple[KpiSpec, ...] = ()  # further college KPIs besides the share at kpi_grade (TG-01)


class Window(Frozen):
    start: date
    end: date


class Stage(Frozen):
    """A grading round of the year (``grade --round NAME``): its name as people say it, a title, and its
    part in TG-04 — ``baseline``: the round later rounds are compared with (the March grading);
    ``compare_baseline``: a round whose computed grade TG-04 compares with the baseline round's."""

    name: str
    title: Text
    baseline: bool = False
    compare_baseline: bool = False


class Profile(Frozen):
    """A profile folder's ``profile.toml`` (plus its rules and retired codes).

    Dates are TOML dates, each stated once: a window end may name a deadline (``end = "self_check"``)
    instead of repeating its date, and conditions read deadlines by name like parameters.
    """

    name: str
    title: Text
    year: int  # the first assessment year it grades; its windows and deadlines are dates of this year
    # The profile it builds on (engine/rulebook/loader.py): the base's rules and data, this one's over them.
    base: str | None = None
    # A fictional profile showing a feature (example-policy): it grades only when named with --profile,
    # never a workbook picked by its year, so a real workbook is never judged by an example's norms.
    example: bool = False
    # The last assessment year it grades (None: only ``year``). A profile of norms in force for several
    # years grades each of them with its windows and deadlines moved to that year (``for_year``).
    last_year: int | None = None
    document: str
    # The form its workbooks are made from (schemas.forms: the template it writes, the version it reads);
    # a profile that does not say grades the 2012 form.
    form: str = FORM_2012.profile
    window: Window  # monthly and quarterly cadence is checked inside this window
    year_window: Window  # annual counts cover this window
    deadlines: dict[str, date]
    params: dict[str, ParamValue]
    grading: GradingPolicy
    rules: tuple[RuleSpec, ...] = ()
    retired: dict[str, str] = {}  # retired code -> reason; never reused
    stages: tuple[Stage, ...] = ()  # the year's grading rounds, in order
    # Working days (notice periods, a study day moved off a rest day) count by this calendar
    # (schemas/workdays.py): China's official one unless the profile says ``calendar = "weekdays"``.
    calendar: WorkCalendar = WorkCalendar.CN
    # Weights, 逐级晋升 and quotas applied after grading (docs/scoring-policy.md); None: the computed grade
    # is the grade (loudi-2012: the seed sets no weights or quotas).
    policy: ScoringPolicy | None = None

    @property
    def years(self) -> range:
        """The assessment years this profile grades."""
        return range(self.year, (self.last_year or self.year) + 1)

    def covers(self, year: int) -> bool:
        return year in self.years

    @property
    def years_shown(self) -> str:
        """``2012`` or ``2019–2026``, for messages."""
        return f"{self.year}–{self.last_year}" if self.last_year else str(self.year)

    def for_year(self, year: int) -> Profile:
        """The profile as it grades workbooks of ``year`` (one of ``years``): the same rules and parameters,
        ``year`` set and its windows and deadlines moved by whole years (29 February to the 28th). Dates
        among the parameters are fixed events (a congress date) and stay as they are. Called on the profile as
        loaded (a moved copy's own ``years`` start at its year)."""
        if year == self.year:
            return self
        if not self.covers(year):
            raise ValueError(f"profile {self.name} grades {self.years_shown}, not {year}")
        shift = year - self.year

        def moved(day: date) -> date:
            try:
                return day.replace(year=day.year + shift)
            except ValueError:  # 29 February into a common year
                return day.replace(year=day.year + shift, day=28)

        def moved_window(window: Window) -> Window:
            return Window(start=moved(window.start), end=moved(window.end))

        return self.model_copy(
            update={
                "year": year,
                "window": moved_window(self.window),
                "year_window": moved_window(self.year_window),
                "deadlines": {name: moved(day) for name, day in self.deadlines.items()},
            }
        )

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name.strip()), None)

    @property
    def baseline_stage(self) -> Stage | None:
        return next((s for s in self.stages if s.baseline), None)

    @field_validator("form")
    @classmethod
    def _known_form(cls, v: str) -> str:
        try:
            form_named(v)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        return v

    @model_validator(mode="after")
    def _years_in_order(self) -> Profile:
        if self.last_year is not None and self.last_year <= self.year:
            raise ValueError(f"last_year {self.last_year} must come after year {self.year}")
        return self

    @model_validator(mode="before")
    @classmethod
    def _window_ends_at_deadlines(cls, data: Any) -> Any:
        """``start`` / ``end`` of a window given as a deadline's name take that deadline's date."""
        if not isinstance(data, dict) or not isinstance(data.get("deadlines"), dict):
            return data
        deadlines = data["deadlines"]
        out = dict(data)
        for key in ("window", "year_window"):
            window = data.get(key)
            if not isinstance(window, dict):
                continue
            for edge, value in window.items():
                if isinstance(value, str) and value not in deadlines:
                    known = ", ".join(sorted(deadlines)) or "none"
                    raise ValueError(f"{key}.{edge} {value!r} is not a deadline (deadlines: {known})")
            out[key] = {edge: deadlines.get(v, v) if isinstance(v, str) else v for edge, v in window.items()}
        return out

    def rule(self, code: str) -> RuleSpec | None:
        """The rule with this code or alias (case-insensitive), or None."""
        wanted = code.strip().upper()
        return next((r for r in self.rules if wanted == r.code or wanted in r.aliases), None)

    def with_params(self, overrides: dict[str, ParamValue], rules: tuple[RuleSpec, ...]) -> Profile:
        """A copy holding ``rules`` with some parameters overridden (how a rule example with ``params``
        runs); validated like the profile's own parameters."""
        data = self.model_dump(exclude={"rules"})
        data["params"] = {**self.params, **overrides}
        return Profile.model_validate({**data, "rules": rules})

    def named_value(self, name: str) -> ParamValue | None:
        """A parameter or deadline by name, as the profile states it (dates as dates); None if neither."""
        return self.params.get(name, self.deadlines.get(name))

    @property
    def condition_params(self) -> dict[str, ConditionValue]:
        """Every name a condition may read besides facts: deadlines and parameters, dates as numbers."""
        named: dict[str, ParamValue] = {**self.deadlines, **self.params}
        return {name: condition_value(value) for name, value in named.items()}
