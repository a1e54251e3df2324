"""JSON shapes of the read API's resources: DRF serializers of the reference tables, the schema of the facts.

Sources, actors, places, event types and relations are serialized by these from model instances. The JSON of
events and statements is built from plain rows by facts.api.rows, so EventSerializer, EventDetailSerializer and
StatementSerializer only describe it in the OpenAPI schema (drf-spectacular); a test keeps their fields equal to the
keys the row builders make. The nested shapes (references, evidence, aliases, claims) are in facts.api.references.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from facts.api.references import (
    PLOVER_CATEGORY_HELP,
    PLOVER_MODE_HELP,
    ActorRefSerializer,
    AliasSerializer,
    EventClaimsSerializer,
    EventRefSerializer,
    EventTypeRefSerializer,
    EvidenceSerializer,
    MemberSerializer,
    MembershipSerializer,
    ParticipantSerializer,
    PlaceRefSerializer,
    SelectableFieldsMixin,
    SourcesField,
    StatementRefSerializer,
    api_url,
    list_url,
)
from facts.api.rows import FACT_TAIL
from facts.models import DATE_FIELDS, Actor, Event, EventType, Place, Relation, Source, Statement

__all__ = [
    "ActorDetailSerializer",
    "ActorSerializer",
    "EventClaimsSerializer",
    "EventDetailSerializer",
    "EventSerializer",
    "EventTypeSerializer",
    "PlaceDetailSerializer",
    "PlaceSerializer",
    "RelationSerializer",
    "SourceDetailSerializer",
    "SourceSerializer",
    "StatementSerializer",
]


# Resources ----------------------------------------------------------------------------------------------------------


class SourceSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A source document that facts cite."""

    url = serializers.SerializerMethodField(help_text="API URL of this source.")
    source_url = serializers.SerializerMethodField(
        help_text="Where the document was published online; null if unknown."
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "slug",
            "title",
            "publisher",
            "source_url",
            "published",
            "language",
            "checksum",
            "external",
        ]
        extra_kwargs = {
            "id": {"help_text": "The source's id, used by the `source` filters."},
            "slug": {"help_text": "A readable stable identifier."},
            "title": {"help_text": "The document's title."},
            "publisher": {"help_text": "Who published the document."},
        }

    def get_url(self, source) -> str:
        return api_url(self, "source", source.id)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_source_url(self, source):
        return source.url or None


class SourceDetailSerializer(SourceSerializer):
    """A source document with its full text, against which evidence offsets are counted."""

    class Meta(SourceSerializer.Meta):
        fields = SourceSerializer.Meta.fields + ["text"]


class ActorSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """Someone who acts or speaks."""

    url = serializers.SerializerMethodField(help_text="API URL of this actor.")
    aliases = AliasSerializer(many=True, read_only=True, help_text="Every name the sources use for the actor.")

    class Meta:
        model = Actor
        fields = ["slug", "url", "name", "kind", "status", "country_code", "description", "aliases", "external"]
        extra_kwargs = {
            "kind": {"help_text": "What sort of actor this is."},
            "status": {"help_text": "accepted, or candidate: proposed by `propose_facts`, waiting for a curator."},
            "description": {"help_text": "A short description."},
        }

    def get_url(self, actor) -> str:
        return api_url(self, "actor", actor.slug)


class ActorDetailSerializer(ActorSerializer):
    """An actor with its affiliations, activity counts and links to its events and statements."""

    affiliations = MembershipSerializer(
        many=True, read_only=True, help_text="Organizations or states this actor belongs to, with role titles."
    )
    members = MemberSerializer(
        many=True,
        read_only=True,
        help_text="Members of this actor (for organizations and states): people, and "
        "organizations that are part of it.",
    )
    event_count = serializers.IntegerField(read_only=True, help_text="Number of events the actor takes part in.")
    statement_count = serializers.IntegerField(read_only=True, help_text="Number of statements the actor made.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this actor.")
    statements_url = serializers.SerializerMethodField(help_text="The statements list filtered to this speaker.")

    class Meta(ActorSerializer.Meta):
        fields = ActorSerializer.Meta.fields + [
            "affiliations",
            "members",
            "event_count",
            "statement_count",
            "events_url",
            "statements_url",
        ]

    def get_events_url(self, actor) -> str:
        return list_url(self, "event", f"actor={actor.slug}")

    def get_statements_url(self, actor) -> str:
        return list_url(self, "statement", f"speaker={actor.slug}")


class PlaceSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A location in the place hierarchy."""

    url = serializers.SerializerMethodField(help_text="API URL of this place.")
    parent = PlaceRefSerializer(read_only=True, allow_null=True, help_text="The place this one lies within.")
    latitude = serializers.FloatField(allow_null=True, help_text="WGS84 latitude (external: approximate).")
    longitude = serializers.FloatField(allow_null=True, help_text="WGS84 longitude (external: approximate).")

    class Meta:
        model = Place
        fields = [
            "slug",
            "url",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "coordinates_approximate",
            "country_code",
            "description",
            "external",
        ]
        extra_kwargs = {
            "name": {"help_text": "The place's name."},
            "kind": {"help_text": "What sort of place this is."},
            "description": {"help_text": "A short description."},
        }

    def get_url(self, place) -> str:
        return api_url(self, "place", place.slug)


class PlaceDetailSerializer(PlaceSerializer):
    """A place with its parent chain and children."""

    ancestors = serializers.SerializerMethodField(help_text="The parent chain, nearest first.")
    children = PlaceRefSerializer(many=True, read_only=True, help_text="Places directly within this one.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this place and within.")

    class Meta(PlaceSerializer.Meta):
        fields = PlaceSerializer.Meta.fields + ["ancestors", "children", "events_url"]

    @extend_schema_field(PlaceRefSerializer(many=True))
    def get_ancestors(self, place):
        ref = PlaceRefSerializer(context=self.context)
        return [ref.to_representation(p) for p in place.ancestors()]

    def get_events_url(self, place) -> str:
        return list_url(self, "event", f"place={place.slug}")


class EventTypeSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A CAMEO event type in the codebook, with how many events use it."""

    url = serializers.SerializerMethodField(help_text="API URL of this event type.")
    event_count = serializers.IntegerField(read_only=True, help_text="Number of events of exactly this type.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this code and below it.")

    class Meta:
        model = EventType
        fields = ["code", "url", "label", "description", "plover_category", "plover_mode", "event_count", "events_url"]
        extra_kwargs = {
            "description": {
                "help_text": "Where the code, its label and its PLOVER category come from (all external), "
                "and why a code has no PLOVER category or mode."
            },
            "plover_category": {"help_text": PLOVER_CATEGORY_HELP},
            "plover_mode": {"help_text": PLOVER_MODE_HELP},
        }

    def get_url(self, event_type) -> str:
        return api_url(self, "event-type", event_type.code)

    def get_events_url(self, event_type) -> str:
        return list_url(self, "event", f"type={event_type.code}")


class FactSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """Fields every fact has: dates as worded and resolved, review status, the sources citing it and evidence."""

    sources_count = serializers.IntegerField(read_only=True, help_text="How many distinct sources cite it.")
    sources = SourcesField(help_text="The distinct sources its evidence cites, by id.")
    evidence = EvidenceSerializer(many=True, read_only=True, help_text="The passages of sources that support it.")

    class Meta:
        extra_kwargs = {
            "description": {"help_text": "A short description."},
            "status": {"help_text": "Curation state: draft, reviewed or verified."},
        }


class EventSerializer(FactSerializer):
    """Something that happened: who did what, where and when."""

    url = serializers.SerializerMethodField(help_text="API URL of this event.")
    type = EventTypeRefSerializer(source="event_type", read_only=True, help_text="CAMEO event type.")
    place = PlaceRefSerializer(read_only=True, allow_null=True, help_text="Where it happened.")
    parent = EventRefSerializer(read_only=True, allow_null=True, help_text="A larger event this one is part of.")
    participants = ParticipantSerializer(many=True, read_only=True, help_text="Who took part, each with a role.")

    class Meta(FactSerializer.Meta):
        model = Event
        fields = [
            "id",
            "url",
            "title",
            "description",
            "type",
            *DATE_FIELDS,
            "place",
            "parent",
            "participants",
            *FACT_TAIL,
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "title": {"help_text": "A short title."},
            "id": {"help_text": "The event's id; stable across fixture reloads."},
        }

    def get_url(self, event) -> str:
        return api_url(self, "event", event.id)


class EventDetailSerializer(EventSerializer):
    """An event with the statements made at or about it and the events within it."""

    statements = StatementRefSerializer(many=True, read_only=True, help_text="Statements made at or about it.")
    children = EventRefSerializer(many=True, read_only=True, help_text="Smaller events that are part of it.")

    class Meta(EventSerializer.Meta):
        fields = EventSerializer.Meta.fields + ["statements", "children"]


class DuplicateSerializer(serializers.Serializer):
    """A stored event that probably reports the same event (facts.duplicates), and why."""

    id = serializers.IntegerField(help_text="The other event's id.")
    title = serializers.CharField(help_text="The other event's title.")
    url = serializers.URLField(help_text="API URL of the other event.")
    reasons = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every rule it meets: same CAMEO root, overlapping dates, a shared participant, and a similar title "
        "or overlapping evidence.",
    )

    def to_representation(self, duplicate):
        return {
            "id": duplicate.id,
            "title": duplicate.title,
            "url": api_url(self, "event", duplicate.id),
            "reasons": list(duplicate.reasons),
        }


class EventCreatedSerializer(EventDetailSerializer):
    """A new event as a GET returns it, with the stored events it probably duplicates, for its curator to check."""

    possible_duplicates = DuplicateSerializer(
        many=True, read_only=True, help_text="Probable duplicates among the stored events, the likeliest first."
    )

    class Meta(EventDetailSerializer.Meta):
        fields = EventDetailSerializer.Meta.fields + ["possible_duplicates"]


class EventDuplicatesSerializer(serializers.Serializer):
    """The probable duplicates of one event."""

    event = EventRefSerializer(help_text="The event.")
    duplicates = DuplicateSerializer(many=True, help_text="Probable duplicates, the likeliest first.")

    def to_representation(self, found):
        event, duplicates = found
        item = DuplicateSerializer(context=self.context)
        return {
            "event": {"id": event.id, "title": event.title, "url": api_url(self, "event", event.id)},
            "duplicates": [item.to_representation(duplicate) for duplicate in duplicates],
        }


class StatementSerializer(FactSerializer):
    """Who said what, how it reached the source, when, and what it is about."""

    url = serializers.SerializerMethodField(help_text="API URL of this statement.")
    speaker = ActorRefSerializer(read_only=True, help_text="Who said it.")
    event = EventRefSerializer(read_only=True, allow_null=True, help_text="The event it was made at or about.")
    about_actors = ActorRefSerializer(many=True, read_only=True, help_text="Actors it is about.")
    about_places = PlaceRefSerializer(many=True, read_only=True, help_text="Places it is about.")
    about_events = EventRefSerializer(many=True, read_only=True, help_text="Events it is about.")

    class Meta(FactSerializer.Meta):
        model = Statement
        fields = [
            "id",
            "url",
            "speaker",
            "kind",
            "text",
            "channel",
            *DATE_FIELDS,
            "event",
            "about_actors",
            "about_places",
            "about_events",
            *FACT_TAIL,
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "id": {"help_text": "The statement's id; stable across fixture reloads."},
            "kind": {"help_text": "Direct quote, partial quote or paraphrase."},
        }

    def get_url(self, statement) -> str:
        return api_url(self, "statement", statement.id)


class RelationSerializer(FactSerializer):
    """A standing relation between two actors that a source states."""

    url = serializers.SerializerMethodField(help_text="API URL of this relation.")
    subject = ActorRefSerializer(read_only=True, help_text="The first actor.")
    object = ActorRefSerializer(read_only=True, help_text="The second actor.")
    symmetric = serializers.BooleanField(
        read_only=True, help_text="Whether the relation reads the same both ways (e.g. at war with)."
    )

    class Meta(FactSerializer.Meta):
        model = Relation
        fields = [
            "id",
            "url",
            "subject",
            "type",
            "object",
            "symmetric",
            "description",
            *DATE_FIELDS,
            *FACT_TAIL,
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "id": {"help_text": "The relation's id; stable across fixture reloads."},
            "type": {"help_text": "How the subject relates to the object."},
        }

    def get_url(self, relation) -> str:
        return api_url(self, "relation", relation.id)
