"""The HTTP-cache benchmark: `python -m bench.cache [--questions 40] [--seconds 3] [--json FILE]` on DATABASE_URL.

Three parts, each reporting warm and cold apart, never mixed:
- render: DRF's JSONRenderer against the orjson renderer (facts.api.renderers.OrjsonRenderer) on the data of an event
  page of 50 and of 500 (ms per render, median of `--renders`).
- in process (Django's test client, bench.settings, DEBUG off, as bench.probe): p50/p95 of every list and detail
  scenario of bench.scenarios plus `--questions` random questions of bench.questions (seeded). Cold: the response cache
  off (API_RESPONSE_CACHE=0: every request runs its view, as before this cache). Warm: the cache on, after one
  request has stored the answer.
- throughput at concurrency 8 and 32 against gunicorn (bench.servers, gunicorn.conf.py defaults): the API with the
  cache on (warm: the same URL again and again), the API with it off (cold) and the bare view (uncached), on the
  scenarios that the bare view answers.

Set REDIS_URL for the production arrangement (the cache in Redis); without it each process caches in its memory.
`--cold-only` prints the in-process cold figures alone: copied into a checkout of an older commit, it measures that
commit the same way (how the README's "cold: no slower than today" was checked).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import time
from pathlib import Path

from bench.load import percentile, throughput
from bench.servers import free_port, start_gunicorn, stop, wait_ready

RESULTS = Path(__file__).resolve().parent / "results"
KINDS = ("list", "detail", "cursor")


def setup() -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(60),
        }
    )
    import django

    django.setup()


def time_ms(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def render_part(repeat: int) -> dict:
    """ms per render of an event page's data: DRF's renderer against orjson's."""
    from django.test import Client, override_settings
    from rest_framework.renderers import JSONRenderer

    from facts.api.renderers import OrjsonRenderer

    figures = {}
    with override_settings(API_RESPONSE_CACHE=False):
        for size in (50, 500):
            data = Client().get(f"/api/v1/events/?page_size={size}").data
            drf = statistics.median(time_ms(lambda d=data: JSONRenderer().render(d), repeat))
            fast = statistics.median(time_ms(lambda d=data: OrjsonRenderer().render(d), repeat))
            figures[f"page_{size}"] = {
                "bytes": len(OrjsonRenderer().render(data)),
                "drf_ms": round(drf, 3),
                "orjson_ms": round(fast, 3),
                "saved_ms": round(drf - fast, 3),
                "times_faster": round(drf / fast, 1),
            }
    return figures


def questions(count: int, seed: int) -> list[str]:
    from bench.questions import draw_pools, draw_questions
    from bench.scenarios import pick_scenarios

    chosen = [s.api_url(page_size=50) for s in pick_scenarios() if s.kind in KINDS]
    rng = random.Random(seed)
    return chosen + draw_questions(count, rng, draw_pools(rng))[:count]


def in_process(urls: list[str], repeat: int, *, warm: bool) -> list[dict]:
    from django.test import Client, override_settings

    client = Client(HTTP_ACCEPT="application/json")
    rows = []
    with override_settings(API_RESPONSE_CACHE=warm):
        for url in urls:
            status = client.get(url).status_code  # cold: warms the database's pages; warm: stores the answer
            times = sorted(time_ms(lambda u=url: client.get(u), repeat))
            rows.append(
                {"url": url, "status": status, "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95)}
            )
    return rows


def summary(rows: list[dict]) -> dict:
    p50s, p95s = [r["p50_ms"] for r in rows], [r["p95_ms"] for r in rows]
    return {
        "questions": len(rows),
        "p50_of_p50s_ms": round(statistics.median(p50s), 2),
        "p95_of_p50s_ms": round(percentile(p50s, 0.95), 2),
        "max_p50_ms": round(max(p50s), 2),
        "p50_of_p95s_ms": round(statistics.median(p95s), 2),
        "p95_of_p95s_ms": round(percentile(p95s, 0.95), 2),
        "non_200": [r["url"] for r in rows if r["status"] != 200],
    }


def serve(cache_on: bool, log: Path):
    port = free_port()
    saved = os.environ.get("API_RESPONSE_CACHE")
    os.environ["API_RESPONSE_CACHE"] = "1" if cache_on else "0"
    try:
        proc = start_gunicorn(port, log)
    finally:
        if saved is None:
            os.environ.pop("API_RESPONSE_CACHE")
        else:
            os.environ["API_RESPONSE_CACHE"] = saved
    wait_ready(port, "/api/v1/", 60, proc)
    return port, proc


def load_part(seconds: float) -> list[dict]:
    """req/s at c8 and c32: the API warm (cache on), the API cold (cache off) and the bare view."""
    from bench.scenarios import pick_scenarios

    scenarios = [s for s in pick_scenarios() if s.kind in ("list", "detail")]
    RESULTS.mkdir(exist_ok=True)
    warm_port, warm_proc = serve(True, RESULTS / "cache-gunicorn-warm.log")
    cold_port, cold_proc = serve(False, RESULTS / "cache-gunicorn-cold.log")
    rows = []
    try:
        for scenario in scenarios:
            row: dict = {"scenario": scenario.name, "api": scenario.api_url(page_size=50)}
            targets = {
                "warm": (warm_port, scenario.api_url(page_size=50)),
                "cold": (cold_port, scenario.api_url(page_size=50)),
                "bare": (cold_port, scenario.bare_url(page_size=50)),
            }
            for name, (port, path) in targets.items():
                throughput(port, path, concurrency=2, seconds=0.5, max_requests=20)  # warm-up: stores, loads
                for concurrency in (8, 32):
                    result = throughput(port, path, concurrency=concurrency, seconds=seconds, max_requests=10**6)
                    row[f"{name}_c{concurrency}"] = result["rps"]
                    row[f"{name}_c{concurrency}_errors"] = result["errors"]
            for concurrency in (8, 32):
                bare = row[f"bare_c{concurrency}"] or 1
                row[f"warm_over_bare_c{concurrency}"] = round(row[f"warm_c{concurrency}"] / bare, 2)
                row[f"cold_over_bare_c{concurrency}"] = round(row[f"cold_c{concurrency}"] / bare, 2)
            print(json.dumps(row))
            rows.append(row)
    finally:
        stop(warm_proc)
        stop(cold_proc)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=40, help="Random questions besides the scenarios.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=15, help="Timed requests per question, after one warm-up.")
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=3.0, help="Load time per target and concurrency.")
    parser.add_argument("--cold-only", action="store_true", help="Only the in-process cold figures.")
    parser.add_argument("--no-load", action="store_true", help="Skip the gunicorn throughput part.")
    parser.add_argument("--json", help="Write every figure here.")
    args = parser.parse_args()
    setup()
    from django.db import connection

    urls = questions(args.questions, args.seed)
    cold = in_process(urls, args.repeat, warm=False)
    report: dict = {"database": connection.vendor, "redis": bool(os.environ.get("REDIS_URL")), "cold": summary(cold)}
    if not args.cold_only:
        report["render"] = render_part(args.renders)
        warm = in_process(urls, args.repeat, warm=True)
        report["warm"] = summary(warm)
        report["per_question"] = [
            {"url": c["url"], "cold_p50_ms": round(c["p50_ms"], 2), "warm_p50_ms": round(w["p50_ms"], 2)}
            for c, w in zip(cold, warm, strict=True)
        ]
        if not args.no_load:
            report["throughput"] = load_part(args.seconds)
    else:
        report["per_question"] = [{"url": c["url"], "cold_p50_ms": round(c["p50_ms"], 2)} for c in cold]
    print(json.dumps({k: v for k, v in report.items() if k != "per_question"}, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
