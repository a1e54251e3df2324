"""History that records whole writes, and reverts that restore a whole fact as of one of them.

A write (one API request, one admin save, one command step) usually saves a fact and several parts: participants,
evidence spans, about-links, aliases. django-simple-history records each row on its own, each with the time of its
own save, so "the event as of version V" had no answer for its parts. Here every history record made inside one
transaction carries the same time, the transaction's (`write_time`), so a version is a committed write, and the
parts of a fact as of version V are the latest records of each part at or before V's time.

`version_restore()` brings a fact back to such a version, fields and parts together, through the same services
that validate every new write, in one transaction: what would break a rule is refused with the reason, and nothing
changes. The admin's history page calls it (facts.admin.HistoryAdmin.history_form_view).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from facts import services
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    Relation,
    Source,
    Statement,
)


def _commit_marker():
    """Registered with on_commit to mark the transaction a cached write time belongs to (it does nothing)."""


def write_time(using: str) -> datetime:
    """The time of the current write: one value for every history record of a transaction.

    The transaction is told apart by its outermost atomic block that is not a test's wrapper (pytest-django and
    TestCase run each test inside one) and by a marker hook in its on-commit list, which Django empties when the
    transaction commits or rolls back. Outside a transaction every record is a write of its own.
    """
    connection = connections[using]
    blocks = [block for block in connection.atomic_blocks if not getattr(block, "_from_testcase", False)]
    if not blocks:
        return timezone.now()
    cached = getattr(connection, "_facts_write_time", None)
    if cached is not None:
        block, marker, when = cached
        if block is blocks[0] and any(hook[1] is marker for hook in connection.run_on_commit):
            return when
    marker = lambda: _commit_marker()  # noqa: E731 -- a fresh object per transaction, compared by identity
    transaction.on_commit(marker, using=using)
    when = timezone.now()
    connection._facts_write_time = (blocks[0], marker, when)  # type: ignore[attr-defined]  # our cache, read above
    return when


@receiver(pre_save)
def start_write_clock(sender, instance, using, **kwargs):
    # The write's time is taken before its first row gets its auto_now `updated_at`, so a history record is never
    # later than the row's updated_at: whatever the changes feed lists since T, `updated_since=T` lists too.
    if connections[using].in_atomic_block:
        write_time(using)


@receiver(pre_create_historical_record)
def stamp_write_time(sender, instance, history_instance, **kwargs):
    if getattr(instance, "_history_date", None) is None:
        history_instance.history_date = write_time(kwargs.get("using") or router.db_for_write(type(instance)))


# --- Reading a version -------------------------------------------------------------------------------------------


def _latest_per_id(records) -> list:
    """The newest record of each row among `records` (ordered by id, then newest first)."""
    seen, latest = set(), []
    for record in records:
        if record.id not in seen:
            seen.add(record.id)
            latest.append(record)
    return latest


def parts_as_of(part_model: type[models.Model], fk: str, owner_id: int, when: datetime) -> list:
    """Historical records of the parts (`part_model` rows whose `fk` is `owner_id`) as they stood at `when`."""
    history = part_model.history.model.objects  # type: ignore[attr-defined]  # simple_history's manager
    ever = history.filter(**{f"{fk}_id": owner_id}, history_date__lte=when).values("id")
    records = history.filter(id__in=ever, history_date__lte=when).order_by("id", "-history_date", "-history_id")
    return [r for r in _latest_per_id(records) if r.history_type != "-" and getattr(r, f"{fk}_id") == owner_id]


def version_of(model: type[models.Model], object_id, version_id) -> Any:
    """The historical record that ends the write which made version `version_id` of object `object_id`.

    Raises model.history.model.DoesNotExist for an unknown version, and ValidationError for the record of a
    deletion, which restores nothing.
    """
    history = model.history.model.objects  # type: ignore[attr-defined]  # simple_history's manager
    chosen = history.get(id=object_id, history_id=version_id)
    version = history.filter(id=object_id, history_date=chosen.history_date).order_by("-history_id").first()
    if version.history_type == "-":
        raise ValidationError("This version records the deletion; choose the version before it.")
    return version


def _field_values(model: type[models.Model], record) -> dict:
    """The editable fields of a historical record, by attribute name (foreign keys as ids)."""
    return {
        field.attname: getattr(record, field.attname)
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key
    }


def _evidence_input(fact_field: str, owner_id: int, when: datetime) -> list[dict]:
    sources = {}
    spans = parts_as_of(EvidenceSpan, fact_field, owner_id, when)
    for source in Source.objects.filter(pk__in={span.source_id for span in spans}):
        sources[source.pk] = source
    return [
        {"source": sources.get(span.source_id), "quote": span.quote, "start": span.start, "end": span.end}
        for span in spans
    ]


def _stub(model: type[models.Model], pk) -> models.Model:
    """A reference by id that the services' full_clean() checks for existence (a deleted actor is reported)."""
    return model(pk=pk)


def _about_as_of(version) -> tuple[dict, dict]:
    """A statement version's about-links (from simple-history's m2m snapshot) and errors for targets now gone."""
    about, errors = {}, {}
    for name in services.ABOUT_FIELDS:
        target = cast("type[models.Model]", Statement._meta.get_field(name).related_model)
        snapshot = next(
            rel.related_model
            for rel in type(version)._meta.related_objects
            if rel.related_model.__name__.endswith(f"_{name}")
        )
        ids = set(snapshot.objects.filter(history=version).values_list(f"{target._meta.model_name}_id", flat=True))
        found = list(target._default_manager.filter(pk__in=ids))
        if missing := sorted(ids - {obj.pk for obj in found}):
            errors[name] = [f"{target._meta.verbose_name} {', '.join(map(str, missing))} no longer exist(s)."]
        about[name] = found
    return about, errors


# --- Restoring a version -----------------------------------------------------------------------------------------


def _restore_event(event, version, when, **stamp):
    participants = [
        {"actor": _stub(Actor, p.actor_id), "role": p.role} for p in parts_as_of(Participant, "event", version.id, when)
    ]
    return services.event_update(
        event=event,
        participants=participants,
        evidence=_evidence_input("event", version.id, when),
        **_field_values(Event, version),
        **stamp,
    )


def _restore_statement(statement, version, when, **stamp):
    about, errors = _about_as_of(version)
    if errors:
        raise services.FactValidationError(errors)
    return services.statement_update(
        statement=statement,
        evidence=_evidence_input("statement", version.id, when),
        **about,
        **_field_values(Statement, version),
        **stamp,
    )


def _restore_relation(relation, version, when, **stamp):
    return services.relation_update(
        relation=relation,
        evidence=_evidence_input("relation", version.id, when),
        **_field_values(Relation, version),
        **stamp,
    )


def _restore_affiliation(affiliation, version, when, **stamp):
    # Affiliations may stand without evidence (the admin's actor page adds them so); such a version keeps the spans.
    return services.affiliation_update(
        affiliation=affiliation,
        evidence=_evidence_input("affiliation", version.id, when) or None,
        **_field_values(Affiliation, version),
        **stamp,
    )


def _restore_actor(actor, version, when, **stamp):
    # Each alias with its external mark and its evidence as of the version; an alias whose version recorded no span
    # keeps the spans it has now (and, as a new write would, needs one unless it is external).
    aliases = [
        {
            "name": a.name,
            "kind": a.kind,
            "external": a.external,
            "evidence": _evidence_input("alias", a.id, when) or None,
        }
        for a in parts_as_of(ActorAlias, "actor", version.id, when)
    ]
    return services.actor_update(actor=actor, aliases=aliases, **_field_values(Actor, version), **stamp)


def _restore_alias(alias, version, when, **stamp):
    return services.alias_update(
        alias=alias,
        evidence=_evidence_input("alias", version.id, when) or None,
        **_field_values(ActorAlias, version),
        **stamp,
    )


# Models whose versions include parts, restored through their service; the others are one row each.
RESTORERS: dict[type[models.Model], Callable[..., models.Model]] = {
    Event: _restore_event,
    Statement: _restore_statement,
    Relation: _restore_relation,
    Affiliation: _restore_affiliation,
    Actor: _restore_actor,
    ActorAlias: _restore_alias,
}


def _restore_row(obj, version, when, *, user, reason):
    for name, value in _field_values(type(obj), version).items():
        setattr(obj, name, value)
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise services.FactValidationError(services.errors_of(exc)) from exc
    services.stamp(obj, user=user, reason=reason).save()
    return obj


def version_restore(*, model: type[models.Model], object_id, version_id, user=None, reason: str = "") -> models.Model:
    """Make object `object_id` what it was at version `version_id`: fields and parts, validated, in one transaction.

    Works for a deleted object too (it comes back under its id). Raises FactValidationError (or ValidationError,
    ReviewRefused) with the reason when the restored object would break a rule; then nothing changes.
    """
    with transaction.atomic():
        version = version_of(model, object_id, version_id)
        current = model._default_manager.select_for_update().filter(pk=version.id).first()
        obj = current if current is not None else model(pk=version.id)
        restorer = RESTORERS.get(model)
        reason = reason or f"Reverted to version {version.history_id}"
        if restorer is None:
            return _restore_row(obj, version, version.history_date, user=user, reason=reason)
        return restorer(obj, version, version.history_date, user=user, reason=reason)
