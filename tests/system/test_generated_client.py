"""The schema is usable by real tools: openapi-python-client generates a client that lists and filters events.

The client is generated from the live server's /api/schema/ into a temp folder, imported, and pointed at gunicorn
serving the article fixtures. Filtered results are checked against the same data filtered on the client side.
"""

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from livegunicorn import REPO, Gunicorn, fetch, prepare, production_env, scratch_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import REPO, Gunicorn, fetch, prepare, production_env, scratch_database

GENERATOR = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
HTTPS = {"X-Forwarded-Proto": "https"}

pytestmark = pytest.mark.skipif(GENERATOR is None, reason="openapi-python-client is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    static_root = str(tmp_path_factory.mktemp("static"))
    with scratch_database(prefix="conflictapi_client") as database_url:
        env = production_env(database_url, static_root)
        prepare(env, collectstatic=False)
        with Gunicorn(env) as gunicorn:
            yield gunicorn


@pytest.fixture(scope="module")
def generated(server, tmp_path_factory):
    """The generated package, imported: `conflict_client`."""
    folder = tmp_path_factory.mktemp("client")
    status, _, body = fetch(server.url + "/api/schema/?format=json", HTTPS)
    assert status == 200
    schema = folder / "schema.json"
    schema.write_text(body.decode())
    result = subprocess.run(
        [
            GENERATOR,
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(folder / "conflict_client"),
            "--meta",
            "none",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("conflict_client")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "conflict_client" or n.startswith("conflict_client.")]:
            del sys.modules[name]


def operation(package, suffix: str):
    """The generated module for an operation, found by the end of its name (e.g. "events_list")."""
    api = Path(package.__file__).parent / "api"
    matches = sorted(p for p in api.rglob(f"*{suffix}.py"))
    assert matches, f"no generated operation ends with {suffix}"
    relative = matches[0].relative_to(Path(package.__file__).parent).with_suffix("")
    return importlib.import_module("conflict_client." + ".".join(relative.parts))


@pytest.fixture(scope="module")
def client(generated, server):
    return generated.client.Client(base_url=server.url, headers=HTTPS, raise_on_unexpected_status=True)


@pytest.fixture(scope="module")
def all_events(generated, client):
    page = operation(generated, "events_list").sync(client=client, page_size=500)
    assert page.next_ is None, "more events than one page: raise page_size"
    return [event.to_dict() for event in page.results]


def test_lists_every_event(all_events):
    fixture = json.loads((REPO / "fixtures" / "04_events.json").read_text())
    assert sorted(e["id"] for e in all_events) == sorted(
        item["pk"] for item in fixture if item["model"] == "facts.event"
    )


def test_filters_by_type_prefix(generated, client, all_events):
    page = operation(generated, "events_list").sync(client=client, type_="04", page_size=500)
    expected = {e["id"] for e in all_events if e["type"] and e["type"]["code"].startswith("04")}
    assert expected, "the article has consultations (CAMEO 04x)"
    assert {e.to_dict()["id"] for e in page.results} == expected
    assert page.count == len(expected)


def test_filters_by_actor(generated, client, all_events):
    slug = next(e for e in all_events if e["participants"])["participants"][0]["slug"]
    page = operation(generated, "events_list").sync(client=client, actor=[slug], page_size=500)
    expected = {e["id"] for e in all_events if slug in {p["slug"] for p in e["participants"]}}
    assert {e.to_dict()["id"] for e in page.results} == expected


def test_retrieves_one_event(generated, client, all_events):
    first = all_events[0]
    event = operation(generated, "events_retrieve").sync(client=client, id=first["id"])
    assert event.to_dict()["title"] == first["title"]


def test_bad_parameter_comes_back_as_the_error_model(generated, client):
    error = operation(generated, "events_list").sync(client=client, page_size=501)
    assert isinstance(error, generated.models.Error)
    assert error.status == 400 and error.code == "invalid"
    assert "page_size" in error.errors.to_dict()
