"""The benchmark harness end to end, in smoke mode: generator, gunicorn, bare views, Datasette, report."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.article_api import article_fixture  # noqa: F401  (pytest fixture)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("facts.api.urls") is None or importlib.util.find_spec("datasette") is None,
    reason="the read API (facts/api/urls.py) or Datasette (requirements-dev.txt) is not installed yet",
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (result,) = [json.loads(p.read_text()) for p in out.glob("smoke-sqlite-*.json")]
    return out, result


def test_every_scenario_answers_200_on_all_three_servers(smoke):
    _, result = smoke
    names = [s["name"] for s in result["scenarios"]]
    assert names == [
        "list",
        "actor",
        "place",
        "type",
        "dates",
        "search",
        "combined",
        "corroborated",
        "cursor_first",
        "cursor_deep",
        "detail",
        "csv",
    ]
    for scenario in result["scenarios"]:
        for target in ("api", "bare", "datasette"):
            latency = scenario["latency"][target]
            assert set(latency["statuses"]) == {"200"}, (scenario["name"], target, latency)
            assert latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"]
            loaded = scenario["throughput"][target]["2" if scenario["kind"] == "csv" else "8"]
            assert loaded["requests"] > 0 and loaded["errors"] == 0, (scenario["name"], target, loaded)


def test_api_queries_per_request_do_not_grow_with_page_size(smoke):
    _, result = smoke
    for scenario in result["scenarios"]:
        queries = scenario["queries"]["api"]
        assert "status" not in queries, scenario["name"]
        if scenario["kind"] in ("list", "cursor"):
            assert queries["10"] == queries["50"], (scenario["name"], queries)


def test_results_record_machine_database_and_date_and_the_report_is_written(smoke):
    out, result = smoke
    meta = result["meta"]
    assert meta["machine"]["cores"] >= 1 and meta["machine"]["cpu"]
    assert meta["database"]["vendor"] == "sqlite"
    assert meta["date"].startswith("20")
    assert meta["generation"]["event"] == meta["events"]
    report = (out / "RESULTS.md").read_text()
    assert "| list: Plain list, first page |" in report
    assert "### Targets" in report


INDEXED_SCENARIOS = (
    "list",
    "actor",
    "place",
    "type",
    "dates",
    "combined",
    "corroborated",
    "cursor_first",
    "cursor_deep",
    "detail",
)


@pytest.mark.django_db
def test_filter_scenarios_use_indexes_on_postgresql(client):
    """At a modest size the page query of every filter scenario is an index scan, never a scan of all events."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.scenarios import pick_scenarios
    from bench.synthetic import generate

    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN index use is checked on PostgreSQL (set DATABASE_URL); this run uses SQLite")
    generate(events=20_000, seed=4)
    for scenario in pick_scenarios():
        if scenario.name not in INDEXED_SCENARIOS:
            continue
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(scenario.api_url()).status_code == 200
        pages = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith('SELECT "facts_event"."id"') and "LIMIT" in q["sql"]
        ]
        assert pages, scenario.name
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {pages[0]}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index" in plan, (scenario.name, plan)
        assert "Seq Scan on facts_event " not in plan + " ", (scenario.name, plan)
        assert "Seq Scan on facts_participant" not in plan, (scenario.name, plan)


@pytest.mark.django_db
def test_the_probe_times_each_url_and_lists_its_queries(article, monkeypatch, capsys):
    from bench import probe

    # The probe switches DEBUG off in the environment, as for a server; keep that out of the other tests.
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setattr(sys, "argv", ["probe", "/api/v1/events/?search=talks", "/api/v1/actors/", "--requests", "3"])
    probe.main()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["/api/v1/events/?search=talks", "/api/v1/actors/"]
    for line in lines:
        p50, p95, cpu = (float(line.split(name)[1].split()[0]) for name in (" p50 ", " p95 ", " CPU "))
        assert 0 < p50 <= p95 and 0 < cpu and "SQL ms [" in line and "SQL ms []" not in line, line


@pytest.mark.django_db
def test_the_probe_refuses_a_url_that_does_not_answer_200(article, monkeypatch):
    from bench import probe

    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setattr(sys, "argv", ["probe", "/api/v1/events/?type=x"])
    with pytest.raises(SystemExit, match="answered 400"):
        probe.main()
