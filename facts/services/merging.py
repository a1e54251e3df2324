"""Merging a duplicate event into another: its evidence, participants, statements, about-links and children move.

`event_merge()` does it in one transaction, every moved row saved with the user and the reason so that the history
and the changes feed record it; the merged event stays as a tombstone (`Event.merged_into`), so that its id can
answer with its target. What a merge would break is refused before anything is written, naming the field.
"""

from django.db import transaction

from facts.models import Event, ReviewStatus, Statement
from facts.services.common import ErrorDetail, FactValidationError, reason_errors, stamp
from facts.services.writing import span_key


def events_locked(*ids: int) -> dict[int, Event]:
    """The events `ids` that exist, read after locking their rows in id order (inside the caller's transaction).

    Always in id order, whichever event is merged into which: two merges of the same pair in opposite directions
    then wait for each other instead of deadlocking, and the second sees the first one's tombstone.
    """
    wanted = sorted(set(ids))
    locked = list(Event.objects.select_for_update().filter(pk__in=wanted).order_by("pk").values_list("pk", flat=True))
    return Event.objects.select_related("merged_into").in_bulk(locked)


def _is_within(event: Event, ancestor: Event) -> bool:
    """Whether `event` is part of `ancestor` (its parent, its parent's parent ...)."""
    node, seen = event.parent, {event.pk}
    while node is not None and node.pk not in seen:
        if node.pk == ancestor.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def merge_refusals(event: Event | None, into: Event | None, *, into_id) -> ErrorDetail:
    """Why `event` may not be merged into `into` (event `into_id`, None if missing), by field; {} when it may."""
    if event is None or event.is_merged:
        target = f" (into event {event.merged_into_id})" if event is not None else ""
        return {"event": [f"This event was already merged{target}; merge its target instead."]}
    if into is None:
        return {"into": [f"No event with id {into_id}."]}
    if into.pk == event.pk:
        return {"into": ["An event cannot be merged into itself; give the id of its duplicate."]}
    if into.is_merged:
        return {"into": [f"Event {into.pk} was merged into event {into.merged_into_id}; merge into that one."]}
    if into.status == ReviewStatus.CANDIDATE:
        return {
            "into": [f"Event {into.pk} is an unvetted candidate: accept it (status draft) first, or merge it here."]
        }
    if _is_within(into, event):
        return {"into": [f"Event {into.pk} is part of this event: merge the other way, or change its parent first."]}
    return _role_refusals(event, into)


def _role_refusals(event: Event, into: Event) -> ErrorDetail:
    """An actor with different roles in the two events: the target would hold two roles, one of which is refused."""
    roles = dict(into.participants.values_list("actor_id", "role"))
    clashes = [
        f"{participant.actor} is {participant.role} here but {roles[participant.actor_id]} in event {into.pk}"
        for participant in event.participants.select_related("actor").order_by("id")
        if participant.actor_id in roles and roles[participant.actor_id] != participant.role
    ]
    if not clashes:
        return {}
    return {"participants": [f"{'; '.join(clashes)}. An actor has one role per event: give it the same role first."]}


def _move_evidence(event: Event, into: Event, *, user, reason: str) -> None:
    held = {span_key(span) for span in into.evidence.all()}
    for span in event.evidence.order_by("id"):
        stamp(span, user=user, reason=reason)
        if span_key(span) in held:
            span.delete(with_fact=True)  # the target already cites this passage
        else:
            span.event = into
            span.save()
            held.add(span_key(span))


def _move_participants(event: Event, into: Event, *, user, reason: str) -> None:
    held = set(into.participants.values_list("actor_id", flat=True))
    for participant in event.participants.order_by("id"):
        stamp(participant, user=user, reason=reason)
        if participant.actor_id in held:
            participant.delete()  # the same actor in the same role (roles that differ were refused)
        else:
            participant.event = into  # save() copies the target's dates and code
            participant.save()


def _move_statements(event: Event, into: Event, *, user, reason: str) -> None:
    for statement in Statement.objects.filter(event=event).order_by("id"):
        statement.event = into  # save() gives a statement without a date of its own the target's dates
        stamp(statement, user=user, reason=reason).save()
    for statement in Statement.objects.filter(about_events=event).order_by("id"):
        about = [e for e in statement.about_events.all() if e.pk != event.pk]
        stamp(statement, user=user, reason=reason)
        statement.about_events.set([*about, into] if into not in about else about)
        # As statement_update does: the statement is saved with its links, so its updated_at moves too.
        stamp(statement, user=user, reason=reason).save()


def _move_children(event: Event, into: Event, *, user, reason: str) -> None:
    for child in Event.objects.filter(parent=event).order_by("id"):
        child.parent = into
        stamp(child, user=user, reason=reason).save()
    # Earlier merges into this event: their tombstones now lead to the target directly (one hop, never a chain).
    for tombstone in Event.objects.filter(merged_into=event).order_by("id"):
        tombstone.merged_into = into
        stamp(tombstone, user=user, reason=reason).save()


def event_merge(*, event: Event | int, into: Event | int, user=None, reason: str = "") -> Event:
    """Merge `event` (a probable duplicate) into `into`, and return `into` as stored after the merge.

    In one transaction, with both rows locked (events_locked): the evidence spans move to `into` (a passage `into`
    already cites is dropped), the participants too (an actor `into` has, in the same role, is dropped; in another
    role the merge is refused), and the statements made at the event, the statements about it and the events
    within it now point to `into`. The event stays as a tombstone: `merged_into` set, no place and no parent; its
    own fields stay in its history, `into`'s own fields are unchanged. Every row is saved stamped with `user` and
    `reason`. Refused (FactValidationError naming `into`, `event`, `participants` or `reason`, nothing written):
    merging into itself, into a missing, merged or candidate event, or into an event within this one, and merging
    an event already merged.
    """
    event_id = event.pk if isinstance(event, Event) else event
    into_id = into.pk if isinstance(into, Event) else into
    if errors := reason_errors(reason):
        raise FactValidationError(errors)
    with transaction.atomic():
        locked = events_locked(event_id, into_id)
        source, target = locked.get(event_id), locked.get(into_id)
        if errors := merge_refusals(source, target, into_id=into_id):
            raise FactValidationError(errors)
        assert source is not None and target is not None  # merge_refusals names any that is missing
        _move_evidence(source, target, user=user, reason=reason)
        _move_participants(source, target, user=user, reason=reason)
        _move_statements(source, target, user=user, reason=reason)
        _move_children(source, target, user=user, reason=reason)
        source.merged_into, source.place, source.parent = target, None, None
        stamp(source, user=user, reason=reason).save()
        # The target changed (its parts did): its updated_at moves and its history records why.
        stamp(target, user=user, reason=reason).save()
    target.refresh_from_db()
    return target
