"""Find a passage in a source text, so that curators give only the passage and never count offsets.

A pasted passage often differs from the stored text only in typography: straight for curly quotes, a hyphen for
a dash, a line break for a space. Such differences are tolerated; the stored quote is always the exact source text.

The search takes time linear in the lengths of the text and the passage, whatever they contain: both are brought
into one canonical form (each quote, apostrophe or dash replaced by the first character of its group below, each run
of white space by one space), the passage is looked for there with str.count and str.find, and the offsets found are
mapped back to the original text. The canonical form of a text is kept for the next passages looked for in it.
"""

import operator
import re
from array import array
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, chain

from django.core.exceptions import ValidationError

# Characters that stand for one another in a pasted passage, by group: straight and curly double quotes (and
# guillemets), apostrophes and single quotes, hyphens and dashes.
EQUIVALENT_GROUPS = ('"“”„«»', "'‘’‚`", "-‐‑–—")
# Every character that str.isspace() (and so the regex class \s) counts as white space; none lies above U+3000.
WHITESPACE = "".join(chr(code) for code in range(0x3001) if chr(code).isspace())
# What canonical() replaces, and by what. A chain of str.replace() calls, each skipped when its character is absent,
# is five times faster than str.translate() on non-ASCII text.
_REPLACEMENTS = [
    *((char, group[0]) for group in EQUIVALENT_GROUPS for char in group[1:]),
    *((char, " ") for char in WHITESPACE if char != " "),
]


def canonical(text: str) -> str:
    """`text` with one character for each of a group of equivalent ones and a space for any white space character:
    as long as `text`, so that offsets stay the same."""
    for char, replacement in _REPLACEMENTS:
        if char in text:
            text = text.replace(char, replacement)
    return text


_SPACE_RUN = re.compile("( {2,})")


def canonical_passage(passage: str) -> str:
    """The passage as it is looked for: stripped, typography made canonical, white space runs made one space."""
    return _SPACE_RUN.sub(" ", canonical(passage).strip(" "))


class CanonicalText:
    """A text in canonical form (`text`), with the way back from its offsets to those of the original."""

    __slots__ = ("text", "_starts", "_shifts")

    def __init__(self, original: str):
        translated = canonical(original)
        parts = _SPACE_RUN.split(translated)  # pieces of text alternating with the runs between them
        self._starts = self._shifts = None
        if len(parts) == 1:
            self.text = translated
            return
        self.text = " ".join(parts[::2])
        # Piece k (the text after the k-th collapsed run) starts at P + k in the canonical text and at P + R in the
        # original, P being the length of the pieces before it and R that of the runs before it. Built by C-level
        # iteration: a text of 10^6 runs takes a fraction of a second.
        ordinals = range(1, len(parts) // 2 + 1)
        pieces_before = accumulate(map(len, parts[:-1:2]))
        self._starts = array("q", chain((0,), map(operator.add, pieces_before, ordinals)))
        runs_before = accumulate(map(len, parts[1::2]))
        self._shifts = array("q", chain((0,), map(operator.sub, runs_before, ordinals)))

    def original_offset(self, offset: int) -> int:
        """The original offset of the canonical character at `offset` (a collapsed run maps to its first one)."""
        if self._starts is None or self._shifts is None:
            return offset
        return offset + self._shifts[bisect_right(self._starts, offset) - 1]

    def original_span(self, start: int, length: int) -> tuple[int, int]:
        # A canonical passage ends in a character other than white space, which is never part of a collapsed run.
        return self.original_offset(start), self.original_offset(start + length - 1) + 1


@lru_cache(maxsize=4)
def canonical_text(text: str) -> CanonicalText:
    """The canonical form of a source text; recent ones are kept, since a fact's passages share their source."""
    return CanonicalText(text)


class Occurrences:
    """The non-overlapping occurrences of a passage in a text: exact ones if there are any, else typographic ones.

    `count` costs one pass over the text (str.count); `span(n)` finds only the first n occurrences.
    """

    def __init__(self, text: str, passage: str):
        passage = passage.strip()
        self._canonical = None
        self._needle = passage
        self._haystack = text
        self.count = text.count(passage) if passage else 0
        if passage and not self.count:
            self._canonical = canonical_text(text)
            self._needle = canonical_passage(passage)
            self._haystack = self._canonical.text
            self.count = self._haystack.count(self._needle)

    def spans(self, limit: int | None = None):
        """(start, end) in the original text of the first `limit` occurrences (all when None), in order."""
        wanted = self.count if limit is None else min(limit, self.count)
        position, length = 0, len(self._needle)
        for _ in range(wanted):
            position = self._haystack.find(self._needle, position)
            if self._canonical is None:
                yield position, position + length
            else:
                yield self._canonical.original_span(position, length)
            position += length

    def span(self, occurrence: int) -> tuple[int, int]:
        """The span of the occurrence-th occurrence (1-based, at most `count`)."""
        *_, last = self.spans(occurrence)
        return last


def find_occurrences(text: str, passage: str) -> list[tuple[int, int]]:
    """All non-overlapping (start, end) spans where `passage` occurs in `text`, exact matches first."""
    return list(Occurrences(text, passage).spans())


def locate_passage(text: str, passage: str, *, occurrence: int | None = None, field: str = "quote") -> tuple[int, int]:
    """Offsets of `passage` in `text`; `occurrence` (1-based) picks one when it occurs more than once.

    Raises ValidationError keyed by `field` when the passage is empty, absent, ambiguous or the occurrence is out of
    range, with a message a curator can act on.
    """
    if not passage or not passage.strip():
        raise ValidationError({field: "Give the passage of the source that supports this fact."})
    found = Occurrences(text, passage)
    shown = passage.strip() if len(passage.strip()) <= 80 else passage.strip()[:77] + "…"
    if not found.count:
        raise ValidationError({field: f"The passage “{shown}” does not occur in the source text."})
    if occurrence is None:
        if found.count > 1:
            raise ValidationError(
                {
                    field: f"The passage “{shown}” occurs {found.count} times in the source; "
                    f"say which occurrence (1 to {found.count}) you mean."
                }
            )
        return found.span(1)
    if not 1 <= occurrence <= found.count:
        raise ValidationError(
            {field: f"Occurrence {occurrence} is out of range: the passage occurs {found.count} time(s)."}
        )
    return found.span(occurrence)
