"""Run folders, the output lock, and how a run ends when the machine or the user stops it.

An output folder holds one folder per run, named by when it started (``20261203-091500``; ``-2``, ``-3``
… when that name is taken). A run writes into ``<run-id>.partial/`` and only when every output is
written (the manifest last) is that folder renamed to ``<run-id>/`` — one atomic rename — and the pointer
``最新结果.txt`` rewritten (atomically) to name it. Until then the previous complete run is untouched,
and it stays after: earlier runs are never deleted. A ``.partial`` folder is never a result; the next run
in that output folder removes any that a killed run left behind.

One run at a time per output folder: an OS lock (``filelock``: fcntl/msvcrt) on ``.branchgrade.lock``
that dies with its process, so a killed run's lock is free again at once, and a holder file beside it
(process id, start time, command line, host) that a refused run quotes. A holder file left by a killed
run is recognised (the lock was free) and replaced.

A run's failures that are not about a workbook end it with a located message and leave the previous
run as it was: :class:`EnvironmentFailure` (the disk is full, a folder is not writable or has vanished),
:class:`OutputBusy` (another run holds the folder), :class:`Interrupted` (SIGINT, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType

from filelock import FileLock, Timeout

from engine.export.atomic import atomic_write_bytes, fsync_dir, temp_target
from schemas.common import Text

__all__ = [
    "HOLDER_NAME",
    "LOCK_NAME",
    "MANIFEST_NAME",
    "PARTIAL_SUFFIX",
    "POINTER_NAME",
    "EnvironmentFailure",
    "Holder",
    "Interrupted",
    "OutputBusy",
    "RunFolder",
    "complete_runs",
    "deferred_interrupts",
    "find_latest_run",
    "foreign_entries",
    "ignore_interrupts",
    "interrupts_raise",
    "open_run",
    "unblock_stop_signals",
]

MANIFEST_NAME = "run-manifest.json"  # written last into a run folder: its presence marks the run complete
POINTER_NAME = "最新结果.txt"
LOCK_NAME = ".branchgrade.lock"
HOLDER_NAME = ".branchgrade.lock.json"
PARTIAL_SUFFIX = ".partial"
_POINTER_NOTE = "最新一次完整评定的结果在上面这个文件夹中 / the latest complete run is in the folder above"
_RUN_NAME = re.compile(r"(\d{8}-\d{6})(?:-([1-9]\d*))?")


# --------------------------------------------------------------------------------------- failures


@dataclass(frozen=True)
class _Cause:
    what: Text
    fix: Text


_FREE_SPACE = Text(
    zh="请清理磁盘空间，或换一个输出文件夹，然后重新运行",
    en="free some disk space, or choose another output folder, and run again",
)
_OTHER_FOLDER = Text(
    zh="请换一个可以写入的文件夹（如本机磁盘上的文件夹），然后重新运行",
    en="choose a folder you can write to (e.g. one on this computer's disk) and run again",
)
_CHECK_PATH = Text(zh="请检查该路径，然后重新运行", en="check that path and run again")
_CAUSES: dict[int, _Cause] = {
    errno.ENOSPC: _Cause(Text(zh="磁盘空间已满", en="the disk is full"), _FREE_SPACE),
    errno.EDQUOT: _Cause(Text(zh="磁盘配额已用完", en="the disk quota is used up"), _FREE_SPACE),
    errno.EFBIG: _Cause(Text(zh="文件超过了系统允许的大小", en="a file grew beyond what the system allows"),
                        _OTHER_FOLDER),
    errno.EACCES: _Cause(Text(zh="没有访问权限", en="permission denied"), _OTHER_FOLDER),
    errno.EPERM: _Cause(Text(zh="操作不被允许", en="the operation is not permitted"), _OTHER_FOLDER),
    errno.EROFS: _Cause(Text(zh="所在磁盘是只读的", en="the file system is read-only"), _OTHER_FOLDER),
    errno.ENOTDIR: _Cause(
        Text(zh="路径中有一部分是文件而不是文件夹", en="part of the path is a file, not a folder"),
        Text(zh="请检查路径，或换一个文件夹，然后重新运行", en="check the path, or choose another folder, "
             "and run again"),
    ),
    errno.ENOENT: _Cause(
        Text(zh="找不到（可能已被移走或删除）", en="it is not there (moved or deleted?)"),
        Text(zh="请确认文件夹仍在原处，然后重新运行", en="make sure the folder is still there and run again"),
    ),
    errno.EIO: _Cause(
        Text(zh="磁盘读写出错", en="the disk reported an input/output error"),
        Text(zh="请检查磁盘或网络连接，然后重新运行", en="check the disk or network link and run again"),
    ),
}


class EnvironmentFailure(Exception):
    """The machine refused a read or write the run needs (an ``OSError``), said with the path and cause."""

    def __init__(self, path: Path | str, code: int | None, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path, self.code, self.detail = Path(path), code, detail

    @classmethod
    def from_os_error(cls, exc: OSError, fallback: Path) -> EnvironmentFailure:
        """``exc`` said for users; ``fallback`` is the path named when the error names none (a write on an
        open file: the folder being written)."""
        name = exc.filename if exc.filename is not None else fallback
        return cls(os.fsdecode(name), exc.errno, exc.strerror or str(exc))

    @property
    def text(self) -> Text:
        cause = _CAUSES.get(self.code or 0)
        what = cause.what if cause else Text(zh=self.detail, en=self.detail)
        fix = cause.fix if cause else _CHECK_PATH
        return Text(
            zh=f"无法完成评定：{self.path}：{what.zh}。{fix.zh}。已有的结果未受影响。",
            en=f"The run could not finish: {self.path}: {what.en}. {fix.en[0].upper()}{fix.en[1:]}. "
            "Earlier results are untouched.",
        )


@dataclass(frozen=True)
class Holder:
    """Who holds an output folder's lock: written beside the lock by the run that holds it."""

    pid: int
    started: str
    argv: tuple[str, ...]
    host: str

    @classmethod
    def this_process(cls, argv: Iterable[str]) -> Holder:
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        return cls(os.getpid(), started, tuple(argv), socket.gethostname())

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2).encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> Holder | None:
        """The holder recorded in ``path``; None when there is none or it cannot be read (being written)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            argv = tuple(map(str, data["argv"]))
            return cls(int(data["pid"]), str(data["started"]), argv, str(data["host"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


class OutputBusy(Exception):
    """Another run holds the output folder's lock."""

    def __init__(self, out: Path, holder: Holder | None) -> None:
        super().__init__(f"{out} is in use by another run")
        self.out, self.holder = out, holder

    @property
    def text(self) -> Text:
        h = self.holder
        if h is None:
            who = Text(zh="（该运行的信息暂不可读）", en=" (its details cannot be read yet)")
        else:
            command = " ".join(h.argv) or "?"
            who = Text(
                zh=f"（进程 {h.pid}，主机 {h.host}，开始于 {h.started}，命令：{command}）",
                en=f" (process {h.pid} on {h.host}, started {h.started}, command: {command})",
            )
        return Text(
            zh=f"输出文件夹 {self.out} 正被另一次评定使用{who.zh}。请等它结束后再运行，或换一个输出文件夹。",
            en=f"The output folder {self.out} is in use by another run{who.en}. Wait for it to finish, "
            "or choose another output folder.",
        )


class Interrupted(BaseException):
    """The run was stopped by a signal. A BaseException, like KeyboardInterrupt: nothing may swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as shells report a process ended by it: 130 SIGINT, 143 SIGTERM,
        129 SIGHUP."""
        return 128 + self.signum

    @property
    def text(self) -> Text:
        name = signal.Signals(self.signum).name
        return Text(
            zh=f"评定已中断（{name}）：未生成新结果，已有的结果未受影响。",
            en=f"Interrupted ({name}): no new results were written; earlier results are untouched.",
        )


# --------------------------------------------------------------------------------------- signals

_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK") if hasattr(signal, name)
)


class _Interrupts:
    """The state of the handlers :func:`interrupts_raise` installs (one set per process)."""

    # True once a signal raised Interrupted (later ones are ignored while the cleanup runs), or once the
    # run is being published (it is then as good as done: a signal would only misreport it)
    done = False
    deferring = 0  # > 0 inside deferred_interrupts(): a signal is noted, and raised when it ends
    pending: int | None = None

    @classmethod
    def handle(cls, signum: int, _frame: FrameType | None) -> None:
        if cls.done:
            return
        if cls.deferring:
            cls.pending = cls.pending or signum
            return
        cls.done = True
        raise Interrupted(signum)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (once: a second signal
    during the cleanup that follows is ignored), so a run unwinds through its cleanup instead of dying
    mid-write. Only the main thread can own signal handlers: elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Interrupts.done, _Interrupts.deferring, _Interrupts.pending = False, 0, None
    previous = {signum: signal.signal(signum, _Interrupts.handle) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """A signal arriving in the block is raised when the block ends, not inside it: for steps that must
    not be cut in half (starting a worker process: its start-up data would reach it truncated).

    Where threads have signal masks (POSIX), the stop signals are also blocked in the block, so a process
    started in it begins with them blocked — it inherits the mask — until it decides how to treat them
    (``unblock_stop_signals``): a Ctrl+C then never catches a worker half started."""
    masked = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS) if masked else set()
    _Interrupts.deferring += 1
    try:
        yield
    finally:
        _Interrupts.deferring -= 1
        if masked:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # what was held back is delivered now
    if not _Interrupts.deferring and _Interrupts.pending is not None and not _Interrupts.done:
        signum, _Interrupts.pending = _Interrupts.pending, None
        _Interrupts.done = True
        raise Interrupted(signum)


def unblock_stop_signals() -> None:
    """In a process started inside :func:`deferred_interrupts`: receive the stop signals again (after
    setting how to treat them)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def ignore_interrupts() -> None:
    """From now until :func:`interrupts_raise` ends, signals no longer stop the run: it is being
    published, which one rename makes complete, and all that is left is to say so."""
    _Interrupts.done = True


# --------------------------------------------------------------------------------------- run folders


def _run_key(name: str) -> tuple[str, int] | None:
    """The sort key of a run folder's name (its start time, then its number), None if it is not one."""
    match = _RUN_NAME.fullmatch(name)
    return (match[1], int(match[2] or 1)) if match else None


def complete_runs(out: Path) -> list[Path]:
    """The complete runs in ``out`` (a run folder holding its manifest), oldest first."""
    try:
        entries = list(out.iterdir())
    except OSError:
        return []
    runs = [p for p in entries if _run_key(p.name) and (p / MANIFEST_NAME).is_file()]
    return sorted(runs, key=lambda p: _run_key(p.name) or ("", 0))


def find_latest_run(out: Path) -> Path | None:
    """The latest complete run in the output folder ``out``: the one ``最新结果.txt`` names, or — when the
    pointer is missing or names no complete run — the newest run folder holding a manifest."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        lines = (out / POINTER_NAME).read_text(encoding="utf-8").splitlines()
        name = lines[0].strip() if lines else ""
        if _run_key(name) and (out / name / MANIFEST_NAME).is_file():
            return out / name
    runs = complete_runs(out)
    return runs[-1] if runs else None


def _is_ours(entry: Path, legacy: frozenset[str]) -> bool:
    name = entry.name
    if name in (LOCK_NAME, HOLDER_NAME, POINTER_NAME) or name in legacy:
        return True
    if _run_key(name.removesuffix(PARTIAL_SUFFIX)) and entry.is_dir():
        return True
    return temp_target(name) in (POINTER_NAME, HOLDER_NAME, *legacy)


def foreign_entries(out: Path, legacy: Iterable[str] = ()) -> list[str]:
    """Names in ``out`` that branchgrade did not write: run folders, the pointer, the lock, and ``legacy``
    (the outputs of the single-run layout earlier versions wrote at the top) are ours."""
    ours = frozenset(legacy)
    return sorted(p.name for p in out.iterdir() if not _is_ours(p, ours))


@dataclass
class RunFolder:
    """The run being written: ``path`` (``<run-id>.partial``) while it runs, ``final`` once complete.

    ``removed`` names the leftovers of killed runs this run cleared when it started; ``stale_holder`` is
    the holder a killed run left recorded (its lock had died with it)."""

    out: Path
    run_id: str
    removed: list[str] = field(default_factory=list)
    stale_holder: Holder | None = None
    complete: bool = False

    @property
    def path(self) -> Path:
        return self.final if self.complete else self.out / (self.run_id + PARTIAL_SUFFIX)

    @property
    def final(self) -> Path:
        return self.out / self.run_id


def _new_run_id(out: Path, now: datetime) -> str:
    base = now.strftime("%Y%m%d-%H%M%S")
    taken = {p.name.removesuffix(PARTIAL_SUFFIX) for p in out.iterdir()}
    number = 1
    while (run_id := base if number == 1 else f"{base}-{number}") in taken:
        number += 1
    return run_id


def _clear_leftovers(out: Path, legacy: frozenset[str]) -> list[str]:
    """Remove what killed runs left: ``.partial`` run folders and our temporary files at the top. Only
    called with the lock held, so no live run owns them."""
    removed = []
    for entry in sorted(out.iterdir()):
        name = entry.name
        if name.endswith(PARTIAL_SUFFIX) and _run_key(name.removesuffix(PARTIAL_SUFFIX)) and entry.is_dir():
            shutil.rmtree(entry)
            removed.append(name)
        elif entry.is_file() and temp_target(name) in (POINTER_NAME, HOLDER_NAME, *legacy):
            entry.unlink()
            removed.append(name)
    return removed


@contextlib.contextmanager
def _locked(out: Path, argv: Iterable[str]) -> Iterator[Holder | None]:
    """Hold ``out``'s lock for the block, with this process recorded as its holder. Yields the holder a
    killed run left recorded, if any. Raises :class:`OutputBusy` when another run holds it."""
    lock = FileLock(out / LOCK_NAME, timeout=0)
    holder_file = out / HOLDER_NAME
    try:
        lock.acquire()
    except Timeout:
        raise OutputBusy(out, Holder.read(holder_file)) from None
    try:
        stale = Holder.read(holder_file)  # the lock was free: whoever is recorded has died
        atomic_write_bytes(holder_file, Holder.this_process(argv).to_json())
        try:
            yield stale
        finally:
            holder_file.unlink(missing_ok=True)
    finally:
        lock.release()


@contextlib.contextmanager
def open_run(out: Path, argv: Iterable[str] = (), legacy: Iterable[str] = ()) -> Iterator[RunFolder]:
    """Lock ``out`` (created if need be), clear what killed runs left, and open a new run folder to write.

    When the block ends normally the run is published: renamed to its final name and named by the
    pointer. When it raises, the run folder is removed and the previous runs are as they were; an
    ``OSError`` comes out as :class:`EnvironmentFailure`. The lock is released either way.
    """
    ours = frozenset(legacy)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out, argv) as stale:
            run = RunFolder(out, _new_run_id(out, datetime.now()), stale_holder=stale)
            run.removed = _clear_leftovers(out, ours)
            run.path.mkdir()
            try:
                yield run
                ignore_interrupts()
                _publish(run)
            except BaseException:
                if not run.complete:
                    shutil.rmtree(run.path, ignore_errors=True)
                raise
    except OSError as exc:
        raise EnvironmentFailure.from_os_error(exc, out) from exc


def _publish(run: RunFolder) -> None:
    """Make the finished run the current one: one rename, then the pointer."""
    os.rename(run.path, run.final)
    run.complete = True
    fsync_dir(run.out)
    pointer = f"{run.run_id}\n{_POINTER_NOTE}\n"
    atomic_write_bytes(run.out / POINTER_NAME, pointer.encode("utf-8"))
