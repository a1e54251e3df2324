"""The worked example of each resource, built from the article fixtures (fixtures/*.json) when the schema is made.

Each example is the JSON the list gives for one curated object, built here from the fixture files alone (no
database), so it cannot drift from the data: tests/api/test_openapi_examples.py compares every example with what
the API answers once the same fixtures are loaded.
"""

import copy
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.fields import empty

from facts.api import pagination
from facts.models import SYMMETRIC_RELATIONS

BASE = "http://127.0.0.1:8000/api/v1"
# The object each resource's example shows (its key: id, slug or code): chosen for showing most of its fields.
EXAMPLE_KEYS = {
    "source": 1,
    "actor": "vedant-patel",
    "place": "lachin-corridor",
    "event-type": "043",
    "event": 17,
    "statement": 6,
    "relation": 7,
}


def fixture_dir() -> Path:
    """The article fixtures (what `loaddata` loads for the article, and the tests load)."""
    return Path(settings.BASE_DIR) / "fixtures"


@cache
def fixture_objects() -> dict[str, dict]:
    """{model label: {pk: fields}} over every fixture file, e.g. ``fixture_objects()["facts.event"][17]``."""
    objects: dict[str, dict] = {}
    for path in sorted(fixture_dir().glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            objects.setdefault(item["model"], {})[item["pk"]] = item["fields"]
    return objects


def _table(name: str) -> dict:
    return fixture_objects().get(f"facts.{name}", {})


def _by(name: str, field: str, value):
    return {pk: fields for pk, fields in _table(name).items() if fields[field] == value}


def source_ref(pk):
    return {"id": pk, "title": _table("source")[pk]["title"], "url": f"{BASE}/sources/{pk}/"}


def actor_ref(pk, **extra):
    actor = _table("actor")[pk]
    return {"slug": actor["slug"], "name": actor["name"], "kind": actor["kind"], **extra, "url": _url("actor", pk)}


def place_ref(pk):
    if pk is None:
        return None
    place = _table("place")[pk]
    return {"slug": place["slug"], "name": place["name"], "kind": place["kind"], "url": _url("place", pk)}


def event_ref(pk):
    if pk is None:
        return None
    return {"id": pk, "title": _table("event")[pk]["title"], "url": f"{BASE}/events/{pk}/"}


def _url(kind, pk):
    return f"{BASE}/{kind}s/{_table(kind)[pk]['slug']}/"


def evidence(fk: str, pk) -> list[dict]:
    """The passages that state fact `pk` (its evidence spans, `fk` naming the fact), in the API's order."""
    sources = _table("source")
    spans = sorted(
        _by("evidencespan", fk, pk).items(),
        key=lambda item: (sources[item[1]["source"]]["published"], item[1]["source"], item[1]["start"], item[0]),
    )
    return [
        {"quote": span["quote"], "start": span["start"], "end": span["end"], "source": source_ref(span["source"])}
        for _, span in spans
    ]


def fact_tail(fk: str, fact: dict, pk) -> dict:
    """The last fields of a fact: its status, the distinct sources of its evidence (by id) and the evidence."""
    spans = evidence(fk, pk)
    cited = sorted({span["source"]["id"]: span["source"] for span in spans}.items())
    return {"status": fact["status"], "sources_count": len(cited), "sources": [s for _, s in cited], "evidence": spans}


def _dates(fields) -> dict:
    return {name: fields[name] for name in ("date_text", "date_start", "date_end", "date_precision")}


def _number(value):
    return None if value is None else float(value)


def source_example(pk):
    source = _table("source")[pk]
    return {
        "id": pk,
        "url": f"{BASE}/sources/{pk}/",
        **{name: source[name] for name in ("slug", "title", "publisher")},
        "source_url": source["url"] or None,
        **{name: source[name] for name in ("published", "language", "checksum", "external")},
    }


def actor_example(pk):
    actor = _table("actor")[pk]
    aliases = sorted(_by("actoralias", "actor", pk).items(), key=lambda item: (item[1]["name"], item[0]))
    return {
        "slug": actor["slug"],
        "url": _url("actor", pk),
        **{name: actor[name] for name in ("name", "kind")},
        "status": actor.get("status", "accepted"),  # the fixtures name no status: every curated actor is accepted
        **{name: actor[name] for name in ("country_code", "description")},
        "aliases": [
            {
                "name": alias["name"],
                "kind": alias["kind"],
                "external": alias["external"],
                "evidence": evidence("alias", a),
            }
            for a, alias in aliases
        ],
        "external": actor["external"],
    }


def place_example(pk):
    place = _table("place")[pk]
    return {
        "slug": place["slug"],
        "url": _url("place", pk),
        "name": place["name"],
        "kind": place["kind"],
        "parent": place_ref(place["parent"]),
        "latitude": _number(place["latitude"]),
        "longitude": _number(place["longitude"]),
        **{name: place[name] for name in ("coordinates_approximate", "country_code", "description", "external")},
    }


def event_type_example(code):
    event_type = _table("eventtype")[code]
    return {
        "code": code,
        "url": f"{BASE}/event-types/{code}/",
        **{name: event_type[name] for name in ("label", "description", "plover_category", "plover_mode")},
        "event_count": len(_by("event", "event_type", code)),
        "events_url": f"{BASE}/events/?type={code}",
    }


def event_type_ref(code):
    if code is None:
        return None
    event_type = _table("eventtype")[code]
    return {
        "code": code,
        **{name: event_type[name] for name in ("label", "plover_category", "plover_mode")},
        "url": f"{BASE}/event-types/{code}/",
    }


def event_example(pk):
    event = _table("event")[pk]
    participants = sorted(_by("participant", "event", pk).items())
    return {
        "id": pk,
        "url": f"{BASE}/events/{pk}/",
        "title": event["title"],
        "description": event["description"],
        "type": event_type_ref(event["event_type"]),
        **_dates(event),
        "place": place_ref(event["place"]),
        "parent": event_ref(event["parent"]),
        "participants": [actor_ref(p["actor"], role=p["role"]) for _, p in participants],
        **fact_tail("event", event, pk),
    }


def _about(statement, kind):
    """What a statement is about, as the API orders it: actors and places by name, events by date (undated first)."""
    pks = statement[f"about_{kind}s"]
    table = _table(kind)
    if kind == "event":
        ordered = sorted(pks, key=lambda pk: (table[pk]["date_start"] is not None, table[pk]["date_start"] or "", pk))
        return [event_ref(pk) for pk in ordered]
    ref = actor_ref if kind == "actor" else place_ref
    return [ref(pk) for pk in sorted(pks, key=lambda pk: (table[pk]["name"], pk))]


def statement_example(pk):
    statement = _table("statement")[pk]
    return {
        "id": pk,
        "url": f"{BASE}/statements/{pk}/",
        "speaker": actor_ref(statement["speaker"]),
        **{name: statement[name] for name in ("kind", "text", "channel")},
        **_dates(statement),
        "event": event_ref(statement["event"]),
        **{f"about_{kind}s": _about(statement, kind) for kind in ("actor", "place", "event")},
        **fact_tail("statement", statement, pk),
    }


def relation_example(pk):
    relation = _table("relation")[pk]
    return {
        "id": pk,
        "url": f"{BASE}/relations/{pk}/",
        "subject": actor_ref(relation["subject"]),
        "type": relation["type"],
        "object": actor_ref(relation["object"]),
        "symmetric": relation["type"] in SYMMETRIC_RELATIONS,
        "description": relation["description"],
        **_dates(relation),
        **fact_tail("relation", relation, pk),
    }


BUILDERS = {
    "source": source_example,
    "actor": actor_example,
    "place": place_example,
    "event-type": event_type_example,
    "event": event_example,
    "statement": statement_example,
    "relation": relation_example,
}


def _fixture_pk(resource: str, key):
    if resource in ("actor", "place"):
        return next(pk for pk, fields in _table(resource).items() if fields["slug"] == key)
    return key


@cache
def _built(resource: str) -> dict:
    return BUILDERS[resource](_fixture_pk(resource, EXAMPLE_KEYS[resource]))


def example(resource: str) -> dict:
    """The worked example of `resource` (a basename of facts.api.urls), as its list gives it."""
    # A copy: the schema that embeds it is the caller's to change.
    return copy.deepcopy(_built(resource))


def page_example(resource: str) -> dict:
    """The envelope of the list's first page over the fixtures (`count`, links), with the example as its one item
    shown: the page itself holds up to DEFAULT_PAGE_SIZE items."""
    count = len(_table(resource.replace("-", "")))
    more = count > pagination.DEFAULT_PAGE_SIZE
    return {
        "count": count,
        "count_is_exact": count <= pagination.COUNT_CAP,
        "next": f"{BASE}/{resource}s/?page=2" if more else None,
        "previous": None,
        "results": [example(resource)],
    }


class FixtureExample(OpenApiExample):
    """An example whose value is built from the fixtures when the schema reads it, not when the views import."""

    def __init__(self, resource: str):
        self.resource = resource
        super().__init__(f"A {resource}", response_only=True)

    @property
    def value(self):
        return example(self.resource) if self._value is empty else self._value

    @value.setter
    def value(self, value):
        # OpenApiExample.__init__ sets `empty` (no value given); drf-spectacular sets a list's page around it.
        self._value = value


def resource_schema(name: str):
    """Attach the worked example of resource `name` to its list and detail operations."""
    return extend_schema_view(
        list=extend_schema(examples=[FixtureExample(name)]),
        retrieve=extend_schema(examples=[FixtureExample(name)]),
    )
