"""Integrity of writes over HTTP: an ETag always stands for the whole object.

- ETags: a `fields=` selection changes what GET returns, not the object's ETag. If-Match (PUT/PATCH/DELETE) and
  If-None-Match are compared with the ETag of the full representation, so a read of `?fields=id` cannot carry a
  stale write past the lost-update check.
"""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts.models import Actor, Event
from tests.conftest import make_actor, make_event

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

    refused = client.patch(f"{API}/events/{event.pk}/?fields=status", {"title": "Overwritten"}, format="json",
                           HTTP_IF_MATCH=tag_of_other)
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
