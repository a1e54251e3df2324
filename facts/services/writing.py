"""The check and the write every fact shares: its fields, its evidence passages and a date expression resolved.

`fact_check()` validates a fact and its evidence without writing anything and returns what it found (`FactCheck`);
`fact_write()` raises its errors, or writes the fact and its evidence in one transaction. Each fact's service module
(events, statements, relations, actors) adds the checks and writes of its own parts around these two.
"""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from facts.dates import UnresolvableDate, resolve_date
from facts.models import DATE_BOUNDS, EvidenceSpan, Source
from facts.services.common import (
    ErrorDetail,
    FactValidationError,
    assign,
    check_review,
    clean_errors,
    nested,
    reason_errors,
    replace_children,
    save_fact,
)

NO_EVIDENCE = "Give at least one passage of a source that supports this fact."
# How the API names the fields a curator gives instead of a date expression; the admin names them its own way.
EXPLICIT_DATES = "date_start, date_end and date_precision"


def build_spans(evidence: Sequence[Mapping]) -> tuple[list[EvidenceSpan], list[ErrorDetail]]:
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
        errors = clean_errors(span, exclude if offsets_given else [*exclude, "start", "end"])
        spans.append(span)
        item_errors.append(errors)
    return spans, item_errors


def _evidence_errors(
    evidence: Sequence[Mapping] | None, *, creating: bool, required: bool = True
) -> tuple[list[EvidenceSpan], Any]:
    """Spans to write and their errors; a new fact, or a replaced evidence list, needs at least one span unless the
    fact needs none (`required` false: an alias or affiliation marked external)."""
    if evidence is None:
        return [], [NO_EVIDENCE] if creating and required else None
    if not evidence:
        return [], [NO_EVIDENCE] if required else None
    spans, item_errors = build_spans(evidence)
    return spans, nested(item_errors)


def first_stored_source(fact: models.Model) -> Source | None:
    """The source of a stored fact's first evidence span, the reference its date expression is resolved against."""
    if not fact.pk or not hasattr(fact, "evidence"):
        return None
    first = fact.evidence.select_related("source").order_by("id").first()
    return first.source if first else None


def resolve_date_text(expression: str, reference: Source | None, *, explicit: str = EXPLICIT_DATES):
    """(date_start, date_end, date_precision) of a verbatim date expression, resolved against the publication date
    of `reference` (the fact's first evidence source); ValidationError saying what to give instead when it cannot be.

    `explicit` names the fields a curator can fill in instead, as the form at hand calls them.
    """
    if reference is None:
        raise ValidationError(
            "Add evidence from a source so that this date can be resolved against its publication date, "
            f"or give {explicit}."
        )
    try:
        resolved = resolve_date(expression, reference.published)
    except UnresolvableDate as exc:
        raise ValidationError(f"{exc} Give {explicit} explicitly.") from exc
    return resolved.start, resolved.end, str(resolved.precision)


def _resolve_dates(fact: models.Model, given: Mapping[str, Any], spans: list[EvidenceSpan], errors: ErrorDetail):
    """Explicit dates win; otherwise a date expression ("On Sunday") given without them becomes an interval."""
    if "date_text" not in given or set(DATE_BOUNDS) & set(given):
        return
    expression = (fact.date_text or "").strip()  # type: ignore[attr-defined]  # every dated fact model has it
    if not expression:
        return
    reference = next((s.source for s in spans if s.source_id is not None), None) or first_stored_source(fact)
    try:
        dates = resolve_date_text(expression, reference)
        fact.date_start, fact.date_end, fact.date_precision = dates  # type: ignore[attr-defined]  # a dated fact
    except ValidationError as exc:
        errors["date_text"] = list(exc.messages)


@dataclass
class FactCheck:
    """What checking a fact found: the fact with its input assigned, the evidence spans to write (None: the stored
    evidence stays), every problem, and whatever the fact's own checks planned for its other parts."""

    fact: models.Model
    spans: list[EvidenceSpan] | None
    errors: ErrorDetail
    parts: dict[str, Any] = field(default_factory=dict)


def fact_check(
    fact: models.Model,
    *,
    fields: Mapping[str, Any],
    evidence: Sequence[Mapping] | None,
    user,
    reason: str,
    skip: Collection[str] = frozenset(),
    extra_checks: Callable[[FactCheck], None] | None = None,
) -> FactCheck:
    """Assign `fields` to `fact` and check it with its evidence, writing nothing.

    `skip` names input fields already found bad upstream (an unknown slug): they are left out of the checks.
    """
    creating = fact._state.adding
    previous_status = None if creating else getattr(fact, "status", None)
    needs_evidence = getattr(fact, "needs_evidence", lambda: True)
    was_exempt = not creating and not needs_evidence()
    errors = reason_errors(reason)
    assign(fact, fields)
    check_review(fact, user=user, previous_status=previous_status)
    spans: list[EvidenceSpan]
    evidence_errors: Any
    if "evidence" in skip:
        spans, evidence_errors = [], None
    else:
        spans, evidence_errors = _evidence_errors(evidence, creating=creating, required=needs_evidence())
        now_needs = evidence is None and was_exempt and needs_evidence()
        if now_needs and not fact.evidence.exists():  # type: ignore[attr-defined]  # every fact's reverse relation
            # The external mark is dropped from a fact that cites nothing: it now needs a passage.
            evidence_errors = [NO_EVIDENCE]
    _resolve_dates(fact, fields, [s for s in spans if s.source_id], errors)
    for name, messages in clean_errors(fact, exclude=skip).items():
        errors.setdefault(name, messages)
    if evidence_errors:
        errors["evidence"] = evidence_errors
    checked = FactCheck(fact=fact, spans=spans if evidence is not None else None, errors=errors)
    if extra_checks:
        extra_checks(checked)
    return checked


def fact_write(
    checked: FactCheck,
    *,
    fact_field: str,
    user,
    reason: str,
    extra_writes: Callable[[models.Model], None] | None = None,
) -> models.Model:
    """Raise every problem `checked` found at once, else write the fact and all its parts in one transaction."""
    if checked.errors:
        raise FactValidationError(checked.errors)
    fact = checked.fact
    created = fact._state.adding and fact.pk is None
    with transaction.atomic():
        save_fact(fact, user=user, reason=reason)
        if checked.spans is not None:
            replace_evidence(fact, fact_field, checked.spans, user=user, reason=reason, created=created)
        if extra_writes:
            extra_writes(fact)
    return fact


def span_key(span: EvidenceSpan):
    """One passage of one source: the same passage twice is one piece of evidence."""
    return (span.source_id, span.start, span.end)


def replace_evidence(
    fact: models.Model, fact_field: str, spans: list[EvidenceSpan], *, user, reason, created: bool = False
) -> None:
    """Make the fact's evidence exactly `spans`, keeping spans that are already recorded (so history stays quiet).
    `created`: the fact was inserted by this write, so it has no stored spans to read."""
    # every fact model's reverse relation:
    stored = [] if created else fact.evidence.order_by("id")  # type: ignore[attr-defined]
    replace_children(fact, fact_field, stored, spans, key=span_key, user=user, reason=reason)
