"""The OpenAPI schema states the API's contract: who may call what, what each parameter and body takes, and how a
created object is reached again. Fast, in-process (drf-spectacular's generator); the live check of the same schema
is tests/system/test_schemathesis.py."""

import pytest
from drf_spectacular.generators import SchemaGenerator

WRITE_METHODS = {"post", "put", "patch", "delete"}
METHODS = {"get", *WRITE_METHODS}
LINKED = {"get": "retrieve", "put": "update", "patch": "partialUpdate", "delete": "destroy"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_reads_are_documented_as_open_to_anonymous_clients(schema):
    reads = [(path, operation) for path, method, operation in operations(schema) if method == "get"]
    assert reads
    for path, operation in reads:
        security = operation.get("security")
        # No requirement at all, or one of the alternatives is "none" ({}).
        assert security is None or {} in security, (path, security)


def test_writes_are_documented_as_needing_a_token_or_a_session(schema):
    writes = [(path, method, operation) for path, method, operation in operations(schema) if method in WRITE_METHODS]
    assert writes
    for path, method, operation in writes:
        security = operation.get("security")
        assert security and {} not in security, (method, path, security)
        assert {"tokenAuth": []} in security and {"cookieAuth": []} in security, (method, path, security)


def test_every_path_parameter_of_every_operation_has_a_description(schema):
    seen = set()
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                seen.add(parameter["name"])
                assert parameter.get("description", "").strip(), (method, path, parameter["name"])
    assert {"slug", "id", "code"} <= seen


def test_every_create_links_its_201_to_the_created_objects_retrieve_update_and_delete(schema):
    # A create is a POST to a list (/api/v1/<resource>/); other POSTs are actions (a source's /propose/).
    creates = [
        (path, operation) for path, method, operation in operations(schema) if method == "post" and path.count("/") == 4
    ]
    assert creates
    for path, operation in creates:
        created = operation["responses"]["201"]
        detail_paths = [
            p
            for p in schema["paths"]
            if p.startswith(path) and p != path and p[len(path) :].startswith("{") and p[len(path) :].count("/") == 1
        ]
        assert len(detail_paths) == 1, (path, detail_paths)
        detail = schema["paths"][detail_paths[0]]
        key = detail_paths[0][len(path) :].strip("{}/")
        body = resolve(schema, created["content"]["application/json"]["schema"])
        assert key in body["properties"], (path, key)
        links = created.get("links", {})
        for method, name in LINKED.items():
            assert name in links, (path, name)
            assert links[name]["operationId"] == detail[method]["operationId"], (path, name)
            assert links[name]["parameters"] == {key: f"$response.body#/{key}"}, (path, name)


def test_no_request_body_is_advertised_as_multipart_or_form(schema):
    bodies = [
        (method, path, operation["requestBody"])
        for path, method, operation in operations(schema)
        if "requestBody" in operation
    ]
    assert bodies
    for method, path, body in bodies:
        assert set(body["content"]) == {"application/json"}, (method, path, sorted(body["content"]))


def required_strings(schema, node, where, seen):
    """(where, string schema) for every string a request body requires, nested objects and lists included."""
    node = resolve(schema, node)
    if id(node) in seen:
        return
    seen = seen | {id(node)}
    for keyword in ("allOf", "oneOf", "anyOf"):
        for branch in node.get(keyword, []):
            yield from required_strings(schema, branch, where, seen)
    if node.get("type") == "array" and "items" in node:
        yield from required_strings(schema, node["items"], f"{where}[]", seen)
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        prop_node = resolve(schema, prop)
        if name in required and not prop_node.get("readOnly"):
            branches = [resolve(schema, b) for b in prop_node.get("oneOf", [])] or [prop_node]
            for branch in branches:
                if branch.get("type") == "string" and "enum" not in branch:
                    yield f"{where}.{name}", branch
        yield from required_strings(schema, prop, f"{where}.{name}", seen)


def test_every_required_string_in_a_request_body_has_a_min_length_of_at_least_one(schema):
    found = []
    for path, method, operation in operations(schema):
        for media in operation.get("requestBody", {}).get("content", {}).values():
            found += list(required_strings(schema, media["schema"], f"{method} {path}", frozenset()))
    assert found
    for where, string in found:
        assert string.get("minLength", 0) >= 1, (where, string)


def error_content(operation, status_code):
    content = operation["responses"][status_code]["content"]
    assert set(content) == {"application/json"}, status_code  # errors are answered in JSON whatever was asked
    return content["application/json"]


def example_values(media):
    return [example["value"] for example in media.get("examples", {}).values()]


def test_every_error_response_is_the_one_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "detail", "errors"} == set(error["properties"])
    for path, method, operation in operations(schema):
        for status_code in operation["responses"]:
            if int(status_code) >= 400:
                media = error_content(operation, status_code)
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status_code)
                for value in example_values(media):
                    assert set(value) == set(error["required"]) and value["status"] == int(status_code), value


def test_the_declared_error_bodies_of_reads_and_writes_reach_the_schema(schema):
    resources = [path for path in schema["paths"] if path.count("/") == 4 and path != "/api/v1/changes/"]
    assert len(resources) == 8
    for path, method, operation in operations(schema):
        if not path.startswith(tuple(resources)):
            continue
        if method == "get":
            (invalid,) = example_values(error_content(operation, "400"))
            assert invalid["code"] == "invalid" and "page_size" in invalid["errors"], path
        if method != "post":
            (missing,) = example_values(error_content(operation, "404"))
            assert missing["code"] == "not_found", (method, path)
            # A list's 404 is a page past the end; an object's names its model.
            expected = "page" if path in resources and method == "get" else "matches the given query"
            assert expected in missing["detail"], (method, path, missing)
