"""API views: one thin viewset per resource (reads open to all, writes through CurationMixin), plus the landing page.

What every list and detail shares (fields= selection, pages, CSV/GeoJSON streaming export, detail serializer
variants) lives once, in facts.api.reading.FactsViewSet. Each resource then only says which rows (with the joins and
prefetches that keep a page at a fixed number of queries), which serializer describes them and how to filter them.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from facts.api import filters, serializers
from facts.api import write_serializers as ws
from facts.api.curation import CurationMixin
from facts.api.curation.merging import EventMergeSerializer, MayMerge, MergeMixin
from facts.api.openapi import claims_schema, curation_schema, duplicates_schema, merge_schema, resource_schema
from facts.api.reading import FactsViewSet
from facts.api.renderers import GeoJSONRenderer, OrjsonRenderer
from facts.claims import event_claims
from facts.duplicates import event_duplicates_of
from facts.models import DATE_ORDER, Actor, ActorAlias, Event, EventType, Place, Relation, Source, Statement
from facts.patterns import SLUG_PATTERN
from facts.selectors.planning import live
from facts.selectors.querysets import evidence_prefetch, into_list, live_event_count

__all__ = ["FactsViewSet", "LandingView", "SchemaView"]


@extend_schema_view(**curation_schema(serializers.SourceDetailSerializer, ws.SourceWriteSerializer))
@resource_schema("source")
class SourceViewSet(CurationMixin, FactsViewSet):
    """Source documents that facts cite; the detail view includes the full text that evidence offsets index."""

    queryset = Source.objects.defer("text").order_by("published", "id")
    serializer_class = serializers.SourceSerializer
    detail_serializer_class = serializers.SourceDetailSerializer
    filterset_class = filters.SourceFilterSet


@extend_schema_view(**curation_schema(serializers.ActorDetailSerializer, ws.ActorWriteSerializer))
@resource_schema("actor")
class ActorViewSet(CurationMixin, FactsViewSet):
    """Actors (persons, states, organizations, groups, unnamed sources), addressed by slug."""

    # Aliases and their evidence: one query each per page. (.all(): the stubs' manager rejects a Prefetch.)
    queryset = (
        Actor.objects.all()
        .prefetch_related(into_list("aliases", ActorAlias.objects.prefetch_related(evidence_prefetch("alias"))))
        .order_by("name", "id")
    )
    serializer_class = serializers.ActorSerializer
    detail_serializer_class = serializers.ActorDetailSerializer
    filterset_class = filters.ActorFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@extend_schema_view(**curation_schema(serializers.PlaceDetailSerializer, ws.PlaceWriteSerializer))
@resource_schema("place")
class PlaceViewSet(CurationMixin, FactsViewSet):
    """Places in a hierarchy (region > country > enclave > city > facility), addressed by slug."""

    queryset = Place.objects.select_related("parent").order_by("name", "id")
    serializer_class = serializers.PlaceSerializer
    detail_serializer_class = serializers.PlaceDetailSerializer
    filterset_class = filters.PlaceFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    renderer_classes = [*FactsViewSet.renderer_classes, GeoJSONRenderer]


@extend_schema_view(**curation_schema(serializers.EventTypeSerializer, ws.EventTypeWriteSerializer))
@resource_schema("event-type")
class EventTypeViewSet(CurationMixin, FactsViewSet):
    """The CAMEO event codebook stored in the database, with how many events use each code."""

    queryset = EventType.objects.annotate(event_count=live_event_count("event_type")).order_by("code")
    serializer_class = serializers.EventTypeSerializer
    filterset_class = filters.EventTypeFilterSet
    lookup_field = "code"
    lookup_value_regex = "[0-9]+"


@extend_schema_view(
    **curation_schema(
        serializers.EventDetailSerializer, ws.EventWriteSerializer, serializers.EventCreatedSerializer, mergeable=True
    )
)
@resource_schema("event")
class EventViewSet(MergeMixin, CurationMixin, FactsViewSet):
    """Events: who did what, where and when, with CAMEO type, participants and evidence."""

    # Lists and details read plain rows (facts.api.rows); the joins serve the instances writes work on.
    queryset = Event.objects.select_related("event_type", "place", "parent").order_by(*DATE_ORDER)
    serializer_class = serializers.EventSerializer
    detail_serializer_class = serializers.EventDetailSerializer
    filterset_class = filters.EventFilterSet
    renderer_classes = [*FactsViewSet.renderer_classes, GeoJSONRenderer]

    def accepted_params(self) -> set[str]:
        if self.action in ("claims", "duplicates"):
            return {api_settings.URL_FORMAT_OVERRIDE}  # one fixed shape: no `fields`, no filters, no pages
        return super().accepted_params()

    def create(self, request, *args, **kwargs):
        """Create an event; the 201 also names the stored events it probably duplicates (facts.duplicates)."""
        event = self.create_instance(request)
        response = self.written_response(event, status.HTTP_201_CREATED, location=True)
        found = serializers.DuplicateSerializer(
            event_duplicates_of(event), many=True, context=self.get_serializer_context()
        )
        response.data["possible_duplicates"] = found.data
        return response

    @duplicates_schema(serializers.EventDuplicatesSerializer)
    @action(detail=True, methods=["get"], url_path="duplicates", filter_backends=[], pagination_class=None)
    def duplicates(self, request, pk=None):
        event = get_object_or_404(
            live(Event.objects.only("id", "title", "event_type", "date_start", "date_end", "parent")), pk=pk
        )
        found = (event, event_duplicates_of(event))
        return Response(serializers.EventDuplicatesSerializer(found, context=self.get_serializer_context()).data)

    @claims_schema(serializers.EventClaimsSerializer)
    @action(detail=True, methods=["get"], url_path="claims", filter_backends=[], pagination_class=None)
    def claims(self, request, pk=None):
        event = get_object_or_404(live(Event.objects.only("id", "title")), pk=pk)
        data = serializers.EventClaimsSerializer(event_claims(event), context=self.get_serializer_context())
        return Response(data.data)

    @merge_schema(serializers.EventDetailSerializer, EventMergeSerializer)
    @action(detail=True, methods=["post"], url_path="merge", permission_classes=[MayMerge], pagination_class=None)
    def merge(self, request, pk=None):
        """Merge this event, a duplicate, into the body's `into` (facts.api.curation.merging)."""
        return self.merge_into(request)


@extend_schema_view(**curation_schema(serializers.StatementSerializer, ws.StatementWriteSerializer))
@resource_schema("statement")
class StatementViewSet(CurationMixin, FactsViewSet):
    """Statements: who said what (quote, partial quote or paraphrase), through which channel, about what."""

    queryset = Statement.objects.select_related("speaker", "event").order_by(*DATE_ORDER)
    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilterSet


@extend_schema_view(**curation_schema(serializers.RelationSerializer, ws.RelationWriteSerializer))
@resource_schema("relation")
class RelationViewSet(CurationMixin, FactsViewSet):
    """Standing relations between two actors (allies, at war, mediating...), as sources state them."""

    queryset = (
        Relation.objects.select_related("subject", "object")
        .prefetch_related(evidence_prefetch("relation"))
        .order_by("id")
    )
    serializer_class = serializers.RelationSerializer
    filterset_class = filters.RelationFilterSet


class LandingView(APIView):
    """Where to start: the API root, the interactive documentation, the schema and the admin."""

    renderer_classes = [TemplateHTMLRenderer, OrjsonRenderer]
    template_name = "landing.html"

    @extend_schema(exclude=True)
    def get(self, request):
        links = {
            "api": request.build_absolute_uri(reverse("api-root")),
            "docs": request.build_absolute_uri(reverse("swagger-ui")),
            "redoc": request.build_absolute_uri(reverse("redoc")),
            "schema": request.build_absolute_uri(reverse("schema")),
            "admin": request.build_absolute_uri(reverse("admin:index")),
        }
        return Response({"title": "Conflict facts API", "links": links})


@extend_schema_view(get=extend_schema(exclude=True))
class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema of this API (not itself listed in the schema)."""
