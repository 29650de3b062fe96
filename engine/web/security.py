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

from starlette.types import ASGIApp, Receive, Scope, Send

from schemas.common import Lang

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


class BodyLimit:
    """Refuses (413) a request whose body is larger than its path allows, by its Content-Length, before
    the form parser reads (or spools to disk) any of it; a body without a length is refused (411)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits

    def limit(self, path: str) -> int:
        if path == "/check":
            return self.limits.check_bytes
        if path in ("/collect", "/ledger/import"):
            return self.limits.collect_bytes
        return self.limits.form_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        length = next((value for key, value in scope["headers"] if key == b"content-length"), None)
        if length is None or not length.isdigit():
            # Browsers send a form's length; the server reads exactly that many bytes, so checking it
            # bounds the body. A body of unknown length (chunked) is refused before any of it is read.
            await _refuse(scope, send, limit, 411)
        elif int(length) > limit:
            await _refuse(scope, send, limit, 413)
        else:
            await self.app(scope, receive, send)


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit} B"


async def _refuse(scope: Scope, send: Send, limit: int, status: int) -> None:
    from .texts import text

    lang: Lang = "en" if _cookie(scope, LANG_COOKIE) == "en" else "zh"
    key = "too_large" if status == 413 else "length_required"
    body = text(key, lang, limit=megabytes(limit)).encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            assert isinstance(value, bytes)
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return str(v)
    return None
