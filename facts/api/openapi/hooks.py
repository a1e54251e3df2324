"""drf-spectacular postprocessing hooks (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): what only the whole schema
shows, once every operation is generated."""

from facts.api.openapi.bodies import COMMON_ERRORS, ERROR_REF, ERROR_SCHEMA, RETRY_AFTER_HEADER, WRITE_ERRORS
from facts.api.openapi.tags import TAGS

OPERATION_METHODS = {"get", "put", "post", "patch", "delete"}


def describe_blank_enum(result, generator, request, public):
    """Give the generated BlankEnum (an allowed empty value) a description like every enum."""
    blank = result.get("components", {}).get("schemas", {}).get("BlankEnum")
    if blank is not None:
        blank.setdefault("description", "An empty string: no value given.")
    return result


def document_tags(result, generator, request, public):
    """List the tags (facts.api.openapi.tags) with their descriptions, in the order the docs show them."""
    used = {tag for item in result.get("paths", {}).values() for op in item.values() for tag in op.get("tags", [])}
    result["tags"] = [tag for tag in TAGS if tag["name"] in used]
    return result


def _error_content(response: dict) -> dict:
    """The one error shape (facts.api.errors), in JSON whatever was asked for, with the examples its operation
    gave: whatever else a view said its error body is, this is what it answers."""
    declared = response.get("content", {}).get("application/json", {})
    examples = {"examples": declared["examples"]} if declared.get("examples") else {}
    return {"application/json": {"schema": {"$ref": ERROR_REF}, **examples}}


def _document_operation_errors(method: str, operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    extra = dict(COMMON_ERRORS)
    if method != "get":
        extra.update(WRITE_ERRORS)
    for status_code, description in extra.items():
        responses.setdefault(status_code, {"description": description})
    for status_code, response in responses.items():
        if not (status_code.isdigit() and int(status_code) >= 400):
            continue
        response["content"] = _error_content(response)
        if status_code in {"429", "503"}:
            response["headers"] = {**response.get("headers", {}), **RETRY_AFTER_HEADER}


def document_error_responses(result, generator, request, public):
    """Every 4xx/5xx response of every operation has the Error body, with the description and examples its
    operation declared; and every operation lists the errors any request can meet (COMMON_ERRORS, and WRITE_ERRORS
    for writes)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in OPERATION_METHODS:
                _document_operation_errors(method, operation)
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


def _object_key(path: str, detail_path: str) -> str | None:
    """`key` when `detail_path` is `path{key}/`, the path of one object of the collection at `path`."""
    key = detail_path.removeprefix(path).removesuffix("/")
    if detail_path.startswith(path) and key.startswith("{") and key.endswith("}") and "/" not in key:
        return key[1:-1]
    return None


def _link(created: dict, key: str, detail_item: dict) -> None:
    links = created.setdefault("links", {})
    for method, (name, description) in LINKED_OPERATIONS.items():
        operation = detail_item.get(method)
        if operation is not None:
            links[name] = {
                "operationId": operation["operationId"],
                "parameters": {key: f"$response.body#/{key}"},
                "description": f"{description} Its `{key}` is the `{key}` of this response.",
            }


def link_created_objects(result, generator, request, public):
    """The 201 of every create links to the retrieve, update and delete of what it created.

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
        body = created.get("content", {}).get("application/json", {}).get("schema", {})
        fields = _resolve(body, components).get("properties", {})
        for detail_path, detail_item in paths.items():
            key = _object_key(path, detail_path)
            if key is not None and key in fields:
                _link(created, key, detail_item)
    return result


# HTTP caching of the reads (facts.api.caching): the validators and directives every GET answers with, and its 304.
CACHING_HEADERS = {
    "ETag": "A detail's own version tag (the one If-Match takes on writes); on other reads a weak tag of the data "
    "version and the request. Send it back in If-None-Match.",
    "Last-Modified": "When the data last changed (sent once that is a couple of seconds past). Send it back in "
    "If-Modified-Since.",
    "Cache-Control": "How long browsers, proxies and CDNs may reuse the answer (max-age) and keep serving it while "
    "they revalidate (stale-while-revalidate); `private` for answers only staff get.",
}
CACHING_PARAMETERS = {
    "If-None-Match": "An ETag from an earlier read: the answer is 304, with no body, while it is still current.",
    "If-Modified-Since": "A Last-Modified date from an earlier read: 304 while nothing changed since.",
}
NOT_MODIFIED_DESCRIPTION = "Not modified: your copy (If-None-Match or If-Modified-Since) is current."


def document_http_caching(result, generator, request, public):
    """Every read of the versioned API documents its conditional headers, its cache headers and its 304."""
    for path, path_item in result.get("paths", {}).items():
        operation = path_item.get("get")
        if operation is None or not path.startswith("/api/v1/") or "200" not in operation.get("responses", {}):
            continue
        parameters = operation.setdefault("parameters", [])
        named = {(p.get("in"), p.get("name")) for p in parameters}
        for name, description in CACHING_PARAMETERS.items():
            if ("header", name) not in named:
                parameters.append(
                    {"in": "header", "name": name, "schema": {"type": "string"}, "description": description}
                )
        headers = {name: {"schema": {"type": "string"}, "description": text} for name, text in CACHING_HEADERS.items()}
        responses = operation["responses"]
        responses["200"]["headers"] = {**headers, **responses["200"].get("headers", {})}
        not_modified = responses.setdefault("304", {"description": NOT_MODIFIED_DESCRIPTION})
        not_modified["description"] = NOT_MODIFIED_DESCRIPTION
        not_modified["headers"] = {**headers, **not_modified.get("headers", {})}
    return result
