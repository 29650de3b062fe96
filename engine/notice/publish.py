"""Publishing a round: record its notice (公示) in the ledger and write the notice workbook, in one call.

The call the ``publish`` command and the web page's 公示 form share: the round's branches with the grade
that stands for each (the reviewed grade where an officer recorded one), best grade first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.ledger.store import Ledger, RoundInfo
from engine.notice.record import Notice, publish
from engine.notice.workbook import NoticeRow, notice_lines, write_notice
from engine.review.record import profile_grades, reviewed_results
from schemas.common import Lang

__all__ = ["Published", "publish_notice", "write_published"]


@dataclass(frozen=True)
class Published:
    """A recorded notice and its workbook: the round, how many branches it lists, on how many pages."""

    notice: Notice
    round: RoundInfo
    branches: int
    pages: int


def publish_notice(
    led: Ledger, round_ref: str, start: date, days: int, contact: str, target: Path, lang: Lang
) -> Published:
    """Record round ``round_ref``'s notice from ``start`` for ``days`` working days with ``contact`` for
    objections, and write its workbook to ``target`` (atomically). Raises ``NoticeRefused`` (nothing
    recorded) for an unknown round or a bad period or contact; ``OSError`` when ``target`` cannot be written
    (the notice is then recorded: publishing again records a newer one)."""
    return write_published(led, publish(led, round_ref, start, days, contact), target, lang)


def write_published(led: Ledger, notice: Notice, target: Path, lang: Lang) -> Published:
    """Write the workbook of the recorded ``notice`` to ``target`` (atomically): the branches it published,
    each with the grade it was published with, whatever was reviewed since. The same workbook
    ``publish_notice`` wrote when it was recorded, to download again; ``OSError`` when ``target`` cannot
    be written."""
    info = led.find_round(str(notice.round_id))
    rows = []
    for r in reviewed_results(led, info.id):
        code = notice.grades.get(r.identity.branch_id)
        if code is None:  # not a branch of the round when it was published
            continue
        grades = profile_grades(r.profile, (r.grade,))
        rank = next((k for k, g in enumerate(grades) if g.code == code), len(grades))
        shown = r.awarded if r.awarded.code == code else next((g for g in grades if g.code == code), None)
        rows.append(
            NoticeRow(
                grade_rank=rank,
                grade=code if shown is None else shown.name.get(lang),
                branch_id=r.identity.branch_id,
                branch_name=r.identity.branch_name,
                general_branch=r.identity.general_branch or "",
            )
        )
    title, text = notice_lines(
        info.label.get(lang),
        notice.first_day,
        notice.last_day,
        notice.working_days,
        notice.contact,
        len(rows),
        lang,
    )
    pages = write_notice(target, rows, title, text, lang)
    return Published(notice, info, len(rows), pages)
