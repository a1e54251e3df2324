"""The parameter types of the list filters (facts.api.filters): orderings, multi-value and reference parameters,
and the search and plan every FilterSet shares (SearchMixin).

Every one validates its value in the form layer, so a bad value becomes a 400 naming the parameter before any
query runs.
"""

from typing import Any

import django_filters as df
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.db.models.expressions import OrderBy
from django_filters.constants import EMPTY_VALUES
from django_filters.widgets import BaseCSVWidget
from drf_spectacular.utils import extend_schema_field

from facts.models import DATE_BOUNDS, Actor, Event, Place, ReviewStatus, date_order
from facts.selectors import planning
from facts.selectors.planning import QueryPlan
from facts.taxonomy import PLOVER_CATEGORIES

CAMEO_ROOTS = (
    "01 Make public statement, 02 Appeal, 03 Express intent to cooperate, 04 Consult, 05 Engage in diplomatic "
    "cooperation, 06 Engage in material cooperation, 07 Provide aid, 08 Yield, 09 Investigate, 10 Demand, "
    "11 Disapprove, 12 Reject, 13 Threaten, 14 Protest, 15 Exhibit force posture, 16 Reduce relations, 17 Coerce, "
    "18 Assault, 19 Fight, 20 Use unconventional mass violence"
)


class StableOrderingFilter(df.OrderingFilter):
    """An OrderingFilter that appends the primary key, so that equal sort keys still page deterministically.

    The key runs in the direction of the first sort key, so that one (field, id) index serves a sort either way:
    `-updated_at` then `id` ascending would sort every row sharing a timestamp (all of a bulk load's) for each page.
    A date column sorts in the one order of every database (facts.models.date_order): a NULL date (undated, or an
    unknown bound) before every date ascending, after every date descending.
    """

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        field = value.removeprefix("-")
        return date_order(field, descending=value.startswith("-")) if field in DATE_BOUNDS else value

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            first = qs.query.order_by[0] if qs.query.order_by else ""
            descending = first.descending if isinstance(first, OrderBy) else str(first).startswith("-")
            qs = qs.order_by(*qs.query.order_by, "-pk" if descending else "pk")
        return qs


def ordering(fields: dict[str, str], default: str) -> StableOrderingFilter:
    dated = any(field in DATE_BOUNDS for field in fields)
    return StableOrderingFilter(
        fields=fields,
        help_text=(
            f"Sort order: one or more of {', '.join(f'`{name}`' for name in fields.values())}, comma-separated; "
            f"prefix a name with `-` for descending. Default: {default}. Ties are broken by id, in the "
            "direction of the first name."
            + (
                " A missing date (an undated fact, or an unknown start or end) sorts before every date ascending "
                "and after every date descending, on every database."
                if dated
                else ""
            )
        ),
    )


class CommaSeparatedWidget(BaseCSVWidget, forms.TextInput):
    """Several values of one parameter, comma-separated (`kind=quote,partial`) or repeated (`kind=quote&kind=partial`):
    every value given, split at commas, blanks dropped. django-filter's own CSV widget reads only the last repetition,
    which would silently drop the others."""

    def value_from_datadict(self, data, files, name):
        if hasattr(data, "getlist"):
            raw = data.getlist(name)
        else:
            raw = data.get(name)
            raw = [] if raw is None else list(raw) if isinstance(raw, (list, tuple)) else [raw]
        if not raw:
            return None
        return [part.strip() for value in raw for part in str(value).split(",") if part.strip()]


class ChoiceInFilter(df.BaseInFilter, df.ChoiceFilter):
    """One or more choices (comma-separated or repeated), kept if the field has ANY of them; a value that is not a
    choice is a 400 naming the parameter."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CommaSeparatedWidget)
        super().__init__(*args, **kwargs)


class BoundedModelMultipleChoiceField(df.fields.ModelMultipleChoiceField):
    """A repeated reference parameter that takes at most `max_values` different values."""

    def __init__(self, *args, max_values: int | None = None, **kwargs):
        self.max_values = max_values
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if self.max_values is not None and value and len(set(value)) > self.max_values:
            raise forms.ValidationError(
                f"Give at most {self.max_values} different values; got {len(set(value))}.", code="max_values"
            )
        return super().clean(value)


class BoundedModelMultipleChoiceFilter(df.ModelMultipleChoiceFilter):
    field_class = BoundedModelMultipleChoiceField


class UpperCaseChoiceField(df.fields.ChoiceField):
    """A choice given in any case: `consult` is CONSULT."""

    def clean(self, value):
        return super().clean(value.upper() if isinstance(value, str) else value)


class PloverFilter(ChoiceInFilter):
    """PLOVER event categories, in any case, comma-separated or repeated: ANY of them. An unknown one is a 400."""

    field_class = UpperCaseChoiceField

    def __init__(self, *args, what: str, **kwargs):
        kwargs.setdefault("choices", [(category, category) for category in PLOVER_CATEGORIES])
        kwargs.setdefault(
            "error_messages",
            {
                "invalid_choice": (
                    f"Unknown PLOVER category “%(value)s”: give one of {', '.join(PLOVER_CATEGORIES)} (any case)."
                )
            },
        )
        kwargs.setdefault(
            "help_text",
            (
                f"PLOVER event category of {what}, in any case (`CONSULT` or `consult`); several comma-separated "
                f"(`plover=CONSULT,AID`) or repeated keep ANY of them. One of: {', '.join(PLOVER_CATEGORIES)}. The "
                "categories are external (the PLOVER project's CAMEO-to-PLOVER table); CAMEO codes PLOVER has no "
                "category for (01, 02, the cue category 08 itself, and codes the table does not list) match none."
            ),
        )
        super().__init__(*args, **kwargs)


class BoundedIntegerFilter(df.NumberFilter):
    """A whole number from `min_value` to `max_value` (field kwargs); anything else is a 400 naming the parameter.

    The schema states both bounds (drf-spectacular's field override on this filter), so that no client, and no
    schema-driven test, sends a value the schema allows and the API refuses.
    """

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int, max_value: int, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        schema = {"type": "integer", "minimum": min_value, "maximum": max_value}
        # An override replaces the description drf-spectacular would take from the help text: give it back.
        extend_schema_field({**schema, "description": str(self.extra.get("help_text", ""))})(self)


class CountryCodeFilter(df.CharFilter):
    """An ISO 3166-1 alpha-2 code in any case, matched against the stored (upper-case) `country_code`."""

    def __init__(self, **kwargs):
        kwargs.setdefault("field_name", "country_code")
        kwargs.setdefault("validators", [RegexValidator(r"^[A-Za-z]{2}$", "Give a two-letter ISO 3166-1 code.")])
        super().__init__(**kwargs)

    def filter(self, qs, value):
        return super().filter(qs, value.upper() if value else value)


# A text without 3 letters or digits in a row gives pg_trgm no trigram to look up, so its LIKE reads every row: 3 to 6
# seconds for "xq" or "a" over 10^6 events. The facts' searches refuse it; the small reference tables (actors,
# places, sources, event types, where "04" is a code) still take any text.
INDEXABLE_SEARCH = RegexValidator(
    r"[^\W_]{3}",
    "Give at least 3 letters or digits in a row, e.g. “Lachin” or “US official”: a shorter text cannot use the search "
    "index and would read every fact. For an actor with a short name, find its slug with /api/v1/actors/?search= "
    "and filter by actor.",
)


def search_filter(over: str, *, indexable: bool = False) -> df.CharFilter:
    """The `search` filter over the fields `over`; `indexable` refuses texts the trigram indexes cannot serve."""
    if indexable:
        return df.CharFilter(
            method="filter_search",
            validators=[INDEXABLE_SEARCH],
            help_text=(f"Free text, case-insensitive, matched against {over}. At least 3 letters or digits in a row."),
        )
    return df.CharFilter(method="filter_search", help_text=f"Free text, case-insensitive, matched against {over}.")


INDEXABLE_CHANNEL = RegexValidator(
    r"[^\W_]{3}",
    "Give at least 3 letters or digits in a row, e.g. “news conference”: a shorter text cannot use the channel's "
    "index and would read every statement.",
)


class ReferenceField(forms.CharField):
    """Parses "actor:<slug>", "place:<slug>" or "event:<id>" (a bare slug means an actor) into (kind, object)."""

    kinds = {
        "actor": (Actor.objects.only("id", "slug"), "slug"),
        "place": (Place.objects.only("id", "slug", "parent_id").with_subtree(), "slug"),
        "event": (Event.objects.only("id"), "pk"),
    }

    def __init__(self, *args, actors: QuerySet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if actors is not None:
            self.kinds = {**self.kinds, "actor": (actors, "slug")}

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        kind, sep, key = value.partition(":")
        if not sep:
            kind, key = "actor", value
        if kind not in self.kinds:
            raise forms.ValidationError(
                f"Unknown reference kind “{kind[:40]}”: use actor:<slug>, place:<slug> or event:<id>."
            )
        queryset, field = self.kinds[kind]
        if field == "pk" and not key.isdigit():
            raise forms.ValidationError(f"An event reference needs a numeric id, e.g. event:3; got “{key[:40]}”.")
        try:
            return kind, queryset.get(**{field: key})
        except (queryset.model.DoesNotExist, ValueError):
            raise forms.ValidationError(f"No {kind} “{key[:80]}” exists.") from None


class ReferenceFilter(df.CharFilter):
    field_class = ReferenceField


class CandidateActorsHidden:
    """A list knows the extractor's candidate actors only when it is asked for `status=candidate`.

    Otherwise every actor reference among its filters (`actor=`, `speaker=`, `speaker_affiliated_with=`,
    `about=actor:`, `affiliated_with=`) knows accepted actors only (planning.visible_actors): a candidate's slug is
    refused as unknown, as the candidate facts that name it are unseen. The `status` value itself is validated by
    its own filter; here it only chooses which actors the references are checked against.
    """

    filters: dict

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        if data is not None and data.get("status") == ReviewStatus.CANDIDATE:
            return
        for item in self.filters.values():
            if isinstance(item, ReferenceFilter):
                item.extra["actors"] = planning.visible_actors(Actor.objects.only("id", "slug"))
            elif isinstance(item, df.ModelChoiceFilter | df.ModelMultipleChoiceFilter) and item.queryset is not None:
                if item.queryset.model is not Actor:
                    continue
                item.queryset = planning.visible_actors(item.queryset)
            else:
                continue
            # The form field built from the class's filter (query_params reads it) is copied with it: build anew.
            item.__dict__.pop("_field", None)


class DateWindowForm(forms.Form):
    """Refuses a date window that ends before it starts: it could only ever match nothing."""

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", f"Must not be before date_after ({after.isoformat()}).")
        return cleaned


class SearchMixin:
    """Shared free-text search (subclasses list the Q conditions it ORs together) and the plan of the list."""

    # The FilterSet's, which this mixin is combined with.
    form: Any
    is_bound: bool
    queryset: QuerySet
    qs: QuerySet

    def search_conditions(self, text: str) -> Q:
        raise NotImplementedError

    def cleaned(self) -> dict:
        """The filter values as the form cleaned them (none for an unbound FilterSet, which filters nothing)."""
        return getattr(self.form, "cleaned_data", {}) if self.is_bound else {}

    def search_text(self) -> str:
        return (self.cleaned().get("search") or "").strip()

    def filter_search(self, queryset, name, value: str):
        text = value.strip()
        return queryset.filter(self.search_conditions(text)) if text else queryset

    def active_filters(self) -> set[str]:
        """The names of the filters given a value."""
        # A multiple-choice filter left empty cleans to an empty queryset, which EMPTY_VALUES does not recognise.
        return {
            name
            for name, value in self.cleaned().items()
            if value not in EMPTY_VALUES and not (isinstance(value, QuerySet) and not value)
        }

    def plan(self) -> QueryPlan:
        """How to read the filtered list: its rows, and how to count and page them (facts.selectors.planning)."""
        return planning.list_plan(self.queryset, self.qs, text=self.search_text())
