"""The querysets the read API starts from: a list's joins and prefetches, and what a detail view adds to them.

Each keeps a page, or one object, at a fixed number of queries however many related rows there are.
"""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from facts.models import (
    LIVE_EVENTS,
    Actor,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    Place,
    ProposalState,
    Source,
    Statement,
)

# Where a relation prefetched into a plain list lives on each instance (read by facts.api.serializers.prefetched).
PREFETCHED_SUFFIX = "_prefetched"
PLACE_REF_FIELDS = ("id", "slug", "name", "kind")


def into_list(lookup: str, queryset=None) -> Prefetch:
    """Prefetch a relation into a plain list, which is cheaper per row than a related manager."""
    return Prefetch(lookup, queryset=queryset, to_attr=lookup + PREFETCHED_SUFFIX)


def evidence_prefetch(fact: str) -> Prefetch:
    """Evidence spans of a fact, with only the source's title: the source's full text is never loaded. A candidate
    span (more evidence the extractor proposed, not accepted) is not the fact's evidence yet."""
    spans = (
        EvidenceSpan.objects.filter(candidate=False)
        .only("id", "quote", "start", "end", "source_id", fact)
        .annotate(source_title=F("source__title"))
    )
    return into_list("evidence", spans)


def count_of(queryset, fk: str):
    """A correlated COUNT subquery: unlike Count() over joins, several of these never multiply rows."""
    # COUNT(*), not COUNT(id): counting a value reads each row for it, where COUNT(*) counts the foreign key's index
    # entries alone (0.96 s -> 0.05 s for a page of event types over 10^6 events).
    counted = queryset.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def live_event_count(fk: str):
    """How many events that stand (not tombstones of merges) refer to the row through `fk`, as count_of does.

    All events, less the tombstones: the first counts index entries alone, the second reads the few tombstones
    through the merged_into index, where one COUNT of live events would read every event's row for its mark.
    """
    tombstones = Event.objects.exclude(**LIVE_EVENTS)
    return count_of(Event.objects.all(), fk) - count_of(tombstones, fk)


def _actor_detail(queryset):
    return queryset.prefetch_related(
        Prefetch(
            "affiliations",
            # A candidate affiliation (proposed by the extractor) is shown in the review queue, not in reads.
            queryset=Affiliation.objects.exclude(status=ProposalState.CANDIDATE)
            .select_related("organization")
            .prefetch_related(evidence_prefetch("affiliation")),
        ),
        Prefetch(
            "members",
            queryset=Affiliation.objects.exclude(status=ProposalState.CANDIDATE)
            .select_related("person")
            .prefetch_related(evidence_prefetch("affiliation")),
        ),
    ).annotate(
        event_count=count_of(Participant.objects.all(), "actor"),
        statement_count=count_of(Statement.objects.all(), "speaker"),
    )


def _place_detail(queryset):
    # Five levels of parents in the same query cover the ancestor chain of any realistic hierarchy.
    return queryset.select_related("parent__parent__parent__parent__parent").prefetch_related(
        Prefetch("children", queryset=Place.objects.only(*PLACE_REF_FIELDS, "parent_id"))
    )


def _source_detail(queryset):
    return queryset.defer(None)  # the full text, which a list leaves out


DETAIL_READS = {Actor: _actor_detail, Place: _place_detail, Source: _source_detail}


def detail_queryset(queryset):
    """A list's queryset with what its detail view shows besides (affiliations, ancestors, full text...)."""
    add = DETAIL_READS.get(queryset.model)
    return add(queryset) if add is not None else queryset
