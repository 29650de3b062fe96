"""The 公示 page of a recorded round: its notice, the objections raised against it and their decisions,
and which grades are final — over the library calls ``branchgrade objection add / decide / list`` make
(``engine.notice.record``: ``add_objection``, ``decide_objection``, ``objections``, ``finality``).

The page checks what a person types (who, what, which day, which outcome) and says what to fix in the
page's own words; everything else (an unknown branch, a round never published) is the library's refusal,
shown as it says it. Nothing here decides whether a grade is final: ``finality`` does.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine.ledger import Ledger, LedgerError, RoundInfo
from engine.notice.record import (
    OUTCOMES,
    Finality,
    NoticeRefused,
    Objection,
    add_objection,
    decide_objection,
    finality,
    objections,
    outcome_text,
)
from schemas.common import Lang

from .site import Site, lang_of, typed_date
from .texts import text
from .year_pages import Refused, open_ledger


@dataclass(frozen=True)
class NoticeView:
    """What the page shows of one round on one day."""

    round: RoundInfo
    state: Finality
    raised: list[Objection]
    names: dict[str, str]  # branch id -> branch name, of the round's branches
    grades: dict[str, str]  # grade code -> its name, in the page's language


def notice_view(
    ledger: Path, round_id: int, today: datetime.date, grade_names: Callable[[str], dict[str, str]]
) -> NoticeView:
    """Round ``round_id``'s notice, objections and finality as of ``today`` (404 for an unknown round);
    ``grade_names`` gives a profile's grade names by code."""
    with open_ledger(ledger) as led:
        info = _round(led, round_id)
        state = finality(led, info.id, today)
        raised = objections(led, info.id)
        names = {row.branch_id: row.branch_name for row in led.graded_rows(info.id)}
    return NoticeView(info, state, raised, names, grade_names(info.profile))


def _round(led: Ledger, round_id: int) -> RoundInfo:
    try:
        return led.find_round(str(round_id))
    except LedgerError:
        raise HTTPException(404) from None


def routes(site: Site) -> list[Route]:
    ledger = site.collections.ledger

    def grade_names(profile: str, lang: Lang) -> dict[str, str]:
        names = [e.name for e in site.choice.entries]
        if profile not in names:
            return {}
        return {g.code: g.name.get(lang) for g in site.choice.profile(profile).grading.grades}

    async def page(request: Request, status: int = 200, **ctx: object) -> Response:
        user = site.officer(request)
        lang = lang_of(request)
        round_id = request.path_params["round"]
        today = datetime.date.today()

        try:
            shown = await anyio.to_thread.run_sync(
                notice_view, ledger, round_id, today, lambda profile: grade_names(profile, lang)
            )
        except Refused as exc:
            return site.render(request, "error.html", 404, message=exc.said.get(lang))
        return site.render(
            request,
            "objections.html",
            status,
            v=shown,
            today=today,
            officer_name=user,
            outcomes=[(o, outcome_text(o).get(lang)) for o in OUTCOMES],
            **ctx,
        )

    async def show(request: Request) -> Response:
        return await page(request)

    async def add(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        round_id = request.path_params["round"]
        async with site.form(request, max_files=0, max_fields=6) as form:
            asked = {k: str(form.get(k) or "").strip() for k in ("branch", "by", "on", "content")}
        raised_on = typed_date(asked["on"])
        if not asked["by"] or not asked["content"]:
            return await page(request, 400, error=text("objection_needs", lang), asked=asked)
        if raised_on is None:
            return await page(request, 400, error=text("objection_bad_date", lang), asked=asked)

        def run() -> Objection:
            with open_ledger(ledger) as led:
                info = _round(led, round_id)
                return add_objection(
                    led, str(info.id), asked["branch"], asked["by"], asked["content"], raised_on
                )

        try:
            added = await anyio.to_thread.run_sync(run)
        except (NoticeRefused, Refused) as exc:
            said = exc.text if isinstance(exc, NoticeRefused) else exc.said
            return await page(request, 400, error=said.get(lang), asked=asked)
        return RedirectResponse(f"/notice/{round_id}#objection-{added.id}", 303)

    async def decide(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        round_id, objection_id = request.path_params["round"], request.path_params["objection"]
        async with site.form(request, max_files=0, max_fields=5) as form:
            outcome, decision, by = (str(form.get(k) or "").strip() for k in ("outcome", "decision", "by"))
        deciding = {"id": objection_id, "outcome": outcome, "decision": decision, "by": by}
        if outcome not in OUTCOMES:
            return await page(request, 400, error=text("objection_outcome", lang), deciding=deciding)
        if not decision or not by:
            return await page(request, 400, error=text("objection_decision_needs", lang), deciding=deciding)

        def run() -> None:
            with open_ledger(ledger) as led:
                info = _round(led, round_id)
                if all(o.id != objection_id for o in objections(led, info.id)):
                    raise HTTPException(404)  # an objection of another round is not this page's to decide
                decide_objection(led, objection_id, outcome, decision, by)

        try:
            await anyio.to_thread.run_sync(run)
        except (NoticeRefused, Refused) as exc:
            said = exc.text if isinstance(exc, NoticeRefused) else exc.said
            return await page(request, 400, error=said.get(lang), deciding=deciding)
        return RedirectResponse(f"/notice/{round_id}#objection-{objection_id}", 303)

    return [
        Route("/notice/{round:int}", show),
        Route("/notice/{round:int}/objections", add, methods=["POST"]),
        Route("/notice/{round:int}/objections/{objection:int}/decide", decide, methods=["POST"]),
    ]
