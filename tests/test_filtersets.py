"""The FilterSets on their own (FilterSet(data, queryset).qs), without HTTP: validation and the querysets they build."""

import pytest

from article_api import article_fixture  # noqa: F401  (pytest fixtures)
from facts.filtersets import (
    ActorFilterSet,
    EventFilterSet,
    EventTypeFilterSet,
    PlaceFilterSet,
    RelationFilterSet,
    StatementFilterSet,
)
from facts.models import Actor, Event, EventType, Place, Relation, Statement

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(article, db):
    """The article fixtures, in a database open to the test."""


def filtered(filterset_class, params, queryset):
    filterset = filterset_class(params, queryset=queryset)
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def event_titles(params):
    return set(filtered(EventFilterSet, params, Event.objects.all()).values_list("title", flat=True))


def test_event_filterset_actor_and_type_prefix(data):
    assert event_titles({"actor": ["antony-blinken"], "type": "041"}) == {"Blinken's call with Ilham Aliyev"}
    assert event_titles({"actor": ["nikol-pashinyan"], "type": "04"}) == {"Blinken speaks with Nikol Pashinyan"}


def test_event_filterset_actor_list_is_conjoined_and_role_applies_to_each(data):
    assert event_titles({"actor": ["ararat-mirzoyan", "jeyhun-bayramov"], "role": "guest"}) == {
        "Blinken's dinner with the Armenian and Azerbaijani foreign ministers",
        "Armenia-Azerbaijan talks hosted by the United States"}
    assert event_titles({"actor": ["ararat-mirzoyan", "nikol-pashinyan"]}) == set()


def test_event_filterset_place_subtree_and_overlap(data):
    assert event_titles({"place": "azerbaijan", "date_after": "2023-04-01", "date_before": "2023-05-31"}) == {
        "Russia posts peacekeepers along the Lachin corridor", "Colonna visits Baku"}


def test_event_filterset_search_returns_each_event_once(data):
    # "the" is in titles, descriptions and names ("the United States") alike: each event still comes once.
    qs = filtered(EventFilterSet, {"search": "the"}, Event.objects.all())
    ids = list(qs.values_list("id", flat=True))
    assert len(ids) == len(set(ids)) == Event.objects.count()


@pytest.mark.parametrize("filterset_class", [EventFilterSet, StatementFilterSet, RelationFilterSet])
@pytest.mark.parametrize("text", ["a", "US", "xq", "%_'\"\\", "a b c", "U.S.", "1-2"])
def test_a_fact_search_needs_three_letters_or_digits_in_a_row(data, filterset_class, text):
    filterset = filterset_class({"search": text}, queryset=filterset_class._meta.model.objects.all())
    assert not filterset.is_valid() and "3 letters or digits in a row" in str(filterset.errors["search"])


@pytest.mark.parametrize("text", ["US official", "Lachin", "041", "Ереван", "  baku  "])
def test_a_fact_search_with_three_letters_or_digits_in_a_row_is_accepted(data, text):
    for filterset_class in (EventFilterSet, StatementFilterSet, RelationFilterSet):
        assert filterset_class({"search": text}, queryset=filterset_class._meta.model.objects.all()).is_valid()


def test_reference_searches_take_short_texts(data):
    assert ActorFilterSet({"search": "US"}, queryset=Actor.objects.all()).is_valid()
    assert EventTypeFilterSet({"search": "04"}, queryset=EventType.objects.all()).is_valid()


def test_event_filterset_ordering_breaks_ties_by_id_in_the_direction_of_the_first_key(data):
    qs = filtered(EventFilterSet, {"ordering": "-type"}, Event.objects.all())
    rows = list(qs.values_list("event_type_id", "id"))
    assert len(rows) > 1 and any(code == next_code for (code, _), (next_code, _) in zip(rows, rows[1:]))
    for (code, pk), (next_code, next_pk) in zip(rows, rows[1:]):
        assert code > next_code or (code == next_code and pk > next_pk), rows
    rows = list(filtered(EventFilterSet, {"ordering": "type"}, Event.objects.all()).values_list("event_type_id", "id"))
    assert rows == sorted(rows)


@pytest.mark.parametrize("filterset_class, params, name", [
    (EventFilterSet, {"actor": ["nobody"]}, "actor"),
    (EventFilterSet, {"type": "abc"}, "type"),
    (EventFilterSet, {"date_after": "2023-31-12"}, "date_after"),
    (EventFilterSet, {"ordering": "nope"}, "ordering"),
    (EventFilterSet, {"place": "atlantis"}, "place"),
    (StatementFilterSet, {"about": "place:atlantis"}, "about"),
    (StatementFilterSet, {"about": "event:x"}, "about"),
    (StatementFilterSet, {"speaker_kind": "alien"}, "speaker_kind"),
    (RelationFilterSet, {"type": "friend_of"}, "type"),
    (ActorFilterSet, {"country": "ARM"}, "country"),
    (PlaceFilterSet, {"within": "nowhere"}, "within"),
    (EventTypeFilterSet, {"used": "yes"}, "used"),
])
def test_filterset_refuses_bad_values_naming_the_field(data, filterset_class, params, name):
    filterset = filterset_class(params, queryset=filterset_class._meta.model.objects.all())
    assert not filterset.is_valid()
    assert set(filterset.errors) == {name}


def test_statement_filterset_about_kinds(data):
    def speakers(params):
        qs = filtered(StatementFilterSet, params, Statement.objects.all())
        return sorted(qs.values_list("speaker__slug", flat=True))

    assert speakers({"about": "actor:ararat-mirzoyan"}) == ["us-official-anonymous", "vedant-patel"]
    assert speakers({"about": "place:armenia"}) == ["catherine-colonna"]
    talks = Event.objects.get(title="Armenia-Azerbaijan talks hosted by the United States")
    assert speakers({"about": f"event:{talks.pk}"}) == ["us-official-anonymous"] * 5 + ["vedant-patel"] * 2


def test_relation_actor_either_side(data):
    qs = filtered(RelationFilterSet, {"actor": "ukraine"}, Relation.objects.all())
    assert [(r.subject.slug, r.type, r.object.slug) for r in qs] == [("russia", "at_war_with", "ukraine")]


def test_actor_and_place_filtersets(data):
    qs = filtered(ActorFilterSet, {"affiliated_with": "us-state-department"}, Actor.objects.all())
    assert list(qs.values_list("slug", flat=True)) == ["vedant-patel"]
    qs = filtered(PlaceFilterSet, {"within": "armenia"}, Place.objects.all())
    assert set(qs.values_list("slug", flat=True)) == {"armenia", "yerevan"}


def test_event_type_filterset_used(data):
    from facts.views import EventTypeViewSet

    qs = filtered(EventTypeFilterSet, {"used": "false", "search": "04"}, EventTypeViewSet.queryset.all())
    codes = set(qs.values_list("code", flat=True))
    assert codes and not codes & {"040", "041", "042", "043", "044", "045", "046"}
    assert not EventType.objects.filter(code__in=codes, events__isnull=False).exists()
