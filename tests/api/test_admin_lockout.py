"""The admin login locks a username + address out after too many wrong passwords (django-axes).

Every test posts to the real login view (/admin/login/) with the test client, so axes' backend, signals and
middleware all run; force_login, which the other admin tests use, goes around them.
"""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import F
from django.test import Client, RequestFactory

from facts.api.throttling import lockout_response

PASSWORD = "correct horse battery staple"
WRONG = "not the password"
LIMIT = settings.AXES_FAILURE_LIMIT

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator():
    return get_user_model().objects.create_superuser("curator", password=PASSWORD)


def login(username: str, password: str, ip: str = "192.0.2.10", **headers):
    """POST the admin login form from a fresh client; the response and the client (to see if it is signed in)."""
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
        headers=headers,
    )
    return response, client


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_settings_lock_out_by_username_and_address_after_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_wrong_passwords_up_to_the_limit_then_the_right_one_is_refused(curator):
    for _ in range(LIMIT - 1):
        response, _ = login("curator", WRONG)
        assert response.status_code == 200 and response.context["form"].errors  # the form, with its error
    response, _ = login("curator", WRONG)
    assert response.status_code == 429  # the limit-th failure locks

    response, client = login("curator", PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    assert response["Content-Type"].startswith("text/plain")
    assert "Too many failed logins" in response.content.decode()
    assert not signed_in(client)
    assert AccessAttempt.objects.get(username="curator", ip_address="192.0.2.10").failures_since_start == LIMIT + 1


def test_forty_wrong_passwords_do_not_wear_the_lock_down(curator):
    statuses = [login("curator", WRONG)[0].status_code for _ in range(40)]
    assert statuses == [200] * (LIMIT - 1) + [429] * (40 - LIMIT + 1)
    response, client = login("curator", PASSWORD)
    assert response.status_code == 429 and not signed_in(client)


def test_another_user_or_the_same_user_elsewhere_is_not_locked(curator):
    get_user_model().objects.create_superuser("editor", password=PASSWORD)
    for _ in range(LIMIT):
        login("curator", WRONG)
    assert login("curator", PASSWORD)[0].status_code == 429

    response, client = login("editor", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)
    response, client = login("curator", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302 and signed_in(client)


def test_a_successful_login_before_the_limit_resets_the_count(curator):
    for _ in range(LIMIT - 1):
        login("curator", WRONG)
    response, client = login("curator", PASSWORD)
    assert response.status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.filter(username="curator").exists()
    # Without the reset these would make 2 * (LIMIT - 1) failures, past the limit.
    for _ in range(LIMIT - 1):
        assert login("curator", WRONG)[0].status_code == 200
    response, client = login("curator", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_lock_lifts_after_the_cool_off(curator):
    for _ in range(LIMIT):
        login("curator", WRONG)
    assert login("curator", PASSWORD)[0].status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=15, seconds=1))
    response, client = login("curator", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_behind_a_trusted_proxy_forged_forwarded_addresses_share_one_count(curator, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # The proxy (10.0.0.1) appends the client's address; what the client wrote in front of it changes every time.
    for n in range(LIMIT):
        login("curator", WRONG, ip="10.0.0.1", x_forwarded_for=f"203.0.113.{n}, 192.0.2.55")
    response, _ = login("curator", PASSWORD, ip="10.0.0.1", x_forwarded_for="203.0.113.99, 192.0.2.55")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "192.0.2.55"
    # Another client behind the same proxy is not locked.
    response, client = login("curator", PASSWORD, ip="10.0.0.1", x_forwarded_for="192.0.2.56")
    assert response.status_code == 302 and signed_in(client)


def test_a_lockout_under_the_api_answers_in_the_json_error_shape():
    response = lockout_response(RequestFactory().post("/api/v1/events/"))
    assert response.status_code == 429 and response["Retry-After"] == str(15 * 60)
    body = json.loads(response.content)
    assert (body["status"], body["code"]) == (429, "locked_out") and "Too many failed logins" in body["detail"]


def test_axes_prints_nothing_to_stdout_when_a_command_starts():
    # Commands' stdout is their output (`TOKEN=$(manage.py issue_token NAME)`): no start-up log line ahead of it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "LOG_LEVEL": "INFO"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
