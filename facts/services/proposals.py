"""Candidate facts from a stored source: the extractor's proposals written as `status=candidate` facts.

`source_propose()` runs the engine (facts.extraction) over one source and writes, in one transaction, what is new:
- every mention of a known (accepted) actor or place (Mention rows);
- every new actor the source names (a person with a title, an unnamed source, a group) as a candidate actor, with
  the alias and passages it is named by and, where the source gives one, a candidate affiliation with the role title
  ("French Foreign Minister Catherine Colonna"): facts.services.candidates;
- every statement with a speaker, and every event with at least one participant, known or new, as a candidate with
  its evidence spans and the rule that proposed it, through the same services (and so the same checks) as a
  curator's write.
An event that is a probable duplicate (facts.duplicates, the one rule) of a vetted event is proposed as more evidence
for that event instead: a candidate span (EvidenceSpan.candidate) on it. One that duplicates a candidate (another
sentence reporting the same event) adds its passage to that candidate: one candidate with two spans.
Running it again proposes nothing new: a proposal is left out when a vetted fact of its kind cites a passage
overlapping its main one (the quoted words, the event's trigger), or when the same rule already proposed it. A
proposal the services refuse is reported, not written.

What every proposal looks up (actors, event types, places, the source's spans) is read once per run (`_Run`).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from facts.dates import undated
from facts.duplicates import event_duplicates
from facts.models import Actor, EventType, EvidenceSpan, Mention, Place, ProposalState, ReviewStatus, Source
from facts.services.candidates import REASON, NewActors, candidate_accept, candidate_reject
from facts.services.common import FactValidationError, stamp
from facts.services.events import event_create
from facts.services.statements import statement_create

if TYPE_CHECKING:
    from facts.extraction import Extraction, Interval

__all__ = ["ProposalReport", "candidate_accept", "candidate_reject", "source_propose"]


@dataclass
class ProposalReport:
    """What one run proposed: ids of the candidates written, counts of what was left out, and why."""

    statements: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    actors: list[int] = field(default_factory=list)
    affiliations: list[int] = field(default_factory=list)
    # Candidate spans proposed as more evidence for vetted events: {"event": id, "span": id}.
    evidence: list[dict] = field(default_factory=list)
    # Passages added to a candidate of this or an earlier run that reports the same event: {"event": id, "span": id}.
    merged: list[dict] = field(default_factory=list)
    mentions: int = 0
    already_there: int = 0
    refused: list[dict] = field(default_factory=list)
    unknown_speaker: int = 0
    new_actors: list[dict] = field(default_factory=list)
    dates: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class _Coverage:
    """The source's spans of one kind of fact, read once: what a proposal would repeat (see _Run.covered)."""

    def __init__(self, source: Source, fact_field: str):
        rows = EvidenceSpan.objects.filter(source=source, **{f"{fact_field}__isnull": False}).values_list(
            "start", "end", "candidate", "proposed_by", f"{fact_field}__status", f"{fact_field}__proposed_by"
        )
        self.vetted: list[tuple[int, int]] = []
        self.proposed: set[tuple[int, int, str]] = set()
        for start, end, candidate, span_rule, status, fact_rule in rows:
            if status != ReviewStatus.CANDIDATE and not candidate:
                insort(self.vetted, (start, end))
            self.proposed.update({(start, end, fact_rule), (start, end, span_rule)})
        self.longest = max((end - start for start, end in self.vetted), default=0)

    def covers(self, span, rule: str) -> bool:
        if (span.start, span.end, rule) in self.proposed:
            return True
        # Vetted spans starting before the proposal ends and no longer than the longest: those that may overlap it.
        return any(
            start < span.end and end > span.start
            for start, end in self.vetted
            if span.start - self.longest <= start < span.end
        )


class _Run:
    """What one run reads once and every proposal looks up in memory."""

    def __init__(self, source: Source, extraction: Extraction, *, user):
        self.source, self.user = source, user
        slugs = {s.speaker_slug for s in extraction.statements} | {a.organization_slug for a in extraction.actors}
        slugs |= {key for e in extraction.events for key, _ in e.participants}
        self.actors = {
            actor.slug: actor
            for actor in Actor.objects.filter(slug__in=slugs - {None}, status=ProposalState.ACCEPTED).only(
                "id", "slug", "name", "kind", "status"
            )
        }
        self.event_types = EventType.objects.in_bulk({e.cameo_code for e in extraction.events})
        self.places = Place.objects.in_bulk({e.place_slug for e in extraction.events} - {None}, field_name="slug")
        self.coverage = {name: _Coverage(source, name) for name in ("event", "statement")}
        self.new = NewActors(source, extraction.actors, user=user)

    def actor(self, key: str | None) -> Actor | None:
        """A known actor by slug, or a new one by "new:<name>" (the engine's keys)."""
        if key and key.startswith("new:"):
            return self.new.by_name.get(key[4:])
        return self.actors.get(key or "")

    def covered(self, fact_field: str, span, rule: str) -> bool:
        """Whether a vetted fact of that kind cites a passage of the source overlapping `span`, or the same rule
        already proposed exactly it (an earlier run's, or more evidence for an event). Candidates of one run may
        overlap each other: one sentence can report several events."""
        return self.coverage[fact_field].covers(span, rule)

    def proposed(self, fact_field: str, span, rule: str) -> None:
        self.coverage[fact_field].proposed.add((span.start, span.end, rule))


def source_propose(*, source: Source, user=None, progress: Callable[[int, int], None] | None = None) -> ProposalReport:
    """Propose candidate facts, actors and mentions for `source` (see the module's docstring); returns what it did."""
    # Imported here: spaCy takes a second to import, which no web process or other command should pay at start-up.
    from facts.extraction import extract, input_from_db

    extraction = extract(input_from_db(source), progress=progress)
    report = ProposalReport()
    with transaction.atomic():
        report.mentions = _write_mentions(source, extraction)
        run = _Run(source, extraction, user=user)
        for proposed in extraction.actors:
            actor = run.new.write(proposed, run.actors)
            report.new_actors.append(_new_actor_row(proposed, actor))
        report.actors, report.affiliations, report.refused = run.new.created, run.new.affiliations, run.new.refused
        for statement in extraction.statements:
            _propose_statement(run, statement, report)
        for event in extraction.events:
            _propose_event(run, event, report)
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


def _new_actor_row(proposed, actor: Actor | None) -> dict:
    return {
        "id": actor.pk if actor else None,
        "slug": actor.slug if actor else None,
        "name": proposed.name,
        "kind": proposed.kind,
        "title": proposed.affiliation_title,
        "organization": proposed.organization_slug,
        "quote": proposed.spans[0].quote if proposed.spans else "",
    }


def _write_mentions(source: Source, extraction: Extraction) -> int:
    """The mentions not yet stored, in one bulk insert; each quote checked against the text (Mention.quote_refused)."""
    actors = dict(Actor.objects.filter(status=ProposalState.ACCEPTED).values_list("slug", "id"))
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
        row.quote = mention.quote
        if refused := row.quote_refused(source.text):  # Mention.clean's rule, on the text this run holds
            raise ValidationError({"quote": refused})
        stored.add(key)
        rows.append(row)
    Mention.objects.bulk_create(rows)
    return len(rows)


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


def _propose_statement(run: _Run, proposal, report: ProposalReport) -> None:
    speaker = run.actor("new:" + proposal.new_actor if proposal.new_actor else proposal.speaker_slug)
    if speaker is None:
        report.unknown_speaker += 1
        return
    if run.covered("statement", proposal.spans[0], proposal.rule):
        report.already_there += 1
        return
    try:
        statement = statement_create(
            evidence=_evidence(run.source, proposal.spans),
            user=run.user,
            reason=REASON.format(rule=proposal.rule),
            speaker=speaker,
            kind=proposal.kind,
            text=proposal.text,
            channel=proposal.channel,
            status=ReviewStatus.CANDIDATE,
            proposed_by=proposal.rule,
            **_dates(proposal.interval, proposal.date_text, run.source),
        )
    except FactValidationError as error:
        report.refused.append({"kind": "statement", "quote": proposal.spans[0].quote[:120], "errors": error.detail})
        return
    run.proposed("statement", proposal.spans[0], proposal.rule)
    report.statements.append(statement.pk)


def _propose_event(run: _Run, proposal, report: ProposalReport) -> None:
    participants = [
        {"actor": actor, "role": role} for key, role in proposal.participants if (actor := run.actor(key)) is not None
    ]
    if not participants:
        report.unknown_speaker += 1
        return
    main = proposal.spans[0]
    if run.covered("event", main, proposal.rule):
        report.already_there += 1
        return
    dates = _dates(proposal.interval, proposal.date_text, run.source)
    title = proposal.title[:300]
    if match := _same_event(run, proposal.cameo_code, title, participants, dates, proposal.spans):
        _more_evidence(run, match, proposal, report)
        return
    try:
        event = event_create(
            evidence=_evidence(run.source, proposal.spans),
            participants=participants,
            user=run.user,
            reason=REASON.format(rule=proposal.rule),
            title=title,
            event_type=run.event_types.get(proposal.cameo_code),
            place=run.places.get(proposal.place_slug or ""),
            status=ReviewStatus.CANDIDATE,
            proposed_by=proposal.rule,
            **dates,
        )
    except FactValidationError as error:
        report.refused.append({"kind": "event", "quote": main.quote[:120], "errors": error.detail})
        return
    run.proposed("event", main, proposal.rule)
    report.events.append(event.pk)


def _same_event(run: _Run, code: str, title: str, participants, dates, spans) -> tuple[int, str] | None:
    """(id, status) of the stored event this proposal probably reports again (facts.duplicates): a vetted one first,
    else a candidate; None when there is none."""
    found = event_duplicates(
        event_type_code=code,
        date_start=dates["date_start"],
        date_end=dates["date_end"],
        actor_ids=[p["actor"].pk for p in participants],
        title=title,
        spans=[(run.source.pk, span.start, span.end) for span in spans],
        limit=10,
        slugs={p["actor"].pk: p["actor"].slug for p in participants},
    )
    if not found:
        return None
    ranked = sorted(found, key=lambda d: d.status == ReviewStatus.CANDIDATE)  # stable: vetted first
    return ranked[0].id, ranked[0].status


def _more_evidence(run: _Run, match: tuple[int, str], proposal, report: ProposalReport) -> None:
    """The proposal's passages as more evidence for the event it reports again: candidate spans on a vetted event
    (not its evidence until accepted), plain spans on a candidate (it is all waiting for a curator)."""
    event_id, status = match
    vetted = status != ReviewStatus.CANDIDATE
    added = []
    for span in proposal.spans:
        row = EvidenceSpan(
            source=run.source,
            start=span.start,
            end=span.end,
            quote=span.quote,
            event_id=event_id,
            candidate=vetted,
            proposed_by=proposal.rule,
        )
        try:
            # The span's own rules (its quote is the text there, the event cites it once). Its source and event
            # were just read in this transaction, and its check constraints hold in the database, which a span built
            # from the engine's offsets meets: neither is asked again.
            row.full_clean(exclude=["source", "event"], validate_constraints=False)
        except ValidationError:
            continue  # the event already cites this passage
        stamp(row, user=run.user, reason=REASON.format(rule=proposal.rule)).save()
        added.append({"event": event_id, "span": row.pk})
    run.proposed("event", proposal.spans[0], proposal.rule)
    if not added:
        report.already_there += 1
    (report.evidence if vetted else report.merged).extend(added)
