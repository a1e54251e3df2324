"""The plan, the row batches and the state the generator's parts share."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.synthetic.tables import TableWriter
from bench.synthetic.vocabulary import COUNTRIES


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


class GeneratorBase:
    """The state the generator's parts share: the plan, the random source, the writer, ids and the names drawn.

    Set by Generator.__init__ and Generator.run (ids, slugs), then by the reference-data steps (places, actors,
    event types) that the news reports draw from.
    """

    plan: Plan
    seed: int
    rng: random.Random
    log: Callable[[str], None]
    writer: TableWriter
    now: str
    counts: dict[str, float]
    external: str
    external_name: str
    no_external: str
    ids: dict[str, int]
    slugs: set[str]
    leaf_places: list[tuple]
    countries: list[tuple]
    place_cum: list[float]
    states: list[tuple]
    orgs: list[tuple]
    persons: list[tuple]
    unnamed: list[tuple]
    all_actors: list[tuple]
    actor_cum: list[float]
    type_choices: dict[str, list[str]]
    labels: dict[str, str]
    roots: list[str]
    root_cum: list[float]

    # -- ids ---------------------------------------------------------------------------------------------------
    def _id(self, key: str) -> int:
        value = self.ids[key]
        self.ids[key] += 1
        self.counts[key] += 1
        return value
