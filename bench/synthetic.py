"""Deterministic synthetic data at scale, for benchmarks: actors, places, events, statements and their evidence.

The generator writes realistic-looking news text first and takes every evidence span from it, so each span satisfies
quote == source.text[start:end] exactly as curated data does. Everything it creates is marked: sources, actors and
places get slugs starting with SYNTHETIC_PREFIX and `external` says they are synthetic, events sit at synthetic places,
statements have synthetic speakers. That marking is what `--replace` deletes by.

Rows are written in batches straight to the tables (COPY on PostgreSQL, executemany elsewhere) with ids assigned
here, because a million events through the ORM take far longer than the five minutes the load may take. The price:
no django-simple-history rows for synthetic data (bulk writes never had them) and no per-row full_clean(), which
tests/system/test_synthetic.py runs on a sample instead.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from facts.dates import resolve_date
from facts.models import (
    INTERVAL_FIELDS,
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
    dates_at_event,
)

SYNTHETIC_PREFIX = "syn-"
EVENTS_PER_SOURCE = 40
STATEMENT_RATE = 0.3
RELATION_RATE = 0.005
AFFILIATIONS_PER_SOURCE = 100
CAMEO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "00_cameo.json"

# The CAMEO root codes (external data: the CAMEO codebook), created when no codebook is loaded.
CAMEO_ROOTS = {
    "01": "Make public statement",
    "02": "Appeal",
    "03": "Express intent to cooperate",
    "04": "Consult",
    "05": "Engage in diplomatic cooperation",
    "06": "Engage in material cooperation",
    "07": "Provide aid",
    "08": "Yield",
    "09": "Investigate",
    "10": "Demand",
    "11": "Disapprove",
    "12": "Reject",
    "13": "Threaten",
    "14": "Protest",
    "15": "Exhibit force posture",
    "16": "Reduce relations",
    "17": "Coerce",
    "18": "Assault",
    "19": "Fight",
    "20": "Use unconventional mass violence",
}
# How often each root occurs: consultations and statements dominate news, mass violence is rare.
ROOT_WEIGHTS = {
    "01": 10,
    "02": 5,
    "03": 6,
    "04": 22,
    "05": 6,
    "06": 4,
    "07": 4,
    "08": 2,
    "09": 2,
    "10": 4,
    "11": 6,
    "12": 3,
    "13": 3,
    "14": 4,
    "15": 3,
    "16": 2,
    "17": 4,
    "18": 4,
    "19": 6,
    "20": 0.5,
}
VERBS = {
    "01": "issued a joint statement with",
    "02": "appealed to",
    "03": "pledged to cooperate with",
    "04": "held talks with",
    "05": "signed an agreement with",
    "06": "agreed on material cooperation with",
    "07": "delivered aid to",
    "08": "made concessions to",
    "09": "opened an investigation into",
    "10": "made demands of",
    "11": "criticised",
    "12": "rejected a proposal from",
    "13": "threatened",
    "14": "protested against",
    "15": "mobilised forces against",
    "16": "reduced relations with",
    "17": "imposed restrictions on",
    "18": "attacked",
    "19": "clashed with",
    "20": "carried out mass violence against",
}
ROLES = {
    "04": ("host", "guest"),
    "03": ("party", "party"),
    "05": ("party", "party"),
    "06": ("party", "party"),
}

# (name, ISO 3166-1 alpha-2, region, approximate latitude, longitude): outside data the models allow, marked external.
COUNTRIES = [
    ("Armenia", "AM", "Caucasus and Central Asia", 40.1, 45.0),
    ("Azerbaijan", "AZ", "Caucasus and Central Asia", 40.3, 47.7),
    ("Georgia", "GE", "Caucasus and Central Asia", 42.3, 43.4),
    ("Kazakhstan", "KZ", "Caucasus and Central Asia", 48.0, 67.0),
    ("Uzbekistan", "UZ", "Caucasus and Central Asia", 41.4, 64.6),
    ("Turkey", "TR", "Europe", 39.0, 35.2),
    ("France", "FR", "Europe", 46.6, 2.4),
    ("Germany", "DE", "Europe", 51.1, 10.4),
    ("Poland", "PL", "Europe", 52.0, 19.1),
    ("Ukraine", "UA", "Europe", 49.0, 31.4),
    ("Russia", "RU", "Europe", 61.5, 105.3),
    ("Italy", "IT", "Europe", 42.8, 12.6),
    ("Spain", "ES", "Europe", 40.4, -3.7),
    ("United Kingdom", "GB", "Europe", 54.0, -2.0),
    ("Serbia", "RS", "Europe", 44.0, 20.9),
    ("Iran", "IR", "Middle East", 32.4, 53.7),
    ("Iraq", "IQ", "Middle East", 33.2, 43.7),
    ("Syria", "SY", "Middle East", 34.8, 39.0),
    ("Israel", "IL", "Middle East", 31.0, 34.9),
    ("Lebanon", "LB", "Middle East", 33.9, 35.9),
    ("Jordan", "JO", "Middle East", 30.6, 36.2),
    ("Saudi Arabia", "SA", "Middle East", 23.9, 45.1),
    ("Yemen", "YE", "Middle East", 15.6, 48.5),
    ("Egypt", "EG", "Africa", 26.8, 30.8),
    ("Libya", "LY", "Africa", 26.3, 17.2),
    ("Sudan", "SD", "Africa", 12.9, 30.2),
    ("Ethiopia", "ET", "Africa", 9.1, 40.5),
    ("Somalia", "SO", "Africa", 5.2, 46.2),
    ("Kenya", "KE", "Africa", -0.02, 37.9),
    ("Nigeria", "NG", "Africa", 9.1, 8.7),
    ("Mali", "ML", "Africa", 17.6, -4.0),
    ("Democratic Republic of the Congo", "CD", "Africa", -4.0, 21.8),
    ("South Africa", "ZA", "Africa", -30.6, 22.9),
    ("India", "IN", "Asia", 20.6, 79.0),
    ("Pakistan", "PK", "Asia", 30.4, 69.3),
    ("Afghanistan", "AF", "Asia", 33.9, 67.7),
    ("China", "CN", "Asia", 35.9, 104.2),
    ("Japan", "JP", "Asia", 36.2, 138.3),
    ("Myanmar", "MM", "Asia", 21.9, 95.96),
    ("Philippines", "PH", "Asia", 12.9, 121.8),
    ("Indonesia", "ID", "Asia", -0.8, 113.9),
    ("United States", "US", "Americas", 37.1, -95.7),
    ("Mexico", "MX", "Americas", 23.6, -102.6),
    ("Colombia", "CO", "Americas", 4.6, -74.3),
    ("Venezuela", "VE", "Americas", 6.4, -66.6),
    ("Brazil", "BR", "Americas", -14.2, -51.9),
    ("Haiti", "HT", "Americas", 18.97, -72.3),
    ("Australia", "AU", "Oceania", -25.3, 133.8),
]
SYLLABLES = [
    "ka",
    "lo",
    "ve",
    "ran",
    "mi",
    "ro",
    "va",
    "tes",
    "sa",
    "dor",
    "el",
    "ni",
    "ar",
    "ba",
    "zan",
    "ko",
    "li",
    "mar",
    "te",
    "sun",
    "ha",
    "di",
    "nor",
    "vi",
    "ga",
    "les",
    "to",
    "rin",
    "pa",
    "shi",
    "ul",
    "den",
    "ma",
    "ri",
    "kel",
    "os",
]
ROLE_TITLES = [
    "Foreign Minister",
    "Defence Minister",
    "spokesperson",
    "President",
    "Prime Minister",
    "ambassador",
    "commander",
    "special envoy",
    "deputy foreign minister",
    "senior adviser",
    "Interior Minister",
    "chief negotiator",
]
CHANNELS = [
    "in a statement",
    "at a press conference",
    "in a televised address",
    "in an interview",
    "on social media",
    "according to a foreign ministry statement",
    "according to state media",
    "in a written statement",
]
QUOTES = [
    "We will not accept any restriction on movement through {place}",
    "The talks with {actor} were constructive and will continue",
    "Our forces acted in self-defence near {place}",
    "There can be no lasting peace without the return of displaced people to {place}",
    "We call on {actor} to respect the ceasefire",
    "The blockade of {place} must end immediately",
    "We are ready to resume negotiations with {actor} without preconditions",
    "The humanitarian situation in {place} is deteriorating",
]
PARTIALS = [
    "constructive",
    "a grave provocation",
    "unacceptable",
    "a step towards peace",
    "deeply concerning",
    "a violation of the agreement",
    "productive",
    "a humanitarian catastrophe",
]
PARAPHRASES = [
    "{actor} had violated the ceasefire near {place}",
    "the two sides had agreed to continue talks",
    "aid convoys would be allowed to reach {place}",
    "{actor} was preparing an offensive",
    "the border crossing at {place} would reopen within days",
    "a new round of negotiations with {actor} was expected",
]
RELATION_PHRASES = {
    "ally_of": "is an ally of",
    "at_war_with": "is at war with",
    "rival_of": "is in a standoff with",
    "ceasefire_with": "observes a ceasefire with",
    "supports": "supports",
    "negotiating_with": "is negotiating with",
}


@dataclass
class Plan:
    """How much of each kind of fact to make for a given number of events."""

    events: int
    countries: int
    actors: int

    @classmethod
    def for_events(cls, events: int) -> Plan:
        # Small runs get proportionally fewer actors and places so that smoke runs stay fast and filters still match.
        return cls(
            events=events,
            countries=min(len(COUNTRIES), max(2, events // 200)),
            actors=min(10_000, max(40, events // 2)),
        )


@dataclass
class Batch:
    """Rows per table, waiting to be written together."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple):
        self.rows.setdefault(table, []).append(row)

    def size(self) -> int:
        return sum(len(r) for r in self.rows.values())


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
            indexes = cursor.fetchall()
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
        ("evidence", f"DELETE FROM {t['evidence']} WHERE source_id IN {sources}"),
        ("statement", f"DELETE FROM {t['statement']} WHERE speaker_id IN {actors}"),
        ("participant", f"DELETE FROM {t['participant']} WHERE actor_id IN {actors}"),
        ("event", f"DELETE FROM {t['event']} WHERE place_id IN {places}"),
        ("relation", f"DELETE FROM {t['relation']} WHERE subject_id IN {actors}"),
        ("affiliation", f"DELETE FROM {t['affiliation']} WHERE person_id IN {actors}"),
        ("alias", f"DELETE FROM {t['alias']} WHERE actor_id IN {actors}"),
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


def ensure_event_types() -> list[str]:
    """The CAMEO codes to draw from: the loaded codebook, else fixtures/00_cameo.json, else the 20 root codes."""
    if not EventType.objects.exists():
        if CAMEO_FIXTURE.exists():
            call_command("loaddata", str(CAMEO_FIXTURE), verbosity=0)
        else:
            EventType.objects.bulk_create([EventType(code=c, label=l) for c, l in CAMEO_ROOTS.items()])
    return list(EventType.objects.order_by("code").values_list("code", flat=True))


@lru_cache(maxsize=200_000)
def _resolve(expression: str, reference: date):
    return resolve_date(expression, reference)


def _slugify(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-").replace("--", "-")


class Generator:
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

    # -- ids ---------------------------------------------------------------------------------------------------
    def _id(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] += 1
        self.counts[key] += 1
        return value

    # -- names -------------------------------------------------------------------------------------------------
    def _word(self, parts: int) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(parts)).capitalize()

    def _unique_slug(self, name: str) -> str:
        base = SYNTHETIC_PREFIX + _slugify(name)[:100]
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    # -- reference data ----------------------------------------------------------------------------------------
    def _places(self, batch: Batch):
        rng, plan = self.rng, self.plan
        countries = COUNTRIES[: plan.countries]
        regions = {}
        self.leaf_places, self.countries = [], []
        ext_geo = self.writer.adapt_json({"name": "synthetic", "latitude": "approximate", "longitude": "approximate"})
        ext_country = self.writer.adapt_json(
            {
                "name": "canonical spelling",
                "country_code": "ISO 3166-1",
                "latitude": "approximate",
                "longitude": "approximate",
            }
        )

        def add(name, kind, parent, lat, lon, code="", external=ext_geo):
            pk = self._id("place")
            lat = Decimal(f"{max(-89.9, min(89.9, lat)):.5f}") if lat is not None else None
            lon = Decimal(f"{((lon + 180) % 360) - 180:.5f}") if lon is not None else None
            slug = self._unique_slug(name)
            batch.add("place", (pk, slug, name, kind, parent, lat, lon, True, code, "", external, self.now, self.now))
            return pk, slug, name

        for name, code, region, lat, lon in countries:
            if region not in regions:
                regions[region] = add(
                    region, "region", None, None, None, external=self.writer.adapt_json({"name": "synthetic grouping"})
                )
            country = add(name, "country", regions[region][0], lat, lon, code, ext_country)
            self.countries.append((country, code, name))
            for _ in range(5):
                plat, plon = lat + rng.uniform(-2, 2), lon + rng.uniform(-2, 2)
                province = add(f"{self._word(2)} Province", "enclave", country[0], plat, plon)
                self.leaf_places.append(province)
                for kind, suffix in (("city", ""), ("city", ""), ("facility", " border crossing")):
                    self.leaf_places.append(
                        add(
                            self._word(rng.choice((2, 3))) + suffix,
                            kind,
                            province[0],
                            plat + rng.uniform(-0.5, 0.5),
                            plon + rng.uniform(-0.5, 0.5),
                        )
                    )
        self.place_cum = self._zipf(len(self.leaf_places), 0.7)

    def _zipf(self, n: int, s: float) -> list[float]:
        total, cum = 0.0, []
        for rank in range(n):
            total += 1.0 / (rank + 5) ** s
            cum.append(total)
        return cum

    def _actors(self, batch: Batch):
        rng, plan = self.rng, self.plan
        ext_state = self.writer.adapt_json({"name": "canonical spelling", "country_code": "ISO 3166-1"})
        self.states, self.orgs, self.persons, self.unnamed, self.all_actors = [], [], [], [], []

        def add(name, kind, code="", external=self.external_name):
            pk = self._id("actor")
            slug = self._unique_slug(name)
            batch.add("actor", (pk, slug, name, kind, code, "", external, self.now, self.now))
            return (pk, slug, name)

        def alias(actor, name, kind):
            # Generated, not read in a source: marked external, as any alias no source cites must be.
            batch.add("alias", (self._id("alias"), actor[0], name, kind, self.external_name, self.now, self.now))

        for _place, code, cname in self.countries:
            state = add(cname, "state", code, ext_state)
            self.states.append(state)
            alias(state, f"the {cname} government", "description")
        remaining = plan.actors - len(self.states)
        n_orgs, n_groups, n_unnamed = remaining * 3 // 100, remaining * 4 // 100, remaining * 3 // 100
        for i in range(n_orgs):
            (_, code, cname) = self.countries[i % len(self.countries)]
            kind_name = rng.choice(
                [
                    "Ministry of Foreign Affairs",
                    "Ministry of Defence",
                    "Red Crescent Society",
                    "Electoral Commission",
                    "Border Guard Service",
                ]
            )
            org = add(
                f"{cname} {kind_name}" if i < len(self.countries) * 5 else f"{self._word(2)} {kind_name}",
                "organization",
            )
            self.orgs.append(org)
            alias(org, "".join(w[0] for w in org[2].split() if w[0].isupper()), "abbreviation")
        for _ in range(n_groups):
            group = add(
                f"{self._word(2)} {rng.choice(['Liberation Front', 'Self-Defence Units', 'Brigade', 'Movement'])}",
                "group",
            )
            self.orgs.append(group)
        for i in range(n_unnamed):
            cname = self.countries[i % len(self.countries)][2]
            adjective = rng.choice(["senior", "military", "diplomatic", "security", "government", "regional"])
            noun = rng.choice(["official", "source", "diplomat"])
            self.unnamed.append(add(f"a {adjective} {cname} {noun}", "unnamed"))
        for _ in range(remaining - n_orgs - n_groups - n_unnamed):
            given, surname = self._word(2), self._word(rng.choice((2, 3)))
            person = add(f"{given} {surname}", "person")
            self.persons.append(person)
            alias(person, surname, "surname")
        self.all_actors = self.states + self.persons + self.orgs
        rng.shuffle(self.all_actors)
        self.actor_cum = self._zipf(len(self.all_actors), 0.8)

    def _event_types(self, codes: list[str]):
        by_root: dict[str, list[str]] = {}
        for code in codes:
            by_root.setdefault(code[:2], []).append(code)
        # Prefer specific codes (3-4 digits) when the codebook has them, as coders do.
        self.type_choices = {r: ([c for c in cs if len(c) > 2] or cs) for r, cs in by_root.items()}
        self.labels = dict(EventType.objects.values_list("code", "label"))
        self.roots = [r for r in ROOT_WEIGHTS if r in self.type_choices]
        self.root_cum, total = [], 0.0
        for r in self.roots:
            total += ROOT_WEIGHTS[r]
            self.root_cum.append(total)

    # -- text --------------------------------------------------------------------------------------------------
    def _date_expression(self, published: date) -> tuple[str, object]:
        r = self.rng.random()
        if r < 0.25:
            text = f"on {calendar.day_name[self.rng.randrange(7)]}"
        elif r < 0.35:
            text = "yesterday"
        elif r < 0.45:
            text = "last week"
        elif r < 0.55:
            text = "earlier this month"
        elif r < 0.65:
            text = f"in {calendar.month_name[self.rng.randrange(1, 13)]}"
        elif r < 0.70:
            text = "last year"
        elif r < 0.95:
            day = published - timedelta(days=self.rng.randrange(1, 60))
            text = f"on {day.day} {calendar.month_name[day.month]} {day.year}"
        else:
            return "", None
        return text, _resolve(text, published)

    def _pick_actors(self, k: int) -> list[tuple]:
        chosen, seen = [], set()
        for a in self.rng.choices(self.all_actors, cum_weights=self.actor_cum, k=k + 2):
            if a[0] not in seen:
                seen.add(a[0])
                chosen.append(a)
        while len(chosen) < k:
            a = self.all_actors[self.rng.randrange(len(self.all_actors))]
            if a[0] not in seen:
                seen.add(a[0])
                chosen.append(a)
        return chosen[:k]

    def _source(self, batch: Batch, index: int, n_events: int):
        """One synthetic news report: its text, and the events, statements and relations it supports."""
        rng = self.rng
        published = date(2000, 1, 1) + timedelta(days=rng.randrange(26 * 365))
        country = self.countries[rng.randrange(len(self.countries))][2]
        title = f"Synthetic wire report {self.seed}-{index + 1}: developments in {country}"
        parts, pos = [title, "\n\n"], len(title) + 2
        spans = []  # (start, end, fact key, fact id)
        ts = self.now
        last_event = None

        def sentence(text: str, key: str, pk: int):
            nonlocal pos
            text = text[0].upper() + text[1:]
            spans.append((pos, pos + len(text), key, pk))
            parts.append(text)
            parts.append(" " if len(spans) % 4 else "\n\n")
            pos += len(text) + 1 + (len(spans) % 4 == 0)

        def dated(published):
            text, resolved = self._date_expression(published)
            if resolved is None:
                return "", published, published, "day", ""
            return text, resolved.start, resolved.end, resolved.precision, text[0].upper() + text[1:] + ", "

        for _ in range(n_events):
            root = self.roots[self._bisect(self.root_cum, rng.random() * self.root_cum[-1])]
            code = rng.choice(self.type_choices[root])
            place = self.leaf_places[self._bisect(self.place_cum, rng.random() * self.place_cum[-1])]
            n_part = 2 if rng.random() < 0.35 else (3 if rng.random() < 0.54 else 4)
            actors = self._pick_actors(n_part)
            date_text, start, end, precision, lead = dated(published)
            pk = self._id("event")
            a, b = actors[0][2], actors[1][2]
            others = "".join(f", with {x[2]} attending" for x in actors[2:3])
            text = f"{lead}{a} {VERBS[root]} {b} in {place[2]}{others}."
            label = self.labels.get(code, CAMEO_ROOTS.get(root, "Event"))
            title_text = f"{a} and {b}: {label.lower()} in {place[2]}"[:300]
            parent = last_event if (last_event and rng.random() < 0.02) else None
            status = "verified" if rng.random() < 0.1 else "reviewed"
            batch.add(
                "event", (pk, title_text, "", code, place[0], parent, status, date_text, start, end, precision, ts, ts)
            )
            first, second = ROLES.get(root, ("initiator", "target"))
            for i, actor in enumerate(actors):
                role = (
                    first
                    if i == 0
                    else second
                    if i == 1
                    else ("mediator" if i == 2 and rng.random() < 0.3 else "attendee")
                )
                batch.add("participant", (self._id("participant"), pk, actor[0], role, start, end, code, ts, ts))
            sentence(text, "event", pk)
            last_event = pk
            if rng.random() < STATEMENT_RATE:
                self._statement(
                    batch,
                    sentence,
                    dated,
                    published,
                    pk,
                    actors,
                    place,
                    event_dates=dict(zip(INTERVAL_FIELDS, (start, end, precision), strict=False)),
                )
            if rng.random() < RELATION_RATE:
                self._relation(batch, sentence, dated, published)

        text = "".join(parts).rstrip()
        sid = self._id("source")
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        batch.add(
            "source",
            (
                sid,
                f"{SYNTHETIC_PREFIX}{self.seed}-{index + 1:07d}",
                title,
                "Synthetic Wire",
                "",
                published,
                "en",
                text,
                checksum,
                self.external,
                ts,
                ts,
            ),
        )
        for start, end, key, pk in spans:
            quote = text[start:end]
            refs = [pk if key == k else None for k in ("event", "statement", "relation", "affiliation")]
            batch.add("evidence", (self._id("evidence"), sid, start, end, quote, *refs, ts, ts))

    @staticmethod
    def _bisect(cum: list[float], x: float) -> int:
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _statement(self, batch, sentence, dated, published, event_id, actors, place, event_dates):
        rng = self.rng
        pool = (self.persons or self.states) if rng.random() < 0.75 else (self.unnamed or self.states)
        speaker = pool[rng.randrange(len(pool))]
        about = actors[1] if actors[1][0] != speaker[0] else actors[0]
        date_text, start, end, precision, lead = dated(published)
        channel = rng.choice(CHANNELS)
        kind = rng.choice(("quote", "quote", "partial", "paraphrase", "paraphrase"))
        if kind == "quote":
            words = rng.choice(QUOTES).format(place=place[2], actor=about[2])
            text = f'{lead}{speaker[2]} said {channel}: "{words}."'
        elif kind == "partial":
            words = rng.choice(PARTIALS)
            text = f'{lead}{speaker[2]} described the situation as "{words}" {channel}.'
        else:
            words = rng.choice(PARAPHRASES).format(place=place[2], actor=about[2])
            text = f"{lead}{speaker[2]} said {channel} that {words}."
        pk = self._id("statement")
        linked = event_id if rng.random() < 0.5 else None
        # Bulk rows skip Statement.save(): the rule it applies, applied here (said at the event, undated itself).
        if (inherited := dates_at_event(date_text, event_dates if linked else None)) is not None:
            start, end, precision = (inherited[name] for name in INTERVAL_FIELDS)
        status = "verified" if rng.random() < 0.1 else "reviewed"
        batch.add(
            "statement",
            (
                pk,
                speaker[0],
                words,
                kind,
                channel,
                linked,
                status,
                date_text,
                start,
                end,
                precision,
                self.now,
                self.now,
            ),
        )
        batch.add("about_actor", (self._id("about_actor"), pk, about[0]))
        if rng.random() < 0.5:
            batch.add("about_place", (self._id("about_place"), pk, place[0]))
        if rng.random() < 0.3:
            batch.add("about_event", (self._id("about_event"), pk, event_id))
        sentence(text, "statement", pk)

    def _relation(self, batch, sentence, dated, published):
        rng = self.rng
        subject, obj = rng.sample(self.states + self.orgs[:50], 2)
        rtype = rng.choice(list(RELATION_PHRASES))
        date_text, start, end, precision, lead = dated(published)
        pk = self._id("relation")
        status = "reviewed"
        batch.add(
            "relation",
            (pk, subject[0], obj[0], rtype, "", status, date_text, start, end, precision, self.now, self.now),
        )
        sentence(f"{lead}{subject[2]} {RELATION_PHRASES[rtype]} {obj[2]}.", "relation", pk)

    def _affiliations(self, batch: Batch):
        """Profiles of persons and unnamed sources, each naming a role: the evidence for their affiliations."""
        rng = self.rng
        members = [p for p in self.persons + self.unnamed if rng.random() < 0.7]
        organisations = self.states + self.orgs
        for index in range(0, len(members), AFFILIATIONS_PER_SOURCE):
            published = date(2000, 1, 1) + timedelta(days=rng.randrange(26 * 365))
            title = f"Synthetic who's who {self.seed}-{index // AFFILIATIONS_PER_SOURCE + 1}"
            parts, pos, spans = [title, "\n\n"], len(title) + 2, []
            for person in members[index : index + AFFILIATIONS_PER_SOURCE]:
                org = organisations[rng.randrange(len(organisations))]
                role = rng.choice(ROLE_TITLES)
                pk = self._id("affiliation")
                batch.add(
                    "affiliation",
                    (
                        pk,
                        person[0],
                        org[0],
                        role,
                        "",
                        published,
                        published,
                        "day",
                        self.no_external,
                        self.now,
                        self.now,
                    ),
                )
                text = f"{person[2]} is the {role} of {org[2]}."
                spans.append((pos, pos + len(text), pk))
                parts.append(text + "\n")
                pos += len(text) + 1
            text = "".join(parts).rstrip()
            sid = self._id("source")
            batch.add(
                "source",
                (
                    sid,
                    f"{SYNTHETIC_PREFIX}{self.seed}-whos-who-{index // AFFILIATIONS_PER_SOURCE + 1}",
                    title,
                    "Synthetic Wire",
                    "",
                    published,
                    "en",
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    self.external,
                    self.now,
                    self.now,
                ),
            )
            for start, end, pk in spans:
                batch.add(
                    "evidence",
                    (self._id("evidence"), sid, start, end, text[start:end], None, None, None, pk, self.now, self.now),
                )

    def _flush(self, batch: Batch):
        for key in TABLE_ORDER:
            self.writer.write(key, batch.rows.get(key, []))
        batch.rows.clear()

    def run(self) -> dict[str, int]:
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
