"""Who may write.

Reading is open to everyone. Writing needs an authenticated user (401 otherwise) holding the matching Django model
permission: add for POST, change for PUT/PATCH, delete for DELETE (403 otherwise). What may be deleted (nothing
that facts still depend on: 409) is facts.api.curation.destroy's to say.
"""

from rest_framework import permissions

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
