"""Console output that never fails on encoding: Chinese Windows consoles (GBK / cp936), output redirected
to a file or a pipe in whatever encoding the system picks, and plain ASCII.

Python raises ``UnicodeEncodeError`` when a character has no code in the stream's encoding (``✓`` has
none in GBK). :func:`make_streams_safe` gives ``sys.stdout`` and ``sys.stderr`` an error handler that
writes a plain stand-in instead — the first of its :data:`FALLBACKS` the encoding can write (``✓`` → ``√``
in GBK, ``OK`` in ASCII), else ``?``. Every writer goes through those streams (rich's consoles, typer's
help and usage errors, click), so none of them can fail on a character.
"""

from __future__ import annotations

import codecs
import sys

__all__ = ["ERROR_HANDLER", "FALLBACKS", "can_encode", "make_streams_safe"]

ERROR_HANDLER = "branchgrade-fallback"

# A character the CLI or its libraries print -> plain stand-ins, best first. GBK has √, ×, ·, —, “”, ≥, ≤
# and → (checked by tests/test_console_encoding.py); ASCII has none of them.
FALLBACKS: dict[str, tuple[str, ...]] = {
    "✓": ("√", "OK"),
    "✔": ("√", "OK"),
    "✗": ("×", "x"),
    "✘": ("×", "x"),
    "×": ("x",),
    "√": ("OK",),
    "›": (">",),
    "…": ("...",),
    "—": ("-",),
    "–": ("-",),
    "≥": (">=",),
    "≤": ("<=",),
    "→": ("->",),
    "•": ("*",),
    "·": (".",),
    "“": ('"',),
    "”": ('"',),
    "‘": ("'",),
    "’": ("'",),
    "━": ("-",),
    "─": ("-",),
    "│": ("|",),
    "\u00a0": (" ",),
}


def can_encode(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _stand_in(char: str, encoding: str) -> str:
    for candidate in FALLBACKS.get(char, ()):
        if can_encode(candidate, encoding):
            return candidate
    return "?"


def _fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start : exc.end]
    return "".join(_stand_in(c, exc.encoding) for c in text), exc.end


codecs.register_error(ERROR_HANDLER, _fallback)


def make_streams_safe() -> None:
    """Make stdout and stderr write a stand-in for any character their encoding lacks, never raise.

    Streams that cannot be reconfigured (a test runner's capture buffer) are left as they are."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ERROR_HANDLER)
