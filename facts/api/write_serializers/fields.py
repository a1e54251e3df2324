"""Strict, bounded input fields: strings that are strings, booleans that are booleans, references checked
before any lookup, and the limits of a write body (README "Curate")."""

import re
from typing import TYPE_CHECKING

from django.core.validators import MaxLengthValidator, MinLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from facts.models import Source
from facts.patterns import SLUG_MAX_LENGTH as SLUG_MAX
from facts.patterns import SLUG_PATTERN, SLUG_RE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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

    default_error_messages: "dict[str, StrOrPromise]" = {"not_a_string": "Give a string, not {data_type}."}

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

    # Set by DRF's ListSerializer.__init__ (many=True, max_length=..., min_length=...); the stubs lack them.
    max_length: int | None
    min_length: int | None

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


@extend_schema_field({"type": "string", "pattern": f"^{SLUG_PATTERN}$", "minLength": 1, "maxLength": SLUG_MAX})
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
