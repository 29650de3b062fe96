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
from schemas.facts import BranchFacts
from schemas.form import AppraisalResult, BranchForm, Candidate, Meeting, OrgLifeReview, Talk
from schemas.results import Status
from tests.test_facts_boundaries import make_form, member

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
    """A branch of ``full_members`` (no probationary members) whose committee is ``COMMITTEE``."""
    committee = tuple(member(n, p) for n, p in zip(COMMITTEE, ("书记", "组织委员", "宣传委员"), strict=True))
    return make_form(
        full_members=full_members,
        probationary=None,
        committee=committee,
        secretary=COMMITTEE[0],
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


# --- 对照检查, Party groups, the fixed themed day, admission steps ------------------------------------------


def test_every_member_needs_a_self_review_for_the_org_life_meeting() -> None:
    meeting = Meeting(date=DAY, type="组织生活会", minutes=True)
    some = form().model_copy(
        update={
            "meetings": (meeting,),
            "org_life_reviews": tuple(OrgLifeReview(name=n, date=DAY) for n in MEMBERS[:4] * 3),
        }
    )
    assert facts(some).value("members_reviewed_share") == round(4 / 11, 4)
    assert status(some, "OL-08") is Status.FAILED
    every = some.model_copy(
        update={"org_life_reviews": tuple(OrgLifeReview(name=n, date=DAY) for n in MEMBERS)}
    )
    assert status(every, "OL-08") is Status.PASSED


def group_meeting(month: int, group: str | None) -> Meeting:
    return Meeting(date=date(2019, month, 5), type="党小组会", group=group, minutes=True)


def with_meetings(meetings: list[Meeting], **basic: object) -> BranchForm:
    f = form()
    return f.model_copy(update={"meetings": tuple(meetings), "basic": f.basic.model_copy(update=basic)})


def test_each_party_group_meets_every_month_and_a_busy_group_does_not_cover_a_silent_one() -> None:
    both = [group_meeting(m, g) for m in range(1, 13) for g in ("第一党小组", "第二党小组")]
    assert facts(with_meetings(both, party_groups=2)).value("group_meetings_min_month") == 1
    one_busy = [group_meeting(m, "第一党小组") for m in range(1, 13) for _ in range(3)]
    f = facts(with_meetings(one_busy, party_groups=2))  # 36 rows, but the second group never met
    assert f.value("group_meetings_min_month") == 0
    assert f.facts["group_meetings_min_month"].series == {f"2019-{m:02d}": 0.0 for m in range(1, 13)}
    assert status(with_meetings(one_busy, party_groups=2), "OL-06") is Status.FAILED
    gap = [g for g in both if not (g.date.month == 7 and g.group == "第二党小组")]
    series = facts(with_meetings(gap, party_groups=2)).facts["group_meetings_min_month"].series
    assert series is not None and series["2019-07"] == 0.0 and series["2019-06"] == 1.0


def themed(month: int, day: int, reason: str | None = None) -> Meeting:
    return Meeting(date=date(2019, month, day), type="主题党日", moved_reason=reason, minutes=True)


def test_themed_days_keep_to_the_declared_day_or_give_a_reason() -> None:
    on_day = [themed(m, 15) for m in range(1, 13)]
    assert facts(with_meetings(on_day, themed_day=15)).value("themed_days_off_day") == 0
    moved = [*on_day[:10], themed(11, 20, "与学院活动冲突"), themed(12, 22)]
    f = with_meetings(moved, themed_day=15)
    assert facts(f).value("themed_days_off_day") == 1
    assert status(f, "OL-13") is Status.FAILED and status(f, "OL-10") is Status.PASSED
    month_end = [themed(2, 28), themed(4, 30)]  # a fixed 31st falls on the month's last day
    assert facts(with_meetings(month_end, themed_day=31)).value("themed_days_off_day") == 0
    assert facts(with_meetings(on_day)).value("themed_days_off_day") is None  # no fixed day declared
    assert status(with_meetings(on_day), "OL-13") is Status.NOT_EVIDENCED


def candidate(**overrides: object) -> Candidate:
    values: dict[str, object] = {
        "name": "候选人",
        "activist_on": date(2018, 3, 10),
        "candidate_on": date(2019, 3, 20),
        "vote_on": date(2019, 5, 20),
        "sponsors": "书记甲、委员乙",
        "review_on": date(2019, 4, 12),
        "training_hours": 24.0,
    }
    return Candidate.model_validate(values | overrides)


def test_each_candidate_needs_every_admission_step() -> None:
    def missing(*rows: Candidate) -> object:
        return facts(form().model_copy(update={"candidates": rows})).value("candidates_steps_missing")

    assert missing() == 0 and missing(candidate()) == 0
    for fault in (
        {"sponsors": "书记甲"},
        {"sponsors": None},
        {"review_on": None},
        {"review_on": date(2019, 6, 1)},  # after the vote
        {"training_hours": 16.0},
        {"activist_on": date(2018, 9, 1)},  # under twelve months before becoming a candidate
    ):
        assert missing(candidate(**fault), candidate(name="另一人")) == 1, fault
    assert missing(candidate(sponsors="书记甲", training_hours=0.0)) == 1  # one person, however many gaps
    f = form().model_copy(update={"candidates": (candidate(review_on=None),)})
    assert status(f, "MD-04") is Status.FAILED
    assert "政治审查" in facts(f).facts["candidates_steps_missing"].detail.zh  # type: ignore[union-attr]
