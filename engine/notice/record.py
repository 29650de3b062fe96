"""公示 in the ledger: a round's public notice, the objections raised against it, and when grades are final.

Publishing a round records a notice (the ledger's ``notices`` table): its first and last day — the period
counted in working days by China's official calendar (``schemas.workdays``: public holidays off, 调休
make-up days worked), both ends included — where objections go, and the grade each branch was published
with (the standing one: reviewed where reviewed, else computed). An objection is recorded against a
branch (who raised it, on which day, what it says) and later decided (upheld or dismissed, in words, by
whom); each is an event appended, a later decision superseding an earlier one.

A branch's grade is **final** when the round's latest notice period has passed, every objection against
the branch is decided, and its standing grade is still the one published (a review after the notice
needs a new notice). The round is final when every branch is. :func:`is_final` is that rule, pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from engine.ledger.store import Ledger, LedgerError, RoundInfo, now_iso
from engine.review.record import reviewed_results
from schemas.common import Text
from schemas.workdays import WorkCalendar, add_workdays

__all__ = [
    "NOTICE_DAYS",
    "OUTCOMES",
    "Finality",
    "Notice",
    "NoticeRefused",
    "Objection",
    "add_objection",
    "decide_objection",
    "finality",
    "is_final",
    "latest_notice",
    "notice_period",
    "objections",
    "publish",
]

NOTICE_DAYS = 5  # working days a notice runs unless told otherwise
CALENDAR = WorkCalendar.CN  # China's official working calendar
OUTCOMES = ("upheld", "dismissed")
_OUTCOME_WORDS = {"upheld": ("异议成立", "upheld"), "dismissed": ("异议不成立", "dismissed")}


class NoticeRefused(Exception):
    """A notice or objection that cannot be recorded as asked; ``text`` says why and what to do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.text = Text(zh=zh, en=en)


def outcome_text(outcome: str) -> Text:
    zh, en = _OUTCOME_WORDS[outcome]
    return Text(zh=zh, en=en)


@dataclass(frozen=True)
class Notice:
    """A recorded public notice of a round."""

    seq: int
    round_id: int
    first_day: date
    last_day: date
    working_days: int
    contact: str
    grades: Mapping[str, str]  # branch id -> the grade code published
    recorded_at: str


@dataclass(frozen=True)
class ObjectionDecision:
    outcome: str  # upheld / dismissed
    decision: str
    decided_by: str
    recorded_at: str


@dataclass(frozen=True)
class Objection:
    """An objection against a branch's published grade, with its standing decision (None: undecided)."""

    id: int
    round_id: int
    branch_id: str
    raised_by: str
    raised_on: date
    content: str
    recorded_at: str
    decision: ObjectionDecision | None


def notice_period(start: date, days: int = NOTICE_DAYS) -> tuple[date, date]:
    """The notice's first and last day: from ``start`` (or the first working day after it, when it is a
    rest day) for ``days`` working days, both ends counted."""
    if days < 1:
        raise ValueError("a notice runs at least one working day")
    first = add_workdays(start - timedelta(days=1), 1, CALENDAR)
    return first, add_workdays(first, days - 1, CALENDAR)


def is_final(
    last_day: date | None, today: date, published: str | None, standing: str, decided: Sequence[bool]
) -> bool:
    """The finality rule for one branch: published (``last_day`` not None), the period over (``today``
    after ``last_day``), its standing grade the one published, and every objection decided."""
    return last_day is not None and today > last_day and published == standing and all(decided)


def _round_of(led: Ledger, ref: str) -> RoundInfo:
    try:
        return led.find_round(ref)
    except LedgerError as exc:
        raise NoticeRefused(exc.text.zh, exc.text.en) from None


def _decided(row: Sequence[object]) -> ObjectionDecision | None:
    return None if row[0] is None else ObjectionDecision(*row)  # type: ignore[arg-type]


def publish(led: Ledger, round_ref: str, start: date, days: int, contact: str) -> Notice:
    """Record the public notice of round ``round_ref`` from ``start`` for ``days`` working days, with where
    objections go; every branch is published with its standing grade. Raises :class:`NoticeRefused`."""
    info = _round_of(led, round_ref)
    if days < 1:
        raise NoticeRefused(
            f"公示期应至少 1 个工作日（给出的是 {days}）；请用 --days 指定，如 --days 5",
            f"a notice runs at least one working day (given: {days}); set it with --days, e.g. --days 5",
        )
    if not contact.strip():
        raise NoticeRefused(
            "公示须写明异议受理方式：请用 --contact 指定（如 “学院党委组织部，电话 0738-1234567”）",
            "a notice must say where objections go: give it with --contact (e.g. the organisation "
            "department's office and telephone)",
        )
    grades = {r.identity.branch_id: r.awarded.code for r in reviewed_results(led, info.id)}
    if not grades:
        raise NoticeRefused(
            f"轮次 {info.ref} 没有评定的支部，无可公示", f"round {info.ref} holds no branch to publish"
        )
    first, last = notice_period(start, days)
    recorded_at = now_iso()
    with led.write() as conn:
        seq = conn.execute(
            "INSERT INTO notices (round_id, first_day, last_day, working_days, contact, grades, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                info.id,
                first.isoformat(),
                last.isoformat(),
                days,
                contact.strip(),
                json.dumps(grades),
                recorded_at,
            ),
        ).lastrowid
    assert seq is not None
    return Notice(seq, info.id, first, last, days, contact.strip(), grades, recorded_at)


def latest_notice(led: Ledger, round_id: int) -> Notice | None:
    """The round's newest notice (a notice published again supersedes the earlier one)."""
    row = led.conn.execute(
        "SELECT seq, round_id, first_day, last_day, working_days, contact, grades, recorded_at FROM notices "
        "WHERE round_id = ? ORDER BY seq DESC LIMIT 1",
        (round_id,),
    ).fetchone()
    if row is None:
        return None
    seq, rid, first, last, days, contact, grades, recorded_at = row
    return Notice(
        seq,
        rid,
        date.fromisoformat(first),
        date.fromisoformat(last),
        days,
        contact,
        json.loads(grades),
        recorded_at,
    )


def objections(led: Ledger, round_id: int, branch_id: str | None = None) -> list[Objection]:
    """The objections against round ``round_id`` (one branch's when given), oldest first, each with its
    standing decision."""
    where, args = ("AND o.branch_id = ?", (round_id, branch_id)) if branch_id else ("", (round_id,))
    rows = led.conn.execute(
        "SELECT o.id, o.round_id, o.branch_id, o.raised_by, o.raised_on, o.content, o.recorded_at, "
        "d.outcome, d.decision, d.decided_by, d.recorded_at "
        "FROM objections o LEFT JOIN objection_decisions d "
        "ON d.seq = (SELECT max(seq) FROM objection_decisions WHERE objection_id = o.id) "
        f"WHERE o.round_id = ? {where} ORDER BY o.id",
        args,
    ).fetchall()
    return [
        Objection(
            id=r[0],
            round_id=r[1],
            branch_id=r[2],
            raised_by=r[3],
            raised_on=date.fromisoformat(r[4]),
            content=r[5],
            recorded_at=r[6],
            decision=_decided(r[7:]),
        )
        for r in rows
    ]


def add_objection(
    led: Ledger, round_ref: str, branch_id: str, raised_by: str, content: str, raised_on: date
) -> Objection:
    """Record an objection against ``branch_id``'s published grade in round ``round_ref``."""
    info = _round_of(led, round_ref)
    branch = branch_id.strip()
    notice = latest_notice(led, info.id)
    if notice is None:
        raise NoticeRefused(
            f"轮次 {info.ref} 尚未公示，不能登记异议；请先用 branchgrade publish {info.ref} --from 日期 公示",
            f"round {info.ref} has not been published, so no objection can be recorded; publish it first "
            f"(branchgrade publish {info.ref} --from DATE)",
        )
    if branch not in notice.grades:
        known = sorted(notice.grades)[:8]
        raise NoticeRefused(
            f"支部编号“{branch}”不在轮次 {info.ref} 的公示名单中（如：{'、'.join(known)}）；请核对支部编号",
            f"branch ID “{branch}” is not on round {info.ref}'s notice (e.g. {', '.join(known)}); check the "
            "branch ID",
        )
    if not raised_by.strip() or not content.strip():
        raise NoticeRefused(
            "异议须写明提出人（--by）和异议内容（--content）",
            "an objection needs who raised it (--by) and what it says (--content)",
        )
    recorded_at = now_iso()
    with led.write() as conn:
        oid = conn.execute(
            "INSERT INTO objections (round_id, branch_id, raised_by, raised_on, content, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (info.id, branch, raised_by.strip(), raised_on.isoformat(), content.strip(), recorded_at),
        ).lastrowid
    assert oid is not None
    return Objection(oid, info.id, branch, raised_by.strip(), raised_on, content.strip(), recorded_at, None)


def decide_objection(
    led: Ledger, objection_id: int, outcome: str, decision: str, decided_by: str
) -> Objection:
    """Record the decision on objection ``objection_id``: ``outcome`` upheld or dismissed, the decision
    in words and who decided. A later decision supersedes an earlier one."""
    row = led.conn.execute("SELECT round_id FROM objections WHERE id = ?", (objection_id,)).fetchone()
    if row is None:
        raise NoticeRefused(
            f"没有编号为 {objection_id} 的异议；branchgrade objection list 轮次 可列出异议及其编号",
            f"there is no objection number {objection_id}; branchgrade objection list ROUND lists them",
        )
    if outcome not in OUTCOMES:
        raise NoticeRefused(
            f"处理结果“{outcome}”无法识别：请写 upheld（异议成立）或 dismissed（异议不成立）",
            f"outcome “{outcome}” is not recognised: write upheld or dismissed",
        )
    if not decision.strip() or not decided_by.strip():
        raise NoticeRefused(
            "异议处理须写明处理意见（--decision）和处理人（--by）",
            "a decision needs its wording (--decision) and who decided (--by)",
        )
    with led.write() as conn:
        conn.execute(
            "INSERT INTO objection_decisions (objection_id, outcome, decision, decided_by, recorded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (objection_id, outcome, decision.strip(), decided_by.strip(), now_iso()),
        )
    return next(o for o in objections(led, row[0]) if o.id == objection_id)


@dataclass(frozen=True)
class Finality:
    """Which grades of a round are final on ``today``: each branch's flag (None for a round never
    published), and the round's."""

    notice: Notice | None
    today: date
    branches: Mapping[str, bool | None]

    @property
    def round_final(self) -> bool:
        return bool(self.branches) and all(self.branches.values())


def finality(led: Ledger, round_id: int, today: date) -> Finality:
    """Which of round ``round_id``'s grades are final on ``today`` (see :func:`is_final`)."""
    notice = latest_notice(led, round_id)
    standing = {r.identity.branch_id: r.awarded.code for r in reviewed_results(led, round_id)}
    if notice is None:
        return Finality(None, today, {b: None for b in standing})
    decided: dict[str, list[bool]] = {}
    for o in objections(led, round_id):
        decided.setdefault(o.branch_id, []).append(o.decision is not None)
    return Finality(
        notice,
        today,
        {
            b: is_final(notice.last_day, today, notice.grades.get(b), grade, decided.get(b, []))
            for b, grade in standing.items()
        },
    )
