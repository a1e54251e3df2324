"""Time the duplicate check (facts.duplicates) on the data in DATABASE_URL: `python -m bench.duplicates`.

Picks `--events` stored events with participants (reproducibly, from `--seed`), then times event_duplicates_of for
each (the event already loaded, as a view has it) and event_duplicates with the same fields (the create-time call,
given what a request carries). The first pass over the sample is reported apart (cold caches), then `--rounds`
passes (warm). Prints p50, p95 and max in ms, the SQL queries of one call, and the duplicates found. Then the worst
cases it can find: the events of the actor with the most participations whose intervals are longest, the events
with an open bound, and create calls with the three busiest actors and open or three-year intervals. Only reads: it
never writes to the database.
"""

import argparse
import os
import random
import secrets
import statistics
import time


def percentiles(times: list[float]) -> str:
    """p50, p95 and max of a list of ms, as text."""
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times):.2f} ms  p95 {p95:.2f} ms  max {times[-1]:.2f} ms  (n={len(times)})"


def sample_events(count: int, seed: int) -> list:
    """`count` events with at least one participant, picked at random ids (a fixed seed: the same sample each run)."""
    from django.db.models import Exists, Max, Min, OuterRef

    from facts.models import Event, Participant

    bounds = Event.objects.aggregate(low=Min("id"), high=Max("id"))
    rng, picked = random.Random(seed), []
    with_parts = Exists(Participant.objects.filter(event=OuterRef("pk")))
    while len(picked) < count:
        ids = [rng.randint(bounds["low"], bounds["high"]) for _ in range(count * 2)]
        found = Event.objects.filter(with_parts, pk__in=ids).exclude(pk__in=[e.pk for e in picked])
        picked.extend(found.order_by("id")[: count - len(picked)])
    return picked


def create_call(event) -> dict:
    """The fields a create request would hand to event_duplicates, read from a stored event (outside the timing)."""
    from facts.models import EvidenceSpan

    return {
        "event_type_code": event.event_type_id,
        "date_start": event.date_start,
        "date_end": event.date_end,
        "actor_ids": list(event.participants.values_list("actor_id", flat=True)),
        "title": event.title,
        "spans": list(EvidenceSpan.objects.filter(event=event).values_list("source_id", "start", "end")),
        "exclude": event.pk,
    }


def timed(function, arguments: list, rounds: int) -> tuple[list[float], list[float]]:
    """(cold ms of the first pass, warm ms of the next `rounds` passes) of function(argument) for each argument."""
    cold, warm = [], []
    for round_number in range(rounds + 1):
        for argument in arguments:
            start = time.perf_counter()
            function(argument)
            (cold if round_number == 0 else warm).append((time.perf_counter() - start) * 1000)
    return cold, warm


def query_counts(function, arguments: list) -> list[int]:
    """The number of SQL queries of one call of function(argument), for each argument."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for argument in arguments:
        with CaptureQueriesContext(connection) as queries:
            function(argument)
        counts.append(len(queries.captured_queries))
    return counts


def worst_cases(limit: int) -> list:
    """Events that make the check read the most index entries: the busiest actor's longest events, open bounds."""
    from django.db.models import Count, F, Q

    from facts.models import Event, Participant

    busiest = Participant.objects.values("actor_id").annotate(n=Count("id")).order_by("-n").first()
    longest = (
        Event.objects.filter(participants__actor_id=busiest["actor_id"], date_start__isnull=False)
        .annotate(span=F("date_end") - F("date_start"))
        .order_by(F("span").desc(nulls_last=True), "id")[:limit]
    )
    open_bound = Event.objects.filter(Q(date_start__isnull=True) | Q(date_end__isnull=True)).order_by("id")[:limit]
    return [*longest, *open_bound]


def worst_creates() -> list[dict]:
    """Create calls with the three busiest actors and long or open intervals: the most candidates there can be
    (thousands of events each, which the title rule caps at CANDIDATE_ROWS participant rows)."""
    from datetime import date

    from django.db.models import Count

    from facts.models import Participant

    busiest = Participant.objects.values("actor_id").annotate(n=Count("id")).order_by("-n")[:3]
    actors = [row["actor_id"] for row in busiest]
    windows = [(None, date(2030, 1, 1)), (date(1990, 1, 1), None), (date(2010, 1, 1), date(2012, 12, 31))]
    return [
        {"event_type_code": code, "date_start": start, "date_end": end, "actor_ids": actors, "title": "A and B meet"}
        for code in ("040", "190")
        for start, end in windows
    ]


def report(name: str, function, arguments: list, rounds: int) -> None:
    cold, warm = timed(function, arguments, rounds)
    counts = query_counts(function, arguments)
    found = [len(function(argument)) for argument in arguments]
    print(f"{name}")
    print(f"  cold (first pass)  {percentiles(cold)}")
    print(f"  warm ({rounds} passes)  {percentiles(warm)}")
    print(f"  SQL queries per call: min {min(counts)} max {max(counts)}")
    print(f"  duplicates found: {sum(found)}, for {sum(1 for n in found if n)} of {len(found)} calls")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50, help="Events in the sample.")
    parser.add_argument("--rounds", type=int, default=5, help="Warm passes over the sample, after the cold one.")
    parser.add_argument("--seed", type=int, default=19, help="Seed of the sample.")
    parser.add_argument("--worst", type=int, default=5, help="Worst-case events of each kind (0: none).")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictapi.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))  # DEBUG off wants one; nothing is signed

    import django

    django.setup()
    from django.db import connection

    from facts.duplicates import event_duplicates, event_duplicates_of
    from facts.models import Event

    print(f"{connection.vendor} {connection.settings_dict['NAME']}: {Event.objects.count()} events")
    events = sample_events(args.events, args.seed)
    calls = [create_call(event) for event in events]
    report("event_duplicates_of(event)", event_duplicates_of, events, args.rounds)
    report("event_duplicates(**fields)", lambda call: event_duplicates(**call), calls, args.rounds)
    if args.worst:
        worst = worst_cases(args.worst)
        for event in worst:
            print(f"  worst case: event {event.pk} {event.date_start}..{event.date_end} {event.event_type_id}")
        report("event_duplicates_of(event), worst cases", event_duplicates_of, worst, args.rounds)
        creates = worst_creates()
        for call in creates:
            print(f"  worst create: {call}")
        report("event_duplicates(**fields), worst creates", lambda call: event_duplicates(**call), creates, args.rounds)
    example = next((event for event in events if event_duplicates_of(event)), None)
    if example is not None:
        print(f"example: event {example.pk} {example.title!r} -> {event_duplicates_of(example)}")


if __name__ == "__main__":
    main()
