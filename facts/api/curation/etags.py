"""ETags on detail responses: cheap re-reads (If-None-Match -> 304) and no lost updates (stale If-Match -> 412).

The ETag is a hash of the object's read representation (what GET returns as data), so it changes whenever anything
a client sees changes, including nested parts such as participants, aliases or evidence. PUT, PATCH and DELETE
compare If-Match with the ETag of the row as it is *after* locking it (SELECT ... FOR UPDATE inside the write's
transaction), so two clients that read the same version cannot both write: the second gets 412 and nothing changes.
"""

import hashlib
import json
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch
from django.utils.cache import get_conditional_response
from django.utils.http import parse_etags
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from facts.api.curation.destroy import ProtectedDestroyMixin
from facts.api.curation.serializers import WriteSerializerMixin
from facts.api.errors import lost_race_error
from facts.selectors.querysets import detail_queryset


def etag_of(data) -> str:
    """A strong ETag (quoted) for serialized data: the same data always gives the same tag."""
    payload = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40] + '"'


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


if TYPE_CHECKING:
    from facts.api.reading import FactsViewSet

    _ViewSetBase = FactsViewSet  # what the mixin is combined with, whose read side it uses
else:
    _ViewSetBase = object


class ETagMixin(_ViewSetBase):
    """Viewset mixin: ETag on retrieve, 304 for a matching If-None-Match, 412 for a stale If-Match on writes.

    Writes without If-Match are accepted (the header is how a client opts in to lost-update protection).
    Create and update answer with what a GET of the object returns (`read_response`), its ETag, and (on create) the
    Location of the object. For a viewset of facts.api.reading.FactsViewSet, whose read side it uses.
    """

    # The read side is the viewset's own (facts.api.reading.FactsViewSet): `read_data(pk, fields)` is what GET answers
    # for an object and `read_response(instance)` what a GET of it returns. Writes answer with them, so that a
    # write's answer is a GET's, whatever the running action and method.

    def read_object(self, pk):
        """The object as GET loads it (its detail queryset: joins, prefetches, full text), found by primary key."""
        try:
            return detail_queryset(self.get_queryset()).get(pk=pk)
        except ObjectDoesNotExist:
            # Another request deleted it after this one found it (between lookup and lock): gone, not an error.
            raise NotFound("The object was deleted by another request.") from None

    def etag_for(self, instance) -> str:
        """The object's ETag: that of its full read representation, what GET returns without a `fields=` selection.

        It is the only ETag the API hands out and the only one If-Match is compared with. A tag of a selection
        would not do: that of `fields=id` never changes, so a write based on a stale read would pass.
        """
        return etag_of(self.read_data(instance.pk, None))

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if self.selected_fields() is None:
            etag = etag_of(response.data)  # the answer is the full representation: no need to build it again
        else:
            etag = self.etag_for(self.get_object())
        response["ETag"] = etag
        # If-None-Match as Django's conditional GET reads it: weak comparison, "*" matches, 304 keeps the ETag. Django
        # also answers a GET whose If-Match does not match with a bare 412; it gets the API's JSON 412 instead.
        conditional = get_conditional_response(request, etag=etag, response=response)
        if conditional.status_code == status.HTTP_412_PRECONDITION_FAILED:
            raise PreconditionFailed(etag)
        return conditional

    def written_response(self, instance, status_code=status.HTTP_200_OK, location=False) -> Response:
        """The answer to a create or update: what a GET returns, with its ETag, the write's status and (on create)
        the Location of the object."""
        response = self.read_response(instance)
        response.status_code = status_code
        selected = self.selected_fields() is not None
        response["ETag"] = self.etag_for(instance) if selected else etag_of(response.data)
        if location:
            try:
                lookup = self.lookup_url_kwarg or self.lookup_field
                response["Location"] = self.reverse_action(
                    "detail", kwargs={lookup: getattr(instance, self.lookup_field)}
                )
            except NoReverseMatch:
                pass
        return response

    def get_locked_object(self):
        """The object, read once its row is locked, so the If-Match check and the write see the same version.

        The row is locked by the URL's key first and then loaded, once, as GET loads it: locking a loaded object
        and reading it again cost one more query per write (32 against 31 for a PATCH, `python -m bench.anatomy`).
        """
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        # Locking by the key alone: FOR UPDATE cannot apply to outer joins or DISTINCT of the view's queryset. DRF's
        # get_object_or_404 answers a missing object, or a key of the wrong type, as get_object() does.
        # filter_queryset: what get_object() would find (a merge's tombstone is not: its answer is a 410).
        model = self.get_queryset().model
        rows = self.filter_queryset(model._default_manager.all()).select_for_update().values_list("pk", flat=True)
        instance = self.read_object(get_object_or_404(rows, **lookup))
        self.check_object_permissions(self.request, instance)
        return instance

    def check_if_match(self, instance) -> None:
        header = self.request.headers.get("If-Match", "")
        if not header:
            return
        tags = parse_etags(header)  # none when malformed: then no ETag matches
        if "*" in tags:
            return
        current = self.etag_for(instance)
        if current not in tags:
            raise PreconditionFailed(current)

    # Writes and races. Unique values taken by a concurrent write are named where the row is saved
    # (facts.integrity.save). Foreign keys are DEFERRABLE INITIALLY DEFERRED on both databases, so a reference
    # another request deleted meanwhile (an event's participant, an evidence source) is refused only at COMMIT:
    # when the outermost transaction.atomic() below exits (ATOMIC_REQUESTS is off). That exit is where it is
    # caught, rather than forcing the check earlier with SET CONSTRAINTS ALL IMMEDIATE: catching at the commit
    # covers both databases (SQLite cannot make deferred keys immediate; PRAGMA foreign_key_check reads whole
    # tables) and every deferred rule, with one code path. What went missing is then found by re-reading after the
    # rollback, which sees the other request's committed delete (facts.api.errors.lost_race_error).

    def create(self, request, *args, **kwargs):
        return self.written_response(self.create_instance(request), status.HTTP_201_CREATED, location=True)

    def create_instance(self, request):
        """The object the request's body describes, validated and written in one transaction."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                self.perform_create(serializer)
        except IntegrityError as exc:
            raise lost_race_error(exc, serializer.validated_data) from exc
        return serializer.instance

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
        return self.written_response(serializer.instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save()

    def perform_update(self, serializer):
        serializer.save()


class CurationMixin(ProtectedDestroyMixin, ETagMixin, WriteSerializerMixin):
    """Makes a read-only model viewset writable: POST, PUT, PATCH, DELETE with ETags, refused deletions and history.

    Put it first in the bases, e.g. ``class EventViewSet(CurationMixin, viewsets.ReadOnlyModelViewSet)``; the router
    then routes the write methods. `write_serializer_class` defaults to the model's serializer in
    facts.api.write_serializers.WRITE_SERIALIZERS.
    """
