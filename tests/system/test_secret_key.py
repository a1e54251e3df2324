"""Production (DEBUG off) refuses a weak SECRET_KEY when the settings load, by Django's own rule (security.W009:
50+ characters, 5+ different ones, no `django-insecure-` prefix), and scripts/serve-production stops on any
deploy-check warning."""

import secrets
import subprocess
import sys

import pytest

try:
    from livegunicorn import REPO, production_env
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import REPO, production_env

REFUSED = "ImproperlyConfigured: SECRET_KEY must be set"


def run(args: list[str], **overrides: str) -> subprocess.CompletedProcess:
    env = production_env("sqlite:///:memory:", "/nonexistent-static", TRUST_X_FORWARDED_PROTO="0", **overrides)
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def check(secret_key: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", "check"], SECRET_KEY=secret_key)


@pytest.mark.parametrize(
    "secret_key",
    [
        "a" * 50,  # long enough, one character
        "abcd" * 20,  # four different characters
        "django-insecure-" + secrets.token_urlsafe(50),  # what startproject writes
        secrets.token_urlsafe(50)[:49],  # one short
    ],
    ids=["one-character", "four-characters", "django-insecure", "49-characters"],
)
def test_weak_keys_are_refused_when_the_settings_load(secret_key):
    result = check(secret_key)
    assert result.returncode != 0
    assert REFUSED in result.stderr
    assert "django-insecure-" in result.stderr and "50" in result.stderr  # the rule is spelled out
    assert secret_key not in result.stderr  # and the key is not


def test_a_random_key_of_50_characters_starts():
    key = secrets.token_urlsafe(64)[:50]
    assert len(set(key)) >= 5
    assert check(key).returncode == 0


def test_the_key_the_live_server_tests_use_starts():
    # tests/livegunicorn.py gives every production server secrets.token_urlsafe(50).
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rule_is_djangos():
    from django.core.checks.security import base

    from conflictapi.settings import secret_key_is_strong

    for key in ["a" * 50, "django-insecure-" + "x1y2z3" * 10, "abc", secrets.token_urlsafe(50)]:
        assert secret_key_is_strong(key) == base._check_secret_key(key)
    assert not secret_key_is_strong("dev-only-insecure-key-change-me")


def test_serve_production_stops_on_a_deploy_warning(tmp_path):
    # HSTS off is a deploy-check warning (security.W004): the script must not go on to migrate and serve.
    result = run(
        ["bash", "scripts/serve-production"],
        PYTHON=sys.executable,
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
    )
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout
    assert not (tmp_path / "db.sqlite3").exists()  # migrate never ran


def test_a_proxy_that_redirects_to_https_itself_passes_the_deploy_check():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], SECURE_SSL_REDIRECT="0")
    assert result.returncode == 0, result.stdout + result.stderr
