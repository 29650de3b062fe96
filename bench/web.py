"""The web page's self-check under load: a warm ``branchgrade serve`` answering one-workbook self-checks
from concurrent clients on loopback.

    .venv/bin/python bench/web.py [--clients 20] [--requests 10] [--check-workers 2]

Starts the server as a subprocess on 127.0.0.1 and a free port (data in a temporary folder), warms it,
then each client (a thread with its own session: the page, its CSRF token, then the upload) sends
``--requests`` self-checks of one fixture workbook, one after the other. Bounded: clients × requests
requests, each with a timeout, then the server is stopped. Prints the server's own time per request
(its Server-Timing header: from the request's arrival to the answer, queueing for a worker included)
and the clients' wall time, median and p95, and the requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.web_support import COLLEGE, server  # noqa: E402

TIMEOUT = 60  # seconds per request at most


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


def _client(port: int, workbook: bytes, requests: int, server_ms: list[float], wall_ms: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", "/")
    first = conn.getresponse()
    page = first.read().decode()
    cookie = (first.getheader("set-cookie") or "").split(";", 1)[0]
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token and cookie, "the page gave no session or CSRF token"
    body, content_type = _multipart({"csrf": token.group(1)}, "workbook", "XS-01.xlsx", workbook)
    headers = {"content-type": content_type, "cookie": cookie}
    for _ in range(requests):
        started = time.perf_counter()
        conn.request("POST", "/check", body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        wall_ms.append((time.perf_counter() - started) * 1000)
        assert response.status == 200 and 'id="grade"' in text, f"self-check failed: {response.status}"
        timing = re.search(r"dur=([0-9.]+)", response.getheader("server-timing") or "")
        assert timing
        server_ms.append(float(timing.group(1)))
    conn.close()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def measure_web_selfcheck(clients: int = 20, requests: int = 10, check_workers: int = 2) -> dict[str, Any]:
    """Self-check timings of a warm server under ``clients`` concurrent loopback clients (see module)."""
    workbook = (COLLEGE / "XS-01.xlsx").read_bytes()
    with (
        tempfile.TemporaryDirectory(prefix="branchgrade-bench-web-") as data,
        server(Path(data), check_workers) as url,
    ):
        port = int(url.rsplit(":", 1)[1])
        _client(port, workbook, 3, [], [])  # warm: the first answers of each worker
        server_ms: list[float] = []
        wall_ms: list[float] = []
        threads = [
            threading.Thread(target=_client, args=(port, workbook, requests, server_ms, wall_ms))
            for _ in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT * requests)
        elapsed = time.perf_counter() - started
    done = len(server_ms)
    return {
        "clients": clients,
        "requests": done,
        "check_workers": check_workers,
        "server_median_ms": statistics.median(server_ms),
        "server_p95_ms": p95(server_ms),
        "wall_median_ms": statistics.median(wall_ms),
        "wall_p95_ms": p95(wall_ms),
        "per_second": done / elapsed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--check-workers", type=int, default=2)
    args = parser.parse_args(argv)
    m = measure_web_selfcheck(args.clients, args.requests, args.check_workers)
    print(
        f"self-check, {m['clients']} clients, {m['requests']} requests, {m['check_workers']} check workers: "
        f"server median {m['server_median_ms']:.0f} ms, p95 {m['server_p95_ms']:.0f} ms; "
        f"client median {m['wall_median_ms']:.0f} ms, p95 {m['wall_p95_ms']:.0f} ms; "
        f"{m['per_second']:.1f} checks/s"
    )


if __name__ == "__main__":
    main()
