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
