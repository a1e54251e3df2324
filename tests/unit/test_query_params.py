"""Hostile query strings get a 400 (or a 404 for a page past the end) that names the parameter, never a 500 and
never a silently ignored or reinterpreted value: unknown names, non-ASCII numbers, mangled cursors, date-times that
the database cannot hold."""

import base64
import json

import pytest
from django.utils import timezone

from facts.api.changes import encode_cursor
from facts.api.filters import EventFilterSet
from facts.models import Event
from tests.article_api import api_fixture, article_fixture, error_names, get_json  # noqa: F401 -- fixtures used by name

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, name",
    [
        ("/api/v1/events/?plcae=baku", "plcae"),
        ("/api/v1/statements/?speakr=vedant-patel", "speakr"),
        ("/api/v1/actors/?search=US&colour=red", "colour"),
        ("/api/v1/events/1/?expand=participants", "expand"),
        ("/api/v1/changes/?model=event&sinse=2023-01-01T00:00:00Z", "sinse"),
    ],
)
def test_an_unknown_query_parameter_is_a_400_naming_it_and_listing_the_accepted_ones(api, url, name):
    assert error_names(api, url) == {name}
    message = api.get(url).json()["errors"][name][0]
    assert "Accepted here:" in message


def test_the_accepted_list_names_the_filters_and_pages_of_the_endpoint(api):
    message = api.get("/api/v1/events/?plcae=baku").json()["errors"]["plcae"][0]
    for accepted in ("place", "date_after", "date_before", "page", "page_size", "cursor", "fields", "format"):
        assert accepted in message


def test_every_documented_filter_is_accepted(api):
    get_json(
        api,
        "/api/v1/events/?place=azerbaijan&date_after=2023-01-01&date_before=2023-12-31&ordering=title"
        "&page=1&page_size=5&fields=id&format=json&status=reviewed&updated_since=2020-01-01T00:00:00Z",
    )


@pytest.mark.parametrize("value", ["5_0", "٥", "²", " 50", "+50", "5.0", "1e2"])
def test_page_size_takes_ascii_digits_only(api, value):
    assert error_names(api, f"/api/v1/events/?page_size={value}") == {"page_size"}


@pytest.mark.parametrize("value", ["1_0", "٢", "-1", "0", "99999999999999999999"])
def test_a_malformed_page_number_is_a_400_naming_page(api, value):
    assert error_names(api, f"/api/v1/events/?page={value}") == {"page"}


def test_a_page_past_the_end_is_a_404_naming_page(api):
    assert error_names(api, "/api/v1/events/?page=9999", status=404) == {"page"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize("path", ["events", "actors", "statements", "places", "sources"])
@pytest.mark.parametrize("position", ["p=abc", "p=\x00", "p=zzz", "p=1e5", "p=99999999999999999999", "o=-5&p=1"])
def test_a_cursor_that_decodes_to_no_valid_position_is_a_400_naming_cursor(api, path, position):
    assert error_names(api, f"/api/v1/{path}/?cursor={b64(position)}") == {"cursor"}


def test_an_empty_cursor_counts_as_absent(api):
    first = get_json(api, "/api/v1/events/?page_size=2")
    assert get_json(api, "/api/v1/events/?cursor=&page_size=2")["results"] == first["results"]
    feed = get_json(api, "/api/v1/changes/?page_size=2")
    assert get_json(api, "/api/v1/changes/?cursor=&page_size=2")["results"] == feed["results"]


def feed_token(parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "parts",
    [
        ["2023-05-01T00:00:00+00:00", "event", float("inf")],
        ["2023-05-01T00:00:00+00:00", "event", float("nan")],
        ["2023-05-01T00:00:00+00:00", "event", 2**70],
        ["2023-05-01T00:00:00+00:00", "event", True],
        ["2023-05-01T00:00:00+00:00", "event", "12"],
        ["2023-05-01T00:00:00", "event", 12],
        ["0001-01-01T00:00:00+23:59", "event", 12],
        ["2023-05-01T00:00:00+00:00", "nothing", 12],
    ],
)
def test_a_changes_cursor_with_bad_contents_is_a_400_naming_cursor(api, parts):
    assert error_names(api, f"/api/v1/changes/?cursor={feed_token(parts)}") == {"cursor"}


def test_a_changes_cursor_with_a_wide_utc_offset_is_read_in_utc(api):
    # A position made elsewhere with a +16:00 offset still means one instant; PostgreSQL would refuse the offset.
    first = get_json(api, "/api/v1/changes/?page_size=1")
    when = timezone.localtime(timezone.now()).replace(year=2020)
    token = encode_cursor((when.astimezone(timezone.get_fixed_timezone(16 * 60)), "event", 1))
    assert get_json(api, f"/api/v1/changes/?cursor={token}&page_size=1")["results"]
    assert first["results"]


@pytest.mark.parametrize("path", ["events", "statements", "relations", "actors", "places", "sources"])
def test_updated_since_with_an_offset_beyond_what_postgresql_holds_is_read_in_utc(api, path):
    # 2023-01-01T00:00+16:00 is 2022-12-31T08:00Z: every fixture row (loaded now) changed after it.
    items = get_json(api, f"/api/v1/{path}/?updated_since=2023-01-01T00:00:00%2B16:00&page_size=1")
    assert items["results"]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00%2B01:00", "9999-12-31T23:59:59-01:00"])
def test_updated_since_outside_the_utc_calendar_is_a_400_naming_it(api, value):
    assert error_names(api, f"/api/v1/events/?updated_since={value}") == {"updated_since"}


def test_the_changes_since_parameter_reads_wide_offsets_in_utc_and_refuses_overflow(api):
    assert get_json(api, "/api/v1/changes/?since=2023-01-01T00:00:00%2B16:00&page_size=1")["results"]
    assert error_names(api, "/api/v1/changes/?since=0001-01-01T00:00:00%2B01:00") == {"since"}


def test_the_filterset_moves_updated_since_to_utc_itself(article):
    filterset = EventFilterSet(data={"updated_since": "2023-01-01T00:00:00+16:00"}, queryset=Event.objects.all())
    assert filterset.is_valid(), filterset.errors
    assert filterset.form.cleaned_data["updated_since"].utcoffset().total_seconds() == 0
    assert filterset.qs.count() == Event.objects.count()
    refused = EventFilterSet(data={"updated_since": "0001-01-01T00:00:00+01:00"}, queryset=Event.objects.all())
    assert not refused.is_valid() and "updated_since" in refused.errors
