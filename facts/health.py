"""Probes for a process manager or load balancer: /healthz (is the process alive) and /readyz (can it serve)."""

from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from facts.exceptions import DATABASE_ERRORS, database_unavailable_response, log_database_error


@never_cache
@require_safe
def healthz(request):
    """Liveness: answers 200 while the process can serve HTTP; never touches the database, so an outage does not
    get a healthy process restarted for nothing."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: 200 when every configured database answers SELECT 1, else 503 JSON with Retry-After."""
    try:
        for alias in connections:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except DATABASE_ERRORS as exc:
        log_database_error(request, exc)
        return database_unavailable_response(request)
    return JsonResponse({"status": "ok", "database": "ok"})
