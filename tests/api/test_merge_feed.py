"""A merge in the changes feed: the merged event's record is `merged`, naming its target, and a mirror that replays
the feed from scratch (fetching the URL of each change) ends in the same state as the API serves."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from facts import services
from facts.models import Event, Statement
from tests.api.test_changes_feed import whole_feed
from tests.api.test_duplicates_api import README_EVENT

API = "/api/v1"
PATHS = {"event": "events", "statement": "statements"}


@pytest.fixture
def merged(db) -> tuple[int, int]:
    """The article loaded (and in the feed), the README's phone call entered again, a statement at it and about it,
    then merged into event 19: (merged id, target id)."""
    call_command("load_article", verbosity=0)
    curator = User.objects.create_superuser("feed-merger")
    client = APIClient()
    client.force_authenticate(curator)
    created = client.post(f"{API}/events/", README_EVENT, format="json").json()["id"]
    statement = Statement.objects.exclude(event=None).order_by("pk").first()
    services.statement_update(statement=statement, event=Event.objects.get(pk=created), user=curator)
    services.statement_update(statement=statement, about_events=[Event.objects.get(pk=created)], user=curator)
    response = client.post(f"{API}/events/{created}/merge/", {"into": 19, "reason": "Same call"}, format="json")
    assert response.status_code == 200
    return created, 19


def test_the_merge_is_in_the_feed_as_merged_with_its_target(merged):
    duplicate, target = merged
    items = [i for i in whole_feed(model="event") if i["id"] == duplicate]
    assert [i["change"] for i in items] == ["created", "merged"]
    last = items[-1]
    assert last["merged_into"] == {"id": target, "url": f"http://testserver/api/v1/events/{target}/"}
    assert last["url"] == last["merged_into"]["url"] and last["reason"] == "Same call"
    # The merged event has no URL of its own any more, on its older changes either (as a deleted one).
    assert items[0]["url"] is None and items[0]["merged_into"] is None
    # The parts that moved point to the target, whose representation changed.
    moved = [i for i in whole_feed(model="participant") if i["reason"] == "Same call"]
    assert moved and {i["owner"]["id"] for i in moved if i["change"] != "deleted"} <= {target}


def mirror_from_feed() -> dict[tuple[str, int], dict]:
    """What a client rebuilds from the feed alone: each change's URL fetched, deletions and merges dropped."""
    mirror: dict[tuple[str, int], dict] = {}
    client = APIClient()
    for item in whole_feed():
        owner = item["owner"]
        key = (owner["model"], owner["id"]) if owner else (item["model"], item["id"])
        if key[0] not in PATHS:
            continue
        if item["change"] in ("deleted", "merged") and owner is None:
            mirror.pop(key, None)
        if item["change"] == "merged":
            key = ("event", item["merged_into"]["id"])
        if item["url"] and not (item["change"] == "deleted" and owner is None):
            response = client.get(item["url"])
            assert response.status_code == 200, (item, response.status_code)
            mirror[key] = response.json()
    return mirror


def served() -> dict[tuple[str, int], dict]:
    """Every event and statement the API serves, whatever its status, as its detail."""
    client = APIClient()
    found = {}
    for name, path in PATHS.items():
        for status in ("candidate", "draft", "reviewed", "verified"):
            page = client.get(f"{API}/{path}/?status={status}&fields=id&page_size=500").json()
            for item in page["results"]:
                found[(name, item["id"])] = client.get(f"{API}/{path}/{item['id']}/").json()
    return found


def test_a_mirror_replaying_the_feed_ends_in_the_state_the_api_serves(merged):
    duplicate, target = merged
    mirror, truth = mirror_from_feed(), served()
    assert ("event", duplicate) not in mirror and ("event", duplicate) not in truth
    assert set(mirror) == set(truth)
    differing = [key for key in truth if mirror[key] != truth[key]]
    assert differing == []
    assert mirror[("event", target)] == truth[("event", target)]
