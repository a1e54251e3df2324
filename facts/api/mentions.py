"""GET /api/v1/mentions/: where each source names a known actor or place (written by `propose_facts`).

Curators and clients see who and what a source mentions before any fact about it is vetted. Read-only: mentions
are a derived index of the text, not curated facts, written by the extractor (and rebuilt by running it again), so
they have no history of their own.
"""

import django_filters as df
from rest_framework import serializers

from facts.api.filter_fields import SearchMixin, ordering
from facts.api.reading import FactsViewSet
from facts.api.references import ActorRefSerializer, PlaceRefSerializer, SelectableFieldsMixin, api_url
from facts.models import Actor, Mention, Place, Source


class MentionFilterSet(SearchMixin, df.FilterSet):
    """Filters for mentions: by source, by actor, by place (that place only)."""

    source = df.ModelChoiceFilter(queryset=Source.objects.only("id"), help_text="Source id.")
    actor = df.ModelChoiceFilter(
        queryset=Actor.objects.only("id", "slug"), to_field_name="slug", help_text="Actor slug."
    )
    place = df.ModelChoiceFilter(
        queryset=Place.objects.only("id", "slug"), to_field_name="slug", help_text="Place slug."
    )
    ordering = ordering({"id": "id", "start": "start"}, "source, start, id")

    class Meta:
        model = Mention
        fields: list[str] = []


class MentionSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """One place in a source's text that names a known actor or place."""

    source = serializers.SerializerMethodField(  # type: ignore[assignment]  # the API field shadows Field.source
        help_text="API URL of the source."
    )
    actor = ActorRefSerializer(read_only=True, allow_null=True, help_text="The actor named, or null.")
    place = PlaceRefSerializer(read_only=True, allow_null=True, help_text="The place named, or null.")

    class Meta:
        model = Mention
        fields = ["id", "source", "start", "end", "quote", "actor", "place"]
        extra_kwargs = {
            "id": {"help_text": "The mention's id."},
            "start": {"help_text": "Offset of the first character in the source's text (0-based)."},
            "end": {"help_text": "Offset just past the last character."},
            "quote": {"help_text": "The name as the source writes it: the source's text at start..end."},
        }

    def get_source(self, mention) -> str:
        return api_url(self, "source", mention.source_id)


class MentionViewSet(FactsViewSet):
    """Mentions of known actors and places in the sources, in text order."""

    queryset = Mention.objects.select_related("actor", "place").order_by("source_id", "start", "id")
    serializer_class = MentionSerializer
    filterset_class = MentionFilterSet
