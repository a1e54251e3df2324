"""Many sources for one fact: `sources_count` and `sources` on events, statements and relations (lists, details,
exports, schema), the `min_sources` filter (the FilterSets alone and through HTTP), and the count kept through the
admin's evidence inline and history reverts."""

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from facts import services
from facts.api.filters import EventFilterSet, RelationFilterSet, StatementFilterSet
from facts.models import Event, EvidenceSpan, Relation, Statement
from tests.api.test_admin import admin_url, change_form_data
from tests.api.test_integrity_admin import messages_of, revert
from tests.article_api import body, get_json, results
from tests.conftest import make_actor, make_event, make_place, make_relation, make_source, make_statement

pytestmark = pytest.mark.django_db

API = "/api/v1"
HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
TENSION = "seeking to quell recent tension over the disputed enclave of Nagorno-Karabakh"
SECOND_REPORT = f"A second report. {HOSTED}, it says; and {TENSION}. A third sentence."


def cite(source, passage, **fact):
    start = source.text.index(passage)
    EvidenceSpan.objects.create(source=source, start=start, end=start + len(passage), quote=passage, **fact)


@pytest.fixture
def second(db):
    return make_source(SECOND_REPORT, slug="second-report", title="Second report")


@pytest.fixture
def facts(source, second):
    """One event cited by one source; an event, a statement and a relation cited by two."""
    speaker, other = make_actor("Vedant Patel"), make_actor("Armenia", kind="state")
    place = make_place("Washington", latitude=38.9, longitude=-77.0)
    single = make_event(source, TENSION, title="Tension over the enclave", place=place)
    double = make_event(source, HOSTED, title="US hosts talks", place=place)
    cite(second, HOSTED, event=double)
    statement = make_statement(source, HOSTED, speaker, kind="paraphrase")
    cite(second, HOSTED, statement=statement)
    relation = make_relation(source, TENSION, speaker, other)
    cite(second, TENSION, relation=relation)
    single_statement = make_statement(source, TENSION, speaker, kind="paraphrase")
    return {
        "single": single,
        "double": double,
        "statement": statement,
        "single_statement": single_statement,
        "relation": relation,
    }


def ids(filterset_class, params, model):
    filterset = filterset_class(params, queryset=model.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("id", flat=True))


# --- The filter --------------------------------------------------------------------------------------------------


def test_min_sources_keeps_the_facts_that_many_sources_cite(facts):
    assert ids(EventFilterSet, {"min_sources": "2"}, Event) == {facts["double"].pk}
    assert ids(EventFilterSet, {"min_sources": "1"}, Event) == {facts["single"].pk, facts["double"].pk}
    assert ids(EventFilterSet, {"min_sources": "3"}, Event) == set()
    assert ids(StatementFilterSet, {"min_sources": "2"}, Statement) == {facts["statement"].pk}
    assert ids(RelationFilterSet, {"min_sources": "2"}, Relation) == {facts["relation"].pk}


def test_min_sources_combines_with_the_other_filters_and_their_plans(facts):
    actor = facts["statement"].speaker.slug
    assert ids(StatementFilterSet, {"min_sources": "2", "speaker": [actor]}, Statement) == {facts["statement"].pk}
    assert ids(EventFilterSet, {"min_sources": "2", "search": "hosts"}, Event) == {facts["double"].pk}
    assert ids(EventFilterSet, {"min_sources": "2", "search": "Tension"}, Event) == set()
    plan = EventFilterSet({"min_sources": "2", "search": "talks"}, queryset=Event.objects.all())
    assert plan.is_valid() and set(plan.plan().queryset.values_list("id", flat=True)) == {facts["double"].pk}


@pytest.mark.parametrize("value", ["0", "-1", "1001", "two", "1.5", "2e3"])
def test_a_bad_min_sources_is_refused_naming_the_parameter(facts, value):
    filterset = EventFilterSet({"min_sources": value}, queryset=Event.objects.all())
    assert not filterset.is_valid() and set(filterset.errors) == {"min_sources"}
    for path in ("events", "statements", "relations"):
        answer = get_json(Client(), f"{API}/{path}/?min_sources={value}", status=400)
        assert set(answer["errors"]) == {"min_sources"}, answer


def test_min_sources_through_http_on_every_fact_list(facts):
    client = Client()
    assert [e["id"] for e in results(client, f"{API}/events/?min_sources=2")] == [facts["double"].pk]
    assert [s["id"] for s in results(client, f"{API}/statements/?min_sources=2")] == [facts["statement"].pk]
    assert [r["id"] for r in results(client, f"{API}/relations/?min_sources=2")] == [facts["relation"].pk]
    page = get_json(client, f"{API}/events/?min_sources=1&mode=cursor&fields=id")
    assert [e["id"] for e in page["results"]] == sorted([facts["single"].pk, facts["double"].pk])


# --- What a fact shows ------------------------------------------------------------------------------------------


def expected_sources(*sources):
    return [
        {"id": s.pk, "title": s.title, "url": f"http://testserver{API}/sources/{s.pk}/"}
        for s in sorted(sources, key=lambda s: s.pk)
    ]


@pytest.mark.parametrize("path, key", [("events", "double"), ("statements", "statement"), ("relations", "relation")])
def test_a_fact_shows_how_many_sources_cite_it_and_which_in_lists_and_details(facts, source, second, path, key):
    client, pk = Client(), facts[key].pk
    detail = get_json(client, f"{API}/{path}/{pk}/")
    assert detail["sources_count"] == 2
    assert detail["sources"] == expected_sources(source, second)
    [item] = [item for item in results(client, f"{API}/{path}/") if item["id"] == pk]
    assert (item["sources_count"], item["sources"]) == (2, detail["sources"])
    assert get_json(client, f"{API}/{path}/{pk}/?fields=sources") == {"sources": detail["sources"]}
    assert list(item)[-4:] == ["status", "sources_count", "sources", "evidence"]


def test_exports_carry_the_count_and_the_sources(facts, source, second):
    client = Client()
    csv = body(client.get(f"{API}/events/?format=csv&min_sources=2&fields=id,sources_count,sources"))
    assert csv.splitlines() == ["id,sources_count,sources", f"{facts['double'].pk},2,{source.pk} | {second.pk}"]
    geo = get_json(client, f"{API}/events/?format=geojson&fields=id,sources_count")
    assert {f["id"]: f["properties"]["sources_count"] for f in geo["features"]} == {
        facts["single"].pk: 1,
        facts["double"].pk: 2,
    }


def test_the_schema_describes_the_fields_and_the_filter():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for component in ("Event", "EventDetail", "Statement", "Relation"):
        properties = schema["components"]["schemas"][component]["properties"]
        assert properties["sources_count"]["type"] == "integer", component
        assert properties["sources"]["type"] == "array", component
    for path in ("events", "statements", "relations"):
        parameters = schema["paths"][f"/api/v1/{path}/"]["get"]["parameters"]
        [parameter] = [p for p in parameters if p["name"] == "min_sources"]
        assert parameter["schema"]["type"] == "integer" and "at least this many" in parameter["description"]


def test_every_fact_of_the_article_shows_as_many_sources_as_it_counts(article_loaded):
    client = Client()
    for path in ("events", "statements", "relations"):
        for item in results(client, f"{API}/{path}/?page_size=500"):
            cited = sorted({span["source"]["id"] for span in item["evidence"]})
            assert [s["id"] for s in item["sources"]] == cited and item["sources_count"] == len(cited), item["id"]


@pytest.fixture
def article_loaded(db):
    from django.core.management import call_command

    from tests.article_api import FIXTURE_FILES

    call_command("loaddata", *FIXTURE_FILES, verbosity=0)


# --- The admin's paths -------------------------------------------------------------------------------------------


def test_a_span_added_in_the_admins_evidence_inline_counts_its_source(admin_client, facts, second):
    event = facts["single"]
    data = change_form_data(admin_client, Event, event.pk)
    data.update(
        {
            "evidence-TOTAL_FORMS": "2",
            "evidence-1-source": second.pk,
            "evidence-1-quote": TENSION,
            "evidence-1-occurrence": "",
        }
    )
    response = admin_client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 302, response.context and response.context["inline_admin_formsets"][0].formset.errors
    assert Event.objects.get(pk=event.pk).sources_count == 2


def test_a_history_revert_restores_the_count_of_the_evidence_it_restores(admin_client, source, second):
    event = services.event_create(
        title="US hosts talks",
        event_type=make_event(source, TENSION).event_type,
        date_text="on Monday",
        participants=[],
        evidence=[{"source": source, "quote": HOSTED}, {"source": second, "quote": HOSTED}],
    )
    first = event.history.earliest()
    services.event_update(event=Event.objects.get(pk=event.pk), evidence=[{"source": second, "quote": TENSION}])
    assert Event.objects.get(pk=event.pk).sources_count == 1
    response = revert(admin_client, Event, event.pk, first.history_id)
    assert any("restored" in m for m in messages_of(response)), messages_of(response)
    assert Event.objects.get(pk=event.pk).sources_count == 2
    pk, last = event.pk, Event.objects.get(pk=event.pk).history.latest()
    services.instance_delete(instance=Event.objects.get(pk=pk), reason="Duplicate")
    revert(admin_client, Event, pk, last.history_id)
    assert Event.objects.get(pk=pk).sources_count == 2


def test_the_count_is_not_in_the_history_nor_an_admin_form_field(admin_client, facts):
    assert "sources_count" not in {f.name for f in Event.history.model._meta.fields}
    assert "sources_count" not in change_form_data(admin_client, Event, facts["double"].pk)


def test_a_write_through_the_api_answers_with_the_count_of_the_evidence_it_stored(source, second):
    from tests.api.test_curation_api import token_client, user_with

    make_actor("Armenia", kind="state", slug="armenia")
    make_event(source, TENSION)  # the codebook entry the body names
    client = token_client(user_with("add_event", "change_event"))
    body_ = {
        "title": "US hosts talks",
        "event_type": "043",
        "date_text": "on Monday",
        "participants": [{"actor": "armenia", "role": "party"}],
        "evidence": [{"source": source.pk, "quote": HOSTED}, {"source": second.pk, "quote": HOSTED}],
    }
    created = client.post(f"{API}/events/", body_, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["sources_count"], [s["id"] for s in created.json()["sources"]]) == (
        2,
        [source.pk, second.pk],
    )
    url = f"{API}/events/{created.json()['id']}/"
    patched = client.patch(url, {"evidence": [{"source": second.pk, "quote": TENSION}]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["sources_count"] == 1 == Event.objects.get(pk=created.json()["id"]).sources_count
