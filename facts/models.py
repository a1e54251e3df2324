"""Conflict facts as relational data: sources, actors, places, events, statements, relations and their evidence.

Every event, statement, relation and affiliation is backed by EvidenceSpans: exact passages of a stored Source text.
Anything that does not come from a source (canonical spellings, ISO codes, coordinates, CAMEO codes, a publication
date given as metadata) is named in the object's `external` map, so a reader can tell the two apart.
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from simple_history.models import HistoricalRecords

from facts.dates import Precision
from facts.evidence import locate_passage


class Timestamped(models.Model):
    """Adds creation and last-change times to a model."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class ExternalData(models.Model):
    """Names the fields whose values come from outside the sources, with the reason ("ISO 3166-1", ...)."""

    external = models.JSONField(
        default=dict,
        blank=True,
        help_text='Fields whose values do not come from a source, each with its origin, e.g. {"country_code": "ISO 3166-1"}.',
    )

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if not isinstance(self.external, dict):
            raise ValidationError({"external": "Must be an object mapping field names to the origin of their value."})
        known = {f.name for f in self._meta.concrete_fields}
        unknown = sorted(set(self.external) - known)
        if unknown:
            raise ValidationError({"external": f"Unknown field name(s): {', '.join(unknown)}."})


class DateInterval(models.Model):
    """A date as the source words it, resolved into an earliest..latest interval with a precision.

    An empty `date_text` with dates set means the source states no date and the fact holds as of publication.
    """

    date_text = models.CharField(
        max_length=200, blank=True, help_text='The date expression verbatim, e.g. "On Sunday", "last week".'
    )
    date_start = models.DateField(null=True, blank=True, help_text="Earliest date the expression allows.")
    date_end = models.DateField(null=True, blank=True, help_text="Latest date the expression allows.")
    date_precision = models.CharField(
        max_length=10, choices=Precision.choices, blank=True, help_text="Granularity of the resolved interval."
    )

    class Meta:
        abstract = True

    @classmethod
    def date_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=Q(date_start__isnull=True) | Q(date_end__isnull=True) | Q(date_start__lte=F("date_end")),
                name=f"{prefix}_date_start_lte_end",
                violation_error_message="The earliest date must not be after the latest date.",
            ),
            models.CheckConstraint(
                condition=Q(date_start__isnull=True, date_end__isnull=True)
                | Q(date_start__isnull=False, date_end__isnull=False),
                name=f"{prefix}_date_both_or_neither",
                violation_error_message="Give both the earliest and the latest date, or neither.",
            ),
        ]

    def clean(self):
        super().clean()
        if self.date_start and not self.date_precision:
            raise ValidationError({"date_precision": "A resolved date needs a precision."})


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEWED = "reviewed", "Reviewed"
    VERIFIED = "verified", "Verified"


class Reviewed(models.Model):
    """Adds the curation state of a fact: new facts are drafts until a curator reviews them."""

    status = models.CharField(
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        db_index=True,
        help_text="Curation state: draft, reviewed or verified.",
    )

    class Meta:
        abstract = True


class Source(ExternalData, Timestamped):
    """A document that facts come from, with its full text stored so that evidence offsets can be checked."""

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=500)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    published = models.DateField(help_text="Publication date: the reference for relative date expressions.")
    language = models.CharField(max_length=12, default="en", help_text="BCP 47 language tag.")
    text = models.TextField(help_text="The full text exactly as received.")
    checksum = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the UTF-8 text.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["published", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checksum"],
                name="source_unique_checksum",
                violation_error_message="A source with exactly this text is already stored.",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.published:%Y-%m-%d})"

    @staticmethod
    def checksum_of(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def clean(self):
        self.checksum = self.checksum_of(self.text)
        super().clean()
        # The unique constraint would report this as a non-field error; the curator needs it on the text.
        duplicate = Source.objects.filter(checksum=self.checksum).exclude(pk=self.pk).first()
        if duplicate is not None:
            raise ValidationError(
                {"text": f"A source with exactly this text is already stored: “{duplicate.title}” (id {duplicate.pk})."}
            )

    def save(self, *args, **kwargs):
        self.checksum = self.checksum_of(self.text)
        super().save(*args, **kwargs)


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    STATE = "state", "State or government"
    ORGANIZATION = "organization", "Organization"
    GROUP = "group", "Group"
    UNNAMED = "unnamed", "Unnamed source"


class Actor(ExternalData, Timestamped):
    """Someone who acts or speaks: a person, a state, an organization, a group or an unnamed source."""

    slug = models.SlugField(max_length=120, unique=True, help_text="Stable identifier used in URLs and filters.")
    name = models.CharField(max_length=200, help_text="Canonical name.")
    kind = models.CharField(max_length=20, choices=ActorKind.choices, db_index=True)
    country_code = models.CharField(
        max_length=2, blank=True, db_index=True, help_text="ISO 3166-1 alpha-2 code, for states."
    )
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country_code="") | Q(country_code__regex=r"^[A-Z]{2}$"),
                name="actor_country_code_iso2",
                violation_error_message="The country code must be two capital letters (ISO 3166-1 alpha-2).",
            ),
        ]
        # The default order; statements sorted by speaker walk it and each speaker's statements in turn.
        indexes = [models.Index(fields=["name", "id"], name="actor_name_order")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.kind == ActorKind.STATE and not self.country_code:
            raise ValidationError({"country_code": "A state needs its ISO 3166-1 alpha-2 code."})


class AliasKind(models.TextChoices):
    NAME = "name", "Name"
    SPELLING = "spelling", "Variant spelling"
    SURNAME = "surname", "Surname alone"
    METONYM = "metonym", "Metonym (e.g. a capital for its government)"
    DESCRIPTION = "description", "Descriptive reference (e.g. 'the US diplomat')"
    ADJECTIVE = "adjective", "Adjective or demonym"
    ABBREVIATION = "abbreviation", "Abbreviation"


class ActorAlias(Timestamped):
    """A name, spelling or metonym by which a source refers to an actor."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=AliasKind.choices, default=AliasKind.NAME)
    history = HistoricalRecords()

    class Meta:
        ordering = ["actor", "name"]
        verbose_name_plural = "actor aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "name"],
                name="alias_unique_per_actor",
                violation_error_message="This actor already has this alias.",
            ),
        ]

    def __str__(self):
        return f"{self.name} → {self.actor.name}"


class Affiliation(DateInterval, Timestamped):
    """A person's (or unnamed source's) position in a state or organization, as of the source's date."""

    person = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="affiliations")
    organization = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="members")
    role_title = models.CharField(max_length=200, blank=True, help_text='As the source gives it, e.g. "Foreign Minister".')
    history = HistoricalRecords()

    class Meta:
        ordering = ["person", "organization", "role_title"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organization", "role_title"],
                name="affiliation_unique",
                violation_error_message="This affiliation is already recorded.",
            ),
            models.CheckConstraint(
                condition=~Q(person=F("organization")),
                name="affiliation_not_self",
                violation_error_message="An actor cannot be affiliated with itself.",
            ),
            *DateInterval.date_constraints("affiliation"),
        ]

    def __str__(self):
        role = f"{self.role_title}, " if self.role_title else ""
        return f"{self.person} ({role}{self.organization})"

    def clean(self):
        super().clean()
        if self.person_id and self.person.kind not in (ActorKind.PERSON, ActorKind.UNNAMED):
            raise ValidationError({"person": "Only a person or an unnamed source can hold an affiliation."})
        if self.organization_id and self.organization.kind in (ActorKind.PERSON, ActorKind.UNNAMED):
            raise ValidationError({"organization": "An affiliation must be to a state, organization or group."})


class PlaceKind(models.TextChoices):
    REGION = "region", "Region"
    COUNTRY = "country", "Country"
    ENCLAVE = "enclave", "Region or enclave within a country"
    CITY = "city", "City"
    CORRIDOR = "corridor", "Corridor or route"
    BORDER = "border", "Border"
    FACILITY = "facility", "Facility"
    VENUE = "venue", "Venue"


class PlaceQuerySet(models.QuerySet):
    def subtree_ids(self, root: "Place") -> RawSQL:
        """A subquery of the ids of `root` and every place below it, for `<field>__in=`.

        A recursive CTE, so the walk happens inside the filtered query itself (no extra round trip, nothing loaded
        into Python); PostgreSQL and SQLite both support WITH RECURSIVE. UNION rather than UNION ALL stops on a
        cycle that bypassed Place.clean().
        """
        table = self.model._meta.db_table
        return RawSQL(
            f"WITH RECURSIVE subtree(id) AS (SELECT id FROM {table} WHERE id = %s UNION "
            f"SELECT child.id FROM {table} child JOIN subtree ON child.parent_id = subtree.id) SELECT id FROM subtree",
            [root.pk],
        )


class Place(ExternalData, Timestamped):
    """A location in a hierarchy: region, country, enclave, city, corridor, facility or venue."""

    slug = models.SlugField(max_length=120, unique=True, help_text="Stable identifier used in URLs and filters.")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PlaceKind.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    latitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True, help_text="WGS84.")
    longitude = models.DecimalField(max_digits=8, decimal_places=5, null=True, blank=True, help_text="WGS84.")
    coordinates_approximate = models.BooleanField(
        default=True, help_text="Coordinates are an approximate point, not a survey position."
    )
    country_code = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, for countries.")
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__isnull=False, longitude__isnull=False,
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180,
                ),
                name="place_coordinates_valid",
                violation_error_message="Give both latitude (-90..90) and longitude (-180..180), or neither.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="place_not_own_parent",
                violation_error_message="A place cannot be its own parent.",
            ),
            models.CheckConstraint(
                condition=Q(country_code="") | Q(country_code__regex=r"^[A-Z]{2}$"),
                name="place_country_code_iso2",
                violation_error_message="The country code must be two capital letters (ISO 3166-1 alpha-2).",
            ),
        ]

    def __str__(self):
        return self.name

    def ancestors(self) -> list["Place"]:
        """The parent chain, nearest first."""
        chain, node, seen = [], self.parent, {self.pk}
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    def clean(self):
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError({"longitude": "Give both latitude and longitude, or neither."})
        if self.parent_id and self.pk:
            if self.parent_id == self.pk or any(p.pk == self.pk for p in self.parent.ancestors()):
                raise ValidationError({"parent": "This parent would make the place its own ancestor."})


class EventType(models.Model):
    """A CAMEO event code and its label: the codebook is data (external, from CAMEO), not code."""

    code = models.CharField(max_length=4, primary_key=True, help_text="CAMEO code, e.g. 043.")
    label = models.CharField(max_length=200, help_text='CAMEO label, e.g. "Host a visit".')
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{2,4}$"),
                name="eventtype_code_digits",
                violation_error_message="A CAMEO code is 2 to 4 digits.",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.label}"


class Event(Reviewed, DateInterval, Timestamped):
    """Something that happened: who did what, where and when, with a CAMEO code and evidence."""

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="events")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="A larger event this one is part of (a dinner within a round of talks).",
    )
    actors = models.ManyToManyField(Actor, through="Participant", related_name="events")
    history = HistoricalRecords()

    class Meta:
        ordering = ["date_start", "id"]
        constraints = [
            *DateInterval.date_constraints("event"),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="event_not_own_parent",
                violation_error_message="An event cannot be part of itself.",
            ),
        ]
        indexes = [
            # Date windows are counted in this one: events share their dates, so its entries deduplicate to few pages.
            models.Index(fields=["date_start", "date_end"], name="event_dates"),
            # Pages in the default order read the first 50 entries of this one and stop, even where thousands of
            # events share a start date ("in 2012"). date_end is in it so that a date window is checked in the index:
            # a key column rather than INCLUDE, which SQLite lacks (it then read each event's row: 7x slower).
            models.Index(fields=["date_start", "id", "date_end"], name="event_date_order"),
            # The other sort orders a client may ask for (`ordering=`): each page reads its first entries.
            models.Index(fields=["date_end", "id"], name="event_end_order"),
            models.Index(fields=["title", "id"], name="event_title_order"),
            models.Index(fields=["updated_at", "id"], name="event_updated_order"),
        ]

    def __str__(self):
        when = f" ({self.date_text})" if self.date_text else ""
        return f"{self.title}{when}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Participants keep a copy of the dates and type (see Participant); one UPDATE keeps them equal whatever
        # changed.
        copy = {"event_date_start": self.date_start, "event_date_end": self.date_end,
                "event_type_code": self.event_type_id or ""}
        self.participants.exclude(**copy).update(**copy)

    def clean(self):
        super().clean()
        node, seen = self.parent, {self.pk}
        while node is not None and self.pk is not None:
            if node.pk in seen:
                raise ValidationError({"parent": "This parent would make the event part of itself."})
            seen.add(node.pk)
            node = node.parent


class ParticipantRole(models.TextChoices):
    INITIATOR = "initiator", "Initiator (does the action)"
    TARGET = "target", "Target (the action is done to it)"
    HOST = "host", "Host"
    GUEST = "guest", "Guest"
    MEDIATOR = "mediator", "Mediator or facilitator"
    PARTY = "party", "Party (one side of talks, a war or an agreement)"
    ATTENDEE = "attendee", "Attendee"
    OBSERVER = "observer", "Observer"


class Participant(Timestamped):
    """An actor's part in an event, with its role; an actor has one role per event.

    `event_date_start` and `event_date_end` copy the event's dates (Event.save and Participant.save keep them equal)
    so that one index, (actor, date), walks an actor's events in date order: without it, `?actor=` at a million
    events either scans the date index checking every event for the actor, or sorts all of the actor's events.
    `event_type_code` copies the event's CAMEO code for the same index, so that `?actor=&type=` is checked and
    counted there too, instead of in each of the actor's events.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    # No index of its own: participant_actor_date starts with the actor.
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="participations", db_index=False)
    role = models.CharField(max_length=20, choices=ParticipantRole.choices, db_index=True)
    event_date_start = models.DateField(null=True, blank=True, editable=False,
                                        help_text="Copy of the event's date_start, for the (actor, date) index.")
    event_date_end = models.DateField(null=True, blank=True, editable=False,
                                      help_text="Copy of the event's date_end, for the (actor, date) index.")
    event_type_code = models.CharField(max_length=4, blank=True, default="", editable=False,
                                       help_text="Copy of the event's CAMEO code, for the (actor, date) index.")
    history = HistoricalRecords(excluded_fields=["event_date_start", "event_date_end", "event_type_code"])

    class Meta:
        ordering = ["event", "id"]
        indexes = [
            # event_date_end and event_type_code are key columns (not INCLUDE, which SQLite lacks) so that a date
            # window and a type prefix are checked in the index.
            models.Index(fields=["actor", "event_date_start", "event", "event_date_end", "event_type_code"],
                         name="participant_actor_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "actor"],
                name="participant_one_role_per_actor",
                violation_error_message="This actor already has a role in this event.",
            ),
        ]

    def save(self, *args, **kwargs):
        if self.event_id is not None:
            self.event_date_start, self.event_date_end = self.event.date_start, self.event.date_end
            self.event_type_code = self.event.event_type_id or ""
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.actor} as {self.get_role_display().split(' (')[0].lower()}"


class StatementKind(models.TextChoices):
    QUOTE = "quote", "Direct quote"
    PARTIAL = "partial", "Partial quote"
    PARAPHRASE = "paraphrase", "Paraphrase or reported claim"


class Statement(Reviewed, DateInterval, Timestamped):
    """Who said what: a speaker, the words (quoted or paraphrased), the channel, when, and what it is about."""

    speaker = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="statements")
    text = models.TextField(help_text="The quoted words verbatim, or the paraphrase.")
    kind = models.CharField(max_length=12, choices=StatementKind.choices, db_index=True)
    channel = models.CharField(
        max_length=300, blank=True,
        help_text='How the words reached the source, e.g. "according to a State Department statement".',
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.PROTECT, related_name="statements",
        help_text="The event the statement was made at or about.",
    )
    about_actors = models.ManyToManyField(Actor, blank=True, related_name="mentioned_in")
    about_places = models.ManyToManyField(Place, blank=True, related_name="mentioned_in")
    about_events = models.ManyToManyField(Event, blank=True, related_name="mentioned_in")
    history = HistoricalRecords(m2m_fields=[about_actors, about_places, about_events])

    class Meta:
        ordering = ["date_start", "id"]
        constraints = [*DateInterval.date_constraints("statement")]
        indexes = [
            models.Index(fields=["date_start", "date_end"], name="statement_dates"),
            models.Index(fields=["date_start", "id", "date_end"], name="statement_date_order"),
            # The other sort orders a client may ask for (`ordering=`), as for events.
            models.Index(fields=["date_end", "id"], name="statement_end_order"),
            models.Index(fields=["kind", "id"], name="statement_kind_order"),
            models.Index(fields=["updated_at", "id"], name="statement_updated_order"),
        ]

    def __str__(self):
        text = self.text if len(self.text) <= 80 else self.text[:77] + "…"
        return f"{self.speaker}: {text}"

    def clean(self):
        super().clean()
        if not self.text.strip():
            raise ValidationError({"text": "A statement needs its words."})


class RelationType(models.TextChoices):
    ALLY_OF = "ally_of", "Ally of"
    AT_WAR_WITH = "at_war_with", "At war with"
    RIVAL_OF = "rival_of", "Rival of / in a standoff with"
    CEASEFIRE_WITH = "ceasefire_with", "Under a ceasefire with"
    MEDIATOR_FOR = "mediator_for", "Mediator for (subject mediates between object and others)"
    SUPPORTS = "supports", "Supports"
    NEGOTIATING_WITH = "negotiating_with", "Negotiating with"


SYMMETRIC_RELATIONS = {
    RelationType.AT_WAR_WITH, RelationType.RIVAL_OF, RelationType.CEASEFIRE_WITH, RelationType.NEGOTIATING_WITH,
    RelationType.ALLY_OF,
}


class Relation(Reviewed, DateInterval, Timestamped):
    """A standing relation between two actors that a source states, valid over an interval where it gives one."""

    subject = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="relations_as_subject")
    object = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="relations_as_object")
    type = models.CharField(max_length=20, choices=RelationType.choices, db_index=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(subject=F("object")),
                name="relation_not_self",
                violation_error_message="A relation needs two different actors.",
            ),
            *DateInterval.date_constraints("relation"),
        ]

    def __str__(self):
        return f"{self.subject} {self.get_type_display().split(' (')[0].lower()} {self.object}"

    @property
    def symmetric(self) -> bool:
        return self.type in SYMMETRIC_RELATIONS


class EvidenceSpan(Timestamped):
    """An exact passage of a source's text that supports one fact: event, statement, relation or affiliation.

    Curators may give only `quote`; `clean()` then finds the offsets, using `occurrence` (1-based) when the passage
    occurs more than once, and refuses a passage that is not in the source.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    start = models.PositiveIntegerField(null=True, blank=True, help_text="Offset of the first character (0-based).")
    end = models.PositiveIntegerField(null=True, blank=True, help_text="Offset just past the last character.")
    quote = models.TextField(help_text="The passage; must equal source.text[start:end].")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    statement = models.ForeignKey(Statement, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    relation = models.ForeignKey(Relation, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    affiliation = models.ForeignKey(
        Affiliation, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    history = HistoricalRecords()

    FACT_FIELDS = ("event", "statement", "relation", "affiliation")

    class Meta:
        ordering = ["source", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=False, end__isnull=False, start__lt=F("end")),
                name="evidence_start_before_end",
                violation_error_message="A span needs a start offset before its end offset.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(event__isnull=False, statement__isnull=True, relation__isnull=True, affiliation__isnull=True)
                    | Q(event__isnull=True, statement__isnull=False, relation__isnull=True, affiliation__isnull=True)
                    | Q(event__isnull=True, statement__isnull=True, relation__isnull=False, affiliation__isnull=True)
                    | Q(event__isnull=True, statement__isnull=True, relation__isnull=True, affiliation__isnull=False)
                ),
                name="evidence_supports_one_fact",
                violation_error_message="A span supports exactly one event, statement, relation or affiliation.",
            ),
        ]
        indexes = [models.Index(fields=["source", "start"], name="evidence_source_start")]

    # Not stored: which occurrence of an ambiguous passage a curator means (1-based), read by clean().
    occurrence = None

    def __str__(self):
        quote = self.quote if len(self.quote) <= 60 else self.quote[:57] + "…"
        return f"“{quote}” [{self.start}:{self.end}]"

    def clean(self):
        super().clean()
        if not self.source_id:
            return
        text = self.source.text
        if self.start is None or self.end is None:
            self.start, self.end = locate_passage(text, self.quote, occurrence=self.occurrence, field="quote")
            self.quote = text[self.start:self.end]
        elif text[self.start:self.end] != self.quote:
            raise ValidationError(
                {"quote": f"The quote does not match the source text at {self.start}:{self.end}; "
                          f"the source has “{text[self.start:self.end][:80]}” there."}
            )
