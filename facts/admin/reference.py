"""Admins of the reference data facts cite: sources, actors and their aliases, affiliations, places and the CAMEO
codebook."""

from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.db.models.functions import Length
from django.utils.text import Truncator

from facts.admin.base import DATE_FIELDSET, DATE_HELP, RECORD_FIELDSET, HistoryAdmin, accept_candidates
from facts.admin.forms import DateIntervalForm, SourceForm
from facts.admin.hostile import HostileInputAdminMixin
from facts.admin.inlines import ActorAliasInline, AffiliationEvidenceInline, AffiliationInline, AliasEvidenceInline
from facts.admin.review import candidate_count, review_link, review_queue
from facts.models import Actor, ActorAlias, Affiliation, EventType, Mention, Place, Source


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    """Stored documents; a new one is added by pasting its full text."""

    form = SourceForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("title", "publisher", "published", "language", "evidence_count", "short_checksum", review_link)
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
        # One annotate(): both counts share the one join to the evidence.
        return (
            super()
            .get_queryset(request)
            .annotate(evidence_count=Count("evidence", distinct=True), candidates=candidate_count())
        )

    def get_urls(self):
        from django.urls import path

        queue = self.admin_site.admin_view(self.review_view)
        return [path("<path:object_id>/review/", queue, name="facts_source_review"), *super().get_urls()]

    def review_view(self, request, object_id):
        """The source's review queue of candidate facts (facts.admin.review)."""
        return review_queue(self, request, object_id)

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

    list_display = ("name", "slug", "kind", "status", "country_code", "alias_list")
    list_filter = ("status", "kind")
    actions = [accept_candidates]
    search_fields = ("name", "slug", "country_code", "aliases__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ActorAliasInline, AffiliationInline]
    fields = (
        "name",
        "slug",
        "kind",
        "status",
        "country_code",
        "description",
        "external",
        "proposed_by",
        "created_at",
        "updated_at",
    )
    # Decided in the review queue or with the bulk action (facts.services.candidates), not typed in.
    readonly_fields = ("status", "proposed_by", "created_at", "updated_at")

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
    list_display = ("person", "role_title", "organization", "status", "date_text", "date_start", "date_end")
    list_filter = ("status", ("organization", admin.RelatedOnlyFieldListFilter), "date_precision")
    actions = [accept_candidates]
    search_fields = ("person__name", "person__aliases__name", "organization__name", "role_title")
    autocomplete_fields = ("person", "organization")
    list_select_related = ("person", "organization")
    inlines = [AffiliationEvidenceInline]
    readonly_fields = ("status", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("person", "organization", "role_title", "status", "external")}),
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


@admin.register(Mention)
class MentionAdmin(HostileInputAdminMixin, admin.ModelAdmin):
    """Where each source names a known actor or place: the extractor's index of the text. Curators may delete a wrong
    one; they are not added or edited by hand (running propose_facts again writes what is missing)."""

    list_display = ("quote", "source", "start", "end", "actor", "place")
    list_filter = (("source", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("quote", "actor__name", "place__name")
    list_select_related = ("source", "actor", "place")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
