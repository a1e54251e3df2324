"""Start the real production stack (gunicorn + production settings) on loopback for tests and scripts/loadtest.py.

Each server gets its own database, created here and dropped afterwards, so that no test sees another's data:
a PostgreSQL database next to the one in DATABASE_URL when that is PostgreSQL, else a SQLite file in a temp folder.
The database is migrated and loaded with the article fixtures, exactly as the README's serve command does.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> str | None:
    """The PostgreSQL server to use: DATABASE_URL when it is PostgreSQL, else the local one when it answers."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    if os.environ.get("DATABASE_URL"):
        return None
    try:
        import psycopg

        with psycopg.connect(_libpq(DEFAULT_PG_URL), connect_timeout=2):
            return DEFAULT_PG_URL
    except Exception:  # noqa: BLE001 -- any failure means "no local PostgreSQL to use"
        return None


def _libpq(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def with_database(url: str, name: str, port: int | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if port is not None:
        host = parts.hostname or "127.0.0.1"
        auth = netloc.rsplit("@", 1)[0] + "@" if "@" in netloc else ""
        netloc = f"{auth}{host}:{port}"
    return urlunsplit((parts.scheme, netloc, "/" + name, parts.query, parts.fragment))


@contextlib.contextmanager
def scratch_database(prefix: str = "conflictapi_live", engine: str | None = None):
    """Yield a DATABASE_URL for a new, empty database; drop it afterwards.

    engine: "postgres" or "sqlite" to force one; None follows DATABASE_URL (PostgreSQL when it is set to it).
    """
    pg = postgres_url() if engine != "sqlite" else None
    want_pg = engine == "postgres" or (engine is None and os.environ.get("DATABASE_URL", "").startswith("postgres"))
    if want_pg and pg:
        import psycopg

        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
        admin = _libpq(with_database(pg, "postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(pg, name)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif want_pg:
        raise RuntimeError("PostgreSQL was asked for but none answers")
    else:
        with tempfile.TemporaryDirectory(prefix="conflictapi-live-") as folder:
            yield f"sqlite:///{folder}/db.sqlite3"


def production_env(database_url: str, static_root: str, **overrides: str) -> dict[str, str]:
    """Environment for production settings on loopback: DEBUG off, a fresh secret key, HTTPS via a trusted proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        STATIC_ROOT=static_root,
        # Tests act as the TLS-terminating proxy: they send X-Forwarded-Proto: https from 127.0.0.1.
        TRUST_X_FORWARDED_PROTO="1",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        GUNICORN_ACCESSLOG="",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # With REDIS_URL set (CI), each server keeps its throttle counters under keys of its own.
        CACHE_KEY_PREFIX=f"live-{secrets.token_hex(4)}",
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def prepare(env: dict[str, str], collectstatic: bool = True) -> None:
    """Migrate, load the article fixtures and collect static files, as a deployment would."""
    manage(env, "migrate", "--noinput")
    manage(env, "load_article")
    if collectstatic and not (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")


class Gunicorn:
    """A gunicorn master started from gunicorn.conf.py; `url` is its base URL, `log` its combined output."""

    def __init__(self, env: dict[str, str], port: int | None = None):
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def start(self, wait: float = 60) -> Gunicorn:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{self.port}"],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz in {wait}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def booted_workers(self) -> int:
        return self.log.read_text(errors="replace").count("Booting worker")

    def __enter__(self) -> Gunicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET", timeout: float = 10, data=None):
    """(status, headers, body) for a request, without following redirects or raising on 3xx/4xx/5xx."""
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
