"""Facts from what the national form keeps person by person: 民主评议 results, 谈心谈话 pairs, 对照检查
材料, each Party group's meetings, the themed Party day's fixed day and each candidate's admission steps.

These facts count people, pairs and groups, never rows: twenty rows for one pair are one pair and two
people, a member appraised twice is one member appraised, and one busy Party group does not stand in for
a silent one. Only rows dated inside the profile's windows count. A register's facts are None (not
evidenced) when it has no rows at all, or when 基本信息 gives no members to divide by.

* ``members_appraised_share`` / ``members_reviewed_share``: the distinct names with a 民主评议 result /
  with 对照检查 材料, dated in ``year_window``, ÷ the members (full + probationary), at most 1.
* ``members_talked_share``: the distinct people named on either side of a talk ÷ the members, at most 1.
* ``talk_pair_kinds_missing``: how many of the kinds of talk the branch can hold it did not — 支委之间
  (only with two or more committee members), 支委和党员, 党员之间 (only with two or more members off the
  committee) — by the roles the register gives each side.
* ``group_meetings_min_month``: per month of ``window`` (less ``vacation_months``), the fewest 党小组会 of
  any Party group; the groups are those the register names, and as many more as 基本信息's 党小组数
  declares (a group never registered met 0 times). A 党小组会 row naming no group counts for none.
* ``themed_days_off_day``: 主题党日 (or 学习日) rows in ``window`` not on the declared fixed day (clamped to
  the month's end) and with no 改期原因; None without a declared day.
* ``candidates_steps_missing``: candidates missing a step of admission — two sponsors, a political review
  on or before the vote, ``pre_admission_training_hours`` of training, ``activist_min_months`` as an
  activist before becoming a candidate; 0 without candidates (nobody admitted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from engine.facts.evidence import cell, cells, detail, sheet_evidence
from engine.facts.params import Params
from engine.facts.people import name_key, name_keys
from engine.facts.periods import anchor_day, in_window, window_months
from schemas import form_layout as layout
from schemas.common import Evidence, Text
from schemas.facts import Fact, fact
from schemas.form import AppraisalResult, BranchForm, Candidate, OrgLifeReview, Talk
from schemas.form_national import APPRAISALS, REVIEWS, TALKS
from schemas.rules import Profile

COMMITTEE_ROLE = "委员"
MEMBER_ROLE = "党员"
# The kinds of talk, as (role, role) sorted, with the words a message names them by.
PAIR_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    (COMMITTEE_ROLE, COMMITTEE_ROLE): ("支委之间", "between committee members"),
    (MEMBER_ROLE, COMMITTEE_ROLE): ("支委和党员之间", "between the committee and members"),
    (MEMBER_ROLE, MEMBER_ROLE): ("党员之间", "among members"),
}
PARTY_GROUP_MEETING = "党小组会"
THEMED_DAY_TYPES = frozenset(("主题党日", "学习日"))  # as engine/facts/meetings.py counts the monthly day
REQUIRED_SPONSORS = 2  # 党章第五条: 要有两名正式党员作介绍人


def _share(count: int, members: int) -> float:
    return round(min(1.0, count / members), 4)


class Members:
    """The branch's member count and the cells it comes from, the divisor of every share."""

    def __init__(self, count: int, evidence: tuple[Evidence, ...]) -> None:
        self.count = count
        self.evidence = evidence


def register_facts(
    form: BranchForm, profile: Profile, params: Params, members: int, members_cells: tuple[Evidence, ...]
) -> dict[str, Fact]:
    people = Members(members, members_cells)
    return {
        "members_appraised_share": _people_share(
            "members_appraised_share",
            form.appraisal_results,
            profile,
            people,
            sheet_evidence(form, APPRAISALS),
            Text(zh="登记评议结果的党员", en="members with a result"),
        ),
        "members_reviewed_share": _people_share(
            "members_reviewed_share",
            form.org_life_reviews,
            profile,
            people,
            sheet_evidence(form, REVIEWS),
            Text(zh="提交检视材料的党员", en="members with a self-review"),
        ),
        **_talk_facts(form, profile, people),
        "group_meetings_min_month": _group_meetings(form, profile, params),
        "themed_days_off_day": _themed_days_off_day(form, profile),
        "candidates_steps_missing": _steps_missing(form, params),
    }


def _no_members(name: str, evidence: tuple[Evidence, ...]) -> Fact:
    return fact(
        name,
        None,
        evidence,
        detail=detail("党员人数为0或空白，无法折算", "No members on 基本信息, so no share"),
    )


def _empty(name: str, sheet: tuple[Evidence, ...], what: Text) -> Fact:
    return fact(name, None, sheet, detail=detail(f"{what.zh}为空", f"{what.en} is empty"))


def _people_share(
    name: str,
    register: Sequence[AppraisalResult | OrgLifeReview],
    profile: Profile,
    people: Members,
    sheet: tuple[Evidence, ...],
    who: Text,
) -> Fact:
    """The distinct names of a register of (name, date) rows dated in the year, as a share of members."""
    if not register:
        return _empty(name, sheet, Text(zh="登记表", en="The register"))
    if not people.count:
        return _no_members(name, people.evidence or sheet)
    rows = [r for r in register if in_window(r.date, profile.year_window)]
    names = {key for r in rows if (key := name_key(r.name))}
    return fact(
        name,
        _share(len(names), people.count),
        cells(rows, "name") + people.evidence or sheet,
        detail=detail(
            f"本年度{who.zh}{len(names)}人÷党员{people.count}人",
            f"{len(names)} {who.en} this year / {people.count} members",
        ),
    )


# --- 谈心谈话 -----------------------------------------------------------------------------------------


def _talk_facts(form: BranchForm, profile: Profile, people: Members) -> dict[str, Fact]:
    sheet = sheet_evidence(form, TALKS)
    if not form.talks:
        what = Text(zh="谈心谈话登记表", en="The talks register")
        return {
            "members_talked_share": _empty("members_talked_share", sheet, what),
            "talk_pair_kinds_missing": _empty("talk_pair_kinds_missing", sheet, what),
        }
    rows = [
        t
        for t in form.talks
        if in_window(t.date, profile.year_window) and name_key(t.person) != name_key(t.partner)
    ]
    talked = {key for t in rows for key in (name_key(t.person), name_key(t.partner)) if key}
    if people.count:
        share = fact(
            "members_talked_share",
            _share(len(talked), people.count),
            cells(rows, "person", "partner") + people.evidence or sheet,
            detail=detail(
                f"本年度参加谈心谈话的{len(talked)}人÷党员{people.count}人",
                f"{len(talked)} people in talks this year / {people.count} members",
            ),
        )
    else:
        share = _no_members("members_talked_share", people.evidence or sheet)
    return {
        "members_talked_share": share,
        "talk_pair_kinds_missing": _kinds_missing(form, rows, people.count, sheet),
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


# --- 党小组会 by group and the themed day's fixed day ----------------------------------------------------


def _group_meetings(form: BranchForm, profile: Profile, params: Params) -> Fact:
    name = "group_meetings_min_month"
    sheet = sheet_evidence(form, layout.MEETINGS)
    if not form.meetings:
        return _empty(name, sheet, Text(zh="会议活动台账", en="The meeting register"))
    rows = [m for m in form.meetings if m.type == PARTY_GROUP_MEETING and in_window(m.date, profile.window)]
    groups: dict[str, str] = {}
    for m in rows:
        if key := name_key(m.group):
            groups.setdefault(key, key)
    declared = form.basic.party_groups or 0
    silent = max(0, declared - len(groups))
    if not groups and not silent:
        return fact(
            name,
            None,
            cell(form.basic, "party_groups") or sheet,
            detail=detail("未划分党小组", "No Party groups"),
        )
    series: dict[str, float] = {}
    for year, month in window_months(profile.window, params.months("vacation_months")):
        held = [
            sum(1 for m in rows if name_key(m.group) == g and (m.date.year, m.date.month) == (year, month))
            for g in groups
        ]
        series[f"{year:04d}-{month:02d}"] = float(min([*held, *([0] * silent)]))
    listed = "、".join(groups) or "无"
    return fact(
        name,
        int(min(series.values())) if series else None,
        cells(rows, "group", "date") or cell(form.basic, "party_groups") or sheet,
        series=series or None,
        detail=detail(
            f"按党小组统计每月党小组会：台账中的党小组{listed}"
            + (f"；另有{silent}个党小组（基本信息填报{declared}个）没有任何党小组会记录" if silent else ""),
            f"Party-group meetings per group and month: groups in the register {listed}"
            + (f"; {silent} more group(s) (of {declared} declared) registered no meeting" if silent else ""),
        ),
    )


def _themed_days_off_day(form: BranchForm, profile: Profile) -> Fact:
    name = "themed_days_off_day"
    sheet = sheet_evidence(form, layout.MEETINGS)
    day = form.basic.themed_day
    if not form.meetings:
        return _empty(name, sheet, Text(zh="会议活动台账", en="The meeting register"))
    if day is None:
        return fact(
            name,
            None,
            cell(form.basic, "themed_day") or sheet_evidence(form, layout.BASIC),
            detail=detail("基本信息未填写主题党日固定日", "The fixed day of the themed Party day is blank"),
        )
    rows = [m for m in form.meetings if m.type in THEMED_DAY_TYPES and in_window(m.date, profile.window)]
    off = [
        m
        for m in rows
        if m.date != anchor_day(m.date.year, m.date.month, day) and not (m.moved_reason or "").strip()
    ]
    return fact(
        name,
        len(off),
        cells(off, "date") or cell(form.basic, "themed_day") or sheet,
        detail=detail(
            f"固定日为每月{day}日；不在固定日又未注明改期原因的："
            + ("、".join(m.date.isoformat() for m in off) or "无"),
            f"Fixed day: the {day}th; off that day with no reason given: "
            + (", ".join(m.date.isoformat() for m in off) or "none"),
        ),
    )


# --- admission steps --------------------------------------------------------------------------------


def _months_later(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return anchor_day(day.year + year, month + 1, day.day)


def _missing(c: Candidate, hours: float, activist_months: int) -> list[Text]:
    out: list[Text] = []
    if len(name_keys(c.sponsors)) < REQUIRED_SPONSORS:
        out.append(Text(zh="入党介绍人不足两名", en="fewer than two sponsors"))
    if c.review_on is None or (c.vote_on is not None and c.review_on > c.vote_on):
        out.append(Text(zh="无政治审查或审查晚于表决", en="no political review before the vote"))
    if (c.training_hours or 0) < hours:
        out.append(Text(zh=f"培训不足{hours:g}学时", en=f"training under {hours:g} hours"))
    if (
        c.activist_on is None
        or c.candidate_on is None
        or c.candidate_on < _months_later(c.activist_on, activist_months)
    ):
        out.append(
            Text(
                zh=f"积极分子培养不满{activist_months}个月", en=f"activist for under {activist_months} months"
            )
        )
    return out


def _steps_missing(form: BranchForm, params: Params) -> Fact:
    name = "candidates_steps_missing"
    sheet = sheet_evidence(form, layout.CANDIDATES)
    if not (params.has("pre_admission_training_hours") and params.has("activist_min_months")):
        return fact(
            name,
            None,
            sheet,
            detail=detail(
                "规则集未设培训学时或培养期参数", "The profile sets no training hours or activist period"
            ),
        )
    hours = params.number("pre_admission_training_hours")
    months = params.integer("activist_min_months")
    gaps = [(c, steps) for c in form.candidates if (steps := _missing(c, hours, months))]
    hit = [c for c, _ in gaps]
    return fact(
        name,
        len(gaps),
        cells(hit, "sponsors", "review_on", "training_hours", "name")
        or cells(form.candidates, "name")
        or sheet,
        detail=detail(
            "入党程序缺项："
            + ("；".join(f"{c.name}（{'、'.join(s.zh for s in steps)}）" for c, steps in gaps) or "无"),
            "Admission steps missing: "
            + ("; ".join(f"{c.name} ({', '.join(s.en for s in steps)})" for c, steps in gaps) or "none"),
        ),
    )
