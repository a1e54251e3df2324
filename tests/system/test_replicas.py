"""Read replicas, tested against a real PostgreSQL streaming replica (conflictapi/replicas.py).

The module makes a small primary cluster of its own on a free loopback port (initdb), a streaming replica of it with
`pg_basebackup -R` on another, and production servers (gunicorn) with DATABASE_REPLICA_URLS pointing at the replica.
It never copies the machine's main cluster, whose databases may be large. A replica whose replay is paused
(`pg_wal_replay_pause()`) holds the data from before a write: what a client reads then shows where it was served.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.livegunicorn import Gunicorn, fetch, free_port, manage, prepare, production_env

PG_BIN = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]) if glob.glob("/usr/lib/postgresql/*/bin") else None
HEADERS = {"X-Forwarded-Proto": "https", "Accept": "application/json"}
ACTOR = "/api/v1/actors/antony-blinken/"


def run_as_postgres(*command: str) -> None:
    """Run a PostgreSQL server tool as the postgres user (the server refuses to run as root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


class Cluster:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database} connect_timeout=3"

    def configure(self) -> None:
        with open(self.folder / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
            )

    def start(self) -> None:
        run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder), "-l", str(self.folder / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        run_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.folder), "-m", mode, "-w", "stop")

    def execute(self, sql: str, database: str = "postgres"):
        with psycopg.connect(self.conninfo(database), autocommit=True) as conn:
            return conn.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else conn.execute(sql)


@pytest.fixture(scope="module")
def clusters():
    """(primary, replica) clusters, the primary holding the article's data in database `app`."""
    assert PG_BIN is not None, "PostgreSQL's server binaries are needed (the postgresql package)"
    root = Path(tempfile.mkdtemp(prefix="replica-test-"))
    shutil.chown(root, "postgres") if os.geteuid() == 0 else None
    primary = Cluster(root / "primary", free_port())
    replica = Cluster(root / "replica", free_port())
    try:
        run_as_postgres(str(PG_BIN / "initdb"), "-D", str(primary.folder), "-U", "postgres", "--auth=trust")
        primary.configure()
        primary.start()
        primary.execute("CREATE DATABASE app")
        run_as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(replica.folder),
            "-R",
            "-X",
            "stream",
        )
        replica.configure()
        replica.start()
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            if (cluster.folder / "postmaster.pid").exists():
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def deployment(clusters):
    """The primary migrated and loaded with the article, the replica caught up, and a writer's token."""
    primary, replica = clusters
    static_root = tempfile.mkdtemp(prefix="replica-static-")
    env = production_env(
        primary.url("app"), static_root, THROTTLE_USER_RATE="100000/minute", THROTTLE_ANON_RATE="100000/minute"
    )
    if not env.get("REDIS_URL"):
        # Without a shared cache each worker would keep its own read-your-writes pins.
        env["GUNICORN_WORKERS"] = "1"
    prepare(env)
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_superuser('replica-writer', password='not-used-for-login-0193')",
    )
    token = manage(env, "issue_token", "replica-writer").stdout.strip()
    wait_for(
        lambda: (
            replica.execute("SELECT count(*) FROM facts_actor", "app")
            == primary.execute("SELECT count(*) FROM facts_actor", "app")
        ),
        "the replica to catch up",
    )
    yield env, token
    shutil.rmtree(static_root, ignore_errors=True)


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except psycopg.OperationalError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def server(env: dict[str, str], replica: Cluster, **settings: str) -> Gunicorn:
    return Gunicorn({**env, "DATABASE_REPLICA_URLS": replica.url("app"), **settings})


def description(url: str, headers: dict[str, str]) -> str:
    status, _, body = fetch(url + ACTOR, headers)
    assert status == 200, (status, body[:300])
    return json.loads(body)["description"]


def patch_description(url: str, token: str, text: str) -> None:
    writer = {**HEADERS, "Authorization": f"Token {token}"}
    status, headers, body = fetch(url + ACTOR, writer)
    assert status == 200, (status, body[:300])
    status, _, body = fetch(
        url + ACTOR,
        {**writer, "Content-Type": "application/json", "If-Match": headers["ETag"]},
        method="PATCH",
        data=json.dumps({"description": text}).encode(),
    )
    assert status == 200, (status, body[:300])


def test_reads_come_from_the_replica_writes_go_to_the_primary_and_a_writer_reads_its_writes(clusters, deployment):
    primary, replica = clusters
    env, token = deployment
    with server(
        env,
        replica,
        DATABASE_REPLICA_MAX_LAG="600",
        DATABASE_REPLICA_CHECK_SECONDS="60",
        DATABASE_READ_YOUR_WRITES_SECONDS="30",
    ) as live:
        before = description(live.url, HEADERS)
        replica.execute("SELECT pg_wal_replay_pause()", "app")
        try:
            patch_description(live.url, token, "Written while the replica's replay is paused.")
            # The write is on the primary...
            assert primary.execute("SELECT description FROM facts_actor WHERE slug = 'antony-blinken'", "app") == [
                ("Written while the replica's replay is paused.",)
            ]
            # ...an anonymous read comes from the replica, which has not replayed it...
            assert description(live.url, HEADERS) == before
            # ...and the writer, pinned to the primary after its write, reads its own write.
            writer = {**HEADERS, "Authorization": f"Token {token}"}
            assert description(live.url, writer) == "Written while the replica's replay is paused."
        finally:
            replica.execute("SELECT pg_wal_replay_resume()", "app")
        wait_for(
            lambda: description(live.url, HEADERS) == "Written while the replica's replay is paused.",
            "the replica to replay the write",
        )


def test_a_replica_lagging_past_the_threshold_is_skipped(clusters, deployment):
    primary, replica = clusters
    env, _ = deployment
    with server(env, replica, DATABASE_REPLICA_MAX_LAG="1", DATABASE_REPLICA_CHECK_SECONDS="0") as live:
        replica.execute("SELECT pg_wal_replay_pause()", "app")
        try:
            primary.execute(
                "UPDATE facts_actor SET description = 'Lagging behind.' WHERE slug = 'antony-blinken'", "app"
            )
            wait_for(
                lambda: (
                    replica.execute("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()", "app") == [(True,)]
                ),
                "the replica to receive what it does not replay",
            )
            time.sleep(1.5)  # past DATABASE_REPLICA_MAX_LAG
            # The replica still holds the old description; the read shows the primary's.
            assert description(live.url, HEADERS) == "Lagging behind."
            assert "skipped: its replay lags" in live.log.read_text()
        finally:
            replica.execute("SELECT pg_wal_replay_resume()", "app")


def test_a_stopped_replica_sends_reads_to_the_primary_without_a_5xx(clusters, deployment):
    primary, replica = clusters
    env, _ = deployment
    # A long check interval: the workers still believe the replica fit when it stops, so each request finds out by
    # failing on it, and is served again from the primary.
    with server(env, replica, DATABASE_REPLICA_MAX_LAG="600", DATABASE_REPLICA_CHECK_SECONDS="3600") as live:
        paths = ["/api/v1/events/", "/api/v1/statements/?kind=quote", ACTOR, "/api/v1/events/1/"]
        for path in paths:
            assert fetch(live.url + path, HEADERS)[0] == 200
        replica.stop("immediate")
        try:
            for _ in range(3):
                for path in paths:
                    started = time.monotonic()
                    status, _, body = fetch(live.url + path, HEADERS)
                    assert status == 200, (path, status, body[:300])
                    assert time.monotonic() - started < 5, path
            assert "does not answer" in live.log.read_text()
        finally:
            replica.start()
