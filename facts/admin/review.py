"""The review queue of one source: its text with the candidate facts' passages highlighted, and one click to accept
(candidate -> draft), edit, or reject (deleted, with a reason kept in the history) each, or to accept them all.

Served at /admin/facts/source/<id>/review/ (SourceAdmin.get_urls). Every decision goes through the services
(facts.services.proposals), so the API's PATCH and DELETE and this page keep the same rules.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from facts.models import Event, EvidenceSpan, ReviewStatus, Source, Statement
from facts.services import REASON_MAX_LENGTH, FactValidationError
from facts.services.proposals import candidate_accept, candidate_reject

CANDIDATE_MODELS: dict[str, type[Event] | type[Statement]] = {"event": Event, "statement": Statement}


def candidates_of(source: Source) -> list:
    """The candidate events and statements citing `source`, in the order of their first passage."""
    found = []
    for name, model in CANDIDATE_MODELS.items():
        facts = model.objects.filter(status=ReviewStatus.CANDIDATE, evidence__source=source).distinct()
        for fact in facts.prefetch_related("evidence"):
            spans = [span for span in fact.evidence.all() if span.source_id == source.pk]
            found.append((min(cast(int, span.start) for span in spans), name, fact, spans))
    return [(name, fact, spans) for _, name, fact, spans in sorted(found, key=lambda item: (item[0], item[1]))]


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
    return f"event {span.event_id}" if span.event_id else f"statement {span.statement_id}"


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
                "change_url": reverse(f"admin:facts_{name}_change", args=[fact.pk]),
            }
            for name, fact, spans in items
        ],
        "text": highlighted(source.text, [span for _, _, spans in items for span in spans]),
        "reason_max": REASON_MAX_LENGTH,
    }
    return TemplateResponse(request, "admin/facts/source/review.html", context)


def _decide(request, source: Source) -> None:
    action = request.POST.get("action", "")
    targets = candidates_of(source) if action == "accept_all" else _named(request)
    done = 0
    for name, fact, _ in targets:
        model = CANDIDATE_MODELS[name]
        if not request.user.has_perm(f"facts.{'delete' if action == 'reject' else 'change'}_{model._meta.model_name}"):
            messages.error(request, f"You may not {action.replace('_', ' ')} {name}s.")
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
    model = CANDIDATE_MODELS.get(kind)
    if model is None or not key.isdigit():
        return []
    fact = model.objects.filter(pk=int(key), status=ReviewStatus.CANDIDATE).first()
    return [(kind, fact, [])] if fact else []


def candidate_count():
    """The number of candidate events and statements citing a source, as an annotation of a Source queryset (one
    query for a whole changelist page, not two per row)."""
    counts = [
        Count(f"evidence__{name}", filter=Q(**{f"evidence__{name}__status": ReviewStatus.CANDIDATE}), distinct=True)
        for name in CANDIDATE_MODELS
    ]
    return counts[0] + counts[1]


@admin.display(description="review queue")
def review_link(obj: Source) -> str:
    """A link to the source's review queue, with its number of candidates (annotated: candidate_count)."""
    url = reverse("admin:facts_source_review", args=[obj.pk])
    # `candidates` is annotated by SourceAdmin.get_queryset (candidate_count); the model does not declare it.
    return format_html('<a href="{}">{} candidate(s)</a>', url, obj.candidates)  # type: ignore[attr-defined]
