"""The schema's worked examples are the article's curated data: built from fixtures/*.json, equal to what the API
answers for the same objects, and carried by the generated schema; so are the examples of its error bodies."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

from facts.api.openapi.bodies import INVALID_EXAMPLE, PAGE_NOT_FOUND_EXAMPLE, not_found_example
from facts.api.openapi.examples import BASE, EXAMPLE_KEYS, example, fixture_objects, page_example
from facts.models import Actor, Event
from tests.article_api import api_fixture, article_fixture, get_json  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.django_db

PLURAL = {resource: f"{resource}s" for resource in EXAMPLE_KEYS}
KEY_FIELD = {"actor": "slug", "place": "slug", "event-type": "code"}
DATE_FIELDS = ("date_text", "date_start", "date_end", "date_precision")


def fixture(model: str, pk):
    return fixture_objects()[f"facts.{model}"][pk]


def as_served(value):
    """`value` with the test server's base URL in place of the documented one."""
    return json.loads(json.dumps(value).replace(BASE, "http://testserver/api/v1"))


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_every_example_event_statement_and_relation_is_the_fixture_with_its_id():
    for resource, model, text in (("event", "event", "title"), ("statement", "statement", "text")):
        item = example(resource)
        expected = fixture(model, item["id"])
        assert item[text] == expected[text], resource
        assert {name: item[name] for name in DATE_FIELDS} == {name: expected[name] for name in DATE_FIELDS}
    relation = example("relation")
    expected = fixture("relation", relation["id"])
    assert (relation["type"], relation["description"]) == (expected["type"], expected["description"])
    assert relation["subject"]["slug"] == fixture("actor", expected["subject"])["slug"]


def test_every_quoted_passage_is_the_source_text_at_its_offsets():
    texts = {pk: fields["text"] for pk, fields in fixture_objects()["facts.source"].items()}
    items = [example(resource) for resource in EXAMPLE_KEYS]
    spans = [span for item in items for span in item.get("evidence", [])]
    spans += [span for alias in example("actor")["aliases"] for span in alias["evidence"]]
    assert spans
    for span in spans:
        assert texts[span["source"]["id"]][span["start"] : span["end"]] == span["quote"], span


@pytest.mark.parametrize("resource", list(EXAMPLE_KEYS))
def test_each_example_is_what_the_api_answers_for_that_object(api, resource):
    item = example(resource)
    key = item[KEY_FIELD.get(resource, "id")]
    assert key == EXAMPLE_KEYS[resource]
    listed = get_json(api, f"/api/v1/{PLURAL[resource]}/?page_size=500")["results"]
    served = next(entry for entry in listed if entry[KEY_FIELD.get(resource, "id")] == key)
    assert as_served(item) == served
    # The list's example page has the first page's count and links.
    first_page = get_json(api, f"/api/v1/{PLURAL[resource]}/")
    envelope = {name: value for name, value in as_served(page_example(resource)).items() if name != "results"}
    assert envelope == {name: first_page[name] for name in envelope}
    # The detail adds fields (an actor's affiliations, a source's text) to the same ones.
    detail = get_json(api, f"/api/v1/{PLURAL[resource]}/{key}/")
    assert {name: detail[name] for name in served} == served


@pytest.mark.parametrize("resource", list(EXAMPLE_KEYS))
def test_the_schema_carries_each_example_on_the_list_and_the_detail(schema, resource):
    paths = [f"/api/v1/{PLURAL[resource]}/"]
    paths.append(next(p for p in schema["paths"] if p.startswith(paths[0] + "{") and p.count("/") == 5))
    for path in paths:
        examples = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
        (value,) = (entry["value"] for entry in examples.values())
        assert value == (page_example(resource) if path == paths[0] else example(resource)), path


def test_the_error_examples_are_what_the_api_answers(api):
    assert get_json(api, "/api/v1/events/?page_size=1000", status=400) == INVALID_EXAMPLE
    assert get_json(api, "/api/v1/events/?page=99", status=404) == PAGE_NOT_FOUND_EXAMPLE
    for model, url in ((Actor, "/api/v1/actors/no-such-actor/"), (Event, "/api/v1/events/987654/")):
        assert get_json(api, url, status=404) == not_found_example(model), url
