"""The API served by a real server: gunicorn in a subprocess, over HTTP, on its own migrated and loaded SQLite file."""

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = sorted(str(p) for p in (REPO / "fixtures").glob("*.json"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, accept: str = "application/json") -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode("utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "GUNICORN_ACCESSLOG": ""}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    subprocess.run([*manage, "loaddata", *FIXTURES, "-v", "0"], cwd=REPO, env=env, check=True)
    port = free_port()
    log = open(folder / "gunicorn.log", "w+")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "conflictapi.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "1",
            "--timeout",
            "30",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if process.poll() is not None:
                break
            try:
                if fetch(base + "/api/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer in 10s")
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"gunicorn exited:\n{log.read()[-3000:]}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_served_api_answers_filters_formats_and_errors(server):
    status, content_type, text = fetch(f"{server}/api/v1/events/?actor=antony-blinken&type=04&fields=title")
    assert status == 200 and content_type == "application/json"
    page = json.loads(text)
    assert page["count"] == 7
    assert "Blinken speaks with Nikol Pashinyan" in {e["title"] for e in page["results"]}

    status, _, text = fetch(f"{server}/api/v1/statements/?speaker=vedant-patel&fields=kind,speaker")
    assert [(s["kind"], s["speaker"]["name"]) for s in json.loads(text)["results"]] == [("quote", "Vedant Patel")] * 3

    status, content_type, text = fetch(f"{server}/api/v1/places/?within=azerbaijan", accept="text/csv")
    assert status == 200 and content_type.startswith("text/csv")
    assert {row["slug"] for row in csv.DictReader(io.StringIO(text))} == {
        "azerbaijan",
        "nagorno-karabakh",
        "lachin-corridor",
        "baku",
    }

    status, content_type, text = fetch(f"{server}/api/v1/events/?format=geojson&place=yerevan", accept="*/*")
    assert status == 200 and content_type == "application/geo+json"
    assert len(json.loads(text)["features"]) == 2

    status, content_type, text = fetch(f"{server}/api/v1/events/?page_size=1000")
    assert status == 400 and content_type == "application/json" and "page_size" in text
    status, content_type, _ = fetch(f"{server}/api/v1/actors/nobody/")
    assert status == 404 and content_type == "application/json"

    status, _, text = fetch(f"{server}/api/docs/", accept="text/html")
    assert status == 200 and "swagger-ui" in text
    status, _, text = fetch(f"{server}/api/schema/?format=json")
    assert status == 200 and "/api/v1/events/" in json.loads(text)["paths"]
