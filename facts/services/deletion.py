"""Deleting an object with the parts it owns, refused while other records depend on it."""

from collections.abc import Sequence
from typing import cast

from django.db import models, transaction
from django.db.models import Q

from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    ProposalState,
    Relation,
    Statement,
    span_removal_refused,
)
from facts.services.common import DependentsExist, FactValidationError, reason_errors, stamp

# Parts owned by one object: deleting the object deletes them, each with its own history record. An event's
# merged_events are the tombstones of the events merged into it (facts.services.event_merge).
OWNED_PARTS = {
    Event: ("participants", "evidence", "merged_events"),
    Statement: ("evidence",),
    Relation: ("evidence",),
    Affiliation: ("evidence",),
    ActorAlias: ("evidence",),
    Actor: ("aliases",),
}


# What goes with a rejected candidate actor: the candidates that name it, which cannot stand without it (a vetted fact
# or an accepted affiliation never names a candidate actor: facts.models.candidate_actors_refused). Per related
# model, the condition on its rows; deleting the actor deletes those first, each with the same reason.
GOES_WITH_CANDIDATE_ACTOR: dict[type[models.Model], Q] = {
    Participant: Q(event__status=ProposalState.CANDIDATE),
    Statement: Q(status=ProposalState.CANDIDATE),
    Relation: Q(status=ProposalState.CANDIDATE),
    Affiliation: Q(status=ProposalState.CANDIDATE),
}


def _goes_with(instance: models.Model) -> bool:
    return isinstance(instance, Actor) and instance.status == ProposalState.CANDIDATE


def candidates_naming(actor: Actor) -> list[models.Model]:
    """The candidate events, statements, relations and affiliations that name the candidate `actor`: what
    rejecting it rejects too."""
    found: list[models.Model] = list(
        Event.objects.filter(status=ProposalState.CANDIDATE, participants__actor=actor).distinct().order_by("pk")
    )
    found += Statement.objects.filter(status=ProposalState.CANDIDATE, speaker=actor).order_by("pk")
    found += Relation.objects.filter(Q(subject=actor) | Q(object=actor), status=ProposalState.CANDIDATE).order_by("pk")
    found += Affiliation.objects.filter(
        Q(person=actor) | Q(organization=actor), status=ProposalState.CANDIDATE
    ).order_by("pk")
    return found


def dependents_of(instance: models.Model, *, limit: int = 20) -> list[dict]:
    """Records that refer to `instance` and would block its deletion or lose a link silently.

    A protected or restricted foreign key, and every many-to-many link (a statement about an actor), count as
    dependents; parts the object owns (an event's participants and evidence, an actor's aliases) do not.
    """
    found = []
    for rel in instance._meta.related_objects:
        related_model = cast("type[models.Model]", rel.related_model)  # never "self" once the apps are loaded
        protective = getattr(rel, "on_delete", None) in (models.PROTECT, models.RESTRICT)
        through = rel.through if isinstance(rel, models.ManyToManyRel) else None
        plain_m2m = through is not None and through._meta.auto_created
        if not (protective or plain_m2m):
            continue
        queryset = related_model._base_manager.filter(**{rel.field.name: instance}).order_by("pk")
        if _goes_with(instance) and related_model in GOES_WITH_CANDIDATE_ACTOR:
            queryset = queryset.exclude(GOES_WITH_CANDIDATE_ACTOR[related_model])
        ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
        if ids:
            found.append(
                {
                    "model": related_model._meta.verbose_name,
                    "field": rel.field.name,
                    "count": queryset.count() if len(ids) > limit else len(ids),
                    "ids": ids[:limit],
                }
            )
    return found


def deletion_refusals(instances: Sequence[models.Model]) -> list[str]:
    """Why deleting all of `instances` together would be refused, one sentence per reason (empty: it may go).

    What instance_delete() refuses, worded for a confirmation page (the admin lists them as protected): records
    that depend on an instance, and facts that deleting these evidence spans would leave without any.
    """
    refusals = []
    for instance in instances:
        for d in dependents_of(instance):
            through = f" through “{d['field']}”" if d["field"] else ""
            refusals.append(
                f"{instance._meta.verbose_name} “{instance}”: {d['count']} {d['model']}(s){through} "
                f"depend on it (ids {', '.join(map(str, d['ids']))})"
            )
    spans = [instance for instance in instances if isinstance(instance, EvidenceSpan)]
    if spans and (refused := span_removal_refused(spans)):
        refusals.append(refused)
    return refusals


def instance_delete(*, instance: models.Model, user=None, reason: str = "") -> None:
    """Delete `instance` and the parts it owns, or raise DependentsExist (nothing deleted) when others refer to it."""
    if errors := reason_errors(reason):
        raise FactValidationError(errors)
    with transaction.atomic():
        if _goes_with(instance):
            for candidate in candidates_naming(cast(Actor, instance)):
                instance_delete(instance=candidate, user=user, reason=reason)
        dependents = dependents_of(instance)
        if dependents:
            raise DependentsExist(instance, dependents)
        if isinstance(instance, EvidenceSpan) and (refused := span_removal_refused([instance])):
            raise DependentsExist(instance, [], message=refused)
        # Deleting parts one by one (instead of by cascade) gives each history record the user and the reason.
        for name in OWNED_PARTS.get(type(instance), ()):
            for part in getattr(instance, name).all():
                stamp(part, user=user, reason=reason)
                part.delete(with_fact=True) if isinstance(part, EvidenceSpan) else part.delete()
        try:
            with transaction.atomic():
                stamp(instance, user=user, reason=reason).delete()
        except (models.ProtectedError, models.RestrictedError) as exc:
            # A reference added between the check and the delete: report it the same way.
            objs = list(getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or ())
            raise DependentsExist(
                instance,
                [
                    {
                        "model": objs[0]._meta.verbose_name if objs else "record",
                        "field": "",
                        "count": len(objs),
                        "ids": [o.pk for o in objs[:20]],
                    }
                ],
            ) from exc
