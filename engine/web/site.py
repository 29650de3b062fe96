"""What every page module shares: the rendering of a page, the CSRF-checked form, the officer check, the
held self-check answers and the login / code throttles.

``create_app`` (app.py) builds one ``Site``; the page modules (app.py itself, submission_pages.py,
year_pages.py) add their routes over it. Nothing here grades.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from engine.profiles import ProfileChoice
from schemas.common import Lang
from schemas.results import BranchResult

from .batches import Collections
from .security import CSRF_FIELD, LANG_COOKIE, SID_COOKIE, Limits, csrf_ok, csrf_token
from .store import Store
from .texts import text

ANSWER_SECONDS = 30 * 60  # how long a self-check's list (and workbook, for submitting it) is held
ANSWERS_KEPT = 200
ANSWER_BYTES = 256 * 1024 * 1024  # at most this much held in memory for all answers together
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Held:
    """A self-check's answer, held in memory for the browser session that asked for it: its
    rectification list and, for an explicit submission afterwards, the workbook and its result."""

    sid: str
    expires: float
    data: bytes
    name: str
    workbook: bytes = b""
    file: str = ""
    result: BranchResult | None = None

    @property
    def size(self) -> int:
        return len(self.data) + len(self.workbook)


class Answers:
    """Self-check answers kept in memory only (never on disk), each for a while and for one session;
    the oldest go first when more than ``ANSWERS_KEPT`` or ``ANSWER_BYTES`` would be held."""

    def __init__(self, kept: int = ANSWERS_KEPT, budget: int = ANSWER_BYTES) -> None:
        self._held: dict[str, Held] = {}
        self._lock = threading.Lock()
        self.kept, self.budget = kept, budget

    def keep(self, held: Held) -> str:
        token = secrets.token_urlsafe(24)
        now = time.time()
        with self._lock:
            for key in [k for k, v in self._held.items() if v.expires < now]:
                del self._held[key]
            while self._held and (
                len(self._held) >= self.kept
                or sum(h.size for h in self._held.values()) + held.size > self.budget
            ):
                del self._held[next(iter(self._held))]
            self._held[token] = held
        return token

    def get(self, token: str, sid: str) -> Held | None:
        with self._lock:
            held = self._held.get(token)
        if held is None or held.expires < time.time() or not secrets.compare_digest(held.sid, sid):
            return None
        return held


@dataclass
class Throttle:
    """Failures per key (a user name, a client address): after ``tries`` in ``window`` seconds, wait."""

    tries: int = 5
    window: int = 600
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, key: str) -> bool:
        recent = self._failures.get(key, deque())
        while recent and recent[0] < time.time() - self.window:
            recent.popleft()
        return len(recent) >= self.tries

    def failed(self, key: str) -> None:
        self._failures.setdefault(key, deque()).append(time.time())


def lang_of(request: Request) -> Lang:
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"


def typed_date(typed: str) -> datetime.date | None:
    """A date field's value (a browser's date input sends 2012-12-03), or None when it is not one."""
    try:
        return datetime.date.fromisoformat(typed.strip())
    except ValueError:
        return None


def attachment(name: str) -> str:
    """A Content-Disposition for a download named ``name`` (any language; ASCII stand-in for old clients)."""
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{urllib.parse.quote(name)}"


@dataclass
class Site:
    """The app's shared parts (see the module text)."""

    store: Store
    collections: Collections
    choice: ProfileChoice
    limits: Limits
    env: Environment
    answers: Answers = field(default_factory=Answers)
    state: dict[str, Any] = field(default_factory=dict)  # the lifespan's warm pools

    def render(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = lang_of(request)
        t: Callable[..., str] = lambda key, **fmt: text(key, lang, **fmt)  # noqa: E731
        page = self.env.get_template(name).render(
            request=request,
            lang=lang,
            t=t,
            user=request.state.user,
            csrf=csrf_token(self.store.secret, request.state.sid),
            csrf_field=CSRF_FIELD,
            **ctx,
        )
        return HTMLResponse(page, status_code=status)

    @asynccontextmanager
    async def form(self, request: Request, **limits: int) -> AsyncIterator[FormData]:
        """The request's form, refused (403) without the session's CSRF token; its files are closed
        (their spooled bytes gone) when the block ends."""
        try:
            form = await request.form(**limits)
        except MultiPartException as exc:
            raise HTTPException(400, detail=str(exc)) from None
        try:
            if not csrf_ok(self.store.secret, request.cookies.get(SID_COOKIE), form.get(CSRF_FIELD)):
                raise HTTPException(403)
            yield form
        finally:
            await form.close()

    @staticmethod
    def officer(request: Request) -> str:
        """The logged-in officer's name; anyone else is sent to the login page (401)."""
        user: str | None = request.state.user
        if user is None:
            raise HTTPException(401)
        return user
