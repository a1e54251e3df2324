"""The analyst's question "who claims what about this event?": an event's statements grouped by the side they speak for.

`event_claims(event)` is the one selector (GET /api/v1/events/{id}/claims/ serializes what it returns):

- The claims about an event are the statements whose `about_events` names it. A statement made at the event
  (`Statement.event`) counts only when it is also about it: remarks made at a visit are not claims about the visit
  (the spec links every statement to each event it speaks about).
- A statement speaks for the top of its speaker's affiliations: the state or organization reached by following the
  affiliation links upwards until none is left (Patel -> State Department -> United States), or for the speaker
  itself when it has no affiliation (a state speaking for itself). A speaker with several top affiliations speaks
  for each of them, so its statement is listed under each side. Affiliation dates are not consulted: the article
  gives every role as of its publication.

Sides come in name order, and each side's statements in the statements' own order (Statement.Meta.ordering). The
whole answer takes four queries, however many statements, speakers and levels of affiliation there are.
"""

from dataclasses import dataclass, field

from django.db.models import F, Prefetch

from facts.models import Actor, ActorQuerySet, Event, EvidenceSpan, ReviewStatus, Statement

ACTOR_COLUMNS = ("id", "slug", "name", "kind")


@dataclass
class ClaimSide:
    """One side: the actor the statements speak for, and the statements."""

    actor: Actor
    statements: list[Statement] = field(default_factory=list)


@dataclass
class EventClaims:
    """The claims about one event, by side."""

    event: Event
    sides: list[ClaimSide]


def claims_about(event: Event):
    """The statements that are claims about `event` (its id in their about_events), speakers and evidence loaded."""
    spans = (
        EvidenceSpan.objects.only("id", "quote", "start", "end", "source_id", "statement")
        .annotate(source_title=F("source__title"))
        .order_by("source__published", "source_id", "start", "id")
    )
    return (
        Statement.objects.filter(about_events=event)
        .exclude(status=ReviewStatus.CANDIDATE)  # as the lists: a curator's yes first
        .select_related("speaker")
        .only(
            "id",
            "kind",
            "text",
            "channel",
            "date_text",
            "date_start",
            "date_end",
            "date_precision",
            *(f"speaker__{name}" for name in ACTOR_COLUMNS),
        )
        .prefetch_related(Prefetch("evidence", queryset=spans, to_attr="evidence_prefetched"))
    )


def top_sides(links: list[tuple[int, int]], actor_id: int) -> list[int]:
    """The ids of the tops reached from `actor_id` by the (member, organization) `links`; itself if it has none."""
    above: dict[int, set[int]] = {}
    for member, organization in links:
        above.setdefault(member, set()).add(organization)
    tops, seen, todo = set(), set(), [actor_id]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        if above.get(node):
            todo.extend(above[node])
        elif node != actor_id:
            tops.add(node)
    # A cycle (only a write that bypassed Affiliation's rules can make one) has no top: its direct links stand in.
    return sorted(tops or above.get(actor_id) or {actor_id})


def event_claims(event: Event) -> EventClaims:
    """Every claim about `event`, grouped by the side it speaks for (see the module's docstring)."""
    statements = list(claims_about(event))
    speakers = {statement.speaker_id: statement.speaker for statement in statements}
    links = ActorQuerySet.links_above(speakers)
    side_ids = {speaker: top_sides(links, speaker) for speaker in speakers}
    actors = dict(speakers)
    missing = {side for sides in side_ids.values() for side in sides} - set(actors)
    if missing:
        actors.update((actor.pk, actor) for actor in Actor.objects.filter(pk__in=missing).only(*ACTOR_COLUMNS))
    sides: dict[int, ClaimSide] = {}
    for statement in statements:
        for side in side_ids[statement.speaker_id]:
            sides.setdefault(side, ClaimSide(actors[side])).statements.append(statement)
    ordered = sorted(sides.values(), key=lambda side: (side.actor.name, side.actor.pk))
    return EventClaims(event=event, sides=ordered)
