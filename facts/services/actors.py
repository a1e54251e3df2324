"""Actors with their aliases, and single aliases with their evidence: check, create and update.

Each alias cites the passages where a source uses it (`evidence`, as for facts), or is marked external (`external`
names `name`, e.g. {"name": "canonical spelling"}); ActorAlias.support_refused says why not.
"""

import copy
from collections.abc import Collection, Mapping, Sequence
from typing import cast

from django.db import transaction

from facts.models import Actor, ActorAlias, EvidenceSpan
from facts.services.common import (
    ErrorDetail,
    FactValidationError,
    assign,
    clean_errors,
    nested,
    reason_errors,
    replace_children,
    save_fact,
    without,
)
from facts.services.writing import FactCheck, build_spans, fact_check, fact_write, replace_evidence

AliasPlan = list[tuple[ActorAlias, list[EvidenceSpan] | None]]


def _alias_plan(item: Mapping, existing: Mapping[str, ActorAlias]) -> tuple[ActorAlias, list | None, dict]:
    """The alias an input item describes (the stored one, changed, when the actor has it), the evidence spans to
    write (None keeps a stored alias' evidence) and its errors."""
    name = item.get("name") or ""
    stored = existing.get(name)
    alias = copy.copy(stored) if stored is not None else ActorAlias(name=name)
    alias.kind = item.get("kind") or ActorAlias._meta.get_field("kind").default
    if "external" in item or stored is None:
        alias.external = item.get("external") or {}
    errors: ErrorDetail = clean_errors(alias, exclude=["actor"])
    evidence = item.get("evidence")
    spans, evidence_errors = (None, None) if evidence is None else build_spans(evidence)
    if evidence_errors is not None and (found := nested(evidence_errors)):
        errors["evidence"] = found
    elif "name" not in errors and "external" not in errors:
        if spans is not None:
            quotes = [span.quote for span in spans]
        else:
            quotes = [span.quote for span in stored.evidence.all()] if stored is not None else []
        if refused := alias.support_refused(quotes):
            errors["evidence"] = [refused]
    return alias, spans, errors


def _aliases_plan(actor: Actor, aliases: Sequence[Mapping], errors: ErrorDetail) -> AliasPlan:
    existing = {a.name: a for a in actor.aliases.prefetch_related("evidence")} if actor.pk else {}
    plan, item_errors, seen = [], [], set()
    for item in aliases:
        alias, spans, item_error = _alias_plan(item, existing)
        if alias.name in seen:
            item_error.setdefault("name", []).append("This alias is given twice.")
        seen.add(alias.name)
        plan.append((alias, spans))
        item_errors.append(item_error)
    if found := nested(item_errors):
        errors["aliases"] = found
    return plan


def _actor_check(actor: Actor, *, fields, aliases, reason, skip=frozenset()) -> tuple[ErrorDetail, AliasPlan]:
    errors = reason_errors(reason)
    assign(actor, fields)
    errors.update(clean_errors(actor, exclude=skip))
    plan = _aliases_plan(actor, aliases, errors) if aliases is not None and "aliases" not in skip else []
    return errors, plan


def _write_aliases(actor: Actor, plan: AliasPlan, *, user, reason) -> None:
    """Make the actor's aliases exactly `plan` ((alias, spans or None) pairs), matched by name."""

    def changed(old, wanted) -> bool:
        if (old.kind, old.external) == (wanted.kind, wanted.external):
            return False
        old.kind, old.external = wanted.kind, wanted.external
        return True

    kept = replace_children(
        actor,
        "actor",
        actor.aliases.all(),
        [alias for alias, _ in plan],
        key=lambda a: a.name,
        update=changed,
        user=user,
        reason=reason,
    )
    for alias, spans in plan:
        if spans is not None:
            replace_evidence(kept[alias.name], "alias", spans, user=user, reason=reason)


def _actor_write(actor: Actor, *, fields, aliases, user, reason) -> Actor:
    errors, plan = _actor_check(actor, fields=fields, aliases=aliases, reason=reason)
    if errors:
        raise FactValidationError(errors)
    with transaction.atomic():
        save_fact(actor, user=user, reason=reason)
        if aliases is not None:
            _write_aliases(actor, plan, user=user, reason=reason)
    return actor


def actor_validate(
    *,
    actor: Actor | None = None,
    aliases: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> ErrorDetail:
    """Every problem actor_create (no `actor`) or actor_update would report for this input; nothing is written.

    `skip` names input fields already found bad upstream: neither checked nor reported. `actor` stays as is.
    """
    target = Actor() if actor is None else copy.copy(actor)
    errors, _ = _actor_check(target, fields=fields, aliases=aliases, reason=reason, skip=skip)
    return without(errors, skip)


def actor_create(*, aliases: Sequence[Mapping] = (), user=None, reason: str = "", **fields) -> Actor:
    """Create an actor with its aliases ({name, kind, external?, evidence?}), each citing a passage or external."""
    return _actor_write(Actor(), fields=fields, aliases=list(aliases), user=user, reason=reason)


def actor_update(
    *, actor: Actor, aliases: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> Actor:
    """Change an actor; `aliases`, when given, replace the current ones (None keeps them).

    Aliases are matched by name: for an alias the actor has, a left-out `evidence` or `external` stays as stored.
    """
    return _actor_write(actor, fields=fields, aliases=aliases, user=user, reason=reason)


def _alias_check(alias: ActorAlias, *, fields, evidence, user, reason, skip=frozenset()) -> FactCheck:
    def checks(checked: FactCheck):
        if {"name", "external", "evidence"} & (set(checked.errors) | set(skip)):
            return
        if checked.spans is not None:
            quotes = [span.quote for span in checked.spans]
        else:
            quotes = list(alias.evidence.values_list("quote", flat=True)) if alias.pk else []
        if refused := alias.support_refused(quotes):
            checked.errors["evidence"] = [refused]

    return fact_check(alias, fields=fields, evidence=evidence, user=user, reason=reason, skip=skip, extra_checks=checks)


def alias_validate(
    *,
    alias: ActorAlias | None = None,
    evidence: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    **fields,
) -> ErrorDetail:
    """Every problem alias_create (no `alias`) or alias_update would report; nothing is written."""
    target = ActorAlias() if alias is None else copy.copy(alias)
    checked = _alias_check(target, fields=fields, evidence=evidence, user=user, reason=reason, skip=skip)
    return without(checked.errors, skip)


def alias_create(*, evidence: Sequence[Mapping] = (), user=None, reason: str = "", **fields) -> ActorAlias:
    """Create one alias (actor, name, kind, external) with the passages where a source uses it; an alias marked
    external (a canonical spelling) may cite none."""
    checked = _alias_check(ActorAlias(), fields=fields, evidence=list(evidence), user=user, reason=reason)
    return cast(ActorAlias, fact_write(checked, fact_field="alias", user=user, reason=reason))


def alias_update(
    *, alias: ActorAlias, evidence: Sequence[Mapping] | None = None, user=None, reason: str = "", **fields
) -> ActorAlias:
    """Change one alias; `evidence`, when given, replaces its spans (None keeps them)."""
    checked = _alias_check(alias, fields=fields, evidence=evidence, user=user, reason=reason)
    return cast(ActorAlias, fact_write(checked, fact_field="alias", user=user, reason=reason))
