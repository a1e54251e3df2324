"""Writes that span several models: a fact with its participants, evidence and about-links; an actor with aliases.

Each fact has three keyword-only services: `<fact>_validate(...)` returns every problem its input has, nested ones
included, without writing anything (the API calls it to name every bad field in one 400); `<fact>_create(...)` and
`<fact>_update(...)` run the same checks first, raise a single `FactValidationError` when any fails, and otherwise
write everything in one transaction, so a fact is never half-written. The checks are the model's own
`full_clean()`, the rules the admin applies.

Every save and delete is stamped for django-simple-history: the acting user (when given; inside a request the
history middleware supplies it anyway) and the curator's reason for the change.
"""

from facts.services.actors import (
    actor_create,
    actor_update,
    actor_validate,
    alias_create,
    alias_update,
    alias_validate,
)
from facts.services.common import (
    REASON_MAX_LENGTH,
    DependentsExist,
    ErrorDetail,
    FactValidationError,
    ReviewRefused,
    check_review,
    clean_errors,
    errors_of,
    reason_errors,
    replace_children,
    stamp,
)
from facts.services.deletion import OWNED_PARTS, deletion_refusals, dependents_of, instance_delete
from facts.services.events import event_create, event_update, event_validate
from facts.services.merging import event_merge, events_locked, merge_refusals
from facts.services.relations import (
    affiliation_create,
    affiliation_update,
    affiliation_validate,
    relation_create,
    relation_update,
    relation_validate,
)
from facts.services.statements import ABOUT_FIELDS, statement_create, statement_update, statement_validate
from facts.services.writing import NO_EVIDENCE, first_stored_source, resolve_date_text

__all__ = [
    "ABOUT_FIELDS",
    "NO_EVIDENCE",
    "OWNED_PARTS",
    "REASON_MAX_LENGTH",
    "DependentsExist",
    "ErrorDetail",
    "FactValidationError",
    "ReviewRefused",
    "actor_create",
    "actor_update",
    "actor_validate",
    "affiliation_create",
    "affiliation_update",
    "affiliation_validate",
    "alias_create",
    "alias_update",
    "alias_validate",
    "check_review",
    "clean_errors",
    "deletion_refusals",
    "dependents_of",
    "errors_of",
    "event_create",
    "event_merge",
    "event_update",
    "event_validate",
    "events_locked",
    "first_stored_source",
    "instance_delete",
    "merge_refusals",
    "reason_errors",
    "relation_create",
    "relation_update",
    "relation_validate",
    "replace_children",
    "resolve_date_text",
    "stamp",
    "statement_create",
    "statement_update",
    "statement_validate",
]
