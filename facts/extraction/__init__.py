"""The fact extractor: proposes candidate facts, each with exact evidence spans, from one source's text.

Pure functions over plain dataclasses (facts.extraction.types): the engine reads an ExtractionInput and returns an
Extraction, writing nothing. `input_from_db(source)` builds the input from the database for the propose_facts
command. The language work is rule-based (spaCy's blank English pipeline, a PhraseMatcher fed from the aliases) and
the lexicon from reporting verbs to CAMEO codes is data (lexicon.json).
"""

from .engine import extract
from .lexicon import Lexicon, lexicon_from_data, load_lexicon
from .types import (
    DateMention,
    Extraction,
    ExtractionInput,
    Interval,
    KnownActor,
    KnownPlace,
    Mention,
    ProposedActor,
    ProposedEvent,
    ProposedStatement,
    Span,
)


def input_from_db(source):
    """The ExtractionInput for a stored Source (imported lazily: the engine itself never needs the ORM)."""
    from .dbinput import input_from_db as build

    return build(source)


__all__ = [
    "DateMention",
    "Extraction",
    "ExtractionInput",
    "Interval",
    "KnownActor",
    "KnownPlace",
    "Lexicon",
    "Mention",
    "ProposedActor",
    "ProposedEvent",
    "ProposedStatement",
    "Span",
    "extract",
    "input_from_db",
    "lexicon_from_data",
    "load_lexicon",
]
