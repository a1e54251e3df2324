"""Writes that span several models: a fact with its participants, evidence and about-links; an actor with aliases.

Each service is keyword-only (`<entity>_<action>(*, ...)`), validates every object it is about to write with the
model's own `full_clean()` (the same rules the admin applies), collects every problem, nested ones included, and
raises a single `FactValidationError` before anything is written. The writes themselves run in one transaction, so
a fact is never half-written. `write_problems()` runs the same checks without writing, for input already known to
be partly bad, so that the API can name every bad field at once.

Every save and delete is stamped for django-simple-history: the acting user (when given; inside a request the
history middleware supplies it anyway) and the curator's reason for the change.
"""

import copy
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction

from facts import integrity
from facts.dates import UnresolvableDate, resolve_date
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    Relation,
    Reviewed,
    Statement,
    span_removal_refused,
)

# simple-history stores reasons in a CharField(max_length=100) by default; a longer reason would fail on PostgreSQL.
REASON_MAX_LENGTH = Event.history.model._meta.get_field("history_change_reason").max_length

ErrorDetail = dict[str, Any]


class FactValidationError(ValidationError):
    """Every problem of a multi-part write, with nested errors kept by position.

    `detail` has the shape DRF reports nested errors in: ``{"title": [...], "participants": [{}, {"actor": [...]}],
    "evidence": [{"quote": [...]}]}``. As a Django ValidationError it carries the same messages flattened to keys
    such as ``participants[1].actor``, so forms and the shell can show them too.
    """

    def __init__(self, detail: ErrorDetail):
        self.detail = detail
        super().__init__(_flatten(detail))


def _flatten(detail: Mapping | Sequence, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, Mapping):
        items = [(f"{prefix}.{key}" if prefix else str(key), value) for key, value in detail.items()]
    else:
        items = [(f"{prefix}[{index}]", value) for index, value in enumerate(detail)]
    flat: dict[str, list[str]] = {}
    for name, value in items:
        if isinstance(value, Mapping) or (isinstance(value, list) and any(isinstance(v, Mapping) for v in value)):
            flat.update(_flatten(value, name))
        else:
            flat[name] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat


# Set by write_problems(): the input fields already found invalid upstream, and that nothing must be written.
_CHECKING: ContextVar[frozenset[str] | None] = ContextVar("facts_services_checking", default=None)


def _skipped() -> frozenset[str]:
    return _CHECKING.get() or frozenset()


def write_problems(service: Callable[..., Any], *, invalid: Collection[str] = (), **kwargs) -> "ErrorDetail":
    """Every problem `service(**kwargs)` would report, without writing anything.

    For input in which some fields (named in `invalid`) were already found bad upstream (an unknown slug, a
    malformed item): the other parts are still checked, so one answer can name every bad field. The invalid
    fields are left out of the checks rather than reported again.
    """
    token = _CHECKING.set(frozenset(invalid))
    try:
        service(**kwargs)
    except FactValidationError as exc:
        return {key: value for key, value in exc.detail.items() if key not in invalid}
    finally:
        _CHECKING.reset(token)
    return {}


class ReviewRefused(PermissionDenied):
    """The user may not move a fact to reviewed or verified; `errors` names the field, as a 400 would."""

    def __init__(self, message: str):
        super().__init__(message)
        self.errors = {"status": [message]}


def check_review(fact: models.Model, *, user, previous_status: str | None) -> None:
    """Raise ReviewRefused when `user` may not give `fact` its (new) status; see Reviewed.review_refused."""
    if isinstance(fact, Reviewed) and (refused := fact.review_refused(user, previous_status)):
        raise ReviewRefused(refused)


class DependentsExist(Exception):
    """A delete was refused because other records depend on the object; `dependents` says which."""

    def __init__(self, instance: models.Model, dependents: list[dict], *, message: str = ""):
        self.instance = instance
        self.dependents = dependents
        self.summary = ", ".join(
            f"{d['count']} {d['model']}(s)" + (f" through “{d['field']}”" if d["field"] else "") for d in dependents
        )
        self.message = message or f"{instance._meta.verbose_name} “{instance}” is still referred to by {self.summary}."
        super().__init__(self.message)


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]}, non-field messages under NON_FIELD_ERRORS."""
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: list(exc.messages)}


def _clean(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        return errors_of(exc)
    return {}


def stamp(obj: models.Model, *, user=None, reason: str = "") -> models.Model:
    """Tell simple-history who makes this change and why, for the history record the next save/delete creates."""
    if user is not None and getattr(user, "is_authenticated", False):
        obj._history_user = user
    if reason:
        obj._change_reason = reason
    return obj


def _check_reason(reason: str, errors: ErrorDetail) -> None:
    if reason and len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [f"Ensure this field has no more than {REASON_MAX_LENGTH} characters."]


def _assign(obj: models.Model, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)


def _nested(items: list[ErrorDetail]) -> list[ErrorDetail] | None:
    """Per-item errors as DRF lists them (an empty dict for a valid item), or None when every item is valid."""
    return items if any(items) else None


def _build_spans(evidence: Sequence[Mapping]) -> tuple[list[EvidenceSpan], list[ErrorDetail]]:
    """Unsaved, validated evidence spans from passages (with an optional occurrence) or explicit offsets."""
    spans, item_errors = [], []
    exclude = list(EvidenceSpan.FACT_FIELDS)
    for item in evidence:
        span = EvidenceSpan(
            source=item.get("source"), quote=item.get("quote") or "", start=item.get("start"), end=item.get("end")
        )
        span.occurrence = item.get("occurrence")
        offsets_given = span.start is not None and span.end is not None
        if span.source_id is not None and not span.quote and offsets_given:
            span.quote = span.source.text[span.start : span.end]
        # Offsets are derived from the passage by clean(); checking them before that would only add noise.
        errors = _clean(span, exclude if offsets_given else [*exclude, "start", "end"])
        spans.append(span)
        item_errors.append(errors)
    return spans, item_errors


NO_EVIDENCE = "Give at least one passage of a source that supports this fact."


def _evidence_errors(
    evidence: Sequence[Mapping] | None, *, creating: bool, required: bool = True
) -> tuple[list[EvidenceSpan], Any]:
    """Spans to write and their errors; a new fact, or a replaced evidence list, needs at least one span unless the
    fact needs none (`required` false: an alias or affiliation marked external)."""
    if evidence is None:
        return [], [NO_EVIDENCE] if creating and required else None
    if not evidence:
        return [], [NO_EVIDENCE] if required else None
    spans, item_errors = _build_spans(evidence)
    return spans, _nested(item_errors)


def _resolve_dates(obj: models.Model, given: Mapping[str, Any], spans: list[EvidenceSpan], errors: ErrorDetail):
    """Resolve a verbatim date expression against the evidence source's publication date when no dates are given.

    Same behaviour as the admin form: explicit dates win; otherwise "On Sunday" becomes an interval.
    """
    if "date_text" not in given or {"date_start", "date_end"} & set(given):
        return
    expression = (obj.date_text or "").strip()
    if not expression:
        return
    reference = next((s.source for s in spans if s.source_id is not None), None)
    if reference is None and obj.pk and hasattr(obj, "evidence"):
        first = obj.evidence.select_related("source").order_by("id").first()
        reference = first.source if first else None
    if reference is None:
        errors["date_text"] = [
            "Add evidence from a source so that this date can be resolved against its publication date, "
            "or give date_start, date_end and date_precision."
        ]
        return
    try:
        resolved = resolve_date(expression, reference.published)
    except UnresolvableDate as exc:
        errors["date_text"] = [f"{exc} Give date_start, date_end and date_precision explicitly."]
        return
    obj.date_start, obj.date_end, obj.date_precision = resolved.start, resolved.end, str(resolved.precision)


def _replace_evidence(fact: models.Model, fact_field: str, spans: list[EvidenceSpan], *, user, reason) -> None:
    """Make the fact's evidence exactly `spans`, keeping spans that are already recorded (so history stays quiet)."""
    existing, repeated = {}, []
    for span in fact.evidence.order_by("id"):
        key = (span.source_id, span.start, span.end)
        if key in existing:
            # The same passage twice (the admin's span page can add one) is one piece of evidence: keep the first.
            repeated.append(span)
        else:
            existing[key] = span
    wanted = set()
    for span in spans:
        key = (span.source_id, span.start, span.end)
        if key in wanted:
            continue
        wanted.add(key)
        if key in existing:
            continue
        setattr(span, fact_field, fact)
        stamp(span, user=user, reason=reason).save()
    for old in [*repeated, *(old for key, old in existing.items() if key not in wanted)]:
        stamp(old, user=user, reason=reason).delete()


def _save_fact(fact: models.Model, *, user, reason) -> None:
    try:
        integrity.save(stamp(fact, user=user, reason=reason))
    except integrity.LostRace as exc:
        # Only a concurrent write gets here (full_clean() checked every constraint just before): it took a unique
        # value (a slug, an affiliation). The model's checks, re-run, name the field as a later request is told.
        # A refusal they cannot explain propagates as IntegrityError, for the view to answer 409.
        raise FactValidationError(exc.errors) from exc


def _write_fact(
    *,
    fact: models.Model,
    fact_field: str,
    fields: Mapping[str, Any],
    evidence: Sequence[Mapping] | None,
    user,
    reason: str,
    extra_checks=None,
    extra_writes=None,
) -> models.Model:
    """Validate the fact and all its parts, raise every problem at once, else write everything in one transaction."""
    creating = fact._state.adding
    previous_status = None if creating else getattr(fact, "status", None)
    needs_evidence = getattr(fact, "needs_evidence", lambda: True)
    was_exempt = not creating and not needs_evidence()
    skipped = _skipped()
    errors: ErrorDetail = {}
    _check_reason(reason, errors)
    _assign(fact, fields)
    check_review(fact, user=user, previous_status=previous_status)
    if "evidence" in skipped:
        spans, evidence_errors = [], None
    else:
        spans, evidence_errors = _evidence_errors(evidence, creating=creating, required=needs_evidence())
        if evidence is None and was_exempt and needs_evidence() and not fact.evidence.exists():
            # The external mark is dropped from a fact that cites nothing: it now needs a passage.
            evidence_errors = [NO_EVIDENCE]
    _resolve_dates(fact, fields, [s for s in spans if s.source_id], errors)
    for field, messages in _clean(fact, exclude=skipped).items():
        errors.setdefault(field, messages)
    if evidence_errors:
        errors["evidence"] = evidence_errors
    if extra_checks:
        extra_checks(errors, spans if evidence is not None else None)
    if errors:
        raise FactValidationError(errors)
    if _CHECKING.get() is not None:
        return fact
    with transaction.atomic():
        _save_fact(fact, user=user, reason=reason)
        if evidence is not None:
            _replace_evidence(fact, fact_field, spans, user=user, reason=reason)
        if extra_writes:
            extra_writes(fact)
    return fact


# ---------------------------------------------------------------------------------------------------------------
# Events


def _participant_plan(participants: Sequence[Mapping] | None, errors: ErrorDetail) -> list[Participant]:
    if participants is None:
        return []
    plan, item_errors, seen = [], [], set()
    for item in participants:
        participant = Participant(actor=item.get("actor"), role=item.get("role") or "")
        item_error = _clean(participant, exclude=["event"])
        actor_id = participant.actor_id
        if actor_id is not None and actor_id in seen:
            item_error.setdefault("actor", []).append("This actor already has a role in this event.")
        seen.add(actor_id)
        plan.append(participant)
        item_errors.append(item_error)
    if nested := _nested(item_errors):
        errors["participants"] = nested
    return plan


def _replace_participants(event: Event, plan: list[Participant], *, user, reason) -> None:
    existing = {p.actor_id: p for p in event.participants.all()}
    for participant in plan:
        old = existing.pop(participant.actor_id, None)
        if old is None:
            participant.event = event
            stamp(participant, user=user, reason=reason).save()
        elif old.role != participant.role:
            old.role = participant.role
            stamp(old, user=user, reason=reason).save()
    for old in existing.values():
        stamp(old, user=user, reason=reason).delete()


def _event_write(event: Event, *, fields, participants, evidence, user, reason) -> Event:
    holder: dict[str, list[Participant]] = {}

    def checks(errors, spans):
        holder["plan"] = _participant_plan(None if "participants" in _skipped() else participants, errors)

    def writes(saved):
        if participants is not None:
            _replace_participants(saved, holder["plan"], user=user, reason=reason)

    return _write_fact(
        fact=event,
        fact_field="event",
        fields=fields,
        evidence=evidence,
        user=user,
        reason=reason,
        extra_checks=checks,
        extra_writes=writes,
    )


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
    return _event_write(
        Event(), fields=fields, participants=list(participants), evidence=list(evidence), user=user, reason=reason
    )


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
    return _event_write(event, fields=fields, participants=participants, evidence=evidence, user=user, reason=reason)


# ---------------------------------------------------------------------------------------------------------------
# Statements


ABOUT_FIELDS = ("about_actors", "about_places", "about_events")


def _statement_write(statement: Statement, *, fields, about, evidence, user, reason) -> Statement:
    def checks(errors, spans):
        if "text" in errors or "evidence" in errors or {"text", "kind", "evidence"} & _skipped():
            return
        if spans is None:
            quotes = list(statement.evidence.values_list("quote", flat=True)) if statement.pk else []
        else:
            quotes = [span.quote for span in spans]
        if refused := statement.quote_refused(quotes):
            errors["text"] = [refused]

    def writes(saved):
        for name, targets in about.items():
            if targets is not None:
                # set() only touches changed links; the m2m history then records one change per call.
                stamp(saved, user=user, reason=reason)
                getattr(saved, name).set(list(targets))

    return _write_fact(
        fact=statement,
        fact_field="statement",
        fields=fields,
        evidence=evidence,
        user=user,
        reason=reason,
        extra_checks=checks,
        extra_writes=writes,
    )


def statement_create(
    *,
    evidence: Sequence[Mapping],
    about_actors: Iterable[Actor] = (),
    about_places: Iterable = (),
    about_events: Iterable[Event] = (),
    user=None,
    reason: str = "",
    **fields,
) -> Statement:
    """Create a statement (speaker, text, kind, channel, ...) with its evidence and what it is about."""
    about = {"about_actors": list(about_actors), "about_places": list(about_places), "about_events": list(about_events)}
    return _statement_write(Statement(), fields=fields, about=about, evidence=list(evidence), user=user, reason=reason)


def statement_update(
    *,
    statement: Statement,
    evidence: Sequence[Mapping] | None = None,
    about_actors: Iterable[Actor] | None = None,
    about_places: Iterable | None = None,
    about_events: Iterable[Event] | None = None,
    user=None,
    reason: str = "",
    **fields,
) -> Statement:
    """Change a statement; evidence and about-links, when given, replace the current ones (None keeps them)."""
    about = {"about_actors": about_actors, "about_places": about_places, "about_events": about_events}
    return _statement_write(statement, fields=fields, about=about, evidence=evidence, user=user, reason=reason)


# ---------------------------------------------------------------------------------------------------------------
# Relations and affiliations


def relation_create(*, evidence: Sequence[Mapping], user=None, reason: str = "", **fields) -> Relation:
    """Create a relation (subject, object, type, ...) with its evidence."""
    return _write_fact(
        fact=Relation(), fact_field="relation", fields=fields, evidence=list(evidence), user=user, reason=reason
    )


def relation_update(
    *, relation: Relation, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Relation:
    """Change a relation; `evidence`, when given, replaces the current spans."""
    return _write_fact(fact=relation, fact_field="relation", fields=fields, evidence=evidence, user=user, reason=reason)


def affiliation_create(*, evidence: Sequence[Mapping], user=None, reason: str = "", **fields) -> Affiliation:
    """Create an affiliation (person, organization, role_title, ...) with its evidence."""
    return _write_fact(
        fact=Affiliation(), fact_field="affiliation", fields=fields, evidence=list(evidence), user=user, reason=reason
    )


def affiliation_update(
    *, affiliation: Affiliation, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Affiliation:
    """Change an affiliation; `evidence`, when given, replaces the current spans."""
    return _write_fact(
        fact=affiliation, fact_field="affiliation", fields=fields, evidence=evidence, user=user, reason=reason
    )


# ---------------------------------------------------------------------------------------------------------------
# Actors with aliases


def _actor_write(actor: Actor, *, fields, aliases, user, reason) -> Actor:
    errors: ErrorDetail = {}
    _check_reason(reason, errors)
    _assign(actor, fields)
    skipped = _skipped()
    errors.update(_clean(actor, exclude=skipped))
    plan: list[tuple[ActorAlias, list[EvidenceSpan] | None]] = []
    if aliases is not None and "aliases" not in skipped:
        existing = {a.name: a for a in actor.aliases.prefetch_related("evidence")} if actor.pk else {}
        item_errors, seen = [], set()
        for item in aliases:
            alias, item_error = _alias_plan(item, existing)
            if alias.name in seen:
                item_error.setdefault("name", []).append("This alias is given twice.")
            seen.add(alias.name)
            plan.append((alias, item_error.pop("_spans")))
            item_errors.append(item_error)
        if nested := _nested(item_errors):
            errors["aliases"] = nested
    if errors:
        raise FactValidationError(errors)
    if _CHECKING.get() is not None:
        return actor
    with transaction.atomic():
        _save_fact(actor, user=user, reason=reason)
        if aliases is not None:
            _write_aliases(actor, plan, user=user, reason=reason)
    return actor


def _alias_plan(item: Mapping, existing: Mapping[str, ActorAlias]) -> tuple[ActorAlias, dict]:
    """The alias an input item describes (the stored one, changed, when the actor has it) and its errors.

    The errors carry, under "_spans", the evidence spans to write: None keeps a stored alias' evidence.
    """
    name = item.get("name") or ""
    stored = existing.get(name)
    alias = copy.copy(stored) if stored is not None else ActorAlias(name=name)
    alias.kind = item.get("kind") or ActorAlias._meta.get_field("kind").default
    if "external" in item or stored is None:
        alias.external = item.get("external") or {}
    errors = _clean(alias, exclude=["actor"])
    evidence = item.get("evidence")
    spans, evidence_errors = (None, None) if evidence is None else _build_spans(evidence)
    if evidence_errors is not None and (nested := _nested(evidence_errors)):
        errors["evidence"] = nested
    elif "name" not in errors and "external" not in errors:
        if spans is not None:
            quotes = [span.quote for span in spans]
        else:
            quotes = [span.quote for span in stored.evidence.all()] if stored is not None else []
        if refused := alias.support_refused(quotes):
            errors["evidence"] = [refused]
    errors["_spans"] = spans
    return alias, errors


def _write_aliases(actor: Actor, plan, *, user, reason) -> None:
    """Make the actor's aliases exactly `plan` ((alias, spans or None) pairs), matched by name."""
    existing = {a.name: a for a in actor.aliases.all()}
    for alias, spans in plan:
        old = existing.pop(alias.name, None)
        if old is None:
            alias.actor = actor
            stamp(alias, user=user, reason=reason).save()
        elif (old.kind, old.external) != (alias.kind, alias.external):
            old.kind, old.external = alias.kind, alias.external
            stamp(old, user=user, reason=reason).save()
            alias = old
        else:
            alias = old
        if spans is not None:
            _replace_evidence(alias, "alias", spans, user=user, reason=reason)
    for old in existing.values():
        stamp(old, user=user, reason=reason).delete()


def _alias_write(alias: ActorAlias, *, fields, evidence, user, reason) -> ActorAlias:
    def checks(errors, spans):
        if {"name", "external", "evidence"} & (set(errors) | _skipped()):
            return
        quotes = (
            [span.quote for span in spans]
            if spans is not None
            else (list(alias.evidence.values_list("quote", flat=True)) if alias.pk else [])
        )
        if refused := alias.support_refused(quotes):
            errors["evidence"] = [refused]

    return _write_fact(
        fact=alias, fact_field="alias", fields=fields, evidence=evidence, user=user, reason=reason, extra_checks=checks
    )


def alias_create(*, evidence: Sequence[Mapping] = (), user=None, reason: str = "", **fields) -> ActorAlias:
    """Create one alias (actor, name, kind, external) with the passages where a source uses it; an alias marked
    external (a canonical spelling) may cite none."""
    return _alias_write(ActorAlias(), fields=fields, evidence=list(evidence), user=user, reason=reason)


def alias_update(
    *, alias: ActorAlias, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> ActorAlias:
    """Change one alias; `evidence`, when given, replaces its spans (None keeps them)."""
    return _alias_write(alias, fields=fields, evidence=evidence, user=user, reason=reason)


def actor_create(*, aliases: Sequence[Mapping] = (), user=None, reason: str = "", **fields) -> Actor:
    """Create an actor with its aliases ({name, kind, external?, evidence?}).

    Each alias cites the passages where a source uses it (`evidence`, as for facts), or is marked external
    (`external` names `name`, e.g. {"name": "canonical spelling"}); ActorAlias.support_refused says why not.
    """
    return _actor_write(Actor(), fields=fields, aliases=list(aliases), user=user, reason=reason)


def actor_update(
    *, actor: Actor, aliases: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Actor:
    """Change an actor; `aliases`, when given, replace the current ones (None keeps them).

    Aliases are matched by name: for an alias the actor has, a left-out `evidence` or `external` stays as stored.
    """
    return _actor_write(actor, fields=fields, aliases=aliases, user=user, reason=reason)


# ---------------------------------------------------------------------------------------------------------------
# Deletion


# Parts owned by one object: deleting the object deletes them, each with its own history record.
OWNED_PARTS = {
    Event: ("participants", "evidence"),
    Statement: ("evidence",),
    Relation: ("evidence",),
    Affiliation: ("evidence",),
    ActorAlias: ("evidence",),
    Actor: ("aliases",),
}


def dependents_of(instance: models.Model, *, limit: int = 20) -> list[dict]:
    """Records that refer to `instance` and would block its deletion or lose a link silently.

    A protected or restricted foreign key, and every many-to-many link (a statement about an actor), count as
    dependents; parts the object owns (an event's participants and evidence, an actor's aliases) do not.
    """
    found = []
    for rel in instance._meta.related_objects:
        protective = getattr(rel, "on_delete", None) in (models.PROTECT, models.RESTRICT)
        plain_m2m = rel.many_to_many and rel.through._meta.auto_created
        if not (protective or plain_m2m):
            continue
        queryset = rel.related_model._base_manager.filter(**{rel.field.name: instance}).order_by("pk")
        ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
        if ids:
            found.append(
                {
                    "model": rel.related_model._meta.verbose_name,
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
    if reason and len(reason) > REASON_MAX_LENGTH:
        raise FactValidationError({"reason": [f"Ensure this field has no more than {REASON_MAX_LENGTH} characters."]})
    with transaction.atomic():
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
            objs = list(getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ()))
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
