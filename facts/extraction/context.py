"""The reading context the rules share: sentences, quotations, and references to actors in text order.

A reference (Ref) is one place in the text that names an actor: a known alias, a proposed new actor, a pronoun
("she", resolved on demand to the nearest person before it) or a pair ("the two sides", resolved to the last pair
of actors the text set against each other). Statement and event rules only ever look at Refs, so every way of
naming an actor is handled once, here.
"""

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

from .lexicon import Lexicon
from .types import Mention

PERSON_KINDS = frozenset({"person", "unnamed"})
THING_KINDS = frozenset({"state", "organization", "group"})
PRONOUN_PERSON, PRONOUN_THING, PAIR = "pronoun-person", "pronoun-thing", "pair"
QUOTE_RE = re.compile(r"“[^“”]+”|\"[^\"\n]+\"")


@dataclass(frozen=True)
class Ref:
    """A place in the text that names an actor: `key` is a known slug or "new:<name>" (None for a pronoun)."""

    start: int
    end: int
    key: str | None
    kind: str
    place_slug: str | None = None
    via: str = "alias"


def actor_refs(mentions: list[Mention], kinds: dict[str, str]) -> list[Ref]:
    """The outermost actor mentions as Refs: "US" inside "a US official" names the official, not the state."""
    actor_mentions = [m for m in mentions if m.actor_slug is not None]
    places = {(m.start, m.end): m.place_slug for m in mentions if m.place_slug}
    actor_mentions.sort(key=lambda m: (m.start, -m.end))
    refs: list[Ref] = []
    reach = -1
    for m in actor_mentions:
        slug = m.actor_slug or ""
        if m.end <= reach and not (refs and (refs[-1].start, refs[-1].end) == (m.start, m.end)):
            continue
        refs.append(Ref(m.start, m.end, slug, kinds.get(slug, "state"), places.get((m.start, m.end))))
        reach = max(reach, m.end)
    return refs


class Context:
    """Sentences, quotations and Refs of one source, with the look-ups the rules need, all by bisection."""

    def __init__(self, text: str, published: date, lexicon: Lexicon, sentences: list[tuple[int, int]], refs):
        self.text, self.published, self.lexicon = text, published, lexicon
        self.sentences = sentences
        self._sentence_starts = [start for start, _ in sentences]
        self.quotes = [(m.start(), m.end()) for m in QUOTE_RE.finditer(text)]
        self._quote_starts = [start for start, _ in self.quotes]
        named = _outermost(sorted(refs, key=lambda ref: (ref.start, -ref.end)))
        self._persons = [ref for ref in named if ref.kind in PERSON_KINDS]
        self._person_starts = [ref.start for ref in self._persons]
        self._things = [ref for ref in named if ref.kind in THING_KINDS]
        self._thing_starts = [ref.start for ref in self._things]
        extra = self._pronoun_refs() + self._pair_refs(named)
        self.refs = sorted(named + extra, key=lambda ref: (ref.start, -ref.end))
        self._ref_starts = [ref.start for ref in self.refs]

    # -- positions ------------------------------------------------------------------------------------------------

    def sentence_index(self, pos: int) -> int:
        return max(bisect_right(self._sentence_starts, pos) - 1, 0)

    def quote_at(self, pos: int) -> tuple[int, int] | None:
        """The quotation (marks included) that contains `pos`, if any."""
        i = bisect_right(self._quote_starts, pos) - 1
        if i >= 0 and self.quotes[i][0] <= pos < self.quotes[i][1]:
            return self.quotes[i]
        return None

    def refs_between(self, start: int, end: int, *, outside_quotes: bool = True) -> list[Ref]:
        """Refs wholly inside start..end, in text order; quoted words are the speaker's, not the reporter's."""
        i = bisect_left(self._ref_starts, start)
        found = []
        while i < len(self.refs) and self.refs[i].start < end:
            ref = self.refs[i]
            if ref.end <= end and not (outside_quotes and self.quote_at(ref.start)):
                found.append(ref)
            i += 1
        return found

    # -- resolution -----------------------------------------------------------------------------------------------

    def resolve(self, ref: Ref) -> str | None:
        """The actor key a Ref stands for: itself, or for a pronoun the actor it refers back to."""
        if ref.kind == PRONOUN_PERSON:
            return self._antecedent_person(ref.start)
        if ref.kind == PRONOUN_THING:
            return self._antecedent_thing(ref.start)
        return ref.key

    def _antecedent_person(self, pos: int) -> str | None:
        # The nearest person before the pronoun, except that a person who opens the same sentence wins: a pronoun
        # prefers the subject ("Blinken spoke with Aliyev, ... which he said" is Blinken).
        i = bisect_left(self._person_starts, pos) - 1
        if i < 0:
            return None
        sentence_start = self.sentences[self.sentence_index(pos)][0]
        j = bisect_left(self._person_starts, sentence_start)
        return self._persons[j].key if j <= i else self._persons[i].key

    def _antecedent_thing(self, pos: int) -> str | None:
        i = bisect_left(self._thing_starts, pos) - 1
        if i < 0 or self.sentence_index(self._things[i].start) < self.sentence_index(pos) - 1:
            return None
        return self._things[i].key

    def _pronoun_refs(self) -> list[Ref]:
        words = {word: PRONOUN_PERSON for word in self.lexicon.person_pronouns}
        words.update({word: PRONOUN_THING for word in self.lexicon.thing_pronouns})
        pattern = re.compile(r"\b(" + "|".join(words) + "|" + "|".join(w.capitalize() for w in words) + r")\b")
        return [
            Ref(m.start(), m.end(), None, words[m.group(1).lower()], via="pronoun") for m in pattern.finditer(self.text)
        ]

    def _pair_refs(self, named: list[Ref]) -> list[Ref]:
        """ "the two sides", "both countries": the last pair set "between X and Y", else the last "X and Y"."""
        pairs = _pairs(self.text, [ref for ref in named if ref.kind in THING_KINDS])
        nouns = "|".join(self.lexicon.pair_nouns)
        pattern = re.compile(r"\b(?:[Tt]he two|[Bb]oth)\s+(?:[A-Z][\w-]*\s+)?(?:" + nouns + r")\b")
        refs = []
        for m in pattern.finditer(self.text):
            earlier = [pair for pair in pairs if pair[0] < m.start()]
            chosen = next((pair for pair in reversed(earlier) if pair[3]), earlier[-1] if earlier else None)
            if chosen:
                refs += [Ref(m.start(), m.end(), key, PAIR, via="pair") for key in chosen[1:3]]
        return refs


def _outermost(refs: list[Ref]) -> list[Ref]:
    """Drop a Ref inside a longer one: "Hamas" in "a senior Hamas official" names the official's group, not a
    speaker. Refs with the very same span (one name for two actors) all stay."""
    kept: list[Ref] = []
    reach = -1
    for ref in refs:
        if ref.end <= reach and not (kept and (kept[-1].start, kept[-1].end) == (ref.start, ref.end)):
            continue
        kept.append(ref)
        reach = max(reach, ref.end)
    return kept


def _pairs(text: str, refs: list[Ref]) -> list[tuple[int, str | None, str | None, bool]]:
    """(position, first key, second key, set "between" them?) for every "X and Y" of two different actors."""
    pairs: list[tuple[int, str | None, str | None, bool]] = []
    for first, second in zip(refs, refs[1:], strict=False):
        if first.key != second.key and text[first.end : second.start] in (" and ", ", and "):
            between = text[max(0, first.start - 8) : first.start] == "between "
            pairs.append((first.start, first.key, second.key, between))
    return pairs
