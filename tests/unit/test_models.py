"""Model invariants: each Meta constraint and clean() rule, through full_clean() and, where the database enforces
it, through a direct write that the database refuses."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from facts.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    ParticipantRole,
    Place,
    PlaceKind,
    Relation,
    RelationType,
    Source,
    Statement,
    StatementKind,
)
from tests.conftest import make_actor, make_event, make_event_type, make_place, make_relation, make_source

pytestmark = pytest.mark.django_db

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"


def errors_of(obj, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        obj.full_clean(**kwargs)
    return exc.value.message_dict


def assert_refused_by_database(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


@pytest.fixture
def armenia(db):
    return make_actor("Armenia", ActorKind.STATE, country_code="AM")


@pytest.fixture
def azerbaijan(db):
    return make_actor("Azerbaijan", ActorKind.STATE, country_code="AZ")


@pytest.fixture
def blinken(db):
    return make_actor("Antony Blinken", ActorKind.PERSON)


@pytest.fixture
def event(source):
    return make_event(
        source,
        HOSTED,
        title="US hosts Armenia-Azerbaijan talks",
        date_text="on Monday",
        date_start=date(2023, 5, 1),
        date_end=date(2023, 5, 1),
        date_precision="day",
    )


# --- Date intervals ----------------------------------------------------------------------------------------------


class TestDateInterval:
    def test_earliest_after_latest_is_refused(self, event):
        event.date_start, event.date_end = date(2023, 5, 2), date(2023, 5, 1)
        assert errors_of(event)[NON_FIELD_ERRORS] == ["The earliest date must not be after the latest date."]

    def test_earliest_after_latest_is_refused_by_the_database(self, event):
        assert_refused_by_database(
            lambda: Event.objects.filter(pk=event.pk).update(date_start=date(2023, 5, 2), date_end=date(2023, 5, 1))
        )

    FITS_BOUNDS = (
        "An undated fact has no precision; an interval with both bounds has a precision other than “open”; "
        "an interval with one unknown bound has precision “open”."
    )

    @pytest.mark.parametrize("given", ["date_start", "date_end"])
    def test_one_unknown_bound_needs_the_open_precision(self, event, given):
        # An unknown bound stays open (NULL), never guessed; the precision must then say "open".
        setattr(event, "date_end" if given == "date_start" else "date_start", None)
        assert errors_of(event) == {
            "date_precision": ["An interval with an unknown (open) bound has precision “open”."]
        }
        # full_clean() skips the constraints on a field clean() refused; checked alone, the constraint refuses it too.
        with pytest.raises(ValidationError) as refused:
            event.validate_constraints()
        assert refused.value.message_dict[NON_FIELD_ERRORS] == [self.FITS_BOUNDS]
        event.date_precision = "open"
        event.full_clean()

    def test_one_unknown_bound_without_the_open_precision_is_refused_by_the_database(self, event):
        assert_refused_by_database(lambda: Event.objects.filter(pk=event.pk).update(date_end=None))
        Event.objects.filter(pk=event.pk).update(date_start=None, date_precision="open")  # an open start is stored

    def test_open_is_refused_with_both_bounds_and_any_precision_without_a_date(self, event):
        event.date_precision = "open"
        assert errors_of(event) == {
            "date_precision": ["Both bounds are known, so the precision is not “open”: give “day” (or “range”)."]
        }
        with pytest.raises(ValidationError) as refused:
            event.validate_constraints()
        assert refused.value.message_dict[NON_FIELD_ERRORS] == [self.FITS_BOUNDS]
        assert_refused_by_database(lambda: Event.objects.filter(pk=event.pk).update(date_precision="open"))
        event.date_text, event.date_start, event.date_end, event.date_precision = "", None, None, "day"
        assert errors_of(event)[NON_FIELD_ERRORS] == [self.FITS_BOUNDS]
        assert_refused_by_database(
            lambda: Event.objects.filter(pk=event.pk).update(date_start=None, date_end=None, date_precision="day")
        )

    @pytest.mark.parametrize(
        "start, end, precision",
        [
            (date(2020, 1, 1), date(2023, 5, 1), "year"),
            (date(2023, 4, 30), date(2023, 5, 1), "day"),
            (date(2023, 4, 1), date(2023, 5, 31), "month"),
        ],
    )
    def test_the_precision_must_describe_the_bounds(self, event, start, end, precision):
        event.date_start, event.date_end, event.date_precision = start, end, precision
        assert "is not one" in errors_of(event)["date_precision"][0]
        event.date_precision = "range"  # two known bounds, no single unit
        event.full_clean()

    def test_a_resolved_date_needs_a_precision(self, event):
        event.date_precision = ""
        assert errors_of(event)["date_precision"] == ["A resolved date needs a precision."]

    def test_no_dates_at_all_is_allowed(self, event):
        event.date_text, event.date_start, event.date_end, event.date_precision = "", None, None, ""
        event.full_clean()

    def test_relations_and_affiliations_and_statements_share_the_interval_rules(self, source, armenia, azerbaijan):
        relation = make_relation(source, "The two sides have gone to war twice", armenia, azerbaijan)
        relation.date_start, relation.date_end, relation.date_precision = date(2021, 1, 1), date(2020, 1, 1), "year"
        assert errors_of(relation)[NON_FIELD_ERRORS] == ["The earliest date must not be after the latest date."]
        assert_refused_by_database(lambda: Relation.objects.filter(pk=relation.pk).update(date_start=date(2020, 1, 1)))
        assert_refused_by_database(
            lambda: Statement.objects.create(
                speaker=armenia, text="x", kind=StatementKind.PARAPHRASE, date_end=date(2020, 1, 1)
            )
        )


# --- Places ------------------------------------------------------------------------------------------------------


class TestPlace:
    def test_latitude_without_longitude_is_refused(self, db):
        place = Place(name="Stepanakert", slug="stepanakert", kind=PlaceKind.CITY, latitude=Decimal("39.8"))
        assert errors_of(place)["longitude"] == ["Give both latitude and longitude, or neither."]

    @pytest.mark.parametrize("lat, lon", [("95", "46"), ("39", "-181")])
    def test_coordinates_out_of_range_are_refused(self, db, lat, lon):
        place = Place(
            name="Nowhere", slug="nowhere", kind=PlaceKind.CITY, latitude=Decimal(lat), longitude=Decimal(lon)
        )
        assert errors_of(place)[NON_FIELD_ERRORS] == [
            "Give both latitude (-90..90) and longitude (-180..180), or neither."
        ]

    def test_coordinates_out_of_range_are_refused_by_the_database(self, db):
        assert_refused_by_database(
            lambda: Place.objects.create(name="Nowhere", slug="nowhere", kind="city", latitude=95, longitude=46)
        )

    def test_latitude_without_longitude_is_refused_by_the_database(self, db):
        assert_refused_by_database(lambda: Place.objects.create(name="Half", slug="half", kind="city", latitude=39))

    def test_valid_coordinates_are_accepted(self, db):
        place = Place(
            name="Yerevan",
            slug="yerevan",
            kind=PlaceKind.CITY,
            latitude=Decimal("40.18111"),
            longitude=Decimal("44.51361"),
        )
        place.full_clean()

    @pytest.mark.parametrize("code", ["am", "A1", "a "])
    def test_a_country_code_must_be_two_capital_letters(self, db, code):
        place = Place(name="Armenia", slug="armenia", kind=PlaceKind.COUNTRY, country_code=code)
        assert errors_of(place)[NON_FIELD_ERRORS] == [
            "The country code must be two capital letters (ISO 3166-1 alpha-2)."
        ]

    def test_a_three_letter_country_code_is_refused_on_its_field(self, db):
        place = Place(name="Armenia", slug="armenia", kind=PlaceKind.COUNTRY, country_code="ARM")
        assert errors_of(place)["country_code"] == ["Ensure this value has at most 2 characters (it has 3)."]

    def test_a_lowercase_country_code_is_refused_by_the_database(self, db):
        assert_refused_by_database(
            lambda: Place.objects.create(name="Armenia", slug="armenia", kind="country", country_code="am")
        )

    def test_a_place_cannot_be_its_own_parent(self, db):
        place = make_place("Lachin Corridor", PlaceKind.CORRIDOR)
        place.parent = place
        assert errors_of(place)["parent"] == ["This parent would make the place its own ancestor."]
        assert_refused_by_database(lambda: Place.objects.filter(pk=place.pk).update(parent=place))

    def test_a_parent_cycle_through_another_place_is_refused(self, db):
        region = make_place("South Caucasus", PlaceKind.REGION)
        country = make_place("Azerbaijan", PlaceKind.COUNTRY, parent=region)
        enclave = make_place("Nagorno-Karabakh", PlaceKind.ENCLAVE, parent=country)
        region.parent = enclave
        assert errors_of(region)["parent"] == ["This parent would make the place its own ancestor."]

    def test_ancestors_lists_the_parent_chain_nearest_first(self, db):
        region = make_place("South Caucasus", PlaceKind.REGION)
        country = make_place("Azerbaijan", PlaceKind.COUNTRY, parent=region)
        enclave = make_place("Nagorno-Karabakh", PlaceKind.ENCLAVE, parent=country)
        assert enclave.ancestors() == [country, region]

    def test_slugs_are_unique(self, db):
        make_place("Yerevan", slug="yerevan")
        duplicate = Place(name="Yerevan again", slug="yerevan", kind=PlaceKind.CITY)
        assert errors_of(duplicate)["slug"] == ["Place with this Slug already exists."]
        assert_refused_by_database(lambda: Place.objects.create(name="Y", slug="yerevan", kind="city"))


# --- Actors, aliases, affiliations -------------------------------------------------------------------------------


class TestActor:
    def test_a_state_needs_its_iso_code(self, db):
        state = Actor(name="Armenia", slug="armenia", kind=ActorKind.STATE)
        assert errors_of(state)["country_code"] == ["A state needs its ISO 3166-1 alpha-2 code."]

    def test_a_person_needs_no_iso_code(self, db):
        Actor(name="Vedant Patel", slug="vedant-patel", kind=ActorKind.PERSON).full_clean()

    @pytest.mark.parametrize("code", ["am", "1A"])
    def test_an_iso_code_must_be_two_capital_letters(self, db, code):
        actor = Actor(name="Armenia", slug="armenia", kind=ActorKind.STATE, country_code=code)
        assert errors_of(actor)[NON_FIELD_ERRORS] == [
            "The country code must be two capital letters (ISO 3166-1 alpha-2)."
        ]

    def test_a_three_letter_iso_code_is_refused_on_its_field(self, db):
        actor = Actor(name="Armenia", slug="armenia", kind=ActorKind.STATE, country_code="ARM")
        assert errors_of(actor)["country_code"] == ["Ensure this value has at most 2 characters (it has 3)."]

    def test_a_malformed_iso_code_is_refused_by_the_database(self, db):
        assert_refused_by_database(
            lambda: Actor.objects.create(name="Armenia", slug="armenia", kind="state", country_code="am")
        )

    def test_slugs_are_unique(self, armenia):
        duplicate = Actor(name="Republic of Armenia", slug=armenia.slug, kind=ActorKind.STATE, country_code="AM")
        assert errors_of(duplicate)["slug"] == ["Actor with this Slug already exists."]
        assert_refused_by_database(
            lambda: Actor.objects.create(name="Again", slug=armenia.slug, kind="state", country_code="AM")
        )

    def test_unknown_field_names_in_external_are_refused(self, armenia):
        armenia.external = {"country_code": "ISO 3166-1", "flag": "somewhere"}
        assert errors_of(armenia)["external"] == ["Unknown field name(s): flag."]

    def test_external_must_be_a_mapping(self, armenia):
        armenia.external = ["country_code"]
        assert errors_of(armenia)["external"] == ["Must be an object mapping field names to the origin of their value."]

    def test_an_alias_is_recorded_once_per_actor(self, armenia):
        ActorAlias.objects.create(actor=armenia, name="Yerevan", kind="metonym")
        duplicate = ActorAlias(actor=armenia, name="Yerevan", kind="metonym")
        assert errors_of(duplicate)[NON_FIELD_ERRORS] == ["This actor already has this alias."]
        assert_refused_by_database(lambda: ActorAlias.objects.create(actor=armenia, name="Yerevan"))

    def test_an_alias_cites_a_passage_holding_it_or_is_marked_external(self, armenia):
        alias = ActorAlias(actor=armenia, name="Yerevan", kind="metonym")
        assert "Cite a passage where a source uses the alias “Yerevan”" in alias.support_refused([])
        assert alias.support_refused(["an angry response from Yerevan."]) is None
        assert alias.support_refused(["an angry response from “yerevan”"]) is None  # case and quotes aside
        assert alias.support_refused(["an angry response from Baku"]) == (
            "Each passage cited for the alias “Yerevan” must contain it."
        )
        canonical = ActorAlias(actor=armenia, name="Republic of Armenia", external={"name": "canonical name"})
        assert canonical.support_refused([]) is None and not canonical.needs_evidence()

    def test_the_last_span_of_an_alias_cannot_go_unless_the_alias_is_external(self, source, armenia):
        alias = ActorAlias.objects.create(actor=armenia, name="Armenia", kind="name")
        span = EvidenceSpan(source=source, quote="Armenia views the move", alias=alias)
        span.full_clean()
        span.save()
        with pytest.raises(ValidationError, match="Every fact needs at least one evidence span"):
            span.delete()
        ActorAlias.objects.filter(pk=alias.pk).update(external={"name": "canonical name"})
        span.delete()
        assert not alias.evidence.exists()

    def test_the_same_alias_may_name_two_actors(self, armenia, azerbaijan):
        ActorAlias.objects.create(actor=armenia, name="the two sides")
        ActorAlias(actor=azerbaijan, name="the two sides").full_clean()


class TestAffiliation:
    def test_a_state_is_no_ones_member(self, armenia, azerbaijan):
        affiliation = Affiliation(person=armenia, organization=azerbaijan, role_title="ally")
        assert errors_of(affiliation)["person"] == [
            "A member is a person, an unnamed source, or an organization or group (part of a state or of another "
            "organization); a state is no one's member."
        ]

    def test_an_organization_or_group_can_be_part_of_a_state_or_another_organization(self, db):
        us = make_actor("United States", ActorKind.STATE, country_code="US")
        department = make_actor("State Department", ActorKind.ORGANIZATION)
        bureau = make_actor("Bureau of European Affairs", ActorKind.GROUP)
        Affiliation(person=department, organization=us).full_clean()
        Affiliation.objects.create(person=department, organization=us)
        Affiliation(person=bureau, organization=department, role_title="bureau").full_clean()

    def test_a_link_that_would_close_a_cycle_is_refused_on_every_path(self, db):
        ministry = make_actor("Ministry", ActorKind.ORGANIZATION)
        department = make_actor("Department", ActorKind.ORGANIZATION)
        office = make_actor("Office", ActorKind.ORGANIZATION)
        Affiliation.objects.create(person=office, organization=department)
        Affiliation.objects.create(person=department, organization=ministry)
        closing = Affiliation(person=ministry, organization=office)
        message = (
            "This link would make the member part of itself: the organization already belongs, directly or "
            "through others, to the member."
        )
        assert errors_of(closing)["organization"] == [message]
        with pytest.raises(ValidationError, match="part of itself"):
            closing.save()  # save() holds the rule for writes that skip clean()
        assert not Affiliation.objects.filter(person=ministry).exists()
        # Re-pointing the existing link is judged without the link it replaces.
        link = Affiliation.objects.get(person=department)
        link.organization = office
        assert errors_of(link)["organization"] == [message]

    def test_a_link_from_outside_knowledge_is_marked_external_and_needs_no_evidence(self, db):
        us = make_actor("United States", ActorKind.STATE, country_code="US")
        department = make_actor("State Department", ActorKind.ORGANIZATION)
        link = Affiliation(person=department, organization=us, external={"organization": "outside knowledge"})
        link.full_clean()
        assert not link.needs_evidence()
        assert Affiliation(person=department, organization=us).needs_evidence()

    def test_an_affiliation_is_to_a_state_organization_or_group(self, blinken):
        patel = make_actor("Vedant Patel")
        affiliation = Affiliation(person=patel, organization=blinken, role_title="aide")
        assert errors_of(affiliation)["organization"] == ["An affiliation must be to a state, organization or group."]

    def test_an_unnamed_source_can_hold_an_affiliation(self, db):
        official = make_actor("a US official", ActorKind.UNNAMED)
        us = make_actor("United States", ActorKind.STATE, country_code="US")
        Affiliation(person=official, organization=us, role_title="official").full_clean()

    def test_an_actor_cannot_be_affiliated_with_itself(self, blinken):
        affiliation = Affiliation(person=blinken, organization=blinken)
        # The kind rule already names the bad field; the database constraint is the backstop for direct writes.
        assert errors_of(affiliation)["organization"] == ["An affiliation must be to a state, organization or group."]
        assert_refused_by_database(lambda: Affiliation.objects.create(person=blinken, organization=blinken))

    def test_an_affiliation_is_recorded_once(self, blinken):
        us = make_actor("United States", ActorKind.STATE, country_code="US")
        Affiliation.objects.create(person=blinken, organization=us, role_title="Secretary of State")
        duplicate = Affiliation(person=blinken, organization=us, role_title="Secretary of State")
        assert errors_of(duplicate)[NON_FIELD_ERRORS] == ["This affiliation is already recorded."]
        assert_refused_by_database(
            lambda: Affiliation.objects.create(person=blinken, organization=us, role_title="Secretary of State")
        )


# --- Events, participants, statements, relations -----------------------------------------------------------------


class TestEvent:
    def test_an_event_cannot_be_part_of_itself(self, event):
        event.parent = event
        assert errors_of(event)["parent"] == ["This parent would make the event part of itself."]
        assert_refused_by_database(lambda: Event.objects.filter(pk=event.pk).update(parent=event))

    def test_a_parent_cycle_through_another_event_is_refused(self, source, event):
        dinner = make_event(source, "held a dinner", title="Dinner", parent=event)
        event.parent = dinner
        assert errors_of(event)["parent"] == ["This parent would make the event part of itself."]

    def test_an_event_may_be_part_of_a_larger_event(self, source, event):
        dinner = make_event(source, "held a dinner", title="Dinner")
        dinner.parent = event
        dinner.full_clean()

    def test_a_cameo_code_is_two_to_four_digits(self, db):
        assert errors_of(EventType(code="4a", label="Bad"))[NON_FIELD_ERRORS] == ["A CAMEO code is 2 to 4 digits."]
        assert_refused_by_database(lambda: EventType.objects.create(code="x", label="Bad"))


class TestParticipant:
    def test_an_actor_has_one_role_per_event(self, event, armenia):
        Participant.objects.create(event=event, actor=armenia, role=ParticipantRole.PARTY)
        second = Participant(event=event, actor=armenia, role=ParticipantRole.GUEST)
        assert errors_of(second)[NON_FIELD_ERRORS] == ["This actor already has a role in this event."]
        assert_refused_by_database(
            lambda: Participant.objects.create(event=event, actor=armenia, role=ParticipantRole.GUEST)
        )

    def test_a_participant_copies_its_events_dates(self, event, armenia):
        Event.objects.filter(pk=event.pk).update(
            date_start=date(2023, 4, 30), date_end=date(2023, 4, 30), date_precision="day"
        )
        event.refresh_from_db()
        participant = Participant.objects.create(event=event, actor=armenia, role=ParticipantRole.PARTY)
        participant.refresh_from_db()
        assert (participant.event_date_start, participant.event_date_end) == (date(2023, 4, 30), date(2023, 4, 30))

    def test_a_participant_copies_its_events_type(self, event, armenia):
        participant = Participant.objects.create(event=event, actor=armenia, role=ParticipantRole.PARTY)
        participant.refresh_from_db()
        assert participant.event_type_code == event.event_type_id == "043"

    def test_a_new_event_type_reaches_the_participants_copies(self, event, armenia, azerbaijan):
        for actor in (armenia, azerbaijan):
            Participant.objects.create(event=event, actor=actor, role=ParticipantRole.PARTY)
        event.event_type = make_event_type("046", "Engage in negotiation")
        event.save()
        assert set(event.participants.values_list("event_type_code", flat=True)) == {"046"}

    def test_new_event_dates_reach_the_participants_copies(self, event, armenia, azerbaijan):
        for actor in (armenia, azerbaijan):
            Participant.objects.create(event=event, actor=actor, role=ParticipantRole.PARTY)
        event.date_text, event.date_start, event.date_end, event.date_precision = (
            "last week",
            date(2023, 4, 24),
            date(2023, 4, 30),
            "week",
        )
        event.save()
        assert set(event.participants.values_list("event_date_start", "event_date_end")) == {
            (date(2023, 4, 24), date(2023, 4, 30))
        }

    def test_the_same_actor_may_take_part_in_two_events(self, source, event, armenia):
        other = make_event(source, "held a dinner", title="Dinner")
        Participant.objects.create(event=event, actor=armenia, role=ParticipantRole.PARTY)
        Participant(event=other, actor=armenia, role=ParticipantRole.GUEST).full_clean()


class TestStatementAndRelation:
    def test_a_statement_needs_its_words(self, armenia):
        statement = Statement(speaker=armenia, text="   ", kind=StatementKind.PARAPHRASE)
        assert errors_of(statement)["text"] == ["A statement needs its words."]

    def test_a_relation_needs_two_different_actors(self, armenia):
        relation = Relation(subject=armenia, object=armenia, type=RelationType.AT_WAR_WITH)
        assert errors_of(relation)[NON_FIELD_ERRORS] == ["A relation needs two different actors."]
        assert_refused_by_database(
            lambda: Relation.objects.create(subject=armenia, object=armenia, type=RelationType.AT_WAR_WITH)
        )

    def test_symmetric_relations_say_so(self, source, armenia, azerbaijan):
        war = make_relation(source, "gone to war twice", armenia, azerbaijan, type=RelationType.AT_WAR_WITH)
        support = make_relation(source, "gone to war twice", armenia, azerbaijan, type=RelationType.SUPPORTS)
        assert (war.symmetric, support.symmetric) == (True, False)


# --- Evidence spans ----------------------------------------------------------------------------------------------


class TestEvidenceSpan:
    def test_a_span_supporting_no_fact_is_refused(self, source):
        span = EvidenceSpan(source=source, quote="hosted negotiations")
        assert errors_of(span)[NON_FIELD_ERRORS] == [
            "A span supports exactly one event, statement, relation, affiliation or alias."
        ]

    def test_a_span_supporting_two_facts_is_refused(self, source, event, armenia, azerbaijan):
        relation = make_relation(source, "gone to war twice", armenia, azerbaijan)
        span = EvidenceSpan(source=source, quote="hosted negotiations", event=event, relation=relation)
        assert errors_of(span)[NON_FIELD_ERRORS] == [
            "A span supports exactly one event, statement, relation, affiliation or alias."
        ]

    def test_a_span_supporting_no_fact_is_refused_by_the_database(self, source):
        assert_refused_by_database(lambda: EvidenceSpan.objects.create(source=source, start=0, end=2, quote="US"))

    def test_the_quote_must_equal_the_source_text_at_the_offsets(self, source, event):
        start = source.text.index("hosted negotiations")
        span = EvidenceSpan(source=source, event=event, start=start, end=start + 19, quote="hosted discussions!")
        expected = f"The quote does not match the source text at {start}:{start + 19}; "
        expected += "the source has “hosted negotiations” there."
        assert errors_of(span)["quote"] == [expected]

    def test_matching_offsets_and_quote_are_accepted_unchanged(self, source, event):
        start = source.text.index("hosted negotiations")
        span = EvidenceSpan(source=source, event=event, start=start, end=start + 19, quote="hosted negotiations")
        span.full_clean()
        assert (span.start, span.end) == (start, start + 19)

    def test_start_must_be_before_end(self, source, event):
        span = EvidenceSpan(source=source, event=event, start=10, end=4, quote="x")
        assert "A span needs a start offset before its end offset." in errors_of(span)[NON_FIELD_ERRORS]
        assert_refused_by_database(
            lambda: EvidenceSpan.objects.create(source=source, event=event, start=10, end=10, quote="")
        )

    def test_a_span_without_offsets_is_refused_by_the_database(self, source, event):
        assert_refused_by_database(lambda: EvidenceSpan.objects.create(source=source, event=event, quote="US"))

    def test_the_passage_alone_is_located_by_full_clean(self, source, event):
        span = EvidenceSpan(source=source, event=event, quote="sparking an angry response from Yerevan")
        span.full_clean()
        assert source.text[span.start : span.end] == span.quote


# --- Sources -----------------------------------------------------------------------------------------------------


class TestSource:
    def test_the_checksum_is_the_sha256_of_the_text_computed_on_save(self, source, article_text):
        import hashlib

        assert source.checksum == hashlib.sha256(article_text.encode("utf-8")).hexdigest()

    def test_the_checksum_follows_a_text_change(self, source):
        source.text += "\nCorrection appended."
        source.save()
        source.refresh_from_db()
        assert source.checksum == Source.checksum_of(source.text)

    def test_full_clean_computes_the_checksum(self, db):
        source = Source(slug="s", title="T", published=date(2023, 5, 1), text="Some text.")
        source.full_clean()
        assert source.checksum == Source.checksum_of("Some text.")

    def test_a_second_copy_of_a_text_is_refused(self, source, article_text):
        duplicate = Source(slug="copy", title="Copy", published=date(2023, 5, 2), text=article_text)
        assert errors_of(duplicate)["text"] == [
            f"A source with exactly this text is already stored: “{source.title}” (id {source.pk})."
        ]

    def test_a_second_copy_of_a_text_is_refused_by_the_database(self, source, article_text):
        assert_refused_by_database(lambda: make_source(article_text))

    def test_slugs_are_unique(self, source):
        duplicate = Source(slug=source.slug, title="Other", published=date(2023, 5, 2), text="Other text.")
        assert errors_of(duplicate)["slug"] == ["Source with this Slug already exists."]


# --- How objects read --------------------------------------------------------------------------------------------


class TestStr:
    def test_str_values_read_well(self, source, event, armenia, azerbaijan, blinken):
        us = make_actor("United States", ActorKind.STATE, country_code="US")
        affiliation = Affiliation.objects.create(person=blinken, organization=us, role_title="Secretary of State")
        participant = Participant.objects.create(event=event, actor=us, role=ParticipantRole.HOST)
        relation = make_relation(source, "gone to war twice", armenia, azerbaijan, type=RelationType.AT_WAR_WITH)
        statement = Statement(speaker=blinken, text="a" * 100, kind=StatementKind.PARAPHRASE)
        alias = ActorAlias(actor=armenia, name="Yerevan")
        span = event.evidence.get()

        assert str(source) == "US Hosts Armenia-Azerbaijan Peace Talks (2023-05-01)"
        assert str(event) == "US hosts Armenia-Azerbaijan talks (on Monday)"
        assert str(affiliation) == "Antony Blinken (Secretary of State, United States)"
        assert str(participant) == "United States as host"
        assert str(relation) == "Armenia at war with Azerbaijan"
        assert str(statement) == "Antony Blinken: " + "a" * 77 + "…"
        assert str(alias) == "Yerevan → Armenia"
        assert str(make_event_type("041", "Discuss by telephone")) == "041 Discuss by telephone"
        assert str(span) == f"“{HOSTED[:57]}…” [{span.start}:{span.end}]"
        assert str(make_place("Yerevan")) == "Yerevan"


def test_a_models_check_constraints_are_asked_in_one_query_with_their_messages(db):
    from datetime import date

    from django.core.exceptions import ValidationError
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from facts.models import Event, EventType

    event = Event(
        title="Talks",
        event_type=EventType(code="040", label="Consult"),
        date_start=date(2023, 5, 2),
        date_end=date(2023, 5, 1),
        date_precision="",
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        try:
            event.validate_constraints()
        except ValidationError as error:
            messages = error.messages
    asked = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(asked) == 1, asked
    assert "The earliest date must not be after the latest date." in messages
    assert any(message.startswith("An undated fact has no precision") for message in messages)
    # A check over a field left out of the validation is skipped, as Django's own CheckConstraint.validate does.
    event.validate_constraints(exclude={"date_start", "date_end", "date_precision", "parent", "id"})
