"""GET /api/v1/changes/ names curators to staff only; everyone else gets a stable pseudonym per user."""

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from facts import services
from facts.api.changes import curator_pseudonym
from facts.models import Actor

pytestmark = pytest.mark.django_db
PSEUDONYM = re.compile(r"^curator-[0-9a-f]{10}$")


@pytest.fixture
def changes():
    """Two changes by a superuser, one by a plain curator, one by a command (no user)."""
    users = get_user_model().objects
    boss = users.create_superuser("root-admin", password="not-used")
    curator = users.create_user("jane.curator")
    actor = Actor(slug="armenia", name="Armenia", kind="state", country_code="AM")
    services.stamp(actor, user=boss, reason="From the article").save()
    actor.name = "Republic of Armenia"
    services.stamp(actor, user=boss).save()
    other = Actor(slug="azerbaijan", name="Azerbaijan", kind="state", country_code="AZ")
    services.stamp(other, user=curator).save()
    Actor.objects.create(slug="un", name="United Nations", kind="organization")
    return {"boss": boss, "curator": curator}


def users_in_feed(client: APIClient) -> tuple:
    response = client.get("/api/v1/changes/", {"model": "actor"})
    assert response.status_code == 200, response.content
    return response, [item["user"] for item in response.json()["results"]]


def test_anonymous_clients_see_stable_pseudonyms_and_no_usernames(changes):
    response, users = users_in_feed(APIClient())
    boss, boss_again, curator, command = users
    assert PSEUDONYM.match(boss) and PSEUDONYM.match(curator)
    assert boss == boss_again != curator  # one pseudonym per user, the same on every change
    assert command is None
    assert (boss, curator) == (curator_pseudonym(changes["boss"].pk), curator_pseudonym(changes["curator"].pk))
    body = response.content.decode()
    assert "root-admin" not in body and "jane.curator" not in body
    # The same on the next read: clients can follow one curator's changes without learning who it is.
    assert users_in_feed(APIClient())[1] == users


def test_signed_in_non_staff_clients_see_pseudonyms_too(changes):
    reader = APIClient()
    reader.force_authenticate(changes["curator"])
    assert users_in_feed(reader)[1] == [curator_pseudonym(changes["boss"].pk)] * 2 + [
        curator_pseudonym(changes["curator"].pk),
        None,
    ]


def test_staff_see_usernames(changes):
    staff = get_user_model().objects.create_user("desk", is_staff=True)
    client = APIClient()
    client.force_authenticate(staff)
    response, users = users_in_feed(client)
    assert users == ["root-admin", "root-admin", "jane.curator", None]
    assert "Authorization" in response["Vary"]  # the body depends on who asks


def test_pseudonyms_are_keyed_by_the_secret_key(changes, settings):
    before = curator_pseudonym(changes["boss"].pk)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    after = curator_pseudonym(changes["boss"].pk)
    assert PSEUDONYM.match(after) and after != before
    assert users_in_feed(APIClient())[1][0] == after


def test_the_schema_says_who_sees_names():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    user = schema["components"]["schemas"]["Change"]["properties"]["user"]
    assert "username for staff" in user["description"] and "pseudonym" in user["description"]
