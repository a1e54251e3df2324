"""JSON is rendered by orjson (facts.api.renderers.OrjsonRenderer) with the content DRF's JSONRenderer gave."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from facts.api.renderers import OrjsonRenderer

VALUES = {
    "decimal": Decimal("40.1776"),
    "datetimes": [
        datetime(2023, 5, 1, 12, 30, 45, 123456, tzinfo=UTC),
        datetime(2023, 5, 1, 12, 30, 45, tzinfo=timezone(timedelta(hours=4))),
        datetime(2023, 5, 1, 12, 30, 45, 999),
    ],
    "date": date(2023, 5, 1),
    "text": "Ilham Əliyev · Nikol Փաշինյան · “quotes” · \u2028 line separator · emoji 🕊",
    "lazy": gettext_lazy("Not found."),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "numbers": [0, -1, 2**53 + 1, 1.5, -33.86],
    "nested": {"a": [None, True, False, {"b": []}]},
    1: "an integer key",
}


def test_every_value_reads_the_same_as_from_drfs_renderer():
    assert json.loads(OrjsonRenderer().render(VALUES)) == json.loads(JSONRenderer().render(VALUES))


def test_the_bytes_are_drfs_compact_json_but_for_the_line_separators_drf_escapes():
    ours = OrjsonRenderer().render(VALUES)
    theirs = JSONRenderer().render(VALUES)
    assert ours == theirs.replace(b"\\u2028", "\u2028".encode())


def test_indented_json_is_still_drfs():
    media_type = "application/json; indent=4"
    assert OrjsonRenderer().render(VALUES, media_type) == JSONRenderer().render(VALUES, media_type)


@pytest.fixture
def article(db):
    call_command("load_article", verbosity=0)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/?page_size=50",
        "/api/v1/events/19/",
        "/api/v1/events/9/claims/",
        "/api/v1/actors/?page_size=50",
        "/api/v1/actors/antony-blinken/",
        "/api/v1/places/baku/",
        "/api/v1/sources/1/",
        "/api/v1/statements/?kind=quote",
        "/api/v1/relations/",
        "/api/v1/event-types/?page_size=200",
        "/api/v1/mentions/?page_size=20",
        "/api/v1/changes/?page_size=50",
        "/api/v1/events/?page_size=1000",  # an error body
        "/api/v1/events/123456/",  # a 404
    ],
)
def test_api_answers_read_the_same_as_drfs_renderer_made_them(article, url):
    response = APIClient().get(url)
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == json.loads(JSONRenderer().render(response.data))
