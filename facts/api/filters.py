"""Query filters for every list, declared per model (django-filter), and the plan each filtered list is read by.

Every filter validates its value in the form layer (facts.api.filter_fields), so a bad value becomes a 400 naming
the parameter before any query runs. Filters over to-many relations use EXISTS subqueries instead of joins: no
duplicate rows, no DISTINCT, and the planner can use the foreign-key indexes. `plan()` hands the filtered queryset
to facts.selectors.planning, which says how to count and page it (a QueryPlan).
"""

import django_filters as df
from django.core.validators import RegexValidator
from django.db.models import Exists, OuterRef, Q

from facts.api.changes import UpdatedSinceFilterSet
from facts.api.filter_fields import (
    CAMEO_ROOTS,
    INDEXABLE_CHANNEL,
    BoundedIntegerFilter,
    BoundedModelMultipleChoiceFilter,
    CandidateActorsHidden,
    ChoiceInFilter,
    DateWindowForm,
    PloverFilter,
    ReferenceFilter,
    SearchMixin,
    ordering,
    search_filter,
)
from facts.api.reference_filters import ActorFilterSet, EventTypeFilterSet, PlaceFilterSet, SourceFilterSet
from facts.dates import Precision
from facts.models import (
    DATE_ORDER,
    Actor,
    ActorAlias,
    ActorKind,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    ParticipantRole,
    Place,
    Relation,
    RelationType,
    ReviewStatus,
    Source,
    Statement,
    StatementKind,
)
from facts.selectors import planning
from facts.selectors.planning import EVENT_SEARCH, STATEMENT_SEARCH, FactSearch, Participation, QueryPlan
from facts.walks import walked

__all__ = [
    "ActorFilterSet",
    "EventFilterSet",
    "EventTypeFilterSet",
    "FactFilterSet",
    "PlaceFilterSet",
    "RelationFilterSet",
    "SourceFilterSet",
    "StatementFilterSet",
]


# More sources than any fact has is a question with no answer; a bound keeps the parameter's values few.
MAX_MIN_SOURCES = 1000


def actor_name_matches(actor_ref: str, text: str) -> Q:
    """Q for a row whose actor (at path `actor_ref`) has `text` in its name or one of its aliases."""
    alias = ActorAlias.objects.filter(actor=OuterRef(actor_ref), name__icontains=text)
    return Q(**{f"{actor_ref}__name__icontains": text}) | Q(Exists(alias))


class FactFilterSet(CandidateActorsHidden, SearchMixin, UpdatedSinceFilterSet):
    """Filters that every fact (event, statement, relation) takes: review status, date window and source."""

    # The foreign key from EvidenceSpan to this FilterSet's model.
    evidence_fk = ""

    status = df.ChoiceFilter(
        choices=ReviewStatus.choices,
        help_text="Curation state. Without it a list leaves out the extractor's candidates (`status=candidate` "
        "lists them: facts proposed by `propose_facts`, waiting for a curator).",
    )
    date_after = df.DateFilter(
        field_name="date_end",
        lookup_expr="gte",
        method="applied_together",
        help_text="ISO date (YYYY-MM-DD). Keeps facts whose date interval ends on or after it (interval overlap); "
        "an unknown end counts as later than any date. Undated facts never match.",
    )
    date_before = df.DateFilter(
        field_name="date_start",
        lookup_expr="lte",
        method="applied_together",
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
    min_sources = BoundedIntegerFilter(
        field_name="sources_count",
        lookup_expr="gte",
        min_value=1,
        max_value=MAX_MIN_SOURCES,
        help_text=f"Whole number from 1 to {MAX_MIN_SOURCES}: keeps facts that at least this many distinct sources "
        "cite (their `sources_count`); `min_sources=2` keeps the corroborated ones.",
    )

    # The default order of the list (the viewset's queryset), which a search alone may walk instead of sorting.
    default_order = DATE_ORDER
    # The fact table's search, its walk and its matches (facts.selectors.planning); None: a plain search.
    fact_search: FactSearch | None = None

    def applied_together(self, queryset, name, value):
        """A filter that depends on others (the date window's two ends...): filter_queryset applies them as one."""
        return queryset

    def filter_queryset(self, queryset):
        queryset = self.filter_together(super().filter_queryset(queryset), self.form.cleaned_data)
        # Analysts never read unvetted facts by accident: candidates only when `status=candidate` is asked for.
        # Tombstones of merges never (planning.live).
        return planning.live(queryset) if self.form.cleaned_data.get("status") else planning.visible(queryset)

    def filter_together(self, queryset, data):
        """date_after and date_before as one overlap condition (facts.selectors.planning.date_window)."""
        after, before = data.get("date_after"), data.get("date_before")
        if after is None and before is None:
            return queryset
        return queryset.filter(planning.fact_window(queryset.model, after, before, queryset.db))

    def search_alone(self) -> bool:
        """Whether the search is the only condition (in whatever order)."""
        return self.active_filters() <= {"search", "ordering"}

    def in_default_order(self, filtered) -> bool:
        return tuple(filtered.query.order_by) == self.default_order

    def plan(self) -> QueryPlan:
        filtered, text = self.qs, self.search_text()
        if self.fact_search is None:
            return planning.list_plan(self.queryset, filtered, text=text)
        alone = bool(text) and self.search_alone()
        return planning.fact_plan(
            self.queryset,
            filtered,
            self.fact_search,
            text=text,
            alone=alone,
            default_order=self.in_default_order(filtered),
        )

    def filter_source(self, queryset, name, value):
        # A candidate span is not evidence yet: a vetted event a new source only may report is not "in" it.
        spans = EvidenceSpan.objects.filter(**{self.evidence_fk: OuterRef("pk")}, source=value, candidate=False)
        return queryset.filter(Exists(spans))


class EventFilterSet(FactFilterSet):
    """Filters for events."""

    evidence_fk = "event"

    search = search_filter("title, description, place name, and participants' names and aliases", indexable=True)
    actor = df.ModelMultipleChoiceFilter(
        queryset=Actor.objects.only("id", "slug"),
        to_field_name="slug",
        method="applied_together",
        field_name="participants__actor",
        help_text="Actor slug; repeat it (actor=a&actor=b) to keep events in which ALL of them take part. "
        "With `role`, each given actor must hold that role.",
    )
    role = df.ChoiceFilter(
        choices=ParticipantRole.choices,
        method="applied_together",
        field_name="participants__role",
        help_text="Participant role. With `actor`: the given actors hold this role. Alone: some participant does.",
    )
    place = df.ModelChoiceFilter(
        queryset=Place.objects.only("id", "slug").with_subtree(),
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
        fields: list[str] = []
        form = DateWindowForm

    fact_search = EVENT_SEARCH

    def participation(self, data) -> Participation:
        return Participation(
            actors=tuple(data.get("actor") or ()),
            role=data.get("role") or "",
            type_code=data.get("type") or "",
            after=data.get("date_after"),
            before=data.get("date_before"),
        )

    def filter_together(self, queryset, data):
        """The actors, their role, the type and the date window, on the participant rows' copy of the event's dates
        and type where an actor is given (facts.selectors.planning.events_taking_part)."""
        part = self.participation(data)
        if part.actors:
            return planning.events_taking_part(queryset, part, default_order=self.default_order)
        if part.role:
            queryset = queryset.filter(Exists(Participant.objects.filter(event=OuterRef("pk"), role=part.role)))
        return super().filter_together(queryset, data)

    def plan(self) -> QueryPlan:
        filtered, text = self.qs, self.search_text()
        active = self.active_filters()
        return planning.event_plan(
            self.queryset,
            filtered,
            part=self.participation(self.cleaned()),
            text=text,
            alone=bool(text) and self.search_alone(),
            default_order=self.in_default_order(filtered),
            actor_alone=active <= {"actor", "role", "type", "date_after", "date_before", "ordering"},
        )

    def search_conditions(self, text):
        return EVENT_SEARCH.condition(text)

    def filter_place(self, queryset, name, value):
        # The subtree's ids as literals, read with the place (facts.walks): the planner's statistics then apply.
        return queryset.filter(place_id__in=walked(value.subtree))

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
        queryset=Actor.objects.only("id", "slug").with_walks(),
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
        fields: list[str] = []
        form = DateWindowForm

    fact_search = STATEMENT_SEARCH

    def search_conditions(self, text):
        return STATEMENT_SEARCH.condition(text)

    def filter_speaker(self, queryset, name, value):
        return queryset.filter(speaker__in=list(value)) if value else queryset

    def filter_speaker_affiliated_with(self, queryset, name, value):
        # The walk down the affiliation graph, read with the actor (facts.walks): its ids are literals here.
        return queryset.filter(speaker_id__in=walked(value.below)).exclude(speaker_id=value.pk)

    def filter_about(self, queryset, name, value):
        kind, target = value
        if kind == "actor":
            through = Statement.about_actors.through.objects.filter(statement=OuterRef("pk"), actor=target)
            return queryset.filter(Exists(through))
        if kind == "place":
            through = Statement.about_places.through.objects.filter(
                statement=OuterRef("pk"), place_id__in=walked(target.subtree)
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
        fields: list[str] = []
        form = DateWindowForm

    def search_conditions(self, text):
        return Q(description__icontains=text) | actor_name_matches("subject", text) | actor_name_matches("object", text)

    def filter_actor(self, queryset, name, value):
        for actor in value:
            queryset = queryset.filter(Q(subject=actor) | Q(object=actor))
        return queryset
