"""Which profile grades a workbook: the one whose years cover the workbook's 考核年度, or a refusal.

A profile is written for one assessment year (``year`` in its profile.toml; its windows and deadlines are
dates of that year) or, with ``last_year``, for the years its norms stay in force; each of those years is
graded with the windows and deadlines moved to it (``Profile.for_year``), so profiles and evaluators are
kept per (profile, year). A workbook of a year the profile does not cover would be judged against the
wrong calendar and the wrong norms. Without ``--profile`` (``auto``) every profile under ``rules/`` but
the fictional examples (``example = true``) is a candidate and each workbook is graded by the one
covering its year; with ``--profile`` that profile is the only candidate and a workbook of another year
is refused. Either way a workbook is never graded under
norms that were not written for its year: when no candidate (or more than one) covers it, the choice is
an input problem (IN-25, IN-26, IN-27) naming the year and the profiles there are.

The choice is made above the stages: validate reads the year without knowing any profile, this module
picks the profile, facts and rules then use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType

from engine.rulebook import (
    Evaluator,
    EvaluatorName,
    RulebookError,
    find_profile_dir,
    load_profile,
    open_evaluator,
    profile_sha256,
    resolve_evaluator,
)
from engine.rulebook.loader import PROFILE_FILE, RULES_ROOT
from schemas.batch import ProfileRef
from schemas.common import Evidence, Finding, Lang, Text
from schemas.forms import form_of_version
from schemas.problems import make_problem
from schemas.rules import Profile

AUTO = "auto"


@dataclass(frozen=True)
class ProfileEntry:
    """A candidate profile: how to load it (``ref``, a name or folder), its name, title, first year, hash
    and last year (None: only ``year``)."""

    ref: str
    name: str
    title: Text
    year: int
    sha256: str
    last_year: int | None = None

    def covers(self, year: int) -> bool:
        return self.year <= year <= (self.last_year or self.year)

    @property
    def years_shown(self) -> str:
        """``2012`` or ``2019–2026``."""
        return f"{self.year}–{self.last_year}" if self.last_year else str(self.year)

    @property
    def shown(self) -> str:
        """``loudi-2012（2012 年）`` / ``loudi-2012 (2012)``, for messages."""
        return f"{self.name}（{self.years_shown} 年）"


def _entry(ref: str | Path, profile: Profile) -> ProfileEntry:
    return ProfileEntry(
        str(ref), profile.name, profile.title, profile.year, profile_sha256(ref), profile.last_year
    )


@dataclass
class ProfileChoice:
    """The candidate profiles of a run and the rule that picks one per workbook. Each profile is loaded
    at most once per process, when a workbook first needs it (``profile``)."""

    entries: tuple[ProfileEntry, ...]
    explicit: bool  # --profile given: its year is the only one graded
    _loaded: dict[str, Profile] = field(default_factory=dict, repr=False, compare=False)
    _by_year: dict[tuple[str, int], Profile] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, profile: Profile) -> ProfileChoice:
        """The choice of one profile already loaded, for its year alone (its hash unknown: for grading
        outside a batch with one evaluator; ``profile.for_year(y)`` gives another year of a profile)."""
        entry = ProfileEntry(profile.name, profile.name, profile.title, profile.year, "")
        choice = cls((entry,), explicit=True)
        choice._loaded[profile.name] = profile
        return choice

    @classmethod
    def from_ref(cls, ref: str, rules_root: Path | None = None) -> ProfileChoice:
        """``auto``: every profile folder under ``rules_root`` (default ``rules/``); otherwise the profile
        ``ref`` names. Raises ``RulebookError`` for a profile that cannot be loaded (a usage error)."""
        if ref != AUTO:
            profile = load_profile(ref, rules_root)
            choice = cls((_entry(find_profile_dir(ref, rules_root), profile),), explicit=True)
            choice._loaded[profile.name] = profile
            return choice
        root = rules_root if rules_root is not None else RULES_ROOT
        folders = sorted(p.parent for p in root.glob(f"*/{PROFILE_FILE}"))
        if not folders:
            raise RulebookError(root, [(str(root), f"no profile folder (*/{PROFILE_FILE}) found")])
        choice = cls((), explicit=False)
        entries = []
        for folder in folders:
            profile = load_profile(folder)
            if profile.example:  # an example grades only when named (--profile)
                continue
            entries.append(_entry(folder, profile))
            choice._loaded[profile.name] = profile
        choice.entries = tuple(sorted(entries, key=lambda e: (e.year, e.name)))
        return choice

    def profile(self, name: str, year: int | None = None) -> Profile:
        """The profile of candidate ``name`` (loaded on first use) as it grades workbooks of ``year`` (one
        of its years; None: its first year, the dates as its profile.toml states them)."""
        if name not in self._loaded:
            entry = next(e for e in self.entries if e.name == name)
            self._loaded[name] = load_profile(entry.ref)
        base = self._loaded[name]
        if year is None or year == base.year:
            return base
        if (name, year) not in self._by_year:
            self._by_year[name, year] = base.for_year(year)
        return self._by_year[name, year]

    def grade_names(self, lang: Lang) -> tuple[str, ...]:
        """Every grade its profiles award, by name in ``lang``, best first, each once."""
        names = (band.name.get(lang) for e in self.entries for band in self.profile(e.name).grading.grades)
        return tuple(dict.fromkeys(names))

    def refs(self) -> tuple[ProfileRef, ...]:
        """The candidates as results.json and the run manifest list them."""
        return tuple(
            ProfileRef(name=e.name, title=e.title, year=e.year, sha256=e.sha256) for e in self.entries
        )

    def state(self) -> tuple[tuple[ProfileEntry, ...], bool]:
        """What a worker process needs to rebuild this choice (``ProfileChoice(*state)``)."""
        return self.entries, self.explicit

    def form_refusal(self, entry: ProfileEntry, version: str | None, evidence: Evidence) -> Finding | None:
        """IN-29 when a workbook stamped ``version`` was made from another profile's form than the form
        ``entry`` grades (its entries would be read against the wrong sheets); None otherwise, including
        for a workbook without a known stamp (IN-11 already warns about it)."""
        made = form_of_version(version)
        wanted = self.profile(entry.name).form
        if made is None or made.profile == wanted:
            return None
        return make_problem(
            "IN-29", evidence, version=version, form_profile=made.profile, profile=entry.name
        )

    def choose(self, year: int, evidence: Evidence) -> ProfileEntry | Finding:
        """The profile that grades a workbook of ``year``, or the problem that stops it being graded."""
        covering = [e for e in self.entries if e.covers(year)]
        if len(covering) == 1:
            return covering[0]
        available = _listing(self.entries)
        if self.explicit:
            only = self.entries[0]
            others = [e.name for e in _catalogue() if e.covers(year) and e.name != only.name]
            return make_problem(
                "IN-26",
                evidence,
                year=year,
                profile=only.name,
                profile_year=only.years_shown,
                fix=Text(
                    zh="去掉 --profile 由工具按年度自动选择"
                    + (f"，或改用 --profile {others[0]}" if others else ""),
                    en="drop --profile so the tool chooses by year"
                    + (f", or use --profile {others[0]}" if others else ""),
                ),
            )
        if not covering:
            return make_problem("IN-25", evidence, year=year, profiles=available)
        return make_problem("IN-27", evidence, year=year, profiles=_listing(covering))


def _listing(entries: Sequence[ProfileEntry]) -> Text:
    return Text(
        zh="、".join(e.shown for e in entries) or "无",
        en=", ".join(f"{e.name} ({e.years_shown})" for e in entries) or "none",
    )


@cache
def _catalogue() -> tuple[ProfileEntry, ...]:
    """The profiles under ``rules/``, for naming the right one in a refusal; empty if one is broken."""
    try:
        return ProfileChoice.from_ref(AUTO).entries
    except RulebookError:
        return ()


class Evaluators:
    """One rules evaluator per (profile, year), made when a workbook first needs it and kept for the
    process's later workbooks (building the durable ruleset is the costly part); closed together. The
    year matters for a profile of several years: its deadlines, which conditions read, and its rules'
    ``years`` differ from year to year."""

    def __init__(self, choice: ProfileChoice, evaluator: EvaluatorName | None = None) -> None:
        # None: the evaluator that runs here (durable_rules where it is installed, else the reference one)
        self.choice = choice
        self.evaluator: EvaluatorName = evaluator or resolve_evaluator("auto")
        self._made: dict[tuple[str, int | None], Evaluator] = {}

    def __call__(self, name: str, year: int | None = None) -> Evaluator:
        """The evaluator of profile ``name`` for workbooks of ``year`` (None: the profile's first year)."""
        profile = self.choice.profile(name, year)
        key = (name, profile.year)
        if key not in self._made:
            self._made[key] = open_evaluator(profile, self.evaluator)
        return self._made[key]

    def close(self) -> None:
        for evaluator in self._made.values():
            evaluator.close()
        self._made.clear()

    def __enter__(self) -> Evaluators:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
