#!/usr/bin/env python
"""Bounded load run on loopback: a mix of list, filtered, detail and CSV requests against gunicorn.

By default it starts its own production stack (gunicorn + production settings) on a scratch PostgreSQL database
loaded with the article fixtures, sends --requests requests from --concurrency keep-alive connections, prints
counts, errors and latency percentiles, and exits non-zero on any error. `--url` targets a server already running
instead (loopback only).

    .venv/bin/python scripts/loadtest.py                      # 20,000 requests at concurrency 32, PostgreSQL
    .venv/bin/python scripts/loadtest.py --requests 2000 --database sqlite

Throttling is raised out of the way for the run (THROTTLE_ANON_RATE): this measures capacity, not the limiter.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.livegunicorn import Gunicorn, prepare, production_env, scratch_database  # noqa: E402

HEADERS = {"X-Forwarded-Proto": "https", "Accept": "application/json", "Connection": "keep-alive"}
CSV_HEADERS = {**HEADERS, "Accept": "text/csv"}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Result:
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    error_samples: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def percentiles(self, kind: str | None = None) -> dict[str, float]:
        values = sorted(self.latencies[kind] if kind else itertools.chain.from_iterable(self.latencies.values()))
        if len(values) < 2:
            return {"p50": values[0] * 1000 if values else 0.0, "p95": 0.0, "p99": 0.0}
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        return {"p50": cuts[49] * 1000, "p95": cuts[94] * 1000, "p99": cuts[98] * 1000}

    def report(self) -> str:
        lines = [
            f"requests: {self.requests}  errors: {self.errors}  seconds: {self.seconds:.1f}  "
            f"throughput: {self.requests / self.seconds:.0f} req/s",
            "latency ms (all): " + "  ".join(f"{k}={v:.1f}" for k, v in self.percentiles().items()),
        ]
        for kind in sorted(self.latencies):
            lines.append(
                f"  {kind:9s} n={len(self.latencies[kind]):6d}  "
                + "  ".join(f"{k}={v:.1f}" for k, v in self.percentiles(kind).items())
            )
        lines.append("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())))
        lines.extend(f"  error: {sample}" for sample in self.error_samples[:10])
        return "\n".join(lines)


def get_json(base: str, path: str) -> dict:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", path, headers=HEADERS)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:200]!r}")
    return json.loads(body)


def build_mix(base: str) -> list[tuple[str, str]]:
    """(kind, path) pairs drawn from the served data: lists, filtered lists, details and CSV exports."""
    events = get_json(base, "/api/v1/events/?page_size=500")["results"]
    actors = get_json(base, "/api/v1/actors/?page_size=500")["results"]
    places = get_json(base, "/api/v1/places/?page_size=500")["results"]
    statements = get_json(base, "/api/v1/statements/?page_size=500")["results"]
    if not (events and actors and places and statements):
        raise RuntimeError("the server has no data: load the fixtures first")
    mix = [
        ("list", "/api/v1/events/"),
        ("list", "/api/v1/actors/"),
        ("list", "/api/v1/statements/"),
        ("list", "/api/v1/places/"),
        ("list", "/api/v1/event-types/"),
        ("filtered", "/api/v1/events/?type=04"),
        ("filtered", "/api/v1/events/?date_after=2023-04-01&date_before=2023-05-31"),
        ("filtered", "/api/v1/actors/?kind=person&ordering=name"),
        ("filtered", "/api/v1/statements/?search=talks"),
        ("csv", "/api/v1/events/?format=csv"),
        ("csv", "/api/v1/statements/?format=csv"),
    ]
    mix += [("filtered", f"/api/v1/events/?actor={a['slug']}") for a in actors[:5]]
    mix += [("filtered", f"/api/v1/events/?place={p['slug']}") for p in places[:3]]
    mix += [("detail", f"/api/v1/events/{e['id']}/") for e in events[:10]]
    mix += [("detail", f"/api/v1/actors/{a['slug']}/") for a in actors[:5]]
    mix += [("detail", f"/api/v1/statements/{s['id']}/") for s in statements[:5]]
    mix += [("detail", f"/api/v1/places/{p['slug']}/") for p in places[:3]]
    return mix


def run(base: str, total: int, concurrency: int, max_seconds: float = 900) -> Result:
    """Send `total` requests from `concurrency` keep-alive connections; stop early after `max_seconds`."""
    parts = urlsplit(base)
    if parts.hostname not in LOOPBACK:
        raise SystemExit(f"refusing to load anything but loopback, got {parts.hostname}")
    mix = build_mix(base)
    result = Result()
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while True:
            n = next(counter)
            if n >= total or time.monotonic() > deadline:
                break
            kind, path = mix[n % len(mix)]
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=CSV_HEADERS if kind == "csv" else HEADERS)
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - start
                ok = response.status == 200 and len(body) > 0
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as error:
                elapsed, ok, status, body = time.perf_counter() - start, False, type(error).__name__, b""
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            with lock:
                result.requests += 1
                result.statuses[str(status)] += 1
                result.latencies[kind].append(elapsed)
                if not ok:
                    result.errors += 1
                    result.error_samples.append(f"{status} {path} {body[:120]!r}")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--url", help="a server already running on loopback (default: start gunicorn here)")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", default="4", help="gunicorn workers (GUNICORN_WORKERS)")
    parser.add_argument("--threads", default="2", help="threads per gunicorn worker (GUNICORN_THREADS)")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop sending after this long")
    args = parser.parse_args()

    if args.url:
        result = run(args.url.rstrip("/"), args.requests, args.concurrency, args.max_seconds)
    else:
        with (
            scratch_database(prefix="conflictapi_load", engine=args.database) as database_url,
            tempfile.TemporaryDirectory() as static_root,
        ):
            env = production_env(
                database_url,
                static_root,
                GUNICORN_WORKERS=args.workers,
                GUNICORN_THREADS=args.threads,
                THROTTLE_ANON_RATE="100000000/minute",
            )
            prepare(env, collectstatic=False)
            with Gunicorn(env) as server:
                print(f"gunicorn on {server.url}: {args.workers} workers x {args.threads} threads, {args.database}")
                result = run(server.url, args.requests, args.concurrency, args.max_seconds)
    print(result.report())
    return 0 if result.errors == 0 and result.requests == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
