"""Participants copy their event's CAMEO code, so that the (actor, date) index also checks and counts `?type=`."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_event_types(apps, schema_editor):
    Event = apps.get_model("facts", "Event")
    Participant = apps.get_model("facts", "Participant")
    Participant.objects.update(
        event_type_code=Subquery(Event.objects.filter(pk=OuterRef("event_id")).values("event_type_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0007_fact_date_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="event_type_code",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=4,
                help_text="Copy of the event's CAMEO code, for the (actor, date) index.",
            ),
        ),
        migrations.RunPython(copy_event_types, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(model_name="participant", name="participant_actor_date"),
        migrations.AddIndex(
            model_name="participant",
            index=models.Index(
                fields=["actor", "event_date_start", "event", "event_date_end", "event_type_code"],
                name="participant_actor_date",
            ),
        ),
    ]
