"""A recorded round's outputs written again from the ledger, with the reviews recorded since.

A round's run folder was written when it was graded, before any review. ``review export`` writes the
round's summary workbook, results.json and 整改清单 again from what the ledger holds — the same results,
each with its standing review — so the outputs written after a review carry it. The lists keep the
identities and carry-over notes the round gave them, so they import as the first ones did. The summary is
stamped with the round (``review import`` then needs no ``--round``) and its 审定 columns hold the
standing reviews, ready for the next changes. Once the round is published (公示, ``engine.notice``), the
summary and results.json say which grades are final. Under a profile with a scoring policy the policy is
applied again with the review scores recorded since (``engine.review.weighted``): the weighted total.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import engine
from engine.export.branch_list import ListMarks, write_branch_list
from engine.export.page_setup import PrintHeading
from engine.export.results_json import write_results_json
from engine.export.summary import write_summary
from engine.grading.grade import college_kpis
from engine.intake import ListNames
from engine.ledger.capture import carry_note, round_ref
from engine.ledger.store import Ledger, RoundInfo
from engine.notice.record import finality
from engine.pipeline import LIST_FOLDER, RESULTS_NAME, SUMMARY_NAME, list_file_name
from engine.review.record import profile_grades, reviewed_results
from engine.review.weighted import decided_again
from schemas.batch import BatchReport, FileReport, Kpi, ProfileRef
from schemas.common import Lang
from schemas.results import BranchResult
from schemas.rules import GradingPolicy

__all__ = ["round_report", "write_round_outputs"]


def _profile_parts(names: list[str]) -> tuple[tuple[ProfileRef, ...], dict[str, GradingPolicy]]:
    from engine.profiles import ProfileChoice
    from engine.rulebook import RulebookError

    refs: list[ProfileRef] = []
    policies: dict[str, GradingPolicy] = {}
    for name in names:
        try:
            choice = ProfileChoice.from_ref(name)
        except RulebookError:
            continue  # a profile no longer here: its results stand, its KPIs cannot be priced
        refs += choice.refs()
        policies[name] = choice.profile(choice.entries[0].name).grading
    return tuple(refs), policies


def round_report(led: Ledger, info: RoundInfo, today: date | None = None) -> BatchReport:
    """Round ``info`` as a results.json report: every branch's result with its standing review and, once
    the round is published, whether its grade is final on ``today`` (default: today); its input file
    and problems; and the KPIs of each profile over the computed grades."""
    final = finality(led, info.id, today or date.today()).branches
    results = [
        r.model_copy(update={"final": final.get(r.identity.branch_id)})
        for r in decided_again(led, info, reviewed_results(led, info.id))
    ]
    names = sorted({r.profile for r in results})
    refs, policies = _profile_parts(names)
    files = tuple(
        FileReport(
            file=r.identity.file,
            sha256=r.identity.sha256,
            status="graded",
            branch_id=r.identity.branch_id,
            profile=r.profile,
            problems=led.branch_problems(info.id, r.identity.branch_id),
        )
        for r in results
    )
    kpis: list[Kpi] = []
    for name, policy in policies.items():
        graded = [r for r in results if r.profile == name]
        kpis += [k.model_copy(update={"profile": name}) for k in college_kpis(graded, policy)]
    ordered = tuple(sorted(results, key=lambda r: r.identity.file))
    return BatchReport(
        tool_version=engine.__version__,
        profiles=refs,
        evaluator=None,
        results=ordered,
        files=tuple(sorted(files, key=lambda f: f.file)),
        kpis=tuple(kpis),
    )


def _grade_names(results: tuple[BranchResult, ...], lang: Lang) -> tuple[str, ...]:
    seen = [r.grade for r in results]
    names = (g.name.get(lang) for p in sorted({r.profile for r in results}) for g in profile_grades(p, seen))
    return tuple(dict.fromkeys(names))


def round_list_marks(led: Ledger, info: RoundInfo, branch_id: str) -> ListMarks:
    """The marks of ``branch_id``'s list in round ``info``, as recording the round gave them: the round,
    and the note on each item that continues an open item of an earlier round (from the decisions the
    round recorded on those items: carried, or ineffective when the branch had reported it done)."""
    rows = led.conn.execute(
        "SELECT i.rule_code, r.year, r.stage, e.status FROM events e JOIN items i ON i.id = e.item_id "
        "JOIN rounds r ON r.id = i.round_id WHERE e.source = 'round' AND e.round_id = ? AND i.branch_id = ? "
        "AND e.status IN ('carried', 'ineffective')",
        (info.id, branch_id),
    ).fetchall()
    notes = {
        code: carry_note(round_ref(year, stage), status == "ineffective")
        for code, year, stage, status in rows
    }
    flagged = frozenset(code for code, _, _, status in rows if status == "ineffective")
    return ListMarks(round_ref=info.ref, notes=notes, flagged=flagged)


def write_round_outputs(
    led: Ledger, info: RoundInfo, out: Path, lang: Lang = "zh", today: date | None = None
) -> tuple[Path, Path, Path]:
    """Write round ``info``'s summary workbook, results.json and 整改清单 (a folder) into folder ``out``
    (each file atomically), final flags as of ``today``; returns their paths."""
    report = round_report(led, info, today)
    out.mkdir(parents=True, exist_ok=True)
    summary, results, lists = out / SUMMARY_NAME[lang], out / RESULTS_NAME, out / LIST_FOLDER[lang]
    # the printed pages name the round, its profile and the day the outputs are written again
    titles = [p.title.get(lang) for p in report.profiles if p.name == info.profile]
    heading = PrintHeading(
        profile=titles[0] if titles else info.profile,
        round_name=info.label.get(lang),
        on=today or date.today(),
    )
    write_summary(
        report, summary, lang, grades=_grade_names(report.results, lang), round_ref=info.ref, heading=heading
    )
    write_results_json(report, results)
    lists.mkdir(exist_ok=True)
    names = ListNames()
    for r in sorted(report.results, key=lambda r: r.identity.branch_id):
        ident = r.identity
        marks = round_list_marks(led, info, ident.branch_id)
        write_branch_list(
            r, lists / list_file_name(ident.branch_id, ident.branch_name, names), lang, marks=marks
        )
    return summary, results, lists
