"""The national-2018 form: the form of the current national norms.

It is the 2012 form without what only the 2012 construction year asked for: the checklist keeps the items
the national-2018 rules read (commitments, plan and summary, venue and facilities, funds, the
member information system, responsibility zones, the self-check) and drops the campaign's (创先争优 plan,
construction-year working group, 宁乡 discussion …) and the systems no national rule checks; the meeting
types drop the construction year's 教育周, 动员会 and 征求意见会. Its template carries its own version, so a
workbook made from it is never read as a 2012 form, nor graded under the 2012 profile (IN-29).
"""

from __future__ import annotations

from dataclasses import replace

from schemas.form_layout import MEETINGS, SHEETS, SYSTEMS, FormLayout, SheetSpec

NATIONAL_FORM_VERSION = "2018.1"

# The checklist items the national-2018 rules read (CM-01, DM-04, PR-07, SV-02, VN-02, VN-03, VN-05); DM-02
# reads the 党务公开记录 register the form shares with the 2012 one.
CHECKLIST_ITEMS = (
    "commitments_signed",
    "annual_plan",
    "annual_summary",
    "venue",
    "facilities",
    "funds",
    "info_system",
    "responsibility_zones",
    "self_check",
)
CAMPAIGN_MEETING_TYPES = ("教育周", "动员会", "征求意见会")


def _national(spec: SheetSpec) -> SheetSpec:
    if spec.key == SYSTEMS.key:
        return replace(spec, items=tuple(i for i in spec.items if i.key in CHECKLIST_ITEMS))
    if spec.key == MEETINGS.key and spec.table is not None:
        columns = tuple(
            replace(c, choices=tuple(t for t in c.choices if t not in CAMPAIGN_MEETING_TYPES))
            if c.name == "type"
            else c
            for c in spec.table.columns
        )
        return replace(spec, table=replace(spec.table, columns=columns))
    return spec


NATIONAL_FORM = FormLayout(
    "national-2018", NATIONAL_FORM_VERSION, tuple(_national(s) for s in SHEETS), example_year=2019
)
