"""Admins of the facts: events with their participants, statements, relations, and evidence spans on their own
pages."""

from django.contrib import admin, messages
from django.utils.text import Truncator

from facts.admin.base import DATE_FIELDSET, DATE_HELP, RECORD_FIELDSET, FactAdmin, HistoryAdmin
from facts.admin.forms import StandaloneEvidenceSpanForm
from facts.admin.inlines import EventEvidenceInline, ParticipantInline, RelationEvidenceInline, StatementEvidenceInline
from facts.admin.merging import merge_events
from facts.duplicates import event_duplicates_of
from facts.models import Event, EvidenceSpan, Participant, Relation, Statement


class MergedFilter(admin.SimpleListFilter):
    """Events merged into another (tombstones) or not."""

    title = "merged"
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", "Not merged"), ("yes", "Merged into another")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(merged_into__isnull=self.value() == "no")
        return queryset


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
        "merged_into",
    )
    list_filter = (
        "status",
        MergedFilter,
        "event_type",
        "date_precision",
        ("place", admin.RelatedOnlyFieldListFilter),
    )
    actions = [*FactAdmin.actions, merge_events]
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

    def has_change_permission(self, request, obj=None):
        # A merged event is a tombstone that only leads to its target: shown, never edited (Event.clean).
        return (obj is None or not obj.is_merged) and super().has_change_permission(request, obj)

    def revert_disabled(self, request, obj=None):
        # `obj` is the version's copy; whether the event is merged now is the stored row's to say.
        merged = obj is not None and Event.objects.filter(pk=obj.pk).exclude(merged_into=None).exists()
        return merged or super().revert_disabled(request, obj)

    def has_merge_permission(self, request):
        """Merging changes the target and retires the merged events: both permissions (facts.api's MayMerge)."""
        return self.has_change_permission(request) and self.has_delete_permission(request)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the inlines: the check needs the event's participants and passages (facts.duplicates).
        if duplicates := event_duplicates_of(form.instance):
            listed = "; ".join(f"event {d.id} “{d.title}” ({', '.join(d.reasons)})" for d in duplicates[:5])
            self.message_user(request, f"This event probably duplicates: {listed}.", messages.WARNING)


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
