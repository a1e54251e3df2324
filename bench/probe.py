"""Time a few API requests in-process, on the data already in DATABASE_URL: `python -m bench.probe URL [URL ...]`.

For comparing two commits on the same data and the same machine in minutes, where a full `bench.run` takes half an
hour: run it from a checkout (or `git worktree`) of each commit in turn, a few rounds each, alternating. It uses the
benchmark's settings with DEBUG off, as gunicorn does in `bench.run`, and Django's test client, so it measures the
framework and the database without HTTP. Prints, per URL, p50 and p95 of the request, the CPU time this process spent
per request (Python's share, without the database's), and the time of each SQL query of one more request.
"""

import argparse
import os
import secrets
import statistics
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", help="Paths such as /api/v1/events/?search=x")
    parser.add_argument("--requests", type=int, default=60, help="Timed requests per URL, after one warm-up.")
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
        }
    )

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT="application/json")
    for url in args.urls:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        times, cpu_start = [], time.process_time()
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        cpu_ms = (time.process_time() - cpu_start) * 1000 / args.requests
        times.sort()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        sql_ms = [round(float(query["time"]) * 1000, 1) for query in queries.captured_queries]
        print(
            f"{url}  p50 {statistics.median(times):.1f} ms  p95 {times[int(len(times) * 0.95)]:.1f} ms  "
            f"CPU {cpu_ms:.2f} ms/request  SQL ms {sql_ms}"
        )


if __name__ == "__main__":
    main()
