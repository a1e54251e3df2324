"""`manage.py load_article`: load the article fixtures into a database once, never over a curator's edits.

`loaddata` writes every fixture row back to its fixture values, so running it on every `make serve` would undo
whatever curators changed in those rows since. This loads the fixtures only when their sources are not stored yet
(or with --force), then records the loaded rows in the history so the changes feed lists them.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from facts.models import Source

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = "Load fixtures/*.json unless their sources are already stored; then backfill their history."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="Reload even when the sources are stored (overwrites edits to fixture rows).")

    def handle(self, *args, force=False, **options):
        fixtures = sorted(FIXTURES_DIR.glob("*.json"))
        if not fixtures:
            raise CommandError(f"No fixtures found in {FIXTURES_DIR}.")
        source_ids = [row["pk"] for path in fixtures for row in json.loads(path.read_text(encoding="utf-8"))
                      if row["model"] == "facts.source"]
        stored = Source.objects.filter(pk__in=source_ids).count()
        if stored == len(source_ids) and not force:
            self.stdout.write(f"The article fixtures are already loaded ({stored} source(s)); nothing changed. "
                              "Use --force to reload them over any edits.")
            return
        call_command("loaddata", *map(str, fixtures), verbosity=options["verbosity"])
        call_command("backfill_history", verbosity=options["verbosity"])
