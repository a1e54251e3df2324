"""The data version (facts.models.DataVersion) and the triggers that advance it on every facts table."""

from django.db import migrations, models

from facts import versioning


class Migration(migrations.Migration):
    dependencies = [
        ("facts", "0016_proposed_by_database_default"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "counter",
                    models.BigIntegerField(
                        default=0, help_text="How many writes have advanced it (for people; not a key)."
                    ),
                ),
                ("stamp", models.CharField(help_text="Random per advance: what caches key on.", max_length=36)),
                ("changed_at", models.DateTimeField(help_text="When it last advanced (the database's clock).")),
            ],
            options={
                "verbose_name": "data version",
            },
        ),
        # The version row and its triggers on every facts table (facts.versioning).
        migrations.RunPython(versioning.install, versioning.uninstall),
    ]
