"""OpenAPI additions for the read API: `fields`/`format` parameters, export media types, errors, worked examples.

drf-spectacular derives almost everything from the viewsets, serializers and filtersets; this module adds what it
cannot see: parameters the base viewset handles itself, the real shape of CSV and GeoJSON responses (not the JSON
page), the 400/404 error bodies, and one example per resource taken from the article fixtures.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view

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
                            "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                            "maxItems": 2, "description": "[longitude, latitude]."},
                        },
                    },
                    "properties": {"type": "object", "additionalProperties": True,
                                   "description": "The item's fields, as in the JSON list."},
                },
            },
        },
    },
}
LOOKUP_DESCRIPTIONS = {
    "slug": "The object's slug, e.g. `antony-blinken` or `nagorno-karabakh`.",
    "code": "The CAMEO code, e.g. `043`.",
    "pk": "The object's id.",
}
EXPORT_BODIES = {"text/csv": CSV_BODY, "application/geo+json": GEOJSON_BODY}


class FactsAutoSchema(AutoSchema):
    """Adds the base viewset's own parameters, export bodies and error responses to each read operation."""

    def _facts_view(self) -> bool:
        return self.method == "GET" and hasattr(self.view, "selected_fields")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if not self._facts_view():
            return parameters
        if not self._is_list_view():
            lookup = getattr(self.view, "lookup_field", "pk")
            parameters.append(OpenApiParameter(
                lookup if lookup != "pk" else "id", location=OpenApiParameter.PATH, required=True,
                type=int if lookup == "pk" else str, description=LOOKUP_DESCRIPTIONS.get(lookup, "The object's id."),
            ))
        names = list(self.view.get_serializer_class()().fields)
        parameters.append(OpenApiParameter(
            "fields", type={"type": "array", "items": {"type": "string", "enum": names}}, style="form",
            explode=False,
            description="Comma-separated field names to return (all when absent), e.g. `fields=id,title`; also "
                        "selects the CSV columns. An unknown name answers 400.",
        ))
        if self._is_list_view():
            formats = ["json"] + [r.format for r in self.view.get_renderers() if r.media_type in EXPORT_BODIES]
            parameters.append(OpenApiParameter(
                "format", enum=formats,
                description="Response format (or use the Accept header): `json` (default, paginated), `csv` (every "
                            "matching row, streamed, not paginated) or, for places and events, `geojson` (a "
                            "FeatureCollection of the matching items that have coordinates).",
            ))
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and getattr(serializer, "selectable_fields", False):
            # `fields=` can leave out any field, so no field of these responses is required.
            schema.pop("required", None)
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
        "id": 1, "url": f"{BASE}/sources/1/", "slug": "us-hosts-armenia-azerbaijan-peace-talks",
        "title": "US Hosts Armenia-Azerbaijan Peace Talks", "publisher": "", "source_url": None,
        "published": "2023-05-01", "language": "en",
        "checksum": "3248d2ee7ebb0e6a…", "external": {"published": "Publication date supplied as metadata."},
    },
    "actor": {
        "slug": "vedant-patel", "url": f"{BASE}/actors/vedant-patel/", "name": "Vedant Patel", "kind": "person",
        "country_code": "", "description": "State Department spokesman.",
        "aliases": [{"name": "Vedant Patel", "kind": "name"}, {"name": "Patel", "kind": "surname"}],
        "external": {},
    },
    "place": {
        "slug": "lachin-corridor", "url": f"{BASE}/places/lachin-corridor/", "name": "Lachin Corridor",
        "kind": "corridor", "parent": place_ref("azerbaijan", "Azerbaijan", "country"),
        "latitude": 39.6, "longitude": 46.5, "coordinates_approximate": True, "country_code": "",
        "description": "The only land link between Armenia and Nagorno-Karabakh.",
        "external": {"latitude": "Approximate coordinates", "longitude": "Approximate coordinates"},
    },
    "event-type": {
        "code": "043", "url": f"{BASE}/event-types/043/", "label": "Host a visit", "description": "",
        "event_count": 1, "events_url": f"{BASE}/events/?type=043",
    },
    "event": {
        "id": 2, "url": f"{BASE}/events/2/", "title": "Blinken holds a dinner with the Armenian and Azerbaijani "
                                                     "foreign ministers",
        "description": "", "type": {"code": "040", "label": "Consult", "url": f"{BASE}/event-types/040/"},
        "date_text": "On Sunday", "date_start": "2023-04-30", "date_end": "2023-04-30", "date_precision": "day",
        "place": None, "parent": None,
        "participants": [
            {**actor_ref("antony-blinken", "Antony Blinken", "person"), "role": "host"},
            {**actor_ref("ararat-mirzoyan", "Ararat Mirzoyan", "person"), "role": "guest"},
            {**actor_ref("jeyhun-bayramov", "Jeyhun Bayramov", "person"), "role": "guest"},
        ],
        "status": "reviewed",
        "evidence": [evidence("On Sunday, US Secretary of State Antony Blinken held a dinner with Armenian Foreign "
                              "Minister Ararat Mirzoya and Azerbaijani Foreign Minister Jeyhun Bayramov.", 1006)],
    },
    "statement": {
        "id": 1, "url": f"{BASE}/statements/1/", "speaker": actor_ref("vedant-patel", "Vedant Patel", "person"),
        "kind": "quote",
        "text": "The secretary believes that direct dialogue is key to resolving issues and reaching a lasting peace,",
        "channel": "", "date_text": "", "date_start": "2023-05-01", "date_end": "2023-05-01",
        "date_precision": "day", "event": None, "about_actors": [], "about_places": [], "about_events": [],
        "status": "reviewed",
        "evidence": [evidence("“The secretary believes that direct dialogue is key to resolving issues and reaching "
                              "a lasting peace,” Patel added.", 1573)],
    },
    "relation": {
        "id": 1, "url": f"{BASE}/relations/1/", "subject": actor_ref("armenia", "Armenia", "state"),
        "type": "at_war_with", "object": actor_ref("azerbaijan", "Azerbaijan", "state"), "symmetric": True,
        "description": "", "date_text": "in 1990 and 2020", "date_start": "1990-01-01", "date_end": "2020-12-31",
        "date_precision": "decade", "status": "reviewed",
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
