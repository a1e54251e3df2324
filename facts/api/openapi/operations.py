"""OpenAPI text of the operations that are not a resource's list, detail or writes."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

from facts.api.openapi.bodies import error_response
from facts.api.openapi.writes import ETAG_RESPONSE_HEADER, MOVED
from facts.api.permissions import CHANGE_REASON_HEADER

CLAIMS_DESCRIPTION = (
    "Every statement about the event (its `about_events` names it), grouped by the side it speaks for: the top state "
    "or organization its speaker is affiliated with, following affiliations upwards (Patel -> State Department -> "
    "United States), or the speaker itself when it has none."
)


def claims_schema(serializer):
    """`/events/{id}/claims/` (facts.api.views.EventViewSet.claims), answered with `serializer`: one fixed shape."""
    return extend_schema(
        summary="Who claims what about the event",
        description=CLAIMS_DESCRIPTION,
        responses={200: serializer, 301: MOVED},
        filters=False,
    )


def duplicates_schema(serializer):
    """`/events/{id}/duplicates/` (facts.api.views.EventViewSet.duplicates), answered with `serializer`."""
    return extend_schema(
        summary="Probable duplicates of the event",
        description="Stored events that probably report the same event: the same CAMEO root, overlapping dates and "
        "a shared participant, plus a similar title or overlapping evidence (facts.duplicates). Each names the rules "
        "it meets. The same check names them in the 201 of a create (`possible_duplicates`) and in the admin.",
        responses={200: serializer, 301: MOVED},
        filters=False,
    )


def changes_schema(query_serializer, page_serializer):
    """`/changes/` (facts.api.changes.ChangesView): its parameters are `query_serializer`'s fields, its answer a
    `page_serializer` page; an APIView, so its tag is given here rather than derived from a basename."""
    return extend_schema(
        operation_id="changes_list",
        tags=["changes"],
        parameters=[query_serializer],
        responses={
            200: page_serializer,
            400: error_response("A parameter is invalid (e.g. `since` is not an ISO date-time)."),
        },
    )


MERGE_DESCRIPTION = (
    "Merge this event, a duplicate, into `into` (facts.services.event_merge), in one transaction: its evidence "
    "passages, participants, the statements made at it or about it, and the events within it move to `into` (a "
    "passage or participant `into` already has is dropped, not doubled); `into`'s own fields stay as they are. This "
    "event stays as a tombstone: its id then answers GET with 301 to the same URL of `into`, any other method with "
    "410 naming it, and lists, counts and links never show it. The changes feed reports it as `merged`. Needs the "
    "permissions to change and to delete events. The answer is `into` as a GET returns it, with its ETag."
)


def merge_schema(read_serializer, body_serializer):
    """`/events/{id}/merge/` (facts.api.views.EventViewSet.merge): `body_serializer` in, `read_serializer` out."""
    return extend_schema(
        summary="Merge a duplicate event into another",
        description=MERGE_DESCRIPTION,
        request=body_serializer,
        filters=False,
        operation_id="events_merge",
        parameters=[
            ETAG_RESPONSE_HEADER,
            OpenApiParameter(
                "If-Match",
                str,
                OpenApiParameter.HEADER,
                description="The ETag of the version of this (the merged) event you read: 412 if it changed since.",
            ),
            OpenApiParameter(
                CHANGE_REASON_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Why, when the body gives no `reason`; stored in the history of every row that moves.",
            ),
        ],
        responses={
            200: OpenApiResponse(read_serializer, description="The event merged into, as a GET returns it."),
            400: error_response(
                "The merge is refused, naming the field: `into` (not a number, no such event, this event itself, an "
                "event merged or a candidate, an event within this one), `participants` (an actor with another role "
                "in `into`) or `reason`. Nothing was written."
            ),
            401: error_response("Not authenticated: send `Authorization: Token <key>`."),
            403: error_response("Authenticated, but without the permissions to change and delete events."),
            404: error_response("No event has this id."),
            409: error_response("Another write held a lock the merge needed; retry."),
            410: error_response(
                "This event was merged into another already: `merged_into` gives that event's id and URL."
            ),
            412: error_response("This event changed since you read it (If-Match); nothing was changed."),
        },
    )
