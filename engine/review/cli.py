"""The review commands: ``review import``, ``review add``, ``review show`` and ``review export``.

Registered on the main app by :func:`add_review_commands`; the ledger and the writers are imported inside
the commands. Exit codes as the rest of the CLI: 0 done, 1 a decision or file refused (each problem
printed with where it is and what to do), 2 a usage error (unknown round, a file that is not a ledger).
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

import engine.review.texts  # noqa: F401 - registers the review labels
from engine.export.i18n import label
from engine.ledger.cli import EXIT_OK, EXIT_PROBLEMS, refuse, say
from schemas.common import Lang

if TYPE_CHECKING:
    from engine.ledger.store import Ledger, RoundInfo

__all__ = ["add_review_commands"]


def shown_time(iso: str) -> str:
    """A recorded time as people read it: ``2012-12-03 14:05 UTC``."""
    return f"{iso[:16].replace('T', ' ')} UTC"


def _open(ledger: Path | None, lang: Lang) -> "Ledger":
    from engine.ledger.store import Ledger, LedgerError

    try:
        return Ledger.open(ledger, create=False)
    except LedgerError as exc:
        refuse(exc.text.get(lang))


def _round(led: "Ledger", ref: str, lang: Lang) -> "RoundInfo":
    from engine.ledger.store import LedgerError

    try:
        return led.find_round(ref)
    except LedgerError as exc:
        refuse(exc.text.get(lang))


def _import(
    files: list[Path], round_ref: str | None, reviewer: str | None, ledger: Path | None, lang: Lang
) -> None:
    from engine.review.sheet import import_review_sheet

    missing = [p for p in files if not p.is_file()]
    if missing:
        refuse(label("u_not_found", lang, paths=", ".join(map(str, missing))))
    with _open(ledger, lang) as led:
        outcomes = [import_review_sheet(led, p, p.as_posix(), round_ref, reviewer) for p in files]
    for o in outcomes:
        if o.state == "refused":
            say(label("rv_refused", lang, file=o.file))
        elif o.state == "unchanged":
            say(label("rv_unchanged", lang, file=o.file))
        else:
            say(label("rv_recorded", lang, file=o.file, n=o.recorded, same=o.unchanged, round=o.round_ref))
        for p in o.problems:
            say("    " + p.render(lang))
    totals = [sum(o.state == s for o in outcomes) for s in ("recorded", "unchanged", "refused")]
    say(label("rv_totals", lang, recorded=totals[0], unchanged=totals[1], refused=totals[2]))
    raise typer.Exit(EXIT_PROBLEMS if totals[2] else EXIT_OK)


def _add(
    round_ref: str,
    branch_id: str,
    decided: tuple[str, str, str, str, str],
    ledger: Path | None,
    lang: Lang,
) -> None:
    from engine.export.i18n import review_text
    from engine.review.record import ReviewRefused, record_review, round_reviews

    grade, reason, reviewer, score, exception = decided
    grade = "" if grade.strip() == "-" else grade  # "-": the review score alone
    with _open(ledger, lang) as led:
        try:
            recorded = record_review(led, round_ref, branch_id, grade, reason, reviewer, score, exception)
        except ReviewRefused as exc:
            for p in exc.problems:
                say(p.render(lang))
            raise typer.Exit(EXIT_PROBLEMS) from None
        info = led.find_round(round_ref)
        results = [r.result for r in led.branch_records(info.id) if r.branch_id == branch_id.strip()]
        review = round_reviews(led, info.id, results).get(branch_id.strip())
    key = "rv_added" if recorded else "rv_same"
    shown = review_text(review, lang) or ""
    if score.strip():
        shown = "；".join(p for p in (shown, label("review_score", lang, n=score.strip())) if p)
    say(label(key, lang, branch_id=branch_id.strip(), round=info.ref, review=shown))


def _show(round_ref: str, branch_id: str | None, ledger: Path | None, lang: Lang) -> None:
    from engine.export.explain import explain
    from engine.review.record import profile_grades, review_history, reviewed_results
    from engine.review.weighted import decided_again

    with _open(ledger, lang) as led:
        info = _round(led, round_ref, lang)
        results = decided_again(led, info, reviewed_results(led, info.id))
        if branch_id is None:
            reviewed = [r for r in results if r.review is not None]
            if not reviewed:
                say(label("rv_none", lang, round=info.ref))
            for r in reviewed:
                assert r.review is not None
                say(
                    label(
                        "rv_row",
                        lang,
                        branch_id=r.identity.branch_id,
                        name=r.identity.branch_name,
                        computed=r.grade.name.get(lang),
                        reviewed=r.review.grade.name.get(lang),
                        reason=r.review.reason,
                        reviewer=r.review.reviewer,
                        at=shown_time(r.review.recorded_at),
                    )
                )
            return
        found = next((r for r in results if r.identity.branch_id == branch_id.strip()), None)
        if found is None:
            refuse(label("rv_no_branch", lang, round=info.ref, branch_id=branch_id))
        history = review_history(led, info.id, found.identity.branch_id)
    say(explain(found, lang).rstrip())
    if history:
        names = {g.code: g.name.get(lang) for g in profile_grades(found.profile, (found.grade,))}
        say("")
        say(label("rv_history", lang))
        for e in history:
            source = "" if e.source_file is None else label("rv_from_file", lang, file=e.source_file)
            grade_name = names.get(e.grade, e.grade)
            say(
                label(
                    "rv_history_row",
                    lang,
                    at=shown_time(e.recorded_at),
                    reviewed=grade_name,
                    reason=e.reason,
                    reviewer=e.reviewer,
                    source=source,
                )
            )


def _export(round_ref: str, output: Path, ledger: Path | None, lang: Lang) -> None:
    from engine.review.export import write_round_outputs
    from engine.review.record import standing_reviews

    if output.exists() and not output.is_dir():
        refuse(label("u_out_not_dir", lang, path=output))
    with _open(ledger, lang) as led:
        info = _round(led, round_ref, lang)
        try:
            summary, results, lists = write_round_outputs(led, info, output, lang)
        except OSError as exc:
            refuse(f"{output}: {exc.strerror or exc}", 3)
        n = len(standing_reviews(led, info.id))
    say(label("rv_wrote", lang, round=info.ref, summary=summary, results=results, lists=lists, n=n))


def add_review_commands(app: typer.Typer, h: Callable[[str], str]) -> None:
    """Register ``review`` on the main app; ``h`` makes a help text from a label key. (This module leaves
    annotations unpostponed: typer reads the commands' local option types.)"""
    from engine.cli import _lang

    review_app = typer.Typer(no_args_is_help=True, help=h("h_review_app"))
    app.add_typer(review_app, name="review")
    ledger_opt = Annotated[Path | None, typer.Option("--ledger", help=h("h_ledger"))]
    lang_opt = Annotated[str, typer.Option("--lang", help=h("h_lang"))]
    round_arg = Annotated[str, typer.Argument(metavar="ROUND", help=h("h_review_round_arg"))]

    @review_app.command("import", help=h("h_review_import"))
    def review_import(
        files: Annotated[list[Path], typer.Argument(help=h("h_review_files"))],
        round_ref: Annotated[str | None, typer.Option("--round", help=h("h_review_round"))] = None,
        reviewer: Annotated[str | None, typer.Option("--reviewer", help=h("h_reviewer"))] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _import(files, round_ref, reviewer, ledger, _lang(lang))

    @review_app.command("add", help=h("h_review_add"))
    def review_add(
        round_ref: round_arg,
        branch_id: Annotated[str, typer.Argument(metavar="BRANCH", help=h("h_review_branch"))],
        grade: Annotated[str, typer.Argument(metavar="GRADE", help=h("h_review_grade"))],
        reason: Annotated[str, typer.Option("--reason", help=h("h_review_reason"))] = "",
        reviewer: Annotated[str, typer.Option("--reviewer", help=h("h_reviewer"))] = "",
        score: Annotated[str, typer.Option("--score", help=h("h_review_score"))] = "",
        exception: Annotated[str, typer.Option("--exception", help=h("h_review_exception"))] = "",
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _add(round_ref, branch_id, (grade, reason, reviewer, score, exception), ledger, _lang(lang))

    @review_app.command("show", help=h("h_review_show"))
    def review_show(
        round_ref: round_arg,
        branch_id: Annotated[
            str | None, typer.Argument(metavar="[BRANCH]", help=h("h_review_branch"))
        ] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _show(round_ref, branch_id, ledger, _lang(lang))

    @review_app.command("export", help=h("h_review_export"))
    def review_export(
        round_ref: round_arg,
        output: Annotated[Path, typer.Option("-o", "--out", help=h("h_review_out"))],
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _export(round_ref, output, ledger, _lang(lang))
