"""A planner estimate of how many rows of a fact table a search text matches, on PostgreSQL only.

The filters ask it before a search with no other filter, to choose how to find the page: sorting every match suits
a rare text, walking the date index suits a text that much of the table contains (see
`facts.api.filters.broad_search_actor_ids`). EXPLAIN is a statement of its own, so a function lets the estimate and
the matching actors come back in one query. The WHERE clause is Django's `icontains` on PostgreSQL over the given
columns, so the planner reads the statistics PostgreSQL keeps on the expressions UPPER(column) of the trigram indexes
(migration 0003). Table and column names are quoted by format()'s %s (a regclass) and %I, the pattern by %L.

A former migration 0006 created an events-only facts_event_text_estimate(text); this one superseded it and now
stands alone. A database migrated before 0006 was folded in still has that function, so it is dropped here too.
"""

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
# The function of the former migration 0006, left behind on databases migrated while it existed.
DROP_EVENTS_ONLY = "DROP FUNCTION IF EXISTS facts_event_text_estimate(text)"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: %L is PostgreSQL's format()
        schema_editor.execute(DROP_EVENTS_ONLY)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0009_sort_order_indexes"),
    ]

    operations = [
        migrations.RunPython(create_function, drop_function, elidable=False),
    ]
