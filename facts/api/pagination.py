"""Pagination for every list: numbered pages by default, a keyset cursor for bulk export.

This module parses the page parameters (`page`, `page_size`, `mode`, `cursor`) into a PageRequest or a
CursorRequest, and wraps a page the selectors read (facts.selectors) in its envelope: {count, count_is_exact, next,
previous, results}, or {next, previous, results} in cursor mode. It reads no rows itself.

Numbered pages (`page`, `page_size`) suit people browsing; they need a COUNT and an OFFSET, and deep offsets get
slower as the table grows. The count is capped (facts.selectors.pages): it stops after COUNT_CAP matching rows, so
a page of a million-row list never counts a million rows; `count_is_exact` says whether `count` is the exact total.
Cursor mode (`mode=cursor`, then follow `next`) orders by id and resumes after the last id seen, so page 10,000 costs
what page 1 costs. Both modes validate their parameters and refuse bad values with a 400 naming the parameter,
rather than silently clipping them.
"""

from base64 import b64decode
from dataclasses import dataclass
from typing import cast

from django.template import loader
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import (
    BasePagination,
    CursorPagination,
    PageNumberPagination,
    _get_displayed_page_numbers,
    _get_page_links,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from facts.api.openapi import pages as openapi_pages
from facts.api.query_params import ascii_int

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MODES = ("page", "cursor")
# Numbered pages count matching rows up to this many (or to the end of the requested page, if further). Above it,
# `count` is a lower bound and `count_is_exact` is false.
COUNT_CAP = 10_000
# A page number beyond any realistic list; keeps LIMIT within a 64-bit integer on every database.
MAX_PAGE_NUMBER = 10**12


@dataclass(frozen=True)
class PageRequest:
    """A numbered page asked for: its number (None for `last`), its size, and how far its count may go."""

    number: int | None
    size: int
    cap: int


@dataclass(frozen=True)
class CursorRequest:
    """A cursor page asked for: after (or, `reverse`, before) id `position`, skipping `offset` rows, `size` rows."""

    position: str | None
    reverse: bool
    offset: int
    size: int


def parse_page_size(request) -> int:
    """The `page_size` query parameter as an int in 1..MAX_PAGE_SIZE, or a 400 naming it."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    size = ascii_int(raw)
    if size is None:
        raise ValidationError(
            {"page_size": [f"Must be a whole number (ASCII digits) from 1 to {MAX_PAGE_SIZE}; got “{raw[:40]}”."]}
        )
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Must be from 1 to {MAX_PAGE_SIZE}; got {size}."]})
    return size


def parse_page_number(raw: str) -> int | None:
    """The `page` query parameter as an int in 1..MAX_PAGE_NUMBER, None for `last`, or a 400 naming it."""
    if raw in PageNumberPagination.last_page_strings:
        return None
    number = ascii_int(raw)
    if number is None:
        raise ValidationError({"page": [f"Must be a whole number (ASCII digits) from 1, or “last”; got “{raw[:40]}”."]})
    if not 1 <= number <= MAX_PAGE_NUMBER:
        raise ValidationError({"page": [f"Must be from 1 to {MAX_PAGE_NUMBER}; got {number}."]})
    return number


class IdCursorPagination(CursorPagination):
    """The cursor tokens and links of keyset pages on the primary key (constant cost per page however deep, no
    total count); facts.selectors.pages.read_cursor_page reads the rows."""

    ordering: str | tuple[str, ...] = "pk"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    request: Request  # set by FactPagination.cursor_request, as DRF's paginate_queryset does

    def _get_position_from_instance(self, instance, ordering):
        # Event and statement lists page plain values() rows, which carry the primary key as "id", not "pk".
        if isinstance(instance, dict):
            return str(instance["id"])
        return super()._get_position_from_instance(instance, ordering)

    def get_page_size(self, request):
        return parse_page_size(request)

    def decode_cursor(self, request):
        invalid = ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link of a cursor page."]})
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None  # an empty `cursor=` is the first page, as if it were absent
        try:
            # DRF's decoder skips characters outside base64, so garbage would silently mean "first page".
            b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (ValueError, UnicodeEncodeError, NotFound):
            # A mangled cursor is a bad parameter value, not a missing resource.
            raise invalid from None
        # Pages are ordered by id: any other position ("abc", a NUL, a number past 64 bits) would reach the
        # database as a bad id and fail there.
        if cursor.position is not None and (ascii_int(cursor.position) is None or int(cursor.position) >= 2**63):
            raise invalid
        return cursor

    def get_paginated_response_schema(self, schema):
        return schema


class FactPagination(BasePagination):
    """Numbered pages (default) or, with `mode=cursor` or a `cursor` token, keyset pages ordered by id."""

    page_query_param = "page"
    # Every query parameter this pagination reads (the view refuses any other it does not know).
    query_params = ("page", "page_size", "mode", "cursor")
    template = PageNumberPagination.template

    def __init__(self):
        self.request = None
        self.page = None
        self._cursor = None
        self.display_page_controls = False

    @staticmethod
    def cursor_mode(request) -> bool:
        mode = request.query_params.get("mode", "")
        if mode not in ("", *MODES):
            raise ValidationError({"mode": [f"Must be one of: {', '.join(MODES)}; got “{mode[:40]}”."]})
        return mode == "cursor" or bool(request.query_params.get("cursor"))

    @classmethod
    def check_params(cls, request) -> None:
        """Refuse bad `page`, `page_size` or `mode` values of a request that reads no page (an export), as a page
        would: a 400 naming the parameter, not an answer that ignores it."""
        parse_page_size(request)
        cls.cursor_mode(request)
        if request.query_params.get("page"):
            parse_page_number(request.query_params["page"])

    def page_request(self, request) -> PageRequest | None:
        """The numbered page asked for, or None in cursor mode (whose `page` and `ordering` are refused)."""
        self.request = request
        size = parse_page_size(request)
        if self.cursor_mode(request):
            if request.query_params.get("page"):
                raise ValidationError({"page": ["Cursor mode has no page numbers: follow the `next` link instead."]})
            if request.query_params.get("ordering"):
                raise ValidationError({"ordering": ["Cursor mode always orders by id; drop `ordering` or use pages."]})
            return None
        number = parse_page_number(request.query_params.get(self.page_query_param) or "1")
        return PageRequest(number=number, size=size, cap=COUNT_CAP)

    def cursor_request(self, request) -> CursorRequest:
        """The cursor page asked for: where it starts (DRF's cursor token, checked by IdCursorPagination) and its
        size."""
        cursor = self._cursor = IdCursorPagination()
        cursor.request, cursor.page_size = request, parse_page_size(request)
        cursor.base_url, cursor.ordering = request.build_absolute_uri(), (cast(str, cursor.ordering),)
        cursor.cursor = cursor.decode_cursor(request)
        offset, reverse, position = cursor.cursor or (0, False, None)
        # The stubs type a cursor's position as int; decode_cursor gives the token's text.
        return CursorRequest(
            position=cast("str | None", position), reverse=reverse, offset=offset, size=cursor.page_size
        )

    def cursor_response(self, page, results) -> Response:
        """The envelope of a cursor page (a facts.selectors.CursorPage) around its serialized `results`, with the
        links DRF's cursor pagination encodes."""
        cursor = self._cursor
        cursor.page, cursor.has_next, cursor.has_previous = page.rows, page.has_next, page.has_previous
        cursor.next_position, cursor.previous_position = page.next_position, page.previous_position
        self.display_page_controls = cursor.display_page_controls = page.has_next or page.has_previous
        return cursor.get_paginated_response(results)

    def missing_page(self, num_pages: int) -> NotFound:
        """The 404 of a page past the end (the count then reached the end: `num_pages` is exact)."""
        missing = NotFound(
            f"Page {self.request.query_params.get('page')} does not exist: "
            f"there are {num_pages} page(s) at this page size."
        )
        missing.errors = {"page": [str(missing.detail)]}  # type: ignore[attr-defined]  # read by errors._shape
        return missing

    def numbered_response(self, page, results) -> Response:
        """The envelope of a numbered page (a facts.selectors.Page) around its serialized `results`."""
        self.page = page
        self.display_page_controls = page.num_pages > 1
        return Response(
            {
                "count": page.count,
                "count_is_exact": page.exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": results,
            }
        )

    def page_url(self, number: int) -> str:
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_next_link(self) -> str | None:
        return self.page_url(self.page.number + 1) if self.page.has_next else None

    def get_previous_link(self) -> str | None:
        return self.page_url(self.page.number - 1) if self.page.number > 1 else None

    def get_html_context(self):
        if self._cursor is not None:
            return self._cursor.get_html_context()
        numbers = _get_displayed_page_numbers(self.page.number, self.page.num_pages)
        return {
            "previous_url": self.get_previous_link(),
            "next_url": self.get_next_link(),
            "page_links": _get_page_links(numbers, self.page.number, self.page_url),
        }

    def to_html(self):
        if self._cursor is not None:
            return self._cursor.to_html()
        return loader.get_template(self.template).render(self.get_html_context())

    def get_results(self, data):
        return data["results"]

    def get_paginated_response_schema(self, schema):
        return openapi_pages.page_schema(schema)

    def get_schema_operation_parameters(self, view):
        return openapi_pages.page_parameters()
