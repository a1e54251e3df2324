"""The FilterSets on their own (FilterSet(data, queryset)), without HTTP: validation, the querysets they build, and
the plan they hand the selectors (FilterSet.plan(): how the list is counted and paged)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from facts.api.filters import (
    ActorFilterSet,
    EventFilterSet,
    EventTypeFilterSet,
    PlaceFilterSet,
    RelationFilterSet,
    StatementFilterSet,
)
from facts.models import Actor, Event, EventType, Place, Relation, Statement
from tests.article_api import article_fixture  # noqa: F401  (pytest fixtures)

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
        "Armenia-Azerbaijan talks hosted by the United States",
    }
    assert event_titles({"actor": ["ararat-mirzoyan", "nikol-pashinyan"]}) == set()


def test_event_filterset_place_subtree_and_overlap(data):
    # The clashes (as of publication) and the checkpoint (before it) have an unknown start: they may overlap.
    assert event_titles({"place": "azerbaijan", "date_after": "2023-04-01", "date_before": "2023-05-31"}) == {
        "Russia posts peacekeepers along the Lachin corridor",
        "Colonna visits Baku",
        "Recurring clashes over Nagorno-Karabakh",
        "Azerbaijan sets up a checkpoint on the Lachin Corridor",
    }


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
    assert len(rows) > 1 and any(code == next_code for (code, _), (next_code, _) in zip(rows, rows[1:], strict=False))
    for (code, pk), (next_code, next_pk) in zip(rows, rows[1:], strict=False):
        assert code > next_code or (code == next_code and pk > next_pk), rows
    rows = list(filtered(EventFilterSet, {"ordering": "type"}, Event.objects.all()).values_list("event_type_id", "id"))
    assert rows == sorted(rows)


@pytest.fixture
def open_and_undated(data):
    """Beside the article's open-start facts (as of, or before, publication): one expected with its end unknown, and
    one undated, for Armenia."""
    from datetime import date

    from facts.models import Participant

    expected = Event.objects.create(
        title="Expected, end unknown", event_type_id="040", date_start=date(2023, 5, 1), date_precision="open"
    )
    undated = Event.objects.create(title="Undated", event_type_id="040")
    for event in (expected, undated):
        Participant.objects.create(event=event, actor=Actor.objects.get(slug="armenia"), role="party")
    return expected, undated


@pytest.mark.parametrize("extra", [{}, {"actor": ["armenia"]}, {"actor": ["armenia"], "type": "04"}])
@pytest.mark.parametrize(
    "window",
    [
        {"date_after": "2030-01-01"},
        {"date_before": "1900-01-01"},
        {"date_after": "1900-01-01", "date_before": "2100-01-01"},
    ],
)
def test_a_date_window_treats_an_unknown_bound_as_unbounded_and_never_matches_an_undated_fact(
    open_and_undated, extra, window
):
    expected, undated = open_and_undated
    found = set(filtered(EventFilterSet, {**window, **extra}, Event.objects.all()).values_list("title", flat=True))
    everything = filtered(EventFilterSet, extra, Event.objects.all())
    assert undated.title not in found
    if "date_before" not in window:  # after 2030: only what may still be going on, its end unknown
        assert found == {expected.title}
    elif "date_after" not in window:  # before 1900: only what may have begun by then, its start unknown
        assert (
            found
            == set(everything.filter(date_start__isnull=True, date_end__isnull=False).values_list("title", flat=True))
            and found
        )
    else:
        assert found == set(everything.exclude(pk=undated.pk).values_list("title", flat=True))
    if extra.get("actor"):  # counted from the participant rows' copy of the dates: the same total
        filterset = EventFilterSet({**window, **extra}, queryset=Event.objects.all())
        assert filterset.plan().counted.count() == len(found)


@pytest.mark.parametrize("filterset_class, model", [(StatementFilterSet, Statement), (RelationFilterSet, Relation)])
def test_statement_and_relation_windows_keep_open_starts_and_drop_undated_facts(data, filterset_class, model):
    open_start = set(model.objects.filter(date_start__isnull=True, date_end__isnull=False).values_list("pk", flat=True))
    assert open_start
    found = set(
        filtered(filterset_class, {"date_before": "1900-01-01"}, model.objects.all()).values_list("pk", flat=True)
    )
    assert found == open_start
    assert not filtered(filterset_class, {"date_after": "2023-05-02"}, model.objects.all()).exists()


@pytest.mark.parametrize("filterset_class", [EventFilterSet, StatementFilterSet, RelationFilterSet])
@pytest.mark.parametrize("ordering, nulls_first", [("date_start", True), ("-date_start", False)])
def test_a_date_ordering_places_null_explicitly_on_every_database(data, filterset_class, ordering, nulls_first):
    from django.db.models.expressions import OrderBy

    qs = filtered(filterset_class, {"ordering": ordering}, filterset_class._meta.model.objects.all())
    first, tie = qs.query.order_by
    assert isinstance(first, OrderBy) and (bool(first.nulls_first), bool(first.nulls_last)) == (
        nulls_first,
        not nulls_first,
    )
    assert tie == ("pk" if nulls_first else "-pk")
    starts = list(qs.values_list("date_start", flat=True))
    missing = [s for s in starts if s is None]
    assert missing and starts == (
        missing + sorted(s for s in starts if s)
        if nulls_first
        else sorted((s for s in starts if s), reverse=True) + missing
    )


def test_events_and_statements_default_to_the_one_date_order():
    from facts.models import DATE_ORDER

    assert tuple(Event._meta.ordering) == tuple(Statement._meta.ordering) == DATE_ORDER


@pytest.mark.parametrize(
    "filterset_class, params, name",
    [
        (EventFilterSet, {"actor": ["nobody"]}, "actor"),
        (EventFilterSet, {"type": "abc"}, "type"),
        (EventFilterSet, {"date_after": "2023-31-12"}, "date_after"),
        (EventFilterSet, {"ordering": "nope"}, "ordering"),
        (EventFilterSet, {"place": "atlantis"}, "place"),
        (StatementFilterSet, {"about": "place:atlantis"}, "about"),
        (StatementFilterSet, {"about": "event:x"}, "about"),
        (StatementFilterSet, {"speaker_kind": "alien"}, "speaker_kind"),
        (StatementFilterSet, {"speaker_affiliated_with": "nobody"}, "speaker_affiliated_with"),
        (StatementFilterSet, {"channel": "a b"}, "channel"),
        (StatementFilterSet, {"kind": "quote,rumour"}, "kind"),
        (StatementFilterSet, {"kind": ["quote", "rumour"]}, "kind"),
        (RelationFilterSet, {"type": "friend_of"}, "type"),
        (RelationFilterSet, {"actor": ["armenia", "azerbaijan", "turkey"]}, "actor"),
        (ActorFilterSet, {"country": "ARM"}, "country"),
        (PlaceFilterSet, {"within": "nowhere"}, "within"),
        (EventTypeFilterSet, {"used": "yes"}, "used"),
    ],
)
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
    qs = filtered(RelationFilterSet, {"actor": ["ukraine"]}, Relation.objects.all())
    assert [(r.subject.slug, r.type, r.object.slug) for r in qs] == [("russia", "at_war_with", "ukraine")]


def test_relation_actors_given_together_must_all_take_part(data):
    qs = filtered(RelationFilterSet, {"actor": ["turkey", "azerbaijan"]}, Relation.objects.all())
    assert [(r.subject.slug, r.type, r.object.slug) for r in qs] == [("turkey", "ally_of", "azerbaijan")]
    qs = filtered(RelationFilterSet, {"actor": ["russia"], "type": "mediator_for"}, Relation.objects.all())
    assert {r.object.slug for r in qs} == {"armenia", "azerbaijan"}


def statement_speakers(params):
    return sorted(filtered(StatementFilterSet, params, Statement.objects.all()).values_list("speaker__slug", flat=True))


def test_statement_filterset_speaker_affiliated_with_is_transitive_and_combines(data):
    assert set(statement_speakers({"speaker_affiliated_with": "united-states"})) == {
        "antony-blinken",
        "us-official-anonymous",
        "vedant-patel",
    }
    checkpoint = Event.objects.get(title="Azerbaijan sets up a checkpoint on the Lachin Corridor")
    assert statement_speakers({"speaker_affiliated_with": "united-states", "about": f"event:{checkpoint.pk}"}) == [
        "antony-blinken",
        "antony-blinken",
        "vedant-patel",
    ]
    # The walk (a recursive CTE) is read with the actor, in the filter's own lookup query; the filtered query gets the
    # ids as literals, which the planner can estimate (facts.walks).
    with CaptureQueriesContext(connection) as lookups:
        filterset = StatementFilterSet({"speaker_affiliated_with": "united-states"}, queryset=Statement.objects.all())
        sql = str(filterset.qs.query)
    assert len(lookups.captured_queries) == 1 and "WITH RECURSIVE" in lookups.captured_queries[0]["sql"]
    assert "WITH RECURSIVE" not in sql


def test_statement_filterset_channel_and_kind_lists(data):
    assert statement_speakers({"channel": "NEWS CONFERENCE"}) == ["catherine-colonna"]
    assert set(
        filtered(StatementFilterSet, {"kind": "quote,partial"}, Statement.objects.all()).values_list("kind", flat=True)
    ) == {"quote", "partial"}
    # The same list, given as repeated values: every one is kept, none silently dropped.
    both = filtered(StatementFilterSet, {"kind": ["quote", "partial"]}, Statement.objects.all())
    assert both.count() == Statement.objects.filter(kind__in=["quote", "partial"]).count()
    assert filtered(StatementFilterSet, {"kind": ""}, Statement.objects.all()).count() == Statement.objects.count()


def test_actor_and_place_filtersets(data):
    qs = filtered(ActorFilterSet, {"affiliated_with": "us-state-department"}, Actor.objects.all())
    assert list(qs.values_list("slug", flat=True)) == ["united-states", "vedant-patel"]
    qs = filtered(ActorFilterSet, {"affiliated_with": "united-states"}, Actor.objects.all())
    assert set(qs.values_list("slug", flat=True)) == {
        "antony-blinken",
        "us-official-anonymous",
        "us-state-department",
        "vedant-patel",
    }
    qs = filtered(ActorFilterSet, {"search": "Spokesman"}, Actor.objects.all())
    assert list(qs.values_list("slug", flat=True)) == ["vedant-patel"]
    qs = filtered(PlaceFilterSet, {"within": "armenia"}, Place.objects.all())
    assert set(qs.values_list("slug", flat=True)) == {"armenia", "yerevan"}


def test_event_type_filterset_used(data):
    from facts.api.views import EventTypeViewSet

    qs = filtered(EventTypeFilterSet, {"used": "false", "search": "04"}, EventTypeViewSet.queryset.all())
    codes = set(qs.values_list("code", flat=True))
    assert codes and not codes & {"040", "041", "042", "043", "044", "045", "046"}
    assert not EventType.objects.filter(code__in=codes, events__isnull=False).exists()


def plan_of(filterset_class, params, queryset):
    filterset = filterset_class(params, queryset=queryset)
    assert filterset.is_valid(), filterset.errors
    return filterset.plan()


def test_a_plain_list_is_planned_as_its_filtered_queryset(data):
    plan = plan_of(EventFilterSet, {"type": "04", "place": "azerbaijan"}, Event.objects.all())
    assert (plan.counted, plan.count_with_page, plan.matches) == (None, False, None)
    assert set(plan.queryset.values_list("id", flat=True)) == set(
        filtered(EventFilterSet, {"type": "04", "place": "azerbaijan"}, Event.objects.all()).values_list(
            "id", flat=True
        )
    )
    assert plan.base.query.where == Event.objects.all().query.where  # picked rows are read from the unfiltered list


@pytest.mark.parametrize("extra", [{}, {"role": "party"}, {"type": "04", "date_after": "2023-01-01"}])
def test_one_actors_events_are_counted_from_their_participant_rows(data, extra):
    from facts.models import Participant

    plan = plan_of(EventFilterSet, {"actor": ["armenia"], **extra}, Event.objects.all())
    assert plan.counted is not None and plan.counted.model is Participant
    assert plan.counted.count() == plan.queryset.count() > 0
    # Another condition on the events, or a second actor: counted on the events themselves.
    assert (
        plan_of(EventFilterSet, {"actor": ["armenia"], "status": "draft", **extra}, Event.objects.all()).counted is None
    )
    assert plan_of(EventFilterSet, {"actor": ["armenia", "azerbaijan"]}, Event.objects.all()).counted is None


def test_a_search_alone_picks_its_page_with_the_count_from_its_matches(data):
    from facts.models import DATE_ORDER

    plan = plan_of(EventFilterSet, {"search": "talks"}, Event.objects.order_by(*DATE_ORDER))
    assert plan.count_with_page and plan.matches is not None and plan.counted is None
    assert {pk for pk, _start in plan.matches.values_list("id", "date_start")} == set(
        plan.queryset.values_list("id", flat=True)
    )
    # With another filter or another order the page is still picked with the count, from the filtered events.
    for params in ({"search": "talks", "type": "04"}, {"search": "talks", "ordering": "-title"}):
        plan = plan_of(EventFilterSet, params, Event.objects.order_by(*DATE_ORDER))
        assert plan.count_with_page and plan.matches is None
    plan = plan_of(StatementFilterSet, {"search": "lachin"}, Statement.objects.order_by(*DATE_ORDER))
    assert plan.count_with_page and plan.matches is None
    assert plan_of(ActorFilterSet, {"search": "US"}, Actor.objects.all()).count_with_page
    assert not plan_of(ActorFilterSet, {"kind": "person"}, Actor.objects.all()).count_with_page
