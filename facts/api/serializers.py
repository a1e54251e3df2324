"""JSON shapes of the read API.

Related objects appear as compact references ({slug or id, name or title, url}); every fact carries its evidence.
Reference serializers build their dicts by hand, because they run once per related row and DRF's per-field
machinery would dominate the cost of a page; their declared fields exist for the OpenAPI schema. Events and
statements go further (HandBuiltMixin): their JSON, references included, is built from plain rows, so the event,
event-type, participant and statement references below only describe that JSON in the schema.
API URLs are joined from a per-request base (one reverse() per resource, not per row).
"""

from collections import defaultdict
from datetime import date

from django.db.models import CharField, F, Value
from django.db.models.functions import Cast
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from facts.models import (
    Actor,
    ActorAlias,
    ActorKind,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    PlaceKind,
    Relation,
    Source,
    Statement,
    StatementKind,
)
from facts.taxonomy import PLOVER_CATEGORIES

DATE_FIELDS = ("date_text", "date_start", "date_end", "date_precision")


def api_url(serializer, basename: str, key) -> str:
    """Absolute URL of one object's detail view, from a base cached on the serializer context."""
    # `serializer.context` walks up to the root serializer on every access; a reference serializer runs once per
    # related row, so it keeps its own handle on the shared cache.
    bases = serializer.__dict__.get("_url_bases")
    if bases is None:
        bases = serializer._url_bases = serializer.context.setdefault("_url_bases", {})
    base = bases.get(basename)
    if base is None:
        path = reverse(f"{basename}-list")
        request = serializer.context.get("request")
        base = bases[basename] = request.build_absolute_uri(path) if request is not None else path
    return f"{base}{key}/"


PREFETCHED_SUFFIX = "_prefetched"


def prefetched(instance, name: str):
    """Related rows of `instance`: the list a view prefetched into `<name>_prefetched` (Prefetch to_attr), else the
    manager's rows. Prefetching into a plain list spares Django from building a queryset per row and relation."""
    rows = getattr(instance, name + PREFETCHED_SUFFIX, None)
    return rows if rows is not None else getattr(instance, name).all()


class PrefetchedListSerializer(serializers.ListSerializer):
    """A to-many field that reads the view's prefetched list when there is one (see `prefetched`)."""

    def get_attribute(self, instance):
        return prefetched(instance, self.source)


def list_url(serializer, basename: str, query: str = "") -> str:
    """Absolute URL of a list view, optionally filtered by a query string."""
    url = api_url(serializer, basename, "")[:-1]
    return f"{url}?{query}" if query else url


class SelectableFieldsMixin:
    """Keeps only the fields named in `fields` (already validated by the view); all fields when it is None."""

    selectable_fields = True  # read by facts.api.openapi: any field may be absent from a response

    def __init__(self, *args, fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    self.fields.pop(name)


# Compact references -------------------------------------------------------------------------------------------------


class ActorRefSerializer(serializers.Serializer):
    """A compact reference to an actor."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    slug = serializers.SlugField(help_text="The actor's stable identifier.")
    name = serializers.CharField(help_text="The actor's canonical name.")
    kind = serializers.ChoiceField(choices=ActorKind.choices, help_text="What sort of actor this is.")
    url = serializers.URLField(help_text="API URL of the actor.")

    def to_representation(self, actor):
        return {"slug": actor.slug, "name": actor.name, "kind": actor.kind, "url": api_url(self, "actor", actor.slug)}


class PlaceRefSerializer(serializers.Serializer):
    """A compact reference to a place."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    slug = serializers.SlugField(help_text="The place's stable identifier.")
    name = serializers.CharField(help_text="The place's name.")
    kind = serializers.ChoiceField(choices=PlaceKind.choices, help_text="What sort of place this is.")
    url = serializers.URLField(help_text="API URL of the place.")

    def to_representation(self, place):
        return {"slug": place.slug, "name": place.name, "kind": place.kind, "url": api_url(self, "place", place.slug)}


class EventRefSerializer(serializers.Serializer):
    """A compact reference to an event."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    id = serializers.IntegerField(help_text="The event's id.")
    title = serializers.CharField(help_text="The event's title.")
    url = serializers.URLField(help_text="API URL of the event.")


PLOVER_CATEGORY_HELP = (
    "PLOVER event category of the CAMEO code (external: the PLOVER project's CAMEO-to-PLOVER table), one of "
    f"{', '.join(PLOVER_CATEGORIES)}; empty where PLOVER has none (CAMEO 01 and 02, which PLOVER drops, the cue "
    "category 08, which it splits, and codes the table does not list)."
)
PLOVER_MODE_HELP = "PLOVER mode of the CAMEO code where the table gives one (e.g. visit for 043), else empty."


class EventTypeRefSerializer(serializers.Serializer):
    """A compact reference to a CAMEO event type."""

    code = serializers.CharField(help_text="CAMEO code, e.g. 043 (external: from the CAMEO codebook).")
    label = serializers.CharField(help_text='CAMEO label, e.g. "Host a visit".')
    plover_category = serializers.CharField(help_text=PLOVER_CATEGORY_HELP)
    plover_mode = serializers.CharField(help_text=PLOVER_MODE_HELP)
    url = serializers.URLField(help_text="API URL of the event type.")


class SourceRefSerializer(serializers.Serializer):
    """A compact reference to a source document."""

    id = serializers.IntegerField(help_text="The source's id.")
    title = serializers.CharField(help_text="The source's title.")
    url = serializers.URLField(help_text="API URL of the source.")


class EvidenceSerializer(serializers.Serializer):
    """A passage of a source that supports the fact: the quote and where it is in the source text."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    quote = serializers.CharField(help_text="The passage, exactly as in the source text.")
    start = serializers.IntegerField(help_text="Offset of the passage's first character in the source text (0-based).")
    end = serializers.IntegerField(help_text="Offset just past the passage's last character.")
    source = SourceRefSerializer(help_text="The source the passage comes from.")

    def to_representation(self, span):
        # `source_title` is annotated by the view's prefetch so that the source's full text is never loaded per row.
        title = getattr(span, "source_title", None)
        if title is None:
            title = span.source.title
        return {
            "quote": span.quote,
            "start": span.start,
            "end": span.end,
            "source": {"id": span.source_id, "title": title, "url": api_url(self, "source", span.source_id)},
        }


class ParticipantSerializer(serializers.Serializer):
    """An actor taking part in an event, with its role."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    slug = serializers.SlugField(help_text="The actor's stable identifier.")
    name = serializers.CharField(help_text="The actor's canonical name.")
    kind = serializers.ChoiceField(choices=ActorKind.choices, help_text="What sort of actor this is.")
    role = serializers.ChoiceField(
        choices=Event.actors.through._meta.get_field("role").choices, help_text="The actor's part in the event."
    )
    url = serializers.URLField(help_text="API URL of the actor.")


class StatementRefSerializer(serializers.Serializer):
    """A compact reference to a statement: who said what."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    id = serializers.IntegerField(help_text="The statement's id.")
    kind = serializers.ChoiceField(choices=StatementKind.choices, help_text="Quote, partial quote or paraphrase.")
    text = serializers.CharField(help_text="The words, verbatim or paraphrased.")
    speaker = ActorRefSerializer(help_text="Who said it.")
    url = serializers.URLField(help_text="API URL of the statement.")


class AliasSerializer(serializers.ModelSerializer):
    """A name, spelling or metonym for the actor, with the passages where a source uses it (or, for a canonical
    spelling no source uses, `external` naming `name` with the origin)."""

    evidence = EvidenceSerializer(
        many=True, read_only=True, help_text="Passages where a source uses the alias; empty for an external alias."
    )

    class Meta:
        model = ActorAlias
        fields = ["name", "kind", "external", "evidence"]
        list_serializer_class = PrefetchedListSerializer
        extra_kwargs = {
            "name": {"help_text": "The alias as the source writes it."},
            "kind": {"help_text": "What sort of alias this is."},
            "external": {
                "help_text": 'Set when no source uses the alias: {"name": "<origin>"}, e.g. a canonical spelling.'
            },
        }

    def to_representation(self, alias):
        evidence = EvidenceSerializer(context=self.context)
        return {
            "name": alias.name,
            "kind": alias.kind,
            "external": alias.external,
            "evidence": [evidence.to_representation(span) for span in prefetched(alias, "evidence")],
        }


class MembershipSerializer(serializers.Serializer):
    """An affiliation with an organization or state, seen from the member (a person, or an organization that is
    part of a state or another organization)."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    organization = ActorRefSerializer(help_text="The organization or state.")
    role_title = serializers.CharField(help_text='The position as the source gives it, e.g. "Foreign Minister".')
    external = serializers.DictField(
        child=serializers.CharField(),
        help_text="Fields from outside the sources, with their origin: `organization` marks a link no passage "
        'states, e.g. {"organization": "State Department is the US foreign ministry (outside knowledge)"}.',
    )
    date_text = serializers.CharField(help_text="The date expression verbatim, if the source gives one.")
    date_start = serializers.DateField(allow_null=True, help_text="Earliest date the affiliation is stated for.")
    date_end = serializers.DateField(allow_null=True, help_text="Latest date the affiliation is stated for.")
    evidence = EvidenceSerializer(many=True, help_text="Passages that state the affiliation.")

    counterpart = "organization"

    def to_representation(self, affiliation):
        ref, evidence = ActorRefSerializer(context=self.context), EvidenceSerializer(context=self.context)
        return {
            self.counterpart: ref.to_representation(getattr(affiliation, self.counterpart)),
            "role_title": affiliation.role_title,
            "external": affiliation.external,
            "date_text": affiliation.date_text,
            "date_start": affiliation.date_start.isoformat() if affiliation.date_start else None,
            "date_end": affiliation.date_end.isoformat() if affiliation.date_end else None,
            "evidence": [evidence.to_representation(span) for span in prefetched(affiliation, "evidence")],
        }


class MemberSerializer(MembershipSerializer):
    """An affiliation with an organization or state, seen from the organization or state."""

    organization = None
    person = ActorRefSerializer(help_text="The member: a person, an unnamed source, or an organization or group.")

    counterpart = "person"


# Resources ----------------------------------------------------------------------------------------------------------


class SourceSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A source document that facts cite."""

    url = serializers.SerializerMethodField(help_text="API URL of this source.")
    source_url = serializers.SerializerMethodField(
        help_text="Where the document was published online; null if unknown."
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "slug",
            "title",
            "publisher",
            "source_url",
            "published",
            "language",
            "checksum",
            "external",
        ]
        extra_kwargs = {
            "id": {"help_text": "The source's id, used by the `source` filters."},
            "slug": {"help_text": "A readable stable identifier."},
            "title": {"help_text": "The document's title."},
            "publisher": {"help_text": "Who published the document."},
        }

    def get_url(self, source) -> str:
        return api_url(self, "source", source.id)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_source_url(self, source):
        return source.url or None


class SourceDetailSerializer(SourceSerializer):
    """A source document with its full text, against which evidence offsets are counted."""

    class Meta(SourceSerializer.Meta):
        fields = SourceSerializer.Meta.fields + ["text"]


class ActorSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """Someone who acts or speaks."""

    url = serializers.SerializerMethodField(help_text="API URL of this actor.")
    aliases = AliasSerializer(many=True, read_only=True, help_text="Every name the sources use for the actor.")

    class Meta:
        model = Actor
        fields = ["slug", "url", "name", "kind", "country_code", "description", "aliases", "external"]
        extra_kwargs = {
            "kind": {"help_text": "What sort of actor this is."},
            "description": {"help_text": "A short description."},
        }

    def get_url(self, actor) -> str:
        return api_url(self, "actor", actor.slug)


class ActorDetailSerializer(ActorSerializer):
    """An actor with its affiliations, activity counts and links to its events and statements."""

    affiliations = MembershipSerializer(
        many=True, read_only=True, help_text="Organizations or states this actor belongs to, with role titles."
    )
    members = MemberSerializer(
        many=True,
        read_only=True,
        help_text="Members of this actor (for organizations and states): people, and "
        "organizations that are part of it.",
    )
    event_count = serializers.IntegerField(read_only=True, help_text="Number of events the actor takes part in.")
    statement_count = serializers.IntegerField(read_only=True, help_text="Number of statements the actor made.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this actor.")
    statements_url = serializers.SerializerMethodField(help_text="The statements list filtered to this speaker.")

    class Meta(ActorSerializer.Meta):
        fields = ActorSerializer.Meta.fields + [
            "affiliations",
            "members",
            "event_count",
            "statement_count",
            "events_url",
            "statements_url",
        ]

    def get_events_url(self, actor) -> str:
        return list_url(self, "event", f"actor={actor.slug}")

    def get_statements_url(self, actor) -> str:
        return list_url(self, "statement", f"speaker={actor.slug}")


class PlaceSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A location in the place hierarchy."""

    url = serializers.SerializerMethodField(help_text="API URL of this place.")
    parent = PlaceRefSerializer(read_only=True, allow_null=True, help_text="The place this one lies within.")
    latitude = serializers.FloatField(allow_null=True, help_text="WGS84 latitude (external: approximate).")
    longitude = serializers.FloatField(allow_null=True, help_text="WGS84 longitude (external: approximate).")

    class Meta:
        model = Place
        fields = [
            "slug",
            "url",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "coordinates_approximate",
            "country_code",
            "description",
            "external",
        ]
        extra_kwargs = {
            "name": {"help_text": "The place's name."},
            "kind": {"help_text": "What sort of place this is."},
            "description": {"help_text": "A short description."},
        }

    def get_url(self, place) -> str:
        return api_url(self, "place", place.slug)


class PlaceDetailSerializer(PlaceSerializer):
    """A place with its parent chain and children."""

    ancestors = serializers.SerializerMethodField(help_text="The parent chain, nearest first.")
    children = PlaceRefSerializer(many=True, read_only=True, help_text="Places directly within this one.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this place and within.")

    class Meta(PlaceSerializer.Meta):
        fields = PlaceSerializer.Meta.fields + ["ancestors", "children", "events_url"]

    @extend_schema_field(PlaceRefSerializer(many=True))
    def get_ancestors(self, place):
        ref = PlaceRefSerializer(context=self.context)
        return [ref.to_representation(p) for p in place.ancestors()]

    def get_events_url(self, place) -> str:
        return list_url(self, "event", f"place={place.slug}")


class EventTypeSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """A CAMEO event type in the codebook, with how many events use it."""

    url = serializers.SerializerMethodField(help_text="API URL of this event type.")
    event_count = serializers.IntegerField(read_only=True, help_text="Number of events of exactly this type.")
    events_url = serializers.SerializerMethodField(help_text="The events list filtered to this code and below it.")

    class Meta:
        model = EventType
        fields = ["code", "url", "label", "description", "plover_category", "plover_mode", "event_count", "events_url"]
        extra_kwargs = {
            "description": {
                "help_text": "Where the code, its label and its PLOVER category come from (all external), "
                "and why a code has no PLOVER category or mode."
            },
            "plover_category": {"help_text": PLOVER_CATEGORY_HELP},
            "plover_mode": {"help_text": PLOVER_MODE_HELP},
        }

    def get_url(self, event_type) -> str:
        return api_url(self, "event-type", event_type.code)

    def get_events_url(self, event_type) -> str:
        return list_url(self, "event", f"type={event_type.code}")


class FactSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """Fields every fact has: dates as worded and resolved, review status and evidence."""

    evidence = EvidenceSerializer(many=True, read_only=True, help_text="The passages of sources that support it.")

    class Meta:
        extra_kwargs = {
            "description": {"help_text": "A short description."},
            "status": {"help_text": "Curation state: draft, reviewed or verified."},
        }


def _iso(value):
    return value.isoformat() if value is not None else None


def row_of(instance, columns) -> dict:
    """The row `values(*columns)` would give for `instance`, read from the instance and its loaded relations."""
    row = {}
    for column in columns:
        value = instance
        for part in column.split("__"):
            value = getattr(value, part) if value is not None else None
        row[column] = value
    return row


class HandBuiltMixin:
    """Builds the fields listed in `builders` from plain rows (dicts of `row_columns`) instead of DRF's fields.

    A list page runs the representation once per row and field; on the largest tables DRF's per-field machinery and
    the model instances behind it cost more than the SQL. So list views fetch `values(*row_columns)` and the
    builders read those dicts; a model instance (detail views, write responses) is first turned into the same dict.
    Fields without a builder (such as those a detail serializer adds) go through DRF and need an instance. The
    declared fields still describe the shape in the OpenAPI schema, and `fields=` selection works as usual.
    """

    builders: dict = {}
    row_columns: tuple = ()

    def as_row(self, instance) -> dict:
        return instance if isinstance(instance, dict) else row_of(instance, self.row_columns)

    def output_names(self) -> tuple:
        """The names of the fields to output, in order (computed once per serializer instance).

        When nothing was deselected and every field has a builder, they are Meta.fields, and DRF's fields (a deep
        copy of the declared fields plus a ModelSerializer introspection of the model, on every request) are never
        built.
        """
        names = self.__dict__.get("_output_names")
        if names is None:
            declared = tuple(self.Meta.fields)
            hand_built = "fields" not in self.__dict__ and all(name in self.builders for name in declared)
            names = self._output_names = declared if hand_built else tuple(self.fields)
        return names

    def outputs(self, name: str) -> bool:
        return name in self.output_names()

    def to_representation(self, instance):
        row = self.as_row(instance)
        data = {}
        for name in self.output_names():
            build = self.builders.get(name)
            if build is not None:
                data[name] = build(self, row)
            else:
                field = self.fields[name]
                attribute = field.get_attribute(instance)
                data[name] = None if attribute is None else field.to_representation(attribute)
        return data


class PageRowsListSerializer(serializers.ListSerializer):
    """A page of facts whose related rows (participants, evidence...) are read for the whole page at once."""

    def to_representation(self, data):
        items = list(data.all() if hasattr(data, "all") else data)
        rows = [self.child.as_row(item) for item in items]
        self.child.page_rows = self.child.related_rows([row["id"] for row in rows])
        try:
            return [self.child.to_representation(row) for row in rows]
        finally:
            self.child.page_rows = None


class RelatedRowsMixin:
    """For hand-built serializers: related rows come from `related_rows()`, one query per relation for a whole page.

    Subclasses return {id: {name: [row tuples]}} from `related_rows(ids)`; builders read them with `rows_of`.
    """

    page_rows = None  # set by PageRowsListSerializer for the page being serialized

    def related_rows(self, ids) -> dict:
        raise NotImplementedError

    def rows_of(self, row, name):
        return self.page_rows[row["id"]][name]

    def to_representation(self, instance):
        pk = instance["id"] if isinstance(instance, dict) else instance.pk
        if self.page_rows is not None and pk in self.page_rows:
            return super().to_representation(instance)
        # Outside a list (detail, write responses, ETags) the rows are read afresh for this one object and never
        # cached on the instance: a write between two reads of the same instance must show.
        self.page_rows = self.related_rows([pk])
        try:
            return super().to_representation(instance)
        finally:
            self.page_rows = None


def evidence_rows(serializer, fact: str, ids) -> dict:
    """{fact id: [(quote, start, end, source id, source title)]} in the model's order (source, then offset)."""
    rows = defaultdict(list)
    if ids and serializer.outputs("evidence"):
        for pk, *row in (
            EvidenceSpan.objects.filter(**{f"{fact}_id__in": ids})
            .order_by("source__published", "source_id", "start", "id")
            .values_list(f"{fact}_id", "quote", "start", "end", "source_id", "source__title")
        ):
            rows[pk].append(row)
    return rows


def _evidence(serializer, row):
    url = list_url(serializer, "source")
    return [
        {
            "quote": quote,
            "start": start,
            "end": end,
            "source": {"id": source_id, "title": title, "url": f"{url}{source_id}/"},
        }
        for quote, start, end, source_id, title in serializer.rows_of(row, "evidence")
    ]


def _event_participants(serializer, row):
    url = list_url(serializer, "actor")
    return [
        {"slug": slug, "name": name, "kind": kind, "role": role, "url": f"{url}{slug}/"}
        for role, slug, name, kind in serializer.rows_of(row, "participants")
    ]


def _column(name):
    return lambda serializer, row: row[name]


def _date(name):
    return lambda serializer, row: _iso(row[name])


def _ref(basename, key, **names):
    """A builder of a compact reference: {out: row[column] for names} plus the URL keyed by row[key], or None."""

    def build(serializer, row):
        ident = row[key]
        if ident is None:
            return None
        return {**{out: row[column] for out, column in names.items()}, "url": api_url(serializer, basename, ident)}

    return build


FACT_BUILDERS = {
    "date_text": _column("date_text"),
    "date_start": _date("date_start"),
    "date_end": _date("date_end"),
    "date_precision": _column("date_precision"),
    "status": _column("status"),
    "evidence": _evidence,
}
FACT_COLUMNS = ("id", "date_text", "date_start", "date_end", "date_precision", "status")


class EventSerializer(RelatedRowsMixin, HandBuiltMixin, FactSerializer):
    """Something that happened: who did what, where and when."""

    # What a list row reads (EventViewSet lists fetch exactly these with values()).
    row_columns = (
        *FACT_COLUMNS,
        "title",
        "description",
        "event_type_id",
        "event_type__label",
        "event_type__plover_category",
        "event_type__plover_mode",
        "place__slug",
        "place__name",
        "place__kind",
        "place__latitude",
        "place__longitude",
        "parent_id",
        "parent__title",
    )
    builders = {
        **FACT_BUILDERS,
        "id": _column("id"),
        "url": lambda s, row: api_url(s, "event", row["id"]),
        "title": _column("title"),
        "description": _column("description"),
        "type": _ref(
            "event-type",
            "event_type_id",
            code="event_type_id",
            label="event_type__label",
            plover_category="event_type__plover_category",
            plover_mode="event_type__plover_mode",
        ),
        "place": _ref("place", "place__slug", slug="place__slug", name="place__name", kind="place__kind"),
        "parent": _ref("event", "parent_id", id="parent_id", title="parent__title"),
        "participants": _event_participants,
    }

    url = serializers.SerializerMethodField(help_text="API URL of this event.")
    type = EventTypeRefSerializer(source="event_type", read_only=True, help_text="CAMEO event type.")
    place = PlaceRefSerializer(read_only=True, allow_null=True, help_text="Where it happened.")
    parent = EventRefSerializer(read_only=True, allow_null=True, help_text="A larger event this one is part of.")
    participants = ParticipantSerializer(many=True, read_only=True, help_text="Who took part, each with a role.")

    class Meta(FactSerializer.Meta):
        model = Event
        fields = [
            "id",
            "url",
            "title",
            "description",
            "type",
            *DATE_FIELDS,
            "place",
            "parent",
            "participants",
            "status",
            "evidence",
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "title": {"help_text": "A short title."},
            "id": {"help_text": "The event's id; stable across fixture reloads."},
        }
        list_serializer_class = PageRowsListSerializer

    def get_url(self, event) -> str:
        return api_url(self, "event", event.id)

    def related_rows(self, ids) -> dict:
        participants = defaultdict(list)
        if ids and self.outputs("participants"):
            for event_id, *row in (
                Participant.objects.filter(event_id__in=ids)
                .order_by("event_id", "id")
                .values_list("event_id", "role", "actor__slug", "actor__name", "actor__kind")
            ):
                participants[event_id].append(row)
        evidence = evidence_rows(self, "event", ids)
        return {pk: {"participants": participants[pk], "evidence": evidence[pk]} for pk in ids}


def _event_statements(serializer, row):
    statements, actors = list_url(serializer, "statement"), list_url(serializer, "actor")
    return [
        {
            "id": pk,
            "kind": kind,
            "text": text,
            "speaker": {"slug": slug, "name": name, "kind": speaker_kind, "url": f"{actors}{slug}/"},
            "url": f"{statements}{pk}/",
        }
        for pk, kind, text, slug, name, speaker_kind in serializer.rows_of(row, "statements")
    ]


def _event_children(serializer, row):
    url = list_url(serializer, "event")
    return [{"id": pk, "title": title, "url": f"{url}{pk}/"} for pk, title in serializer.rows_of(row, "children")]


class EventDetailSerializer(EventSerializer):
    """An event with the statements made at or about it and the events within it."""

    builders = {**EventSerializer.builders, "statements": _event_statements, "children": _event_children}

    statements = StatementRefSerializer(many=True, read_only=True, help_text="Statements made at or about it.")
    children = EventRefSerializer(many=True, read_only=True, help_text="Smaller events that are part of it.")

    class Meta(EventSerializer.Meta):
        fields = EventSerializer.Meta.fields + ["statements", "children"]

    def related_rows(self, ids) -> dict:
        rows = super().related_rows(ids)
        for pk in ids:
            rows[pk].update(statements=[], children=[])
        said_at = ids if self.outputs("statements") else []
        within = ids if self.outputs("children") else []
        if not (said_at or within):
            return rows
        # One UNION query for both: a detail reads one event, and each query costs more in Django than in the database.
        blank = Value("", output_field=CharField())
        statements = (
            Statement.objects.filter(event_id__in=said_at)
            .order_by()
            .values_list(
                "event_id",
                Value("statements"),
                "date_start",
                "id",
                "kind",
                "text",
                "speaker__slug",
                "speaker__name",
                "speaker__kind",
            )
        )
        children = (
            Event.objects.filter(parent_id__in=within)
            .order_by()
            .values_list("parent_id", Value("children"), "date_start", "id", blank, "title", blank, blank, blank)
        )
        # Each list in date order, undated and open-start first (as lists sort: facts.models.date_order), then by id.
        for event_id, name, _start, *row in sorted(
            statements.union(children, all=True), key=lambda r: (r[0], r[1], r[2] is not None, r[2] or date.min, r[3])
        ):
            rows[event_id][name].append(row if name == "statements" else (row[0], row[2]))
        return rows


def _about_rows(ids) -> dict:
    """{statement id: {"about_actors": [...], "about_places": [...], "about_events": [...]}} in one UNION query.

    Each row is (key, name, kind); actors and places are in name order, events in date order, as their models sort.
    """

    def branch(through, kind, key, name, sort, subkind=None):
        return (
            through.objects.filter(statement_id__in=ids)
            .order_by()
            .annotate(
                r_statement=F("statement_id"),
                r_kind=Value(kind),
                r_key=Cast(key, CharField()),
                r_name=F(name),
                r_sub=F(subkind) if subkind else Value(""),
                r_sort=Cast(sort, CharField()),
                r_id=F(key.split("__")[0] + "_id"),
            )
            .values_list("r_statement", "r_kind", "r_key", "r_name", "r_sub", "r_sort", "r_id")
        )

    rows = {pk: {"about_actors": [], "about_places": [], "about_events": []} for pk in ids}
    if not ids:
        return rows
    union = branch(
        Statement.about_actors.through, "actor", "actor__slug", "actor__name", "actor__name", "actor__kind"
    ).union(
        branch(Statement.about_places.through, "place", "place__slug", "place__name", "place__name", "place__kind"),
        branch(Statement.about_events.through, "event", "event__id", "event__title", "event__date_start"),
        all=True,
    )
    # None (an undated or open-start event) sorts first, as the event list does (facts.models.date_order).
    for statement, kind, key, name, sub, _sort, _pk in sorted(
        union, key=lambda r: (r[0], r[1], r[5] is not None, r[5] or "", r[6])
    ):
        rows[statement][f"about_{kind}s"].append((key, name, sub))
    return rows


def _about(kind):
    basename = {"about_actors": "actor", "about_places": "place", "about_events": "event"}[kind]

    def build(serializer, row):
        url = list_url(serializer, basename)
        if kind == "about_events":
            return [
                {"id": int(key), "title": name, "url": f"{url}{key}/"} for key, name, _ in serializer.rows_of(row, kind)
            ]
        return [
            {"slug": key, "name": name, "kind": sub, "url": f"{url}{key}/"}
            for key, name, sub in serializer.rows_of(row, kind)
        ]

    return build


class StatementSerializer(RelatedRowsMixin, HandBuiltMixin, FactSerializer):
    """Who said what, how it reached the source, when, and what it is about."""

    # What a list row reads (StatementViewSet lists fetch exactly these with values()).
    row_columns = (
        *FACT_COLUMNS,
        "kind",
        "text",
        "channel",
        "speaker__slug",
        "speaker__name",
        "speaker__kind",
        "event_id",
        "event__title",
    )
    builders = {
        **FACT_BUILDERS,
        "id": _column("id"),
        "url": lambda s, row: api_url(s, "statement", row["id"]),
        "speaker": _ref("actor", "speaker__slug", slug="speaker__slug", name="speaker__name", kind="speaker__kind"),
        "kind": _column("kind"),
        "text": _column("text"),
        "channel": _column("channel"),
        "event": _ref("event", "event_id", id="event_id", title="event__title"),
        "about_actors": _about("about_actors"),
        "about_places": _about("about_places"),
        "about_events": _about("about_events"),
    }

    url = serializers.SerializerMethodField(help_text="API URL of this statement.")
    speaker = ActorRefSerializer(read_only=True, help_text="Who said it.")
    event = EventRefSerializer(read_only=True, allow_null=True, help_text="The event it was made at or about.")
    about_actors = ActorRefSerializer(many=True, read_only=True, help_text="Actors it is about.")
    about_places = PlaceRefSerializer(many=True, read_only=True, help_text="Places it is about.")
    about_events = EventRefSerializer(many=True, read_only=True, help_text="Events it is about.")

    class Meta(FactSerializer.Meta):
        model = Statement
        fields = [
            "id",
            "url",
            "speaker",
            "kind",
            "text",
            "channel",
            *DATE_FIELDS,
            "event",
            "about_actors",
            "about_places",
            "about_events",
            "status",
            "evidence",
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "id": {"help_text": "The statement's id; stable across fixture reloads."},
            "kind": {"help_text": "Direct quote, partial quote or paraphrase."},
        }
        list_serializer_class = PageRowsListSerializer

    def get_url(self, statement) -> str:
        return api_url(self, "statement", statement.id)

    def related_rows(self, ids) -> dict:
        about_wanted = {"about_actors", "about_places", "about_events"} & set(self.output_names())
        about = _about_rows(ids if about_wanted else [])
        evidence = evidence_rows(self, "statement", ids)
        return {pk: {**about.get(pk, {}), "evidence": evidence[pk]} for pk in ids}


class RelationSerializer(FactSerializer):
    """A standing relation between two actors that a source states."""

    url = serializers.SerializerMethodField(help_text="API URL of this relation.")
    subject = ActorRefSerializer(read_only=True, help_text="The first actor.")
    object = ActorRefSerializer(read_only=True, help_text="The second actor.")
    symmetric = serializers.BooleanField(
        read_only=True, help_text="Whether the relation reads the same both ways (e.g. at war with)."
    )

    class Meta(FactSerializer.Meta):
        model = Relation
        fields = [
            "id",
            "url",
            "subject",
            "type",
            "object",
            "symmetric",
            "description",
            *DATE_FIELDS,
            "status",
            "evidence",
        ]
        extra_kwargs = {
            **FactSerializer.Meta.extra_kwargs,
            "id": {"help_text": "The relation's id; stable across fixture reloads."},
            "type": {"help_text": "How the subject relates to the object."},
        }

    def get_url(self, relation) -> str:
        return api_url(self, "relation", relation.id)


# The claims about an event ----------------------------------------------------------------------------------------


class ClaimSerializer(serializers.Serializer):
    """A statement about the event: who said it, the words, how they reached the source, when, and the passages."""

    id = serializers.IntegerField(help_text="The statement's id.")
    url = serializers.URLField(help_text="API URL of the statement.")
    speaker = ActorRefSerializer(help_text="Who said it.")
    kind = serializers.ChoiceField(choices=StatementKind.choices, help_text="Quote, partial quote or paraphrase.")
    text = serializers.CharField(help_text="The words, verbatim or paraphrased.")
    channel = serializers.CharField(help_text='How the words reached the source, e.g. "in a news conference".')
    date_text = serializers.CharField(help_text="The date expression verbatim; empty if the source gives none.")
    date_start = serializers.DateField(allow_null=True, help_text="Earliest date the expression allows.")
    date_end = serializers.DateField(allow_null=True, help_text="Latest date the expression allows.")
    date_precision = serializers.CharField(help_text="Granularity of the resolved date; empty when undated.")
    evidence = EvidenceSerializer(many=True, help_text="The passages of sources that support it.")

    def to_representation(self, statement):
        ref, evidence = ActorRefSerializer(context=self.context), EvidenceSerializer(context=self.context)
        return {
            "id": statement.id,
            "url": api_url(self, "statement", statement.id),
            "speaker": ref.to_representation(statement.speaker),
            "kind": statement.kind,
            "text": statement.text,
            "channel": statement.channel,
            "date_text": statement.date_text,
            "date_start": _iso(statement.date_start),
            "date_end": _iso(statement.date_end),
            "date_precision": statement.date_precision,
            "evidence": [evidence.to_representation(span) for span in prefetched(statement, "evidence")],
        }


class ClaimSideSerializer(serializers.Serializer):
    """One side and what it claims: the state or organization its speakers are affiliated with (at the top of their
    affiliations), or a speaker with no affiliation."""

    side = ActorRefSerializer(help_text="The actor the statements speak for.")
    statements = ClaimSerializer(many=True, help_text="Its statements about the event, in date order.")

    def to_representation(self, side):
        claim = ClaimSerializer(context=self.context)
        return {
            "side": ActorRefSerializer(context=self.context).to_representation(side.actor),
            "statements": [claim.to_representation(statement) for statement in side.statements],
        }


class EventClaimsSerializer(serializers.Serializer):
    """Every statement about an event (its `about_events` names the event), grouped by the side it speaks for."""

    event = EventRefSerializer(help_text="The event.")
    sides = ClaimSideSerializer(many=True, help_text="One entry per side, in the side actors' name order.")

    def to_representation(self, claims):
        side = ClaimSideSerializer(context=self.context)
        event = claims.event
        return {
            "event": {"id": event.id, "title": event.title, "url": api_url(self, "event", event.id)},
            "sides": [side.to_representation(item) for item in claims.sides],
        }
