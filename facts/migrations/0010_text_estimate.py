"""A planner estimate of how many rows of a fact table a search text matches, on PostgreSQL only.

It replaces migration 0006's events-only function, so that statement searches choose their plan the same way:
sorting every match suits a rare text, walking the date index suits a text that much of the table contains (see
`facts.api.filters.broad_search_actor_ids`). The WHERE clause is Django's `icontains` on PostgreSQL over the given
columns, so the planner reads the statistics it keeps on the expressions of the trigram indexes. Table and column
names are quoted by format()'s %s (a regclass) and %I, the pattern by %L.
"""

import importlib

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION facts_text_estimate(
    relation regclass, columns text[], pattern text, OUT matches double precision, OUT total double precision
) LANGUAGE plpgsql VOLATILE AS $$  -- EXPLAIN runs only in a volatile function
DECLARE
    plan json;
    condition text;
BEGIN
    -- reltuples is -1 until the table is first analyzed: no estimate, so no reason to walk.
    SELECT GREATEST(reltuples, 0) INTO total FROM pg_class WHERE oid = relation;
    SELECT string_agg(format('UPPER(%I::text) LIKE UPPER(%L)', c, pattern), ' OR ') INTO condition
    FROM unnest(columns) AS c;
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM %s WHERE %s', relation, condition) INTO plan;
    matches := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS facts_text_estimate(regclass, text[], text)"
EVENTS_ONLY = importlib.import_module("facts.migrations.0006_event_text_estimate")


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: %L is PostgreSQL's format()
        schema_editor.execute(EVENTS_ONLY.DROP)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EVENTS_ONLY.CREATE, params=None)
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0009_sort_order_indexes"),
    ]

    operations = [
        migrations.RunPython(create_function, drop_function, elidable=False),
    ]
