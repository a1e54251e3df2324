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

from bench.synthetic.base import Plan
from bench.synthetic.generator import Generator, generate
from bench.synthetic.reference import ensure_event_types
from bench.synthetic.tables import delete_synthetic, synthetic_exists
from bench.synthetic.vocabulary import SYNTHETIC_PREFIX

__all__ = [
    "SYNTHETIC_PREFIX",
    "Generator",
    "Plan",
    "delete_synthetic",
    "ensure_event_types",
    "generate",
    "synthetic_exists",
]
