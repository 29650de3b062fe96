"""The loader refuses broken rulebooks, naming the file and the problem; copies of loudi-2012 are mutated."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.rulebook.loader import RulebookError, find_profile_dir, load_profile, profile_sha256

SOURCE = find_profile_dir("loudi-2012")


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    target = tmp_path / "rules" / "copy-2012"
    shutil.copytree(SOURCE, target)
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(profile_dir: Path) -> list[tuple[str, str]]:
    with pytest.raises(RulebookError) as info:
        load_profile(profile_dir)
    return info.value.problems


def _has(problems: list[tuple[str, str]], where: str, fragment: str) -> bool:
    return any(w == where and fragment in p for w, p in problems)


def test_loads_the_shipped_profile() -> None:
    profile = load_profile("loudi-2012")
    assert profile.name == "loudi-2012"
    assert [r.code for r in profile.rules] == sorted(r.code for r in profile.rules)
    assert load_profile(SOURCE) == profile  # by path too
    assert load_profile(SOURCE / "profile.toml") == profile


def test_copy_loads_by_name_with_rules_root(profile_dir: Path) -> None:
    profile = load_profile("copy-2012", rules_root=profile_dir.parent)
    assert len(profile.rules) == len(load_profile("loudi-2012").rules)


def test_unknown_profile() -> None:
    with pytest.raises(RulebookError, match="loudi-2012"):
        load_profile("no-such-profile")


def test_file_name_must_match_code(profile_dir: Path) -> None:
    (profile_dir / "OL" / "OL-02.toml").rename(profile_dir / "OL" / "OL-09.toml")
    assert _has(_problems(profile_dir), "OL/OL-09.toml", "does not match code 'OL-02'")


def test_folder_must_match_prefix(profile_dir: Path) -> None:
    (profile_dir / "OL" / "OL-02.toml").rename(profile_dir / "ED" / "OL-02.toml")
    assert _has(_problems(profile_dir), "ED/OL-02.toml", "does not match the code prefix")


def test_duplicate_code(profile_dir: Path) -> None:
    shutil.copy(profile_dir / "OL" / "OL-02.toml", profile_dir / "OL" / "OL-09.toml")
    problems = _problems(profile_dir)
    assert _has(problems, "OL/OL-09.toml", "duplicate code OL-02 (also in OL/OL-02.toml)")


# the file to edit (and the one the problem names), the text there, its replacement, a fragment of the problem
BROKEN_EDITS = {
    "unknown_fact": (
        "OL/OL-03.toml",
        'condition = "org_life_min_month',
        'condition = "org_life_months',
        "condition: unknown name 'org_life_months'",
    ),
    "unknown_param": (
        "OL/OL-03.toml",
        ">= org_life_per_month",
        ">= org_life_per_week",
        "unknown name 'org_life_per_week'",
    ),
    "unknown_indicator": (
        "OL/OL-03.toml",
        'indicator = "systems"',
        'indicator = "sytems"',
        "unknown indicator 'sytems'",
    ),
    "missing_pass_example": (
        "SC/SC-03.toml",
        'expect = "passed"',
        'expect = "not_applicable"',
        "at least one example expecting 'passed'",
    ),
    "missing_fail_example": (
        "SC/SC-03.toml",
        'expect = "failed"',
        'expect = "passed"',
        "at least one example expecting 'failed'",
    ),
    "unsafe_condition": (
        "SC/SC-03.toml",
        'applies = "true"',
        "applies = \"__import__('os')\"",
        "function calls are not allowed",
    ),
    "bad_cap_condition": (
        "profile.toml",
        'when = "satisfaction_rate <',
        'when = "satisfaction <',
        "unknown name 'satisfaction'",
    ),
}


@pytest.mark.parametrize(("where", "old", "new", "fragment"), BROKEN_EDITS.values(), ids=BROKEN_EDITS.keys())
def test_broken_edit_is_refused(profile_dir: Path, where: str, old: str, new: str, fragment: str) -> None:
    _edit(profile_dir / where, old, new)
    assert _has(_problems(profile_dir), where, fragment)


def test_unknown_deadline_and_placeholder(profile_dir: Path) -> None:
    _edit(profile_dir / "SC" / "SC-03.toml", 'deadline = "self_check"', 'deadline = "someday"')
    _edit(profile_dir / "SC" / "SC-03.toml", "全年{actual}次", "全年{actul}次")
    problems = _problems(profile_dir)
    assert _has(problems, "SC/SC-03.toml", "deadline 'someday'")
    assert _has(problems, "SC/SC-03.toml", "uses {actul}")


def test_retired_code_cannot_be_used(profile_dir: Path) -> None:
    (profile_dir / "retired.toml").write_text('[retired]\n"OL-03" = "merged into OL-01"\n', encoding="utf-8")
    assert _has(_problems(profile_dir), "OL/OL-03.toml", "retired (merged into OL-01)")


def test_problems_are_collected_together(profile_dir: Path) -> None:
    _edit(profile_dir / "OL" / "OL-03.toml", 'indicator = "systems"', 'indicator = "nope"')
    _edit(profile_dir / "ED" / "ED-06.toml", 'expect = "failed"', 'expect = "passed"')
    (profile_dir / "SC" / "SC-03.toml").write_text("code = [", encoding="utf-8")
    problems = _problems(profile_dir)
    assert {w for w, _ in problems} >= {"OL/OL-03.toml", "ED/ED-06.toml", "SC/SC-03.toml"}
    assert "3 problem(s)" in str(RulebookError(profile_dir, problems[:3]))


def test_profile_hash_tracks_toml_changes(profile_dir: Path) -> None:
    before = profile_sha256(profile_dir)
    assert before == profile_sha256(SOURCE)  # same bytes at the same relative paths
    (profile_dir / "CATALOGUE.md").write_text("changed", encoding="utf-8")
    assert profile_sha256(profile_dir) == before  # the generated catalogue is not an input
    _edit(profile_dir / "profile.toml", "branch_study_per_year = 8", "branch_study_per_year = 9")
    assert profile_sha256(profile_dir) != before
