"""Reads from PostgreSQL streaming replicas, writes to the primary (DATABASE_REPLICA_URLS turns it on).

The rules, in one place:
- Only a safe request (GET, HEAD, OPTIONS) outside the admin may read from a replica. Writes, the admin (whose change
  forms read what they are about to write) and everything outside a request (management commands, migrations,
  fixture loads) use the primary.
- Read-your-writes: a client whose write succeeded reads from the primary for DATABASE_READ_YOUR_WRITES_SECONDS,
  keyed on its API token or its session cookie, in the shared cache (Redis when REDIS_URL is set, so that every
  worker and server knows). A cache that cannot be reached pins nobody: reads then risk a replica's lag, never an
  error.
- A replica is skipped while it does not answer, or while its replay lags more than DATABASE_REPLICA_MAX_LAG seconds
  behind what it has received. Its health is checked at most once per DATABASE_REPLICA_CHECK_SECONDS per process;
  when no replica is fit, reads go to the primary.

- One request reads from one database: the replica chosen at its first read serves all its reads (a page and its
  count agree). If that replica fails during the request (the response is a 503 and the replica then fails its
  check), the request, a safe one, is served again from the primary: a replica's death costs time, never a 5xx.

Django asks the router for a database without passing the request, so the middleware tells it through a ContextVar
that holds, for the duration of one request, where that request may read. This is the pattern of
django-multidb-router's pinning router (a thread-local there); it is the only channel Django offers a router.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

# Where the current request reads: None (the default, and outside requests) for the primary; REPLICA_UNCHOSEN while a
# replica may serve it but none was chosen yet; then the chosen alias.
REPLICA_UNCHOSEN = ""
_read_alias: ContextVar[str | None] = ContextVar("read_alias", default=None)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PIN_KEY_PREFIX = "ryw:"

# Replay lag in seconds as the replica sees it: 0 while it has replayed everything it received, else the age of the
# last transaction it replayed (a replica that has received WAL it has not replayed is that far behind at least).
LAG_SQL = (
    "SELECT pg_is_in_recovery(), CASE WHEN pg_last_wal_receive_lsn() IS NULL "
    "OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


def replica_aliases() -> list[str]:
    """The database aliases of the replicas (settings.DATABASES keys), in order."""
    return list(getattr(settings, "DATABASE_REPLICAS", ()))


class ReplicaHealth:
    """Whether each replica is fit to serve reads, checked at most once per DATABASE_REPLICA_CHECK_SECONDS."""

    def __init__(self):
        self._lock = threading.Lock()
        self._checked: dict[str, tuple[float, bool]] = {}

    def fit(self, alias: str, *, fresh: bool = False) -> bool:
        """Whether `alias` may serve reads; `fresh` checks now instead of trusting a recent check."""
        now = time.monotonic()
        with self._lock:
            checked = self._checked.get(alias)
            if not fresh and checked is not None and now - checked[0] < settings.DATABASE_REPLICA_CHECK_SECONDS:
                return checked[1]
        fit = self._check(alias)
        with self._lock:
            self._checked[alias] = (time.monotonic(), fit)
        return fit

    def forget(self) -> None:
        with self._lock:
            self._checked.clear()

    @staticmethod
    def _check(alias: str) -> bool:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(LAG_SQL)
                in_recovery, lag = cursor.fetchone()
        except DatabaseError as error:
            logger.warning("Replica %s skipped: it does not answer (%s).", alias, str(error).strip()[:200])
            connections[alias].close()
            return False
        if not in_recovery:
            # A promoted replica is a primary of its own: its data may have diverged from the primary's.
            logger.warning("Replica %s skipped: it is not in recovery (promoted?).", alias)
            return False
        if float(lag) > settings.DATABASE_REPLICA_MAX_LAG:
            logger.warning("Replica %s skipped: its replay lags %.1f s.", alias, float(lag))
            return False
        return True


health = ReplicaHealth()


class ReplicaRouter:
    """Routes the reads of a replica-safe request to a fit replica, and everything else to the primary."""

    def db_for_read(self, model, **hints):
        alias = _read_alias.get()
        if alias is None:
            return "default"
        if alias == REPLICA_UNCHOSEN:
            fit = [replica for replica in replica_aliases() if health.fit(replica)]
            alias = random.choice(fit) if fit else "default"
            _read_alias.set(alias)
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data (the replicas are copies of the primary).
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # A replica replays the primary's schema; it cannot be migrated itself.
        return db == "default"


def client_key(request) -> str | None:
    """A cache key for the client behind `request`: its API token, else its session cookie; None if it has none."""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        identity = "auth:" + authorization
    else:
        session = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session:
            return None
        identity = "session:" + session
    return PIN_KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()


def pinned(key: str | None) -> bool:
    if key is None:
        return False
    try:
        return bool(cache.get(key))
    except Exception as error:  # noqa: BLE001 -- any cache failure: serve the read, risk the lag
        logger.warning("Read-your-writes pin unknown, cache unreachable: %s", error)
        return False


def pin(key: str | None) -> None:
    if key is None or settings.DATABASE_READ_YOUR_WRITES_SECONDS <= 0:
        return
    try:
        cache.set(key, 1, timeout=settings.DATABASE_READ_YOUR_WRITES_SECONDS)
    except Exception as error:  # noqa: BLE001 -- the write is done; only its read-your-writes pin is lost
        logger.warning("Read-your-writes pin not stored, cache unreachable: %s", error)


class ReplicaReadsMiddleware:
    """Marks the requests that may read from a replica, and pins a client to the primary after it writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_aliases():
            return self.get_response(request)
        key = client_key(request)
        if request.method not in SAFE_METHODS:
            response = self.get_response(request)
            if response.status_code < 400:
                pin(key)
            return response
        if request.path.startswith("/admin/") or pinned(key):
            return self.get_response(request)
        response, alias = self.serve(request, REPLICA_UNCHOSEN)
        if response.status_code == 503 and alias not in (None, REPLICA_UNCHOSEN, "default"):
            # A failed check closes the broken connection (ReplicaHealth._check).
            if not health.fit(alias, fresh=True):
                response, _ = self.serve(request, None)
        return response

    def serve(self, request, read_alias: str | None):
        """The response to `request` read from `read_alias`, and the alias its reads used."""
        token = _read_alias.set(read_alias)
        try:
            response = self.get_response(request)
            return response, _read_alias.get()
        finally:
            _read_alias.reset(token)
