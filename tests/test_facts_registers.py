"""The national form's person-by-person registers: 民主评议 results and 谈心谈话 pairs count people and
pairs, never rows (engine/facts/registers.py), and OL-09 / OL-11 decide on them."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from engine.facts import build_facts
from engine.rulebook.evaluate import evaluate
from engine.rulebook.loader import load_profile
from engine.rulebook.reference import ReferenceEvaluator
from schemas.common import Evidence
from schemas.facts import BranchFacts
from schemas.form import AppraisalResult, BasicInfo, BranchForm, CommitteeMember, Talk
from schemas.results import Status

NATIONAL = load_profile("national-2018")
COMMITTEE = ("书记甲", "委员乙", "委员丙")
OTHERS = tuple(f"党员{i}" for i in range(1, 9))
MEMBERS = COMMITTEE + OTHERS  # 11 members
DAY = date(2019, 6, 10)


def role(name: str) -> str:
    return "委员" if name in COMMITTEE else "党员"


def talk(a: str, b: str, day: date = DAY) -> Talk:
    return Talk(date=day, person=a, person_role=role(a), partner=b, partner_role=role(b))


def form(
    talks: tuple[Talk, ...] = (), appraisals: tuple[AppraisalResult, ...] = (), full_members: int = 11
) -> BranchForm:
    basic = BasicInfo(
        branch_name="机关第一党支部",
        branch_id="JG-01",
        branch_type="机关",
        full_members=full_members,
        secretary=COMMITTEE[0],
        assessment_year=2019,
        cells={"full_members": Evidence(file="b.xlsx", sheet="基本信息", cell="B6", value=str(full_members))},
    )
    committee = tuple(
        CommitteeMember(name=n, post=p)
        for n, p in zip(COMMITTEE, ("书记", "组织委员", "宣传委员"), strict=True)
    )
    return BranchForm(
        file="b.xlsx",
        sha256="0" * 64,
        basic=basic,
        committee=committee,
        talks=talks,
        appraisal_results=appraisals,
    )


def facts(f: BranchForm) -> BranchFacts:
    return build_facts(f, NATIONAL)


def status(f: BranchForm, code: str) -> Status:
    result = evaluate(facts(f), NATIONAL, ReferenceEvaluator(NATIONAL))
    return next(t.status for t in result.trace if t.code == code)


def chain(people: tuple[str, ...]) -> tuple[Talk, ...]:
    return tuple(talk(a, b) for a, b in itertools.pairwise(people))


def test_twenty_rows_for_one_pair_fail_while_talking_with_every_member_passes() -> None:
    one_pair = form(talks=tuple(talk(COMMITTEE[0], OTHERS[0], DAY + timedelta(days=i)) for i in range(20)))
    assert facts(one_pair).value("members_talked_share") == round(2 / 11, 4)
    assert status(one_pair, "OL-11") is Status.FAILED
    everyone = form(talks=chain(MEMBERS))  # ten rows, every member, every kind of pair
    assert facts(everyone).value("members_talked_share") == 1.0
    assert facts(everyone).value("talk_pair_kinds_missing") == 0
    assert status(everyone, "OL-11") is Status.PASSED


def test_a_kind_of_talk_never_held_fails_even_when_everyone_talked() -> None:
    # The secretary talks with everybody: every member covered, but no talk among committee members
    # and none among members.
    hub = form(talks=tuple(talk(COMMITTEE[0], n) for n in MEMBERS[1:] if n not in COMMITTEE[1:]))
    hub = form(talks=(*hub.talks, talk(COMMITTEE[1], OTHERS[0]), talk(COMMITTEE[2], OTHERS[1])))
    f = facts(hub)
    assert f.value("members_talked_share") == 1.0
    assert f.value("talk_pair_kinds_missing") == 2
    assert "支委之间" in f.facts["talk_pair_kinds_missing"].detail.zh  # type: ignore[union-attr]
    assert status(hub, "OL-11") is Status.FAILED


def test_a_branch_without_a_second_committee_member_is_not_asked_for_committee_talks() -> None:
    solo = form(talks=chain((COMMITTEE[0], *OTHERS)))
    solo = solo.model_copy(
        update={"committee": solo.committee[:1], "basic": solo.basic.model_copy(update={"full_members": 9})}
    )
    assert facts(solo).value("talk_pair_kinds_missing") == 0


def test_talks_outside_the_year_and_with_oneself_do_not_count() -> None:
    f = form(
        talks=(
            *chain(MEMBERS[:6]),
            talk(MEMBERS[7], MEMBERS[8], date(2018, 12, 30)),
            talk(OTHERS[5], OTHERS[5]),
        )
    )
    assert facts(f).value("members_talked_share") == round(6 / 11, 4)


def test_empty_registers_are_not_evidenced() -> None:
    f = facts(form())
    for name in ("members_talked_share", "talk_pair_kinds_missing", "members_appraised_share"):
        assert f.value(name) is None and f.facts[name].evidence, name
    assert status(form(), "OL-11") is Status.NOT_EVIDENCED
    assert status(form(), "OL-09") is Status.NOT_EVIDENCED


def test_appraisal_counts_each_member_once() -> None:
    twice = tuple(AppraisalResult(name=MEMBERS[0], result="合格", date=DAY) for _ in range(11))
    assert facts(form(appraisals=twice)).value("members_appraised_share") == round(1 / 11, 4)
    assert status(form(appraisals=twice), "OL-09") is Status.FAILED
    every = tuple(AppraisalResult(name=n, result="合格", date=DAY) for n in MEMBERS)
    assert facts(form(appraisals=every)).value("members_appraised_share") == 1.0
    assert status(form(appraisals=every), "OL-09") is Status.PASSED
    last_year = tuple(AppraisalResult(name=n, result="合格", date=date(2018, 12, 18)) for n in MEMBERS)
    assert facts(form(appraisals=last_year)).value("members_appraised_share") == 0.0


@given(
    pairs=st.lists(st.tuples(st.sampled_from(MEMBERS), st.sampled_from(MEMBERS)), min_size=1, max_size=40),
    repeat=st.integers(1, 5),
)
def test_repeating_rows_never_changes_the_people_counted(pairs: list[tuple[str, str]], repeat: int) -> None:
    once = form(talks=tuple(talk(a, b) for a, b in pairs))
    many = form(talks=tuple(talk(a, b) for a, b in pairs) * repeat)
    for name in ("members_talked_share", "talk_pair_kinds_missing"):
        assert facts(once).value(name) == facts(many).value(name)
    people = {n for a, b in pairs if a != b for n in (a, b)}
    assert facts(once).value("members_talked_share") == round(len(people) / 11, 4)
