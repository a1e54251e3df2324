"""Events with their participants ({actor, role}) and evidence: check (`event_validate`), create and update."""

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import cast

from facts.models import Event, Participant, candidate_actors_refused
from facts.services.common import ErrorDetail, clean_errors, nested, replace_children, without
from facts.services.writing import FactCheck, fact_check, fact_write


def _participant_plan(participants: Sequence[Mapping], errors: ErrorDetail) -> list[Participant]:
    plan, item_errors, seen = [], [], set()
    for item in participants:
        participant = Participant(actor=item.get("actor"), role=item.get("role") or "")
        item_error = clean_errors(participant, exclude=["event"])
        actor_id = participant.actor_id
        if actor_id is not None and actor_id in seen:
            item_error.setdefault("actor", []).append("This actor already has a role in this event.")
        seen.add(actor_id)
        plan.append(participant)
        item_errors.append(item_error)
    if found := nested(item_errors):
        errors["participants"] = found
    return plan


def _replace_participants(event: Event, plan: list[Participant], *, user, reason, created: bool = False) -> None:
    def new_role(old, wanted) -> bool:
        if old.role == wanted.role:
            return False
        old.role = wanted.role
        return True

    replace_children(
        event,
        "event",
        [] if created else event.participants.all(),  # a new event has none stored
        plan,
        key=lambda p: p.actor_id,
        update=new_role,
        user=user,
        reason=reason,
    )


def _event_check(event: Event, *, fields, participants, evidence, user, reason, skip=frozenset()) -> FactCheck:
    def checks(checked: FactCheck):
        if participants is not None and "participants" not in skip:
            plan = checked.parts["participants"] = _participant_plan(participants, checked.errors)
            if "participants" not in checked.errors and (
                refused := candidate_actors_refused(event.status, [p.actor_id for p in plan])
            ):
                checked.errors["participants"] = [refused]

    return fact_check(event, fields=fields, evidence=evidence, user=user, reason=reason, skip=skip, extra_checks=checks)


def _event_write(checked: FactCheck, *, participants, user, reason) -> Event:
    created = checked.fact.pk is None

    def writes(saved):
        if participants is not None:
            _replace_participants(saved, checked.parts["participants"], user=user, reason=reason, created=created)

    return cast(Event, fact_write(checked, fact_field="event", user=user, reason=reason, extra_writes=writes))


def event_validate(
    *,
    event: Event | None = None,
    evidence: Sequence[Mapping] | None = None,
    participants: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> ErrorDetail:
    """Every problem event_create (no `event`) or event_update would report for this input; nothing is written.

    `skip` names input fields already found bad upstream (an unknown slug, a malformed item): they are neither
    checked nor reported, so that the caller can report them together with everything else. `event` stays as is.
    """
    target = Event() if event is None else copy.copy(event)
    checked = _event_check(
        target, fields=fields, participants=participants, evidence=evidence, user=user, reason=reason, skip=skip
    )
    return without(checked.errors, skip)


def event_create(
    *,
    evidence: Sequence[Mapping],
    participants: Sequence[Mapping] = (),
    user=None,
    reason: str = "",
    **fields,
) -> Event:
    """Create an event with its participants ({actor, role}) and evidence ({source, quote, occurrence?} or offsets).

    `fields` are Event model fields (title, event_type, place, parent, date_text, ... status). A date expression
    without explicit dates is resolved against the first evidence source's publication date.
    """
    participants = list(participants)
    checked = _event_check(
        Event(), fields=fields, participants=participants, evidence=list(evidence), user=user, reason=reason
    )
    return _event_write(checked, participants=participants, user=user, reason=reason)


def event_update(
    *,
    event: Event,
    evidence: Sequence[Mapping] | None = None,
    participants: Sequence[Mapping] | None = None,
    user=None,
    reason: str = "",
    **fields,
) -> Event:
    """Change an event's fields; `participants` / `evidence`, when given, replace the current ones (None keeps them)."""
    checked = _event_check(event, fields=fields, participants=participants, evidence=evidence, user=user, reason=reason)
    return _event_write(checked, participants=participants, user=user, reason=reason)
