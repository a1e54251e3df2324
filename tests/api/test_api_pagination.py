"""Pagination (numbered and cursor), its parameter errors, and a query count that does not grow with page size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facts.models import (
    Actor,
    ActorAlias,
    Event,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)
from tests.article_api import api_fixture, article_fixture, error_names, get_json, results  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/events/",
    "/api/v1/statements/",
    "/api/v1/relations/",
    "/api/v1/actors/",
    "/api/v1/places/",
    "/api/v1/sources/",
    "/api/v1/event-types/",
]


def test_envelope_and_page_links(api):
    first = get_json(api, "/api/v1/events/?page_size=8")
    assert (first["count"], first["previous"], len(first["results"])) == (22, None, 8)
    second = get_json(api, first["next"])
    third = get_json(api, second["next"])
    assert len(third["results"]) == 6 and third["next"] is None
    assert get_json(api, third["previous"]) == second
    ids = [e["id"] for page in (first, second, third) for e in page["results"]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 22
    assert get_json(api, "/api/v1/events/?page_size=8&page=last")["results"] == third["results"]


def test_default_page_size_is_50_and_500_is_allowed(api):
    assert len(get_json(api, "/api/v1/event-types/")["results"]) == 50
    assert (
        len(get_json(api, "/api/v1/event-types/?page_size=500")["results"])
        == get_json(api, "/api/v1/event-types/")["count"]
    )


@pytest.mark.parametrize(
    "query, name",
    [
        ("page_size=501", "page_size"),
        ("page_size=1000", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=-1", "page_size"),
        ("page_size=abc", "page_size"),
        ("page_size=1.5", "page_size"),
        ("page=0", "page"),
        ("page=-2", "page"),
        ("page=abc", "page"),
        ("mode=fast", "mode"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=%00", "cursor"),
        ("mode=cursor&page=2", "page"),
        ("mode=cursor&ordering=title", "ordering"),
        ("mode=cursor&page_size=9999", "page_size"),
    ],
)
def test_bad_paging_parameters_are_400s_naming_them(api, query, name):
    assert name in error_names(api, f"/api/v1/events/?{query}")


def test_a_page_past_the_last_is_a_json_404(api):
    assert get_json(api, "/api/v1/events/?page=99", status=404)


def test_cursor_mode_walks_every_item_once_in_id_order(api):
    page = get_json(api, "/api/v1/events/?mode=cursor&page_size=4")
    assert "count" not in page and page["previous"] is None
    ids = [e["id"] for e in page["results"]]
    while page["next"]:
        page = get_json(api, page["next"])
        ids += [e["id"] for e in page["results"]]
    assert ids == sorted(Event.objects.values_list("id", flat=True))
    # Filters apply in cursor mode too.
    assert [e["title"] for e in results(api, "/api/v1/events/?mode=cursor&page_size=1&type=040")] == [
        "Trilateral meeting of Blinken with Armenia and Azerbaijan in November",
        "Blinken speaks with Nikol Pashinyan",
    ]


@pytest.mark.parametrize("url", LISTS)
def test_cursor_mode_walks_every_list_whatever_its_key(api, url):
    # Event types are keyed by CAMEO code, events and statements are paged as plain rows: each must still page.
    model_count = get_json(api, f"{url}?page_size=500")["count"]
    page, seen = get_json(api, f"{url}?mode=cursor&page_size=3"), 0
    seen += len(page["results"])
    while page["next"]:
        page = get_json(api, page["next"])
        seen += len(page["results"])
    assert seen == model_count > 0


def walk(client, url: str) -> list[dict]:
    """Every item of a list, page by page (numbered or cursor), following `next`."""
    page = get_json(client, url)
    items = list(page["results"])
    while page["next"]:
        page = get_json(client, page["next"])
        items += page["results"]
    return items


def date_key(value):
    """The documented position of a date ascending: a missing one (None) before every date, whatever the database."""
    return value is not None, value or ""


@pytest.fixture
def undated_event(article):
    """An event with no date at all, beside the article's open-start ones (their start unknown)."""
    return Event.objects.create(title="An undated event", event_type_id="010")


@pytest.mark.parametrize("resource", ["events", "statements"])
def test_the_default_date_order_puts_missing_starts_first_on_every_database(api, undated_event, resource):
    items = walk(api, f"/api/v1/{resource}/?page_size=3&fields=id,date_start")
    assert [(i["date_start"], i["id"]) for i in items] == sorted(
        ((i["date_start"], i["id"]) for i in items), key=lambda row: (date_key(row[0]), row[1])
    )
    assert items[0]["date_start"] is None and items[-1]["date_start"] is not None
    assert len(items) == get_json(api, f"/api/v1/{resource}/")["count"]


@pytest.mark.parametrize("ordering", ["date_start", "-date_start", "date_end", "-date_end"])
def test_every_date_ordering_puts_a_missing_date_in_one_place_on_every_database(api, undated_event, ordering):
    field, descending = ordering.removeprefix("-"), ordering.startswith("-")
    items = walk(api, f"/api/v1/events/?ordering={ordering}&page_size=4&fields=id,{field}")
    # A missing date first ascending, last descending; ties broken by id, in the direction of the date.
    dated = sorted(((i[field], i["id"]) for i in items if i[field] is not None), reverse=descending)
    missing = sorted((i["id"] for i in items if i[field] is None), reverse=descending)
    expected = [pk for _, pk in dated] + missing if descending else missing + [pk for _, pk in dated]
    assert [i["id"] for i in items] == expected
    assert undated_event.pk in missing
    if descending:
        assert [i["id"] for i in items[-len(missing) :]] == missing
    else:
        assert [i["id"] for i in items[: len(missing)]] == missing


@pytest.mark.parametrize(
    "query",
    [
        "",
        "ordering=-date_end",
        "ordering=title",
        "ordering=-type",
        "ordering=updated_at",
        "actor=armenia",
        "actor=armenia&ordering=-date_start",
        "type=04",
    ],
)
def test_pages_past_the_middle_and_page_last_equal_the_forward_read(api, undated_event, query):
    # Pages in the second half of a counted list are read in the reversed order (facts.selectors.pages.page_rows):
    # they must hold exactly the rows, in the order, that reading forward gives, missing dates and ties included.
    url = f"/api/v1/events/?{query}&fields=id" if query else "/api/v1/events/?fields=id"
    forward = [i["id"] for i in get_json(api, f"{url}&page_size=500")["results"]]
    size = 3
    pages = [
        get_json(api, f"{url}&page_size={size}&page={n}")["results"] for n in range(1, -(-len(forward) // size) + 1)
    ]
    assert [i["id"] for page in pages for i in page] == forward
    last = get_json(api, f"{url}&page_size={size}&page=last")
    assert [i["id"] for i in last["results"]] == forward[(len(forward) - 1) // size * size :]
    assert last["next"] is None


def test_a_search_alone_keeps_the_same_date_order(api, undated_event):
    # A search alone picks its page from a UNION of matches (facts.api.pagination.pick_sql), in the lists' order.
    items = walk(api, "/api/v1/events/?search=the&page_size=5&fields=id,date_start")
    assert [(i["date_start"], i["id"]) for i in items] == sorted(
        ((i["date_start"], i["id"]) for i in items), key=lambda row: (date_key(row[0]), row[1])
    )
    assert items[0]["date_start"] is None


@pytest.mark.parametrize("query", ["", "&date_after=2023-04-01", "&date_before=2023-04-30", "&precision=open"])
def test_cursor_mode_pages_facts_with_missing_dates_by_id(api, undated_event, query):
    # The cursor holds only the last id seen: a NULL date (undated, or an unknown start) never reaches it.
    for resource in ("events", "statements", "relations"):
        items = walk(api, f"/api/v1/{resource}/?mode=cursor&page_size=2&fields=id{query}")
        numbered = walk(api, f"/api/v1/{resource}/?page_size=500&fields=id{query}")
        assert [i["id"] for i in items] == sorted(i["id"] for i in numbered) and items


def test_cursor_pages_seek_by_id_instead_of_counting_or_offsetting(api):
    url = "/api/v1/events/?mode=cursor&page_size=2"
    with CaptureQueriesContext(connection) as first:
        page = get_json(api, url)
    for _ in range(5):
        page = get_json(api, page["next"])
    with CaptureQueriesContext(connection) as deep:
        get_json(api, page["next"])
    assert len(deep) == len(first)
    main = [q["sql"] for q in deep.captured_queries if 'FROM "facts_event"' in q["sql"]][0].upper()
    assert "OFFSET" not in main and "COUNT(" not in main and '"FACTS_EVENT"."ID" >' in main


@pytest.fixture
def many_rows(article, db):
    """60 more of everything, linked like the article's facts, so that a page of 50 is full."""
    n = range(60)
    source = Source.objects.get()
    span = EvidenceSpan.objects.filter(event__isnull=False).first()
    known = list(Actor.objects.all()[:2])
    baku = Place.objects.get(slug="baku")
    event_type, parent = Event.objects.first().event_type, Event.objects.first()
    Source.objects.bulk_create(
        Source(
            slug=f"extra-{i}",
            title=f"Extra {i}",
            published="2023-05-02",
            text=f"Text {i}",
            checksum=Source.checksum_of(f"Text {i}"),
        )
        for i in n
    )
    actors = Actor.objects.bulk_create(Actor(slug=f"extra-{i}", name=f"Extra {i}", kind="person") for i in n)
    ActorAlias.objects.bulk_create(ActorAlias(actor=a, name=f"X {a.name}") for a in actors)
    Place.objects.bulk_create(Place(slug=f"extra-{i}", name=f"Extra {i}", kind="city", parent=baku) for i in n)
    events = Event.objects.bulk_create(
        Event(title=f"Extra {i}", event_type=event_type, place=baku, parent=parent) for i in n
    )
    Participant.objects.bulk_create(
        Participant(event=e, actor=who, role=role)
        for e, a in zip(events, actors, strict=False)
        for role, who in zip(("initiator", "target", "attendee"), [a, *known], strict=False)
    )
    statements = Statement.objects.bulk_create(
        Statement(speaker=a, text=f"Said {a.name}", kind="quote", event=e) for e, a in zip(events, actors, strict=False)
    )
    for through, field, targets in (
        (Statement.about_actors.through, "actor", known),
        (Statement.about_places.through, "place", [baku]),
        (Statement.about_events.through, "event", [parent]),
    ):
        through.objects.bulk_create(through(statement=s, **{field: t}) for s in statements for t in targets)
    relations = Relation.objects.bulk_create(Relation(subject=a, object=known[0], type="supports") for a in actors)
    EvidenceSpan.objects.bulk_create(
        EvidenceSpan(source=source, start=span.start, end=span.end, quote=span.quote, **{name: fact})
        for name, facts in (("event", events), ("statement", statements), ("relation", relations))
        for fact in facts
    )


@pytest.mark.parametrize("url", LISTS)
def test_query_count_does_not_grow_with_page_size(api, many_rows, url):
    counts = []
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            page = get_json(api, f"{url}?page_size={size}")
        assert len(page["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], (url, counts)


def test_event_list_page_takes_at_most_five_queries_besides_the_one_read_of_the_data_version(api, many_rows):
    with CaptureQueriesContext(connection) as queries:
        get_json(api, "/api/v1/events/?page_size=50&actor=antony-blinken&type=04")
    sql = [q["sql"] for q in queries.captured_queries]
    version_reads = [q for q in sql if '"facts_dataversion"' in q]
    assert len(version_reads) == 1  # facts.api.caching: the key and validators of the answer
    assert len(sql) - len(version_reads) <= 5, sql


@pytest.mark.parametrize(
    "url", ["/api/v1/events/21/", "/api/v1/actors/antony-blinken/", "/api/v1/places/baku/", "/api/v1/statements/5/"]
)
def test_detail_query_count_does_not_grow_with_related_rows(api, url):
    with CaptureQueriesContext(connection) as before:
        get_json(api, url)
    Event.objects.create(
        title="More",
        event_type=Event.objects.first().event_type,
        place=Place.objects.get(slug="baku"),
        parent=Event.objects.get(pk=21),
    )
    with CaptureQueriesContext(connection) as after:
        get_json(api, url)
    assert len(after) == len(before)
