"""The migrations describe the models exactly: no model change is waiting for a migration."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_makemigrations_check_reports_no_changes():
    out = StringIO()
    # --check exits non-zero (SystemExit) when a migration is missing, which fails this test with the diff in `out`.
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_migration_reverses_to_zero_and_applies_again():
    # Runs on whichever database the suite uses; .ci/run runs the suite on PostgreSQL and on SQLite, so both are
    # covered. The vendor-specific SQL (trigram indexes, triggers, functions) must undo itself on each.
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    call_command("migrate", "facts", "zero", verbosity=0)
    assert not [table for table in connection.introspection.table_names() if table.startswith("facts_")]
    call_command("migrate", verbosity=0)
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    assert "facts_event" in connection.introspection.table_names()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_0010_drops_the_events_only_estimate_a_database_kept_from_the_folded_0006():
    # Migration 0006 (folded into 0010) created facts_event_text_estimate(text); a database migrated while it
    # existed still has that function, and 0010 must leave only its successor behind.
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the estimate functions exist on PostgreSQL only")

    def functions():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT proname FROM pg_proc WHERE proname LIKE %s ORDER BY proname", ["facts%text_estimate"]
            )
            return [name for (name,) in cursor.fetchall()]

    call_command("migrate", "facts", "0009", verbosity=0)
    try:
        assert functions() == []
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION facts_event_text_estimate(pattern text) RETURNS double precision "
                "LANGUAGE sql AS 'SELECT 0::double precision'"
            )
        call_command("migrate", "facts", "0010", verbosity=0)
        assert functions() == ["facts_text_estimate"]
    finally:
        call_command("migrate", verbosity=0)
    assert functions() == ["facts_text_estimate"]
