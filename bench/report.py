"""The benchmark's report: RESULTS.md (the largest size in detail, the scale curve, the targets) and scale.png."""

import sqlite3
from pathlib import Path

TARGETS = ("api", "bare", "datasette")
FILTER_SCENARIOS = ("list", "actor", "place", "type", "dates", "search", "combined", "corroborated")


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def _rps(scenario: dict, target: str, concurrency: str):
    if scenario["kind"] == "csv" and concurrency == "8":
        concurrency = "2"  # exports are measured at two at once (see bench.run.run_size)
    value = scenario["throughput"].get(target, {}).get(concurrency)
    return value.get("rps") if isinstance(value, dict) else None


def _pair(scenario: dict, target: str) -> str:
    return " / ".join(
        str(_rps(scenario, target, c)) if _rps(scenario, target, c) is not None else "–" for c in ("8", "32")
    )


def _ratios(scenario: dict, target: str) -> str:
    return " / ".join(str(ratio(_rps(scenario, "api", c), _rps(scenario, target, c)) or "–") for c in ("8", "32"))


def _load(meta: dict, when: str) -> str:
    value = meta.get(f"load_average_{when}")
    return f"{value[0]:.1f}" if value else "not recorded"


def _main_table(big: dict) -> list[str]:
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
        lines.append(
            f"| {s['name']}: {s['description']} | {lat.get('p50_ms')} / {lat.get('p95_ms')} / {lat.get('p99_ms')} "
            f"| {qs} | {_pair(s, 'api')} | {_pair(s, 'bare')} | {_ratios(s, 'bare')} | {_pair(s, 'datasette')} "
            f"| {_ratios(s, 'datasette')} |"
        )
    return lines


def _csv_and_reference(big: dict) -> list[str]:
    lines = []
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
    return lines


def _api_p50(results: list[dict], name: str) -> list:
    return [
        next((s["latency"].get("api", {}).get("p50_ms") for s in r["scenarios"] if s["name"] == name), None)
        for r in results
    ]


def _scale_curve(results: list[dict], out: Path) -> list[str]:
    sizes = [r["meta"]["events"] for r in results]
    lines = [
        "",
        "### Scale curve: API p50 (ms) by number of events",
        "",
        "| scenario | " + " | ".join(f"{n:,}" for n in sizes) + " | growth |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name in [s["name"] for s in results[-1]["scenarios"]]:
        values = _api_p50(results, name)
        growth = ratio(values[-1], values[0])
        lines.append(f"| {name} | " + " | ".join(str(v) for v in values) + f" | {growth}× |")
    lines += ["", "![API p50 latency by number of events](scale.png)"]
    plot(results, out / "scale.png")
    return lines


def report(results: list[dict], out: Path) -> str:
    """The markdown summary (largest size in detail, then the scale curve and the targets) and the PNG."""
    results = sorted(results, key=lambda r: r["meta"]["events"])
    big = results[-1]
    meta = big["meta"]
    lines = _main_table(big) + _csv_and_reference(big)
    if len(results) > 1:
        lines += _scale_curve(results, out)
    lines += ["", "### Targets", ""] + targets(results)
    gen = meta.get("generation")
    if gen:
        lines += [
            "",
            f"Loading {meta['events']:,} events with `generate_synthetic` took {gen['wall_seconds']} s "
            f"on {meta['database']['vendor']}.",
        ]
    text = "\n".join(lines) + "\n"
    (out / "RESULTS.md").write_text(text)
    return text


def _check(ok, text) -> str:
    return f"- {'PASS' if ok else 'MISS'}: {text}"


def _latency_and_query_targets(by: dict) -> list[str]:
    out = []
    for name in FILTER_SCENARIOS:
        p95 = by[name]["latency"].get("api", {}).get("p95_ms")
        out.append(_check(p95 is not None and p95 <= 50, f"{name}: p95 {p95} ms (target ≤ 50 ms)"))
    for name, s in by.items():
        q = s["queries"].get("api", {})
        if "10" in q:
            out.append(
                _check(
                    q["10"] == q["50"] and q["50"] <= 5,
                    f"{name}: {q['10']} / {q['50']} queries at page 10 / 50 (target constant, ≤ 5)",
                )
            )
    first = by["cursor_first"]["latency"].get("api", {}).get("p50_ms")
    deep = by["cursor_deep"]["latency"].get("api", {}).get("p50_ms")
    out.append(
        _check(
            first and deep and deep <= 2 * first, f"deep cursor page p50 {deep} ms vs first {first} ms (target ≤ 2×)"
        )
    )
    return out


def _throughput_targets(by: dict) -> list[str]:
    out = []
    for name, s in by.items():
        if s["kind"] == "csv":
            continue
        skipped = s["throughput"].get("api", {}).get("skipped")
        if skipped:
            out.append(_check(False, f"{name}: throughput not measured, {skipped}"))
            continue
        for c in ("8", "32"):
            api = (s["throughput"].get("api", {}).get(c) or {}).get("rps")
            bare = (s["throughput"].get("bare", {}).get(c) or {}).get("rps")
            ds = (s["throughput"].get("datasette", {}).get(c) or {}).get("rps")
            if bare:
                out.append(
                    _check(
                        api and api >= 0.8 * bare, f"{name} c{c}: API {api} req/s = {ratio(api, bare)}× bare (≥ 0.8×)"
                    )
                )
            if ds:
                out.append(
                    _check(api and api >= 2 * ds, f"{name} c{c}: API {api} req/s = {ratio(api, ds)}× Datasette (≥ 2×)")
                )
    return out


def _scale_targets(results: list[dict], by: dict) -> list[str]:
    out = []
    small = {s["name"]: s for s in results[0]["scenarios"]}
    for name, s in by.items():
        a = small.get(name, {}).get("latency", {}).get("api", {}).get("p50_ms")
        b = s["latency"].get("api", {}).get("p50_ms")
        if s["kind"] != "csv":
            out.append(
                _check(
                    a and b and b <= 1.5 * a,
                    f"{name}: p50 {a} → {b} ms from {results[0]['meta']['events']:,} to "
                    f"{results[-1]['meta']['events']:,} events = {ratio(b, a)}× (≤ 1.5×)",
                )
            )
    return out


def targets(results: list[dict]) -> list[str]:
    """Each target of the benchmark as a PASS or MISS line, for the largest size (and across sizes)."""
    by = {s["name"]: s for s in results[-1]["scenarios"]}
    out = _latency_and_query_targets(by) + _throughput_targets(by)
    if len(results) > 1:
        out += _scale_targets(results, by)
    return out


def plot(results: list[dict], path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["meta"]["events"] for r in results]
    fig, ax = plt.subplots(figsize=(8, 5))
    for name in [s["name"] for s in results[-1]["scenarios"] if s["kind"] != "csv"]:
        ax.plot(sizes, _api_p50(results, name), marker="o", label=name)
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
