"""The synthetic data generator: reference data first, then news reports, written batch by batch."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.db import connection, transaction

from bench.synthetic.base import Batch, Plan
from bench.synthetic.news import News
from bench.synthetic.reference import ReferenceData, ensure_event_types
from bench.synthetic.tables import TABLE_ORDER, TableWriter, _spec, _table, delete_synthetic, synthetic_exists
from bench.synthetic.vocabulary import EVENTS_PER_SOURCE, SYNTHETIC_PREFIX
from facts.models import Actor, Place


class Generator(ReferenceData, News):
    """Builds the rows; `run()` writes them batch by batch."""

    def __init__(self, events: int, seed: int, log: Callable[[str], None] = lambda s: None):
        self.plan = Plan.for_events(events)
        self.seed = seed
        self.rng = random.Random(seed)
        self.log = log
        self.writer = TableWriter()
        self.now = self.writer.now
        self.counts = {k: 0 for k in TABLE_ORDER}
        origin = f"synthetic (generate_synthetic --seed {seed})"
        self.external = self.writer.adapt_json({"text": origin})
        self.external_name = self.writer.adapt_json({"name": origin})
        self.no_external = self.writer.adapt_json({})

    def _flush(self, batch: Batch):
        for key in TABLE_ORDER:
            self.writer.write(key, batch.rows.get(key, []))
        batch.rows.clear()

    def run(self) -> dict[str, float]:
        t0 = time.monotonic()
        codes = ensure_event_types()
        self._event_types(codes)
        self.ids = self.writer.next_ids()
        self.slugs = set(Actor.objects.values_list("slug", flat=True)) | set(
            Place.objects.values_list("slug", flat=True)
        )
        big = self.plan.events >= 50_000
        with transaction.atomic(), self.writer.bulk_mode(big):
            if connection.vendor == "postgresql":
                # Foreign keys are deferred by Django: check them at commit, after all batches are in.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            batch = Batch()
            self._places(batch)
            self._actors(batch)
            self._affiliations(batch)
            self._flush(batch)
            remaining, index = self.plan.events, 0
            while remaining:
                n = min(EVENTS_PER_SOURCE, remaining)
                self._source(batch, index, n)
                remaining -= n
                index += 1
                if batch.size() >= 200_000:
                    self._flush(batch)
                    self.log(f"  {self.plan.events - remaining} events written ({time.monotonic() - t0:.0f} s)")
            self._flush(batch)
            self.log(f"  rows written ({time.monotonic() - t0:.0f} s); rebuilding indexes and checking keys")
        self.writer.reset_sequences()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # Freshly copied pages are not yet marked all-visible, so index-only scans (counts) would still
                # visit the heap until autovacuum comes by; vacuum now so that measurements see the steady state.
                for key in TABLE_ORDER:
                    cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(_table(_spec(key)[0]))}")
            else:
                cursor.execute("ANALYZE")
        self.counts["seconds"] = round(time.monotonic() - t0, 1)
        return self.counts


def generate(*, events: int, seed: int, replace: bool = False, log: Callable[[str], None] = lambda s: None) -> dict:
    """Fill the database with synthetic facts; refuse if some are there already unless `replace`."""
    if events < 1:
        raise ValueError("--events must be at least 1.")
    if synthetic_exists():
        if not replace:
            raise FileExistsError(
                "Synthetic data is already in this database (slugs starting with "
                f"'{SYNTHETIC_PREFIX}'); run again with --replace to delete it and generate afresh."
            )
        deleted = delete_synthetic()
        log(f"Deleted previous synthetic data: {deleted}")
    return Generator(events, seed, log).run()
