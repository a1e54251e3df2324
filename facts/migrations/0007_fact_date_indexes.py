"""Date indexes for events and statements: one in the default order, and one on the length of each interval.

(date_start, id, date_end): a page in the default order is its first entries, where (date_start, date_end) made
PostgreSQL read and sort every fact sharing a start date (about 1,900 events start on 1 January of each year at 10^6
events), and the date window is checked in the index without visiting the table. date_end is a key column, not an
INCLUDE one: SQLite has no INCLUDE, and without date_end it walked this index reading every event's row.

(date_end - date_start), on PostgreSQL only. A date window asks for intervals that overlap it: `date_end >= after
AND date_start <= before`. The (date_start, date_end) indexes can seek to `before` but not to `after`, so every fact
that started before the window was read to test its end: half the table for a window in the middle of the record. No
fact that started earlier than `after` minus the longest interval can reach the window, so the date filters add that
lower bound on date_start (`facts.api.filters.earliest_overlapping_start`), and these indexes find the longest interval
in one probe (PostgreSQL answers MAX over an indexed expression from the end of the index). SQLite has no date
arithmetic on its text dates and keeps the one-sided scan.
"""

from django.db import migrations, models

# (index name, table) of every fact table with a (date_start, date_end) index.
SPAN_INDEXES = [("event_span", "facts_event"), ("statement_span", "facts_statement")]


def create_span_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table in SPAN_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ((date_end - date_start))")


def drop_span_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table in SPAN_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0005_participant_actor_index_only"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["date_start", "id", "date_end"], name="event_date_order"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["date_start", "id", "date_end"], name="statement_date_order"),
        ),
        migrations.RunPython(create_span_indexes, drop_span_indexes, elidable=False),
    ]
