"""Statements with their evidence and what they are about: check (`statement_validate`), create and update."""

import copy
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import cast

from facts.models import Actor, Event, Statement
from facts.services.common import ErrorDetail, stamp, without
from facts.services.writing import FactCheck, fact_check, fact_write

ABOUT_FIELDS = ("about_actors", "about_places", "about_events")


def _statement_check(statement: Statement, *, fields, evidence, user, reason, skip=frozenset()) -> FactCheck:
    def checks(checked: FactCheck):
        errors = checked.errors
        if "text" in errors or "evidence" in errors or {"text", "kind", "evidence"} & set(skip):
            return
        if checked.spans is None:
            quotes = list(statement.evidence.values_list("quote", flat=True)) if statement.pk else []
        else:
            quotes = [span.quote for span in checked.spans]
        if refused := statement.quote_refused(quotes):
            errors["text"] = [refused]

    return fact_check(
        statement, fields=fields, evidence=evidence, user=user, reason=reason, skip=skip, extra_checks=checks
    )


def _statement_write(checked: FactCheck, *, about, user, reason) -> Statement:
    def writes(saved):
        for name, targets in about.items():
            if targets is not None:
                # set() only touches changed links; the m2m history then records one change per call.
                stamp(saved, user=user, reason=reason)
                getattr(saved, name).set(list(targets))

    return cast(Statement, fact_write(checked, fact_field="statement", user=user, reason=reason, extra_writes=writes))


def statement_validate(
    *,
    statement: Statement | None = None,
    evidence: Sequence[Mapping] | None = None,
    skip: Collection[str] = (),
    user=None,
    reason: str = "",
    about_actors=None,
    about_places=None,
    about_events=None,
    **fields,
) -> ErrorDetail:
    """Every problem statement_create (no `statement`) or statement_update would report; nothing is written.

    `skip` names input fields already found bad upstream: neither checked nor reported. The about-links have no
    rule of their own beyond their references, which the caller resolved.
    """
    target = Statement() if statement is None else copy.copy(statement)
    checked = _statement_check(target, fields=fields, evidence=evidence, user=user, reason=reason, skip=skip)
    return without(checked.errors, skip)


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
    checked = _statement_check(Statement(), fields=fields, evidence=list(evidence), user=user, reason=reason)
    return _statement_write(checked, about=about, user=user, reason=reason)


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
    checked = _statement_check(statement, fields=fields, evidence=evidence, user=user, reason=reason)
    return _statement_write(checked, about=about, user=user, reason=reason)
