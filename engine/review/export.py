"""A recorded round's outputs written again from the ledger, with the reviews recorded since.

A round's run folder was written when it was graded, before any review. ``review export`` writes the
round's summary workbook and results.json again from what the ledger holds — the same results, each
with its standing review — so the outputs written after a review carry it. The summary is stamped with
the round (``review import`` then needs no ``--round``) and its 审定 columns hold the standing reviews,
ready for the next changes.
"""

from __future__ import annotations

from pathlib import Path

import engine
from engine.export.results_json import write_results_json
from engine.export.summary import write_summary
from engine.grading.grade import college_kpis
from engine.ledger.store import Ledger, RoundInfo
from engine.pipeline import RESULTS_NAME, SUMMARY_NAME
from engine.review.record import profile_grades, reviewed_results
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


def round_report(led: Ledger, info: RoundInfo) -> BatchReport:
    """Round ``info`` as a results.json report: every branch's result with its standing review, its
    input file and problems, and the KPIs of each profile over the computed grades."""
    results = reviewed_results(led, info.id)
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


def write_round_outputs(led: Ledger, info: RoundInfo, out: Path, lang: Lang = "zh") -> tuple[Path, Path]:
    """Write round ``info``'s summary workbook and results.json into folder ``out`` (each atomically);
    returns their paths."""
    report = round_report(led, info)
    out.mkdir(parents=True, exist_ok=True)
    summary, results = out / SUMMARY_NAME[lang], out / RESULTS_NAME
    write_summary(report, summary, lang, grades=_grade_names(report.results, lang), round_ref=info.ref)
    write_results_json(report, results)
    return summary, results
