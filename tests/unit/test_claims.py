"""GET /api/v1/events/{id}/claims/: who claims what about an event, grouped by the side each statement speaks for.

The expectations are read off the article: about the Lachin checkpoint, Armenia calls it a violation of the
cease-fire, Azerbaijan says it stands on "Azerbaijan's territory", the United States (Blinken, and Patel through the
State Department) speaks of undermined confidence and the free flow of traffic, France (Colonna) of unhindered
movement.
"""

import json

import pytest

from facts.claims import event_claims, top_sides
from facts.models import Actor, ActorKind, Affiliation, Event, Statement
from tests.article_api import api_fixture, article_fixture, get_json  # noqa: F401  (pytest fixtures)
from tests.conftest import make_actor

pytestmark = pytest.mark.django_db

CHECKPOINT = "Azerbaijan sets up a checkpoint on the Lachin Corridor"


def checkpoint():
    return Event.objects.get(title=CHECKPOINT)


def claims_url(event_id) -> str:
    return f"/api/v1/events/{event_id}/claims/"


def by_side(data) -> dict[str, list[tuple[str, str, str]]]:
    return {
        side["side"]["slug"]: [(s["speaker"]["slug"], s["kind"], s["text"]) for s in side["statements"]]
        for side in data["sides"]
    }


def test_the_checkpoint_claims_are_grouped_by_the_side_each_speaks_for(api):
    event = checkpoint()
    data = get_json(api, claims_url(event.pk))
    assert data["event"] == {"id": event.pk, "title": CHECKPOINT, "url": f"http://testserver/api/v1/events/{event.pk}/"}
    sides = by_side(data)
    assert list(sides) == ["armenia", "azerbaijan", "france", "united-states"]  # by the side's name
    assert [side["side"] for side in data["sides"]][0] == {
        "slug": "armenia",
        "name": "Armenia",
        "kind": "state",
        "url": "http://testserver/api/v1/actors/armenia/",
    }
    assert any("violation of the cease-fire" in text for _, _, text in sides["armenia"])
    assert ("azerbaijan", "partial", "Azerbaijan’s territory") in sides["azerbaijan"]
    us = sides["united-states"]
    assert ("antony-blinken", "partial", "undermines efforts to establish confidence in the peace process") in us
    # Patel speaks for the United States through the State Department (an external link).
    assert any(speaker == "vedant-patel" and "free flow of traffic" in text for speaker, _, text in us)
    assert ("catherine-colonna", "partial", "unhindered movement") in sides["france"]
    # Every statement about the event, and only those: each once here (every speaker has one top side).
    listed = sorted(s["id"] for side in data["sides"] for s in side["statements"])
    assert listed == sorted(Statement.objects.filter(about_events=event).values_list("id", flat=True))


def test_each_claim_carries_its_words_channel_dates_and_evidence(api):
    data = get_json(api, claims_url(checkpoint().pk))
    us = next(side for side in data["sides"] if side["side"]["slug"] == "united-states")
    claim = next(s for s in us["statements"] if s["kind"] == "partial")
    assert set(claim) == {
        "id",
        "url",
        "speaker",
        "kind",
        "text",
        "channel",
        "date_text",
        "date_start",
        "date_end",
        "date_precision",
        "evidence",
    }
    assert claim["channel"] == "according to a State Department statement on their call"
    assert claim["speaker"]["slug"] == "antony-blinken"
    statement = get_json(api, claim["url"])
    assert {key: statement[key] for key in ("text", "date_text", "date_start", "date_end", "date_precision")} == {
        key: claim[key] for key in ("text", "date_text", "date_start", "date_end", "date_precision")
    }
    assert claim["evidence"] == statement["evidence"]
    text = get_json(api, claim["evidence"][0]["source"]["url"])["text"]
    assert all(text[span["start"] : span["end"]] == span["quote"] for span in claim["evidence"])


def test_a_statement_made_at_an_event_is_a_claim_about_it_only_when_it_is_about_it(api):
    # Colonna's visit: the statements she made there that are about the visit itself, not all of them.
    visit = Event.objects.get(title="Colonna visits Azerbaijan and Armenia")
    made_there = set(Statement.objects.filter(event=visit).values_list("id", flat=True))
    data = get_json(api, claims_url(visit.pk))
    listed = {s["id"] for side in data["sides"] for s in side["statements"]}
    assert listed == set(Statement.objects.filter(about_events=visit).values_list("id", flat=True))
    assert made_there - listed, "remarks made at the visit but not about it are left out"


def test_an_event_nobody_speaks_about_has_no_sides(api):
    war = Event.objects.get(title="Armenia-Azerbaijan war of 1990")
    assert get_json(api, claims_url(war.pk)) == {
        "event": {"id": war.pk, "title": war.title, "url": f"http://testserver/api/v1/events/{war.pk}/"},
        "sides": [],
    }


@pytest.mark.parametrize("event_id", ["999999", "abc", "99999999999999999999999"])
def test_an_unknown_event_is_a_404_in_json(api, event_id):
    response = api.get(claims_url(event_id))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("query, name", [("fields=id", "fields"), ("page=2", "page"), ("kind=quote", "kind")])
def test_query_parameters_are_refused_naming_them(api, query, name):
    response = api.get(f"{claims_url(checkpoint().pk)}?{query}")
    assert response.status_code == 400
    assert name in response.json()["errors"]


def test_the_answer_takes_a_bounded_number_of_queries(api, django_assert_max_num_queries):
    # The event, its statements, their evidence, the affiliation links above the speakers (one recursive query),
    # and the side actors that are not speakers: however many statements, speakers and levels. One more reads the
    # data version (facts.api.caching).
    event = checkpoint()
    with django_assert_max_num_queries(6):
        response = api.get(claims_url(event.pk))
    assert response.status_code == 200
    talks = Event.objects.get(title="Armenia-Azerbaijan talks hosted by the United States")
    with django_assert_max_num_queries(6):
        assert api.get(claims_url(talks.pk)).status_code == 200


def test_the_schema_documents_the_claims_operation(api):
    schema = json.loads(api.get("/api/schema/?format=json").content)
    operation = schema["paths"]["/api/v1/events/{id}/claims/"]["get"]
    assert operation["description"].startswith("Every statement about the event")
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("EventClaims")
    parameters = operation.get("parameters", [])
    assert {p["name"] for p in parameters if p["in"] != "header"} <= {"id", "format"}
    assert {p["name"] for p in parameters if p["in"] == "header"} == {"If-None-Match", "If-Modified-Since"}


# --- the selector on its own --------------------------------------------------------------------------------------


def test_top_sides_follow_links_upwards_to_every_top_and_stop_on_a_cycle():
    assert top_sides([], 1) == [1]  # no affiliation: the speaker speaks for itself
    assert top_sides([(1, 2), (2, 3)], 1) == [3]
    assert top_sides([(1, 2), (1, 4), (2, 3)], 1) == [3, 4]
    assert top_sides([(1, 2), (2, 3), (3, 2)], 1) == [2]  # a cycle has no top: the direct link stands in


def test_event_claims_puts_a_speaker_with_two_top_affiliations_under_both(api):
    event = checkpoint()
    patel = Actor.objects.get(slug="vedant-patel")
    eu = Actor.objects.get(slug="european-union")
    Affiliation.objects.create(person=patel, organization=eu, role_title="liaison")  # invented, for the test
    claims = event_claims(event)
    sides = {side.actor.slug: {s.speaker.slug for s in side.statements} for side in claims.sides}
    assert "vedant-patel" in sides["european-union"] and "vedant-patel" in sides["united-states"]


def test_a_member_organization_speaks_for_the_state_it_is_part_of(api):
    event = checkpoint()
    department = Actor.objects.get(slug="us-state-department")
    said = Statement.objects.create(speaker=department, text="A department remark.", kind="paraphrase")
    said.about_events.add(event)
    group = make_actor("A lone group", ActorKind.GROUP)
    alone = Statement.objects.create(speaker=group, text="A group remark.", kind="paraphrase")
    alone.about_events.add(event)
    sides = {side.actor.slug: [s.pk for s in side.statements] for side in event_claims(event).sides}
    assert said.pk in sides["united-states"]
    assert sides[group.slug] == [alone.pk]  # an unaffiliated speaker speaks for itself
