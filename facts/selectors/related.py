"""The rows related to a page of facts (participants, evidence, what a statement is about...), one query per kind.

Each reader takes the page's fact ids and the names of the fields the response shows, and returns
{fact id: {name: [row tuples]}}; a name not shown costs no query. facts.api.rows turns the tuples into JSON.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast

from facts.models import Event, EvidenceSpan, Participant, Statement
from facts.selectors.planning import visible


def evidence_rows(fact: str, ids, wanted) -> dict:
    """{fact id: [(quote, start, end, source id, source title)]} in the model's order (source, then offset).

    Read for `evidence` and for `sources`, the distinct sources of the same spans.
    """
    rows = defaultdict(list)
    if ids and ("evidence" in wanted or "sources" in wanted):
        for pk, *row in (
            # A candidate span (more evidence proposed, not accepted) is not the fact's evidence yet.
            EvidenceSpan.objects.filter(**{f"{fact}_id__in": ids}, candidate=False)
            .order_by("source__published", "source_id", "start", "id")
            .values_list(f"{fact}_id", "quote", "start", "end", "source_id", "source__title")
        ):
            rows[pk].append(row)
    return rows


def event_related(ids, wanted) -> dict:
    """Participants [(role, slug, name, kind)] and evidence of the events `ids`."""
    participants = defaultdict(list)
    if ids and "participants" in wanted:
        for event_id, *row in (
            Participant.objects.filter(event_id__in=ids)
            .order_by("event_id", "id")
            .values_list("event_id", "role", "actor__slug", "actor__name", "actor__kind")
        ):
            participants[event_id].append(row)
    evidence = evidence_rows("event", ids, wanted)
    return {pk: {"participants": participants[pk], "evidence": evidence[pk]} for pk in ids}


def event_detail_related(ids, wanted) -> dict:
    """What event_related reads, and the statements made at the events [(id, kind, text, speaker slug, name, kind)]
    and the events within them [(id, title)]."""
    rows = event_related(ids, wanted)
    for pk in ids:
        rows[pk].update(statements=[], children=[])
    said_at = ids if "statements" in wanted else []
    within = ids if "children" in wanted else []
    if not (said_at or within):
        return rows
    # One UNION query for both: a detail reads one event, and each query costs more in Django than in the database.
    blank = Value("", output_field=CharField())
    statements = (
        visible(Statement.objects.filter(event_id__in=said_at))
        .order_by()
        .values_list(
            "event_id",
            Value("statements"),
            "date_start",
            "id",
            "kind",
            "text",
            "speaker__slug",
            "speaker__name",
            "speaker__kind",
        )
    )
    children = (
        visible(Event.objects.filter(parent_id__in=within))
        .order_by()
        .values_list("parent_id", Value("children"), "date_start", "id", blank, "title", blank, blank, blank)
    )
    # Each list in date order, undated and open-start first (as lists sort: facts.models.date_order), then by id.
    for event_id, name, _start, *row in sorted(
        statements.union(children, all=True), key=lambda r: (r[0], r[1], r[2] is not None, r[2] or date.min, r[3])
    ):
        rows[event_id][name].append(row if name == "statements" else (row[0], row[2]))
    return rows


ABOUT = ("about_actors", "about_places", "about_events")


def _about_branch(through, kind, key, name, sort, ids, subkind=None):
    return (
        through.objects.filter(statement_id__in=ids)
        .order_by()
        .annotate(
            r_statement=F("statement_id"),
            r_kind=Value(kind),
            r_key=Cast(key, CharField()),
            r_name=F(name),
            r_sub=F(subkind) if subkind else Value(""),
            r_sort=Cast(sort, CharField()),
            r_id=F(key.split("__")[0] + "_id"),
        )
        .values_list("r_statement", "r_kind", "r_key", "r_name", "r_sub", "r_sort", "r_id")
    )


def about_rows(ids) -> dict:
    """{statement id: {"about_actors": [...], "about_places": [...], "about_events": [...]}} in one UNION query.

    Each row is (key, name, kind); actors and places are in name order, events in date order, as their models sort.
    """
    rows: dict[int, dict[str, list]] = {pk: {name: [] for name in ABOUT} for pk in ids}
    if not ids:
        return rows
    union = _about_branch(
        Statement.about_actors.through, "actor", "actor__slug", "actor__name", "actor__name", ids, "actor__kind"
    ).union(
        _about_branch(
            Statement.about_places.through, "place", "place__slug", "place__name", "place__name", ids, "place__kind"
        ),
        _about_branch(Statement.about_events.through, "event", "event__id", "event__title", "event__date_start", ids),
        all=True,
    )
    # None (an undated or open-start event) sorts first, as the event list does (facts.models.date_order).
    for statement, kind, key, name, sub, _sort, _pk in sorted(
        union, key=lambda r: (r[0], r[1], r[5] is not None, r[5] or "", r[6])
    ):
        rows[statement][f"about_{kind}s"].append((key, name, sub))
    return rows


def statement_related(ids, wanted) -> dict:
    """What the statements `ids` are about (about_rows) and their evidence."""
    about = about_rows(ids if set(ABOUT) & set(wanted) else [])
    evidence = evidence_rows("statement", ids, wanted)
    return {pk: {**about.get(pk, {}), "evidence": evidence[pk]} for pk in ids}
