"""Run the benchmark: `python -m bench.run --sizes 10000,100000,1000000` (PostgreSQL from DATABASE_URL), or `--smoke`.

For each size, a child process generates the synthetic data (`generate_synthetic --replace`), builds the SQLite
file Datasette serves (the same data, same seed), counts SQL queries per request in-process, EXPLAINs the API's
queries on PostgreSQL, starts gunicorn (this project plus the bare views, bench.settings) and Datasette on free
loopback ports, and measures latency and throughput of every scenario against all three. Results go to
bench/results/<database>-<events>.json; the parent then writes RESULTS.md and the scale-curve PNG (bench.report).
"""

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import TARGETS, report
from bench.servers import ROOT, free_port, start_datasette, start_gunicorn, stop, wait_ready

RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"


# -- facts about the run ----------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0"
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def versions() -> dict:
    from importlib.metadata import version

    return {
        name: version(name)
        for name in ("django", "djangorestframework", "django-filter", "gunicorn", "datasette", "psycopg")
    }


def database_info(connection) -> dict:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        else:
            version = sqlite3.sqlite_version
    return {"vendor": connection.vendor, "version": version, "name": str(connection.settings_dict["NAME"])}


# -- in-process measurements ------------------------------------------------------------------------------------


def count_queries(path: str) -> tuple[int, int, list[str]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    return response.status_code, len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def _plan_nodes(node: dict) -> list[str]:
    """A plan's nodes, depth first: type, index, relation and actual rows of each."""
    label = node["Node Type"]
    if node.get("Index Name"):
        label += f" using {node['Index Name']}"
    if node.get("Relation Name"):
        label += f" on {node['Relation Name']}"
    nodes = [f"{label} (rows={node.get('Actual Rows')}, loops={node.get('Actual Loops')})"]
    for child in node.get("Plans", []):
        nodes += _plan_nodes(child)
    return nodes


def explain(sqls: list[str]) -> list[dict]:
    """EXPLAIN ANALYZE summary of every SELECT a request ran: time, plan nodes, and any sequential scan."""
    from django.db import connection

    out = []
    for sql in sqls:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
        plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
        nodes = _plan_nodes(plan["Plan"])
        out.append(
            {
                "sql": sql[:300],
                "ms": round(plan["Execution Time"], 2),
                "nodes": nodes,
                "seq_scans": [n for n in nodes if n.startswith("Seq Scan")],
            }
        )
    return out


# -- one size ---------------------------------------------------------------------------------------------------


def _datasette_file(args, connection, meta: dict) -> Path:
    """The SQLite file Datasette serves, with the same data: the benchmark database itself when that is SQLite."""
    n = args.events
    if connection.vendor == "sqlite":
        return Path(connection.settings_dict["NAME"])
    DATA.mkdir(parents=True, exist_ok=True)
    sqlite_path = DATA / f"datasette-{n}-{args.seed}.sqlite3"
    fresh = sqlite_path.exists() and _sqlite_events(sqlite_path) == n
    if not fresh:
        sqlite_path.unlink(missing_ok=True)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{sqlite_path}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
        started = time.monotonic()
        for cmd in (
            ["migrate", "--noinput", "--skip-checks", "-v0"],
            ["generate_synthetic", "--events", str(n), "--seed", str(args.seed), "--skip-checks"],
        ):
            subprocess.run(
                [sys.executable, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
            )
        meta["sqlite_generation_seconds"] = round(time.monotonic() - started, 1)
    return sqlite_path


def _count_scenario_queries(sc, sqlite_path: Path, n: int, connection) -> dict:
    """A scenario's entry, with the SQL queries each of its requests runs in-process (and, on PostgreSQL, their
    plans)."""
    entry = {
        "name": sc.name,
        "description": sc.description,
        "kind": sc.kind,
        "rows": sc.rows,
        "urls": {"api": sc.api_url(), "bare": sc.bare_url(), "datasette": sc.datasette_url(sqlite_path.stem)},
        "queries": {},
        "latency": {},
        "throughput": {},
    }
    for target, url_of in (("api", sc.api_url), ("bare", sc.bare_url)):
        sizes = (10, 50) if sc.kind in ("list", "cursor") else (None,)
        if sc.kind == "csv" and n > 20_000:
            continue  # in-process, a 10^5-row export costs minutes; its query count is measured at 10^4
        per = {}
        for size in sizes:
            status, queries, sqls = count_queries(url_of(size))
            per[str(size or "-")] = queries
            if status != 200:
                per["status"] = status
            if target == "api" and size in (50, None) and connection.vendor == "postgresql" and sc.kind != "csv":
                entry["explain"] = explain(sqls)
        entry["queries"][target] = per
    return entry


def _measure_target(args, sc, entry: dict, target: str, port: int) -> None:
    """Latency, then throughput at 8 and 32 clients, of one scenario against one server."""
    from bench import load

    url = entry["urls"][target]
    if sc.kind == "csv":
        # An export of 10^5 rows is a bulk job, not a page: its rate is rows per second, with one and
        # with two exports at once (8 or 32 concurrent exports would hold two cores for many minutes).
        entry["latency"][target] = load.latency(
            port, url, requests=args.csv_requests, warmup=0, max_seconds=args.seconds * 10
        )
        entry["throughput"][target] = {
            "2": load.throughput(port, url, concurrency=2, seconds=args.seconds, max_requests=2)
        }
        return
    entry["latency"][target] = lat = load.latency(port, url, requests=args.requests, max_seconds=args.seconds * 10)
    if lat["p50_ms"] > args.slow_ms:
        # 32 requests of several seconds each in flight would hold both cores for minutes.
        entry["throughput"][target] = {
            "skipped": f"one request takes {lat['p50_ms']:.0f} ms (> {args.slow_ms} ms); not loaded"
        }
        return
    entry["throughput"][target] = {
        str(c): load.throughput(port, url, concurrency=c, seconds=args.seconds, max_requests=args.max_requests)
        for c in (8, 32)
    }


def _measure_servers(args, scenarios, rows: list[dict], sqlite_path: Path, log) -> None:
    """Starts gunicorn and Datasette and measures every scenario against every target that serves it."""
    logs = args.out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    ports = {"api": free_port(), "datasette": free_port()}
    ports["bare"] = ports["api"]
    gunicorn = datasette = None
    try:
        gunicorn = start_gunicorn(ports["api"], logs / "gunicorn.log")
        datasette = (
            None if args.skip_datasette else start_datasette(ports["datasette"], sqlite_path, logs / "datasette.log")
        )
        wait_ready(ports["api"], "/bare/events/?page_size=1", 120, gunicorn)
        if datasette:
            wait_ready(ports["datasette"], "/-/versions.json", 300, datasette)
        for sc, entry in zip(scenarios, rows, strict=False):
            entry["load_average"] = os.getloadavg()
            for target in TARGETS:
                if entry["urls"][target] is None or (target == "datasette" and datasette is None):
                    continue
                _measure_target(args, sc, entry, target, ports[target])
            log(
                f"{sc.name}: "
                + ", ".join(
                    f"{t} p50={entry['latency'][t]['p50_ms']}ms throughput={entry['throughput'][t]}"
                    for t in entry["latency"]
                )
            )
    finally:
        stop(gunicorn)
        stop(datasette)


def run_size(args) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench.scenarios import pick_scenarios
    from bench.synthetic import generate

    n = args.events
    result = {
        "meta": {
            "events": n,
            "seed": args.seed,
            "smoke": args.smoke,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "versions": versions(),
            # The machine is shared: the load average says how much else was running.
            "load_average_start": os.getloadavg(),
        }
    }
    result["meta"]["database"] = database_info(connection)
    log = print
    if not args.no_generate:
        call_command("migrate", verbosity=0, skip_checks=True)
        started = time.monotonic()
        counts = generate(events=n, seed=args.seed, replace=True, log=log)
        result["meta"]["generation"] = {**counts, "wall_seconds": round(time.monotonic() - started, 1)}
        log(f"generated {n} events in {result['meta']['generation']['wall_seconds']} s")

    sqlite_path = _datasette_file(args, connection, result["meta"])
    result["meta"]["datasette_file"] = sqlite_path.name

    scenarios = pick_scenarios()
    rows = []
    for sc in scenarios:
        rows.append(entry := _count_scenario_queries(sc, sqlite_path, n, connection))
        log(f"queries {sc.name}: {entry['queries']}")
    connections.close_all()

    _measure_servers(args, scenarios, rows, sqlite_path, log)
    result["scenarios"] = rows
    result["meta"]["load_average_end"] = os.getloadavg()
    return result


def _sqlite_events(path: Path) -> int | None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute(
                "SELECT COUNT(*) FROM facts_event e JOIN facts_place p ON p.id = e.place_id WHERE p.slug LIKE 'syn-%'"
            ).fetchone()[0]
    except sqlite3.Error:
        return None


# -- entry point ------------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="Comma-separated event counts.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="Tiny and quick: 300 events on SQLite, short runs.")
    parser.add_argument("--no-generate", action="store_true", help="Reuse the data already in the database.")
    parser.add_argument("--skip-datasette", action="store_true")
    parser.add_argument("--requests", type=int, default=200, help="Sequential requests per latency measurement.")
    parser.add_argument("--csv-requests", type=int, default=2)
    parser.add_argument(
        "--slow-ms",
        type=float,
        default=1500,
        help="Skip the throughput runs of a target whose one-client p50 is above this.",
    )
    parser.add_argument("--seconds", type=float, default=4, help="Duration of each throughput measurement.")
    parser.add_argument("--max-requests", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="Only rewrite RESULTS.md and scale.png from the JSON results already in --out.",
    )
    parser.add_argument("--events", type=int, help=argparse.SUPPRESS)  # set for the per-size child process
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.requests, args.csv_requests, args.seconds, args.max_requests = "300", 10, 1, 0.4, 150
        if args.out == RESULTS:
            args.out = DATA / "smoke"  # smoke numbers never overwrite the real results
    args.out.mkdir(parents=True, exist_ok=True)

    if args.events:  # child: one size, in a fresh process so that settings pick up this size's database
        result = run_size(args)
        db = result["meta"]["database"]["vendor"]
        path = args.out / f"{'smoke-' if args.smoke else ''}{db}-{args.events}.json"
        path.write_text(json.dumps(result, indent=1, default=str))
        print(f"wrote {path}")
        return 0

    for size in [] if args.report_only else [int(s) for s in args.sizes.split(",")]:
        env = dict(os.environ)
        if args.smoke or not env.get("DATABASE_URL"):
            # Never the developer's db.sqlite3: a SQLite file per size under bench/data/.
            DATA.mkdir(parents=True, exist_ok=True)
            env["DATABASE_URL"] = f"sqlite:///{DATA / f'bench-{size}.sqlite3'}"
        child = [
            sys.executable,
            "-m",
            "bench.run",
            "--events",
            str(size),
            "--seed",
            str(args.seed),
            "--requests",
            str(args.requests),
            "--csv-requests",
            str(args.csv_requests),
            "--seconds",
            str(args.seconds),
            "--max-requests",
            str(args.max_requests),
            "--out",
            str(args.out),
            "--slow-ms",
            str(args.slow_ms),
        ]
        child += ["--smoke"] * args.smoke + ["--no-generate"] * args.no_generate
        child += ["--skip-datasette"] * args.skip_datasette
        subprocess.run(child, cwd=ROOT, env=env, check=True)
    prefix = "smoke-" if args.smoke else ""
    url = "" if args.smoke else os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    if args.report_only and not url and list(args.out.glob("postgresql-*.json")):
        vendor = "postgresql"  # the report of record is the PostgreSQL one
    results = [json.loads(p.read_text()) for p in sorted(args.out.glob(f"{prefix}{vendor}-*.json"))]
    print(report(results, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
