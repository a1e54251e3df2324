"""The fixture files a build writes, the keys it derives and the shape of one fixture row."""

import json
import re
from datetime import date

from django.core.management.base import CommandError

# Fixture rows need created_at: without it a reload updates the row with NULL. A constant keeps the output
# byte-stable; load_article then sets updated_at to the time of the row's last recorded change.
FIXTURE_TIMESTAMP = "2023-05-01T00:00:00Z"

OUTPUT_FILES = (
    "01_sources.json",
    "02_actors.json",
    "03_places.json",
    "04_events.json",
    "05_statements.json",
    "06_relations.json",
    "07_evidence.json",
)
CAMEO_FILE = "00_cameo.json"

# Derived keys: a child row's key is parent key * stride + position, so adding a row to one parent never moves
# the keys of another parent's rows. Span keys are offset by the fact kind so the four kinds never collide.
ALIAS_STRIDE = 100
AFFILIATION_STRIDE = 10
PARTICIPANT_STRIDE = 100
SPAN_STRIDE = 10
SPAN_BASE = {"event": 100_000, "statement": 200_000, "relation": 300_000, "affiliation": 400_000, "alias": 500_000}

CURLY_QUOTED = re.compile(r"“([^”]*)”")


def normalize_quoted(passage: str) -> str:
    """A passage in curly quotes as a statement stores it: one trailing comma or period is punctuation of the
    sentence around it, not of the words said."""
    passage = passage.strip()
    return passage[:-1] if passage.endswith((",", ".")) else passage


def body_of(text: str, ends_before: str | None) -> str:
    """The article body: from the start to the end of the last paragraph before the `ends_before` line."""
    if ends_before:
        match = re.search(r"^" + re.escape(ends_before) + r"\s*$", text, re.M)
        if match is None:
            raise CommandError(f"The body end marker “{ends_before}” is not a line of the source text.")
        text = text[: match.start()]
    return text.rstrip()


def dumps(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"


def date_fields(date_text: str, start: date | None, end: date | None, precision: str) -> dict:
    return {
        "date_text": date_text,
        "date_start": start and start.isoformat(),
        "date_end": end and end.isoformat(),
        "date_precision": precision,
    }


def row(model: str, pk, fields: dict, *, timestamps: bool = True) -> dict:
    if timestamps:
        fields = {**fields, "created_at": FIXTURE_TIMESTAMP, "updated_at": FIXTURE_TIMESTAMP}
    return {"model": f"facts.{model}", "pk": pk, "fields": fields}


class SpecError(CommandError):
    """A facts spec is wrong; the message names the file and the item."""
