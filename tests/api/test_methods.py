"""Methods no view answers (TRACE, PROPFIND, a DELETE of a list) are 405 with Allow for every client, anonymous
or not: the method is decided before DRF's authentication and permission checks could answer 401 or 403."""

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import make_event

pytestmark = pytest.mark.django_db

PASSAGE = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
UNKNOWN = ["TRACE", "PROPFIND", "MKCOL", "BREW"]


@pytest.fixture
def event(source):
    return make_event(source, PASSAGE)


@pytest.fixture(params=["anonymous", "token", "session"])
def caller(request, client, admin_user):
    """An anonymous client, a superuser with a token, and a superuser logged in (the browsable API)."""
    if request.param == "token":
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {Token.objects.create(user=admin_user).key}"
    elif request.param == "session":
        client.force_login(admin_user)
    return client


def urls(event):
    return {
        "list": "/api/v1/events/",
        "detail": f"/api/v1/events/{event.pk}/",
        "event-type detail": f"/api/v1/event-types/{event.event_type_id}/",
        "changes": "/api/v1/changes/",
        "landing": "/api/",
    }


def assert_405(response, method):
    assert response.status_code == 405, (method, response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == 405 and body["code"] == "method_not_allowed"
    assert method in body["detail"]
    assert "GET" in [name.strip() for name in response["Allow"].split(",")]


@pytest.mark.parametrize("method", UNKNOWN)
@pytest.mark.parametrize("kind", ["list", "detail", "event-type detail", "changes", "landing"])
def test_unknown_methods_are_405_for_every_client(caller, event, kind, method):
    assert_405(caller.generic(method, urls(event)[kind]), method)


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("list", "PUT"),
        ("list", "PATCH"),
        ("list", "DELETE"),
        ("detail", "POST"),
        ("changes", "POST"),
        ("changes", "DELETE"),
        ("landing", "POST"),
    ],
)
def test_known_methods_a_url_does_not_answer_are_405_for_every_client(caller, event, kind, method):
    assert_405(caller.generic(method, urls(event)[kind]), method)


@pytest.mark.parametrize("kind", ["list", "detail", "changes", "landing"])
def test_the_405_allow_header_is_the_one_options_gives(client, event, kind):
    url = urls(event)[kind]
    assert client.generic("TRACE", url)["Allow"] == client.options(url)["Allow"]


def test_allow_lists_what_each_url_answers(client, event):
    assert client.generic("TRACE", "/api/v1/events/")["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert client.generic("TRACE", f"/api/v1/events/{event.pk}/")["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"


def test_allowed_methods_still_check_permissions(client, event):
    assert client.get("/api/v1/events/").status_code == 200
    assert client.head(f"/api/v1/events/{event.pk}/").status_code == 200
    assert client.options("/api/v1/events/").status_code == 200
    assert client.post("/api/v1/events/", {}, content_type="application/json").status_code == 401
    assert client.delete(f"/api/v1/events/{event.pk}/").status_code == 401


def test_unknown_method_on_an_unknown_url_is_still_a_404(client):
    assert client.generic("TRACE", "/api/v1/no-such-thing/").status_code == 404


def test_unknown_method_outside_the_api_is_plain_text(client):
    response = client.generic("TRACE", "/")  # the landing page, a DRF view outside /api/
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/plain")
    assert response["Allow"] == client.options("/")["Allow"]


def test_schema_and_docs_views_too(client):
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert_405(client.generic("PROPFIND", url), "PROPFIND")
