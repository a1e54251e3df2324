"""Fixtures built from the seed articles and their curated facts specs (`python manage.py build_fixtures`).

Inputs, per source in seeds/: `<stem>.txt` (the article, stored byte for byte), `<stem>.meta.json` (title,
publication date, language, where the body ends, what is external) and `<stem>.facts.yaml` (the curated facts, with
evidence as passages and dates as verbatim expressions; its header documents the format). The CAMEO codebook is
data already: fixtures/00_cameo.json is read, never written, and every code the facts use must be in it.

Curators never type offsets or resolved dates: offsets come from facts.evidence.locate_passage and intervals from
facts.dates.resolve_date against the publication date, so a wrong passage or an unknown expression stops the build
with a message that names it. Primary keys are fixed (from the spec, or derived from the parent's key and position),
so `loaddata` twice updates the same rows.

- rows: the output files, the derived keys and the shape of a fixture row;
- builder: one build over every source (Builder);
- spec: the rows of one facts spec against its source text (SourceContext).
"""

from facts.fixture_build.builder import Builder
from facts.fixture_build.rows import SpecError

__all__ = ["Builder", "SpecError"]
