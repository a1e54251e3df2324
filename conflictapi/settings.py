"""Settings for the conflict facts API.

One module for every environment: everything that differs between a laptop and production comes from environment
variables, and the defaults are the safe development ones (SQLite in the project folder, DEBUG on, local hosts only).
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from conflictapi.caches import cache_settings
from conflictapi.databases import DEFAULT_PG_OPTIONS, configure_primary, replica_databases
from conflictapi.env import DEV_SECRET_KEY as _DEV_SECRET_KEY
from conflictapi.env import env_bool, env_list, env_seconds, secret_key_is_strong

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

# A development key is fine only while DEBUG is on; production must bring its own (conflictapi.env).
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")

if not DEBUG and not secret_key_is_strong(SECRET_KEY):
    from django.core.checks.security import base as _security

    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a unique, random value when DEBUG is off: at least "
        f"{_security.SECRET_KEY_MIN_LENGTH} characters with at least {_security.SECRET_KEY_MIN_UNIQUE_CHARACTERS} "
        f"different ones, not starting with '{_security.SECRET_KEY_INSECURE_PREFIX}' (Django's security.W009) and "
        "not the development key. Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "rest_framework.authtoken",
    # Login lockout: failed logins per username + address, in the database (see AXES_* below).
    "axes",
    "facts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A NUL in the path, query string or a header is a 400 (a 404 for an /api/ path) before anything looks it up:
    # PostgreSQL refuses NUL in text. A cookie holding one is dropped, before the session middleware reads it.
    "facts.api.middleware.NulCharacterMiddleware",
    # A chunked body (no Content-Length) would reach views as an empty one: such writes are refused with 411.
    "facts.api.middleware.LengthRequiredMiddleware",
    # Static files are answered before sessions or the database are touched, so they survive a database outage.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost of the app's own layers: turns database outages into 503 JSON and unknown /api/ URLs into JSON 404s.
    "facts.api.middleware.ApiErrorMiddleware",
    # Inside ApiErrorMiddleware (a replica's outage is then an outage like any other) and before anything reads the
    # database: marks the requests that may read from a replica (DATABASE_REPLICA_URLS), pins writers to the primary.
    "conflictapi.replicas.ReplicaReadsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Must run before CommonMiddleware so that preflight requests get their CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A method the resolved view does not answer (TRACE, PROPFIND) is a 405 with Allow, before DRF's permission
    # check could call it a 401.
    "facts.api.middleware.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked-out login into facts.api.throttling.lockout_response.
    "axes.middleware.AxesMiddleware",
]

# django-axes' backend comes first: it refuses a locked-out username + address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "conflictapi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "conflictapi.wsgi.application"

# DATABASE_URL selects PostgreSQL (postgres://user@host:port/name, through psycopg 3); unset means a SQLite file
# inside the project, which .gitignore keeps out of the repository.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}


# --- Database timeouts --------------------------------------------------------------------------------------------
# A database that accepts TCP but never answers must not hold a request, and with it a worker thread, for good.
# Each value is in seconds; 0 turns that bound off.
# - DATABASE_CONNECT_TIMEOUT bounds opening a connection. A silent server never completes PostgreSQL's startup
#   exchange, so this is what ends a request to it (psycopg enforces it itself, in whole seconds, at least 2; a host
#   name with several addresses gets it once per address). Measured against a listener that accepts and stays
#   silent: the request's 503 comes after 3.0 s with the default.
# - DATABASE_STATEMENT_TIMEOUT: PostgreSQL cancels a statement that runs longer (`statement_timeout`), and the
#   request gets the usual 503 with Retry-After. It is the server's own clock, so it ends slow queries, not a
#   server that has stopped answering.
# - DATABASE_TCP_USER_TIMEOUT, for a connection already open when the server's host vanishes or the network is cut:
#   the kernel drops a connection whose sent data goes unacknowledged that long (libpq `tcp_user_timeout`), and
#   keepalive probes, sent after that long without traffic, catch the same while a request only waits for a result.
# What none of these catches (a server process that hangs while its host still acknowledges every packet) is ended
# by gunicorn's timeout (gunicorn.conf.py). /readyz keeps to READYZ_TIMEOUT (facts/api/health.py), below the 2 s minimum
# of a connect timeout. SQLite has no statement timeout and no network: a connection is a local file, a query is
# bounded by its own work (and gunicorn's timeout), and waiting for another writer's lock by its `timeout` below.
DATABASE_CONNECT_TIMEOUT = round(env_seconds("DATABASE_CONNECT_TIMEOUT", "3"))
# Management commands other than runserver (migrate, generate_synthetic rebuilding indexes over 10^6 rows, an
# operator's shell) may legitimately run one statement for minutes, and scripts/serve-production runs migrate with
# the server's environment: they get no statement timeout. Servers (gunicorn, runserver) and tests do.
RUNS_MANAGEMENT_COMMAND = Path(getattr(sys, "argv", [""])[0] or "").name in {"manage.py", "django-admin"} and sys.argv[
    1:2
] != ["runserver"]
DATABASE_STATEMENT_TIMEOUT = 0.0 if RUNS_MANAGEMENT_COMMAND else env_seconds("DATABASE_STATEMENT_TIMEOUT", "5")
DATABASE_TCP_USER_TIMEOUT = env_seconds("DATABASE_TCP_USER_TIMEOUT", "5")
READYZ_TIMEOUT = env_seconds("READYZ_TIMEOUT", "1")

# Each database's options (timeouts, planner settings, SQLite locking, pooling) and the replicas are built by
# conflictapi/databases.py, where the reasons for each value are given.
# DATABASE_PG_OPTIONS: PostgreSQL session settings (libpq `options`), after the statement timeout.
# DATABASE_POOLER=pgbouncer-transaction: DATABASE_URL (and the replicas) point at PgBouncer in transaction mode.
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "")
configure_primary(
    DATABASES["default"],
    session_options=os.environ.get("DATABASE_PG_OPTIONS", DEFAULT_PG_OPTIONS),
    statement_timeout=DATABASE_STATEMENT_TIMEOUT,
    connect_timeout=DATABASE_CONNECT_TIMEOUT,
    tcp_user_timeout=DATABASE_TCP_USER_TIMEOUT,
    pooler=DATABASE_POOLER,
)
# DATABASE_REPLICA_URLS: comma-separated URLs of PostgreSQL streaming replicas of the primary (conflictapi/replicas.py).
_replicas = replica_databases(env_list("DATABASE_REPLICA_URLS", ""), DATABASES["default"])
DATABASES.update(_replicas)
DATABASE_REPLICAS = list(_replicas)
DATABASE_ROUTERS = ["conflictapi.replicas.ReplicaRouter"] if DATABASE_REPLICAS else []
# A client that wrote reads from the primary this long (its token or session), so that it sees its own writes.
DATABASE_READ_YOUR_WRITES_SECONDS = env_seconds("DATABASE_READ_YOUR_WRITES_SECONDS", "10")
# A replica whose replay lags more than this is skipped; its health is checked at most this often per process.
DATABASE_REPLICA_MAX_LAG = env_seconds("DATABASE_REPLICA_MAX_LAG", "5")
DATABASE_REPLICA_CHECK_SECONDS = env_seconds("DATABASE_REPLICA_CHECK_SECONDS", "2")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Production serves hashed, pre-compressed files that `collectstatic` wrote (long cache lifetimes are then safe);
# development serves straight from the apps' folders so that no collectstatic run is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The largest request body read, in bytes (4 MiB): a larger one is answered 413 payload_too_large before it is read
# (facts.api.errors). It holds the longest source text (2,000,000 characters, facts.api.write_serializers) sent as
# UTF-8.
try:
    DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_BODY_BYTES", str(4 * 1024 * 1024)))
except ValueError:
    raise ImproperlyConfigured("MAX_BODY_BYTES must be a number of bytes.") from None

REST_FRAMEWORK: dict[str, Any] = {
    # Adds the `fields`/`format` parameters, CSV/GeoJSON bodies and 400/404 errors to the read operations.
    "DEFAULT_SCHEMA_CLASS": "facts.api.openapi.FactsAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON through orjson (facts.api.renderers.OrjsonRenderer: DRF's content, rendered faster), and the browsable API.
    "DEFAULT_RENDERER_CLASSES": ["facts.api.renderers.OrjsonRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    # Token first: an anonymous write then gets 401 with `WWW-Authenticate: Token`, not a bare 403. Sessions (with
    # CSRF) serve the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads open to all; writes need the model's add/change/delete permission.
    "DEFAULT_PERMISSION_CLASSES": ["facts.api.permissions.ReadOpenModelWritePermissions"],
    # Writes take JSON only (nested lists cannot be sent as form fields), parsed strictly: duplicate keys, lone
    # surrogates, NUL in keys, non-finite numbers, deep nesting and millions of values are a 400 (facts/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["facts.api.parsers.StrictJSONParser"],
    # Every error under /api/ leaves in one JSON shape: {"status", "code", "detail", "errors"}.
    "EXCEPTION_HANDLER": "facts.api.errors.api_exception_handler",
    # An unknown ?format= is 406 naming the parameter (DRF's default answers 404, as if the resource were missing).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "facts.api.errors.StrictFormatNegotiation",
    # DRF's throttles, counting atomically in the default cache (shared by every worker when REDIS_URL is set) and
    # letting requests through, with a warning in the log, while that cache is unreachable.
    "DEFAULT_THROTTLE_CLASSES": [
        "facts.api.throttling.AnonRateThrottle",
        "facts.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON_RATE", "1000/minute"),
        "user": os.environ.get("THROTTLE_USER_RATE", "5000/minute"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Conflict facts API",
    "DESCRIPTION": (
        "Evidence-backed facts about actors, places, events and statements. Every event, statement and relation "
        "cites the exact passages of its source (`evidence`: quote, offsets, source).\n\n"
        "**Lists** answer `{count, next, previous, results}` pages: `page` (from 1) and `page_size` (1-500, default "
        "50). **Bulk export**: either `format=csv` (every matching row, streamed, same filters) or cursor mode: "
        "`mode=cursor`, then follow `next` until it is null; cursor pages are ordered by id, carry no `count` and "
        "stay as fast however deep you go.\n\n"
        "**Formats**: JSON by default; `format=csv` or `Accept: text/csv` on every list; `format=geojson` on places "
        "and events. `fields=a,b` returns only those fields. Invalid parameters answer 400 naming the parameter."
    ),
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call-outs to the public spec validator: the docs must work with no internet.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "facts.api.openapi.describe_blank_enum",
        # OpenAPI links from each create's 201 to the retrieve, update and delete of the created object.
        "facts.api.openapi.link_created_objects",
        # The tags that group the operations by resource, with their descriptions (facts.api.openapi.tags).
        "facts.api.openapi.document_tags",
        # Every read's If-None-Match / If-Modified-Since, its ETag, Last-Modified and Cache-Control, and its 304.
        "facts.api.openapi.document_http_caching",
        # Last: documents the one error shape (facts.api.errors) on every 4xx/5xx response.
        "facts.api.openapi.document_error_responses",
    ],
    # Several models have a `kind` or `type`; named enums keep the schema's components distinct and readable.
    "ENUM_NAME_OVERRIDES": {
        "ActorKind": "facts.models.ActorKind",
        "PlaceKind": "facts.models.PlaceKind",
        "AliasKind": "facts.models.AliasKind",
        "ParticipantRole": "facts.models.ParticipantRole",
        "StatementKind": "facts.models.StatementKind",
        "RelationType": "facts.models.RelationType",
        "ReviewStatus": "facts.models.ReviewStatus",
        "ProposalState": "facts.models.ProposalState",
        "DatePrecision": "facts.dates.Precision",
    },
}

# --- Serving in production: security headers, reverse proxy, CORS, logging -------------------------------------------
# Defaults follow DEBUG: off in development (plain HTTP on localhost), on in production, each overridable.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# scripts/serve-production fails on any deploy-check warning. Turning the redirect off with DEBUG off (it is on by
# default then) is the documented setting for a proxy that redirects to HTTPS itself: that answers security.W008.
SILENCED_SYSTEM_CHECKS = ["security.W008"] if not DEBUG and not SECURE_SSL_REDIRECT else []
# Load balancers probe over plain HTTP; a redirect would make a healthy process look dead.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy Django sees plain HTTP; trust the proxy's headers only when told it is there,
# since a client could forge them otherwise.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Browser apps on other origins may read the API only when listed here (e.g. "https://app.example.org").
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", "")
CORS_URLS_REGEX = r"^/api/.*$"
# The request headers the API reads must get through a preflight: conditional requests (If-Match /
# If-None-Match) and the reason given for a write or delete (X-Change-Reason, facts.api.permissions), besides the token,
# the body's type and Accept (format negotiation). Browser apps may read the response headers the API sets: ETag
# (for If-Match), Location (of a created object), Retry-After (429, 503) and Content-Disposition (exports).
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "x-change-reason",
]
CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "Content-Disposition"]

# --- Client addresses, caches, login lockout ---------------------------------------------------------------------
# How many reverse proxies in front of the app append to X-Forwarded-For. 0: the client is the socket address and
# the header is ignored. n > 0: the n-th address from the right, the one the outermost trusted proxy saw; whatever
# a client put in front of it is ignored. Throttling and login lockouts both count per this address.
try:
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
except ValueError:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be a whole number of proxies (0 without a proxy).") from None
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# REDIS_URL (redis://host:port/db) puts every cache in Redis, so the throttle counters hold across gunicorn workers
# and hosts; unset, each process counts in its own memory (development: N workers then allow N times the rate).
# Give the app a database number of its own: clearing the cache empties that whole Redis database.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "conflictapi")
# Seconds to wait for Redis: a dead server costs a request at most this (then it is skipped for a few seconds).
REDIS_TIMEOUT = float(os.environ.get("REDIS_TIMEOUT", "0.5"))
# --- HTTP caching of the read API (facts/api/caching.py) ----------------------------------------------------------
# Browsers, proxies and CDNs may reuse an answer for API_CACHE_MAX_AGE seconds, and serve it while revalidating for
# API_CACHE_STALE_WHILE_REVALIDATE more; a revalidation (If-None-Match / If-Modified-Since) costs one query and a 304.
API_CACHE_MAX_AGE = round(env_seconds("API_CACHE_MAX_AGE", "5"))
API_CACHE_STALE_WHILE_REVALIDATE = round(env_seconds("API_CACHE_STALE_WHILE_REVALIDATE", "30"))
# Last-Modified is sent once the data version is this old: HTTP dates have whole seconds (and servers' clocks differ).
API_CACHE_SETTLE_SECONDS = env_seconds("API_CACHE_SETTLE_SECONDS", "2")
# The response cache ("responses" in CACHES), keyed by data version + request; off, every read runs its view.
API_RESPONSE_CACHE = env_bool("API_RESPONSE_CACHE", True)
API_RESPONSE_CACHE_TTL = round(env_seconds("API_RESPONSE_CACHE_TTL", "600"))
try:
    API_RESPONSE_CACHE_MAX_BYTES = int(os.environ.get("API_RESPONSE_CACHE_MAX_BYTES", str(1024 * 1024)))
except ValueError:
    raise ImproperlyConfigured("API_RESPONSE_CACHE_MAX_BYTES must be a number of bytes.") from None
CACHES = cache_settings(
    redis_url=REDIS_URL, prefix=CACHE_KEY_PREFIX, timeout=REDIS_TIMEOUT, responses_ttl=API_RESPONSE_CACHE_TTL
)

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT failed logins for one username from one address, that pair
# is refused, right password or not, until LOGIN_COOLOFF_MINUTES pass without a further attempt; another user, or
# the same user from another address, is not affected. A successful login before the limit resets the count.
# Attempts are kept in the database (AccessAttempt, visible in the admin), so lockouts hold across workers and do
# not depend on Redis. Unlock early with `manage.py axes_reset_username USERNAME`.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "facts.api.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "facts.api.throttling.lockout_response"
# Failures and lockouts are still logged (warnings); this only drops axes' start-up line, which every manage.py
# command would otherwise print to stdout ahead of its own output (e.g. `TOKEN=$(manage.py issue_token ...)`).
AXES_VERBOSE = False

# Seconds a client should wait before retrying when the database is unreachable (503 responses).
DATABASE_RETRY_AFTER = int(os.environ.get("DATABASE_RETRY_AFTER", "5"))

# Everything goes to stdout/stderr, where gunicorn, systemd or a container runtime collect it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO"), "propagate": False},
    },
}
