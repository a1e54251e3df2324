"""How a filtered list is read cheaply: the conditions that need a plan, and the plan (QueryPlan) they lead to.

A FilterSet (facts.api.filters) turns query parameters into conditions and hands the result to one of the
`*_plan()` functions here, which return a QueryPlan: the filtered rows, plus what counts them more cheaply
(`counted`), or whether the page is picked together with the total (`count_with_page`, from `matches` if given).
The selectors (facts.selectors.pages) read that plan; nothing is left on the queryset for a later layer to find.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from facts.models import LIVE_EVENTS, Actor, ActorAlias, Event, Participant, Place, ReviewStatus, Statement, date_order


@dataclass(frozen=True)
class QueryPlan:
    """How to read one filtered list: its rows, and how to count them."""

    queryset: QuerySet  # the filtered rows, in the list's order
    base: QuerySet  # the unfiltered list (joins, prefetches), to read rows picked by id
    counted: QuerySet | None = None  # a cheaper queryset of the same size, counted instead of `queryset`
    # The page's query must read every match anyway (a free-text search): pick the page's ids with the total.
    count_with_page: bool = False
    # (id, date_start) rows, one per match, in the default order (date_start, id): the page is picked from these.
    matches: QuerySet | None = None


def matching_actor_ids(text: str):
    """Subquery of the ids of actors with `text` in their name or one of their aliases (trigram-indexed on PostgreSQL).

    A UNION rather than `name matches OR id IN (aliases)`: PostgreSQL estimates an OR with a subquery at half the
    actors, and then hash-joins every participant row instead of looking the few matching actors up by index.
    """
    by_name = Actor.objects.filter(name__icontains=text).order_by().values("id")
    return by_name.union(ActorAlias.objects.filter(name__icontains=text).order_by().values("actor_id"))


# Date windows -----------------------------------------------------------------------------------------------------

# Fact tables whose longest date interval PostgreSQL finds in one index probe (migration 0007).
SPAN_INDEXED_TABLES = {"facts_event", "facts_statement"}


def earliest_overlapping_start(model, after, using: str) -> RawSQL | None:
    """The earliest date_start a `model` fact ending on or after `after` can have, as SQL; None where not known.

    That is `after` minus the longest interval of any such fact, read in the same statement (so it holds for the
    rows the query sees). As a lower bound on date_start it lets the (date_start, date_end) index seek to the window,
    where `date_end >= after` alone has it read every fact that started before the window. None on SQLite (no date
    arithmetic on its text dates) and for tables without a span index, whose MAX would read every row.
    """
    table = model._meta.db_table
    if connections[using].vendor != "postgresql" or table not in SPAN_INDEXED_TABLES:
        return None
    return RawSQL(
        f"%s::date - (SELECT COALESCE(MAX(date_end - date_start), 0) FROM {table})", [after], output_field=DateField()
    )


def date_window_branches(
    after, before, *, start: str = "date_start", end: str = "date_end", earliest_start=None
) -> list[Q]:
    """The facts whose interval overlaps the window after..before (either may be None: that side unbounded), as
    disjoint conditions, one per kind of interval: both bounds known, start unknown, end unknown. [Q()] if no window.

    An unknown (NULL) bound is unbounded: a NULL start is earlier than any date, a NULL end later than any, so an
    open interval matches every window it may overlap. An undated fact (both NULL) matches no window. `start` and
    `end` name the columns (a participant's copies of its event's dates); `earliest_start`, where known
    (earliest_overlapping_start), bounds the start of the intervals that have both bounds, so that an index seeks
    to it. Each branch is one range of a (start, ...) index: the NULL starts lead it, as the date order puts them.
    """
    if after is None and before is None:
        return [Q()]
    closed, open_start = {}, {f"{start}__isnull": True}
    open_end = {f"{end}__isnull": True, f"{start}__isnull": False}
    if after is not None:
        closed[f"{end}__gte"] = open_start[f"{end}__gte"] = after
        if earliest_start is not None:
            closed[f"{start}__gte"] = earliest_start
    else:
        closed[f"{end}__isnull"] = open_start[f"{end}__isnull"] = False
    if before is not None:
        closed[f"{start}__lte"] = open_end[f"{start}__lte"] = before
    elif earliest_start is None:
        closed[f"{start}__isnull"] = False
    return [Q(**closed), Q(**open_start), Q(**open_end)]


def date_window(after, before, **columns) -> Q:
    """The facts whose interval overlaps the window after..before: the OR of date_window_branches."""
    return reduce(operator.or_, date_window_branches(after, before, **columns))


def fact_window(model, after, before, using: str) -> Q:
    """date_after and date_before of a fact list as one overlap condition on the fact's own dates."""
    start = earliest_overlapping_start(model, after, using) if after else None
    return date_window(after, before, earliest_start=start)


# What lists show: candidates are left out unless asked for -------------------------------------------------------


def live(queryset):
    """The facts of `queryset` that stand, whatever `status` is asked for: for events, all but the tombstones of
    merges (Event.is_merged), which no list, count, search or link shows; other facts are never merged."""
    return queryset.filter(**LIVE_EVENTS) if queryset.model is Event else queryset


def visible(queryset):
    """The facts of `queryset` a list shows when no `status` is asked for: the live ones but the extractor's candidates.

    Every other way a plan reads the same list (participant rows, a search's UNION, a walk) applies the same rule
    through these functions, so that its count and page agree with the filtered list.
    """
    return live(queryset).exclude(status=ReviewStatus.CANDIDATE)


def visible_actors(queryset):
    """The actors a list knows when no `status=candidate` is asked for: all but the extractor's candidate actors."""
    return queryset.exclude(status=ReviewStatus.CANDIDATE)


def visible_participants(queryset):
    """Participant rows of events a list shows: a hashed subplan over the few candidate events (status index).

    A tombstone of a merge has no participant rows (facts.services.event_merge moves them, and LIVE_EVENTS keeps
    new ones off it), so the rows of live events need no second subplan.
    """
    return queryset.exclude(event_id__in=Event.objects.filter(status=ReviewStatus.CANDIDATE).values("id"))


# One actor's events: the participant rows carry a copy of their event's dates and type --------------------------


@dataclass(frozen=True)
class Participation:
    """What the events' `actor`, `role`, `type` and date window ask of the participant rows."""

    actors: tuple = ()
    role: str = ""
    type_code: str = ""
    after: object = None
    before: object = None

    def window_branches(self, prefix: str, using: str) -> list[Q]:
        """The date window on participant rows' copy of their event's dates, bounded as the events' are (an unknown
        bound unbounded, undated events never matching: date_window_branches)."""
        start = earliest_overlapping_start(Event, self.after, using) if self.after else None
        return date_window_branches(
            self.after,
            self.before,
            start=f"{prefix}event_date_start",
            end=f"{prefix}event_date_end",
            earliest_start=start,
        )

    def type_lookup(self, prefix: str) -> dict:
        """The type prefix as a lookup on participant rows' copy of their event's CAMEO code."""
        return {f"{prefix}event_type_code__startswith": self.type_code} if self.type_code else {}


def events_taking_part(queryset, part: Participation, *, default_order: tuple):
    """The events in which every actor of `part` takes part (each in `part.role`, if given), in the date window.

    The first actor is a join, not EXISTS (an actor has one role per event, so no row repeats), and the date window
    and type are repeated on the participant's copy of the event's dates and code. The (actor, date) index then
    finds, checks and orders the page by itself, however many events the actor has: EXISTS leaves PostgreSQL to
    walk the whole date index probing each event for the actor, or to sort all of its events.
    """
    first, *others = part.actors
    joined = {"participants__actor": first}
    if part.role:
        joined["participants__role"] = part.role
    window = reduce(operator.or_, part.window_branches("participants__", queryset.db))
    queryset = queryset.filter(window, **joined, **part.type_lookup("participants__"))
    if tuple(queryset.query.order_by) == default_order:
        # The same order, read from the joined copy: the planner cannot know the two columns are equal.
        queryset = queryset.order_by(date_order("participants__event_date_start"), "participants__event_id")
    for actor in others:
        taking_part = Participant.objects.filter(event=OuterRef("pk"), actor=actor)
        if part.role:
            taking_part = taking_part.filter(role=part.role)
        queryset = queryset.filter(Exists(taking_part))
    return queryset


def participant_count(part: Participation, using: str):
    """A queryset as large as the events of `part`'s one actor, read from the participant index alone.

    Each match is one of the actor's participant rows (one per event), which carry the event's dates and type:
    counting those reads the actor's entries in participant_actor_date, instead of probing every matching event.
    """
    counted = visible_participants(Participant.objects.order_by().filter(actor=part.actors[0], **part.type_lookup("")))
    if part.role:
        counted = counted.filter(role=part.role)
    # One range of the index per kind of interval (dates known, start or end unknown), counted together.
    # event_id, not id: the index holds it, so each branch is counted from the index alone.
    first, *others = [counted.filter(branch).values("event_id") for branch in part.window_branches("", using)]
    return first.union(*others, all=True) if others else first


# Free-text search over the facts ---------------------------------------------------------------------------------

# A search alone walks the facts in the list's order, testing each, instead of sorting every match, when the planner
# expects its text in at least this share of the table: the first page then reads about 50 / share facts and the
# capped count about COUNT_CAP / share, where sorting reads every match. Measured at 10^6 events (bench_q), the walk
# tests about 1.5 facts a microsecond (a capped count of "border", 25% of events, read 40,000 in 27 ms) and the sort
# takes about 3.6 ms per 1,000 matches (254,522 matches of "border": 990 ms), so the two cost the same near 4% of
# the table (about 150 ms): walk above 5%, sort below. Small tables are sorted whatever the text.
BROAD_SEARCH_SHARE = 0.05
BROAD_SEARCH_MIN_ROWS = 50_000


def broad_search_actor_ids(model, columns: tuple[str, ...], text: str, using: str) -> list[int] | None:
    """For a text the planner expects in BROAD_SEARCH_SHARE of `model`'s rows or more (in one of its text
    `columns`), the ids of the actors it names.

    None otherwise, and always on databases other than PostgreSQL (the estimate is migration 0010's function). The
    ids come back with the estimate, in the same query, so that the walk can test each fact's actors against a list:
    as a subquery, PostgreSQL joins it with the participants again for every event it tests.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    actors_sql, actors_params = matching_actor_ids(text).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN e.total >= %s AND e.matches >= %s * e.total THEN ARRAY({actors_sql}) END "
            f"FROM facts_text_estimate(%s::regclass, %s, %s) e",
            [
                BROAD_SEARCH_MIN_ROWS,
                BROAD_SEARCH_SHARE,
                *actors_params,
                model._meta.db_table,
                list(columns),
                f"%{connection.ops.prep_for_like_query(text)}%",
            ],
        )
        return cursor.fetchone()[0]


def event_own_text(text) -> Q:
    """An event whose title or description contains `text`."""
    return Q(title__icontains=text) | Q(description__icontains=text)


def event_at_places(text) -> Q:
    """An event at a place whose name contains `text`."""
    return Q(place__in=Place.objects.filter(name__icontains=text).order_by().values("id"))


def event_search_branches(text):
    """The ways an event matches a search: its title or description, its place's name, an actor's name."""
    by_text = visible(Event.objects.filter(event_own_text(text))).order_by()
    at_place = visible(Event.objects.filter(event_at_places(text))).order_by()
    with_actor = visible_participants(Participant.objects.filter(actor__in=matching_actor_ids(text))).order_by()
    return by_text, at_place, with_actor


def event_search(text) -> Q:
    """The events a search matches, as one UNION of event ids.

    Each way to match is one branch, so that each can use its own index on PostgreSQL (trigram GIN on title and
    description, the place and actor foreign keys) after the few matching places and actors are found through their
    trigram indexes. ORed together in one WHERE they force a scan of every event.
    """
    by_text, at_place, with_actor = event_search_branches(text)
    return Q(pk__in=by_text.values("id").union(at_place.values("id"), with_actor.values("event_id")))


def event_search_walk(text, actor_ids) -> Q:
    """The search as one condition on each event, the cheapest tests first, for walking the events in order.

    The same matches as event_search, given the ids of the actors whose names contain `text`.
    """
    walk = event_own_text(text) | event_at_places(text)
    if actor_ids:
        walk |= Q(Exists(Participant.objects.filter(event=OuterRef("pk"), actor_id__in=actor_ids)))
    return walk


def event_search_matches(text):
    """The search's matches as (id, date_start) rows, in a UNION of the same branches as event_search.

    The actor branch reads each match's start date from the participant row (the participant index holds a copy),
    so the page is sorted and counted from the UNION itself, without looking every match up in the events table.
    """
    by_text, at_place, with_actor = event_search_branches(text)
    return by_text.values("id", "date_start").union(
        at_place.values("id", "date_start"), with_actor.values("event_id", "event_date_start")
    )


def statement_own_text(text) -> Q:
    """A statement whose words or channel contain `text`."""
    return Q(text__icontains=text) | Q(channel__icontains=text)


def statement_search(text) -> Q:
    """The statements a search matches: a UNION of statement ids, one indexable branch per way to match."""
    by_text = Statement.objects.filter(statement_own_text(text)).order_by()
    by_speaker = Statement.objects.filter(speaker__in=matching_actor_ids(text)).order_by()
    return Q(pk__in=by_text.values("id").union(by_speaker.values("id")))


def statement_search_walk(text, actor_ids) -> Q:
    """The search as one condition on each statement, for walking the statements in date order.

    The same matches as statement_search, given the ids of the actors whose names contain `text`.
    """
    walk = statement_own_text(text)
    return walk | Q(speaker_id__in=actor_ids) if actor_ids else walk


@dataclass(frozen=True)
class FactSearch:
    """A fact table's search: its UNION condition, its walk, and (if it has one) its (id, date_start) matches."""

    model: type
    columns: tuple[str, ...]  # the text columns the planner's estimate looks at
    condition: Callable[[str], Q]
    walk: Callable[[str, list], Q]
    matches: Callable | None = None


EVENT_SEARCH = FactSearch(Event, ("title", "description"), event_search, event_search_walk, event_search_matches)
STATEMENT_SEARCH = FactSearch(Statement, ("text", "channel"), statement_search, statement_search_walk)


# Plans -----------------------------------------------------------------------------------------------------------


def list_plan(base, filtered, *, text: str = "") -> QueryPlan:
    """The plan of any list: a search (`text`) picks its page with the total, since it reads every match anyway."""
    return QueryPlan(filtered, base, count_with_page=bool(text))


def search_alone_plan(base, filtered, search: FactSearch, text: str, *, default_order: bool) -> QueryPlan:
    """The plan of a fact search with no other condition.

    A text in much of a large table walks the list's order (every offered order has its index: its page's matches
    are in the first few hundred facts, and the count stops at the cap, where sorting would read every match;
    `search=border&ordering=date_end` sorted 254,522 matches, 990 ms at p95 at 10^6). Any other text is sorted: in
    the default order from the UNION of `search.matches` where the table has one.
    """
    actor_ids = broad_search_actor_ids(search.model, search.columns, text, using=base.db)
    if actor_ids is not None:
        return QueryPlan(visible(base.filter(search.walk(text, actor_ids))).order_by(*filtered.query.order_by), base)
    matches = search.matches(text) if search.matches is not None and default_order else None
    return QueryPlan(filtered, base, count_with_page=True, matches=matches)


def fact_plan(base, filtered, search: FactSearch, *, text: str, alone: bool, default_order: bool) -> QueryPlan:
    """The plan of a fact list; `alone`: the search is its only condition; `default_order`: the list's own order."""
    if text and alone and not base.query.where:
        return search_alone_plan(base, filtered, search, text, default_order=default_order)
    return list_plan(base, filtered, text=text)


def event_plan(
    base, filtered, *, part: Participation, text: str, alone: bool, default_order: bool, actor_alone: bool
) -> QueryPlan:
    """The plan of an event list; `actor_alone`: one actor, maybe a role, a type and a window, and nothing else."""
    if len(part.actors) == 1 and actor_alone and not base.query.where:
        return QueryPlan(filtered, base, counted=participant_count(part, base.db))
    return fact_plan(base, filtered, EVENT_SEARCH, text=text, alone=alone, default_order=default_order)
