"""Short load run (CI): scripts/loadtest.py against gunicorn with production settings, every request answered.

The full run (20,000 requests at concurrency 32 on PostgreSQL) is `make loadtest`; see the README.
LOADTEST_REQUESTS and LOADTEST_CONCURRENCY change the size of this one.
"""

import importlib.util
import json
import os
import sys
import tempfile
import threading
from collections import Counter

try:
    from livegunicorn import REPO, Gunicorn, fetch, manage, prepare, production_env, scratch_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import REPO, Gunicorn, fetch, manage, prepare, production_env, scratch_database

REQUESTS = int(os.environ.get("LOADTEST_REQUESTS", "1500"))
CONCURRENCY = int(os.environ.get("LOADTEST_CONCURRENCY", "16"))


def load_script():
    spec = importlib.util.spec_from_file_location("loadtest", REPO / "scripts" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["loadtest"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_short_load_run_has_no_errors_and_reports_percentiles():
    loadtest = load_script()
    with scratch_database(prefix="conflictapi_load") as database_url, tempfile.TemporaryDirectory() as static_root:
        env = production_env(database_url, static_root, GUNICORN_WORKERS="3", THROTTLE_ANON_RATE="100000000/minute")
        prepare(env, collectstatic=False)
        with Gunicorn(env) as server:
            result = loadtest.run(server.url, REQUESTS, CONCURRENCY, max_seconds=300)
            assert server.process.poll() is None
    print(result.report())
    assert result.requests == REQUESTS
    assert result.errors == 0, result.report()
    assert set(result.latencies) == {"list", "filtered", "detail", "csv"}
    cuts = result.percentiles()
    assert 0 < cuts["p50"] <= cuts["p95"] <= cuts["p99"]


WRITERS = int(os.environ.get("LOADTEST_WRITERS", "8"))
WRITES_EACH = int(os.environ.get("LOADTEST_WRITES_EACH", "10"))


def test_concurrent_writers_lose_nothing_and_stale_writes_get_412():
    """Writers race on one event with If-Match: every accepted write is in the history, every stale one got 412."""
    with scratch_database(prefix="conflictapi_writers") as database_url, tempfile.TemporaryDirectory() as static_root:
        env = production_env(database_url, static_root, THROTTLE_USER_RATE="100000000/minute")
        prepare(env, collectstatic=False)
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('writer', password='not-used-for-login-0192')",
        )
        token = manage(env, "issue_token", "writer").stdout.strip()
        auth = {"X-Forwarded-Proto": "https", "Authorization": f"Token {token}", "Content-Type": "application/json"}
        with Gunicorn(env) as server:
            url = server.url + "/api/v1/events/1/"
            status, _, body = fetch(url, auth, method="PATCH", data=b"{}")
            assert status == 200, (status, body[:300])
            outcomes: list[tuple[str, int]] = []
            lock = threading.Lock()

            def writer(n: int) -> None:
                for i in range(WRITES_EACH):
                    status, headers, _ = fetch(url, auth)
                    assert status == 200
                    marker = f"writer {n} write {i}"
                    body = json.dumps({"description": marker}).encode()
                    status, _, _ = fetch(url, {**auth, "If-Match": headers["ETag"]}, method="PATCH", data=body)
                    with lock:
                        outcomes.append((marker, status))

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            final = json.loads(fetch(url, auth)[2])

        history = json.loads(
            manage(
                env,
                "shell",
                "-c",
                (
                    "import json; from facts.models import Event; "
                    "print(json.dumps([h.description for h in Event.history.filter(id=1)]))"
                ),
            )
            .stdout.strip()
            .splitlines()[-1]  # the shell may print a banner first
        )

    accepted = [marker for marker, status in outcomes if status == 200]
    stale = [marker for marker, status in outcomes if status == 412]
    assert len(outcomes) == WRITERS * WRITES_EACH
    assert len(accepted) + len(stale) == len(outcomes), Counter(status for _, status in outcomes)
    assert accepted, "no write was accepted"
    assert sorted(m for m in history if m.startswith("writer ")) == sorted(accepted), "an accepted write is missing"
    assert final["description"] in accepted
    print(f"concurrent writers: {len(accepted)} accepted (all in history), {len(stale)} stale -> 412")
