"""DELETE that refuses with 409 while other records depend on the object, and never cascades silently."""

from django.db import IntegrityError, transaction
from django.utils.encoding import force_str
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from facts.api.errors import lost_race_error
from facts.api.permissions import CHANGE_REASON_HEADER
from facts.services import DependentsExist, FactValidationError, dependents_of, instance_delete


class Conflict(APIException):
    """409: the request conflicts with the current state of other records.

    `errors` (put in the body by the project's exception handler) lists what depends on the object.
    """

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the data."
    default_code = "conflict"

    def __init__(self, detail: str, dependents: list[dict]):
        super().__init__(detail)
        self.errors = {"dependents": dependents}

    @classmethod
    def refused(cls, refusal: DependentsExist) -> "Conflict":
        """The 409 for a delete refused because of `refusal`'s dependents."""
        instance = refusal.instance
        return cls(
            f"Cannot delete {instance._meta.verbose_name} “{instance}”: {refusal.summary} refer to it. "
            "Delete or re-point them first; nothing was deleted.",
            refusal.dependents,
        )


def change_reason(request) -> str:
    """The curator's reason for a change, from the X-Change-Reason header (the only place a DELETE can carry it)."""
    return force_str(request.headers.get(CHANGE_REASON_HEADER, "")).strip()


class ProtectedDestroyMixin:
    """Viewset mixin: DELETE refuses with 409 when other records depend on the object, and never cascades silently.

    DELETE locks the row and honours If-Match (facts.api.curation.etags.ETagMixin, which it needs). The answer
    names each dependent kind with its count and ids, e.g. ``{"status": 409, "code": "conflict",
    "detail": "...", "errors": {"dependents": [{"model": "statement", "field": "speaker", "count": 2, "ids": [4]}]}}``.
    Parts the object owns (an event's participants and evidence, an actor's aliases) are deleted with it, each with
    a history record carrying the user and the `X-Change-Reason` header.
    """

    def destroy(self, request, *args, **kwargs):
        # get_locked_object() and check_if_match() come from facts.api.curation.etags.ETagMixin.
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
            raise Conflict.refused(DependentsExist(instance, dependents)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance):
        try:
            instance_delete(instance=instance, user=self.request.user, reason=change_reason(self.request))
        except DependentsExist as exc:
            raise Conflict.refused(exc) from exc
        except FactValidationError as exc:
            raise ValidationError({CHANGE_REASON_HEADER: exc.detail.get("reason", exc.messages)}) from exc
