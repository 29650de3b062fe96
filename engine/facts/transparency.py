"""Facts from the 党务公开记录 register: how many disclosures the year had and the fewest in a quarter.

The requirement (docs/requirements-2012.md DM-02) is a frequency — at least one disclosure a quarter — so the
rule reads the fewest disclosures in any quarter of the form's assessment year, each quarter's count kept
as the fact's series (``2012Q3``) so a finding names the quarters short. Only disclosures dated inside the
profile's ``year_window`` count.

A workbook made from a form before the register (up to 2012.2) counted its disclosures on the 制度落实 row
党务公开 (是否落实, 数量), with no dates. Its facts come from that row: the count as typed, and the fewest in
a quarter as the count spread evenly over the four quarters (count // 4) — the reading the old form's "four
in the year" stood for — with a detail saying the row came from the older form and its quarters could not
be checked. A row answered 否 counts none.

An empty register, or none at all, leaves both facts None (not evidenced): a blank log does not tell a
branch that published nothing from one that did not register, and the rule's message names both ways out.
"""

from __future__ import annotations

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.periods import in_window, quarter_key
from schemas import form_layout as layout
from schemas.facts import Fact, fact
from schemas.form import BranchForm
from schemas.rules import Profile

QUARTERS = (1, 2, 3, 4)
ZH_QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")
FORMER_ROW = "transparency"  # the 制度落实 row older forms counted disclosures on


def transparency_facts(form: BranchForm, profile: Profile) -> dict[str, Fact]:
    """``transparency_count`` and ``transparency_min_quarter`` for one branch."""
    has_log = layout.TRANSPARENCY_LOG.name in form.sheet_cells or bool(form.disclosures)
    row = form.systems.get(FORMER_ROW)
    if not has_log and row is not None:
        return _from_former_row(form)
    if not form.disclosures:
        why = (
            detail("党务公开记录表为空", "The Party-affairs disclosure log is empty")
            if has_log
            else detail("工作簿中没有党务公开记录表", "The workbook has no Party-affairs disclosure log")
        )
        evidence = sheet_evidence(form, layout.TRANSPARENCY_LOG)
        return {
            "transparency_count": fact("transparency_count", None, evidence, None, why),
            "transparency_min_quarter": fact("transparency_min_quarter", None, evidence, None, why),
        }
    year = form.basic.assessment_year
    counted = [d for d in form.disclosures if in_window(d.date, profile.year_window)]
    series = {
        quarter_key(year, q): float(
            sum(1 for d in counted if d.date.year == year and (d.date.month + 2) // 3 == q)
        )
        for q in QUARTERS
    }
    missing = [q for q in QUARTERS if series[quarter_key(year, q)] == 0]
    evidence = cells(counted, "date") or sheet_evidence(form, layout.TRANSPARENCY_LOG)
    count_detail = detail(
        f"党务公开记录表登记{len(form.disclosures)}次，其中考核期内{len(counted)}次",
        f"{len(form.disclosures)} disclosures logged, {len(counted)} inside the assessment period",
    )
    zh_quarters = "、".join(ZH_QUARTERS[q - 1] for q in missing)
    en_quarters = ", ".join(f"Q{q}" for q in missing)
    quarters_detail = (
        detail(f"{year}年每个季度都有公开", f"a disclosure in every quarter of {year}")
        if not missing
        else detail(f"{year}年{zh_quarters}没有公开", f"none in {en_quarters} {year}")
    )
    return {
        "transparency_count": fact("transparency_count", len(counted), evidence, None, count_detail),
        "transparency_min_quarter": fact(
            "transparency_min_quarter", int(min(series.values())), evidence, series, quarters_detail
        ),
    }


def _from_former_row(form: BranchForm) -> dict[str, Fact]:
    """The facts from an older form's 制度落实 row 党务公开 (是否落实, 数量)."""
    row = form.systems[FORMER_ROW]
    evidence = cell(row, "done") + cell(row, "count") or sheet_evidence(form, layout.SYSTEMS)
    count: int | None
    if row.done is False:
        count = 0
    elif row.done is None or row.count is None:
        count = None
    else:
        count = int(row.count)
    source = detail(
        "旧版表格（2012.2及以前）在制度落实表“党务公开”一行只登记次数，没有日期："
        + (
            "未填写“是否落实”或“数量”"
            if count is None
            else f"登记{count}次，按四个季度平均计，无法核对季度分布"
        ),
        "An older form (2012.2 or before) counts disclosures on the 制度落实 row 党务公开, without dates: "
        + (
            "'In place' or 'Count' left blank"
            if count is None
            else f"{count} recorded, taken as spread evenly over the quarters, which cannot be checked"
        ),
    )
    fewest = None if count is None else count // len(QUARTERS)
    return {
        "transparency_count": fact("transparency_count", count, evidence, None, source),
        "transparency_min_quarter": fact("transparency_min_quarter", fewest, evidence, None, source),
    }
