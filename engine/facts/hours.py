"""Facts from the study-hours register (学习学时): quarterly averages, the leadership's hours, yearly totals,
members with no study at all, and how the register's head count compares with 基本信息.

A listed member with a blank quarter studied 0 hours that quarter: the row says the member exists, and a
blank is the usual way "none" is typed (the validate stage warns about blanks separately). Every fact here
is ``None`` when the register has no rows.
"""

from __future__ import annotations

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.params import Params
from engine.facts.people import name_key
from engine.facts.periods import quarter_key
from schemas import form_layout as layout
from schemas.common import Evidence
from schemas.facts import Fact, fact
from schemas.form import BranchForm, StudyHours


def _hours(row: StudyHours, q: int) -> float:
    value = row.quarter(q)
    return float(value) if value is not None else 0.0


def hour_quarters(params: Params) -> list[int]:
    quarters = params.ints("hour_quarters", [1, 2, 3, 4])
    bad = [q for q in quarters if q not in (1, 2, 3, 4)]
    if bad:
        raise ValueError(f"profile parameter 'hour_quarters' holds {bad}; quarters are 1–4")
    return quarters


def _empty(form: BranchForm, name: str) -> Fact:
    return fact(
        name=name,
        value=None,
        evidence=sheet_evidence(form, layout.STUDY_HOURS),
        detail=detail("学习学时表为空", "The study-hours register is empty"),
    )


def member_hours_fact(form: BranchForm, quarters: list[int], sums: dict[int, float] | None = None) -> Fact:
    """``sums``: each quarter's hours summed over the rows in register order (blank = 0), when the caller
    has them already."""
    name = "member_hours_min_quarter_avg"
    rows = form.study_hours
    if not rows or not quarters:
        return _empty(form, name)
    year = form.basic.assessment_year
    if sums is None:
        sums = {q: sum(_hours(r, q) for r in rows) for q in quarters}
    series = {quarter_key(year, q): round(sums[q] / len(rows), 2) for q in quarters}
    worst_q = min(quarters, key=lambda q: series[quarter_key(year, q)])
    return fact(
        name=name,
        value=series[quarter_key(year, worst_q)],
        evidence=cells(rows, f"q{worst_q}", "name") or sheet_evidence(form, layout.STUDY_HOURS),
        series=series,
        detail=detail(
            f"{len(rows)}名党员的季度平均学时（空白按0计）："
            + "，".join(f"{k} {v:g}" for k, v in series.items()),
            f"Mean hours of {len(rows)} members per quarter (blank = 0): "
            + ", ".join(f"{k} {v:g}" for k, v in series.items()),
        ),
    )


def leader_rows(form: BranchForm, has_committee: bool) -> tuple[list[StudyHours], str]:
    """The leadership's rows of the hours register and how they were found.

    Rows flagged 是否班子成员 win. With none flagged, the committee members are matched by name, or the
    secretary when there is no committee (docs/requirements-2012.md §5 item 8).
    """
    flagged = [r for r in form.study_hours if r.leader]
    if flagged:
        return flagged, "flagged"
    if has_committee:
        wanted = {name_key(m.name) for m in form.committee}
        how = "committee"
    else:
        wanted = {name_key(form.basic.secretary)}
        how = "secretary"
    wanted.discard("")
    return [r for r in form.study_hours if name_key(r.name) in wanted], how


HOW_ZH = {"flagged": "标注为班子成员者", "committee": "按姓名匹配的支委", "secretary": "支部书记"}
HOW_EN = {
    "flagged": "rows flagged as leadership",
    "committee": "committee members by name",
    "secretary": "the secretary",
}
NO_LEADER = detail(
    "学习学时表中找不到班子成员（未标注“是否班子成员”，也找不到支委或书记的姓名）",
    "No leadership member found in the study-hours register (none flagged, no committee member "
    "or secretary by name)",
)


def leader_hours_fact(form: BranchForm, quarters: list[int], leaders: list[StudyHours], how: str) -> Fact:
    name = "leader_hours_min"
    if not leaders or not quarters:
        return fact(
            name=name, value=None, evidence=sheet_evidence(form, layout.STUDY_HOURS), detail=NO_LEADER
        )
    year = form.basic.assessment_year
    series: dict[str, float] = {}
    for r in leaders:
        for q in quarters:
            series[f"{name_key(r.name)} {quarter_key(year, q)}"] = _hours(r, q)
    return fact(
        name=name,
        value=min(series.values()),
        evidence=tuple(e for r in leaders for q in quarters for e in cell(r, f"q{q}", "name")),
        series=series,
        detail=detail(
            f"班子成员：{HOW_ZH[how]}，共{len(leaders)}人",
            f"Leadership: {HOW_EN[how]}, {len(leaders)} people",
        ),
    )


# --- yearly hours -------------------------------------------------------------------------------------------


def _yearly_min(
    form: BranchForm,
    name: str,
    rows: list[StudyHours],
    totals: dict[int, tuple[str, float]],
    quarters: list[int],
    evidence: tuple[Evidence, ...],
) -> Fact:
    """Fewest hours of one person over ``quarters``, with a per-person series (name -> total)."""
    series: dict[str, float] = {}
    for r in rows:
        key, total = totals[id(r)]
        series[key] = min(total, series.get(key, total))  # the same name twice: the lower row counts
    low = min(series.values())
    q_text = "、".join(f"第{q}季度" for q in quarters)
    return fact(
        name=name,
        value=low,
        evidence=evidence or sheet_evidence(form, layout.STUDY_HOURS),
        series=series,
        detail=detail(
            f"{len(series)}人全年学时（{q_text}合计，空白按0计），最低{low:g}",
            f"Yearly hours of {len(series)} people (quarters {', '.join(map(str, quarters))}, blank = 0), "
            f"lowest {low:g}",
        ),
    )


def hours_facts(form: BranchForm, params: Params, has_committee: bool, members: int) -> dict[str, Fact]:
    """Every fact of the study-hours register."""
    quarters = hour_quarters(params)
    leaders, how = leader_rows(form, has_committee)
    rows = form.study_hours
    out = {"leader_hours_min": leader_hours_fact(form, quarters, leaders, how)}
    names = (
        "members_without_activity",
        "member_hours_year_min",
        "leader_hours_year_min",
        "members_listed_gap",
    )
    if not rows or not quarters:
        out["member_hours_min_quarter_avg"] = member_hours_fact(form, quarters)
        out.update({n: _empty(form, n) for n in names})
        return out

    # One pass: each row's person key and total over the counted quarters (blank = 0), its name cell, and
    # whether it has any hours at all.
    totals: dict[int, tuple[str, float]] = {}
    name_cells: dict[int, Evidence] = {}
    idle: list[StudyHours] = []
    sums = dict.fromkeys(quarters, 0.0)  # per quarter, added in register order as sum() would
    for r in rows:
        values = (r.q1, r.q2, r.q3, r.q4)
        hours = [float(values[q - 1] or 0.0) for q in quarters]
        for q in sums:
            sums[q] += float(values[q - 1] or 0.0)
        totals[id(r)] = (name_key(r.name) or r.name, round(sum(hours), 2))
        if (ev := r.cells.get("name")) is not None:
            name_cells[id(r)] = ev
        if not any(hours):
            idle.append(r)  # no hours at all in the quarters the profile counts
    all_names = tuple(name_cells.values())
    out["member_hours_min_quarter_avg"] = member_hours_fact(form, quarters, sums)
    q_cells = [f"q{q}" for q in quarters]
    out["members_without_activity"] = fact(
        name="members_without_activity",
        value=len(idle),
        evidence=tuple(e for r in idle for n in q_cells for e in cell(r, n)) or all_names,
        detail=detail(
            f"评估期内各季度学时均为0或空白：{'、'.join(r.name for r in idle) or '无'}",
            f"No hours in any counted quarter: {', '.join(r.name for r in idle) or 'none'}",
        ),
    )

    # Yearly totals: members are the rows that are not the leadership's.
    leader_ids = {id(r) for r in leaders}
    others = [r for r in rows if id(r) not in leader_ids]
    if others:
        out["member_hours_year_min"] = _yearly_min(
            form,
            "member_hours_year_min",
            others,
            totals,
            quarters,
            tuple(name_cells[id(r)] for r in others if id(r) in name_cells),
        )
    else:
        out["member_hours_year_min"] = fact(
            name="member_hours_year_min",
            value=None,
            evidence=sheet_evidence(form, layout.STUDY_HOURS),
            detail=detail("学习学时表中只有班子成员", "Only leadership rows in the study-hours register"),
        )
    if leaders:
        out["leader_hours_year_min"] = _yearly_min(
            form,
            "leader_hours_year_min",
            leaders,
            totals,
            quarters,
            tuple(e for r in leaders for n in ("name", *q_cells) for e in cell(r, n)),
        )
    else:
        out["leader_hours_year_min"] = fact(
            name="leader_hours_year_min",
            value=None,
            evidence=sheet_evidence(form, layout.STUDY_HOURS),
            detail=NO_LEADER,
        )

    b = form.basic
    out["members_listed_gap"] = fact(
        name="members_listed_gap",
        value=abs(members - len(rows)),
        evidence=cell(b, "full_members") + cell(b, "probationary_members") + all_names,
        detail=detail(
            f"基本信息党员{members}人（正式+预备），学习学时表{len(rows)}人",
            f"{members} members on 基本信息 (full + probationary), "
            f"{len(rows)} rows in the study-hours register",
        ),
    )
    return out
