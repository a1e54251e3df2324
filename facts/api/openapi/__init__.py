"""All the OpenAPI text of the API, in one package: what drf-spectacular cannot derive from the views.

- schema: FactsAutoSchema (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): parameters, bodies, security, tags.
- fields: what request fields really accept (check constraints, strict decimals, trimmed strings, `external`).
- bodies: the error shape and its variants, the CSV and GeoJSON export bodies.
- examples: one worked example per resource, built from the article fixtures.
- writes: the write methods' headers (ETag, If-Match) and answers (curation_schema).
- pages: the page envelope and the pagination parameters (for facts.api.pagination).
- operations: the operations that are no resource's list, detail or write (an event's claims and merge, the
  changes feed).
- tags: one tag per resource, with its description.
- hooks: the postprocessing hooks (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]).

Other modules import from here, e.g. ``from facts.api.openapi import curation_schema, resource_schema``.
"""

from facts.api.openapi.examples import resource_schema
from facts.api.openapi.hooks import (
    describe_blank_enum,
    document_error_responses,
    document_http_caching,
    document_tags,
    link_created_objects,
)
from facts.api.openapi.operations import changes_schema, claims_schema, duplicates_schema, merge_schema
from facts.api.openapi.schema import FactsAutoSchema
from facts.api.openapi.writes import curation_schema

__all__ = [
    "FactsAutoSchema",
    "changes_schema",
    "claims_schema",
    "duplicates_schema",
    "curation_schema",
    "describe_blank_enum",
    "document_error_responses",
    "document_http_caching",
    "document_tags",
    "link_created_objects",
    "merge_schema",
    "resource_schema",
]
