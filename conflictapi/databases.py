"""The database settings' options, built from the values conflictapi/settings.py reads from the environment.

Kept apart from the settings module so that each choice sits next to its reason; settings.py stays the one place
that reads the environment and names every setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from dj_database_url import DBConfig

POSTGRESQL = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
POOLERS = ("", "pgbouncer-transaction")

# Planner settings for this API's sessions (libpq `options`). PostgreSQL's default random_page_cost of 4 prices an
# index lookup for spinning disks; on SSD or cached data (1.1 is the common advice) the planner then stops
# hash-joining a whole table (every actor, to name the 150 participants of a page) where 150 lookups are cheaper.
# No parallel workers either: starting one costs a page query more (3-6 ms, measured at 10^6 events) than it saves,
# and under load the workers only compete with other requests for the same cores.
DEFAULT_PG_OPTIONS = "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0"


def configure_primary(
    database: DBConfig,
    *,
    session_options: str,
    statement_timeout: float,
    connect_timeout: int,
    tcp_user_timeout: float,
    pooler: str,
) -> None:
    """Set the options of the primary database (DATABASES["default"]) in place."""
    if pooler not in POOLERS:
        raise ImproperlyConfigured("DATABASE_POOLER must be empty or pgbouncer-transaction.")
    if database["ENGINE"] == SQLITE:
        # Writers take the lock when their transaction begins and wait for it, instead of failing half-way with
        # "database is locked" when two requests write at once. `timeout` bounds that wait; SQLite has no
        # statement timeout (see "Database timeouts" in the settings).
        database.setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
        return
    if database["ENGINE"] != POSTGRESQL:
        return
    options = database.setdefault("OPTIONS", {})
    if statement_timeout:
        # Put first, so that a statement_timeout given in DATABASE_PG_OPTIONS (a later -c) still wins.
        session_options = f"-c statement_timeout={round(statement_timeout * 1000)} {session_options}"
    options["options"] = session_options.strip()
    # setdefault: the same parameter given in DATABASE_URL (?connect_timeout=10) is the more specific choice.
    if connect_timeout:
        options.setdefault("connect_timeout", connect_timeout)
    if tcp_user_timeout:
        for key, value in {
            "keepalives": 1,
            "keepalives_idle": max(1, round(tcp_user_timeout)),
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": round(tcp_user_timeout * 1000),
        }.items():
            options.setdefault(key, value)
    if pooler == "pgbouncer-transaction":
        # Consecutive transactions of one Django connection may run on different server connections, so nothing may
        # outlive a transaction on the server: no server-side cursors (the CSV/GeoJSON export's chunked reads use a
        # WITH HOLD one otherwise) and no prepared statements (psycopg prepares a query run 5 times). PgBouncer
        # refuses unknown startup parameters, so the session settings (`options`) are not sent: they are set on the
        # database role instead (README, "Deployment").
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        options.pop("options", None)
        options["prepare_threshold"] = None


def replica_databases(urls: list[str], primary: DBConfig) -> dict[str, DBConfig]:
    """{alias: settings} of the read replicas at `urls`, each with the primary's options (timeouts, planner settings,
    pooling); in tests each mirrors the primary."""
    replicas: dict[str, DBConfig] = {}
    for number, url in enumerate(urls):
        if not url.startswith(("postgres://", "postgresql://")):
            raise ImproperlyConfigured("DATABASE_REPLICA_URLS takes PostgreSQL URLs (postgres://user@host:port/name).")
        replica = dj_database_url.parse(url, conn_max_age=primary["CONN_MAX_AGE"], conn_health_checks=True)
        replica["OPTIONS"] = {**primary.get("OPTIONS", {}), **replica.get("OPTIONS", {})}
        replica["DISABLE_SERVER_SIDE_CURSORS"] = primary.get("DISABLE_SERVER_SIDE_CURSORS", False)
        replica["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{number}"] = replica
    return replicas
