"""Curation: what makes a read-only viewset writable.

`CurationMixin` bundles the write side of a viewset: the write serializer chosen on the action, JSON-only bodies,
ETags (cheap re-reads with If-None-Match -> 304, no lost updates with a stale If-Match -> 412) and deletes that are
refused with 409 while other records depend on the object. Their OpenAPI text (headers and answers) is
facts.api.openapi.curation_schema().
"""

from facts.api.curation.destroy import Conflict, ProtectedDestroyMixin, change_reason
from facts.api.curation.etags import CurationMixin, ETagMixin, PreconditionFailed, etag_of
from facts.api.curation.serializers import JsonOnly, WriteSerializerMixin

__all__ = [
    "Conflict",
    "CurationMixin",
    "ETagMixin",
    "JsonOnly",
    "PreconditionFailed",
    "ProtectedDestroyMixin",
    "WriteSerializerMixin",
    "change_reason",
    "etag_of",
]
