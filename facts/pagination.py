"""Pagination for every list: numbered pages by default, a keyset cursor for bulk export.

Numbered pages (`page`, `page_size`) suit people browsing; they need a COUNT and an OFFSET, and deep offsets get
slower as the table grows. Cursor mode (`mode=cursor`, then follow `next`) orders by id and resumes after the last id
seen, so page 10,000 costs what page 1 costs. Both modes validate their parameters and refuse bad values with a 400
naming the parameter, rather than silently clipping them.
"""

from base64 import b64decode

from django.utils.encoding import force_str
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MODES = ("page", "cursor")


def parse_page_size(request) -> int:
    """The `page_size` query parameter as an int in 1..MAX_PAGE_SIZE, or a 400 naming it."""
    raw = request.query_params.get("page_size")
    if raw is None or raw == "":
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({"page_size": [f"Must be a whole number from 1 to {MAX_PAGE_SIZE}; got “{raw[:40]}”."]})
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Must be from 1 to {MAX_PAGE_SIZE}; got {size}."]})
    return size


class IdCursorPagination(CursorPagination):
    """Keyset pagination on the primary key: constant cost per page however deep, no total count."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return parse_page_size(request)

    def decode_cursor(self, request):
        invalid = ValidationError({"cursor": ["Invalid cursor: use the `next` or `previous` link of a cursor page."]})
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded:
            try:
                # DRF's decoder skips characters outside base64, so garbage would silently mean "first page".
                b64decode(encoded.encode("ascii"), validate=True)
            except (ValueError, UnicodeEncodeError):
                raise invalid
        try:
            return super().decode_cursor(request)
        except NotFound:
            # A mangled cursor is a bad parameter value, not a missing resource.
            raise invalid

    def get_paginated_response_schema(self, schema):
        return schema


class FactPagination(BasePagination):
    """Numbered pages (default) or, with `mode=cursor` or a `cursor` token, keyset pages ordered by id."""

    page_query_param = "page"
    template = PageNumberPagination.template

    def __init__(self):
        self._delegate = None

    @staticmethod
    def cursor_mode(request) -> bool:
        mode = request.query_params.get("mode", "")
        if mode not in ("", *MODES):
            raise ValidationError({"mode": [f"Must be one of: {', '.join(MODES)}; got “{mode[:40]}”."]})
        return mode == "cursor" or "cursor" in request.query_params

    def paginate_queryset(self, queryset, request, view=None):
        page_size = parse_page_size(request)
        if self.cursor_mode(request):
            if request.query_params.get("page"):
                raise ValidationError({"page": ["Cursor mode has no page numbers: follow the `next` link instead."]})
            if request.query_params.get("ordering"):
                raise ValidationError({"ordering": ["Cursor mode always orders by id; drop `ordering` or use pages."]})
            self._delegate = IdCursorPagination()
        else:
            self._delegate = NumberedPagination()
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
                    "description": "Number of items matching the filters, over all pages. Absent in cursor mode.",
                    "example": 12,
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
            param("page", {"type": "integer", "minimum": 1},
                  "Page number, from 1 (numbered mode only). A page past the last one answers 404."),
            param("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                                "default": DEFAULT_PAGE_SIZE},
                  f"Items per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); other values answer 400."),
            param("mode", {"type": "string", "enum": list(MODES), "default": "page"},
                  "Pagination mode. `page` (default): numbered pages with a total `count`. `cursor`: for bulk "
                  "export, pages ordered by id with no `count`; start with `mode=cursor` and follow `next` until it "
                  "is null. Every cursor page costs the same however deep it is. `ordering` and `page` cannot be "
                  "combined with cursor mode."),
            param("cursor", {"type": "string"},
                  "Opaque position token of cursor mode; take it from a `next` or `previous` link, never build it."),
        ]


class NumberedPagination(PageNumberPagination):
    """Numbered pages whose bad page numbers are refused with a 400 naming `page`."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return self.page_size

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param) or "1"
        if raw in self.last_page_strings:
            return paginator.num_pages
        try:
            number = int(raw)
        except ValueError:
            raise ValidationError({"page": [f"Must be a whole number from 1, or “last”; got “{raw[:40]}”."]})
        if number < 1:
            raise ValidationError({"page": [f"Must be 1 or more; got {number}."]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise NotFound(force_str(f"Page {request.query_params.get('page')} does not exist: "
                                     f"there are {self._num_pages(queryset)} page(s) at this page size."))

    def _num_pages(self, queryset):
        return self.django_paginator_class(queryset, self.page_size).num_pages

