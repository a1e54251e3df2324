"""API views: one thin viewset per resource (reads open to all, writes through CurationMixin), plus the landing page.

What every list shares (fields= selection, CSV/GeoJSON streaming export, JSON errors for export formats, detail
serializer variants) lives once, in FactsViewSet. Each resource then only says which rows (with the joins and
prefetches that keep a page at a fixed number of queries), how to serialize them and how to filter them.
"""

from __future__ import annotations

from itertools import islice

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.http import StreamingHttpResponse
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from facts.api import filters, serializers
from facts.api import write_serializers as ws
from facts.api.curation import CurationMixin, curation_schema
from facts.api.openapi import resource_schema
from facts.api.pagination import FactPagination
from facts.api.query_params import filter_param_names, refuse_unknown_params
from facts.api.renderers import CSVRenderer, ExportRenderer, GeoJSONRenderer
from facts.api.serializers import PREFETCHED_SUFFIX
from facts.claims import event_claims
from facts.models import (
    DATE_ORDER,
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)

EXPORT_CHUNK_SIZE = 2000
# What a slug can be; anything else in the URL is a 404 before it reaches the database (PostgreSQL refuses NUL bytes).
SLUG_PATTERN = "[-a-zA-Z0-9_]+"
PLACE_REF_FIELDS = ("id", "slug", "name", "kind")


def into_list(lookup: str, queryset=None) -> Prefetch:
    """Prefetch a relation into a plain list (read by facts.api.serializers.prefetched), which is cheaper per row."""
    return Prefetch(lookup, queryset=queryset, to_attr=lookup + PREFETCHED_SUFFIX)


def evidence_prefetch(fact: str) -> Prefetch:
    """Evidence spans of a fact, with only the source's title: the source's full text is never loaded."""
    spans = EvidenceSpan.objects.only("id", "quote", "start", "end", "source_id", fact).annotate(
        source_title=F("source__title")
    )
    return into_list("evidence", spans)


def own_column(term) -> bool:
    """Whether an order_by() term sorts by a column of the model itself ("title", "-id", date_order("date_start"))."""
    if isinstance(term, OrderBy):
        term = term.expression
    if isinstance(term, F):
        term = term.name
    return isinstance(term, str) and "__" not in term


def count_of(queryset, fk: str):
    """A correlated COUNT subquery: unlike Count() over joins, several of these never multiply rows."""
    # COUNT(*), not COUNT(id): counting a value reads each row for it, where COUNT(*) counts the foreign key's index
    # entries alone (0.96 s -> 0.05 s for a page of event types over 10^6 events).
    counted = queryset.filter(**{fk: OuterRef("pk")}).order_by().values(fk).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class FactsViewSet(viewsets.ReadOnlyModelViewSet):
    """Base of the read API viewsets."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = FactPagination
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]
    detail_serializer_class = None
    # Keys of a nested object that an export gives columns of their own (`type.plover_category`) after the object's
    # own column, which a CSV cell shows as its code, slug or id.
    export_subfields: dict[str, tuple[str, ...]] = {}

    def get_renderers(self):
        # Export formats are for lists; a detail view answers JSON (or the browsable page).
        renderers = super().get_renderers()
        if getattr(self, "action", None) != "list":
            renderers = [r for r in renderers if not isinstance(r, ExportRenderer)]
        return renderers

    def as_rows(self, queryset):
        """A list as its serializer reads it: plain rows (values()) if it builds from rows (HandBuiltMixin)."""
        columns = getattr(self.get_serializer_class(), "row_columns", None)
        return queryset.values(*columns) if columns else queryset

    def page_rows(self, page):
        """The rows of one numbered page (a sliced queryset), read after the count so the count carries no joins.

        When the order is by the model's own columns, the page's ids are picked first and only those 50 rows are
        joined to their place, type and so on (a "deferred join"): a search matching thousands of events then sorts
        bare ids instead of joining every match before the sort.
        """
        columns = getattr(self.get_serializer_class(), "row_columns", None)
        if not columns:
            return page
        if not page.query.is_sliced:
            return page.values(*columns)
        ordering = page.query.order_by or page.model._meta.ordering
        if not all(own_column(term) for term in ordering):
            return page.values(*columns)
        return page.model._default_manager.filter(pk__in=page.values("pk")).order_by(*ordering).values(*columns)

    def retrieve(self, request, *args, **kwargs):
        columns = getattr(self.get_serializer_class(), "row_columns", None)
        if not columns or isinstance(request.accepted_renderer, BrowsableAPIRenderer):
            # The browsable API fills its edit forms from the serialized instance.
            return super().retrieve(request, *args, **kwargs)
        # One fact is built from a plain row, as a list page is: no model instances for it and its joins.
        lookup = self.lookup_url_kwarg or self.lookup_field
        row = get_object_or_404(self.get_queryset().values(*columns), **{self.lookup_field: self.kwargs[lookup]})
        self.check_object_permissions(request, row)
        return Response(self.get_serializer(row).data)

    def rows_by_id(self, ids):
        """The rows of a page whose ids were picked with the count (facts.api.pagination.count_with_page)."""
        return self.page_rows(self.get_queryset().filter(pk__in=ids))

    def filter_queryset(self, queryset):
        # Filters are list parameters (the schema documents them there); building a FilterSet to look up one object
        # by its key costs more than the lookup itself.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("fields", self.selected_fields())
        return super().get_serializer(*args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_unknown_params(request, self.accepted_params())
        self.selected_fields()  # a bad `fields` is refused before any query runs

    def accepted_params(self) -> set[str]:
        """Every query parameter this request may carry: a list's filters and pages, and `fields`/`format`."""
        accepted = {"fields", api_settings.URL_FORMAT_OVERRIDE}
        if self.action == "list":
            accepted |= filter_param_names(self.filterset_class) | set(self.pagination_class.query_params)
        return accepted

    def selected_fields(self) -> list[str] | None:
        """The names given in `fields=` (validated against the serializer), or None for all fields."""
        if hasattr(self, "_selected_fields"):
            return self._selected_fields
        self._selected_fields = self._parse_fields()
        return self._selected_fields

    def _parse_fields(self) -> list[str] | None:
        request = getattr(self, "request", None)
        raw = request.query_params.get("fields") if request is not None else None
        if raw is None or raw == "":
            return None
        names = [name.strip() for name in raw.split(",")]
        if "" in names:
            # `fields=,` or `fields=id,,title` would select nothing, or not what was meant.
            raise ValidationError(
                {
                    "fields": [
                        "Give field names separated by single commas, e.g. fields=id,title; "
                        "an empty name selects nothing."
                    ]
                }
            )
        available = list(self.get_serializer_class()().fields)
        unknown = [name for name in names if name not in available]
        if unknown:
            raise ValidationError(
                {
                    "fields": [
                        f"Unknown field name(s): {', '.join(n[:40] for n in unknown[:5])}. Available: {', '.join(available)}."
                    ]
                }
            )
        return list(dict.fromkeys(names))

    def handle_exception(self, exc):
        # Errors are JSON even when an export format was asked for: a CSV or GeoJSON error body helps no one.
        if isinstance(getattr(self.request, "accepted_renderer", None), ExportRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request, *args, **kwargs):
        if isinstance(request.accepted_renderer, ExportRenderer):
            return self.export(request.accepted_renderer)
        return super().list(request, *args, **kwargs)

    # Export -------------------------------------------------------------------------------------------------------

    def point(self, obj) -> list[float] | None:
        """[longitude, latitude] of an item for GeoJSON, or None when it has no coordinates."""
        return None

    def export(self, renderer: ExportRenderer) -> StreamingHttpResponse:
        """Stream every filtered row (no page cap) in the renderer's format, a chunk of rows at a time."""
        # An export reads no page, but a bad `page`, `page_size` or `mode` is still a 400, as on a JSON list.
        self.paginator.check_params(self.request)
        queryset = self.as_rows(self.filter_queryset(self.get_queryset()))
        serializer = self.get_serializer()  # validates `fields` before the first byte goes out
        header = [
            column
            for name in serializer.fields
            for column in (name, *(f"{name}.{key}" for key in self.export_subfields.get(name, ())))
        ]
        serializer_class, fields, context = self.get_serializer_class(), self.selected_fields(), serializer.context

        # iterator(chunk_size) keeps prefetches working per chunk and, on PostgreSQL, uses a server-side cursor.
        rows = queryset.iterator(chunk_size=EXPORT_CHUNK_SIZE)
        # The first chunk is read before the response starts, so that a database error still becomes a proper
        # error response instead of a stream cut short after a 200.
        first = list(islice(rows, EXPORT_CHUNK_SIZE))

        def chunks():
            batch = first
            while batch:
                yield self._export_rows(serializer_class, batch, fields, context)
                batch = list(islice(rows, EXPORT_CHUNK_SIZE))

        content_type = renderer.media_type + (f"; charset={renderer.charset}" if renderer.charset else "")
        response = StreamingHttpResponse(renderer.stream(header, chunks()), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.basename}s.{renderer.format}"'
        return response

    def _export_rows(self, serializer_class, batch, fields, context):
        data = serializer_class(batch, many=True, fields=fields, context=context).data
        return [(item, self.point(obj)) for item, obj in zip(data, batch, strict=False)]


@extend_schema_view(**curation_schema(serializers.SourceDetailSerializer, ws.SourceWriteSerializer))
@resource_schema("source")
class SourceViewSet(CurationMixin, FactsViewSet):
    """Source documents that facts cite; the detail view includes the full text that evidence offsets index."""

    queryset = Source.objects.order_by("published", "id")
    serializer_class = serializers.SourceSerializer
    detail_serializer_class = serializers.SourceDetailSerializer
    filterset_class = filters.SourceFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.action == "retrieve" else queryset.defer("text")


@extend_schema_view(**curation_schema(serializers.ActorDetailSerializer, ws.ActorWriteSerializer))
@resource_schema("actor")
class ActorViewSet(CurationMixin, FactsViewSet):
    """Actors (persons, states, organizations, groups, unnamed sources), addressed by slug."""

    # Aliases and their evidence: one query each per page.
    queryset = Actor.objects.prefetch_related(
        into_list("aliases", ActorAlias.objects.prefetch_related(evidence_prefetch("alias")))
    ).order_by("name", "id")
    serializer_class = serializers.ActorSerializer
    detail_serializer_class = serializers.ActorDetailSerializer
    filterset_class = filters.ActorFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "retrieve":
            return queryset
        return queryset.prefetch_related(
            Prefetch(
                "affiliations",
                queryset=Affiliation.objects.select_related("organization").prefetch_related(
                    evidence_prefetch("affiliation")
                ),
            ),
            Prefetch(
                "members",
                queryset=Affiliation.objects.select_related("person").prefetch_related(
                    evidence_prefetch("affiliation")
                ),
            ),
        ).annotate(
            event_count=count_of(Participant.objects.all(), "actor"),
            statement_count=count_of(Statement.objects.all(), "speaker"),
        )


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

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            # Five levels of parents in the same query cover the ancestor chain of any realistic hierarchy.
            return queryset.select_related("parent__parent__parent__parent__parent").prefetch_related(
                Prefetch("children", queryset=Place.objects.only(*PLACE_REF_FIELDS, "parent_id"))
            )
        if isinstance(getattr(self.request, "accepted_renderer", None), GeoJSONRenderer):
            return queryset.filter(latitude__isnull=False, longitude__isnull=False)
        return queryset

    def point(self, place):
        if place.latitude is None or place.longitude is None:
            return None
        return [float(place.longitude), float(place.latitude)]


@extend_schema_view(**curation_schema(serializers.EventTypeSerializer, ws.EventTypeWriteSerializer))
@resource_schema("event-type")
class EventTypeViewSet(CurationMixin, FactsViewSet):
    """The CAMEO event codebook stored in the database, with how many events use each code."""

    queryset = EventType.objects.annotate(event_count=count_of(Event.objects.all(), "event_type")).order_by("code")
    serializer_class = serializers.EventTypeSerializer
    filterset_class = filters.EventTypeFilterSet
    lookup_field = "code"
    lookup_value_regex = "[0-9]+"


@extend_schema_view(**curation_schema(serializers.EventDetailSerializer, ws.EventWriteSerializer))
@resource_schema("event")
class EventViewSet(CurationMixin, FactsViewSet):
    """Events: who did what, where and when, with CAMEO type, participants and evidence."""

    # Participants and evidence are read by the serializer, one query each per page (PageRowsListSerializer).
    queryset = Event.objects.select_related("event_type", "place", "parent").order_by(*DATE_ORDER)
    serializer_class = serializers.EventSerializer
    detail_serializer_class = serializers.EventDetailSerializer
    filterset_class = filters.EventFilterSet
    renderer_classes = [*FactsViewSet.renderer_classes, GeoJSONRenderer]
    export_subfields = {"type": ("plover_category", "plover_mode")}

    def get_queryset(self):
        queryset = super().get_queryset()
        if isinstance(getattr(self.request, "accepted_renderer", None), GeoJSONRenderer):
            queryset = queryset.filter(place__latitude__isnull=False, place__longitude__isnull=False)
        return queryset

    def point(self, row):
        if row["place__latitude"] is None or row["place__longitude"] is None:
            return None
        return [float(row["place__longitude"]), float(row["place__latitude"])]

    def accepted_params(self) -> set[str]:
        if self.action == "claims":
            return {api_settings.URL_FORMAT_OVERRIDE}  # one fixed shape: no `fields`, no filters, no pages
        return super().accepted_params()

    @extend_schema(
        summary="Who claims what about the event",
        description="Every statement about the event (its `about_events` names it), grouped by the side it speaks "
        "for: the top state or organization its speaker is affiliated with, following affiliations "
        "upwards (Patel -> State Department -> United States), or the speaker itself when it has none.",
        responses={200: serializers.EventClaimsSerializer},
        filters=False,
    )
    @action(detail=True, methods=["get"], url_path="claims", filter_backends=[], pagination_class=None)
    def claims(self, request, pk=None):
        event = get_object_or_404(Event.objects.only("id", "title"), pk=pk)
        data = serializers.EventClaimsSerializer(event_claims(event), context=self.get_serializer_context())
        return Response(data.data)


@extend_schema_view(**curation_schema(serializers.StatementSerializer, ws.StatementWriteSerializer))
@resource_schema("statement")
class StatementViewSet(CurationMixin, FactsViewSet):
    """Statements: who said what (quote, partial quote or paraphrase), through which channel, about what."""

    # What a statement is about, and its evidence, are read by the serializer: one query each per page.
    queryset = Statement.objects.select_related("speaker", "event").order_by(*DATE_ORDER)
    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilterSet


@extend_schema_view(**curation_schema(serializers.RelationSerializer, ws.RelationWriteSerializer))
@resource_schema("relation")
class RelationViewSet(CurationMixin, FactsViewSet):
    """Standing relations between two actors (allies, at war, mediating...), as sources state them."""

    queryset = (
        Relation.objects.select_related("subject", "object")
        .prefetch_related(
            evidence_prefetch("relation"),
        )
        .order_by("id")
    )
    serializer_class = serializers.RelationSerializer
    filterset_class = filters.RelationFilterSet


class LandingView(APIView):
    """Where to start: the API root, the interactive documentation, the schema and the admin."""

    renderer_classes = [TemplateHTMLRenderer, JSONRenderer]
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
