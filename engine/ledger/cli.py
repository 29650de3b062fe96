"""The ledger's commands: ``grade … --round`` (through :func:`start_recording`), ``ledger check``,
``status import`` and ``status export``. Registered on the main app by :func:`add_ledger_commands`;
everything heavier than typer is imported inside the commands.

Exit codes follow engine/cli.py: 0 done, 1 problems found (a check that fails, lists refused on
import), 2 a usage error (bad option, unknown stage or round, a file that is not a ledger, a round
already recorded without --replace).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

import engine.ledger.texts  # noqa: F401 - registers the ledger's labels
from engine.export.i18n import label
from schemas.common import Lang, Text

if TYPE_CHECKING:
    from engine.ledger.record import Recorder
    from engine.ledger.store import Ledger
    from engine.pipeline import RoundHooks

__all__ = ["Recording", "add_ledger_commands", "refuse", "say", "start_recording"]

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def say(text: str) -> None:
    """Print one line of a command's report (the review and notice commands print through it too)."""
    from engine.cli import out

    out.print(text, markup=False, soft_wrap=True)


def refuse(text: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print why a command cannot go on, to stderr, and exit with ``code``."""
    from engine.cli import err

    err.print(text, markup=False, soft_wrap=True)
    raise typer.Exit(code)


@dataclass
class Recording:
    """A ``grade --round`` run in progress: the hooks the pipeline grades with, and the recorder that
    collects each graded branch until :meth:`commit`."""

    path: Path | None
    hooks: "RoundHooks"
    recorder: "Recorder"

    def add(self, captured: bytes) -> None:
        self.recorder.add(captured)

    def commit(self, lang: Lang) -> None:
        """Record the round; prints what was recorded and decided. A refusal exits 2 (the run's outputs
        stay: they are a complete run, only not recorded)."""
        from engine.ledger.store import Ledger, LedgerError

        with self.recorder:
            if len(self.recorder) == 0:
                say(label("ledger_nothing", lang))
                return
            try:
                with Ledger.open(self.path) as led:
                    recorded = self.recorder.commit(led)
                    for info in recorded:
                        _report_round(led, info.id, lang)
            except LedgerError as exc:
                refuse(label("ledger_refused", lang, reason=exc.text.get(lang)))


def _report_round(led: "Ledger", round_id: int, lang: Lang) -> None:
    """What recording round ``round_id`` did: its branches and items, and the earlier items it decided."""
    conn = led.conn
    info = led.round_by_id(round_id)
    assert info is not None
    branches = conn.execute("SELECT count(*) FROM branches WHERE round_id = ?", (round_id,)).fetchone()[0]
    items = conn.execute("SELECT count(*) FROM items WHERE round_id = ?", (round_id,)).fetchone()[0]
    line = label(
        "ledger_recorded",
        lang,
        round=info.label.get(lang),
        id=info.id,
        branches=branches,
        items=items,
        path=led.path,
    )
    replaced = conn.execute("SELECT id FROM rounds WHERE replaced_by = ?", (round_id,)).fetchone()
    if replaced is not None:
        line += label("ledger_replaced", lang, id=replaced[0])
    say(line)
    counts = dict(
        conn.execute(
            "SELECT status, count(*) FROM events WHERE source = 'round' AND round_id = ? GROUP BY status",
            (round_id,),
        ).fetchall()
    )
    if counts:
        say(
            label(
                "ledger_decided",
                lang,
                closed=counts.get("closed", 0),
                ineffective=counts.get("ineffective", 0),
                carried=counts.get("carried", 0),
                na=counts.get("not_applicable", 0),
            )
        )


class RecordingRefused(Exception):
    """A round that cannot be recorded as asked; ``text`` says why, in each language."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.zh)
        self.text = text


def open_recording(
    stage: str, year: int | None, replace: bool, ledger: Path | None, profile_ref: str
) -> Recording:
    """What a graded run records as round ``stage``, checked before any grading: the stage is one the
    profile names, the ledger opens, and a round of a given year is not recorded already (unless
    ``replace``). Raises :class:`RecordingRefused` (the command line and the web pages say why)."""
    from engine.ledger.record import Recorder, RoundPlan, round_context
    from engine.ledger.store import Ledger, LedgerError
    from engine.profiles import ProfileChoice
    from engine.rulebook import RulebookError

    try:
        choice = ProfileChoice.from_ref(profile_ref)
        entries = [e for e in choice.entries if year is None or e.covers(year)] or list(choice.entries)
        profiles = [choice.profile(e.name) for e in entries]
    except RulebookError as exc:
        raise RecordingRefused(Text(zh=exc.message("zh"), en=exc.message("en"))) from None
    stage = stage.strip()
    named = [p for p in profiles if p.stage(stage) is not None]
    if not named:
        stages = list(dict.fromkeys(s.name for p in profiles for s in p.stages))
        said = {
            lang: label(
                "u_stage",
                lang,
                stage=stage,
                profiles="、".join(p.name for p in profiles),
                stages=label("list_sep", lang).join(stages) or "—",
            )
            for lang in ("zh", "en")
        }
        raise RecordingRefused(Text(zh=said["zh"], en=said["en"]))
    baseline = named[0].baseline_stage
    this = named[0].stage(stage)
    assert this is not None
    plan = RoundPlan(
        stage=stage,
        year=year,
        replace=replace,
        profiles={e.name: e.sha256 for e in choice.entries},
        baseline_stage=baseline.name if baseline is not None and this.compare_baseline else None,
    )
    try:
        with Ledger.open(ledger) as led:
            context = round_context(led, plan)
    except LedgerError as exc:
        raise RecordingRefused(exc.text) from None
    return Recording(ledger, context, Recorder(plan))


def start_recording(
    stage: str | None, year: int | None, replace: bool, ledger: Path | None, profile_ref: str, lang: Lang
) -> Recording | None:
    """``grade``'s recording (see :func:`open_recording`); None without ``--round``. Any refusal exits 2
    with its message."""
    if stage is None:
        if year is not None or replace:
            refuse(label("u_round_options", lang))
        return None
    try:
        return open_recording(stage, year, replace, ledger, profile_ref)
    except RecordingRefused as exc:
        refuse(exc.text.get(lang))


# --- ledger check -------------------------------------------------------------------------------------


def _ledger_check(ledger: Path | None, lang: str) -> None:
    from engine.cli import _lang
    from engine.ledger.check import check_ledger
    from engine.ledger.store import SCHEMA_VERSION, Ledger, LedgerError

    language = _lang(lang)
    try:
        led = Ledger.open(ledger, create=False)
    except LedgerError as exc:
        refuse(exc.text.get(language), EXIT_PROBLEMS if exc.damaged else EXIT_USAGE)
    with led:
        problems = check_ledger(led)
        if problems:
            say(label("check_bad", language, path=led.path, n=len(problems)))
            for p in problems:
                say("  " + p.get(language))
            raise typer.Exit(EXIT_PROBLEMS)
        count = {
            t: led.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("rounds", "items", "events")
        }
        say(
            label(
                "check_ok",
                language,
                path=led.path,
                version=SCHEMA_VERSION,
                rounds=count["rounds"],
                items=count["items"],
                events=count["events"],
            )
        )


# --- status import / export ---------------------------------------------------------------------------


def _status_import(files: list[Path], ledger: Path | None, lang: str) -> None:
    from engine.cli import _lang
    from engine.ledger.status import import_lists, list_files
    from engine.ledger.store import Ledger, LedgerError

    language = _lang(lang)
    paths = list_files(files)
    missing = [p for p in paths if not p.exists()]
    if missing:
        refuse(label("u_not_found", language, paths=", ".join(map(str, missing))))
    if not paths:
        refuse(label("u_empty_folder", language, path=", ".join(map(str, files))))
    try:
        with Ledger.open(ledger, create=False) as led:
            outcomes = import_lists(led, paths, [p.as_posix() for p in paths])
    except LedgerError as exc:
        refuse(exc.text.get(language))
    for o in outcomes:
        key = {"recorded": "import_recorded", "unchanged": "import_unchanged", "refused": "import_refused"}[
            o.state
        ]
        say(label(key, language, file=o.file, n=o.recorded, conflicts=o.conflicts))
        for p in o.problems:
            say("    " + p.render(language))
    totals = [sum(o.state == s for o in outcomes) for s in ("recorded", "unchanged", "refused")]
    say(label("import_totals", language, recorded=totals[0], unchanged=totals[1], refused=totals[2]))
    raise typer.Exit(EXIT_PROBLEMS if totals[2] else EXIT_OK)


def _status_export(output: Path | None, ledger: Path | None, lang: str) -> None:
    from engine.cli import _lang
    from engine.ledger.status import write_ledger_workbook
    from engine.ledger.store import Ledger, LedgerError

    language = _lang(lang)
    target = output or Path(label("ledger_book_name", language))
    if target.suffix.lower() != ".xlsx":
        refuse(label("u_xlsx_name", language, path=target))
    try:
        with Ledger.open(ledger, create=False) as led:
            rows = write_ledger_workbook(led, target, language)
    except LedgerError as exc:
        refuse(exc.text.get(language))
    except OSError as exc:
        refuse(f"{target}: {exc.strerror or exc}", 3)
    open_items = sum(r.open for r in rows)
    say(label("export_done", language, path=target, items=len(rows), open=open_items))


def add_ledger_commands(app: typer.Typer, h: Callable[[str], str]) -> None:
    """Register ``ledger`` and ``status`` on the main app; ``h`` makes a help text from a label key.
    (This module leaves annotations unpostponed: typer reads the commands' local option types.)"""
    ledger_app = typer.Typer(no_args_is_help=True, help=h("h_ledger_app"))
    app.add_typer(ledger_app, name="ledger")
    ledger_opt = Annotated[Path | None, typer.Option("--ledger", help=h("h_ledger"))]
    lang_opt = Annotated[str, typer.Option("--lang", help=h("h_lang"))]

    @ledger_app.command("check", help=h("h_ledger_check"))
    def ledger_check(ledger: ledger_opt = None, lang: lang_opt = "zh") -> None:
        _ledger_check(ledger, lang)

    status_app = typer.Typer(no_args_is_help=True, help=h("h_status_app"))
    app.add_typer(status_app, name="status")

    @status_app.command("import", help=h("h_status_import"))
    def status_import(
        files: Annotated[list[Path], typer.Argument(help=h("h_status_files"))],
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _status_import(files, ledger, lang)

    @status_app.command("export", help=h("h_status_export"))
    def status_export(
        output: Annotated[Path | None, typer.Option("-o", "--out", help=h("h_status_out"))] = None,
        ledger: ledger_opt = None,
        lang: lang_opt = "zh",
    ) -> None:
        _status_export(output, ledger, lang)
