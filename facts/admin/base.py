"""What every curation admin shares: history with whole-object revert, deletion as the API refuses it, and, for
facts, review-status bulk actions and the fieldsets of dates and records."""

import copy

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from facts import services
from facts.admin.forms import DateIntervalForm
from facts.admin.hostile import HostileInputAdminMixin
from facts.history import version_restore
from facts.models import INTERVAL_FIELDS, ReviewStatus
from facts.selectors.planning import live

DATE_FIELDSET = ("When", {"fields": ("date_text", INTERVAL_FIELDS)})
RECORD_FIELDSET = ("Record", {"fields": ("change_reason", "created_at", "updated_at")})
DATE_HELP = (
    "Give the date as the source words it; leave the earliest and latest dates empty to resolve them against the "
    "publication date of the evidence source."
)


def _problems(exc: Exception) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages_)}" for field, messages_ in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


class HistoryAdmin(HostileInputAdminMixin, SimpleHistoryAdmin):
    """Admin with history and whole-fact revert; deletions refused as the API refuses them.

    Deleting (one object or "delete selected") goes through facts.services.instance_delete, and what it would refuse
    (dependents, a fact left without evidence) is listed as protected on the confirmation page, so nothing is
    deleted. Saving a version on the history page restores the whole object as of that version
    (facts.history.version_restore), validated like a new write.
    """

    readonly_fields: tuple[str, ...] = ("created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason")
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)

    # Deletion -----------------------------------------------------------------------------------------------------

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, [*protected, *services.deletion_refusals(list(objs))]

    def delete_model(self, request, obj):
        services.instance_delete(instance=obj, user=request.user, reason="Deleted in the admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.instance_delete(instance=obj, user=request.user, reason="Deleted in the admin (bulk)")

    # Revert -------------------------------------------------------------------------------------------------------

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        try:
            pk, version = self.model._meta.pk.to_python(unquote(object_id)), int(version_id)
        except (ValidationError, ValueError, OverflowError):
            raise Http404("No such version.") from None
        record = self.model.history.model.objects.filter(id=pk, history_id=version).first()
        if record is None:
            raise Http404("No such version.")
        if self.revert_disabled(request, record.instance) or not self.has_change_history_permission(
            request, record.instance
        ):
            raise PermissionDenied
        reason = (request.POST.get("change_reason") or "").strip()[: services.REASON_MAX_LENGTH]
        try:
            restored = version_restore(
                model=self.model, object_id=pk, version_id=version, user=request.user, reason=reason
            )
        except (ValidationError, PermissionDenied) as exc:
            # Shown on the version's page again (200, as a refused form is), with the reason.
            self.message_user(request, f"Nothing was reverted: {_problems(exc)}", messages.ERROR)
            page = copy.copy(request)
            page.method = "GET"
            return super().history_form_view(page, object_id, version_id, extra_context)
        self.message_user(
            request,
            f"“{restored}” is restored as of version {version}, with its parts as they were then.",
            messages.SUCCESS,
        )
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(restored.pk)])
        )


def _set_status(modeladmin, request, queryset, status):
    # Saved one by one (not queryset.update) so that every status change is recorded in the object's history.
    if refused := modeladmin.model(status=status).review_refused(request.user, None):
        modeladmin.message_user(request, f"Nothing was changed: {refused}", messages.ERROR)
        return
    changed = 0
    for obj in live(queryset).exclude(status=status):
        obj.status = status
        obj._change_reason = f"Bulk status change to {status}"
        obj._history_user = request.user
        obj.save(update_fields=["status", "updated_at"])
        changed += 1
    modeladmin.message_user(
        request, f"{changed} {modeladmin.model._meta.verbose_name_plural} marked as {status}.", messages.SUCCESS
    )


@admin.action(description="Mark selected as draft", permissions=["change"])
def mark_draft(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, ReviewStatus.DRAFT)


@admin.action(description="Mark selected as reviewed", permissions=["review"])
def mark_reviewed(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, ReviewStatus.REVIEWED)


@admin.action(description="Mark selected as verified", permissions=["review"])
def mark_verified(modeladmin, request, queryset):
    _set_status(modeladmin, request, queryset, ReviewStatus.VERIFIED)


@admin.action(description="Accept selected candidates", permissions=["change"])
def accept_candidates(modeladmin, request, queryset):
    # Through the service, one by one, so that each acceptance is in the history with its curator; one that names a
    # candidate actor is refused (facts.services.candidates) and named, the others accepted.
    from facts.services.candidates import candidate_accept

    accepted, refused = 0, []
    for fact in live(queryset).filter(status=ReviewStatus.CANDIDATE):
        try:
            candidate_accept(fact=fact, user=request.user, reason="Candidate accepted (bulk)")
        except services.FactValidationError as error:
            refused.append(f"{fact._meta.verbose_name} {fact.pk}: {error.messages[0]}")
            continue
        accepted += 1
    modeladmin.message_user(request, f"{accepted} candidate(s) accepted.", messages.SUCCESS)
    if refused:
        modeladmin.message_user(request, "Not accepted: " + " ".join(refused[:5]), messages.ERROR)


class FactAdmin(HistoryAdmin):
    """Events, statements and relations: dated, reviewed and backed by evidence."""

    form = DateIntervalForm
    actions = [accept_candidates, mark_draft, mark_reviewed, mark_verified]

    def has_review_permission(self, request):
        return self.has_change_permission(request) and request.user.has_perm(self.model.review_permission())

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.review_user = request.user  # a class made for this request (modelform_factory)
        return form

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=Count("evidence", distinct=True))

    @admin.display(description="evidence", ordering="evidence_count")
    def evidence_count(self, obj):
        return obj.evidence_count
