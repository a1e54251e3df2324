"""A planner estimate of how many events a search text matches, on PostgreSQL only.

EventFilterSet asks it before a search with no other filter, to choose how to find the page: sorting every match
suits a rare text, walking the date index suits a text that most events contain (see `broad_search_actor_ids`).
EXPLAIN is a statement of its own, so a function lets the estimate and the matching actors come back in one query.
The WHERE clause is Django's `icontains` on PostgreSQL, so the planner reads the statistics PostgreSQL keeps on the
expressions UPPER(title) and UPPER(description) of the trigram indexes (migration 0003).
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION facts_event_text_estimate(
    pattern text, OUT matches double precision, OUT events double precision
) LANGUAGE plpgsql VOLATILE AS $$  -- EXPLAIN runs only in a volatile function
DECLARE
    plan json;
BEGIN
    -- reltuples is -1 until the table is first analyzed: no estimate, so no reason to walk.
    SELECT GREATEST(reltuples, 0) INTO events FROM pg_class WHERE oid = 'facts_event'::regclass;
    EXECUTE format('EXPLAIN (FORMAT JSON) SELECT 1 FROM facts_event '
                   'WHERE UPPER(title::text) LIKE UPPER(%L) OR UPPER(description::text) LIKE UPPER(%L)',
                   pattern, pattern) INTO plan;
    matches := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS facts_event_text_estimate(text)"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: %L is PostgreSQL's format()


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0005_participant_actor_index_only"),
    ]

    operations = [
        migrations.RunPython(create_function, drop_function, elidable=False),
    ]
