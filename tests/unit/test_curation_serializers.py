"""Write serializers apply the model's rules (full_clean) and report problems per field, nested ones by position."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIRequestFactory

from facts.api.curation import WriteSerializerMixin
from facts.api.write_serializers import (
    EventWriteSerializer,
    EvidenceInputSerializer,
    PlaceWriteSerializer,
    SourceWriteSerializer,
    StatementWriteSerializer,
    drf_detail,
)
from facts.models import Actor, Place, Source, Statement
from tests.conftest import make_actor, make_event, make_event_type, make_place

PATEL = "said State Department spokesman Vedant Patel"
PATEL_WORDS = "The US is pleased to be hosting Foreign Minister Mirzoya of Armenia"
HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"

pytestmark = pytest.mark.django_db


def context_for(user=None):
    request = APIRequestFactory().post("/")
    request.user = user
    return {"request": request}


def test_evidence_by_source_slug_or_id_and_by_offsets(source):
    start = source.text.index(PATEL)
    for given in (
        {"source": source.slug, "quote": PATEL},
        {"source": source.pk, "quote": PATEL},
        {"source": str(source.pk), "start": start, "end": start + len(PATEL)},
    ):
        serializer = EvidenceInputSerializer(data=given)
        assert serializer.is_valid(), serializer.errors
        assert serializer.validated_data["source"] == source


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"source": "no-such-source", "quote": "x"}, "source", "No source with id or slug “no-such-source”."),
        ({"source": True, "quote": "x"}, "source", "Give the source's id (a number) or slug (a string), not bool."),
        ({"start": 3}, "end", "Give both start and end, or neither."),
        ({"start": 3, "end": 9, "occurrence": 2}, "occurrence", "Give either offsets or an occurrence, not both."),
        ({"quote": "  "}, "quote", "Give the passage of the source that supports this fact."),
        ({"start": 0, "end": 10**6}, "end", "The source text has only"),
    ],
)
def test_evidence_input_errors_name_the_field(source, given, field, message):
    serializer = EvidenceInputSerializer(data={"source": source.pk, **given})
    assert not serializer.is_valid()
    assert str(serializer.errors[field][0]).startswith(message)


def test_statement_serializer_writes_about_links_by_slug(source):
    patel, armenia = make_actor("Vedant Patel", slug="vedant-patel"), make_actor("Armenia", slug="armenia")
    place = make_place("Washington", slug="washington")
    talks = make_event(source, HOSTED)
    user = get_user_model().objects.create_user("curator")
    serializer = StatementWriteSerializer(
        data={
            "speaker": "vedant-patel",
            "text": "The US is pleased to be hosting",
            "kind": "quote",
            "event": talks.pk,
            "about_actors": ["armenia"],
            "about_places": ["washington"],
            "about_events": [talks.pk],
            "evidence": [{"source": source.slug, "quote": PATEL_WORDS}],
            "reason": "Spokesman",
        },
        context=context_for(user),
    )
    assert serializer.is_valid(), serializer.errors
    statement = serializer.save()
    assert (statement.speaker, list(statement.about_actors.all()), list(statement.about_places.all())) == (
        patel,
        [armenia],
        [place],
    )
    assert statement.history.filter(history_user=user, history_change_reason="Spokesman").exists()


def test_statement_serializer_reports_model_and_nested_errors_together(source):
    make_actor("Vedant Patel", slug="vedant-patel")
    serializer = StatementWriteSerializer(
        data={
            "speaker": "vedant-patel",
            "text": "   ",
            "kind": "quote",
            "evidence": [{"source": source.pk, "quote": PATEL}, {"source": source.pk, "quote": "Armenia"}],
        }
    )
    assert serializer.is_valid(), serializer.errors
    with pytest.raises(ValidationError) as raised:
        serializer.save()
    detail = raised.value.detail
    assert "This field cannot be blank." in detail["text"]
    assert list(detail["evidence"]) == [1] and "occurs" in detail["evidence"][1]["quote"][0]
    assert not Statement.objects.exists()


def test_patch_keeps_nested_parts_that_are_not_given(source):
    make_actor("Armenia", slug="armenia")
    make_event_type()
    serializer = EventWriteSerializer(
        data={
            "title": "Talks",
            "event_type": "043",
            "participants": [{"actor": "armenia", "role": "party"}],
            "evidence": [{"source": source.pk, "quote": HOSTED}],
        }
    )
    assert serializer.is_valid(), serializer.errors
    event = serializer.save()
    patch = EventWriteSerializer(event, data={"status": "reviewed"}, partial=True)
    assert patch.is_valid(), patch.errors
    patch.save()
    event.refresh_from_db()
    assert event.status == "reviewed" and event.participants.count() == 1 and event.evidence.count() == 1


def test_source_text_with_evidence_cannot_change(source):
    make_event(source, HOSTED)
    serializer = SourceWriteSerializer(source, data={"text": source.text + " (corrected)"}, partial=True)
    assert not serializer.is_valid()
    assert "1 evidence span(s) point into this text" in serializer.errors["text"][0]
    assert Source.objects.get().text == source.text


def test_source_text_is_stored_without_trimming_and_duplicates_are_refused():
    data = {"slug": "a", "title": "A", "published": "2023-05-01", "text": "  Exact text\r\n"}
    serializer = SourceWriteSerializer(data=data)
    assert serializer.is_valid(), serializer.errors
    assert serializer.save().text == "  Exact text\n"  # white space kept; line ends in the one stored form
    duplicate = SourceWriteSerializer(data={**data, "slug": "b"})
    assert not duplicate.is_valid()
    assert "A source with exactly this text is already stored." in str(duplicate.errors)


def test_place_serializer_runs_model_clean():
    make_place("Azerbaijan", slug="azerbaijan", kind="country")
    serializer = PlaceWriteSerializer(
        data={
            "slug": "lachin",
            "name": "Lachin Corridor",
            "kind": "corridor",
            "parent": "azerbaijan",
            "latitude": "39.6",
        }
    )
    assert not serializer.is_valid()
    assert serializer.errors["longitude"] == ["Give both latitude and longitude, or neither."]
    assert not Place.objects.filter(slug="lachin").exists()


def test_refused_update_leaves_the_instance_untouched():
    place = make_place("Lachin", slug="lachin", kind="corridor")
    serializer = PlaceWriteSerializer(place, data={"latitude": "39.6"}, partial=True)
    assert not serializer.is_valid()
    assert place.latitude is None


def test_reason_is_limited_to_what_history_stores():
    serializer = PlaceWriteSerializer(data={"slug": "x", "name": "X", "kind": "city", "reason": "r" * 101})
    assert not serializer.is_valid()
    assert "reason" in serializer.errors


def test_drf_detail_uses_drf_shapes():
    assert drf_detail({"__all__": ["x"], "participants": [{}, {"actor": ["y"]}], "evidence": ["z"]}) == {
        "non_field_errors": ["x"],
        "participants": {1: {"actor": ["y"]}},
        "evidence": ["z"],
    }


def test_write_serializer_mixin_picks_the_serializer_by_action():
    class Base:
        serializer_class = "read"

        def get_serializer_class(self):
            return self.serializer_class

    class View(WriteSerializerMixin, Base):
        queryset = Actor.objects.all()

    view = View()
    for action, expected in (
        ("list", "read"),
        ("retrieve", "read"),
        ("create", "ActorWriteSerializer"),
        ("partial_update", "ActorWriteSerializer"),
    ):
        view.action = action
        chosen = view.get_serializer_class()
        assert getattr(chosen, "__name__", chosen) == expected
