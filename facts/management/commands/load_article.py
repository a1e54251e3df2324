"""`manage.py load_article`: load the article fixtures into a database once, never over a curator's edits.

`loaddata` writes every fixture row back to its fixture values, so running it on every `make serve` would undo
whatever curators changed in those rows since. This loads the fixtures only when their sources are not stored yet
(or with --force), then records the loaded rows in the history so the changes feed lists them.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models import OuterRef, Subquery

from facts import services
from facts.models import EventType, Source
from facts.selectors.changes import FEED_MODELS

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


def history_model(model: Any) -> type[models.Model]:
    """The model of `model`'s versions: simple_history adds `history` to each model it tracks, and has no types."""
    return model.history.model


class Command(BaseCommand):
    help = "Load fixtures/*.json unless their sources are already stored; then backfill their history."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Reload even when the sources are stored (overwrites edits to fixture rows).",
        )

    def handle(self, *args, force=False, **options):
        fixtures = sorted(FIXTURES_DIR.glob("*.json"))
        if not fixtures:
            raise CommandError(f"No fixtures found in {FIXTURES_DIR}.")
        source_ids = [
            row["pk"]
            for path in fixtures
            for row in json.loads(path.read_text(encoding="utf-8"))
            if row["model"] == "facts.source"
        ]
        stored = Source.objects.filter(pk__in=source_ids).count()
        if stored == len(source_ids) and not force:
            rows = [row for path in fixtures for row in json.loads(path.read_text(encoding="utf-8"))]
            with transaction.atomic():
                added, filled = complete_codebook(rows)
            changed = (
                f"left as they are; added {added} CAMEO code(s), and the PLOVER category of {filled} stored "
                "code(s), from the codebook fixture."
                if added or filled
                else "nothing changed."
            )
            self.stdout.write(
                f"The article fixtures are already loaded ({stored} source(s)); {changed} "
                "Use --force to reload them over any edits."
            )
            return
        with transaction.atomic():
            rows = [row for path in fixtures for row in json.loads(path.read_text(encoding="utf-8"))]
            pks = fixture_pks(rows)
            before = updated_times(pks)
            clear_collisions(rows)
            call_command("loaddata", *map(str, fixtures), verbosity=options["verbosity"])
            call_command("backfill_history", verbosity=options["verbosity"])
            align_updated_at(pks, before)
            never_reuse_ids()


def complete_codebook(rows: list[dict]) -> tuple[int, int]:
    """Add the codebook fixture's codes a database lacks, and the PLOVER category and mode of stored codes that have
    neither; (codes added, codes given a category). A stored label or description is never changed (a curator may
    have edited it). The codebook is external data that grows apart from the article (the whole CAMEO 1.1b3 list
    and its PLOVER categories came after the first 159 codes), so a database loaded before gets it without --force.
    """
    codebook = [row for row in rows if row["model"] == "facts.eventtype"]
    stored = EventType.objects.in_bulk([row["pk"] for row in codebook])
    new, filled = [], []
    for row in codebook:
        fields = row["fields"]
        event_type = stored.get(row["pk"])
        if event_type is None:
            new.append(EventType(code=row["pk"], **fields))
        elif not (event_type.plover_category or event_type.plover_mode) and fields.get("plover_category"):
            event_type.plover_category = fields["plover_category"]
            event_type.plover_mode = fields.get("plover_mode", "")
            filled.append(event_type)
    EventType.objects.bulk_create(new)
    EventType.objects.bulk_update(filled, ["plover_category", "plover_mode"])
    return len(new), len(filled)


REPLACED_REASON = "Replaced on reload by the article's own row with the same unique values"


def clear_collisions(rows: list[dict]) -> None:
    """Delete the rows that hold a fixture row's unique values under another id, so the reload can write it.

    A curator who removed the article's participant and added the same actor again made a second row with the
    fixture's (event, actor); loaddata would then fail on the unique constraint and roll everything back. The
    deletions go through the service, so they are refused like any other (dependents) and recorded in the
    history and the changes feed.
    """
    for row in rows:
        model = apps.get_model(row["model"])
        fields = {**row["fields"], model._meta.pk.name: row["pk"]}
        for names in unique_field_sets(model):
            if not all(name in fields for name in names):
                continue
            lookup = {model._meta.get_field(name).attname: fields[name] for name in names}
            for other in model._default_manager.filter(**lookup).exclude(pk=row["pk"]):
                try:
                    services.instance_delete(instance=other, reason=REPLACED_REASON)
                except services.DependentsExist as exc:
                    raise CommandError(f"Cannot reload {row['model']} {row['pk']}: {exc.message}") from exc


def unique_field_sets(model) -> list[tuple[str, ...]]:
    """The field sets whose values must be unique: unique fields (not the key) and plain unique constraints."""
    sets: list[tuple[str, ...]] = [
        (field.name,) for field in model._meta.concrete_fields if field.unique and not field.primary_key
    ]
    sets += [tuple(constraint.fields) for constraint in model._meta.total_unique_constraints if constraint.fields]
    sets += [tuple(together) for together in model._meta.unique_together]
    return sets


def never_reuse_ids() -> None:
    """On PostgreSQL, move each id sequence past every id the history has seen.

    loaddata resets a sequence to the largest id in the table, so after a reload the id of a deleted object
    would be handed out again and its history would mix two objects. SQLite's AUTOINCREMENT never reuses ids.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in FEED_MODELS.values():
            table, history = model._meta.db_table, history_model(model)._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST("
                f"(SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}), "
                f"(SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(history)}), 1))",
                [table],
            )


def fixture_pks(rows: list[dict]) -> dict[str, set]:
    pks: dict[str, set] = {}
    for row in rows:
        pks.setdefault(row["model"].split(".", 1)[1], set()).add(row["pk"])
    return pks


def updated_times(pks: dict[str, set]) -> dict[tuple[str, object], datetime]:
    """(model name, pk) -> updated_at of the fixture rows already stored, read before the reload overwrites it."""
    return {
        (name, pk): when
        for name, model in FEED_MODELS.items()
        if name in pks
        for pk, when in model._default_manager.filter(pk__in=pks[name]).values_list("pk", "updated_at")
    }


def align_updated_at(pks: dict[str, set], before: dict[tuple[str, object], datetime]) -> None:
    """Give each fixture row the later of its updated_at before the reload and its last recorded change.

    loaddata stamps every row it writes (facts.models.keep_rules_on_raw_save), changed or not; backfill_history
    then records which rows really changed. So a row the reload reverted moves to the time of that record (now),
    a new row gets its creation, and a row the reload left as it was keeps its time: `updated_since` and the
    changes feed agree, and no updated_at goes back.
    """
    for name, model in FEED_MODELS.items():
        if name not in pks:
            continue
        latest = (
            history_model(model)
            ._default_manager.filter(id=OuterRef("pk"))
            .order_by("-history_date", "-history_id")
            .values("history_date")[:1]
        )
        rows = list(
            model._default_manager.filter(pk__in=pks[name]).annotate(recorded=Subquery(latest)).only("pk", "updated_at")
        )
        for row in rows:
            row.updated_at = max(t for t in (before.get((name, row.pk)), row.recorded) if t is not None)
        model._default_manager.bulk_update(rows, ["updated_at"], batch_size=500)
