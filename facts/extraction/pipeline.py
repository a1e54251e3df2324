"""spaCy on a blank English pipeline: tokens, sentences, and known-alias mentions through a PhraseMatcher.

No statistical model is loaded or downloaded: the tokenizer, the rule-based sentencizer and the PhraseMatcher are
all part of spaCy itself, so the engine runs offline and gives the same answer on every machine.
"""

from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from .types import KnownActor, KnownPlace, Mention


@lru_cache(maxsize=1)
def blank_pipeline() -> Language:
    """The shared blank English pipeline with a sentencizer, built once per process (it costs ~0.5 s)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    # Long sources (20,000 words and more) are fine for rule-based components; the default cap guards parsers.
    nlp.max_length = 10_000_000
    return nlp


def sentence_bounds(doc: Doc) -> list[tuple[int, int]]:
    """Character bounds of the sentences, also cut at blank lines: a headline or a paragraph without a final stop
    is a sentence of its own, not the start of the next one."""
    text, bounds = doc.text, []  # Doc.text joins every token on each access: read it once
    for sent in doc.sents:
        start = None
        for token in sent:
            if token.is_space and "\n" in token.text:
                if start is not None:
                    bounds.append((start, token.idx))
                start = None
            elif start is None:
                start = token.idx
        if start is not None:
            last = sent[-1]
            bounds.append((start, last.idx + len(last.text)))
    return [(start, _trimmed_end(text, start, end)) for start, end in bounds if text[start:end].strip()]


def _trimmed_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _variants(alias: str) -> set[str]:
    # An alias is stored once ("The United States", "the official"); the text may capitalise it at a sentence start
    # or not, so both first-letter cases match. The rest of the alias stays case-sensitive ("US" is not "us").
    if not alias or not alias[0].isalpha():
        return {alias}
    return {alias, alias[0].upper() + alias[1:], alias[0].lower() + alias[1:]}


def _add_patterns(nlp: Language, matcher: PhraseMatcher, key: str, aliases: list[str], names: dict) -> None:
    docs = []
    for alias in aliases:
        for variant in _variants(alias.strip()):
            if variant:
                names[(key, variant)] = alias
                docs.append(nlp.make_doc(variant))
    if docs:
        matcher.add(key, docs)


def _keep_longest(matches: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Per entity, drop a match inside a longer match of the same entity ("United States" in "The United States")."""
    kept: list[tuple[str, int, int]] = []
    by_key: dict[str, list[tuple[int, int]]] = {}
    for key, start, end in matches:
        by_key.setdefault(key, []).append((start, end))
    for key, spans in by_key.items():
        spans.sort(key=lambda span: (span[0], -span[1]))
        reach = -1
        for start, end in spans:
            if end <= reach:
                continue
            kept.append((key, start, end))
            reach = max(reach, end)
    return sorted(kept, key=lambda match: (match[1], -match[2]))


def find_mentions(doc: Doc, actors: list[KnownActor], places: list[KnownPlace]) -> list[Mention]:
    """Every occurrence of a known actor or place through any of its aliases, in text order."""
    nlp = blank_pipeline()
    matcher = PhraseMatcher(nlp.vocab, attr="ORTH")
    names: dict[tuple[str, str], str] = {}
    for actor in actors:
        _add_patterns(nlp, matcher, "A " + actor.slug, [actor.name, *actor.aliases], names)
    for place in places:
        _add_patterns(nlp, matcher, "P " + place.slug, [place.name, *place.aliases], names)
    found = [(nlp.vocab.strings[match_id], start, end) for match_id, start, end in matcher(doc)]
    mentions = []
    for key, start, end in _keep_longest(found):
        span = doc[start:end]
        kind, slug = key.split(" ", 1)
        mentions.append(
            Mention(
                actor_slug=slug if kind == "A" else None,
                place_slug=slug if kind == "P" else None,
                alias=names.get((key, span.text), span.text),
                start=span.start_char,
                end=span.end_char,
                quote=span.text,
            )
        )
    return mentions
