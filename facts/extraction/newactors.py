"""New actors: people and groups the source names that no known alias covers.

Three shapes are read. A title before a capitalised name ("French Foreign Minister Catherine Colonna") proposes a
person with the title as a candidate affiliation, and the organisation from what precedes the title (a known
actor, or a demonym of the lexicon). An indefinite unnamed source ("a Russian official") proposes an unnamed actor
that a later "the official" refers back to. A capitalised name ending in a group word ("Karabakh Liberation Front")
proposes a group. Each new actor's later mentions (a person's surname, a group's name) become Refs too.
"""

import re

from .context import Ref
from .lexicon import Lexicon
from .types import KnownActor, ProposedActor, Span

# A name word is capitalised, may hold capitals (DiCarlo, McCain) and may follow a particle (al-Sisi, van der Leyen).
_NAME_WORD = r"(?:(?:al|el|bin|ibn|de|di|da|van|von|der|du|le)[-\s])?[A-Z][A-Za-zà-ÿ'’-]*[a-zà-ÿ]"
_NAME = _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){0,2}"
_ORGANIZATION_GROUP_WORDS = frozenset({"Council", "Organization", "Organisation", "Committee", "Agency", "Ministry"})


class _Finder:
    """Collects new actors and their Refs, refusing anything a known Ref already covers."""

    def __init__(self, text: str, known: list[Ref], lexicon: Lexicon, actors: list[KnownActor]):
        self.text, self.known, self.lexicon = text, known, lexicon
        self.by_name: dict[str, str] = {}
        for actor in actors:
            for name in (actor.name, *actor.aliases):
                self.by_name.setdefault(name, actor.slug)
        self.actors: dict[str, ProposedActor] = {}
        self.refs: list[Ref] = []

    def covered(self, start: int, end: int) -> bool:
        return any(ref.start < end and start < ref.end for ref in self.known)

    def organization_before(self, pos: int) -> tuple[str | None, int]:
        """The organisation a title belongs to, a known actor or a demonym just before it ("France’s", "French"),
        and where the words naming it start (`pos` when none does)."""
        floor = max(0, pos - 60)
        head = self.text[floor:pos]
        for ref in self.known:
            if ref.end <= pos and re.fullmatch(r"(?:[’']s)?\s+", self.text[ref.end : pos] or "x"):
                return ref.key, ref.start
        if m := re.search(r"([A-Z][\w.]*)\s+$", head):
            name = self.lexicon.demonyms.get(m.group(1))
            slug = self.by_name.get(name) if name else None
            return slug, floor + m.start(1) if slug else pos
        return None, pos

    def organization_in(self, start: int, end: int) -> str | None:
        """The organisation named among the qualifiers of an unnamed source ("a Russian official")."""
        for ref in self.known:
            if start <= ref.start and ref.end <= end:
                return ref.key
        for word in self.text[start:end].split():
            if name := self.lexicon.demonyms.get(word):
                return self.by_name.get(name)
        return None

    def add(
        self,
        name: str,
        kind: str,
        span: tuple[int, int],
        rule: str,
        stated: tuple[int, int] | None = None,
        **affiliation,
    ) -> ProposedActor:
        actor = self.actors.get(name)
        if actor is None:
            actor = self.actors[name] = ProposedActor(name=name, kind=kind, rule=rule, **affiliation)
        actor.spans.append(Span.of(self.text, *span))
        if stated is not None and actor.organization_slug == affiliation.get("organization_slug"):
            actor.affiliation_spans.append(Span.of(self.text, *stated))
        self.refs.append(Ref(span[0], span[1], "new:" + name, kind, via=rule))
        return actor


def _titled_people(finder: _Finder) -> None:
    titles = "|".join(re.escape(title) for title in finder.lexicon.titles)
    pattern = re.compile(r"\b(?P<title>" + titles + r")\s+(?P<name>" + _NAME + r")\b")
    for m in pattern.finditer(finder.text):
        start, end = m.span("name")
        words = set(re.split(r"[\s-]+", m.group("name")))
        if finder.covered(start, end) or words & finder.lexicon.institution_words or words & set(finder.lexicon.titles):
            continue  # "General Assembly", "President Obama Foundation": an institution, not a person
        organization, stated_from = finder.organization_before(m.start("title"))
        finder.add(
            m.group("name"),
            "person",
            (start, end),
            "title-name",
            stated=(stated_from, end),
            affiliation_title=m.group("title"),
            organization_slug=organization,
        )


def _unnamed_sources(finder: _Finder) -> dict[str, tuple[int, str]]:
    """ "a Russian official" -> an unnamed actor; returns the last one introduced per head noun, for "the official"."""
    heads = "|".join(sorted(finder.lexicon.unnamed_heads, key=len, reverse=True))
    pattern = re.compile(
        r"\b[Aa]n?\s+(?P<who>(?:(?:[A-Z][\w.]*|senior|top|military|government)\s+){1,3})(?P<head>" + heads + r")\b"
    )
    latest: dict[str, tuple[int, str]] = {}
    for m in pattern.finditer(finder.text):
        # "a Russian official" is new even though "Russian" is a known adjective; "a US official" as a whole alias
        # is known, and the head noun tells the two apart.
        if finder.covered(m.start("head"), m.end()):
            continue
        who = " ".join(m.group("who").split())
        name = f"{who} {m.group('head')} (anonymous)"
        organization = finder.organization_in(*m.span("who"))
        finder.add(name, "unnamed", m.span(), "unnamed-source", stated=m.span(), organization_slug=organization)
        latest[m.group("head")] = (m.end(), name)
    return latest


def _definite_unnamed(finder: _Finder, introduced: dict[str, tuple[int, str]]) -> None:
    for head, (after, name) in introduced.items():
        for m in re.finditer(r"\b[Tt]he " + re.escape(head) + r"\b", finder.text[after:]):
            start, end = after + m.start(), after + m.end()
            if not finder.covered(start, end):
                finder.refs.append(Ref(start, end, "new:" + name, "unnamed", via="definite-unnamed"))


def _groups(finder: _Finder) -> None:
    heads = "|".join(sorted(finder.lexicon.group_heads, key=len, reverse=True))
    pattern = re.compile(r"\b(?:The\s+)?(?P<name>(?:[A-Z][\w'’-]+\s+){1,4}(?:" + heads + r"))\b")
    for m in pattern.finditer(finder.text):
        start, end = m.span("name")
        if finder.covered(start, end):
            continue
        kind = "organization" if m.group("name").split()[-1] in _ORGANIZATION_GROUP_WORDS else "group"
        finder.add(" ".join(m.group("name").split()), kind, (start, end), "group-name")


def _later_mentions(finder: _Finder) -> None:
    """A new person's surname alone ("Akar said") and a group's full name, wherever else the text uses them."""
    seen = {(ref.start, ref.end) for ref in finder.refs}
    for actor in list(finder.actors.values()):
        if actor.kind == "unnamed":
            continue
        word = actor.name.split()[-1] if actor.kind == "person" else actor.name
        for m in re.finditer(r"\b" + re.escape(word) + r"\b", finder.text):
            inside = any(ref.start <= m.start() < ref.end for ref in finder.refs)
            if (m.start(), m.end()) not in seen and not inside and not finder.covered(*m.span()):
                finder.refs.append(Ref(m.start(), m.end(), "new:" + actor.name, actor.kind, via="new-surname"))


def find_new_actors(
    text: str, known: list[Ref], lexicon: Lexicon, actors: list[KnownActor]
) -> tuple[list[ProposedActor], list[Ref]]:
    """Proposed actors and the Refs that name them, in text order."""
    finder = _Finder(text, known, lexicon, actors)
    _titled_people(finder)
    _definite_unnamed(finder, _unnamed_sources(finder))
    _groups(finder)
    _later_mentions(finder)
    return list(finder.actors.values()), sorted(finder.refs, key=lambda ref: ref.start)
