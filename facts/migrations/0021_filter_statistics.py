"""Fuller planner statistics on the columns the list filters pick rows by (PostgreSQL only).

The default statistics target (100) keeps the 100 most common values of a column and estimates every other value as
an average of the rest. The filtered columns are skewed: at 10^6 synthetic events a city with 2 events was estimated
at 703, and PostgreSQL walked the date index to find them (place=yerevan, 2.2 s). With a target of 1000, every place
of that data set has its own frequency and the same page takes a bitmap scan of two rows (45 ms at p50 on a shared
machine, bench.probe). ANALYZE then samples 300,000 rows instead of 30,000 per table: seconds, run by autovacuum.
"""

from django.db import migrations

TARGET = 1000
COLUMNS = [
    ("facts_event", "place_id"),
    ("facts_event", "event_type_id"),
    ("facts_participant", "actor_id"),
    ("facts_participant", "event_type_code"),
    ("facts_statement", "speaker_id"),
    ("facts_statement_about_actors", "actor_id"),
    ("facts_statement_about_places", "place_id"),
    ("facts_evidencespan", "source_id"),
]


def set_targets(target):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} ALTER COLUMN {schema_editor.quote_name(column)} "
                f"SET STATISTICS {target}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0020_corroboration"),
    ]

    operations = [
        migrations.RunPython(set_targets(TARGET), set_targets(-1), elidable=False),
    ]
