"""Output never fails on encoding: GBK / cp936 consoles of Chinese Windows, ASCII, output redirected.

Real subprocesses (``python -m engine``) with PYTHONIOENCODING set and stdout/stderr going to pipes, as
when a user redirects to a file: every command exits with its usual code, prints no traceback, and its
output decodes in that encoding. The fallback error handler itself is checked directly too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.console import ERROR_HANDLER, FALLBACKS, can_encode

ROOT = Path(__file__).resolve().parent.parent
COLLEGE = ROOT / "fixtures" / "college"
TIMEOUT = 120


def run(args: list[str], encoding: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUTF8", None)
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )


def assert_clean(proc: subprocess.CompletedProcess[bytes], encoding: str, code: int) -> str:
    stdout = proc.stdout.decode(encoding)  # raises if the output is not valid in the console's encoding
    stderr = proc.stderr.decode(encoding)
    assert "Traceback" not in stderr and "UnicodeEncodeError" not in stderr, stderr
    assert proc.returncode == code, (proc.returncode, stdout, stderr)
    return stdout + stderr


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("console") / "forms"
    folder.mkdir()
    for name in ("JD-01.xlsx", "LT-02.xlsx"):
        shutil.copy(COLLEGE / name, folder / name)
    return folder


# (arguments, expected exit code); {forms} is the folder of two fixture workbooks
COMMANDS: dict[str, tuple[list[str], int]] = {
    "validate": (["validate", "{forms}/*.xlsx"], 0),
    "explain": (["explain", "{forms}/JD-01.xlsx"], 0),
    "rules list": (["rules", "list"], 0),
    "rules show": (["rules", "show", "OL-02"], 0),
    "help": (["--help"], 0),
    "validate help": (["validate", "--help"], 0),
    "missing file": (["validate", "{forms}/nowhere.xlsx"], 2),
    "no match": (["validate", "{forms}/*.xls"], 2),
    "bad lang": (["rules", "list", "--lang", "fr"], 2),
    "unknown option": (["grade", "--no-such-option"], 2),
}


# Every command in Chinese on a GBK console and in English on an ASCII one (the pairs users meet: a
# Chinese Windows console, a redirected log read elsewhere); cp936, GBK's other name, for a few.
MATRIX = [(c, "zh", "gbk") for c in COMMANDS]
MATRIX += [(c, "en", "ascii") for c in ("validate", "explain", "rules show", "missing file", "no match")]
MATRIX += [(c, "zh", "cp936") for c in ("validate", "missing file")]


@pytest.mark.parametrize(("command", "lang", "encoding"), MATRIX)
def test_commands_never_fail_on_the_console_encoding(
    command: str, lang: str, encoding: str, forms: Path, tmp_path: Path
) -> None:
    template, code = COMMANDS[command]
    args = [a.replace("{forms}", forms.as_posix()) for a in template]
    if command not in ("bad lang", "unknown option", "help"):  # the top level has no --lang: help in both
        args += ["--lang", lang]
    text = assert_clean(run(args, encoding, tmp_path), encoding, code)
    assert text.strip()
    if lang == "en" and command not in ("rules list", "rules show", "explain", "help"):
        # English throughout (no Chinese left to become "?"), the usage errors included; rule titles and
        # the explain trace quote the form's Chinese labels, so they are left out of this check
        assert "??" not in text, text


@pytest.mark.slow
@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_grade_with_a_roster_reports_in_any_console_encoding(
    forms: Path, tmp_path: Path, encoding: str
) -> None:
    roster = tmp_path / "花名册.csv"
    roster.write_text(
        "支部编号,支部名称,所属党总支\nJD-01,一支部,机电党总支\nZZ-09,未交支部,外语党总支\n", encoding="gbk"
    )
    out = tmp_path / "结果"
    proc = run(
        ["grade", str(forms), "-o", str(out), "--workers", "0", "--roster", str(roster)], encoding, tmp_path
    )
    # LT-02 is off the roster (a warning) and ZZ-09 sent nothing: both reported, exit 0 (all graded)
    text = assert_clean(proc, encoding, 0)
    assert "ZZ-09" in text and "LT-02" in text
    if encoding == "gbk":
        assert "√" in text or "×" in text  # the marks fall back to GBK's own, not to "?"
        assert "缺交" in text


def test_the_marks_fall_back_to_what_gbk_has() -> None:
    assert "✓ 通过".encode("gbk", ERROR_HANDLER).decode("gbk") == "√ 通过"
    assert "✗ a › b".encode("gbk", ERROR_HANDLER).decode("gbk") == "× a > b"
    assert "✓ ok ✗ ≥ …".encode("ascii", ERROR_HANDLER).decode("ascii") == "OK ok x >= ..."


def test_every_fallback_has_a_stand_in_ascii_can_write() -> None:
    for char, stand_ins in FALLBACKS.items():
        assert stand_ins, char
        assert can_encode(stand_ins[-1], "ascii"), (char, stand_ins)


@given(st.text())
def test_any_text_encodes_in_gbk_and_ascii(text: str) -> None:
    for encoding in ("gbk", "cp936", "ascii", "latin-1"):
        encoded = text.encode(encoding, ERROR_HANDLER)
        assert encoded.decode(encoding) or not text
