"""Integrity of writes over HTTP: an ETag always stands for the whole object, and a body is never silently lost.

- ETags: a `fields=` selection changes what GET returns, not the object's ETag. If-Match (PUT/PATCH/DELETE) and
  If-None-Match are compared with the ETag of the full representation, so a read of `?fields=id` cannot carry a
  stale write past the lost-update check.
- Chunked bodies: Django reads CONTENT_LENGTH bytes of a body, none without it, so a `Transfer-Encoding: chunked`
  write would parse as empty and answer 200 having changed nothing. It is refused with 411 instead, checked here
  through the test client and through the real gunicorn server over a raw socket.
"""

import http.client
import json
import socket
import tempfile

import pytest
from django.contrib.auth import get_user_model
from django.test.client import FakePayload
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts.models import Actor, Event
from tests.conftest import make_actor, make_event
from tests.livegunicorn import (
    Gunicorn,
    fetch,
    manage,
    prepare,
    production_env,
    scratch_database,
)

API = "/api/v1"
DINNER = "US Secretary of State Antony Blinken held a dinner"


def superuser_client(name: str) -> APIClient:
    user = get_user_model().objects.create_superuser(name, password="not-used-for-login-0192")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def event(source):
    return make_event(source, DINNER, title="Blinken hosts a dinner")


@pytest.fixture
def details(source, event):
    """Detail URLs of one object per kind of read path: a fact built from rows, a slug lookup, a plain model."""
    actor = make_actor("Atlantis", kind="group", slug="atlantis")
    return {
        "event": f"{API}/events/{event.pk}/",
        "actor": f"{API}/actors/{actor.slug}/",
        "source": f"{API}/sources/{source.pk}/",
    }


# --- ETags and `fields=` ----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["event", "actor", "source"])
def test_the_etag_of_a_fields_selection_is_the_etag_of_the_full_representation(details, kind):
    url = details[kind]
    full = APIClient().get(url)
    assert full.status_code == 200
    first_field = next(iter(full.json()))
    for selection in (first_field, "url", f"{first_field},url"):
        selected = APIClient().get(url, {"fields": selection})
        assert selected.status_code == 200
        assert set(selected.json()) == set(selection.split(","))  # the selection still shapes the body
        assert selected["ETag"] == full["ETag"], selection


@pytest.mark.django_db
def test_the_etag_of_a_fields_selection_changes_when_an_unselected_field_changes(event):
    url = f"{API}/events/{event.pk}/"
    before = APIClient().get(url, {"fields": "id"})["ETag"]
    Event.objects.filter(pk=event.pk).update(title="Renamed elsewhere")
    after = APIClient().get(url, {"fields": "id"})
    assert after.json() == {"id": event.pk}
    assert after["ETag"] != before


@pytest.mark.django_db
@pytest.mark.parametrize("patch_query", ["", "?fields=id"], ids=["plain-patch", "patch-with-fields"])
def test_if_match_from_a_fields_selection_is_refused_after_another_change(event, patch_query):
    url = f"{API}/events/{event.pk}/"
    alice, bob = superuser_client("alice"), superuser_client("bob")
    stale = alice.get(url, {"fields": "id"})["ETag"]
    assert bob.patch(url, {"title": "Bob's title"}, format="json").status_code == 200
    current = APIClient().get(url)["ETag"]

    refused = alice.patch(url + patch_query, {"title": "Alice's title"}, format="json", HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    assert refused.json()["code"] == "precondition_failed"
    assert current in refused.json()["errors"]["If-Match"][0]
    assert Event.objects.get(pk=event.pk).title == "Bob's title"


@pytest.mark.django_db
def test_a_status_selection_etag_does_not_match_another_object_with_the_same_status(source, event):
    other = make_event(source, DINNER, title="Another dinner")
    client = superuser_client("alice")
    tag_of_other = client.get(f"{API}/events/{other.pk}/", {"fields": "status"})["ETag"]
    assert client.get(f"{API}/events/{event.pk}/", {"fields": "status"}).json() == {"status": "draft"}

    refused = client.patch(
        f"{API}/events/{event.pk}/?fields=status", {"title": "Overwritten"}, format="json", HTTP_IF_MATCH=tag_of_other
    )
    assert refused.status_code == 412
    assert Event.objects.get(pk=event.pk).title == "Blinken hosts a dinner"


@pytest.mark.django_db
@pytest.mark.parametrize("delete_query", ["", "?fields=id"], ids=["plain-delete", "delete-with-fields"])
def test_delete_with_an_if_match_from_a_fields_selection_is_refused_after_another_change(event, delete_query):
    url = f"{API}/events/{event.pk}/"
    alice, bob = superuser_client("alice"), superuser_client("bob")
    stale = alice.get(url, {"fields": "id"})["ETag"]
    assert bob.patch(url, {"title": "Bob's title"}, format="json").status_code == 200

    refused = alice.delete(url + delete_query, HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    assert Event.objects.filter(pk=event.pk, title="Bob's title").exists()
    assert event.evidence.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("patch_query", ["", "?fields=title"], ids=["plain-patch", "patch-with-fields"])
def test_the_current_etag_from_a_fields_selection_is_accepted_and_the_answer_carries_the_full_etag(event, patch_query):
    url = f"{API}/events/{event.pk}/"
    client = superuser_client("alice")
    current = client.get(url, {"fields": "title"})["ETag"]

    accepted = client.patch(url + patch_query, {"title": "Working dinner"}, format="json", HTTP_IF_MATCH=current)
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["title"] == "Working dinner"
    assert Event.objects.get(pk=event.pk).title == "Working dinner"
    assert accepted["ETag"] != current
    assert accepted["ETag"] == APIClient().get(url)["ETag"]  # the next write can be based on the answer's ETag


@pytest.mark.django_db
def test_delete_with_the_current_etag_from_a_fields_selection_is_accepted(event):
    url = f"{API}/events/{event.pk}/"
    client = superuser_client("alice")
    current = client.get(url, {"fields": "id"})["ETag"]
    assert client.delete(url, HTTP_IF_MATCH=current).status_code == 204
    assert not Event.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_if_none_match_with_the_etag_of_a_fields_selection_gives_304_until_anything_changes(event):
    url = f"{API}/events/{event.pk}/"
    tag = APIClient().get(url, {"fields": "id"})["ETag"]

    unchanged = APIClient().get(url, {"fields": "id"}, HTTP_IF_NONE_MATCH=tag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == tag
    assert APIClient().get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304  # the same tag as the full read

    Event.objects.filter(pk=event.pk).update(title="Renamed elsewhere")
    changed = APIClient().get(url, {"fields": "id"}, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and changed.json() == {"id": event.pk}


@pytest.mark.django_db
def test_an_actor_patch_with_a_stale_slug_selection_etag_is_refused(source):
    make_actor("Atlantis", kind="group", slug="atlantis")
    url = f"{API}/actors/atlantis/"
    alice, bob = superuser_client("alice"), superuser_client("bob")
    stale = alice.get(url, {"fields": "slug"})["ETag"]
    assert bob.patch(url, {"name": "Atlantis (myth)"}, format="json").status_code == 200

    refused = alice.patch(url + "?fields=slug", {"name": "Atlantis (legend)"}, format="json", HTTP_IF_MATCH=stale)
    assert refused.status_code == 412
    assert Actor.objects.get(slug="atlantis").name == "Atlantis (myth)"


# --- Chunked bodies ----------------------------------------------------------------------------------------------


def chunked(body: bytes) -> bytes:
    """`body` in HTTP/1.1 chunked encoding, in two chunks and the last (empty) one."""
    half = len(body) // 2
    return (
        b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:half], body[half:])) + b"0\r\n\r\n"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_with_transfer_encoding_and_no_content_length_is_411_json_and_changes_nothing(event, method):
    url = f"{API}/events/{event.pk}/" if method != "POST" else f"{API}/events/"
    client = superuser_client("alice")
    body = json.dumps({"title": "Sent in chunks"}).encode()
    response = client.generic(
        method,
        url,
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": FakePayload(chunked(body))},  # what a server hands on: no CONTENT_LENGTH
    )
    assert response.status_code == 411
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["status"] == 411 and answer["code"] == "length_required"
    assert "Content-Length" in answer["detail"] and answer["errors"]["Content-Length"]
    assert list(Event.objects.values_list("pk", "title")) == [(event.pk, "Blinken hosts a dinner")]


@pytest.mark.django_db
def test_a_chunked_admin_post_is_a_plain_411():
    response = APIClient().generic(
        "POST",
        "/admin/login/",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": FakePayload(chunked(b"username=a&password=b"))},
    )
    assert response.status_code == 411
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_a_write_with_content_length_and_a_chunked_read_are_not_refused(event):
    client = superuser_client("alice")
    url = f"{API}/events/{event.pk}/"
    assert client.get(url, HTTP_TRANSFER_ENCODING="chunked").status_code == 200
    assert client.patch(url, {"title": "With a length"}, format="json").status_code == 200
    assert Event.objects.get(pk=event.pk).title == "With a length"


@pytest.fixture(scope="module")
def served():
    """gunicorn with production settings on its own loaded database, and a superuser's token."""
    with scratch_database(prefix="conflictapi_integrity") as database_url, tempfile.TemporaryDirectory() as static:
        env = production_env(database_url, static, THROTTLE_USER_RATE="100000000/minute")
        prepare(env, collectstatic=False)
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; "
            "User.objects.create_superuser('writer', password='not-used-for-login-0192')",
        )
        token = manage(env, "issue_token", "writer").stdout.strip().splitlines()[-1]
        with Gunicorn(env) as server:
            server.token = token
            yield server


def raw_request(server, method: str, path: str, headers: dict[str, str], body: bytes = b""):
    """(status, headers, body) of one HTTP/1.1 request written byte for byte on a socket."""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode("latin-1") + b"\r\n\r\n" + body)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.headers, response.read()


def test_a_chunked_patch_to_the_served_api_is_411_json_and_changes_nothing(served):
    auth = {"X-Forwarded-Proto": "https", "Authorization": f"Token {served.token}"}
    status, _, page = fetch(served.url + f"{API}/events/?page_size=1", auth)
    assert status == 200
    event = json.loads(page)["results"][0]
    path = f"{API}/events/{event['id']}/"
    _, _, before = fetch(served.url + path, auth)

    body = json.dumps({"title": "Sent in chunks"}).encode()
    status, headers, answer = raw_request(
        served,
        "PATCH",
        path,
        {**auth, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        chunked(body),
    )
    assert status == 411, answer
    assert headers["Content-Type"] == "application/json"
    error = json.loads(answer)
    assert error["status"] == 411 and error["code"] == "length_required"
    assert error["errors"]["Content-Length"]
    _, _, after = fetch(served.url + path, auth)
    assert json.loads(after) == json.loads(before)
    assert json.loads(after)["title"] != "Sent in chunks"

    # The same write with a Content-Length goes through: the 411 was for the encoding, not the request.
    status, _, answer = raw_request(
        served,
        "PATCH",
        path,
        {**auth, "Content-Type": "application/json", "Content-Length": str(len(body))},
        body,
    )
    assert status == 200, answer
    assert json.loads(fetch(served.url + path, auth)[2])["title"] == "Sent in chunks"
