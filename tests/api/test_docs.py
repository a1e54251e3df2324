"""The API documentation: a valid OpenAPI schema that describes everything, and docs pages that work offline."""

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

LOCAL_HOSTS = {"testserver", "localhost", "127.0.0.1"}
RESOURCES = ["sources", "actors", "places", "events", "statements", "relations", "event-types"]
FILTERS = {
    "events": {
        "search",
        "ordering",
        "actor",
        "role",
        "place",
        "type",
        "date_after",
        "date_before",
        "source",
        "parent",
        "status",
        "min_sources",
    },
    "statements": {
        "search",
        "ordering",
        "speaker",
        "speaker_kind",
        "kind",
        "about",
        "event",
        "date_after",
        "date_before",
        "source",
        "status",
        "min_sources",
    },
    "relations": {"search", "ordering", "actor", "type", "status", "min_sources"},
    "actors": {"search", "ordering", "kind", "affiliated_with", "country"},
    "places": {"search", "ordering", "kind", "within"},
    "sources": {"search", "ordering"},
    "event-types": {"search", "ordering"},
}


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    # Fails (SystemExit / SchemaGenerationError) on any warning or on an invalid schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(Path(path).read_text())


def read_operations(schema):
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/") and "get" in operations:
            yield path, operations["get"]


def test_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in schema["paths"]


def test_every_operation_parameter_and_response_is_described(schema):
    for path, operation in read_operations(schema):
        assert operation.get("description"), path
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
        for code, response in operation["responses"].items():
            assert response.get("description"), (path, code)


def test_every_schema_field_and_enum_is_described(schema):
    for name, component in schema["components"]["schemas"].items():
        assert component.get("description"), name
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description"), (name, field)
    enums = {name: c for name, c in schema["components"]["schemas"].items() if "enum" in c}
    assert {"ActorKind", "PlaceKind", "ParticipantRole", "StatementKind", "RelationType", "ReviewStatus"} <= set(enums)
    # Each enum's description lists every value with its meaning.
    for name in ("ActorKind", "ParticipantRole", "StatementKind"):
        for value in enums[name]["enum"]:
            assert f"`{value}`" in enums[name]["description"], (name, value)


def test_every_filter_pagination_and_format_parameter_is_documented(schema):
    for resource, filters in FILTERS.items():
        operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert filters | {"page", "page_size", "mode", "cursor", "fields", "format"} <= names, resource
        assert set(operation["responses"]) >= {"200", "400"}
        assert "text/csv" in operation["responses"]["200"]["content"]
    type_filter = next(p for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"] if p["name"] == "type")
    assert "04 Consult" in type_filter["description"]  # the CAMEO categories are spelled out
    about = next(p for p in schema["paths"]["/api/v1/statements/"]["get"]["parameters"] if p["name"] == "about")
    assert "actor:<slug>" in about["description"] and "event:<id>" in about["description"]
    mode = next(p for p in schema["paths"]["/api/v1/events/"]["get"]["parameters"] if p["name"] == "mode")
    assert mode["schema"]["enum"] == ["page", "cursor"] and "follow `next`" in mode["description"]
    geo = schema["paths"]["/api/v1/places/"]["get"]["responses"]["200"]["content"]
    assert "application/geo+json" in geo


def test_each_resource_has_a_worked_example(schema):
    for resource in RESOURCES:
        for path in (
            f"/api/v1/{resource}/",
            next(p for p in schema["paths"] if p.startswith(f"/api/v1/{resource}/{{")),
        ):
            content = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            assert content.get("examples"), path


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_nothing_from_other_hosts(url):
    client = Client()
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    external = [u for u in re.findall(r"https?://[^\s\"'<>)]+", html) if urlparse(u).hostname not in LOCAL_HOSTS]
    assert external == []
    # The scripts and styles they need are served here (drf-spectacular-sidecar).
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    schema_response = client.get("/api/schema/")
    assert schema_response.status_code == 200


def test_schema_is_served_as_json_too():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Conflict facts API"


def test_operations_are_grouped_under_one_described_tag_per_resource(schema):
    tags = [tag["name"] for tag in schema["tags"]]
    assert sorted(tags) == sorted([*RESOURCES, "mentions", "changes"])
    for tag in schema["tags"]:
        assert tag.get("description"), tag["name"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                # /api/v1/<resource>/...: the resource's tag, and only it.
                assert operation["tags"] == [path.split("/")[3]], (method, path)
