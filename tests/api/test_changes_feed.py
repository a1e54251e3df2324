"""GET /api/v1/changes/: every create, update and delete in order, tombstones for deletions, paged by cursor, and
complete enough to mirror the data set from scratch once the fixtures are loaded (`make load` runs backfill_history).
"""

import base64
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.test import APIClient

from facts import services
from facts.api.changes import UpdatedSinceFilterSet, curator_pseudonym, decode_cursor, encode_cursor
from facts.management.commands.backfill_history import CHANGED_REASON, CREATED_REASON
from facts.models import Actor, Event, Place, Relation, RelationType, Statement
from facts.selectors.changes import FEED_MODELS
from tests.article_api import FIXTURE_FILES
from tests.conftest import grant_review, make_actor, make_place

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


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
        ("armenia", "created"),
        ("armenia", "updated"),
        ("atlantis", "created"),
        ("atlantis", "updated"),
        ("atlantis", "deleted"),
    ]
    created = items[0]
    # Anonymous readers get the curator's stable pseudonym, never the username (tests/api/test_changes_pseudonyms.py).
    assert (created["user"], created["reason"], created["deleted_at"]) == (
        curator_pseudonym(curator.pk),
        "From the article",
        None,
    )
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
    relation = services.relation_create(
        subject=armenia,
        object=azerbaijan,
        type=RelationType.AT_WAR_WITH,
        evidence=[{"source": source, "quote": "The two sides have gone to war"}],
        reason="Wars of 1990 and 2020",
    )
    items = [i for i in feed()["results"] if i["model"] in ("relation", "evidencespan")]
    assert {(i["model"], i["change"], i["reason"]) for i in items} == {
        ("relation", "created", "Wars of 1990 and 2020"),
        ("evidencespan", "created", "Wars of 1990 and 2020"),
    }
    relation_item = next(i for i in items if i["model"] == "relation")
    assert relation_item["url"] == f"http://testserver/api/v1/relations/{relation.pk}/"
    span_item = next(i for i in items if i["model"] == "evidencespan")
    # A part has no endpoint: its item points to the owner, whose representation shows it.
    assert span_item["owner"] == {"model": "relation", "id": relation.pk}
    assert span_item["url"] == f"http://testserver/api/v1/relations/{relation.pk}/"


def test_a_span_of_an_alias_points_to_the_alias_actor(source):
    armenia = make_actor("Armenia", slug="armenia", kind="state", country_code="AM")
    services.actor_update(
        actor=armenia,
        aliases=[
            {
                "name": "Yerevan",
                "kind": "metonym",
                "evidence": [{"source": source, "quote": "angry response from Yerevan"}],
            }
        ],
    )
    span_item = next(i for i in feed()["results"] if i["model"] == "evidencespan")
    assert span_item["owner"] == {"model": "actor", "id": armenia.pk}
    assert span_item["url"] == "http://testserver/api/v1/actors/armenia/"


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
    assert (
        PlaceUpdatedFilterSet({"updated_since": "2000-01-01T00:00:00Z"}, queryset=Place.objects.all()).qs.count() == 1
    )


def test_updated_since_filter_refuses_a_non_date():
    filterset = ActorUpdatedFilterSet({"updated_since": "last week"}, queryset=Actor.objects.all())
    assert not filterset.is_valid()
    assert "updated_since" in filterset.errors


# --- Mirroring from scratch: the fixtures are in the feed --------------------------------------------------------


def whole_feed(**params) -> list[dict]:
    """Every change, following `next` links from the first page to the last."""
    items, page = [], feed(page_size=1000, **params)
    while True:
        items.extend(page["results"])
        if page["next"] is None:
            return items
        response = APIClient().get(page["next"])
        assert response.status_code == 200
        page = response.json()


def load_article():
    """What `make load` does after migrating."""
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    out = StringIO()
    call_command("backfill_history", stdout=out)
    return out.getvalue()


def created_in_feed() -> dict[str, set[int]]:
    created: dict[str, set[int]] = {}
    for item in whole_feed():
        if item["change"] == "created":
            created.setdefault(item["model"], set()).add(item["id"])
    return created


def test_after_loading_the_fixtures_the_feed_lists_every_row_as_created():
    # Every fixture row of a model with history (all but the CAMEO codebook) gets its creation record.
    rows = sum(
        1
        for path in FIXTURE_FILES
        for row in json.loads(open(path, encoding="utf-8").read())
        if row["model"] != "facts.eventtype"
    )
    assert f"Recorded {rows} creation(s) and 0 change(s)" in load_article()
    created = created_in_feed()
    for name, model in FEED_MODELS.items():
        ids = set(model.objects.values_list("pk", flat=True))
        assert ids, name
        assert created.get(name, set()) == ids, name
    for model in (Event, Statement, Relation):
        assert model.objects.count() > 10
    event = Event.objects.order_by("pk").first()
    record = event.history.get(history_type="+")
    assert record.history_change_reason == CREATED_REASON and record.history_user is None
    # loaddata's about-links leave "updated" records on statements; their creation is dated just before.
    statements = whole_feed(model="statement")
    for statement in Statement.objects.filter(about_actors__isnull=False).distinct():
        changes = [i["change"] for i in statements if i["id"] == statement.pk]
        assert changes[0] == "created" and set(changes[1:]) == {"updated"}, statement.pk


def test_loading_again_records_no_second_creation():
    load_article()
    records = {name: model.history.count() for name, model in FEED_MODELS.items() if name != "statement"}
    assert "Recorded 0 creation(s) and 0 change(s)" in load_article()
    # Statements get "updated" records when loaddata sets their about-links again; nothing else changes.
    assert {name: model.history.count() for name, model in FEED_MODELS.items() if name != "statement"} == records
    for name, model in FEED_MODELS.items():
        assert model.history.filter(history_type="+").count() == model.objects.count(), name


def test_rows_created_through_services_keep_their_own_creation_record():
    load_article()
    armenia = services.actor_create(slug="armenia-2", name="Armenia", kind="state", country_code="AM", reason="Curated")
    load_article()
    assert [(r.history_type, r.history_change_reason) for r in armenia.history.all()] == [("+", "Curated")]


def test_a_fixture_fact_deleted_by_a_curator_and_reloaded_reappears_in_the_feed():
    load_article()
    event = Event.objects.filter(statements__isnull=True, children__isnull=True, mentioned_in__isnull=True).first()
    pk = event.pk
    services.instance_delete(instance=event, reason="Duplicate")
    load_article()
    changes = [item["change"] for item in whole_feed(model="event") if item["id"] == pk]
    assert changes == ["created", "deleted", "created"]
    assert Event.objects.filter(pk=pk).exists()


def test_a_curators_change_undone_by_a_reload_is_recorded_and_kept_in_the_history():
    load_article()
    curator = grant_review(get_user_model().objects.create_user("curator"))
    event = Event.objects.order_by("pk").first()
    article_title = event.title
    services.event_update(event=event, title="Renamed by a curator", status="verified", user=curator, reason="Checked")
    assert "Recorded 0 creation(s) and 1 change(s)" in load_article()
    event.refresh_from_db()
    assert event.title == article_title
    latest, curated = event.history.all()[:2]
    assert (latest.history_type, latest.history_change_reason, latest.title) == ("~", CHANGED_REASON, article_title)
    assert (curated.history_user, curated.title, curated.status) == (curator, "Renamed by a curator", "verified")
    changes = [item["change"] for item in whole_feed(model="event") if item["id"] == event.pk]
    assert changes == ["created", "updated", "updated"]
    assert "Recorded 0 creation(s) and 0 change(s)" in load_article()
