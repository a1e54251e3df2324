"""OpenAPI additions for the read API: `fields`/`format` parameters, export media types, errors, worked examples.

drf-spectacular derives almost everything from the viewsets, serializers and filtersets; this module adds what it
cannot see: parameters the base viewset handles itself, the real shape of CSV and GeoJSON responses (not the JSON
page), the 400/404 error bodies, and one example per resource taken from the article fixtures.
"""

import django_filters
from django.core.validators import RegexValidator
from django.db.models import CheckConstraint, Q
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers

from facts.api.permissions import ReadOpenModelWritePermissions
from facts.api.write_serializers import EXTERNAL_VALUE_MAX, ExternalField, StrictDecimalField

BASE = "http://127.0.0.1:8000/api/v1"
SOURCE_REF = {"id": 1, "title": "US Hosts Armenia-Azerbaijan Peace Talks", "url": f"{BASE}/sources/1/"}

VALIDATION_ERROR = {
    "type": "object",
    "description": "The request's parameters are invalid: each key names a parameter, with the reasons.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"page_size": ["Must be from 1 to 500; got 1000."]},
}
NOT_FOUND = {
    "type": "object",
    "description": "No such object, or no such page.",
    "properties": {"detail": {"type": "string", "description": "What was not found."}},
    "required": ["detail"],
    "example": {"detail": "No Actor matches the given query."},
}
CSV_BODY = {
    "type": "string",
    "description": "CSV with a header row of field names and one row per item (every matching item, not one page). "
    "References appear as slugs, codes or ids; participants as slug:role; evidence as quotes; "
    "several values in one cell are joined with ` | `.",
}
GEOJSON_BODY = {
    "type": "object",
    "description": "A GeoJSON (RFC 7946) FeatureCollection of every matching item that has coordinates "
    "(events take their place's); each feature's properties are the item's JSON fields.",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"], "description": "Always FeatureCollection."},
        "features": {
            "type": "array",
            "description": "One Point feature per item.",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"], "description": "Always Feature."},
                    "id": {"description": "The item's slug or id.", "oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "geometry": {
                        "type": "object",
                        "description": "A Point at [longitude, latitude] (WGS84, approximate).",
                        "properties": {
                            "type": {"type": "string", "enum": ["Point"], "description": "Always Point."},
                            "coordinates": {
                                "type": "array",
                                "items": {"type": "number"},
                                "minItems": 2,
                                "maxItems": 2,
                                "description": "[longitude, latitude].",
                            },
                        },
                    },
                    "properties": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": "The item's fields, as in the JSON list.",
                    },
                },
            },
        },
    },
}
LOOKUP_DESCRIPTIONS = {
    "slug": "The object's slug, e.g. `antony-blinken` or `nagorno-karabakh`.",
    "code": "The CAMEO code, e.g. `043`.",
    "pk": "The object's id.",
    "id": "The object's id.",
}
EXPORT_BODIES = {"text/csv": CSV_BODY, "application/geo+json": GEOJSON_BODY}
# The characters str.strip() removes (str.isspace()), as a regular expression class body that reads the same in
# Python and ECMAScript: a value of only these is blank once trimmed.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Permissions that let anyone read: the operations they guard for GET document anonymous access.
READ_OPEN_PERMISSIONS = (ReadOpenModelWritePermissions, permissions.IsAuthenticatedOrReadOnly, permissions.AllowAny)


def constraint_pattern(model, name: str) -> tuple[str, bool] | None:
    """The regular expression a check constraint of `model` holds field `name` to, and whether it also allows
    blank, or None.

    Recognises `Q(name__regex=R)` and `Q(name="") | Q(name__regex=R)`.
    """
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if not isinstance(constraint, CheckConstraint) or not isinstance(condition, Q) or condition.negated:
            continue
        children = condition.children
        regexes = [
            value
            for child in children
            if isinstance(child, tuple)
            for lookup, value in [child]
            if lookup == f"{name}__regex"
        ]
        blank = (name, "") in children
        if len(regexes) == 1 and len(children) == 1 + blank and (blank is False or condition.connector == Q.OR):
            return regexes[0], blank
    return None


class FactsAutoSchema(AutoSchema):
    """Adds the base viewset's own parameters, export bodies and error responses to each read operation."""

    def _facts_view(self) -> bool:
        return self.method == "GET" and hasattr(self.view, "selected_fields")

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
            lookup = getattr(self.view, "lookup_field", "pk")
            parameters.append(
                OpenApiParameter(
                    lookup if lookup != "pk" else "id",
                    location=OpenApiParameter.PATH,
                    required=True,
                    type=int if lookup == "pk" else str,
                    description=LOOKUP_DESCRIPTIONS.get(lookup, "The object's id."),
                )
            )
        # Only where the view reads it (facts.api.views.FactsViewSet.accepted_params): not an action of one fixed shape.
        if "fields" not in self.view.accepted_params():
            return parameters
        names = list(self.view.get_serializer_class()().fields)
        parameters.append(
            OpenApiParameter(
                "fields",
                type={"type": "array", "items": {"type": "string", "enum": names}},
                style="form",
                explode=False,
                description="Comma-separated field names to return (all when absent), e.g. `fields=id,title`; also "
                "selects the CSV columns. An unknown name answers 400.",
            )
        )
        if self._is_list_view():
            formats = ["json"] + [r.format for r in self.view.get_renderers() if r.media_type in EXPORT_BODIES]
            parameters.append(
                OpenApiParameter(
                    "format",
                    enum=formats,
                    description="Response format (or use the Accept header): `json` (default, paginated), `csv` (every "
                    "matching row, streamed, not paginated) or, for places and events, `geojson` (a "
                    "FeatureCollection of the matching items that have coordinates).",
                )
            )
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and getattr(serializer, "selectable_fields", False):
            # `fields=` can leave out any field, so no field of these responses is required.
            schema.pop("required", None)
        if direction == "request" and hasattr(serializer, "unknown_fields"):
            # facts.api.write_serializers.StrictInputMixin refuses every field it does not know.
            schema["additionalProperties"] = False
        if direction == "request":
            # A required string that cannot be blank says so: drf-spectacular adds minLength for CharFields only,
            # not for the other fields that map to strings (dates, related slugs).
            fields = serializer.fields
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
        return schema

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or field.read_only:
            return schema
        model = getattr(field, "model", None) or getattr(getattr(field.parent, "Meta", None), "model", None)
        # A pattern of the field's own validators is added later (AutoSchema._insert_field_validators).
        own_pattern = any(isinstance(validator, RegexValidator) for validator in field.validators)
        if isinstance(field, ExternalField) and model is not None:
            # `external` names fields of its own model only, each with an origin that is not blank and holds no
            # NUL (ExternalData.clean).
            origin = {
                "type": "string",
                "minLength": 1,
                "maxLength": EXTERNAL_VALUE_MAX,
                "pattern": f"^[^\\x00]*[^\\x00{WHITESPACE}][^\\x00]*$",
                "description": "Where the field's value comes from.",
            }
            names = [f.name for f in model._meta.concrete_fields]
            example = next((name for name in ("country_code", "published", "latitude") if name in names), names[-1])
            schema = {
                **schema,
                "properties": {name: origin for name in names},
                "additionalProperties": False,
                "example": {example: "Supplied by the curators."},
            }
        elif isinstance(field, StrictDecimalField):
            # A JSON number or a plain decimal string, within the field's digits (facts.api.write_serializers).
            whole, places = field.max_digits - field.decimal_places, field.decimal_places
            forms = [
                {
                    "type": "number",
                    "minimum": -(10**whole),
                    "maximum": 10**whole,
                    "exclusiveMinimum": True,
                    "exclusiveMaximum": True,
                },
                {"type": "string", "pattern": f"^-?0*[0-9]{{1,{whole}}}(\\.[0-9]{{1,{places}}})?$"},
            ]
            if field.allow_null:
                forms.append({"type": "string", "maxLength": 0, "description": "None."})
            schema = {key: schema[key] for key in ("description", "nullable") if key in schema}
            schema["oneOf"] = forms
        elif (
            schema.get("type") == "string"
            and "pattern" not in schema
            and not own_pattern
            and (constrained := constraint_pattern(model, field.source) if model is not None else None)
        ):
            # The model's check constraint on the field's format (a CAMEO code, an ISO country code). A blank value
            # it allows is stated by drf-spectacular for a field that allows blank (a `maxLength: 0` alternative).
            pattern, blank = constrained
            schema["pattern"] = f"^$|{pattern}" if blank and not getattr(field, "allow_blank", False) else pattern
        elif (
            isinstance(field, serializers.CharField)
            and field.trim_whitespace
            and schema.get("type") == "string"
            and (not field.allow_blank or (field.min_length or 0) >= 1)
            and "pattern" not in schema
            and not own_pattern
        ):
            # The string is trimmed before its length is checked: it needs a character that is not white space.
            schema["pattern"] = f"[^{WHITESPACE}]"
        return schema

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        for media_type, body in EXPORT_BODIES.items():
            if media_type in response.get("content", {}):
                response["content"][media_type] = {"schema": body}
        if status_code.startswith("2") and not response.get("description"):
            response["description"] = "The requested items." if self._is_list_view() else "The requested item."
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._facts_view():
            json_only = ["application/json"]
            responses["400"] = self._get_response_for_code(VALIDATION_ERROR, "400", json_only, direction)
            responses["400"]["description"] = "A parameter has an invalid value; the body names it and says why."
            responses["404"] = self._get_response_for_code(NOT_FOUND, "404", json_only, direction)
            responses["404"]["description"] = "Unknown id or slug, or a page past the last one."
        return responses


def evidence(quote: str, start: int) -> dict:
    return {"quote": quote, "start": start, "end": start + len(quote), "source": SOURCE_REF}


def actor_ref(slug, name, kind):
    return {"slug": slug, "name": name, "kind": kind, "url": f"{BASE}/actors/{slug}/"}


def place_ref(slug, name, kind):
    return {"slug": slug, "name": name, "kind": kind, "url": f"{BASE}/places/{slug}/"}


EXAMPLES = {
    "source": {
        "id": 1,
        "url": f"{BASE}/sources/1/",
        "slug": "us-hosts-armenia-azerbaijan-peace-talks",
        "title": "US Hosts Armenia-Azerbaijan Peace Talks",
        "publisher": "",
        "source_url": None,
        "published": "2023-05-01",
        "language": "en",
        "checksum": "3248d2ee7ebb0e6a…",
        "external": {"published": "Publication date supplied as metadata."},
    },
    "actor": {
        "slug": "vedant-patel",
        "url": f"{BASE}/actors/vedant-patel/",
        "name": "Vedant Patel",
        "kind": "person",
        "country_code": "",
        "description": "State Department spokesman.",
        "aliases": [
            {
                "name": "Vedant Patel",
                "kind": "name",
                "external": {},
                "evidence": [evidence("State Department spokesman Vedant Patel", 1232)],
            },
            {"name": "Patel", "kind": "surname", "external": {}, "evidence": [evidence("Patel added", 1377)]},
        ],
        "external": {},
    },
    "place": {
        "slug": "lachin-corridor",
        "url": f"{BASE}/places/lachin-corridor/",
        "name": "Lachin Corridor",
        "kind": "corridor",
        "parent": place_ref("azerbaijan", "Azerbaijan", "country"),
        "latitude": 39.6,
        "longitude": 46.5,
        "coordinates_approximate": True,
        "country_code": "",
        "description": "The only land link between Armenia and Nagorno-Karabakh.",
        "external": {"latitude": "Approximate coordinates", "longitude": "Approximate coordinates"},
    },
    "event-type": {
        "code": "043",
        "url": f"{BASE}/event-types/043/",
        "label": "Host a visit",
        "description": "External: CAMEO event codebook, version 1.1b3 (Schrodt, Penn State Event Data Project, 2012); "
        "second-level code. Not from any source article. PLOVER category and mode (external): from the "
        "PLOVER project's CAMEO-to-PLOVER table (openeventdata/PLOVER, CAMEO2PLOVER-2021.txt, for the "
        "PLOVER manual draft 0.8, 2021).",
        "plover_category": "CONSULT",
        "plover_mode": "visit",
        "event_count": 1,
        "events_url": f"{BASE}/events/?type=043",
    },
    "event": {
        "id": 2,
        "url": f"{BASE}/events/2/",
        "title": "Blinken holds a dinner with the Armenian and Azerbaijani foreign ministers",
        "description": "",
        "type": {
            "code": "040",
            "label": "Consult, not specified below",
            "plover_category": "CONSULT",
            "plover_mode": "",
            "url": f"{BASE}/event-types/040/",
        },
        "date_text": "On Sunday",
        "date_start": "2023-04-30",
        "date_end": "2023-04-30",
        "date_precision": "day",
        "place": None,
        "parent": None,
        "participants": [
            {**actor_ref("antony-blinken", "Antony Blinken", "person"), "role": "host"},
            {**actor_ref("ararat-mirzoyan", "Ararat Mirzoyan", "person"), "role": "guest"},
            {**actor_ref("jeyhun-bayramov", "Jeyhun Bayramov", "person"), "role": "guest"},
        ],
        "status": "reviewed",
        "evidence": [
            evidence(
                "On Sunday, US Secretary of State Antony Blinken held a dinner with Armenian Foreign "
                "Minister Ararat Mirzoya and Azerbaijani Foreign Minister Jeyhun Bayramov.",
                1006,
            )
        ],
    },
    "statement": {
        "id": 1,
        "url": f"{BASE}/statements/1/",
        "speaker": actor_ref("vedant-patel", "Vedant Patel", "person"),
        "kind": "quote",
        "text": "The secretary believes that direct dialogue is key to resolving issues and reaching a lasting peace,",
        "channel": "",
        "date_text": "",
        "date_start": None,
        "date_end": "2023-05-01",
        "date_precision": "open",
        "event": None,
        "about_actors": [],
        "about_places": [],
        "about_events": [],
        "status": "reviewed",
        "evidence": [
            evidence(
                "“The secretary believes that direct dialogue is key to resolving issues and reaching "
                "a lasting peace,” Patel added.",
                1573,
            )
        ],
    },
    "relation": {
        "id": 1,
        "url": f"{BASE}/relations/1/",
        "subject": actor_ref("armenia", "Armenia", "state"),
        "type": "at_war_with",
        "object": actor_ref("azerbaijan", "Azerbaijan", "state"),
        "symmetric": True,
        "description": "",
        "date_text": "in 1990 and 2020",
        "date_start": "1990-01-01",
        "date_end": "2020-12-31",
        "date_precision": "range",
        "status": "reviewed",
        "evidence": [evidence("The two sides have gone to war twice, in 1990 and 2020", 161)],
    },
}


def resource_schema(name: str):
    """Attach the worked example of resource `name` to its list and detail operations."""
    example = EXAMPLES[name]
    return extend_schema_view(
        list=extend_schema(examples=[OpenApiExample(f"A {name}", value=example, response_only=True)]),
        retrieve=extend_schema(examples=[OpenApiExample(f"A {name}", value=example, response_only=True)]),
    )


def describe_blank_enum(result, generator, request, public):
    """Postprocessing hook: give the generated BlankEnum (an allowed empty value) a description like every enum."""
    blank = result.get("components", {}).get("schemas", {}).get("BlankEnum")
    if blank is not None:
        blank.setdefault("description", "An empty string: no value given.")
    return result


# What each operation on the created object's own path is for, as an OpenAPI link name and description.
LINKED_OPERATIONS = {
    "get": ("retrieve", "Read the object just created."),
    "put": ("update", "Replace the object just created."),
    "patch": ("partialUpdate", "Change some fields of the object just created."),
    "delete": ("destroy", "Delete the object just created."),
}


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def link_created_objects(result, generator, request, public):
    """Postprocessing hook: the 201 of every create links to the retrieve, update and delete of what it created.

    Derived from the paths alone: a collection path `P` with a POST, and `P{key}/` with the object's operations,
    where `key` (slug, code or id) is a field of the 201 body. The links tell clients (and schemathesis' stateful
    phase) to take `key` from the response body, e.g. `{"slug": "$response.body#/slug"}`.
    """
    paths = result.get("paths", {})
    components = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        for detail_path, detail_item in paths.items():
            key = detail_path.removeprefix(path).removesuffix("/")
            if not (detail_path.startswith(path) and key.startswith("{") and key.endswith("}") and "/" not in key):
                continue
            key = key[1:-1]
            body = created.get("content", {}).get("application/json", {}).get("schema", {})
            if key not in _resolve(body, components).get("properties", {}):
                continue
            links = created.setdefault("links", {})
            for method, (name, description) in LINKED_OPERATIONS.items():
                operation = detail_item.get(method)
                if operation is not None:
                    links[name] = {
                        "operationId": operation["operationId"],
                        "parameters": {key: f"$response.body#/{key}"},
                        "description": f"{description} Its `{key}` is the `{key}` of this response.",
                    }
    return result
