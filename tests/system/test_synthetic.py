"""The synthetic data generator: deterministic, proportioned like real data, valid, and careful with existing data."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from bench.synthetic import SYNTHETIC_PREFIX, Plan, generate
from facts.dates import resolve_date
from facts.duplicates import event_duplicates_of
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)
from tests.conftest import make_actor, make_event, make_source

pytestmark = pytest.mark.django_db

N = 1200


def snapshot():
    """Everything the generator decides, without ids (which depend on what the tables held before)."""
    return {
        "events": list(
            Event.objects.order_by("title", "date_text", "date_start", "place__slug").values_list(
                "title", "event_type", "place__slug", "status", "date_text", "date_start", "date_end", "date_precision"
            )
        ),
        "participants": sorted(
            Participant.objects.values_list("event__title", "event__date_start", "actor__slug", "role")
        ),
        "statements": sorted(Statement.objects.values_list("speaker__slug", "text", "kind", "channel", "date_text")),
        "sources": sorted(Source.objects.values_list("slug", "checksum", "published")),
        "actors": sorted(Actor.objects.values_list("slug", "name", "kind", "country_code")),
        "places": sorted(Place.objects.values_list("slug", "kind", "parent__slug", "latitude", "longitude")),
    }


def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    generate(events=300, seed=7)
    first = snapshot()
    generate(events=300, seed=7, replace=True)
    assert snapshot() == first
    generate(events=300, seed=8, replace=True)
    assert snapshot()["events"] != first["events"]


def test_counts_and_proportions_follow_the_plan():
    counts = generate(events=N, seed=3)
    plan = Plan.for_events(N)
    assert Event.objects.count() == counts["event"] == N
    assert Actor.objects.count() == plan.actors == N // 2
    participants_per_event = Participant.objects.count() / N
    assert 2.7 <= participants_per_event <= 3.3
    assert 0.25 <= Statement.objects.count() / N <= 0.35
    kinds = Counter(Actor.objects.values_list("kind", flat=True))
    assert set(kinds) == {"state", "person", "organization", "group", "unnamed"}
    assert kinds["person"] > N // 4
    assert ActorAlias.objects.count() > plan.actors // 2
    assert Affiliation.objects.count() > 0
    assert Statement.about_actors.through.objects.count() == Statement.objects.count()
    assert Relation.objects.exists()
    # Dates spread over years, and every CAMEO root in use comes from the codebook.
    years = {d.year for d in Event.objects.values_list("date_start", flat=True)}
    assert len(years) >= 10
    assert set(Event.objects.values_list("event_type", flat=True)) <= set(
        EventType.objects.values_list("code", flat=True)
    )
    assert Event.objects.filter(event_type__code__startswith="04").count() > N // 10


def test_places_form_a_hierarchy_with_coordinates():
    generate(events=N, seed=3)
    by_kind = Counter(Place.objects.values_list("kind", flat=True))
    assert by_kind["region"] >= 1 and by_kind["country"] == Plan.for_events(N).countries
    assert not Place.objects.filter(kind="country", parent__kind__isnull=False).exclude(parent__kind="region").exists()
    assert not Place.objects.filter(kind="city").exclude(parent__kind="enclave").exists()
    assert not Place.objects.exclude(kind="region").filter(latitude__isnull=True).exists()
    city = Place.objects.filter(kind="city").first()
    assert [p.kind for p in city.ancestors()] == ["enclave", "country", "region"]
    # Every event sits at a synthetic place, below some country.
    assert not Event.objects.filter(place__isnull=True).exists()


def test_every_span_quotes_its_source_and_every_fact_has_evidence():
    generate(events=N, seed=5)
    texts = dict(Source.objects.values_list("id", "text"))
    spans = list(EvidenceSpan.objects.values_list("source_id", "start", "end", "quote"))
    assert spans
    for source_id, start, end, quote in spans:
        assert texts[source_id][start:end] == quote
    assert not Event.objects.filter(evidence__isnull=True).exists()
    assert not Statement.objects.filter(evidence__isnull=True).exists()
    assert not Affiliation.objects.filter(evidence__isnull=True).exists()
    assert not Relation.objects.filter(evidence__isnull=True).exists()


def test_dates_are_the_resolution_of_the_verbatim_expression_against_publication():
    generate(events=400, seed=5)
    checked = 0
    for span in EvidenceSpan.objects.filter(event__isnull=False).select_related("event", "source")[:200]:
        event = span.event
        if event.date_text:
            resolved = resolve_date(event.date_text, span.source.published)
            assert (resolved.start, resolved.end, resolved.precision) == (
                event.date_start,
                event.date_end,
                event.date_precision,
            )
            assert event.date_text.lower() in span.quote.lower()
            checked += 1
        else:
            assert event.date_start == event.date_end == span.source.published
    assert checked > 100


def test_a_sample_of_every_model_passes_full_clean():
    generate(events=600, seed=11)
    for model in (Source, Actor, ActorAlias, Affiliation, Place, Event, Participant, Statement, Relation, EvidenceSpan):
        sample = list(model.objects.order_by("pk")[::7][:40])
        assert sample, model.__name__
        for obj in sample:
            obj.full_clean()


def test_refuses_to_generate_twice_without_replace_and_changes_nothing():
    call_command("generate_synthetic", events=200, seed=1, stdout=open("/dev/null", "w"))
    before = Event.objects.count()
    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_synthetic", events=200, seed=1, stdout=open("/dev/null", "w"))
    assert Event.objects.count() == before


def test_replace_deletes_only_synthetic_data(article_text):
    source = make_source(article_text, slug="real-article")
    blinken = make_actor("Antony Blinken", slug="blinken")
    real = make_event(source, "held a dinner with Armenian Foreign Minister", title="Real talks")
    generate(events=500, seed=2)
    generate(events=100, seed=2, replace=True)
    assert Event.objects.count() == 101
    assert Event.objects.filter(pk=real.pk).exists()
    assert Actor.objects.filter(pk=blinken.pk).exists()
    assert Source.objects.exclude(slug__startswith=SYNTHETIC_PREFIX).get() == source
    assert Actor.objects.filter(slug__startswith=SYNTHETIC_PREFIX).count() == Plan.for_events(100).actors


def test_rejects_a_non_positive_event_count():
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_synthetic", events=0, stdout=open("/dev/null", "w"))


def test_several_reports_cite_the_same_events_and_each_count_is_its_spans_sources():
    generate(events=N, seed=3)
    counts = Counter(Event.objects.values_list("sources_count", flat=True))
    assert set(counts) == {1, 2, 3, 4}
    assert 0.18 <= sum(n for c, n in counts.items() if c >= 2) / N <= 0.38
    by_spans = Event.objects.annotate(n=Count("evidence__source", distinct=True))
    assert not by_spans.exclude(n=F("sources_count")).exists()
    # Each other outlet's report restates the wire's events in its own text, on the wire report's day.
    second = EvidenceSpan.objects.filter(event__sources_count__gte=2).exclude(source__publisher="Synthetic Wire")
    assert second.exists()
    for span in second.select_related("source", "event")[:100]:
        assert span.source.text[span.start : span.end] == span.quote and span.quote.endswith("reported.")
        wire = span.event.evidence.get(source__publisher="Synthetic Wire").source
        assert span.source.published == wire.published


def test_a_second_report_states_some_events_again_and_the_duplicate_check_finds_them():
    generate(events=N, seed=3)
    doubles = list(Event.objects.filter(evidence__source__publisher="Synthetic Courier", status="draft"))
    assert N // 200 <= len(doubles) <= N // 20
    for event in doubles[:20]:
        [original] = [d for d in event_duplicates_of(event) if any(r.startswith("similar title") for r in d.reasons)]
        assert Event.objects.get(pk=original.id).evidence.filter(source__publisher="Synthetic Wire").exists()
