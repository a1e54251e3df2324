"""Curation admin: every model, searchable by alias, with evidence entered as passages and history with revert.

History-tracked models use simple_history's SimpleHistoryAdmin, which adds a per-object history page from which a
curator can revert to an earlier version. Facts (events, statements, relations) get bulk review-status actions.
"""

import copy
from functools import cache

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.db.models.functions import Length
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import Truncator
from simple_history.admin import SimpleHistoryAdmin

from facts import services
from facts.admin.forms import AliasForm, DateIntervalForm, EvidenceSpanForm, SourceForm, StandaloneEvidenceSpanForm
from facts.history import version_restore
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    ReviewStatus,
    Source,
    Statement,
)

DATE_FIELDSET = ("When", {"fields": ("date_text", ("date_start", "date_end", "date_precision"))})
RECORD_FIELDSET = ("Record", {"fields": ("change_reason", "created_at", "updated_at")})
DATE_HELP = (
    "Give the date as the source words it; leave the earliest and latest dates empty to resolve them against the "
    "publication date of the evidence source."
)


# --- Hostile input ---------------------------------------------------------------------------------------------
# Staff pages pass strings from URLs and forms to lookups. A value the column cannot hold must end as "no such
# object" or an invalid lookup (4xx), never reach the database: PostgreSQL refuses a NUL in any text parameter, an
# integer column refuses "abc" (Django raises ValueError on building the query), and a datetime cannot be built
# for the year 99999999999 (OverflowError). facts.api.middleware.NulCharacterMiddleware refuses NUL in URLs for every
# view; these guards also cover form bodies and what is not a NUL.


def holds(field, value) -> bool:
    """Whether `field` (for a relation: the field it points at) can hold `value`, a string from a request."""
    if field.is_relation:
        field = field.target_field
    if isinstance(value, str) and "\x00" in value:
        return False
    try:
        # The field's validators carry the column's limits: an integer's range on this database, a max_length.
        field.run_validators(field.to_python(value))
    except (ValidationError, ValueError, TypeError, OverflowError):
        return False
    return True


class HoldableAutocompleteMixin:
    """An autocomplete widget that looks up only the selected values its field can hold: a form sent back with
    `place=abc` or `event_type=\\0` is re-rendered with its errors instead of failing on that lookup."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if holds(self.field, v)], attr)


class HoldableAutocompleteSelect(HoldableAutocompleteMixin, AutocompleteSelect):
    pass


class HoldableAutocompleteSelectMultiple(HoldableAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class HoldableWidgetsMixin:
    """For model admins and inlines: their autocomplete_fields use the holdable widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = HoldableAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = HoldableAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class HoldableLookupsMixin:
    """A changelist whose filters refuse what no row can match as invalid lookups, so the admin answers with its
    own "?e=1" redirect ("Database error" page) instead of a 500."""

    def get_filters(self, request):
        for key, values in self.get_filters_params().items():
            if "\x00" in key or any("\x00" in str(value) for value in values):
                raise IncorrectLookupParameters(f"A NUL character in the lookup {key!r}.")
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            # date_hierarchy: Django catches the ValueError of datetime(year, month, day) but not the OverflowError
            # of a year past C's long (99999999999), nor the failure to step past 9999-12-31 to the next day,
            # month or year (ValueError / OverflowError outside its try).
            raise IncorrectLookupParameters(exc) from exc


@cache
def holdable_changelist(changelist_class):
    return type(f"Holdable{changelist_class.__name__}", (HoldableLookupsMixin, changelist_class), {})


class HostileInputAdminMixin(HoldableWidgetsMixin):
    """Every object id, filter, search term, selection and version from a request is checked against what its
    field can hold first: an id it cannot hold is a missing object (404 or the admin's "does not exist" redirect),
    a filter an invalid lookup ("?e=1"), and a search term with a NUL or an action on ids the key cannot hold a 400."""

    def get_object(self, request, object_id, from_field=None):
        field = self.model._meta.pk if from_field is None else self.model._meta.get_field(from_field)
        if not holds(field, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        return changelist if issubclass(changelist, HoldableLookupsMixin) else holdable_changelist(changelist)

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search form already refuses NUL (a message, no search); the autocomplete view does not.
        if "\x00" in search_term:
            raise BadRequest("The search term contains a NUL character.")
        return super().get_search_results(request, queryset, search_term)

    def response_action(self, request, queryset):
        pk = self.model._meta.pk
        if not all(holds(pk, value) for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            raise BadRequest("A selected id is not one this model's key can hold.")
        return super().response_action(request, queryset)

    # simple_history's views look the object and the version up themselves (Django's history view uses get_object).

    def history_view(self, request, object_id, extra_context=None):
        if not holds(self.model._meta.pk, unquote(object_id)):
            raise Http404("No such object.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        version_field = history.model._meta.get_field("history_id")
        if not (holds(self.model._meta.pk, unquote(object_id)) and holds(version_field, version_id)):
            raise Http404("No such version.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Inlines ---------------------------------------------------------------------------------------------------

# Forms one inline builds from a post, at most. Django's own hard limit is max_num + 1,000 (2,000 by default): a post
# claiming a million participants (`participants-TOTAL_FORMS`) then builds and re-renders 2,000 forms, for seconds.
# The API's longest list is as long (facts.api.write_serializers: at most 40 participants, 15 passages, 50 aliases);
# more is refused with the formset's "Please submit at most 50 forms."
INLINE_FORMS_MAX = 50


class BoundedInlineMixin:
    """An inline whose formset builds at most INLINE_FORMS_MAX forms, whatever the management form claims."""

    max_num = INLINE_FORMS_MAX

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", INLINE_FORMS_MAX)
        return super().get_formset(request, obj, **kwargs)


class EvidenceInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """Evidence spans of a fact: the curator pastes the passage, the offsets are found and shown read-only."""

    model = EvidenceSpan
    form = EvidenceSpanForm
    fields = ("source", "quote", "occurrence", "start", "end")
    readonly_fields = ("start", "end")
    autocomplete_fields = ("source",)
    extra = 1
    verbose_name = "evidence span"
    verbose_name_plural = "evidence (paste the passage; offsets are found for you)"


class FactEvidenceFormSet(BaseInlineFormSet):
    """Evidence rows of a fact: new passages are saved before removed ones are deleted, so that replacing the only
    span (one row deleted, one added) never passes through a moment without evidence (EvidenceSpan.delete)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            if not form.cleaned_data or self._should_delete_form(form):
                continue
            key = (form.instance.source_id, form.instance.start, form.instance.end)
            if key in seen:
                raise ValidationError("The same passage is given twice; give each passage once.")
            seen.add(key)

    def save(self, commit=True):
        return self.save_new_objects(commit) + self.save_existing_objects(commit)


class FactEvidenceInline(EvidenceInline):
    """Evidence of an event, statement or relation: at least one span must remain (Django's validate_min)."""

    formset = FactEvidenceFormSet
    min_num = 1

    def get_formset(self, request, obj=None, **kwargs):
        # InlineModelAdmin has min_num but no validate_min: without it, deleting every row would pass the form.
        return super().get_formset(request, obj, validate_min=True, **kwargs)


class EventEvidenceInline(FactEvidenceInline):
    fk_name = "event"


class PassagesCheckedFormSet(FactEvidenceFormSet):
    """Evidence as the form posts it, checked as a whole by the owner's own rule (`refusal`), which sees every
    passage the save would keep: the spans stored and those in the form."""

    def refusal(self, quotes: list[str]) -> str | None:
        raise NotImplementedError

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        quotes = [
            form.instance.quote for form in self.forms if form.cleaned_data and not self._should_delete_form(form)
        ]
        if refused := self.refusal(quotes):
            raise ValidationError(refused)


class StatementEvidenceFormSet(PassagesCheckedFormSet):
    """A statement's passages must hold its words (Statement.quote_refused)."""

    def refusal(self, quotes):
        return self.instance.quote_refused(quotes)


class StatementEvidenceInline(FactEvidenceInline):
    fk_name = "statement"
    formset = StatementEvidenceFormSet


class RelationEvidenceInline(FactEvidenceInline):
    fk_name = "relation"


class AffiliationEvidenceInline(EvidenceInline):
    fk_name = "affiliation"


class AliasEvidenceFormSet(PassagesCheckedFormSet):
    """An alias' passages: at least one, each containing the alias, unless the alias is marked external
    (ActorAlias.support_refused)."""

    def refusal(self, quotes):
        return self.instance.support_refused(quotes)


class AliasEvidenceInline(EvidenceInline):
    """Passages where a source uses the alias; an alias marked external may cite none."""

    fk_name = "alias"
    formset = AliasEvidenceFormSet


class ActorAliasInline(BoundedInlineMixin, admin.TabularInline):
    """Every name, spelling and metonym for the actor, each with a passage where a source uses it (added as its
    evidence) or marked external; more passages are added on the alias' own page."""

    model = ActorAlias
    form = AliasForm
    fields = ("name", "kind", "external", "passage", "passage_source", "occurrence")
    show_change_link = True
    extra = 1


class AffiliationInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """The person's positions; evidence for each is added on the affiliation's own page."""

    model = Affiliation
    fk_name = "person"
    fields = ("organization", "role_title", "date_text", "date_start", "date_end", "date_precision", "external")
    autocomplete_fields = ("organization",)
    show_change_link = True
    extra = 0


class ParticipantInline(BoundedInlineMixin, HoldableWidgetsMixin, admin.TabularInline):
    """Who took part in the event, one role per actor."""

    model = Participant
    fields = ("actor", "role")
    autocomplete_fields = ("actor",)
    extra = 1


# --- Shared behaviour ------------------------------------------------------------------------------------------


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

    readonly_fields = ("created_at", "updated_at")

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
    for obj in queryset.exclude(status=status):
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


class FactAdmin(HistoryAdmin):
    """Events, statements and relations: dated, reviewed and backed by evidence."""

    form = DateIntervalForm
    actions = [mark_draft, mark_reviewed, mark_verified]

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


# --- Sources, actors, places -----------------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    """Stored documents; a new one is added by pasting its full text."""

    form = SourceForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("title", "publisher", "published", "language", "evidence_count", "short_checksum")
    list_filter = ("language", "publisher", "published")
    search_fields = ("title", "slug", "publisher", "url")
    date_hierarchy = "published"
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("checksum", "created_at", "updated_at")
    fields = (
        "title",
        "slug",
        "publisher",
        "url",
        "published",
        "language",
        "text",
        "checksum",
        "external",
        "change_reason",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(evidence_count=Count("evidence"))

    def get_readonly_fields(self, request, obj=None):
        # Evidence offsets point into the stored text: once anything cites it, editing it would silently break them.
        if obj is not None and obj.evidence.exists():
            return (*self.readonly_fields, "text")
        return self.readonly_fields

    @admin.display(description="evidence", ordering="evidence_count")
    def evidence_count(self, obj):
        return obj.evidence_count

    @admin.display(description="checksum")
    def short_checksum(self, obj):
        return obj.checksum[:12]


@admin.register(Actor)
class ActorAdmin(HistoryAdmin):
    """People, states, organizations, groups and unnamed sources, found by any of their aliases."""

    list_display = ("name", "slug", "kind", "country_code", "alias_list")
    list_filter = ("kind",)
    search_fields = ("name", "slug", "country_code", "aliases__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ActorAliasInline, AffiliationInline]
    fields = ("name", "slug", "kind", "country_code", "description", "external", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="aliases")
    def alias_list(self, obj):
        return Truncator(", ".join(alias.name for alias in obj.aliases.all())).chars(80)


@admin.register(ActorAlias)
class ActorAliasAdmin(HistoryAdmin):
    """The names by which sources refer to actors, with the passages where they do (or marked external)."""

    list_display = ("name", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("name", "actor__name", "actor__slug")
    autocomplete_fields = ("actor",)
    list_select_related = ("actor",)
    fields = ("actor", "name", "kind", "external", "created_at", "updated_at")
    inlines = [AliasEvidenceInline]


@admin.register(Affiliation)
class AffiliationAdmin(HistoryAdmin):
    """Positions of persons in states and organizations, with evidence."""

    form = DateIntervalForm
    list_display = ("person", "role_title", "organization", "date_text", "date_start", "date_end")
    list_filter = (("organization", admin.RelatedOnlyFieldListFilter), "date_precision")
    search_fields = ("person__name", "person__aliases__name", "organization__name", "role_title")
    autocomplete_fields = ("person", "organization")
    list_select_related = ("person", "organization")
    inlines = [AffiliationEvidenceInline]
    fieldsets = (
        (None, {"fields": ("person", "organization", "role_title", "external")}),
        (DATE_FIELDSET[0], {**DATE_FIELDSET[1], "description": DATE_HELP}),
        RECORD_FIELDSET,
    )


@admin.register(Place)
class PlaceAdmin(HistoryAdmin):
    """The place hierarchy, with approximate coordinates and ISO codes for countries."""

    list_display = ("name", "slug", "kind", "parent", "country_code", "latitude", "longitude")
    list_filter = ("kind", ("parent", admin.RelatedOnlyFieldListFilter), "coordinates_approximate")
    search_fields = ("name", "slug", "country_code", "description")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("parent",)


class CameoLevelFilter(admin.SimpleListFilter):
    """The depth of a CAMEO code: its number of digits."""

    title = "CAMEO level"
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return [("1", "Cue category (2 digits)"), ("2", "3 digits"), ("3", "4 digits")]

    def queryset(self, request, queryset):
        if self.value() in ("1", "2", "3"):
            return queryset.alias(code_length=Length("code")).filter(code_length=int(self.value()) + 1)
        return queryset


@admin.register(EventType)
class EventTypeAdmin(HostileInputAdminMixin, admin.ModelAdmin):
    """The CAMEO codebook with its PLOVER categories, kept as data (external: fixtures/00_cameo.json, its sources in
    fixtures/CAMEO_PLOVER.md)."""

    list_display = ("code", "label", "plover_category", "plover_mode")
    list_filter = ("plover_category", CameoLevelFilter)
    search_fields = ("code", "label", "description", "plover_category", "plover_mode")


# --- Facts -----------------------------------------------------------------------------------------------------


@admin.register(Event)
class EventAdmin(FactAdmin):
    """Events with their participants and evidence."""

    list_display = (
        "title",
        "event_type",
        "date_text",
        "date_start",
        "date_end",
        "place",
        "status",
        "evidence_count",
    )
    list_filter = ("status", "event_type", "date_precision", ("place", admin.RelatedOnlyFieldListFilter))
    search_fields = (
        "title",
        "description",
        "date_text",
        "participants__actor__name",
        "participants__actor__aliases__name",
    )
    autocomplete_fields = ("event_type", "place", "parent")
    list_select_related = ("event_type", "place")
    date_hierarchy = "date_start"
    inlines = [ParticipantInline, EventEvidenceInline]
    fieldsets = (
        (None, {"fields": ("title", "description", "event_type", "place", "parent", "status")}),
        (DATE_FIELDSET[0], {**DATE_FIELDSET[1], "description": DATE_HELP}),
        RECORD_FIELDSET,
    )


@admin.register(Participant)
class ParticipantAdmin(HistoryAdmin):
    """Actors' roles in events."""

    list_display = ("actor", "role", "event")
    list_filter = ("role",)
    search_fields = ("actor__name", "actor__aliases__name", "event__title")
    autocomplete_fields = ("actor", "event")
    list_select_related = ("actor", "event")


@admin.register(Statement)
class StatementAdmin(FactAdmin):
    """Who said what, with what it is about and its evidence."""

    list_display = ("short_text", "speaker", "kind", "channel", "date_text", "status", "evidence_count")
    list_filter = ("status", "kind", "date_precision", ("speaker", admin.RelatedOnlyFieldListFilter))
    search_fields = ("text", "channel", "speaker__name", "speaker__aliases__name")
    autocomplete_fields = ("speaker", "event", "about_actors", "about_places", "about_events")
    list_select_related = ("speaker",)
    date_hierarchy = "date_start"
    inlines = [StatementEvidenceInline]
    fieldsets = (
        (None, {"fields": ("speaker", "kind", "text", "channel", "event", "status")}),
        ("About", {"fields": ("about_actors", "about_places", "about_events")}),
        (DATE_FIELDSET[0], {**DATE_FIELDSET[1], "description": DATE_HELP}),
        RECORD_FIELDSET,
    )

    @admin.display(description="text", ordering="text")
    def short_text(self, obj):
        return Truncator(obj.text).chars(90)


@admin.register(Relation)
class RelationAdmin(FactAdmin):
    """Relations between actors that a source states."""

    list_display = ("__str__", "subject", "type", "object", "date_text", "status", "evidence_count")
    list_filter = ("status", "type", "date_precision")
    search_fields = (
        "subject__name",
        "subject__aliases__name",
        "object__name",
        "object__aliases__name",
        "description",
    )
    autocomplete_fields = ("subject", "object")
    list_select_related = ("subject", "object")
    inlines = [RelationEvidenceInline]
    fieldsets = (
        (None, {"fields": ("subject", "type", "object", "description", "status")}),
        (DATE_FIELDSET[0], {**DATE_FIELDSET[1], "description": DATE_HELP}),
        RECORD_FIELDSET,
    )


class SupportsFilter(admin.SimpleListFilter):
    """Filter spans by the kind of fact they support."""

    title = "supports"
    parameter_name = "supports"

    def lookups(self, request, model_admin):
        return [(name, name) for name in EvidenceSpan.FACT_FIELDS]

    def queryset(self, request, queryset):
        if self.value() in EvidenceSpan.FACT_FIELDS:
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(EvidenceSpan)
class EvidenceSpanAdmin(HistoryAdmin):
    """Passages of sources and the fact each supports."""

    form = StandaloneEvidenceSpanForm
    list_display = ("short_quote", "source", "start", "end", "supported_fact")
    list_filter = (SupportsFilter, "source")
    search_fields = ("quote", "source__title")
    autocomplete_fields = ("source", "event", "statement", "relation", "affiliation", "alias")
    list_select_related = (
        "source",
        "event",
        "statement__speaker",
        "relation__subject",
        "relation__object",
        "affiliation__person",
        "affiliation__organization",
        "alias__actor",
    )
    readonly_fields = ("start", "end", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("source", "quote", "occurrence", ("start", "end"))}),
        ("Supports exactly one of", {"fields": EvidenceSpan.FACT_FIELDS}),
        RECORD_FIELDSET,
    )

    @admin.display(description="quote", ordering="quote")
    def short_quote(self, obj):
        return Truncator(obj.quote).chars(90)

    @admin.display(description="supports")
    def supported_fact(self, obj):
        for name in EvidenceSpan.FACT_FIELDS:
            fact = getattr(obj, name)
            if fact is not None:
                return f"{obj._meta.get_field(name).verbose_name}: {fact}"
        return "—"


def harden_registered_admins(site=admin.site):
    """Gives the model admins of other apps (users, groups, tokens, login attempts) the same guards: their
    filters, date hierarchies and object ids come from the same URLs. facts is the last app to register admins
    (INSTALLED_APPS order), so this runs once every other admin is in place."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, HostileInputAdminMixin):
            cls = type(model_admin)
            site.unregister(model)
            site.register(model, type(cls.__name__, (HostileInputAdminMixin, cls), {"__module__": cls.__module__}))


harden_registered_admins()
