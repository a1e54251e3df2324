"""Production settings: deploy checks clean, no start without a real secret key, security headers, CORS, static files.

The served checks run the real stack: gunicorn from gunicorn.conf.py with DEBUG off, behind a (simulated) TLS proxy.
"""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

try:
    from livegunicorn import REPO, Gunicorn, fetch, prepare, production_env, scratch_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import REPO, Gunicorn, fetch, prepare, production_env, scratch_database

HTTPS = {"X-Forwarded-Proto": "https"}


def run_manage(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = production_env("sqlite:///:memory:", "/nonexistent-static", **env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_under_production_settings():
    # The settings a real deployment uses: only the secret key, hosts and database come from outside.
    result = run_manage({"TRUST_X_FORWARDED_PROTO": "0"}, "check", "--deploy", "--fail-level", "DEBUG")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [None, "", "dev-only-insecure-key-change-me", "too-short-0123456789"],
    ids=["missing", "empty", "development-key", "short"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    env = production_env("sqlite:///:memory:", "/nonexistent-static")
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_development_defaults_still_start_without_a_secret_key():
    env = production_env("sqlite:///:memory:", "/nonexistent-static", DEBUG="1")
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_security_headers_on_every_response():
    response = Client().get("/healthz")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_cors_allows_only_listed_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    client = Client()
    preflight = {"HTTP_ORIGIN": "https://app.example.org", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"}
    allowed = client.options("/api/v1/events/", **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "if-match" in allowed["Access-Control-Allow-Headers"]

    refused = client.options("/api/v1/events/", **{**preflight, "HTTP_ORIGIN": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in refused

    simple = client.get("/api/v1/no-such-thing/", HTTP_ORIGIN="https://app.example.org")
    assert simple["Access-Control-Allow-Origin"] == "https://app.example.org"
    assert "Retry-After" in simple["Access-Control-Expose-Headers"]


@pytest.mark.django_db
def test_cors_is_closed_by_default():
    response = Client().get("/api/v1/no-such-thing/", HTTP_ORIGIN="https://app.example.org")
    assert "Access-Control-Allow-Origin" not in response


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    static_root = str(tmp_path_factory.mktemp("static"))
    with scratch_database() as database_url:
        env = production_env(database_url, static_root, CORS_ALLOWED_ORIGINS="https://app.example.org")
        prepare(env)
        with Gunicorn(env) as server:
            server.static_root = static_root
            yield server


def test_served_over_plain_http_redirects_to_https_except_probes(production_server):
    status, headers, _ = fetch(production_server.url + "/admin/login/")
    assert status == 301
    assert headers["Location"].startswith("https://127.0.0.1")
    status, _, _ = fetch(production_server.url + "/healthz")
    assert status == 200


def test_served_over_https_proxy_sends_hsts_and_secure_cookies(production_server):
    status, headers, _ = fetch(production_server.url + "/admin/login/", HTTPS)
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    cookie = headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie


def test_served_cors_allowlist_comes_from_the_environment(production_server):
    _, headers, _ = fetch(production_server.url + "/api/v1/", {**HTTPS, "Origin": "https://app.example.org"})
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    _, headers, _ = fetch(production_server.url + "/api/v1/", {**HTTPS, "Origin": "https://other.example.org"})
    assert headers["Access-Control-Allow-Origin"] is None


def test_static_files_are_served_by_whitenoise_hashed_compressed_and_cached(production_server):
    manifest = json.loads((Path(production_server.static_root) / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    assert hashed != "admin/css/base.css"
    status, headers, body = fetch(f"{production_server.url}/static/{hashed}", {**HTTPS, "Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]
    assert b"body" in gzip.decompress(body)


def test_unknown_api_url_is_json_404_in_production(production_server):
    status, headers, body = fetch(production_server.url + "/api/v1/no-such-thing/", HTTPS)
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "not_found"
    status, headers, body = fetch(production_server.url + "/no-such-page/", HTTPS)
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_may_load_nothing_from_other_origins(url):
    # The ReDoc bundle fetches its vendor's logo from a CDN; this policy keeps the docs on this server only.
    policy = Client().get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy
