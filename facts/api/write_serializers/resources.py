"""One write serializer per resource, and WRITE_SERIALIZERS: the one for each model."""

from rest_framework import serializers

from facts import services
from facts.api.write_serializers.base import (
    NO_EVIDENCE_MESSAGES,
    AliasInputSerializer,
    EvidenceInputSerializer,
    ParticipantInputSerializer,
    ServiceWriteSerializer,
    ValidatedModelSerializer,
    reason_field,
)
from facts.api.write_serializers.fields import (
    ABOUT_MAX,
    ALIASES_MAX,
    EVIDENCE_MAX,
    PARTICIPANTS_MAX,
    SOURCE_TEXT_MAX,
    EventTypeRefField,
    IdRefField,
    SlugRefField,
    StrictCharField,
)
from facts.models import DATE_FIELDS, Actor, Affiliation, Event, EventType, Place, Relation, Source, Statement

DATE_HELP = (
    " A date expression without date_start/date_end is resolved against the publication date of the first "
    "evidence source, as a fact reported in the past: its interval ends no later than that date (“this "
    "week” in a report of a Monday is that Monday). For a fact the source presents as expected, give "
    "date_start, date_end and date_precision; an unknown bound is null, with precision “open”."
)


class EventWriteSerializer(ServiceWriteSerializer):
    """An event with its participants and evidence, written in one transaction."""

    create_service = staticmethod(services.event_create)
    update_service = staticmethod(services.event_update)
    validate_service = staticmethod(services.event_validate)
    instance_kwarg = "event"

    event_type = EventTypeRefField(queryset=EventType.objects.all(), help_text="CAMEO code, e.g. 043 (Host a visit).")
    place = SlugRefField(
        slug_field="slug",
        queryset=Place.objects.all(),
        required=False,
        allow_null=True,
        help_text="Where it happened: the place's slug.",
    )
    parent = IdRefField(  # type: ignore[assignment]  # a declared field, not Field.parent
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of a larger event this one is part of.",
    )
    participants = ParticipantInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max_length
        many=True,
        required=False,
        default=list,
        max_length=PARTICIPANTS_MAX,
        help_text="Who took part, each with a role; on update the list replaces the current participants.",
    )
    evidence = EvidenceInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max/min_length
        many=True,
        max_length=EVIDENCE_MAX,
        min_length=1,
        error_messages=NO_EVIDENCE_MESSAGES,
        help_text="Passages that support the event (at least one); on update the list replaces them.",
    )
    reason = reason_field()

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "description",
            "event_type",
            "place",
            "parent",
            *DATE_FIELDS,
            "status",
            "participants",
            "evidence",
            "reason",
        ]
        extra_kwargs = {
            # Blank text is left to the model's full_clean(), so that it is reported together with nested errors.
            "id": {"help_text": "The event's id, assigned by the server."},
            "title": {"blank_checked_by_model": True, "help_text": "A short title saying who did what."},
            "description": {"help_text": "Details the title leaves out."},
            "date_text": {"help_text": Event._meta.get_field("date_text").help_text + DATE_HELP},
        }


class StatementWriteSerializer(ServiceWriteSerializer):
    """A statement with its evidence and what it is about, written in one transaction."""

    create_service = staticmethod(services.statement_create)
    update_service = staticmethod(services.statement_update)
    validate_service = staticmethod(services.statement_validate)
    instance_kwarg = "statement"

    speaker = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="Who said it: the actor's slug.")
    about_actors = SlugRefField(  # type: ignore[call-arg]  # BoundedManyMixin.many_init takes it
        slug_field="slug",
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        default=list,
        max_items=ABOUT_MAX,
        help_text="Slugs of the actors the statement is about.",
    )
    about_places = SlugRefField(  # type: ignore[call-arg]  # BoundedManyMixin.many_init takes it
        slug_field="slug",
        queryset=Place.objects.all(),
        many=True,
        required=False,
        default=list,
        max_items=ABOUT_MAX,
        help_text="Slugs of the places the statement is about.",
    )
    about_events = IdRefField(  # type: ignore[call-arg]  # BoundedManyMixin.many_init takes it
        queryset=Event.objects.all(),
        many=True,
        required=False,
        default=list,
        max_items=ABOUT_MAX,
        help_text="Ids of the events the statement is about.",
    )
    event = IdRefField(
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of the event the statement was made at or about.",
    )
    evidence = EvidenceInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max/min_length
        many=True,
        max_length=EVIDENCE_MAX,
        min_length=1,
        error_messages=NO_EVIDENCE_MESSAGES,
        help_text="Passages that support the statement (at least one); on update the list replaces them.",
    )
    reason = reason_field()

    class Meta:
        model = Statement
        fields = [
            "id",
            "speaker",
            "text",
            "kind",
            "channel",
            "event",
            "about_actors",
            "about_places",
            "about_events",
            *DATE_FIELDS,
            "status",
            "evidence",
            "reason",
        ]
        extra_kwargs = {
            "id": {"help_text": "The statement's id, assigned by the server."},
            "text": {"blank_checked_by_model": True},
            "kind": {"help_text": "Direct quote, partial quote or paraphrase."},
            "date_text": {"help_text": Statement._meta.get_field("date_text").help_text + DATE_HELP},
        }


class RelationWriteSerializer(ServiceWriteSerializer):
    """A relation between two actors with its evidence, written in one transaction."""

    create_service = staticmethod(services.relation_create)
    update_service = staticmethod(services.relation_update)
    validate_service = staticmethod(services.relation_validate)
    instance_kwarg = "relation"

    subject = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="The first actor: its slug.")
    object = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="The second actor: its slug.")
    evidence = EvidenceInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max/min_length
        many=True,
        max_length=EVIDENCE_MAX,
        min_length=1,
        error_messages=NO_EVIDENCE_MESSAGES,
        help_text="Passages that support the relation (at least one); on update the list replaces them.",
    )
    reason = reason_field()

    class Meta:
        model = Relation
        fields = ["id", "subject", "object", "type", "description", *DATE_FIELDS, "status", "evidence", "reason"]
        extra_kwargs = {
            "id": {"help_text": "The relation's id, assigned by the server."},
            "type": {"help_text": "How the subject stands to the object."},
            "description": {"help_text": "Details of the relation as the source states it."},
            "date_text": {"help_text": Relation._meta.get_field("date_text").help_text + DATE_HELP},
        }


class AffiliationWriteSerializer(ServiceWriteSerializer):
    """A person's position in a state or organization, with its evidence."""

    create_service = staticmethod(services.affiliation_create)
    update_service = staticmethod(services.affiliation_update)
    validate_service = staticmethod(services.affiliation_validate)
    instance_kwarg = "affiliation"

    person = SlugRefField(
        slug_field="slug",
        queryset=Actor.objects.all(),
        help_text="The member (a person, unnamed source, organization or group): its slug.",
    )
    organization = SlugRefField(
        slug_field="slug", queryset=Actor.objects.all(), help_text="The state, organization or group: its slug."
    )
    evidence = EvidenceInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max_length
        many=True,
        max_length=EVIDENCE_MAX,
        help_text="Passages that support the affiliation (at least one, unless `external` names `organization`: a "
        "link from outside knowledge); on update they replace the current ones.",
    )
    reason = reason_field()

    class Meta:
        model = Affiliation
        fields = ["id", "person", "organization", "role_title", *DATE_FIELDS, "external", "evidence", "reason"]
        extra_kwargs = {
            "id": {"help_text": "The affiliation's id, assigned by the server."},
            "date_text": {"help_text": Affiliation._meta.get_field("date_text").help_text + DATE_HELP},
        }


class ActorWriteSerializer(ServiceWriteSerializer):
    """An actor with its aliases, written in one transaction."""

    create_service = staticmethod(services.actor_create)
    update_service = staticmethod(services.actor_update)
    validate_service = staticmethod(services.actor_validate)
    instance_kwarg = "actor"

    aliases = AliasInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max_length
        many=True,
        required=False,
        default=list,
        max_length=ALIASES_MAX,
        help_text="Every name, spelling or metonym the sources use; on update the list replaces the aliases.",
    )
    reason = reason_field()

    class Meta:
        model = Actor
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "status",
            "country_code",
            "description",
            "external",
            "aliases",
            "reason",
        ]
        extra_kwargs = {
            "id": {"help_text": "The actor's id, assigned by the server; URLs use the slug."},
            "status": {
                "help_text": "`accepted` accepts a candidate actor (proposed by `propose_facts`); a vetted fact never "
                "names a candidate, so facts naming it are accepted after it. DELETE rejects a candidate, with the "
                "candidates that name it."
            },
            "kind": {"help_text": "Person, state, organization, group or unnamed source."},
            "description": {"help_text": "A short description."},
        }


class PlaceWriteSerializer(ValidatedModelSerializer):
    """A place in the hierarchy."""

    parent = SlugRefField(  # type: ignore[assignment]  # a declared field, not Field.parent
        slug_field="slug",
        queryset=Place.objects.all(),
        required=False,
        allow_null=True,
        help_text="The enclosing place: its slug.",
    )
    reason = reason_field()

    class Meta:
        model = Place
        fields = [
            "id",
            "slug",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "coordinates_approximate",
            "country_code",
            "description",
            "external",
            "reason",
        ]
        extra_kwargs = {
            "id": {"help_text": "The place's id, assigned by the server; URLs use the slug."},
            "name": {"help_text": "The place's name."},
            "kind": {"help_text": "Region, country, enclave, city, corridor, border, facility or venue."},
            "description": {"help_text": "A short description."},
        }


class SourceWriteSerializer(ValidatedModelSerializer):
    """A source document with its full text; the text of a source that evidence points into cannot change."""

    text = StrictCharField(
        trim_whitespace=False,
        min_length=1,
        max_length=SOURCE_TEXT_MAX,
        help_text="The full text exactly as received; stored byte for byte.",
    )
    reason = reason_field()

    class Meta:
        model = Source
        fields = [
            "id",
            "slug",
            "title",
            "publisher",
            "url",
            "published",
            "language",
            "text",
            "checksum",
            "external",
            "reason",
        ]
        read_only_fields = ["checksum"]
        extra_kwargs = {
            "id": {"help_text": "The source's id, assigned by the server."},
            "slug": {"help_text": "A readable stable identifier, e.g. us-hosts-armenia-azerbaijan-peace-talks."},
            "title": {"help_text": "The document's title."},
            "publisher": {"help_text": "Who published the document."},
            "url": {"help_text": "Where the document was published online."},
        }

    def validate_text(self, text):
        if self.instance is not None and text != self.instance.text:
            spans = self.instance.evidence.count()
            if spans:
                raise serializers.ValidationError(
                    f"{spans} evidence span(s) point into this text by offset, so it cannot change. "
                    "Store the corrected text as a new source instead."
                )
        return text


class EventTypeWriteSerializer(ValidatedModelSerializer):
    """A CAMEO code and its label (the codebook keeps no history, so there is no `reason`)."""

    class Meta:
        model = EventType
        fields = ["code", "label", "description"]
        extra_kwargs = {"description": {"help_text": "What the code covers, from the CAMEO codebook."}}

    def validate_code(self, code):
        # The code is the primary key: saved under another code, the row would be a new event type (an INSERT)
        # beside the unchanged old one, answered as if the old one had been updated.
        if self.instance is not None and code != self.instance.code:
            raise serializers.ValidationError(
                f"The code of an event type cannot change (it is “{self.instance.code}”): create an event type "
                "with the new code instead."
            )
        return code


WRITE_SERIALIZERS = {
    Actor: ActorWriteSerializer,
    Affiliation: AffiliationWriteSerializer,
    Event: EventWriteSerializer,
    EventType: EventTypeWriteSerializer,
    Place: PlaceWriteSerializer,
    Relation: RelationWriteSerializer,
    Source: SourceWriteSerializer,
    Statement: StatementWriteSerializer,
}
