"""Deferred durability: atomic writes without fsync, made durable together by sync_all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.export import atomic
from engine.export.atomic import atomic_path, atomic_write_bytes, sync_all


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(atomic.os, "fsync", counting)
    return calls


def test_durable_write_fsyncs_file_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    assert (tmp_path / "a.bin").read_bytes() == b"x" and len(calls) == 2


def test_deferred_write_is_atomic_without_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_fsyncs(monkeypatch)
    atomic_write_bytes(tmp_path / "a.bin", b"old")
    calls.clear()
    atomic_write_bytes(tmp_path / "a.bin", b"new", durable=False)
    assert (tmp_path / "a.bin").read_bytes() == b"new" and calls == []
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "a.bin", durable=False) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert (tmp_path / "a.bin").read_bytes() == b"new"  # still atomic: the target is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]  # and no temporary file is left


def test_sync_all_without_os_sync_fsyncs_every_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lists").mkdir()
    for name in ("a.xlsx", "b.xlsx"):
        atomic_write_bytes(tmp_path / "lists" / name, b"x", durable=False)
    calls = _count_fsyncs(monkeypatch)
    monkeypatch.delattr(atomic.os, "sync", raising=False)  # as on Windows
    sync_all(tmp_path)
    assert len(calls) == 2 + 2  # both files, the lists folder and the output folder


def test_sync_all_makes_one_os_sync_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[bool] = []
    monkeypatch.setattr(atomic.os, "sync", lambda: synced.append(True), raising=False)
    calls = _count_fsyncs(monkeypatch)
    atomic_write_bytes(tmp_path / "a.bin", b"x", durable=False)
    sync_all(tmp_path)
    assert synced == [True] and calls == []


def test_a_failed_write_leaves_the_target_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    atomic_write_bytes(tmp_path / "a.bin", b"old", durable=False)

    def full_disk(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", full_disk)
    with pytest.raises(OSError, match="No space"):
        atomic_write_bytes(tmp_path / "a.bin", b"new")
    monkeypatch.undo()
    assert (tmp_path / "a.bin").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


def test_a_large_write_is_complete(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # ~10 MB: os.write may write it in parts
    atomic_write_bytes(tmp_path / "big.bin", data, durable=False)
    assert (tmp_path / "big.bin").read_bytes() == data
