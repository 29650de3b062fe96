"""Reading an xlsx back the way a person sees it, for the writers' equivalence tests: a cell is its value,
type and every visible style property; a package is its parts with the clock readings masked."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")  # docProps/core.xml's created / modified


def color(value: Any) -> Any:
    return None if value is None else (value.type, value.value, value.tint)


def side(value: Any) -> Any:
    return (value.style, color(value.color))


def cell(value: Any) -> tuple[Any, ...]:
    font, fill, align, border, prot = value.font, value.fill, value.alignment, value.border, value.protection
    return (
        value.value,
        value.data_type,
        (font.name, font.sz, font.b, font.i, font.u, font.strike, color(font.color)),
        (fill.fill_type, color(fill.fgColor), color(fill.bgColor)),
        (align.horizontal, align.vertical, align.wrap_text, align.shrink_to_fit, align.indent),
        tuple(side(s) for s in (border.left, border.right, border.top, border.bottom, border.diagonal)),
        value.number_format,
        (prot.locked, prot.hidden),
    )


def package_parts(data: bytes) -> dict[str, bytes]:
    """Every part of the package, in order, with the clock readings masked (the zip must be sound)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        return {name: STAMP.sub(b"<time>", package.read(name)) for name in package.namelist()}
