"""Indexes for the sort orders `ordering=` offers on events and statements, and for actors by name.

Each is (field, id), the order StableOrderingFilter asks for, so a page reads its first entries instead of sorting
every row: at 10^6 events `ordering=title` sorted the table in 0.2 s, `-updated_at` in 0.16 s.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0008_participant_event_type"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="actor",
            index=models.Index(fields=["name", "id"], name="actor_name_order"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["date_end", "id"], name="event_end_order"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["title", "id"], name="event_title_order"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["updated_at", "id"], name="event_updated_order"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["date_end", "id"], name="statement_end_order"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["kind", "id"], name="statement_kind_order"),
        ),
        migrations.AddIndex(
            model_name="statement",
            index=models.Index(fields=["updated_at", "id"], name="statement_updated_order"),
        ),
    ]
