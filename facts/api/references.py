"""The nested shapes of the read API: compact references, evidence, aliases, memberships, and the claims.

Related objects appear as compact references ({slug or id, name or title, url}); every fact carries its evidence.
These serializers build their dicts by hand (facts.api.rows), because they run once per related row and DRF's
per-field machinery would dominate the cost of a page; their declared fields exist for the OpenAPI schema. The
event-type, participant and statement references only describe, in the schema, JSON that facts.api.rows builds.
API URLs are joined from a per-request base (one reverse() per resource, not per row: facts.api.rows.Urls).
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from facts.api.rows import Urls, actor_ref, evidence_json, iso, place_ref, sources_json
from facts.models import ActorAlias, ActorKind, ParticipantRole, PlaceKind, StatementKind
from facts.selectors.querysets import PREFETCHED_SUFFIX
from facts.taxonomy import PLOVER_CATEGORIES


def urls_of(serializer) -> Urls:
    """The request's URL builder, shared through the serializer context (the view puts one there)."""
    # `serializer.context` walks up to the root serializer on every access; a reference serializer runs once per
    # related row, so it keeps its own handle on the shared one.
    urls = serializer.__dict__.get("_urls")
    if urls is None:
        context = serializer.context
        urls = context.get("urls")
        if urls is None:
            urls = context["urls"] = Urls(context.get("request"))
        serializer._urls = urls
    return urls


def api_url(serializer, basename: str, key) -> str:
    """Absolute URL of one object's detail view."""
    return urls_of(serializer).of(basename, key)


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
    return urls_of(serializer).list(basename, query)


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
        return actor_ref(actor.slug, actor.name, actor.kind, urls_of(self))


class PlaceRefSerializer(serializers.Serializer):
    """A compact reference to a place."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    slug = serializers.SlugField(help_text="The place's stable identifier.")
    name = serializers.CharField(help_text="The place's name.")
    kind = serializers.ChoiceField(choices=PlaceKind.choices, help_text="What sort of place this is.")
    url = serializers.URLField(help_text="API URL of the place.")

    def to_representation(self, place):
        return place_ref(place.slug, place.name, place.kind, urls_of(self))


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
    label = serializers.CharField(  # type: ignore[assignment]  # the API field shadows Field.label
        help_text='CAMEO label, e.g. "Host a visit".'
    )
    plover_category = serializers.CharField(help_text=PLOVER_CATEGORY_HELP)
    plover_mode = serializers.CharField(help_text=PLOVER_MODE_HELP)
    url = serializers.URLField(help_text="API URL of the event type.")


class SourceRefSerializer(serializers.Serializer):
    """A compact reference to a source document."""

    id = serializers.IntegerField(help_text="The source's id.")
    title = serializers.CharField(help_text="The source's title.")
    url = serializers.URLField(help_text="API URL of the source.")


@extend_schema_field(SourceRefSerializer(many=True))
class SourcesField(serializers.Field):
    """The distinct sources of a fact's evidence (facts.api.rows.sources_json), from its prefetched spans."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, fact):
        cited = (
            (span.source_id, getattr(span, "source_title", None) or span.source.title)
            for span in prefetched(fact, "evidence")
        )
        return sources_json(cited, urls_of(self))


class EvidenceSerializer(serializers.Serializer):
    """A passage of a source that supports the fact: the quote and where it is in the source text."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    quote = serializers.CharField(help_text="The passage, exactly as in the source text.")
    start = serializers.IntegerField(help_text="Offset of the passage's first character in the source text (0-based).")
    end = serializers.IntegerField(help_text="Offset just past the passage's last character.")
    source = SourceRefSerializer(  # type: ignore[assignment]  # the API field shadows Field.source
        help_text="The source the passage comes from."
    )

    def to_representation(self, span):
        # `source_title` is annotated by the view's prefetch so that the source's full text is never loaded per row.
        title = getattr(span, "source_title", None)
        if title is None:
            title = span.source.title
        return evidence_json(span.quote, span.start, span.end, span.source_id, title, urls_of(self))


class ParticipantSerializer(serializers.Serializer):
    """An actor taking part in an event, with its role."""

    class Meta:
        list_serializer_class = PrefetchedListSerializer

    slug = serializers.SlugField(help_text="The actor's stable identifier.")
    name = serializers.CharField(help_text="The actor's canonical name.")
    kind = serializers.ChoiceField(choices=ActorKind.choices, help_text="What sort of actor this is.")
    role = serializers.ChoiceField(choices=ParticipantRole.choices, help_text="The actor's part in the event.")
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

    organization = None  # type: ignore[assignment]  # DRF: None removes the inherited field
    person = ActorRefSerializer(help_text="The member: a person, an unnamed source, or an organization or group.")

    counterpart = "person"


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
            "date_start": iso(statement.date_start),
            "date_end": iso(statement.date_end),
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
