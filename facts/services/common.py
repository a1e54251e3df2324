"""What every service shares: the combined validation error, field checks, history stamps and replacing children.

A service validates every object it is about to write with the model's own `full_clean()` (the same rules the admin
applies), collects every problem, nested ones included, and raises a single `FactValidationError` before anything
is written.
"""

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models

from facts import integrity
from facts.models import Event, Reviewed

M = TypeVar("M", bound=models.Model)

# simple-history stores reasons in a CharField(max_length=100) by default; a longer reason would fail on PostgreSQL.
# Every path that takes a reason (the API, the admin, the commands) reads its limit here.
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


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A Django ValidationError as {field: [messages]}, non-field messages under NON_FIELD_ERRORS."""
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: list(exc.messages)}


def clean_errors(obj: models.Model, exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    """What `obj.full_clean()` refuses, as {field: [messages]} (empty when valid)."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        return errors_of(exc)
    return {}


def reason_errors(reason: str) -> ErrorDetail:
    """{"reason": [message]} when the curator's reason is longer than history can store, else {}."""
    if reason and len(reason) > REASON_MAX_LENGTH:
        return {"reason": [f"Ensure this field has no more than {REASON_MAX_LENGTH} characters."]}
    return {}


def stamp(obj: M, *, user=None, reason: str = "") -> M:
    """Tell simple-history who makes this change and why, for the history record the next save/delete creates."""
    if user is not None and getattr(user, "is_authenticated", False):
        obj._history_user = user  # type: ignore[attr-defined]  # read by simple_history on save
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]  # read by simple_history on save
    return obj


def assign(obj: models.Model, fields: Mapping[str, Any]) -> None:
    """Set each of `fields` on `obj` (nothing is saved)."""
    for name, value in fields.items():
        setattr(obj, name, value)


def nested(items: list[ErrorDetail]) -> list[ErrorDetail] | None:
    """Per-item errors as DRF lists them (an empty dict for a valid item), or None when every item is valid."""
    return items if any(items) else None


def without(errors: ErrorDetail, skip: Iterable[str]) -> ErrorDetail:
    """`errors` without the fields already found bad upstream, which the caller reports itself."""
    skip = set(skip)
    return {key: value for key, value in errors.items() if key not in skip}


def save_fact(fact: models.Model, *, user, reason) -> None:
    """Save `fact` stamped; a unique value a concurrent write took is reported as the field's error."""
    try:
        integrity.save(stamp(fact, user=user, reason=reason))
    except integrity.LostRace as exc:
        # Only a concurrent write gets here (full_clean() checked every constraint just before): it took a unique
        # value (a slug, an affiliation). The model's checks, re-run, name the field as a later request is told.
        # A refusal they cannot explain propagates as IntegrityError, for the view to answer 409.
        raise FactValidationError(exc.errors) from exc


def replace_children(
    parent: models.Model,
    parent_field: str,
    stored: Iterable[M],
    wanted: Iterable[M],
    *,
    key: Callable[[M], Hashable],
    update: Callable[[M, M], bool] | None = None,
    user,
    reason: str,
) -> dict[Hashable, M]:
    """Make `parent`'s children (`stored`) exactly `wanted`, matched by `key`; returns the kept child of each key.

    A wanted child that is not stored is saved under `parent`; a stored one is kept (so its history stays quiet)
    unless `update(stored, wanted)` changes it, when it is saved; the other stored children, and stored repeats of
    one key (the admin's span page can add the same passage twice), are deleted. Each write is stamped.
    """
    existing: dict[Hashable, M] = {}
    repeated = []
    for child in stored:
        if key(child) in existing:
            repeated.append(child)
        else:
            existing[key(child)] = child
    kept: dict[Hashable, M] = {}
    for child in wanted:
        k = key(child)
        if k in kept:
            continue
        old = existing.pop(k, None)
        if old is None:
            setattr(child, parent_field, parent)
            stamp(child, user=user, reason=reason).save()
            kept[k] = child
        else:
            if update is not None and update(old, child):
                stamp(old, user=user, reason=reason).save()
            kept[k] = old
    for old in [*repeated, *existing.values()]:
        stamp(old, user=user, reason=reason).delete()
    return kept
