"""Benchmark of `netorigin serve` (prints figures; not a test).

1. Latency: N requests (default 1,000) of one case with reasons and advice to POST /api/score,
   from C concurrent clients (default 8) on loopback: median, 95th and 99th percentile, and the
   server's in-process time per case for comparison.
2. Soak: the page (POST /score) and the API from C clients for S seconds (default 60): requests
   sent, answered, errors, lost (sent but never answered).

Targets (issue 15): median <= 20 ms and p99 <= 100 ms; no error or lost request in the soak.

Run:  .venv/bin/python benchmarks/serve_benchmark.py [--requests 1000] [--clients 8] [--soak 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from netorigin.io import example_case_path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: bytes, ctype: str) -> tuple[int, float]:
    t = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": ctype}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = -1
    return status, time.perf_counter() - t


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--soak", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1, help="netorigin serve --workers")
    args = ap.parse_args()

    from urllib.parse import urlencode

    from netorigin.io import read_case_mapping

    case = {k: v for k, v in read_case_mapping(example_case_path()).items() if v is not None}  # as the CLI reads it
    api_body = json.dumps(case).encode()
    form_body = urlencode({k: str(v) for k, v in case.items()}).encode()

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "netorigin", "serve", "--port", str(port), "--workers", str(args.workers)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(base + "/api/health", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        for _ in range(5):
            _post(base + "/api/score", api_body, "application/json")

        # in-process time per case (one client, sequential), the service time the server cannot beat
        serial = [_post(base + "/api/score", api_body, "application/json")[1] for _ in range(50)]

        lock = threading.Lock()

        def latency(keep_alive: bool):
            """N requests from C clients: each opens a connection per request (urllib), or keeps
            one open (HTTP/1.1 keep-alive, as browsers and API client libraries do)."""
            lat, statuses = [], []
            todo = iter(range(args.requests))

            def worker():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60) if keep_alive else None
                while True:
                    with lock:
                        if next(todo, None) is None:
                            break
                    if conn is None:
                        s, dt = _post(base + "/api/score", api_body, "application/json")
                    else:
                        t = time.perf_counter()
                        conn.request("POST", "/api/score", body=api_body, headers={"Content-Type": "application/json"})
                        r = conn.getresponse()
                        r.read()
                        s, dt = r.status, time.perf_counter() - t
                    with lock:
                        lat.append(dt)
                        statuses.append(s)
                if conn is not None:
                    conn.close()

            t0 = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return [x * 1000 for x in lat], time.perf_counter() - t0, sum(s != 200 for s in statuses)

        runs = {"a new connection per request": latency(False), "keep-alive connections": latency(True)}

        sent = answered = soak_errors = 0
        first_error: list[str] = []
        stop = time.monotonic() + args.soak

        def soaker(i):
            nonlocal sent, answered, soak_errors
            while time.monotonic() < stop:
                page = i % 2 == 0
                with lock:
                    sent += 1
                s, _ = (
                    _post(base + "/score", form_body, "application/x-www-form-urlencoded")
                    if page
                    else _post(base + "/api/score", api_body, "application/json")
                )
                with lock:
                    answered += s != -1
                    soak_errors += s != 200
                    if s != 200 and not first_error:
                        first_error.append(f"{'page' if page else 'API'} answered {s}")

        threads = [threading.Thread(target=soaker, args=(i,)) for i in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"netorigin serve --workers {args.workers}"
    )
    print(f"one client, sequential (50 requests): median {statistics.median(serial) * 1000:.1f} ms per case")
    for how, (ms, wall, errors) in runs.items():
        print(
            f"latency, {args.requests} requests from {args.clients} concurrent clients, {how}: median "
            f"{statistics.median(ms):.1f} ms, p95 {_pct(ms, 0.95):.1f} ms, p99 {_pct(ms, 0.99):.1f} ms, "
            f"throughput {args.requests / wall:.1f} requests/s, errors {errors}  "
            "(target: median <= 20 ms, p99 <= 100 ms)"
        )
    print(
        f"soak, {args.clients} clients for {args.soak:.0f} s (page and API): sent {sent}, answered {answered}, "
        f"errors {soak_errors}, lost {sent - answered}  (target: 0 errors, 0 lost)"
        + (f"; first error: {first_error[0]}" if first_error else "")
    )


if __name__ == "__main__":
    main()
