"""The web application: routes, the session and header middleware, and the pages' data.

``create_app(data)`` builds it; ``branchgrade serve`` runs it under uvicorn. The routes call the library
API (engine.pipeline through ``selfcheck`` and ``batches``; the export helpers for what a page shows);
nothing here grades.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine import pipeline
from engine.export.i18n import evidence_cells, fmt_num, label, source_text, status_label
from engine.export.path_text import path_lines
from engine.intake import list_file_stem
from engine.ledger import Ledger, RoundInfo
from engine.ledger.cli import RecordingRefused, open_recording
from engine.profiles import AUTO, ProfileChoice
from engine.review.record import ReviewRefused
from engine.rulebook.conditions import parse
from schemas.batch import BatchReport
from schemas.common import Lang, Severity, Text
from schemas.results import BranchResult

from . import charts, notice_pages, reviews, submission_pages, year_pages
from .batches import Collections, list_files, safe_name
from .reviews import branch_review
from .security import (
    HEADERS,
    LANG_COOKIE,
    SID_COOKIE,
    BodyLimit,
    Limits,
    megabytes,
    new_sid,
)
from .selfcheck import CheckAnswer, CheckPool
from .site import ANSWER_SECONDS, XLSX, Held, Site, Throttle, attachment, lang_of
from .store import SESSION_SECONDS, Store
from .submissions import Intake
from .texts import text

STATIC = Path(__file__).parent / "static"
LOGIN_TRIES, LOGIN_WINDOW = 5, 600  # failed logins per user name in a window (seconds)


def create_app(
    data: Path,
    *,
    limits: Limits | None = None,
    check_workers: int = 1,
    batch_workers: int | None = None,
    college: str | None = None,
) -> Starlette:
    """The app over the data folder ``data`` (accounts, sessions, collections). Its lifespan starts the
    warm self-check pool (``check_workers`` processes) and stops it. ``college`` (when given) is kept in
    the data folder as the name the pages and the summary workbooks print, as ``grade --college`` does;
    without it the name kept from an earlier start stays."""
    limits = limits or Limits()
    store = Store(data)
    if college is not None:
        store.set_college(college)
    college_name = store.college()
    collections = Collections(data, store, batch_workers, college_name)
    throttle = Throttle(LOGIN_TRIES, LOGIN_WINDOW)
    choice = ProfileChoice.from_ref("auto")  # the catalogue and grade names; grading loads its own
    env = Environment(loader=PackageLoader("engine.web", "templates"), autoescape=select_autoescape())
    env.globals.update(
        fmt_num=fmt_num,
        evidence_cells=evidence_cells,
        source_text=source_text,
        label=label,
        path_lines=path_lines,
    )
    env.globals.update(status_label=status_label, Severity=Severity, college=college_name)
    env.filters["localtime"] = lambda ts: time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))
    site = Site(store, collections, choice, limits, env)
    intake = Intake(data, store)
    render, form_checked, officer, answers, state = (
        site.render,
        site.form,
        site.officer,
        site.answers,
        site.state,
    )

    # --- the secretary's self-check -------------------------------------------------------------------

    async def check_page(request: Request) -> Response:
        return render(request, "check.html")

    async def check(request: Request) -> Response:
        arrived = time.perf_counter()
        async with form_checked(request, max_files=1, max_fields=4) as form:
            upload = form.get("workbook")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return render(request, "check.html", 400, error=text("no_file", lang_of(request)))
            data = await upload.read()
            name = safe_name(upload.filename, set())
        lang = lang_of(request)
        asked = time.perf_counter()
        answer: CheckAnswer = await state["pool"].answer(data, name, lang)
        answered = time.perf_counter()
        token = None
        current = intake.current()
        if answer.result is not None and answer.list_bytes is not None:
            identity = answer.result.identity
            list_name = list_file_stem(identity.branch_id, identity.branch_name) + ".xlsx"
            held = Held(request.state.sid, time.time() + ANSWER_SECONDS, answer.list_bytes, list_name)
            if current is not None:  # held for the explicit submission that may follow, in memory only
                held = replace(held, workbook=data, file=name, result=answer.result)
            token = answers.keep(held)
        page = render(
            request,
            "checked.html",
            answer=answer,
            problems=answer.report.problems,
            result=answer.result,
            token=token,
            current=current,
        )
        # for Server-Timing: reading the upload, the pool's time (queueing included), the worker's own
        # share of it, and the page after it
        request.state.timings = {
            "form": (asked - arrived) * 1000,
            "pool": (answered - asked) * 1000,
            "worker": answer.worker_ms,
            "page": (time.perf_counter() - answered) * 1000,
        }
        return page

    async def check_list(request: Request) -> Response:
        held = answers.get(request.path_params["token"], request.state.sid)
        if held is None:
            return render(request, "error.html", 404, message=text("expired", lang_of(request)))
        return Response(held.data, media_type=XLSX, headers={"content-disposition": attachment(held.name)})

    # --- language, login ------------------------------------------------------------------------------

    async def switch_lang(request: Request) -> Response:
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"  # never a redirect off this site
        response = RedirectResponse(target, 303)
        code = request.path_params["code"]
        response.set_cookie(
            LANG_COOKIE, "en" if code == "en" else "zh", max_age=365 * 86400, httponly=True, samesite="lax"
        )
        return response

    async def login_page(request: Request) -> Response:
        return render(request, "login.html")

    async def login(request: Request) -> Response:
        async with form_checked(request, max_files=0, max_fields=5) as form:
            name, password = str(form.get("user", "")), str(form.get("password", ""))
        lang = lang_of(request)
        if throttle.blocked(name):
            return render(request, "login.html", 429, error=text("login_throttled", lang))
        ok = await anyio.to_thread.run_sync(store.check_login, name, password)
        if not ok:
            throttle.failed(name)
            return render(request, "login.html", 401, error=text("login_failed", lang))
        sid = store.start_session(name)  # a new id: one planted before login is worth nothing
        response = RedirectResponse("/collect", 303)
        _set_sid(request, response, sid, SESSION_SECONDS)
        return response

    async def logout(request: Request) -> Response:
        async with form_checked(request, max_files=0, max_fields=2):
            pass
        store.end_session(request.state.sid)
        response = RedirectResponse("/", 303)
        _set_sid(request, response, new_sid(), None)
        return response

    # --- officers: collections, dashboard, branch pages, downloads ------------------------------------

    def collect_form(request: Request, status: int = 200, error: str | None = None) -> Response:
        return render(
            request,
            "collect.html",
            status,
            batches=store.batches(),
            limits=limits,
            megabytes=megabytes,
            stages=stages(choice),
            profiles=[(e.name, choice.profile(e.name).title) for e in choice.entries],
            error=error,
        )

    async def collect_page(request: Request) -> Response:
        officer(request)
        return collect_form(request)

    async def collect(request: Request) -> Response:
        user = officer(request)
        lang = lang_of(request)
        async with form_checked(request, max_files=limits.collect_files + 1, max_fields=8) as form:
            uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
            roster = form.get("roster")
            stage = str(form.get("stage") or "").strip()
            year_text = str(form.get("year") or "").strip()
            year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
            profile = str(form.get("profile") or AUTO).strip()
            recording = None
            refusal = None
            refused_profile = submission_pages.profile_refused(site, profile, lang)
            if refused_profile is not None:
                refusal = 400, refused_profile
            elif year_text and year is None:
                refusal = 400, text("bad_year", lang)
            elif stage:
                replacing = form.get("replace") == "1"
                try:
                    recording = await anyio.to_thread.run_sync(
                        open_recording, stage, year, replacing, collections.ledger, profile
                    )
                except RecordingRefused as exc:
                    refusal = 400, exc.text.get(lang)
            if refusal is not None:
                pass
            elif not uploads:
                refusal = 400, text("no_file", lang)
            elif len(uploads) > limits.collect_files:
                refusal = 413, text("too_many", lang, limit=limits.collect_files)
            for f in uploads:
                if refusal is None and f.size is not None and f.size > limits.file_bytes:
                    refusal = (
                        413,
                        f"{f.filename}: " + text("too_large", lang, limit=megabytes(limits.file_bytes)),
                    )
            if refusal is not None:
                return collect_form(request, refusal[0], refusal[1])
            roster_upload = (
                (roster.filename or "roster.xlsx", roster.file)
                if isinstance(roster, UploadFile) and roster.filename
                else None
            )
            batch_id = await anyio.to_thread.run_sync(
                collections.start,
                user,
                [(f.filename or "", f.file) for f in uploads],
                roster_upload,
                lang,
                recording,
                profile,
            )
        return RedirectResponse(f"/c/{batch_id}", 303)

    def batch_of(request: Request) -> Any:
        officer(request)
        try:
            collections.folder(request.path_params["batch"])
        except KeyError:
            raise HTTPException(404) from None
        batch = store.batch(request.path_params["batch"])
        if batch is None:
            raise HTTPException(404)
        return batch

    def report_of(batch: Any) -> BatchReport:
        if batch.status != "done" or batch.run is None:
            raise HTTPException(404)
        return collections.report(batch.run)

    async def batch_page(request: Request) -> Response:
        batch = batch_of(request)
        if batch.status != "done":
            progress = collections.progress.get(batch.id)
            return render(request, "progress.html", batch=batch, progress=progress)
        report = report_of(batch)
        return render(
            request,
            "dashboard.html",
            batch=batch,
            report=report,
            **dashboard(report, choice, lang_of(request), batch.detail),
            lists=list_files(Path(batch.run)),
        )

    async def batch_progress(request: Request) -> Response:
        batch = batch_of(request)
        if batch.status == "done":
            response = Response(status_code=204)
            response.headers["hx-redirect"] = f"/c/{batch.id}"
            return response
        return render(request, "progress_part.html", batch=batch, progress=collections.progress.get(batch.id))

    async def branch_view(request: Request, status: int = 200, **ctx: Any) -> Response:
        batch = batch_of(request)
        report = report_of(batch)
        index = request.path_params["index"]
        if not 0 <= index < len(report.results):
            raise HTTPException(404)
        result = report.results[index]
        lists = list_files(Path(batch.run))
        prefix = list_file_stem(result.identity.branch_id, result.identity.branch_name)
        list_index = next((i for i, p in enumerate(lists) if p.stem == prefix), None)
        problems = [p for f in report.files if f.file == result.identity.file for p in f.problems]
        history = await anyio.to_thread.run_sync(
            branch_history, collections.ledger, result.identity.branch_id
        )
        reviewed = await anyio.to_thread.run_sync(
            branch_review,
            collections.ledger,
            batch.detail.get("rounds") or [],
            result.identity.branch_id,
            result.profile,
        )
        return render(
            request,
            "branch.html",
            status,
            batch=batch,
            result=result,
            index=index,
            list_index=list_index,
            problems=problems,
            history=history,
            review=reviewed,
            **ctx,
        )

    async def branch_page(request: Request) -> Response:
        return await branch_view(request)

    async def review_branch(request: Request) -> Response:
        batch = batch_of(request)
        user = officer(request)
        lang = lang_of(request)
        report = report_of(batch)
        index = request.path_params["index"]
        if not 0 <= index < len(report.results):
            raise HTTPException(404)
        async with form_checked(request, max_files=0, max_fields=6) as form:
            grade, reason = str(form.get("grade") or ""), str(form.get("reason") or "")
            score, exception = str(form.get("score") or ""), str(form.get("exception") or "")
        branch_id = report.results[index].identity.branch_id
        reviewed = await anyio.to_thread.run_sync(
            branch_review,
            collections.ledger,
            batch.detail.get("rounds") or [],
            branch_id,
            report.results[index].profile,
        )
        if reviewed is None:
            raise HTTPException(404)
        try:
            decided = (grade, reason, score, exception)
            await anyio.to_thread.run_sync(
                reviews.review, collections.ledger, reviewed.round.id, branch_id, decided, user
            )
        except ReviewRefused as exc:
            said = "；".join(p.message.get(lang) for p in exc.problems)
            asked = {"grade": grade, "reason": reason, "score": score, "exception": exception}
            return await branch_view(request, 400, error=said, asked=asked)
        return RedirectResponse(f"/c/{batch.id}/b/{index}#review", 303)

    async def download_list(request: Request) -> Response:
        batch = batch_of(request)
        report_of(batch)
        lists = list_files(Path(batch.run))
        n = request.path_params["n"]
        if not 0 <= n < len(lists):  # an index into what the run wrote: no name from the request
            raise HTTPException(404)
        return FileResponse(
            lists[n], media_type=XLSX, headers={"content-disposition": attachment(lists[n].name)}
        )

    async def download_all(request: Request) -> Response:
        batch = batch_of(request)
        report_of(batch)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:  # xlsx is compressed already
            for path in list_files(Path(batch.run)):
                archive.write(path, path.name)
        name = text("one_list", lang_of(request)) + ".zip"
        return Response(
            buffer.getvalue(),
            media_type="application/zip",
            headers={"content-disposition": attachment(name)},
        )

    async def download_summary(request: Request) -> Response:
        batch = batch_of(request)
        report_of(batch)
        run = Path(batch.run)
        path = next((run / n for n in pipeline.SUMMARY_NAME.values() if (run / n).is_file()), None)
        if path is None:
            raise HTTPException(404)
        return FileResponse(path, media_type=XLSX, headers={"content-disposition": attachment(path.name)})

    async def download_results(request: Request) -> Response:
        batch = batch_of(request)
        report_of(batch)
        return FileResponse(
            Path(batch.run) / pipeline.RESULTS_NAME,
            media_type="application/json",
            headers={"content-disposition": attachment(pipeline.RESULTS_NAME)},
        )

    # --- the rule catalogue ---------------------------------------------------------------------------

    async def rules_page(request: Request) -> Response:
        names = [e.name for e in choice.entries]
        wanted = request.query_params.get("profile", names[-1])
        if wanted not in names:
            raise HTTPException(404)
        profile = choice.profile(wanted)
        rows = []
        for rule in profile.rules:
            used = parse(rule.condition, rule.code).names() | parse(rule.applies, rule.code).names()
            params = [(n, profile.params[n]) for n in sorted(used) if n in profile.params]
            rows.append((rule, params))
        return render(request, "rules.html", profile=profile, names=names, rows=rows)

    # --- errors ---------------------------------------------------------------------------------------

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        lang = lang_of(request)
        if exc.status_code == 401:
            return RedirectResponse("/login", 303)
        if not hasattr(request.state, "sid"):
            request.state.sid, request.state.user = request.cookies.get(SID_COOKIE) or new_sid(), None
        message = {
            403: text("forbidden", lang),
            404: text("not_found", lang),
        }.get(exc.status_code, str(exc.detail))
        return render(request, "error.html", exc.status_code, message=message)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state["pool"] = await anyio.to_thread.run_sync(lambda: CheckPool(check_workers))
        try:
            yield
        finally:
            state["pool"].close()

    routes = [
        Route("/", check_page),
        Route("/check", check, methods=["POST"]),
        Route("/check/list/{token}", check_list),
        Route("/lang/{code}", switch_lang),
        Route("/login", login_page),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/collect", collect_page),
        Route("/collect", collect, methods=["POST"]),
        Route("/c/{batch}", batch_page),
        Route("/c/{batch}/progress", batch_progress),
        Route("/c/{batch}/b/{index:int}", branch_page),
        Route("/c/{batch}/b/{index:int}/review", review_branch, methods=["POST"]),
        Route("/c/{batch}/list/{n:int}", download_list),
        Route("/c/{batch}/lists.zip", download_all),
        Route("/c/{batch}/summary.xlsx", download_summary),
        Route("/c/{batch}/results.json", download_results),
        Route("/rules", rules_page),
        *submission_pages.routes(site, intake),
        *year_pages.routes(site),
        *notice_pages.routes(site),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(BodyLimit, limits=limits),
        Middleware(SessionHeaders, store=store),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )


def _set_sid(request: Request, response: Response, sid: str, max_age: int | None) -> None:
    response.set_cookie(
        SID_COOKIE, sid, max_age=max_age, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    request.state.sid_set = True


class SessionHeaders(BaseHTTPMiddleware):
    """Gives every visitor a session id (cookie), tells routes who is logged in, and adds the security
    headers (and no-store for pages: they may show a branch's results) to every response."""

    def __init__(self, app: Any, store: Store) -> None:
        super().__init__(app)
        self.store = store

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        sid = request.cookies.get(SID_COOKIE)
        fresh = not sid or len(sid) > 100
        if fresh:
            sid = new_sid()
        request.state.sid = sid
        request.state.sid_set = False
        static = request.url.path.startswith("/static/")
        started = time.perf_counter()
        request.state.user = None if fresh or static else self.store.session_user(sid or "")
        looked_up = time.perf_counter()
        response = await call_next(request)
        # the time this server spent on the request, for the browser's tools and bench/web.py
        timings = {
            "app": (time.perf_counter() - started) * 1000,
            "session": (looked_up - started) * 1000,
            **getattr(request.state, "timings", {}),
        }
        response.headers["server-timing"] = ", ".join(f"{k};dur={v:.1f}" for k, v in timings.items())
        if fresh and not request.state.sid_set:
            _set_sid(request, response, sid or "", None)
        for key, value in HEADERS.items():
            response.headers[key] = value
        if not static:
            response.headers["cache-control"] = "no-store"
        return response


def stages(choice: ProfileChoice) -> list[tuple[str, Text]]:
    """The rounds a collection can be recorded as: every stage the profiles name, in the year's order."""
    seen: dict[str, Text] = {}
    for entry in choice.entries:
        for stage in choice.profile(entry.name).stages:
            seen.setdefault(stage.name, stage.title)
    return list(seen.items())


def branch_history(ledger: Path, branch_id: str) -> list[tuple[RoundInfo, BranchResult]]:
    """The branch's result in every current round of the ledger, oldest first (none without a ledger)."""
    if not ledger.exists():
        return []
    out = []
    with Ledger.open(ledger) as led:
        for info in led.rounds():
            out += [(info, r.result) for r in led.branch_records(info.id, [branch_id])]
    return out


# --- what the dashboard shows -----------------------------------------------------------------------


def dashboard(
    report: BatchReport, choice: ProfileChoice, lang: Lang, detail: dict[str, Any]
) -> dict[str, Any]:
    """The dashboard's figures and charts from a run's results."""
    grades: dict[str, str] = {}  # code -> name, best first
    for name in sorted({r.profile for r in report.results}):
        for band in choice.profile(name).grading.grades:
            grades.setdefault(band.code, band.name.get(lang))
    counts = Counter(r.grade.code for r in report.results)
    for r in report.results:
        grades.setdefault(r.grade.code, r.grade.name.get(lang))
    distribution = charts.bar_chart(
        text("distribution", lang), [(grades[c], counts[c], str(counts[c])) for c in grades]
    )
    common_count: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for r in report.results:
        for code in {item.code for item in r.items}:
            common_count[code] += 1
        for item in r.items:
            titles.setdefault(item.code, f"{item.code} {item.title.get(lang)}")
    top = common_count.most_common(10)
    common = charts.bar_chart(text("common", lang), [(titles[c], n, str(n)) for c, n in top])
    general: dict[str, Counter[str]] = {}
    for r in report.results:
        key = r.identity.general_branch or text("no_general", lang)
        general.setdefault(key, Counter())[r.grade.code] += 1
    per_general = charts.stacked_chart(
        text("per_general", lang),
        list(grades.values()),
        [(name, [c[code] for code in grades]) for name, c in sorted(general.items())],
    )
    kpi_rows = [(k, "—" if k.actual is None else f"{k.actual:.0%}", f"{k.target:.0%}") for k in report.kpis]
    kpi_chart = charts.bar_chart(
        text("kpis", lang),
        [(f"{k.code} {k.title.get(lang)}", (k.actual or 0) * 100, shown) for k, shown, _ in kpi_rows],
        top=100,
        marks=[k.target * 100 for k, _, _ in kpi_rows],  # the target, as a dashed line across its bar
    )
    return {
        "distribution": distribution,
        "common": common,
        "per_general_chart": per_general,
        "kpi_rows": kpi_rows,
        "kpi_chart": kpi_chart,
        "roster": detail.get("roster"),
        "graded": len(report.results),
        "workbooks": sum(1 for f in report.files if f.status in ("graded", "ungradable", "duplicate")),
        "unplaced": [f for f in report.files if f.status != "graded"],
    }
