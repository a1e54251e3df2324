"""What keeps the read API fast at scale: few queries per page, a capped count, indexable search and place queries.

The timings themselves are measured by the benchmark (bench/, README "Benchmark"); these tests pin down the query
shapes that make them possible, on the article fixtures.
"""

import json
import re
from datetime import date
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from facts import selectors
from facts.api import pagination, serializers
from facts.api.filters import EventFilterSet, StatementFilterSet
from facts.models import DATE_ORDER, Actor, ActorAlias, Event, Participant, Place, Statement, date_order
from facts.selectors import pages, planning
from facts.selectors.planning import date_window, matching_actor_ids
from tests.article_api import api_fixture, article_fixture, body, get_json, results  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_trgm indexes and EXPLAIN plans exist only on PostgreSQL"
)

# Every list, with the filters that reach into other tables (place hierarchy, search, actors, references), and the
# most queries a page may take: the count, the page, and one per related table read for the page. Statements read
# what they are about (actors, places and events) in one UNION query and their evidence in another; a `place:` or
# `actor:` reference costs one lookup more, which validates it (an unknown slug is a 400).
LIST_URLS = [
    ("/api/v1/events/", 4),
    ("/api/v1/events/?place=azerbaijan", 5),
    ("/api/v1/events/?place=south-caucasus&type=04", 5),
    # On PostgreSQL a search alone first asks the planner how many events the text is in (broad_search_actor_ids).
    ("/api/v1/events/?search=colonna", 5),
    ("/api/v1/events/?actor=antony-blinken&date_after=2022-01-01", 5),
    # A PLOVER category is a subquery of the codebook inside the page's query: no query more than the plain list.
    ("/api/v1/events/?plover=CONSULT,retreat", 4),
    ("/api/v1/statements/", 4),
    ("/api/v1/statements/?about=place:azerbaijan", 5),
    # The slug's lookup, then the walk down the affiliations inside the count and the page queries.
    ("/api/v1/statements/?speaker_affiliated_with=united-states", 5),
    # As for events, the planner's estimate first (broad_search_actor_ids).
    ("/api/v1/statements/?search=lachin", 5),
    ("/api/v1/relations/", 3),
    ("/api/v1/relations/?search=armenia", 3),
    # Actors read their aliases, and the aliases' evidence, in one query each.
    ("/api/v1/actors/", 4),
    ("/api/v1/actors/?search=a", 4),
    # The slug's lookup, then the walk down and up the affiliations inside the count and the page queries.
    ("/api/v1/actors/?affiliated_with=united-states", 5),
    ("/api/v1/places/", 2),
    ("/api/v1/places/?within=south-caucasus", 3),
    ("/api/v1/sources/", 2),
    ("/api/v1/event-types/", 2),
    ("/api/v1/event-types/?plover=consult&parent=04", 3),  # one lookup more validates the parent code
]


def view_queries(queries: CaptureQueriesContext) -> list[str]:
    """The SQL of a read besides its one read of the data version (facts.api.caching: the answer's ETag and cache
    key), which every read makes first whatever it asks; the counts below are those of the read's own work."""
    sql = [q["sql"] for q in queries.captured_queries]
    version_reads = [q for q in sql if '"facts_dataversion"' in q]
    assert len(version_reads) == 1 and sql[0] == version_reads[0], sql
    return sql[1:]


def page_queries(api, url: str, size: int) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        page = get_json(api, f"{url}{'&' if '?' in url else '?'}page_size={size}")
    assert len(page["results"]) == min(size, page["count"]) >= 1, (url, size, page["count"])
    return view_queries(queries)


@pytest.mark.parametrize("url, most", LIST_URLS)
def test_every_list_takes_few_queries_whatever_the_page_size(api, url, most):
    small, large = page_queries(api, url, 1), page_queries(api, url, 2)
    assert len(small) == len(large) <= most, (url, large)


@pytest.mark.parametrize("resource, most", [("events", 4), ("statements", 3)])
def test_a_fact_detail_takes_few_queries(api, resource, most):
    # The row itself, then one query per related table: an event's statements and parts come in one UNION.
    for item in results(api, f"/api/v1/{resource}/?page_size=500"):
        with CaptureQueriesContext(connection) as queries:
            get_json(api, item["url"])
        assert len(view_queries(queries)) == most, [q["sql"] for q in queries.captured_queries]


def test_place_filter_reads_the_hierarchy_with_the_place_and_gives_the_page_query_literal_ids(api):
    queries = page_queries(api, "/api/v1/events/?place=south-caucasus", 2)
    # The walk runs once, in the query that finds the place by slug (facts.walks); no query loads every place.
    assert not [sql for sql in queries if 'FROM "facts_place"' in sql and "WHERE" not in sql]
    walks = [sql for sql in queries if "WITH RECURSIVE" in sql]
    assert len(walks) == 1 and '"facts_place"."slug" =' in walks[0]
    # The count and the page name the subtree's ids, which the planner's statistics on place_id can estimate.
    subtree = Place.objects.with_subtree().get(slug="south-caucasus").subtree
    assert len(subtree.split(",")) > 3
    assert sum('"place_id" IN (' in sql for sql in queries) >= 2


def test_place_filter_still_finds_every_descendant_and_survives_a_cycle(api):
    expected = set(
        Event.objects.filter(place__slug__in=["azerbaijan", "nagorno-karabakh", "lachin-corridor", "baku"]).values_list(
            "id", flat=True
        )
    )
    assert {e["id"] for e in results(api, "/api/v1/events/?place=azerbaijan")} == expected
    # Place.clean() refuses cycles, but a bulk update can bypass it: the query must still terminate, with every
    # place on the cycle and below it.
    Place.objects.filter(slug="south-caucasus").update(parent=Place.objects.get(slug="baku"))
    everything_under_the_region = {e["id"] for e in results(api, "/api/v1/events/?place=south-caucasus")}
    assert everything_under_the_region > expected
    assert {e["id"] for e in results(api, "/api/v1/events/?place=azerbaijan")} == everything_under_the_region


@pytest.mark.parametrize("url", ["/api/v1/events/", "/api/v1/statements/"])
def test_the_count_reads_no_columns_or_joins_of_the_page(api, url):
    count = [sql for sql in page_queries(api, url, 2) if sql.startswith("SELECT COUNT(*)")]
    assert len(count) == 1 and "JOIN" not in count[0] and '"title"' not in count[0], count


def page_query(queries: list[str]) -> str:
    return next(sql for sql in queries if sql.startswith('SELECT "facts_event"."id" AS "id"'))


@pytest.mark.parametrize("url", ["/api/v1/events/?type=04", "/api/v1/events/?ordering=-title&page=2"])
def test_a_page_picks_its_ids_before_joining_places_and_types(api, url):
    sql = page_query(page_queries(api, url, 2))
    inner = sql[sql.index("IN (SELECT") :]
    picking = inner.split("LIMIT 2")[0]
    assert "LIMIT 2" in inner and "LEFT OUTER JOIN" not in picking and '"place__slug"' not in picking, sql


def test_a_page_ordered_through_a_join_is_read_in_one_query(api):
    sql = page_query(page_queries(api, "/api/v1/events/?actor=armenia", 2))
    assert '"pk" FROM' not in sql and "LIMIT 2" in sql, sql


def test_participant_prefetch_sorts_without_joining_events(api):
    queries = page_queries(api, "/api/v1/events/", 2)
    prefetch = [sql for sql in queries if sql.startswith('SELECT "facts_participant"')]
    assert len(prefetch) == 1 and 'JOIN "facts_event"' not in prefetch[0]


def test_statements_list_what_they_are_about_in_each_models_order(api):
    statements = {s["id"]: s for s in results(api, "/api/v1/statements/?page_size=500")}
    for statement in Statement.objects.all():
        got = statements[statement.id]
        assert [a["slug"] for a in got["about_actors"]] == list(
            statement.about_actors.order_by("name", "id").values_list("slug", flat=True)
        )
        assert [p["slug"] for p in got["about_places"]] == list(
            statement.about_places.order_by("name", "id").values_list("slug", flat=True)
        )
        assert [e["id"] for e in got["about_events"]] == list(
            statement.about_events.order_by(*DATE_ORDER).values_list("id", flat=True)
        )
    assert any(len(s["about_actors"]) > 1 for s in statements.values())
    assert any(s["about_places"] for s in statements.values()) and any(s["about_events"] for s in statements.values())


@pytest.mark.parametrize(
    "url, serializer_class",
    [("/api/v1/events/", serializers.EventSerializer), ("/api/v1/statements/", serializers.StatementSerializer)],
)
def test_a_hand_built_page_never_builds_drf_fields(api, monkeypatch, url, serializer_class):
    # DRF's fields (a deep copy of the declared ones plus a ModelSerializer introspection) cost about 1 ms a request:
    # a list builds its JSON from rows (facts.api.rows) and never instantiates the serializer that describes it.
    def refuse(*args, **kwargs):
        raise AssertionError(f"{serializer_class.__name__} was instantiated")

    page = get_json(api, f"{url}?page_size=3")
    monkeypatch.setattr(serializer_class, "__init__", refuse)
    assert get_json(api, f"{url}?page_size=3") == page
    assert list(page["results"][0]) == list(serializer_class.Meta.fields)


def test_fields_selection_skips_the_queries_of_unselected_relations(api):
    queries = page_queries(api, "/api/v1/statements/?fields=id,text,speaker", 5)
    assert len(queries) == 2, queries  # the count and the page
    queries = page_queries(api, "/api/v1/events/?fields=id,title,evidence", 5)
    assert len(queries) == 3 and "facts_evidencespan" in queries[-1], queries


# The (actor, date) index: participants carry a copy of their event's dates -----------------------------------------


def test_every_loaded_participant_carries_its_events_dates_and_type(article):
    rows = Participant.objects.values_list(
        "event_date_start",
        "event_date_end",
        "event_type_code",
        "event__date_start",
        "event__date_end",
        "event__event_type_id",
    )
    assert rows and all(row[:3] == row[3:] for row in rows)


def test_an_api_type_change_reaches_the_participants_copies(article, db):
    curator = APIClient()
    curator.force_authenticate(get_user_model().objects.create_superuser("curator", password="not-used"))
    event = Event.objects.filter(participants__isnull=False).exclude(event_type="191").order_by("id").first()
    response = curator.patch(f"/api/v1/events/{event.id}/", {"event_type": "191"}, format="json")
    assert response.status_code == 200, response.json()
    assert set(event.participants.values_list("event_type_code", flat=True)) == {"191"}
    found = results(curator, f"/api/v1/events/?actor={event.participants.first().actor.slug}&type=191&page_size=500")
    assert event.id in [e["id"] for e in found]


def test_an_api_date_change_reaches_the_participants_copies(article, db):
    curator = APIClient()
    curator.force_authenticate(get_user_model().objects.create_superuser("curator", password="not-used"))
    event = Event.objects.filter(participants__isnull=False).exclude(date_start__year=1990).order_by("id").first()
    change = {"date_text": "in 1990", "date_start": "1990-01-01", "date_end": "1990-12-31", "date_precision": "year"}
    response = curator.patch(f"/api/v1/events/{event.id}/", change, format="json")
    assert response.status_code == 200, response.json()
    assert set(event.participants.values_list("event_date_start", "event_date_end")) == {
        (date(1990, 1, 1), date(1990, 12, 31))
    }


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "armenia"},
        {"actor": "azerbaijan", "date_after": "2023-01-01"},
        {"actor": "antony-blinken", "date_after": "2023-04-29", "date_before": "2023-05-01"},
        {"actor": "armenia", "role": "party"},
        {"actor": ["armenia", "azerbaijan"]},
        {"actor": "armenia", "type": "04"},
        {"actor": "armenia", "type": "04", "role": "party", "date_after": "2023-02-15", "date_before": "2023-05-31"},
        {"actor": ["armenia", "azerbaijan"], "type": "04"},
    ],
)
def test_the_actor_filter_finds_and_orders_events_as_a_plain_exists_would(api, query):
    actors = query["actor"] if isinstance(query["actor"], list) else [query["actor"]]
    expected = Event.objects.order_by(*DATE_ORDER)
    for slug in actors:
        taking_part = Participant.objects.filter(
            event=OuterRef("pk"), actor__slug=slug, **({"role": query["role"]} if "role" in query else {})
        )
        expected = expected.filter(Exists(taking_part))
    expected = expected.filter(date_window(query.get("date_after"), query.get("date_before")))
    if "type" in query:
        expected = expected.filter(event_type__code__startswith=query["type"])
    found = [e["id"] for e in results(api, f"/api/v1/events/?{urlencode(query, doseq=True)}&page_size=500")]
    assert found == list(expected.values_list("id", flat=True)) and found


@pytest.fixture
def long_intervals(article):
    """Facts whose intervals are longer than the article's (a decade a curator typed in, and a year), one expected
    with its end unknown, and one undated, beside the article's open-start facts ("as of publication")."""
    event_type, speaker = Event.objects.first().event_type, Statement.objects.first().speaker
    armenia = Actor.objects.get(slug="armenia")
    decade = Event.objects.create(
        title="Through the decade",
        event_type=event_type,
        date_text="in the 2010s",
        date_start=date(2010, 1, 1),
        date_end=date(2019, 12, 31),
        date_precision="decade",
    )
    year = Event.objects.create(
        title="Through the year",
        event_type=event_type,
        date_text="in 2022",
        date_start=date(2022, 1, 1),
        date_end=date(2022, 12, 31),
        date_precision="year",
    )
    expected = Event.objects.create(
        title="Expected, its end unknown", event_type=event_type, date_start=date(2023, 5, 1), date_precision="open"
    )
    undated = Event.objects.create(title="Undated", event_type=event_type)
    for event in (decade, year, expected, undated):
        Participant.objects.create(event=event, actor=armenia, role="party")
    Statement.objects.create(
        speaker=speaker,
        text="Said over the decade",
        kind="paraphrase",
        date_text="in the 2010s",
        date_start=date(2010, 1, 1),
        date_end=date(2019, 12, 31),
        date_precision="decade",
    )
    Statement.objects.create(
        speaker=speaker, text="To be said", kind="paraphrase", date_start=date(2023, 5, 1), date_precision="open"
    )


WINDOWS = [
    {"date_after": "2019-06-01"},
    {"date_after": "2019-12-31", "date_before": "2020-01-01"},
    {"date_after": "2022-12-01", "date_before": "2023-04-30"},
    {"date_after": "2023-05-01"},
    {"date_after": "2011-01-01", "date_before": "2011-01-01"},
    {"date_before": "2010-01-01"},
    {"date_after": "2030-01-01"},
    {"date_before": "1900-01-01"},
]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(
    "model, filterset_class, extra",
    [
        (Event, EventFilterSet, {}),
        (Event, EventFilterSet, {"actor": ["armenia"]}),
        (Event, EventFilterSet, {"actor": ["armenia"], "type": "04"}),
        (Statement, StatementFilterSet, {}),
    ],
)
def test_a_date_window_finds_every_interval_overlapping_it_however_long(
    long_intervals, window, model, filterset_class, extra
):
    # The window's lower bound on date_start is `date_after` minus the longest interval in the table: the decade
    # must still be found by a window at its very end, ten years after it started.
    filterset = filterset_class(data={**window, **extra}, queryset=model.objects.order_by(*DATE_ORDER))
    assert filterset.is_valid(), filterset.errors
    unfiltered = filterset_class(data=extra, queryset=model.objects.order_by(*DATE_ORDER)).qs
    # Overlap, an unknown bound unbounded (an open start before any date, an open end after any), undated never.
    expected = [
        fact.id
        for fact in unfiltered
        if (fact.date_start, fact.date_end) != (None, None)
        and (
            "date_after" not in window
            or fact.date_end is None
            or fact.date_end >= date.fromisoformat(window["date_after"])
        )
        and (
            "date_before" not in window
            or fact.date_start is None
            or fact.date_start <= date.fromisoformat(window["date_before"])
        )
    ]
    assert list(filterset.qs.values_list("id", flat=True)) == expected
    assert filterset.qs.count() == len(expected)


def test_a_date_window_at_the_end_of_a_decade_finds_it_through_the_api(api, long_intervals):
    found = results(api, "/api/v1/events/?date_after=2019-12-31&date_before=2019-12-31")
    # The decade, and the facts whose start is unknown and which hold (or happened) up to publication: they may
    # have held in 2019. Those come first, as an unknown start does in date order.
    open_start = list(
        Event.objects.filter(date_start__isnull=True, date_end__isnull=False)
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert [e["title"] for e in found] == [*open_start, "Through the decade"] and len(open_start) >= 4
    titles = [e["title"] for e in results(api, "/api/v1/events/?actor=armenia&date_after=2019-12-31")]
    assert "Through the decade" in titles and "Through the year" in titles and "Expected, its end unknown" in titles
    assert "Undated" not in titles


def count_query(api, url: str) -> str:
    [sql] = [sql for sql in page_queries(api, url, 2) if "COUNT(*)" in sql]
    return sql


# Lists leave the extractor's candidates out (facts.selectors.planning.visible_participants): the one read of the
# events table a participant count may make, a subquery of the few candidate events, planned once (hashed).
CANDIDATES_SUBQUERY = re.compile(r'IN \(SELECT U\d+\."id" AS "id" FROM "facts_event" U\d+ WHERE U\d+\."status" = \S+\)')


@pytest.mark.parametrize(
    "query",
    [
        "actor=armenia",
        "actor=azerbaijan&date_after=2023-01-01",
        "actor=armenia&role=party",
        "actor=armenia&type=04",
        "actor=armenia&type=04&date_after=2023-02-15&date_before=2023-05-31&role=party",
        "actor=antony-blinken&date_after=2023-04-29&date_before=2023-05-01&ordering=-title",
    ],
)
def test_one_actors_events_are_counted_from_the_participant_index_alone(api, query):
    sql = count_query(api, f"/api/v1/events/?{query}")
    assert CANDIDATES_SUBQUERY.search(sql), sql
    rows_sql = CANDIDATES_SUBQUERY.sub("", sql)
    assert '"facts_participant"' in rows_sql and '"facts_event"' not in rows_sql, sql
    assert get_json(api, f"/api/v1/events/?{query}")["count"] == len(results(api, f"/api/v1/events/?{query}"))


@pytest.mark.parametrize(
    "query",
    [
        "actor=armenia&place=south-caucasus",
        "actor=armenia&actor=azerbaijan",
        "actor=armenia&search=the",
        "actor=armenia&status=reviewed",
        "actor=armenia&precision=day",
    ],
)
def test_an_actor_with_other_conditions_is_counted_on_the_events(api, query):
    sql = count_query(api, f"/api/v1/events/?{query}")
    assert '"facts_event"' in sql or "OVER ()" in sql, sql
    assert get_json(api, f"/api/v1/events/?{query}")["count"] == len(results(api, f"/api/v1/events/?{query}"))


def test_the_participant_count_is_only_used_when_nothing_else_narrows_the_events(article):
    narrowed = EventFilterSet(data={"actor": ["armenia"]}, queryset=Event.objects.filter(place__isnull=False))
    plain = EventFilterSet(data={"actor": ["armenia"]}, queryset=Event.objects.all())
    assert narrowed.plan().counted is None
    assert plain.plan().counted.count() == plain.qs.count() == Participant.objects.filter(actor__slug="armenia").count()


def test_the_actor_filter_keeps_an_ordering_asked_for(api):
    found = [e["title"] for e in results(api, "/api/v1/events/?actor=armenia&ordering=-title&page_size=500")]
    assert found == sorted(found, reverse=True) and len(found) > 2


def test_the_actor_filter_orders_by_the_participants_copy_of_the_dates(article):
    filterset = EventFilterSet(data={"actor": ["armenia"]}, queryset=Event.objects.order_by(*DATE_ORDER))
    assert filterset.is_valid(), filterset.errors
    queryset = filterset.qs
    assert queryset.query.order_by == (date_order("participants__event_date_start"), "participants__event_id")


# Capped count ---------------------------------------------------------------------------------------------------


@pytest.fixture
def cap_of_5(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)


def test_count_below_the_cap_is_exact(api):
    page = get_json(api, "/api/v1/events/?page_size=2")
    assert (page["count"], page["count_is_exact"]) == (Event.objects.count(), True)


def test_count_above_the_cap_is_the_cap_and_says_it_is_not_exact(api, cap_of_5):
    with CaptureQueriesContext(connection) as queries:
        page = get_json(api, "/api/v1/events/?page_size=2")
    assert (page["count"], page["count_is_exact"], len(page["results"])) == (5, False, 2)
    count_sql = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(count_sql) == 1 and "LIMIT 6" in count_sql[0]


def test_page_links_walk_past_the_cap_to_the_exact_end(api, cap_of_5):
    total = Event.objects.count()
    page, ids, counts = get_json(api, "/api/v1/events/?page_size=2"), [], []
    while True:
        ids += [e["id"] for e in page["results"]]
        counts.append((page["count"], page["count_is_exact"]))
        if not page["next"]:
            break
        page = get_json(api, page["next"])
    assert ids == list(Event.objects.order_by(*DATE_ORDER).values_list("id", flat=True))
    # Each deeper page counts far enough to know a next page exists; the last page knows the total.
    assert counts[0] == (5, False) and counts[3] == (8, False) and counts[-1] == (total, True)
    assert get_json(api, page["previous"])["next"] is not None


def test_last_page_and_a_page_past_the_end_know_the_total(api, cap_of_5):
    last = get_json(api, "/api/v1/events/?page_size=2&page=last")
    assert (last["count"], last["count_is_exact"], last["next"]) == (Event.objects.count(), True, None)
    missing = get_json(api, "/api/v1/events/?page_size=2&page=12", status=404)
    assert "11 page(s)" in str(missing)


def test_a_page_number_too_large_for_a_limit_is_a_400(api):
    page = get_json(api, "/api/v1/events/?page=99999999999999999999", status=400)
    assert "page" in str(page)


def test_the_schema_documents_the_count_cap(api):
    schema = get_json(api, "/api/schema/?format=json")
    envelope = schema["components"]["schemas"]["PaginatedEventList"]["properties"]
    assert envelope["count_is_exact"]["type"] == "boolean"
    assert f"{pagination.COUNT_CAP:,}" in envelope["count"]["description"]


# Search -----------------------------------------------------------------------------------------------------------


def pick_with_count(queries: list[str]) -> list[str]:
    return [sql for sql in queries if "COUNT(*) OVER ()" in sql]


@pytest.mark.parametrize(
    "url, model", [("/api/v1/events/?search=the", Event), ("/api/v1/statements/?search=the", Statement)]
)
def test_a_search_finds_its_matches_once_for_the_count_and_the_page(api, url, model, cap_of_5):
    with CaptureQueriesContext(connection) as queries:
        page = get_json(api, f"{url}&page_size=2&page=2")
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(pick_with_count(sql)) == 1 and not [q for q in sql if q.startswith("SELECT COUNT(*) FROM")], sql
    # The page itself is then read by id: the search's conditions run once (an estimate only plans them).
    assert sum("%the%" in q.lower() for q in sql if "facts_text_estimate" not in q) == 1, sql
    filterset = (EventFilterSet if model is Event else StatementFilterSet)(
        data={"search": "the"}, queryset=model.objects.order_by(*DATE_ORDER)
    )
    expected = list(filterset.qs.values_list("id", flat=True))
    # Counting with the page costs nothing more, so the count is exact even past the cap.
    assert len(expected) > 5 and (page["count"], page["count_is_exact"]) == (len(expected), True)
    assert [item["id"] for item in page["results"]] == expected[2:4]
    assert [item["id"] for item in results(api, f"{url}&page_size=3")] == expected


def test_a_search_keeps_the_ordering_asked_for_and_the_actors_order(api):
    by_title = results(api, "/api/v1/events/?search=the&ordering=-title&page_size=3")
    assert [e["title"] for e in by_title] == sorted((e["title"] for e in by_title), reverse=True)
    with_actor = [e["id"] for e in results(api, "/api/v1/events/?search=talks&actor=armenia&page_size=2")]
    assert (
        with_actor
        == list(
            Event.objects.filter(
                pk__in=[e["id"] for e in results(api, "/api/v1/events/?search=talks")],
                participants__actor__slug="armenia",
            )
            .order_by(*DATE_ORDER)
            .values_list("id", flat=True)
        )
        and with_actor
    )


def test_a_search_page_past_the_end_or_with_nothing_found_still_knows_the_total(api):
    total = get_json(api, "/api/v1/events/?search=talks")["count"]
    missing = get_json(api, f"/api/v1/events/?search=talks&page_size=1&page={total + 1}", status=404)
    assert f"{total} page(s)" in str(missing)
    last = get_json(api, "/api/v1/events/?search=talks&page_size=1&page=last")
    assert (last["count"], last["next"], len(last["results"])) == (total, None, 1)
    nothing = get_json(api, "/api/v1/events/?search=zzz-nothing")
    assert (nothing["count"], nothing["count_is_exact"], nothing["results"]) == (0, True, [])


def test_only_a_search_picks_its_page_with_the_count(api):
    # Elsewhere the page is the first rows of an index; a window count would read every match instead.
    assert not pick_with_count(page_queries(api, "/api/v1/events/?type=04", 2))
    assert not pick_with_count(page_queries(api, "/api/v1/events/?actor=armenia", 2))


@pytest.mark.parametrize("text", ["the", "talks", "Mirzoyan", "baku", "zzz-nothing"])
def test_a_search_alone_picks_its_page_from_the_union_in_the_same_order_and_total(article, text):
    filterset = EventFilterSet(data={"search": text}, queryset=Event.objects.order_by(*DATE_ORDER))
    expected = list(filterset.qs.values_list("id", flat=True))
    assert filterset.plan().matches is not None
    picked = pages.pick_from_matches(planning.event_search_matches(text), 0, 1000)
    assert [pk for pk, _ in picked] == expected
    assert {total for _, total in picked} == ({len(expected)} if expected else set())
    # A later page starts where the one before it ended.
    assert [pk for pk, _ in pages.pick_from_matches(planning.event_search_matches(text), 2, 3)] == expected[2:5]


def test_a_search_alone_reads_match_dates_from_the_participant_copy(api):
    sql = pick_with_count(page_queries(api, "/api/v1/events/?search=talks", 2))
    assert len(sql) == 1 and "UNION" in sql[0] and "event_date_start" in sql[0], sql


@pytest.mark.parametrize(
    "query", ["search=talks&actor=armenia", "search=talks&ordering=-title", "search=talks&type=04"]
)
def test_a_search_with_other_filters_or_another_order_picks_from_the_events_table(article, query):
    filterset = EventFilterSet(data=QueryDict(query), queryset=Event.objects.order_by(*DATE_ORDER))
    assert filterset.is_valid(), filterset.errors
    assert filterset.plan().matches is None


def walk_every_search_from_now(monkeypatch):
    """Every search alone walks the date order on PostgreSQL, whatever share of the table the planner expects."""
    monkeypatch.setattr(planning, "BROAD_SEARCH_SHARE", 0)
    monkeypatch.setattr(planning, "BROAD_SEARCH_MIN_ROWS", 0)


@pytest.fixture
def walk_every_search(monkeypatch):
    walk_every_search_from_now(monkeypatch)


@pytest.fixture
def named_only_elsewhere(article):
    """Two events whose titles never name the text: one at a place so named, one with an actor so aliased."""
    event_type = Event.objects.first().event_type
    dates = {"date_start": date(2023, 5, 2), "date_end": date(2023, 5, 2), "date_precision": "day"}
    place = Place.objects.create(slug="quietville", name="Quietville", kind="city")
    Event.objects.create(title="A gathering", event_type=event_type, place=place, **dates)
    actor = Actor.objects.create(slug="unnamed-envoy", name="An envoy", kind="person")
    ActorAlias.objects.create(actor=actor, name="Quietvoice")
    met = Event.objects.create(title="Another gathering", event_type=event_type, **dates)
    Participant.objects.create(
        event=met, actor=actor, role="party", event_date_start=met.date_start, event_date_end=met.date_end
    )


@pytest.mark.parametrize(
    "text", ["the", "talks", "Mirzoyan", "baku", "quiet", "Quietville", "Quietvoice", "zzz-nothing"]
)
def test_the_date_order_walk_matches_what_the_union_matches_in_the_same_order(named_only_elsewhere, text):
    actor_ids = [row["id"] for row in matching_actor_ids(text)]
    walked = Event.objects.filter(planning.event_search_walk(text, actor_ids)).order_by(*DATE_ORDER)
    unioned = EventFilterSet(data={"search": text}, queryset=Event.objects.order_by(*DATE_ORDER)).qs
    assert list(walked.values_list("id", flat=True)) == list(unioned.values_list("id", flat=True))
    assert text != "quiet" or walked.filter(title__endswith="gathering").count() == 2


@postgres_only
@pytest.mark.parametrize(
    "resource, text, ordering",
    [
        *[("events", text, "") for text in ("the", "talks", "quiet", "zzz-nothing")],
        *[("events", "the", ordering) for ordering in ("-date_end", "title", "-type", "updated_at", "-id")],
        *[("statements", text, "") for text in ("the", "Blinken", "zzz-nothing")],
        *[("statements", "the", ordering) for ordering in ("-date_start", "kind", "-updated_at")],
    ],
)
def test_a_walked_search_answers_the_page_a_sorted_search_answers(
    api, named_only_elsewhere, monkeypatch, resource, text, ordering
):
    # A broad search walks the list's order, whichever it is (planning.search_alone_plan); a narrow one sorts.
    url = f"/api/v1/{resource}/?search={text}&page_size=3" + (f"&ordering={ordering}" if ordering else "")

    def answers():
        return [
            (response.status_code, json.loads(body(response)))
            for response in (api.get(f"{url}&page={n}") for n in (1, 2))
        ]

    sorted_pages = answers()
    walk_every_search_from_now(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        walked_pages = answers()
    assert not pick_with_count([q["sql"] for q in queries.captured_queries])
    assert walked_pages == sorted_pages


@pytest.mark.parametrize("text", ["the", "lachin", "State Department", "Blinken", "Mirzoyan", "zzz-nothing"])
def test_a_statement_walk_matches_what_the_union_matches_in_the_same_order(article, text):
    actor_ids = [row["id"] for row in matching_actor_ids(text)]
    walked = Statement.objects.filter(planning.statement_search_walk(text, actor_ids)).order_by(*DATE_ORDER)
    unioned = StatementFilterSet(data={"search": text}, queryset=Statement.objects.order_by(*DATE_ORDER)).qs
    assert list(walked.values_list("id", flat=True)) == list(unioned.values_list("id", flat=True))


@postgres_only
def test_a_walked_search_counts_up_to_the_cap_like_any_list(api, walk_every_search, cap_of_5):
    expected = list(Event.objects.filter(old_event_search("the")).order_by(*DATE_ORDER).values_list("id", flat=True))
    with CaptureQueriesContext(connection) as queries:
        page = get_json(api, "/api/v1/events/?search=the&page_size=2&page=2")
    sql = view_queries(queries)
    assert len(expected) > 5 and (page["count"], page["count_is_exact"]) == (5, False)
    assert [item["id"] for item in page["results"]] == expected[2:4]
    assert not pick_with_count(sql) and len(sql) <= 5, sql
    assert [q for q in sql if q.startswith("SELECT COUNT(*) FROM") and "LIMIT 6" in q], sql


@postgres_only
def test_only_a_text_in_much_of_a_large_table_is_walked(filler, monkeypatch):
    def walked(text: str) -> bool:
        filterset = EventFilterSet(data={"search": text}, queryset=Event.objects.order_by(*DATE_ORDER))
        return not filterset.plan().count_with_page

    # 10,000 filler events: below the size at which any text is walked, then, that size lowered, above it.
    assert not walked("filler meeting")
    monkeypatch.setattr(planning, "BROAD_SEARCH_MIN_ROWS", 5000)
    assert walked("filler meeting") and walked("Filler") and not walked("colonna") and not walked("number 123")
    filterset = EventFilterSet(data={"search": "filler meeting"}, queryset=Event.objects.order_by(*DATE_ORDER))
    plan = filterset.plan().queryset[:50].explain()
    assert "event_date_order" in plan and "Seq Scan on facts_event" not in plan, plan


@postgres_only
def test_only_a_text_in_much_of_a_large_statement_table_is_walked(filler, monkeypatch):
    def walked(text: str) -> bool:
        filterset = StatementFilterSet(data={"search": text}, queryset=Statement.objects.order_by(*DATE_ORDER))
        return not filterset.plan().count_with_page

    # 10,000 filler statements, all "Filler remark <n>": walked only once the size threshold is below that.
    assert not walked("filler remark")
    monkeypatch.setattr(planning, "BROAD_SEARCH_MIN_ROWS", 5000)
    assert walked("filler remark") and walked("Remark") and not walked("lachin") and not walked("remark 123")
    filterset = StatementFilterSet(data={"search": "filler remark"}, queryset=Statement.objects.order_by(*DATE_ORDER))
    plan = filterset.plan().queryset[:50].explain()
    assert "statement_date_order" in plan and "Seq Scan on facts_statement" not in plan, plan


def old_event_search(text: str) -> Q:
    """The search as one OR of icontains conditions: what the indexable UNION form must still mean."""
    alias = ActorAlias.objects.filter(actor=OuterRef("actor"), name__icontains=text)
    participants = Participant.objects.filter(event=OuterRef("pk")).filter(
        Q(actor__name__icontains=text) | Q(Exists(alias))
    )
    return (
        Q(title__icontains=text)
        | Q(description__icontains=text)
        | Q(place__name__icontains=text)
        | Q(Exists(participants))
    )


@pytest.mark.parametrize("text", ["colonna", "Mirzoyan", "baku", "US diplomat", "moscow", "talks", "zzz-nothing"])
def test_event_search_matches_what_the_plain_or_of_conditions_matches(article, text):
    found = set(EventFilterSet(data={"search": text}, queryset=Event.objects.all()).qs.values_list("id", flat=True))
    assert found == set(Event.objects.filter(old_event_search(text)).values_list("id", flat=True))


@pytest.mark.parametrize("text", ["lachin", "State Department", "Blinken", "zzz-nothing"])
def test_statement_search_matches_what_the_plain_or_of_conditions_matches(article, text):
    alias = ActorAlias.objects.filter(actor=OuterRef("speaker"), name__icontains=text)
    plain = Q(text__icontains=text) | Q(channel__icontains=text) | Q(speaker__name__icontains=text) | Q(Exists(alias))
    found = StatementFilterSet(data={"search": text}, queryset=Statement.objects.all()).qs
    assert set(found.values_list("id", flat=True)) == set(Statement.objects.filter(plain).values_list("id", flat=True))


TRIGRAM_INDEXES = {
    "event_title_trgm",
    "event_description_trgm",
    "statement_text_trgm",
    "statement_channel_trgm",
    "actor_name_trgm",
    "actoralias_name_trgm",
    "place_name_trgm",
}


@postgres_only
def test_api_sessions_run_queries_without_parallel_workers(article):
    # Starting a worker costs a short page query more than it saves (settings, DATABASE_PG_OPTIONS).
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


@postgres_only
def test_trigram_indexes_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE %s", ["%_trgm"])
        found = dict(cursor.fetchall())
    assert set(found) == TRIGRAM_INDEXES
    assert all("gin_trgm_ops" in definition and "upper(" in definition for definition in found.values())


@pytest.fixture
def filler(article):
    """Thousands of rows beside the article's, so that the planner weighs an index against a scan of real size."""
    n = range(10000)
    event_type, speaker = Event.objects.first().event_type, Statement.objects.first().speaker
    actors = Actor.objects.bulk_create(
        Actor(slug=f"filler-{i}", name=f"Filler person {i}", kind="person") for i in range(2000)
    )
    ActorAlias.objects.bulk_create(ActorAlias(actor=actors[i % 2000], name=f"Filler alias {i}") for i in n)
    Place.objects.bulk_create(Place(slug=f"filler-{i}", name=f"Filler town {i}", kind="city") for i in range(2000))
    Event.objects.bulk_create(Event(title=f"Filler meeting number {i}", event_type=event_type) for i in n)
    Statement.objects.bulk_create(Statement(speaker=speaker, text=f"Filler remark {i}", kind="quote") for i in n)
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE facts_event, facts_statement, facts_actor, facts_actoralias, facts_place, facts_participant"
        )
        # Rows a bulk insert puts into a GIN index wait in its pending list until a VACUUM merges them, and the
        # planner prices a trigram scan with that list: on a server without autovacuum (as CI's may be) it then
        # prefers sweeping another index. Merge them, as autovacuum would, so the plans are those of a kept table.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class c ON c.oid = indexrelid "
            "JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'gin'"
        )


def plan_without_seqscan(queryset) -> str:
    """EXPLAIN of a queryset with sequential scans priced out: a shape that can use an index then does."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")


def full_sorts(plan: str) -> list[str]:
    """The plan's Sort nodes that sort every row they are given (an Incremental Sort only sorts runs of equal keys)."""
    return [line for line in plan.splitlines() if re.search(r"(^|->  )Sort  \(", line.strip())]


@postgres_only
@pytest.mark.parametrize(
    "filterset_class, ordering",
    [
        (filterset_class, f"{sign}{name}")
        for filterset_class in (EventFilterSet, StatementFilterSet)
        for name in filterset_class.base_filters["ordering"].param_map
        for sign in ("", "-")
    ],
)
def test_every_sort_order_offered_reads_a_page_from_an_index_without_sorting_the_table(
    filler, filterset_class, ordering
):
    filterset = filterset_class(
        data={"ordering": ordering}, queryset=filterset_class.Meta.model.objects.order_by(*DATE_ORDER)
    )
    assert filterset.is_valid(), filterset.errors
    plan = plan_without_seqscan(filterset.qs[:50])
    assert not full_sorts(plan), plan


@postgres_only
def test_event_type_counts_read_the_type_index_alone(filler):
    from facts.api.views import EventTypeViewSet

    plan = plan_without_seqscan(EventTypeViewSet.queryset[:50])
    assert "Index Only Scan using facts_event_event_type_id" in plan, plan


def test_ties_are_broken_by_id_in_the_direction_of_the_first_sort_key(article):
    for filterset_class, ordering, tie in [
        (StatementFilterSet, "-date_end", "-pk"),
        (EventFilterSet, "title", "pk"),
        (StatementFilterSet, "-kind,date_start", "-pk"),
    ]:
        filterset = filterset_class(data={"ordering": ordering}, queryset=filterset_class.Meta.model.objects.all())
        assert filterset.is_valid(), filterset.errors
        assert filterset.qs.query.order_by[-1] == tie
    found = [
        (e["date_end"] or "", e["id"]) for e in results(APIClient(), "/api/v1/events/?ordering=-date_end&page_size=500")
    ]
    with_date = [row for row in found if row[0]]
    assert with_date == sorted(with_date, reverse=True) and len(with_date) > 10


@postgres_only
@pytest.mark.parametrize(
    "model, field, index",
    [
        (Actor, "name", "actor_name_trgm"),
        (ActorAlias, "name", "actoralias_name_trgm"),
        (Place, "name", "place_name_trgm"),
    ],
)
def test_the_names_search_looks_up_first_are_trigram_indexed(filler, model, field, index):
    # These small tables are searched first, in their own UNION branches, for the ids that the big tables are then
    # filtered by; at this size the planner may still prefer to sweep another index, so each is checked alone.
    plan = plan_without_seqscan(model.objects.filter(**{f"{field}__icontains": "colonna"}).order_by().values("pk"))
    assert index in plan, plan


@postgres_only
@pytest.mark.parametrize(
    "query",
    [
        {"actor": ["armenia"]},
        {"actor": ["armenia"], "date_after": "2023-01-01", "date_before": "2023-12-31", "type": "04"},
    ],
)
def test_the_actor_filter_walks_the_actor_date_index(filler, query):
    # Armenia takes part in thousands of consultations, as a frequent actor does at scale, spread over 2020-2024.
    armenia = Actor.objects.get(slug="armenia")
    Event.objects.filter(title__startswith="Filler").update(event_type="040")
    for year in range(2020, 2025):
        Event.objects.filter(
            title__startswith="Filler",
            id__in=Event.objects.filter(title__startswith="Filler")
            .order_by("id")
            .values("id")[(year - 2020) * 2000 : (year - 2019) * 2000],
        ).update(
            date_text=f"in {year}", date_start=date(year, 1, 1), date_end=date(year, 12, 31), date_precision="year"
        )
    Participant.objects.bulk_create(
        Participant(
            event=event,
            actor=armenia,
            role="party",
            event_date_start=event.date_start,
            event_date_end=event.date_end,
            event_type_code=event.event_type_id,
        )
        for event in Event.objects.filter(title__startswith="Filler")
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE facts_event, facts_participant")
    filterset = EventFilterSet(data=query, queryset=Event.objects.order_by(*DATE_ORDER))
    assert filterset.is_valid(), filterset.errors
    plan = plan_without_seqscan(filterset.qs[:50])
    assert "participant_actor_date" in plan, plan
    # The count reads the actor's entries in the index alone: the dates and the type are copies held there.
    with CaptureQueriesContext(connection) as queries:
        assert selectors.list_page(filterset.plan(), number=1, size=50, cap=pagination.COUNT_CAP).count > 0
    [count_sql] = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {count_sql}")
        count_plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Index Only Scan" in count_plan and "on facts_participant" in count_plan, count_plan
    if "type" in query:
        assert "Index Only Scan using participant_actor_date" in count_plan, count_plan
    # The candidate events are looked up once, by the status index, and tested per row as a hashed set.
    assert "hashed SubPlan" in count_plan, count_plan
    per_row = "\n".join(line for line in count_plan.splitlines() if "facts_event_status" not in line)
    assert "on facts_event " not in per_row.replace("using event_span on facts_event ", ""), count_plan


@postgres_only
@pytest.mark.parametrize("model, filterset_class", [(Event, EventFilterSet), (Statement, StatementFilterSet)])
def test_a_date_window_seeks_to_the_longest_interval_before_it(filler, model, filterset_class):
    # The filler facts, one a day from 1990 to 2014: a window in 2014 must not read the index from 1990 on.
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET date_start = DATE '1990-01-01' + mod(id, 9000)::int, "
            f"date_end = DATE '1990-01-01' + mod(id, 9000)::int, date_precision = 'day' "
            f"WHERE date_start IS NULL"
        )
        cursor.execute(f"ANALYZE {table}")
    filterset = filterset_class(
        data={"date_after": "2014-01-01", "date_before": "2014-01-31"}, queryset=model.objects.order_by(*DATE_ORDER)
    )
    assert filterset.is_valid(), filterset.errors
    assert filterset.qs.count() > 20
    span = f"Index Scan Backward using {table.removeprefix('facts_')}_span"
    for plan in (
        plan_without_seqscan(filterset.qs.values("id")[:50]),
        plan_without_seqscan(filterset.qs.values("id")[:10001]),
    ):
        assert span in plan and "(date_start >= ('2014-01-01'::date - $" in plan, plan


@pytest.mark.parametrize("model, index", [(Event, "event_date_order"), (Statement, "statement_date_order")])
def test_the_date_order_index_holds_the_end_date_on_every_database(model, index):
    # Not as INCLUDE, which SQLite lacks: without date_end there, SQLite walked this index for a date window and read
    # every fact's row to test its end (383 ms against 57 ms over 10^6 events).
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    assert constraints[index]["columns"] == ["date_start", "id", "date_end"]


@postgres_only
@pytest.mark.parametrize("model, index", [(Event, "event_date_order"), (Statement, "statement_date_order")])
def test_a_page_in_date_order_sorts_nothing_when_thousands_share_a_start_date(filler, model, index):
    # As "in 2012" starts thousands of events on 1 January at scale: the page is the first 50 index entries.
    model.objects.filter(date_start__isnull=True).update(
        date_start=date(2012, 1, 1), date_end=date(2012, 12, 31), date_precision="year"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")
    plan = plan_without_seqscan(model.objects.order_by(*DATE_ORDER).values("id")[:50])
    assert f"using {index}" in plan and "Sort" not in plan, plan


@postgres_only
def test_event_search_is_served_by_the_trigram_indexes(filler):
    plan = plan_without_seqscan(EventFilterSet(data={"search": "colonna"}, queryset=Event.objects.all()).qs)
    for index in ("event_title_trgm", "event_description_trgm"):
        assert index in plan, plan
    assert "Seq Scan" not in plan and "participant_actor_date" in plan, plan


@postgres_only
def test_a_search_alone_sorts_its_matches_without_looking_each_up_in_the_events_table(filler):
    sql, params = planning.event_search_matches("colonna").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {pages.pick_sql(sql)}", [*params, 50, 0])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    for index in ("event_title_trgm", "event_description_trgm"):
        assert index in plan, plan
    # The actor branch reads each match's date from its participant row (from the index alone once vacuumed); no
    # match is looked up by id in the events table.
    assert "participant_actor_date" in plan and "facts_event_pkey" not in plan, plan


@postgres_only
def test_statement_search_is_served_by_the_trigram_indexes(filler):
    plan = plan_without_seqscan(StatementFilterSet(data={"search": "lachin"}, queryset=Statement.objects.all()).qs)
    for index in ("statement_text_trgm", "statement_channel_trgm"):
        assert index in plan, plan
    assert "Seq Scan" not in plan and "facts_statement_speaker_id" in plan, plan
