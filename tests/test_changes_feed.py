"""GET /api/v1/changes/: every create, update and delete in order, tombstones for deletions, paged by cursor."""

import base64
import json
from datetime import datetime, timedelta, timezone

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import path
from rest_framework.test import APIClient

from facts import services
from facts.changes import ChangesView, UpdatedSinceFilterSet, decode_cursor, encode_cursor
from facts.models import Actor, Place, RelationType
from tests.conftest import make_actor, make_place

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def _detail(request, **kwargs):  # pragma: no cover - only reversed, never requested
    return HttpResponse()


urlpatterns = [
    path("api/v1/changes/", ChangesView.as_view(), name="changes"),
    path("api/v1/actors/<slug:slug>/", _detail, name="actor-detail"),
    path("api/v1/relations/<int:pk>/", _detail, name="relation-detail"),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def at(obj, when):
    """Make the next history record of `obj` carry this time, so tests control the order."""
    obj._history_date = when
    return obj


def feed(**params):
    response = APIClient().get("/api/v1/changes/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_created_updated_deleted_in_order_with_tombstones():
    curator = get_user_model().objects.create_user("curator")
    actor = Actor(slug="armenia", name="Armenia", kind="state", country_code="AM")
    services.stamp(at(actor, T0), user=curator, reason="From the article").save()
    actor.name = "Republic of Armenia"
    at(actor, T0 + timedelta(minutes=1)).save()
    gone = Actor(slug="atlantis", name="Atlantis", kind="group")
    at(gone, T0 + timedelta(minutes=2)).save()
    gone.description = "A myth"
    at(gone, T0 + timedelta(minutes=2, seconds=30)).save()
    services.stamp(at(gone, T0 + timedelta(minutes=3)), reason="Not in any source").delete()

    items = feed(model="actor")["results"]
    assert [(i["slug"], i["change"]) for i in items] == [
        ("armenia", "created"), ("armenia", "updated"), ("atlantis", "created"), ("atlantis", "updated"),
        ("atlantis", "deleted")]
    created = items[0]
    assert (created["user"], created["reason"], created["deleted_at"]) == ("curator", "From the article", None)
    assert created["url"] == "http://testserver/api/v1/actors/armenia/"
    tombstone = items[-1]
    assert tombstone["id"] == items[2]["id"] and tombstone["reason"] == "Not in any source"
    assert tombstone["deleted_at"] == tombstone["time"] and tombstone["url"] is None
    # An object deleted since has no current URL, even on its older changes.
    assert items[2]["url"] is None


def test_since_keeps_later_changes_only():
    at(Actor(slug="old", name="Old", kind="group"), T0).save()
    at(Actor(slug="new", name="New", kind="group"), T0 + timedelta(days=1)).save()
    items = feed(since="2026-01-05T12:00:00Z")["results"]
    assert [i["slug"] for i in items] == ["new"]
    # Without a zone the time is UTC.
    assert [i["slug"] for i in feed(since="2026-01-05T09:00:00")["results"]] == ["old", "new"]


def test_cursor_pages_are_stable_across_identical_timestamps_and_models():
    for n in range(4):
        at(Actor(slug=f"actor-{n}", name=f"Actor {n}", kind="group"), T0).save()
        at(Place(slug=f"place-{n}", name=f"Place {n}", kind="city"), T0).save()
    at(Actor(slug="later", name="Later", kind="group"), T0 + timedelta(seconds=1)).save()
    everything = feed(page_size=100)["results"]
    assert len(everything) == 9
    keys = [(i["time"], i["model"], i["history_id"]) for i in everything]
    assert keys == sorted(keys)

    seen, page = [], feed(page_size=3)
    while True:
        seen.extend(page["results"])
        if page["next"] is None:
            break
        assert len(page["results"]) == 3
        response = APIClient().get(page["next"])
        assert response.status_code == 200
        page = response.json()
    assert seen == everything


def test_changes_after_the_last_page_appear_on_the_next_poll():
    at(Actor(slug="first", name="First", kind="group"), T0).save()
    page = feed(page_size=1)
    assert page["next"] is None
    last_time = page["results"][-1]["time"]
    at(Actor(slug="second", name="Second", kind="group"), T0 + timedelta(hours=1)).save()
    polled = feed(since=last_time)["results"]
    assert [i["slug"] for i in polled] == ["first", "second"]


def test_facts_and_their_parts_are_in_the_feed(source):
    armenia, azerbaijan = make_actor("Armenia", slug="armenia"), make_actor("Azerbaijan", slug="azerbaijan")
    relation = services.relation_create(subject=armenia, object=azerbaijan, type=RelationType.AT_WAR_WITH,
                                        evidence=[{"source": source, "quote": "The two sides have gone to war"}],
                                        reason="Wars of 1990 and 2020")
    items = [i for i in feed()["results"] if i["model"] in ("relation", "evidencespan")]
    assert {(i["model"], i["change"], i["reason"]) for i in items} == {
        ("relation", "created", "Wars of 1990 and 2020"), ("evidencespan", "created", "Wars of 1990 and 2020")}
    relation_item = next(i for i in items if i["model"] == "relation")
    assert relation_item["url"] == f"http://testserver/api/v1/relations/{relation.pk}/"
    assert next(i for i in items if i["model"] == "evidencespan")["url"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-13-01"}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"page_size": "0"}, "page_size"),
        ({"model": "unicorn"}, "model"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(params, field):
    response = APIClient().get("/api/v1/changes/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_cursor_round_trip_and_forged_cursors_rejected():
    position = (T0, "actor", 7)
    assert decode_cursor(encode_cursor(position)) == position
    for forged in (
        base64.urlsafe_b64encode(json.dumps([T0.isoformat(), "unicorn", 7]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(["2026-01-05T09:00:00", "actor", 7]).encode()).decode(),  # no zone
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        "%%%",
    ):
        with pytest.raises(ValueError):
            decode_cursor(forged)


class ActorUpdatedFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Actor
        fields = []


class PlaceUpdatedFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Place
        fields = []


def test_updated_since_filter_keeps_recently_changed_objects():
    old, new = make_actor("Old", slug="old"), make_actor("New", slug="new")
    Actor.objects.filter(pk=old.pk).update(updated_at=T0)
    Actor.objects.filter(pk=new.pk).update(updated_at=T0 + timedelta(days=2))
    filterset = ActorUpdatedFilterSet({"updated_since": "2026-01-06T00:00:00Z"}, queryset=Actor.objects.all())
    assert list(filterset.qs) == [new]
    make_place("Lachin", slug="lachin")
    assert PlaceUpdatedFilterSet({"updated_since": "2000-01-01T00:00:00Z"}, queryset=Place.objects.all()).qs.count() == 1


def test_updated_since_filter_refuses_a_non_date():
    filterset = ActorUpdatedFilterSet({"updated_since": "last week"}, queryset=Actor.objects.all())
    assert not filterset.is_valid()
    assert "updated_since" in filterset.errors
