"""Input serializers for the write API: the API enforces exactly the rules the admin enforces.

Simple resources (sources, places, event types) are validated NetBox-style: `validate()` builds the instance from
the input and runs the model's `full_clean()`, turning Django's errors into DRF errors per field. Facts (events,
statements, relations, affiliations) and actors with aliases span several models, so they hand their input to the
services in facts/services.py, which validate every part and write all of it in one transaction or nothing.

Actors and places are referenced by slug, facts by id, an evidence source by id or slug. Evidence is given as the
passage alone (`quote`, plus `occurrence` when the passage occurs more than once) or as `start`/`end` offsets.
Every write takes an optional `reason`, stored in the object's history.
"""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from facts import services
from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    AliasKind,
    Event,
    EventType,
    ParticipantRole,
    Place,
    Relation,
    Source,
    Statement,
)


def drf_detail(detail):
    """Service errors in the shape DRF itself reports: its key for non-field errors at every level, and nested
    list items keyed by their position ({"participants": {1: {"actor": [...]}}}), only the invalid ones.

    So a client sees one error shape whether a serializer field or the model's validation found the problem.
    """
    if isinstance(detail, dict):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): drf_detail(value)
            for key, value in detail.items()
        }
    if isinstance(detail, list) and any(isinstance(item, dict) for item in detail):
        return {index: drf_detail(item) for index, item in enumerate(detail) if item}
    return detail


def reason_field():
    return serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=services.REASON_MAX_LENGTH,
        help_text="Why you make this change; stored with the object's history (at most "
                  f"{services.REASON_MAX_LENGTH} characters).",
    )


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "example": 1})
class SourceRefField(serializers.RelatedField):
    """A source given by its id (a number) or its slug (a string)."""

    default_error_messages = {
        "does_not_exist": "No source with id or slug “{value}”.",
        "incorrect_type": "Give the source's id (a number) or slug (a string), not {data_type}.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Source.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        lookup = {"pk": int(data)} if isinstance(data, int) or data.isdigit() else {"slug": data}
        source = self.get_queryset().filter(**lookup).first()
        if source is None:
            self.fail("does_not_exist", value=str(data)[:80])
        return source

    def to_representation(self, value):
        return value.pk


class EvidenceInputSerializer(serializers.Serializer):
    """One passage of a source that supports the fact."""

    source = SourceRefField(help_text="The source the passage comes from: its id or its slug.")
    quote = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False,
        help_text="The passage, pasted from the source; its offsets are found for you. Typographic differences "
                  "(straight vs curly quotes, hyphen vs dash, line breaks) are tolerated; the exact source text is "
                  "stored.",
    )
    occurrence = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="Only when the passage occurs more than once in the source: which occurrence (1 = first).",
    )
    start = serializers.IntegerField(
        required=False, allow_null=True, min_value=0,
        help_text="Offset of the first character (0-based), instead of locating the passage. Give with `end`.",
    )
    end = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="Offset just past the last character. Give with `start`.",
    )

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if (start is None) != (end is None):
            raise serializers.ValidationError({"end" if end is None else "start": "Give both start and end, or neither."})
        if start is not None and attrs.get("occurrence") is not None:
            raise serializers.ValidationError({"occurrence": "Give either offsets or an occurrence, not both."})
        if start is None and not (attrs.get("quote") or "").strip():
            raise serializers.ValidationError({"quote": "Give the passage of the source that supports this fact."})
        if start is not None and end > len(attrs["source"].text):
            raise serializers.ValidationError(
                {"end": f"The source text has only {len(attrs['source'].text)} characters."}
            )
        return attrs


class ParticipantInputSerializer(serializers.Serializer):
    """An actor's part in an event."""

    actor = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), help_text="The actor's slug."
    )
    role = serializers.ChoiceField(choices=ParticipantRole.choices, help_text="The actor's role in the event.")


class AliasInputSerializer(serializers.Serializer):
    """A name, spelling or metonym a source uses for the actor."""

    name = serializers.CharField(max_length=ActorAlias._meta.get_field("name").max_length,
                                 help_text="The alias as the source writes it.")
    kind = serializers.ChoiceField(choices=AliasKind.choices, default=AliasKind.NAME, help_text="Kind of alias.")


class ServiceWriteSerializer(serializers.ModelSerializer):
    """Base for resources written through a service: hands validated input to it and reports all its errors."""

    instance_kwarg = ""  # the service's keyword for the object being updated

    @staticmethod
    def create_service(**kwargs):  # pragma: no cover - every subclass names its service
        raise NotImplementedError

    @staticmethod
    def update_service(**kwargs):  # pragma: no cover
        raise NotImplementedError

    def _call(self, service, validated_data, **extra):
        reason = validated_data.pop("reason", "")
        try:
            return service(user=_request_user(self), reason=reason, **extra, **validated_data)
        except services.FactValidationError as exc:
            raise serializers.ValidationError(drf_detail(exc.detail))

    def create(self, validated_data):
        return self._call(type(self).create_service, validated_data)

    def update(self, instance, validated_data):
        return self._call(type(self).update_service, validated_data, **{self.instance_kwarg: instance})


class ValidatedModelSerializer(serializers.ModelSerializer):
    """Base for single-model resources: `validate()` runs the model's `full_clean()` on the would-be instance."""

    def build_instance(self, attrs):
        # A copy, so that a refused update leaves the object the view holds untouched.
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name, value in attrs.items():
            if name != "reason":
                setattr(instance, name, value)
        return instance

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.build_instance(attrs)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(drf_detail(services.errors_of(exc)))
        return attrs

    def _save(self, instance, validated_data):
        reason = validated_data.pop("reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        services.stamp(instance, user=_request_user(self), reason=reason).save()
        return instance

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


DATE_FIELDS = ["date_text", "date_start", "date_end", "date_precision"]
DATE_HELP = (" A date expression without date_start/date_end is resolved against the publication date of the first "
             "evidence source.")


class EventWriteSerializer(ServiceWriteSerializer):
    """An event with its participants and evidence, written in one transaction."""

    create_service = staticmethod(services.event_create)
    update_service = staticmethod(services.event_update)
    instance_kwarg = "event"

    place = serializers.SlugRelatedField(
        slug_field="slug", queryset=Place.objects.all(), required=False, allow_null=True,
        help_text="Where it happened: the place's slug.",
    )
    participants = ParticipantInputSerializer(
        many=True, required=False, default=list,
        help_text="Who took part, each with a role; on update the list replaces the current participants.",
    )
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the event (at least one); on update the list replaces them."
    )
    reason = reason_field()

    class Meta:
        model = Event
        fields = ["id", "title", "description", "event_type", "place", "parent", *DATE_FIELDS, "status",
                  "participants", "evidence", "reason"]
        extra_kwargs = {
            # Blank text is left to the model's full_clean(), so that it is reported together with nested errors.
            "title": {"allow_blank": True},
            "event_type": {"help_text": "CAMEO code, e.g. 043 (Host a visit)."},
            "parent": {"help_text": "Id of a larger event this one is part of."},
            "date_text": {"help_text": Event._meta.get_field("date_text").help_text + DATE_HELP},
        }


class StatementWriteSerializer(ServiceWriteSerializer):
    """A statement with its evidence and what it is about, written in one transaction."""

    create_service = staticmethod(services.statement_create)
    update_service = staticmethod(services.statement_update)
    instance_kwarg = "statement"

    speaker = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all(),
                                           help_text="Who said it: the actor's slug.")
    about_actors = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), many=True, required=False, default=list,
        help_text="Slugs of the actors the statement is about.",
    )
    about_places = serializers.SlugRelatedField(
        slug_field="slug", queryset=Place.objects.all(), many=True, required=False, default=list,
        help_text="Slugs of the places the statement is about.",
    )
    about_events = serializers.PrimaryKeyRelatedField(
        queryset=Event.objects.all(), many=True, required=False, default=list,
        help_text="Ids of the events the statement is about.",
    )
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the statement (at least one); on update the list replaces them."
    )
    reason = reason_field()

    class Meta:
        model = Statement
        fields = ["id", "speaker", "text", "kind", "channel", "event", "about_actors", "about_places", "about_events",
                  *DATE_FIELDS, "status", "evidence", "reason"]
        extra_kwargs = {
            "text": {"allow_blank": True},
            "event": {"help_text": "Id of the event the statement was made at or about."},
            "date_text": {"help_text": Statement._meta.get_field("date_text").help_text + DATE_HELP},
        }


class RelationWriteSerializer(ServiceWriteSerializer):
    """A relation between two actors with its evidence, written in one transaction."""

    create_service = staticmethod(services.relation_create)
    update_service = staticmethod(services.relation_update)
    instance_kwarg = "relation"

    subject = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all(),
                                           help_text="The first actor: its slug.")
    object = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all(),
                                          help_text="The second actor: its slug.")
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the relation (at least one); on update the list replaces them."
    )
    reason = reason_field()

    class Meta:
        model = Relation
        fields = ["id", "subject", "object", "type", "description", *DATE_FIELDS, "status", "evidence", "reason"]
        extra_kwargs = {"date_text": {"help_text": Relation._meta.get_field("date_text").help_text + DATE_HELP}}


class AffiliationWriteSerializer(ServiceWriteSerializer):
    """A person's position in a state or organization, with its evidence."""

    create_service = staticmethod(services.affiliation_create)
    update_service = staticmethod(services.affiliation_update)
    instance_kwarg = "affiliation"

    person = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all(),
                                          help_text="The person (or unnamed source): its slug.")
    organization = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all(),
                                                help_text="The state, organization or group: its slug.")
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the affiliation (at least one); on update they replace the "
                             "current ones.",
    )
    reason = reason_field()

    class Meta:
        model = Affiliation
        fields = ["id", "person", "organization", "role_title", *DATE_FIELDS, "evidence", "reason"]
        extra_kwargs = {"date_text": {"help_text": Affiliation._meta.get_field("date_text").help_text + DATE_HELP}}


class ActorWriteSerializer(ServiceWriteSerializer):
    """An actor with its aliases, written in one transaction."""

    create_service = staticmethod(services.actor_create)
    update_service = staticmethod(services.actor_update)
    instance_kwarg = "actor"

    aliases = AliasInputSerializer(
        many=True, required=False, default=list,
        help_text="Every name, spelling or metonym the sources use; on update the list replaces the aliases.",
    )
    reason = reason_field()

    class Meta:
        model = Actor
        fields = ["id", "slug", "name", "kind", "country_code", "description", "external", "aliases", "reason"]


class PlaceWriteSerializer(ValidatedModelSerializer):
    """A place in the hierarchy."""

    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Place.objects.all(), required=False, allow_null=True,
        help_text="The enclosing place: its slug.",
    )
    reason = reason_field()

    class Meta:
        model = Place
        fields = ["id", "slug", "name", "kind", "parent", "latitude", "longitude", "coordinates_approximate",
                  "country_code", "description", "external", "reason"]


class SourceWriteSerializer(ValidatedModelSerializer):
    """A source document with its full text; the text of a source that evidence points into cannot change."""

    text = serializers.CharField(
        trim_whitespace=False, help_text="The full text exactly as received; stored byte for byte."
    )
    reason = reason_field()

    class Meta:
        model = Source
        fields = ["id", "slug", "title", "publisher", "url", "published", "language", "text", "checksum",
                  "external", "reason"]
        read_only_fields = ["checksum"]

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

class WriteSerializerMixin:
    """Viewset mixin: the write serializer for create/update, the viewset's own (read) serializer otherwise."""

    write_serializer_class = None
    write_actions = ("create", "update", "partial_update")

    def wants_write_serializer(self) -> bool:
        if getattr(self, "_reading", False):
            return False
        if self.action in self.write_actions:
            return True
        # OPTIONS and the browsable API's forms describe writes through a copy of the request with POST/PUT.
        request = getattr(self, "request", None)
        return getattr(request, "method", None) in ("POST", "PUT", "PATCH")

    def get_serializer_class(self):
        if self.wants_write_serializer():
            if self.write_serializer_class is not None:
                return self.write_serializer_class
            model = getattr(getattr(self, "queryset", None), "model", None)
            if model in WRITE_SERIALIZERS:
                return WRITE_SERIALIZERS[model]
        return super().get_serializer_class()

    def get_serializer(self, *args, **kwargs):
        if self.wants_write_serializer():
            # Read viewsets may pass read-only options (such as a `fields=` selection) that input serializers lack.
            kwargs.setdefault("context", self.get_serializer_context())
            return self.get_serializer_class()(*args, **kwargs)
        return super().get_serializer(*args, **kwargs)
