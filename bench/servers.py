"""The servers a benchmark run measures, each in a process group of its own: gunicorn (this project and the bare
views, bench.settings) and Datasette, on free loopback ports."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
