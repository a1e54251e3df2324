"""Shared test data: the seed article as a Source and small factories for actors, places and facts.

Tests build the little data they need with these helpers instead of depending on the article fixtures, so a
failure points at the rule under test rather than at the data set.
"""

import json
import secrets
from datetime import date
from itertools import count
from pathlib import Path

import pytest
from django.db import transaction

from facts.models import (
    Actor,
    ActorKind,
    Event,
    EventType,
    EvidenceSpan,
    Place,
    PlaceKind,
    Relation,
    RelationType,
    Source,
    Statement,
    StatementKind,
)

SEED_PATH = Path(__file__).resolve().parent.parent / "seeds" / "000_3248d2ee7ebb0e6a.txt"
PUBLISHED = date(2023, 5, 1)
_serial = count(1)


@pytest.fixture(autouse=True)
def fresh_response_cache(settings):
    """Every test its own response cache (facts.api.caching): a test may change an answer without a write (a
    monkeypatched cap, a setting), which the data version cannot see, so no test may be answered from another's."""
    from facts.api import caching

    caches = dict(settings.CACHES)
    caches["responses"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"test-{secrets.token_hex(4)}",
    }
    settings.CACHES = caches
    caching._unreachable_until[0] = 0.0


@pytest.fixture(scope="session")
def article_text() -> str:
    """The seed article exactly as stored in seeds/."""
    return SEED_PATH.read_text(encoding="utf-8")


def grant_review(user):
    """Give `user` the review permission of every fact model (reviewed/verified status); returns it fresh."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="facts", codename__startswith="review_")
    )
    return type(user).objects.get(pk=user.pk)  # has_perm caches permissions per instance


def make_source(text: str, **fields) -> Source:
    n = next(_serial)
    defaults = {"slug": f"source-{n}", "title": f"Source {n}", "published": PUBLISHED, "language": "en"}
    return Source.objects.create(text=text, **{**defaults, **fields})


def make_actor(name: str, kind: str = ActorKind.PERSON, **fields) -> Actor:
    slug = fields.pop("slug", None) or f"{name.lower().replace(' ', '-')}-{next(_serial)}"
    if kind == ActorKind.STATE:
        fields.setdefault("country_code", "AM")
    return Actor.objects.create(name=name, slug=slug, kind=kind, **fields)


def make_place(name: str, kind: str = PlaceKind.CITY, **fields) -> Place:
    slug = fields.pop("slug", None) or f"{name.lower().replace(' ', '-')}-{next(_serial)}"
    return Place.objects.create(name=name, slug=slug, kind=kind, **fields)


def make_event_type(code: str = "043", label: str = "Host a visit") -> EventType:
    return EventType.objects.get_or_create(code=code, defaults={"label": label})[0]


def cite(source: Source, passage: str, occurrence: int | None = None, **fact) -> EvidenceSpan:
    """An evidence span located from its passage alone, validated and saved."""
    span = EvidenceSpan(source=source, quote=passage, **fact)
    span.occurrence = occurrence
    span.full_clean()
    span.save()
    return span


def make_event(source: Source, passage: str, title: str = "Talks", **fields) -> Event:
    fields.setdefault("event_type", make_event_type())
    with transaction.atomic():  # a fact and its evidence are one write, as through the API: one version
        event = Event.objects.create(title=title, **fields)
        cite(source, passage, event=event)
    return event


def make_statement(source: Source, passage: str, speaker: Actor, **fields) -> Statement:
    fields.setdefault("kind", StatementKind.QUOTE)
    with transaction.atomic():
        statement = Statement.objects.create(speaker=speaker, text=fields.pop("text", passage), **fields)
        cite(source, passage, statement=statement)
    return statement


def make_relation(source: Source, passage: str, subject: Actor, obj: Actor, **fields) -> Relation:
    fields.setdefault("type", RelationType.AT_WAR_WITH)
    with transaction.atomic():
        relation = Relation.objects.create(subject=subject, object=obj, **fields)
        cite(source, passage, relation=relation)
    return relation


@pytest.fixture
def source(db, article_text) -> Source:
    """The seed article, published 2023-05-01."""
    return make_source(
        article_text,
        slug="us-hosts-armenia-azerbaijan-peace-talks",
        title="US Hosts Armenia-Azerbaijan Peace Talks",
        publisher="",
        published=PUBLISHED,
    )


@pytest.fixture
def new_article(tmp_path, db):
    """The seed source with only what is known before reading it (codebook, actors with their aliases and the
    passages citing those, places), none of its events, statements or relations: the extractor's starting point."""
    from django.core.management import call_command

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    rows = json.loads((fixtures / "07_evidence.json").read_text(encoding="utf-8"))
    partial = tmp_path / "alias_evidence.json"
    partial.write_text(json.dumps([row for row in rows if row["fields"]["alias"] is not None]), encoding="utf-8")
    for name in ("00_cameo.json", "01_sources.json", "02_actors.json", "03_places.json"):
        call_command("loaddata", str(fixtures / name), verbosity=0)
    call_command("loaddata", str(partial), verbosity=0)
    assert not Event.objects.exists() and not Statement.objects.exists()
    return Source.objects.get(pk=1)


# -- the second text of tests/unit/test_extraction.py, stored, with what is known before reading it -----------------

KNOWN = [
    ("russia", "Russia", "state", "RU", ["Moscow", "the Kremlin", "Russian"]),
    ("ukraine", "Ukraine", "state", "UA", ["Kyiv", "Ukrainian"]),
    ("turkey", "Turkey", "state", "TR", ["Ankara", "Turkish"]),
    ("united-nations", "United Nations", "organization", "", ["UN"]),
    ("hakan-fidan", "Hakan Fidan", "person", "", ["Fidan"]),
    ("rosemary-dicarlo", "Rosemary DiCarlo", "person", "", ["DiCarlo"]),
]


@pytest.fixture
def report_source(db):
    """The second text stored, with what is known before reading it: the codebook, six actors and four places."""
    from django.core.management import call_command

    from facts.models import ActorAlias
    from tests.unit.test_extraction import REPORT, REPORT_PUBLISHED

    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    call_command("loaddata", str(fixtures / "00_cameo.json"), verbosity=0)
    for slug, name, kind, code, aliases in KNOWN:
        actor = Actor.objects.create(slug=slug, name=name, kind=kind, country_code=code)
        for alias in aliases:
            ActorAlias.objects.create(actor=actor, name=alias, external={"name": "test data"})
    for slug, name in [("istanbul", "Istanbul"), ("ankara", "Ankara"), ("kyiv", "Kyiv"), ("odesa", "Odesa")]:
        Place.objects.create(slug=slug, name=name, kind="city")
    return make_source(REPORT, slug="turkey-hosts-talks", published=REPORT_PUBLISHED)


EARLIER = "Turkey hosts Russia and Ukraine for talks in Istanbul on Thursday.\n"


@pytest.fixture
def vetted_talks(report_source):
    """An earlier report of the Istanbul talks, curated: the second text reports the same event again."""
    from facts.models import ReviewStatus
    from facts.services import event_create

    earlier = make_source(EARLIER, slug="earlier-report", published=date(2024, 3, 14))
    return event_create(
        evidence=[{"source": earlier, "quote": "Turkey hosts Russia and Ukraine for talks in Istanbul"}],
        participants=[
            {"actor": Actor.objects.get(slug="turkey"), "role": "host"},
            {"actor": Actor.objects.get(slug="russia"), "role": "guest"},
            {"actor": Actor.objects.get(slug="ukraine"), "role": "guest"},
        ],
        title="Turkey hosts Russia and Ukraine",
        event_type_id="043",
        date_text="on Thursday",
        status=ReviewStatus.REVIEWED,
    )
