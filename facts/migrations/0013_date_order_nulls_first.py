"""One date order on every database, and statements that take the dates of the event they were made at.

Undated facts and unknown (NULL) bounds sorted first on SQLite and last on PostgreSQL. Events and statements now sort
NULL before every date ascending and after every date descending on both (facts.models.date_order), and the date
indexes that pages read in order hold NULL first on PostgreSQL too (facts.models.NullsFirstIndex), so that a page is
still the first entries of an index rather than a sort of the table. On SQLite the indexes are rebuilt unchanged.

Statement.event is the occasion a statement was made at: its help text now says so, and that a statement without a
date_text of its own takes the event's dates (facts.models.dates_at_event).
"""

import django.db.models.deletion
from django.db import migrations, models

import facts.models

EVENT_HELP = (
    "The event the statement was made at (its occasion; what it is about goes in about_events). Without a "
    "date_text of its own, the statement takes this event's dates."
)

# (model, name, fields, columns holding NULL first)
INDEXES = [
    ("event", "event_date_order", ["date_start", "id", "date_end"], ["date_start"]),
    ("event", "event_end_order", ["date_end", "id"], ["date_end"]),
    (
        "participant",
        "participant_actor_date",
        ["actor", "event_date_start", "event", "event_date_end", "event_type_code"],
        ["event_date_start"],
    ),
    ("statement", "statement_date_order", ["date_start", "id", "date_end"], ["date_start"]),
    ("statement", "statement_end_order", ["date_end", "id"], ["date_end"]),
]


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0012_open_intervals_plover_alias_evidence"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="event",
            options={
                "ordering": (models.OrderBy(models.F("date_start"), nulls_first=True), "id"),
                "permissions": [("review_event", "Can mark events reviewed or verified")],
            },
        ),
        migrations.AlterModelOptions(
            name="statement",
            options={
                "ordering": (models.OrderBy(models.F("date_start"), nulls_first=True), "id"),
                "permissions": [("review_statement", "Can mark statements reviewed or verified")],
            },
        ),
        *(migrations.RemoveIndex(model_name=model, name=name) for model, name, _fields, _nulls in INDEXES),
        *(
            migrations.AddIndex(
                model_name=model, index=facts.models.NullsFirstIndex(fields=fields, name=name, nulls_first=tuple(nulls))
            )
            for model, name, fields, nulls in INDEXES
        ),
        migrations.AlterField(
            model_name="historicalstatement",
            name="event",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=EVENT_HELP,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="facts.event",
            ),
        ),
        migrations.AlterField(
            model_name="statement",
            name="event",
            field=models.ForeignKey(
                blank=True,
                help_text=EVENT_HELP,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="statements",
                to="facts.event",
            ),
        ),
    ]
