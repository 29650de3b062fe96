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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from engine.grading import grade
from engine.movement.compare import Direction, directions, migration
from engine.movement.labels import MOVEMENT_LABELS
from engine.rulebook import Evaluator, EvaluatorName, evaluate_many
from schemas.common import Status, Text
from schemas.facts import FACT_PARAMS, BranchFacts
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
    results: tuple[BranchResult, ...]  # the replayed results, in the recorded order
    grades: tuple[Grade, ...]  # best first
    matrix: tuple[tuple[int, ...], ...]  # [row = recorded grade][column = replayed grade]
    changes: tuple[BranchChange, ...]  # branches whose grade, total or some rule's outcome changed

    def moved(self, direction: Direction) -> tuple[BranchChange, ...]:
        return tuple(c for c in self.changes if c.direction == direction)


def regrade(facts: Sequence[BranchFacts], profile: Profile, evaluator: Evaluator) -> Iterator[BranchResult]:
    """Each branch's result under ``profile``, evaluated ``CHUNK`` branches to a call, in order."""
    for start in range(0, len(facts), CHUNK):
        for evaluation in evaluate_many(facts[start : start + CHUNK], profile, evaluator):
            yield grade(evaluation, profile.grading)


def rule_changes(before: BranchResult, after: BranchResult) -> tuple[RuleChange, ...]:
    """The rules whose outcome differs between two results of one branch, by code."""
    was = {t.code: t for t in before.trace}
    now = {t.code: t for t in after.trace}
    out = []
    for code in sorted(was.keys() | now.keys()):
        a, b = was.get(code), now.get(code)
        if a is not None and b is not None and a.status is b.status:
            continue
        shown = b or a
        assert shown is not None
        out.append(RuleChange(code, shown.title, a.status if a else None, b.status if b else None))
    return tuple(out)


def replay(
    recorded: Sequence[tuple[BranchFacts, BranchResult]],
    profile: Profile,
    evaluator: Evaluator,
    settings: dict[str, ParamValue] | None = None,
    recorded_grades: Sequence[Grade] = (),
) -> Replay:
    """Re-grade ``recorded`` (facts, recorded result) under ``profile`` (settings already applied; they
    are kept for the report) with ``evaluator``, opened for that profile."""
    import pandas as pd

    facts = [f for f, _ in recorded]
    results = tuple(regrade(facts, profile, evaluator))
    order = {band.code: Grade(code=band.code, name=band.name) for band in profile.grading.grades}
    for g in (*recorded_grades, *(r.grade for _, r in recorded)):
        order.setdefault(g.code, g)
    grades = tuple(order.values())
    before = pd.Series([r.grade.code for _, r in recorded], dtype=object)
    after = pd.Series([r.grade.code for r in results], dtype=object)
    moved = directions(before, after, grades)
    changes = []
    for (_, was), now, direction in zip(recorded, results, moved, strict=True):
        rules = rule_changes(was, now)
        if not rules and was.grade == now.grade and was.total == now.total:
            continue
        changes.append(
            BranchChange(
                branch_id=was.identity.branch_id,
                branch_name=was.identity.branch_name,
                before=order[was.grade.code],
                after=order[now.grade.code],
                total_before=was.total,
                total_after=now.total,
                direction=direction,
                rules=rules,
            )
        )
    return Replay(
        profile=profile.name,
        settings=dict(settings or {}),
        results=results,
        grades=grades,
        matrix=migration(list(before), list(after), grades),
        changes=tuple(changes),
    )


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
