"""OpenAPI text of pagination: the page envelope and the `page`, `page_size`, `mode` and `cursor` parameters.

facts.api.pagination.FactPagination answers drf-spectacular's questions (get_paginated_response_schema,
get_schema_operation_parameters) with these; the limits they state are the paginator's own constants.
"""

from rest_framework.pagination import PageNumberPagination

# A module, not its names: facts.api.pagination imports this one while it is itself being imported.
from facts.api import pagination


def page_schema(schema):
    """The schema of one page of a list whose items have schema `schema`."""
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
                f"true. Counting stops after {pagination.COUNT_CAP:,} items (or at the end of the requested "
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


def _param(name, schema, description):
    return {"name": name, "required": False, "in": "query", "description": description, "schema": schema}


def page_parameters() -> list[dict]:
    """The query parameters of every paginated list."""
    return [
        _param(
            "page",
            {
                "oneOf": [
                    {"type": "integer", "minimum": 1, "maximum": pagination.MAX_PAGE_NUMBER},
                    {"type": "string", "enum": list(PageNumberPagination.last_page_strings)},
                ]
            },
            "Page number, from 1, or `last` (numbered mode only). A page past the last one answers 404. "
            "`last` needs the exact total, so it counts every matching item.",
        ),
        _param(
            "page_size",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": pagination.MAX_PAGE_SIZE,
                "default": pagination.DEFAULT_PAGE_SIZE,
            },
            f"Items per page, 1 to {pagination.MAX_PAGE_SIZE} (default {pagination.DEFAULT_PAGE_SIZE}); other "
            "values answer 400.",
        ),
        _param(
            "mode",
            {"type": "string", "enum": list(pagination.MODES), "default": "page"},
            f"Pagination mode. `page` (default): numbered pages with a `count` (exact up to "
            f"{pagination.COUNT_CAP:,}, a lower bound above, see `count_is_exact`). `cursor`: for bulk "
            "export, pages ordered by id with no `count`; start with `mode=cursor` and follow `next` until it "
            "is null. Every cursor page costs the same however deep it is. `ordering` and `page` cannot be "
            "combined with cursor mode.",
        ),
        _param(
            "cursor",
            {"type": "string"},
            "Opaque position token of cursor mode; take it from a `next` or `previous` link, never build it.",
        ),
    ]
