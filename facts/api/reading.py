"""The read path every resource of the API shares (FactsViewSet), in one direction.

A list: the FilterSet's plan (facts.api.filters), the page of it (facts.selectors), then its JSON, built from plain
rows (facts.api.rows) for events and statements, by the DRF serializers (facts.api.serializers) for the other
resources; the paginator (facts.api.pagination) parses the page parameters and wraps the envelope. One object: the
same selector and builders, a page of one row. An export: the same, a chunk of rows at a time. Nothing travels back
up: no layer reads notes another left on a queryset or a serializer.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict

from facts import selectors
from facts.api import rows, serializers
from facts.api.caching import CachedReadsMixin
from facts.api.pagination import FactPagination
from facts.api.query_params import filter_param_names, refuse_unknown_params
from facts.api.renderers import CSVRenderer, ExportRenderer, GeoJSONRenderer, OrjsonRenderer
from facts.models import Event, Place
from facts.selectors import planning, related
from facts.selectors.planning import QueryPlan
from facts.selectors.querysets import detail_queryset

EXPORT_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class RowShape:
    """How a resource's JSON is built from plain rows: the columns read, its related rows, and the builder."""

    columns: tuple
    related: selectors.RelatedReader
    build: Callable[..., dict]  # (row, related, urls, fields) -> JSON: one of facts.api.rows


# The resources whose JSON is built from rows, by the serializer that describes it (list and detail variants).
ROW_SHAPES = {
    serializers.EventSerializer: RowShape(rows.EVENT_COLUMNS, related.event_related, rows.event_json),
    serializers.EventDetailSerializer: RowShape(
        rows.EVENT_COLUMNS, related.event_detail_related, rows.event_detail_json
    ),
    serializers.StatementSerializer: RowShape(rows.STATEMENT_COLUMNS, related.statement_related, rows.statement_json),
}
# Where a GeoJSON export finds an item's (latitude, longitude), and the condition that it has them.
GEO_COLUMNS = {Place: ("latitude", "longitude"), Event: ("place__latitude", "place__longitude")}
# Keys of a nested object that an export gives columns of their own (`type.plover_category`) after the object's
# own column, which a CSV cell shows as its code, slug or id.
EXPORT_SUBFIELDS = {Event: {"type": ("plover_category", "plover_mode")}}


def point(item, columns) -> list[float] | None:
    """[longitude, latitude] of an item (a row or an instance) for GeoJSON, or None when it has no coordinates."""
    latitude, longitude = (item[c] if isinstance(item, dict) else getattr(item, c) for c in columns)
    if latitude is None or longitude is None:
        return None
    return [float(longitude), float(latitude)]


class FactsViewSet(CachedReadsMixin, viewsets.ReadOnlyModelViewSet):
    """Base of the read API viewsets; its reads are HTTP-cached (facts.api.caching)."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = FactPagination
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer, CSVRenderer]
    detail_serializer_class: type[BaseSerializer] | None = None
    filterset_class: Any  # each list viewset's FilterSet, read by DjangoFilterBackend

    def get_renderers(self):
        # Export formats are for lists; a detail view answers JSON (or the browsable page).
        renderers = super().get_renderers()
        if getattr(self, "action", None) != "list":
            renderers = [r for r in renderers if not isinstance(r, ExportRenderer)]
        return renderers

    def get_queryset(self):
        queryset = super().get_queryset()
        columns = GEO_COLUMNS.get(queryset.model)
        if columns and isinstance(getattr(self.request, "accepted_renderer", None), GeoJSONRenderer):
            queryset = queryset.filter(**{f"{column}__isnull": False for column in columns})
        return queryset

    def filter_queryset(self, queryset):
        # Lists are filtered through their FilterSet's plan (`plan()`); looking up one object by its key takes none
        # but the rule that tombstones of merges are not found (facts.api.curation.merging answers for them).
        return planning.live(queryset)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return self.read_serializer_class()
        return self.serializer_class

    def read_serializer_class(self):
        """The serializer that describes one object as GET returns it, whatever the running action."""
        return self.detail_serializer_class or self.serializer_class

    def get_serializer(self, *args, **kwargs):
        kwargs.setdefault("fields", self.selected_fields())
        return super().get_serializer(*args, **kwargs)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "urls": rows.Urls(self.request)}

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
        if not hasattr(self, "_selected_fields"):
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
        available = list(self.get_serializer_class().Meta.fields)
        unknown = [name for name in names if name not in available]
        if unknown:
            raise ValidationError(
                {
                    "fields": [
                        f"Unknown field name(s): {', '.join(n[:40] for n in unknown[:5])}. "
                        f"Available: {', '.join(available)}."
                    ]
                }
            )
        return list(dict.fromkeys(names))

    def output_names(self, serializer_class, fields) -> tuple:
        """The names of the fields to output, in the serializer's order."""
        declared = tuple(serializer_class.Meta.fields)
        return declared if fields is None else tuple(name for name in declared if name in fields)

    # Lists --------------------------------------------------------------------------------------------------------

    def plan(self) -> QueryPlan:
        """The FilterSet's plan of the filtered list (a 400 naming the parameter if a filter value is bad)."""
        queryset = self.get_queryset()
        filterset = DjangoFilterBackend().get_filterset(self.request, queryset, self)
        if filterset is None:
            return QueryPlan(queryset, queryset)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.plan()

    def list(self, request, *args, **kwargs):
        if isinstance(request.accepted_renderer, ExportRenderer):
            return self.export(request.accepted_renderer)
        plan = self.plan()
        wanted = self.paginator.page_request(request)
        serializer_class, fields = self.get_serializer_class(), self.selected_fields()
        shape, names = ROW_SHAPES.get(serializer_class), self.output_names(serializer_class, fields)
        if wanted is None:  # cursor mode
            cursor = self.paginator.cursor_request(request)
            page = selectors.cursor_page(
                plan,
                position=cursor.position,
                reverse=cursor.reverse,
                offset=cursor.offset,
                size=cursor.size,
                columns=shape.columns if shape else None,
                related=shape.related if shape else None,
                wanted=names,
            )
            return self.paginator.cursor_response(page, self.represent(page, shape, names))
        try:
            page = selectors.list_page(
                plan,
                number=wanted.number,
                size=wanted.size,
                cap=wanted.cap,
                columns=shape.columns if shape else None,
                related=shape.related if shape else None,
                wanted=names,
            )
        except selectors.PageMissing as missing:
            raise self.paginator.missing_page(missing.num_pages) from None
        return self.paginator.numbered_response(page, self.represent(page, shape, names))

    def represent(self, page, shape: RowShape | None, names: tuple) -> builtins.list:
        """The JSON of a page's rows: built from rows (`shape`), or by the DRF serializer from instances."""
        if shape is None:
            return self.get_serializer(page.rows, many=True).data
        urls = rows.Urls(self.request)
        return [shape.build(row, page.related[row["id"]], urls, names) for row in page.rows]

    # One object ---------------------------------------------------------------------------------------------------

    def retrieve(self, request, *args, **kwargs):
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        data = self.read(lookup, self.selected_fields())
        if isinstance(request.accepted_renderer, BrowsableAPIRenderer):
            # The browsable API fills its edit forms from the instance behind the data.
            data = ReturnDict(data, serializer=super().get_serializer(self.get_object()))
        return Response(data)

    def read_data(self, pk, fields=None) -> dict:
        """What GET answers for the object with primary key `pk`: only `fields`, or every field (None)."""
        return self.read({"pk": pk}, fields)

    def read_response(self, instance) -> Response:
        """What a GET of `instance` returns (with this request's `fields=`), read afresh: the answer to a write."""
        return Response(self.read_data(instance.pk, self.selected_fields()))

    def read(self, lookup: dict, fields) -> dict:
        serializer_class = self.read_serializer_class()
        shape, names = ROW_SHAPES.get(serializer_class), self.output_names(serializer_class, fields)
        queryset = planning.live(super().get_queryset())
        if shape is None:
            instance = get_object_or_404(detail_queryset(queryset), **lookup)
            self.check_object_permissions(self.request, instance)
            context = self.get_serializer_context()
            return serializer_class(instance, fields=fields, context=context).data
        try:
            page = selectors.one_row(
                queryset, lookup=lookup, columns=shape.columns, related=shape.related, wanted=names
            )
        except queryset.model.DoesNotExist:
            raise Http404(f"No {queryset.model._meta.object_name} matches the given query.") from None
        except (TypeError, ValueError, DjangoValidationError):
            raise Http404 from None
        self.check_object_permissions(self.request, page.rows[0])
        return shape.build(page.rows[0], page.related[page.rows[0]["id"]], rows.Urls(self.request), names)

    # Export -------------------------------------------------------------------------------------------------------

    def export(self, renderer: ExportRenderer) -> StreamingHttpResponse:
        """Stream every filtered row (no page cap) in the renderer's format, a chunk of rows at a time."""
        # An export reads no page, but a bad `page`, `page_size` or `mode` is still a 400, as on a JSON list.
        cast(FactPagination, self.paginator).check_params(self.request)
        plan = self.plan()
        serializer_class, fields = self.get_serializer_class(), self.selected_fields()
        shape, names = ROW_SHAPES.get(serializer_class), self.output_names(serializer_class, fields)
        subfields = EXPORT_SUBFIELDS.get(plan.queryset.model, {})
        header = [column for name in names for column in (name, *(f"{name}.{key}" for key in subfields.get(name, ())))]
        geo = GEO_COLUMNS.get(plan.queryset.model)
        chunks = selectors.export_chunks(
            plan.queryset,
            chunk_size=EXPORT_CHUNK_SIZE,
            columns=shape.columns if shape else None,
            related=shape.related if shape else None,
            wanted=names,
        )
        # The first chunk is read before the response starts, so that a database error still becomes a proper
        # error response instead of a stream cut short after a 200.
        first = next(chunks, None)

        def pieces():
            page = first
            while page is not None:
                items = self.represent(page, shape, names)
                yield [(item, point(obj, geo) if geo else None) for item, obj in zip(items, page.rows, strict=True)]
                page = next(chunks, None)

        content_type = renderer.media_type + (f"; charset={renderer.charset}" if renderer.charset else "")
        response = StreamingHttpResponse(renderer.stream(header, pieces()), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{self.basename}s.{renderer.format}"'
        return response
