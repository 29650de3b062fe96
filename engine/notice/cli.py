"""The notice commands: ``publish`` and ``objection add / decide / list``.

Registered on the main app by :func:`add_notice_commands`; the ledger and xlsxwriter are imported inside
the commands. Exit codes as the rest of the CLI: 0 done, 2 a usage error (unknown round, branch or
objection, a bad date, a missing reason), each said in the chosen language with the fix.
"""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import engine.notice.texts
import engine.review.texts  # noqa: F401 - the round and branch arguments' help
from engine.export.i18n import label
from engine.ledger.cli import refuse, say
from schemas.common import Lang

if TYPE_CHECKING:
    from engine.ledger.store import Ledger

__all__ = ["add_notice_commands"]


def _date(value: str | None, option: str, lang: Lang) -> date:
    if value is None:
        return date.today()
    from engine.validate.parse import parse_date  # the reading the forms' dates get

    try:
        return parse_date(value)
    except ValueError:
        refuse(label("u_date", lang, option=option, value=value))


def _open(ledger: Path | None, lang: Lang) -> "Ledger":
    from engine.ledger.store import Ledger, LedgerError

    try:
        return Ledger.open(ledger, create=False)
    except LedgerError as exc:
        refuse(exc.text.get(lang))


def _publish(
    round_ref: str, start: str, days: int, contact: str, output: Path | None, ledger: Path | None, lang: Lang
) -> None:
    from engine.notice.publish import publish_notice
    from engine.notice.record import NoticeRefused

    first_day = _date(start, "--from", lang)
    target = output or Path(label("nt_book_name", lang))
    if target.suffix.lower() != ".xlsx":
        refuse(label("u_xlsx_name", lang, path=target))
    with _open(ledger, lang) as led:
        try:
            done = publish_notice(led, round_ref, first_day, days, contact, target, lang)
        except NoticeRefused as exc:
            refuse(exc.text.get(lang))
        except OSError as exc:
            refuse(f"{target}: {exc.strerror or exc}", 3)
    notice, info, rows, pages = done.notice, done.round, done.branches, done.pages
    say(
        label(
            "nt_done",
            lang,
            round=info.ref,
            n=rows,
            first=notice.first_day.isoformat(),
            last=notice.last_day.isoformat(),
            days=days,
            path=target,
            pages=pages,
        )
    )


def _add(
    round_ref: str, branch_id: str, by: str, content: str, on: str | None, ledger: Path | None, lang: Lang
) -> None:
    from engine.notice.record import NoticeRefused, add_objection

    raised_on = _date(on, "--on", lang)
    with _open(ledger, lang) as led:
        try:
            o = add_objection(led, round_ref, branch_id, by, content, raised_on)
        except NoticeRefused as exc:
            refuse(exc.text.get(lang))
    say(label("ob_added", lang, id=o.id, branch_id=o.branch_id, by=o.raised_by, on=o.raised_on.isoformat()))


def _decide(objection_id: int, outcome: str, decision: str, by: str, ledger: Path | None, lang: Lang) -> None:
    from engine.notice.record import NoticeRefused, decide_objection, outcome_text

    with _open(ledger, lang) as led:
        try:
            o = decide_objection(led, objection_id, outcome.strip().lower(), decision, by)
        except NoticeRefused as exc:
            refuse(exc.text.get(lang))
    assert o.decision is not None
    said = outcome_text(o.decision.outcome).get(lang)
    say(
        label(
            "ob_decided", lang, id=o.id, outcome=said, decision=o.decision.decision, by=o.decision.decided_by
        )
    )


def _list(round_ref: str, today: str | None, ledger: Path | None, lang: Lang) -> None:
    from engine.ledger.store import LedgerError
    from engine.notice.record import finality, objections, outcome_text

    day = _date(today, "--today", lang)
    with _open(ledger, lang) as led:
        try:
            info = led.find_round(round_ref)
        except LedgerError as exc:
            refuse(exc.text.get(lang))
        state = finality(led, info.id, day)
        raised = objections(led, info.id)
    notice = state.notice
    if notice is None:
        say(label("ob_none_notice", lang, round=info.ref))
        return
    first, last = notice.first_day.isoformat(), notice.last_day.isoformat()
    say(
        label(
            "ob_notice",
            lang,
            round=info.ref,
            first=first,
            last=last,
            days=notice.working_days,
            contact=notice.contact,
        )
    )
    for o in raised:
        if o.decision is None:
            decided = label("ob_undecided", lang)
        else:
            d = o.decision
            decided = label(
                "ob_decision",
                lang,
                outcome=outcome_text(d.outcome).get(lang),
                decision=d.decision,
                by=d.decided_by,
            )
        say(
            label(
                "ob_row",
                lang,
                id=o.id,
                branch_id=o.branch_id,
                by=o.raised_by,
                on=o.raised_on.isoformat(),
                content=o.content,
                state=decided,
            )
        )
    final = sum(1 for v in state.branches.values() if v)
    whole = label("ob_round_final", lang) if state.round_final else ""
    say(label("ob_final", lang, today=day.isoformat(), final=final, n=len(state.branches), round_final=whole))
    waiting = sorted(b for b, v in state.branches.items() if not v)
    if waiting:
        say(label("ob_waiting", lang, branches=label("list_sep", lang).join(waiting)))


def add_notice_commands(app: typer.Typer, h: Callable[[str], str]) -> None:
    """Register ``publish`` and ``objection`` on the main app; ``h`` makes a help text from a label key.
    (This module leaves annotations unpostponed: typer reads the commands' local option types.)"""
    from engine.cli import _lang

    ledger_opt = Annotated[Path | None, typer.Option("--ledger", help=h("h_ledger"))]
    lang_opt = Annotated[str, typer.Option("--lang", help=h("h_lang"))]
    round_arg = Annotated[str, typer.Argument(metavar="ROUND", help=h("h_review_round_arg"))]
    by_opt = Annotated[str, typer.Option("--by", help=h("h_objection_by"))]

    @app.command("publish", help=h("h_publish"))
    def publish_cmd(
        round_ref: round_arg,
        start: Annotated[str, typer.Option("--from", help=h("h_publish_from"))],
        contact: Annotated[str, typer.Option("--contact", help=h("h_publish_contact"))] = "",
        days: Annotated[int, typer.Option("--days", help=h("h_publish_days"))] = 5,
        output: Annotated[Path | None, typer.Option("-o", "--out", help=h("h_publish_out"))] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _publish(round_ref, start, days, contact, output, ledger, _lang(lang))

    objection_app = typer.Typer(no_args_is_help=True, help=h("h_objection_app"))
    app.add_typer(objection_app, name="objection")

    @objection_app.command("add", help=h("h_objection_add"))
    def objection_add(
        round_ref: round_arg,
        branch_id: Annotated[str, typer.Argument(metavar="BRANCH", help=h("h_review_branch"))],
        by: by_opt = "",
        content: Annotated[str, typer.Option("--content", help=h("h_objection_content"))] = "",
        on: Annotated[str | None, typer.Option("--on", help=h("h_objection_on"))] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _add(round_ref, branch_id, by, content, on, ledger, _lang(lang))

    @objection_app.command("decide", help=h("h_objection_decide"))
    def objection_decide(
        objection_id: Annotated[int, typer.Argument(metavar="ID", help=h("h_objection_id"))],
        outcome: Annotated[str, typer.Option("--outcome", help=h("h_objection_outcome"))],
        decision: Annotated[str, typer.Option("--decision", help=h("h_objection_decision"))] = "",
        by: by_opt = "",
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _decide(objection_id, outcome, decision, by, ledger, _lang(lang))

    @objection_app.command("list", help=h("h_objection_list"))
    def objection_list(
        round_ref: round_arg,
        today: Annotated[str | None, typer.Option("--today", help=h("h_today"))] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _list(round_ref, today, ledger, _lang(lang))
