"""The web page under load on loopback: self-checks from concurrent clients, and a large zip collected.

    .venv/bin/python bench/web.py [--clients 20] [--requests 10] [--check-workers 2]
    .venv/bin/python bench/web.py --zip 1000 [--workers 2] [--cache bench/cache]
    .venv/bin/python bench/web.py --pool

Self-check: starts ``branchgrade serve`` as a subprocess on 127.0.0.1 and a free port (data in a
temporary folder), warms it, then each client (a thread with its own session: the page, its CSRF token,
then the upload) sends ``--requests`` self-checks, one after the other, of the fixture college's
workbooks in turn (client k starts at the k-th). Bounded: clients × requests requests, each with a
timeout, then the server is stopped. Prints the server's own time per request (its Server-Timing
header: from the request's arrival to the answer), split into the pool's time (waiting for a worker
included) and the worker's own time on the check, and the clients' wall time, median and p95, and the
requests per second.

Pool: the warm pool's own cost around a check (submitting, the hand-offs, carrying the answer back), in
this process with one worker: the fixture college's workbooks in turn, with the answer carried back and
with only the worker's own time carried back, and the answer's pickled size and the time to pickle and
unpickle it (median over the college's workbooks).

Zip: N workbooks (made once by bench/run.py's generator into ``--cache``) graded by the CLI
(``branchgrade grade`` in a fresh process, ``--workers``) and then through the web page: one zip of the
same files uploaded to a warm server (``--batch-workers`` the same), timed from the upload's first byte
until the collection is graded and published (the progress page says done). Prints both and the ratio.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from schemas.common import Lang  # noqa: E402
from tests.web_support import COLLEGE, server  # noqa: E402

TIMEOUT = 60  # seconds per request at most
ZIP_TIMEOUT = 3600  # seconds a zip's grading may take at most (CLI or web)
PASSWORD = "bench password"


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _session(conn: http.client.HTTPConnection, path: str = "/") -> tuple[str, str]:
    """A page's session cookie and CSRF token."""
    conn.request("GET", path)
    first = conn.getresponse()
    page = first.read().decode()
    cookie = (first.getheader("set-cookie") or "").split(";", 1)[0]
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token and cookie, "the page gave no session or CSRF token"
    return cookie, token.group(1)


def _timings(header: str | None) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r"(\w+);dur=([0-9.]+)", header or "")}


def _client(
    port: int, workbooks: list[bytes], first: int, requests: int, rows: list[dict[str, float]]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    cookie, token = _session(conn)
    for n in range(requests):
        workbook = workbooks[(first + n) % len(workbooks)]
        body, content_type = _multipart({"csrf": token}, "workbook", "branch.xlsx", workbook)
        started = time.perf_counter()
        conn.request("POST", "/check", body=body, headers={"content-type": content_type, "cookie": cookie})
        response = conn.getresponse()
        text = response.read().decode()
        wall = (time.perf_counter() - started) * 1000
        assert response.status == 200 and 'id="grade"' in text, f"self-check failed: {response.status}"
        timing = _timings(response.getheader("server-timing"))
        assert "app" in timing and "pool" in timing
        rows.append({**timing, "wall": wall})
    conn.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def measure_web_selfcheck(clients: int = 20, requests: int = 10, check_workers: int = 2) -> dict[str, Any]:
    """Self-check timings of a warm server under ``clients`` concurrent loopback clients (see module)."""
    workbooks = [p.read_bytes() for p in sorted(COLLEGE.glob("*.xlsx"))]
    with (
        tempfile.TemporaryDirectory(prefix="branchgrade-bench-web-") as data,
        server(Path(data), check_workers) as url,
    ):
        port = int(url.rsplit(":", 1)[1])
        _client(port, workbooks, 0, len(workbooks), [])  # warm: every workbook once
        rows: list[dict[str, float]] = []
        threads = [
            threading.Thread(target=_client, args=(port, workbooks, k, requests, rows))
            for k in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * requests)
        elapsed = time.perf_counter() - started
    done = len(rows)
    out: dict[str, Any] = {"clients": clients, "requests": done, "check_workers": check_workers}
    for key in ("app", "session", "form", "pool", "worker", "page", "wall"):
        values = [r[key] for r in rows]
        out[f"{key}_median_ms"] = statistics.median(values)
        out[f"{key}_p95_ms"] = p95(values)
    out["per_second"] = done / elapsed
    return out


def _own_time_only(data: bytes, display_name: str, lang: Lang) -> float:
    """A pool task that checks the workbook as the self-check does but answers with the worker's own time
    alone: what dispatch costs without carrying the answer back."""
    from engine.web.selfcheck import _check

    return _check(data, display_name, lang).worker_ms


def measure_pool_dispatch(rounds: int = 3) -> dict[str, Any]:
    """The warm pool's cost around a check, in this process (one worker, no server, no HTTP): each of the
    fixture college's workbooks ``rounds`` times through ``CheckPool.answer``, once carrying the whole
    answer back (as the server does) and once only the worker's own time; and the answer's pickled size."""
    import asyncio
    import pickle

    from engine.web.selfcheck import CheckPool, _check

    workbooks = [(p.read_bytes(), p.name) for p in sorted(COLLEGE.glob("*.xlsx"))]
    out: dict[str, Any] = {}
    for key, task in (("answer", _check), ("own_time_only", _own_time_only)):
        pool = CheckPool(1, task=task)  # type: ignore[arg-type]  # the second answers a float on purpose

        async def run(pool: CheckPool = pool) -> list[float]:
            overhead = []
            for data, name in workbooks * (rounds + 1):
                started = time.perf_counter()
                got: Any = await pool.answer(data, name, "zh")
                own = got if isinstance(got, float) else got.worker_ms
                overhead.append((time.perf_counter() - started) * 1000 - own)
            return overhead[len(workbooks) :]  # the first round warms the worker

        try:
            values = asyncio.run(run())
        finally:
            pool.close()
        out[f"{key}_median_ms"], out[f"{key}_p95_ms"] = statistics.median(values), p95(values)
    sizes, costs = [], []
    for answer in _checked_in_process(workbooks):  # what crosses between the processes, and its cost
        started = time.perf_counter()
        sent = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        pickle.loads(sent)
        costs.append((time.perf_counter() - started) * 1000)
        sizes.append(len(sent) / 1024)
    out["answer_kb"], out["pickle_ms"] = statistics.median(sizes), statistics.median(costs)
    return out


def _checked_in_process(workbooks: list[tuple[bytes, str]]) -> list[Any]:
    from engine import pipeline
    from engine.web import selfcheck

    selfcheck._start(pipeline.choose_evaluator("auto"), None)
    return [selfcheck._check(data, name, "zh") for data, name in workbooks]


def _login(conn: http.client.HTTPConnection) -> str:
    cookie, token = _session(conn, "/login")
    body = f"csrf={token}&user=bench&password={PASSWORD.replace(' ', '+')}".encode()
    headers = {"content-type": "application/x-www-form-urlencoded", "cookie": cookie}
    conn.request("POST", "/login", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 303, f"login failed: {response.status}"
    return (response.getheader("set-cookie") or "").split(";", 1)[0]


def measure_web_zip(n: int, workers: int, cache: Path) -> dict[str, Any]:
    """The CLI's and the web page's time for the same N workbooks (see module)."""
    from bench.run import ensure_workbooks
    from engine.web.store import Store

    folder = ensure_workbooks(cache, n, workers)
    forms = sorted(folder.glob("*.xlsx"))
    with tempfile.TemporaryDirectory(prefix="branchgrade-bench-zip-") as scratch_name:
        scratch = Path(scratch_name)
        command = [sys.executable, "-m", "engine.cli", "grade", str(folder), "-o", str(scratch / "cli")]
        command += ["--workers", str(workers), "--no-progress"]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=ZIP_TIMEOUT, check=False)
        cli = time.perf_counter() - started
        assert done.returncode in (0, 1), done.stderr.decode(errors="replace")[-2000:]
        archive = scratch / "forms.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:  # xlsx is compressed already
            for path in forms:
                zf.write(path, f"各支部/{path.name}")
        payload = archive.read_bytes()
        data = scratch / "data"
        Store(data).add_user("bench", PASSWORD)
        with server(data, check_workers=1, batch_workers=workers) as url:
            conn = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=ZIP_TIMEOUT)
            cookie = _login(conn)
            conn.request("GET", "/collect", headers={"cookie": cookie})
            page = conn.getresponse().read().decode()
            token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
            assert token
            body, content_type = _multipart({"csrf": token.group(1)}, "files", "各支部.zip", payload)
            started = time.perf_counter()
            conn.request(
                "POST", "/collect", body=body, headers={"content-type": content_type, "cookie": cookie}
            )
            response = conn.getresponse()
            response.read()
            assert response.status == 303, f"collect refused: {response.status}"
            where = response.getheader("location") or ""
            deadline = time.monotonic() + ZIP_TIMEOUT
            while time.monotonic() < deadline:
                conn.request("GET", where + "/progress", headers={"cookie": cookie})
                answer = conn.getresponse()
                answer.read()
                if answer.status == 204:
                    break
                time.sleep(0.2)
            web = time.perf_counter() - started
            conn.request("GET", where, headers={"cookie": cookie})
            dashboard = conn.getresponse().read().decode()
            graded = re.search(r"已评定 (\d+)", dashboard)
            conn.close()
    return {
        "n": n,
        "workers": workers,
        "cli_s": cli,
        "web_s": web,
        "ratio": web / cli,
        "graded": int(graded.group(1)) if graded else 0,
        "zip_mb": len(payload) / 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--check-workers", type=int, default=2)
    parser.add_argument(
        "--zip", type=int, default=0, help="grade N workbooks by the CLI and as a zip on the web"
    )
    parser.add_argument("--workers", type=int, default=2, help="grading processes (--zip), CLI and web alike")
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "bench" / "cache", help="where workbooks are kept"
    )
    parser.add_argument(
        "--pool", action="store_true", help="the warm pool's own cost around a check, in this process"
    )
    args = parser.parse_args(argv)
    if args.pool:
        load = os.getloadavg()[0]
        d = measure_pool_dispatch()
        print(
            f"pool dispatch around a check (load average {load:.1f}): with the answer carried back "
            f"(median {d['answer_kb']:.0f} KB pickled, {d['pickle_ms']:.2f} ms to pickle and unpickle) "
            f"median {d['answer_median_ms']:.1f} ms, p95 "
            f"{d['answer_p95_ms']:.1f} ms; without it median {d['own_time_only_median_ms']:.1f} ms, p95 "
            f"{d['own_time_only_p95_ms']:.1f} ms"
        )
        return
    if args.zip:
        z = measure_web_zip(args.zip, args.workers, args.cache)
        print(
            f"{z['n']} workbooks ({z['zip_mb']:.0f} MB zip), {z['workers']} workers: CLI {z['cli_s']:.1f} s, "
            f"web {z['web_s']:.1f} s ({z['graded']} graded) = {z['ratio']:.2f}x the CLI"
        )
        return
    load = os.getloadavg()[0]
    m = measure_web_selfcheck(args.clients, args.requests, args.check_workers)
    phases = ", ".join(
        f"{key} {m[f'{key}_median_ms']:.1f}/{m[f'{key}_p95_ms']:.1f}"
        for key in ("session", "form", "pool", "worker", "page")
    )
    print(
        f"self-check, {m['clients']} clients, {m['requests']} requests, {m['check_workers']} check workers "
        f"(load average {load:.1f} before, {os.getloadavg()[0]:.1f} after): "
        f"server median {m['app_median_ms']:.0f} ms, p95 {m['app_p95_ms']:.0f} ms; "
        f"median/p95 ms of {phases}; "
        f"client median {m['wall_median_ms']:.0f} ms, p95 {m['wall_p95_ms']:.0f} ms; "
        f"{m['per_second']:.1f} checks/s"
    )


if __name__ == "__main__":
    main()
