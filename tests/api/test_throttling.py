"""Throttling that cannot be bypassed: clients are told apart by the address the trusted proxies report (not by
whatever they write into X-Forwarded-For), counters live in Redis and so hold across gunicorn workers, counting is
atomic under concurrency, and a Redis outage degrades throttling instead of failing requests.

These tests use the real Redis: REDIS_URL when it is set (CI sets it to a database of its own), else the local
server's database 15. Each test keeps its keys under a prefix of its own and deletes them afterwards.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.throttling import SimpleRateThrottle

from facts.api import throttling

try:
    from livegunicorn import REPO, Gunicorn, fetch, free_port, prepare, production_env, scratch_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import REPO, Gunicorn, fetch, free_port, prepare, production_env, scratch_database

TEST_REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
RATES = {"anon": "3/minute", "user": "1000/minute"}
URL = "/api/v1/event-types/"
HTTPS = {"X-Forwarded-Proto": "https"}


def redis_client() -> redis.Redis:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis at {TEST_REDIS_URL} does not answer ({error}): start it with "
            f"`redis-server --daemonize yes` or point REDIS_URL at one"
        )
    return client


def drop_keys(client: redis.Redis, prefix: str) -> None:
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def redis_caches(location: str, prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        # Answers are cached after the throttle's check (facts.api.caching): a cached answer is counted too.
        "responses": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": f"{prefix}-responses"},
    }


@pytest.fixture(autouse=True)
def no_remembered_outage(monkeypatch):
    monkeypatch.setattr(throttling, "_unreachable_until", {})


@pytest.fixture
def shared_cache(settings):
    """The default cache in the real Redis under a fresh key prefix; yields (client, prefix)."""
    client = redis_client()
    prefix = f"test-throttle-{secrets.token_hex(4)}"
    settings.CACHES = redis_caches(TEST_REDIS_URL, prefix)
    yield client, prefix
    drop_keys(client, prefix)


@pytest.fixture
def low_rates():
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", RATES):
        yield


def proxies(settings, count: int) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


def get(forwarded_for: str | None = None, remote_addr: str = "10.0.0.5"):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return APIClient().get(URL, **extra)


# --- Who the client is ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_trusted_proxies_a_new_forwarded_for_gets_no_fresh_bucket(settings, shared_cache, low_rates):
    proxies(settings, 0)
    statuses = [get(forwarded_for=f"198.51.100.{n}").status_code for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    # The socket address is the client: another one has a bucket of its own.
    assert get(forwarded_for="198.51.100.9", remote_addr="10.0.0.6").status_code == 200
    client, prefix = shared_cache
    assert client.exists(f"{prefix}:1:throttle_anon_10.0.0.5")


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_address_it_appended_is_the_client(settings, shared_cache, low_rates):
    proxies(settings, 1)
    # The proxy (10.0.0.5) appends the address it saw; the client may have sent anything in front of it.
    statuses = [get(forwarded_for=f"203.0.113.{n}, 192.0.2.7").status_code for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    assert get(forwarded_for="192.0.2.7").status_code == 429
    # Another client behind the same proxy is counted on its own.
    assert get(forwarded_for="192.0.2.7, 192.0.2.8").status_code == 200
    assert (
        throttling.client_ip(
            APIRequestFactory().get(URL, HTTP_X_FORWARDED_FOR="1.1.1.1, 192.0.2.9", REMOTE_ADDR="10.0.0.5")
        )
        == "192.0.2.9"
    )


def settings_probe(**env: str) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings; from rest_framework.settings import api_settings\n"
        "print(json.dumps({'num_proxies': api_settings.NUM_PROXIES, 'cache': settings.CACHES['default'],"
        " 'throttles': [c.__module__ + '.' + c.__name__ for c in api_settings.DEFAULT_THROTTLE_CLASSES]}))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "TRUSTED_PROXY_COUNT", "CACHE_KEY_PREFIX"} and not k.startswith("PYTEST")
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "conflictapi.settings", **env},
    )


def probe(**env: str) -> dict:
    result = settings_probe(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_wire_trusted_proxy_count_and_redis_url():
    default = probe()
    assert default["num_proxies"] == 0
    assert default["cache"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert default["throttles"] == ["facts.api.throttling.AnonRateThrottle", "facts.api.throttling.UserRateThrottle"]
    configured = probe(TRUSTED_PROXY_COUNT="2", REDIS_URL="redis://127.0.0.1:6379/3")
    assert configured["num_proxies"] == 2
    assert configured["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert configured["cache"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    for bad in ("-1", "one"):
        result = settings_probe(TRUSTED_PROXY_COUNT=bad)
        assert result.returncode != 0 and "TRUSTED_PROXY_COUNT must be" in result.stderr


# --- Shared, atomic counting ----------------------------------------------------------------------------------------


def test_concurrent_requests_never_pass_more_than_the_limit(shared_cache):
    # 40 threads ask at once for one client; DRF's get-then-set would let several read the same count.
    rate = {"anon": "7/minute", "user": "1000/minute"}
    start = threading.Barrier(40)

    def attempt(_):
        request = APIRequestFactory().get(URL, REMOTE_ADDR="10.9.9.9")
        request.user = AnonymousUser()
        start.wait()
        return throttling.AnonRateThrottle().allow_request(request, None)

    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", rate):
        with ThreadPoolExecutor(max_workers=40) as pool:
            allowed = list(pool.map(attempt, range(40)))
    assert allowed.count(True) == 7
    client, prefix = shared_cache
    assert client.zcard(f"{prefix}:1:throttle_anon_10.9.9.9") == 7


@pytest.mark.django_db
def test_retry_after_counts_down_to_the_oldest_request_leaving_the_window(shared_cache, low_rates):
    clock = [1_000_000.0]
    with mock.patch.object(SimpleRateThrottle, "timer", lambda self: clock[0]):
        for offset in (0, 10, 20):
            clock[0] = 1_000_000.0 + offset
            assert get().status_code == 200
        clock[0] = 1_000_000.0 + 25
        refused = get()
        assert refused.status_code == 429 and refused.json()["code"] == "throttled"
        assert refused["Retry-After"] == "35"
        clock[0] = 1_000_000.0 + 60.5  # the first request has left the one-minute window
        assert get().status_code == 200
        assert get().status_code == 429


# --- Redis down ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unreachable_redis_lets_requests_through_and_logs_a_warning(settings, low_rates, caplog):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0", f"test-down-{secrets.token_hex(4)}")
    with caplog.at_level("WARNING", logger="facts.api.throttling"):
        statuses = [get().status_code for _ in range(6)]
    assert statuses == [200] * 6
    warnings = [r for r in caplog.records if r.name == "facts.api.throttling"]
    # One warning, then the process leaves the dead server alone for a while instead of waiting on it each time.
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()


@pytest.mark.django_db
def test_throttling_resumes_once_redis_answers_again(settings, shared_cache, low_rates):
    _, prefix = shared_cache
    live = settings.CACHES
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0", prefix)
    assert get().status_code == 200
    settings.CACHES = live
    throttling._unreachable_until.clear()  # the back-off has passed
    assert [get().status_code for _ in range(4)] == [200, 200, 200, 429]


# --- The real stack: gunicorn with two workers ------------------------------------------------------------------------

LIMIT = 10
# An access-log line per request: "access <worker pid> <status> <path>".
ACCESS_LOG = ["--access-logfile", "-", "--access-logformat", "access %(p)s %(s)s %(U)s"]


@pytest.fixture(scope="module")
def prepared_database(tmp_path_factory):
    static_root = str(tmp_path_factory.mktemp("static"))
    with scratch_database(prefix="conflictapi_throttle") as database_url:
        prepare(production_env(database_url, static_root))
        yield database_url, static_root


def start_server(prepared_database, **env: str) -> Gunicorn:
    database_url, static_root = prepared_database
    return Gunicorn(
        production_env(
            database_url,
            static_root,
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="4",
            THROTTLE_ANON_RATE=f"{LIMIT}/minute",
            THROTTLE_USER_RATE="1000/minute",
            GUNICORN_CMD_ARGS=shlex.join(ACCESS_LOG),
            **env,
        )
    )


def answers(server: Gunicorn) -> list[tuple[str, str]]:
    """(worker pid, status) of every request to URL, from the access log."""
    log = server.log.read_text(errors="replace")
    lines = re.findall(r"^access <?(\d+)>? (\d{3}) (\S+)$", log, flags=re.MULTILINE)
    return [(pid, status) for pid, status, path in lines if path == URL]


def burst(server: Gunicorn, count: int) -> list[tuple[int, object]]:
    def one(_):
        status, headers, _ = fetch(server.url + URL, HTTPS, timeout=20)
        return status, headers

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(one, range(count)))


def test_the_limit_holds_across_gunicorn_workers(prepared_database):
    client = redis_client()
    prefix = f"test-live-{secrets.token_hex(4)}"
    server = start_server(prepared_database, REDIS_URL=TEST_REDIS_URL, CACHE_KEY_PREFIX=prefix)
    try:
        with server:
            results = burst(server, 3 * LIMIT)
            # Concurrent connections spread over both workers; a few more requests make sure both answered.
            for _ in range(10):
                if len({pid for pid, _ in answers(server)}) == 2:
                    break
                results += burst(server, LIMIT)
            served = answers(server)
    finally:
        drop_keys(client, prefix)
    assert server.booted_workers() == 2
    pids = {pid for pid, _ in served}
    assert len(pids) == 2, f"one worker answered everything: {served}"
    statuses = [status for status, _ in results]
    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == len(statuses) - LIMIT
    assert all(0 < int(headers["Retry-After"]) <= 60 for status, headers in results if status == 429)
    # Each worker on its own would have allowed LIMIT; together they allowed LIMIT, some of them 429s only.
    assert [status for _, status in served].count("200") == LIMIT


def test_with_redis_down_the_served_api_keeps_answering(prepared_database):
    server = start_server(prepared_database, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with server:
        results = burst(server, 2 * LIMIT)
        status, _, body = fetch(server.url + "/readyz", HTTPS)
    assert [status for status, _ in results] == [200] * (2 * LIMIT)
    assert status == 200, body
    log = server.log.read_text(errors="replace")
    assert "Throttle cache unreachable" in log
    assert "Traceback" not in log
