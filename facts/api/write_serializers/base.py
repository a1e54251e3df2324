"""Bases of the write serializers: strict input, nested parts, and the two ways a write is validated and saved."""

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField

from facts import integrity, services
from facts.api.write_serializers.detail import drf_detail, name_constraint_fields
from facts.api.write_serializers.fields import (
    ALIAS_EVIDENCE_MAX,
    DESCRIPTION_MAX,
    OCCURRENCE_MAX,
    QUOTE_MAX,
    SOURCE_TEXT_MAX,
    TEXT_LIMITS,
    BoundedListSerializer,
    ExternalField,
    SlugRefField,
    SourceRefField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictSlugField,
    StrictURLField,
    StringOnlyMixin,
)
from facts.api.write_serializers.prefetch import prefetch_references
from facts.models import Actor, ActorAlias, AliasKind, ParticipantRole


class StrictModelFieldsMixin:
    """ModelSerializer mixin: the model's text fields become strict, bounded string fields.

    Every string gets a maximum length (the model's, else TEXT_LIMITS), and a string the model requires gets
    `min_length=1`, so that the schema says maxLength and minLength.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.URLField: StrictURLField,
        models.BooleanField: StrictBooleanField,
        models.DecimalField: StrictDecimalField,
    }

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            if self.parent is None:
                raise serializers.ValidationError(name_constraint_fields(self.Meta.model, exc.detail)) from None
            raise

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if kwargs.get("read_only"):
            return field_class, kwargs
        if isinstance(field_class, type) and issubclass(field_class, StringOnlyMixin):
            if kwargs.get("max_length") is None:
                kwargs["max_length"] = TEXT_LIMITS.get(field_name, DESCRIPTION_MAX)
            if not model_field.blank:
                kwargs["min_length"] = 1
        if isinstance(model_field, models.JSONField) and field_name == "external":
            field_class = ExternalField
            kwargs.pop("encoder", None)
            kwargs.pop("decoder", None)
        return field_class, kwargs


def reason_field():
    return StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=services.REASON_MAX_LENGTH,
        help_text="Why you make this change; stored with the object's history (at most "
        f"{services.REASON_MAX_LENGTH} characters).",
    )


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# Form posts from the browsable API carry the CSRF token next to the fields.
NOT_INPUT = {"csrfmiddlewaretoken"}


UNKNOWN_REPORTED = 20  # unknown fields named in one answer


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    _SerializerBase = serializers.Serializer  # what the mixin is combined with
else:
    _SerializerBase = object


class StrictInputMixin(_SerializerBase):
    """Refuses input fields the serializer does not know, so that a typo ("pasage") is a 400 naming it instead of
    being silently ignored, and fields the server assigns (`id`, `checksum`), which would be. Reported together
    with the other fields' errors."""

    def unknown_fields(self, data) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        known = ", ".join(name for name, field in self.fields.items() if not field.read_only)
        refused = {}
        for name in data:
            if name in NOT_INPUT or (name in self.fields and not self.fields[name].read_only):
                continue
            if name in self.fields:
                refused[str(name)] = ["Read-only: the server assigns it. Leave it out of the body."]
            else:
                refused[str(name)[:80]] = [f"Unknown field. Known fields: {known}."]
            if len(refused) >= UNKNOWN_REPORTED:
                break
        return refused

    def to_representation(self, instance):
        # What a write serializer shows (the browsable API's edit form) is what it takes: no read-only fields.
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            if field.read_only:
                data.pop(name, None)
        return data

    def to_internal_value(self, data):
        unknown = self.unknown_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


NO_EVIDENCE_MESSAGES: "dict[str, StrOrPromise]" = {"min_length": services.NO_EVIDENCE}


class EvidenceInputSerializer(StrictInputMixin, serializers.Serializer):
    """One passage of a source that supports the fact."""

    source = SourceRefField(  # type: ignore[assignment]  # a declared field, not Field.source
        help_text="The source the passage comes from: its id or its slug."
    )
    quote = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=QUOTE_MAX,
        help_text="The passage, pasted from the source; its offsets are found for you. Typographic differences "
        "(straight vs curly quotes, hyphen vs dash, line breaks) are tolerated; the exact source text is "
        "stored.",
    )
    occurrence = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=OCCURRENCE_MAX,
        help_text="Only when the passage occurs more than once in the source: which occurrence (1 = first).",
    )
    start = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=SOURCE_TEXT_MAX,
        help_text="Offset of the first character (0-based), instead of locating the passage. Give with `end`.",
    )
    end = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=SOURCE_TEXT_MAX,
        help_text="Offset just past the last character. Give with `start`.",
    )

    def validate(self, attrs):
        start, end = attrs.get("start"), attrs.get("end")
        if (start is None) != (end is None):
            raise serializers.ValidationError(
                {"end" if end is None else "start": "Give both start and end, or neither."}
            )
        if start is not None and attrs.get("occurrence") is not None:
            raise serializers.ValidationError({"occurrence": "Give either offsets or an occurrence, not both."})
        if start is None and not (attrs.get("quote") or "").strip():
            raise serializers.ValidationError({"quote": "Give the passage of the source that supports this fact."})
        if start is not None and end > len(attrs["source"].text):
            raise serializers.ValidationError(
                {"end": f"The source text has only {len(attrs['source'].text)} characters."}
            )
        if start is not None and end - start > QUOTE_MAX:
            raise serializers.ValidationError({"end": f"A passage is at most {QUOTE_MAX} characters."})
        return attrs

    class Meta:
        list_serializer_class = BoundedListSerializer


class ParticipantInputSerializer(StrictInputMixin, serializers.Serializer):
    """An actor's part in an event."""

    actor = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="The actor's slug.")
    role = serializers.ChoiceField(choices=ParticipantRole.choices, help_text="The actor's role in the event.")

    class Meta:
        list_serializer_class = BoundedListSerializer


class AliasInputSerializer(StrictInputMixin, serializers.Serializer):
    """A name, spelling or metonym for the actor: one a source uses cites the passages where it does; any other (a
    canonical spelling) is marked external instead, e.g. {"name": "canonical spelling"}."""

    name = StrictCharField(
        max_length=ActorAlias._meta.get_field("name").max_length,
        min_length=1,
        help_text="The alias as the source writes it.",
    )
    kind = serializers.ChoiceField(choices=AliasKind.choices, default=AliasKind.NAME, help_text="Kind of alias.")
    external = ExternalField(
        required=False,
        model=ActorAlias,
        help_text='{"name": "<origin>"} for an alias no source uses (e.g. a canonical spelling); then evidence may '
        "be left out. For an alias the actor already has, leaving it out keeps the stored one.",
    )
    evidence = EvidenceInputSerializer(  # type: ignore[call-arg]  # the stubs lack many=True's max_length
        many=True,
        required=False,
        max_length=ALIAS_EVIDENCE_MAX,
        help_text="Passages where a source uses the alias (each must contain it); at least one unless the alias is "
        "external. For an alias the actor already has, leaving it out keeps its evidence.",
    )

    class Meta:
        list_serializer_class = BoundedListSerializer


class ServiceWriteSerializer(StrictInputMixin, StrictModelFieldsMixin, serializers.ModelSerializer):
    """Base for resources written through a service: hands validated input to it and reports all its errors."""

    instance_kwarg = ""  # the service's keyword for the object being updated

    @staticmethod
    def create_service(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - every subclass names its service
        raise NotImplementedError

    @staticmethod
    def update_service(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    @staticmethod
    def validate_service(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _call(self, service, validated_data, **extra):
        reason = validated_data.pop("reason", "")
        try:
            return service(user=_request_user(self), reason=reason, **extra, **validated_data)
        except services.FactValidationError as exc:
            raise serializers.ValidationError(name_constraint_fields(self.Meta.model, drf_detail(exc.detail))) from exc

    def create(self, validated_data):
        return self._call(type(self).create_service, validated_data)

    def update(self, instance, validated_data):
        return self._call(type(self).update_service, validated_data, **{self.instance_kwarg: instance})

    def to_internal_value(self, data):
        """Field errors (an unknown slug, a malformed item), plus what the model's rules find in the other parts.

        DRF stops at field errors, so a blank title or a passage missing from the source would only be reported once
        the slugs were fixed. Here the service's validation (`<fact>_validate`, which writes nothing) also checks
        every field and nested item that did parse, so that one 400 names every bad field, nested items by their
        position in the input.
        """
        if self.parent is None:
            prefetch_references(self, data)
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
            raise serializers.ValidationError(detail) from exc

    def _parsed_parts(self, data) -> tuple[dict, dict[str, list[int]]]:
        """The input fields that pass their own validation, and of nested lists with bad items, the good items.

        Returns the values as to_internal_value() would, and for each partly valid list the input positions of
        the items it keeps.
        """
        parsed: dict = {}
        positions: dict[str, list[int]] = {}
        for field in self._writable_fields:
            primitive = field.get_value(data)
            try:
                value = field.run_validation(primitive)
            except (serializers.ValidationError, DjangoValidationError, SkipField):
                items = self._valid_items(field, primitive)
                if not items:
                    continue
                positions[cast(str, field.field_name)] = [index for index, _ in items]  # a bound field's name
                value = [item for _, item in items]
            self.set_value(parsed, field.source_attrs, value)
        return parsed, positions

    @staticmethod
    def _valid_items(field, primitive) -> list[tuple[int, dict]]:
        if not isinstance(field, serializers.ListSerializer) or not isinstance(primitive, list):
            return []
        if isinstance(field, BoundedListSerializer) and field.too_long(primitive):
            return []  # refused whole: its items are not looked at
        child = field.child
        assert child is not None  # DRF's ListSerializer always has one
        items = []
        for index, item in enumerate(primitive):
            try:
                items.append((index, child.run_validation(item)))
            except (serializers.ValidationError, DjangoValidationError):
                continue
        return items

    def _problems_besides(self, parsed: dict, *, invalid: set[str]) -> dict:
        parsed.pop("reason", None)
        extra = {} if self.instance is None else {self.instance_kwarg: self.instance}
        return type(self).validate_service(skip=invalid, user=None, **extra, **parsed)


class ValidatedModelSerializer(StrictInputMixin, StrictModelFieldsMixin, serializers.ModelSerializer):
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
            raise serializers.ValidationError(drf_detail(services.errors_of(exc))) from exc
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
            raise serializers.ValidationError(drf_detail(exc.errors)) from exc
        return instance

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data, creating=True)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)
