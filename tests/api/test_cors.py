"""CORS: a browser app on a listed origin can send every request header the API reads (a delete with its reason, a
conditional write) and read every response header the API sets for it."""

import json

import pytest

from tests.conftest import make_event

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.org"
READ_HEADERS = ["authorization", "content-type", "if-match", "if-none-match", "x-change-reason"]
SET_HEADERS = ["ETag", "Location", "Retry-After"]


@pytest.fixture(autouse=True)
def listed_origin(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]


def preflight(client, url, method, headers, origin=ORIGIN):
    return client.options(
        url,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=", ".join(headers),
    )


def listed(value: str) -> list[str]:
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def test_preflight_of_a_delete_with_a_reason_and_if_match(client):
    response = preflight(client, "/api/v1/events/1/", "DELETE", ["authorization", "if-match", "x-change-reason"])
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "delete" in listed(response["Access-Control-Allow-Methods"])
    assert set(READ_HEADERS) <= set(listed(response["Access-Control-Allow-Headers"]))


@pytest.mark.parametrize("header", READ_HEADERS)
def test_preflight_allows_each_header_the_api_reads(client, header):
    response = preflight(client, "/api/v1/events/", "POST", [header])
    assert header in listed(response["Access-Control-Allow-Headers"])


def test_preflight_from_an_unlisted_origin_gets_no_cors_headers(client):
    response = preflight(client, "/api/v1/events/1/", "DELETE", ["x-change-reason"], origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Headers" not in response


def test_responses_expose_the_headers_the_api_sets(client):
    response = client.get("/api/v1/events/", HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    exposed = listed(response["Access-Control-Expose-Headers"])
    assert {name.lower() for name in SET_HEADERS} <= set(exposed)
    assert "content-disposition" in exposed  # the export's file name


def test_a_cross_origin_delete_with_a_reason_is_recorded(admin_user, source):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    event = make_event(source, "The United States hosted negotiations between Armenia and Azerbaijan on Monday")
    client = Client()
    token = Token.objects.create(user=admin_user)
    etag = client.get(f"/api/v1/events/{event.pk}/")["ETag"]
    response = client.delete(
        f"/api/v1/events/{event.pk}/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_AUTHORIZATION=f"Token {token.key}",
        HTTP_IF_MATCH=etag,
        HTTP_X_CHANGE_REASON="Duplicate of another event",
    )
    assert response.status_code == 204, response.content
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    record = event.history.order_by("-history_id").first()
    assert record.history_type == "-" and record.history_change_reason == "Duplicate of another event"


def test_a_cross_origin_error_is_readable(client):
    response = client.get("/api/v1/events/?page_size=abc", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert json.loads(response.content)["errors"].keys() == {"page_size"}
