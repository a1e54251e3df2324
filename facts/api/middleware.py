"""Keeps errors outside DRF views in the API's JSON shape, database outages out of HTML 500 pages, the docs pages
off the internet (Content-Security-Policy), and bodies without a Content-Length from passing as empty (411)."""

from django.http import HttpResponse
from rest_framework.response import Response

from facts.api.errors import (
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

    DRF views already do both through facts.api.errors.api_exception_handler; this covers what lies outside them:
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
        length = request.META.get("CONTENT_LENGTH")
        if request.method in BODY_METHODS and length and not (length.isascii() and length.isdigit()):
            # Django reads a Content-Length it cannot parse as 0: the body would pass as an empty one, as above.
            return malformed_length_response(request)
        return self.get_response(request)


def malformed_length_response(request) -> HttpResponse:
    detail = "The Content-Length header is not a number of bytes. Nothing was changed."
    if wants_json(request):
        return json_error(400, "bad_request", detail, {"Content-Length": ["Give the body's length in bytes."]})
    return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")


def length_required_response(request) -> HttpResponse:
    detail = (
        "A request body needs a Content-Length header: chunked transfer encoding is not supported. Nothing was changed."
    )
    if wants_json(request):
        return json_error(
            411,
            "length_required",
            detail,
            {
                "Content-Length": [
                    "Required: send the body with a Content-Length header instead of Transfer-Encoding."
                ],
            },
        )
    return HttpResponse(detail, status=411, content_type="text/plain; charset=utf-8")


# --- Hostile input: NUL characters --------------------------------------------------------------------------------

NUL = "\x00"


def _shown(text: str) -> str:
    """A name from the request, safe to echo back: NULs spelled out, cut to 60 characters."""
    return text.replace(NUL, "\\0")[:60]


class NulCharacterMiddleware:
    """Refuses a NUL character in the path, the query string or a header with 400 (JSON under /api/), and drops a
    cookie that holds one.

    No page can use one, and the database refuses it: PostgreSQL cannot hold NUL in a text value, so a NUL that
    reached a lookup (an admin object id, list filter or autocomplete term, a third-party admin's filter, a session
    key) raised a DataError, a 500. SQLite accepts NUL and finds nothing, which hid it. RFC 9110 (5.5) lets a
    recipient reject a field value with NUL; gunicorn already does for raw header bytes, but Python's cookie parser
    turns a quoted `\\000` into NUL, so a cookie is sanitised (the session middleware then starts a fresh session)
    rather than refused, which would lock that browser out until the cookie expired.

    Under /api/ a NUL in the path is the API's JSON 404 (no slug or id holds one), and a NUL in a query parameter a
    400 naming that parameter, as every other malformed parameter is (facts.api.query_params). The admin keeps its own
    guards as well (facts.admin.HostileInputAdminMixin), for form bodies, which this middleware does not read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        _drop_nul_cookies(request)
        for refusal in (_nul_header_refusal, _nul_path_refusal, _nul_query_refusal):
            if (response := refusal(request)) is not None:
                return response
        return self.get_response(request)


def _drop_nul_cookies(request) -> None:
    cookies = request.COOKIES
    if any(NUL in name or NUL in value for name, value in cookies.items()):
        request.COOKIES = {name: value for name, value in cookies.items() if NUL not in name and NUL not in value}


def _nul_header_refusal(request) -> HttpResponse | None:
    headers = [
        key
        for key, value in request.META.items()
        if key.startswith("HTTP_") and key != "HTTP_COOKIE" and isinstance(value, str) and NUL in value
    ]
    if not headers:
        return None
    names = [key.removeprefix("HTTP_").replace("_", "-").title() for key in headers]
    return nul_character_response(request, "header", names)


def _nul_path_refusal(request) -> HttpResponse | None:
    if NUL not in request.path_info:
        return None
    if wants_json(request):
        return page_not_found(request, None)
    return nul_character_response(request, "path", [])


def _nul_query_refusal(request) -> HttpResponse | None:
    query = request.META.get("QUERY_STRING", "")
    # A cheap test first: a query string with neither spelling of NUL is not parsed here.
    if "%00" not in query and NUL not in query:
        return None
    names = [name for name, values in request.GET.lists() if NUL in name or any(NUL in value for value in values)]
    if not names:
        return None
    return nul_character_response(request, "query parameter", names)


def nul_character_response(request, part: str, names: list[str]) -> HttpResponse:
    """400 for a NUL in `part` of the request, naming the offending headers or parameters."""
    shown = [_shown(name) for name in names[:10]]
    where = f"{part} {', '.join(shown)}" if shown else part
    detail = f"The request's {where} contains a NUL character (\\0), which no value here can hold."
    if wants_json(request):
        errors = {name: ["Contains a NUL character (\\0)."] for name in shown} or {part: [detail]}
        return json_error(400, "invalid", detail, errors)
    return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")


# --- Methods no view answers ---------------------------------------------------------------------------------------


def allowed_methods(view_func) -> list[str] | None:
    """The HTTP methods the resolved view answers, in DRF's order, or None when that cannot be told beforehand
    (a function view such as the admin's or the probes').

    A DRF viewset's URL answers the methods its router mapped to actions (plus HEAD with GET, and OPTIONS); any
    other class-based view (DRF's APIView, Django's View) the methods it has a handler for.
    """
    cls = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
    if cls is None:
        return None
    names = getattr(cls, "http_method_names", [])
    actions = getattr(view_func, "actions", None)
    handled = set(actions) if actions is not None else set()
    handled |= {name for name in names if hasattr(cls, name)}
    if "get" in handled:
        handled.add("head")
    return [name.upper() for name in names if name in handled]


class MethodNotAllowedMiddleware:
    """Answers 405 with `Allow` for a method the resolved view does not answer (TRACE, PROPFIND, a DELETE of a list),
    before the view runs.

    DRF checks authentication, permissions and throttles in `initial()`, before it looks for the method's handler:
    an anonymous TRACE on /api/ got the 401 of a write, telling the client to log in for something no login
    allows. Deciding on the method first, here, gives every client the same 405 (JSON under /api/, in the same
    shape as DRF's own) and keeps such requests away from the throttle counters and the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        allowed = allowed_methods(view_func)
        if allowed is None or request.method in allowed:
            return None
        detail = f'Method "{_shown(request.method)}" not allowed.'
        if wants_json(request):
            response = json_error(405, "method_not_allowed", detail)
        else:
            response = HttpResponse(detail, status=405, content_type="text/plain; charset=utf-8")
        response["Allow"] = ", ".join(allowed)
        return response
