"""Database outage on the real stack: 503 JSON with Retry-After while the database is gone, recovery with no restart.

Two ways to take the database away from a running gunicorn:

- The app reaches PostgreSQL through a TCP forwarder on a port of our own. Stopping the forwarder closes the port
  and cuts every open connection, exactly what the app sees when the server dies; starting it again brings the
  database back. Needs a PostgreSQL server to forward to, nothing else, and disturbs no one.
- With RUN_PG_OUTAGE_TEST=1 (set by .ci/run), the local PostgreSQL cluster itself is stopped and started again.
  Other sessions share that cluster, so the test is opt-in and always restarts it in a `finally`.
"""

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from livegunicorn import Gunicorn, fetch, postgres_url, prepare, production_env, scratch_database, with_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import (
        Gunicorn,
        fetch,
        postgres_url,
        prepare,
        production_env,
        scratch_database,
        with_database,
    )

HTTPS = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
API_URLS = ["/api/v1/events/", "/api/v1/events/1/", "/api/v1/actors/?kind=person", "/api/v1/statements/"]


class TcpForwarder:
    """Forwards 127.0.0.1:<port> to a target; down() closes the port and cuts every open connection."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.listener: socket.socket | None = None
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            # shutdown() first: a bare close() leaves a thread blocked in accept() holding the port open.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed by down()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass


def assert_unavailable(status, headers, body) -> None:
    assert status == 503, body[:300]
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) > 0
    payload = json.loads(body)
    assert payload["status"] == 503 and payload["code"] == "database_unavailable"
    assert b"Traceback" not in body and b"psycopg" not in body and b"5432" not in body


def wait_for(url: str, expected: int, timeout: float) -> float:
    """Poll until `url` answers `expected`; return the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        status, _, _ = fetch(url, HTTPS, timeout=5)
        if status == expected:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {expected} within {timeout}s")


@pytest.fixture(scope="module")
def postgres():
    url = postgres_url()
    if url is None:
        pytest.skip("needs a PostgreSQL server to forward to (DATABASE_URL or 127.0.0.1:5432)")
    return url


def test_closed_database_port_gives_503_json_then_recovers_without_restart(postgres, tmp_path):
    with scratch_database(prefix="conflictapi_outage", engine="postgres") as direct_url:
        env = production_env(direct_url, str(tmp_path / "static"))
        prepare(env, collectstatic=False)
        parts = urlsplit(direct_url)
        forwarder = TcpForwarder((parts.hostname or "127.0.0.1", parts.port or 5432))
        forwarder.up()
        env["DATABASE_URL"] = with_database(direct_url, parts.path.lstrip("/"), port=forwarder.port)
        try:
            with Gunicorn(env) as server:
                for url in ["/readyz", *API_URLS]:
                    status, _, body = fetch(server.url + url, HTTPS)
                    assert status == 200, (url, body[:300])
                workers = server.booted_workers()

                forwarder.down()
                # Several rounds so that every worker thread, each with its own persistent connection, hits it.
                for _ in range(3):
                    for url in ["/readyz", *API_URLS]:
                        assert_unavailable(*fetch(server.url + url, HTTPS))
                    status, _, _ = fetch(server.url + "/healthz", HTTPS)
                    assert status == 200

                forwarder.up()
                recovered = wait_for(server.url + "/readyz", 200, timeout=15)
                print(
                    f"forwarder outage: 503 on {len(API_URLS) + 1} URLs x3; ready again {recovered:.2f}s after restore"
                )
                for _ in range(3):
                    for url in API_URLS:
                        status, _, body = fetch(server.url + url, HTTPS)
                        assert status == 200, (url, body[:300])
                assert server.process.poll() is None
                assert server.booted_workers() == workers, "a worker was restarted to recover"
        finally:
            forwarder.down()


def _cluster() -> str:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1]


def _pg_ctl(action: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", _cluster(), "main", action],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _pg_ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"], timeout=10).returncode == 0


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="stops the PostgreSQL server the app uses; on SQLite there is no server to stop",
)
@pytest.mark.skipif(
    os.environ.get("RUN_PG_OUTAGE_TEST") != "1",
    reason="stops the shared local PostgreSQL cluster: opt in with RUN_PG_OUTAGE_TEST=1 (.ci/run does)",
)
@pytest.mark.skipif(not Path("/etc/postgresql").is_dir(), reason="no local PostgreSQL cluster to stop")
def test_stopping_postgresql_gives_503_then_recovers_without_restart(tmp_path):
    with scratch_database(prefix="conflictapi_pgstop", engine="postgres") as database_url:
        env = production_env(database_url, str(tmp_path / "static"))
        prepare(env, collectstatic=False)
        with Gunicorn(env) as server:
            for url in ["/readyz", *API_URLS]:
                status, _, _ = fetch(server.url + url, HTTPS)
                assert status == 200, url
            workers = server.booted_workers()
            try:
                _pg_ctl("stop")
                for url in ["/readyz", *API_URLS]:
                    assert_unavailable(*fetch(server.url + url, HTTPS))
                status, _, _ = fetch(server.url + "/healthz", HTTPS)
                assert status == 200
            finally:
                if not _pg_ready():
                    _pg_ctl("start")
                for _ in range(60):
                    if _pg_ready():
                        break
                    time.sleep(1)
            recovered = wait_for(server.url + "/readyz", 200, timeout=30)
            print(f"cluster outage: 503 while stopped; ready again {recovered:.2f}s after the cluster was back")
            for url in API_URLS:
                status, _, _ = fetch(server.url + url, HTTPS)
                assert status == 200, url
            assert server.booted_workers() == workers, "a worker was restarted to recover"
