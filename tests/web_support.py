"""What the web tests share: workbooks and zips made from the fixture college, and a server subprocess."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
COLLEGE = ROOT / "fixtures" / "college"
WARNED_CELL = ("会议活动", "A5")


def warned_workbook(path: Path) -> Path:
    """JG-02 with a meeting dated before the assessment year: graded, with one located warning (IN-12
    at 会议活动!A5)."""
    wb = openpyxl.load_workbook(COLLEGE / "JG-02.xlsx")
    wb[WARNED_CELL[0]][WARNED_CELL[1]] = datetime.datetime(2011, 12, 20)
    wb.save(path)
    return path


def gbk_zip(path: Path, members: dict[str, bytes]) -> Path:
    """A zip as Chinese Windows makes it: member names in GBK without the UTF-8 flag. zipfile always
    flags non-ASCII names, so each is written as a unique ASCII stand-in of the same length, then patched."""
    stand_ins: dict[bytes, bytes] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, (name, data) in enumerate(members.items()):
            encoded = name.encode("gbk")
            stand_in = f"~{n:03d}~".ljust(len(encoded), "Q").encode()
            assert len(stand_in) == len(encoded)
            stand_ins[stand_in] = encoded
            archive.writestr(stand_in.decode(), data)
    raw = path.read_bytes()
    for stand_in, encoded in stand_ins.items():
        assert raw.count(stand_in) == 2  # the local header and the central directory
        raw = raw.replace(stand_in, encoded)
    path.write_bytes(raw)
    return path


def college_zip(path: Path) -> Path:
    """The fixture college's 18 workbooks in one GBK-named zip (each under 各支部/<id> 工作簿.xlsx)."""
    members = {f"各支部/{p.stem} 工作簿.xlsx": p.read_bytes() for p in sorted(COLLEGE.glob("*.xlsx"))}
    return gbk_zip(path, members)


ROSTER_MISSING = ("ZZ-99", "未交材料党支部")


def roster_csv(path: Path) -> Path:
    """A roster (GBK csv, as Chinese Excel saves it) of the college's branches plus one that sent nothing."""
    rows = ["支部编号,支部名称,所属党总支"]
    rows += [f"{p.stem},{p.stem}支部,总支" for p in sorted(COLLEGE.glob("*.xlsx"))]
    rows.append(f"{ROSTER_MISSING[0]},{ROSTER_MISSING[1]},机关党总支")
    path.write_bytes("\r\n".join(rows).encode("gbk"))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(
    data: Path, check_workers: int = 1, batch_workers: int | None = None, college: str | None = None
) -> Iterator[str]:
    """``branchgrade serve`` on 127.0.0.1 and a free port, as a subprocess (``--college`` when given);
    yields its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "engine.cli",
        "serve",
        "--port",
        str(port),
        "--data",
        str(data),
        "--check-workers",
        str(check_workers),
        *(["--batch-workers", str(batch_workers)] if batch_workers else []),
        *(["--college", college] if college is not None else []),
    ]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/static/app.css", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start (exit {proc.poll()})") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
