"""A requirement whose register is blank is unproven, not failed: its item says both ways out."""

from __future__ import annotations

from pathlib import Path

from engine.pipeline import explain_file
from schemas.common import Status

COLLEGE = Path(__file__).resolve().parent.parent / "fixtures" / "college"


def test_an_unproven_item_names_what_to_record_and_what_to_do() -> None:
    result = explain_file(COLLEGE / "JC-01.xlsx", "loudi-2012").result  # 年初定级等次 left blank
    assert result is not None
    item = next(f for f in result.items if f.code == "TG-04")
    assert item.status is Status.NOT_EVIDENCED
    zh, en = item.rectification.zh, item.rectification.en
    assert zh.startswith("两种办法：如确已开展") and "如尚未开展" in zh
    assert en.startswith("Two ways out: if it was done") and "if it was not" in en
    rule_fix = next(t for t in result.trace if t.code == "TG-04")
    assert rule_fix.status is Status.NOT_EVIDENCED


def test_a_failed_item_keeps_the_rules_own_rectification() -> None:
    result = explain_file(COLLEGE / "JC-01.xlsx", "loudi-2012").result
    assert result is not None
    item = next(f for f in result.items if f.code == "SC-01")
    assert item.status is Status.FAILED
    assert not item.rectification.zh.startswith("两种办法")
