"""Every error under /api/ is JSON in one shape: {"status", "code", "detail", "errors"}, with no internals leaked.

Statuses the read API can produce are checked on its real endpoints. Those that need write endpoints or an
authenticator with a challenge (401, 403, 412, 415, malformed JSON) are checked on small probe views mounted under
/api/ by this module's URLconf, next to the project's own routes, so the project's handlers answer them exactly as
they would answer a real endpoint.
"""

from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client
from django.urls import path
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from conflictapi import urls as project_urls
from facts.api.curation import PreconditionFailed

# Internals that must never reach a client: stack traces, SQL, driver messages naming hosts.
LEAKS = ("Traceback", 'File "', "SELECT", "INSERT", "psycopg", "sqlite3", "10.9.8.7", "port 5432")


class ProbeSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    count = serializers.IntegerField(min_value=0)


class ProtectedProbe(APIView):
    """Staff only, with HTTP Basic so that an anonymous caller gets a 401 challenge."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAdminUser]

    def get(self, request):
        return Response({"ok": True})


class EchoProbe(APIView):
    """Accepts only a JSON body matching ProbeSerializer."""

    parser_classes = [JSONParser]
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        serializer = ProbeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class StaleProbe(APIView):
    """Answers as a stale If-Match does on the curation endpoints."""

    authentication_classes = []
    permission_classes = []

    def put(self, request):
        raise PreconditionFailed('"abc123"')


class BrokenProbe(APIView):
    """Fails with a message full of internals, as a real bug might."""

    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise RuntimeError('SELECT secret FROM facts_event -- File "/work/main/facts/views.py"')


urlpatterns = [
    path("api/probe/protected/", ProtectedProbe.as_view()),
    path("api/probe/echo/", EchoProbe.as_view()),
    path("api/probe/stale/", StaleProbe.as_view()),
    path("api/probe/broken/", BrokenProbe.as_view()),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture(autouse=True)
def probe_urls(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    # Throttle counters live in the cache; start and end every test with none.
    cache.clear()
    yield
    cache.clear()


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body) == {"status", "code", "detail", "errors"}, body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    text = response.content.decode()
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} leaked in {text}"
    return body


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


# 400 --------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_400_bad_filter_value_names_the_parameter(client):
    body = assert_error(client.get("/api/v1/events/?date_after=yesterday-ish"), 400, "invalid")
    assert "date_after" in body["errors"]
    assert "date_after" in body["detail"]


@pytest.mark.django_db
def test_400_bad_page_size_names_the_parameter(client):
    body = assert_error(client.get("/api/v1/events/?page_size=100000"), 400, "invalid")
    assert list(body["errors"]) == ["page_size"]


@pytest.mark.django_db
def test_400_invalid_body_names_each_field(client):
    response = client.post("/api/probe/echo/", {"name": "x" * 11, "count": -1}, content_type="application/json")
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"name", "count"}


@pytest.mark.django_db
def test_400_malformed_json_is_a_parse_error(client):
    response = client.post("/api/probe/echo/", '{"name": "x", ', content_type="application/json")
    body = assert_error(response, 400, "parse_error")
    assert list(body["errors"]) == ["body"]


# 401 / 403 --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_401_anonymous_gets_a_challenge(client):
    response = client.get("/api/probe/protected/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.django_db
def test_401_wrong_password(client):
    User.objects.create_user("reader", password="right-horse-battery")
    response = client.get("/api/probe/protected/", HTTP_AUTHORIZATION="Basic cmVhZGVyOndyb25n")  # reader:wrong
    assert_error(response, 401, "authentication_failed")


@pytest.mark.django_db
def test_403_authenticated_without_permission(client):
    User.objects.create_user("reader", password="right-horse-battery")
    # reader:right-horse-battery
    response = client.get("/api/probe/protected/", HTTP_AUTHORIZATION="Basic cmVhZGVyOnJpZ2h0LWhvcnNlLWJhdHRlcnk=")
    assert_error(response, 403, "permission_denied")


# 404 --------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_404_unknown_id(client):
    assert_error(client.get("/api/v1/events/987654321/"), 404, "not_found")


@pytest.mark.django_db
def test_404_unknown_slug(client):
    assert_error(client.get("/api/v1/actors/no-such-actor/"), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/no-such-resource/", "/api/nothing-here", "/api/v2/events/"])
def test_404_unknown_api_url_is_json(client, url):
    body = assert_error(client.get(url), 404, "not_found")
    assert url in body["detail"]


@pytest.mark.django_db
def test_404_unknown_api_url_is_json_with_debug_on_too(client, settings):
    # With DEBUG on, Django answers unknown URLs with its HTML debug page before handler404 is consulted.
    settings.DEBUG = True
    assert_error(client.get("/api/v1/no-such-resource/"), 404, "not_found")


@pytest.mark.django_db
def test_404_outside_the_api_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# 405 / 406 / 412 / 415 ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_405_method_not_allowed(client):
    # A superuser passes every permission check, so only the method itself is wrong.
    client.force_login(User.objects.create_superuser("root", password="right-horse-battery"))
    response = client.put("/api/v1/event-types/", {}, content_type="application/json")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


@pytest.mark.django_db
def test_406_unknown_format_parameter_is_named(client):
    body = assert_error(client.get("/api/v1/events/?format=xml"), 406, "unknown_format")
    assert list(body["errors"]) == ["format"]
    assert "csv" in body["errors"]["format"][0]


@pytest.mark.django_db
def test_406_unacceptable_accept_header(client):
    body = assert_error(client.get("/api/v1/events/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")
    assert list(body["errors"]) == ["Accept"]


@pytest.mark.django_db
def test_412_stale_if_match(client):
    body = assert_error(
        client.put("/api/probe/stale/", {}, content_type="application/json"), 412, "precondition_failed"
    )
    assert "If-Match" in body["errors"]


@pytest.mark.django_db
def test_415_wrong_content_type(client):
    response = client.post("/api/probe/echo/", "name=x&count=1", content_type="application/x-www-form-urlencoded")
    body = assert_error(response, 415, "unsupported_media_type")
    assert list(body["errors"]) == ["Content-Type"]


@pytest.mark.django_db
def test_error_asked_for_as_csv_is_still_json(client):
    response = client.get("/api/v1/events/?format=csv&date_after=not-a-date")
    body = assert_error(response, 400, "invalid")
    assert "date_after" in body["errors"]


# 429 --------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_429_anonymous_throttle_with_retry_after(client):
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "6/minute"}):
        statuses = [client.get("/api/v1/event-types/").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        response = client.get("/api/v1/event-types/")
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_429_authenticated_throttle_has_its_own_rate(client):
    user = User.objects.create_user("curator", password="right-horse-battery")
    client.force_login(user)
    with mock.patch.object(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "4/minute"}):
        statuses = [client.get("/api/v1/event-types/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


# 500 / 503 --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_500_is_json_without_internals(client):
    assert_error(client.get("/api/probe/broken/"), 500, "server_error")


def database_down():
    """The database refuses every new cursor, as it does when the server is stopped."""
    return mock.patch.object(
        connection,
        "ensure_connection",
        side_effect=OperationalError('connection to server at "10.9.8.7", port 5432 failed: Connection refused'),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/",
        "/api/v1/events/1/",
        "/api/v1/actors/",
        "/api/v1/statements/?speaker=antony-blinken",
        # The export reads its first chunk before the stream starts, so an outage is a 503, not a cut-short 200.
        "/api/v1/events/?format=csv",
    ],
)
def test_503_database_down_on_the_api(client, url):
    with database_down():
        response = client.get(url)
    assert_error(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_503_database_down_with_debug_on_is_still_json(client, settings):
    settings.DEBUG = True
    with database_down():
        response = client.get("/api/v1/events/")
    assert_error(response, 503, "database_unavailable")


@pytest.mark.django_db
def test_503_readyz_when_database_down_while_healthz_stays_up(client):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}
    with database_down():
        ready = client.get("/readyz")
        live = client.get("/healthz")
    assert_error(ready, 503, "database_unavailable")
    assert ready["Retry-After"]
    assert live.status_code == 200 and live.json() == {"status": "ok"}


@pytest.mark.django_db
def test_503_admin_with_database_down_is_a_plain_page_not_a_500(client):
    staff = User.objects.create_user("staff", password="right-horse-battery", is_staff=True, is_superuser=True)
    client.force_login(staff)
    with database_down():
        response = client.get("/admin/")
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response["Content-Type"].startswith("text/plain")
    assert "10.9.8.7" not in response.content.decode()
