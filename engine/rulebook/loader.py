"""Load and validate a profile folder: ``rules/<name>/profile.toml`` plus ``<AREA>/<CODE>.toml`` rule files.

A profile may build on another: ``base = "loudi-2012"`` in its profile.toml gives it the base's rule files
and profile data, with its own over them — tables (``[params]``, ``[deadlines]``, ``[grading]``, …) merge
key by key, any other value (an array such as ``stages`` or ``policy.quotas`` included) replaces the
base's, and a rule file of its own (``<AREA>/<CODE>.toml``) replaces the base's file of that code. Name,
title, years, document and ``example`` are never inherited: a profile states what it is.

Every problem found is collected and raised together as one ``RulebookError`` (file + problem each), so
a maintainer fixes a broken rulebook in one pass instead of one error per run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import string
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.rulebook.conditions import ConditionError, parse
from schemas.common import Lang, Status, Text
from schemas.facts import FACTS, form_facts
from schemas.rules import ParamValue, Profile, RuleSpec

# engine/rulebook/loader.py → the repository root is two folders above the package.
REPO_ROOT = Path(__file__).resolve().parents[2]
PROFILE_FILE = "profile.toml"
RULES_PACKAGE = "branchgrade_rules"  # rules/ as installed by `pip install .` (see pyproject.toml)


def shipped_rules_root() -> Path:
    """The folder of the shipped profiles: the checkout's ``rules/`` (where a maintainer edits them), or
    the copy a non-editable install put in site-packages as the data-only package ``branchgrade_rules``."""
    checkout = REPO_ROOT / "rules"
    if any(checkout.glob(f"*/{PROFILE_FILE}")):
        return checkout
    spec = importlib.util.find_spec(RULES_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        if any(Path(location).glob(f"*/{PROFILE_FILE}")):
            return Path(location)
    return checkout  # nothing shipped: find_profile_dir reports the profile missing under rules/


RULES_ROOT = shipped_rules_root()
RETIRED_FILE = "retired.toml"
END_OF_NEXT_MONTH = "end_of_next_month"
PLACEHOLDERS = frozenset({"actual", "expected", "shortfall", "detail", "unit"})
_PARAM_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class RulebookError(ValueError):
    """A profile folder that cannot be used; ``problems`` lists (file, problem) pairs. ``text``, when set,
    says it to a user in their language (a profile name nobody shipped)."""

    def __init__(self, profile_dir: Path, problems: list[tuple[str, str]], text: Text | None = None) -> None:
        self.profile_dir = profile_dir
        self.problems = problems
        self.text = text
        lines = "\n".join(f"  - {where}: {problem}" for where, problem in problems)
        super().__init__(f"rulebook {profile_dir} has {len(problems)} problem(s) / 规则库有误:\n{lines}")

    def message(self, lang: Lang) -> str:
        """What to tell the user, in ``lang`` when the error has the words for it."""
        return self.text.get(lang) if self.text is not None else str(self)


def find_profile_dir(name_or_path: str | Path, rules_root: Path | None = None) -> Path:
    """A profile folder from a name (looked up under ``rules_root``, default the repo's ``rules/``) or a
    path to the folder (or to its ``profile.toml``)."""
    candidate = Path(name_or_path)
    if candidate.name == PROFILE_FILE and candidate.is_file():
        return candidate.parent
    if (candidate / PROFILE_FILE).is_file() and (isinstance(name_or_path, Path) or len(candidate.parts) > 1):
        return candidate
    root = rules_root if rules_root is not None else RULES_ROOT
    named = root / str(name_or_path)
    if (named / PROFILE_FILE).is_file():
        return named
    if (candidate / PROFILE_FILE).is_file():
        return candidate
    known = sorted(p.parent.name for p in root.glob(f"*/{PROFILE_FILE}")) if root.is_dir() else []
    raise RulebookError(
        named,
        [(str(named), f"no {PROFILE_FILE} found; known profiles under {root}: {', '.join(known) or 'none'}")],
        # for the user: the name they typed and the names they may type, no folder of this machine
        Text(
            zh=f"没有名为“{name_or_path}”的规则集；可用的规则集：{'、'.join(known) or '（无）'}"
            "（也可给出规则集文件夹的路径）",
            en=f"no profile named “{name_or_path}”; known profiles: {', '.join(known) or 'none'} "
            "(or give the path of a profile folder)",
        ),
    )


def _read_toml(path: Path, problems: list[tuple[str, str]], where: str) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.append((where, f"not valid TOML: {exc}"))
    except OSError as exc:
        problems.append((where, f"cannot be read: {exc}"))
    return None


BASE_KEY = "base"
# What a profile says about itself: never taken from its base.
_OWN_KEYS = frozenset({"name", "title", "year", "last_year", "document", "example"})


def _merged(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on ``under``: tables merge key by key, recursively; any other value replaces."""
    out = dict(under)
    for key, value in over.items():
        below = out.get(key)
        out[key] = _merged(below, value) if isinstance(value, dict) and isinstance(below, dict) else value
    return out


def _base_dir(ref: str, profile_dir: Path, rules_root: Path | None) -> Path:
    """The folder a ``base`` names: a profile beside this one, else one under ``rules_root``."""
    sibling = profile_dir.parent / ref
    if (sibling / PROFILE_FILE).is_file():
        return sibling
    return find_profile_dir(ref, rules_root)


def read_profile_data(
    profile_dir: Path, problems: list[tuple[str, str]], rules_root: Path | None = None
) -> tuple[tuple[Path, ...], dict[str, Any] | None]:
    """A profile's folders (its bases first, itself last) and its profile.toml data with each base's under
    it; (folders, None) when its own profile.toml cannot be read. Problems of a base (missing, unreadable,
    a cycle) are added to ``problems``."""
    own = _read_toml(profile_dir / PROFILE_FILE, problems, PROFILE_FILE)
    if own is None:
        return (profile_dir,), None
    folders, layers, current = [profile_dir.resolve()], [own], own
    while BASE_KEY in current:
        ref = current[BASE_KEY]
        if not isinstance(ref, str) or not ref.strip():
            problems.append((PROFILE_FILE, f'{BASE_KEY} must name a profile, e.g. base = "loudi-2012"'))
            break
        try:
            folder = _base_dir(ref, profile_dir, rules_root).resolve()
        except RulebookError:
            problems.append((PROFILE_FILE, f"{BASE_KEY} {ref!r} is not a profile"))
            break
        if folder in folders:
            chain = " → ".join(f.name for f in (*folders, folder))
            problems.append((PROFILE_FILE, f"{BASE_KEY} profiles form a cycle: {chain}"))
            break
        data = _read_toml(folder / PROFILE_FILE, problems, (folder / PROFILE_FILE).as_posix())
        if data is None:
            break
        folders.append(folder)
        layers.append(data)
        current = data
    merged: dict[str, Any] = {}
    for layer in reversed(layers):  # the furthest base first, this profile last
        merged = _merged({k: v for k, v in merged.items() if k not in _OWN_KEYS}, layer)
    return tuple(reversed(folders)), merged


def rule_files(folders: tuple[Path, ...]) -> dict[str, tuple[Path, Path]]:
    """Each rule file a profile reads, by ``<AREA>/<CODE>.toml``: (its folder, its path). A file of a later
    folder (the profile's own, after its bases) replaces an earlier folder's file of that name."""
    out: dict[str, tuple[Path, Path]] = {}
    for folder in folders:
        for path in sorted(folder.glob("*/*.toml")):
            out[path.relative_to(folder).as_posix()] = (folder, path)
    return dict(sorted(out.items()))


def _pydantic_problems(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()]


def _retired(profile_dir: Path, problems: list[tuple[str, str]]) -> dict[str, str]:
    """``retired.toml``: ``[retired]`` table (or top-level keys) of code = reason. Optional."""
    path = profile_dir / RETIRED_FILE
    if not path.is_file():
        return {}
    data = _read_toml(path, problems, RETIRED_FILE)
    if data is None:
        return {}
    table = data.get("retired", data)
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        problems.append((RETIRED_FILE, 'expected code = "reason" pairs, optionally under [retired]'))
        return {}
    return {str(k): str(v) for k, v in table.items()}


def _template_problems(text: str) -> list[str]:
    out: list[str] = []
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        return [f"template {text!r}: {exc}"]
    for name in fields:
        if name not in PLACEHOLDERS:
            out.append(f"template {text!r} uses {{{name}}}; allowed: {', '.join(sorted(PLACEHOLDERS))}")
    return out


def _check_rule(
    rule: RuleSpec,
    rel: str,
    path: Path,
    profile: Profile,
    indicators: set[str],
) -> list[str]:
    out: list[str] = []
    if path.stem != rule.code:
        out.append(f"file name {path.name!r} does not match code {rule.code!r}")
    if path.parent.name != rule.code[:2]:
        out.append(f"folder {path.parent.name!r} does not match the code prefix {rule.code[:2]!r}")
    if rule.code in profile.retired:
        out.append(f"code {rule.code} is retired ({profile.retired[rule.code]}) and cannot be reused")
    if rule.indicator not in indicators:
        out.append(f"unknown indicator {rule.indicator!r}; the policy has {', '.join(sorted(indicators))}")
    for label, text in (("applies", rule.applies), ("condition", rule.condition)):
        try:
            parse(text, f"{rel} [{label}]").bind(profile.condition_params, form_facts(profile.form))
        except ConditionError as exc:
            out.append(
                f"{label}: {exc.problem}" + (f" (column {exc.col + 1})" if exc.col is not None else "")
            )
    catalogue = form_facts(profile.form)
    if rule.actual not in catalogue:
        out.append(
            f"actual {rule.actual!r} is not a fact of the {profile.form} form (schemas/facts.py FORM_FACTS)"
        )
    if rule.expected not in profile.condition_params and rule.expected not in ("true", "false"):
        try:
            float(rule.expected)
        except ValueError:
            out.append(f"expected {rule.expected!r} is neither a profile parameter, a deadline nor a number")
    dl = rule.deadline
    if dl != END_OF_NEXT_MONTH and dl not in profile.deadlines:
        try:
            date.fromisoformat(dl)
        except ValueError:
            out.append(
                f"deadline {dl!r} is not a profile deadline ({', '.join(sorted(profile.deadlines))}), "
                f"{END_OF_NEXT_MONTH!r} or a YYYY-MM-DD date"
            )
    for text in (rule.message.zh, rule.message.en):
        out.extend(_template_problems(text))
    expects = {ex.expect for ex in rule.examples}
    if Status.PASSED not in expects:
        out.append("needs at least one example expecting 'passed'")
    if Status.FAILED not in expects:
        out.append("needs at least one example expecting 'failed'")
    names = [ex.name for ex in rule.examples]
    if len(names) != len(set(names)):
        out.append("example names must be unique")
    for ex in rule.examples:
        unknown = sorted(set(ex.facts) - set(catalogue))
        if unknown:
            out.append(f"example {ex.name!r} names unknown facts: {', '.join(unknown)}")
        out.extend(_example_param_problems(ex.name, ex.params, profile))
    return out


def _example_param_problems(name: str, params: dict[str, ParamValue], profile: Profile) -> list[str]:
    """An example may override only parameters the profile has, with a value of the same type."""
    out: list[str] = []
    unknown = sorted(set(params) - set(profile.params))
    if unknown:
        out.append(f"example {name!r} sets unknown parameters: {', '.join(unknown)}")
    for key in sorted(set(params) & set(profile.params)):
        was, now = profile.params[key], params[key]
        if type(was) is not type(now) and not {type(was), type(now)} <= {int, float}:
            out.append(
                f"example {name!r} sets parameter {key!r} to {now!r}, a {type(now).__name__} where the "
                f"profile has a {type(was).__name__} ({was!r})"
            )
    return out


def _alias_problems(rules: list[tuple[str, RuleSpec]]) -> list[tuple[str, str]]:
    """An alias must not be a rule's code or another rule's alias: looked up, it names one rule only."""
    codes = {rule.code for _, rule in rules}
    owner: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    for rel, rule in rules:
        for alias in rule.aliases:
            if alias in codes:
                out.append((rel, f"alias {alias} of {rule.code} is the code of a rule"))
            elif alias in owner and owner[alias] != rule.code:
                out.append((rel, f"alias {alias} of {rule.code} is also an alias of {owner[alias]}"))
            owner.setdefault(alias, rule.code)
    return out


def load_profile(name_or_path: str | Path, rules_root: Path | None = None) -> Profile:
    """Read and validate a profile; raise ``RulebookError`` listing every problem found."""
    profile_dir = find_profile_dir(name_or_path, rules_root)
    problems: list[tuple[str, str]] = []

    folders, data = read_profile_data(profile_dir, problems, rules_root)
    if data is None:
        raise RulebookError(profile_dir, problems)
    for key in ("rules", "retired"):
        if key in data:
            problems.append((PROFILE_FILE, f"{key!r} does not belong in {PROFILE_FILE}"))
            data.pop(key)
    retired = {code: why for folder in folders for code, why in _retired(folder, problems).items()}
    try:
        profile = Profile.model_validate({**data, "retired": retired})
    except ValidationError as exc:
        problems.extend((PROFILE_FILE, p) for p in _pydantic_problems(exc))
        raise RulebookError(profile_dir, problems) from None

    for name, value in profile.params.items():
        if not _PARAM_RE.match(name):
            problems.append((PROFILE_FILE, f"parameter {name!r} must be lower_snake_case"))
        if name in FACTS:
            problems.append((PROFILE_FILE, f"parameter {name!r} has the name of a fact"))
        if name in ("true", "false", "kind", "sid", "id"):
            problems.append((PROFILE_FILE, f"parameter name {name!r} is reserved"))
        if name in profile.deadlines:
            problems.append(
                (PROFILE_FILE, f"parameter {name!r} has the name of a deadline: state each date once")
            )
        if isinstance(value, list) and len({type(v) for v in value}) > 1:
            problems.append((PROFILE_FILE, f"parameter {name!r} mixes value types"))

    grades = {g.code for g in profile.grading.grades}
    for label, code in (("veto_grade", profile.grading.veto_grade), ("kpi_grade", profile.grading.kpi_grade)):
        if code not in grades:
            problems.append((PROFILE_FILE, f"grading.{label} {code!r} is not a grade"))
    for n, cap in enumerate(profile.grading.caps):
        if cap.max_grade not in grades:
            problems.append((PROFILE_FILE, f"grading.caps[{n}].max_grade {cap.max_grade!r} is not a grade"))
        try:
            parse(cap.when, f"{PROFILE_FILE} [grading.caps[{n}].when]").bind(profile.condition_params)
        except ConditionError as exc:
            problems.append((PROFILE_FILE, f"grading.caps[{n}].when: {exc.problem}"))
    if profile.policy is not None:
        for n, quota in enumerate(profile.policy.quotas):
            if quota.grade not in grades:
                problems.append((PROFILE_FILE, f"policy.quotas[{n}].grade {quota.grade!r} is not a grade"))
    for n, kpi in enumerate(profile.grading.kpis):
        for part in ("population", "met"):
            try:
                where = f"{PROFILE_FILE} [grading.kpis[{n}].{part}]"
                parse(getattr(kpi, part), where).bind(profile.condition_params)
            except ConditionError as exc:
                problems.append((PROFILE_FILE, f"grading.kpis[{n}] ({kpi.code}).{part}: {exc.problem}"))
    indicators = {i.id for i in profile.grading.indicators}

    rules: list[RuleSpec] = []
    located: list[tuple[str, RuleSpec]] = []
    seen: dict[str, str] = {}
    own = profile_dir.resolve()
    for key, (folder, path) in rule_files(folders).items():
        rel = key if folder == own else path.as_posix()  # a base's file is named by its full path
        raw = _read_toml(path, problems, rel)
        if raw is None:
            continue
        try:
            rule = RuleSpec.model_validate(raw)
        except ValidationError as exc:
            problems.extend((rel, p) for p in _pydantic_problems(exc))
            continue
        if rule.code in seen:
            problems.append((rel, f"duplicate code {rule.code} (also in {seen[rule.code]})"))
        else:
            seen[rule.code] = rel
        problems.extend((rel, p) for p in _check_rule(rule, rel, path, profile, indicators))
        rules.append(rule)
        located.append((rel, rule))
    problems.extend(_alias_problems(located))
    codes = {r.code for r in rules}
    for n, cap in enumerate(profile.grading.caps):
        problems.extend(
            (PROFILE_FILE, f"grading.caps[{n}].lifted_by names {code!r}, which is not a rule of this profile")
            for code in cap.lifted_by
            if code not in codes
        )
    for path in sorted(profile_dir.glob("*/*/**/*.toml")):
        problems.append(
            (path.relative_to(profile_dir).as_posix(), "rule files live one folder deep: <AREA>/<CODE>.toml")
        )

    if problems:
        raise RulebookError(profile_dir, problems)
    return profile.model_copy(update={"rules": tuple(sorted(rules, key=lambda r: r.code))})


def profile_sha256(name_or_path: str | Path, rules_root: Path | None = None) -> str:
    """SHA-256 over the profile's TOML files (relative path and bytes, in sorted path order), for the run
    manifest: any change to a threshold, rule or policy changes the hash; the generated catalogue does not.
    A profile built on a base hashes the base's files too (after its own, each path under the base's
    name), so a change to the base changes it."""
    profile_dir = find_profile_dir(name_or_path, rules_root)
    folders, _ = read_profile_data(profile_dir, [], rules_root)
    digest = hashlib.sha256()
    for n, folder in enumerate(reversed(folders)):
        prefix = "" if n == 0 else f"{folder.name}/"
        for path in sorted(folder.rglob("*.toml"), key=lambda p: p.relative_to(folder).as_posix()):
            digest.update((prefix + path.relative_to(folder).as_posix()).encode("utf-8") + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
