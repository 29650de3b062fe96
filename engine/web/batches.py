"""An officer's collection: uploaded workbooks (and zips) graded as one batch run by the library API.

Uploads are stored in a folder of a generated name, each file under a name made safe here (``safe_name``:
the last part of what the browser sent, without folders, control or reserved characters, made unique),
never under a path a user supplied. ``pipeline.grade_folder`` grades them in its worker processes (the
CLI's pre-flight and isolation) into the collection's output folder, in a thread of the server so the
page can show progress. What the pages need afterwards is read from the run folder the batch wrote.
"""

from __future__ import annotations

import re
import secrets
import threading
import traceback
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from engine import pipeline
from engine.ledger import Ledger, LedgerError
from engine.ledger.cli import Recording
from engine.profiles import AUTO
from engine.roster import Roster, RosterError, read_roster
from schemas.batch import BatchReport
from schemas.common import Lang

from .store import Store

LEDGER_NAME = "ledger.sqlite3"  # the grading ledger of the department served (rounds, items, statuses)
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*\\/]')
MAX_NAME = 120


def safe_name(name: str, taken: set[str]) -> str:
    """The name an upload is stored under: the last part of ``name`` (a browser may send a path), without
    characters no file name should hold, not hidden (no leading dot), at most ``MAX_NAME`` characters,
    and unique among ``taken`` (which it joins)."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base:
        base = "upload"
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = ext[:10]
    stem = stem[: MAX_NAME - len(ext) - 6]
    candidate, n = f"{stem}.{ext}" if ext else stem, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
    taken.add(candidate.lower())
    return candidate


@dataclass
class Progress:
    total: int | None = None
    done: int = 0
    error: str | None = None


@dataclass
class Collections:
    """The collections under ``<data>/collections/<generated id>/`` (``in``: uploads, ``out``: runs)."""

    data: Path
    store: Store
    workers: int | None = None  # grading processes per batch (None: every core)
    college: str | None = None  # printed in the summary's page header and on its 总览 (grade --college)
    progress: dict[str, Progress] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.data / "collections"

    @property
    def ledger(self) -> Path:
        return self.data / LEDGER_NAME

    def folder(self, batch_id: str) -> Path:
        if not BATCH_ID.match(batch_id):
            raise KeyError(batch_id)
        return self.root / batch_id

    def start(
        self,
        owner: str,
        uploads: Iterable[tuple[str, BinaryIO]],
        roster: tuple[str, BinaryIO] | None,
        lang: Lang,
        recording: Recording | None = None,
        profile: str = AUTO,
    ) -> str:
        """Store the uploads, record the collection and start grading it by ``profile`` (a profile's name,
        or auto: each workbook by its year); returns its id. With ``recording`` (``open_recording``:
        checked before anything is stored) the graded branches are recorded in the ledger as that round
        once the run is complete."""
        batch_id = secrets.token_urlsafe(16)
        folder = self.folder(batch_id)
        inbox = folder / "in"
        inbox.mkdir(parents=True)
        taken: set[str] = set()
        names: list[str] = []
        for name, stream in uploads:
            stored = safe_name(name, taken)
            _copy(stream, inbox / stored)
            names.append(stored)
        roster_path = None
        if roster is not None:
            roster_path = folder / ("roster" + Path(safe_name(roster[0], set())).suffix.lower()[:6])
            _copy(roster[1], roster_path)
        stage = None if recording is None else recording.recorder.plan.stage
        detail = {"files": names, "lang": lang, "stage": stage, "profile": profile}
        self.store.add_batch(batch_id, owner, detail)
        self.progress[batch_id] = Progress()
        thread = threading.Thread(
            target=self._grade,
            args=(batch_id, names, roster_path, lang, recording, profile),
            daemon=True,
            name=f"grade-{batch_id}",
        )
        thread.start()
        return batch_id

    def _grade(
        self,
        batch_id: str,
        names: list[str],
        roster_path: Path | None,
        lang: Lang,
        recording: Recording | None,
        profile: str,
    ) -> None:
        """The collection's run (in its own thread): graded, then recorded as its round if asked. Whatever
        goes wrong ends as a failed collection whose page says why, never as a dead thread."""
        progress = self.progress[batch_id]
        stage = None if recording is None else recording.recorder.plan.stage
        detail: dict[str, Any] = {"files": names, "lang": lang, "stage": stage, "profile": profile}
        try:
            run = self._run(batch_id, roster_path, lang, recording, progress, detail)
            if recording is not None:
                detail.update(self._record(recording))
        except pipeline.UsageError as exc:
            progress.error = exc.text.get(lang)
            detail["error"] = exc.text.model_dump()
        except Exception as exc:  # the machine refused something: say so on the page, keep the server
            traceback.print_exc()
            progress.error = str(exc)
            detail["error"] = {"zh": str(exc), "en": str(exc)}
        finally:
            if recording is not None:
                recording.recorder.close()
        if "error" in detail:
            self.store.finish_batch(batch_id, "failed", None, detail)
        else:
            self.store.finish_batch(batch_id, "done", str(run.out), detail)

    def _run(
        self,
        batch_id: str,
        roster_path: Path | None,
        lang: Lang,
        recording: Recording | None,
        progress: Progress,
        detail: dict[str, Any],
    ) -> pipeline.BatchRun:
        folder = self.folder(batch_id)
        roster: Roster | None = None
        if roster_path is not None:
            try:
                roster = read_roster(roster_path)
            except RosterError as exc:
                detail["roster_problems"] = [p.model_dump(mode="json") for p in exc.problems]

        def started(n: int) -> None:
            progress.total = n

        def one_done(_outcome: pipeline.FileOutcome) -> None:
            progress.done += 1

        run = pipeline.grade_folder(
            folder / "in",
            folder / "out",
            detail["profile"],
            lang,
            self.workers,
            argv=["branchgrade", "serve"],
            on_start=started,
            on_done=one_done,
            roster=roster,
            hooks=None if recording is None else recording.hooks,
            on_captured=None if recording is None else recording.add,
            college=self.college,
            round_name=None if recording is None else recording.recorder.plan.stage,
        )
        if run.roster is not None:
            detail["roster"] = {
                "expected": run.roster.expected,
                "graded": run.roster.graded,
                "missing": [
                    [e.branch_id, e.branch_name, e.general_branch, e.branch_type] for e in run.roster.missing
                ],
                "unknown": [list(u) for u in run.roster.unknown],
            }
        return run

    def _record(self, recording: Recording) -> dict[str, Any]:
        """Record the graded run as its round in the ledger: the rounds recorded, or why not."""
        recorder = recording.recorder
        if len(recorder) == 0:
            return {}
        try:
            with Ledger.open(recording.path) as led:
                return {"rounds": [info.id for info in recorder.commit(led)]}
        except LedgerError as exc:
            return {"round_error": exc.text.model_dump()}

    def report(self, run: str) -> BatchReport:
        return _report(run)


@lru_cache(maxsize=8)
def _report(run: str) -> BatchReport:
    """A finished run's results.json, read once (a run folder never changes once published)."""
    return BatchReport.model_validate_json((Path(run) / pipeline.RESULTS_NAME).read_bytes())


def _copy(stream: BinaryIO, target: Path) -> None:
    with target.open("xb") as fh:
        while chunk := stream.read(1 << 20):
            fh.write(chunk)


def list_files(run: Path) -> list[Path]:
    """A run's rectification lists, by name (in whichever language the run wrote them)."""
    for folder in pipeline.LIST_FOLDER.values():
        if (run / folder).is_dir():
            return sorted(p for p in (run / folder).iterdir() if p.suffix == ".xlsx" and p.is_file())
    return []
