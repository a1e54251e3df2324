"""Input serializers for the write API: the API enforces exactly the rules the admin enforces.

Simple resources (sources, places, event types) are validated NetBox-style: `validate()` builds the instance from
the input and runs the model's `full_clean()`, turning Django's errors into DRF errors per field. Facts (events,
statements, relations, affiliations) and actors with aliases span several models, so they hand their input to the
services in facts/services/, which validate every part and write all of it in one transaction or nothing.

Actors and places are referenced by slug, facts by id, an evidence source by id or slug. Evidence is given as the
passage alone (`quote`, plus `occurrence` when the passage occurs more than once) or as `start`/`end` offsets.
Every write takes an optional `reason`, stored in the object's history.

Input is strict and bounded (README "Curate", and the schema's maxLength/maxItems): a string field takes only a
string (no number turned into one), every string and list has a maximum length checked before any lookup or passage
search, and fields the server assigns (`id`, `checksum`) are refused like unknown ones. Every field refuses a NUL
character itself. The body was parsed by facts.api.parsers.StrictJSONParser (no duplicate keys, lone surrogates, NUL
in keys, deep nesting or millions of values).

The package: `fields` (strict, bounded fields and the limits), `detail` (error shapes), `prefetch` (references read
in advance), `base` (the serializer bases and nested parts), `resources` (one serializer per resource).
"""

from facts.api.write_serializers.base import (
    NO_EVIDENCE_MESSAGES,
    UNKNOWN_REPORTED,
    AliasInputSerializer,
    EvidenceInputSerializer,
    ParticipantInputSerializer,
    ServiceWriteSerializer,
    StrictInputMixin,
    StrictModelFieldsMixin,
    ValidatedModelSerializer,
    reason_field,
)
from facts.api.write_serializers.detail import constraint_fields, drf_detail, name_constraint_fields
from facts.api.write_serializers.fields import (
    ABOUT_MAX,
    ALIAS_EVIDENCE_MAX,
    ALIASES_MAX,
    DESCRIPTION_MAX,
    EVIDENCE_MAX,
    EXTERNAL_KEY_MAX,
    EXTERNAL_MAX,
    EXTERNAL_VALUE_MAX,
    ID_MAX,
    OCCURRENCE_MAX,
    PARTICIPANTS_MAX,
    QUOTE_MAX,
    SLUG_MAX,
    SOURCE_TEXT_MAX,
    STATEMENT_TEXT_MAX,
    BoundedListSerializer,
    BoundedManyRelatedField,
    EventTypeRefField,
    ExternalField,
    IdRefField,
    SlugRefField,
    SourceRefField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    json_type,
)
from facts.api.write_serializers.prefetch import prefetch_references
from facts.api.write_serializers.resources import (
    WRITE_SERIALIZERS,
    ActorWriteSerializer,
    AffiliationWriteSerializer,
    EventTypeWriteSerializer,
    EventWriteSerializer,
    PlaceWriteSerializer,
    RelationWriteSerializer,
    SourceWriteSerializer,
    StatementWriteSerializer,
)

__all__ = [
    "ABOUT_MAX",
    "ALIASES_MAX",
    "ALIAS_EVIDENCE_MAX",
    "ActorWriteSerializer",
    "AffiliationWriteSerializer",
    "AliasInputSerializer",
    "BoundedListSerializer",
    "BoundedManyRelatedField",
    "DESCRIPTION_MAX",
    "EVIDENCE_MAX",
    "EXTERNAL_KEY_MAX",
    "EXTERNAL_MAX",
    "EXTERNAL_VALUE_MAX",
    "EventTypeRefField",
    "EventTypeWriteSerializer",
    "EventWriteSerializer",
    "EvidenceInputSerializer",
    "ExternalField",
    "ID_MAX",
    "IdRefField",
    "NO_EVIDENCE_MESSAGES",
    "OCCURRENCE_MAX",
    "PARTICIPANTS_MAX",
    "ParticipantInputSerializer",
    "PlaceWriteSerializer",
    "QUOTE_MAX",
    "RelationWriteSerializer",
    "SLUG_MAX",
    "SOURCE_TEXT_MAX",
    "STATEMENT_TEXT_MAX",
    "ServiceWriteSerializer",
    "SlugRefField",
    "SourceRefField",
    "SourceWriteSerializer",
    "StatementWriteSerializer",
    "StrictBooleanField",
    "StrictCharField",
    "StrictDecimalField",
    "StrictInputMixin",
    "StrictModelFieldsMixin",
    "UNKNOWN_REPORTED",
    "ValidatedModelSerializer",
    "WRITE_SERIALIZERS",
    "constraint_fields",
    "drf_detail",
    "json_type",
    "name_constraint_fields",
    "prefetch_references",
    "reason_field",
]
