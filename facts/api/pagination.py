"""Pagination for every list: numbered pages by default, a keyset cursor for bulk export.

Numbered pages (`page`, `page_size`) suit people browsing; they need a COUNT and an OFFSET, and deep offsets get
slower as the table grows. The count is capped (CappedCountPaginator): it stops after COUNT_CAP matching rows, so a
page of a million-row list never counts a million rows; `count_is_exact` says whether `count` is the exact total.
Cursor mode (`mode=cursor`, then follow `next`) orders by id and resumes after the last id seen, so page 10,000 costs
what page 1 costs. Both modes validate their parameters and refuse bad values with a 400 naming the parameter,
rather than silently clipping them.
"""

from base64 import b64decode

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Window
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination
from rest_framework.response import Response

from facts.api.query_params import ascii_int

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MODES = ("page", "cursor")
# Numbered pages count matching rows up to this many (or to the end of the requested page, if further). Above it,
# `count` is a lower bound and `count_is_exact` is false.
COUNT_CAP = 10_000
# A page number beyond any realistic list; keeps LIMIT within a 64-bit integer on every database.
MAX_PAGE_NUMBER = 10**12


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
    """Keyset pagination on the primary key: constant cost per page however deep, no total count."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

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


def as_rows(queryset, view):
    """A cursor page as the view serializes it (`view.as_rows`): plain rows if it builds from rows."""
    convert = getattr(view, "as_rows", None)
    return convert(queryset) if convert is not None else queryset


class FactPagination(BasePagination):
    """Numbered pages (default) or, with `mode=cursor` or a `cursor` token, keyset pages ordered by id."""

    page_query_param = "page"
    # Every query parameter this pagination reads (the view refuses any other it does not know).
    query_params = ("page", "page_size", "mode", "cursor")
    template = PageNumberPagination.template

    def __init__(self):
        self._delegate = None

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

    def paginate_queryset(self, queryset, request, view=None):
        page_size = parse_page_size(request)
        if self.cursor_mode(request):
            if request.query_params.get("page"):
                raise ValidationError({"page": ["Cursor mode has no page numbers: follow the `next` link instead."]})
            if request.query_params.get("ordering"):
                raise ValidationError({"ordering": ["Cursor mode always orders by id; drop `ordering` or use pages."]})
            self._delegate = IdCursorPagination()
            queryset = as_rows(queryset, view)
        else:
            self._delegate = NumberedPagination(
                rows=getattr(view, "page_rows", None), rows_by_id=getattr(view, "rows_by_id", None)
            )
        self._delegate.page_size = page_size
        page = self._delegate.paginate_queryset(queryset, request, view)
        self.display_page_controls = getattr(self._delegate, "display_page_controls", False)
        return page

    def get_paginated_response(self, data):
        return self._delegate.get_paginated_response(data)

    def get_html_context(self):
        return self._delegate.get_html_context()

    def to_html(self):
        return self._delegate.to_html()

    def get_results(self, data):
        return data["results"]

    def get_paginated_response_schema(self, schema):
        if isinstance(schema, dict):
            schema = {**schema, "description": "The items on this page."}
        return {
            "type": "object",
            "description": "One page of a list: `count` (numbered mode only), links to the neighbouring pages, and "
            "the items.",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": f"Number of items matching the filters, over all pages, when `count_is_exact` is "
                    f"true. Counting stops after {COUNT_CAP:,} items (or at the end of the requested "
                    f"page, if that is further): when more match, `count` is that cap, the true total "
                    f"is larger, and `count_is_exact` is false. A `search` counts every match (its "
                    f"page reads them all anyway), so its count is exact, except an event search "
                    f"with no other filter, in the default order, for a text the database expects "
                    f"in a large share of the events: its page walks the events in date order "
                    f"instead, and its count stops at the cap like any other list's. Absent in "
                    f"cursor mode.",
                    "example": 12,
                },
                "count_is_exact": {
                    "type": "boolean",
                    "description": "True when `count` is the exact total; false when it is a lower bound (more "
                    "items match than were counted). Absent in cursor mode.",
                    "example": True,
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "URL of the next page, or null on the last page.",
                    "example": "http://127.0.0.1:8000/api/v1/events/?page=2",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "URL of the previous page, or null on the first page.",
                    "example": None,
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        def param(name, schema, description):
            return {"name": name, "required": False, "in": "query", "description": description, "schema": schema}

        return [
            param(
                "page",
                {
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_NUMBER},
                        {"type": "string", "enum": list(PageNumberPagination.last_page_strings)},
                    ]
                },
                "Page number, from 1, or `last` (numbered mode only). A page past the last one answers 404. "
                "`last` needs the exact total, so it counts every matching item.",
            ),
            param(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
                f"Items per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); other values answer 400.",
            ),
            param(
                "mode",
                {"type": "string", "enum": list(MODES), "default": "page"},
                f"Pagination mode. `page` (default): numbered pages with a `count` (exact up to {COUNT_CAP:,}, a "
                "lower bound above, see `count_is_exact`). `cursor`: for bulk "
                "export, pages ordered by id with no `count`; start with `mode=cursor` and follow `next` until it "
                "is null. Every cursor page costs the same however deep it is. `ordering` and `page` cannot be "
                "combined with cursor mode.",
            ),
            param(
                "cursor",
                {"type": "string"},
                "Opaque position token of cursor mode; take it from a `next` or `previous` link, never build it.",
            ),
        ]


def count_with_page(queryset, matches=None):
    """Mark a filtered queryset whose page query must read every match anyway (a free-text search's UNION).

    Its numbered pages are then picked with the total in one query (CappedCountPaginator): counting separately
    would find every match a second time. The mark lives on the query, so it survives further filtering.
    `matches`, if given, is a queryset of (id, date_start) rows, one per match of `queryset`, whose default order
    (date_start, id) is the queryset's own: the page is then picked from those rows alone (pick_from_matches).
    Unlike the mark, `matches` describes the queryset as it is now, so it is given only once filtering is over.
    """
    queryset.query.count_with_page = True
    queryset.query.page_matches = matches
    return queryset


def pick_from_matches(matches, offset: int, limit: int) -> list[tuple[int, int]]:
    """(id, total) for the rows offset..offset+limit of `matches` in (date_start, id) order (undated and open-start
    rows first, as facts.models.DATE_ORDER sorts), the total counted over all.

    Raw SQL because the ORM can neither annotate nor count a UNION in the same query; the UNION's own SQL and
    parameters come from the ORM. Its columns take the names of its first branch's, "id" and "date_start".
    """
    sql, params = matches.query.sql_with_params()
    with connections[matches.db].cursor() as cursor:
        cursor.execute(pick_sql(sql), [*params, limit, offset])
        return cursor.fetchall()


def pick_sql(matches_sql: str) -> str:
    """The query of pick_from_matches around the SQL of `matches`; its last two parameters are LIMIT and OFFSET."""
    # NULLS FIRST: the default order of the lists (facts.models.DATE_ORDER) on every database.
    return (
        f"SELECT m.id, COUNT(*) OVER () FROM ({matches_sql}) m ORDER BY m.date_start NULLS FIRST, m.id "
        "LIMIT %s OFFSET %s"
    )


def count_from(queryset, counted):
    """Mark a filtered queryset whose rows can be counted more cheaply as `counted`, a queryset of equal size.

    The filterset proves the equality (see EventFilterSet.filter_queryset); the paginator then counts `counted`.
    """
    queryset.query.count_queryset = counted
    return queryset


class CappedCountPaginator(Paginator):
    """A Django Paginator whose count stops after `limit` rows: SELECT COUNT(*) FROM (... LIMIT n).

    An exact COUNT(*) of a million-row list costs a full scan on every page; counting at most COUNT_CAP rows costs
    what the page query costs. `reach(number)` extends the limit past the end of a requested deep page, so that page
    number is still valid and `has_next` still knows whether a further row exists.
    """

    def __init__(self, *args, rows=None, rows_by_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit = COUNT_CAP + 1
        self.exact = False
        # Turns the page's slice into what the serializer reads (plain rows), after counting: the count then runs
        # without the page's joins and columns.
        self.rows = rows
        # Reads the rows of ids picked together with the count (see count_with_page), in any order.
        self.rows_by_id = rows_by_id
        self.number = None
        self.picked_ids = None

    def page(self, number):
        number = self.validate_number(number)  # counts first, which may pick the page's ids (pick_with_count)
        if self.picked_ids is not None and number == self.number:
            position = {pk: i for i, pk in enumerate(self.picked_ids)}
            rows = sorted(
                self.rows_by_id(self.picked_ids),
                key=lambda row: position[row["id"] if isinstance(row, dict) else row.pk],
            )
            return self._get_page(rows, number, self)
        page = super().page(number)
        if self.rows is not None:
            page.object_list = self.rows(page.object_list)
        return page

    def reach(self, number: int) -> None:
        """Count far enough to tell whether page `number` exists and whether another page follows it."""
        self.number = number
        self.limit = max(COUNT_CAP, number * self.per_page) + 1

    def pick_with_count(self) -> int | None:
        """The ids of page `number` and the exact total of matches, in one query; None if the page is empty.

        The window count is taken over every match before LIMIT, which a search's page query reads anyway to sort.
        """
        bottom = (self.number - 1) * self.per_page
        matches = getattr(self.object_list.query, "page_matches", None)
        if matches is not None:
            picked = pick_from_matches(matches, bottom, self.per_page)
        else:
            picked = list(
                self.object_list.annotate(total_matches=Window(Count("*"))).values_list("pk", "total_matches")[
                    bottom : bottom + self.per_page
                ]
            )
        if not picked:
            return None
        self.picked_ids = [pk for pk, _ in picked]
        return picked[0][1]

    def count_all(self) -> None:
        """Count every row (for `page=last`, which needs the true total)."""
        self.exact = True

    @cached_property
    def counted(self):
        """What the count reads: the page's queryset, or a cheaper one of equal size (count_from)."""
        counted = getattr(self.object_list.query, "count_queryset", None)
        return self.object_list if counted is None else counted

    @cached_property
    def count(self) -> int:
        if self.exact:
            return self.counted.count()
        if (
            self.rows_by_id is not None
            and self.number is not None
            and getattr(self.object_list.query, "count_with_page", False)
        ):
            total = self.pick_with_count()
            if total is not None:
                self.exact = True
                return total
        counted = self.counted.order_by()[: self.limit].count()
        self.exact = counted < self.limit
        return counted

    @property
    def is_exact(self) -> bool:
        """Whether `count` is the true total (counting first, since counting is what finds out)."""
        self.count
        return self.exact

    @property
    def reported_count(self) -> int:
        """`count` for the envelope: the total when exact, else the cap (the true total is larger)."""
        return self.count if self.is_exact else self.limit - 1


class NumberedPagination(PageNumberPagination):
    """Numbered pages with a capped count, whose bad page numbers are refused with a 400 naming `page`."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def __init__(self, rows=None, rows_by_id=None):
        self.rows = rows
        self.rows_by_id = rows_by_id

    def django_paginator_class(self, queryset, per_page):
        return CappedCountPaginator(queryset, per_page, rows=self.rows, rows_by_id=self.rows_by_id)

    def get_page_size(self, request):
        return self.page_size

    def get_page_number(self, request, paginator):
        number = parse_page_number(request.query_params.get(self.page_query_param) or "1")
        if number is None:  # `last`
            paginator.count_all()
            return paginator.num_pages
        paginator.reach(number)
        return number

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            # The page is past the end, so the capped count reached the end too: it is the exact total.
            missing = NotFound(
                force_str(
                    f"Page {request.query_params.get('page')} does not exist: "
                    f"there are {self._num_pages(queryset)} page(s) at this page size."
                )
            )
            missing.errors = {"page": [str(missing.detail)]}
            raise missing from None

    def _num_pages(self, queryset):
        paginator = self.django_paginator_class(queryset, self.page_size)
        number = ascii_int(self.request.query_params.get(self.page_query_param, ""))
        if number is not None:
            paginator.reach(number)
        return paginator.num_pages

    def get_paginated_response(self, data):
        paginator = self.page.paginator
        return Response(
            {
                "count": paginator.reported_count,
                "count_is_exact": paginator.is_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )
