"""A fact's `sources_count` (distinct sources its evidence cites) is kept by the database on every path.

Migration 0020's triggers recount it whenever a span is inserted, changed or deleted, and keep a write of the fact
itself from overwriting it; these tests take each path a span or a fact can change by: the services (the API's
writes), the admin's inlines and history reverts (tests/api/test_corroboration.py), fixture loads, bulk_create,
QuerySet.update(), raw SQL, and a stale instance saved after its spans changed.
"""

import json

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from facts import services
from facts.models import Event, EvidenceSpan, Relation, Statement
from tests.article_api import FIXTURE_FILES
from tests.conftest import make_actor, make_event, make_event_type, make_relation, make_source, make_statement

pytestmark = pytest.mark.django_db

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
TENSION = "seeking to quell recent tension over the disputed enclave of Nagorno-Karabakh"
SECOND_REPORT = f"A second report. {HOSTED}, it says; and {TENSION}. A third sentence."


def count_of(fact) -> int:
    return type(fact).objects.values_list("sources_count", flat=True).get(pk=fact.pk)


def distinct_sources(fact) -> int:
    return fact.evidence.values("source_id").distinct().count()


@pytest.fixture
def second(db):
    return make_source(SECOND_REPORT, slug="second-report", title="Second report")


@pytest.fixture
def event(source):
    return make_event(source, HOSTED, title="US hosts talks")


def span(source, passage, **fact) -> EvidenceSpan:
    start = source.text.index(passage)
    return EvidenceSpan(source=source, start=start, end=start + len(passage), quote=passage, **fact)


def test_a_new_fact_is_cited_by_the_one_source_of_its_evidence(event, source):
    assert count_of(event) == 1


def test_a_span_in_a_second_source_counts_it_and_another_span_in_the_same_source_does_not(event, source, second):
    span(second, HOSTED, event=event).save()
    assert count_of(event) == 2
    span(second, TENSION, event=event).save()
    span(source, TENSION, event=event).save()
    assert count_of(event) == 2 == distinct_sources(event)


def test_deleting_the_last_span_of_a_source_uncounts_it(event, source, second):
    cited = span(second, HOSTED, event=event)
    cited.save()
    cited.delete()
    assert count_of(event) == 1


def test_a_candidate_span_corroborates_nothing_until_accepted_and_a_rejected_one_never(event, source, second):
    # A passage propose_facts offers a vetted event (EvidenceSpan.candidate) is not its evidence yet.
    proposed = span(second, HOSTED, event=event, candidate=True, proposed_by="event:more-evidence")
    proposed.save()
    assert count_of(event) == 1
    assert Event.objects.filter(pk=event.pk, sources_count__gte=2).count() == 0
    EvidenceSpan.objects.filter(pk=proposed.pk).update(candidate=False)  # what accepting it writes
    assert count_of(event) == 2
    again = span(second, TENSION, event=event, candidate=True)
    again.save()
    EvidenceSpan.objects.filter(pk=proposed.pk).delete()
    assert count_of(event) == 1  # only the candidate span cites the second source now
    again.delete()
    assert count_of(event) == 1


def test_a_span_moved_to_another_fact_recounts_both(event, source, second):
    other = make_event(second, TENSION, title="Tension")
    moved = span(second, HOSTED, event=event)
    moved.save()
    assert (count_of(event), count_of(other)) == (2, 1)
    EvidenceSpan.objects.filter(pk=moved.pk).update(event=other)  # as an event merge moves evidence
    assert (count_of(event), count_of(other)) == (1, 1)
    EvidenceSpan.objects.filter(pk=moved.pk).update(event=event)
    assert (count_of(event), count_of(other)) == (2, 1)


def test_a_span_moved_to_another_source_recounts_its_fact(event, source, second):
    extra = span(source, TENSION, event=event)
    extra.save()
    start = second.text.index(TENSION)
    EvidenceSpan.objects.filter(pk=extra.pk).update(source=second, start=start, end=start + len(TENSION))
    assert count_of(event) == 2


def test_statements_and_relations_are_counted_too(source, second):
    speaker, other = make_actor("Vedant Patel"), make_actor("Armenia", kind="state")
    statement = make_statement(source, HOSTED, speaker, kind="paraphrase")
    relation = make_relation(source, TENSION, speaker, other)
    span(second, HOSTED, statement=statement).save()
    span(second, TENSION, relation=relation).save()
    assert (count_of(statement), count_of(relation)) == (2, 2)


def test_bulk_create_of_spans_is_counted(event, source, second):
    EvidenceSpan.objects.bulk_create([span(second, HOSTED, event=event), span(second, TENSION, event=event)])
    assert count_of(event) == 2


def test_raw_sql_inserts_and_deletes_are_counted(event, second):
    with connection.cursor() as cursor:
        start = second.text.index(HOSTED)
        cursor.execute(
            'INSERT INTO facts_evidencespan (source_id, start, "end", quote, event_id, created_at, updated_at) '
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [second.pk, start, start + len(HOSTED), HOSTED, event.pk, event.created_at, event.created_at],
        )
        assert count_of(event) == 2
        cursor.execute("DELETE FROM facts_evidencespan WHERE source_id = %s", [second.pk])
    assert count_of(event) == 1


def test_saving_a_stale_instance_keeps_the_count_its_spans_give(event, source, second):
    stale = Event.objects.get(pk=event.pk)
    span(second, HOSTED, event=event).save()
    stale.title = "Renamed"
    stale.save()  # writes every column, sources_count = 1 included
    assert count_of(event) == 2
    assert Event.objects.get(pk=event.pk).title == "Renamed"


def test_no_write_of_the_fact_itself_sets_its_count(event):
    Event.objects.filter(pk=event.pk).update(sources_count=7)
    assert count_of(event) == 1
    with connection.cursor() as cursor:
        cursor.execute("UPDATE facts_event SET sources_count = 0 WHERE id = %s", [event.pk])
    assert count_of(event) == 1


def test_the_services_count_the_sources_of_a_write(source, second):
    event = services.event_create(
        title="US hosts talks",
        event_type=make_event_type("043"),
        date_text="on Monday",
        participants=[{"actor": make_actor("Armenia", kind="state"), "role": "party"}],
        evidence=[{"source": source, "quote": HOSTED}, {"source": second, "quote": HOSTED}],
    )
    assert count_of(event) == 2
    services.event_update(event=Event.objects.get(pk=event.pk), evidence=[{"source": second, "quote": TENSION}])
    assert count_of(event) == 1


def test_deleting_a_fact_with_its_spans_goes_through(event, source, second):
    span(second, HOSTED, event=event).save()
    services.instance_delete(instance=Event.objects.get(pk=event.pk), reason="Duplicate")
    assert not Event.objects.filter(pk=event.pk).exists()


def test_the_article_fixtures_load_with_every_fact_counted(db):
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    for model in (Event, Statement, Relation):
        facts = list(model.objects.all())
        assert facts
        assert {fact.pk: fact.sources_count for fact in facts} == {fact.pk: distinct_sources(fact) for fact in facts}
        assert {fact.sources_count for fact in facts} == {1}  # one article


def test_a_fixture_cannot_forge_a_count_and_one_listing_spans_before_their_fact_is_counted(tmp_path, source, second):
    event = make_event(source, HOSTED, title="US hosts talks")
    rows = json.loads(serialize_event_with_spans(event, extra=span(second, HOSTED)))
    for row in rows:
        if row["model"] == "facts.event":
            row["fields"]["sources_count"] = 9
    fixture = tmp_path / "event.json"
    fixture.write_text(json.dumps(rows), encoding="utf-8")
    call_command("loaddata", str(fixture), verbosity=0)  # an update of the stored event
    assert count_of(event) == 2
    with transaction.atomic():
        services.instance_delete(instance=Event.objects.get(pk=event.pk), reason="Reload it")
        # Spans first: keys are checked at commit on PostgreSQL, and SQLite's loaddata checks them at the end.
        fixture.write_text(json.dumps(sorted(rows, key=lambda row: row["model"] != "facts.evidencespan")))
        call_command("loaddata", str(fixture), verbosity=0)
    assert count_of(event) == 2


def serialize_event_with_spans(event, *, extra: EvidenceSpan) -> str:
    from django.core import serializers

    extra.event = event
    extra.save()
    return serializers.serialize("json", [event, *event.evidence.all()])
