"""Find a passage in a source text, so that curators give only the passage and never count offsets.

A pasted passage often differs from the stored text only in typography: straight for curly quotes, a hyphen for
a dash, a line break for a space. Such differences are tolerated; the stored quote is always the exact source text.
"""

import re

from django.core.exceptions import ValidationError

_EQUIVALENT = {
    '"': "\"“”„«»", "“": "\"“”„«»", "”": "\"“”„«»",
    "'": "'‘’‚`", "‘": "'‘’‚`", "’": "'‘’‚`",
    "-": "-‐‑–—", "–": "-‐‑–—", "—": "-‐‑–—",
}


def _pattern(passage: str) -> re.Pattern:
    parts = []
    for token in re.split(r"(\s+)", passage.strip()):
        if not token:
            continue
        if token.isspace():
            parts.append(r"\s+")
            continue
        parts.extend(
            "[" + re.escape(_EQUIVALENT[ch]) + "]" if ch in _EQUIVALENT else re.escape(ch) for ch in token
        )
    return re.compile("".join(parts))


def find_occurrences(text: str, passage: str) -> list[tuple[int, int]]:
    """All non-overlapping (start, end) spans where `passage` occurs in `text`, exact matches first."""
    passage = passage.strip()
    if not passage:
        return []
    exact = [(m.start(), m.start() + len(passage)) for m in re.finditer(re.escape(passage), text)]
    if exact:
        return exact
    return [(m.start(), m.end()) for m in _pattern(passage).finditer(text)]


def locate_passage(text: str, passage: str, *, occurrence: int | None = None, field: str = "quote") -> tuple[int, int]:
    """Offsets of `passage` in `text`; `occurrence` (1-based) picks one when it occurs more than once.

    Raises ValidationError keyed by `field` when the passage is empty, absent, ambiguous or the occurrence is out of
    range, with a message a curator can act on.
    """
    if not passage or not passage.strip():
        raise ValidationError({field: "Give the passage of the source that supports this fact."})
    spans = find_occurrences(text, passage)
    shown = passage.strip() if len(passage.strip()) <= 80 else passage.strip()[:77] + "…"
    if not spans:
        raise ValidationError({field: f"The passage “{shown}” does not occur in the source text."})
    if occurrence is None:
        if len(spans) > 1:
            raise ValidationError(
                {field: f"The passage “{shown}” occurs {len(spans)} times in the source; "
                        f"say which occurrence (1 to {len(spans)}) you mean."}
            )
        return spans[0]
    if not 1 <= occurrence <= len(spans):
        raise ValidationError(
            {field: f"Occurrence {occurrence} is out of range: the passage occurs {len(spans)} time(s)."}
        )
    return spans[occurrence - 1]
