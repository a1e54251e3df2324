"""One JSON error shape for everything under /api/, whoever raises the error.

    {"status": 400, "code": "invalid", "detail": "Invalid input in: page_size.", "errors": {"page_size": ["..."]}}

`status` repeats the HTTP status, `code` is a stable machine-readable word (DRF's error codes), `detail` is one
human sentence, and `errors` maps each offending parameter or field to its messages (empty when none applies).
The shape comes from three places, because errors arise in three places:

- DRF views: `api_exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]).
- Django itself (unknown URLs, uncaught exceptions): `handler400/403/404/500` below, wired in conflictapi/urls.py.
- Middleware and non-DRF views hitting a dead database: facts.api.middleware.ApiErrorMiddleware.

A database outage (OperationalError / InterfaceError) becomes 503 with Retry-After, never a 500; a write that lost
a race becomes 400 naming the field or, when no field explains it (or a lock could not be had), 409 `conflict`
(see facts.integrity). Nothing here ever puts a traceback, SQL or a driver message in a response: those go to the
log only. The OpenAPI schema documents the shape (facts.api.openapi.bodies).
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.settings import api_settings

from facts import integrity
from facts.api.renderers import OrjsonRenderer

logger = logging.getLogger("facts.errors")

# What a lost, refused or dropped database connection raises through Django's wrappers.
DATABASE_ERRORS = (OperationalError, InterfaceError)

# Paths whose errors are answered in JSON; everything else (admin, home page) keeps Django's HTML pages.
JSON_PATH_PREFIXES = ("/api/", "/healthz", "/readyz")


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES) or request.path == "/api"


def error_body(status_code: int, code: str, detail: str, errors: dict | None = None) -> dict:
    return {"status": status_code, "code": code, "detail": detail, "errors": errors or {}}


def json_error(status_code: int, code: str, detail: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, detail, errors), status=status_code)


def retry_after_seconds() -> int:
    return getattr(settings, "DATABASE_RETRY_AFTER", 5)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 for a request that found the database unreachable: JSON for the API, a short text page elsewhere."""
    detail = "The database is temporarily unavailable. Retry later."
    response: HttpResponse
    if wants_json(request):
        response = json_error(503, "database_unavailable", detail)
    else:
        response = HttpResponse(detail, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after_seconds())
    return response


def log_database_error(request: HttpRequest, exc: BaseException) -> None:
    # The driver message can name hosts and ports: it belongs in the log, not in the response.
    logger.error("Database unavailable during %s %s: %s", request.method, request.path, exc)


class DatabaseUnavailable(exceptions.APIException):
    """The database could not be reached; the client should retry after Retry-After seconds."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is temporarily unavailable. Retry later."
    default_code = "database_unavailable"


class WriteConflict(exceptions.APIException):
    """409: a concurrent write conflicted with this one in a way no single field explains; nothing was written."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "Another request changed the same data at the same time, so nothing was written. Read the "
        "current state and try again."
    )
    default_code = "conflict"

    def __init__(self, detail=None, errors=None):
        super().__init__(detail)
        self.errors = errors or {}


class PayloadTooLarge(exceptions.APIException):
    """413: the body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE; it was not read, and nothing was changed."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The body is larger than {limit} bytes, the most this API reads. Nothing was changed."
        super().__init__(message)
        self.errors = {"body": [message]}


# A refused body up to this size is read and dropped before the 413 goes out (see discard_body); a larger one is not.
DISCARD_MAX_BYTES = 64 * 1024 * 1024


def discard_body(request: HttpRequest) -> None:
    """Read and drop the body Django refused to read, so that the client, still sending it, reads the 413.

    Answering without reading it makes the server close a socket with unread data, which resets the connection:
    the client sees a broken pipe, not the answer. Bodies over DISCARD_MAX_BYTES are left unread (and get that).
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if not 0 < length <= DISCARD_MAX_BYTES or getattr(request, "_read_started", True):
        return
    try:
        while request.read(1 << 16):
            pass
    except OSError:  # the client went away (Django's UnreadablePostError is an OSError)
        pass


LOCK_CONFLICT_DETAIL = (
    "Another request was writing the same data and held it locked for too long, so nothing "
    "was written. Try again in a moment."
)


def lost_race_error(exc: IntegrityError, data) -> exceptions.APIException:
    """The answer to a write the database refused (at COMMIT, for a deferred foreign key): 400 naming each input
    field whose referenced object another request deleted meanwhile, else a 409 naming nothing.

    `data` is what the write referred to (a serializer's validated data); it is checked after the rollback,
    against the data as it is now. The driver's message goes to the log only.
    """
    logger.warning("A write lost a race: %s", exc)
    missing = integrity.missing_references(data)
    if missing:
        return exceptions.ValidationError(missing)
    return WriteConflict()


class UnknownFormat(exceptions.NotAcceptable):
    """`?format=` names no renderer of this endpoint (DRF's default would answer a misleading 404)."""

    default_code = "unknown_format"

    def __init__(self, requested: str, available: list[str]):
        self.errors = {"format": [f"Unknown format '{requested}'. Available: {', '.join(available)}."]}
        super().__init__(detail=f"Unknown format '{requested}'. Available: {', '.join(available)}.")


class StrictFormatNegotiation(DefaultContentNegotiation):
    """Content negotiation that answers an unknown `?format=` with 406 naming the parameter, not 404."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            raise UnknownFormat(format, sorted({renderer.format for renderer in renderers}))
        return matching


# Errors about the request as a whole rather than one parameter: the part of the request they are about.
BLAMED_PARTS = [
    (exceptions.ParseError, "body"),
    # No credentials, or credentials that are not valid: the header that carries them (or should have).
    (exceptions.NotAuthenticated, "Authorization"),
    (exceptions.AuthenticationFailed, "Authorization"),
    (exceptions.UnsupportedMediaType, "Content-Type"),
    (exceptions.NotAcceptable, "Accept"),
]


def _summary(errors: dict) -> str:
    names = [name for name in errors if name != api_settings.NON_FIELD_ERRORS_KEY]
    if not names:
        first = errors.get(api_settings.NON_FIELD_ERRORS_KEY) or ["Invalid input."]
        return str(first[0]) if isinstance(first, list) and first else "Invalid input."
    return f"Invalid input in: {', '.join(str(name) for name in names)}."


def _shape(exc: exceptions.APIException, status_code: int) -> dict:
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            errors = detail
        else:
            errors = {api_settings.NON_FIELD_ERRORS_KEY: detail if isinstance(detail, list) else [detail]}
        return error_body(status_code, "invalid", _summary(errors), errors)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    message = str(exc.detail if isinstance(exc.detail, str) else exc.default_detail)
    part_errors = getattr(exc, "errors", None)
    if part_errors is None:
        # Name the part of the request at fault, as a 400 names its parameter.
        blamed = next((part for kind, part in BLAMED_PARTS if isinstance(exc, kind)), None)
        part_errors = {blamed: [message]} if blamed else None
    return error_body(status_code, code, message, part_errors)


def api_exception_handler(exc, context):
    """DRF's handler, reshaped into the one error shape, plus database outages as 503 with Retry-After."""
    # Imported here: rest_framework.views reads DEFAULT_CONTENT_NEGOTIATION_CLASS, which lives in this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    request = context.get("request")
    writing = request is not None and request.method not in ("GET", "HEAD", "OPTIONS")
    if isinstance(exc, DATABASE_ERRORS) and writing and integrity.is_lock_conflict(exc):
        # A lock another write held (SQLite's "database is locked" after its busy timeout, a PostgreSQL deadlock
        # or lock timeout): the database is up and a retry may well succeed, so 409 rather than 503.
        logger.warning("Lock conflict during %s %s: %s", request.method, request.path, exc)
        exc = WriteConflict(LOCK_CONFLICT_DETAIL)
    elif isinstance(exc, DATABASE_ERRORS):
        if request is not None:
            log_database_error(request, exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, IntegrityError):
        # A refusal no view explained (they map the races they know): a conflict, without the driver's message.
        exc = lost_race_error(exc, None)
    elif isinstance(exc, RequestDataTooBig):
        # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (a SuspiciousOperation, else a bare 400).
        if request is not None:
            discard_body(request._request)
        exc = PayloadTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        # A refusal from the model layer may name the field at fault (facts.services.ReviewRefused: `status`).
        errors = getattr(exc, "errors", None)
        exc = exceptions.PermissionDenied(*exc.args)
        if errors:
            exc.errors = errors
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an expected error: let Django's handler500 answer (logged there, no internals in the body).
        return None
    response.data = _shape(exc, response.status_code)
    if response.status_code == 503:
        response["Retry-After"] = str(retry_after_seconds())
    if request is not None:
        answer_in_json(request)
    return response


def answer_in_json(request) -> None:
    """Renders the error response of a DRF request in JSON unless it asked for JSON or the browsable API.

    An error asked for as CSV or GeoJSON (an export) is still an error: a CSV or GeoJSON error body helps no one,
    and JSON is what every client can read.
    """
    if not isinstance(
        getattr(request, "accepted_renderer", None), (JSONRenderer, OrjsonRenderer, BrowsableAPIRenderer)
    ):
        request.accepted_renderer = OrjsonRenderer()
        request.accepted_media_type = OrjsonRenderer.media_type


# Django-level handlers (wired as handler400/403/404/500 in conflictapi/urls.py).


def bad_request(request, exception):
    if wants_json(request) and isinstance(exception, RequestDataTooBig):
        # A body too large for a view outside DRF (or read before it): the same 413 as api_exception_handler's.
        discard_body(request)
        too_large = PayloadTooLarge()
        return json_error(413, too_large.default_code, str(too_large.detail), too_large.errors)
    if wants_json(request):
        # Django's refusals of a request as a whole (SuspiciousOperation) name the part of it at fault.
        if isinstance(exception, DisallowedHost):
            message = "Not a host this server answers (ALLOWED_HOSTS)."
            return json_error(400, "bad_request", f"Bad request: {message}", {"Host": [message]})
        if isinstance(exception, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            message = f"More than {limit} parameters: send at most {limit}."
            # Reading request.GET again would raise again: count the query string's fields as Django does.
            fields = len(request.META.get("QUERY_STRING", "").split("&"))
            part = "query string" if fields > limit else "body"
            return json_error(400, "bad_request", f"Bad request: {message}", {part: [message]})
        return json_error(400, "bad_request", "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if wants_json(request):
        return json_error(403, "permission_denied", "You do not have permission to perform this action.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if wants_json(request):
        return json_error(
            404,
            "not_found",
            f"No API endpoint at {request.path}. The list of endpoints is at /api/v1/; docs at /api/docs/.",
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        log_database_error(request, exc)
        return database_unavailable_response(request)
    if wants_json(request):
        return json_error(500, "server_error", "Internal server error. It has been logged.")
    return defaults.server_error(request)
