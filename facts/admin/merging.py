"""The event changelist's "Merge selected events into another event": a page that asks for the target's id and a
reason, then merges every selected event through facts.services.event_merge, all or none."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from facts import services
from facts.duplicates import event_duplicates_of
from facts.models import Event
from facts.selectors.planning import live

# The most events one action merges: each is a transaction's worth of moves, and the page lists them all.
MERGE_MAX_SELECTED = 50


class MergeForm(forms.Form):
    """The target of a merge and why."""

    into = forms.IntegerField(
        min_value=1, label="Merge into event (id)", help_text="The event the selected ones duplicate."
    )
    change_reason = forms.CharField(
        max_length=services.REASON_MAX_LENGTH,
        required=False,
        label="Reason",
        help_text="Stored in the history of every row that moves.",
    )


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{field}: {' '.join(texts)}" for field, texts in exc.message_dict.items())


def _merge_all(request, events: list[Event], form: MergeForm) -> str | None:
    """Merge every one of `events` into the form's target, in one transaction; why it was refused, or None."""
    into, reason = form.cleaned_data["into"], form.cleaned_data["change_reason"] or "Merged in the admin"
    try:
        with transaction.atomic():
            for event in events:
                try:
                    services.event_merge(event=event.pk, into=into, user=request.user, reason=reason)
                except services.FactValidationError as exc:
                    raise ValidationError(f"event {event.pk} “{event.title}”: {_problems(exc)}") from exc
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


@admin.action(description="Merge selected events into another event", permissions=["merge"])
def merge_events(modeladmin, request, queryset):
    """The merge page for the selected events (those not merged already), and the merge when it is posted."""
    events = list(live(queryset).order_by("pk")[: MERGE_MAX_SELECTED + 1])
    if not events:
        modeladmin.message_user(request, "Nothing to merge: the selected events are merged already.", messages.ERROR)
        return None
    if len(events) > MERGE_MAX_SELECTED:
        modeladmin.message_user(request, f"Select at most {MERGE_MAX_SELECTED} events to merge.", messages.ERROR)
        return None
    form = MergeForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        refused = _merge_all(request, events, form)
        if refused is None:
            target = form.cleaned_data["into"]
            modeladmin.message_user(request, f"{len(events)} event(s) merged into event {target}.", messages.SUCCESS)
            return None
        modeladmin.message_user(request, f"Nothing was merged: {refused}", messages.ERROR)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": "Merge events",
        "opts": modeladmin.model._meta,
        "events": events,
        "form": form,
        "suggested": event_duplicates_of(events[0]) if len(events) == 1 else [],
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/facts/event/merge.html", context)
