"""FactsAutoSchema: drf-spectacular's AutoSchema, plus what it cannot see in the views.

It adds the parameters the base viewset handles itself (`fields`, `format`, described path parameters), the real
shape of CSV and GeoJSON responses (not the JSON page), the 400/404 error bodies of reads, anonymous access where
reads are open, what request fields really accept (facts.api.openapi.fields), and one tag per resource.
"""

import django_filters
from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import permissions

from facts.api.openapi.bodies import (
    EXPORT_BODIES,
    INVALID_EXAMPLE,
    PAGE_NOT_FOUND_EXAMPLE,
    error_response,
    not_found_example,
)
from facts.api.openapi.examples import EXAMPLE_KEYS, page_example
from facts.api.openapi.fields import refine_request_field
from facts.api.openapi.tags import resource_tag
from facts.api.permissions import ReadOpenModelWritePermissions

LOOKUP_DESCRIPTIONS = {
    "slug": "The object's slug, e.g. `antony-blinken` or `nagorno-karabakh`.",
    "code": "The CAMEO code, e.g. `043`.",
    "pk": "The object's id.",
    "id": "The object's id.",
}
FIELDS_DESCRIPTION = (
    "Comma-separated field names to return (all when absent), e.g. `fields=id,title`; also selects the CSV "
    "columns. An unknown name answers 400."
)
FORMAT_DESCRIPTION = (
    "Response format (or use the Accept header): `json` (default, paginated), `csv` (every matching row, streamed, "
    "not paginated) or, for places and events, `geojson` (a FeatureCollection of the matching items that have "
    "coordinates)."
)
INVALID_PARAMETER = error_response(
    "A parameter has an invalid value; the body names it and says why.", INVALID_EXAMPLE, "An invalid parameter"
)
# Permissions that let anyone read: the operations they guard for GET document anonymous access.
READ_OPEN_PERMISSIONS = (ReadOpenModelWritePermissions, permissions.IsAuthenticatedOrReadOnly, permissions.AllowAny)


class FactsAutoSchema(AutoSchema):
    """Adds the base viewset's own parameters, export bodies, error responses and resource tags to operations."""

    def _facts_view(self) -> bool:
        return self.method == "GET" and hasattr(self.view, "selected_fields")

    def get_tags(self):
        """One tag per resource (facts.api.openapi.tags), so that the docs group its operations."""
        basename = getattr(self.view, "basename", None)
        return [resource_tag(basename)] if basename else super().get_tags()

    def get_auth(self):
        """drf-spectacular's security requirements, plus anonymous (`{}`) for reads of a view whose permission lets
        anyone read (facts.api.permissions.ReadOpenModelWritePermissions): the library itself only recognises AllowAny
        and IsAuthenticatedOrReadOnly by their exact class. Writes keep tokenAuth/cookieAuth alone."""
        auths = super().get_auth()
        if (
            self.method in permissions.SAFE_METHODS
            and {} not in auths
            and any(isinstance(permission, READ_OPEN_PERMISSIONS) for permission in self.view.get_permissions())
        ):
            auths.append({})
        return auths

    def _get_parameters(self):
        parameters = super()._get_parameters()
        if self.method != "GET":
            return parameters
        filters = getattr(getattr(self.view, "filterset_class", None), "base_filters", {})
        for parameter in parameters:
            if parameter["in"] != "query" or parameter.get("required"):
                continue
            declared = filters.get(parameter["name"])
            if isinstance(declared, django_filters.MultipleChoiceFilter):
                # `actor=` names no actor: a 400, like any unknown slug. Each given value is a non-empty slug.
                items = parameter["schema"].get("items", {})
                if items.get("type") == "string":
                    items.setdefault("minLength", 1)
            else:
                # Every other parameter given empty (`updated_since=`, `page=`, `type=`) counts as not given.
                parameter["allowEmptyValue"] = True
            if declared is not None:
                self._describe_filter_values(declared, parameter["schema"])
        return parameters

    @staticmethod
    def _describe_filter_values(declared, schema):
        """What a filter's own validators and references allow, in its parameter's schema."""
        target = schema.get("items", schema) if schema.get("type") == "array" else schema
        patterns = [
            validator.regex.pattern
            for validator in declared.extra.get("validators", [])
            if isinstance(validator, RegexValidator) and not validator.inverse_match and not validator.flags
        ]
        if len(patterns) == 1 and target.get("type") == "string":
            target.setdefault("pattern", patterns[0])
        if isinstance(declared, (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)) and (
            target.get("type") == "integer"
        ):
            target.setdefault("minimum", 1)  # an id
            target.setdefault("maximum", 2**63 - 1)

    def _resolve_path_parameters(self, variables):
        # Every path parameter is described, in writes as in reads (the library describes only primary keys).
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if not parameter.get("description"):
                parameter["description"] = LOOKUP_DESCRIPTIONS.get(parameter["name"], "The object's key.")
        return parameters

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not self._facts_view():
            return parameters
        if not self._is_list_view():
            parameters.append(self._lookup_parameter())
        # Only where the view reads it (facts.api.views.FactsViewSet.accepted_params): not an action of one fixed shape.
        if "fields" not in self.view.accepted_params():
            return parameters
        names = list(self.view.get_serializer_class()().fields)
        fields_type = {"type": "array", "items": {"type": "string", "enum": names}}
        parameters.append(
            OpenApiParameter("fields", type=fields_type, style="form", explode=False, description=FIELDS_DESCRIPTION)
        )
        if self._is_list_view():
            formats = ["json"] + [r.format for r in self.view.get_renderers() if r.media_type in EXPORT_BODIES]
            parameters.append(OpenApiParameter("format", enum=formats, description=FORMAT_DESCRIPTION))
        return parameters

    def _lookup_parameter(self) -> OpenApiParameter:
        lookup = getattr(self.view, "lookup_field", "pk")
        return OpenApiParameter(
            lookup if lookup != "pk" else "id",
            location=OpenApiParameter.PATH,
            required=True,
            type=int if lookup == "pk" else str,
            description=LOOKUP_DESCRIPTIONS.get(lookup, "The object's id."),
        )

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and getattr(serializer, "selectable_fields", False):
            # `fields=` can leave out any field, so no field of these responses is required.
            schema.pop("required", None)
        if direction == "request" and hasattr(serializer, "unknown_fields"):
            # facts.api.write_serializers.StrictInputMixin refuses every field it does not know.
            schema["additionalProperties"] = False
        if direction == "request":
            self._require_non_blank(serializer.fields, schema)
        return schema

    @staticmethod
    def _require_non_blank(fields, schema):
        """A required string that cannot be blank says so: drf-spectacular adds minLength for CharFields only, not
        for the other fields that map to strings (dates, related slugs)."""
        for name in schema.get("required", []):
            field, prop = fields.get(name), schema.get("properties", {}).get(name, {})
            if (
                field is not None
                and not field.read_only
                and prop.get("type") == "string"
                and "enum" not in prop
                and "minLength" not in prop
                and not getattr(field, "allow_blank", False)
            ):
                prop["minLength"] = 1

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or field.read_only:
            return schema
        return refine_request_field(field, schema)

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        for media_type, body in EXPORT_BODIES.items():
            if media_type in response.get("content", {}):
                response["content"][media_type] = {"schema": body}
        if status_code.startswith("2") and not response.get("description"):
            response["description"] = "The requested items." if self._is_list_view() else "The requested item."
        return response

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        resource = getattr(self.view, "basename", None)
        if direction == "response" and resource in EXAMPLE_KEYS and self._is_list_view(serializer):
            for entry in examples.values():
                if isinstance(entry.get("value"), dict) and "results" in entry["value"]:
                    # drf-spectacular wraps the item in the paginator's generic envelope; this list's own is known.
                    entry["value"] = page_example(resource)
        return examples

    def _not_found_response(self) -> OpenApiResponse:
        description = "Unknown id or slug, or a page past the last one."
        if self._is_list_view():
            return error_response(description, PAGE_NOT_FOUND_EXAMPLE, "A page past the last one")
        return error_response(description, not_found_example(get_view_model(self.view)), "An unknown object")

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._facts_view():
            not_found = self._not_found_response()
            for status_code, response in (("400", INVALID_PARAMETER), ("404", not_found)):
                responses[status_code] = self._get_response_for_code(
                    response, status_code, ["application/json"], direction
                )
        return responses
