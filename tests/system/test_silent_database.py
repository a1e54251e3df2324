"""A database that accepts TCP and never answers: requests end in 503 JSON within the timeouts, no worker hangs.

The listener here accepts every connection and never sends a byte, as a hung PostgreSQL server (or a half-dead
proxy in front of one) does. The production stack (gunicorn from gunicorn.conf.py, production settings, see
tests/livegunicorn.py) is pointed at it with DATABASE_URL=postgres://postgres@127.0.0.1:<port>/x; nothing is
migrated or loaded, since nothing could be. What ends each request, and when:

- /healthz never touches the database: fast 200, and the listener sees no connection.
- /readyz probes a new connection in a thread it waits READYZ_TIMEOUT (1 s) for: 503 within 2 s.
- An API request waits DATABASE_CONNECT_TIMEOUT (3 s): psycopg gives up on the startup exchange, 503 JSON.
- With the connect timeout raised past gunicorn's timeout, the worker timeout ends the request instead (the
  heartbeat hooks in gunicorn.conf.py make it apply to gthread workers), and the master serves on.
- A server that stops answering mid-session (real PostgreSQL behind a forwarder that freezes; needs a PostgreSQL
  server): /readyz still 503 within 2 s, and a request stuck on its open connection is ended by the worker timeout.

Statement timeouts need a server that answers: the PostgreSQL part runs when DATABASE_URL is PostgreSQL. SQLite has
no statement timeout (a query there is bounded by its own work; lock waits by the `timeout` option, 20 s).
Timings are printed (pytest -s) for the closing notes.
"""

import http.client
import json
import os
import runpy
import socket
import subprocess
import sys
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

try:
    from livegunicorn import (
        REPO,
        Gunicorn,
        fetch,
        postgres_url,
        prepare,
        production_env,
        scratch_database,
        with_database,
    )
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import (
        REPO,
        Gunicorn,
        fetch,
        postgres_url,
        prepare,
        production_env,
        scratch_database,
        with_database,
    )

HTTPS = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
CONNECT_TIMEOUT = 3
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


class SilentListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte; `accepted` counts the connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/x"
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return  # closed
            with self.lock:
                self.clients.append(client)  # held open, never read from or written to

    @property
    def accepted(self) -> int:
        with self.lock:
            return len(self.clients)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for client in self.clients:
                client.close()


class FreezableForwarder:
    """Forwards 127.0.0.1:<port> to PostgreSQL; while `frozen` is set, bytes are held, sockets stay open.

    Frozen, it is a server that stopped answering mid-session: the kernel acknowledges every packet, so neither
    statement_timeout (the query never reaches the server) nor tcp_user_timeout (nothing is left unacknowledged)
    ends the wait.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.frozen = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                return
            upstream.settimeout(None)
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.05)
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.frozen.clear()
        for sock in [self.sock, *self.sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def timed(url: str, timeout: float = 30):
    start = time.monotonic()
    status, headers, body = fetch(url, HTTPS, timeout=timeout)
    return time.monotonic() - start, status, headers, body


def assert_503_json(status, headers, body) -> None:
    assert status == 503, body[:300]
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) > 0
    payload = json.loads(body)
    assert payload["status"] == 503 and payload["code"] == "database_unavailable"
    assert b"Traceback" not in body and b"timeout" not in body.lower()


@pytest.fixture(scope="module")
def silent():
    listener = SilentListener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def server(silent, tmp_path_factory):
    env = production_env(
        silent.url, str(tmp_path_factory.mktemp("static")), DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT)
    )
    with Gunicorn(env) as server:
        server.workers_at_start = server.booted_workers()
        yield server


def assert_master_serves(server, within: float = 1) -> None:
    assert server.process.poll() is None, server.log.read_text()[-3000:]
    elapsed, status, _, _ = timed(server.url + "/healthz")
    assert status == 200 and elapsed < within


def test_healthz_answers_at_once_without_touching_the_database(server, silent):
    before = silent.accepted
    times = []
    for _ in range(5):
        elapsed, status, _, body = timed(server.url + "/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok"}
        times.append(elapsed)
    print(f"\n/healthz 200 in {max(times) * 1000:.0f} ms at most (5 requests), silent database")
    assert max(times) < 1
    assert silent.accepted == before, "/healthz opened a database connection"


def test_readyz_answers_503_within_2_seconds(server, silent):
    before = silent.accepted
    times = []
    for _ in range(3):  # the later ones may find the first probe still waiting: 503 at once
        elapsed, status, headers, body = timed(server.url + "/readyz")
        assert_503_json(status, headers, body)
        times.append(elapsed)
    print(f"\n/readyz 503 in {times[0]:.2f} s, then {', '.join(f'{t:.2f}' for t in times[1:])} s, silent database")
    assert max(times) < 2
    assert silent.accepted > before, "/readyz never reached the database"
    assert_master_serves(server)


def test_api_answers_503_json_within_the_connect_timeout_plus_1_second(server, silent):
    before = silent.accepted
    elapsed, status, headers, body = timed(server.url + "/api/v1/events/")
    assert_503_json(status, headers, body)
    print(f"\n/api/v1/events/ 503 in {elapsed:.2f} s (DATABASE_CONNECT_TIMEOUT={CONNECT_TIMEOUT})")
    # Ended by the connect timeout: not earlier (the listener was reached and stayed silent), not much later.
    assert CONNECT_TIMEOUT - 0.2 <= elapsed < CONNECT_TIMEOUT + 1
    assert silent.accepted > before

    # Every thread of every worker at once (2 workers x 4 threads), and a few more queued behind them.
    urls = ["/api/v1/events/", "/api/v1/events/1/", "/api/v1/actors/?kind=person", "/api/v1/statements/"] * 3
    start = time.monotonic()
    with ThreadPoolExecutor(len(urls)) as pool:
        results = list(pool.map(timed, [server.url + url for url in urls]))
    wall = time.monotonic() - start
    for _, status, headers, body in results:
        assert_503_json(status, headers, body)
    slowest = max(elapsed for elapsed, *_ in results)
    print(
        f"{len(urls)} concurrent API requests: all 503, slowest {slowest:.2f} s, {wall:.2f} s in all "
        "(2 workers x 4 threads)"
    )
    # No request holds a thread past the connect timeout. The kernel need not share the connections out evenly: at
    # worst all 12 queue for one worker's 4 threads, 3 rounds of the connect timeout.
    assert wall < 3 * CONNECT_TIMEOUT + 1.5

    assert_master_serves(server)
    log = server.log.read_text(errors="replace")
    assert "WORKER TIMEOUT" not in log, "the database timeouts should have ended every request first"
    assert server.booted_workers() == server.workers_at_start


def test_worker_timeout_ends_a_request_the_database_timeouts_do_not(silent, tmp_path):
    """A connect timeout longer than gunicorn's: the worker timeout ends the stuck request, even on gthread."""
    env = production_env(
        silent.url,
        str(tmp_path / "static"),
        DATABASE_CONNECT_TIMEOUT="60",
        GUNICORN_TIMEOUT="3",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
    )
    with Gunicorn(env) as server:
        booted = server.booted_workers()
        outcome = {}

        def stuck_request():
            start = time.monotonic()
            try:
                outcome["status"] = fetch(server.url + "/api/v1/events/", HTTPS, timeout=30)[0]
            except (http.client.HTTPException, urllib.error.URLError, OSError) as exc:
                outcome["error"] = exc
            outcome["elapsed"] = time.monotonic() - start

        thread = threading.Thread(target=stuck_request)
        thread.start()
        time.sleep(1)
        # Meanwhile the same (only) worker keeps serving on its other threads, and /readyz keeps to its own bound.
        elapsed, status, _, _ = timed(server.url + "/healthz")
        assert status == 200 and elapsed < 1
        ready_elapsed, status, headers, body = timed(server.url + "/readyz")
        assert_503_json(status, headers, body)
        assert ready_elapsed < 2
        thread.join(30)
        assert not thread.is_alive()

        print(
            f"\nconnect timeout 60 s, GUNICORN_TIMEOUT=3: stuck request ended after {outcome['elapsed']:.2f} s "
            f"({outcome.get('error') or outcome.get('status')!r}); /readyz 503 in {ready_elapsed:.2f} s meanwhile"
        )
        assert "status" not in outcome, "the request got an answer: it was not stuck"
        assert 3 - 0.5 <= outcome["elapsed"] < 3 + 4  # SIGABRT at the master's next check, SIGKILL at the one after
        log = server.log.read_text(errors="replace")
        assert "WORKER TIMEOUT" in log
        assert "ended by the worker timeout: GET /api/v1/events/" in log

        deadline = time.monotonic() + 20
        while server.booted_workers() == booted and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.booted_workers() == booted + 1, "no new worker replaced the one timed out"
        assert_master_serves(server, within=15)  # the new worker may still be importing Django


def test_a_server_that_stops_answering_mid_session_is_ended_by_the_worker_timeout(tmp_path):
    """Connections already open when the server goes silent: /readyz still 503 within 2 s (its probe is a new
    connection), and a request stuck on its open connection is ended by the worker timeout, after which it serves."""
    if postgres_url() is None:
        pytest.skip("needs a PostgreSQL server to forward to (DATABASE_URL or 127.0.0.1:5432)")
    with scratch_database(prefix="conflictapi_silent", engine="postgres") as direct_url:
        env = production_env(direct_url, str(tmp_path / "static"), GUNICORN_WORKERS="1", GUNICORN_TIMEOUT="4")
        prepare(env, collectstatic=False)
        parts = urlsplit(direct_url)
        forwarder = FreezableForwarder((parts.hostname or "127.0.0.1", parts.port or 5432))
        env["DATABASE_URL"] = with_database(direct_url, parts.path.lstrip("/"), port=forwarder.port)
        try:
            with Gunicorn(env) as server:
                for _ in range(4):  # every thread of the one worker gets its persistent connection
                    for url in ["/api/v1/events/", "/readyz"]:
                        assert timed(server.url + url)[1] == 200, url
                booted = server.booted_workers()
                forwarder.frozen.set()

                outcome = {}

                def stuck_request():
                    start = time.monotonic()
                    try:
                        outcome["status"] = fetch(server.url + "/api/v1/events/", HTTPS, timeout=30)[0]
                    except (http.client.HTTPException, urllib.error.URLError, OSError) as exc:
                        outcome["error"] = exc
                    outcome["elapsed"] = time.monotonic() - start

                thread = threading.Thread(target=stuck_request)
                thread.start()
                time.sleep(0.5)
                ready_elapsed, status, headers, body = timed(server.url + "/readyz")
                assert_503_json(status, headers, body)
                thread.join(30)
                print(
                    f"\nserver silent mid-session, GUNICORN_TIMEOUT=4: /readyz 503 in {ready_elapsed:.2f} s; "
                    f"request on an open connection ended after {outcome['elapsed']:.2f} s "
                    f"({outcome.get('error') or outcome.get('status')!r})"
                )
                assert ready_elapsed < 2
                assert "status" not in outcome and 4 - 0.5 <= outcome["elapsed"] < 4 + 4
                assert "ended by the worker timeout: GET /api/v1/events/" in server.log.read_text(errors="replace")

                forwarder.frozen.clear()
                deadline = time.monotonic() + 20
                while server.booted_workers() == booted and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert_master_serves(server, within=15)
                assert timed(server.url + "/readyz")[1] == 200
                assert timed(server.url + "/api/v1/events/")[1] == 200
        finally:
            forwarder.close()


def test_heartbeat_hooks_report_the_start_of_the_oldest_running_request():
    """The gunicorn.conf.py hooks, driven directly: the beat is as old as the oldest request still running."""
    from gunicorn.config import Config
    from gunicorn.workers.workertmp import WorkerTmp

    hooks = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    tmp = WorkerTmp(Config())
    worker = SimpleNamespace(tmp=tmp, notify=tmp.notify, log=SimpleNamespace(debug=lambda *a: None))
    hooks["post_worker_init"](worker)

    def age() -> float:
        worker.notify()
        return time.monotonic() - tmp.last_update()

    assert age() < 0.1  # idle: a fresh beat
    first, second = SimpleNamespace(method="GET", path="/a"), SimpleNamespace(method="GET", path="/b")
    hooks["pre_request"](worker, first)
    time.sleep(0.6)
    hooks["pre_request"](worker, second)
    time.sleep(0.6)
    assert 1.1 < age() < 2  # as old as `first`
    hooks["post_request"](worker, first, {}, None)
    assert 0.5 < age() < 1  # now as old as `second`: overlapping requests never add up
    hooks["post_request"](worker, second, {}, None)
    assert age() < 0.1
    tmp.close()


# Settings and the real PostgreSQL -------------------------------------------------------------------------------


def database_settings(env: dict[str, str], *command: str) -> dict:
    """OPTIONS and timeouts of the settings under `env`, read in a new process (`command`: via manage.py)."""
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({'options': "
        "s.DATABASES['default'].get('OPTIONS', {}), 'statement': s.DATABASE_STATEMENT_TIMEOUT}))"
    )
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PYTEST"))},
        **env,
        "DJANGO_SETTINGS_MODULE": "conflictapi.settings",
    }
    if command:
        args = [sys.executable, "manage.py", *command, "-c", code]
    else:
        args = [sys.executable, "-c", "import django; django.setup(); " + code]
    result = subprocess.run(args, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_options_carry_the_timeouts_with_the_planner_options():
    url = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x"}
    options = database_settings(url)["options"]
    assert options["connect_timeout"] == 3
    assert options["options"] == (
        "-c statement_timeout=5000 -c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"
    )
    assert options["tcp_user_timeout"] == 5000 and options["keepalives"] == 1

    # Combined with DATABASE_PG_OPTIONS, not clobbered by it (and a statement_timeout given there comes last: wins).
    custom = database_settings(
        {
            **url,
            "DATABASE_PG_OPTIONS": "-c work_mem=8MB -c statement_timeout=900",
            "DATABASE_CONNECT_TIMEOUT": "7",
            "DATABASE_TCP_USER_TIMEOUT": "0",
        }
    )["options"]
    assert custom["options"] == "-c statement_timeout=5000 -c work_mem=8MB -c statement_timeout=900"
    assert custom["connect_timeout"] == 7 and "tcp_user_timeout" not in custom

    off = database_settings({**url, "DATABASE_STATEMENT_TIMEOUT": "0"})
    assert "statement_timeout" not in off["options"]["options"] and off["statement"] == 0

    # A management command (migrate, bulk loads) gets no statement timeout; runserver, gunicorn and tests do.
    command = database_settings(url, "shell")
    assert command["statement"] == 0 and "statement_timeout" not in command["options"]["options"]
    assert command["options"]["connect_timeout"] == 3


def test_sqlite_has_a_lock_timeout_and_no_connect_or_statement_timeout():
    options = database_settings({"DATABASE_URL": "sqlite:///:memory:"})["options"]
    assert options == {"transaction_mode": "IMMEDIATE", "timeout": 20}


@pytest.mark.skipif(not ON_POSTGRES, reason="statement_timeout is PostgreSQL's; SQLite has none (see the docstring)")
@pytest.mark.django_db(transaction=True)
def test_a_statement_over_the_statement_timeout_answers_503_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "5s"  # from OPTIONS, on the connection the tests use
        cursor.execute("SET statement_timeout = 300")  # the same limit, shorter so that the test is quick

    def slow_first_query(execute, sql, params, many, context):
        if not calls:
            calls.append(sql)
            return execute("SELECT pg_sleep(3)", None, many, context)
        return execute(sql, params, many, context)

    calls: list[str] = []
    try:
        start = time.monotonic()
        with connection.execute_wrapper(slow_first_query):
            response = Client().get("/api/v1/events/", HTTP_ACCEPT="application/json")
        elapsed = time.monotonic() - start
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    print(f"\nstatement over a 300 ms statement_timeout: {response.status_code} in {elapsed:.2f} s")
    assert calls, "the view ran no query"
    assert response.status_code == 503, response.content[:300]
    assert response.json()["code"] == "database_unavailable" and int(response["Retry-After"]) > 0
    assert elapsed < 2
