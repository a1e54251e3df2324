"""Who may write, and what may be deleted.

Reading is open to everyone. Writing needs an authenticated user (401 otherwise) holding the matching Django model
permission: add for POST, change for PUT/PATCH, delete for DELETE (403 otherwise). Deleting something that facts
still depend on is refused with 409 and the list of what depends on it.
"""

from django.utils.encoding import force_str
from rest_framework import permissions, status
from rest_framework.exceptions import APIException, ValidationError

from facts.services import DependentsExist, FactValidationError, instance_delete

CHANGE_REASON_HEADER = "X-Change-Reason"


class ReadOpenModelWritePermissions(permissions.DjangoModelPermissions):
    """Safe methods for anyone; writes need authentication and the model's add/change/delete permission.

    Anonymous writes fail the check without an authenticator having succeeded, so DRF answers 401 with the
    `WWW-Authenticate: Token` challenge (TokenAuthentication comes first in the settings); authenticated users
    without the permission get 403.
    """

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            # Views without a model queryset (API root, changes feed, schema) are read-only and open.
            return True
        if getattr(view, "_ignore_model_permissions", False):
            return bool(request.user and request.user.is_authenticated)
        return super().has_permission(request, view)


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


def change_reason(request) -> str:
    """The curator's reason for a change, from the X-Change-Reason header (the only place a DELETE can carry it)."""
    return force_str(request.headers.get(CHANGE_REASON_HEADER, "")).strip()


class ProtectedDestroyMixin:
    """Viewset mixin: DELETE refuses with 409 when other records depend on the object, and never cascades silently.

    The answer names each dependent kind with its count and ids, e.g. ``{"status": 409, "code": "conflict",
    "detail": "...", "errors": {"dependents": [{"model": "statement", "field": "speaker", "count": 2, "ids": [4]}]}}``.
    Parts the object owns (an event's participants and evidence, an actor's aliases) are deleted with it, each with
    a history record carrying the user and the `X-Change-Reason` header.
    """

    def perform_destroy(self, instance):
        try:
            instance_delete(instance=instance, user=self.request.user, reason=change_reason(self.request))
        except DependentsExist as exc:
            raise Conflict(
                f"Cannot delete {exc.instance._meta.verbose_name} “{exc.instance}”: {exc.summary} refer to it. "
                "Delete or re-point them first; nothing was deleted.",
                exc.dependents,
            ) from exc
        except FactValidationError as exc:
            raise ValidationError({CHANGE_REASON_HEADER: exc.detail.get("reason", exc.messages)}) from exc
