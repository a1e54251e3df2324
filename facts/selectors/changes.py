"""Reading the changes feed from django-simple-history's tables: one page in (time, model, history id) order, the
objects whose representation each part's change touched, and the current URL keys of the objects of a page."""

from __future__ import annotations

import heapq

from django.db import models
from django.db.models import Q

from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)
from facts.selectors.planning import live

DEFAULT_PAGE_SIZE = 100

# Every model with history, by the name the feed uses (its model name). Sorted: the name is part of the order.
FEED_MODELS: dict[str, type[models.Model]] = {
    str(m._meta.model_name): m
    for m in sorted(
        [Source, Actor, ActorAlias, Place, Affiliation, Event, Participant, Statement, Relation, EvidenceSpan],
        key=lambda m: str(m._meta.model_name),
    )
}

# The models with a detail route of their own, and the field their URLs are keyed by. Models without one (aliases,
# participants, evidence) change together with the object that owns them.
URL_KEYS = {"source": "pk", "actor": "slug", "place": "slug", "event": "pk", "statement": "pk", "relation": "pk"}


def _after(name: str, position) -> Q:
    """Rows of model `name` strictly after `position` in (time, model, history id) order."""
    when, model, history_id = position
    if name > model:
        return Q(history_date__gte=when)
    if name < model:
        return Q(history_date__gt=when)
    return Q(history_date__gt=when) | Q(history_date=when, history_id__gt=history_id)


def changes_page(*, since=None, model=None, cursor=None, page_size=DEFAULT_PAGE_SIZE) -> tuple[list, tuple | None]:
    """One page of historical records in feed order, and the position to continue from (None on the last page).

    Each model's table answers at most page_size + 1 rows through its history_date index; merging those sorted
    streams gives the page, whatever the number of models.
    """
    streams = []
    for name, feed_model in FEED_MODELS.items():
        if model and name != model:
            continue
        history = feed_model.history  # type: ignore[attr-defined]  # simple_history's manager
        queryset = history.all().select_related("history_user")
        if since is not None:
            queryset = queryset.filter(history_date__gte=since)
        if cursor is not None:
            queryset = queryset.filter(_after(name, cursor))
        rows = queryset.order_by("history_date", "history_id")[: page_size + 1]
        streams.append([((row.history_date, name, row.history_id), row) for row in rows])
    merged = list(heapq.merge(*streams, key=lambda pair: pair[0]))
    page, more = merged[:page_size], len(merged) > page_size
    return page, (page[-1][0] if more else None)


# Parts have no endpoint of their own: they show in their owner's representation. (part model, foreign key, owner
# model) in the order a part is looked up; a span of an affiliation shows in the affiliated person's actor, and a
# span of an alias in the alias' actor.
PART_OWNERS = {
    "participant": [("event", "event")],
    "actoralias": [("actor", "actor")],
    "affiliation": [("person", "actor")],
    "evidencespan": [
        ("event", "event"),
        ("statement", "statement"),
        ("relation", "relation"),
        ("affiliation", "affiliation"),
        ("alias", "actoralias"),
    ],
}
# Parts that own spans, and the field of theirs that names the actor they show in.
SPAN_HOLDERS: dict[str, tuple[type[Affiliation] | type[ActorAlias], str]] = {
    "affiliation": (Affiliation, "person_id"),
    "actoralias": (ActorAlias, "actor_id"),
}


def _part_owner(name: str, row) -> tuple[str, int] | None:
    """(owner model, owner id) of a part's historical record: the object whose representation it changed."""
    for field, owner in PART_OWNERS.get(name, ()):
        if (owner_id := getattr(row, f"{field}_id", None)) is not None:
            return owner, owner_id
    return None


def page_owners(page) -> dict[tuple[str, int], tuple[str, int]]:
    """(model, history id) -> (owner model, id) for every part in the page, affiliations resolved to their person."""
    owners = {(name, row.history_id): owner for (_, name, _), row in page if (owner := _part_owner(name, row))}
    for holder, (holder_model, actor_field) in SPAN_HOLDERS.items():
        ids = {oid for model, oid in owners.values() if model == holder}
        if not ids:
            continue
        # The holder's actor now, else as its history last recorded it (a deleted affiliation or alias).
        actor = dict(
            holder_model.history.filter(id__in=ids)
            .order_by("history_date", "history_id")
            .values_list("id", actor_field)
        )
        actor.update(holder_model.objects.filter(pk__in=ids).values_list("pk", actor_field))
        owners = {
            key: ("actor", actor[oid]) if model == holder else (model, oid)
            for key, (model, oid) in owners.items()
            if model != holder or oid in actor
        }
    return owners


def merged_into(name: str, row) -> int | None:
    """The event a historical record of an event says it was merged into (a tombstone's record), else None."""
    return getattr(row, "merged_into_id", None) if name == "event" and row.history_type != "-" else None


def current_keys(page, owners) -> dict[str, dict[int, object]]:
    """For each model in the page (each part's owner, each merge's target): id -> current URL key (slug or pk), if
    it exists and stands: a tombstone of a merge has none (planning.live), its record of the merge names its target."""
    wanted: dict[str, set[int]] = {}
    for (_, name, _), row in page:
        if name in URL_KEYS and row.history_type != "-":
            wanted.setdefault(name, set()).add(row.id)
        if (target := merged_into(name, row)) is not None:
            wanted.setdefault("event", set()).add(target)
    for owner, owner_id in owners.values():
        wanted.setdefault(owner, set()).add(owner_id)
    current = {}
    for name, ids in wanted.items():
        key = URL_KEYS[name]
        current[name] = dict(live(FEED_MODELS[name]._default_manager.filter(pk__in=ids)).values_list("pk", key))
    return current
