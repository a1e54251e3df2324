"""Query filters of the reference tables (sources, actors, places, the CAMEO codebook), declared per model.

Their lists are small beside the facts': a search is one OR of conditions, and the plan is the plain one
(SearchMixin.plan).
"""

import django_filters as df
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length

from facts.api.changes import UpdatedSinceFilterSet
from facts.api.filter_fields import (
    CandidateActorsHidden,
    CountryCodeFilter,
    PloverFilter,
    SearchMixin,
    ordering,
    search_filter,
)
from facts.models import Actor, ActorAlias, ActorKind, Affiliation, EventType, Place, PlaceKind, ProposalState, Source
from facts.selectors import planning
from facts.walks import walked


class SourceFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters for sources."""

    search = search_filter("title, publisher and full text")
    published_after = df.DateFilter(
        field_name="published", lookup_expr="gte", help_text="ISO date: published on or after it."
    )
    published_before = df.DateFilter(
        field_name="published", lookup_expr="lte", help_text="ISO date: published on or before it."
    )
    ordering = ordering({"published": "published", "title": "title", "id": "id"}, "published, id")

    class Meta:
        model = Source
        fields: list[str] = []

    def search_conditions(self, text):
        return Q(title__icontains=text) | Q(publisher__icontains=text) | Q(text__icontains=text)


class ActorFilterSet(CandidateActorsHidden, SearchMixin, UpdatedSinceFilterSet):
    """Filters for actors."""

    status = df.ChoiceFilter(
        choices=ProposalState.choices,
        help_text="Proposal state. Without it the list leaves out the extractor's candidate actors "
        "(`status=candidate` lists them: new people and groups `propose_facts` found, waiting for a curator).",
    )
    search = search_filter("name, aliases, description and role titles (e.g. `spokesman`)")
    kind = df.ChoiceFilter(choices=ActorKind.choices, help_text="What sort of actor.")
    affiliated_with = df.ModelChoiceFilter(
        queryset=Actor.objects.only("id", "slug").with_walks(),
        to_field_name="slug",
        method="filter_affiliated_with",
        field_name="affiliations__organization",
        help_text="Actor slug: actors linked to it by affiliations in either direction, at any depth — the members "
        "of a state or organization, the members of its organizations, and so on (`united-states`: its "
        "officials, the State Department and the State Department's spokesman); or the organizations "
        "and states an actor belongs to, and those they belong to.",
    )
    country = CountryCodeFilter(help_text="ISO 3166-1 alpha-2 country code (any case), e.g. AM.")
    ordering = ordering({"name": "name", "slug": "slug", "kind": "kind"}, "name")

    class Meta:
        model = Actor
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("status") else planning.visible_actors(queryset)

    def search_conditions(self, text):
        return (
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(Exists(ActorAlias.objects.filter(actor=OuterRef("pk"), name__icontains=text)))
            | Q(Exists(Affiliation.objects.filter(person=OuterRef("pk"), role_title__icontains=text)))
        )

    def filter_affiliated_with(self, queryset, name, value):
        # Both walks of the affiliation graph, read with the actor (facts.walks): their ids are literals here.
        return queryset.filter(pk__in=walked(value.below) + walked(value.above)).exclude(pk=value.pk)


class PlaceFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters for places."""

    search = search_filter("name and description")
    kind = df.ChoiceFilter(choices=PlaceKind.choices, help_text="What sort of place.")
    within = df.ModelChoiceFilter(
        queryset=Place.objects.only("id", "slug").with_subtree(),
        to_field_name="slug",
        method="filter_within",
        field_name="parent",
        help_text="Place slug: that place and every place within it, at any depth.",
    )
    country = CountryCodeFilter(help_text="ISO 3166-1 alpha-2 country code (any case) of a country place, e.g. AZ.")
    ordering = ordering({"name": "name", "slug": "slug", "kind": "kind"}, "name")

    class Meta:
        model = Place
        fields: list[str] = []

    def search_conditions(self, text):
        return Q(name__icontains=text) | Q(description__icontains=text)

    def filter_within(self, queryset, name, value):
        return queryset.filter(pk__in=walked(value.subtree))


class EventTypeFilterSet(SearchMixin, df.FilterSet):
    """Filters for the CAMEO codebook."""

    search = search_filter("code prefix, label and description")
    used = df.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_used",
        help_text="`true`: only codes some event uses; `false`: only unused codes.",
    )
    plover = PloverFilter(field_name="plover_category", what="the code")
    level = df.ChoiceFilter(
        choices=[("1", "1"), ("2", "2"), ("3", "3")],
        method="filter_level",
        help_text="Depth in the codebook: `1` the 20 two-digit cue categories, `2` the three-digit codes, `3` the "
        "four-digit codes.",
    )
    parent = df.ModelChoiceFilter(
        queryset=EventType.objects.only("code"),
        to_field_name="code",
        method="filter_parent",
        field_name="code",
        error_messages={"invalid_choice": "No CAMEO code “%(value)s” is in the codebook."},
        help_text="A CAMEO code: the codes directly below it, one digit longer (`04`: 040 to 046; `087`: 0871 to "
        "0874; a four-digit code has none).",
    )
    ordering = ordering({"code": "code", "label": "label", "event_count": "event_count"}, "code")

    class Meta:
        model = EventType
        fields: list[str] = []

    def search_conditions(self, text):
        return Q(code__startswith=text) | Q(label__icontains=text) | Q(description__icontains=text)

    def filter_used(self, queryset, name, value):
        return queryset.filter(event_count__gt=0) if value == "true" else queryset.filter(event_count=0)

    def filter_level(self, queryset, name, value):
        return queryset.alias(code_length=Length("code")).filter(code_length=int(value) + 1)

    def filter_parent(self, queryset, name, value: EventType):
        return queryset.alias(code_length=Length("code")).filter(
            code__startswith=value.code, code_length=len(value.code) + 1
        )
