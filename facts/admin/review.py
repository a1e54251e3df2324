"""The review queue of one source: its text with the candidates' passages highlighted, and one click to accept, edit,
or reject (deleted, with a reason kept in the history) each, or to accept them all.

The candidates are the source's candidate actors (with the passages naming them) and affiliations, its candidate
events and statements, and the passages proposed as more evidence for an existing event ("add evidence to event
#N"). Accepting all accepts the actors first, then the affiliations and the facts that name them, then the evidence
(facts.services.candidates: a fact is accepted only once its actors are).

Served at /admin/facts/source/<id>/review/ (SourceAdmin.get_urls). Every decision goes through the services
(facts.services.proposals), so the API's PATCH and DELETE and this page keep the same rules.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from facts.models import Actor, Affiliation, Event, EvidenceSpan, ReviewStatus, Source, Statement
from facts.services import REASON_MAX_LENGTH, FactValidationError
from facts.services.candidates import candidate_accept, candidate_reject

CANDIDATE_MODELS: dict[str, type[Event] | type[Statement]] = {"event": Event, "statement": Statement}
# Every kind of candidate the queue decides on, in the order "accept all" takes them (actors before what names them).
QUEUE_MODELS: dict[str, type[models.Model]] = {
    "actor": Actor,
    "affiliation": Affiliation,
    "event": Event,
    "statement": Statement,
    "evidence": EvidenceSpan,
}
# The permission a decision needs: the change (accept) or delete (reject) permission of this model.
DECIDED_AS = {"actor": "actor", "affiliation": "affiliation", "event": "event", "statement": "statement"}


def _spans_of(source: Source, kind: str, obj) -> list[EvidenceSpan]:
    if kind == "evidence":
        return [obj]
    if kind == "actor":
        return [span for alias in obj.aliases.all() for span in alias.evidence.all() if span.source_id == source.pk]
    return [span for span in obj.evidence.all() if span.source_id == source.pk]


def candidates_of(source: Source) -> list:
    """Every candidate with a passage in `source` (see the module's docstring), in the order of its first passage."""
    found = []
    querysets = {
        "actor": Actor.objects.filter(status=ReviewStatus.CANDIDATE, aliases__evidence__source=source)
        .distinct()
        .prefetch_related("aliases__evidence"),
        "affiliation": Affiliation.objects.filter(status=ReviewStatus.CANDIDATE, evidence__source=source)
        .distinct()
        .select_related("person", "organization")
        .prefetch_related("evidence"),
        **{
            name: model.objects.filter(status=ReviewStatus.CANDIDATE, evidence__source=source)
            .distinct()
            .prefetch_related("evidence")
            for name, model in CANDIDATE_MODELS.items()
        },
        "evidence": EvidenceSpan.objects.filter(source=source, candidate=True).select_related("event"),
    }
    for name, queryset in querysets.items():
        for obj in queryset:
            spans = _spans_of(source, name, obj)
            found.append((min(cast(int, span.start) for span in spans), name, obj, spans))
    return [(name, obj, spans) for _, name, obj, spans in sorted(found, key=lambda item: (item[0], item[1]))]


def describe(kind: str, obj) -> str:
    """What accepting the candidate does, in the queue's words."""
    if kind == "evidence":
        return f"add evidence to event #{obj.event_id} “{obj.event.title[:80]}”"
    return str(obj)


def highlighted(text: str, spans: list[EvidenceSpan]) -> str:
    """The text as HTML, every passage cited by a candidate in a <mark> (overlapping passages share their marks)."""
    # A stored span has its offsets (EvidenceSpan.clean locates the quote).
    placed = [(s, cast(int, s.start), cast(int, s.end)) for s in spans]
    bounds = sorted({0, len(text), *(s_start for _, s_start, _ in placed), *(s_end for _, _, s_end in placed)})
    parts = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = [s for s, s_start, s_end in placed if s_start <= start and end <= s_end]
        if covering:
            labels = ", ".join(sorted({_label(s) for s in covering}))
            parts.append(format_html('<mark title="{}">{}</mark>', labels, text[start:end]))
        else:
            parts.append(format_html("{}", text[start:end]))
    return format_html_join("", "{}", ((part,) for part in parts))


def _label(span: EvidenceSpan) -> str:
    if span.candidate:
        return f"more evidence for event {span.event_id}"
    key = span.fact_key()
    return f"{key[0]} {key[1]}" if key else "span"


def review_queue(model_admin, request, object_id: str):
    """GET: the queue; POST: accept, reject or accept all (needs the change permission of the fact's model)."""
    source = get_object_or_404(Source, pk=object_id) if object_id.isdigit() else None
    if source is None:
        raise PermissionDenied
    if request.method == "POST":
        _decide(request, source)
        return HttpResponseRedirect(request.path)
    items = candidates_of(source)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Review queue: {source.title}",
        "source": source,
        "opts": Source._meta,
        "items": [
            {
                "kind": name,
                "fact": fact,
                "spans": spans,
                "label": describe(name, fact),
                "change_url": reverse(
                    f"admin:facts_{'event' if name == 'evidence' else name}_change",
                    args=[fact.event_id if name == "evidence" else fact.pk],
                ),
            }
            for name, fact, spans in items
        ],
        "text": highlighted(source.text, [span for _, _, spans in items for span in spans]),
        "reason_max": REASON_MAX_LENGTH,
    }
    return TemplateResponse(request, "admin/facts/source/review.html", context)


def _decide(request, source: Source) -> None:
    action = request.POST.get("action", "")
    if action == "accept_all":
        order = list(QUEUE_MODELS)
        targets = sorted(candidates_of(source), key=lambda item: order.index(item[0]))
    else:
        targets = _named(request)
    done = 0
    for name, fact, _ in targets:
        # Accepting or rejecting more evidence for an event changes the event.
        model_name = DECIDED_AS.get(name, "event")
        verb = "change" if action != "reject" or name == "evidence" else "delete"
        if not request.user.has_perm(f"facts.{verb}_{model_name}"):
            messages.error(request, f"You may not {action.replace('_', ' ')} {name} candidates.")
            return
        try:
            if action == "reject":
                candidate_reject(fact=fact, user=request.user, reason=request.POST.get("reason", ""))
            else:
                candidate_accept(fact=fact, user=request.user, reason=request.POST.get("reason", ""))
        except FactValidationError as error:
            messages.error(request, f"{name.title()} {fact.pk}: {error.messages[0]}")
            return
        done += 1
    verb = "rejected" if action == "reject" else "accepted as draft"
    messages.success(request, f"{done} candidate(s) {verb}.")


def _named(request) -> list:
    """The one candidate a button names ("event:12"), or nothing for a malformed or unknown name."""
    kind, _, key = request.POST.get("fact", "").partition(":")
    model = QUEUE_MODELS.get(kind)
    if model is None or not key.isdigit():
        return []
    waiting = Q(candidate=True) if model is EvidenceSpan else Q(status=ReviewStatus.CANDIDATE)
    fact = model._default_manager.filter(waiting, pk=int(key)).first()
    return [(kind, fact, [])] if fact else []


def candidate_count():
    """The number of candidates with a passage in a source (as the queue lists them: actors, affiliations, events,
    statements, and passages proposed as more evidence), as an annotation of a Source queryset (one query for a
    whole changelist page, not several per row)."""
    waiting = ReviewStatus.CANDIDATE
    counts = [
        Count(f"evidence__{name}", filter=Q(**{f"evidence__{name}__status": waiting}), distinct=True)
        for name in (*CANDIDATE_MODELS, "affiliation", "alias__actor")
    ]
    more = Count("evidence", filter=Q(evidence__candidate=True), distinct=True)
    return counts[0] + counts[1] + counts[2] + counts[3] + more


@admin.display(description="review queue")
def review_link(obj: Source) -> str:
    """A link to the source's review queue, with its number of candidates (annotated: candidate_count)."""
    url = reverse("admin:facts_source_review", args=[obj.pk])
    # `candidates` is annotated by SourceAdmin.get_queryset (candidate_count); the model does not declare it.
    return format_html('<a href="{}">{} candidate(s)</a>', url, obj.candidates)  # type: ignore[attr-defined]
