"""The movement commands — ``compare``, ``history``, ``replay`` — over rounds recorded in the ledger.

Registered on the main app by :func:`register` (engine/cli.py). The ledger, pandas and xlsxwriter are
imported by the command functions, so the CLI starts as fast without them.

Exit codes as the rest of the CLI: 0 done, 2 a usage error (unknown round or branch, bad ``--set``,
unusable output path, a file that is not a ledger), printed in the chosen language with the fix.
"""

# No ``from __future__ import annotations``: typer reads the commands' annotations at registration, and
# they name options made inside ``register``; the annotations of ledger types are quoted instead.
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple, NoReturn

import typer

from engine.movement.labels import MOVEMENT_LABELS, word
from schemas.common import Lang, Text

if TYPE_CHECKING:
    from engine.ledger import Ledger, RoundInfo
    from engine.ledger.record import RoundPlan
    from engine.ledger.store import GradedRow, StoredBranch
    from engine.movement.compare import Side
    from engine.movement.replay import Replay
    from engine.rulebook import EvaluatorName
    from schemas.rules import ParamValue, Profile

EXIT_USAGE = 2

HELP: dict[str, tuple[str, str]] = {
    "h_compare": (
        "比较两轮定级：等次迁移、晋位升级、整改事项与指标变动",
        "compare two rounds: grade migration, branches moved up and down, items and KPIs",
    ),
    "h_round_a": (
        "前一轮，如 2012-年初定级 或轮次编号",
        "the earlier round, e.g. 2012-年初定级 or its number",
    ),
    "h_round_b": ("后一轮，如 2012-年终自查 或轮次编号", "the later round, e.g. 2012-年终自查 or its number"),
    "h_compare_out": ("写出变动工作簿（.xlsx，含图表）", "write the movement workbook (.xlsx, with charts)"),
    "h_compare_json": ("写出变动数据（.json）", "write the movement as JSON (.json)"),
    "h_history": ("显示一个支部的历次定级", "print one branch's grading history"),
    "h_branch_id": ("支部编号，如 JD-01", "branch ID, e.g. JD-01"),
    "h_replay": (
        "按另一规则集或改动的参数重演已记录的一轮（加 --record 才记录为模拟轮次）",
        "re-grade a recorded round under another profile or changed parameters (recorded as a what-if "
        "round only with --record)",
    ),
    "h_record": (
        "把重演结果记录为模拟轮次（阶段记为“模拟-名称”，如 --record 年终自查），可与其他轮次比较；"
        "不改动已记录的轮次，也不用于基准或对账销号",
        "record the replay as a what-if round (stage \"模拟-NAME\", e.g. --record 年终自查) that compare and "
        "history read; the recorded round is left as it is, and no baseline or closure uses it",
    ),
    "h_replay_replace": (
        "同名模拟轮次已记录时重新记录（原轮次保留在历史中）",
        "record a what-if round of a name recorded already again (the earlier one stays in history)",
    ),
    "h_round": (
        "要重演的一轮，如 2012-年初定级 或轮次编号",
        "the round to replay, e.g. 2012-年初定级 or its number",
    ),
    "h_replay_profile": ("重演所用的规则集名称或文件夹", "the profile name or folder to replay under"),
    "h_set": (
        "改动一个参数：参数名=值（参数见规则集 profile.toml 的 [params]），可多次给出",
        "change a parameter: NAME=VALUE (as in the profile's profile.toml [params]); repeatable",
    ),
}


def register(app: typer.Typer) -> None:
    """Add ``compare``, ``history`` and ``replay`` to ``app`` (the main CLI, which is loaded by now)."""
    from engine import cli as base

    def h(key: str) -> str:
        zh, en = HELP[key]
        return f"{zh} / {en}" if base.HELP_LANG is None else en if base.HELP_LANG == "en" else zh

    LedgerOpt = Annotated[Path | None, typer.Option("--ledger", help=base._h("h_ledger"))]  # the ledger's
    LangOpt = Annotated[str, typer.Option("--lang", help=base._h("h_lang"))]

    @app.command("compare", help=h("h_compare"))
    def compare_cmd(
        round_a: Annotated[str, typer.Argument(help=h("h_round_a"))],
        round_b: Annotated[str, typer.Argument(help=h("h_round_b"))],
        output: Annotated[Path | None, typer.Option("-o", "--out", help=h("h_compare_out"))] = None,
        json_out: Annotated[Path | None, typer.Option("--json", help=h("h_compare_json"))] = None,
        ledger: LedgerOpt = None,
        lang: LangOpt = "zh",
    ) -> None:
        language = base._lang(lang)
        _check_output(output, ".xlsx", language)
        _check_output(json_out, ".json", language)
        run_compare(round_a, round_b, output, json_out, ledger, language, base.out.print)

    @app.command("history", help=h("h_history"))
    def history_cmd(
        branch_id: Annotated[str, typer.Argument(help=h("h_branch_id"))],
        ledger: LedgerOpt = None,
        lang: LangOpt = "zh",
    ) -> None:
        language = base._lang(lang)
        run_history(branch_id, ledger, language, base.out.print)

    @app.command("replay", help=h("h_replay"))
    def replay_cmd(
        round_ref: Annotated[str, typer.Argument(metavar="ROUND", help=h("h_round"))],
        profile: Annotated[str, typer.Option("--profile", help=h("h_replay_profile"))],
        settings: Annotated[list[str] | None, typer.Option("--set", help=h("h_set"))] = None,
        ledger: LedgerOpt = None,
        lang: LangOpt = "zh",
        evaluator: Annotated[str, typer.Option("--evaluator", help=base._h("h_evaluator"))] = "auto",
        workers: Annotated[int | None, typer.Option("--workers", help=base._h("h_replay_workers"))] = None,
        record: Annotated[
            str | None, typer.Option("--record", metavar="STAGE_OR_NAME", help=h("h_record"))
        ] = None,
        replace: Annotated[bool, typer.Option("--replace", help=h("h_replay_replace"))] = False,
    ) -> None:
        language = base._lang(lang)
        if workers is not None and workers < 0:
            _fail(word("u_workers", language), language)
        if record is not None and not record.strip():
            _fail(word("u_record_name", language), language)
        if replace and record is None:
            _fail(word("u_replace_alone", language), language)
        run_replay(
            round_ref,
            profile,
            settings or [],
            ledger,
            language,
            evaluator,
            base.out.print,
            workers,
            WhatIf(record, replace) if record is not None else None,
        )


Say = Callable[..., None]


class WhatIf(NamedTuple):
    """``--record NAME [--replace]``: record the replay as the what-if round NAME."""

    name: str
    replace: bool


def _fail(text: Text | str, lang: Lang) -> NoReturn:
    from engine import cli as base

    base.err.print(text if isinstance(text, str) else text.get(lang), markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


def _check_output(path: Path | None, suffix: str, lang: Lang) -> None:
    if path is None:
        return
    if path.suffix.lower() != suffix:
        _fail(word("u_out_suffix", lang, suffix=suffix, path=path), lang)
    if not path.parent.is_dir():
        _fail(word("u_out_dir", lang, path=path), lang)


def _open(path: Path | None, lang: Lang) -> "Ledger":
    from engine.ledger import Ledger, LedgerError

    try:
        return Ledger.open(path)
    except LedgerError as exc:
        _fail(exc.text, lang)


def _find(led: "Ledger", ref: str, lang: Lang) -> "RoundInfo":
    from engine.ledger import LedgerError

    try:
        return led.find_round(ref)
    except LedgerError as exc:
        _fail(exc.text, lang)


def _nonempty(info: "RoundInfo", count: int, lang: Lang) -> None:
    if not count:
        _fail(word("u_empty_round", lang, round=info.label.get(lang)), lang)


def _round(led: "Ledger", ref: str, lang: Lang) -> "tuple[RoundInfo, list[GradedRow]]":
    """The round ``ref`` names and its branches as the ledger's columns give them (no result decoded)."""
    info = _find(led, ref, lang)
    rows = led.graded_rows(info.id)
    _nonempty(info, len(rows), lang)
    return info, rows


def _policy_profile(name: str) -> "Profile | None":
    """The profile a round was graded under, when it is available here (it orders grades, prices KPIs)."""
    from engine.rulebook import RulebookError, load_profile

    try:
        return load_profile(name)
    except RulebookError:
        return None


def side_of(
    info: "RoundInfo",
    rows: "Sequence[GradedRow]",
    led: "Ledger | None" = None,
    profile_of: "Callable[[str], Profile | None]" = _policy_profile,
) -> "Side":
    """Round ``info`` as compare reads it, from the ledger's rows of its branches; with its ledger ``led``,
    the reviewed grades recorded in it (``profile_of``: how a profile is found by name — a cached lookup
    loads a profile two rounds share once)."""
    from engine.movement.compare import Side, recorded
    from engine.review.record import round_reviews

    profile = profile_of(info.profile)
    policy = None if profile is None else profile.grading
    results = recorded(rows, info.profile, policy)
    return Side(
        label=info.label,
        profile=info.profile,
        results=results,
        policy=policy,
        reviews={} if led is None else round_reviews(led, info.id, results),
    )


def run_compare(
    round_a: str,
    round_b: str,
    output: Path | None,
    json_out: Path | None,
    ledger: Path | None,
    lang: Lang,
    say: Say,
) -> None:
    from engine.export.i18n import review_text
    from engine.movement.compare import DIRECTIONS, MovementError, compare
    from engine.movement.report import matrix_text, write_json, write_workbook

    profile_of = functools.cache(_policy_profile)
    with _open(ledger, lang) as led:
        a, b = (side_of(*_round(led, ref, lang), led, profile_of) for ref in (round_a, round_b))
    try:
        m = compare(a, b)
    except MovementError as exc:
        _fail(exc.text, lang)
    say(
        word(
            "c_done",
            lang,
            before=m.before_label.get(lang),
            after=m.after_label.get(lang),
            both=len(m.moves),
            up=len(m.moved("up")),
            down=len(m.moved("down")),
            same=len(m.moved("same")),
            opened=m.item_count("opened"),
            closed=m.item_count("closed"),
            still=m.item_count("still_open"),
        ),
        markup=False,
    )
    say(matrix_text(m.grades, m.matrix, lang), markup=False)
    for key in DIRECTIONS[:2]:  # up, down
        for x in m.moved(key):
            say(
                f"{word(key, lang)}: {x.branch_id} {x.branch_name} "
                f"{x.before.name.get(lang)} → {x.after.name.get(lang)}",
                markup=False,
            )
    for x in m.moves:
        for side, review in ((m.before_label, x.reviewed_before), (m.after_label, x.reviewed_after)):
            reviewed = review_text(review, lang)
            if reviewed is not None:
                computed = (x.before if side is m.before_label else x.after).name.get(lang)
                say(
                    word(
                        "c_reviewed",
                        lang,
                        round=side.get(lang),
                        branch_id=x.branch_id,
                        name=x.branch_name,
                        computed=computed,
                        review=reviewed,
                    ),
                    markup=False,
                )
    if output is not None:
        write_workbook(m, output, lang)
        say(word("wrote", lang, path=output), markup=False)
    if json_out is not None:
        write_json(m, json_out)
        say(word("wrote", lang, path=json_out), markup=False)


def run_history(branch_id: str, ledger: Path | None, lang: Lang, say: Say) -> None:
    from engine.movement.compare import Graded, recorded
    from engine.movement.history import render, timeline
    from engine.roster import normalise_id

    wanted = normalise_id(branch_id)
    profile_of = functools.cache(_policy_profile)
    rounds: list[tuple[Text, str, Graded | None]] = []
    with _open(ledger, lang) as led:
        seen = led.branch_ids()
        ids = [i for i in seen if normalise_id(i) == wanted]  # as written in the forms: SQL selects by them
        if not ids:
            examples = word("list_sep", lang).join(seen[:5]) or word("none", lang)
            _fail(word("u_no_branch", lang, branch_id=branch_id, n=len(seen), examples=examples), lang)
        listed = led.rounds()
        for info in listed:
            profile = profile_of(info.profile)
            policy = None if profile is None else profile.grading
            found = recorded(led.graded_rows(info.id, ids), info.profile, policy)
            rounds.append((info.label, info.profile, found[-1] if found else None))
    position = {info.id: i for i, info in enumerate(listed)}
    replays = {i: position[r.replay_of] for i, r in enumerate(listed) if r.replay_of in position}
    say(render(branch_id, timeline(rounds, replays), lang), markup=False)


def run_replay(
    round_ref: str,
    profile_ref: str,
    settings: Sequence[str],
    ledger: Path | None,
    lang: Lang,
    evaluator: str,
    say: Say,
    workers: int | None = None,
    what_if: WhatIf | None = None,
) -> None:
    """Re-grade a recorded round (see ``replay``) in ``workers`` processes (None: one per core); with
    ``what_if``, record the replay as that what-if round (engine.movement.what_if)."""
    import os
    from concurrent.futures.process import BrokenProcessPool

    from engine.ledger import LedgerError
    from engine.movement.replay import SettingError, replay_profile
    from engine.movement.report import matrix_text
    from engine.pipeline import UsageError

    try:
        profile, changed, engine_name = replay_profile(profile_ref, settings, evaluator)
    except SettingError as exc:
        _fail(exc.text, lang)
    with _open(ledger, lang) as led:
        info = _find(led, round_ref, lang)
        plan = None if what_if is None else _what_if_plan(led, info, what_if, profile_ref, changed, lang)
        try:
            stored = led.stored_branches(info.id, full=plan is not None)
        except LedgerError as exc:
            _fail(exc.text, lang)
    _nonempty(info, len(stored), lang)
    try:
        result, notes = replay_recorded(
            info,
            stored,
            profile,
            engine_name,
            (os.cpu_count() or 1) if workers is None else workers,
            changed,
            lang,
            keep=plan is not None,
        )
    except UsageError as exc:
        _fail(exc.text, lang)
    except BrokenProcessPool as exc:
        _fail(word("u_replay_broken", lang, problem=exc), lang)
    for note in notes:
        say(note, markup=False)
    head = "r_head" if plan is None else "r_head_record"
    say(word(head, lang, round=info.label.get(lang), n=len(stored), profile=profile.name), markup=False)
    if changed:
        shown = word("list_sep", lang).join(f"{k} = {v}" for k, v in changed.items())
        say(word("r_settings", lang, settings=shown), markup=False)
    if plan is not None:
        recorded = _record_what_if(ledger, info, plan, result, lang)
        say(
            word(
                "r_recorded",
                lang,
                round=recorded.label.get(lang),
                id=recorded.id,
                source=info.label.get(lang),
                ref=recorded.ref,
                source_ref=info.ref,
            ),
            markup=False,
        )
    _print_replay(result, lang, say, matrix_text)


def _record_what_if(
    ledger: Path | None, info: "RoundInfo", plan: "RoundPlan", result: "Replay", lang: Lang
) -> "RoundInfo":
    """The replay ``result`` of round ``info`` recorded as the what-if round ``plan`` describes."""
    from engine.ledger import LedgerError
    from engine.movement.what_if import record_what_if

    try:
        with _open(ledger, lang) as led:
            return record_what_if(led, info, plan, result.results)
    except LedgerError as exc:
        _fail(exc.text, lang)


def _what_if_plan(
    led: "Ledger",
    info: "RoundInfo",
    what_if: WhatIf,
    profile_ref: str,
    changed: "dict[str, ParamValue]",
    lang: Lang,
) -> "RoundPlan":
    """The what-if round ``what_if`` asks for, refused now (before replaying) if its name is taken."""
    from engine.ledger import LedgerError
    from engine.movement.what_if import check_what_if, what_if_plan
    from engine.rulebook import load_profile, profile_sha256

    plan = what_if_plan(
        info,
        what_if.name,
        load_profile(profile_ref).name,
        profile_sha256(profile_ref),
        changed,
        what_if.replace,
    )
    try:
        check_what_if(led, plan)
    except LedgerError as exc:
        _fail(exc.text, lang)
    return plan


def _print_replay(result: "Replay", lang: Lang, say: Say, matrix_text: "Callable[..., str]") -> None:
    """The replay's report: the migration matrix and, per branch that changed, how."""
    if not result.changes:
        say(word("r_unchanged", lang), markup=False)
        return
    say(word("r_matrix", lang), markup=False)
    say(matrix_text(result.grades, result.matrix, lang), markup=False)
    graded = [c for c in result.changes if c.before.code != c.after.code]
    say(
        word(
            "r_counts",
            lang,
            changed=len(graded),
            up=len(result.moved("up")),
            down=len(result.moved("down")),
            rules=sum(1 for c in result.changes if c.rules),
        ),
        markup=False,
    )
    from engine.export.i18n import fmt_num, status_label

    absent = word("r_absent_rule", lang)
    for c in result.changes:
        say(
            word(
                "r_branch",
                lang,
                branch_id=c.branch_id,
                name=c.branch_name,
                before=c.before.name.get(lang),
                after=c.after.name.get(lang),
                total_before=fmt_num(c.total_before),
                total_after=fmt_num(c.total_after),
            ),
            markup=False,
        )
        for rc in c.rules:
            say(
                word(
                    "r_rule",
                    lang,
                    code=rc.code,
                    title=rc.title.get(lang),
                    before=absent if rc.before is None else status_label(rc.before, lang),
                    after=absent if rc.after is None else status_label(rc.after, lang),
                ),
                markup=False,
            )


def replay_recorded(
    info: "RoundInfo",
    stored: "Sequence[StoredBranch]",
    profile: "Profile",
    engine_name: "EvaluatorName",
    workers: int,
    settings: "dict[str, ParamValue]",
    lang: Lang,
    keep: bool = False,
) -> "tuple[Replay, list[str]]":
    """Replay round ``info``'s ``stored`` branches under ``profile`` (``settings`` applied) in ``workers``
    processes (0: this one), the recorded grades named by the round's own profile where it is available;
    with the notes its reader must know (``replay_notes``). The command and the web page both replay so.
    ``keep``: the report carries the new results (``stored`` read in full), as recording them needs."""
    from engine.movement.replay_pool import replay_stored
    from schemas.results import Grade

    # A profile of several years replays a round of one of them with that year's windows and deadlines.
    if profile.covers(info.year):
        profile = profile.for_year(info.year)
    recorded_profile = _policy_profile(info.profile)
    named = [] if recorded_profile is None else recorded_profile.grading.grades
    result = replay_stored(
        stored,
        profile,
        engine_name,
        workers,
        settings,
        [Grade(code=b.code, name=b.name) for b in named],
        keep=keep,
    )
    return result, replay_notes(info, result.years, recorded_profile, profile, lang)


def replay_notes(
    info: "RoundInfo", years: "Sequence[int]", recorded: "Profile | None", profile: "Profile", lang: Lang
) -> list[str]:
    """What a reader of a replay must know: the profile was written for another year than the forms'
    (``years``), or it sets a facts-stage parameter (or window) otherwise than the profile the facts were
    built under (``recorded``, when available here)."""
    from schemas.facts import FACT_PARAMS

    notes = []
    if years and list(years) != [profile.year]:
        shown = word("list_sep", lang).join(map(str, years))
        notes.append(word("r_year", lang, year=shown, profile=profile.name, profile_year=profile.years_shown))
    if recorded is not None:
        if recorded.covers(profile.year):  # as it graded that year (a profile of several years)
            recorded = recorded.for_year(profile.year)
        differ = [n for n in sorted(FACT_PARAMS) if recorded.params.get(n) != profile.params.get(n)]
        differ += [
            name for name in ("window", "year_window") if getattr(recorded, name) != getattr(profile, name)
        ]
        if differ:
            notes.append(
                word(
                    "r_fact_params",
                    lang,
                    recorded=info.profile,
                    profile=profile.name,
                    names=word("list_sep", lang).join(differ),
                )
            )
    return notes


__all__ = [
    "HELP",
    "MOVEMENT_LABELS",
    "register",
    "replay_notes",
    "replay_recorded",
    "run_compare",
    "run_history",
    "run_replay",
    "side_of",
]
