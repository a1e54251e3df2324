"""Events from the lexicon's triggers, with participants and roles from the Refs of the same clause.

The subject is the actor nearest before the trigger in its clause, with any actor joined to it by "and"; a clause
that opens with a participle (", sparking …") or with "and" (", and posted …") takes the sentence's subject
instead, and a speech verb ends the search ("an official said the talks …": the official is the speaker, not a
party). The objects are the actors after the trigger up to the next punctuation. An actor named only as the
organisation of a titled person ("Armenia’s Prime Minister Nikol Pashinyan") is that person's affiliation, and a
place after a locative preposition ("in Munich") is where the event happened, not a participant.
"""

import re
from dataclasses import dataclass

from .context import PAIR, PRONOUN_PERSON, Context, Ref
from .lexicon import Trigger
from .statements import speech_verbs
from .types import DateMention, Mention, ProposedEvent, Span

_CLAUSE_BREAK = re.compile(r";|:|,\s+(?:and|but|while|whereas|which|who)\b|,\s+(?=[a-z]+ing\b)|\s+[—–]\s+")
_INTRO = re.compile(
    r"(?:With|After|Before|Despite|Although|Though|While|As|Since|When|If|Amid|Following|Speaking)\b[^,]*,"
)
_OBJECT_STOP = re.compile(
    r"[,.;:!?“”\"]|\s[—–]\s|\s+and\s+(?=[a-z])(?!(?:the|then|its|his|her|their|a|an|also|other)\b)"
)
_LOCATIVE = re.compile(r"\b(?:[Ii]n|at|inside|outside|near|along|across|through|on)\s+(?:(?:the|a|an)\s+)?$")
_CONJOINED = re.compile(r"\s+and\s+|,\s+|-")
_TITLE_RUN = re.compile(r"(?:[’']s)?(?:\s+(?:[A-Z][\w.-]*|of))+\s+")
# "said in a news conference": the trigger is the setting of the speech, so the speaker stays its subject.
_SETTING = re.compile(r"\s+(?:in|at|during|after|before)\s+(?:(?:a|an|the|his|her|their)\s+)?(?:\w+\s+)?")
# A verb form after a determiner or a preposition is a noun or an adjective: "the visit", "from occupied areas".
_NOT_A_VERB = re.compile(r"\b(?:the|a|an|his|her|their|its|this|that|our|from|of|in|into|with|for|on|at|by)\s+$", re.I)
PERSONS = ("person", "unnamed", PRONOUN_PERSON)


@dataclass(frozen=True)
class _Clause:
    """Where a trigger's subject, objects and date may come from."""

    start: int
    end: int
    borrows_subject: bool  # opens with a participle or "and": the sentence's subject is the clause's


class _Sentence:
    """One sentence being read for events."""

    def __init__(self, ctx: Context, bounds: tuple[int, int], mentions: list[Mention], dates: list[DateMention]):
        self.ctx, (self.start, self.end) = ctx, bounds
        self.places = [m for m in mentions if m.place_slug]
        self.dates = dates
        intro = _INTRO.match(ctx.text, self.start, self.end)
        self.intro_end = intro.end() if intro else self.start

    def refs(self, start: int, end: int, quoted: bool) -> list[Ref]:
        return [
            ref
            for ref in self.ctx.refs_between(start, end, outside_quotes=not quoted)
            if not self._locative(ref, start)
        ]

    def clause(self, trigger: re.Match) -> _Clause:
        text = self.ctx.text
        # The search runs to the trigger's end so that a look-ahead can see the participle the trigger opens with.
        breaks = [b for b in _CLAUSE_BREAK.finditer(text, self.start, trigger.end()) if b.start() < trigger.start()]
        start = breaks[-1].end() if breaks else self.start
        borrows = bool(breaks) and (breaks[-1].group().rstrip().endswith("and") or not breaks[-1].group().strip(", "))
        if not breaks and self.intro_end <= trigger.start():
            start = self.intro_end
        if text[max(self.start, trigger.start() - 3) : trigger.start()].rstrip().endswith(","):
            borrows = borrows or trigger.group().split()[0].endswith("ing")
        verbs = speech_verbs(self.ctx, start, trigger.start())
        if verbs and not _SETTING.fullmatch(text, verbs[-1].end(), trigger.start()):
            start, borrows = verbs[-1].end(), False
        following = _CLAUSE_BREAK.search(text, trigger.end(), self.end)
        return _Clause(start, following.start() if following else self.end, borrows)

    def _joined(self, refs: list[Ref], anchor: int) -> list[Ref]:
        """refs[anchor] with the refs "and"-joined to it on either side (and both halves of a pair)."""
        text, chosen = self.ctx.text, [refs[anchor]]
        for ref in reversed(refs[:anchor]):
            if (ref.kind == PAIR and ref.start == chosen[0].start) or _CONJOINED.fullmatch(
                text[ref.end : chosen[0].start]
            ):
                chosen.insert(0, ref)
            else:
                break
        for ref in refs[anchor + 1 :]:
            if (ref.kind == PAIR and ref.start == chosen[-1].start) or _CONJOINED.fullmatch(
                text[chosen[-1].end : ref.start]
            ):
                chosen.append(ref)
            else:
                break
        return chosen

    def subject(self, trigger: re.Match, clause: _Clause, quoted: bool) -> list[Ref]:
        if not clause.borrows_subject:
            refs = self.refs(clause.start, trigger.start(), quoted)
            return self._joined(refs, len(refs) - 1) if refs else []
        refs = self.refs(self.intro_end, clause.start, quoted) or self.refs(self.start, clause.start, quoted)
        return self._joined(refs, 0) if refs else []

    def objects(self, trigger: re.Match, quoted: bool) -> tuple[list[Ref], int]:
        stop = _OBJECT_STOP.search(self.ctx.text, trigger.end(), self.end)
        end = stop.start() if stop else self.end
        refs = self.refs(trigger.end(), end, quoted)
        return [ref for i, ref in enumerate(refs) if not self._affiliation(ref, refs[i + 1 :])], end

    def _locative(self, ref: Ref, floor: int) -> bool:
        """A place-like name after "in", "at", "outside" …: a setting, not an actor."""
        if ref.kind in PERSONS or ref.kind == PAIR:
            return False
        return bool(_LOCATIVE.search(self.ctx.text, max(floor, ref.start - 14), ref.start))

    def _affiliation(self, ref: Ref, later: list[Ref]) -> bool:
        if ref.kind in PERSONS or not later or later[0].kind not in PERSONS:
            return False
        return bool(_TITLE_RUN.fullmatch(self.ctx.text, ref.end, later[0].start))

    def place(self, trigger: re.Match, clause: _Clause, objects: list[Ref], object_place: bool) -> str | None:
        for ref in objects if object_place else []:
            if ref.place_slug:
                return ref.place_slug
        for mention in self.places:
            if trigger.end() <= mention.start < clause.end and _LOCATIVE.search(
                self.ctx.text, max(trigger.end(), mention.start - 14), mention.start
            ):
                return mention.place_slug
        return None

    def date(self, trigger: re.Match, clause: _Clause, quoted: bool) -> DateMention | None:
        # A clause joined by "and" shares the time of the sentence; any other clause has only its own dates.
        low, high = (self.start, self.end) if clause.borrows_subject else (clause.start, clause.end)
        candidates = [d for d in self.dates if low <= d.start < high and (quoted or not self.ctx.quote_at(d.start))]
        for d in candidates:
            if d.start <= trigger.start() and trigger.end() <= d.end:
                return d  # "the expected four days of talks … Monday" dates the talks themselves
        return min(
            candidates, key=lambda d: min(abs(d.start - trigger.end()), abs(trigger.start() - d.end)), default=None
        )


def _participants(ctx: Context, trigger: Trigger, subject: list[Ref], objects: list[Ref]) -> list[tuple[str, str]]:
    resolved_subject = [key for ref in subject if (key := ctx.resolve(ref))]
    object_role = trigger.object_role
    resolved_objects = [key for ref in objects if (key := ctx.resolve(ref))] if object_role else []
    subject_role = trigger.subject_role if resolved_objects else trigger.alone_role
    roles = [(key, subject_role) for key in resolved_subject] + [(key, object_role or "") for key in resolved_objects]
    participants: list[tuple[str, str]] = []
    for key, role in roles:
        if all(key != seen for seen, _ in participants):
            participants.append((key, role))
    return participants


def _title(names: dict[str, str], participants: list[tuple[str, str]], words: str) -> str:
    def named(key: str) -> str:
        return names.get(key, key.removeprefix("new:"))

    head, rest = participants[0][0], participants[1:]
    return " ".join([named(head), " ".join(words.split()), ", ".join(named(key) for key, _ in rest)]).strip()


def _event(ctx: Context, sentence: _Sentence, trigger: Trigger, m: re.Match, names: dict) -> ProposedEvent | None:
    if trigger.verb and _NOT_A_VERB.search(ctx.text, max(0, m.start() - 8), m.start()):
        return None
    quoted = ctx.quote_at(m.start()) is not None
    clause = sentence.clause(m)
    subject = sentence.subject(m, clause, quoted)
    objects, _ = sentence.objects(m, quoted)
    if trigger.needs_object and not objects:
        return None
    participants = _participants(ctx, trigger, subject, objects)
    if not participants:
        return None
    date = sentence.date(m, clause, quoted)
    start = min([m.start()] + [ref.start for ref in subject])
    end = max([m.end()] + [ref.end for ref in objects])
    return ProposedEvent(
        cameo_code=trigger.code,
        title=_title(names, participants, m.group()),
        participants=participants,
        date_text=date.date_text if date else "",
        interval=date.interval if date else None,
        place_slug=sentence.place(m, clause, objects, trigger.object_place),
        spans=[Span.of(ctx.text, start, end)],
        rule=f"lexicon:{trigger.name}" + (":quoted" if quoted else ""),
    )


def sentence_events(
    ctx: Context, bounds: tuple[int, int], mentions: list[Mention], dates: list[DateMention], names: dict[str, str]
) -> list[ProposedEvent]:
    """The events the lexicon's triggers propose in one sentence, in trigger order."""
    sentence, events = _Sentence(ctx, bounds, mentions, dates), []
    for trigger in ctx.lexicon.triggers:
        for m in trigger.pattern.finditer(ctx.text, *bounds):
            if event := _event(ctx, sentence, trigger, m, names):
                events.append(event)
    return sorted(events, key=lambda event: event.spans[0].start)
