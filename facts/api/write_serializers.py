"""Input serializers for the write API: the API enforces exactly the rules the admin enforces.

Simple resources (sources, places, event types) are validated NetBox-style: `validate()` builds the instance from
the input and runs the model's `full_clean()`, turning Django's errors into DRF errors per field. Facts (events,
statements, relations, affiliations) and actors with aliases span several models, so they hand their input to the
services in facts/services.py, which validate every part and write all of it in one transaction or nothing.

Actors and places are referenced by slug, facts by id, an evidence source by id or slug. Evidence is given as the
passage alone (`quote`, plus `occurrence` when the passage occurs more than once) or as `start`/`end` offsets.
Every write takes an optional `reason`, stored in the object's history.

Input is strict and bounded (README "Curate", and the schema's maxLength/maxItems): a string field takes only a
string (no number turned into one), every string and list has a maximum length checked before any lookup or passage
search, and fields the server assigns (`id`, `checksum`) are refused like unknown ones. Every field refuses a NUL
character itself. The body was parsed by facts.api.parsers.StrictJSONParser (no duplicate keys, lone surrogates, NUL
in keys, deep nesting or millions of values).
"""

import copy
import re
from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields import AutoFieldMixin
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.settings import api_settings
from rest_framework.validators import ProhibitSurrogateCharactersValidator

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

# Limits of a write body (README "Curate"). Lists are refused whole when too long, before any item is looked at.
SOURCE_TEXT_MAX = 2_000_000  # characters of a source's text: a whole article, or a short book
QUOTE_MAX = 5_000  # characters of an evidence passage (a few paragraphs), given as a quote or as offsets
DESCRIPTION_MAX = 10_000  # characters of a description
STATEMENT_TEXT_MAX = 20_000  # characters of a statement's words
EVIDENCE_MAX = 15  # evidence passages of one fact
PARTICIPANTS_MAX = 40  # participants of one event
ALIASES_MAX = 50  # aliases of one actor
ALIAS_EVIDENCE_MAX = 2  # evidence passages of one alias in an actor write (50 aliases x 2: 100 passages at most)
ABOUT_MAX = 25  # items of each of a statement's about_actors, about_places, about_events
OCCURRENCE_MAX = 1_000  # which occurrence of a passage: one that occurs more often is too short to cite
EXTERNAL_MAX = 50  # entries of `external`
EXTERNAL_KEY_MAX = 100  # characters of a key of `external` (a field name)
EXTERNAL_VALUE_MAX = 500  # characters of a value of `external` (an origin)
ID_MAX = 2**63 - 1  # the largest id a database key holds

# Model text fields without a max_length of their own, by name.
TEXT_LIMITS = {"description": DESCRIPTION_MAX, "text": STATEMENT_TEXT_MAX}


class SurrogateValidator(ProhibitSurrogateCharactersValidator):
    """DRF's check for surrogates in C time: its own takes a Python step per character (0.3 s for a long source)."""

    def __call__(self, value):
        text = str(value)
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise serializers.ValidationError(
                    self.message.format(code_point=ord(text[exc.start])), code=self.code
                ) from None


class StringOnlyMixin:
    """A string field that takes only strings: DRF's CharField turns 123 into "123" and 1.5 into "1.5"."""

    default_error_messages = {"not_a_string": "Give a string, not {data_type}."}

    def __init__(self, *args, blank_checked_by_model=False, **kwargs):
        # blank_checked_by_model: blank input is passed on for the model's full_clean() to refuse, so that it is
        # reported together with the other parts' errors; the schema still says minLength 1.
        self.blank_checked_by_model = blank_checked_by_model
        super().__init__(*args, **kwargs)
        self.validators = [
            SurrogateValidator() if type(validator) is ProhibitSurrogateCharactersValidator else validator
            for validator in self.validators
        ]

    def run_validation(self, data=serializers.empty):
        if data is not serializers.empty and data is not None and not isinstance(data, str):
            self.fail("not_a_string", data_type=json_type(data))
        if (
            self.blank_checked_by_model
            and isinstance(data, str)
            and (data == "" or (self.trim_whitespace and not data.strip()))
        ):
            return ""
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            # The limit is on what was sent (the schema's maxLength), not on what is left once trimmed.
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


def json_type(value) -> str:
    """The JSON name of a value's type, for messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return "null" if value is None else type(value).__name__


class StrictCharField(StringOnlyMixin, serializers.CharField):
    pass


class StrictSlugField(StringOnlyMixin, serializers.SlugField):
    pass


class StrictURLField(StringOnlyMixin, serializers.URLField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """A boolean that takes only JSON true and false: DRF's takes 0, 1, "yes", "off" and more."""

    default_error_messages = {"invalid": "Give true or false, not {data_type}."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", data_type=json_type(data))


DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class StrictDecimalField(serializers.DecimalField):
    """A decimal given as a JSON number or a plain decimal string ("39.6"), or "" for none where none is allowed.

    DRF's own also takes " 5", "1e2", "٥" (an Arabic-Indic five) and true, none of which the schema states.
    """

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and data and not DECIMAL_RE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)


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


@extend_schema_field(
    {
        "type": "object",
        "maxProperties": EXTERNAL_MAX,
        "additionalProperties": {"type": "string", "maxLength": EXTERNAL_VALUE_MAX},
        "example": {"country_code": "ISO 3166-1"},
    }
)
class ExternalField(serializers.JSONField):
    """`external`: an object naming fields whose values come from outside the sources, each with its origin.

    `model`: the model whose fields it names, when the serializer is not that model's (the schema lists them).
    """

    def __init__(self, *args, model=None, **kwargs):
        self.model = model
        super().__init__(*args, **kwargs)

    default_error_messages = {
        "not_an_object": "Give an object mapping field names to the origin of their value, not {data_type}.",
        "too_many": f"At most {EXTERNAL_MAX} entries; got {{count}}.",
        "key": f"Field names are at most {EXTERNAL_KEY_MAX} characters.",
        "value": f"Give each origin as a string of at most {EXTERNAL_VALUE_MAX} characters (at “{{name}}”).",
        "nul": "NUL characters (\\u0000) are not allowed.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object", data_type=json_type(data))
        if len(data) > EXTERNAL_MAX:
            self.fail("too_many", count=len(data))
        for key, value in data.items():
            if len(key) > EXTERNAL_KEY_MAX:
                self.fail("key")
            if not isinstance(value, str) or len(value) > EXTERNAL_VALUE_MAX:
                self.fail("value", name=key[:EXTERNAL_KEY_MAX].replace("\x00", "\\0"))
            if "\x00" in key or "\x00" in value:  # PostgreSQL's jsonb refuses them
                self.fail("nul")
        return super().to_internal_value(data)


class BoundedListSerializer(serializers.ListSerializer):
    """A nested list refused whole, with one message on the field, when longer than `max_length`.

    The length is also a validator, so that the schema says maxItems.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators = [*self.validators, MaxLengthValidator(self.max_length)]
        if self.min_length is not None:
            self.validators = [*self.validators, MinLengthValidator(self.min_length)]

    def too_long(self, data) -> bool:
        return self.max_length is not None and isinstance(data, list) and len(data) > self.max_length

    def to_internal_value(self, data):
        if self.too_long(data):
            raise serializers.ValidationError([f"At most {self.max_length} items; got {len(data)}."], code="max_length")
        if self.min_length is not None and isinstance(data, list) and len(data) < self.min_length:
            # One message on the field (its error_messages["min_length"]), as for too many items.
            raise serializers.ValidationError(
                [self.error_messages["min_length"].format(min_length=self.min_length)], code="min_length"
            )
        return super().to_internal_value(data)


class BoundedManyRelatedField(serializers.ManyRelatedField):
    """A list of references refused whole when longer than `max_items`, before any of them is looked up."""

    def __init__(self, *args, max_items=None, **kwargs):
        self.max_items = max_items
        super().__init__(*args, **kwargs)
        if max_items is not None:
            self.validators = [*self.validators, MaxLengthValidator(max_items)]

    def to_internal_value(self, data):
        if self.max_items is not None and isinstance(data, list) and len(data) > self.max_items:
            raise serializers.ValidationError(f"At most {self.max_items} items; got {len(data)}.", code="max_length")
        return super().to_internal_value(data)


class NoBlankAsNullMixin:
    """Related-field mixin: "" is a bad reference like any other, not null (DRF's related fields turn it into None,
    so `"parent": ""` cleared the parent)."""

    def run_validation(self, data=serializers.empty):
        return serializers.Field.run_validation(self, data)


class BoundedManyMixin:
    """Related-field mixin: `many=True, max_items=n` gives a BoundedManyRelatedField."""

    @classmethod
    def many_init(cls, *args, max_items=None, **kwargs):
        list_kwargs = {"child_relation": cls(*args, **kwargs), "max_items": max_items}
        list_kwargs.update({key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS})
        return BoundedManyRelatedField(**list_kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdRefField(NoBlankAsNullMixin, BoundedManyMixin, serializers.PrimaryKeyRelatedField):
    """A reference by id that takes only a JSON integer: not true (which Python counts as 1), not "5"."""

    default_error_messages = {"incorrect_type": "Give the id as a number, not {data_type}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=json_type(data))
        if not 1 <= data <= ID_MAX:
            self.fail("does_not_exist", pk_value=data if abs(data) < 10**20 else "(a huge number)")
        found = prefetched(self, "pk", data)
        if found is NOT_PREFETCHED:
            return super().to_internal_value(data)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found

    @staticmethod
    def valid_key(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= ID_MAX


CAMEO_CODE_RE = re.compile(r"[0-9]{2,4}")


@extend_schema_field({"type": "string", "pattern": "^[0-9]{2,4}$", "minLength": 2, "maxLength": 4, "example": "043"})
class EventTypeRefField(NoBlankAsNullMixin, serializers.PrimaryKeyRelatedField):
    """An event type by its CAMEO code: a string of 2 to 4 digits (43 is not 043, so a number is refused)."""

    default_error_messages = {
        "incorrect_type": 'Give the CAMEO code as a string, e.g. "043", not {data_type}.',
        "malformed": "“{value}” is not a CAMEO code (2 to 4 digits).",
        "does_not_exist": "No event type with code “{pk_value}”.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type", data_type=json_type(data))
        if not (data.isascii() and CAMEO_CODE_RE.fullmatch(data)):
            self.fail("malformed", value=data[:20].replace("\x00", "\\0"))
        return super().to_internal_value(data)


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


def _condition_fields(condition) -> set[str]:
    """The names a check constraint's condition (a Q of lookups, possibly comparing with F()) starts from."""
    names = set()
    for child in condition.children:
        if isinstance(child, models.Q):
            names |= _condition_fields(child)
        elif isinstance(child, tuple) and len(child) == 2:
            lookup, value = child
            names.add(lookup.split(LOOKUP_SEP)[0])
            if isinstance(value, models.F):
                names.add(value.name.split(LOOKUP_SEP)[0])
    return names


def constraint_fields(model) -> dict[str, list[str]]:
    """For each check constraint of `model`: its violation message -> the fields its condition reads."""
    # Not an automatic id ("cannot be part of itself" reads id and parent): the body gives the parent, never the id.
    field_names = {
        f.name for f in model._meta.get_fields() if getattr(f, "concrete", False) and not isinstance(f, AutoFieldMixin)
    }
    found = {}
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint) and isinstance(constraint.condition, models.Q):
            names = sorted(_condition_fields(constraint.condition) & field_names)
            if names:
                found[str(constraint.get_violation_error_message())] = names
    return found


def name_constraint_fields(model, detail):
    """Errors with each violated check constraint of `model` named at the fields it is about.

    Django reports a CheckConstraint's violation as a non-field error (the model cannot tell which field is at
    fault): "A CAMEO code is 2 to 4 digits." under non_field_errors would name no field of the body. The message
    goes to each field its condition reads (code; latitude and longitude; date_start and date_end) instead; other
    non-field errors stay where they are.
    """
    key = api_settings.NON_FIELD_ERRORS_KEY
    if not isinstance(detail, dict) or not isinstance(detail.get(key), list):
        return detail
    by_message = constraint_fields(model)
    detail, kept = dict(detail), []
    for message in detail[key]:
        names = by_message.get(str(message))
        if not names:
            kept.append(message)
            continue
        for name in names:
            messages = detail.setdefault(name, [])
            if isinstance(messages, list) and message not in messages:
                messages.append(message)
    if kept:
        detail[key] = kept
    else:
        del detail[key]
    return detail


def reason_field():
    return StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=services.REASON_MAX_LENGTH,
        help_text="Why you make this change; stored with the object's history (at most "
        f"{services.REASON_MAX_LENGTH} characters).",
    )


SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")


SLUG_MAX = 120  # the models' slug length


@extend_schema_field({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "minLength": 1, "maxLength": SLUG_MAX})
class SlugRefField(NoBlankAsNullMixin, BoundedManyMixin, serializers.SlugRelatedField):
    """A reference by slug that refuses a malformed slug before the lookup: PostgreSQL rejects some characters in
    a query parameter (NUL) with an error instead of finding nothing. Only a string is a slug (not 123)."""

    default_error_messages = {
        "malformed": "“{value}” is not a slug (letters, digits, hyphens and underscores).",
        "not_a_string": "Give the slug as a string, not {data_type}.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string", data_type=json_type(data))
        if len(data) > SLUG_MAX or not SLUG_RE.fullmatch(data):
            self.fail("malformed", value=data[:60].replace("\x00", "\\0"))
        found = prefetched(self, self.slug_field, data)
        if found is NOT_PREFETCHED:
            return super().to_internal_value(data)
        if found is None:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return found

    @staticmethod
    def valid_key(value) -> bool:
        return isinstance(value, str) and len(value) <= SLUG_MAX and bool(SLUG_RE.fullmatch(value))


NOT_PREFETCHED = object()


def prefetched(field, key: str, value):
    """The object `field` refers to by `value`, if the root serializer read it in advance (None: there is none),
    else NOT_PREFETCHED."""
    cache = field.root.__dict__.get("_prefetched_refs")
    if cache is None:
        return NOT_PREFETCHED
    return cache.get((field.get_queryset().model, key, value), NOT_PREFETCHED)


def prefetch_references(serializer, data) -> None:
    """Read the objects a body refers to by slug or id, one query per model, before its fields are validated.

    Without this each participant, each about_* item and each alias' actor is one query of its own: 100 of them
    are a tenth of a second. Only well-formed references of lists within their limits are read; the fields still
    check every one (and look up whatever was not read here).
    """
    if not isinstance(data, Mapping):
        return
    wanted: dict[tuple, set] = {}
    querysets = {}

    def want(field, value):
        key = field.slug_field if isinstance(field, SlugRefField) else "pk"
        if field.valid_key(value):
            model = field.get_queryset().model
            wanted.setdefault((model, key), set()).add(value)
            querysets.setdefault(model, field.get_queryset())

    for name, field in serializer.fields.items():
        value = data.get(name)
        if field.read_only or not isinstance(value, (list, str, int)):
            continue
        if isinstance(field, (SlugRefField, IdRefField)):
            want(field, value)
        elif isinstance(field, BoundedManyRelatedField) and isinstance(value, list):
            child = field.child_relation
            if isinstance(child, (SlugRefField, IdRefField)) and len(value) <= (field.max_items or len(value)):
                for item in value:
                    want(child, item)
        elif isinstance(field, BoundedListSerializer) and isinstance(value, list) and not field.too_long(value):
            refs = {
                sub_name: sub
                for sub_name, sub in field.child.fields.items()
                if isinstance(sub, (SlugRefField, IdRefField))
            }
            for item in value:
                if isinstance(item, Mapping):
                    for sub_name, sub in refs.items():
                        want(sub, item.get(sub_name))
    cache = serializer.__dict__.setdefault("_prefetched_refs", {})
    for (model, key), values in wanted.items():
        found = {getattr(obj, key): obj for obj in querysets[model].filter(**{f"{key}__in": values})}
        cache.update({(model, key, value): found.get(value) for value in values})


def _request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# Form posts from the browsable API carry the CSRF token next to the fields.
NOT_INPUT = {"csrfmiddlewaretoken"}


UNKNOWN_REPORTED = 20  # unknown fields named in one answer


class StrictInputMixin:
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


def shown_value(value, length: int = 80) -> str:
    text = str(value)
    return text if len(text) <= length else text[: length - 1] + "…"


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "minLength": 1, "maxLength": 120}], "example": 1}
)
class SourceRefField(NoBlankAsNullMixin, serializers.RelatedField):
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
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)  # an id given as a string of ASCII digits ("²".isdigit() is true too)
        if isinstance(data, int):
            lookup = {"pk": data} if 1 <= data <= ID_MAX else None
        else:
            lookup = {"slug": data} if len(data) <= SLUG_MAX and SLUG_RE.fullmatch(data) else None
        # The passages of one fact mostly cite one source: it is read (its whole text) once per write.
        cache = self.root.__dict__.setdefault("_sources_read", {})
        key = next(iter(lookup.items())) if lookup else None
        if key not in cache:
            cache[key] = self.get_queryset().filter(**lookup).first() if lookup else None
        source = cache[key]
        if source is None:
            self.fail("does_not_exist", value=shown_value(data))
        return source

    def to_representation(self, value):
        return value.pk


# A fact cites at least one passage: an empty `evidence` list is refused with the service's own message.
NO_EVIDENCE_MESSAGES = {"min_length": services.NO_EVIDENCE}


class EvidenceInputSerializer(StrictInputMixin, serializers.Serializer):
    """One passage of a source that supports the fact."""

    source = SourceRefField(help_text="The source the passage comes from: its id or its slug.")
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
    evidence = EvidenceInputSerializer(
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
            raise serializers.ValidationError(name_constraint_fields(self.Meta.model, drf_detail(exc.detail))) from exc

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
        if isinstance(field, BoundedListSerializer) and field.too_long(primitive):
            return []  # refused whole: its items are not looked at
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


DATE_FIELDS = ["date_text", "date_start", "date_end", "date_precision"]
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
    instance_kwarg = "event"

    event_type = EventTypeRefField(queryset=EventType.objects.all(), help_text="CAMEO code, e.g. 043 (Host a visit).")
    place = SlugRefField(
        slug_field="slug",
        queryset=Place.objects.all(),
        required=False,
        allow_null=True,
        help_text="Where it happened: the place's slug.",
    )
    parent = IdRefField(
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text="Id of a larger event this one is part of.",
    )
    participants = ParticipantInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=PARTICIPANTS_MAX,
        help_text="Who took part, each with a role; on update the list replaces the current participants.",
    )
    evidence = EvidenceInputSerializer(
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
    instance_kwarg = "statement"

    speaker = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="Who said it: the actor's slug.")
    about_actors = SlugRefField(
        slug_field="slug",
        queryset=Actor.objects.all(),
        many=True,
        required=False,
        default=list,
        max_items=ABOUT_MAX,
        help_text="Slugs of the actors the statement is about.",
    )
    about_places = SlugRefField(
        slug_field="slug",
        queryset=Place.objects.all(),
        many=True,
        required=False,
        default=list,
        max_items=ABOUT_MAX,
        help_text="Slugs of the places the statement is about.",
    )
    about_events = IdRefField(
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
    evidence = EvidenceInputSerializer(
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
    instance_kwarg = "relation"

    subject = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="The first actor: its slug.")
    object = SlugRefField(slug_field="slug", queryset=Actor.objects.all(), help_text="The second actor: its slug.")
    evidence = EvidenceInputSerializer(
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
    instance_kwarg = "affiliation"

    person = SlugRefField(
        slug_field="slug",
        queryset=Actor.objects.all(),
        help_text="The member (a person, unnamed source, organization or group): its slug.",
    )
    organization = SlugRefField(
        slug_field="slug", queryset=Actor.objects.all(), help_text="The state, organization or group: its slug."
    )
    evidence = EvidenceInputSerializer(
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
    instance_kwarg = "actor"

    aliases = AliasInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=ALIASES_MAX,
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


class JsonOnly(exceptions.UnsupportedMediaType):
    """415 for a write whose body is not JSON, saying why a form cannot do (nested lists of objects)."""

    def __init__(self, media_type: str, serializer_class):
        nested = [
            name
            for name, field in serializer_class().fields.items()
            if isinstance(field, serializers.ListSerializer) and not field.read_only
        ]
        detail = f'Unsupported media type "{media_type}" in request: writes take application/json only'
        if nested:
            detail += f" ({' and '.join(nested)} are lists of objects, which form fields cannot carry)"
        super().__init__(media_type, detail=detail + ".")


class WriteSerializerMixin:
    """Viewset mixin: the write serializer for create/update, the viewset's own (read) serializer otherwise.

    Writes take JSON only (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES): a form cannot carry the nested lists of
    events, statements, relations and actors, and one body format for every resource keeps clients simple. The
    browsable API keeps working through its raw JSON form.
    """

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.UnsupportedMediaType) and not isinstance(exc, JsonOnly):
            request = getattr(self, "request", None)
            if request is not None and self.wants_write_serializer():
                exc = JsonOnly(request.content_type.split(";")[0].strip(), self.get_serializer_class())
        return super().handle_exception(exc)

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
