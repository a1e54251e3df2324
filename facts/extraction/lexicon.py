"""The lexicon the engine reads: reporting verbs to CAMEO codes, speech verbs, titles and demonyms, kept as data.

The data lives in lexicon.json next to this module so that a curator can extend coverage without touching code;
this module only compiles it into regular expressions once per process.
"""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LEXICON_PATH = Path(__file__).with_name("lexicon.json")


@dataclass(frozen=True)
class Trigger:
    """One lexicon entry compiled: a pattern over a sentence and the event it proposes."""

    pattern: re.Pattern
    code: str
    subject_role: str
    object_role: str | None
    alone_role: str
    name: str
    needs_object: bool = False
    object_place: bool = False
    verb: bool = False


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon; build it with `load_lexicon()`."""

    triggers: tuple[Trigger, ...]
    speech_verbs: frozenset[str]
    person_pronouns: frozenset[str]
    thing_pronouns: frozenset[str]
    titles: tuple[str, ...]
    unnamed_heads: frozenset[str]
    group_heads: frozenset[str]
    institution_words: frozenset[str]
    pair_nouns: tuple[str, ...]
    demonyms: dict[str, str] = field(default_factory=dict)


def inflections(verb: str) -> list[str]:
    """Regular English forms of a verb: base, -s, -ed, -ing (irregular verbs list their forms in the data)."""
    if verb.endswith("e"):
        return [verb, verb + "s", verb + "d", verb[:-1] + "ing"]
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return [verb, verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"]
    if verb.endswith(("s", "sh", "ch", "x")):
        return [verb, verb + "es", verb + "ed", verb + "ing"]
    return [verb, verb + "s", verb + "ed", verb + "ing"]


def _either_case(word: str) -> str:
    # A trigger may open a sentence or a headline ("Hosts"), so its first letter matches in either case.
    head = word[0]
    return f"[{head.lower()}{head.upper()}]{re.escape(word[1:])}" if head.isalpha() else re.escape(word)


def _trigger_pattern(entry: dict) -> re.Pattern:
    words = entry["trigger"].split()
    forms = entry.get("forms") or (inflections(words[0]) if entry.get("pos") == "verb" else [words[0]])
    parts = ["(?:" + "|".join(_either_case(form) for form in sorted(forms, key=len, reverse=True)) + ")"]
    for word in words[1:]:
        # "..." lets a few words stand between the parts ("spoke Sunday with", "agreed to a ceasefire").
        parts.append(r"(?:\s+\S+){0,3}?" if word == "..." else r"\s+" + re.escape(word))
    pattern = r"\b" + "".join(parts) + r"\b"
    if refused := entry.get("not_followed_by"):
        pattern += r"(?!\s+(?:" + "|".join(map(re.escape, refused)) + r")\b)"
    return re.compile(pattern)


def _trigger(entry: dict) -> Trigger:
    return Trigger(
        pattern=_trigger_pattern(entry),
        code=entry["code"],
        subject_role=entry["subject"],
        object_role=entry["object"],
        alone_role=entry.get("alone", entry["subject"]),
        needs_object=entry.get("needs_object", False),
        object_place=entry.get("object_place", False),
        verb=entry.get("pos") == "verb",
        name=entry["trigger"],
    )


def lexicon_from_data(data: dict) -> Lexicon:
    """Compile lexicon data (the structure of lexicon.json) into a Lexicon."""
    return Lexicon(
        triggers=tuple(_trigger(entry) for entry in data["events"]),
        speech_verbs=frozenset(data["speech_verbs"]),
        person_pronouns=frozenset(data["pronouns"]["person"]),
        thing_pronouns=frozenset(data["pronouns"]["thing"]),
        titles=tuple(sorted(data["titles"], key=len, reverse=True)),
        unnamed_heads=frozenset(data["unnamed_heads"]),
        group_heads=frozenset(data["group_heads"]),
        institution_words=frozenset(data["institution_words"]) | frozenset(data["group_heads"]),
        pair_nouns=tuple(data["pair_nouns"]),
        demonyms=dict(data["demonyms"]),
    )


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The packaged lexicon.json, compiled once per process."""
    return lexicon_from_data(json.loads(LEXICON_PATH.read_text(encoding="utf-8")))
