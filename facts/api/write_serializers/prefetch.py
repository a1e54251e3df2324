"""Reading the objects a write body refers to in advance: one query per model instead of one per reference.

Without this each participant, each about_* item and each alias' actor is one query of its own: 100 of them are a
tenth of a second. The reference fields find what was read here through facts.api.write_serializers.fields.prefetched.
"""

from collections.abc import Iterator, Mapping
from typing import Any, cast

from rest_framework import serializers

from facts.api.write_serializers.fields import BoundedListSerializer, BoundedManyRelatedField, IdRefField, SlugRefField

REF_FIELDS = (SlugRefField, IdRefField)


def _list_references(field, value: list) -> Iterator[tuple]:
    """(field, value) of each reference in a list the field has not refused whole for its length."""
    if isinstance(field, BoundedManyRelatedField):
        child = field.child_relation
        if isinstance(child, REF_FIELDS) and len(value) <= (field.max_items or len(value)):
            yield from ((child, item) for item in value)
    elif isinstance(field, BoundedListSerializer) and not field.too_long(value):
        child_serializer = cast(serializers.Serializer, field.child)  # a list of input serializers' items
        refs = {name: sub for name, sub in child_serializer.fields.items() if isinstance(sub, REF_FIELDS)}
        for item in value:
            if isinstance(item, Mapping):
                yield from ((sub, item.get(name)) for name, sub in refs.items())


def _references(serializer, data: Mapping) -> Iterator[tuple]:
    """(field, value) of every reference the body gives, nested items included, well-formed or not."""
    for name, field in serializer.fields.items():
        value = data.get(name)
        if field.read_only or not isinstance(value, (list, str, int)):
            continue
        if isinstance(field, REF_FIELDS):
            yield field, value
        elif isinstance(value, list):
            yield from _list_references(field, value)


def prefetch_references(serializer, data) -> None:
    """Read the objects a body refers to by slug or id, one query per model, before its fields are validated.

    Only well-formed references of lists within their limits are read; the fields still check every one (and look
    up whatever was not read here).
    """
    if not isinstance(data, Mapping):
        return
    wanted: dict[tuple, set] = {}
    querysets: dict[type, Any] = {}
    for field, value in _references(serializer, data):
        if field.valid_key(value):
            key = field.slug_field if isinstance(field, SlugRefField) else "pk"
            model = field.get_queryset().model
            wanted.setdefault((model, key), set()).add(value)
            querysets.setdefault(model, field.get_queryset())
    cache = serializer.__dict__.setdefault("_prefetched_refs", {})
    for (model, key), values in wanted.items():
        found = {getattr(obj, key): obj for obj in querysets[model].filter(**{f"{key}__in": values})}
        cache.update({(model, key, value): found.get(value) for value in values})
