"""Matching people by name across sheets, as users actually type names.

The same person is written "张 三", "张三（书记）" or "张三(主讲)" in different registers; a lecture
register cell may name two lecturers ("张三、李四"). Matching is on a normalised key, never on raw text.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Bracketed suffixes in half- and full-width brackets: （书记） (主讲) 【支委】 [委员].
_BRACKETED = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
# Separators between several names in one cell. Only punctuation: splitting on a character such as 和
# would break names that contain it.
_SEPARATORS = re.compile(r"[、,，;；/／&＆]")
_SPACE = re.compile(r"\s+")  # includes the ideographic space U+3000


@lru_cache(maxsize=4096)  # the same few dozen names recur on every row of every register
def name_key(raw: str | None) -> str:
    """The comparison key of one name: bracketed parts and every kind of whitespace removed."""
    if not raw:
        return ""
    return _SPACE.sub("", _BRACKETED.sub("", raw))


def name_keys(raw: str | None) -> set[str]:
    """The keys of every name in a cell that may list several people ("张三、李四（主讲）")."""
    if not raw:
        return set()
    keys = {name_key(part) for part in _SEPARATORS.split(_BRACKETED.sub("", raw))}
    keys.discard("")
    return keys
