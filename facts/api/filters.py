"""Query filters for every list, declared per model (django-filter).

Every filter validates its value in the form layer, so a bad value becomes a 400 naming the parameter before any
query runs. Filters over to-many relations use EXISTS subqueries instead of joins: no duplicate rows, no DISTINCT,
and the planner can use the foreign-key indexes.
"""

import operator
from functools import reduce

import django_filters as df
from django import forms
from django.core.validators import RegexValidator
from django.db import connections
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Length
from django_filters.constants import EMPTY_VALUES
from django_filters.widgets import BaseCSVWidget

from facts.api.changes import UpdatedSinceFilterSet
from facts.api.pagination import count_from, count_with_page
from facts.dates import Precision
from facts.models import (
    DATE_ORDER,
    Actor,
    ActorAlias,
    ActorKind,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    ParticipantRole,
    Place,
    PlaceKind,
    Relation,
    RelationType,
    ReviewStatus,
    Source,
    Statement,
    StatementKind,
    date_order,
)
from facts.taxonomy import PLOVER_CATEGORIES

# The interval columns of a fact; an ordering on one of them sorts NULL in the one documented place.
DATE_COLUMNS = ("date_start", "date_end")

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

    DATE_FIELDS = frozenset(DATE_COLUMNS)

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        field = value.removeprefix("-")
        return date_order(field, descending=value.startswith("-")) if field in self.DATE_FIELDS else value

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            first = qs.query.order_by[0] if qs.query.order_by else ""
            descending = first.descending if isinstance(first, OrderBy) else str(first).startswith("-")
            qs = qs.order_by(*qs.query.order_by, "-pk" if descending else "pk")
        return qs


def ordering(fields: dict[str, str], default: str) -> StableOrderingFilter:
    dated = any(field in DATE_COLUMNS for field in fields)
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
                "categories are external (the PLOVER project's CAMEO-to-PLOVER table); CAMEO codes PLOVER has no category "
                "for (01, 02, the cue category 08 itself, and codes the table does not list) match none."
            ),
        )
        super().__init__(*args, **kwargs)


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


def matching_actor_ids(text: str):
    """Subquery of the ids of actors with `text` in their name or one of their aliases (trigram-indexed on PostgreSQL).

    A UNION rather than `name matches OR id IN (aliases)`: PostgreSQL estimates an OR with a subquery at half the
    actors, and then hash-joins every participant row instead of looking the few matching actors up by index.
    """
    by_name = Actor.objects.filter(name__icontains=text).order_by().values("id")
    return by_name.union(ActorAlias.objects.filter(name__icontains=text).order_by().values("actor_id"))


INDEXABLE_CHANNEL = RegexValidator(
    r"[^\W_]{3}",
    "Give at least 3 letters or digits in a row, e.g. “news conference”: a shorter text cannot use the channel's "
    "index and would read every statement.",
)


# A search alone walks the facts in date order, testing each, instead of sorting every match, when the planner
# expects its text in at least this share of the table: the first page then reads about 50 / share facts and the
# capped count about COUNT_CAP / share, where sorting reads every match (0.9 s for "and", in all of 10^6 events).
# Below it, walking would read too many facts that do not match. Small tables are sorted whatever the text.
BROAD_SEARCH_SHARE = 0.3
BROAD_SEARCH_MIN_ROWS = 50_000


def broad_search_actor_ids(model, columns: tuple[str, ...], text: str, using: str) -> list[int] | None:
    """For a text the planner expects in BROAD_SEARCH_SHARE of `model`'s rows or more (in one of its text
    `columns`), the ids of the actors it names.

    None otherwise, and always on databases other than PostgreSQL (the estimate is migration 0010's function). The
    ids come back with the estimate, in the same query, so that the walk can test each fact's actors against a list:
    as a subquery, PostgreSQL joins it with the participants again for every event it tests.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    actors_sql, actors_params = matching_actor_ids(text).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN e.total >= %s AND e.matches >= %s * e.total THEN ARRAY({actors_sql}) END "
            f"FROM facts_text_estimate(%s::regclass, %s, %s) e",
            [
                BROAD_SEARCH_MIN_ROWS,
                BROAD_SEARCH_SHARE,
                *actors_params,
                model._meta.db_table,
                list(columns),
                f"%{connection.ops.prep_for_like_query(text)}%",
            ],
        )
        return cursor.fetchone()[0]


# Fact tables whose longest date interval PostgreSQL finds in one index probe (migration 0007).
SPAN_INDEXED_TABLES = {"facts_event", "facts_statement"}


def earliest_overlapping_start(model, after, using: str) -> RawSQL | None:
    """The earliest date_start a `model` fact ending on or after `after` can have, as SQL; None where not known.

    That is `after` minus the longest interval of any such fact, read in the same statement (so it holds for the
    rows the query sees). As a lower bound on date_start it lets the (date_start, date_end) index seek to the window,
    where `date_end >= after` alone has it read every fact that started before the window. None on SQLite (no date
    arithmetic on its text dates) and for tables without a span index, whose MAX would read every row.
    """
    table = model._meta.db_table
    if connections[using].vendor != "postgresql" or table not in SPAN_INDEXED_TABLES:
        return None
    return RawSQL(
        f"%s::date - (SELECT COALESCE(MAX(date_end - date_start), 0) FROM {table})", [after], output_field=DateField()
    )


def date_window_branches(
    after, before, *, start: str = "date_start", end: str = "date_end", earliest_start=None
) -> list[Q]:
    """The facts whose interval overlaps the window after..before (either may be None: that side unbounded), as
    disjoint conditions, one per kind of interval: both bounds known, start unknown, end unknown. [Q()] if no window.

    An unknown (NULL) bound is unbounded: a NULL start is earlier than any date, a NULL end later than any, so an
    open interval matches every window it may overlap. An undated fact (both NULL) matches no window. `start` and
    `end` name the columns (a participant's copies of its event's dates); `earliest_start`, where known
    (earliest_overlapping_start), bounds the start of the intervals that have both bounds, so that an index seeks
    to it. Each branch is one range of a (start, ...) index: the NULL starts lead it, as the date order puts them.
    """
    if after is None and before is None:
        return [Q()]
    closed, open_start = {}, {f"{start}__isnull": True}
    open_end = {f"{end}__isnull": True, f"{start}__isnull": False}
    if after is not None:
        closed[f"{end}__gte"] = open_start[f"{end}__gte"] = after
        if earliest_start is not None:
            closed[f"{start}__gte"] = earliest_start
    else:
        closed[f"{end}__isnull"] = open_start[f"{end}__isnull"] = False
    if before is not None:
        closed[f"{start}__lte"] = open_end[f"{start}__lte"] = before
    elif earliest_start is None:
        closed[f"{start}__isnull"] = False
    return [Q(**closed), Q(**open_start), Q(**open_end)]


def date_window(after, before, **columns) -> Q:
    """The facts whose interval overlaps the window after..before: the OR of date_window_branches."""
    return reduce(operator.or_, date_window_branches(after, before, **columns))


def actor_name_matches(actor_ref: str, text: str) -> Q:
    """Q for a row whose actor (at path `actor_ref`) has `text` in its name or one of its aliases."""
    alias = ActorAlias.objects.filter(actor=OuterRef(actor_ref), name__icontains=text)
    return Q(**{f"{actor_ref}__name__icontains": text}) | Q(Exists(alias))


class ReferenceField(forms.CharField):
    """Parses "actor:<slug>", "place:<slug>" or "event:<id>" (a bare slug means an actor) into (kind, object)."""

    kinds = {
        "actor": (Actor.objects.only("id", "slug"), "slug"),
        "place": (Place.objects.only("id", "slug", "parent_id"), "slug"),
        "event": (Event.objects.only("id"), "pk"),
    }

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


class SearchMixin:
    """Shared free-text search: subclasses list the Q conditions it ORs together."""

    def search_conditions(self, text: str) -> Q:
        raise NotImplementedError

    def filter_search(self, queryset, name, value: str):
        text = value.strip()
        if not text:
            return queryset
        return count_with_page(queryset.filter(self.search_conditions(text)))


class DateWindowForm(forms.Form):
    """Refuses a date window that ends before it starts: it could only ever match nothing."""

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("date_after"), cleaned.get("date_before")
        if after and before and after > before:
            self.add_error("date_before", f"Must not be before date_after ({after.isoformat()}).")
        return cleaned


class FactFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters that every fact (event, statement, relation) takes: review status, date window and source."""

    # The foreign key from EvidenceSpan to this FilterSet's model.
    evidence_fk = ""

    status = df.ChoiceFilter(choices=ReviewStatus.choices, help_text="Curation state.")
    date_after = df.DateFilter(
        field_name="date_end",
        lookup_expr="gte",
        method="filter_date_after",
        help_text="ISO date (YYYY-MM-DD). Keeps facts whose date interval ends on or after it (interval overlap); "
        "an unknown end counts as later than any date. Undated facts never match.",
    )
    date_before = df.DateFilter(
        field_name="date_start",
        lookup_expr="lte",
        method="filter_date_before",
        help_text="ISO date (YYYY-MM-DD). Keeps facts whose date interval starts on or before it (interval overlap); "
        "an unknown start counts as earlier than any date. Undated facts never match.",
    )
    precision = df.ChoiceFilter(
        field_name="date_precision", choices=Precision.choices, help_text="Granularity of the resolved date."
    )
    source = df.ModelChoiceFilter(
        queryset=Source.objects.only("id"),
        method="filter_source",
        field_name="evidence__source",
        help_text="Source id: keeps facts with evidence in that source.",
    )

    # The default order of the list (the viewset's queryset), which a search alone may walk instead of sorting.
    default_order = DATE_ORDER

    def active_filters(self) -> set[str]:
        """The names of the filters given a value."""
        # A multiple-choice filter left empty cleans to an empty queryset, which EMPTY_VALUES does not recognise.
        return {
            name
            for name, value in self.form.cleaned_data.items()
            if value not in EMPTY_VALUES and not (isinstance(value, QuerySet) and not value)
        }

    def search_alone(self, queryset, filtered) -> str:
        """The search text if it is the only condition and the order is the default one, else ""."""
        text = (self.form.cleaned_data.get("search") or "").strip()
        if (
            text
            and self.active_filters() <= {"search", "ordering"}
            and not queryset.query.where
            and tuple(filtered.query.order_by) == self.default_order
        ):
            return text
        return ""

    def filter_date_after(self, queryset, name, value):
        return queryset.filter(self.window_condition(queryset))

    def filter_date_before(self, queryset, name, value):
        if self.form.cleaned_data.get("date_after"):
            return queryset  # applied by filter_date_after, as one window
        return queryset.filter(self.window_condition(queryset))

    def window_condition(self, queryset) -> Q:
        """date_after and date_before as one overlap condition (date_window)."""
        after, before = self.form.cleaned_data.get("date_after"), self.form.cleaned_data.get("date_before")
        start = earliest_overlapping_start(queryset.model, after, queryset.db) if after else None
        return date_window(after, before, earliest_start=start)

    def filter_source(self, queryset, name, value):
        spans = EvidenceSpan.objects.filter(**{self.evidence_fk: OuterRef("pk")}, source=value)
        return queryset.filter(Exists(spans))


class SourceFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters for sources."""

    search = search_filter("title, publisher and full text")
    published_after = df.DateFilter(
        field_name="published", lookup_expr="gte", help_text="ISO date: published on or after it."
    )
    published_before = df.DateFilter(
        field_name="published", lookup_expr="lte", help_text="ISO date: published on or before it."
    )
    ordering = ordering({"published": "published", "title": "title", "id": "id"}, "published, id")

    class Meta:
        model = Source
        fields = []

    def search_conditions(self, text):
        return Q(title__icontains=text) | Q(publisher__icontains=text) | Q(text__icontains=text)


class ActorFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters for actors."""

    search = search_filter("name, aliases, description and role titles (e.g. `spokesman`)")
    kind = df.ChoiceFilter(choices=ActorKind.choices, help_text="What sort of actor.")
    affiliated_with = df.ModelChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        method="filter_affiliated_with",
        field_name="affiliations__organization",
        help_text="Actor slug: actors linked to it by affiliations in either direction, at any depth — the members "
        "of a state or organization, the members of its organizations, and so on (`united-states`: its "
        "officials, the State Department and the State Department's spokesman); or the organizations "
        "and states an actor belongs to, and those they belong to.",
    )
    country = CountryCodeFilter(help_text="ISO 3166-1 alpha-2 country code (any case), e.g. AM.")
    ordering = ordering({"name": "name", "slug": "slug", "kind": "kind"}, "name")

    class Meta:
        model = Actor
        fields = []

    def search_conditions(self, text):
        return (
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(Exists(ActorAlias.objects.filter(actor=OuterRef("pk"), name__icontains=text)))
            | Q(Exists(Affiliation.objects.filter(person=OuterRef("pk"), role_title__icontains=text)))
        )

    def filter_affiliated_with(self, queryset, name, value):
        # Two recursive walks of the affiliation graph, inside the page's query (Actor.objects.below_ids/above_ids).
        return queryset.filter(
            Q(pk__in=Actor.objects.below_ids(value)) | Q(pk__in=Actor.objects.above_ids(value))
        ).exclude(pk=value.pk)


class PlaceFilterSet(SearchMixin, UpdatedSinceFilterSet):
    """Filters for places."""

    search = search_filter("name and description")
    kind = df.ChoiceFilter(choices=PlaceKind.choices, help_text="What sort of place.")
    within = df.ModelChoiceFilter(
        queryset=Place.objects.only("id", "slug"),
        to_field_name="slug",
        method="filter_within",
        field_name="parent",
        help_text="Place slug: that place and every place within it, at any depth.",
    )
    country = CountryCodeFilter(help_text="ISO 3166-1 alpha-2 country code (any case) of a country place, e.g. AZ.")
    ordering = ordering({"name": "name", "slug": "slug", "kind": "kind"}, "name")

    class Meta:
        model = Place
        fields = []

    def search_conditions(self, text):
        return Q(name__icontains=text) | Q(description__icontains=text)

    def filter_within(self, queryset, name, value):
        return queryset.filter(pk__in=Place.objects.subtree_ids(value))


class EventTypeFilterSet(SearchMixin, df.FilterSet):
    """Filters for the CAMEO codebook."""

    search = search_filter("code prefix, label and description")
    used = df.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_used",
        help_text="`true`: only codes some event uses; `false`: only unused codes.",
    )
    plover = PloverFilter(field_name="plover_category", what="the code")
    level = df.ChoiceFilter(
        choices=[("1", "1"), ("2", "2"), ("3", "3")],
        method="filter_level",
        help_text="Depth in the codebook: `1` the 20 two-digit cue categories, `2` the three-digit codes, `3` the "
        "four-digit codes.",
    )
    parent = df.ModelChoiceFilter(
        queryset=EventType.objects.only("code"),
        to_field_name="code",
        method="filter_parent",
        field_name="code",
        error_messages={"invalid_choice": "No CAMEO code “%(value)s” is in the codebook."},
        help_text="A CAMEO code: the codes directly below it, one digit longer (`04`: 040 to 046; `087`: 0871 to "
        "0874; a four-digit code has none).",
    )
    ordering = ordering({"code": "code", "label": "label", "event_count": "event_count"}, "code")

    class Meta:
        model = EventType
        fields = []

    def search_conditions(self, text):
        return Q(code__startswith=text) | Q(label__icontains=text) | Q(description__icontains=text)

    def filter_used(self, queryset, name, value):
        return queryset.filter(event_count__gt=0) if value == "true" else queryset.filter(event_count=0)

    def filter_level(self, queryset, name, value):
        return queryset.alias(code_length=Length("code")).filter(code_length=int(value) + 1)

    def filter_parent(self, queryset, name, value: EventType):
        return queryset.alias(code_length=Length("code")).filter(
            code__startswith=value.code, code_length=len(value.code) + 1
        )


class EventFilterSet(FactFilterSet):
    """Filters for events."""

    evidence_fk = "event"

    search = search_filter("title, description, place name, and participants' names and aliases", indexable=True)
    actor = df.ModelMultipleChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        method="filter_actor",
        field_name="participants__actor",
        help_text="Actor slug; repeat it (actor=a&actor=b) to keep events in which ALL of them take part. "
        "With `role`, each given actor must hold that role.",
    )
    role = df.ChoiceFilter(
        choices=ParticipantRole.choices,
        method="filter_role",
        field_name="participants__role",
        help_text="Participant role. With `actor`: the given actors hold this role. Alone: some participant does.",
    )
    place = df.ModelChoiceFilter(
        queryset=Place.objects.only("id", "slug"),
        to_field_name="slug",
        method="filter_place",
        field_name="place",
        help_text="Place slug: events at that place or any place within it.",
    )
    type = df.CharFilter(
        method="filter_type",
        field_name="event_type",
        validators=[RegexValidator(r"^[0-9]{2,4}$", "Give a CAMEO code or prefix of 2 to 4 digits, e.g. 04 or 043.")],
        help_text="CAMEO code or prefix (2-4 digits): `04` matches every consultation (040-046x), `043` only "
        f"hosted visits. Top-level categories: {CAMEO_ROOTS}. See /api/v1/event-types/ for the codes used.",
    )
    plover = PloverFilter(
        method="filter_plover",
        field_name="event_type__plover_category",
        what="the event's CAMEO code (its `type.plover_category`)",
    )
    parent = df.ModelChoiceFilter(
        queryset=Event.objects.only("id"), field_name="parent", help_text="Event id: events that are part of it."
    )
    ordering = ordering(
        {
            "date_start": "date_start",
            "date_end": "date_end",
            "title": "title",
            "event_type": "type",
            "id": "id",
            "updated_at": "updated_at",
        },
        "date_start, id",
    )

    class Meta:
        model = Event
        fields = []
        form = DateWindowForm

    def filter_queryset(self, queryset):
        filtered = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        active = self.active_filters()
        if (
            len(data.get("actor") or ()) == 1
            and active <= {"actor", "role", "type", "date_after", "date_before", "ordering"}
            and not queryset.query.where
        ):
            # One actor, optionally a role, a type and a date window, and no other condition on the events: each
            # match is one of the actor's participant rows (one per event), which carry the event's dates and type.
            # Counting those reads the actor's entries in participant_actor_date alone, instead of probing every
            # matching event.
            counted = Participant.objects.order_by().filter(actor=data["actor"][0], **self.participant_type(""))
            if data.get("role"):
                counted = counted.filter(role=data["role"])
            # One range of the index per kind of interval (dates known, start or end unknown), counted together.
            # event_id, not id: the index holds it, so each branch is counted from the index alone.
            first, *others = [
                counted.filter(branch).values("event_id") for branch in self.participant_window_branches("")
            ]
            filtered = count_from(filtered, first.union(*others, all=True) if others else first)
        text = self.search_alone(queryset, filtered)
        if text:
            actor_ids = broad_search_actor_ids(Event, ("title", "description"), text, using=queryset.db)
            if actor_ids is None:
                # A search alone, in the default order: the UNION's branches can carry each match's start date (the
                # participant index holds a copy), so the page is sorted and counted from the UNION itself, without
                # looking every match up in the events table to learn its date.
                filtered = count_with_page(filtered, matches=self.search_matches(text))
            else:
                # A text in much of the table: walking the date index finds the page's matches in the first few
                # hundred events, and the count stops at the cap, where the UNION would sort every match.
                filtered = queryset.filter(self.search_walk(text, actor_ids)).order_by(*filtered.query.order_by)
        return filtered

    @staticmethod
    def search_own_text(text) -> Q:
        """An event whose title or description contains `text`."""
        return Q(title__icontains=text) | Q(description__icontains=text)

    @staticmethod
    def search_places(text) -> Q:
        """An event at a place whose name contains `text`."""
        return Q(place__in=Place.objects.filter(name__icontains=text).order_by().values("id"))

    @classmethod
    def search_branches(cls, text):
        """The ways an event matches a search: its title or description, its place's name, an actor's name."""
        by_text = Event.objects.filter(cls.search_own_text(text)).order_by()
        at_place = Event.objects.filter(cls.search_places(text)).order_by()
        with_actor = Participant.objects.filter(actor__in=matching_actor_ids(text)).order_by()
        return by_text, at_place, with_actor

    def search_conditions(self, text):
        # Each way to match is one branch of a UNION of event ids, so that each can use its own index on PostgreSQL
        # (trigram GIN on title and description, the place and actor foreign keys) after the few matching places and
        # actors are found through their trigram indexes. ORed together in one WHERE they force a scan of every event.
        by_text, at_place, with_actor = self.search_branches(text)
        return Q(pk__in=by_text.values("id").union(at_place.values("id"), with_actor.values("event_id")))

    @classmethod
    def search_walk(cls, text, actor_ids):
        """The search as one condition on each event, the cheapest tests first, for walking the events in order.

        The same matches as the UNION of search_branches, given the ids of the actors whose names contain `text`.
        """
        walk = cls.search_own_text(text) | cls.search_places(text)
        if actor_ids:
            walk |= Q(Exists(Participant.objects.filter(event=OuterRef("pk"), actor_id__in=actor_ids)))
        return walk

    def search_matches(self, text):
        """The search's matches as (id, date_start) rows, in a UNION of the same branches as search_conditions."""
        by_text, at_place, with_actor = self.search_branches(text)
        return by_text.values("id", "date_start").union(
            at_place.values("id", "date_start"), with_actor.values("event_id", "event_date_start")
        )

    def window_condition(self, queryset) -> Q:
        if self.form.cleaned_data.get("actor"):
            # filter_actor applies the window to the first actor's participant row, whose copy of the event's dates
            # the (actor, date) index holds: the same condition on the events would only lead the planner astray.
            return Q()
        return super().window_condition(queryset)

    def participant_window_branches(self, prefix: str) -> list[Q]:
        """The date window on participant rows' copy of their event's dates, bounded as the events' are (an unknown
        bound unbounded, undated events never matching: date_window_branches)."""
        after, before = self.form.cleaned_data.get("date_after"), self.form.cleaned_data.get("date_before")
        start = earliest_overlapping_start(Event, after, self.queryset.db) if after else None
        return date_window_branches(
            after, before, start=f"{prefix}event_date_start", end=f"{prefix}event_date_end", earliest_start=start
        )

    def participant_window(self, prefix: str) -> Q:
        return reduce(operator.or_, self.participant_window_branches(prefix))

    def participant_type(self, prefix: str) -> dict:
        """The type prefix as a lookup on participant rows' copy of their event's CAMEO code."""
        code = self.form.cleaned_data.get("type")
        return {f"{prefix}event_type_code__startswith": code} if code else {}

    def filter_actor(self, queryset, name, value):
        if not value:
            return queryset
        data = self.form.cleaned_data
        role = data.get("role")
        first, *others = value
        # The first actor is a join, not EXISTS (an actor has one role per event, so no row repeats), and the date
        # window and type are repeated on the participant's copy of the event's dates and code. The (actor, date)
        # index then finds, checks and orders the page by itself, however many events the actor has: EXISTS leaves
        # PostgreSQL to walk the whole date index probing each event for the actor, or to sort all of its events.
        joined = {"participants__actor": first}
        if role:
            joined["participants__role"] = role
        queryset = queryset.filter(
            self.participant_window("participants__"), **joined, **self.participant_type("participants__")
        )
        if tuple(queryset.query.order_by) == self.default_order:
            # The same order, read from the joined copy: the planner cannot know the two columns are equal.
            queryset = queryset.order_by(date_order("participants__event_date_start"), "participants__event_id")
        for actor in others:
            taking_part = Participant.objects.filter(event=OuterRef("pk"), actor=actor)
            if role:
                taking_part = taking_part.filter(role=role)
            queryset = queryset.filter(Exists(taking_part))
        return queryset

    def filter_role(self, queryset, name, value):
        if self.form.cleaned_data.get("actor"):
            return queryset  # filter_actor applies the role to each given actor
        return queryset.filter(Exists(Participant.objects.filter(event=OuterRef("pk"), role=value)))

    def filter_place(self, queryset, name, value):
        return queryset.filter(place_id__in=Place.objects.subtree_ids(value))

    def filter_type(self, queryset, name, value: str):
        return queryset.filter(event_type__code__startswith=value)

    def filter_plover(self, queryset, name, value: list[str]):
        # The codes of those categories (a few dozen rows of the codebook), as a subquery on the events' key.
        return queryset.filter(event_type__in=EventType.objects.filter(plover_category__in=value).values("code"))


class StatementFilterSet(FactFilterSet):
    """Filters for statements."""

    evidence_fk = "statement"

    search = search_filter("statement text, channel, and the speaker's name and aliases", indexable=True)
    speaker = df.ModelMultipleChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        field_name="speaker",
        method="filter_speaker",
        help_text="Speaker's actor slug; repeat it to keep statements by ANY of them.",
    )
    speaker_kind = df.ChoiceFilter(
        field_name="speaker__kind",
        choices=ActorKind.choices,
        help_text="What sort of actor the speaker is (e.g. unnamed).",
    )
    speaker_affiliated_with = df.ModelChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        field_name="speaker",
        method="filter_speaker_affiliated_with",
        help_text="Actor slug of a state or organization: statements by its members at any depth (for "
        "`united-states`: Blinken, the anonymous US official, and Patel through the State Department). "
        "Not the actor's own statements (use `speaker` for those).",
    )
    channel = df.CharFilter(
        field_name="channel",
        lookup_expr="icontains",
        validators=[INDEXABLE_CHANNEL],
        help_text="Text in the channel the words came through, case-insensitive (e.g. `news conference`, "
        "`State Department statement`). At least 3 letters or digits in a row.",
    )
    kind = ChoiceInFilter(
        choices=StatementKind.choices,
        help_text="Direct quote, partial quote or paraphrase; several comma-separated (`kind=quote,partial`) keep "
        "statements of ANY of them.",
    )
    about = ReferenceFilter(
        method="filter_about",
        help_text="What the statement is about: `actor:<slug>`, `place:<slug>` (that place or any place within it) "
        "or `event:<id>` (about that event, or made at it). A bare slug means an actor.",
    )
    event = df.ModelChoiceFilter(
        queryset=Event.objects.only("id"),
        field_name="event",
        help_text="Event id: statements made at that event (`about=event:<id>` adds those about it).",
    )
    ordering = ordering(
        {
            "date_start": "date_start",
            "date_end": "date_end",
            "kind": "kind",
            "speaker__name": "speaker",
            "id": "id",
            "updated_at": "updated_at",
        },
        "date_start, id",
    )

    class Meta:
        model = Statement
        fields = []
        form = DateWindowForm

    def filter_queryset(self, queryset):
        filtered = super().filter_queryset(queryset)
        text = self.search_alone(queryset, filtered)
        if text:
            actor_ids = broad_search_actor_ids(Statement, ("text", "channel"), text, using=queryset.db)
            if actor_ids is not None:
                # A text in much of the table: walk the date index, as EventFilterSet does.
                filtered = queryset.filter(self.search_walk(text, actor_ids)).order_by(*filtered.query.order_by)
        return filtered

    @staticmethod
    def search_own_text(text) -> Q:
        """A statement whose words or channel contain `text`."""
        return Q(text__icontains=text) | Q(channel__icontains=text)

    def search_conditions(self, text):
        # A UNION of statement ids, one indexable branch per way to match (see EventFilterSet.search_conditions).
        by_text = Statement.objects.filter(self.search_own_text(text)).order_by()
        by_speaker = Statement.objects.filter(speaker__in=matching_actor_ids(text)).order_by()
        return Q(pk__in=by_text.values("id").union(by_speaker.values("id")))

    @classmethod
    def search_walk(cls, text, actor_ids):
        """The search as one condition on each statement, for walking the statements in date order.

        The same matches as search_conditions, given the ids of the actors whose names contain `text`.
        """
        walk = cls.search_own_text(text)
        return walk | Q(speaker_id__in=actor_ids) if actor_ids else walk

    def filter_speaker(self, queryset, name, value):
        return queryset.filter(speaker__in=list(value)) if value else queryset

    def filter_speaker_affiliated_with(self, queryset, name, value):
        # A recursive walk down the affiliation graph, inside the page's query (Actor.objects.below_ids).
        return queryset.filter(speaker_id__in=Actor.objects.below_ids(value)).exclude(speaker_id=value.pk)

    def filter_about(self, queryset, name, value):
        kind, target = value
        if kind == "actor":
            through = Statement.about_actors.through.objects.filter(statement=OuterRef("pk"), actor=target)
            return queryset.filter(Exists(through))
        if kind == "place":
            through = Statement.about_places.through.objects.filter(
                statement=OuterRef("pk"), place_id__in=Place.objects.subtree_ids(target)
            )
            return queryset.filter(Exists(through))
        through = Statement.about_events.through.objects.filter(statement=OuterRef("pk"), event=target)
        return queryset.filter(Q(Exists(through)) | Q(event=target))


class RelationFilterSet(FactFilterSet):
    """Filters for relations between actors."""

    evidence_fk = "relation"

    search = search_filter("description and both actors' names and aliases", indexable=True)
    actor = BoundedModelMultipleChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        method="filter_actor",
        field_name="subject",
        max_values=2,
        help_text="Actor slug: relations with that actor on either side. Repeat it, as on events "
        "(actor=a&actor=b), to keep relations in which ALL of them take part: the relations between the "
        "two (a relation has two sides, so at most 2).",
    )
    type = df.ChoiceFilter(choices=RelationType.choices, help_text="Relation type.")
    ordering = ordering({"id": "id", "type": "type", "date_start": "date_start", "updated_at": "updated_at"}, "id")

    class Meta:
        model = Relation
        fields = []
        form = DateWindowForm

    def search_conditions(self, text):
        return Q(description__icontains=text) | actor_name_matches("subject", text) | actor_name_matches("object", text)

    def filter_actor(self, queryset, name, value):
        for actor in value:
            queryset = queryset.filter(Q(subject=actor) | Q(object=actor))
        return queryset
