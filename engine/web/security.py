"""What keeps the pages safe: the session cookie, CSRF tokens, upload limits and security headers.

Every visitor gets a session id in an HttpOnly, SameSite=Lax cookie (``bg_sid``). An officer's login
replaces it with a new id the store knows (so a session id planted before login is worth nothing); an
anonymous id is known nowhere and only ties a self-check's download to the browser that asked for it.
Every form that changes something carries a CSRF token, an HMAC of the session id under the server's
secret: a page of another site can neither read it nor compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SID_COOKIE = "bg_sid"
LANG_COOKIE = "bg_lang"
CSRF_FIELD = "csrf"

HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass(frozen=True)
class Limits:
    """What one request may upload: a self-check's workbook, an officer's collection (files and total)."""

    check_bytes: int = 25 * 1024 * 1024
    collect_bytes: int = 1024 * 1024 * 1024
    collect_files: int = 2000
    file_bytes: int = 100 * 1024 * 1024  # one file of a collection (a zip may be large)
    form_bytes: int = 64 * 1024  # any other form (login, language)


def new_sid() -> str:
    return secrets.token_urlsafe(32)


def csrf_token(secret: bytes, sid: str) -> str:
    return hmac.new(secret, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, sid: str | None, token: object) -> bool:
    return bool(sid) and isinstance(token, str) and hmac.compare_digest(csrf_token(secret, sid or ""), token)


class TooLarge(HTTPException):
    """Raised while the body arrives, inside the app: its exception handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=str(limit))


class BodyLimit:
    """Refuses (413) a request whose body is larger than its path allows, by its Content-Length when
    given and by counting what arrives otherwise, before the form parser writes any of it anywhere."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    def limit(self, path: str) -> int:
        if path == "/check":
            return self.limits.check_bytes
        if path == "/collect":
            return self.limits.collect_bytes
        return self.limits.form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        for key, value in scope["headers"]:
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await _refuse(scope, send, limit)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        await self.app(scope, counted, send)


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit} B"


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    from .texts import text

    lang = "en" if _cookie(scope, LANG_COOKIE) == "en" else "zh"
    body = text("too_large", lang, limit=megabytes(limit)).encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None
