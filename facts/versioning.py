"""The data version (facts.models.DataVersion): the triggers that advance it, and its read.

Every table of the facts app, history tables included (the changes feed reads them), gets a trigger that advances
the one version row on insert, update and delete (and TRUNCATE on PostgreSQL):
- PostgreSQL: FOR EACH STATEMENT, so a bulk load of 10^6 rows costs one trigger call per statement, not per row. It
  queues the advance, which a deferred trigger makes at COMMIT (once per transaction, after its other deferred
  checks): the version row is locked only while a writer commits, and its time (clock_timestamp()) is the
  commit's. The stamp is gen_random_uuid().
- SQLite: FOR EACH ROW (it has no statement triggers), at once: SQLite serializes writers anyway. The stamp is
  hex(randomblob(8)).
The advance is an upsert of row 1 inside the writing transaction: the new version becomes visible exactly when the
write commits (a sequence value, taken before commit, could be read while the data is still the old one, and a cache
would keep the old data under the new version for good).

`install(apps, schema_editor)` is what migrations run: it (re)creates the trigger on every facts table of the
migration's state, so a migration that adds a model calls it again (`migrations.RunPython(install, noop)`), and
tests/unit/test_data_version.py fails for any facts table left without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

VERSION_TABLE = "facts_dataversion"
PG_FUNCTION = "facts_advance_data_version"
PG_TRIGGER = "facts_data_version"
SQLITE_EVENTS = ("insert", "update", "delete")

PG_ADVANCE = (
    f"INSERT INTO {VERSION_TABLE} (id, counter, stamp, changed_at) "
    "VALUES (1, 1, gen_random_uuid()::text, clock_timestamp()) ON CONFLICT (id) DO UPDATE SET "
    f"counter = {VERSION_TABLE}.counter + 1, stamp = EXCLUDED.stamp, changed_at = EXCLUDED.changed_at"
)
# PostgreSQL advances the version at COMMIT, so that the version row is locked only while a writing transaction
# commits: a lock taken at its first write would hold every other writer (a bulk load, a long admin action) until it
# commits. Each writing statement queues a row in PENDING_TABLE, whose deferred constraint trigger fires at commit,
# and remembers the row's id in a transaction-local setting; at commit only the trigger of the last one advances the
# version. Deferred triggers fire in the order they were queued, so the version row is locked after every other
# deferred check of the transaction (foreign keys among them): a commit waiting on another writer's row never holds
# the version row meanwhile, which would deadlock with that writer's own commit.
PENDING_TABLE = "facts_dataversion_pending"
QUEUED_SETTING = "facts.data_version_queued"
PG_COMMIT_FUNCTION = "facts_advance_data_version_at_commit"
PG_COMMIT_TRIGGER = "facts_data_version_at_commit"
PG_QUEUE_SQL = [
    f"CREATE TABLE IF NOT EXISTS {PENDING_TABLE} (id bigserial PRIMARY KEY)",
    f"""
CREATE OR REPLACE FUNCTION {PG_COMMIT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id::text = current_setting('{QUEUED_SETTING}', true) THEN
        {PG_ADVANCE};
    END IF;
    DELETE FROM {PENDING_TABLE} WHERE id = NEW.id;
    RETURN NULL;
END
$$
""",
    f"DROP TRIGGER IF EXISTS {PG_COMMIT_TRIGGER} ON {PENDING_TABLE}",
    f"CREATE CONSTRAINT TRIGGER {PG_COMMIT_TRIGGER} AFTER INSERT ON {PENDING_TABLE} DEFERRABLE INITIALLY DEFERRED "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_COMMIT_FUNCTION}()",
    f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    queued bigint;
BEGIN
    INSERT INTO {PENDING_TABLE} DEFAULT VALUES RETURNING id INTO queued;
    PERFORM set_config('{QUEUED_SETTING}', queued::text, true);
    RETURN NULL;
END
$$
""",
]
# The row may be missing after a flush (Django's transactional tests empty every table): the first write makes it.
SQLITE_ADVANCE = (
    f"INSERT INTO {VERSION_TABLE} (id, counter, stamp, changed_at) "
    "VALUES (1, 1, lower(hex(randomblob(8))), strftime('%Y-%m-%d %H:%M:%f', 'now')) "
    "ON CONFLICT (id) DO UPDATE SET counter = counter + 1, stamp = excluded.stamp, changed_at = excluded.changed_at"
)


def versioned_tables(apps) -> list[str]:
    """The tables whose writes advance the version: every concrete table of the facts app but the version's own."""
    tables = {
        model._meta.db_table
        for model in apps.get_app_config("facts").get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - {VERSION_TABLE})


def sqlite_trigger_name(table: str, event: str) -> str:
    return f"{table}_version_{event}"


def trigger_sql(vendor: str, tables: list[str]) -> list[str]:
    """The statements that (re)create the version triggers on `tables`; none for another database."""
    if vendor == "postgresql":
        statements = list(PG_QUEUE_SQL)
        for table in tables:
            statements += [
                f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"',
                f'CREATE TRIGGER {PG_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
            ]
        return statements
    if vendor == "sqlite":
        statements = []
        for table in tables:
            for event in SQLITE_EVENTS:
                name = sqlite_trigger_name(table, event)
                statements += [
                    f'DROP TRIGGER IF EXISTS "{name}"',
                    f'CREATE TRIGGER "{name}" AFTER {event.upper()} ON "{table}" FOR EACH ROW '
                    f"BEGIN {SQLITE_ADVANCE}; END",
                ]
        return statements
    return []


def drop_sql(vendor: str, tables: list[str]) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {PG_TRIGGER} ON "{table}"' for table in tables] + [
            f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()",
            f"DROP TABLE IF EXISTS {PENDING_TABLE}",
            f"DROP FUNCTION IF EXISTS {PG_COMMIT_FUNCTION}()",
        ]
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{sqlite_trigger_name(t, e)}"' for t in tables for e in SQLITE_EVENTS]
    return []


def install(apps, schema_editor) -> None:
    """Migration step: the version row, and the trigger on every facts table of the migration's state."""
    vendor = schema_editor.connection.vendor
    for statement in trigger_sql(vendor, versioned_tables(apps)):
        schema_editor.execute(statement, params=None)  # no placeholders: % belongs to the SQL
    DataVersion = apps.get_model("facts", "DataVersion")
    if not DataVersion.objects.using(schema_editor.connection.alias).filter(pk=1).exists():
        advance(schema_editor.connection)


def kept_through_rebuilds(operations: list) -> list:
    """A later migration's operations, with the version triggers installed again after them, either way.

    SQLite alters a table by building a new one and dropping the old, and the old one's triggers go with it; the
    triggers are then put back after the operations when migrating forward, and after their reversal when migrating
    back (test_every_facts_table_but_the_versions_own_carries_the_trigger finds a migration that forgets this).
    """
    from django.db.migrations import RunPython

    return [RunPython(RunPython.noop, install), *operations, RunPython(install, RunPython.noop)]


def uninstall(apps, schema_editor) -> None:
    for statement in drop_sql(schema_editor.connection.vendor, versioned_tables(apps)):
        schema_editor.execute(statement, params=None)


def advance(connection) -> None:
    """Advance the version by hand (what every trigger does): for writes outside the facts tables that change
    what the API answers."""
    with connection.cursor() as cursor:
        cursor.execute(PG_ADVANCE if connection.vendor == "postgresql" else SQLITE_ADVANCE)


@dataclass(frozen=True)
class Version:
    """The data version as one database sees it."""

    stamp: str
    changed_at: datetime


# On PostgreSQL, whether this transaction has written what the version does not show yet (it advances at commit).
PG_READ = (
    f"SELECT stamp, changed_at, coalesce(current_setting('{QUEUED_SETTING}', true), '') <> '' "
    f'FROM "{VERSION_TABLE}" WHERE id = 1'
)
SQLITE_READ = f'SELECT stamp, changed_at, 0 FROM "{VERSION_TABLE}" WHERE id = 1'


def current_version() -> Version | None:
    """The version, read through the database the current request reads from (conflictapi.replicas routes it);
    None when there is none to trust: the row is missing (a flushed database before its first write), or this
    transaction has written and not committed yet (PostgreSQL advances the version at commit). One plain query: it
    precedes every cached read, so it skips the ORM's query building."""
    from django.db import connections, router

    from facts.models import DataVersion

    connection = connections[router.db_for_read(DataVersion)]
    with connection.cursor() as cursor:
        cursor.execute(PG_READ if connection.vendor == "postgresql" else SQLITE_READ)
        row = cursor.fetchone()
    if row is None or row[2]:
        return None
    stamp, changed_at, _ = row
    if isinstance(changed_at, str):  # SQLite stores text, in UTC
        parsed = parse_datetime(changed_at)
        if parsed is None:
            return None
        changed_at = parsed.replace(tzinfo=UTC)
    return Version(stamp, changed_at)
