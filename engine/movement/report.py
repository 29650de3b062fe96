"""The compare outputs: a workbook with native charts (xlsxwriter) and JSON, each written atomically.

The workbook is for people (Chinese by default, ``lang="en"`` English): 概览 (the rounds, the counts, the
KPI movement), 等次迁移 (the matrix and a chart of the branches by grade in each round), 支部变动 (every
branch with its grades, totals and items), 整改事项（按规则） (items opened, closed and still open per
rule, charted) and 整改事项明细 (every item). The JSON carries the same for programs, texts in both
languages.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.export.atomic import atomic_path, atomic_write_bytes
from engine.export.i18n import review_text
from engine.movement.compare import DIRECTIONS, ITEM_STATES, KpiMove, Movement
from engine.movement.labels import word
from schemas.common import Lang, Text
from schemas.results import Grade, Review

CHART_RULES = 15  # rules shown in the items chart (the most items first); the table lists them all


def _text(t: Text) -> dict[str, str]:
    return {"zh": t.zh, "en": t.en}


def movement_json(m: Movement) -> dict[str, Any]:
    """The movement as JSON-ready data: codes and numbers as they are, texts as {"zh", "en"}."""

    def grade(g: Any) -> dict[str, Any]:
        return {"code": g.code, "name": _text(g.name)}

    return {
        "before": {"label": _text(m.before_label), "profile": m.before_profile, "branches": m.before_count},
        "after": {"label": _text(m.after_label), "profile": m.after_profile, "branches": m.after_count},
        "grades": [grade(g) for g in m.grades],
        "matrix": [list(row) for row in m.matrix],
        "counts": {
            **{d: len(m.moved(d)) for d in DIRECTIONS},
            "only_before": len(m.only_before),
            "only_after": len(m.only_after),
            **{s: m.item_count(s) for s in ITEM_STATES},
        },
        "branches": [
            {
                "branch_id": x.branch_id,
                "branch_name": x.branch_name,
                "general_branch": x.general_branch,
                "grade_before": x.before.code,
                "grade_after": x.after.code,
                "total_before": x.total_before,
                "total_after": x.total_after,
                "direction": x.direction,
                "items": {"opened": x.opened, "closed": x.closed, "still_open": x.still_open},
                "reviewed_before": _review(x.reviewed_before),
                "reviewed_after": _review(x.reviewed_after),
            }
            for x in m.moves
        ],
        "only_before": [
            {"branch_id": x.branch_id, "branch_name": x.branch_name, "grade": x.grade.code, "total": x.total}
            for x in m.only_before
        ],
        "only_after": [
            {"branch_id": x.branch_id, "branch_name": x.branch_name, "grade": x.grade.code, "total": x.total}
            for x in m.only_after
        ],
        "rules": [
            {
                "code": r.code,
                "title": _text(r.title),
                "opened": r.opened,
                "closed": r.closed,
                "still_open": r.still_open,
            }
            for r in m.rules
        ],
        "items": [{"branch_id": i.branch_id, "code": i.code, "state": i.state} for i in m.items],
        "kpis": [
            {
                "code": k.code,
                "title": _text(k.title),
                "target": k.target,
                "before": k.before,
                "after": k.after,
                "change_points": k.change,
                "met_before": k.met_before,
                "met_after": k.met_after,
            }
            for k in m.kpis
        ],
    }


def _review(r: Review | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {"code": r.grade.code, "name": _text(r.grade.name), "reason": r.reason, "reviewer": r.reviewer}


def write_json(m: Movement, path: Path) -> None:
    data = json.dumps(movement_json(m), ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"))


def _yes_no(value: bool | None, lang: Lang) -> str:
    return word("none", lang) if value is None else word("yes" if value else "no", lang)


def _share(value: float | None) -> float | str:
    return "—" if value is None else value


def write_workbook(m: Movement, path: Path, lang: Lang = "zh") -> None:
    """The movement as an .xlsx workbook at ``path`` (replaced atomically)."""
    import xlsxwriter

    with atomic_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp))
        try:
            _fill(book, m, lang)
        finally:
            book.close()


def _fill(book: Any, m: Movement, lang: Lang) -> None:
    def w(key: str, **fmt: object) -> str:
        return word(key, lang, **fmt)

    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    cell = book.add_format({"border": 1})
    pct = book.add_format({"border": 1, "num_format": "0.0%"})
    num = book.add_format({"border": 1, "num_format": "0.##"})
    bold = book.add_format({"bold": True, "border": 1})
    before, after = m.before_label.get(lang), m.after_label.get(lang)
    names = [g.name.get(lang) for g in m.grades]

    # 概览
    ws = book.add_worksheet(w("s_overview"))
    ws.set_column(0, 0, 22)
    ws.set_column(1, 7, 14)
    ws.write(0, 0, w("title", before=before, after=after), title)
    rows: list[tuple[str, object, object]] = [
        (w("round_before"), before, m.before_profile),
        (w("round_after"), after, m.after_profile),
    ]
    for i, (a, b, c) in enumerate(rows):
        ws.write_row(2 + i, 0, (a, b, c), cell)
    counts = [
        (w("branches") + f"（{before}）" if lang == "zh" else f"{w('branches')} ({before})", m.before_count),
        (w("branches") + f"（{after}）" if lang == "zh" else f"{w('branches')} ({after})", m.after_count),
        (w("in_both"), len(m.moves)),
        *((w(d), len(m.moved(d))) for d in DIRECTIONS),
        (w("only_before"), len(m.only_before)),
        (w("only_after"), len(m.only_after)),
        *((w(s), m.item_count(s)) for s in ITEM_STATES),
    ]
    for i, (name, n) in enumerate(counts):
        ws.write(5 + i, 0, name, head)
        ws.write_number(5 + i, 1, n, cell)
    top = 6 + len(counts)
    ws.write(top, 0, w("kpis"), title)
    ws.write_row(
        top + 1,
        0,
        [w(k) for k in ("kpi_code", "kpi_title", "target")]
        + [before, after]
        + [w(k) for k in ("change_pp", "met_before", "met_after")],
        head,
    )
    ws.set_column(1, 1, 40)
    for i, k in enumerate(m.kpis):
        _kpi_row(ws, top + 2 + i, k, lang, cell, pct, num)

    # 等次迁移
    ws = book.add_worksheet(w("s_matrix"))
    ws.set_column(0, len(names) + 1, 14)
    ws.write(0, 0, w("matrix_corner"), head)
    ws.write_row(0, 1, [*names, w("sum")], head)
    for i, counts_row in enumerate(m.matrix):
        ws.write(1 + i, 0, names[i], head)
        ws.write_row(1 + i, 1, counts_row, cell)
        ws.write_number(1 + i, 1 + len(names), sum(counts_row), bold)
    last = 1 + len(names)
    ws.write(last, 0, w("sum"), head)
    for c in range(len(names)):
        ws.write_number(last, 1 + c, sum(counts_row[c] for counts_row in m.matrix), bold)
    ws.write_number(last, 1 + len(names), sum(map(sum, m.matrix)), bold)
    chart = book.add_chart({"type": "column"})
    n = len(names)
    chart.add_series(
        {
            "name": before,
            "categories": [ws.name, 1, 0, n, 0],
            "values": [ws.name, 1, n + 1, n, n + 1],
        }
    )
    chart.add_series(
        {
            "name": after,
            "categories": [ws.name, 1, 0, n, 0],
            "values": [ws.name, n + 1, 1, n + 1, n],
        }
    )
    chart.set_title({"name": w("chart_grades")})
    chart.set_legend({"position": "bottom"})
    most = max([sum(r) for r in m.matrix] + [sum(col) for col in zip(*m.matrix, strict=True)] + [1])
    chart.set_y_axis({"min": 0, "major_unit": max(1, math.ceil(most / 8)), "num_format": "0"})
    ws.insert_chart(n + 3, 0, chart)

    # 支部变动
    ws = book.add_worksheet(w("s_branches"))
    header = [
        w("branch_id"),
        w("branch_name"),
        w("general_branch"),
        w("grade_before"),
        w("grade_after"),
        w("direction"),
        w("total_before"),
        w("total_after"),
        w("total_change"),
        *(w(s) for s in ITEM_STATES),
        w("reviewed_before"),
        w("reviewed_after"),
    ]
    ws.write_row(0, 0, header, head)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 26)
    ws.set_column(3, len(header) - 1, 12)
    ws.freeze_panes(1, 2)
    row = 1
    for x in m.moves:
        ws.write_row(
            row,
            0,
            (x.branch_id, x.branch_name, x.general_branch or "", x.before.name.get(lang)),
            cell,
        )
        ws.write(row, 4, x.after.name.get(lang), cell)
        ws.write(row, 5, w(x.direction), cell)
        ws.write_number(row, 6, x.total_before, num)
        ws.write_number(row, 7, x.total_after, num)
        ws.write_number(row, 8, round(x.total_after - x.total_before, 2) + 0.0, num)
        ws.write_row(row, 9, (x.opened, x.closed, x.still_open), cell)
        for col, review in ((12, x.reviewed_before), (13, x.reviewed_after)):
            reviewed = review_text(review, lang)
            if reviewed is not None:
                ws.write_string(row, col, reviewed, cell)
        row += 1
    for lone, key, at in ((m.only_before, "only_before", 3), (m.only_after, "only_after", 4)):
        for y in lone:
            ws.write_row(row, 0, (y.branch_id, y.branch_name), cell)
            ws.write(row, at, y.grade.name.get(lang), cell)
            ws.write(row, 5, w(key), cell)
            ws.write_number(row, 3 + at, y.total, num)
            row += 1
    if row > 1:
        ws.autofilter(0, 0, row - 1, len(header) - 1)

    # 整改事项（按规则）
    ws = book.add_worksheet(w("s_rules"))
    ws.write_row(0, 0, [w("code"), w("rule_title"), *(w(s) for s in ITEM_STATES)], head)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 40)
    ws.set_column(2, 4, 12)
    for i, rule in enumerate(m.rules):
        ws.write_row(
            1 + i, 0, (rule.code, rule.title.get(lang), rule.opened, rule.closed, rule.still_open), cell
        )
    if m.rules:
        shown = min(len(m.rules), CHART_RULES)
        chart = book.add_chart({"type": "bar", "subtype": "stacked"})
        for c in range(len(ITEM_STATES)):
            chart.add_series(
                {
                    "name": [ws.name, 0, 2 + c],
                    "categories": [ws.name, 1, 0, shown, 0],
                    "values": [ws.name, 1, 2 + c, shown, 2 + c],
                }
            )
        chart.set_title({"name": w("chart_rules")})
        chart.set_legend({"position": "bottom"})
        chart.set_y_axis({"reverse": True})
        chart.set_size({"height": 120 + 22 * shown})
        ws.insert_chart(1, 6, chart)

    # 整改事项明细
    ws = book.add_worksheet(w("s_items"))
    ws.write_row(0, 0, [w("branch_id"), w("branch_name"), w("code"), w("rule_title"), w("item_status")], head)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2, 10)
    ws.set_column(3, 3, 40)
    ws.set_column(4, 4, 12)
    ws.freeze_panes(1, 0)
    for i, item in enumerate(m.items):
        ws.write_row(
            1 + i, 0, (item.branch_id, item.branch_name, item.code, item.title.get(lang), w(item.state)), cell
        )
    if m.items:
        ws.autofilter(0, 0, len(m.items), 4)


def _kpi_row(ws: Any, row: int, k: KpiMove, lang: Lang, cell: Any, pct: Any, num: Any) -> None:
    ws.write(row, 0, k.code, cell)
    ws.write(row, 1, k.title.get(lang), cell)
    ws.write_number(row, 2, k.target, pct)
    for col, value in ((3, k.before), (4, k.after)):
        share = _share(value)
        if isinstance(share, float):
            ws.write_number(row, col, share, pct)
        else:
            ws.write(row, col, share, cell)
    change = k.change
    if change is None:
        ws.write(row, 5, word("none", lang), cell)
    else:
        ws.write_number(row, 5, change, num)
    ws.write(row, 6, _yes_no(k.met_before, lang), cell)
    ws.write(row, 7, _yes_no(k.met_after, lang), cell)


def matrix_text(grades: Sequence[Grade], matrix: Sequence[Sequence[int]], lang: Lang = "zh") -> str:
    """A migration matrix as aligned console lines (rows: the earlier grades, columns: the later ones),
    with totals; widths counted in terminal cells, so Chinese grade names line up."""
    from rich.cells import cell_len

    names = [g.name.get(lang) for g in grades]
    head = [word("matrix_corner", lang), *names, word("sum", lang)]
    rows = [[names[i], *map(str, row), str(sum(row))] for i, row in enumerate(matrix)]
    rows.append(
        [
            word("sum", lang),
            *(str(sum(r[c] for r in matrix)) for c in range(len(names))),
            str(sum(map(sum, matrix))),
        ]
    )
    table = [head, *rows]
    widths = [max(cell_len(r[c]) for r in table) for c in range(len(head))]

    def line(r: list[str]) -> str:
        first = r[0] + " " * (widths[0] - cell_len(r[0]))
        rest = (" " * (widths[c] - cell_len(v)) + v for c, v in enumerate(r) if c)
        return "  ".join((first, *rest)).rstrip()

    return "\n".join(line(r) for r in table)
