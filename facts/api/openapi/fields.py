"""What a request field really accepts, where drf-spectacular's mapping of it says less than the field checks.

Each refinement is a function of (field, schema, model) that returns the refined schema, or None when it does not
apply; `refine_request_field` applies the first that does. The model is the one whose columns the field writes.
"""

from django.core.validators import RegexValidator
from django.db.models import CheckConstraint, Q
from rest_framework import serializers

from facts.api.write_serializers import EXTERNAL_VALUE_MAX, ExternalField, StrictDecimalField

# The characters str.strip() removes (str.isspace()), as a regular expression class body that reads the same in
# Python and ECMAScript: a value of only these is blank once trimmed.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def constraint_pattern(model, name: str) -> tuple[str, bool] | None:
    """The regular expression a check constraint of `model` holds field `name` to, and whether it also allows
    blank, or None.

    Recognises `Q(name__regex=R)` and `Q(name="") | Q(name__regex=R)`.
    """
    for constraint in model._meta.constraints:
        condition = getattr(constraint, "condition", None)
        if not isinstance(constraint, CheckConstraint) or not isinstance(condition, Q) or condition.negated:
            continue
        children = condition.children
        regexes = [
            value
            for child in children
            if isinstance(child, tuple)
            for lookup, value in [child]
            if lookup == f"{name}__regex"
        ]
        blank = (name, "") in children
        if len(regexes) == 1 and len(children) == 1 + blank and (blank is False or condition.connector == Q.OR):
            return regexes[0], blank
    return None


def field_model(field):
    """The model whose columns `field` writes: its own (a related field's) or its serializer's."""
    return getattr(field, "model", None) or getattr(getattr(field.parent, "Meta", None), "model", None)


def external_schema(field, schema, model):
    """`external` names fields of its own model only, each with an origin that is not blank and holds no NUL
    (ExternalData.clean)."""
    if not isinstance(field, ExternalField) or model is None:
        return None
    origin = {
        "type": "string",
        "minLength": 1,
        "maxLength": EXTERNAL_VALUE_MAX,
        "pattern": f"^[^\\x00]*[^\\x00{WHITESPACE}][^\\x00]*$",
        "description": "Where the field's value comes from.",
    }
    names = [f.name for f in model._meta.concrete_fields]
    example = next((name for name in ("country_code", "published", "latitude") if name in names), names[-1])
    return {
        **schema,
        "properties": {name: origin for name in names},
        "additionalProperties": False,
        "example": {example: "Supplied by the curators."},
    }


def decimal_schema(field, schema, model):
    """A JSON number or a plain decimal string, within the field's digits (facts.api.write_serializers)."""
    if not isinstance(field, StrictDecimalField):
        return None
    whole, places = field.max_digits - field.decimal_places, field.decimal_places
    bound = 10**whole
    forms = [
        {"type": "number", "minimum": -bound, "maximum": bound, "exclusiveMinimum": True, "exclusiveMaximum": True},
        {"type": "string", "pattern": f"^-?0*[0-9]{{1,{whole}}}(\\.[0-9]{{1,{places}}})?$"},
    ]
    if field.allow_null:
        forms.append({"type": "string", "maxLength": 0, "description": "None."})
    refined = {key: schema[key] for key in ("description", "nullable") if key in schema}
    refined["oneOf"] = forms
    return refined


def _unpatterned_string(field, schema) -> bool:
    # A pattern of the field's own validators is added later (AutoSchema._insert_field_validators).
    own_pattern = any(isinstance(validator, RegexValidator) for validator in field.validators)
    return schema.get("type") == "string" and "pattern" not in schema and not own_pattern


def constrained_schema(field, schema, model):
    """The model's check constraint on the field's format (a CAMEO code, an ISO country code)."""
    if model is None or not _unpatterned_string(field, schema):
        return None
    constrained = constraint_pattern(model, field.source)
    if constrained is None:
        return None
    # A blank value it allows is stated by drf-spectacular for a field that allows blank (a `maxLength: 0`
    # alternative); otherwise the pattern itself admits it.
    pattern, blank = constrained
    return {**schema, "pattern": f"^$|{pattern}" if blank and not getattr(field, "allow_blank", False) else pattern}


def trimmed_schema(field, schema, model):
    """The string is trimmed before its length is checked: it needs a character that is not white space."""
    if not (isinstance(field, serializers.CharField) and field.trim_whitespace and _unpatterned_string(field, schema)):
        return None
    if field.allow_blank and (field.min_length or 0) < 1:
        return None
    return {**schema, "pattern": f"[^{WHITESPACE}]"}


REFINEMENTS = (external_schema, decimal_schema, constrained_schema, trimmed_schema)


def refine_request_field(field, schema: dict) -> dict:
    """`schema` (drf-spectacular's mapping of a writable request field), refined by the first refinement that
    applies."""
    model = field_model(field)
    for refine in REFINEMENTS:
        refined = refine(field, schema, model)
        if refined is not None:
            return refined
    return schema
