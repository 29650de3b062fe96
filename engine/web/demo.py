"""``python -m engine.web.demo``: the web page on the fixture college, data in a temporary folder.

Makes a data folder under the system's temporary folder, an officer account ``demo`` with a fresh
random password (printed), names the college as its generator (fixtures/college.toml) does, grades
fixtures/college as one collection recorded as the year's baseline round, then serves on 127.0.0.1
(``--port``, default 8000) until stopped. Nothing outside the temporary folder is written; it is removed
when the server stops.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import tempfile
import time
import tomllib
from contextlib import ExitStack
from pathlib import Path

COLLEGE = Path(__file__).resolve().parents[2] / "fixtures" / "college"


def prepare(data: Path, college: Path = COLLEGE) -> tuple[str, str]:
    """An account and the college graded in ``data``; returns (password, the dashboard's path)."""
    from engine.ledger.cli import open_recording
    from engine.web.batches import Collections
    from engine.web.store import Store

    store = Store(data)
    password = secrets.token_urlsafe(9)
    store.add_user("demo", password)
    generator = college.with_suffix(".toml")  # the fixture college's generator names it
    if generator.is_file():
        store.set_college(tomllib.loads(generator.read_text(encoding="utf-8"))["college"])
    collections = Collections(data, store, college=store.college())
    recording = open_recording("年初定级", None, False, collections.ledger, "auto")
    with ExitStack() as files:
        uploads = [(p.name, files.enter_context(p.open("rb"))) for p in sorted(college.glob("*.xlsx"))]
        batch_id = collections.start("demo", uploads, None, "zh", recording)
    while (batch := store.batch(batch_id)) is not None and batch.status == "running":
        time.sleep(0.2)
    return password, f"/c/{batch_id}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    import uvicorn

    from engine.web.app import create_app

    data = Path(tempfile.mkdtemp(prefix="branchgrade-demo-"))
    try:
        password, dashboard = prepare(data)
        print(f"branchgrade demo: http://127.0.0.1:{args.port}{dashboard}")
        print(f"  用户名 / user: demo   密码 / password: {password}   (数据 / data: {data})", flush=True)
        uvicorn.run(create_app(data, check_workers=2), host="127.0.0.1", port=args.port, log_level="warning")
    finally:
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
