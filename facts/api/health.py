"""Probes for a process manager or load balancer: /healthz (is the process alive) and /readyz (can it serve)."""

import threading
import time

from django.conf import settings
from django.db import OperationalError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from facts.api.errors import DATABASE_ERRORS, database_unavailable_response, log_database_error


@never_cache
@require_safe
def healthz(request):
    """Liveness: answers 200 while the process can serve HTTP; never touches the database, so an outage does not
    get a healthy process restarted for nothing."""
    return JsonResponse({"status": "ok"})


# The probe thread of each database alias in this process, while it runs (see check_new_connection).
_probes: dict[str, threading.Thread] = {}
_probes_lock = threading.Lock()


def _select_one(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _probe(alias: str, outcome: list) -> None:
    """In a thread of its own: a new connection to `alias` answers SELECT 1, then closes; any error goes to outcome."""
    connection = connections[alias]  # this thread's own connection, never the one a request thread uses
    try:
        _select_one(connection)
    except BaseException as exc:  # noqa: BLE001 -- handed to the request thread, which re-raises it
        outcome.append(exc)
    finally:
        connection.close()


def check_new_connection(alias: str, timeout: float | None) -> None:
    """Raise OperationalError unless a new connection to `alias` answers SELECT 1 within `timeout` seconds (None:
    as long as the connect timeout lets it take).

    A connect timeout cannot do this: psycopg's is in whole seconds and at least 2, and it is what a request waits
    (DATABASE_CONNECT_TIMEOUT). So the probe connects in a thread and the request waits for it `timeout` seconds at
    most. A thread left waiting on a silent server ends at the connect timeout; until then further probes of that
    alias answer 503 at once instead of starting another thread, so probes cannot pile threads up.
    """
    with _probes_lock:
        running = _probes.get(alias)
        if running is not None and running.is_alive():
            raise OperationalError(f"database {alias!r}: the previous readiness probe is still waiting for an answer")
        outcome: list[BaseException] = []
        thread = threading.Thread(target=_probe, args=(alias, outcome), name=f"readyz-{alias}", daemon=True)
        _probes[alias] = thread
        thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise OperationalError(f"database {alias!r}: no answer to the readiness probe within {timeout:g} s")
    if outcome:
        raise outcome[0]


@never_cache
@require_safe
def readyz(request):
    """Readiness: 200 when every configured database answers SELECT 1, else 503 JSON with Retry-After.

    Answers within READYZ_TIMEOUT seconds (plus the time to check connections already open) even when a database
    accepts connections and never answers: first a new connection is tried, in a thread the request waits for at
    most that long (check_new_connection); then the connection this thread's requests reuse, if one is open, so that
    a broken one is found (and replaced by the health check) before a request meets it.
    """
    limit = getattr(settings, "READYZ_TIMEOUT", 1)  # 0: no limit of its own
    deadline = time.monotonic() + limit if limit else None
    try:
        for alias in connections:
            check_new_connection(alias, None if deadline is None else max(0.0, deadline - time.monotonic()))
            if connections[alias].connection is not None:
                _select_one(connections[alias])
    except DATABASE_ERRORS as exc:
        log_database_error(request, exc)
        return database_unavailable_response(request)
    return JsonResponse({"status": "ok", "database": "ok"})
