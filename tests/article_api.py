"""Shared support for the read-API tests: the article fixtures loaded once per test module, and request helpers.

Test modules import `article_fixture` / `api_fixture` and request them as `article` / `api`. The fixtures are loaded
inside a transaction that stays open for the module and is rolled back at its end, so each
module pays for one `loaddata` and other test modules still start from an empty database.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import Client

FIXTURE_FILES = sorted(str(p) for p in (Path(settings.BASE_DIR) / "fixtures").glob("*.json"))


@pytest.fixture(scope="module", name="article")
def article_fixture(django_db_setup, django_db_blocker):
    """The article fixtures, for every test of the module (which must also use `db`)."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            call_command("loaddata", *FIXTURE_FILES, verbosity=0)
            yield
            transaction.set_rollback(True)


@pytest.fixture(name="api")
def api_fixture(article, db):
    """A test client over the article fixtures."""
    return Client()


def body(response):
    """The response body as text, streaming or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode("utf-8")


def get_json(client, url, status=200, **extra):
    response = client.get(url, **extra)
    assert response.status_code == status, (url, response.status_code, body(response)[:500])
    return json.loads(body(response))


def results(client, url) -> list[dict]:
    """Every item of a list, following `next` links."""
    items, next_url = [], url
    while next_url:
        page = get_json(client, next_url)
        items.extend(page["results"])
        next_url = page["next"]
    return items


def titles(client, url) -> set[str]:
    return {item["title"] for item in results(client, url)}


def error_names(client, url, status=400, **extra) -> set[str]:
    """The parameter names a 4xx JSON error body points at (works with the plain DRF shape and the `errors` one)."""
    response = client.get(url, **extra)
    assert response.status_code == status, (url, response.status_code, body(response)[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = json.loads(body(response))
    errors = data.get("errors", data) if isinstance(data, dict) else {}
    return set(errors)
