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
    assert TEXT[second[0]:second[1]] == "The talks"


@pytest.mark.parametrize("occurrence", [0, 3])
def test_an_occurrence_out_of_range_is_refused(occurrence):
    with pytest.raises(ValidationError) as exc:
        locate_passage(TEXT, "The talks", occurrence=occurrence)
    assert messages(exc.value) == [
        f"Occurrence {occurrence} is out of range: the passage occurs 2 time(s)."
    ]


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
    text = "He said \"yes\" and then “yes”."
    assert find_occurrences(text, '"yes"') == [(8, 13)]


@pytest.mark.django_db
class TestEvidenceSpanFromPassageAlone:
    def test_full_clean_fills_the_offsets_and_stores_the_exact_source_text(self, source):
        event = make_event(source, "The United States hosted negotiations")
        span = EvidenceSpan(source=source, event=event, quote="\"The secretary believes that direct dialogue")
        span.full_clean()
        assert (span.start, span.end) == (
            source.text.index("“The secretary"),
            source.text.index("“The secretary") + len("“The secretary believes that direct dialogue"),
        )
        assert span.quote == source.text[span.start:span.end] == "“The secretary believes that direct dialogue"

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
