"""Errors in the shape DRF reports them, with check constraints' violations named at the fields they read."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.db.models.fields import AutoFieldMixin
from rest_framework.settings import api_settings


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
