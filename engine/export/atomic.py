"""Atomic file output: a run killed mid-write leaves either the old file or the new one, never half of one.

Every writer in ``engine.export`` writes to a temporary file in the target's own folder (so the final
``os.replace`` is a rename on one filesystem, which POSIX and Windows both make atomic), fsyncs it, and only
then moves it into place. On any exception the temporary file is removed and the target is untouched.

A batch writes one rectification list per branch: thousands of small files, where two fsyncs each would
cost more than writing them. Those are written
with ``durable=False`` — still atomic, never half a file — and made durable together by ``sync_all``
before the run's manifest is written, so a manifest on disk means every output before it is on disk too.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "fsync_dir", "sync_all", "temp_target"]

_TEMP_NAME = re.compile(r"\.(.+)\.[0-9a-f]{8}\.tmp")


def _fsync_file(path: Path) -> None:
    # Opened for writing because Windows refuses fsync (FlushFileBuffers) on a read-only handle.
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make the rename itself durable. Directories cannot be opened on Windows, hence best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_target(name: str) -> str | None:
    """The target file name if ``name`` is one of our temporary files (``.<target>.<8 hex>.tmp``), else None.

    A run killed with SIGKILL cannot remove the temporary file it was writing; the next run in the same
    output folder uses this to recognise and delete it (engine.runs).
    """
    match = _TEMP_NAME.fullmatch(name)
    return match[1] if match else None


def _open_temp(path: Path) -> tuple[Path, int]:
    """A new temporary file next to ``path``, and a write descriptor on it."""
    # Not tempfile.mkstemp: that creates the file 0600, and the output would keep those permissions after
    # the rename. O_CREAT|O_EXCL with 0o666 lets the user's umask decide, as a plain open() would.
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file next to {path}")


def _create_temp(path: Path) -> Path:
    tmp, fd = _open_temp(path)
    os.close(fd)
    return tmp


@contextlib.contextmanager
def _moved_into_place(tmp: Path, target: Path, durable: bool) -> Iterator[None]:
    """The body fills ``tmp``; then it is renamed onto ``target``. If the body (or the rename) raises,
    ``tmp`` is deleted and ``target`` keeps whatever it held before."""
    try:
        yield
        os.replace(tmp, target)
    except BaseException:
        # BaseException too: a KeyboardInterrupt mid-write must not leave a stray temp file behind.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_path(path: Path | str, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path (``.<name>.<random>.tmp``, same folder) to write; on success move it onto
    ``path``.

    The temporary file exists (empty) when yielded; the caller may overwrite or truncate it. If the body
    raises, the temporary file is deleted and ``path`` keeps whatever it held before. With
    ``durable=False`` nothing is fsynced: the caller promises a later ``sync_all`` (see the module doc).
    """
    target = Path(path)
    tmp = _create_temp(target)
    with _moved_into_place(tmp, target, durable):
        yield tmp
        if durable:
            _fsync_file(tmp)


def atomic_write_bytes(path: Path | str, data: bytes, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically, through the descriptor the temporary file was created with
    (a batch writes thousands of small lists: one open and close fewer each)."""
    target = Path(path)
    tmp, fd = _open_temp(target)
    with _moved_into_place(tmp, target, durable):
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)


def sync_all(folder: Path) -> None:
    """Make every file written under ``folder`` with ``durable=False`` durable, with their renames.

    ``os.sync`` where there is one (one call, however many files; it flushes the other dirty data of the
    machine too, which the kernel would write soon anyway); elsewhere (Windows) each file and folder.
    """
    if hasattr(os, "sync"):
        os.sync()
        return
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                _fsync_file(Path(root) / name)
        fsync_dir(Path(root))
