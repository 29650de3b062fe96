"""The command-line library's own words (usage line, help panels, usage errors) in the user's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cli import app
from engine.cli_language import command_lang, run_in_language


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stopped:
        run_in_language(app, list(argv))
    captured = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), captured.out + captured.err


@pytest.mark.parametrize(
    ("argv", "zh"),
    [
        (("template", "--nope"), "没有选项 --nope"),
        (("template",), "缺少参数 output"),
        (("template", "--year", "x", "a.xlsx"), "--year 的值无效：应为整数"),
        (("template", "--year"), "选项 --year 需要一个值"),
        (("template", "a.xlsx", "b.xlsx"), "多余的参数：b.xlsx"),
        (("nocmd",), "没有命令 nocmd"),
    ],
)
def test_usage_errors_are_chinese_by_default(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], zh: str
) -> None:
    code, output = _run(capsys, *argv)
    assert code == 2
    assert zh in output and "错误" in output
    for english in ("Usage:", "Error", "No such option", "Missing", "Invalid value", "Try '"):
        assert english not in output
    if argv != ("template", "--year"):  # an option without its value is reported before any usage line
        assert "用法：branchgrade" in output and "[选项]" in output


def test_usage_errors_are_english_with_lang_en(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _run(capsys, "template", "--nope", "--lang", "en")
    assert code == 2
    assert "Usage: branchgrade template [OPTIONS]" in output and "No such option: --nope" in output


def test_help_panels_are_chinese_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, output = _run(capsys, "rules", "--help")
    assert code == 0
    assert "用法：branchgrade rules [选项] 命令 [参数]..." in output
    assert "选项" in output and "命令" in output and "Options" not in output and "Commands" not in output


def test_a_command_still_runs_and_exits_with_its_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "t.xlsx"
    code, _ = _run(capsys, "template", str(out))
    assert code == 0 and out.is_file()
    code, _ = _run(capsys, "template", str(out))  # exists: the command's own usage error
    assert code == 2


def test_typer_texts_are_put_back_after_a_run(capsys: pytest.CaptureFixture[str]) -> None:
    import typer.rich_utils

    before = typer.rich_utils.OPTIONS_PANEL_TITLE
    _run(capsys, "template", "--nope")
    assert before == typer.rich_utils.OPTIONS_PANEL_TITLE


def test_the_language_is_read_from_the_command_line() -> None:
    assert command_lang(["grade", "x", "--lang", "en"]) == "en"
    assert command_lang(["grade", "--lang=zh"]) == "zh"
    assert command_lang(["grade", "x"]) is None


def _command_paths() -> list[tuple[tuple[str, ...], bool]]:
    """Every command and group of the application, as the words that name it on the command line, and
    whether it takes ``--lang`` (a group, or a command with nothing to word, does not)."""
    import typer.main

    paths: list[tuple[tuple[str, ...], bool]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        takes_lang = any("--lang" in getattr(p, "opts", ()) for p in getattr(command, "params", ()))
        paths.append((path, takes_lang))
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


# click's and typer's own words as they print them in a help page (English).
LIBRARY_ENGLISH = (
    "Show this message and exit",
    "Usage:",
    "Options",
    "Commands",
    "Arguments",
    "[default:",
    "[required]",
    "Error",
    "Try '",
    "<bool>",
)


@pytest.mark.parametrize(
    ("path", "takes_lang"),
    _command_paths(),
    ids=lambda v: (" ".join(v) or "branchgrade") if isinstance(v, tuple) else ("lang" if v else "no-lang"),
)
def test_every_help_page_speaks_chinese_by_default_and_english_with_lang_en(
    capsys: pytest.CaptureFixture[str], path: tuple[str, ...], takes_lang: bool
) -> None:
    code, output = _run(capsys, *path, "--help")
    assert code == 0 and "用法：branchgrade" in output and "显示本帮助并退出。" in output
    assert [word for word in LIBRARY_ENGLISH if word in output] == []
    if not takes_lang:
        return
    code, output = _run(capsys, *path, "--help", "--lang", "en")
    assert code == 0 and "Usage: branchgrade" in output and "Show this message and exit." in output
    assert "显示本帮助并退出" not in output
