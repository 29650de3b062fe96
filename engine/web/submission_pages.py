"""The pages of submitting to a round: the secretary's explicit submission of a self-checked workbook
with the branch's code, and the officers' rounds, codes and submissions (engine/web/submissions.py).

The workbook submitted is the one the same browser self-checked a moment ago, held in memory with its
answer (site.Answers): nothing is stored before the code is accepted. Wrong codes count against the
client's address: after ``CODE_TRIES`` in ten minutes even a right one waits.
"""

from __future__ import annotations

import csv
import io
import re
from contextlib import ExitStack

import anyio
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from engine.export.i18n import label
from engine.ledger import Ledger
from engine.ledger.cli import RecordingRefused, open_recording
from engine.profiles import AUTO
from engine.roster import RosterError, read_roster
from schemas.common import Lang

from .batches import safe_name
from .site import Site, Throttle, attachment, lang_of, typed_date
from .submissions import Intake, IntakeRound, SubmissionRefused
from .texts import text

CODE_TRIES = 10
_BRANCH_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_\-]*)[\s,，、\t]*(.*?)\s*$")


def stages_text(site: Site, profile: str = AUTO) -> list[str]:
    """The stages a round can be: those of ``profile``, or of every profile of this server (auto)."""
    names = [e.name for e in site.choice.entries if profile in (AUTO, e.name)]
    return list(dict.fromkeys(s.name for name in names for s in site.choice.profile(name).stages))


def profile_refused(site: Site, profile: str, lang: Lang) -> str | None:
    """Why ``profile`` cannot grade a round of this server (None: it can — auto or one of its profiles)."""
    names = [e.name for e in site.choice.entries]
    if profile == AUTO or profile in names:
        return None
    return text("bad_profile", lang, profile=profile, profiles=label("list_sep", lang).join(names))


def parse_branches(lines: str) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """Branches typed one a line (``JD-01 机电工程学院教工党支部``): the (id, name) pairs and the lines that
    name no branch id (line number, text). Empty lines are skipped."""
    found: list[tuple[str, str]] = []
    bad: list[tuple[int, str]] = []
    for n, line in enumerate(lines.splitlines(), start=1):
        if not line.strip():
            continue
        match = _BRANCH_LINE.match(line)
        if match is None:
            bad.append((n, line.strip()))
        else:
            found.append((match.group(1), match.group(2)))
    return found, bad


def routes(site: Site, intake: Intake) -> list[Route]:
    throttle = Throttle(CODE_TRIES, 600)

    # --- the secretary ---------------------------------------------------------------------------------

    async def submit(request: Request) -> Response:
        lang = lang_of(request)
        async with site.form(request, max_files=0, max_fields=4) as form:
            token, typed = str(form.get("token", "")), str(form.get("code", ""))
        held = site.answers.get(token, request.state.sid)
        if held is None:
            return site.render(request, "error.html", 404, message=text("expired", lang))
        client = request.client.host if request.client else "?"

        def again(status: int, message: str) -> Response:
            return site.render(
                request,
                "submit.html",
                status,
                held=held,
                token=token,
                current=intake.current(),
                error=message,
            )

        if throttle.blocked(client):
            return again(429, text("code_throttled", lang))
        try:
            done = await anyio.to_thread.run_sync(intake.submit, typed, held.workbook, held.file, held.result)
        except SubmissionRefused as exc:
            if exc.key in ("code_unknown", "code_other_round", "code_replaced", "code_used"):
                throttle.failed(client)
            return again(400 if exc.key != "no_round_open" else 409, exc.message(lang))
        return site.render(request, "submitted.html", submission=done, round=intake.round(done.round_id))

    # --- officers --------------------------------------------------------------------------------------

    def round_of(request: Request) -> IntakeRound:
        site.officer(request)
        found = intake.round(request.path_params["round"])
        if found is None:
            raise HTTPException(404)
        return found

    def round_page(request: Request, found: IntakeRound, status: int = 200, **ctx: object) -> Response:
        codes = intake.codes(found.id)
        submissions = intake.submissions(found.id)
        submitted = {s.branch_id for s in submissions}
        return site.render(
            request,
            "intake.html",
            status,
            round=found,
            codes=codes,
            submissions=submissions,
            waiting=[c for c in codes if c.branch_id not in submitted],
            **ctx,
        )

    def rounds_view(request: Request, status: int = 200, **ctx: object) -> Response:
        site.officer(request)
        rows = []
        if site.collections.ledger.exists():
            with Ledger.open(site.collections.ledger) as led:
                for info in led.rounds(include_replaced=True):
                    rows.append((info, len(led.branch_grades(info.id))))
        profiles = [site.choice.profile(e.name) for e in site.choice.entries]
        return site.render(
            request,
            "rounds.html",
            status,
            rounds=rows,
            profiles=profiles,
            intake_rounds=intake.rounds(),
            stages=stages_text(site),
            **ctx,
        )

    async def rounds_page(request: Request) -> Response:
        return rounds_view(request)

    async def open_round(request: Request) -> Response:
        user = site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=0, max_fields=6) as form:
            year_text = str(form.get("year") or "").strip()
            stage = str(form.get("stage") or "").strip()
            deadline = str(form.get("deadline") or "").strip() or None
            profile = str(form.get("profile") or AUTO).strip()
        error = profile_refused(site, profile, lang)
        if error is not None:
            pass
        elif not (year_text.isdigit() and len(year_text) == 4):
            error = text("bad_year", lang)
        elif stage not in stages_text(site, profile):
            error = text("bad_stage", lang, stage=stage, stages="、".join(stages_text(site, profile)))
        elif deadline is not None:
            day = typed_date(deadline)
            if day is None:
                error = text("bad_deadline", lang)
            else:
                deadline = day.isoformat()
        if error is not None:
            return rounds_view(request, 400, error=error)
        opened = await anyio.to_thread.run_sync(
            intake.open_round, int(year_text), stage, deadline, user, profile
        )
        return RedirectResponse(f"/intake/{opened.id}", 303)

    async def show(request: Request) -> Response:
        return round_page(request, round_of(request))

    async def close(request: Request) -> Response:
        found = round_of(request)
        async with site.form(request, max_files=0, max_fields=2):
            pass
        intake.close_round(found.id)
        return RedirectResponse(f"/intake/{found.id}", 303)

    async def issue(request: Request) -> Response:
        found = round_of(request)
        user = site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=1, max_fields=4) as form:
            branches, bad = parse_branches(str(form.get("branches") or ""))
            roster = form.get("roster")
            if isinstance(roster, UploadFile) and roster.filename:
                kept = intake.folder / str(found.id) / ("roster-" + safe_name(roster.filename, set()))
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_bytes(await roster.read())
                try:
                    entries = (await anyio.to_thread.run_sync(read_roster, kept)).entries
                    branches += [(e.branch_id, e.branch_name) for e in entries]
                except RosterError as exc:
                    messages = "；".join(p.render(lang) for p in exc.problems)
                    return round_page(request, found, 400, error=messages)
        if bad:
            shown = "；".join(text("bad_line", lang, line=n, text=line) for n, line in bad[:5])
            return round_page(request, found, 400, error=shown)
        if not branches:
            return round_page(request, found, 400, error=text("no_branches", lang))
        issued = await anyio.to_thread.run_sync(intake.issue, found.id, branches, user)
        return round_page(request, found, note=text("issued_n", lang, n=len(issued)))

    async def reissue(request: Request) -> Response:
        found = round_of(request)
        user = site.officer(request)
        async with site.form(request, max_files=0, max_fields=2) as form:
            branch = str(form.get("branch") or "")
        if await anyio.to_thread.run_sync(intake.reissue, found.id, branch, user) is None:
            raise HTTPException(404)
        return RedirectResponse(f"/intake/{found.id}#codes", 303)

    async def codes_csv(request: Request) -> Response:
        found = round_of(request)
        lang = lang_of(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([text(k, lang) for k in ("branch_id_head", "branch_name_head", "codes", "status")])
        for c in intake.codes(found.id):
            writer.writerow([c.branch_id, c.branch_name, c.shown, text("used" if c.used else "unused", lang)])
        name = f"{found.label.get(lang)} {text('codes', lang)}.csv"
        return Response(  # with a BOM: Excel on Chinese Windows reads it as UTF-8
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": attachment(name)},
        )

    async def submitted_file(request: Request) -> Response:
        found = round_of(request)
        kept = intake.submissions(found.id)
        n = request.path_params["n"]
        if not 0 <= n < len(kept):  # an index into the round's submissions: no name from the request
            raise HTTPException(404)
        sub = kept[n]
        return FileResponse(
            intake.path(sub), headers={"content-disposition": attachment(f"{sub.branch_id} {sub.file}")}
        )

    async def grade(request: Request) -> Response:
        found = round_of(request)
        user = site.officer(request)
        lang = lang_of(request)
        async with site.form(request, max_files=0, max_fields=3) as form:
            replace = form.get("replace") == "1"
        kept = intake.submissions(found.id)
        if not kept:
            return round_page(request, found, 400, error=text("nothing_submitted", lang))
        try:
            recording = await anyio.to_thread.run_sync(
                open_recording, found.stage, found.year, replace, site.collections.ledger, found.profile
            )
        except RecordingRefused as exc:
            return round_page(request, found, 400, error=exc.text.get(lang))
        with ExitStack() as files:
            uploads = [
                (f"{s.branch_id} {s.file}", files.enter_context(intake.path(s).open("rb"))) for s in kept
            ]
            batch_id = await anyio.to_thread.run_sync(
                site.collections.start, user, uploads, None, lang, recording, found.profile
            )
        return RedirectResponse(f"/c/{batch_id}", 303)

    return [
        Route("/check/submit", submit, methods=["POST"]),
        Route("/rounds", rounds_page),
        Route("/rounds/open", open_round, methods=["POST"]),
        Route("/intake/{round:int}", show),
        Route("/intake/{round:int}/close", close, methods=["POST"]),
        Route("/intake/{round:int}/codes", issue, methods=["POST"]),
        Route("/intake/{round:int}/reissue", reissue, methods=["POST"]),
        Route("/intake/{round:int}/codes.csv", codes_csv),
        Route("/intake/{round:int}/file/{n:int}", submitted_file),
        Route("/intake/{round:int}/grade", grade, methods=["POST"]),
    ]
