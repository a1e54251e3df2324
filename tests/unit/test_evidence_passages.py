"""A curator gives only the passage: offsets are found, ambiguity is asked about, absent passages are refused."""

import pytest
from django.core.exceptions import ValidationError

from facts.evidence import find_occurrences, locate_passage
from facts.models import EvidenceSpan
from tests.conftest import make_event

TEXT = (
    "Blinken held a dinner on Sunday. The talks began Monday.\n"
    "“The secretary believes that direct dialogue is key,” Patel added. "
    "The talks were expected to last four days."
)


def messages(exc: ValidationError, field: str = "quote") -> list[str]:
    return exc.message_dict[field]


def test_an_exact_passage_gives_its_offsets():
    start, end = locate_passage(TEXT, "held a dinner on Sunday")
    assert TEXT[start:end] == "held a dinner on Sunday"
    assert start == TEXT.index("held a dinner")


def test_an_ambiguous_passage_asks_which_occurrence_and_names_the_count():
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, "The talks")
    (message,) = messages(exc.value)
    assert "occurs 2 times" in message
    assert "say which occurrence (1 to 2)" in message


def test_the_occurrence_number_picks_that_occurrence():
    first = locate_passage(TEXT, "The talks", occurrence=1)
    second = locate_passage(TEXT, "The talks", occurrence=2)
    assert first[0] == TEXT.index("The talks")
    assert second[0] == TEXT.index("The talks", first[1])
    assert TEXT[second[0] : second[1]] == "The talks"


@pytest.mark.parametrize("occurrence", [0, 3])
def test_an_occurrence_out_of_range_is_refused(occurrence):
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, "The talks", occurrence=occurrence)
    assert messages(exc.value) == [f"Occurrence {occurrence} is out of range: the passage occurs 2 time(s)."]


def test_a_passage_not_in_the_source_is_refused_with_a_message_that_says_so():
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, "Blinken held a lunch")
    assert messages(exc.value) == ["The passage “Blinken held a lunch” does not occur in the source text."]


@pytest.mark.parametrize("passage", ["", "   "])
def test_an_empty_passage_is_refused(passage):
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, passage)
    assert messages(exc.value) == ["Give the passage of the source that supports this fact."]


def test_the_error_is_keyed_by_the_field_the_caller_names():
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, "absent words", field="evidence")
    assert list(exc.value.message_dict) == ["evidence"]


def test_straight_quotes_match_curly_quotes_and_the_exact_source_text_is_returned():
    pasted = '"The secretary believes that direct dialogue is key," Patel added.'
    start, end = locate_passage(TEXT, pasted)
    assert TEXT[start:end] == "“The secretary believes that direct dialogue is key,” Patel added."


def test_a_line_break_or_repeated_spaces_match_a_single_space():
    start, end = locate_passage(TEXT, "The talks began   Monday.\n\n“The  secretary")
    assert TEXT[start:end] == "The talks began Monday.\n“The secretary"


def test_surrounding_whitespace_in_the_pasted_passage_is_ignored():
    start, end = locate_passage(TEXT, "  four days.\n")
    assert TEXT[start:end] == "four days."


def test_exact_matches_are_preferred_over_typographic_ones():
    text = 'He said "yes" and then “yes”.'
    assert find_occurrences(text, '"yes"') == [(8, 13)]


@pytest.mark.django_db
class TestEvidenceSpanFromPassageAlone:
    def test_full_clean_fills_the_offsets_and_stores_the_exact_source_text(self, source):
        event = make_event(source, "The United States hosted negotiations")
        span = EvidenceSpan(source=source, event=event, quote='"The secretary believes that direct dialogue')
        span.full_clean()
        assert (span.start, span.end) == (
            source.text.index("“The secretary"),
            source.text.index("“The secretary") + len("“The secretary believes that direct dialogue"),
        )
        assert span.quote == source.text[span.start : span.end] == "“The secretary believes that direct dialogue"

    def test_full_clean_with_an_occurrence_picks_that_occurrence(self, source):
        event = make_event(source, "The United States hosted negotiations")
        positions = [i for i in range(len(source.text)) if source.text.startswith("Blinken", i)]
        assert len(positions) > 1
        span = EvidenceSpan(source=source, event=event, quote="Blinken")
        span.occurrence = 2
        span.full_clean()
        assert span.start == positions[1]

    def test_full_clean_refuses_an_ambiguous_passage_on_the_quote_field(self, source):
        event = make_event(source, "The United States hosted negotiations")
        span = EvidenceSpan(source=source, event=event, quote="Blinken")
        with pytest.raises(ValidationError) as exc:
            span.full_clean()
        assert "say which occurrence" in exc.value.message_dict["quote"][0]

    def test_full_clean_refuses_a_passage_not_in_the_source_on_the_quote_field(self, source):
        event = make_event(source, "The United States hosted negotiations")
        span = EvidenceSpan(source=source, event=event, quote="Russia hosted the talks")
        with pytest.raises(ValidationError) as exc:
            span.full_clean()
        assert exc.value.message_dict["quote"] == [
            "The passage “Russia hosted the talks” does not occur in the source text."
        ]


# The search is linear: a canonical form with str.find instead of a regex that backtracked. These cases hold it to
# the regex's answers (the specification below) on texts made of the characters where the two could differ. The
# regex once gave only the straight and curly quotes and the hyphen and two dashes their groups; now every member
# of a group stands for the others (a pasted « matches a stored ", as a pasted " matched a stored «).

_GROUPS = ('"“”„«»', "'‘’‚`", "-‐‑–—")


def regex_occurrences(text: str, passage: str) -> list[tuple[int, int]]:
    """The tolerance as a regex: any white space run for one, any character of a group for another of it."""
    import re

    passage = passage.strip()
    if not passage:
        return []
    exact = [(m.start(), m.end()) for m in re.finditer(re.escape(passage), text)]
    if exact:
        return exact
    parts = []
    for token in re.split(r"(\s+)", passage):
        if token.isspace():
            parts.append(r"\s+")
        elif token:
            for char in token:
                group = next((g for g in _GROUPS if char in g), None)
                parts.append("[" + re.escape(group) + "]" if group else re.escape(char))
    return [(m.start(), m.end()) for m in re.finditer("".join(parts), text)]


def test_the_linear_search_finds_what_the_regex_finds_on_random_texts():
    import random

    alphabet = ["a", "b", " ", "  ", "\n", "\t", "\u00a0", "\u3000", '"', "“", "”", "«", "'", "’", "`", "-", "—", "–"]
    rng = random.Random(20230501)
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.7 and text:
            start = rng.randrange(len(text))
            passage = text[start : start + rng.randint(1, 12)]
            passage = "".join(
                rng.choice(next((g for g in _GROUPS if c in g), c)) if rng.random() < 0.5 else c for c in passage
            )  # typographic variants of a real passage
            passage = passage.replace(" ", rng.choice([" ", "  ", "\n", "\r\n"]))
        else:
            passage = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        assert find_occurrences(text, passage) == regex_occurrences(text, passage), (text, passage)
        checked += bool(find_occurrences(text, passage))
    assert checked > 1000  # most cases found something to compare


def test_offsets_are_mapped_back_across_collapsed_white_space():
    text = "one  two\n\n\nthree \t four—five   six"
    assert locate_passage(text, "two three four-five six") == (5, len(text))
    assert locate_passage(text, "three four") == (text.index("three"), text.index("four") + 4)
    assert find_occurrences(text, "o") == [(i, i + 1) for i, char in enumerate(text) if char == "o"]
    assert find_occurrences(text, "two\nthree") == [(5, text.index("three") + 5)]  # no exact match: the tolerant one


def test_every_character_python_counts_as_white_space_is_tolerated():
    import sys

    from facts.evidence import WHITESPACE

    assert set(WHITESPACE) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    for space in WHITESPACE:
        text = f"peace{space}talks"
        assert locate_passage(text, "peace talks") == (0, len(text))


def test_a_passage_occurring_a_million_times_is_counted_and_picked_without_listing_them():
    import time

    text = "ab " * 1_000_000
    started = time.process_time()
    with pytest.raises(ValidationError) as exc:
        locate_passage(text, "ab")
    assert "occurs 1000000 times" in messages(exc.value)[0]
    assert locate_passage(text, "ab", occurrence=1000) == (2997, 2999)
    assert time.process_time() - started < 1.0


def test_guillemets_and_other_variants_match_either_way():
    text = "He called it «historic» and a first‐step."
    assert locate_passage(text, '"historic"') == (13, 23)
    assert locate_passage('a "b" c', "a «b» c") == (0, 7)
    assert locate_passage(text, "first-step") == (text.index("first"), len(text) - 1)
