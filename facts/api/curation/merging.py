"""Merging events over HTTP: `POST /api/v1/events/{id}/merge/ {"into": <id>}`, and what a merged id answers.

The merge itself is facts.services.event_merge; here are its body, who may call it (change and delete events:
it changes the target and retires the merged event), If-Match on the merged event, and the answers of a merged
event's id: GET (and HEAD) 301 to the same URL of the event it was merged into, any other method 410 naming it.
"""

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.response import Response

from facts import services
from facts.api.curation.destroy import change_reason
from facts.api.errors import lost_race_error
from facts.api.write_serializers.base import StrictInputMixin, reason_field
from facts.api.write_serializers.fields import ID_MAX, json_type
from facts.models import Event

MERGE_PERMISSIONS = ("facts.change_event", "facts.delete_event")


class MayMerge(permissions.BasePermission):
    """An authenticated user (401 otherwise) who may change and delete events (403 otherwise)."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(MERGE_PERMISSIONS))


class EventIdField(serializers.IntegerField):
    """An event id as a JSON integer only: not "5", not 5.0, not true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            given = (
                "a string" if isinstance(data, str) else "a fraction" if isinstance(data, float) else json_type(data)
            )
            raise serializers.ValidationError(f"Give the id as a whole number, not {given}.")
        return super().to_internal_value(data)


class EventMergeSerializer(StrictInputMixin, serializers.Serializer):
    """The body of a merge: the event to merge into, and why."""

    into = EventIdField(
        min_value=1, max_value=ID_MAX, help_text="Id of the event this one duplicates, which takes its parts."
    )
    reason = reason_field()


class Gone(APIException):
    """410: the event was merged into another; `errors` names the id, the answer's `merged_into` the target."""

    status_code = status.HTTP_410_GONE
    default_detail = "The event was merged into another."
    default_code = "gone"

    def __init__(self, event_id: int, target_id: int, url: str | None):
        super().__init__(
            f"Event {event_id} was merged into event {target_id}; nothing was changed. Use the target "
            f"({url or f'event {target_id}'})."
        )
        self.errors = {"id": [f"Merged into event {target_id}."]}


if TYPE_CHECKING:
    from facts.api.curation.etags import ETagMixin

    _ViewSetBase = ETagMixin  # what the mixin is combined with (through CurationMixin), whose writes it uses
else:
    _ViewSetBase = object


class MergeMixin(_ViewSetBase):
    """EventViewSet's merge and the answers of merged ids (for a viewset of CurationMixin, whose writes it uses)."""

    def handle_exception(self, exc):
        # A merged event is not found by any detail route (FactsViewSet.filter_queryset, planning.live); its id
        # then answers with its target instead of 404.
        if isinstance(exc, (Http404, NotFound)) and (answer := self.merged_answer()) is not None:
            return answer
        return super().handle_exception(exc)

    def merged_answer(self):
        """301 (GET, HEAD) or 410 for a request to a merged event's id; None when the id is not a merged event."""
        pk = self.kwargs.get("pk")
        if not isinstance(pk, str) or not pk.isascii() or not pk.isdigit() or int(pk) > ID_MAX:
            return None
        merged = Event.objects.filter(pk=int(pk)).exclude(merged_into=None).values_list("merged_into", flat=True)
        target_id = merged.first()
        if target_id is None:
            return None
        target = {"id": target_id, "url": self.request.build_absolute_uri(reverse("event-detail", args=[target_id]))}
        if self.request.method in ("GET", "HEAD"):
            url = self.same_url_of(target_id) or target["url"]
            return Response(
                {"merged_into": target}, status=status.HTTP_301_MOVED_PERMANENTLY, headers={"Location": url}
            )
        response = super().handle_exception(Gone(int(pk), target_id, target["url"]))
        response.data["merged_into"] = target
        return response

    def same_url_of(self, target_id: int) -> str | None:
        """This request's URL (route and query string) for the event `target_id`."""
        request = self.request
        match = request.resolver_match
        if match is None:
            return None
        try:
            path = reverse(match.view_name, kwargs={**match.kwargs, "pk": target_id})
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING", "")
        return request.build_absolute_uri(path + (f"?{query}" if query else ""))

    def merge_into(self, request):
        """Merge the event of the URL into the body's `into`; the answer is the target as a GET returns it."""
        body = EventMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        into, reason = body.validated_data["into"], body.validated_data.get("reason") or change_reason(request)
        event = self.get_object()
        try:
            with transaction.atomic():
                # Both rows locked in id order before If-Match is compared: the ETag checked is the one merged.
                services.events_locked(event.pk, into)
                self.check_if_match(self.read_object(event.pk))
                target = services.event_merge(event=event.pk, into=into, user=request.user, reason=reason)
        except services.FactValidationError as exc:
            raise ValidationError(exc.detail) from exc
        except IntegrityError as exc:
            raise lost_race_error(exc, None) from exc
        return self.written_response(target)
