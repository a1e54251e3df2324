"""Probable duplicates named at create time (the 201's `possible_duplicates`, the admin's warning) and for any event
(`/events/{id}/duplicates/`); the rules themselves are tested in tests/unit/test_duplicates.py."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.test import APIClient

from facts.models import Event
from tests.api.test_admin import admin_url, change_form_data

API = "/api/v1"
# The README's curation example: the phone call the article already has as event 19.
README_EVENT = {
    "title": "Blinken speaks with Aliyev by phone",
    "event_type": "041",
    "date_text": "Sunday",
    "participants": [{"actor": "antony-blinken", "role": "initiator"}, {"actor": "ilham-aliyev", "role": "target"}],
    "evidence": [
        {
            "source": "us-hosts-armenia-azerbaijan-peace-talks",
            "quote": "Blinken also spoke Sunday with Azerbaijan President Ilham Aliyev",
        }
    ],
    "reason": "Phone call reported in the article",
}


@pytest.fixture
def article(db):
    call_command("load_article", verbosity=0)


def curator():
    user = User.objects.create_user("dup-curator")
    user.user_permissions.set(Permission.objects.filter(codename__in=["add_event", "change_event"]))
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_readme_example_is_created_and_flagged_as_a_duplicate_of_event_19(article):
    response = curator().post(f"{API}/events/", README_EVENT, format="json")
    assert response.status_code == 201, response.content
    found = response.json()["possible_duplicates"]
    assert found[0]["id"] == 19 and found[0]["url"].endswith("/api/v1/events/19/")
    assert "shared participant antony-blinken" in found[0]["reasons"]
    assert any(reason.startswith("overlapping evidence") for reason in found[0]["reasons"])
    # The ETag of the 201 is the one a GET gives (the duplicates are not part of the event).
    assert response["ETag"] == APIClient().get(response["Location"])["ETag"]


def test_any_event_lists_its_probable_duplicates(article):
    created = curator().post(f"{API}/events/", README_EVENT, format="json").json()
    listed = APIClient().get(f"{API}/events/19/duplicates/").json()
    assert listed["event"]["id"] == 19
    assert [d["id"] for d in listed["duplicates"]] == [created["id"]]
    assert APIClient().get(f"{API}/events/20/duplicates/").json()["duplicates"] == []


def test_the_duplicates_endpoint_refuses_unknown_parameters_and_events(article):
    assert APIClient().get(f"{API}/events/19/duplicates/?fields=id").status_code == 400
    assert APIClient().get(f"{API}/events/999999/duplicates/").status_code == 404


def test_the_admin_warns_about_probable_duplicates_when_an_event_is_saved(article, admin_client):
    created = curator().post(f"{API}/events/", README_EVENT, format="json").json()
    data = change_form_data(admin_client, Event, created["id"])
    data["change_reason"] = "Checked"
    saved = admin_client.post(admin_url(Event, "change", created["id"]), data, follow=True)
    messages = [str(m) for m in saved.context["messages"]]
    assert any("probably duplicates: event 19" in m for m in messages), messages
