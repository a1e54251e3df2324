"""Settings for the conflict facts API.

One module for every environment: everything that differs between a laptop and production comes from environment
variables, and the defaults are the safe development ones (SQLite in the project folder, DEBUG on, local hosts only).
"""

import os
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

# A development key is fine only while DEBUG is on; production must bring its own.
_DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be set to a unique value of 50+ characters when DEBUG is off.")

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
    "facts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A chunked body (no Content-Length) would reach views as an empty one: such writes are refused with 411.
    "facts.middleware.LengthRequiredMiddleware",
    # Static files are answered before sessions or the database are touched, so they survive a database outage.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost of the app's own layers: turns database outages into 503 JSON and unknown /api/ URLs into JSON 404s.
    "facts.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Must run before CommonMiddleware so that preflight requests get their CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
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

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Planner settings for this API's sessions (libpq `options`). PostgreSQL's default random_page_cost of 4 prices
    # an index lookup for spinning disks; on SSD or cached data (1.1 is the common advice) the planner then stops
    # hash-joining a whole table (every actor, to name the 150 participants of a page) where 150 lookups are cheaper.
    # No parallel workers either: starting one costs a page query more (3-6 ms, measured at 10^6 events) than it
    # saves, and under load the workers only compete with other requests for the same cores.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "DATABASE_PG_OPTIONS", "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins and wait for it, instead of failing half-way with
    # "database is locked" when two requests write at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

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

REST_FRAMEWORK = {
    # Adds the `fields`/`format` parameters, CSV/GeoJSON bodies and 400/404 errors to the read operations.
    "DEFAULT_SCHEMA_CLASS": "facts.schema.FactsAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Token first: an anonymous write then gets 401 with `WWW-Authenticate: Token`, not a bare 403. Sessions (with
    # CSRF) serve the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Reads open to all; writes need the model's add/change/delete permission.
    "DEFAULT_PERMISSION_CLASSES": ["facts.permissions.ReadOpenModelWritePermissions"],
    # Every error under /api/ leaves in one JSON shape: {"status", "code", "detail", "errors"}.
    "EXCEPTION_HANDLER": "facts.exceptions.api_exception_handler",
    # An unknown ?format= is 406 naming the parameter (DRF's default answers 404, as if the resource were missing).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "facts.exceptions.StrictFormatNegotiation",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Counted per process in the local-memory cache: with N gunicorn workers a client gets up to N times the rate.
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
        "facts.schema.describe_blank_enum",
        # Last: documents the one error shape (facts.exceptions) on every 4xx/5xx response.
        "facts.exceptions.document_error_responses",
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
        "DatePrecision": "facts.dates.Precision",
    },
}

# --- Serving in production: security headers, reverse proxy, CORS, logging -------------------------------------------
# Defaults follow DEBUG: off in development (plain HTTP on localhost), on in production, each overridable.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
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
# Conditional requests (ETag / If-Match) must get through a preflight.
CORS_ALLOW_HEADERS = (*default_cors_headers, "if-match", "if-none-match")
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "Content-Disposition"]

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
