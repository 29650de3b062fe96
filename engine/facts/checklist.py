"""Facts read off the 制度落实 checklist, generated from ``schemas.facts.CHECKLIST_FACTS``.

Each fact is one cell of one item row: ``done`` (bool), ``date`` (yyyymmdd int) or ``count`` (float). A
blank cell, or an item row the workbook does not have (a 2012.1 form), is None: not evidenced.
"""

from __future__ import annotations

from engine.facts.evidence import cell, detail, sheet_evidence
from engine.facts.params import int_of_date
from schemas import form_layout as layout
from schemas.common import Evidence
from schemas.facts import CHECKLIST_FACTS, Fact, FactValue, fact
from schemas.form import BranchForm

LABELS = {item.key: item for item in layout.SYSTEMS.items}


def checklist_facts(form: BranchForm, members: int, members_cells: tuple[Evidence, ...]) -> dict[str, Fact]:
    sheet = sheet_evidence(form, layout.SYSTEMS)
    systems = form.systems
    out: dict[str, Fact] = {}
    for name, spec in CHECKLIST_FACTS.items():
        item = systems.get(spec.item)
        if item is None:
            label = LABELS[spec.item]
            out[name] = fact(
                name=name,
                value=None,
                evidence=sheet,
                detail=detail(f"制度落实表中没有“{label.zh}”一行", f"No '{label.en}' row on 制度落实"),
            )
            continue
        value: FactValue
        if spec.column == "done":
            value = item.done
        elif spec.column == "date":
            value = int_of_date(item.date)
        else:
            value = item.count
        out[name] = fact(name=name, value=value, evidence=cell(item, spec.column) or sheet)

    # 党员承诺书: signed letters per member.
    signed = systems.get("commitments_signed")
    count = signed.count if signed is not None else None
    ev = (cell(signed, "count") if signed is not None else ()) + members_cells
    if count is None or not members:
        out["commitments_signed_share"] = fact(
            name="commitments_signed_share",
            value=None,
            evidence=ev or sheet,
            detail=detail("未填写承诺书签订人数（或党员人数为0）", "Signed count blank (or no members)"),
        )
    else:
        out["commitments_signed_share"] = fact(
            name="commitments_signed_share",
            value=round(count / members, 2),
            evidence=ev,
            detail=detail(f"签订{count:g}人÷党员{members}人", f"{count:g} signed / {members} members"),
        )
    return out
