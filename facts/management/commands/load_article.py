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

from django.db import transaction
from django.db.models import OuterRef, Subquery

from facts.changes import FEED_MODELS
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
        with transaction.atomic():
            call_command("loaddata", *map(str, fixtures), verbosity=options["verbosity"])
            call_command("backfill_history", verbosity=options["verbosity"])
            align_updated_at(fixtures)


def align_updated_at(fixtures: list[Path]) -> None:
    """Give each fixture row the time of its last recorded change as `updated_at`.

    loaddata stamps every row it writes (facts.models.keep_rules_on_raw_save), changed or not; backfill_history
    then records which rows really changed. Taking updated_at from the history makes `updated_since` and the
    changes feed agree: a row the reload reverted moves to now, a row it left as it was keeps its time.
    """
    pks: dict[str, set] = {}
    for path in fixtures:
        for row in json.loads(path.read_text(encoding="utf-8")):
            pks.setdefault(row["model"].split(".", 1)[1], set()).add(row["pk"])
    for name, model in FEED_MODELS.items():
        if name not in pks:
            continue
        latest = (model.history.model.objects.filter(id=OuterRef("pk"))
                  .order_by("-history_date", "-history_id").values("history_date")[:1])
        model._default_manager.filter(pk__in=pks[name]).update(updated_at=Subquery(latest))
