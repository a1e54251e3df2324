"""The tables synthetic rows go to, in what column order, and how they are written and deleted in bulk."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, transaction

from bench.synthetic.vocabulary import SYNTHETIC_PREFIX
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)


def _table(model) -> str:
    return model._meta.db_table


def _columns(model, names: Iterable[str]) -> list[str]:
    return [model._meta.get_field(n).column for n in names]


# Column lists, in the order the generator builds tuples.
SPEC = {
    "source": (
        Source,
        [
            "id",
            "slug",
            "title",
            "publisher",
            "url",
            "published",
            "language",
            "text",
            "checksum",
            "external",
            "created_at",
            "updated_at",
        ],
    ),
    "actor": (
        Actor,
        ["id", "slug", "name", "kind", "country_code", "description", "external", "created_at", "updated_at"],
    ),
    "alias": (ActorAlias, ["id", "actor", "name", "kind", "external", "created_at", "updated_at"]),
    "place": (
        Place,
        [
            "id",
            "slug",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "coordinates_approximate",
            "country_code",
            "description",
            "external",
            "created_at",
            "updated_at",
        ],
    ),
    "affiliation": (
        Affiliation,
        [
            "id",
            "person",
            "organization",
            "role_title",
            "date_text",
            "date_start",
            "date_end",
            "date_precision",
            "external",
            "created_at",
            "updated_at",
        ],
    ),
    "event": (
        Event,
        [
            "id",
            "title",
            "description",
            "event_type",
            "place",
            "parent",
            "status",
            "date_text",
            "date_start",
            "date_end",
            "date_precision",
            "created_at",
            "updated_at",
            "sources_count",
        ],
    ),
    "participant": (
        Participant,
        [
            "id",
            "event",
            "actor",
            "role",
            "event_date_start",
            "event_date_end",
            "event_type_code",
            "created_at",
            "updated_at",
        ],
    ),
    "statement": (
        Statement,
        [
            "id",
            "speaker",
            "text",
            "kind",
            "channel",
            "event",
            "status",
            "date_text",
            "date_start",
            "date_end",
            "date_precision",
            "created_at",
            "updated_at",
            "sources_count",
        ],
    ),
    "relation": (
        Relation,
        [
            "id",
            "subject",
            "object",
            "type",
            "description",
            "status",
            "date_text",
            "date_start",
            "date_end",
            "date_precision",
            "created_at",
            "updated_at",
            "sources_count",
        ],
    ),
    "evidence": (
        EvidenceSpan,
        [
            "id",
            "source",
            "start",
            "end",
            "quote",
            "event",
            "statement",
            "relation",
            "affiliation",
            "created_at",
            "updated_at",
        ],
    ),
}
M2M = {
    "about_actor": (Statement.about_actors.through, ["id", "statement", "actor"]),
    "about_place": (Statement.about_places.through, ["id", "statement", "place"]),
    "about_event": (Statement.about_events.through, ["id", "statement", "event"]),
}
TABLE_ORDER = [
    "source",
    "place",
    "actor",
    "alias",
    "affiliation",
    "event",
    "participant",
    "statement",
    "about_actor",
    "about_place",
    "about_event",
    "relation",
    "evidence",
]
BULK_TABLES = ["event", "participant", "statement", "about_actor", "about_place", "about_event", "evidence"]


def _spec(key):
    return SPEC.get(key) or M2M[key]


class TableWriter:
    """Writes tuples to tables: COPY on PostgreSQL, batched executemany elsewhere."""

    def __init__(self):
        self.vendor = connection.vendor
        self.qn = connection.ops.quote_name
        self.now = "2026-01-01 00:00:00+00" if self.vendor == "postgresql" else "2026-01-01 00:00:00"

    def adapt_json(self, value: dict) -> str:
        return json.dumps(value, sort_keys=True)

    def write(self, key: str, rows: list[tuple]):
        if not rows:
            return
        model, names = _spec(key)
        table, cols = self.qn(_table(model)), ", ".join(self.qn(c) for c in _columns(model, names))
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                for i in range(0, len(rows), 5000):
                    cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows[i : i + 5000])

    def next_ids(self) -> dict[str, int]:
        """The first free id of each table: ids are assigned here so that rows can refer to each other."""
        out = {}
        with connection.cursor() as cursor:
            for key in TABLE_ORDER:
                model, _ = _spec(key)
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.qn(_table(model))}")
                out[key] = cursor.fetchone()[0] + 1
        return out

    def reset_sequences(self):
        models = [_spec(k)[0] for k in TABLE_ORDER]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)

    @contextlib.contextmanager
    def bulk_mode(self, enabled: bool):
        """On PostgreSQL, drop secondary indexes and foreign keys of the big tables while loading, then rebuild.

        Building an index once over sorted data is far cheaper than maintaining it row by row, and re-adding a
        foreign key validates it with one join instead of a million deferred trigger calls; integrity is still
        checked, just once at the end (as pg_restore does). Runs inside the caller's transaction, so a failure
        leaves the schema as it was.
        """
        if not enabled or self.vendor != "postgresql":
            yield
            return
        tables = [_table(_spec(k)[0]) for k in BULK_TABLES]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])",
                [tables],
            )
            fkeys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
            indexes = [(name, definition) for name, definition in cursor.fetchall() if not _kept(definition)]
            for table, name, _ in fkeys:
                cursor.execute(f"ALTER TABLE {self.qn(table)} DROP CONSTRAINT {self.qn(name)}")
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in fkeys:
                cursor.execute(f"ALTER TABLE {self.qn(table)} ADD CONSTRAINT {self.qn(name)} {definition}")


# The indexes the sources_count triggers (migration 0020) find a batch's facts' spans by: dropped, every COPY of a
# batch would make them read all the spans written so far, four times (its spans, events, statements, relations).
KEPT_INDEX = re.compile(r" ON (\S+\.)?facts_evidencespan USING btree \((event|statement|relation)_id\)$")


def _kept(definition: str) -> bool:
    return KEPT_INDEX.search(definition) is not None


def synthetic_exists() -> bool:
    return (
        Source.objects.filter(slug__startswith=SYNTHETIC_PREFIX).exists()
        or Actor.objects.filter(slug__startswith=SYNTHETIC_PREFIX).exists()
        or Place.objects.filter(slug__startswith=SYNTHETIC_PREFIX).exists()
    )


def delete_synthetic() -> dict[str, int]:
    """Delete every synthetic fact with set-based SQL (a million events are too many for the ORM's collector)."""
    qn = connection.ops.quote_name
    t = {k: qn(_table(_spec(k)[0])) for k in TABLE_ORDER}
    like = f"'{SYNTHETIC_PREFIX}%%'"
    actors = f"(SELECT id FROM {t['actor']} WHERE slug LIKE {like})"
    places = f"(SELECT id FROM {t['place']} WHERE slug LIKE {like})"
    sources = f"(SELECT id FROM {t['source']} WHERE slug LIKE {like})"
    statements = f"(SELECT id FROM {t['statement']} WHERE speaker_id IN {actors})"
    steps = [
        ("about_actor", f"DELETE FROM {t['about_actor']} WHERE statement_id IN {statements}"),
        ("about_place", f"DELETE FROM {t['about_place']} WHERE statement_id IN {statements}"),
        ("about_event", f"DELETE FROM {t['about_event']} WHERE statement_id IN {statements}"),
        ("statement", f"DELETE FROM {t['statement']} WHERE speaker_id IN {actors}"),
        ("participant", f"DELETE FROM {t['participant']} WHERE actor_id IN {actors}"),
        ("event", f"DELETE FROM {t['event']} WHERE place_id IN {places}"),
        ("relation", f"DELETE FROM {t['relation']} WHERE subject_id IN {actors}"),
        ("affiliation", f"DELETE FROM {t['affiliation']} WHERE person_id IN {actors}"),
        ("alias", f"DELETE FROM {t['alias']} WHERE actor_id IN {actors}"),
        # After the facts: the sources_count triggers (migration 0020) then find no fact left to recount.
        ("evidence", f"DELETE FROM {t['evidence']} WHERE source_id IN {sources}"),
        ("actor", f"DELETE FROM {t['actor']} WHERE slug LIKE {like}"),
        ("place", f"DELETE FROM {t['place']} WHERE slug LIKE {like}"),
        ("source", f"DELETE FROM {t['source']} WHERE slug LIKE {like}"),
    ]
    counts = {}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for key, sql in steps:
            cursor.execute(sql.replace("%%", "%"))
            counts[key] = cursor.rowcount
    return counts
