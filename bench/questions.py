"""The seeded random-question benchmark: `python -m bench.questions [--combinations 300] [--seed 1] [--json FILE]`.

The twelve scenarios of `bench.run` are questions someone chose; users combine filters and orderings freely. This
draws at least `--combinations` questions over events, statements and relations from every filter and every offered
ordering (read from the FilterSets, so a new filter is drawn too), with values drawn from the data in DATABASE_URL:
popular and rare actors, big and small places (down to a place with a single event), wide and narrow windows,
common and rare substrings, numbered pages deep into the list, and `page=last`. Every filter and ordering appears at
least once on its own; the rest are random combinations of one to three filters with an ordering and a page.

Each question is timed in process (Django's test client, DEBUG off, as `bench.probe`), one warm-up then `--repeat`
timed requests, with its SQL query count; the report gives the distribution of p95, the share within the targets
(p95 <= 50 ms for 95% of the questions, <= 150 ms for the worst, at most 5 queries each) and the ten worst with the
plan (EXPLAIN ANALYZE on PostgreSQL) of their slowest query. The same seed draws the same questions on the same data.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

TARGET_P95_MS, TARGET_WORST_MS, TARGET_QUERIES, TARGET_SHARE = 50.0, 150.0, 5, 0.95
RESOURCES = {"events": "EventFilterSet", "statements": "StatementFilterSet", "relations": "RelationFilterSet"}
PAGE_SIZE = 50


@dataclass
class Pools:
    """Values drawn from the data, for each kind of filter value."""

    actors: list[str] = field(default_factory=list)  # popular first, then rare
    rare_actors: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    small_places: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    rare_words: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)
    dates: tuple[date, date] = (date(2000, 1, 1), date(2023, 5, 1))


def sample(queryset, field: str, rng: random.Random, n: int) -> list:
    """`n` values of `field` from rows picked by the seeded `rng` (by id: the same seed picks the same rows of the
    same data, where ORDER BY random() would not)."""
    from django.db.models import Max

    top = queryset.aggregate(top=Max("id"))["top"] or 0
    values = []
    for _ in range(n if top else 0):
        value = queryset.filter(id__gte=rng.randint(1, top)).order_by("id").values_list(field, flat=True).first()
        if value is not None:
            values.append(value)
    return values


def draw_pools(rng: random.Random) -> Pools:
    """Popular and rare values of every kind, read from the database."""
    from django.db.models import Count, Max, Min

    from facts.models import Actor, Event, Place, Source, Statement

    by_events = Actor.objects.annotate(n=Count("participations")).filter(n__gt=0).order_by("-n", "slug")
    places = Place.objects.annotate(n=Count("events")).filter(n__gt=0)
    bounds = Event.objects.aggregate(first=Min("date_start"), last=Max("date_end"))
    words = [w.strip(",.“”\"'()") for t in sample(Event.objects.all(), "title", rng, 200) for w in t.split()]
    words = [w for w in words if len(w) >= 5]
    names = [name[:5] for name in sample(Actor.objects.all(), "name", rng, 40) if len(name) >= 5]
    channels = sample(Statement.objects.exclude(channel=""), "channel", rng, 50)
    parents = Event.objects.filter(parent__isnull=True, children__isnull=False)
    return Pools(
        actors=list(by_events.values_list("slug", flat=True)[:10]),
        rare_actors=list(by_events.order_by("n", "slug").values_list("slug", flat=True)[:10]),
        organizations=list(
            Actor.objects.filter(kind__in=("state", "organization")).order_by("slug").values_list("slug", flat=True)
        ),
        places=list(places.order_by("-n", "slug").values_list("slug", flat=True)[:10]),
        small_places=list(places.order_by("n", "slug").values_list("slug", flat=True)[:10]),
        codes=["01", "04", "043", "19", "190", "0871", "18", "02", "046", "11"],
        words=names + words[:20],
        rare_words=words[-20:] or ["zzzzz"],
        channels=sorted({c[:12] for c in channels}) or ["statement"],
        sources=sample(Source.objects.all(), "id", rng, 10),
        parents=list(parents.order_by("id").values_list("id", flat=True)[:10]) or [1],
        events=sample(Event.objects.all(), "id", rng, 10),
        dates=(bounds["first"] or date(2000, 1, 1), bounds["last"] or date(2023, 5, 1)),
    )


def window(rng: random.Random, pools: Pools) -> dict[str, str]:
    """A wide or narrow date window (or a bound on one side only) inside the data's span."""
    first, last = pools.dates
    span = max((last - first).days, 1)
    start = first + timedelta(days=rng.randrange(span))
    width = rng.choice([3, 7, 31, 365, 3650])
    shape = rng.choice(["both", "both", "after", "before"])
    bounds = {"date_after": start.isoformat(), "date_before": (start + timedelta(days=width)).isoformat()}
    return {key: value for key, value in bounds.items() if shape == "both" or key == f"date_{shape}"}


def value_for(name: str, resource: str, rng: random.Random, pools: Pools) -> dict[str, str]:
    """Query parameters for filter `name` of `resource`, with a value drawn from the pools."""
    from facts.models import ActorKind, ParticipantRole, RelationType, ReviewStatus, StatementKind
    from facts.taxonomy import PLOVER_CATEGORIES

    pick = rng.choice
    choices = {
        "actor": lambda: pick(pools.actors + pools.rare_actors),
        "speaker": lambda: pick(pools.actors + pools.rare_actors),
        "speaker_affiliated_with": lambda: pick(pools.organizations or pools.actors),
        "speaker_kind": lambda: pick(ActorKind.values),
        "role": lambda: pick(ParticipantRole.values),
        "place": lambda: pick(pools.places + pools.small_places),
        "type": lambda: pick(RelationType.values) if resource == "relations" else pick(pools.codes),
        "plover": lambda: pick(PLOVER_CATEGORIES),
        "search": lambda: pick(pools.words + pools.rare_words),
        "channel": lambda: pick(pools.channels),
        "kind": lambda: pick(StatementKind.values),
        "status": lambda: pick(ReviewStatus.values),
        "precision": lambda: pick(["day", "week", "month", "year", "range", "open"]),
        "source": lambda: str(pick(pools.sources)),
        "parent": lambda: str(pick(pools.parents)),
        "event": lambda: str(pick(pools.events)),
        "about": lambda: pick(
            [f"actor:{pick(pools.actors)}", f"place:{pick(pools.places)}", f"event:{pick(pools.events)}"]
        ),
        # Most synthetic events have one source, about a quarter 2 to 4 (bench.synthetic.reports).
        "min_sources": lambda: pick(["1", "2", "2", "3", "4"]),
        "updated_since": lambda: pick(["2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"]),
    }
    if name == "date_window":
        return window(rng, pools)
    if name not in choices:
        raise SystemExit(f"bench.questions draws no value for the filter `{name}` of {resource}: add it to value_for")
    return {name: choices[name]()}


def filters_of(resource: str) -> tuple[list[str], list[str]]:
    """(filter names, ordering names) the FilterSet of `resource` offers."""
    try:
        from facts.api import filters
    except ImportError:  # a checkout from before the facts/api/ layout, for before/after comparisons
        from facts import filtersets as filters

    filterset = getattr(filters, RESOURCES[resource])
    ordering = filterset.base_filters["ordering"]
    # date_after and date_before are drawn together, as one window (an after later than its before is a 400).
    names = [name for name in filterset.base_filters if name not in ("ordering", "date_after", "date_before")]
    if "date_after" in filterset.base_filters:
        names.append("date_window")
    return names, list(ordering.param_map)


def draw_questions(count: int, rng: random.Random, pools: Pools) -> list[str]:
    """Every filter and ordering on its own, then random combinations, then deep pages and `page=last`."""
    questions: list[str] = []
    for resource in RESOURCES:
        names, orderings = filters_of(resource)
        for name in names:
            questions.append(url(resource, value_for(name, resource, rng, pools)))
        for order in orderings:
            questions.append(url(resource, {"ordering": rng.choice([order, f"-{order}"])}))
        questions.append(url(resource, {"page": "last"}))
    weights = {"events": 5, "statements": 3, "relations": 2}
    while len(questions) < count:
        resource = rng.choices(list(weights), weights=list(weights.values()))[0]
        names, orderings = filters_of(resource)
        params: dict[str, str] = {}
        for name in rng.sample(names, rng.randint(1, 3)):
            params.update(value_for(name, resource, rng, pools))
        if rng.random() < 0.5:
            order = rng.choice(orderings)
            params["ordering"] = rng.choice([order, f"-{order}"])
        if rng.random() < 0.25:
            params["page"] = rng.choice(["2", "5", "20", "200", "2000", "last"])
        questions.append(url(resource, params))
    return questions


def url(resource: str, params: dict[str, str]) -> str:
    return f"/api/v1/{resource}/?{urlencode(params)}" if params else f"/api/v1/{resource}/"


@dataclass
class Timing:
    """One question's measurement."""

    url: str
    status: int
    p50: float
    p95: float
    queries: int
    slowest_sql: str = ""
    slowest_params: tuple = ()
    plan: str = ""


def measure(client, url_: str, repeat: int) -> Timing:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url_)
    if response.status_code == 404 and "page=" in url_:
        # A page past the end of a small list: ask for its last page instead, which exists.
        url_ = _last_page(url_)
        response = client.get(url_)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url_)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    with CaptureQueriesContext(connection) as captured:
        client.get(url_)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})
    return Timing(
        url_,
        response.status_code,
        statistics.median(times),
        times[min(len(times) - 1, int(len(times) * 0.95))],
        len(captured.captured_queries),
        slowest["sql"],
    )


def _last_page(url_: str) -> str:
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url_)
    params = dict(parse_qsl(parts.query))
    params["page"] = "last"
    return f"{parts.path}?{urlencode(params)}"


def explain(sql: str) -> str:
    """The plan of one captured query (its SQL as run, parameters inlined by the capture)."""
    from django.db import connection

    if connection.vendor != "postgresql" or not sql.lstrip().upper().startswith("SELECT"):
        return ""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def summarise(timings: list[Timing]) -> dict:
    p95s = sorted(t.p95 for t in timings)
    within = sum(p <= TARGET_P95_MS for p in p95s) / len(p95s)
    return {
        "questions": len(timings),
        "p95_quantiles_ms": {
            q: round(p95s[min(len(p95s) - 1, int(len(p95s) * q / 100))], 1) for q in (50, 75, 90, 95, 99)
        },
        "worst_p95_ms": round(p95s[-1], 1),
        "share_within_50ms": round(within, 3),
        "max_queries": max(t.queries for t in timings),
        "over_5_queries": sum(t.queries > TARGET_QUERIES for t in timings),
        "non_200": [t.url for t in timings if t.status != 200],
        "targets_met": within >= TARGET_SHARE
        and p95s[-1] <= TARGET_WORST_MS
        and max(t.queries for t in timings) <= TARGET_QUERIES,
        "histogram": {f"<= {edge} ms": sum(p <= edge for p in p95s) for edge in (5, 10, 20, 50, 100, 150, 500)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--combinations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7, help="Timed requests per question, after one warm-up.")
    parser.add_argument("--json", help="Write every question's figures and the ten worst plans here.")
    args = parser.parse_args()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
        }
    )
    import django

    django.setup()
    from django.test import Client

    rng = random.Random(args.seed)
    questions = draw_questions(args.combinations, rng, draw_pools(rng))
    client = Client(HTTP_ACCEPT="application/json")
    timings = [measure(client, question, args.repeat) for question in questions]
    worst = sorted(timings, key=lambda t: t.p95, reverse=True)[:10]
    for timing in worst:
        timing.plan = explain(timing.slowest_sql)
    summary = summarise(timings)
    print(json.dumps(summary, indent=2))
    print("Ten worst (p95 ms, p50 ms, queries, URL):")
    for timing in worst:
        print(f"  {timing.p95:7.1f} {timing.p50:7.1f} {timing.queries:2d}  {timing.url}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(
                {
                    "summary": summary,
                    "seed": args.seed,
                    "timings": [t.__dict__ for t in timings],
                    "worst": [t.__dict__ for t in worst],
                },
                out,
                indent=2,
                default=str,
            )


if __name__ == "__main__":
    main()
