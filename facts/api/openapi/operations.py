"""OpenAPI text of the operations that are not a resource's list, detail or writes."""

from drf_spectacular.utils import extend_schema

from facts.api.openapi.bodies import error_response

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
        responses={200: serializer},
        filters=False,
    )


def duplicates_schema(serializer):
    """`/events/{id}/duplicates/` (facts.api.views.EventViewSet.duplicates), answered with `serializer`."""
    return extend_schema(
        summary="Probable duplicates of the event",
        description="Stored events that probably report the same event: the same CAMEO root, overlapping dates and "
        "a shared participant, plus a similar title or overlapping evidence (facts.duplicates). Each names the rules "
        "it meets. The same check names them in the 201 of a create (`possible_duplicates`) and in the admin.",
        responses={200: serializer},
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
