"""Races between writers end in a 4xx that names the field, never in a 500 or a silent overwrite.

Two kinds of test:

- Live races: 16 clients (threads) hit a real gunicorn (production settings, 4 workers x 4 threads, its own
  database: PostgreSQL when DATABASE_URL is PostgreSQL, else SQLite) at the same moment, several rounds each.
- Lost races replayed in-process: the conflicting row appears (or the referenced row disappears) exactly between
  the request's checks and its write, so that the mapping is tested without timing luck.
"""

import json
import sqlite3
import tempfile
import threading
import time
from collections import Counter

import psycopg.errors
import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, OperationalError, connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts import integrity, services
from facts.api.errors import LOCK_CONFLICT_DETAIL
from facts.api.write_serializers import (
    EventTypeWriteSerializer,
    EventWriteSerializer,
    PlaceWriteSerializer,
)
from facts.models import Actor, ActorAlias, Event, EventType, Participant, Place
from tests.conftest import make_actor, make_event, make_place, make_source

try:
    from livegunicorn import (
        Gunicorn,
        fetch,
        manage,
        prepare,
        production_env,
        scratch_database,
    )
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import (
        Gunicorn,
        fetch,
        manage,
        prepare,
        production_env,
        scratch_database,
    )

CLIENTS = 16
ROUNDS = 4
# What a database driver says about a refused write; none of it may reach a client.
DRIVER_TEXT = (
    "duplicate key",
    "violates",
    "constraint",
    "IntegrityError",
    "UNIQUE",
    "FOREIGN KEY",
    '_key"',
    "DETAIL:",
    "database is locked",
    "psycopg",
    "sqlite",
)
HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"


def assert_no_driver_text(body: str) -> None:
    for text in DRIVER_TEXT:
        assert text.lower() not in body.lower(), f"driver text {text!r} in the answer: {body}"


def names_field(answer: dict, field: str) -> bool:
    """A 400/409 in the project's error shape whose `errors` names `field`."""
    return answer.get("status") in (400, 409) and field in answer.get("errors", {})


# --- Live races against gunicorn -------------------------------------------------------------------------------


class Api:
    """A superuser's token client for the live server: (status, parsed body or None, raw body) per call."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.headers = {
            "X-Forwarded-Proto": "https",
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def call(self, method: str, path: str, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        status, _, raw = fetch(self.url + "/api/v1" + path, self.headers, method=method, data=data, timeout=60)
        text = raw.decode("utf-8", errors="replace")
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        return status, body, text


@pytest.fixture(scope="module")
def api():
    with scratch_database(prefix="conflictapi_races") as database_url, tempfile.TemporaryDirectory() as static_root:
        env = production_env(
            database_url, static_root, GUNICORN_WORKERS="4", GUNICORN_THREADS="4", THROTTLE_USER_RATE="100000000/minute"
        )
        prepare(env, collectstatic=False)
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('racer', password='not-used-for-login-8231')",
        )
        token = manage(env, "issue_token", "racer").stdout.strip()
        with Gunicorn(env) as server:
            yield Api(server.url, token)
            assert server.process.poll() is None, "gunicorn died during the races"


def race(calls):
    """Run every call at the same moment, each in its own thread; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 -- reported as the call's result, so the test names it
            results[index] = (None, None, repr(exc))

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def assert_no_server_errors(results):
    for status, _, text in results:
        assert status is not None and status < 500, f"{status}: {text[:500]}"
        assert_no_driver_text(text)


def test_concurrent_creates_of_one_place_slug_give_one_201_and_400s_naming_slug(api):
    for n in range(ROUNDS):
        slug = f"race-place-{n}"
        results = race(
            [
                lambda i=i, slug=slug: api.call(
                    "POST", "/places/", {"slug": slug, "name": f"Place by client {i}", "kind": "city"}
                )
                for i in range(CLIENTS)
            ]
        )
        assert_no_server_errors(results)
        statuses = [status for status, _, _ in results]
        assert statuses.count(201) == 1, statuses
        for status, body, text in results:
            if status != 201:
                assert names_field(body, "slug"), text
        winner = next(i for i, (status, _, _) in enumerate(results) if status == 201)
        status, body, _ = api.call("GET", f"/places/{slug}/")
        assert status == 200 and body["name"] == f"Place by client {winner}"


def test_concurrent_creates_of_one_event_type_code_give_one_201_and_keep_the_winners_label(api):
    for n in range(ROUNDS):
        code = f"99{n}"
        results = race(
            [
                lambda i=i, code=code: api.call(
                    "POST", "/event-types/", {"code": code, "label": f"Label from client {i}"}
                )
                for i in range(CLIENTS)
            ]
        )
        assert_no_server_errors(results)
        statuses = [status for status, _, _ in results]
        assert statuses.count(201) == 1, statuses
        for status, body, text in results:
            if status != 201:
                assert names_field(body, "code"), text
        winner = next(i for i, (status, _, _) in enumerate(results) if status == 201)
        status, body, _ = api.call("GET", f"/event-types/{code}/")
        assert status == 200 and body["label"] == f"Label from client {winner}", "a create overwrote the winner"


def event_payload(title, *, actor="armenia", source=1, quote=HOSTED):
    return {
        "title": title,
        "event_type": "043",
        "date_start": "2023-05-01",
        "date_end": "2023-05-01",
        "date_precision": "day",
        "participants": [{"actor": actor, "role": "party"}],
        "evidence": [{"source": source, "quote": quote}],
    }


def evidence_sources(event: dict) -> list[int]:
    return [span["source"]["id"] for span in event["evidence"]]


def check_referenced_race(api, results, *, creates, deletes, referenced_path, field, refers):
    """The outcome of events racing the deletion of an object they refer to: one of two consistent endings.

    `refers(event)` tells whether an event (as GET returns it) refers to the object.
    """
    assert_no_server_errors(results)
    created = [results[i] for i in creates if results[i][0] == 201]
    for i in creates:
        status, body, text = results[i]
        assert status == 201 or names_field(body, field), text
    delete_statuses = [results[i][0] for i in deletes]
    exists = api.call("GET", referenced_path)[0]
    if exists == 200:
        # Kept: every delete was refused because events depend on it, and those events are there.
        assert created, "the object survived every delete, yet no event refers to it"
        assert set(delete_statuses) == {409}, delete_statuses
        for i in deletes:
            assert results[i][1]["code"] == "conflict" and results[i][1]["errors"]["dependents"]
    else:
        # Deleted: once, by one request; no event was created that refers to it.
        assert exists == 404
        assert not created, [body for _, body, _ in created]
        assert delete_statuses.count(204) == 1 and set(delete_statuses) <= {204, 404}, delete_statuses
    for _, body, _ in created:
        # Never an event that refers to a missing object: each created one is there, referring to the kept object.
        status, event, _ = api.call("GET", f"/events/{body['id']}/")
        assert status == 200 and refers(event), event
    return exists == 200


# The deletes of round n start DELETE_DELAYS[n] seconds after the event POSTs, so that across the rounds both
# endings happen: the delete first (events refused) and the events first (delete refused).
DELETE_DELAYS = [0, 0, 0.03, 0.06, 0.1, 0.2]


def delayed(seconds, call):
    def run():
        time.sleep(seconds)
        return call()

    return run


def race_events_against_delete(api, *, payload, path, field, refers):
    """For each round: 8 clients POST an event referring to an object while 8 others DELETE that object."""
    kept, refusals = 0, Counter()
    for n, delay in enumerate(DELETE_DELAYS):
        create, target = json.dumps(payload(n)), path(n)
        calls = [
            (lambda create=create: api.call("POST", "/events/", json.loads(create)))
            if i % 2 == 0
            else delayed(delay, lambda target=target: api.call("DELETE", target))
            for i in range(CLIENTS)
        ]
        results = race(calls)
        kept += check_referenced_race(
            api,
            results,
            creates=range(0, CLIENTS, 2),
            deletes=range(1, CLIENTS, 2),
            referenced_path=target,
            field=field,
            refers=lambda event, n=n: refers(n, event),
        )
        refusals.update(json.dumps(body["errors"][field])[:70] for status, body, _ in results[::2] if status != 201)
    return kept, refusals


def test_an_event_racing_the_deletion_of_its_participant_keeps_the_actor_or_is_refused_naming_participants(api):
    for n in range(len(DELETE_DELAYS)):
        assert (
            api.call("POST", "/actors/", {"slug": f"race-actor-{n}", "name": f"Race actor {n}", "kind": "group"})[0]
            == 201
        )
    kept, refusals = race_events_against_delete(
        api,
        payload=lambda n: event_payload(f"Event for actor {n}", actor=f"race-actor-{n}"),
        path=lambda n: f"/actors/race-actor-{n}/",
        field="participants",
        refers=lambda n, event: [p["slug"] for p in event["participants"]] == [f"race-actor-{n}"],
    )
    print(f"participant vs actor delete: actor kept in {kept} of {len(DELETE_DELAYS)} rounds; refusals {refusals}")


def test_an_event_racing_the_deletion_of_its_evidence_source_keeps_the_source_or_is_refused_naming_evidence(api):
    ids = []
    for n in range(len(DELETE_DELAYS)):
        text = f"Round {n}: the two delegations met in Geneva on Monday and agreed to meet again."
        status, source, raw = api.call(
            "POST",
            "/sources/",
            {"slug": f"race-source-{n}", "title": f"Race {n}", "published": "2023-05-01", "text": text},
        )
        assert status == 201, raw
        ids.append(source["id"])
    kept, refusals = race_events_against_delete(
        api,
        payload=lambda n: event_payload(
            f"Event citing round {n}", source=ids[n], quote="the two delegations met in Geneva"
        ),
        path=lambda n: f"/sources/{ids[n]}/",
        field="evidence",
        refers=lambda n, event: evidence_sources(event) == [ids[n]],
    )
    print(f"evidence vs source delete: source kept in {kept} of {len(DELETE_DELAYS)} rounds; refusals {refusals}")


# --- Lost races replayed in-process ------------------------------------------------------------------------------

API = "/api/v1"
DINNER = "US Secretary of State Antony Blinken held a dinner"


@pytest.fixture
def client(db):
    user = get_user_model().objects.create_superuser("racer", password="not-used-for-login-8231")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def after_validation(monkeypatch, serializer_class, happen):
    """Make `happen(attrs)` run right after the serializer's validate(): another request writing between this
    request's checks and its write, at the worst moment."""
    original = serializer_class.validate

    def validate(self, attrs):
        attrs = original(self, attrs)
        happen(attrs)
        return attrs

    monkeypatch.setattr(serializer_class, "validate", validate)


def refused(response, status: int) -> dict:
    body = response.content.decode()
    assert response.status_code == status, body
    assert_no_driver_text(body)
    return response.json()


def test_a_place_slug_taken_between_validation_and_insert_is_400_naming_slug_without_driver_text(client, monkeypatch):
    after_validation(
        monkeypatch,
        PlaceWriteSerializer,
        lambda attrs: make_place("The winner", kind="corridor", slug="lachin-corridor"),
    )
    response = client.post(
        f"{API}/places/", {"slug": "lachin-corridor", "name": "The loser", "kind": "corridor"}, format="json"
    )
    assert refused(response, 400)["errors"] == {"slug": ["Place with this Slug already exists."]}
    assert list(Place.objects.filter(slug="lachin-corridor").values_list("name", flat=True)) == ["The winner"]


def test_a_slug_taken_while_renaming_a_place_is_400_naming_slug(client, monkeypatch):
    make_place("El Dorado", slug="el-dorado")
    after_validation(monkeypatch, PlaceWriteSerializer, lambda attrs: make_place("Winner", slug="eldorado"))
    response = client.patch(f"{API}/places/el-dorado/", {"slug": "eldorado"}, format="json")
    assert refused(response, 400)["errors"] == {"slug": ["Place with this Slug already exists."]}
    assert Place.objects.filter(slug="el-dorado").exists()


def test_an_event_type_code_taken_between_validation_and_insert_is_400_naming_code_and_keeps_the_first_label(
    client, monkeypatch
):
    after_validation(
        monkeypatch, EventTypeWriteSerializer, lambda attrs: EventType.objects.create(code="042", label="First label")
    )
    response = client.post(f"{API}/event-types/", {"code": "042", "label": "Second label"}, format="json")
    assert refused(response, 400)["errors"] == {"code": ["Event type with this Code already exists."]}
    # The create was an INSERT, refused; a save() would have updated the winner's row instead.
    assert EventType.objects.get(code="042").label == "First label"


def test_an_actor_slug_taken_after_the_service_checks_is_400_naming_slug_and_writes_no_alias(client, monkeypatch):
    original = services.clean_errors

    def clean_then_lose(obj, exclude=()):
        errors = original(obj, exclude)
        if isinstance(obj, Actor) and not Actor.objects.filter(slug=obj.slug).exists():
            make_actor("The winner", slug=obj.slug)
        return errors

    monkeypatch.setattr(services.actors, "clean_errors", clean_then_lose)
    response = client.post(
        f"{API}/actors/",
        {
            "slug": "ilham-aliyev",
            "name": "The loser",
            "kind": "person",
            "aliases": [{"name": "Aliyev", "kind": "surname", "external": {"name": "surname"}}],
        },
        format="json",
    )
    assert refused(response, 400)["errors"] == {"slug": ["Actor with this Slug already exists."]}
    # The winner was written on this request's own connection, so the refusal's rollback took it too; what matters
    # is that nothing of the loser was written.
    assert not Actor.objects.filter(name="The loser").exists() and not ActorAlias.objects.exists()


def event_input(source, actor_slug: str) -> dict:
    return {
        "title": "Blinken hosts a dinner",
        "event_type": "043",
        "date_start": "2023-05-01",
        "date_end": "2023-05-01",
        "date_precision": "day",
        "participants": [{"actor": actor_slug, "role": "host"}],
        "evidence": [{"source": source.pk, "quote": DINNER}],
    }


@pytest.fixture
def event_type(db):
    return EventType.objects.get_or_create(code="043", defaults={"label": "Host a visit"})[0]


def test_an_actor_deleted_between_validation_and_the_write_is_400_naming_participants(
    client, monkeypatch, source, event_type
):
    actor = make_actor("Antony Blinken", slug="antony-blinken")
    after_validation(monkeypatch, EventWriteSerializer, lambda attrs: Actor.objects.filter(pk=actor.pk).delete())
    errors = refused(client.post(f"{API}/events/", event_input(source, actor.slug), format="json"), 400)["errors"]
    assert set(errors) == {"participants"} and set(errors["participants"]["0"]) == {"actor"}
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_parent_place_deleted_between_validation_and_commit_is_400_naming_parent(client, monkeypatch):
    # The insert refers to a row that is gone; the deferred foreign key refuses it at COMMIT, on both databases.
    parent = make_place("Armenia", kind="country", slug="armenia-country")
    after_validation(monkeypatch, PlaceWriteSerializer, lambda attrs: Place.objects.filter(pk=parent.pk).delete())
    response = client.post(
        f"{API}/places/", {"slug": "yerevan", "name": "Yerevan", "kind": "city", "parent": parent.slug}, format="json"
    )
    assert refused(response, 400)["errors"] == {"parent": [integrity.gone_message(parent)]}
    assert not Place.objects.filter(slug="yerevan").exists()


def delete_elsewhere(model, pk) -> None:
    """Delete a row through another database connection (another thread), committed at once: another request."""

    def run():
        try:
            model.objects.filter(pk=pk).delete()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=(
        "SQLite runs each write under BEGIN IMMEDIATE, so no other connection can delete a row between a write's model "
        "checks and its commit: this window exists on PostgreSQL only (the checks are also replayed above)"
    ),
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "step, field, item",
    [
        ("events._replace_participants", "participants", "actor"),
        ("writing.replace_evidence", "evidence", "source"),
    ],
    ids=["actor-deleted", "source-deleted"],
)
def test_a_reference_deleted_by_another_connection_after_the_service_checks_is_400_naming_it(
    client, monkeypatch, article_text, step, field, item
):
    source = make_source(article_text)
    EventType.objects.get_or_create(code="043", defaults={"label": "Host a visit"})
    actor = make_actor("Antony Blinken", slug="antony-blinken")
    gone = {"actor": actor, "source": source}[item]
    module, name = step.split(".")
    module = getattr(services, module)
    original = getattr(module, name)

    def deleted_first(*args, **kwargs):
        delete_elsewhere(type(gone), gone.pk)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, deleted_first)
    errors = refused(client.post(f"{API}/events/", event_input(source, actor.slug), format="json"), 400)["errors"]
    assert errors == {field: {"0": {item: [integrity.gone_message(gone)]}}}
    assert not Event.objects.exists() and not Participant.objects.exists()


def test_a_reference_committed_after_the_dependents_check_makes_the_delete_409_listing_it(client, monkeypatch, source):
    # As the deferred key refuses the DELETE at COMMIT when an event took the actor after the dependents check.
    actor = make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    event = make_event(source, DINNER)
    Participant.objects.create(event=event, actor=actor, role="guest")

    def refused_at_commit(**kwargs):
        raise IntegrityError('update or delete on table "facts_actor" violates foreign key constraint')

    monkeypatch.setattr("facts.api.curation.destroy.instance_delete", refused_at_commit)
    body = refused(client.delete(f"{API}/actors/armenia/"), 409)
    assert body["code"] == "conflict"
    assert body["errors"]["dependents"] == [
        {"model": "participant", "field": "actor", "count": 1, "ids": [Participant.objects.get().pk]}
    ]
    assert Actor.objects.filter(slug="armenia").exists()


def test_an_integrity_error_no_check_explains_is_409_conflict_without_driver_text_and_writes_nothing(
    client, monkeypatch, source, event_type
):
    make_actor("Antony Blinken", slug="antony-blinken")
    original = services.events._replace_participants

    def written_then_refused(*args, **kwargs):
        original(*args, **kwargs)
        raise IntegrityError('duplicate key value violates unique constraint "facts_something_key"')

    monkeypatch.setattr(services.events, "_replace_participants", written_then_refused)
    body = refused(client.post(f"{API}/events/", event_input(source, "antony-blinken"), format="json"), 409)
    assert body["code"] == "conflict" and body["errors"] == {}
    assert not Event.objects.exists() and not Participant.objects.exists()


def sqlite_busy():
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    return error


@pytest.mark.parametrize(
    "driver_error",
    [
        sqlite_busy,
        lambda: psycopg.errors.DeadlockDetected("deadlock detected"),
        lambda: psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
    ],
    ids=["sqlite-busy", "pg-deadlock", "pg-lock-timeout"],
)
def test_a_write_that_cannot_get_its_lock_is_409_conflict_not_503(client, monkeypatch, driver_error):
    def locked(instance, **kwargs):
        raise OperationalError("database is locked") from driver_error()

    monkeypatch.setattr(integrity, "save", locked)
    body = refused(
        client.post(f"{API}/places/", {"slug": "yerevan", "name": "Yerevan", "kind": "city"}, format="json"), 409
    )
    assert body["code"] == "conflict" and body["detail"] == LOCK_CONFLICT_DETAIL
    assert not Place.objects.filter(slug="yerevan").exists()


def test_a_write_that_finds_the_database_down_is_still_503_with_retry_after(client, monkeypatch):
    def down(instance, **kwargs):
        raise OperationalError("server closed the connection unexpectedly") from psycopg.errors.AdminShutdown()

    monkeypatch.setattr(integrity, "save", down)
    response = client.post(f"{API}/places/", {"slug": "yerevan", "name": "Yerevan", "kind": "city"}, format="json")
    assert refused(response, 503)["code"] == "database_unavailable"
    assert response["Retry-After"]
