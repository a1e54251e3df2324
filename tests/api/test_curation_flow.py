"""A new source, end to end: a curator adds an article, records facts about it through the API and the admin with
evidence given as passages, and reads them back through the read API and the changes feed.

It runs against the project's own URLs, so it also checks that the write machinery fits the read API: its
serializers, querysets and lookups.
"""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from facts import services
from facts.api.changes import curator_pseudonym
from facts.models import Actor, Event, EvidenceSpan, ParticipantRole, ReviewStatus, Source, Statement
from tests.conftest import SEED_PATH, make_event_type

pytestmark = pytest.mark.django_db

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
PATEL_QUOTE = (
    "The US is pleased to be hosting Foreign Minister Mirzoya of Armenia and Foreign Minister Bayramov of Azerbaijan"
)
DINNER = "US Secretary of State Antony Blinken held a dinner"


@pytest.fixture
def curator():
    user = get_user_model().objects.create_user("curator", password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="facts", codename__regex=r"^(add|change|view|review)_")
    )
    return user


def token_client(user):
    out = StringIO()
    call_command("issue_token", user.username, stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    return client


def test_curator_records_facts_about_a_new_source_through_api_and_admin(curator):
    started = datetime.now(UTC)
    call_command(
        "add_source",
        str(SEED_PATH),
        "--title",
        "US Hosts Armenia-Azerbaijan Peace Talks",
        "--published",
        "2023-05-01",
        "--slug",
        "us-hosts-talks",
        "--user",
        "curator",
        stdout=StringIO(),
    )
    source = Source.objects.get(slug="us-hosts-talks")
    make_event_type()
    api = token_client(curator)

    for actor in (
        {
            "slug": "united-states",
            "name": "United States",
            "kind": "state",
            "country_code": "US",
            "aliases": [
                {
                    "name": "US",
                    "kind": "abbreviation",
                    "evidence": [{"source": "us-hosts-talks", "quote": "US Hosts Armenia-Azerbaijan Peace Talks"}],
                },
                # The article writes Washington only as a place: the metonym is outside knowledge.
                {"name": "Washington", "kind": "metonym", "external": {"name": "metonym (outside knowledge)"}},
            ],
        },
        {"slug": "armenia", "name": "Armenia", "kind": "state", "country_code": "AM"},
        {"slug": "azerbaijan", "name": "Azerbaijan", "kind": "state", "country_code": "AZ"},
        {"slug": "vedant-patel", "name": "Vedant Patel", "kind": "person"},
        {"slug": "antony-blinken", "name": "Antony Blinken", "kind": "person"},
    ):
        response = api.post("/api/v1/actors/", actor, format="json")
        assert response.status_code == 201, response.json()

    # Through the API: an event and a statement, evidence as passages only.
    response = api.post(
        "/api/v1/events/",
        {
            "title": "US hosts Armenia-Azerbaijan talks",
            "event_type": "043",
            "date_text": "on Monday",
            "participants": [
                {"actor": "united-states", "role": "host"},
                {"actor": "armenia", "role": "party"},
                {"actor": "azerbaijan", "role": "party"},
            ],
            "evidence": [{"source": source.slug, "quote": HOSTED}],
            "reason": "From the new article",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    talks = response.json()
    response = api.post(
        "/api/v1/statements/",
        {
            "speaker": "vedant-patel",
            "kind": "quote",
            "text": PATEL_QUOTE,
            "channel": "",
            "event": talks["id"],
            "about_actors": ["armenia", "azerbaijan"],
            "evidence": [{"source": source.pk, "quote": PATEL_QUOTE}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    statement_id = response.json()["id"]

    # Through the admin: the dinner, with its evidence pasted into the inline.
    browser = APIClient()
    browser.force_login(curator)
    blinken = Actor.objects.get(slug="antony-blinken")
    response = browser.post(
        reverse("admin:facts_event_add"),
        {
            "title": "Blinken hosts a dinner",
            "description": "",
            "event_type": "043",
            "place": "",
            "parent": "",
            "status": ReviewStatus.DRAFT,
            "date_text": "On Sunday",
            "date_start": "",
            "date_end": "",
            "date_precision": "",
            "participants-TOTAL_FORMS": "1",
            "participants-INITIAL_FORMS": "0",
            "participants-MIN_NUM_FORMS": "0",
            "participants-MAX_NUM_FORMS": "1000",
            "participants-0-actor": blinken.pk,
            "participants-0-role": ParticipantRole.HOST,
            "evidence-TOTAL_FORMS": "1",
            "evidence-INITIAL_FORMS": "0",
            "evidence-MIN_NUM_FORMS": "0",
            "evidence-MAX_NUM_FORMS": "1000",
            "evidence-0-source": source.pk,
            "evidence-0-quote": DINNER,
            "evidence-0-occurrence": "",
        },
    )
    assert response.status_code == 302
    dinner = Event.objects.get(title="Blinken hosts a dinner")

    # Read back through the read API: both events, drafts, evidence pointing into the source exactly.
    listed = APIClient().get("/api/v1/events/", {"status": "draft"}).json()
    assert {e["title"] for e in listed["results"]} == {"US hosts Armenia-Azerbaijan talks", "Blinken hosts a dinner"}
    detail = APIClient().get(f"/api/v1/events/{talks['id']}/")
    assert detail.status_code == 200 and detail["ETag"]
    assert str(detail.json()["date_start"]) == "2023-05-01"
    for span in EvidenceSpan.objects.all():
        assert source.text[span.start : span.end] == span.quote
    assert str(Event.objects.get(pk=dinner.pk).date_start) == "2023-04-30"
    assert Statement.objects.get(pk=statement_id).about_actors.count() == 2

    # A stale update is refused; a fresh one goes through and is in the history with its reason.
    etag = detail["ETag"]
    assert (
        api.patch(
            f"/api/v1/events/{talks['id']}/",
            {"status": "reviewed", "reason": "Checked"},
            format="json",
            HTTP_IF_MATCH=etag,
        ).status_code
        == 200
    )
    stale = api.patch(f"/api/v1/events/{talks['id']}/", {"title": "Overwritten"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Event.objects.get(pk=talks["id"]).title == "US hosts Armenia-Azerbaijan talks"

    # The changes feed shows all of it, with who and why.
    feed = APIClient().get("/api/v1/changes/", {"since": started.isoformat(), "page_size": 1000}).json()
    changes = {(c["model"], c["id"], c["change"]) for c in feed["results"]}
    assert ("source", source.pk, "created") in changes
    assert ("event", talks["id"], "created") in changes and ("event", talks["id"], "updated") in changes
    assert ("event", dinner.pk, "created") in changes
    assert ("statement", statement_id, "created") in changes
    # An anonymous reader sees the curator's stable pseudonym, never the username.
    assert all(c["user"] == curator_pseudonym(curator.pk) for c in feed["results"])
    created = next(c for c in feed["results"] if c["model"] == "event" and c["id"] == talks["id"])
    assert created["reason"] == "From the new article"
    assert created["url"] == f"http://testserver/api/v1/events/{talks['id']}/"
    assert any(c["reason"] == "Checked" for c in feed["results"] if c["model"] == "event")


def test_browsable_api_and_options_describe_the_write_input(curator, source):
    make_event_type()
    browser = APIClient()
    browser.force_login(curator)
    options = browser.options("/api/v1/events/").json()
    assert {"participants", "evidence", "reason"} <= set(options["actions"]["POST"])
    page = browser.get("/api/v1/events/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert b"evidence" in page.content
    event = services.event_create(
        title="Talks", event_type=make_event_type(), evidence=[{"source": source, "quote": HOSTED}]
    )
    detail = browser.get(f"/api/v1/events/{event.pk}/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200
    assert b"Talks" in detail.content
