"""Relations between two actors and affiliations of a member with an organization, each with its evidence."""

import copy
from collections.abc import Collection, Mapping, Sequence

from facts.models import Affiliation, Relation
from facts.services.common import ErrorDetail, without
from facts.services.writing import fact_check, fact_write


def _validate(fact, *, evidence, skip, user, reason, fields) -> ErrorDetail:
    checked = fact_check(copy.copy(fact), fields=fields, evidence=evidence, user=user, reason=reason, skip=skip)
    return without(checked.errors, skip)


def _write(fact, fact_field: str, *, evidence, user, reason, fields):
    checked = fact_check(fact, fields=fields, evidence=evidence, user=user, reason=reason)
    return fact_write(checked, fact_field=fact_field, user=user, reason=reason)


def relation_validate(
    *,
    relation: Relation | None = None,
    evidence: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> ErrorDetail:
    """Every problem relation_create (no `relation`) or relation_update would report; nothing is written.

    `skip` names input fields already found bad upstream: neither checked nor reported.
    """
    return _validate(relation or Relation(), evidence=evidence, skip=skip, user=user, reason=reason, fields=fields)


def relation_create(*, evidence: Sequence[Mapping], user=None, reason: str = "", **fields) -> Relation:
    """Create a relation (subject, object, type, ...) with its evidence."""
    return _write(Relation(), "relation", evidence=list(evidence), user=user, reason=reason, fields=fields)


def relation_update(
    *, relation: Relation, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Relation:
    """Change a relation; `evidence`, when given, replaces the current spans."""
    return _write(relation, "relation", evidence=evidence, user=user, reason=reason, fields=fields)


def affiliation_validate(
    *,
    affiliation: Affiliation | None = None,
    evidence: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> ErrorDetail:
    """Every problem affiliation_create (no `affiliation`) or affiliation_update would report; nothing is written.

    `skip` names input fields already found bad upstream: neither checked nor reported.
    """
    target = affiliation or Affiliation()
    return _validate(target, evidence=evidence, skip=skip, user=user, reason=reason, fields=fields)


def affiliation_create(*, evidence: Sequence[Mapping], user=None, reason: str = "", **fields) -> Affiliation:
    """Create an affiliation (person, organization, role_title, ...) with its evidence."""
    return _write(Affiliation(), "affiliation", evidence=list(evidence), user=user, reason=reason, fields=fields)


def affiliation_update(
    *, affiliation: Affiliation, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Affiliation:
    """Change an affiliation; `evidence`, when given, replaces the current spans."""
    return _write(affiliation, "affiliation", evidence=evidence, user=user, reason=reason, fields=fields)
