"""replay: re-grade recorded branches from their stored facts under another profile or changed parameters.

The facts a round recorded (``schemas.facts.BranchFacts``, the facts stage's output) go through the same
rulebook and grading as a batch — ``evaluate_many`` with one evaluator for the whole round, then
``grade`` — without reading a workbook again. What comes back is the replayed results, the migration
matrix against the recorded grades and, for every branch where something changed, the rules whose
outcome changed. Nothing is recorded.

``--set NAME=VALUE`` (:func:`apply_settings`) overrides parameters of the profile's ``[params]``: the name
must be one of them and the value of the same kind (TOML syntax: ``16``, ``0.85``, ``true``,
``2012-12-10``, ``[2, 3, 4]``, a bare word as text). A parameter the facts stage reads
(``schemas.facts.FACT_PARAMS``) is refused: the stored facts were built with the recorded value, so a
replay cannot show its effect.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.grading import grade
from engine.grading.scoring import band_of, total_of
from engine.movement.compare import Direction, directions, migration
from engine.movement.labels import MOVEMENT_LABELS
from engine.rulebook import Evaluator, EvaluatorName, evaluate_many
from engine.rulebook.evaluate import decide_many
from schemas.common import Status, Text
from schemas.facts import FACT_PARAMS, BranchFacts, FactValues
from schemas.results import BranchResult, Grade
from schemas.rules import ParamValue, Profile

CHUNK = 512  # branches handed to the evaluator at once: bounds the memory of a 10,000-branch replay


class SettingError(Exception):
    """A ``--set`` that cannot be applied; ``text`` names the option, the profile file and the fix."""

    def __init__(self, text: Text) -> None:
        super().__init__(f"{text.zh} / {text.en}")
        self.text = text


def _text(key: str, **fmt: object) -> Text:
    """Label ``key`` in both languages; a ``Text`` among ``fmt`` fills each language with its own part."""
    zh, en = MOVEMENT_LABELS[key]
    each = {
        lang: {k: v.get(lang) if isinstance(v, Text) else v for k, v in fmt.items()} for lang in ("zh", "en")
    }
    return Text(zh=zh.format(**each["zh"]), en=en.format(**each["en"]))


def _kind(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, date):
        return "date"
    if isinstance(value, list):
        return "list"
    return "str"


def _parse_value(raw: str) -> ParamValue:
    """A --set value in TOML syntax; what TOML cannot read is taken as text (``--set lower_year=二年级``)."""
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw
    nested = isinstance(value, list) and any(isinstance(v, list | dict) for v in value)
    if isinstance(value, dict) or nested:
        return raw
    return value  # type: ignore[no-any-return]


def _same_kind(current: ParamValue, new: ParamValue) -> ParamValue | None:
    """``new`` as a value of ``current``'s kind (a whole number where a number is asked, a list of the
    same element kind), or None when it is of another kind."""
    was, now = _kind(current), _kind(new)
    if was == "float" and now == "int":
        return float(new)  # type: ignore[arg-type]
    if was == "int" and now == "float" and float(new).is_integer():  # type: ignore[arg-type]
        return int(new)  # type: ignore[arg-type]
    if was != now:
        return None
    if isinstance(current, list) and isinstance(new, list) and current and new:
        kinds = {_kind(v) for v in new}
        if len(kinds) > 1 or kinds != {_kind(current[0])}:
            return None
    return new


def parse_settings(items: Sequence[str], profile: Profile, where: str) -> dict[str, ParamValue]:
    """``NAME=VALUE`` strings checked against ``profile``'s parameters (``where``: its profile.toml, for
    the messages). Raises ``SettingError`` on the first that cannot be applied."""
    out: dict[str, ParamValue] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise SettingError(_text("u_set_form", item=item))
        if name in out:
            raise SettingError(_text("u_set_twice", name=name))
        if name not in profile.params:
            close = difflib.get_close_matches(name, list(profile.params), n=3)
            hint = _text("u_set_hint", names=", ".join(close)) if close else Text(zh="", en="")
            raise SettingError(_text("u_set_unknown", name=name, where=where, hint=hint))
        if name in FACT_PARAMS:
            raise SettingError(_text("u_set_facts", name=name, what=FACT_PARAMS[name], where=where))
        current = profile.params[name]
        value = _same_kind(current, _parse_value(raw))
        if value is None:
            kind = _text(f"k_{_kind(current)}")
            raise SettingError(
                _text("u_set_value", name=name, value=raw, where=where, kind=kind, current=current)
            )
        out[name] = value
    return out


def apply_settings(profile: Profile, settings: dict[str, ParamValue], where: str) -> Profile:
    """``profile`` with ``settings`` overriding its parameters, validated like the profile itself."""
    if not settings:
        return profile
    try:
        return profile.with_params(settings, profile.rules)
    except ValidationError as exc:
        problem = "; ".join(str(e["msg"]) for e in exc.errors())
        raise SettingError(_text("u_set_invalid", where=where, problem=problem)) from None


@dataclass(frozen=True)
class RuleChange:
    code: str
    title: Text
    before: Status | None  # None: the rule is not in that round's profile
    after: Status | None


@dataclass(frozen=True)
class BranchChange:
    branch_id: str
    branch_name: str
    before: Grade
    after: Grade
    total_before: float
    total_after: float
    direction: Direction
    rules: tuple[RuleChange, ...]


@dataclass(frozen=True)
class Replay:
    profile: str
    settings: dict[str, ParamValue]
    results: tuple[BranchResult, ...]  # the replayed results, in the recorded order (empty unless kept)
    grades: tuple[Grade, ...]  # best first
    matrix: tuple[tuple[int, ...], ...]  # [row = recorded grade][column = replayed grade]
    changes: tuple[BranchChange, ...]  # branches whose grade, total or some rule's outcome changed
    years: tuple[int, ...] = ()  # the assessment years of the replayed forms, sorted

    def moved(self, direction: Direction) -> tuple[BranchChange, ...]:
        return tuple(c for c in self.changes if c.direction == direction)


# A recorded rule outcome as replay compares with it: status and title (zh, en), by rule code.
RuleOutcomes = dict[str, tuple[Status, str, str]]


@dataclass(frozen=True, slots=True)
class Before:
    """A branch as recorded: who, its grade's code and total (what a replay compares a re-grading with)."""

    branch_id: str
    branch_name: str
    grade: str
    total: float


@dataclass(frozen=True, slots=True)
class Replayed:
    """One branch re-graded: its form's year, its new grade and total, the rules whose outcome changed
    against the recorded ones, and the new result when kept."""

    year: int
    grade: Grade
    total: float
    rules: tuple[RuleChange, ...]
    result: BranchResult | None


def regrade(facts: Sequence[BranchFacts], profile: Profile, evaluator: Evaluator) -> Iterator[BranchResult]:
    """Each branch's result under ``profile``, evaluated ``CHUNK`` branches to a call, in order."""
    for start in range(0, len(facts), CHUNK):
        for evaluation in evaluate_many(facts[start : start + CHUNK], profile, evaluator):
            yield grade(evaluation, profile.grading)


def outcomes_of(result: BranchResult) -> RuleOutcomes:
    """Each rule's status and title in ``result``."""
    return {t.code: (t.status, t.title.zh, t.title.en) for t in result.trace}


class _RecordedRule(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str
    status: Status
    title: Text


class _RecordedTrace(BaseModel):
    """The part of a recorded result a replay compares with: each rule's code, status and title."""

    model_config = ConfigDict(extra="ignore")  # the rest of the result is skipped, not built
    trace: tuple[_RecordedRule, ...]


def outcomes_of_json(element: bytes) -> RuleOutcomes:
    """Each rule's status and title in a result as results.json writes it (the ledger keeps it so), read
    without building the whole result: half the time of ``json.loads`` of the element, a third of the
    full model's."""
    return {
        t.code: (t.status, t.title.zh, t.title.en) for t in _RecordedTrace.model_validate_json(element).trace
    }


def status_changes(
    was: Mapping[str, Status],
    now: Mapping[str, Status],
    titles: Mapping[str, Text],
    recorded_title: Callable[[str], Text],
) -> tuple[RuleChange, ...]:
    """The rules whose status differs between the recorded ``was`` and the replayed ``now`` (by code),
    each named by its title now (``titles``) or, for a rule the replaying profile does not have, its
    recorded one (``recorded_title``, asked only then)."""
    out = []
    for code in sorted(was.keys() | now.keys()):
        a, b = was.get(code), now.get(code)
        if a is not None and a is b:
            continue
        out.append(RuleChange(code, titles[code] if b is not None else recorded_title(code), a, b))
    return tuple(out)


def changed_rules(was: RuleOutcomes, after: BranchResult) -> tuple[RuleChange, ...]:
    """The rules whose outcome differs between the recorded outcomes ``was`` and ``after``, by code."""
    return status_changes(
        {code: o[0] for code, o in was.items()},
        {t.code: t.status for t in after.trace},
        {t.code: t.title for t in after.trace},
        lambda code: Text(zh=was[code][1], en=was[code][2]),
    )


def rule_changes(before: BranchResult, after: BranchResult) -> tuple[RuleChange, ...]:
    """The rules whose outcome differs between two results of one branch, by code."""
    return changed_rules(outcomes_of(before), after)


def replay_chunk(
    facts: Sequence[BranchFacts],
    was: Sequence[RuleOutcomes],
    profile: Profile,
    evaluator: Evaluator,
    keep: bool = True,
) -> list[Replayed]:
    """Re-grade ``facts`` (each with its recorded rule outcomes ``was``) under ``profile``: the unit of work
    of a replay, in one process or a worker's task."""
    return [
        Replayed(
            f.identity.assessment_year,
            now.grade,
            now.total,
            changed_rules(before, now),
            now if keep else None,
        )
        for f, before, now in zip(facts, was, regrade(facts, profile, evaluator), strict=True)
    ]


def replay_values(
    branches: Sequence[FactValues],
    was: Sequence[Mapping[str, Status]],
    recorded_titles: Sequence[Callable[[str], Text]],
    profile: Profile,
    evaluator: Evaluator,
) -> list[Replayed]:
    """``replay_chunk`` from the branches' fact values (``FactValues``) and recorded statuses, without
    building results: the rules' statuses and deductions (``decide_many``) graded by the arithmetic
    ``grade`` uses (``total_of``, ``band_of``), so the grade, total and changed rules are
    ``replay_chunk``'s. ``recorded_titles``: per branch, its recorded title of a rule (asked only for a
    rule ``profile`` lacks)."""
    policy = profile.grading
    grades = [Grade(code=band.code, name=band.name) for band in policy.grades]
    titles = {rule.code: rule.title for rule in profile.rules}
    out: list[Replayed] = []
    for start in range(0, len(branches), CHUNK):
        part = branches[start : start + CHUNK]
        for i, (branch, decided) in enumerate(zip(part, decide_many(part, profile, evaluator), strict=True)):
            out.append(
                Replayed(
                    branch.year,
                    grades[band_of(decided.findings, decided.caps, policy)],
                    total_of(decided.findings, policy),
                    status_changes(was[start + i], decided.statuses, titles, recorded_titles[start + i]),
                    None,
                )
            )
    return out


def assemble(
    before: Sequence[Before],
    after: Sequence[Replayed],
    profile: Profile,
    settings: dict[str, ParamValue] | None = None,
    recorded_grades: Sequence[Grade] = (),
) -> Replay:
    """The replay's report from each branch as recorded and as re-graded (aligned): the migration matrix
    against the recorded grades and, per branch that changed, how. ``recorded_grades`` names the recorded
    grade codes (the recorded profile's bands) that ``profile`` does not."""
    import pandas as pd

    order = {band.code: Grade(code=band.code, name=band.name) for band in profile.grading.grades}
    for g in (*recorded_grades, *(r.grade for r in after)):
        order.setdefault(g.code, g)
    for b in before:
        order.setdefault(b.grade, Grade(code=b.grade, name=Text(zh=b.grade, en=b.grade)))
    grades = tuple(order.values())
    was_codes = pd.Series([b.grade for b in before], dtype=object)
    now_codes = pd.Series([r.grade.code for r in after], dtype=object)
    moved = directions(was_codes, now_codes, grades)
    changes = [
        BranchChange(
            branch_id=was.branch_id,
            branch_name=was.branch_name,
            before=order[was.grade],
            after=order[now.grade.code],
            total_before=was.total,
            total_after=now.total,
            direction=direction,
            rules=now.rules,
        )
        for was, now, direction in zip(before, after, moved, strict=True)
        if now.rules or was.grade != now.grade.code or was.total != now.total
    ]
    kept = tuple(r.result for r in after if r.result is not None)
    return Replay(
        profile=profile.name,
        settings=dict(settings or {}),
        results=kept if len(kept) == len(after) else (),
        grades=grades,
        matrix=migration(list(was_codes), list(now_codes), grades),
        changes=tuple(changes),
        years=tuple(sorted({r.year for r in after})),
    )


def replay(
    recorded: Sequence[tuple[BranchFacts, BranchResult]],
    profile: Profile,
    evaluator: Evaluator,
    settings: dict[str, ParamValue] | None = None,
    recorded_grades: Sequence[Grade] = (),
) -> Replay:
    """Re-grade ``recorded`` (facts, recorded result) under ``profile`` (settings already applied; they
    are kept for the report) with ``evaluator``, opened for that profile, in this process."""
    facts = [f for f, _ in recorded]
    after = replay_chunk(facts, [outcomes_of(r) for _, r in recorded], profile, evaluator)
    before = [
        Before(r.identity.branch_id, r.identity.branch_name, r.grade.code, r.total) for _, r in recorded
    ]
    named = (*recorded_grades, *(r.grade for _, r in recorded))
    return assemble(before, after, profile, settings, named)


def replay_profile(
    profile_ref: str, settings: Sequence[str], evaluator: str = "auto"
) -> tuple[Profile, dict[str, ParamValue], EvaluatorName]:
    """What a replay runs under: the profile ``profile_ref`` (a name or folder) with ``settings``
    (``NAME=VALUE`` each) applied, the settings as parsed, and the evaluator ``evaluator`` resolves to.
    Raises ``SettingError`` saying what is wrong (an unknown profile, a bad setting, no such evaluator)."""
    from engine.rulebook import (
        EvaluatorUnavailable,
        RulebookError,
        find_profile_dir,
        load_profile,
        resolve_evaluator,
    )
    from engine.rulebook.loader import PROFILE_FILE

    try:
        profile = load_profile(profile_ref)
        where = (find_profile_dir(profile_ref) / PROFILE_FILE).as_posix()
        engine_name = resolve_evaluator(evaluator)
    except RulebookError as exc:
        raise SettingError(Text(zh=str(exc), en=str(exc))) from None
    except EvaluatorUnavailable as exc:
        raise SettingError(Text(zh=exc.zh, en=exc.en)) from None
    changed = parse_settings(settings, profile, where)
    return apply_settings(profile, changed, where), changed, engine_name


def replay_with(
    recorded: Sequence[tuple[BranchFacts, BranchResult]],
    profile: Profile,
    engine_name: EvaluatorName,
    settings: dict[str, ParamValue] | None = None,
) -> Replay:
    """``replay`` with an evaluator of ``engine_name`` opened for ``profile`` and closed afterwards."""
    from engine.rulebook import open_evaluator

    evaluator = open_evaluator(profile, engine_name)
    try:
        return replay(recorded, profile, evaluator, settings)
    finally:
        evaluator.close()
