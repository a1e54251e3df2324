"""Candidates through the API: proposing them, lists that hide them, vetting them with PATCH and DELETE, mentions."""

import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.test import APIClient

from facts.api.filters import EventFilterSet
from facts.models import Actor, Event, EvidenceSpan, Mention, ReviewStatus, Statement

API = "/api/v1"


def client_with(*codenames):
    user = User.objects.create_user(f"curator-{len(codenames)}-{User.objects.count()}")
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def proposed(new_article):
    response = client_with("add_event", "add_statement").post(f"{API}/sources/{new_article.pk}/propose/")
    assert response.status_code == 200, response.content
    return response.json()


def test_proposing_needs_the_add_permissions(new_article):
    url = f"{API}/sources/{new_article.pk}/propose/"
    assert APIClient().post(url).status_code == 401
    assert client_with("add_event").post(url).status_code == 403
    assert not Event.objects.exists()


def test_propose_reports_candidates_and_a_second_run_adds_none(new_article, proposed):
    assert len(proposed["statements"]) == 12 and proposed["events"] and proposed["mentions"] > 100
    again = client_with("add_event", "add_statement").post(f"{API}/sources/{new_article.pk}/propose/").json()
    assert again["statements"] == [] and again["events"] == [] and again["mentions"] == 0


def test_propose_refuses_unknown_parameters_and_sources(new_article):
    client = client_with("add_event", "add_statement")
    response = client.post(f"{API}/sources/{new_article.pk}/propose/?dry=1")
    assert response.status_code == 400 and "dry" in response.json()["errors"]
    assert client.post(f"{API}/sources/999999/propose/").status_code == 404


@pytest.mark.parametrize("resource", ["events", "statements"])
def test_lists_hide_candidates_unless_asked_for(proposed, resource):
    assert APIClient().get(f"{API}/{resource}/").json()["count"] == 0
    listed = APIClient().get(f"{API}/{resource}/", {"status": "candidate"}).json()
    assert listed["count"] == len(proposed[resource]) and listed["count_is_exact"]
    assert {item["status"] for item in listed["results"]} == {"candidate"}


def test_a_candidate_is_hidden_from_the_actor_list_and_its_count_and_from_a_search(proposed):
    event = Event.objects.filter(status=ReviewStatus.CANDIDATE, participants__isnull=False).first()
    actor = event.participants.first().actor.slug
    for params in ({"actor": actor}, {"actor": actor, "type": event.event_type_id[:2]}, {"search": event.title[:6]}):
        page = APIClient().get(f"{API}/events/", params).json()
        assert page["count"] == 0 and page["results"] == [], params


def test_the_filterset_plan_counts_what_the_list_shows(proposed):
    event = Event.objects.filter(status=ReviewStatus.CANDIDATE, participants__isnull=False).first()
    filterset = EventFilterSet({"actor": [event.participants.first().actor.slug]}, queryset=Event.objects.all())
    plan = filterset.plan()
    assert plan.queryset.count() == 0
    assert plan.counted is not None and plan.counted.count() == 0


def test_accepting_a_candidate_with_patch_lists_it_and_delete_rejects_one(proposed):
    curator = client_with("change_statement", "delete_statement")
    accepted, rejected = proposed["statements"][:2]
    response = curator.patch(f"{API}/statements/{accepted}/", {"status": "draft", "reason": "Checked"}, format="json")
    assert response.status_code == 200, response.content
    assert [s["id"] for s in APIClient().get(f"{API}/statements/").json()["results"]] == [accepted]
    assert curator.delete(f"{API}/statements/{rejected}/", HTTP_X_CHANGE_REASON="Misattributed").status_code == 204
    assert not Statement.objects.filter(pk=rejected).exists()
    assert Statement.history.filter(id=rejected, history_type="-").get().history_change_reason == "Misattributed"


def test_mentions_are_listed_by_source_actor_and_place(new_article, proposed):
    everything = APIClient().get(f"{API}/mentions/", {"page_size": 500}).json()
    assert everything["count"] == Mention.objects.count() > 100
    text = new_article.text
    assert all(text[m["start"] : m["end"]] == m["quote"] for m in everything["results"])
    blinken = APIClient().get(f"{API}/mentions/", {"actor": "antony-blinken"}).json()["results"]
    assert blinken and {m["actor"]["slug"] for m in blinken} == {"antony-blinken"}
    baku = APIClient().get(f"{API}/mentions/", {"place": "baku"}).json()["results"]
    assert baku and all(m["place"]["slug"] == "baku" and m["actor"] is None for m in baku)
    assert APIClient().get(f"{API}/mentions/", {"source": new_article.pk}).json()["count"] == everything["count"]
    assert APIClient().get(f"{API}/mentions/", {"actor": "nobody"}).status_code == 400
    assert APIClient().get(f"{API}/mentions/", {"speaker": "x"}).status_code == 400


def test_a_source_too_long_for_a_request_is_refused_with_the_command_to_run(new_article, monkeypatch):
    from facts.api import proposals

    monkeypatch.setattr(proposals, "PROPOSE_MAX_CHARACTERS", len(new_article.text) - 1)
    response = client_with("add_event", "add_statement").post(f"{API}/sources/{new_article.pk}/propose/")
    assert response.status_code == 400
    assert f"propose_facts {new_article.pk}" in response.json()["errors"]["id"][0]
    assert not Event.objects.exists() and not Mention.objects.exists()


# -- candidate actors and more evidence for a vetted event, through the API ------------------------------------------


@pytest.fixture
def report_proposed(report_source, vetted_talks):
    from facts.services.proposals import source_propose

    return source_propose(source=report_source)


def test_the_actor_list_hides_candidate_actors_unless_asked_for(report_proposed):
    names = [a["name"] for a in APIClient().get(f"{API}/actors/", {"page_size": 100}).json()["results"]]
    assert "Dmytro Kuleba" not in names and "Turkey" in names
    listed = APIClient().get(f"{API}/actors/", {"status": "candidate"}).json()["results"]
    assert {(a["name"], a["status"]) for a in listed} == {
        ("Dmytro Kuleba", "candidate"),
        ("Russian official (anonymous)", "candidate"),
    }


def test_other_lists_know_a_candidate_actor_only_with_status_candidate(report_proposed):
    kuleba = Actor.objects.get(name="Dmytro Kuleba").slug
    for resource, param in (
        ("events", "actor"),
        ("statements", "speaker"),
        ("statements", "about"),
        ("relations", "actor"),
    ):
        response = APIClient().get(f"{API}/{resource}/", {param: kuleba})
        assert response.status_code == 400 and param in response.json()["errors"], (resource, param)
    assert APIClient().get(f"{API}/actors/", {"affiliated_with": kuleba}).status_code == 400
    events = APIClient().get(f"{API}/events/", {"actor": kuleba, "status": "candidate"}).json()
    assert events["count"] == 1 and events["results"][0]["type"]["code"] == "042"
    spoken = APIClient().get(f"{API}/statements/", {"speaker": kuleba, "status": "candidate"}).json()
    assert spoken["count"] == 2


def test_accepting_a_candidate_actor_with_patch_then_its_statement(report_proposed):
    kuleba = Actor.objects.get(name="Dmytro Kuleba")
    statement = Statement.objects.filter(speaker=kuleba).first()
    curator = client_with("change_actor", "change_statement")
    refused = curator.patch(f"{API}/statements/{statement.pk}/", {"status": "draft"}, format="json")
    assert refused.status_code == 400 and "Dmytro Kuleba" in refused.json()["errors"]["status"][0]
    accepted = curator.patch(f"{API}/actors/{kuleba.slug}/", {"status": "accepted", "reason": "Known"}, format="json")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert curator.patch(f"{API}/statements/{statement.pk}/", {"status": "draft"}, format="json").status_code == 200
    # Now vetted facts name it: it cannot be a candidate again.
    back = curator.patch(f"{API}/actors/{kuleba.slug}/", {"status": "candidate"}, format="json")
    assert back.status_code == 400 and "status" in back.json()["errors"]


def test_deleting_a_candidate_actor_rejects_the_candidates_naming_it(report_proposed):
    kuleba = Actor.objects.get(name="Dmytro Kuleba")
    statements = list(Statement.objects.filter(speaker=kuleba).values_list("pk", flat=True))
    curator = client_with("delete_actor")
    response = curator.delete(f"{API}/actors/{kuleba.slug}/", HTTP_X_CHANGE_REASON="Not in this story")
    assert response.status_code == 204, response.content
    assert not Statement.objects.filter(pk__in=statements).exists()
    # An accepted actor that facts name is still refused with 409, as before.
    assert client_with("delete_actor").delete(f"{API}/actors/turkey/").status_code == 409


def test_a_candidate_span_is_not_in_the_events_evidence_read(report_proposed, vetted_talks):
    assert report_proposed.evidence
    event = APIClient().get(f"{API}/events/{vetted_talks.pk}/").json()
    assert [span["quote"] for span in event["evidence"]] == ["Turkey hosts Russia and Ukraine for talks in Istanbul"]
    listed = APIClient().get(f"{API}/events/", {"fields": "id,evidence", "page_size": 100}).json()["results"]
    assert [len(item["evidence"]) for item in listed if item["id"] == vetted_talks.pk] == [1]


def test_more_evidence_is_accepted_and_rejected_through_the_api(report_proposed, vetted_talks):
    url = f"{API}/events/{vetted_talks.pk}/candidate-evidence/"
    first, *rest = [EvidenceSpan.objects.get(pk=row["span"]) for row in report_proposed.evidence]
    assert APIClient().post(f"{url}{first.pk}/").status_code == 401
    assert client_with("view_event").post(f"{url}{first.pk}/").status_code == 403
    curator = client_with("change_event")
    assert curator.post(f"{url}{first.pk}/").status_code == 204
    quotes = [span["quote"] for span in APIClient().get(f"{API}/events/{vetted_talks.pk}/").json()["evidence"]]
    assert first.quote in quotes
    if rest:
        assert curator.delete(f"{url}{rest[0].pk}/").status_code == 400  # a rejection says why
        assert curator.delete(f"{url}{rest[0].pk}/", HTTP_X_CHANGE_REASON="Another meeting").status_code == 204
        assert not EvidenceSpan.objects.filter(pk=rest[0].pk).exists()
    assert curator.post(f"{url}{first.pk}/").status_code == 404  # accepted: no longer a candidate
    assert curator.post(f"{API}/events/999999/candidate-evidence/{first.pk}/").status_code == 404
    assert curator.post(f"{url}{first.pk}/?x=1").status_code == 400
