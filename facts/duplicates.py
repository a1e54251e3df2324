"""Probable duplicates of an event, named when it is created (issue 19, "Corroboration, duplicates and merges").

A stored event is a probable duplicate of an event being created (or of another stored one) when it has

1. the same CAMEO root (the first two digits of its code),
2. an overlapping date interval, a NULL bound being unbounded as in the date filters (an undated event overlaps
   nothing: facts.selectors.planning.date_window_branches),
3. a shared participant,

and at least one of

4. a similar title: rapidfuzz's token_sort_ratio of the two titles (lower-cased, punctuation dropped) is at least
   TITLE_SIMILARITY, or
5. overlapping evidence: one of its spans overlaps one of the event's spans in the same source.

An event's parent and its children (`Event.parent`) are never its duplicates: a curator has already said that one is
a part of the other, and a part is often cited by a passage of the whole (the seed's talks, event 16, and their
start, event 18, share "the expected four days of talks between the two sides Monday").

The three base conditions are all on the Participant rows, which carry a copy of their event's dates and CAMEO code
in the (actor, date, event, date end, code) index `participant_actor_date`: the candidates are found in the index
entries of the event's actors alone (at most CANDIDATE_ROWS of them, the nearest in date), and only those events'
titles are read. The events citing an overlapping passage are found from the event's spans, through the
(source, start) index, and checked against the base conditions in the same participant rows. A call costs one to
five queries (candidates, overlapping spans, the base conditions of the events found that way, titles, the shared
actors' slugs), and event_duplicates_of two more (the event's participants and spans).
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce

from django.db import connections
from django.db.models import FloatField, Q
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz, utils

from facts.models import Actor, Event, EvidenceSpan, Participant, ReviewStatus
from facts.selectors.planning import Participation

# token_sort_ratio, not token_set_ratio: the set ratio scores 100 whenever one title's words are all in the other,
# and 85 for "Colonna visits Baku" against "Colonna visits Yerevan" (two parts of one trip in the seed article),
# since the shared words outweigh the one that tells them apart. The sort ratio compares the whole titles, word
# order aside: 68 for that pair, at most 64 for any other pair of the article's events that meets the base
# conditions, and 75 to 86 for rewordings of one title ("US hosts Armenia-Azerbaijan talks" against "Armenia-
# Azerbaijan talks hosted by the United States": 75; "Blinken calls Aliyev" against "Blinken's call with Ilham
# Aliyev": 77). A reworded report that shares fewer words is left to the evidence rule, or to the curator.
TITLE_SIMILARITY = 75

# The title rule compares at most this many participant rows' events, the nearest in date first. Only an event with
# a long or open interval and well-documented actors has more (an open start with the three busiest actors of 10^6
# synthetic events: 18,643 events, whose titles alone take 150 ms to read). Overlapping evidence is found apart,
# from the spans' side, and never capped.
CANDIDATE_ROWS = 500

Span = tuple[int, int, int]  # (source id, start, end): a passage source.text[start:end]


@dataclass(frozen=True)
class Duplicate:
    """A stored event that probably reports the same event, and why (one reason per rule it meets)."""

    id: int
    title: str
    reasons: list[str] = field(default_factory=list)
    # The stored event's review status (a candidate, or vetted): what it is, not why it is a duplicate.
    status: str = field(default="", compare=False)


def cameo_root(code: str) -> str:
    """The CAMEO root of a code: its first two digits ("0871" -> "08"); "" for a code without one."""
    code = (code or "").strip()
    return code[:2] if len(code) >= 2 and code[:2].isdigit() else ""


def title_similarity(first: str, second: str) -> int:
    """How alike two titles are, 0 to 100, word order aside (see TITLE_SIMILARITY)."""
    return round(fuzz.token_sort_ratio(first or "", second or "", processor=utils.default_process))


def spans_overlap(first: Span, second: Span) -> bool:
    """Whether two passages share a character of the same source (offsets are half-open: start..end-1)."""
    return first[0] == second[0] and first[1] < second[2] and second[1] < first[2]


def event_duplicates(
    *,
    event_type_code: str,
    date_start,
    date_end,
    actor_ids: Collection[int],
    title: str,
    spans: Sequence[Span] = (),
    exclude: int | None = None,
    limit: int = 10,
    parent: int | None = None,
    vetted_only: bool = False,
    slugs: Mapping[int, str] | None = None,
) -> list[Duplicate]:
    """The stored events that are probable duplicates of an event with these fields, the likeliest first.

    The dates are datetime.date or None (an open bound). `spans` are the event's evidence as (source id, start, end);
    `exclude` is the event's own id, if stored (its
    children are then left out too), and `parent` the event it is a part of, if any (left out). Those with
    overlapping evidence come first, then by title similarity, then by id; at most `limit` of them. `vetted_only`
    leaves the extractor's candidates out (propose_facts: a proposal that matches a vetted event is more evidence
    for it). `slugs` maps the actors' ids to their slugs, for the reasons, when the caller has them (else read).
    """
    return _duplicates(
        event_type_code=event_type_code,
        date_start=date_start,
        date_end=date_end,
        actor_ids=actor_ids,
        title=title,
        spans=spans,
        exclude=exclude,
        limit=limit,
        parent=parent,
        vetted_only=vetted_only,
        slugs=slugs,
    )


def event_duplicates_of(event: Event, *, limit: int = 10) -> list[Duplicate]:
    """The probable duplicates of a stored event, from its own fields, participants and spans (itself excluded)."""
    using = event._state.db or "default"
    slugs = dict(Participant.objects.using(using).filter(event=event).values_list("actor_id", "actor__slug"))
    spans = list(
        EvidenceSpan.objects.using(using)
        .filter(event=event, start__isnull=False, end__isnull=False, candidate=False)
        .values_list("source_id", "start", "end")
    )
    return _duplicates(
        event_type_code=event.event_type_id,
        date_start=event.date_start,
        date_end=event.date_end,
        actor_ids=list(slugs),
        title=event.title,
        spans=spans,
        exclude=event.pk,
        limit=limit,
        parent=event.parent_id,
        slugs=slugs,
        using=using,
    )


def _duplicates(
    *,
    event_type_code,
    date_start,
    date_end,
    actor_ids,
    title,
    spans,
    exclude,
    limit,
    parent=None,
    slugs: Mapping[int, str] | None = None,
    using: str = "default",
    vetted_only: bool = False,
) -> list[Duplicate]:
    """event_duplicates, given the actors' slugs where the caller has them (else read for the duplicates only)."""
    root = cameo_root(event_type_code)
    if not root or not actor_ids or (date_start is None and date_end is None) or limit <= 0:
        return []  # no root, no participant, or undated: nothing can meet the base conditions
    base = Base(root, date_start, date_end, frozenset(actor_ids), exclude, using)
    shared = base.nearest()
    overlapping = overlapping_evidence(spans, exclude=exclude, using=using)
    # Events citing our passages are checked whatever the cap on `nearest`: the base conditions of those few.
    if unchecked := set(overlapping) - set(shared):
        shared.update(base.among(unchecked))
    if not shared:
        return []
    titles, statuses = _titles(shared, parent=parent, exclude=exclude, vetted_only=vetted_only, using=using)
    found = []
    for event_id, candidate_title in titles.items():
        score = title_similarity(title, candidate_title)
        sources = overlapping.get(event_id, ())
        if score >= TITLE_SIMILARITY or sources:
            found.append((event_id, candidate_title, score, sources))
    # Overlapping evidence is the stronger sign (the same passage of the same source), then the closer title.
    found.sort(key=lambda row: (not row[3], -row[2], row[0]))
    found = found[:limit]
    if slugs is None:
        wanted = {actor for row in found for actor in shared[row[0]]}
        slugs = dict(Actor.objects.using(using).filter(pk__in=wanted).values_list("id", "slug")) if wanted else {}
    return [
        Duplicate(event_id, candidate_title, reasons(root, shared[event_id], slugs, score, sources), statuses[event_id])
        for event_id, candidate_title, score, sources in found
    ]


def _titles(shared, *, parent, exclude, vetted_only: bool, using: str) -> tuple[dict[int, str], dict[int, str]]:
    """The titles and review statuses of the events `shared` names, but the event's parent and children (see the
    module's docstring) and, with `vetted_only`, the extractor's candidates."""
    events = Event.objects.using(using).filter(pk__in=shared)
    if vetted_only:
        events = events.exclude(status=ReviewStatus.CANDIDATE)
    titles, statuses = {}, {}
    for event_id, candidate_title, its_parent, status in events.values_list("id", "title", "parent_id", "status"):
        if event_id != parent and (exclude is None or its_parent != exclude):
            titles[event_id], statuses[event_id] = candidate_title, status
    return titles, statuses


def reasons(root: str, actors: Collection[int], slugs: Mapping[int, str], score: int, sources) -> list[str]:
    """The rules a duplicate meets, in words: the three base conditions, then the similar title and evidence."""
    named = sorted(slugs.get(actor, str(actor)) for actor in actors)
    found = [f"same CAMEO root {root}", "overlapping dates", *(f"shared participant {slug}" for slug in named)]
    if score >= TITLE_SIMILARITY:
        found.append(f"similar title ({score})")
    found.extend(f"overlapping evidence in source {source}" for source in sources)
    return found


@dataclass(frozen=True)
class Base:
    """The three base conditions, as a condition on participant rows: the root, the date window and the actors.

    Read from the participant rows of `actors` only: participant_actor_date holds the actor, the event's dates, the
    event id and the event's CAMEO code, so each actor's candidates are one or three ranges of its entries (one per
    kind of interval: date_window_branches), the code checked in the index. Participation bounds the start of the
    closed intervals by the longest event interval (earliest_overlapping_start), so that a well-documented actor's
    older events are not read.
    """

    root: str
    date_start: object
    date_end: object
    actors: frozenset
    exclude: int | None
    using: str

    def rows(self):
        """The participant rows of `actors` in events that meet the base conditions (`exclude` left out)."""
        window = Participation(after=self.date_start, before=self.date_end)
        # date_window_branches reads after..before as a window: an event with one open bound is a one-sided window.
        branches = window.window_branches("", self.using)
        rows = Participant.objects.using(self.using).filter(
            reduce(operator.or_, branches), actor_id__in=self.actors, event_type_code__startswith=self.root
        )
        return rows.exclude(event_id=self.exclude) if self.exclude is not None else rows

    def nearest(self) -> dict[int, set[int]]:
        """The events that meet the base conditions, each with the actors it shares: at most CANDIDATE_ROWS
        participant rows, those whose dates are nearest the event's first."""
        rows = self.rows().order_by(*nearness(self.date_start, self.date_end, self.using), "event_id")
        return shared_actors(rows[:CANDIDATE_ROWS])

    def among(self, event_ids: Collection[int]) -> dict[int, set[int]]:
        """Those of `event_ids` that meet the base conditions, each with the actors it shares (no cap)."""
        return shared_actors(self.rows().filter(event_id__in=list(event_ids)).order_by())


def shared_actors(rows) -> dict[int, set[int]]:
    """{event id: the ids of its actors among the rows} for participant rows."""
    shared: dict[int, set[int]] = {}
    for event_id, actor_id in rows.values_list("event_id", "actor_id"):
        shared.setdefault(event_id, set()).add(actor_id)
    return shared


def nearness(date_start, date_end, using: str) -> list:
    """An order of participant rows by how far their event's first known date is from this event's (the middle of
    its interval, or its one known bound), in days; [] on databases other than PostgreSQL and SQLite (no order)."""
    if date_start is not None and date_end is not None:
        anchor = date_start + (date_end - date_start) / 2
    else:
        anchor = date_start if date_start is not None else date_end
    vendor = connections[using].vendor
    if vendor == "postgresql":
        sql = "ABS(COALESCE(event_date_start, event_date_end) - %s::date)"
    elif vendor == "sqlite":
        sql = "ABS(julianday(COALESCE(event_date_start, event_date_end)) - julianday(%s))"
    else:
        return []
    return [RawSQL(sql, [anchor.isoformat()], output_field=FloatField()).asc()]


def overlapping_evidence(spans: Sequence[Span], *, exclude: int | None, using: str) -> dict[int, list[int]]:
    """The events with a span overlapping one of `spans`, each with the ids of the sources they overlap in.

    Found from the spans' side, through the (source, start) index: one range per passage of ours (its source, the
    spans starting before it ends), checked for ending after it starts. A source holds a few dozen spans.
    """
    ours = {span for span in spans if None not in span}
    if not ours:
        return {}
    overlap = reduce(operator.or_, (Q(source_id=source, start__lt=end, end__gt=start) for source, start, end in ours))
    # A candidate span (more evidence proposed for an event, not accepted) is not the event's evidence yet.
    theirs = EvidenceSpan.objects.using(using).filter(overlap, event__isnull=False, candidate=False)
    if exclude is not None:
        theirs = theirs.exclude(event_id=exclude)
    found: dict[int, set[int]] = {}
    for event_id, source, start, end in theirs.order_by().values_list("event_id", "source_id", "start", "end"):
        # start__lt/end__gt matched: neither bound is NULL.
        if start is not None and end is not None and any(spans_overlap((source, start, end), span) for span in ours):
            found.setdefault(event_id, set()).add(source)
    return {event_id: sorted(sources) for event_id, sources in found.items()}
