"""OpenAPI response bodies: the one error shape (facts.api.errors), examples of it, and the CSV and GeoJSON exports.

Every error response of every operation has the one `Error` schema, so that clients get one error type; what an
operation says about its errors is its description and, where it gives one, an example body (the examples are
checked against the API's real answers in tests/api/test_openapi_examples.py).
"""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

ERROR_REF = "#/components/schemas/Error"

# What a read answers to a bad parameter and to an unknown object: examples of the Error shape, for the reader.
INVALID_EXAMPLE = {
    "status": 400,
    "code": "invalid",
    "detail": "Invalid input in: page_size.",
    "errors": {"page_size": ["Must be from 1 to 500; got 1000."]},
}
_PAST_THE_END = "Page 99 does not exist: there are 1 page(s) at this page size."
PAGE_NOT_FOUND_EXAMPLE = {
    "status": 404,
    "code": "not_found",
    "detail": _PAST_THE_END,
    "errors": {"page": [_PAST_THE_END]},
}


def not_found_example(model) -> dict:
    """What a read or write of an unknown object of `model` answers (DRF's get_object_or_404)."""
    detail = f"No {model.__name__} matches the given query."
    return {"status": 404, "code": "not_found", "detail": detail, "errors": {}}


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error under /api/ has this shape, whatever its status.",
    "required": ["status", "code", "detail", "errors"],
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status code, repeated for clients that lose it."},
        "code": {
            "type": "string",
            "description": "A stable machine-readable code: invalid, parse_error, not_authenticated, "
            "authentication_failed, permission_denied, not_found, method_not_allowed, not_acceptable, "
            "unknown_format, precondition_failed, conflict, unsupported_media_type, payload_too_large, throttled, "
            "database_unavailable or server_error.",
        },
        "detail": {"type": "string", "description": "One sentence for a human."},
        "errors": {
            "type": "object",
            "description": "Each offending parameter or field (nested fields nest) with its messages; empty when "
            "no single parameter is to blame.",
            "additionalProperties": {},
        },
    },
    "example": INVALID_EXAMPLE,
}


ERROR_BODY = {"$ref": ERROR_REF}


def error_response(description: str, example: dict | None = None, summary: str = "") -> OpenApiResponse:
    """An answer with the Error body, described for its operation, with an example body when one is given."""
    examples = [OpenApiExample(summary, value=example, response_only=True)] if example else []
    return OpenApiResponse(ERROR_BODY, description=description, examples=examples)


RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
}

# Answers any operation can give, besides those its view documents.
COMMON_ERRORS = {
    "406": "The `format` parameter or the Accept header names no format this endpoint serves.",
    "429": "Too many requests; wait for Retry-After seconds.",
    "503": "The database is unreachable; retry after Retry-After seconds.",
}
WRITE_ERRORS = {
    "401": "No or invalid credentials: writing needs an authenticated user.",
    "403": "The user lacks the model permission this write needs (or, to set `status` to reviewed or verified, "
    "the review permission; `errors.status` says so).",
    "411": "The body came with Transfer-Encoding and no Content-Length; send a Content-Length. Nothing was changed.",
    "413": "The body is larger than the server reads (4 MiB by default); nothing was changed.",
    "415": "The body's Content-Type is not one this endpoint parses (use application/json).",
    "409": "A concurrent write conflicted with this one (or held the data locked); nothing was written. Retry.",
}

CSV_BODY = {
    "type": "string",
    "description": "CSV with a header row of field names and one row per item (every matching item, not one page). "
    "References appear as slugs, codes or ids; participants as slug:role; evidence as quotes; "
    "several values in one cell are joined with ` | `.",
}
GEOJSON_BODY = {
    "type": "object",
    "description": "A GeoJSON (RFC 7946) FeatureCollection of every matching item that has coordinates "
    "(events take their place's); each feature's properties are the item's JSON fields.",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"], "description": "Always FeatureCollection."},
        "features": {
            "type": "array",
            "description": "One Point feature per item.",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"], "description": "Always Feature."},
                    "id": {"description": "The item's slug or id.", "oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "geometry": {
                        "type": "object",
                        "description": "A Point at [longitude, latitude] (WGS84, approximate).",
                        "properties": {
                            "type": {"type": "string", "enum": ["Point"], "description": "Always Point."},
                            "coordinates": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                                "description": "[longitude, latitude].",
                            },
                        },
                    },
                    "properties": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "The item's fields, as in the JSON list.",
                    },
                },
            },
        },
    },
}
EXPORT_BODIES = {"text/csv": CSV_BODY, "application/geo+json": GEOJSON_BODY}
