"""Keeps errors outside DRF views in the API's JSON shape, database outages out of HTML 500 pages, the docs pages
off the internet (Content-Security-Policy), and bodies without a Content-Length from passing as empty (411)."""

from django.http import HttpResponse
from rest_framework.response import Response

from facts.exceptions import (
    DATABASE_ERRORS,
    database_unavailable_response,
    json_error,
    log_database_error,
    page_not_found,
    wants_json,
)

# The API docs pages load only what this server serves. Besides guarding against injected scripts, this keeps the
# docs from reaching the internet: the ReDoc bundle, for one, fetches its vendor's logo from a CDN.
DOCS_CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
DOCS_PATHS = ("/api/docs/", "/api/redoc/")


class ApiErrorMiddleware:
    """Turns database outages into 503 + Retry-After, non-JSON 404s under /api/ into the JSON error shape, and adds
    a same-origin Content-Security-Policy to the docs pages.

    DRF views already do both through facts.exceptions.api_exception_handler; this covers what lies outside them:
    the admin, the health views, and Django's own 404 for unknown /api/ URLs, which with DEBUG on is an HTML debug
    page that handler404 never sees.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 404
            and wants_json(request)
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return page_not_found(request, None)
        if request.path in DOCS_PATHS:
            response.setdefault("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            log_database_error(request, exception)
            # Django's request_finished handler then closes the broken connection (errors_occurred is set), and
            # CONN_HEALTH_CHECKS replaces a stale one on the next request: recovery needs no restart.
            return database_unavailable_response(request)
        return None


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LengthRequiredMiddleware:
    """Refuses a write whose body comes without Content-Length (`Transfer-Encoding: chunked`) with 411.

    Django's WSGI request reads CONTENT_LENGTH bytes of the body, and none when it is absent; gunicorn passes a
    chunked body on without one. Served, such a PATCH would parse as an empty body and answer 200 having changed
    nothing. Refusing it tells the client to resend with a length, which every HTTP client can do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in BODY_METHODS
            and request.META.get("HTTP_TRANSFER_ENCODING")
            and not request.META.get("CONTENT_LENGTH")
        ):
            return length_required_response(request)
        return self.get_response(request)


def length_required_response(request) -> HttpResponse:
    detail = ("A request body needs a Content-Length header: chunked transfer encoding is not supported. "
              "Nothing was changed.")
    if wants_json(request):
        return json_error(411, "length_required", detail, {
            "Content-Length": ["Required: send the body with a Content-Length header instead of Transfer-Encoding."],
        })
    return HttpResponse(detail, status=411, content_type="text/plain; charset=utf-8")
