"""Charts as SVG made on the server: no script, no chart library, readable with styles off.

Each chart is an ``<svg>`` with a ``<title>`` and a text value beside every bar, so the numbers are there
for a screen reader and for copying, not only as lengths.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("#2e7d32", "#1565c0", "#f9a825", "#c62828", "#6a1b9a", "#00838f", "#5d4037")
ROW, LABEL_W, BAR_W, VALUE_W = 26, 250, 330, 70
LABEL_CHARS = 18  # a longer label is cut (…); the whole of it is the bar's tooltip and in the tables


def _label(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, float, str]],
    top: float | None = None,
    marks: Sequence[float | None] = (),
) -> Markup:
    """Horizontal bars: (label, value, shown value) each. The scale ends at ``top`` (default: the largest
    value); ``marks`` draws a line across row i at value ``marks[i]`` (a target)."""
    top = top or max((value for _, value, _ in rows), default=0) or 1
    height = ROW * len(rows) + 8
    width = LABEL_W + BAR_W + VALUE_W
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value, shown) in enumerate(rows):
        y = 4 + i * ROW
        length = BAR_W * value / top
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="13">{escape(_label(label))}'
            f"<title>{escape(label)}</title></text>"
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{color}">'
            f"<title>{escape(label)}: {escape(shown)}</title></rect>"
            f'<text x="{LABEL_W + length + 6:.1f}" y="{y + 17}" font-size="13">{escape(shown)}</text>'
        )
        mark = marks[i] if i < len(marks) else None
        if mark is not None:
            x = LABEL_W + BAR_W * mark / top
            parts.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + ROW - 2}" stroke="#1f2328"'
                f' stroke-width="2" stroke-dasharray="3 2"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_chart(title: str, legend: Sequence[str], rows: Sequence[tuple[str, Sequence[int]]]) -> Markup:
    """One bar per row, split into ``legend``'s parts (counts), the count written in each part."""
    top = max((sum(counts) for _, counts in rows), default=0) or 1
    height = ROW * (len(rows) + 1) + 8
    width = LABEL_W + BAR_W + VALUE_W
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    x = LABEL_W
    for i, name in enumerate(legend):  # the legend, first row
        color = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{color}"/>'
            f'<text x="{x + 16}" y="17" font-size="12">{escape(name)}</text>'
        )
        x += 16 + 14 * len(name) + 12
    for r, (label, counts) in enumerate(rows, start=1):
        y = 4 + r * ROW
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end" font-size="13">{escape(_label(label))}'
            f"<title>{escape(label)}</title></text>"
        )
        x0 = float(LABEL_W)
        for i, n in enumerate(counts):
            if not n:
                continue
            length = BAR_W * n / top
            color = PALETTE[i % len(PALETTE)]
            parts.append(
                f'<rect x="{x0:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW - 8}" fill="{color}">'
                f"<title>{escape(legend[i])} {n}</title></rect>"
            )
            if length >= 14:
                parts.append(
                    f'<text x="{x0 + length / 2:.1f}" y="{y + 16}" text-anchor="middle" font-size="11"'
                    f' fill="#fff">{n}</text>'
                )
            x0 += length
        parts.append(f'<text x="{x0 + 6:.1f}" y="{y + 17}" font-size="13">{sum(counts)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


CELL, HEAD_W = 58, 110


def matrix_chart(title: str, names: Sequence[str], matrix: Sequence[Sequence[int]], corner: str) -> Markup:
    """A migration matrix as a heat map: rows the grades before, columns the grades after, each cell's
    count written in it and its shade by the count; the diagonal (no move) outlined."""
    top = max((v for row in matrix for v in row), default=0) or 1
    n = len(names)
    width, height = HEAD_W + CELL * n + 8, ROW + CELL * n + 8
    parts = [
        f'<svg class="chart matrix" role="img" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<text x="4" y="{ROW - 8}" font-size="11" fill="#57606a">{escape(_label(corner))}</text>'
    ]
    for c, name in enumerate(names):
        x = HEAD_W + c * CELL + CELL / 2
        parts.append(
            f'<text x="{x:.0f}" y="{ROW - 8}" text-anchor="middle" font-size="13">{escape(name)}</text>'
        )
    for r, (name, row) in enumerate(zip(names, matrix, strict=True)):
        y = ROW + r * CELL
        parts.append(
            f'<text x="{HEAD_W - 8}" y="{y + CELL / 2 + 5:.0f}" text-anchor="end" font-size="13">'
            f"{escape(name)}</text>"
        )
        for c, value in enumerate(row):
            x = HEAD_W + c * CELL
            shade = 0.08 + 0.82 * value / top if value else 0.0
            stroke = ' stroke="#1f2328" stroke-width="2"' if r == c else ' stroke="#d0d7de"'
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" fill="#b71c1c"'
                f' fill-opacity="{shade:.2f}"{stroke}><title>{escape(name)} → {escape(names[c])}: {value}'
                f"</title></rect>"
                f'<text x="{x + CELL / 2 - 1:.0f}" y="{y + CELL / 2 + 5:.0f}" text-anchor="middle"'
                f' font-size="14" fill="{"#fff" if shade > 0.5 else "#1f2328"}">{value}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
