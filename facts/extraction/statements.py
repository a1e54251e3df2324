"""Statements: every passage in quotation marks, with its kind, speaker, channel and date.

The speaker comes from the attribution around the quotation, tried in this order: a speech verb with the speaker
just before it ("Patel added", "the official said", "he said"), an inverted attribution right after the closing
mark ("…,” said State Department spokesman Vedant Patel"), a participle that borrows the sentence's speaker
(", adding “…”"), the "according to …" phrase (which is also the channel), the subject of the sentence, and last
the speaker of the quotation just before (a quotation that makes up a paragraph of its own).
"""

import re
from functools import lru_cache

from .context import PRONOUN_PERSON, PRONOUN_THING, Context, Ref
from .types import DateMention, ProposedStatement, Span

_TRAILING = " \t\n,.;:!?"
_GAP = re.compile(r"\s+(?:(?:also|then|later|again|further|repeatedly|once|[a-z]+ly)\s+)*")
_INVERTED_GAP = re.compile(r"[,.!?]?[”\"]\s*")
_CLAUSE = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|will|would|can|could|must|should|may|might|do|does|did)\b"
)
_ACCORDING = re.compile(r"\baccording to\s+[^.;“”\"]+")
PARTICIPLE_SUFFIX = "ing"


def _window(ctx: Context, start: int, end: int) -> tuple[int, int]:
    """The sentences a quotation touches: a quotation may hold several sentences of its own."""
    first, last = ctx.sentence_index(start), ctx.sentence_index(end - 1)
    return ctx.sentences[first][0], ctx.sentences[last][1]


def _inner(ctx: Context, start: int, end: int) -> tuple[int, int]:
    inner_start, inner_end = start + 1, end - 1
    while inner_end > inner_start and ctx.text[inner_end - 1] in _TRAILING:
        inner_end -= 1
    while inner_start < inner_end and ctx.text[inner_start].isspace():
        inner_start += 1
    return inner_start, inner_end


def _kind(ctx: Context, window_start: int, quote_start: int, inner: str) -> str:
    # A whole sentence, or a clause with a verb of its own, is a quote; a phrase inside the reporter's sentence
    # ("restore “unhindered movement”") is a partial quote.
    opening = ctx.text[window_start:quote_start].strip()
    if not opening or opening.endswith(":") or (len(inner.split()) >= 4 and _CLAUSE.search(inner)):
        return "quote"
    return "partial"


@lru_cache(maxsize=8)
def _speech_pattern(verbs: frozenset[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(sorted(verbs, key=len, reverse=True)) + r")\b")


def speech_verbs(ctx: Context, start: int, end: int) -> list[re.Match]:
    """The reporter's speech verbs in start..end (a "said" inside a quotation is the speaker's, not an attribution)."""
    pattern = _speech_pattern(ctx.lexicon.speech_verbs)
    return [m for m in pattern.finditer(ctx.text, start, end) if not ctx.quote_at(m.start())]


def _ref_before(ctx: Context, verb: re.Match, floor: int) -> Ref | None:
    refs = ctx.refs_between(floor, verb.start())
    if refs and _GAP.fullmatch(ctx.text[refs[-1].end : verb.start()]):
        return refs[-1]
    return None


def _ref_after(ctx: Context, verb: re.Match, ceiling: int) -> Ref | None:
    """ "…,” said State Department spokesman Vedant Patel": the person the title run after the verb ends on."""
    before = ctx.text[max(0, verb.start() - 4) : verb.start()]
    if not _INVERTED_GAP.search(before):
        return None
    stop = re.compile(r"[,.;:“”\"]").search(ctx.text, verb.end(), ceiling)
    refs = ctx.refs_between(verb.end(), stop.start() if stop else ceiling)
    people = [ref for ref in refs if ref.kind in ("person", "unnamed", PRONOUN_PERSON)]
    chosen = people or refs
    return chosen[-1] if chosen else None


def _subject(ctx: Context, start: int, end: int) -> Ref | None:
    refs = [ref for ref in ctx.refs_between(start, end) if ref.kind != PRONOUN_THING]
    return refs[0] if refs else None


class _Attribution:
    """Finds the speaker of one quotation; `rule` names how."""

    def __init__(self, ctx: Context, quote: tuple[int, int], window: tuple[int, int]):
        self.ctx, self.quote, self.window = ctx, quote, window
        self.rule = ""
        self.span: Span | None = None

    def speaker(self, previous: str | None) -> str | None:
        ctx, (start, end) = self.ctx, self.window
        verbs = sorted(speech_verbs(ctx, start, end), key=lambda m: self._distance(m))
        for verb in verbs:
            if key := self._from_verb(verb, verbs):
                return key
        if m := _ACCORDING.search(ctx.text, start, end):
            if refs := ctx.refs_between(m.start(), m.end()):
                return self._found(refs[0], "according-to", m.start(), m.end())
        if subject := _subject(ctx, start, end):
            return self._found(subject, "sentence-subject", subject.start, subject.end)
        self.rule = "previous-speaker" if previous else ""
        return previous

    def _distance(self, verb: re.Match) -> int:
        return min(abs(verb.start() - self.quote[1]), abs(self.quote[0] - verb.end()))

    def _from_verb(self, verb: re.Match, verbs: list[re.Match]) -> str | None:
        ctx = self.ctx
        if verb.group().endswith(PARTICIPLE_SUFFIX) and ctx.text[
            max(0, verb.start() - 3) : verb.start()
        ].rstrip().endswith(","):
            # ", adding “…”": the participle's subject is the sentence's speaker, read from its main verb.
            for other in verbs:
                if other is not verb and not other.group().endswith(PARTICIPLE_SUFFIX):
                    if key := self._from_verb(other, []):
                        self.rule = "participle-" + self.rule
                        return key
            subject = _subject(ctx, self.window[0], verb.start())
            return self._found(subject, "participle-subject", verb.start(), verb.end()) if subject else None
        if ref := _ref_before(ctx, verb, self.window[0]):
            return self._found(ref, "speaker-" + verb.group(), ref.start, verb.end())
        if ref := _ref_after(ctx, verb, self.window[1]):
            return self._found(ref, verb.group() + "-speaker", verb.start(), ref.end)
        return None

    def _found(self, ref: Ref, rule: str, start: int, end: int) -> str | None:
        key = self.ctx.resolve(ref)
        if key is None:
            return None
        self.rule = rule + ("-pronoun" if ref.kind == PRONOUN_PERSON else "")
        self.span = Span.of(self.ctx.text, min(start, ref.start), max(end, ref.end))
        return key


def _channel(ctx: Context, window: tuple[int, int]) -> str:
    m = _ACCORDING.search(ctx.text, *window)
    return m.group().rstrip(_TRAILING + '”"') if m else ""


def _date_of(ctx: Context, dates: list[DateMention], window: tuple[int, int], quote: tuple[int, int]):
    """The date the reporter's words give the statement: the nearest date of its sentence outside quotations."""
    candidates = [d for d in dates if window[0] <= d.start and d.end <= window[1] and not ctx.quote_at(d.start)]
    return min(candidates, key=lambda d: min(abs(d.start - quote[1]), abs(quote[0] - d.end)), default=None)


def find_statements(ctx: Context, dates: list[DateMention], quotes: list[tuple[int, int]]) -> list[ProposedStatement]:
    """One proposed statement per quotation of `quotes` (marks included), in text order."""
    statements, previous = [], None
    for start, end in quotes:
        inner_start, inner_end = _inner(ctx, start, end)
        if inner_end <= inner_start:
            continue
        window = _window(ctx, start, end)
        attribution = _Attribution(ctx, (start, end), window)
        key = attribution.speaker(previous)
        previous = key
        inner = ctx.text[inner_start:inner_end]
        date = _date_of(ctx, dates, window, (start, end))
        spans = [Span.of(ctx.text, inner_start, inner_end)] + ([attribution.span] if attribution.span else [])
        new = key[4:] if key and key.startswith("new:") else None
        statements.append(
            ProposedStatement(
                speaker_slug=None if new or key is None else key,
                new_actor=new,
                kind=_kind(ctx, window[0], start, inner),
                text=inner,
                channel=_channel(ctx, window),
                date_text=date.date_text if date else "",
                interval=date.interval if date else None,
                spans=spans,
                rule="quote:" + (attribution.rule or "no-speaker"),
            )
        )
    return statements
