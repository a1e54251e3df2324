"""Merging duplicate events: `Event.merged_into`, the tombstone's shape, and the evidence trigger sparing tombstones.

- `merged_into` (nullable) marks an event merged into another by facts.services.event_merge; the row stays as a
  tombstone so that its id answers 301 or 410 with its target. The target's deletion deletes its tombstones.
- A tombstone keeps no place and no parent, and is not merged into itself (a check constraint).
- PostgreSQL's deferred trigger (a fact never ends a transaction without the evidence it had: migrations 0011 and
  0014) spares a tombstone, whose evidence moved to its target, as Event.needs_evidence does for the ORM.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

_0011 = importlib.import_module("facts.migrations.0011_review_permission_and_integrity_triggers")
_0014 = importlib.import_module("facts.migrations.0014_affiliation_links_alias_evidence")

NEEDS_EVIDENCE = {**_0014.NEEDS_EVIDENCE, "event": ("facts_event", "merged_into_id IS NULL")}

PG_FUNCTION = (
    r"""
CREATE OR REPLACE FUNCTION facts_fact_keeps_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
"""
    + "".join(
        f"""
    IF OLD.{fact}_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM {table} WHERE id = OLD.{fact}_id AND {condition})
       AND NOT EXISTS (SELECT 1 FROM facts_evidencespan WHERE {fact}_id = OLD.{fact}_id) THEN
        RAISE EXCEPTION '{fact.capitalize()} % would be left without evidence.', OLD.{fact}_id
            USING ERRCODE = 'check_violation';
    END IF;"""
        for fact, (table, condition) in NEEDS_EVIDENCE.items()
    )
    + """
    RETURN NULL;
END
$$;
"""
)
HELP = "The event this one was merged into: a duplicate, kept only so that its id leads to the target."


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0016_proposed_by_database_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                help_text=HELP,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="merged_events",
                to="facts.event",
            ),
        ),
        migrations.AddField(
            model_name="historicalevent",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                editable=False,
                help_text=HELP,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="facts.event",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(("merged_into__isnull", True))
                | (
                    models.Q(("parent__isnull", True), ("place__isnull", True))
                    & ~models.Q(("merged_into", models.F("id")))
                ),
                name="event_tombstone_bare",
                violation_error_message="A merged event keeps no place or parent and is not merged into itself.",
            ),
        ),
        migrations.RunPython(
            _0011._run({"postgresql": [PG_FUNCTION]}), _0011._run({"postgresql": [_0014.PG_FUNCTION]})
        ),
    ]
