"""Recursive walks of the place tree and of the affiliation graph, as SQL written once (facts.models' querysets).

A walk can run two ways:
- as a subquery of the filtered query (`<field>__in=RawSQL(walk)`), where nothing is loaded into Python;
- read together with the row it starts from (`WalkedIds`, an annotation of the filter's own lookup query), so that
  the filtered query gets the ids as literals. PostgreSQL's planner cannot see what a recursive CTE returns: it
  guessed that `place=yerevan` (a city with 2 of 10^6 events) matched 354,847 events and walked the date index to
  find two (562 ms at p95, bench.questions); with the ids written out, its statistics on place_id know better. The
  lookup query runs anyway (the filter loads the place or actor by slug), so this costs no query.
UNION, not UNION ALL, stops a walk on a cycle that bypassed the models' clean().
"""

from __future__ import annotations

from django.db.models import F, Func, TextField


def subtree_walk(table: str, start: str) -> str:
    """The ids of the place `start` (SQL) and of every place below it, in the place table `table`."""
    return (
        f"WITH RECURSIVE subtree(id) AS (SELECT {start} UNION "
        f"SELECT child.id FROM {table} child JOIN subtree ON child.parent_id = subtree.id) SELECT id FROM subtree"
    )


def affiliation_walk(table: str, start: str, *, down: bool, accepted: str) -> str:
    """The ids of the actors affiliated with actor `start` (SQL), at any depth (`down`), or of those it belongs to.

    Only affiliations in state `accepted` link: a candidate one (proposed by the extractor) links nothing until a
    curator accepts it. The state is the model's constant, written into the SQL as a literal.
    """
    if not accepted.isidentifier():
        raise ValueError(f"Not a state name: {accepted!r}")
    origin, step = ("organization_id", "person_id") if down else ("person_id", "organization_id")
    return (
        f"WITH RECURSIVE walk(id) AS (SELECT {step} FROM {table} WHERE {origin} = {start} AND status = '{accepted}' "
        f"UNION SELECT a.{step} FROM {table} a JOIN walk ON a.{origin} = walk.id WHERE a.status = '{accepted}') "
        "SELECT id FROM walk"
    )


class WalkedIds(Func):
    """The ids a walk from this row's own id reaches, read with the row as one comma-separated text.

    `walk(start_sql)` gives the walk's SQL from the SQL of the row's id.
    """

    output_field = TextField()

    def __init__(self, walk, **extra):
        super().__init__(F("pk"), **extra)
        self.walk = walk

    def as_sql(self, compiler, connection, **extra_context):
        start, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            joined = "string_agg(CAST(walked.id AS text), ',')"
        else:
            joined = "group_concat(walked.id, ',')"
        return f"(SELECT {joined} FROM ({self.walk(start)}) walked)", params


def walked(text: str | None) -> list[int]:
    """The ids of a WalkedIds annotation."""
    return [int(part) for part in text.split(",")] if text else []
