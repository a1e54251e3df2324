"""`POST /api/v1/events/{id}/merge/` and what a merged id answers afterwards: 301 for reads, 410 for writes, and
no list, count, search, duplicate or link that shows it (the rules of the merge are in tests/unit/test_merge.py)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from rest_framework.test import APIClient

from facts.models import Event, EventType, EvidenceSpan, Statement
from tests.api.test_duplicates_api import README_EVENT

API = "/api/v1"


@pytest.fixture
def article(db):
    call_command("load_article", verbosity=0)


def client_with(*codenames: str) -> APIClient:
    user = User.objects.create_user("merge-" + "-".join(codenames or ("none",)))
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def curator():
    return client_with("add_event", "change_event", "delete_event")


@pytest.fixture
def duplicate(article, curator) -> int:
    """The README's phone call, entered again: a probable duplicate of event 19."""
    response = curator.post(f"{API}/events/", README_EVENT, format="json")
    assert response.status_code == 201 and response.json()["possible_duplicates"][0]["id"] == 19
    return response.json()["id"]


def merge(client, event_id, body, **headers):
    return client.post(f"{API}/events/{event_id}/merge/", body, format="json", **headers)


def test_a_merge_answers_the_target_as_a_get_returns_it_with_its_etag(duplicate, curator):
    response = merge(curator, duplicate, {"into": 19, "reason": "Same call as event 19"})
    assert response.status_code == 200, response.content
    read = APIClient().get(f"{API}/events/19/")
    assert response.json() == read.json() and response["ETag"] == read["ETag"]
    assert Event.objects.get(pk=duplicate).merged_into_id == 19
    # The duplicate's one passage is the one event 19 already cites: dropped, not doubled.
    quotes = [e["quote"] for e in read.json()["evidence"]]
    assert len(quotes) == len(set(quotes))


def test_a_merged_id_answers_get_with_301_to_the_targets_same_url(duplicate, curator):
    merge(curator, duplicate, {"into": 19})
    response = APIClient().get(f"{API}/events/{duplicate}/?fields=id,title")
    assert response.status_code == 301
    assert response["Location"] == "http://testserver/api/v1/events/19/?fields=id,title"
    assert response.json()["merged_into"] == {"id": 19, "url": "http://testserver/api/v1/events/19/"}
    assert APIClient().get(f"{API}/events/{duplicate}/claims/")["Location"].endswith("/api/v1/events/19/claims/")
    assert APIClient().head(f"{API}/events/{duplicate}/").status_code == 301


@pytest.mark.parametrize("method", ["put", "patch", "delete", "merge"])
def test_a_merged_id_answers_other_methods_with_410_naming_the_target(duplicate, curator, method):
    merge(curator, duplicate, {"into": 19})
    url = f"{API}/events/{duplicate}/"
    if method == "merge":
        response = merge(curator, duplicate, {"into": 20})
    else:
        response = getattr(curator, method)(url, {"title": "x"}, format="json")
    assert response.status_code == 410, response.content
    body = response.json()
    assert body["code"] == "gone" and body["merged_into"] == {"id": 19, "url": "http://testserver/api/v1/events/19/"}
    assert "merged into event 19" in body["detail"]
    assert Event.objects.get(pk=duplicate).merged_into_id == 19


def test_lists_counts_searches_duplicates_and_links_never_show_the_tombstone(duplicate, curator):
    type_count = APIClient().get(f"{API}/event-types/041/").json()["event_count"]
    merge(curator, duplicate, {"into": 19})
    anonymous = APIClient()
    for query in ("", "?status=draft", "?search=Aliyev", "?actor=antony-blinken", "?mode=cursor"):
        ids = [item["id"] for item in anonymous.get(f"{API}/events/{query}").json()["results"]]
        assert duplicate not in ids, query
    csv = b"".join(anonymous.get(f"{API}/events/?format=csv&fields=id").streaming_content).decode()
    assert str(duplicate) not in csv.split()
    assert anonymous.get(f"{API}/events/?status=draft").json()["count"] == 0
    assert anonymous.get(f"{API}/event-types/041/").json()["event_count"] == type_count - 1
    assert anonymous.get(f"{API}/events/19/duplicates/").json()["duplicates"] == []
    # A tombstone cannot be referred to: as a parent, an occasion or a subject of a statement.
    refused = curator.patch(f"{API}/events/20/", {"parent": duplicate}, format="json")
    assert refused.status_code == 400 and "parent" in refused.json()["errors"]


def test_statements_about_the_duplicate_follow_it_to_the_target(duplicate, curator):
    statement = Statement.objects.first()
    statement.about_events.add(duplicate)
    merge(curator, duplicate, {"into": 19})
    about = APIClient().get(f"{API}/statements/{statement.pk}/").json()["about_events"]
    assert duplicate not in [e["id"] for e in about] and 19 in [e["id"] for e in about]
    assert APIClient().get(f"{API}/statements/?about=event:{duplicate}").json()["count"] == 0
    assert APIClient().get(f"{API}/statements/?about=event:19").json()["count"] >= 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"into": "19"}, "not a string"),
        ({"into": 19.0}, "not a fraction"),
        ({"into": True}, "not a boolean"),
        ({"into": 0}, "greater than or equal to 1"),
        ({}, "required"),
        ({"into": 999_999}, "No event with id 999999"),
        ({"into": "self"}, "cannot be merged into itself"),
        ({"into": 2**64}, "less than or equal to"),
        ({"into": None}, "may not be null"),
        ({"into": [19]}, "not an array"),
        ({"into": 19, "intoo": 20}, None),
    ],
)
def test_a_refused_merge_is_a_400_naming_into_and_writes_nothing(duplicate, curator, body, message):
    if body.get("into") == "self":
        body = {"into": duplicate}
    spans = list(EvidenceSpan.objects.order_by("pk").values_list("pk", "event_id"))
    response = merge(curator, duplicate, body)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    if message is None:
        assert list(errors) == ["intoo"]
    else:
        assert list(errors) == ["into"] and message in " ".join(errors["into"])
    assert list(EvidenceSpan.objects.order_by("pk").values_list("pk", "event_id")) == spans
    assert Event.objects.get(pk=duplicate).merged_into_id is None


def test_a_merge_into_a_merged_event_names_into_and_its_target(duplicate, curator):
    merge(curator, duplicate, {"into": 19})
    response = merge(curator, 20, {"into": duplicate})
    assert response.status_code == 400
    assert f"Event {duplicate} was merged into event 19" in response.json()["errors"]["into"][0]


def test_a_merge_needs_authentication_and_the_change_and_delete_permissions(duplicate):
    assert merge(APIClient(), duplicate, {"into": 19}).status_code == 401
    assert merge(client_with("change_event"), duplicate, {"into": 19}).status_code == 403
    assert merge(client_with("delete_event"), duplicate, {"into": 19}).status_code == 403
    assert Event.objects.get(pk=duplicate).merged_into_id is None
    assert merge(client_with("change_event", "delete_event"), duplicate, {"into": 19}).status_code == 200


def test_if_match_on_the_merged_event_is_honoured(duplicate, curator):
    stale = APIClient().get(f"{API}/events/{duplicate}/")["ETag"]
    curator.patch(f"{API}/events/{duplicate}/", {"description": "Read again"}, format="json")
    refused = merge(curator, duplicate, {"into": 19}, HTTP_IF_MATCH=stale)
    assert refused.status_code == 412 and "If-Match" in refused.json()["errors"]
    assert Event.objects.get(pk=duplicate).merged_into_id is None
    fresh = APIClient().get(f"{API}/events/{duplicate}/")["ETag"]
    assert merge(curator, duplicate, {"into": 19}, HTTP_IF_MATCH=fresh).status_code == 200


def test_the_reason_comes_from_the_body_or_the_change_reason_header(duplicate, curator):
    merge(curator, duplicate, {"into": 19}, HTTP_X_CHANGE_REASON="Same call, header")
    last = Event.history.filter(id=duplicate).latest("history_id")
    assert last.history_change_reason == "Same call, header"
    long = merge(curator, 20, {"into": 19, "reason": "x" * 101})
    assert long.status_code == 400 and list(long.json()["errors"]) == ["reason"]


def test_an_unknown_event_is_404(article, curator):
    assert merge(curator, 999_999, {"into": 19}).status_code == 404
    assert APIClient().get(f"{API}/events/999999/").status_code == 404
    assert EventType.objects.exists()


@pytest.mark.parametrize("body", [[19], "19", 19])
def test_a_merge_body_that_is_not_an_object_is_a_400(duplicate, curator, body):
    response = merge(curator, duplicate, body)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["non_field_errors"]  # as every write names a body of the wrong type
    assert Event.objects.get(pk=duplicate).merged_into_id is None
