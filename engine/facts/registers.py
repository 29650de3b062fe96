"""Facts from the registers the national form keeps person by person: 民主评议 results and 谈心谈话 pairs.

These facts count people and pairs, never rows: twenty rows for one pair are one pair and two people, and
a member appraised twice is one member appraised. Only rows dated inside the profile's ``year_window``
count. Each register's facts are None (not evidenced) when it has no rows at all, or when 基本信息 gives
no members to divide by.

* ``members_appraised_share``: the distinct names with a result ÷ the members (full + probationary),
  at most 1.
* ``members_talked_share``: the distinct people named on either side of a talk ÷ the members, at most 1.
* ``talk_pair_kinds_missing``: how many of the kinds of talk the branch can hold it did not — 支委之间
  (only with two or more committee members), 支委和党员, 党员之间 (only with two or more members off the
  committee) — by the roles the register gives each side.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.facts.evidence import cells, detail, sheet_evidence
from engine.facts.people import name_key
from engine.facts.periods import in_window
from schemas.common import Evidence
from schemas.facts import Fact, fact
from schemas.form import BranchForm, Talk
from schemas.form_national import APPRAISALS, TALKS
from schemas.rules import Profile

COMMITTEE_ROLE = "委员"
MEMBER_ROLE = "党员"
# The kinds of talk, as (role, role) sorted, with the words a message names them by.
PAIR_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    (COMMITTEE_ROLE, COMMITTEE_ROLE): ("支委之间", "between committee members"),
    (MEMBER_ROLE, COMMITTEE_ROLE): ("支委和党员之间", "between the committee and members"),
    (MEMBER_ROLE, MEMBER_ROLE): ("党员之间", "among members"),
}


def _share(count: int, members: int) -> float:
    return round(min(1.0, count / members), 4)


def register_facts(
    form: BranchForm, profile: Profile, members: int, members_cells: tuple[Evidence, ...]
) -> dict[str, Fact]:
    return {
        "members_appraised_share": _appraised(form, profile, members, members_cells),
        **_talk_facts(form, profile, members, members_cells),
    }


def _appraised(form: BranchForm, profile: Profile, members: int, members_cells: tuple[Evidence, ...]) -> Fact:
    name = "members_appraised_share"
    sheet = sheet_evidence(form, APPRAISALS)
    if not form.appraisal_results:
        return fact(
            name, None, sheet, detail=detail("民主评议结果登记表为空", "The appraisal register is empty")
        )
    if not members:
        return _no_members(name, members_cells or sheet)
    rows = [r for r in form.appraisal_results if in_window(r.date, profile.year_window)]
    people = {key for r in rows if (key := name_key(r.name))}
    return fact(
        name,
        _share(len(people), members),
        cells(rows, "name") + members_cells or sheet,
        detail=detail(
            f"本年度登记评议结果的党员{len(people)}人÷党员{members}人",
            f"{len(people)} members with a result this year / {members} members",
        ),
    )


def _no_members(name: str, evidence: tuple[Evidence, ...]) -> Fact:
    return fact(
        name,
        None,
        evidence,
        detail=detail("党员人数为0或空白，无法折算", "No members on 基本信息, so no share"),
    )


def _talk_facts(
    form: BranchForm, profile: Profile, members: int, members_cells: tuple[Evidence, ...]
) -> dict[str, Fact]:
    sheet = sheet_evidence(form, TALKS)
    if not form.talks:
        empty = detail("谈心谈话登记表为空", "The talks register is empty")
        return {
            "members_talked_share": fact("members_talked_share", None, sheet, detail=empty),
            "talk_pair_kinds_missing": fact("talk_pair_kinds_missing", None, sheet, detail=empty),
        }
    rows = [
        t
        for t in form.talks
        if in_window(t.date, profile.year_window) and name_key(t.person) != name_key(t.partner)
    ]
    people = {key for t in rows for key in (name_key(t.person), name_key(t.partner)) if key}
    if members:
        talked = fact(
            "members_talked_share",
            _share(len(people), members),
            cells(rows, "person", "partner") + members_cells or sheet,
            detail=detail(
                f"本年度参加谈心谈话的{len(people)}人÷党员{members}人",
                f"{len(people)} people in talks this year / {members} members",
            ),
        )
    else:
        talked = _no_members("members_talked_share", members_cells or sheet)
    return {
        "members_talked_share": talked,
        "talk_pair_kinds_missing": _kinds_missing(form, rows, members, sheet),
    }


def _kind(t: Talk) -> tuple[str, str]:
    low, high = sorted((t.person_role, t.partner_role))  # 党员 sorts before 委员, as PAIR_KINDS is keyed
    return low, high


def _kinds_missing(form: BranchForm, rows: Sequence[Talk], members: int, sheet: tuple[Evidence, ...]) -> Fact:
    committee = {key for m in form.committee if (key := name_key(m.name))} or {name_key(form.basic.secretary)}
    possible = [(MEMBER_ROLE, COMMITTEE_ROLE)]
    if len(committee) >= 2:
        possible.insert(0, (COMMITTEE_ROLE, COMMITTEE_ROLE))
    if members - len(committee) >= 2:
        possible.append((MEMBER_ROLE, MEMBER_ROLE))
    held = {_kind(t) for t in rows}
    missing = [k for k in possible if k not in held]
    evidence = cells([t for t in rows if _kind(t) in possible], "person_role", "partner_role") or sheet
    return fact(
        "talk_pair_kinds_missing",
        len(missing),
        evidence,
        detail=detail(
            "未开展：" + "、".join(PAIR_KINDS[k][0] for k in missing)
            if missing
            else "支委之间、支委和党员、党员之间的谈心谈话均已开展",
            "Not held: " + ", ".join(PAIR_KINDS[k][1] for k in missing)
            if missing
            else "Talks held of every kind the branch can hold",
        ),
    )
