"""The data version advances on every committed write to any facts table, by every path, and only through triggers.

The HTTP caches (facts.api.caching) key on its stamp, so a path that wrote without advancing it would let a cache
serve old data as current: every table must carry the trigger, and every kind of write must fire it.
"""

import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction

from facts import services, versioning
from facts.history import version_restore
from facts.models import Actor, DataVersion, EventType, Statement
from tests.conftest import make_actor, make_statement

# Committed writes: on PostgreSQL the version advances at COMMIT, which a test inside one transaction never reaches.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def version_row():
    """A version row to compare with: the flush after a transactional test empties every table, this one too."""
    versioning.advance(connection)


def stamp() -> str:
    return DataVersion.objects.get(pk=1).stamp


def triggered_tables() -> set[str]:
    """The tables that carry the version trigger, as the database itself reports them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = %s AND NOT t.tgisinternal",
                [versioning.PG_TRIGGER],
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        names: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            names.setdefault(table, set()).add(name)
        wanted = {event: versioning.sqlite_trigger_name for event in versioning.SQLITE_EVENTS}
        return {
            table
            for table, found in names.items()
            if all(make(table, event) in found for event, make in wanted.items())
        }


def facts_tables() -> set[str]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return {table for table in tables if table.startswith("facts_")}


def test_every_facts_table_but_the_versions_own_carries_the_trigger():
    tables = facts_tables()
    assert versioning.VERSION_TABLE in tables and "facts_event" in tables and "facts_historicalevent" in tables
    assert triggered_tables() == tables - {versioning.VERSION_TABLE, versioning.PENDING_TABLE}


def test_the_migration_and_the_models_name_the_same_tables():
    # A model added later without calling versioning.install in its migration fails the test above; this one says
    # the table list is derived from the app, not written down.
    assert set(versioning.versioned_tables(apps)) == facts_tables() - {
        versioning.VERSION_TABLE,
        versioning.PENDING_TABLE,
    }


def test_an_orm_save_advances_the_version_and_the_counter():
    before = DataVersion.objects.get(pk=1)
    make_actor("Armenia", kind="state")
    after = DataVersion.objects.get(pk=1)
    assert after.stamp != before.stamp and after.counter > before.counter and after.changed_at >= before.changed_at


def test_bulk_create_update_and_delete_advance_it():
    seen = [stamp()]
    EventType.objects.bulk_create([EventType(code=f"9{n:02d}", label=f"Type {n}") for n in range(5)])
    seen.append(stamp())
    EventType.objects.filter(code__startswith="9").update(label="Renamed")
    seen.append(stamp())
    EventType.objects.filter(code__startswith="9").delete()
    seen.append(stamp())
    assert len(set(seen)) == 4


def test_raw_sql_advances_it():
    before = stamp()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO facts_eventtype (code, label, description, plover_category, plover_mode) "
            "VALUES ('998', 'Raw', '', '', '')"
        )
    assert stamp() != before


def test_loaddata_advances_it(tmp_path):
    fixture = tmp_path / "types.json"
    fixture.write_text(json.dumps([{"model": "facts.eventtype", "pk": "997", "fields": {"label": "Loaded"}}]))
    before = stamp()
    call_command("loaddata", str(fixture), verbosity=0)
    assert stamp() != before


def test_a_history_revert_advances_it(source):
    speaker = make_actor("Vedant Patel")
    statement = make_statement(source, "The US is pleased", speaker)
    first = statement.history.first()
    services.statement_update(statement=statement, text="The US is pleased", reason="again")
    before = stamp()
    version_restore(model=Statement, object_id=statement.pk, version_id=first.history_id)
    assert stamp() != before


def test_a_rolled_back_write_never_hands_its_stamp_to_a_later_write():
    before = DataVersion.objects.get(pk=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_actor("Ghost")
        rolled_back = DataVersion.objects.get(pk=1)  # SQLite's advance at once; PostgreSQL's waits for the commit
        raise RuntimeError
    assert DataVersion.objects.get(pk=1).stamp == before.stamp
    make_actor("Real")
    after = DataVersion.objects.get(pk=1)
    # A counter may come back after a rollback (SQLite's does); a stamp, which caches key on, never does.
    assert after.stamp not in {before.stamp, rolled_back.stamp}


def test_a_read_leaves_it_alone():
    make_actor("Armenia", kind="state")
    before = stamp()
    list(Actor.objects.all())
    assert stamp() == before


def test_a_transaction_reads_no_version_once_it_has_written_until_it_commits():
    make_actor("Armenia", kind="state")
    with transaction.atomic():
        assert versioning.current_version() is not None
        make_actor("Azerbaijan", kind="state")
        inside = versioning.current_version()
    # PostgreSQL advances at commit: inside, the version would not show the write, so there is none to trust.
    assert (inside is None) == (connection.vendor == "postgresql")
    assert versioning.current_version() is not None


def test_the_first_write_after_the_row_is_gone_makes_it_again():
    DataVersion.objects.all().delete()  # what a flush does
    assert versioning.current_version() is None
    make_actor("Armenia", kind="state")
    assert versioning.current_version() is not None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serializes writers itself")
def test_an_uncommitted_writer_does_not_hold_other_writers_back():
    import threading

    written, release = threading.Event(), threading.Event()

    def long_writer():
        try:
            with transaction.atomic():
                make_actor("Slow writer")
                written.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=long_writer)
    thread.start()
    try:
        assert written.wait(10)
        before = stamp()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '500ms'")  # a wait on the version row would fail here
            make_actor("Quick writer")
        assert stamp() != before
    finally:
        release.set()
        thread.join(10)
