"""A catalogue of bad requests: each must get a 4xx JSON error naming the parameter or field, and change nothing.

Read-side entries run against the article fixtures. Write-side entries (bodies) run as a superuser; should the write
API stop answering, they fail (nothing here skips).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

FIXTURES = sorted(str(p) for p in (Path(__file__).resolve().parents[2] / "fixtures").glob("*.json"))


@dataclass
class Bad:
    """One bad request and what its error must name."""

    label: str
    path: str
    names: tuple[str, ...]  # the error's `errors` must have one of these keys (or mention it in `detail`)
    method: str = "get"
    body: object = None
    content_type: str = "application/json"
    statuses: tuple[int, ...] = (400,)
    write: bool = False
    headers: dict = field(default_factory=dict)


LONG = "x" * 5000
SQL = "' OR 1=1; DROP TABLE facts_event; --"

READS = [
    # Wrong types, empty values, huge and negative numbers.
    Bad("page_size not a number", "/api/v1/events/?page_size=abc", ("page_size",)),
    Bad("page_size zero", "/api/v1/events/?page_size=0", ("page_size",)),
    Bad("page_size negative", "/api/v1/events/?page_size=-5", ("page_size",)),
    Bad("page_size too big", "/api/v1/events/?page_size=501", ("page_size",)),
    Bad("page_size huge", "/api/v1/events/?page_size=99999999999999999999999999", ("page_size",)),
    Bad("page negative", "/api/v1/events/?page=-1", ("page",), statuses=(400, 404)),
    Bad("page zero", "/api/v1/events/?page=0", ("page",), statuses=(400, 404)),
    Bad("page not a number", "/api/v1/events/?page=two", ("page",), statuses=(400, 404)),
    Bad("page beyond the end", "/api/v1/events/?page=99999999999", ("page",), statuses=(400, 404)),
    Bad("page as float", "/api/v1/events/?page=1e309", ("page",), statuses=(400, 404)),
    Bad("date_after not a date", "/api/v1/events/?date_after=yesterday", ("date_after",)),
    Bad("date_after impossible date", "/api/v1/events/?date_after=2023-13-45", ("date_after",)),
    Bad("date_before empty-ish", "/api/v1/events/?date_before=%20", ("date_before",)),
    Bad("date_before huge year", "/api/v1/events/?date_before=99999-01-01", ("date_before",)),
    Bad("statement date_after garbage", "/api/v1/statements/?date_after=2023-05", ("date_after",)),
    Bad("source not an id", "/api/v1/events/?source=abc", ("source",)),
    Bad("source huge id", "/api/v1/events/?source=99999999999999999999999", ("source",)),
    Bad("parent not an id", "/api/v1/events/?parent=-x", ("parent",)),
    Bad("statement event not an id", "/api/v1/statements/?event=1.5", ("event",)),
    # Unknown references and choices.
    Bad("unknown actor slug", "/api/v1/events/?actor=no-such-actor", ("actor",)),
    Bad("unknown place slug", "/api/v1/events/?place=atlantis", ("place",)),
    Bad("unknown role", "/api/v1/events/?role=villain", ("role",)),
    Bad("unknown actor kind", "/api/v1/actors/?kind=alien", ("kind",)),
    Bad("unknown affiliated_with", "/api/v1/actors/?affiliated_with=nobody-at-all", ("affiliated_with",)),
    Bad("unknown place kind", "/api/v1/places/?kind=planet", ("kind",)),
    Bad("unknown within", "/api/v1/places/?within=narnia", ("within",)),
    Bad("unknown speaker", "/api/v1/statements/?speaker=nobody-at-all", ("speaker",)),
    Bad("unknown statement kind", "/api/v1/statements/?kind=rumour", ("kind",)),
    Bad("unknown speaker_kind", "/api/v1/statements/?speaker_kind=robot", ("speaker_kind",)),
    Bad("unknown relation type", "/api/v1/relations/?type=frenemy", ("type",)),
    Bad("unknown relation actor", "/api/v1/relations/?actor=nobody-at-all", ("actor",)),
    Bad("unknown ordering field", "/api/v1/events/?ordering=password", ("ordering",)),
    Bad("unknown ordering with minus", "/api/v1/actors/?ordering=-secret", ("ordering",)),
    Bad("unknown fields name", "/api/v1/events/?fields=id,secret", ("fields",)),
    Bad("unknown format", "/api/v1/events/?format=xml", ("format",), statuses=(406,)),
    Bad("unknown mode", "/api/v1/events/?mode=sideways", ("mode",)),
    Bad("garbage cursor", "/api/v1/events/?cursor=not-a-cursor", ("cursor",)),
    # Overlong strings, control characters, odd Unicode, SQL-looking text.
    Bad("overlong actor slug", f"/api/v1/events/?actor={LONG}", ("actor",)),
    Bad("overlong date", f"/api/v1/events/?date_after={LONG}", ("date_after",)),
    Bad("overlong ordering", f"/api/v1/events/?ordering={LONG}", ("ordering",)),
    Bad("NUL byte in search", "/api/v1/events/?search=talks%00", ("search",)),
    Bad("NUL byte in slug filter", "/api/v1/events/?actor=antony%00blinken", ("actor",)),
    Bad("control character in date", "/api/v1/events/?date_after=2023-05-01%1b", ("date_after",)),
    Bad("bell character in place", "/api/v1/events/?place=baku%07", ("place",)),
    Bad("right-to-left override slug", "/api/v1/events/?actor=%E2%80%AEnekinlb", ("actor",)),
    Bad("emoji slug", "/api/v1/places/?within=%F0%9F%92%A5", ("within",)),
    Bad("invalid UTF-8 in slug", "/api/v1/events/?actor=%ff%fe", ("actor",)),
    Bad("superscript digit page_size", "/api/v1/events/?page_size=%C2%B2", ("page_size",)),
    Bad("SQL in actor", f"/api/v1/events/?actor={SQL}", ("actor",)),
    Bad("SQL in ordering", "/api/v1/events/?ordering=id;DELETE%20FROM%20facts_event", ("ordering",)),
    Bad("SQL in type", "/api/v1/events/?type=04'%20OR%20'1'='1", ("type",)),
    Bad("SQL in date", "/api/v1/statements/?date_before=2023-01-01'--", ("date_before",)),
]

WRITES = [
    Bad("malformed JSON", "/api/v1/events/", ("body",), "post", '{"title": "x", ', statuses=(400,), write=True),
    Bad("JSON array instead of object", "/api/v1/events/", ("non_field_errors",), "post", "[1, 2, 3]", write=True),
    Bad(
        "wrong content type", "/api/v1/events/", ("Content-Type",), "post", "title=x", "text/plain", (415,), write=True
    ),
    Bad(
        "form body missing required fields",
        "/api/v1/events/",
        ("event_type", "evidence"),
        "post",
        "title=x",
        "application/x-www-form-urlencoded",
        (400, 415),
        write=True,
    ),
    Bad(
        "unknown field",
        "/api/v1/actors/",
        ("colour",),
        "post",
        {"name": "Test", "slug": "test-actor", "kind": "person", "colour": "blue"},
        write=True,
    ),
    Bad(
        "wrong type for kind",
        "/api/v1/actors/",
        ("kind",),
        "post",
        {"name": "Test", "slug": "t", "kind": 7},
        write=True,
    ),
    Bad("empty name", "/api/v1/actors/", ("name",), "post", {"name": "", "slug": "t", "kind": "person"}, write=True),
    Bad(
        "overlong name", "/api/v1/actors/", ("name",), "post", {"name": LONG, "slug": "t", "kind": "person"}, write=True
    ),
    Bad(
        "NUL in name",
        "/api/v1/actors/",
        ("name",),
        "post",
        {"name": "Bad\u0000Name", "slug": "t", "kind": "person"},
        write=True,
    ),
    Bad(
        "SQL-looking slug",
        "/api/v1/actors/",
        ("slug",),
        "post",
        {"name": "X", "slug": SQL, "kind": "person"},
        write=True,
    ),
    Bad(
        "huge number as id",
        "/api/v1/statements/",
        ("speaker", "event", "source"),
        "post",
        {"speaker": 99999999999999999999999, "text": "x", "kind": "quote"},
        write=True,
    ),
    Bad(
        "nested garbage participants",
        "/api/v1/events/",
        ("participants",),
        "post",
        {"title": "x", "participants": "everyone"},
        write=True,
    ),
    Bad(
        "nested garbage evidence",
        "/api/v1/events/",
        ("evidence",),
        "post",
        {"title": "x", "evidence": [{"passage": {"nested": ["garbage"]}}]},
        write=True,
    ),
    Bad(
        "deeply nested garbage",
        "/api/v1/events/",
        ("participants", "title"),
        "post",
        {"title": {"a": {"b": {"c": [1, [2, [3]]]}}}, "participants": [[[]]]},
        write=True,
    ),
]

CATALOGUE = READS + WRITES


def snapshot() -> dict[str, int]:
    """Row counts of every table the project owns, history and users included."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"facts", "auth", "authtoken"}
    }


def named(body: dict, names: tuple[str, ...]) -> bool:
    if any(name in body["errors"] for name in names):
        return True
    return any(name in body["detail"] for name in names)


def send(client: Client, bad: Bad):
    kwargs = {"content_type": bad.content_type} if bad.method != "get" else {}
    if bad.body is None:
        return getattr(client, bad.method)(bad.path, **kwargs)
    body = bad.body if isinstance(bad.body, str) else json.dumps(bad.body)
    return getattr(client, bad.method)(bad.path, body, **kwargs)


def check(client: Client, bad: Bad) -> None:
    before = snapshot()
    response = send(client, bad)
    assert response.status_code in bad.statuses, (response.status_code, response.content[:400])
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert payload["status"] == response.status_code and payload["code"] and payload["detail"]
    assert named(payload, bad.names), payload
    assert "Traceback" not in response.content.decode()
    assert snapshot() == before, "the database changed"


def test_catalogue_is_big_enough():
    assert len(READS) >= 40
    assert len({bad.label for bad in CATALOGUE}) == len(CATALOGUE)


# The article is loaded once per test and each entry runs as a subtest, so that a failure names the entry.


@pytest.mark.django_db
def test_bad_reads_get_a_4xx_json_error_naming_the_parameter(subtests):
    call_command("loaddata", *FIXTURES, verbosity=0)
    client = Client(raise_request_exception=False)
    for bad in READS:
        with subtests.test(msg=bad.label, path=bad.path[:120]):
            check(client, bad)


@pytest.mark.django_db
def test_bad_writes_get_a_4xx_json_error_naming_the_field(subtests):
    call_command("loaddata", *FIXTURES, verbosity=0)
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("curator", password="right-horse-battery"))
    for bad in WRITES:
        with subtests.test(msg=bad.label):
            check(client, bad)
