"""The engine's input and output: plain dataclasses, free of Django, so the engine stays a pure function.

Every proposal carries exact spans (start, end, quote == text[start:end]) into the source text and the name of the
rule that proposed it, so that the wiring can store candidate facts with their evidence and their provenance.
"""

from dataclasses import dataclass, field
from datetime import date

from .lexicon import Lexicon


@dataclass(frozen=True)
class KnownActor:
    """An actor already in the database, with every alias a source may use for it (its name included)."""

    slug: str
    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KnownPlace:
    """A place already in the database, with the names a source may use for it."""

    slug: str
    name: str
    aliases: list[str] = field(default_factory=list)


@dataclass
class ExtractionInput:
    """One source to read: its text, its publication date (the reference of relative dates) and what is known."""

    text: str
    published: date
    actors: list[KnownActor] = field(default_factory=list)
    places: list[KnownPlace] = field(default_factory=list)
    lexicon: Lexicon | None = None  # None: the packaged lexicon.json


@dataclass(frozen=True)
class Span:
    """An exact passage of the source text."""

    start: int
    end: int
    quote: str

    @classmethod
    def of(cls, text: str, start: int, end: int) -> "Span":
        return cls(start, end, text[start:end])


@dataclass(frozen=True)
class Interval:
    """A resolved date interval, as facts.dates returns it (None is an unknown bound)."""

    start: date | None
    end: date | None
    precision: str


@dataclass(frozen=True)
class Mention:
    """One occurrence of a known actor or place, found through one of its aliases.

    `alias` is the alias as stored (ActorAlias.name, or the actor's or place's name), whatever the case of its first
    letter in the text, so that the wiring can cite the span for that alias.
    """

    actor_slug: str | None
    place_slug: str | None
    alias: str
    start: int
    end: int
    quote: str
    rule: str = "alias"


@dataclass(frozen=True)
class DateMention:
    """A date expression of the text, resolved against the publication date."""

    date_text: str
    start: int
    end: int
    interval: Interval
    rule: str = "date"


@dataclass
class ProposedActor:
    """A person or group the source names that no known actor matches; `name` is its key in the other proposals.

    `spans` are the passages naming it (each one's words become its alias); `affiliation_title` and
    `organization_slug` its position as the source states it, in `affiliation_spans`.
    """

    name: str
    kind: str
    affiliation_title: str = ""
    organization_slug: str | None = None
    spans: list[Span] = field(default_factory=list)
    rule: str = ""
    # The passages that state the affiliation ("Ukrainian Foreign Minister Dmytro Kuleba", "A Russian official").
    affiliation_spans: list[Span] = field(default_factory=list)


@dataclass
class ProposedStatement:
    """A quoted passage with its speaker and its date.

    The speaker is `speaker_slug` (a known actor) or `new_actor` (the name of a ProposedActor of the same
    Extraction), or neither when no attribution was found. `spans` holds the quoted words (spans[0], equal to
    `text`) and, when found, the attribution ("Patel added"). `interval` is None when the sentence gives no date.
    """

    speaker_slug: str | None
    new_actor: str | None
    kind: str
    text: str
    channel: str
    date_text: str
    interval: Interval | None
    spans: list[Span]
    rule: str


@dataclass
class ProposedEvent:
    """An event read from a trigger of the lexicon, with participants from the same clause.

    Each participant is (key, role): the key is a known actor's slug, or "new:<name>" for a ProposedActor of the
    same Extraction; the role is a ParticipantRole value. `interval` is None when the clause gives no date (the
    wiring then stores facts.dates.undated(published)).
    """

    cameo_code: str
    title: str
    participants: list[tuple[str, str]]
    date_text: str
    interval: Interval | None
    place_slug: str | None
    spans: list[Span]
    rule: str


@dataclass
class Extraction:
    """Everything the engine proposes for one source."""

    statements: list[ProposedStatement] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    actors: list[ProposedActor] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    events: list[ProposedEvent] = field(default_factory=list)
