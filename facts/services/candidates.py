"""Candidates: the extractor's new actors and their affiliations written as candidates, and a curator's yes or no on
any candidate (an event, statement or relation, an actor, an affiliation, or a passage proposed as more evidence for
an existing event).

What the two decisions do, whichever path asks (the review queue, the admin's bulk action, the API):
- accept: a candidate fact becomes a draft, a candidate actor or affiliation accepted, a candidate span the event's
  evidence. A fact or affiliation is accepted only once every actor it names is (facts.models.
  candidate_actors_refused): the curator accepts the actor first, and "accept all" does so in that order.
- reject: the candidate is deleted, the reason kept in its history (facts.services.instance_delete). Rejecting a
  candidate actor also rejects the candidates that name it (its candidate facts and affiliations, which cannot stand
  without it); no vetted fact can name it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from facts.dates import undated
from facts.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Affiliation,
    AliasKind,
    EvidenceSpan,
    Proposable,
    ProposalState,
    ReviewStatus,
    Source,
    candidate_actors_refused,
)
from facts.patterns import SLUG_MAX_LENGTH
from facts.services.actors import actor_create
from facts.services.common import FactValidationError, reason_errors, stamp
from facts.services.deletion import instance_delete
from facts.services.relations import affiliation_create

if TYPE_CHECKING:
    from facts.extraction import ProposedActor, Span

REASON = "Proposed by propose_facts ({rule})"
_ARTICLES = ("a ", "an ", "the ")


# -- decisions ------------------------------------------------------------------------------------------------------


def is_candidate(obj) -> bool:
    """Whether `obj` waits for a curator: a candidate fact, actor or affiliation, or a candidate evidence span."""
    if isinstance(obj, EvidenceSpan):
        return obj.candidate
    return getattr(obj, "status", None) == ReviewStatus.CANDIDATE


def candidate_accept(*, fact, user=None, reason: str = "") -> None:
    """A curator's yes (see the module's docstring); anything but a candidate, or a fact naming a candidate actor,
    is refused with the reason."""
    if not is_candidate(fact):
        raise FactValidationError({"status": ["Only a candidate can be accepted; this one is not."]})
    if errors := reason_errors(reason):
        raise FactValidationError(errors)
    stamp(fact, user=user, reason=reason or "Candidate accepted")
    if isinstance(fact, EvidenceSpan):
        fact.candidate = False
        fact.save(update_fields=["candidate", "updated_at"])
        return
    accepted = ProposalState.ACCEPTED if isinstance(fact, Proposable) else ReviewStatus.DRAFT
    # An actor names no other actor; a fact or an affiliation is accepted once the actors it names are.
    if refused := candidate_actors_refused(accepted, getattr(fact, "named_actor_ids", list)()):
        raise FactValidationError({"status": [refused]})
    fact.status = accepted
    fact.save(update_fields=["status", "updated_at"])


def candidate_reject(*, fact, user=None, reason: str) -> None:
    """A curator's no: the candidate is deleted with its evidence (and, for an actor, the candidates naming it), the
    reason kept in its history."""
    if not is_candidate(fact):
        raise FactValidationError({"status": ["Only a candidate can be rejected; this one is not."]})
    if not reason.strip():
        raise FactValidationError({"reason": ["Say why the candidate is rejected: the reason stays in its history."]})
    if isinstance(fact, EvidenceSpan):
        if errors := reason_errors(reason):
            raise FactValidationError(errors)
        stamp(fact, user=user, reason=reason).delete()
        return
    instance_delete(instance=fact, user=user, reason=reason)


# -- new actors -----------------------------------------------------------------------------------------------------


def _alias_name(quote: str) -> str:
    """The words a passage names a new actor by, without a leading article ("A Russian official")."""
    words = " ".join(quote.split())
    for article in _ARTICLES:
        if words.lower().startswith(article):
            return words[len(article) :]
    return words


def _free_slug(name: str, taken: set[str]) -> str:
    base = (slugify(name) or "actor")[: SLUG_MAX_LENGTH - 4]
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _cite_more(source: Source, spans, **fact) -> int:
    """Cite each of `spans` for the stored alias or affiliation `fact` unless it already does; returns how many."""
    added = 0
    for span in spans:
        row = EvidenceSpan(source=source, start=span.start, end=span.end, quote=span.quote, **fact)
        try:
            row.full_clean()
        except ValidationError:
            continue  # already cited (or no longer in the text): nothing to add
        row.save()
        added += 1
    return added


class NewActors:
    """The candidate actors of one run, by the engine's name for them: created, or found from an earlier run."""

    def __init__(self, source: Source, proposed: list[ProposedActor], *, user):
        self.source, self.user = source, user
        names = {actor.name for actor in proposed}
        self.stored = {actor.name: actor for actor in Actor.objects.filter(name__in=names).order_by("id")}
        self.taken = set(
            Actor.objects.filter(slug__in=[slugify(name) for name in names]).values_list("slug", flat=True)
        )
        self.by_name: dict[str, Actor] = {}
        self.created: list[int] = []
        self.affiliations: list[int] = []
        self.refused: list[dict] = []

    def write(self, proposed: ProposedActor, organizations: dict[str, Actor]) -> Actor | None:
        """The actor `proposed` names, with its aliases' passages and its affiliation, written as candidates."""
        actor = self.stored.get(proposed.name)
        groups: dict[str, list[Span]] = {}
        for span in proposed.spans:
            groups.setdefault(_alias_name(span.quote), []).append(span)
        kind = AliasKind.DESCRIPTION if proposed.kind == ActorKind.UNNAMED else AliasKind.NAME
        reason = REASON.format(rule=f"actor:{proposed.rule}")
        try:
            with transaction.atomic():
                if actor is None:
                    actor = self._create(proposed, groups, kind, reason)
                else:
                    self._cite_aliases(actor, groups, kind, reason)
                self._affiliation(actor, proposed, organizations.get(proposed.organization_slug or ""))
        except FactValidationError as error:
            self.refused.append({"kind": "actor", "quote": proposed.name[:120], "errors": error.detail})
            return None
        self.by_name[proposed.name] = actor
        return actor

    def _create(self, proposed: ProposedActor, groups, kind, reason) -> Actor:
        slug = _free_slug(proposed.name, self.taken)
        self.taken.add(slug)
        aliases = [
            {"name": name, "kind": kind, "evidence": [_evidence(self.source, span) for span in spans]}
            for name, spans in groups.items()
        ]
        actor = actor_create(
            aliases=aliases,
            user=self.user,
            reason=reason,
            slug=slug,
            name=proposed.name[:200],
            kind=proposed.kind,
            status=ProposalState.CANDIDATE,
            proposed_by=f"actor:{proposed.rule}"[:80],
        )
        self.created.append(actor.pk)
        return actor

    def _cite_aliases(self, actor: Actor, groups, kind, reason) -> None:
        stored = {alias.name: alias for alias in actor.aliases.all()}
        for name, spans in groups.items():
            alias = stored.get(name)
            if alias is None:
                alias = stamp(ActorAlias(actor=actor, name=name, kind=kind), user=self.user, reason=reason)
                alias.full_clean()
                alias.save()
            _cite_more(self.source, spans, alias=alias)

    def _affiliation(self, actor: Actor, proposed: ProposedActor, organization: Actor | None) -> None:
        if organization is None or not proposed.affiliation_spans:
            return
        title = proposed.affiliation_title[:200]
        stored = Affiliation.objects.filter(person=actor, organization=organization, role_title=title).first()
        if stored is not None:
            _cite_more(self.source, proposed.affiliation_spans, affiliation=stored)
            return
        role_dates = undated(self.source.published)  # a role as of publication: its start unknown
        affiliation = affiliation_create(
            evidence=[_evidence(self.source, span) for span in _distinct(proposed.affiliation_spans)],
            user=self.user,
            reason=REASON.format(rule=f"affiliation:{proposed.rule}"),
            person=actor,
            organization=organization,
            role_title=title,
            status=ProposalState.CANDIDATE,
            proposed_by=f"affiliation:{proposed.rule}"[:80],
            date_start=role_dates.start,
            date_end=role_dates.end,
            date_precision=role_dates.precision,
        )
        self.affiliations.append(affiliation.pk)


def _distinct(spans) -> list:
    seen, kept = set(), []
    for span in spans:
        if (span.start, span.end) not in seen:
            seen.add((span.start, span.end))
            kept.append(span)
    return kept


def _evidence(source: Source, span) -> dict:
    return {"source": source, "start": span.start, "end": span.end, "quote": span.quote}
