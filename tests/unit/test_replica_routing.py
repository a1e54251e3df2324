"""The read-replica routing rules (conflictapi/replicas.py), without a replica: which database each read would use.

tests/system/test_replicas.py checks the same rules against a real streaming replica.
"""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from conflictapi import replicas
from facts.models import Actor

REPLICA_SETTINGS = {"DATABASE_REPLICAS": ["replica_0"], "DATABASE_READ_YOUR_WRITES_SECONDS": 10}


def routed(request, *, fit=True, status=200, monkeypatch):
    """The alias the router gives a read made while `request` is served, and the response."""
    monkeypatch.setattr(replicas.health, "fit", lambda alias, fresh=False: fit)
    seen = []

    def view(request):
        seen.append(replicas.ReplicaRouter().db_for_read(Actor))
        return HttpResponse(status=status)

    response = replicas.ReplicaReadsMiddleware(view)(request)
    return seen, response


@override_settings(**REPLICA_SETTINGS)
def test_a_safe_api_read_goes_to_a_fit_replica(monkeypatch):
    seen, _ = routed(RequestFactory().get("/api/v1/actors/"), monkeypatch=monkeypatch)
    assert seen == ["replica_0"]


@override_settings(**REPLICA_SETTINGS)
def test_with_no_fit_replica_reads_go_to_the_primary(monkeypatch):
    seen, _ = routed(RequestFactory().get("/api/v1/actors/"), fit=False, monkeypatch=monkeypatch)
    assert seen == ["default"]


@override_settings(**REPLICA_SETTINGS)
def test_the_admin_and_writes_read_from_the_primary(monkeypatch):
    assert routed(RequestFactory().get("/admin/facts/actor/"), monkeypatch=monkeypatch)[0] == ["default"]
    assert routed(RequestFactory().post("/api/v1/actors/"), monkeypatch=monkeypatch)[0] == ["default"]


def test_outside_a_request_every_read_goes_to_the_primary():
    assert replicas.ReplicaRouter().db_for_read(Actor) == "default"
    assert replicas.ReplicaRouter().db_for_write(Actor) == "default"
    assert not replicas.ReplicaRouter().allow_migrate("replica_0", "facts")


@override_settings(**REPLICA_SETTINGS)
def test_a_client_that_wrote_reads_from_the_primary_and_others_do_not(monkeypatch):
    writer = {"HTTP_AUTHORIZATION": "Token writer-token-0001"}
    routed(RequestFactory().patch("/api/v1/actors/x/", **writer), monkeypatch=monkeypatch)
    assert routed(RequestFactory().get("/api/v1/actors/", **writer), monkeypatch=monkeypatch)[0] == ["default"]
    other = {"HTTP_AUTHORIZATION": "Token other-token-0002"}
    assert routed(RequestFactory().get("/api/v1/actors/", **other), monkeypatch=monkeypatch)[0] == ["replica_0"]


@override_settings(**REPLICA_SETTINGS)
def test_a_refused_write_pins_nobody(monkeypatch):
    writer = {"HTTP_AUTHORIZATION": "Token refused-token-0003"}
    routed(RequestFactory().patch("/api/v1/actors/x/", **writer), status=412, monkeypatch=monkeypatch)
    assert routed(RequestFactory().get("/api/v1/actors/", **writer), monkeypatch=monkeypatch)[0] == ["replica_0"]


@override_settings(**REPLICA_SETTINGS)
def test_a_request_failing_on_a_replica_that_then_fails_its_check_is_served_again_from_the_primary(monkeypatch):
    checks = iter([True, False])  # fit when chosen, unfit when checked again after the 503
    monkeypatch.setattr(replicas.health, "fit", lambda alias, fresh=False: next(checks))
    served = []

    def view(request):
        alias = replicas.ReplicaRouter().db_for_read(Actor)
        served.append(alias)
        return HttpResponse(status=503 if alias == "replica_0" else 200)

    response = replicas.ReplicaReadsMiddleware(view)(RequestFactory().get("/api/v1/actors/"))
    assert served == ["replica_0", "default"]
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["mysql://u@h/db", "sqlite:///x.db"])
def test_replica_urls_must_be_postgresql(url, monkeypatch):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='conflictapi.settings'; "
            "from django.conf import settings; settings.DATABASES",
        ],
        env={**__import__("os").environ, "DATABASE_REPLICA_URLS": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_REPLICA_URLS takes PostgreSQL URLs" in result.stderr


def test_pgbouncer_transaction_mode_turns_off_server_side_cursors_prepared_statements_and_startup_options():
    from conflictapi.databases import configure_primary, replica_databases

    primary = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {}}
    configure_primary(
        primary,
        session_options="-c random_page_cost=1.1",
        statement_timeout=5,
        connect_timeout=3,
        tcp_user_timeout=5,
        pooler="pgbouncer-transaction",
    )
    assert primary["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert primary["OPTIONS"]["prepare_threshold"] is None
    assert "options" not in primary["OPTIONS"]  # PgBouncer refuses unknown startup parameters
    replica = replica_databases(["postgres://u@127.0.0.1:5433/app"], primary)["replica_0"]
    assert replica["DISABLE_SERVER_SIDE_CURSORS"] is True and replica["OPTIONS"]["prepare_threshold"] is None
    assert replica["TEST"] == {"MIRROR": "default"}


def test_without_a_pooler_the_primary_sends_its_session_options():
    from conflictapi.databases import configure_primary

    primary = {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60, "OPTIONS": {}}
    configure_primary(
        primary,
        session_options="-c random_page_cost=1.1",
        statement_timeout=5,
        connect_timeout=3,
        tcp_user_timeout=0,
        pooler="",
    )
    assert primary["OPTIONS"]["options"] == "-c statement_timeout=5000 -c random_page_cost=1.1"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in primary
