"""`manage.py backfill_history`: record what raw writes (loaddata) left out of the history, so the feed is complete.

`loaddata` saves rows raw, and django-simple-history records nothing for raw saves (only the many-to-many links
it sets leave "updated" records). Without this command the article fixtures would be missing from
`GET /api/v1/changes/` and a client could not mirror the data set from scratch. Through the library's own
`bulk_history_create`, it records:

- "created" for each row whose history has no creation since its last deletion: rows never recorded, rows
  recorded only through their links, and rows that a reload brought back after a curator deleted them (a mirror saw
  the tombstone; it must see the row come back);
- "updated" for each row whose values differ from its latest history record: a fixture row that a reload set back
  to the article's version after a curator changed it. The curator's version stays in the history (the admin can
  revert to it), and mirrors learn that the row changed.

Unlike simple-history's `populate_history --auto`, which skips a whole model as soon as it has any history (so
fixture rows loaded after a curator's first change would never appear), this looks at each row and leaves rows
whose history is complete alone, which makes it safe to run again: `make load` runs it after every `loaddata`.
"""

from datetime import UTC, datetime, timedelta
from itertools import islice

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.timezone import now as django_now

from facts.selectors.changes import FEED_MODELS

CREATED_REASON = "Initial version: loaded without history (fixtures)"
CHANGED_REASON = "Changed without history: fixtures reloaded over it"
BATCH_SIZE = 500
# Before any history: stands in for "never deleted" in the comparison below.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Timestamps are not what a change is about: loaddata sets them back to the fixture's values.
UNCOMPARED = {"created_at", "updated_at"}


def batches(queryset):
    rows = queryset.iterator(chunk_size=BATCH_SIZE)
    while batch := list(islice(rows, BATCH_SIZE)):
        yield batch


def rows_without_creation(model):
    """Rows of `model` whose history records no creation after their last deletion (if any).

    Each row is annotated with `first_recorded`: the time of its earliest record since then (a statement's
    about-links set by loaddata leave "updated" records), or None.
    """
    history = model.history.model.objects
    last_deleted = history.filter(id=OuterRef("pk"), history_type="-").order_by("-history_date")
    since_deletion = history.filter(id=OuterRef("pk"), history_date__gt=OuterRef("last_deleted"))
    return (
        model._default_manager.annotate(
            last_deleted=Coalesce(Subquery(last_deleted.values("history_date")[:1]), Value(EPOCH))
        )
        .filter(~Exists(since_deletion.filter(history_type="+")))
        .annotate(first_recorded=Subquery(since_deletion.order_by("history_date").values("history_date")[:1]))
        .order_by("pk")
    )


def creation_time(models) -> datetime:
    """One time for every creation a backfill records, so that the loaded data forms one version.

    A version is a write (facts.history): an event's participants and evidence recorded a moment after the event
    would make "the event as first loaded" a fact without parts. The time is just before the earliest change
    already recorded for any of these rows (a statement's about-links, set by loaddata), so that the feed reads
    "created" before "updated"; else now.
    """
    earliest = [
        found
        for model in models
        if (found := rows_without_creation(model).aggregate(first=Min("first_recorded"))["first"])
    ]
    return min(earliest) - timedelta(microseconds=1) if earliest else django_now()


def snapshot_links(model, records) -> None:
    """Copy the current many-to-many links into the snapshot tables of `records`, as a save's record gets them.

    bulk_history_create writes none, so "the statement as loaded" would be about nothing, and a revert to that
    version would drop its about-links.
    """
    history_model = model.history.model
    prefix = history_model.__name__ + "_"
    for rel in history_model._meta.related_objects:
        snapshot = rel.related_model
        if not snapshot.__name__.startswith(prefix):
            continue
        through = model._meta.get_field(snapshot.__name__[len(prefix) :]).remote_field.through
        owner = next(f for f in through._meta.fields if f.related_model is model)
        links: dict[int, list] = {}
        for link in through.objects.filter(**{f"{owner.attname}__in": [r.id for r in records]}):
            links.setdefault(getattr(link, owner.attname), []).append(link)
        snapshot.objects.bulk_create(
            [
                snapshot(history=record, **{f.attname: getattr(link, f.attname) for f in through._meta.fields})
                for record in records
                for link in links.get(record.id, [])
            ]
        )


def record_creations(model, when: datetime) -> int:
    """Record a "created" history entry at `when` for every row of `model` that needs one; return how many."""
    recorded = 0
    for batch in batches(rows_without_creation(model)):
        for row in batch:
            row._history_date = when
        records = model.history.bulk_history_create(batch, default_change_reason=CREATED_REASON)
        snapshot_links(model, records)
        recorded += len(batch)
    return recorded


def drifted_rows(model):
    """Rows of `model` whose values differ from their latest history record, in batches."""
    history = model.history.model.objects
    compared = [f.attname for f in model.history.model.tracked_fields if f.attname not in UNCOMPARED]
    latest = history.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id").values("history_id")[:1]
    rows = model._default_manager.annotate(latest_record=Subquery(latest)).filter(latest_record__isnull=False)
    for batch in batches(rows.order_by("pk")):
        records = history.in_bulk([row.latest_record for row in batch])
        yield [
            row
            for row in batch
            if any(getattr(row, name) != getattr(records[row.latest_record], name) for name in compared)
        ]


def record_changes(model, when: datetime) -> int:
    """Record an "updated" history entry at `when` for every row changed behind the history's back."""
    recorded = 0
    for batch in drifted_rows(model):
        for row in batch:
            row._history_date = when
        if batch:
            records = model.history.bulk_history_create(batch, update=True, default_change_reason=CHANGED_REASON)
            snapshot_links(model, records)
            recorded += len(batch)
    return recorded


class Command(BaseCommand):
    help = (
        "Record in the history what loaddata left out: each row without a recorded creation as created, each row "
        "whose values differ from its latest record as updated. Rows with complete history are untouched; safe "
        "to run again."
    )

    def handle(self, *args, **options):
        created = changed = 0
        # One transaction: the feed never shows half a backfill.
        with transaction.atomic():
            created_at, changed_at = creation_time(FEED_MODELS.values()), django_now()
            for name, model in FEED_MODELS.items():
                new, updated = record_creations(model, created_at), record_changes(model, changed_at)
                created, changed = created + new, changed + updated
                if (new or updated) and options["verbosity"] >= 2:
                    self.stdout.write(f"{name}: {new} created, {updated} updated")
        self.stdout.write(f"Recorded {created} creation(s) and {changed} change(s) missing from the history.")
