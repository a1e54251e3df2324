"""Candidate facts from a stored source: the extractor's proposals written as `status=candidate` facts.

`source_propose()` runs the engine (facts.extraction) over one source and writes, in one transaction, what is new:
- every mention of a known actor or place (Mention rows);
- every statement with a known speaker, and every event with at least one known participant, as a candidate with
  its evidence spans and the rule that proposed it, through the same services (and so the same checks) as a
  curator's write.
Running it again proposes nothing new: a proposal is left out when a vetted fact of its kind cites a passage
overlapping its main one (the quoted words, the event's trigger), or when the same rule already proposed it. A
proposal the services refuse is reported, not written. Proposed new actors (a name no known actor has) are reported
for a curator to add; they are not written, since an actor has no candidate state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from facts.dates import undated
from facts.models import Actor, EventType, EvidenceSpan, Mention, Place, ReviewStatus, Source
from facts.services.common import FactValidationError, reason_errors, stamp
from facts.services.deletion import instance_delete
from facts.services.events import event_create
from facts.services.statements import statement_create

if TYPE_CHECKING:
    from facts.extraction import Extraction, Interval

REASON = "Proposed by propose_facts ({rule})"


@dataclass
class ProposalReport:
    """What one run proposed: ids of the candidates written, counts of what was left out, and why."""

    statements: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    mentions: int = 0
    already_there: int = 0
    refused: list[dict] = field(default_factory=list)
    unknown_speaker: int = 0
    new_actors: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "statements": self.statements,
            "events": self.events,
            "mentions": self.mentions,
            "already_there": self.already_there,
            "refused": self.refused,
            "unknown_speaker": self.unknown_speaker,
            "new_actors": self.new_actors,
            "dates": self.dates,
        }


def source_propose(*, source: Source, user=None, progress: Callable[[int, int], None] | None = None) -> ProposalReport:
    """Propose candidate facts and mentions for `source` (see the module's docstring); returns what it did."""
    # Imported here: spaCy takes a second to import, which no web process or other command should pay at start-up.
    from facts.extraction import extract, input_from_db

    extraction = extract(input_from_db(source), progress=progress)
    report = ProposalReport()
    with transaction.atomic():
        report.mentions = _write_mentions(source, extraction)
        actors = {actor.slug: actor for actor in Actor.objects.only("id", "slug")}
        for statement in extraction.statements:
            _propose_statement(source, statement, actors, report, user=user)
        for event in extraction.events:
            _propose_event(source, event, actors, report, user=user)
    report.new_actors = [
        {
            "name": actor.name,
            "kind": actor.kind,
            "title": actor.affiliation_title,
            "organization": actor.organization_slug,
            "quote": actor.spans[0].quote if actor.spans else "",
        }
        for actor in extraction.actors
    ]
    report.dates = [
        {
            "date_text": found.date_text,
            "start": found.start,
            "end": found.end,
            "date_start": found.interval.start,
            "date_end": found.interval.end,
            "date_precision": found.interval.precision,
        }
        for found in extraction.dates
    ]
    return report


def _write_mentions(source: Source, extraction: Extraction) -> int:
    """The mentions not yet stored, in one bulk insert; each quote is checked against the text (Mention.clean)."""
    actors = dict(Actor.objects.values_list("slug", "id"))
    places = dict(Place.objects.values_list("slug", "id"))
    stored: set[tuple[int, int, int | None, int | None]] = set(
        Mention.objects.filter(source=source).values_list("start", "end", "actor_id", "place_id")
    )
    rows = []
    for mention in extraction.mentions:
        row = Mention(
            source=source,
            start=mention.start,
            end=mention.end,
            quote=source.text[mention.start : mention.end],
            actor_id=actors.get(mention.actor_slug) if mention.actor_slug else None,
            place_id=places.get(mention.place_slug) if mention.place_slug else None,
        )
        key = (row.start, row.end, row.actor_id, row.place_id)
        if (row.actor_id is None) == (row.place_id is None) or key in stored:
            continue
        row.clean()
        stored.add(key)
        rows.append(row)
    Mention.objects.bulk_create(rows)
    return len(rows)


def _covered(source: Source, fact_field: str, span, rule: str) -> bool:
    """Whether the proposal whose main passage is `span` is already there: a vetted fact of that kind (any status but
    candidate) cites a passage of `source` overlapping it, or a fact proposed by the same rule cites exactly it (an
    earlier run's). Candidates of one run may overlap each other: one sentence can report several events."""
    spans = EvidenceSpan.objects.filter(source=source, **{f"{fact_field}__isnull": False})
    vetted = spans.filter(start__lt=span.end, end__gt=span.start).exclude(
        **{f"{fact_field}__status": ReviewStatus.CANDIDATE}
    )
    proposed = spans.filter(start=span.start, end=span.end, **{f"{fact_field}__proposed_by": rule})
    return vetted.exists() or proposed.exists()


def _dates(interval: Interval | None, date_text: str, source: Source) -> dict:
    """The date fields of a proposal: the engine's interval, or the undated interval of a past fact."""
    resolved = interval or undated(source.published)
    return {
        "date_text": date_text if interval else "",
        "date_start": resolved.start,
        "date_end": resolved.end,
        "date_precision": resolved.precision,
    }


def _evidence(source: Source, spans) -> list[dict]:
    return [{"source": source, "start": span.start, "end": span.end, "quote": span.quote} for span in spans]


def _propose_statement(source, proposal, actors, report: ProposalReport, *, user) -> None:
    speaker = actors.get(proposal.speaker_slug or "")
    if speaker is None:
        report.unknown_speaker += 1
        return
    if _covered(source, "statement", proposal.spans[0], proposal.rule):
        report.already_there += 1
        return
    try:
        statement = statement_create(
            evidence=_evidence(source, proposal.spans),
            user=user,
            reason=REASON.format(rule=proposal.rule),
            speaker=speaker,
            kind=proposal.kind,
            text=proposal.text,
            channel=proposal.channel,
            status=ReviewStatus.CANDIDATE,
            proposed_by=proposal.rule,
            **_dates(proposal.interval, proposal.date_text, source),
        )
    except FactValidationError as error:
        report.refused.append({"kind": "statement", "quote": proposal.spans[0].quote[:120], "errors": error.detail})
        return
    report.statements.append(statement.pk)


def _propose_event(source, proposal, actors, report: ProposalReport, *, user) -> None:
    participants = [{"actor": actors[key], "role": role} for key, role in proposal.participants if key in actors]
    if not participants:
        report.unknown_speaker += 1
        return
    if _covered(source, "event", proposal.spans[0], proposal.rule):
        report.already_there += 1
        return
    event_type = EventType.objects.filter(code=proposal.cameo_code).first()
    place = Place.objects.filter(slug=proposal.place_slug).first() if proposal.place_slug else None
    try:
        event = event_create(
            evidence=_evidence(source, proposal.spans),
            participants=participants,
            user=user,
            reason=REASON.format(rule=proposal.rule),
            title=proposal.title[:300],
            event_type=event_type,
            place=place,
            status=ReviewStatus.CANDIDATE,
            proposed_by=proposal.rule,
            **_dates(proposal.interval, proposal.date_text, source),
        )
    except FactValidationError as error:
        report.refused.append({"kind": "event", "quote": proposal.spans[0].quote[:120], "errors": error.detail})
        return
    report.events.append(event.pk)


def candidate_accept(*, fact, user=None, reason: str = "") -> None:
    """A curator's yes: the candidate becomes a draft (history records who and why); anything else is refused."""
    if fact.status != ReviewStatus.CANDIDATE:
        raise FactValidationError({"status": [f"Only a candidate can be accepted; this one is {fact.status}."]})
    if errors := reason_errors(reason):
        raise FactValidationError(errors)
    fact.status = ReviewStatus.DRAFT
    stamp(fact, user=user, reason=reason or "Candidate accepted")
    fact.save(update_fields=["status", "updated_at"])


def candidate_reject(*, fact, user=None, reason: str) -> None:
    """A curator's no: the candidate is deleted with its evidence, the reason kept in its history."""
    if fact.status != ReviewStatus.CANDIDATE:
        raise FactValidationError({"status": [f"Only a candidate can be rejected; this one is {fact.status}."]})
    if not reason.strip():
        raise FactValidationError({"reason": ["Say why the candidate is rejected: the reason stays in its history."]})
    instance_delete(instance=fact, user=user, reason=reason)
