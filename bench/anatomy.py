"""The shape of the code a request runs through: `python -m bench.anatomy [--json FILE]`.

For a before/after comparison of a refactor, on the article's fixtures in a scratch SQLite file (or DATABASE_URL):
- SQL queries per endpoint: every list and detail of the read API, the claims and the changes feed, and one write;
- the project files and functions that run during one list request (`GET /api/v1/events/?actor=X&type=04`) and one
  write (`PATCH /api/v1/events/<id>/`), traced with sys.setprofile. A file counts when one of its functions runs;
  migrations and management commands are left out, as they do not serve requests.
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIRS = ("facts", "conflictapi")
# What every request passes through whatever it asks (middleware, throttles, permissions): counted apart, so that the
# path of the request's own work can be compared.
CROSS_CUTTING = {"middleware.py", "throttling.py", "permissions.py"}


def project_file(filename: str) -> str | None:
    path = Path(filename)
    try:
        relative = path.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if relative.parts[0] not in PROJECT_DIRS or "migrations" in relative.parts or "management" in relative.parts:
        return None
    return str(relative)


def trace(call):
    """(files, functions) of the project that run during call(): {file: sorted function names}."""
    seen: dict[str, set[str]] = defaultdict(set)

    def profile(frame, event, arg):
        if event == "call":
            name = project_file(frame.f_code.co_filename)
            if name is not None:
                seen[name].add(frame.f_code.co_qualname)

    sys.setprofile(profile)
    try:
        response = call()
    finally:
        sys.setprofile(None)
    return response, {name: sorted(functions) for name, functions in sorted(seen.items())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="Write the figures to this file as well.")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="anatomy-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/anatomy.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictapi.settings")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))
    os.environ.setdefault("THROTTLE_ENABLED", "0")
    # Each request is made twice (a warm-up, then the one counted): with the response cache on, the counted one would
    # be a cache hit. The anatomy is that of the view's own path.
    os.environ.setdefault("API_RESPONSE_CACHE", "0")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    call_command("load_article", verbosity=0)
    user = get_user_model().objects.create_superuser("anatomy", "anatomy@example.org", secrets.token_urlsafe(20))
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    from facts.models import Event, Place, Relation, Source, Statement

    event = Event.objects.filter(participants__isnull=False).order_by("id").first()
    actor = event.actors.order_by("slug").first()
    endpoints = {
        "events list": "/api/v1/events/",
        "events ?actor&type": f"/api/v1/events/?actor={actor.slug}&type={event.event_type_id[:2]}",
        "events ?search": "/api/v1/events/?search=talks",
        "event detail": f"/api/v1/events/{event.id}/",
        "event claims": f"/api/v1/events/{event.id}/claims/",
        "statements list": "/api/v1/statements/",
        "statement detail": f"/api/v1/statements/{Statement.objects.order_by('id').first().id}/",
        "relations list": "/api/v1/relations/",
        "relation detail": f"/api/v1/relations/{Relation.objects.order_by('id').first().id}/",
        "actors list": "/api/v1/actors/",
        "actor detail": f"/api/v1/actors/{actor.slug}/",
        "places list": "/api/v1/places/",
        "place detail": f"/api/v1/places/{Place.objects.order_by('id').first().slug}/",
        "sources list": "/api/v1/sources/",
        "source detail": f"/api/v1/sources/{Source.objects.order_by('id').first().id}/",
        "event-types list": "/api/v1/event-types/",
        "changes feed": "/api/v1/changes/",
    }
    accept = {"events CSV": "text/csv"}
    endpoints["events CSV"] = "/api/v1/events/"
    client = Client(HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {token.key}")
    queries = {}
    for name, url in endpoints.items():
        headers = {"HTTP_ACCEPT": accept[name]} if name in accept else {}
        client.get(url, **headers)  # warm caches (URL resolver, content types) so the count is a steady request's
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **headers)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        queries[name] = len(captured.captured_queries)

    list_url = endpoints["events ?actor&type"]
    client.get(list_url)
    _, list_path = trace(lambda: client.get(list_url))

    detail = client.get(f"/api/v1/events/{event.id}/")
    etag = detail.headers.get("ETag", "")

    def write():
        return client.patch(
            f"/api/v1/events/{event.id}/",
            data=json.dumps({"description": "Traced by anatomy."}),
            content_type="application/json",
            HTTP_IF_MATCH=etag,
        )

    with CaptureQueriesContext(connection) as captured:
        response, write_path = trace(write)
    if response.status_code != 200:
        raise SystemExit(f"the write answered {response.status_code}: {response.content[:300]!r}")
    queries["event PATCH"] = len(captured.captured_queries)

    report = {
        "queries": queries,
        "list_request": {
            "url": list_url,
            "files": len(list_path),
            "functions": sum(len(f) for f in list_path.values()),
            "path": list_path,
        },
        "write_request": {
            "url": f"PATCH /api/v1/events/{event.id}/",
            "files": len(write_path),
            "functions": sum(len(f) for f in write_path.values()),
            "path": write_path,
        },
    }
    width = max(map(len, queries))
    print("SQL queries per request")
    for name, count in queries.items():
        print(f"  {name:<{width}}  {count}")
    for key in ("list_request", "write_request"):
        item = report[key]
        own = {name: functions for name, functions in item["path"].items() if Path(name).name not in CROSS_CUTTING}
        item["own_files"], item["own_functions"] = len(own), sum(len(f) for f in own.values())
        print(
            f"{item['url']}: {item['files']} project files, {item['functions']} project functions; without "
            f"middleware, throttling and permissions: {item['own_files']} files, {item['own_functions']} functions"
        )
        for name, functions in item["path"].items():
            print(f"  {name}: {len(functions)}")
    if args.json:  # after the loop above, which adds the own_* figures
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
