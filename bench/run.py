"""Run the benchmark: `python -m bench.run --sizes 10000,100000,1000000` (PostgreSQL from DATABASE_URL), or `--smoke`.

For each size, a child process generates the synthetic data (`generate_synthetic --replace`), builds the SQLite
file Datasette serves (the same data, same seed), counts SQL queries per request in-process, EXPLAINs the API's
queries on PostgreSQL, starts gunicorn (this project plus the bare views, bench.settings) and Datasette on free
loopback ports, and measures latency and throughput of every scenario against all three. Results go to
bench/results/<database>-<events>.json; the parent then writes RESULTS.md and the scale-curve PNG.
"""

import argparse
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"
TARGETS = ("api", "bare", "datasette")
FILTER_SCENARIOS = ("list", "actor", "place", "type", "dates", "search", "combined")


# -- processes --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, path: str, seconds: float, proc: subprocess.Popen):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server for {path} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
                r.read()
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} not ready after {seconds} s")


def stop(proc: subprocess.Popen | None):
    """Stop a server this harness started (its own process group only)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def start_gunicorn(port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_MAX_REQUESTS": "0",
        "GUNICORN_LOGLEVEL": "warning",
        "GUNICORN_TIMEOUT": "300",
        # Plain HTTP on loopback: in production TLS ends at the proxy, which the benchmark leaves out.
        "SECURE_SSL_REDIRECT": "0",
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_datasette(port: int, path: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "datasette"),
            "serve",
            "-i",
            str(path),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "--setting",
            "sql_time_limit_ms",
            "120000",
            "--setting",
            "max_csv_mb",
            "0",
            "--setting",
            "num_sql_threads",
            "3",
        ],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


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
        nodes = []

        def walk(node):
            label = node["Node Type"]
            if node.get("Index Name"):
                label += f" using {node['Index Name']}"
            if node.get("Relation Name"):
                label += f" on {node['Relation Name']}"
            nodes.append(f"{label} (rows={node.get('Actual Rows')}, loops={node.get('Actual Loops')})")
            for child in node.get("Plans", []):
                walk(child)

        walk(plan["Plan"])
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


def run_size(args) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from bench import load
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

    # Datasette serves a SQLite file with the same data: the benchmark database itself when that is SQLite.
    if connection.vendor == "sqlite":
        sqlite_path = Path(connection.settings_dict["NAME"])
    else:
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
            result["meta"]["sqlite_generation_seconds"] = round(time.monotonic() - started, 1)
    result["meta"]["datasette_file"] = sqlite_path.name

    scenarios = pick_scenarios()
    rows = []
    for sc in scenarios:
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
        rows.append(entry)
        log(f"queries {sc.name}: {entry['queries']}")
    connections.close_all()

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
                url = entry["urls"][target]
                if url is None or (target == "datasette" and datasette is None):
                    continue
                port = ports[target]
                if sc.kind == "csv":
                    # An export of 10^5 rows is a bulk job, not a page: its rate is rows per second, with one and
                    # with two exports at once (8 or 32 concurrent exports would hold two cores for many minutes).
                    entry["latency"][target] = load.latency(
                        port, url, requests=args.csv_requests, warmup=0, max_seconds=args.seconds * 10
                    )
                    entry["throughput"][target] = {
                        "2": load.throughput(port, url, concurrency=2, seconds=args.seconds, max_requests=2)
                    }
                    continue
                entry["latency"][target] = lat = load.latency(
                    port, url, requests=args.requests, max_seconds=args.seconds * 10
                )
                if lat["p50_ms"] > args.slow_ms:
                    # 32 requests of several seconds each in flight would hold both cores for minutes.
                    entry["throughput"][target] = {
                        "skipped": f"one request takes {lat['p50_ms']:.0f} ms (> {args.slow_ms} ms); not loaded"
                    }
                    continue
                entry["throughput"][target] = {
                    str(c): load.throughput(
                        port, url, concurrency=c, seconds=args.seconds, max_requests=args.max_requests
                    )
                    for c in (8, 32)
                }
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


# -- report -----------------------------------------------------------------------------------------------------


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def report(results: list[dict], out: Path) -> str:
    """The markdown summary (largest size in detail, then the scale curve and the targets) and the PNG."""
    results = sorted(results, key=lambda r: r["meta"]["events"])
    big = results[-1]
    meta = big["meta"]
    db = meta["database"]
    lines = [
        f"Run {meta['date']} on {meta['machine']['cpu']} ({meta['machine']['cores']} cores, "
        f"{meta['machine']['memory_gb']} GB), {meta['machine']['os']}; database {db['vendor']} {db['version']}; "
        f"Datasette {meta['versions']['datasette']} on SQLite {sqlite3.sqlite_version}; "
        f"gunicorn {meta['versions']['gunicorn']} (gunicorn.conf.py defaults); seed {meta['seed']}. "
        f"Shared machine: 1-minute load average {_load(meta, 'start')} at the start, {_load(meta, 'end')} at the end.",
        "",
        f"### {meta['events']:,} events (page of 50)",
        "",
        "| scenario | API p50 / p95 / p99 ms | SQL queries (page 10 / 50) | API req/s c8 / c32 | bare req/s c8 / c32 "
        "| API ÷ bare c8 / c32 | Datasette req/s c8 / c32 | API ÷ Datasette c8 / c32 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in big["scenarios"]:
        lat = s["latency"].get("api", {})
        q = s["queries"].get("api", {})
        qs = " / ".join(str(q.get(k)) for k in ("10", "50") if k in q) or str(q.get("-", ""))
        tp = {t: s["throughput"].get(t, {}) for t in TARGETS}

        def rps(t, c):
            if s["kind"] == "csv" and c == "8":
                c = "2"  # exports are measured at two at once (see run_size)
            value = tp[t].get(c)
            return value.get("rps") if isinstance(value, dict) else None

        def pair(t):
            return " / ".join(str(rps(t, c)) if rps(t, c) is not None else "–" for c in ("8", "32"))

        def ratios(t):
            return " / ".join(str(ratio(rps("api", c), rps(t, c)) or "–") for c in ("8", "32"))

        lines.append(
            f"| {s['name']}: {s['description']} | {lat.get('p50_ms')} / {lat.get('p95_ms')} / {lat.get('p99_ms')} "
            f"| {qs} | {pair('api')} | {pair('bare')} | {ratios('bare')} | {pair('datasette')} "
            f"| {ratios('datasette')} |"
        )
    for s in big["scenarios"]:
        if s["kind"] == "csv" and s.get("rows"):
            speeds = {t: round(s["rows"] / (s["latency"][t]["p50_ms"] / 1000)) for t in TARGETS if t in s["latency"]}
            lines += [
                "",
                f"CSV export of {s['rows']:,} rows, one client: "
                + ", ".join(f"{t} {v:,} rows/s" for t, v in speeds.items())
                + " (the req/s columns of that row are at two "
                "concurrent exports, not 8 / 32).",
            ]
    lines += [
        "",
        "One-client p50 latency (ms) of the bare view and Datasette, for reference:",
        "",
        "| scenario | API | bare | Datasette |",
        "|---|---|---|---|",
    ]
    for s in big["scenarios"]:
        lines.append(
            f"| {s['name']} | " + " | ".join(str(s["latency"].get(t, {}).get("p50_ms", "–")) for t in TARGETS) + " |"
        )
    if len(results) > 1:
        sizes = [r["meta"]["events"] for r in results]
        lines += [
            "",
            "### Scale curve: API p50 (ms) by number of events",
            "",
            "| scenario | " + " | ".join(f"{n:,}" for n in sizes) + " | growth |",
            "|---|" + "---|" * (len(sizes) + 1),
        ]
        for name in [s["name"] for s in big["scenarios"]]:
            values = [
                next((s["latency"].get("api", {}).get("p50_ms") for s in r["scenarios"] if s["name"] == name), None)
                for r in results
            ]
            growth = ratio(values[-1], values[0])
            lines.append(f"| {name} | " + " | ".join(str(v) for v in values) + f" | {growth}× |")
        lines += ["", "![API p50 latency by number of events](scale.png)"]
        plot(results, out / "scale.png")
    lines += ["", "### Targets", ""] + targets(results)
    gen = meta.get("generation")
    if gen:
        lines += [
            "",
            f"Loading {meta['events']:,} events with `generate_synthetic` took {gen['wall_seconds']} s "
            f"on {db['vendor']}.",
        ]
    text = "\n".join(lines) + "\n"
    (out / "RESULTS.md").write_text(text)
    return text


def _load(meta: dict, when: str) -> str:
    value = meta.get(f"load_average_{when}")
    return f"{value[0]:.1f}" if value else "not recorded"


def targets(results: list[dict]) -> list[str]:
    big = results[-1]
    by = {s["name"]: s for s in big["scenarios"]}
    out = []

    def check(ok, text):
        out.append(f"- {'PASS' if ok else 'MISS'}: {text}")

    for name in FILTER_SCENARIOS:
        p95 = by[name]["latency"].get("api", {}).get("p95_ms")
        check(p95 is not None and p95 <= 50, f"{name}: p95 {p95} ms (target ≤ 50 ms)")
    for name, s in by.items():
        q = s["queries"].get("api", {})
        if "10" in q:
            check(
                q["10"] == q["50"] and q["50"] <= 5,
                f"{name}: {q['10']} / {q['50']} queries at page 10 / 50 (target constant, ≤ 5)",
            )
    first = by["cursor_first"]["latency"].get("api", {}).get("p50_ms")
    deep = by["cursor_deep"]["latency"].get("api", {}).get("p50_ms")
    check(first and deep and deep <= 2 * first, f"deep cursor page p50 {deep} ms vs first {first} ms (target ≤ 2×)")
    for name, s in by.items():
        if s["kind"] == "csv":
            continue
        skipped = s["throughput"].get("api", {}).get("skipped")
        if skipped:
            check(False, f"{name}: throughput not measured, {skipped}")
            continue
        for c in ("8", "32"):
            api = (s["throughput"].get("api", {}).get(c) or {}).get("rps")
            bare = (s["throughput"].get("bare", {}).get(c) or {}).get("rps")
            ds = (s["throughput"].get("datasette", {}).get(c) or {}).get("rps")
            if bare:
                check(api and api >= 0.8 * bare, f"{name} c{c}: API {api} req/s = {ratio(api, bare)}× bare (≥ 0.8×)")
            if ds:
                check(api and api >= 2 * ds, f"{name} c{c}: API {api} req/s = {ratio(api, ds)}× Datasette (≥ 2×)")
    if len(results) > 1:
        small = {s["name"]: s for s in results[0]["scenarios"]}
        for name, s in by.items():
            a = small.get(name, {}).get("latency", {}).get("api", {}).get("p50_ms")
            b = s["latency"].get("api", {}).get("p50_ms")
            if s["kind"] != "csv":
                check(
                    a and b and b <= 1.5 * a,
                    f"{name}: p50 {a} → {b} ms from {results[0]['meta']['events']:,} to "
                    f"{big['meta']['events']:,} events = {ratio(b, a)}× (≤ 1.5×)",
                )
    return out


def plot(results: list[dict], path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["meta"]["events"] for r in results]
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in [s["name"] for s in results[-1]["scenarios"] if s["kind"] != "csv"]:
        values = [
            next((s["latency"].get("api", {}).get("p50_ms") for s in r["scenarios"] if s["name"] == name), None)
            for r in results
        ]
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("events")
    ax.set_ylabel("API p50 latency, one client (ms)")
    ax.set_title(f"API p50 by scale ({results[-1]['meta']['database']['vendor']})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
