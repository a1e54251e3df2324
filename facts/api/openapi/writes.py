"""OpenAPI text of the write methods (facts.api.curation.CurationMixin): ETag headers and every answer they give.

Usage: ``@extend_schema_view(**curation_schema(EventDetailSerializer, EventWriteSerializer))``.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from facts.api.openapi.bodies import error_response, not_found_example
from facts.api.permissions import CHANGE_REASON_HEADER

ETAG_RESPONSE_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description="Version tag of the object's representation. Send it back in If-None-Match (re-reads) or "
    "If-Match (writes).",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag from an earlier read: when the object is unchanged the answer is 304 with no body.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the version you read. If the object has changed since, the answer is 412 and "
    "nothing is changed. Without it the write is not protected against lost updates.",
)
CHANGE_REASON = OpenApiParameter(
    CHANGE_REASON_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Why you delete the object; stored in its history.",
)
NOT_MODIFIED = OpenApiResponse(description="Not modified: your copy (If-None-Match) is current.")
PRECONDITION_FAILED = error_response(
    "Precondition failed: the object changed since you read it (the message under "
    "`errors.If-Match` gives its current ETag). Nothing was changed.",
)
BAD_REQUEST = error_response(
    "Invalid input: every bad field is named, nested ones by position. Nothing was written.",
)
UNAUTHENTICATED = error_response(
    "Not authenticated: send `Authorization: Token <key>` (or use a session with CSRF).",
)
FORBIDDEN = error_response(
    "Authenticated, but without the model permission (add/change/delete) this write needs.",
)
CONFLICT = error_response(
    "Other records depend on the object (listed under `dependents`); nothing was deleted.",
)


MOVED = OpenApiResponse(
    description="Moved permanently: this event was merged into another; `Location` is the same URL of that event "
    "(its query string kept) and the body gives its id and URL as `merged_into`.",
)
GONE = error_response(
    "Gone: this event was merged into another (POST .../merge/); `merged_into` gives that event's id and URL. "
    "Nothing was changed.",
)


def curation_schema(read_serializer, write_serializer, created_serializer=None, *, mergeable=False) -> dict:
    """Keyword arguments for `extend_schema_view(...)` documenting the write methods and the ETag headers;
    `created_serializer` describes a 201 that says more than a GET (an event's probable duplicates); `mergeable`:
    a merged object's id answers 301 (GET) and 410 (writes) (facts.api.curation.merging)."""
    not_found = error_response("No such object.", not_found_example(read_serializer.Meta.model), "An unknown object")
    moved, gone = ({301: MOVED}, {410: GONE}) if mergeable else ({}, {})
    changed = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: not_found, 412: PRECONDITION_FAILED, **gone}
    return {
        "retrieve": extend_schema(
            parameters=[IF_NONE_MATCH, ETAG_RESPONSE_HEADER],
            responses={200: read_serializer, **moved, 304: NOT_MODIFIED, 404: not_found},
        ),
        "create": extend_schema(
            request=write_serializer,
            parameters=[ETAG_RESPONSE_HEADER],
            responses={
                201: created_serializer or read_serializer,
                400: BAD_REQUEST,
                401: UNAUTHENTICATED,
                403: FORBIDDEN,
            },
        ),
        "update": extend_schema(
            request=write_serializer,
            parameters=[IF_MATCH, ETAG_RESPONSE_HEADER],
            responses={200: read_serializer, **changed},
        ),
        "partial_update": extend_schema(
            request=write_serializer,
            parameters=[IF_MATCH, ETAG_RESPONSE_HEADER],
            responses={200: read_serializer, **changed},
        ),
        "destroy": extend_schema(
            parameters=[IF_MATCH, CHANGE_REASON],
            responses={
                204: OpenApiResponse(description="Deleted, with the parts it owns."),
                401: UNAUTHENTICATED,
                403: FORBIDDEN,
                404: not_found,
                409: CONFLICT,
                412: PRECONDITION_FAILED,
                **gone,
            },
        ),
    }
