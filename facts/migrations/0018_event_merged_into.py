"""Merging duplicate events: `Event.merged_into`, the tombstone's shape, and the evidence trigger sparing tombstones.

- `merged_into` (nullable) marks an event merged into another by facts.services.event_merge; the row stays as a
  tombstone so that its id answers 301 or 410 with its target. The target's deletion deletes its tombstones.
- A tombstone keeps no place and no parent, and is not merged into itself (a check constraint).
- Parents, participants, evidence spans and statements refer only to events that stand (limit_choices_to: the
  admin's choices, and full_clean() refuses a tombstone).
- PostgreSQL's deferred trigger (a fact never ends a transaction without the evidence it had: migrations 0011 and
  0014) spares a tombstone, whose evidence moved to its target, as Event.needs_evidence does for the ORM.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

from facts import versioning

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
# What may refer to an event: one that stands (facts.models.LIVE_EVENTS); choices and messages only, no SQL.
LIVE_EVENTS = {"merged_into__isnull": True}
LIVE_EVENT_MESSAGES = {
    "invalid": "No event with id %(value)r, or it was merged into another event: give the one it was merged into."
}
HELP = "The event this one was merged into: a duplicate, kept only so that its id leads to the target."


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0017_data_version"),
    ]

    operations = versioning.kept_through_rebuilds(
        [
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
            migrations.AlterField(
                model_name="event",
                name="parent",
                field=models.ForeignKey(
                    blank=True,
                    error_messages=LIVE_EVENT_MESSAGES,
                    help_text="A larger event this one is part of (a dinner within a round of talks).",
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="children",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="evidencespan",
                name="event",
                field=models.ForeignKey(
                    blank=True,
                    error_messages=LIVE_EVENT_MESSAGES,
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="evidence",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="historicalevent",
                name="parent",
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    error_messages=LIVE_EVENT_MESSAGES,
                    help_text="A larger event this one is part of (a dinner within a round of talks).",
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    related_name="+",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="historicalevidencespan",
                name="event",
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    error_messages=LIVE_EVENT_MESSAGES,
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    related_name="+",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="historicalparticipant",
                name="event",
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    error_messages=LIVE_EVENT_MESSAGES,
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    related_name="+",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="historicalstatement",
                name="event",
                field=models.ForeignKey(
                    blank=True,
                    db_constraint=False,
                    error_messages=LIVE_EVENT_MESSAGES,
                    help_text="The event the statement was made at (its occasion; what it is about goes in about_events). Without a date_text of its own, the statement takes this event's dates.",
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.DO_NOTHING,
                    related_name="+",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="participant",
                name="event",
                field=models.ForeignKey(
                    error_messages=LIVE_EVENT_MESSAGES,
                    limit_choices_to=LIVE_EVENTS,
                    on_delete=django.db.models.deletion.CASCADE,
                    related_name="participants",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="statement",
                name="about_events",
                field=models.ManyToManyField(
                    blank=True,
                    limit_choices_to=LIVE_EVENTS,
                    related_name="mentioned_in",
                    to="facts.event",
                ),
            ),
            migrations.AlterField(
                model_name="statement",
                name="event",
                field=models.ForeignKey(
                    blank=True,
                    error_messages=LIVE_EVENT_MESSAGES,
                    help_text="The event the statement was made at (its occasion; what it is about goes in about_events). Without a date_text of its own, the statement takes this event's dates.",
                    limit_choices_to=LIVE_EVENTS,
                    null=True,
                    on_delete=django.db.models.deletion.PROTECT,
                    related_name="statements",
                    to="facts.event",
                ),
            ),
            migrations.RunPython(
                _0011._run({"postgresql": [PG_FUNCTION]}), _0011._run({"postgresql": [_0014.PG_FUNCTION]})
            ),
        ]
    )
