"""The committed CATALOGUE.md must be exactly what the rule files render to."""

from __future__ import annotations

from engine.rulebook.catalogue import CATALOGUE_FILE, HEADER, render_catalogue
from engine.rulebook.loader import find_profile_dir, load_profile


def test_catalogue_is_current() -> None:
    profile = load_profile("loudi-2012")
    path = find_profile_dir("loudi-2012") / CATALOGUE_FILE
    rendered = render_catalogue(profile)
    committed = path.read_text(encoding="utf-8") if path.is_file() else ""
    assert committed == rendered, (
        f"{path} is out of date: regenerate it with `branchgrade rules catalogue` "
        "(or engine.rulebook.catalogue.write_catalogue)"
    )


def test_catalogue_shape() -> None:
    profile = load_profile("loudi-2012")
    text = render_catalogue(profile)
    assert text.startswith(HEADER + "\n")
    assert "| code | title | indicator | kind | deduction | source clause |" in text
    for rule in profile.rules:
        assert f"### {rule.code} " in text
        assert rule.rectification.zh in text
    assert "`member_avg_hours_per_quarter` = 20" in text
    assert render_catalogue(profile) == text  # deterministic
