"""What a write that lost a race ran into, found by asking the data again rather than reading the driver's text.

Two requests can both pass the model's checks (full_clean) and then race to write; the database is the final
judge. The loser gets an IntegrityError whose text is the driver's (`duplicate key value violates unique constraint
"facts_actor_slug_key"`), which names a constraint rather than a field and must never reach a client. The helpers
here find the field by re-checking against the data as it is now, which includes the winner's committed change:

- `save()` saves one object in a savepoint. When the database refuses it, the model's own validation runs again:
  it now finds the winner's row and names the field with the message a request a moment later would get ("Place
  with this Slug already exists."), raised as `LostRace`. When validation finds nothing, the IntegrityError goes on.
- `missing_references()` finds which of the objects a write referred to no longer exist (an actor or a source
  another request deleted), at their place in the input: what a foreign-key violation found at COMMIT was about.
- `is_lock_conflict()` tells a lock that could not be had (SQLite's "database is locked", a PostgreSQL deadlock
  or lock timeout: retrying may succeed) from a database that is down.

Callers turn these into their own errors: FactValidationError in facts.services, DRF's ValidationError in
facts.api.write_serializers and facts.api.errors, a 409 when nothing names a field.
"""

import sqlite3
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

# PostgreSQL SQLSTATEs of a lock conflict: serialization failure, deadlock, lock not available (lock_timeout).
PG_LOCK_CONFLICTS = frozenset({"40001", "40P01", "55P03"})
# SQLite result codes (primary, the low byte of extended codes) of a lock held by another connection.
SQLITE_LOCK_CONFLICTS = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class LostRace(Exception):
    """A concurrent write took what this one needed; `errors` maps each field to the model's messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items()))


def validation_errors(instance: models.Model) -> dict[str, list[str]]:
    """The model's full validation of `instance` against the current data, as {field: [messages]}."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            return {field: list(messages) for field, messages in exc.message_dict.items()}
        return {NON_FIELD_ERRORS: list(exc.messages)}
    return {}


def save(instance: models.Model, **kwargs) -> None:
    """`instance.save(**kwargs)`, raising LostRace naming the field when a concurrent write took a unique value.

    The savepoint keeps the surrounding transaction usable after the refusal (PostgreSQL aborts it otherwise), so
    that validation can query. PostgreSQL reports a unique violation only once the other transaction committed,
    and SQLite lets one writer at a time, so the winner's row is visible to that validation.
    """
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        errors = validation_errors(instance)
        if not errors:
            raise
        raise LostRace(errors) from exc


def gone_message(obj: models.Model) -> str:
    name = getattr(obj, "slug", None) or obj.pk
    return (
        f"The {obj._meta.verbose_name} “{name}” was deleted by another request while this one was being "
        "written; nothing was written."
    )


def missing_references(data) -> dict:
    """Of the objects `data` refers to (model instances in a serializer's validated data, in nested dicts and
    lists too), those whose rows no longer exist, as errors at their place in the input.

    E.g. ``{"participants": {0: {"actor": ["The actor “x” was deleted by another request ..."]}}}``: the shape DRF
    gives nested errors. Empty when every referenced row is still there.
    """
    found = _missing(data)
    return found if isinstance(found, dict) else {}


def _missing(value):
    if isinstance(value, models.Model):
        if value.pk is None or type(value)._base_manager.filter(pk=value.pk).exists():
            return None
        return [gone_message(value)]
    if isinstance(value, Mapping):
        errors = {key: found for key, item in value.items() if (found := _missing(item))}
        return errors or None
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, Mapping) for item in value):
            errors = {index: found for index, item in enumerate(value) if (found := _missing(item))}
        else:
            errors = [message for item in value for message in (_missing(item) or [])]
        return errors or None
    return None


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a database error is a lock conflict with another write (retry) rather than an outage.

    Read from the driver's error codes (Django keeps the driver's exception as __cause__), not from its text.
    """
    for error in (exc, exc.__cause__):
        if getattr(error, "sqlstate", None) in PG_LOCK_CONFLICTS:
            return True
        code = getattr(error, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF in SQLITE_LOCK_CONFLICTS:
            return True
    return False
