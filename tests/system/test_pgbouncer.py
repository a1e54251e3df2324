"""The API behind PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer-transaction), the export included.

PgBouncer (Debian's package; .ci/run installs it when missing) runs on a free loopback port in front of the local
PostgreSQL, with a pool far smaller than the number of gunicorn threads, so that transactions of one Django
connection do run on different server connections. The export reads more rows than one chunk, which a server-side
cursor would fetch in several round trips, each possibly on another server connection.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.livegunicorn import (
    Gunicorn,
    fetch,
    free_port,
    manage,
    postgres_url,
    prepare,
    production_env,
    scratch_database,
    with_database,
)

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
HEADERS = {"X-Forwarded-Proto": "https"}
SYNTHETIC_EVENTS = 4500  # more than two export chunks (facts.api.views.EXPORT_CHUNK_SIZE rows each)


@pytest.fixture
def pgbouncer():
    """A PgBouncer in transaction mode on loopback, in front of the local PostgreSQL; yields its port."""
    assert Path(PGBOUNCER).exists(), "PgBouncer is needed (Debian package pgbouncer; .ci/run installs it)"
    upstream = postgres_url()
    assert upstream, "a local PostgreSQL is needed"
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-test-"))
    port = free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        "* = host=127.0.0.1 port=5432\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        # Fewer server connections than gunicorn's 2 x 4 threads: connections are shared between transactions.
        "default_pool_size = 2\nmax_client_conn = 100\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for item in folder.iterdir():
            shutil.chown(item, "postgres")
    process = subprocess.Popen(
        [*prefix, PGBOUNCER, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        import socket

        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {(folder / 'pgbouncer.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_api_and_its_export_work_through_pgbouncer_in_transaction_mode(pgbouncer):
    with (
        scratch_database(prefix="conflictapi_pgbouncer", engine="postgres") as direct_url,
        tempfile.TemporaryDirectory() as static_root,
    ):
        # Migrations and the bulk load go straight to PostgreSQL, as a deployment's release step would.
        direct = production_env(direct_url, static_root)
        prepare(direct)
        manage(direct, "generate_synthetic", "--events", str(SYNTHETIC_EVENTS), "--seed", "3", timeout=600)
        pooled_url = with_database(direct_url, direct_url.rsplit("/", 1)[1], port=pgbouncer)
        env = production_env(
            pooled_url, static_root, DATABASE_POOLER="pgbouncer-transaction", THROTTLE_ANON_RATE="100000/minute"
        )
        with Gunicorn(env) as server:

            def export():
                return fetch(
                    server.url + "/api/v1/events/?fields=id,title", {**HEADERS, "Accept": "text/csv"}, timeout=120
                )

            # Concurrent exports and lists share the pool's two server connections.
            with ThreadPoolExecutor(max_workers=6) as pool:
                exports = [pool.submit(export) for _ in range(3)]
                lists = [pool.submit(fetch, server.url + f"/api/v1/events/?page={n}", HEADERS) for n in range(1, 9)]
                results = [future.result() for future in exports]
                assert all(future.result()[0] == 200 for future in lists)
            for status, _, body in results:
                assert status == 200, body[:300]
                rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
                assert rows[0] == ["id", "title"]
                assert len(rows) - 1 == SYNTHETIC_EVENTS + 22  # the synthetic events and the article's
            status, _, body = fetch(server.url + "/api/v1/statements/?kind=quote", HEADERS)
            assert status == 200, body[:300]
