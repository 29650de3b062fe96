"""A rule's condition in words, as ``rules show`` prints it for people: each fact by its name in the fact
catalogue, each parameter replaced by its value, values as people read them (是/否, dates, percentages,
with the fact's unit), comparisons as signs (≥, ≤, ≠) and ``and`` / ``or`` / ``not`` as words.

``每季度党务公开最少次数 ≥ 1次`` rather than ``transparency_min_quarter >= transparency_per_quarter``.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.rulebook.conditions import And, Atom, BoolConst, Expr, InSet, Not, Or, compile_condition
from schemas.common import Lang
from schemas.facts import FACTS
from schemas.rules import ParamValue
from schemas.values import format_value

__all__ = ["condition_text"]

_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}
_WORDS: dict[str, tuple[str, str]] = {
    "and": ("且", "and"),
    "or": ("或", "or"),
    "not": ("并非", "not"),
    "always": ("总是", "always"),
    "never": ("从不", "never"),
    "one_of": ("为 {values} 之一", "is one of {values}"),
    "none_of": ("不是 {values} 中的任何一个", "is none of {values}"),
    "list_sep": ("、", ", "),
}


def _word(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return en if lang == "en" else zh


def _name(fact: str, lang: Lang) -> str:
    known = FACTS.get(fact)
    return fact if known is None else known.en if lang == "en" else known.zh


def _value(fact: str, value: object, lang: Lang) -> str:
    known = FACTS.get(fact)
    if known is not None and known.type is bool and value in (0, 1):
        value = bool(value)  # the engines compare booleans as 1 / 0
    text = format_value(value, fact, lang)
    if known is None or isinstance(value, bool | str) or text.endswith("%"):
        return text
    unit = known.unit_en if lang == "en" else known.unit_zh
    return f"{text} {unit}" if unit and lang == "en" else f"{text}{unit}"


def _words(expr: Expr, lang: Lang, nested: bool) -> str:
    if isinstance(expr, BoolConst):
        return _word("always" if expr.value else "never", lang)
    if isinstance(expr, Atom):
        return f"{_name(expr.fact, lang)} {_SIGNS[expr.op]} {_value(expr.fact, expr.value, lang)}"
    if isinstance(expr, InSet):
        values = _word("list_sep", lang).join(_value(expr.fact, v, lang) for v in expr.values)
        phrase = _word("none_of" if expr.negated else "one_of", lang).format(values=values)
        return f"{_name(expr.fact, lang)} {phrase}"
    if isinstance(expr, Not):
        return (
            f"{_word('not', lang)}（{_words(expr.item, lang, False)}）"
            if lang == "zh"
            else (f"not ({_words(expr.item, lang, False)})")
        )
    joiner = f" {_word('and' if isinstance(expr, And) else 'or', lang)} "
    assert isinstance(expr, And | Or)
    text = joiner.join(_words(item, lang, True) for item in expr.items)
    return f"（{text}）" if nested and lang == "zh" else f"({text})" if nested else text


def condition_text(text: str, params: Mapping[str, ParamValue], lang: Lang = "zh") -> str:
    """The condition ``text`` (a rule's ``condition`` or ``applies``) bound to ``params``, in words."""
    return _words(compile_condition(text, params).expr, lang, False)
