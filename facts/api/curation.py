"""ETags on detail responses: cheap re-reads (If-None-Match -> 304) and no lost updates (stale If-Match -> 412).

The ETag is a hash of the object's read representation (what GET returns as data), so it changes whenever anything
a client sees changes, including nested parts such as participants, aliases or evidence. PUT, PATCH and DELETE
compare If-Match with the ETag of the row as it is *after* locking it (SELECT ... FOR UPDATE inside the write's
transaction), so two clients that read the same version cannot both write: the second gets 412 and nothing changes.

`CurationMixin` bundles everything a read-only viewset needs to become writable; `curation_schema()` documents the
headers and answers for drf-spectacular.
"""

import hashlib
import json
from contextlib import contextmanager

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from facts.api.errors import lost_race_error
from facts.api.permissions import CHANGE_REASON_HEADER, Conflict, ProtectedDestroyMixin
from facts.api.write_serializers import WriteSerializerMixin
from facts.services import DependentsExist, dependents_of


def etag_of(data) -> str:
    """A strong ETag (quoted) for serialized data: the same data always gives the same tag."""
    payload = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40] + '"'


def _tags(header: str) -> list[str]:
    return parse_etags(header) if header else []


class PreconditionFailed(APIException):
    """412: the If-Match ETag is not the object's current one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The object has changed since you read it."
    default_code = "precondition_failed"

    def __init__(self, current_etag: str):
        super().__init__(
            "The object has changed since you read it (If-Match does not match its current ETag), so nothing was "
            "changed. Read it again, reapply your change and send the new ETag."
        )
        self.current_etag = current_etag
        # `errors` is what the project's exception handler puts in the body next to `detail`.
        self.errors = {"If-Match": [f"Stale ETag; the current one is {current_etag}."]}


class ETagMixin:
    """Viewset mixin: ETag on retrieve, 304 for a matching If-None-Match, 412 for a stale If-Match on writes.

    Writes without If-Match are accepted (the header is how a client opts in to lost-update protection).
    Create and update answer with the read representation, its ETag, and (on create) the Location of the object.
    """

    @contextmanager
    def acting_as(self, action: str):
        """Run as if `action` were the request's action: querysets and serializers often differ by action."""
        previous = self.action
        self.action = action
        try:
            yield
        finally:
            self.action = previous

    def read_serializer(self, instance, **kwargs):
        """The serializer GET uses for this object, whatever action is running (kwargs go to get_serializer)."""
        with self.acting_as("retrieve"):
            self._reading = True
            try:
                return self.get_serializer(instance, **kwargs)
            finally:
                self._reading = False

    def read_object(self, pk):
        """The object as GET loads it (same joins, prefetches and annotations), found by primary key."""
        with self.acting_as("retrieve"):
            try:
                return self.get_queryset().get(pk=pk)
            except ObjectDoesNotExist:
                # Another request deleted it after this one found it (between lookup and lock): gone, not an error.
                raise NotFound("The object was deleted by another request.") from None

    def etag_for(self, instance) -> str:
        """The object's ETag: that of its full read representation, what GET returns without a `fields=` selection.

        It is the only ETag the API hands out and the only one If-Match is compared with. A tag of a selection
        would not do: that of `fields=id` never changes, so a write based on a stale read would pass.
        """
        # Viewsets that take a `fields=` selection (facts.api.views.FactsViewSet) read "no selection" as fields=None.
        full = {"fields": None} if hasattr(self, "selected_fields") else {}
        return etag_of(self.read_serializer(instance, **full).data)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if getattr(self, "selected_fields", lambda: None)() is None:
            etag = etag_of(response.data)  # the answer is the full representation: no need to build it again
        else:
            etag = self.etag_for(self.get_object())
        wanted = {tag.removeprefix("W/") for tag in _tags(request.headers.get("If-None-Match", ""))}
        if etag in wanted or "*" in wanted:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        response["ETag"] = etag
        return response

    def get_locked_object(self):
        """The object, re-read after locking its row, so the If-Match check and the write see the same version."""
        instance = self.get_object()
        model = type(instance)
        # Locking by primary key alone: FOR UPDATE cannot apply to outer joins or DISTINCT of the view's queryset.
        list(model._default_manager.select_for_update().filter(pk=instance.pk).values_list("pk", flat=True))
        return self.read_object(instance.pk)

    def check_if_match(self, instance) -> None:
        header = self.request.headers.get("If-Match", "")
        if not header:
            return
        tags = _tags(header)
        if "*" in tags:
            return
        current = self.etag_for(instance)
        if current not in tags:
            raise PreconditionFailed(current)

    def read_response(self, instance, status_code=status.HTTP_200_OK, location=False) -> Response:
        # Re-read through the view's queryset so the answer has the same shape (and prefetches) as a GET.
        fresh = self.read_object(instance.pk)
        data = self.read_serializer(fresh).data
        selected = getattr(self, "selected_fields", lambda: None)() is not None
        headers = {"ETag": self.etag_for(fresh) if selected else etag_of(data)}
        if location:
            try:
                lookup = self.lookup_url_kwarg or self.lookup_field
                headers["Location"] = self.reverse_action("detail", kwargs={lookup: getattr(fresh, self.lookup_field)})
            except NoReverseMatch:
                pass
        return Response(data, status=status_code, headers=headers)

    # Writes and races. Unique values taken by a concurrent write are named where the row is saved
    # (facts.integrity.save). Foreign keys are DEFERRABLE INITIALLY DEFERRED on both databases, so a reference
    # another request deleted meanwhile (an event's participant, an evidence source) is refused only at COMMIT:
    # when the outermost transaction.atomic() below exits (ATOMIC_REQUESTS is off). That exit is where it is
    # caught, rather than forcing the check earlier with SET CONSTRAINTS ALL IMMEDIATE: catching at the commit
    # covers both databases (SQLite cannot make deferred keys immediate; PRAGMA foreign_key_check reads whole
    # tables) and every deferred rule, with one code path. What went missing is then found by re-reading after the
    # rollback, which sees the other request's committed delete (facts.api.errors.lost_race_error).

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                self.perform_create(serializer)
        except IntegrityError as exc:
            raise lost_race_error(exc, serializer.validated_data) from exc
        return self.read_response(serializer.instance, status.HTTP_201_CREATED, location=True)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = None
        try:
            with transaction.atomic():
                instance = self.get_locked_object()
                self.check_if_match(instance)
                serializer = self.get_serializer(instance, data=request.data, partial=partial)
                serializer.is_valid(raise_exception=True)
                self.perform_update(serializer)
        except IntegrityError as exc:
            raise lost_race_error(exc, serializer.validated_data if serializer is not None else None) from exc
        return self.read_response(serializer.instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        instance = None
        try:
            with transaction.atomic():
                instance = self.get_locked_object()
                self.check_if_match(instance)
                self.perform_destroy(instance)
        except IntegrityError as exc:
            # A reference to the object committed after the dependents check (a deferred key refuses the delete at
            # COMMIT): re-read after the rollback, it is a dependent like any other, refused with 409 listing it.
            dependents = dependents_of(instance) if instance is not None else []
            if not dependents:
                raise lost_race_error(exc, None) from exc
            refused = DependentsExist(instance, dependents)
            raise Conflict(
                f"Cannot delete {instance._meta.verbose_name} “{instance}”: {refused.summary} refer to it. "
                "Delete or re-point them first; nothing was deleted.",
                dependents,
            ) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_create(self, serializer):
        serializer.save()

    def perform_update(self, serializer):
        serializer.save()

    def perform_destroy(self, instance):
        instance.delete()


class CurationMixin(ProtectedDestroyMixin, ETagMixin, WriteSerializerMixin):
    """Makes a read-only model viewset writable: POST, PUT, PATCH, DELETE with ETags, refused deletions and history.

    Put it first in the bases, e.g. ``class EventViewSet(CurationMixin, viewsets.ReadOnlyModelViewSet)``; the router
    then routes the write methods. `write_serializer_class` defaults to the model's serializer in
    facts.api.write_serializers.WRITE_SERIALIZERS.
    """


# --- OpenAPI documentation ------------------------------------------------------------------------------------

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
PRECONDITION_FAILED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Precondition failed: the object changed since you read it (the message under "
    "`errors.If-Match` gives its current ETag). Nothing was changed.",
)
BAD_REQUEST = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Invalid input: every bad field is named, nested ones by position. Nothing was written.",
)
UNAUTHENTICATED = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Not authenticated: send `Authorization: Token <key>` (or use a session with CSRF).",
)
FORBIDDEN = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Authenticated, but without the model permission (add/change/delete) this write needs.",
)
NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, description="No such object.")
CONFLICT = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Other records depend on the object (listed under `dependents`); nothing was deleted.",
)


def curation_schema(read_serializer, write_serializer) -> dict:
    """Keyword arguments for `extend_schema_view(...)` documenting the write methods and the ETag headers.

    Usage: ``@extend_schema_view(**curation_schema(EventSerializer, EventWriteSerializer))``.
    """
    return {
        "retrieve": extend_schema(
            parameters=[IF_NONE_MATCH, ETAG_RESPONSE_HEADER],
            responses={200: read_serializer, 304: NOT_MODIFIED, 404: NOT_FOUND},
        ),
        "create": extend_schema(
            request=write_serializer,
            parameters=[ETAG_RESPONSE_HEADER],
            responses={201: read_serializer, 400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN},
        ),
        "update": extend_schema(
            request=write_serializer,
            parameters=[IF_MATCH, ETAG_RESPONSE_HEADER],
            responses={
                200: read_serializer,
                400: BAD_REQUEST,
                401: UNAUTHENTICATED,
                403: FORBIDDEN,
                404: NOT_FOUND,
                412: PRECONDITION_FAILED,
            },
        ),
        "partial_update": extend_schema(
            request=write_serializer,
            parameters=[IF_MATCH, ETAG_RESPONSE_HEADER],
            responses={
                200: read_serializer,
                400: BAD_REQUEST,
                401: UNAUTHENTICATED,
                403: FORBIDDEN,
                404: NOT_FOUND,
                412: PRECONDITION_FAILED,
            },
        ),
        "destroy": extend_schema(
            parameters=[IF_MATCH, CHANGE_REASON],
            responses={
                204: OpenApiResponse(description="Deleted, with the parts it owns."),
                401: UNAUTHENTICATED,
                403: FORBIDDEN,
                404: NOT_FOUND,
                409: CONFLICT,
                412: PRECONDITION_FAILED,
            },
        ),
    }
