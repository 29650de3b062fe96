"""The officers' pages of the grading year, over the ledger's and movement's library calls: importing
returned 整改清单 (``engine.ledger.status.import_lists``), the 整改台账 and its download
(``ledger_rows``, ``write_ledger_workbook``), comparing two recorded rounds (``engine.movement.compare``)
and replaying a round under another profile or changed parameters (``engine.movement.replay``).

A replay compiles the rules of the profile it is given: it runs in a process of its own, as the CLI's
``replay`` would, so the server's process never holds a rule engine. Nothing here grades or decides.
"""

from __future__ import annotations

import datetime
import secrets
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import anyio
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import engine.ledger.texts  # noqa: F401 - registers the ledger's labels
from engine.export.i18n import label
from engine.ledger import Ledger, LedgerError, RoundInfo
from engine.ledger.status import ImportOutcome, import_lists, ledger_rows, state_label, write_ledger_workbook
from engine.ledger.store import GradedRow
from engine.movement import (
    Movement,
    MovementError,
    Replay,
    SettingError,
    compare,
    replay_profile,
)
from engine.movement.cli import replay_recorded, side_of
from engine.movement.labels import word
from engine.notice.publish import publish_notice, write_published
from engine.notice.record import Notice, NoticeRefused, latest_notice
from schemas.common import Lang, Text

from . import charts
from .batches import safe_name
from .site import XLSX, Site, attachment, lang_of, typed_date
from .texts import text


class Refused(Exception):
    """What the ledger or movement refused, in each language."""

    def __init__(self, said: Text) -> None:
        super().__init__(said)  # the one argument: it comes back whole from the replay's process
        self.said = said


def open_ledger(ledger: Path) -> Ledger:
    if not ledger.exists():
        raise Refused(Text(zh=text("no_ledger", "zh"), en=text("no_ledger", "en")))
    try:
        return Ledger.open(ledger, create=False)
    except LedgerError as exc:
        raise Refused(exc.text) from None


def _find(led: Ledger, ref: str) -> RoundInfo:
    try:
        return led.find_round(ref)
    except LedgerError as exc:
        raise Refused(exc.text) from None


def _nonempty(info: RoundInfo, count: int) -> None:
    if not count:
        raise Refused(Text(**{g: word("u_empty_round", g, round=info.label.get(g)) for g in ("zh", "en")}))


def _round(led: Ledger, ref: str) -> tuple[RoundInfo, list[GradedRow]]:
    """The round ``ref`` names and its branches as the ledger's columns give them (what compare reads)."""
    info = _find(led, ref)
    rows = led.graded_rows(info.id)
    _nonempty(info, len(rows))
    return info, rows


def rounds_of(ledger: Path) -> list[RoundInfo]:
    if not ledger.exists():
        return []
    with Ledger.open(ledger, create=False) as led:
        return led.rounds()


def notices_of(ledger: Path) -> dict[int, Notice]:
    """Each current round's latest notice, by round id (rounds never published are left out)."""
    if not ledger.exists():
        return {}
    with Ledger.open(ledger, create=False) as led:
        found = {info.id: latest_notice(led, info.id) for info in led.rounds()}
    return {k: n for k, n in found.items() if n is not None}


def movement_between(ledger: Path, before: str, after: str) -> Movement:
    """The movement from round ``before`` to round ``after`` (ids or year-stage), as ``compare`` says."""
    with open_ledger(ledger) as led:
        sides = [side_of(*_round(led, ref)) for ref in (before, after)]
    try:
        return compare(*sides)
    except MovementError as exc:
        raise Refused(exc.text) from None


@dataclass(frozen=True)
class ReplayAnswer:
    round: Text
    branches: int
    notes: tuple[str, ...]
    result: Replay


def replay_round(
    ledger: str, round_ref: str, profile_ref: str, settings: list[str], lang: Lang
) -> ReplayAnswer:
    """Replay a recorded round under ``profile_ref`` with ``settings`` (``NAME=VALUE``), as the CLI's
    ``replay`` does; run in a process of its own (see the module text)."""
    try:
        profile, changed, engine_name = replay_profile(profile_ref, settings)
    except SettingError as exc:
        raise Refused(exc.text) from None
    with open_ledger(Path(ledger)) as led:
        info = _find(led, round_ref)
        try:
            stored = led.stored_branches(info.id)
        except LedgerError as exc:
            raise Refused(exc.text) from None
    _nonempty(info, len(stored))
    # this process is the replay's own already: no further pool
    result, notes = replay_recorded(info, stored, profile, engine_name, 0, changed, lang)
    return ReplayAnswer(info.label, len(stored), tuple(notes), result)


def _in_a_process(
    ledger: str, round_ref: str, profile_ref: str, settings: list[str], lang: Lang
) -> ReplayAnswer:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(replay_round, ledger, round_ref, profile_ref, settings, lang).result()
        except BrokenProcessPool:
            raise Refused(Text(zh=text("replay_died", "zh"), en=text("replay_died", "en"))) from None


def item_figures(ledger: Path, lang: Lang) -> dict[str, object]:
    """The 整改台账 page's figures: items per general branch by state, open and overdue counts."""
    with open_ledger(ledger) as led:
        rows = ledger_rows(led, lang)
    today = datetime.date.today()
    states = list(
        dict.fromkeys(
            state_label(s, lang)
            for s in (None, "todo", "doing", "done", "closed", "not_applicable", "carried", "ineffective")
        )
    )
    groups: dict[str, Counter[str]] = {}
    table = []
    for row in rows:
        groups.setdefault(row.general_branch, Counter())[state_label(row.state, lang)] += 1
    for general in sorted(groups):
        members = [r for r in rows if r.general_branch == general]
        table.append(
            (
                general,
                len(members),
                sum(r.open for r in members),
                sum(r.overdue(today) for r in members),
                sum(r.conflicts > 0 for r in members),
            )
        )
    used = [s for s in states if any(c[s] for c in groups.values())]
    chart = charts.stacked_chart(
        text("items_by_state", lang), used, [(g, [c[s] for s in used]) for g, c in sorted(groups.items())]
    )
    return {"item_rows": table, "item_chart": chart, "item_total": len(rows)}


def routes(site: Site) -> list[Route]:
    ledger = site.collections.ledger
    imports = site.collections.data / "imports"

    def written(write: Callable[[Path], object]) -> bytes:
        """The bytes of the workbook ``write`` writes to the path it is given, in a scratch folder of the
        server's data folder that is gone once read (a download is never kept)."""
        with tempfile.TemporaryDirectory(dir=site.collections.data) as scratch:
            target = Path(scratch) / "book.xlsx"
            write(target)
            return target.read_bytes()

    def ledger_page(request: Request, status: int = 200, **ctx: object) -> Response:
        site.officer(request)
        lang = lang_of(request)
        try:
            figures = item_figures(ledger, lang)
        except Refused as exc:
            figures = {"ledger_error": exc.said.get(lang)}
        return site.render(
            request,
            "ledger.html",
            status,
            **figures,
            rounds=rounds_of(ledger),
            notices=notices_of(ledger),
            L=lambda k, **f: label(k, lang, **f),
            **ctx,
        )

    async def show_ledger(request: Request) -> Response:
        return ledger_page(request)

    async def import_returned(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=site.limits.collect_files, max_fields=3) as form:
            uploads = [f for f in form.getlist("lists") if isinstance(f, UploadFile) and f.filename]
            if not uploads:
                return ledger_page(request, 400, error=text("no_file", lang))
            folder = imports / secrets.token_urlsafe(16)  # kept: what officers imported is never lost
            folder.mkdir(parents=True)
            taken: set[str] = set()
            saved: list[tuple[Path, str]] = []
            for f in uploads:
                name = safe_name(f.filename or "", taken)
                (folder / name).write_bytes(await f.read())
                saved.append((folder / name, f.filename or name))

        def run() -> list[ImportOutcome]:
            with open_ledger(ledger) as led:
                return import_lists(led, [p for p, _ in saved], [n for _, n in saved])

        try:
            outcomes = await anyio.to_thread.run_sync(run)
        except Refused as exc:
            return ledger_page(request, 400, error=exc.said.get(lang))
        return ledger_page(request, outcomes=outcomes)

    async def export_ledger(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        name = label("ledger_book_name", lang)

        def run() -> bytes:
            with open_ledger(ledger) as led:
                return written(lambda target: write_ledger_workbook(led, target, lang))

        try:
            data = await anyio.to_thread.run_sync(run)
        except Refused as exc:
            return ledger_page(request, 400, error=exc.said.get(lang))
        return workbook_response(data, name)

    async def publish_round(request: Request) -> Response:
        """Record a round's public notice (公示) and answer with its workbook, through the library call the
        ``publish`` command makes."""
        site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=0, max_fields=5) as form:
            round_ref = str(form.get("round") or "")
            first, days, contact = (str(form.get(k) or "").strip() for k in ("from", "days", "contact"))
        start = typed_date(first)
        if start is None:
            return ledger_page(request, 400, error=text("notice_bad_date", lang))
        count = int(days) if days.isdigit() else 0  # the library refuses a period under one day

        def run() -> bytes:
            with open_ledger(ledger) as led:
                return written(
                    lambda target: publish_notice(led, round_ref, start, count, contact, target, lang)
                )

        try:
            data = await anyio.to_thread.run_sync(run)
        except Refused as exc:
            return ledger_page(request, 400, error=exc.said.get(lang))
        except NoticeRefused as exc:
            return ledger_page(request, 400, error=exc.text.get(lang))
        return workbook_response(data, label("nt_book_name", lang))

    async def published_workbook(request: Request) -> Response:
        """The round's latest notice as its workbook again (nothing recorded: the notice stands)."""
        site.officer(request)
        lang = lang_of(request)
        round_id = request.path_params["round"]

        def run() -> bytes | None:
            with open_ledger(ledger) as led:
                notice = latest_notice(led, round_id)
                if notice is None:
                    return None
                return written(lambda target: write_published(led, notice, target, lang))

        try:
            data = await anyio.to_thread.run_sync(run)
        except Refused as exc:
            return site.render(request, "error.html", 404, message=exc.said.get(lang))
        if data is None:
            raise HTTPException(404)
        return workbook_response(data, label("nt_book_name", lang))

    def movement_of(request: Request) -> tuple[str, str]:
        before, after = request.query_params.get("a", ""), request.query_params.get("b", "")
        if not before.isdigit() or not after.isdigit():
            raise HTTPException(404)
        return before, after

    async def compare_page(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        rounds = await anyio.to_thread.run_sync(rounds_of, ledger)
        ctx: dict[str, Any] = {"rounds": rounds, "w": lambda k, **f: word(k, lang, **f)}
        if "a" in request.query_params:
            before, after = movement_of(request)
            ctx.update(a=int(before), b=int(after))
            try:
                m = await anyio.to_thread.run_sync(movement_between, ledger, before, after)
            except Refused as exc:
                return site.render(request, "compare.html", 400, error=exc.said.get(lang), **ctx)
            ctx.update(movement_charts(m, lang), m=m)
        return site.render(request, "compare.html", **ctx)

    async def compare_workbook(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        before, after = movement_of(request)
        from engine.movement.report import write_workbook

        def run() -> tuple[bytes, str]:
            m = movement_between(ledger, before, after)
            title = word("title", lang, before=m.before_label.get(lang), after=m.after_label.get(lang))
            data = written(lambda target: write_workbook(m, target, lang))
            return data, title.replace("\\", " ").replace("/", " ") + ".xlsx"

        try:
            data, name = await anyio.to_thread.run_sync(run)
        except Refused as exc:
            return site.render(request, "error.html", 400, message=exc.said.get(lang))
        return workbook_response(data, name)

    def replay_view(request: Request, status: int = 200, **ctx: object) -> Response:
        lang = lang_of(request)
        profiles = [site.choice.profile(e.name) for e in site.choice.entries]
        return site.render(
            request,
            "replay.html",
            status,
            rounds=rounds_of(ledger),
            profiles=profiles,
            w=lambda k, **f: word(k, lang, **f),
            **ctx,
        )

    async def replay_page(request: Request) -> Response:
        site.officer(request)
        return replay_view(request)

    async def replay_post(request: Request) -> Response:
        site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=0, max_fields=5) as form:
            round_ref = str(form.get("round") or "")
            profile = str(form.get("profile") or "")
            typed = str(form.get("settings") or "")
        settings = [line.strip() for line in typed.splitlines() if line.strip()]
        asked = {"round": round_ref, "profile": profile, "settings": typed}
        if profile not in [e.name for e in site.choice.entries]:  # only the profiles of this server
            return replay_view(request, 400, error=text("not_found", lang), asked=asked)
        try:
            answer = await anyio.to_thread.run_sync(
                _in_a_process, str(ledger), round_ref, profile, settings, lang
            )
        except Refused as exc:
            return replay_view(request, 400, error=exc.said.get(lang), asked=asked)
        r = answer.result
        matrix = charts.matrix_chart(
            word("r_matrix", lang),
            [g.name.get(lang) for g in r.grades],
            r.matrix,
            word("matrix_corner", lang),
        )
        return replay_view(request, answer=answer, matrix=matrix, asked=asked)

    return [
        Route("/ledger", show_ledger),
        Route("/ledger/import", import_returned, methods=["POST"]),
        Route("/ledger/export.xlsx", export_ledger),
        Route("/notice", publish_round, methods=["POST"]),
        Route("/notice/{round:int}/notice.xlsx", published_workbook),
        Route("/compare", compare_page),
        Route("/compare/movement.xlsx", compare_workbook),
        Route("/replay", replay_page),
        Route("/replay", replay_post, methods=["POST"]),
    ]


def workbook_response(data: bytes, name: str) -> Response:
    """A workbook download named ``name``."""
    return Response(data, media_type=XLSX, headers={"content-disposition": attachment(name)})


def movement_charts(m: Movement, lang: Lang) -> dict[str, object]:
    names = [g.name.get(lang) for g in m.grades]
    return {
        "matrix": charts.matrix_chart(word("s_matrix", lang), names, m.matrix, word("matrix_corner", lang)),
        "directions": charts.bar_chart(
            word("direction", lang),
            [(word(d, lang), len(m.moved(d)), str(len(m.moved(d)))) for d in ("up", "same", "down")],
        ),
        "items_chart": charts.bar_chart(
            word("item_status", lang),
            [
                (word(s, lang), m.item_count(s), str(m.item_count(s)))
                for s in ("opened", "closed", "still_open")
            ],
        ),
    }
