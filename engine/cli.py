"""The ``branchgrade`` command: a thin layer over engine.pipeline and the stage APIs.

Exit codes:

- 0 every workbook graded (or valid);
- 1 some workbook could not be graded (its problems are listed; the rest are graded and written);
- 2 usage error (bad option, missing input folder, unknown profile, output folder holding other files);
- 3 the machine refused a read or write the run needs (disk full, output folder not writable or under a
  file, input folder gone or unreadable): one message names the path, the cause and the fix;
- 4 the output folder is in use by another run (the message names it: process, host, start, command);
- 128 + the signal's number when stopped by one: 130 SIGINT (Ctrl+C), 143 SIGTERM, 129 SIGHUP.

With 2, 3, 4 and a signal, ``grade`` writes no new run and leaves the previous runs as they were.
Output is Chinese by default; ``--lang en`` switches to English.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from engine.cli_language import command_lang, run_in_language
from engine.console import make_streams_safe
from engine.export.i18n import both, label, status_label
from engine.ledger.cli import add_ledger_commands, start_recording
from engine.movement.cli import register as register_movement
from engine.notice.cli import add_notice_commands
from engine.review.cli import add_review_commands
from engine.web import cli as web_cli  # typer only: the web stack is imported when serve runs
from schemas.common import Lang, Severity, Text
from schemas.facts import FACTS
from schemas.form_layout import BRANCH_TYPES, FORM_2012
from schemas.values import format_value

# A command imports what it uses when it runs (the pipeline, the stages, the template's openpyxl, the
# rulebook): `branchgrade validate ONE.xlsx` then pays for reading one form, not for every command's
# libraries (bench/RESULTS.md, "Design measurements"). Only typer, rich's console and the help texts
# are loaded to build the command line.
if TYPE_CHECKING:
    from engine.pipeline import BatchRun
    from engine.roster import Roster, RosterCheck
    from schemas.rules import Example, Profile

EXIT_OK, EXIT_UNGRADABLE, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_BUSY = 0, 1, 2, 3, 4


HELP_LANG = command_lang(sys.argv[1:])  # None: help in both languages


def _h(key: str, **fmt: object) -> str:
    """A help text: in the language the command line asks for, else in both."""
    return both(key, **fmt) if HELP_LANG is None else label(key, HELP_LANG, **fmt)


app = typer.Typer(add_completion=False, no_args_is_help=True, help=_h("h_app"))
rules_app = typer.Typer(no_args_is_help=True, help=_h("h_rules"))
app.add_typer(rules_app, name="rules")
add_ledger_commands(app, _h)
app.command("serve")(web_cli.serve)
app.add_typer(web_cli.user_app, name="user")

out = Console(soft_wrap=True)  # long Chinese lines stay whole for copying and grep
err = Console(stderr=True)

LangOpt = Annotated[str, typer.Option("--lang", help=_h("h_lang"))]
ProfileOpt = Annotated[str, typer.Option("--profile", help=_h("h_profile"))]
GradeProfileOpt = Annotated[str, typer.Option("--profile", help=_h("h_profile_auto"))]
EvaluatorOpt = Annotated[str, typer.Option("--evaluator", help=_h("h_evaluator"))]


def _lang(value: str) -> Lang:
    if value not in ("zh", "en"):
        # The language asked for is the bad value itself: say it in both.
        raise _usage(both("u_lang", value=repr(value)))
    return "en" if value == "en" else "zh"


def _usage(message: str) -> typer.Exit:
    err.print(message, markup=False)
    return typer.Exit(EXIT_USAGE)


def _say(key: str, lang: Lang, **fmt: object) -> None:
    out.print(label(key, lang, **fmt), markup=False)


def _fail(key: str, lang: Lang, **fmt: object) -> NoReturn:
    """A usage error in ``lang``: printed to stderr, exit 2."""
    raise _usage(label(key, lang, **fmt))


def _fail_text(text: Text, lang: Lang) -> NoReturn:
    raise _usage(text.get(lang))


@app.command(help=_h("h_template"))
def template(
    output: Annotated[Path, typer.Argument(help=_h("h_template_out"))],
    branch_type: Annotated[
        str | None, typer.Option("--type", help=_h("h_type", types="|".join(BRANCH_TYPES)))
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help=_h("h_year"))] = None,
    roster: Annotated[bool, typer.Option("--roster", help=_h("h_roster_template"))] = False,
    profile: Annotated[str | None, typer.Option("--profile", help=_h("h_template_profile"))] = None,
    lang: LangOpt = "zh",
) -> None:
    language = _lang(lang)
    if roster and (branch_type is not None or year is not None or profile is not None):
        _fail("u_roster_type", language)
    form = FORM_2012
    if profile is not None:
        from schemas.forms import form_named

        chosen = _load(profile, language)
        if year is not None and not chosen.covers(year):
            _fail("u_template_year", language, profile=chosen.name, years=chosen.years_shown, year=year)
        form = form_named(chosen.form)
    if branch_type is not None and branch_type not in BRANCH_TYPES:
        _fail("u_type", language, choices=label("list_sep", language).join(BRANCH_TYPES))
    if output.suffix.lower() != ".xlsx":
        _fail("u_xlsx_name", language, path=output)
    if output.exists():
        _fail("u_exists", language, path=output)
    if roster:
        from engine.roster import write_roster_template

        write_roster_template(output)
    else:
        from engine.export.template import write_template  # openpyxl: only this command needs it

        write_template(output, branch_type=branch_type, year=year, form=form)
    _say("wrote", language, path=output)


@app.command(help=_h("h_validate"))
def validate(
    files: Annotated[list[str], typer.Argument(help=_h("h_validate_files"))],
    lang: LangOpt = "zh",
    profile: GradeProfileOpt = "auto",
) -> None:
    from engine import pipeline
    from engine.inputs import InputError, expand
    from engine.rulebook import RulebookError

    language = _lang(lang)
    try:
        selection = expand(files)
        checked = pipeline.check_files(selection.paths, profile, selection.names)
    except InputError as exc:
        _fail_text(exc.text, language)
    except RulebookError as exc:
        raise _usage(exc.message(language)) from exc
    any_error = False
    for name, problems in checked:
        errors = [p for p in problems if p.severity is Severity.ERROR]
        any_error = any_error or bool(errors)
        if not problems:
            _say("ok_file", language, mark="✓", name=name)
            continue
        _say(
            "bad_file",
            language,
            mark="✗" if errors else "!",  # warnings alone: gradable, look before grading
            name=name,
            errors=len(errors),
            warnings=len(problems) - len(errors),
        )
        for p in problems:
            out.print("  " + p.render(language), markup=False)
    raise typer.Exit(EXIT_UNGRADABLE if any_error else EXIT_OK)


def _grade_input(arg: str, lang: Lang) -> tuple[Path, tuple[Path, ...] | None]:
    """The folder ``grade`` reads and, for a pattern, the workbooks it names.

    ``grade forms`` grades every workbook under forms (at any depth). ``grade "forms/*.xlsx"`` grades the
    workbooks the pattern matches, named relative to the pattern's fixed folder (forms): cmd.exe passes
    the pattern as typed and the CLI expands it the same way on every system."""
    from engine.inputs import is_pattern, matches, pattern_root

    if not is_pattern(arg) or Path(arg).exists():
        return Path(arg), None
    found = matches(arg)
    if not found:
        _fail("u_no_match", lang, pattern=arg)
    return pattern_root(arg), tuple(found)


@app.command(help=_h("h_grade"))
def grade(
    folder: Annotated[str, typer.Argument(help=_h("h_grade_folder"))],
    output: Annotated[Path, typer.Option("-o", "--out", help=_h("h_out"))],
    lang: LangOpt = "zh",
    profile: GradeProfileOpt = "auto",
    workers: Annotated[int | None, typer.Option("--workers", help=_h("h_workers"))] = None,
    force: Annotated[bool, typer.Option("--force", help=_h("h_force"))] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help=_h("h_progress"))] = True,
    roster: Annotated[Path | None, typer.Option("--roster", help=_h("h_roster"))] = None,
    evaluator: EvaluatorOpt = "auto",
    round_stage: Annotated[str | None, typer.Option("--round", help=_h("h_round"))] = None,
    year: Annotated[int | None, typer.Option("--year", help=_h("h_round_year"))] = None,
    replace: Annotated[bool, typer.Option("--replace", help=_h("h_replace"))] = False,
    ledger: Annotated[Path | None, typer.Option("--ledger", help=_h("h_ledger"))] = None,
    issued: Annotated[str | None, typer.Option("--issued", help=_h("h_issued"))] = None,
    college: Annotated[str | None, typer.Option("--college", help=_h("h_college"))] = None,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from engine import pipeline, runs
    from engine.rulebook import RulebookError

    language = _lang(lang)
    if workers is not None and workers < 0:
        _fail("u_workers", language)
    issue_date = _issue_date(issued, language)
    root, paths = _grade_input(folder, language)
    recording = start_recording(round_stage, year, replace, ledger, profile, language)
    branches = None if roster is None else _roster(roster, language)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not progress,
        transient=True,
    )
    task = bar.add_task(label("grading", language), total=None)
    del force  # every run writes a new run folder: there is nothing to replace
    try:
        with runs.interrupts_raise(), bar:
            run = pipeline.grade_folder(
                root,
                output,
                profile,
                language,
                workers,
                argv=sys.argv,
                on_start=lambda n: bar.update(task, total=n),
                on_done=lambda _o: bar.advance(task),
                paths=paths,
                roster=branches,
                evaluator=evaluator,
                hooks=None if recording is None else recording.hooks,
                on_captured=None if recording is None else recording.add,
                issued=issue_date,
                college=college,
                round_name=round_stage,
                small_in_process=True,
            )
    except pipeline.UsageError as exc:
        _fail_text(exc.text, language)
    except RulebookError as exc:
        raise _usage(exc.message(language)) from exc
    except runs.OutputBusy as exc:
        err.print(exc.text.get(language), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_BUSY) from None
    except runs.EnvironmentFailure as exc:
        err.print(exc.text.get(language), markup=False, soft_wrap=True)
        raise typer.Exit(EXIT_ENVIRONMENT) from None
    except runs.Interrupted as exc:
        err.print(exc.text.get(language), markup=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    if run.cleared:
        _say("cleared_leftovers", language, cleared=label("list_sep", language).join(run.cleared))
    _print_batch(run, language)
    _say("evaluator_ran", language, evaluator=label(f"evaluator_{run.evaluator}", language))
    if recording is not None:
        recording.commit(language)
    raise typer.Exit(run.exit_code)


def _issue_date(text: str | None, lang: Lang) -> date:
    """``--issued``: a date as the forms read one (2012-12-15, 2012/12/15, 2012.12.15 and the other ways
    engine.validate.parse.parse_date accepts); today when not given."""
    if text is None:
        return date.today()
    from engine.validate.parse import parse_date

    try:
        return parse_date(text)
    except ValueError:
        _fail("u_issued", lang, value=text)


def _roster(path: Path, lang: Lang) -> Roster:
    """The roster at ``path``; a roster that cannot be used is a usage error listing every problem."""
    from engine.roster import RosterError, read_roster

    try:
        return read_roster(path)
    except RosterError as exc:
        lines = [label("u_roster", lang, path=path), *("  " + p.render(lang) for p in exc.problems)]
        raise _usage("\n".join(lines)) from None


def _print_batch(run: BatchRun, lang: Lang) -> None:
    from schemas.batch import FILE_STATUSES, WORKBOOK_STATUSES

    # run.files/.grades/.kpis, not run.report: that loads every result back from results.json.
    graded = [f for f in run.files if f.status == "graded"]
    sep = label("list_sep", lang)
    dist = sep.join(f"{grade.name.get(lang)} {n}" for grade, n in run.grades) or "—"  # best first
    by = sep.join(f"{name} {n}" for name, n in run.profiles) or "—"
    counts = Counter(f.status for f in run.files)
    tally = sep.join(f"{label(s, lang)} {counts[s]}" for s in FILE_STATUSES if counts[s])
    workbooks = sum(1 for f in run.files if f.status in WORKBOOK_STATUSES)
    _say("batch_done", lang, files=workbooks, graded=len(graded), dist=dist, out=run.out)
    _say("batch_tally", lang, by=by, entries=len(run.files), tally=tally)
    for kpi in run.kpis:
        actual = "—" if kpi.actual is None else f"{kpi.actual:.0%}"
        mark = "✓" if kpi.met else "✗"
        out.print(f"{mark} {kpi.code} {kpi.title.get(lang)}: {actual} ({kpi.profile})", markup=False)
    for note in run.notes:
        out.print(f"· {note.get(lang)}", markup=False)
    for f in run.files:
        if f.status == "graded":
            continue
        mark = "✗" if f.status in ("ungradable", "duplicate") else "·"
        out.print(f"{mark} {label(f.status, lang)}: {f.file}", markup=False)
        for p in f.problems:
            if p.severity is Severity.ERROR or f.status != "ungradable":
                out.print("    " + p.render(lang), markup=False)
    if run.roster is not None:
        _print_roster(run.roster, lang)


def _print_roster(check: RosterCheck, lang: Lang) -> None:
    if not check.missing:
        _say("roster_complete", lang, mark="✓", n=check.expected)
    else:
        _say("missing_head", lang, n=len(check.missing))
        for e in check.missing:
            general = e.general_branch or label("none", lang)
            _say("missing_row", lang, mark="✗", branch_id=e.branch_id, name=e.branch_name, general=general)
    if check.unknown:
        _say("unknown_head", lang, n=len(check.unknown))
        for branch_id, file in check.unknown:
            _say("unknown_row", lang, branch_id=branch_id, file=file)


@app.command("explain", help=_h("h_explain"))
def explain_cmd(
    file: Annotated[Path, typer.Argument(help=_h("h_explain_file"))],
    lang: LangOpt = "zh",
    profile: GradeProfileOpt = "auto",
    evaluator: EvaluatorOpt = "auto",
) -> None:
    from engine import pipeline
    from engine.export.explain import explain
    from engine.rulebook import RulebookError

    language = _lang(lang)
    if not file.is_file():
        _fail("u_not_found", language, paths=file)
    try:
        name = pipeline.choose_evaluator(evaluator)
        outcome = pipeline.explain_file(file, profile, name)
    except pipeline.UsageError as exc:
        _fail_text(exc.text, language)
    except RulebookError as exc:
        raise _usage(exc.message(language)) from exc
    if outcome.result is None:
        for p in outcome.report.problems:
            out.print(p.render(language), markup=False)
        raise typer.Exit(EXIT_UNGRADABLE)
    out.print(explain(outcome.result, lang=language), markup=False)
    _say("evaluator_ran", language, evaluator=label(f"evaluator_{name}", language))


@rules_app.command("list", help=_h("h_rules_list"))
def rules_list(profile: ProfileOpt = "loudi-2012", lang: LangOpt = "zh") -> None:
    language = _lang(lang)
    loaded = _load(profile, language)
    indicators = _indicator_names(loaded, language)
    for rule in loaded.rules:
        kind = label(f"kind_{rule.kind}", language)
        indicator = indicators.get(rule.indicator, rule.indicator)
        out.print(f"{rule.code}  {kind}  {indicator}  {rule.title.get(language)}", markup=False)


def _indicator_names(profile: Profile, lang: Lang) -> dict[str, str]:
    return {i.id: i.name.get(lang) for i in profile.grading.indicators}


def _example_text(example: Example, lang: Lang) -> str:
    """A rule example as a sentence: its facts and parameters as people read them, then the outcome
    (``share of members who signed 85% → Failed (fail_some_unsigned)``)."""
    sep = label("r_sep", lang)

    def named(name: str) -> str:
        fact = FACTS.get(name)
        return name if fact is None else fact.en if lang == "en" else fact.zh

    facts = sep.join(f"{named(n)} {format_value(v, n, lang)}" for n, v in example.facts.items())
    params = sep.join(f"{n} = {format_value(v, n, lang)}" for n, v in example.params.items())
    given = facts or label("r_no_facts", lang)
    if params:
        given += label("r_with_params", lang, params=params)
    outcome = status_label(example.expect, lang)
    return label("r_example_text", lang, given=given, outcome=outcome, name=example.name)


@rules_app.command("show", help=_h("h_rules_show"))
def rules_show(
    code: Annotated[str, typer.Argument(help=_h("h_rule_code"))],
    profile: ProfileOpt = "loudi-2012",
    lang: LangOpt = "zh",
) -> None:
    language = _lang(lang)
    loaded = _load(profile, language)
    rule = loaded.rule(code)  # by code or by an alias (an earlier code of the rule)
    if rule is None:
        _fail("u_no_rule", language, code=code, profile=loaded.name)
    from engine.rulebook.condition_text import condition_text
    from engine.rulebook.conditions import parse

    used = parse(rule.condition, rule.code).names() | parse(rule.applies, rule.code).names()
    params = ", ".join(
        f"{name} = {format_value(loaded.params[name], name, language)}"
        for name in sorted(used)
        if name in loaded.params
    )
    d = rule.deduction
    per = "period" if d.per_period else "part" if d.per_part else None
    deduction = label("r_points", language, points=f"{d.points:g}") + (
        f" × {label(per, language)} ≤ {d.ceiling:g}" if per else ""
    )
    if d.basis_note is not None:
        deduction += f" ({d.basis_note.get(language)})"
    indicator = _indicator_names(loaded, language).get(rule.indicator, rule.indicator)
    years = (
        label("r_years", language, years=label("list_sep", language).join(map(str, rule.years)))
        if rule.years
        else ""
    )
    rows = [
        ("r_indicator", f"{indicator} · {label(f'kind_{rule.kind}', language)} · {deduction}"),
        ("r_condition", condition_text(rule.condition, loaded.condition_params, language)),
        ("r_expression", rule.condition),
        ("r_applies", condition_text(rule.applies, loaded.condition_params, language) + years),
        ("r_params", params or "—"),
        ("r_source", f"{rule.source.document} {rule.source.clause} {rule.source.text}"),
        ("r_rationale", rule.rationale.get(language)),
        ("r_fix", rule.rectification.get(language)),
    ]
    rows += [("r_example", _example_text(ex, language)) for ex in rule.examples]
    lines = [
        f"{rule.code} {rule.title.get(language)}",
        *(f"  {label(key, language)}: {value}" for key, value in rows),
    ]
    out.print("\n".join(lines), markup=False)


@rules_app.command("catalogue", help=_h("h_rules_catalogue"))
def rules_catalogue(profile: ProfileOpt = "loudi-2012", lang: LangOpt = "zh") -> None:
    language = _lang(lang)
    loaded = _load(profile, language)
    from engine.rulebook import catalogue_path, render_catalogue

    path = catalogue_path(profile)
    path.write_text(render_catalogue(loaded), encoding="utf-8")
    _say("wrote", language, path=path)


@rules_app.command("lint", help=_h("h_rules_lint"))
def rules_lint(
    profile: ProfileOpt = "loudi-2012",
    lang: LangOpt = "zh",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_h("h_lint_verbose"))] = False,
) -> None:
    from engine.rulebook import RulebookError
    from engine.rulebook.lint import counts as lint_counts
    from engine.rulebook.lint import lint_profile

    language = _lang(lang)
    try:
        issues = lint_profile(profile)
    except RulebookError as exc:  # no such profile folder: a usage error
        raise _usage(exc.message(language)) from exc
    # The verdict first, then errors and warnings; notes (info) only when asked for.
    n = lint_counts(issues)
    errors, warnings, infos = n[Severity.ERROR], n[Severity.WARNING], n[Severity.INFO]
    _say("lint_counts", language, errors=errors, warnings=warnings, infos=infos)
    shown = [i for i in issues if verbose or i.severity is not Severity.INFO]
    for issue in shown:
        out.print(issue.render(language), markup=False)
    if infos and not verbose:
        _say("lint_notes_hidden", language, infos=infos)
    raise typer.Exit(EXIT_UNGRADABLE if errors else EXIT_OK)


def _load(profile: str, lang: Lang) -> Profile:
    from engine.rulebook import RulebookError, load_profile

    try:
        return load_profile(profile)
    except RulebookError as exc:
        raise _usage(exc.message(lang)) from exc


register_movement(app)  # compare, history, replay (engine/movement/cli.py)
add_review_commands(app, _h)  # review import / add / show / export (engine/review/cli.py)
add_notice_commands(app, _h)  # publish, objection add / decide / list (engine/notice/cli.py)


def run() -> None:
    """Run the command line with output streams that cannot fail on a character (engine.console)."""
    make_streams_safe()
    run_in_language(app)


def main() -> None:  # pragma: no cover - console entry point
    run()


if __name__ == "__main__":  # python -m engine.cli
    run()
