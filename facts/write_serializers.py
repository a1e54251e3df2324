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
import re
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.settings import api_settings

from facts import integrity, services
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


SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")


class SlugRefField(serializers.SlugRelatedField):
    """A reference by slug that refuses a malformed slug before the lookup: PostgreSQL rejects some characters in
    a query parameter (NUL) with an error instead of finding nothing."""

    default_error_messages = {"malformed": "“{value}” is not a slug (letters, digits, hyphens and underscores)."}

    def to_internal_value(self, data):
        if isinstance(data, str) and not SLUG_RE.fullmatch(data):
            self.fail("malformed", value=data[:60].replace("\x00", "\\0"))
        return super().to_internal_value(data)


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# Form posts from the browsable API carry the CSRF token next to the fields.
NOT_INPUT = {"csrfmiddlewaretoken"}


class StrictInputMixin:
    """Refuses input fields the serializer does not know, so that a typo ("pasage") is a 400 naming it instead of
    being silently ignored. Reported together with the other fields' errors."""

    def unknown_fields(self, data) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        known = ", ".join(name for name, field in self.fields.items() if not field.read_only)
        return {
            str(name)[:80]: [f"Unknown field. Known fields: {known}."]
            for name in data if name not in self.fields and name not in NOT_INPUT
        }

    def to_internal_value(self, data):
        unknown = self.unknown_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown})
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


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


class EvidenceInputSerializer(StrictInputMixin, serializers.Serializer):
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


class ParticipantInputSerializer(StrictInputMixin, serializers.Serializer):
    """An actor's part in an event."""

    actor = SlugRefField(
        slug_field="slug", queryset=Actor.objects.all(), help_text="The actor's slug."
    )
    role = serializers.ChoiceField(choices=ParticipantRole.choices, help_text="The actor's role in the event.")


class AliasInputSerializer(StrictInputMixin, serializers.Serializer):
    """A name, spelling or metonym a source uses for the actor."""

    name = serializers.CharField(max_length=ActorAlias._meta.get_field("name").max_length,
                                 help_text="The alias as the source writes it.")
    kind = serializers.ChoiceField(choices=AliasKind.choices, default=AliasKind.NAME, help_text="Kind of alias.")


class ServiceWriteSerializer(StrictInputMixin, serializers.ModelSerializer):
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

    def to_internal_value(self, data):
        """Field errors (an unknown slug, a malformed item), plus what the model's rules find in the other parts.

        DRF stops at field errors, so a blank title or a passage missing from the source would only be reported once
        the slugs were fixed. Here the service also checks every field and nested item that did parse (writing
        nothing), so that one 400 names every bad field, nested items by their position in the input.
        """
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict) or not isinstance(data, Mapping):
                raise
            detail = drf_detail(exc.detail)
            parsed, positions = self._parsed_parts(data)
            problems = self._problems_besides(parsed, invalid=set(exc.detail) - set(positions))
            for name, value in problems.items():
                if name in positions:
                    # Items were checked without the bad ones: report them at their place in the input.
                    if isinstance(value, list) and len(value) == len(positions[name]):
                        found = {positions[name][i]: drf_detail(item) for i, item in enumerate(value) if item}
                        detail[name] = dict(sorted({**found, **detail.get(name, {})}.items()))
                elif name not in detail:
                    detail[name] = drf_detail(value)
            raise serializers.ValidationError(detail)

    def _parsed_parts(self, data) -> tuple[dict, dict[str, list[int]]]:
        """The input fields that pass their own validation, and of nested lists with bad items, the good items.

        Returns the values as to_internal_value() would, and for each partly valid list the input positions of
        the items it keeps.
        """
        parsed, positions = {}, {}
        for field in self._writable_fields:
            primitive = field.get_value(data)
            try:
                value = field.run_validation(primitive)
            except (serializers.ValidationError, DjangoValidationError, SkipField):
                items = self._valid_items(field, primitive)
                if not items:
                    continue
                positions[field.field_name] = [index for index, _ in items]
                value = [item for _, item in items]
            self.set_value(parsed, field.source_attrs, value)
        return parsed, positions

    @staticmethod
    def _valid_items(field, primitive) -> list[tuple[int, dict]]:
        if not isinstance(field, serializers.ListSerializer) or not isinstance(primitive, list):
            return []
        items = []
        for index, item in enumerate(primitive):
            try:
                items.append((index, field.child.run_validation(item)))
            except (serializers.ValidationError, DjangoValidationError):
                continue
        return items

    def _problems_besides(self, parsed: dict, *, invalid: set[str]) -> dict:
        parsed.pop("reason", None)
        if self.instance is None:
            service, extra = type(self).create_service, {}
            if "evidence" in self.fields:
                parsed.setdefault("evidence", [])  # a keyword the create services require; it is in `invalid`
        else:
            # A copy: checking assigns the input to the object, which must stay as the view read it.
            service, extra = type(self).update_service, {self.instance_kwarg: copy.copy(self.instance)}
        return services.write_problems(service, invalid=invalid, user=None, **extra, **parsed)


class ValidatedModelSerializer(StrictInputMixin, serializers.ModelSerializer):
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

    def _save(self, instance, validated_data, *, creating=False):
        reason = validated_data.pop("reason", "")
        for name, value in validated_data.items():
            setattr(instance, name, value)
        services.stamp(instance, user=_request_user(self), reason=reason)
        try:
            # A create is an INSERT, never an UPDATE: save() of a model keyed by its own value (an event type's
            # code) would otherwise update the row another request created a moment ago, replacing its label.
            integrity.save(instance, force_insert=creating)
        except integrity.LostRace as exc:
            # A concurrent write took the slug (or code) after validate() checked it: named as validate() would.
            raise serializers.ValidationError(drf_detail(exc.errors))
        return instance

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data, creating=True)

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

    place = SlugRefField(
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
            "id": {"help_text": "The event's id, assigned by the server."},
            "title": {"allow_blank": True, "help_text": "A short title saying who did what."},
            "description": {"help_text": "Details the title leaves out."},
            "event_type": {"help_text": "CAMEO code, e.g. 043 (Host a visit)."},
            "parent": {"help_text": "Id of a larger event this one is part of."},
            "date_text": {"help_text": Event._meta.get_field("date_text").help_text + DATE_HELP},
        }


class StatementWriteSerializer(ServiceWriteSerializer):
    """A statement with its evidence and what it is about, written in one transaction."""

    create_service = staticmethod(services.statement_create)
    update_service = staticmethod(services.statement_update)
    instance_kwarg = "statement"

    speaker = SlugRefField(slug_field="slug", queryset=Actor.objects.all(),
                                           help_text="Who said it: the actor's slug.")
    about_actors = SlugRefField(
        slug_field="slug", queryset=Actor.objects.all(), many=True, required=False, default=list,
        help_text="Slugs of the actors the statement is about.",
    )
    about_places = SlugRefField(
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
            "id": {"help_text": "The statement's id, assigned by the server."},
            "text": {"allow_blank": True},
            "kind": {"help_text": "Direct quote, partial quote or paraphrase."},
            "event": {"help_text": "Id of the event the statement was made at or about."},
            "date_text": {"help_text": Statement._meta.get_field("date_text").help_text + DATE_HELP},
        }


class RelationWriteSerializer(ServiceWriteSerializer):
    """A relation between two actors with its evidence, written in one transaction."""

    create_service = staticmethod(services.relation_create)
    update_service = staticmethod(services.relation_update)
    instance_kwarg = "relation"

    subject = SlugRefField(slug_field="slug", queryset=Actor.objects.all(),
                                           help_text="The first actor: its slug.")
    object = SlugRefField(slug_field="slug", queryset=Actor.objects.all(),
                                          help_text="The second actor: its slug.")
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the relation (at least one); on update the list replaces them."
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
    instance_kwarg = "affiliation"

    person = SlugRefField(slug_field="slug", queryset=Actor.objects.all(),
                                          help_text="The person (or unnamed source): its slug.")
    organization = SlugRefField(slug_field="slug", queryset=Actor.objects.all(),
                                                help_text="The state, organization or group: its slug.")
    evidence = EvidenceInputSerializer(
        many=True, help_text="Passages that support the affiliation (at least one); on update they replace the "
                             "current ones.",
    )
    reason = reason_field()

    class Meta:
        model = Affiliation
        fields = ["id", "person", "organization", "role_title", *DATE_FIELDS, "evidence", "reason"]
        extra_kwargs = {
            "id": {"help_text": "The affiliation's id, assigned by the server."},
            "date_text": {"help_text": Affiliation._meta.get_field("date_text").help_text + DATE_HELP},
        }


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
        extra_kwargs = {
            "id": {"help_text": "The actor's id, assigned by the server; URLs use the slug."},
            "kind": {"help_text": "Person, state, organization, group or unnamed source."},
            "description": {"help_text": "A short description."},
        }


class PlaceWriteSerializer(ValidatedModelSerializer):
    """A place in the hierarchy."""

    parent = SlugRefField(
        slug_field="slug", queryset=Place.objects.all(), required=False, allow_null=True,
        help_text="The enclosing place: its slug.",
    )
    reason = reason_field()

    class Meta:
        model = Place
        fields = ["id", "slug", "name", "kind", "parent", "latitude", "longitude", "coordinates_approximate",
                  "country_code", "description", "external", "reason"]
        extra_kwargs = {
            "id": {"help_text": "The place's id, assigned by the server; URLs use the slug."},
            "name": {"help_text": "The place's name."},
            "kind": {"help_text": "Region, country, enclave, city, corridor, border, facility or venue."},
            "description": {"help_text": "A short description."},
        }


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
