"""The command-line library's own words in the user's language: Chinese by default, English with --lang en.

typer and click word their usage line, help panels and usage errors in English. Through their public
names only, this module:

* sets typer's help and error texts (``typer.rich_utils``: the panel titles, the "Try … for help" line,
  the default and required marks) and the usage line's parts click lets a command set (``options_metavar``,
  ``subcommand_metavar``) and the ``Usage:`` prefix (``click.HelpFormatter.write_usage``'s ``prefix``, by a
  formatter every context makes through ``click.Context.formatter_class``);
* words the help option's own text ("Show this message and exit.") on every command: the option object a
  command's public ``click.Command.get_help_option`` gives (it makes it once and keeps it) has its public
  ``help`` set, so commands added anywhere in the tree are covered without each naming a class;
* shows a value's kind in the help's type column in Chinese (``<文字>``, ``<整数>`` …) through each
  parameter's public ``metavar``, and nothing for a switch, whose kind (``<bool>``) says nothing a reader
  needs;
* runs the command without click's standalone handling (``standalone_mode=False``), so a usage error comes
  back as the exception click raised; its problem is worded in the user's language from the exception's
  public attributes (the option named, the parameter, click's message), then shown the way typer shows
  every error (``typer.rich_utils.rich_format_error``), with exit status 2 as before. A message click words
  in a way not known here is shown as click words it, never dropped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
import typer.core
import typer.main
import typer.rich_utils

from schemas.common import Lang

__all__ = ["command_lang", "run_in_language", "usage_problem"]

EXIT_USAGE = 2

# typer.rich_utils' texts, by language (English: typer's own).
_TYPER_TEXTS: dict[str, tuple[str, str]] = {
    "ARGUMENTS_PANEL_TITLE": ("参数", "Arguments"),
    "OPTIONS_PANEL_TITLE": ("选项", "Options"),
    "COMMANDS_PANEL_TITLE": ("命令", "Commands"),
    "ERRORS_PANEL_TITLE": ("错误", "Error"),
    "ABORTED_TEXT": ("已中止。", "Aborted."),
    "RICH_HELP": (
        "运行 [blue]{command_path} {help_option}[/] 查看帮助。",
        "Try [blue]'{command_path} {help_option}'[/] for help.",
    ),
    "DEFAULT_STRING": ("[默认：{}]", "[default: {}]"),
    "REQUIRED_LONG_STRING": ("[必填]", "[required]"),
}
_HELP_OPTION_TEXT = "显示本帮助并退出。"
# click's names of a value's kind, as the help's type column shows them (typer's ``<name>``), in Chinese.
_KIND_NAMES = {
    "text": "文字",
    "str": "文字",
    "string": "文字",
    "integer": "整数",
    "int": "整数",
    "float": "数字",
    "path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "datetime": "日期",
    "date": "日期",
    "choice": "选项值",
}
_USAGE_PREFIX = "用法："
_OPTIONS_METAVAR = "[选项]"
_SUBCOMMAND_METAVAR = "命令 [参数]..."


_TYPER_FORMATTER: Any = typer.Context.formatter_class  # click's HelpFormatter, as typer carries it


class _ChineseHelpFormatter(_TYPER_FORMATTER):  # type: ignore[misc]
    """The formatter typer's contexts use, with the usage line's prefix in Chinese."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _USAGE_PREFIX if prefix is None else prefix)


class _ChineseContext(typer.Context):
    formatter_class = _ChineseHelpFormatter


# click's wording of the values it refuses (click/types.py) and of its other usage errors (click/parser.py,
# click/core.py), in Chinese.
_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    # typer checks values with pydantic, which words them so
    (re.compile(r"Input should be a valid integer\b.*"), "应为整数"),
    (re.compile(r"Input should be a valid (?:number|float)\b.*"), "应为数字"),
    (re.compile(r"Input should be a valid boolean\b.*"), "应为 是/否 值"),
    (re.compile(r"Input should be a valid date\b.*"), "应为日期，如 2012-12-12"),
    (re.compile(r"Input should be (?P<c>.*)"), "应为 {c}"),
    (re.compile(r"'(?P<v>.*)' is not a valid integer\.?"), "“{v}”不是整数"),
    (re.compile(r"'(?P<v>.*)' is not a valid float\.?"), "“{v}”不是数字"),
    (re.compile(r"'(?P<v>.*)' is not a valid boolean\.?"), "“{v}”不是 是/否 值"),
    (re.compile(r"'(?P<v>.*)' is not one of (?P<c>.*?)\.?"), "“{v}”不是可选值（{c}）之一"),
    (re.compile(r"(?:Path|File|Directory) '(?P<v>.*)' does not exist\.?"), "找不到 {v}"),
    (re.compile(r"Option '(?P<v>[^']*)' requires an argument\.?"), "选项 {v} 需要一个值"),
    (re.compile(r"Option '(?P<v>[^']*)' requires (?P<n>\d+) arguments\.?"), "选项 {v} 需要 {n} 个值"),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<v>.*)\)"), "多余的参数：{v}"),
    (re.compile(r"No such command '(?P<v>[^']*)'\.(?: Did you mean (?P<h>.*)\?)?"), "没有命令 {v}{h}"),
)


def _in_chinese(message: str) -> str:
    for pattern, words in _WORDS:
        found = pattern.fullmatch(message.strip())
        if found:
            values = {k: v or "" for k, v in found.groupdict().items()}
            if "h" in values:
                values["h"] = f"（是否想用 {values['h']}？）" if values["h"] else ""
            return words.format(**values)
    return message


def _name(param: Any) -> str:
    opts = getattr(param, "opts", None)
    if getattr(param, "param_type_name", "") == "option" and opts:
        return " / ".join(opts)
    return str(getattr(param, "human_readable_name", "") or getattr(param, "name", "") or "")


def usage_problem(exc: Any, lang: Lang) -> str:
    """The problem a usage error reports, in ``lang`` (English: as click words it).

    typer carries its own copy of click and does not export its exception classes; the kind of error is
    told by the public attributes each kind carries (``option_name`` and ``possibilities`` for an unknown
    option, ``param`` and ``param_type`` for a missing value, ``param`` for a bad one)."""
    message = str(exc.message)
    if lang == "en":
        return message
    if hasattr(exc, "option_name") and hasattr(exc, "possibilities"):
        hint = "、".join(sorted(exc.possibilities or ()))
        return f"没有选项 {exc.option_name}" + (f"（可选：{hint}）" if hint else "")
    param = getattr(exc, "param", None)
    if hasattr(exc, "param_type") and param is not None:
        kind = "选项" if getattr(param, "param_type_name", "") == "option" else "参数"
        return f"缺少{kind} {_name(param)}"
    if param is not None:
        return f"{_name(param)} 的值无效：{_in_chinese(message)}"
    return _in_chinese(message)


def _is_click_error(exc: BaseException) -> bool:
    """An error click raises and shows itself: it has ``message``, ``format_message`` and ``exit_code``."""
    return all(hasattr(exc, name) for name in ("message", "format_message", "exit_code"))


def _speak(command: Any, lang: Lang) -> None:
    """Set the usage line's words for ``command`` and every command under it (they are its own objects)."""
    if lang == "en":
        return
    command.context_class = _ChineseContext
    command.options_metavar = _OPTIONS_METAVAR
    context = _ChineseContext(command)
    help_option = command.get_help_option(context)
    if help_option is not None:
        help_option.help = _HELP_OPTION_TEXT
        help_option.metavar = ""  # a switch: its kind (<bool>) says nothing a reader needs
    for param in command.params:
        _speak_kind(param, context)
    if isinstance(command, typer.core.TyperGroup):
        command.subcommand_metavar = _SUBCOMMAND_METAVAR
        for sub in command.commands.values():
            _speak(sub, lang)


def _speak_kind(param: Any, context: Any) -> None:
    """The help's type column for ``param`` in Chinese: a switch shows none, a value its kind's name."""
    if getattr(param, "metavar", None) is not None or getattr(param, "param_type_name", "") != "option":
        return  # a metavar the command chose, or an argument (shown by its name) stays as it is
    if getattr(param, "is_flag", False):
        param.metavar = ""
        return
    shown = param.display_type(context) if hasattr(param, "display_type") else None
    kind = shown[1:-1].lower() if isinstance(shown, str) and shown.startswith("<") else ""
    several = kind.startswith("list[") and kind.endswith("]")  # an option given more than once
    kind = kind[5:-1] if several else kind
    if kind in _KIND_NAMES:
        param.metavar = f"<{_KIND_NAMES[kind]}>" + ("…" if several else "")


def _typer_texts(lang: Lang) -> dict[str, str]:
    """Set typer's help and error texts for ``lang``; returns the texts they replace."""
    before = {name: getattr(typer.rich_utils, name) for name in _TYPER_TEXTS}
    for name, (zh, en) in _TYPER_TEXTS.items():
        setattr(typer.rich_utils, name, en if lang == "en" else zh)
    return before


def command_lang(argv: Sequence[str]) -> Lang | None:
    """The language the command line asks for (``--lang en`` / ``--lang=en``), or None when it asks for
    none. Read before the options are parsed: help texts and usage errors are made before that."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        if value in ("zh", "en"):
            return "en" if value == "en" else "zh"
    return None


def run_in_language(
    app: typer.Typer, argv: Sequence[str] | None = None, prog_name: str = "branchgrade"
) -> None:
    """Run ``app`` on ``argv`` (default: the process's) with the library's words in the user's language
    (Chinese unless --lang en); exits with the command's status, 2 after a usage error. typer's texts are
    put back afterwards, so nothing else in the process is changed."""
    args = list(sys.argv[1:] if argv is None else argv)
    lang = command_lang(args) or "zh"
    command = typer.main.get_command(app)
    _speak(command, lang)
    before = _typer_texts(lang)
    try:
        outcome = command.main(args, prog_name=prog_name, standalone_mode=False)
    except typer.Abort:
        print(typer.rich_utils.ABORTED_TEXT, file=sys.stderr)
        outcome = 1
    except Exception as exc:
        if not _is_click_error(exc):
            raise
        error: Any = exc
        if error.exit_code == EXIT_USAGE and lang != "en":
            problem = usage_problem(error, lang)
            # click's format_message words the kinds of error around the message in English ("Invalid
            # value for …", "Possible options: …"); the problem is worded whole here.
            error.format_message = lambda: problem
        typer.rich_utils.rich_format_error(error)  # (it shows nothing for "no arguments: the help")
        outcome = error.exit_code
    finally:
        for name, text in before.items():
            setattr(typer.rich_utils, name, text)
    sys.exit(outcome if isinstance(outcome, int) else 0)
