"""A profile built on another (``base`` in profile.toml): the base's rules and data with its own over them.

example-policy is built on loudi-2012 and adds only its scoring policy and its years; a profile of one's
own may also replace a base's parameter or rule file. A missing base or a cycle is refused by the loader,
the hash follows the base's files, and an example profile is never picked for a workbook by its year."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.profiles import AUTO, ProfileChoice
from engine.rulebook.lint import lint_profile
from engine.rulebook.loader import RULES_ROOT, RulebookError, load_profile, profile_sha256
from schemas.common import Severity


def test_the_example_has_every_rule_and_parameter_of_its_base_and_its_own_policy() -> None:
    base, example = load_profile("loudi-2012"), load_profile("example-policy")
    assert example.base == "loudi-2012" and example.example and not base.example
    assert [r.code for r in example.rules] == [r.code for r in base.rules] and len(example.rules) == 71
    assert example.params == base.params and example.deadlines == base.deadlines
    assert example.grading == base.grading and example.stages == base.stages
    assert (example.year, example.last_year) == (2012, 2013) and base.last_year is None
    assert "示例" in example.title.zh and "虚构" in example.document  # not a real place's norms
    assert base.policy is None and example.policy is not None
    assert example.policy.weights is not None and example.policy.max_step_up == 1
    assert {(q.scope, q.grade, q.max_share, q.min_share) for q in example.policy.quotas} == {
        ("general_branch", "A", 0.5, None),
        ("college", "A", 0.3, None),
        ("college", "D", None, 0.1),
    }


def _child(root: Path, body: str, name: str = "child") -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "profile.toml").write_text(
        f'name = "{name}"\ntitle = {{ zh = "子", en = "child" }}\nyear = 2012\ndocument = "test"\n{body}',
        encoding="utf-8",
    )
    return folder


def test_own_values_and_rule_files_replace_the_bases(tmp_path: Path) -> None:
    shutil.copytree(RULES_ROOT / "loudi-2012", tmp_path / "loudi-2012")
    child = _child(tmp_path, 'base = "loudi-2012"\n[params]\nbranch_study_per_year = 6\n')
    (child / "ED").mkdir()
    text = (RULES_ROOT / "loudi-2012" / "ED" / "ED-07.toml").read_text(encoding="utf-8")
    replaced = text.replace("支部集中学习不少于8次", "支部集中学习（子）")
    (child / "ED" / "ED-07.toml").write_text(replaced, encoding="utf-8")
    profile, base = load_profile(child), load_profile(tmp_path / "loudi-2012")
    assert profile.params["branch_study_per_year"] == 6  # one parameter replaced …
    assert profile.params["study_day"] == base.params["study_day"]  # … the others inherited
    ed07 = next(r for r in profile.rules if r.code == "ED-07")
    assert ed07.title.zh == "支部集中学习（子）" and len(profile.rules) == len(base.rules)
    # The child's hash covers its base: a change to the base changes it.
    before = profile_sha256(child)
    toml = tmp_path / "loudi-2012" / "profile.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("study_day = 15", "study_day = 16"), "utf-8")
    assert profile_sha256(child) != before


def test_a_missing_base_and_a_cycle_are_refused(tmp_path: Path) -> None:
    missing = _child(tmp_path, 'base = "nowhere"\n', "missing")
    with pytest.raises(RulebookError) as refused:
        load_profile(missing)
    assert "base 'nowhere' is not a profile" in str(refused.value)
    _child(tmp_path, 'base = "b"\n', "a")
    _child(tmp_path, 'base = "a"\n', "b")
    with pytest.raises(RulebookError) as cycle:
        load_profile(tmp_path / "a")
    assert "cycle" in str(cycle.value) and "a → b → a" in str(cycle.value)


def test_the_example_lints_clean_and_names_the_bases_files() -> None:
    issues = lint_profile("example-policy")
    assert not [i for i in issues if i.severity in (Severity.ERROR, Severity.WARNING)]


def test_an_example_is_never_chosen_by_year() -> None:
    names = {e.name for e in ProfileChoice.from_ref(AUTO).entries}
    assert "loudi-2012" in names and "example-policy" not in names
    assert ProfileChoice.from_ref("example-policy").entries[0].name == "example-policy"
