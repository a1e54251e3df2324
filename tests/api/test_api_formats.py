"""Export formats: CSV on every list (streamed, filtered, not paged), GeoJSON for places and events."""

import csv
import io
import json

import pytest

from facts.models import Event, Place
from tests.article_api import api_fixture, article_fixture, body, error_names, get_json  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

LISTS = ["events", "statements", "relations", "actors", "places", "sources", "event-types"]


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, body(response)[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(body(response))))


@pytest.mark.parametrize("resource", LISTS)
def test_csv_streams_every_row_whatever_the_page_size(api, resource):
    response = api.get(f"/api/v1/{resource}/?format=csv&page_size=1")
    assert response.streaming
    assert response["Content-Disposition"].endswith('.csv"')
    rows = csv_rows(response)
    assert len(rows) == get_json(api, f"/api/v1/{resource}/")["count"]


def test_csv_by_accept_header_follows_filters_and_flattens_references(api):
    rows = csv_rows(api.get("/api/v1/events/?actor=antony-blinken&type=041", HTTP_ACCEPT="text/csv"))
    assert [row["title"] for row in rows] == ["Blinken's call with Ilham Aliyev"]
    (call,) = rows
    assert call["participants"] == "antony-blinken:initiator | ilham-aliyev:target"
    assert call["type"] == "041"
    assert call["date_text"] == "Sunday" and call["date_start"] == "2023-04-30"
    assert "Blinken also spoke Sunday with Azerbaijan President Ilham Aliyev" in call["evidence"]


def test_csv_columns_follow_fields(api):
    response = api.get("/api/v1/statements/?format=csv&speaker=vedant-patel&fields=id,speaker,kind")
    text = body(response)
    assert text.splitlines()[0] == "id,speaker,kind"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["speaker"], r["kind"]) for r in rows] == [("vedant-patel", "quote")] * 3


def test_csv_errors_are_json(api):
    assert "actor" in error_names(api, "/api/v1/events/?format=csv&actor=nobody")
    assert "fields" in error_names(api, "/api/v1/events/?format=csv&fields=nope")


def geojson(response) -> dict:
    assert response.status_code == 200, body(response)[:300]
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(body(response))


def test_places_geojson_has_the_places_with_coordinates(api):
    collection = geojson(api.get("/api/v1/places/?format=geojson&within=armenia"))
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {"armenia", "yerevan"}
    yerevan = features["yerevan"]
    assert yerevan["geometry"] == {"type": "Point", "coordinates": [44.51, 40.18]}
    assert yerevan["properties"]["name"] == "Yerevan" and yerevan["properties"]["parent"]["slug"] == "armenia"
    # The State Department facility has no coordinates, so it is left out.
    everything = geojson(api.get("/api/v1/places/", HTTP_ACCEPT="application/geo+json"))
    assert {f["id"] for f in everything["features"]} == set(
        Place.objects.filter(latitude__isnull=False).values_list("slug", flat=True)
    )
    assert "state-department-facility" not in {f["id"] for f in everything["features"]}


def test_events_geojson_takes_the_place_coordinates(api):
    collection = geojson(api.get("/api/v1/events/?format=geojson&place=azerbaijan&fields=id,title,place"))
    features = {f["properties"]["title"]: f for f in collection["features"]}
    assert set(features) == {
        "Recurring clashes over Nagorno-Karabakh",
        "Russia posts peacekeepers along the Lachin corridor",
        "Azerbaijan sets up a checkpoint on the Lachin Corridor",
        "Colonna visits Baku",
    }
    baku = Place.objects.get(slug="baku")
    assert features["Colonna visits Baku"]["geometry"]["coordinates"] == [float(baku.longitude), float(baku.latitude)]
    assert set(features["Colonna visits Baku"]["properties"]) == {"id", "title", "place"}
    # Talks at the State Department facility (no coordinates) are not features.
    everything = geojson(api.get("/api/v1/events/?format=geojson"))
    assert len(everything["features"]) == Event.objects.filter(place__latitude__isnull=False).count()


def test_geojson_is_for_places_and_events_only_and_lists_only(api):
    assert api.get("/api/v1/actors/?format=geojson").status_code in (404, 406)
    assert api.get("/api/v1/places/baku/?format=geojson").status_code in (404, 406)
    assert api.get("/api/v1/places/baku/?format=csv").status_code in (404, 406)


def test_unknown_format_is_refused_as_json(api):
    response = api.get("/api/v1/events/?format=xml")
    assert response.status_code in (404, 406)
    assert response["Content-Type"].startswith("application/json")


def test_browsable_api_stays_on(api):
    response = api.get("/api/v1/events/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Blinken" in body(response)
