"""Conflict facts as relational data: sources, actors, places, events, statements, relations and their evidence.

Every event, statement, relation, affiliation and alias is backed by EvidenceSpans: exact passages of a stored Source
text. Anything that does not come from a source (canonical spellings, ISO codes, coordinates, CAMEO codes, a
publication date given as metadata, a place's parent, an affiliation link from outside knowledge) is named in the
object's `external` map, so a reader can tell the two apart; an alias or affiliation so marked needs no passage.
"""

import hashlib
import operator
from collections.abc import Iterable, Mapping
from datetime import date
from functools import reduce
from typing import Any, cast

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, models, router
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Coalesce
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords

from facts.dates import Precision, precision_refused
from facts.evidence import locate_passage
from facts.patterns import SLUG_MAX_LENGTH
from facts.walks import WalkedIds, affiliation_walk, subtree_walk


def failed_checks(model, instance, checks: list[models.CheckConstraint], exclude, using: str) -> list:
    """The check constraints of `checks` that `instance` fails, found in one query.

    Django's CheckConstraint.validate asks the database once per constraint, each inside a savepoint when a
    transaction is open: three round trips per constraint, for every fact, span and participant a service checks (a
    third of the queries of `propose_facts`). This asks every condition in one SELECT instead, with the same rules:
    a condition over an excluded field is skipped, NULL passes (COALESCE), a database error passes (the constraint
    itself still holds in the database on save). No savepoint: the SELECT compares values of the instance's own
    fields, which clean_fields() has already checked (full_clean leaves a field that failed out of `exclude`'s
    complement), so it has nothing to fail on; a value the driver cannot send is refused before it reaches the
    server, leaving the transaction as it was.
    """

    def condition(check):
        wrapped = ExpressionWrapper(Q(check.condition), output_field=models.BooleanField())
        return Coalesce(wrapped, Value(True), output_field=models.BooleanField())

    def query(with_checks):
        built = Query(None)
        for name, value in instance._get_field_expression_map(meta=model._meta, exclude=exclude).items():
            built.add_annotation(value if hasattr(value, "resolve_expression") else Value(value), name, select=False)
        for index, check in enumerate(with_checks):
            built.add_annotation(condition(check), f"_check_{index}")
        return built

    usable = []
    for check in checks:
        try:
            query([check])
        except FieldError:
            continue  # it reads a field left out of the validation, as CheckConstraint.validate skips it
        usable.append(check)
    if not usable:
        return []
    compiler = query(usable).get_compiler(using=using)
    try:
        row = compiler.execute_sql(SINGLE)
    except DatabaseError:
        return []
    return [check for check, passed in zip(usable, row or (), strict=False) if not passed]


class Timestamped(models.Model):
    """Adds creation and last-change times to a model, and checks its check constraints in one query."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        """Model.validate_constraints, with every check constraint of a model asked in one query (failed_checks)."""
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        for model_class, constraints in self.get_constraints():
            checks = [c for c in constraints if isinstance(c, models.CheckConstraint)]
            for check in failed_checks(model_class, self, checks, exclude, using):
                refused = ValidationError(check.get_violation_error_message(), code=check.violation_error_code)
                errors = refused.update_error_dict(errors)
            for constraint in constraints:
                if isinstance(constraint, models.CheckConstraint):
                    continue
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    fields = getattr(constraint, "fields", ())
                    if getattr(error, "code", None) == "unique" and len(fields) == 1:
                        errors.setdefault(fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class ExternalData(models.Model):
    """Names the fields whose values come from outside the sources, with the reason ("ISO 3166-1", ...)."""

    external = models.JSONField(
        default=dict,
        blank=True,
        help_text="Fields whose values do not come from a source, each with its origin, e.g. "
        '{"country_code": "ISO 3166-1"}.',
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
            shown = ", ".join(name[:60].replace("\x00", "\\0") for name in unknown[:10])
            raise ValidationError({"external": f"Unknown field name(s): {shown}."})
        for name, origin in self.external.items():
            # Stored as jsonb on PostgreSQL, which refuses a NUL; an origin is a short human text.
            if not isinstance(origin, str) or "\x00" in origin or len(origin) > 500 or not origin.strip():
                raise ValidationError(
                    {"external": f"Give the origin of “{name}” as a text of 1 to 500 characters without NUL."}
                )


class DateInterval(models.Model):
    """A date as the source words it, resolved into an earliest..latest interval with a precision.

    An unknown bound is NULL ("open"): never guessed, and unbounded in date filters. An empty `date_text` with dates
    set means the source states no date: the fact holds as of publication or happened before it (start open, end
    the publication date), is expected after it (start the publication date, end open), or is a statement made at
    an event, whose dates it takes (dates_at_event). The precision must describe the interval as stored
    (facts.dates.precision_refused).
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
            # An unknown bound stays open (NULL, "unbounded"), never guessed; the precision says which case it is.
            models.CheckConstraint(
                condition=Q(date_start__isnull=True, date_end__isnull=True, date_precision="")
                | (Q(date_start__isnull=False, date_end__isnull=False) & ~Q(date_precision__in=["", Precision.OPEN]))
                | ((Q(date_start__isnull=True) ^ Q(date_end__isnull=True)) & Q(date_precision=Precision.OPEN)),
                name=f"{prefix}_date_precision_fits_bounds",
                violation_error_message="An undated fact has no precision; an interval with both bounds has a "
                "precision other than “open”; an interval with one unknown bound has "
                "precision “open”.",
            ),
        ]

    def clean(self):
        super().clean()
        start, end = self.date_start, self.date_end
        if start is None and end is None:
            return  # undated: the constraint refuses a precision given anyway
        if not all(bound is None or isinstance(bound, date) for bound in (start, end)):
            return  # a bound that is no date yet: clean_fields() reports it
        if not self.date_precision:
            raise ValidationError({"date_precision": "A resolved date needs a precision."})
        if start is not None and end is not None and start > end:
            return  # the constraint names the reversed bounds
        if refused := precision_refused(self.date_precision, start, end):
            raise ValidationError({"date_precision": refused})


# The interval's bounds: what the date filters and the date order compare.
DATE_BOUNDS = ("date_start", "date_end")
# The interval's own fields, which a statement made at an event takes from it (dates_at_event).
INTERVAL_FIELDS = (*DATE_BOUNDS, "date_precision")
# Every date field of a fact: the source's own words and the interval they resolve to.
DATE_FIELDS = ("date_text", *INTERVAL_FIELDS)


def dates_at_event(date_text: str, event_dates: Mapping[str, Any] | None) -> dict | None:
    """The interval a statement made at an event takes: the event's, unless the statement's own words date it.

    `event_dates` maps the event's date_start, date_end and date_precision (None: no event). Returns those fields
    for the statement, or None when it keeps its own (it has a date_text of its own, or no event). The one rule for
    every path: Statement.save() and clean() (the API's services, the admin, reverts), fixture loads
    (keep_rules_on_raw_save), Event.save() for the statements made at it, and build_fixtures on the spec.
    """
    if (date_text or "").strip() or event_dates is None:
        return None
    return {name: event_dates[name] for name in INTERVAL_FIELDS}


def date_order(field: str = "date_start", *, descending: bool = False) -> OrderBy:
    """The one order of a date column on every database: NULL (an undated fact, an unknown bound) sorts before
    every date ascending and after every date descending.

    That is SQLite's own order, made explicit so that PostgreSQL (NULLS LAST ascending by default) sorts the same;
    NullsFirstIndex keeps the date indexes in that order on PostgreSQL, so pages still read an index in order.
    """
    return F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_first=True)


# The default order of events and statements: by start date, undated and open-start facts first, then by id.
DATE_ORDER = (date_order(), "id")


class NullsFirstIndex(models.Index):
    """An index whose `nulls_first` columns (ascending) hold NULL before every value, as date_order() sorts.

    SQLite's ascending index already does, and its CREATE INDEX takes no NULLS clause; on PostgreSQL, whose
    ascending index puts NULL last, those columns get NULLS FIRST. Read backwards, the index serves the descending
    order (NULL last) too.
    """

    def __init__(self, *args, nulls_first: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.nulls_first = tuple(nulls_first)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["nulls_first"] = self.nulls_first
        return path, args, kwargs

    def create_sql(self, model, schema_editor, using="", **kwargs):
        statement = super().create_sql(model, schema_editor, using=using, **kwargs)
        if schema_editor.connection.vendor == "postgresql" and self.nulls_first:
            columns = statement.parts["columns"]
            suffixes = list(columns.col_suffixes or [""] * len(self.fields_orders))
            columns.col_suffixes = [
                " ".join(filter(None, (suffix, "NULLS FIRST" if name in self.nulls_first else "")))
                for (name, _order), suffix in zip(self.fields_orders, suffixes, strict=False)
            ]
        return statement


class ReviewStatus(models.TextChoices):
    # Proposed by the extractor (facts/extraction, `propose_facts`) and not yet looked at: lists leave candidates out
    # unless `status=candidate` is asked for, so that analysts never read unvetted facts by accident.
    CANDIDATE = "candidate", "Candidate"
    DRAFT = "draft", "Draft"
    REVIEWED = "reviewed", "Reviewed"
    VERIFIED = "verified", "Verified"


REVIEWED_STATES = (ReviewStatus.REVIEWED, ReviewStatus.VERIFIED)


class Reviewed(models.Model):
    """Adds the curation state of a fact: new facts are drafts until a curator reviews them.

    Moving a fact to reviewed or verified needs the model's own `review_<model>` permission (each fact model
    declares it in Meta.permissions), whichever path the change takes: API, admin form, bulk action or revert.
    """

    status = models.CharField(
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        db_index=True,
        help_text="Curation state: candidate (proposed by the extractor), draft, reviewed or verified.",
    )
    proposed_by = models.CharField(
        max_length=80,
        blank=True,
        default="",
        # Also the database's default: bulk loads (generate_synthetic's COPY, raw SQL) that name no such column.
        db_default="",
        help_text="The extraction rule that proposed the fact (e.g. statement:said-after-quote); empty for a fact a "
        "curator entered.",
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # A status change saved on its own (a bulk action, an acceptance) skips clean(): hold the rule here too.
        fields = kwargs.get("update_fields")
        if fields is not None and "status" in fields:
            if refused := candidate_actors_refused(self.status, self.named_actor_ids()):
                raise ValidationError({"status": refused})
        super().save(*args, **kwargs)

    @classmethod
    def review_permission(cls) -> str:
        return f"{cls._meta.app_label}.review_{cls._meta.model_name}"

    def named_actor_ids(self) -> list[int]:
        """The actors this fact names, as stored (its own foreign keys as they are now); each fact model says."""
        return []

    def clean(self):
        super().clean()
        if refused := candidate_actors_refused(self.status, self.named_actor_ids()):
            raise ValidationError({"status": refused})

    def review_refused(self, user, previous_status: str | None) -> str | None:
        """Why `user` may not give this fact its status, or None.

        `previous_status` is the stored status (None for a new fact). Commands and fixture loads act without a
        user (None) and are trusted; any user, anonymous included, needs the review permission.
        """
        if self.status not in REVIEWED_STATES or self.status == previous_status or user is None:
            return None
        if user.has_perm(self.review_permission()):
            return None
        return (
            f"Moving this {self._meta.verbose_name} to “{self.status}” needs the review permission "
            f"({self.review_permission()}); leave it as a draft for a reviewer."
        )


class ProposalState(models.TextChoices):
    # An actor or an affiliation the extractor proposed (a name the source gives that no known actor has, a title
    # it gives a new person): hidden from lists unless `status=candidate` is asked for, until a curator accepts it.
    CANDIDATE = "candidate", "Candidate"
    ACCEPTED = "accepted", "Accepted"


class Proposable(models.Model):
    """Adds a proposal state to a reference row (actor, affiliation): the extractor's candidates, below accepted.

    Every row a curator enters, a fixture loads or a bulk load writes is accepted (also the database's default).
    """

    status = models.CharField(
        max_length=10,
        choices=ProposalState.choices,
        default=ProposalState.ACCEPTED,
        db_default=ProposalState.ACCEPTED,
        db_index=True,
        help_text="candidate (proposed by the extractor, waiting for a curator) or accepted.",
    )
    proposed_by = models.CharField(
        max_length=80,
        blank=True,
        default="",
        db_default="",
        help_text="The extraction rule that proposed it (e.g. actor:title-name); empty for a curator's entry.",
    )

    class Meta:
        abstract = True


class Corroborated(models.Model):
    """Adds how many distinct sources cite a fact, kept by the database from its evidence spans (migration 0020).

    Derived, never written by the ORM: triggers built from one counting rule (facts/migrations/0020_corroboration.py,
    SOURCES_COUNT_RULE) recount it on every insert, update and delete
    (the API, the admin, reverts, fixture loads, bulk_create and raw SQL alike), and a trigger on the fact's own
    table keeps a write of the fact from overwriting it with a stale value. Not in the history, being derived.
    """

    sources_count = models.PositiveIntegerField(
        default=0,
        db_default=0,
        editable=False,
        help_text="How many distinct sources the fact's evidence spans cite; kept by the database.",
    )

    class Meta:
        abstract = True


def candidate_actors_refused(status: str, actor_ids: Iterable[int | None]) -> str | None:
    """Why a fact (or an affiliation) with `status` may not name the actors `actor_ids`, or None.

    The one rule between candidate actors and what names them: only a candidate may name a candidate actor. A
    curator accepts the actor first (the review queue's "accept all" does, in that order), then the facts that name
    it; a fact is never vetted while one of its actors is not. Checked by Reviewed.clean() and save() (a status
    saved alone: bulk actions, acceptances), Participant.save(), Affiliation.clean() and save(), the event service
    for the participants it is given, and, the other way round, Actor.clean() (an actor made a candidate again).
    """
    if status == ProposalState.CANDIDATE:
        return None
    ids = {pk for pk in actor_ids if pk is not None}
    if not ids:
        return None
    names = list(Actor._base_manager.filter(pk__in=ids, status=ProposalState.CANDIDATE).values_list("name", flat=True))
    if not names:
        return None
    shown = ", ".join(f"“{name[:80]}”" for name in sorted(names)[:5])
    return (
        f"It names candidate actor(s) {shown}, which no curator has accepted yet: accept them first, or keep this a "
        "candidate."
    )


class Source(ExternalData, Timestamped):
    """A document that facts come from, with its full text stored so that evidence offsets can be checked."""

    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True)
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

    def save(self, *args, **kwargs):
        self._canonicalize()
        if refused := self.text_change_refused():
            raise ValidationError({"text": refused})
        super().save(*args, **kwargs)

    @staticmethod
    def canonical_text(text: str) -> str:
        """The one stored form of a text: every line end as "\\n" (browsers post CRLF), nothing else changed."""
        return text.replace("\r\n", "\n").replace("\r", "\n")

    @classmethod
    def checksum_of(cls, text: str) -> str:
        """SHA-256 of the canonical form, so that one article gets one checksum whichever path it arrives by."""
        return hashlib.sha256(cls.canonical_text(text).encode("utf-8")).hexdigest()

    def _canonicalize(self) -> None:
        self.text = self.canonical_text(self.text or "")
        self.checksum = self.checksum_of(self.text)

    def text_change_refused(self) -> str | None:
        """Why the stored text of this source may not become `self.text`, or None.

        Evidence offsets index the stored text, so once any span cites it the text is frozen. The same rule is a
        database trigger (migration 0011), for raw SQL, QuerySet.update() and fixture loads.
        """
        if self.pk is None:
            return None
        stored = Source.objects.filter(pk=self.pk).exclude(checksum=self.checksum)
        spans = EvidenceSpan.objects.filter(source_id=self.pk).count() if stored.exists() else 0
        if not spans:
            return None
        return (
            f"{spans} evidence span(s) point into this text by offset, so it cannot change. "
            "Store the corrected text as a new source instead."
        )

    def clean(self):
        self._canonicalize()
        super().clean()
        if refused := self.text_change_refused():
            raise ValidationError({"text": refused})
        # The unique constraint would report this as a non-field error; the curator needs it on the text.
        duplicate = Source.objects.filter(checksum=self.checksum).exclude(pk=self.pk).first()
        if duplicate is not None:
            raise ValidationError(
                {"text": f"A source with exactly this text is already stored: “{duplicate.title}” (id {duplicate.pk})."}
            )


class ActorKind(models.TextChoices):
    PERSON = "person", "Person"
    STATE = "state", "State or government"
    ORGANIZATION = "organization", "Organization"
    GROUP = "group", "Group"
    UNNAMED = "unnamed", "Unnamed source"


class ActorQuerySet(models.QuerySet):
    """Walks of the affiliation graph (member -> organization or state): recursive CTEs, written in facts.walks.

    A walk follows accepted affiliations only: a candidate one (proposed by the extractor) links nothing until a
    curator accepts it."""

    def with_walks(self):
        """Each actor with the ids below and above it (`below`, `above`), read in its own query (facts.walks)."""
        table = Affiliation._meta.db_table
        return self.annotate(
            below=WalkedIds(lambda start: affiliation_walk(table, start, down=True, accepted=ProposalState.ACCEPTED)),
            above=WalkedIds(lambda start: affiliation_walk(table, start, down=False, accepted=ProposalState.ACCEPTED)),
        )

    @staticmethod
    def links_above(member_ids: Iterable[int]) -> list[tuple[int, int]]:
        """Every (member id, organization id) affiliation link above the actors `member_ids`, at any depth, read in
        one query (a recursive CTE over the links)."""
        member_ids = sorted(set(member_ids))
        if not member_ids:
            return []
        table = Affiliation._meta.db_table
        marks = ", ".join(["%s"] * len(member_ids))
        links = RawSQL(
            f"WITH RECURSIVE up(id, organization_id) AS (SELECT id, organization_id FROM {table} "
            f"WHERE person_id IN ({marks}) AND status = %s UNION SELECT a.id, a.organization_id FROM {table} a "
            "JOIN up ON a.person_id = up.organization_id WHERE a.status = %s) SELECT id FROM up",
            [*member_ids, ProposalState.ACCEPTED, ProposalState.ACCEPTED],
        )
        return list(Affiliation.objects.filter(pk__in=links).order_by().values_list("person_id", "organization_id"))


class Actor(Proposable, ExternalData, Timestamped):
    """Someone who acts or speaks: a person, a state, an organization, a group or an unnamed source.

    A candidate actor (`status`, proposed by `propose_facts`) may be named only by candidate facts: a fact leaves the
    candidate state once all of its actors are accepted (candidate_actors_refused).
    """

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text="Stable identifier used in URLs and filters."
    )
    name = models.CharField(max_length=200, help_text="Canonical name.")
    kind = models.CharField(max_length=20, choices=ActorKind.choices, db_index=True)
    country_code = models.CharField(
        max_length=2, blank=True, db_index=True, help_text="ISO 3166-1 alpha-2 code, for states."
    )
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = ActorQuerySet.as_manager()

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
        if refused := self.demotion_refused():
            raise ValidationError({"status": refused})

    def demotion_refused(self) -> str | None:
        """Why this actor may not be a candidate: a vetted fact or an accepted affiliation names it (the rule of
        candidate_actors_refused, seen from the actor)."""
        if self.status != ProposalState.CANDIDATE or self.pk is None:
            return None
        vetted = ~Q(status=ProposalState.CANDIDATE)
        named = (
            Participant.objects.filter(Q(actor_id=self.pk) & ~Q(event__status=ProposalState.CANDIDATE)).exists()
            or Statement.objects.filter(vetted, speaker_id=self.pk).exists()
            or Relation.objects.filter(vetted, Q(subject_id=self.pk) | Q(object_id=self.pk)).exists()
            or Affiliation.objects.filter(vetted, Q(person_id=self.pk) | Q(organization_id=self.pk)).exists()
        )
        return "Vetted facts or accepted affiliations name this actor, so it cannot be a candidate." if named else None


class AliasKind(models.TextChoices):
    NAME = "name", "Name"
    SPELLING = "spelling", "Variant spelling"
    SURNAME = "surname", "Surname alone"
    METONYM = "metonym", "Metonym (e.g. a capital for its government)"
    DESCRIPTION = "description", "Descriptive reference (e.g. 'the US diplomat')"
    ADJECTIVE = "adjective", "Adjective or demonym"
    ABBREVIATION = "abbreviation", "Abbreviation"


class ActorAlias(ExternalData, Timestamped):
    """A name, spelling or metonym by which a source refers to an actor.

    An alias a source uses cites the passages where it does (EvidenceSpan.alias); any other alias (a canonical
    spelling the sources never write) is marked external: `external` names its `name` with the origin, e.g.
    {"name": "canonical spelling"}. One of the two always holds (support_refused, checked by the services, the
    admin, reverts, the fixtures builder, and on every span removal).
    """

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

    def needs_evidence(self) -> bool:
        """False for an alias marked external (`external` names `name`): no source has to use it."""
        return "name" not in (self.external or {})

    def support_refused(self, quotes: Iterable[str]) -> str | None:
        """Why this alias cannot stand with evidence passages `quotes`, or None.

        An alias cites at least one passage unless it is marked external, and each passage it cites must contain
        it (quotation marks, white space and letter case aside).
        """
        quotes = list(quotes)
        if not quotes:
            if not self.needs_evidence():
                return None
            return (
                f"Cite a passage where a source uses the alias “{self.name[:80]}”, or mark it external "
                '(external {"name": "<origin, e.g. canonical spelling>"}).'
            )
        wanted = comparable_words(self.name or "").casefold()
        if wanted and any(wanted not in comparable_words(quote).casefold() for quote in quotes):
            return f"Each passage cited for the alias “{self.name[:80]}” must contain it."
        return None


# `external` names one of these when the affiliation itself (the link) is outside knowledge, not a source's words.
AFFILIATION_LINK_FIELDS = ("person", "organization")


class Affiliation(Proposable, DateInterval, ExternalData, Timestamped):
    """A member's position in a state, organization or group, as of the source's date.

    The member is a person or an unnamed source, or an organization or group that is part of a state or of
    another organization (the State Department of the United States). The links form a hierarchy without cycles,
    which `affiliated_with` filters and the claims of an event follow upwards. Each link cites evidence, or is
    marked external when no passage states it: `external` then names `organization` (or `person`) with the origin,
    e.g. {"organization": "State Department is the US foreign ministry (outside knowledge)"}.
    """

    person = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        related_name="affiliations",
        help_text="The member: a person, an unnamed source, or an organization or group.",
    )
    organization = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="What the member belongs to: a state, organization or group.",
    )
    role_title = models.CharField(
        max_length=200, blank=True, help_text='As the source gives it, e.g. "Foreign Minister".'
    )
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

    def save(self, *args, **kwargs):
        # The rules of this model that query other rows, held for writes that skip clean() too.
        if refused := self.cycle_refused():
            raise ValidationError({"organization": refused})
        if refused := candidate_actors_refused(self.status, self.named_actor_ids()):
            raise ValidationError({"status": refused})
        super().save(*args, **kwargs)

    MEMBER_KINDS = (ActorKind.PERSON, ActorKind.UNNAMED, ActorKind.ORGANIZATION, ActorKind.GROUP)
    ORGANIZATION_KINDS = (ActorKind.STATE, ActorKind.ORGANIZATION, ActorKind.GROUP)

    def needs_evidence(self) -> bool:
        """False when the link itself is marked external (outside knowledge): then it may cite no passage."""
        return not set(self.external or {}) & set(AFFILIATION_LINK_FIELDS)

    def cycle_refused(self) -> str | None:
        """Why this link would close a cycle (the organization already belongs, at some depth, to the member)."""
        if not (self.person_id and self.organization_id) or self.person_id == self.organization_id:
            return None  # a self-link is the affiliation_not_self constraint's
        table = self._meta.db_table
        # The organizations above the new organization, this row's stored link left out (it is being replaced).
        above = RawSQL(
            f"WITH RECURSIVE up(id) AS (SELECT organization_id FROM {table} WHERE person_id = %s AND id <> %s "
            f"UNION SELECT a.organization_id FROM {table} a JOIN up ON a.person_id = up.id WHERE a.id <> %s) "
            "SELECT id FROM up",
            [self.organization_id, self.pk or 0, self.pk or 0],
        )
        if Actor._base_manager.filter(pk=self.person_id).filter(pk__in=above).exists():
            return (
                "This link would make the member part of itself: the organization already belongs, directly "
                "or through others, to the member."
            )
        return None

    def clean(self):
        super().clean()
        if self.person_id and self.person.kind not in self.MEMBER_KINDS:
            raise ValidationError(
                {
                    "person": "A member is a person, an unnamed source, or an organization or group "
                    "(part of a state or of another organization); a state is no one's "
                    "member."
                }
            )
        if self.organization_id and self.organization.kind not in self.ORGANIZATION_KINDS:
            raise ValidationError({"organization": "An affiliation must be to a state, organization or group."})
        if refused := self.cycle_refused():
            raise ValidationError({"organization": refused})
        if refused := candidate_actors_refused(self.status, self.named_actor_ids()):
            raise ValidationError({"status": refused})

    def named_actor_ids(self) -> list[int]:
        """The member and the organization: an accepted affiliation links accepted actors only."""
        return [self.person_id, self.organization_id]


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
    def with_subtree(self):
        """Each place with the ids of itself and every place below it (`subtree`), read in its own query, so that
        a filter can hand them to the filtered query as literals (facts.walks explains why)."""
        table = self.model._meta.db_table
        return self.annotate(subtree=WalkedIds(lambda start: subtree_walk(table, start)))


class Place(ExternalData, Timestamped):
    """A location in a hierarchy: region, country, enclave, city, corridor, facility or venue."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text="Stable identifier used in URLs and filters."
    )
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
                    latitude__isnull=False,
                    longitude__isnull=False,
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
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
    """A CAMEO event code and its label, with its PLOVER category and mode: external data, not code, and not from
    any source article. Every row of the codebook is external by nature: the CAMEO manual 1.1b3's code list and the
    PLOVER project's CAMEO-to-PLOVER table, compiled by hand into fixtures/00_cameo.json (origins, licences and
    decisions in fixtures/CAMEO_PLOVER.md; the categories and modes in facts/taxonomy.py); each row's description
    names its origin."""

    code = models.CharField(max_length=4, primary_key=True, help_text="CAMEO code, e.g. 043.")
    label = models.CharField(max_length=200, help_text='CAMEO label, e.g. "Host a visit".')
    description = models.TextField(blank=True)
    plover_category = models.CharField(
        max_length=40, blank=True, help_text="PLOVER event category from the CAMEO-to-PLOVER crosswalk (external)."
    )
    plover_mode = models.CharField(
        max_length=60, blank=True, help_text="PLOVER mode, where the crosswalk gives one (external)."
    )

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


# What may refer to an event (a parent, a statement's occasion or subject, a participant, a span): one that stands,
# not the tombstone of a merge (Event.is_merged). Forms list only these; full_clean() refuses the others with this.
LIVE_EVENTS = {"merged_into__isnull": True}
LIVE_EVENT_MESSAGES = {
    "invalid": "No event with id %(value)r, or it was merged into another event: give the one it was merged into."
}


class Event(Reviewed, Corroborated, DateInterval, Timestamped):
    """Something that happened: who did what, where and when, with a CAMEO code and evidence."""

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    event_type = models.ForeignKey(EventType, on_delete=models.PROTECT, related_name="events")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to=LIVE_EVENTS,
        error_messages=LIVE_EVENT_MESSAGES,
        help_text="A larger event this one is part of (a dinner within a round of talks).",
    )
    actors: "models.ManyToManyField[Actor, Participant]" = models.ManyToManyField(
        Actor, through="Participant", related_name="events"
    )
    # Set by facts.services.event_merge only. The merged row stays as a tombstone so that its id answers 301 (GET)
    # or 410 with its target; it is deleted with the target (an owned part: facts.services.deletion.OWNED_PARTS).
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.CASCADE,
        related_name="merged_events",
        help_text="The event this one was merged into: a duplicate, kept only so that its id leads to the target.",
    )
    history = HistoricalRecords(excluded_fields=["sources_count"])

    class Meta:
        ordering = DATE_ORDER
        permissions = [("review_event", "Can mark events reviewed or verified")]
        constraints = [
            *DateInterval.date_constraints("event"),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="event_not_own_parent",
                violation_error_message="An event cannot be part of itself.",
            ),
            # A tombstone of a merge keeps nothing that lists it elsewhere: no place, no parent (see is_merged).
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True)
                | (Q(place__isnull=True, parent__isnull=True) & ~Q(merged_into=F("id"))),
                name="event_tombstone_bare",
                violation_error_message="A merged event keeps no place or parent and is not merged into itself.",
            ),
        ]
        indexes = [
            # Date windows are counted in this one: events share their dates, so its entries deduplicate to few pages.
            models.Index(fields=["date_start", "date_end"], name="event_dates"),
            # Pages in the default order read the first 50 entries of this one and stop, even where thousands of
            # events share a start date ("in 2012"). date_end is in it so that a date window is checked in the index:
            # a key column rather than INCLUDE, which SQLite lacks (it then read each event's row: 7x slower).
            # NULL first (date_order): undated and open-start events lead the default order on every database.
            NullsFirstIndex(
                fields=["date_start", "id", "date_end"], name="event_date_order", nulls_first=["date_start"]
            ),
            # The other sort orders a client may ask for (`ordering=`): each page reads its first entries.
            NullsFirstIndex(fields=["date_end", "id"], name="event_end_order", nulls_first=["date_end"]),
            models.Index(fields=["title", "id"], name="event_title_order"),
            models.Index(fields=["updated_at", "id"], name="event_updated_order"),
            # `min_sources=2` (or more) in the default order: the corroborated events alone, in date order, so that
            # a page and its capped count read only them however rare they are, from the index alone: the count is in
            # it (`min_sources=3` is checked there too), and lists leave candidates out (planning.visible).
            NullsFirstIndex(
                fields=["date_start", "id", "sources_count"],
                name="event_corroborated_order",
                nulls_first=["date_start"],
                condition=Q(sources_count__gte=2) & ~Q(status=ReviewStatus.CANDIDATE),
            ),
        ]

    def __str__(self):
        when = f" ({self.date_text})" if self.date_text else ""
        return f"{self.title}{when}"

    def save(self, *args, **kwargs):
        # A new row (no id yet) has no participants or statements: they are saved after it, and copy from it then.
        adding = self._state.adding and self.pk is None
        super().save(*args, **kwargs)
        if adding:
            return
        # Participants keep a copy of the dates and type (see Participant); one UPDATE keeps them equal whatever
        # changed.
        copy = Participant.event_copy(self.date_start, self.date_end, self.event_type_id)
        self.participants.exclude(**copy).update(**copy)
        self.date_statements()

    @property
    def is_merged(self) -> bool:
        """A tombstone of a merge (facts.services.event_merge): its evidence, participants, statements and children
        moved to `merged_into`. The one place that exempts it from the rules of facts: it needs no evidence here
        (needs_evidence), in the database's commit-time trigger (migration 0018) and in the lists
        (facts.selectors.planning.live)."""
        return self.merged_into_id is not None

    def needs_evidence(self) -> bool:
        """False for a tombstone of a merge, whose evidence moved to the event it was merged into."""
        return not self.is_merged

    def named_actor_ids(self) -> list[int]:
        return list(Participant.objects.filter(event_id=self.pk).values_list("actor_id", flat=True)) if self.pk else []

    def date_statements(self) -> None:
        """Give the statements made at this event without a date of their own its dates (dates_at_event).

        Each is saved, so that its history records the change and why.
        """
        for statement in self.statements.filter(date_text=""):
            if statement.follow_event(self):
                reason = f"Takes the dates of event {self.pk}, at which it was made."
                statement._change_reason = reason  # type: ignore[attr-defined]  # read by simple_history on save
                statement.save(update_fields=[*INTERVAL_FIELDS, "updated_at"])

    def clean(self):
        super().clean()
        if self.is_merged:
            # Every edit path checks this (services, admin forms, history revert); the merge itself writes no form.
            raise ValidationError(
                f"This event was merged into event {self.merged_into_id} and only leads to it: change that event."
            )
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

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="participants",
        limit_choices_to=LIVE_EVENTS,
        error_messages=LIVE_EVENT_MESSAGES,
    )
    # No index of its own: participant_actor_date starts with the actor.
    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="participations", db_index=False)
    role = models.CharField(max_length=20, choices=ParticipantRole.choices, db_index=True)
    event_date_start = models.DateField(
        null=True, blank=True, editable=False, help_text="Copy of the event's date_start, for the (actor, date) index."
    )
    event_date_end = models.DateField(
        null=True, blank=True, editable=False, help_text="Copy of the event's date_end, for the (actor, date) index."
    )
    event_type_code = models.CharField(
        max_length=4,
        blank=True,
        default="",
        editable=False,
        help_text="Copy of the event's CAMEO code, for the (actor, date) index.",
    )
    history = HistoricalRecords(excluded_fields=["event_date_start", "event_date_end", "event_type_code"])

    class Meta:
        ordering = ["event", "id"]
        indexes = [
            # event_date_end and event_type_code are key columns (not INCLUDE, which SQLite lacks) so that a date
            # window and a type prefix are checked in the index.
            NullsFirstIndex(
                fields=["actor", "event_date_start", "event", "event_date_end", "event_type_code"],
                name="participant_actor_date",
                nulls_first=["event_date_start"],
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "actor"],
                name="participant_one_role_per_actor",
                violation_error_message="This actor already has a role in this event.",
            ),
        ]

    def __str__(self):
        return f"{self.actor} as {self.get_role_display().split(' (')[0].lower()}"

    def save(self, *args, **kwargs):
        if self.event_id is not None:
            event = self.event
            for name, value in self.event_copy(event.date_start, event.date_end, event.event_type_id).items():
                setattr(self, name, value)
            if refused := candidate_actors_refused(event.status, [self.actor_id]):
                raise ValidationError({"actor": refused})
        super().save(*args, **kwargs)

    @staticmethod
    def event_copy(date_start, date_end, event_type_code) -> dict:
        """The copy a participant keeps of its event's dates and CAMEO code, as field values.

        The one place the copy is made: Event.save (an UPDATE of its participants), Participant.save, and the bulk
        paths that bypass save() (fixtures, the synthetic generator) all take it from here.
        """
        return {"event_date_start": date_start, "event_date_end": date_end, "event_type_code": event_type_code or ""}


QUOTATION_MARKS = "\"“”„‟«»‘’‚‛‹›'`"
_QUOTATION_MARKS = str.maketrans("", "", QUOTATION_MARKS)


def comparable_words(text: str) -> str:
    """A text with its quotation marks dropped and its white space collapsed, for the quote-in-evidence rule."""
    return " ".join(text.translate(_QUOTATION_MARKS).split())


class StatementKind(models.TextChoices):
    QUOTE = "quote", "Direct quote"
    PARTIAL = "partial", "Partial quote"
    PARAPHRASE = "paraphrase", "Paraphrase or reported claim"


class Statement(Reviewed, Corroborated, DateInterval, Timestamped):
    """Who said what: a speaker, the words (quoted or paraphrased), the channel, when, and what it is about."""

    speaker = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="statements")
    text = models.TextField(help_text="The quoted words verbatim, or the paraphrase.")
    kind = models.CharField(max_length=12, choices=StatementKind.choices, db_index=True)
    channel = models.CharField(
        max_length=300,
        blank=True,
        help_text='How the words reached the source, e.g. "according to a State Department statement".',
    )
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements",
        limit_choices_to=LIVE_EVENTS,
        error_messages=LIVE_EVENT_MESSAGES,
        help_text="The event the statement was made at (its occasion; what it is about goes in about_events). "
        "Without a date_text of its own, the statement takes this event's dates.",
    )
    about_actors = models.ManyToManyField(Actor, blank=True, related_name="mentioned_in")
    about_places = models.ManyToManyField(Place, blank=True, related_name="mentioned_in")
    about_events = models.ManyToManyField(Event, blank=True, related_name="mentioned_in", limit_choices_to=LIVE_EVENTS)
    history = HistoricalRecords(
        m2m_fields=[about_actors, about_places, about_events], excluded_fields=["sources_count"]
    )

    class Meta:
        ordering = DATE_ORDER
        permissions = [("review_statement", "Can mark statements reviewed or verified")]
        constraints = [*DateInterval.date_constraints("statement")]
        indexes = [
            models.Index(fields=["date_start", "date_end"], name="statement_dates"),
            NullsFirstIndex(
                fields=["date_start", "id", "date_end"], name="statement_date_order", nulls_first=["date_start"]
            ),
            # The other sort orders a client may ask for (`ordering=`), as for events.
            NullsFirstIndex(fields=["date_end", "id"], name="statement_end_order", nulls_first=["date_end"]),
            models.Index(fields=["kind", "id"], name="statement_kind_order"),
            models.Index(fields=["updated_at", "id"], name="statement_updated_order"),
            NullsFirstIndex(
                fields=["date_start", "id", "sources_count"],
                name="statement_corroborated_order",
                nulls_first=["date_start"],
                condition=Q(sources_count__gte=2) & ~Q(status=ReviewStatus.CANDIDATE),
            ),
        ]

    def __str__(self):
        text = self.text if len(self.text) <= 80 else self.text[:77] + "…"
        return f"{self.speaker}: {text}"

    def save(self, *args, **kwargs):
        if self.follow_event() and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *INTERVAL_FIELDS}
        super().save(*args, **kwargs)

    def named_actor_ids(self) -> list[int]:
        through = Statement.about_actors.through.objects
        about = list(through.filter(statement_id=self.pk).values_list("actor_id", flat=True)) if self.pk else []
        return [self.speaker_id, *about]

    def follow_event(self, event: "Event | None" = None) -> bool:
        """Take the dates of the event this statement was made at, unless its own date_text dates it
        (dates_at_event); True if a date changed. `event`: that event as the caller holds it (else it is read)."""
        if self.event_id is None:
            return False
        if (
            event is None
            and Statement.event.is_cached(self)
            and self.event is not None
            and self.event.pk == self.event_id
        ):
            event = self.event
        if event is None:
            # Not read through self.event: a fixture load saves statements whose event may not be stored yet.
            event = Event.objects.filter(pk=self.event_id).only(*INTERVAL_FIELDS).first()
        dates = dates_at_event(
            self.date_text, None if event is None else {name: getattr(event, name) for name in INTERVAL_FIELDS}
        )
        if dates is None:
            return False
        changed = any(getattr(self, name) != value for name, value in dates.items())
        for name, value in dates.items():
            setattr(self, name, value)
        return changed

    def clean(self):
        self.follow_event()
        super().clean()
        if not self.text.strip():
            raise ValidationError({"text": "A statement needs its words."})

    def quote_refused(self, quotes: Iterable[str]) -> str | None:
        """Why this statement's text cannot stand with evidence passages `quotes`, or None.

        A quote or partial quote reports words, so they must be inside one of its passages; only the quotation
        marks, white space and a closing comma or full stop may differ. A paraphrase is exempt. Checked by the
        services (API, commands, fixtures builder, revert) and by the admin's evidence formset.
        """
        if self.kind == StatementKind.PARAPHRASE or not (self.text or "").strip():
            return None
        words = comparable_words(self.text).rstrip(",.").rstrip()
        if any(words in comparable_words(quote) for quote in quotes):
            return None
        shown = self.text if len(self.text) <= 80 else self.text[:77] + "…"
        return (
            f"A {self.get_kind_display().lower()} must be words of its evidence, but “{shown}” occurs in none of "
            "its passages (only quotation marks, white space and a closing comma or full stop may differ). "
            "Quote the source exactly, or record it as a paraphrase."
        )


class RelationType(models.TextChoices):
    ALLY_OF = "ally_of", "Ally of"
    AT_WAR_WITH = "at_war_with", "At war with"
    RIVAL_OF = "rival_of", "Rival of / in a standoff with"
    CEASEFIRE_WITH = "ceasefire_with", "Under a ceasefire with"
    MEDIATOR_FOR = "mediator_for", "Mediator for (subject mediates between object and others)"
    SUPPORTS = "supports", "Supports"
    NEGOTIATING_WITH = "negotiating_with", "Negotiating with"
    # The subject's stance: it will not strain its ties with the object (one-sided, unlike ally_of).
    KEEPS_TIES_WITH = "keeps_ties_with", "Keeps ties with (unwilling to strain them)"


SYMMETRIC_RELATIONS = {
    RelationType.AT_WAR_WITH,
    RelationType.RIVAL_OF,
    RelationType.CEASEFIRE_WITH,
    RelationType.NEGOTIATING_WITH,
    RelationType.ALLY_OF,
}


class Relation(Reviewed, Corroborated, DateInterval, Timestamped):
    """A standing relation between two actors that a source states, valid over an interval where it gives one."""

    subject = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="relations_as_subject")
    object = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="relations_as_object")
    type = models.CharField(max_length=20, choices=RelationType.choices, db_index=True)
    description = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["sources_count"])

    class Meta:
        ordering = ["id"]
        permissions = [("review_relation", "Can mark relations reviewed or verified")]
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

    def named_actor_ids(self) -> list[int]:
        return [self.subject_id, self.object_id]

    @property
    def symmetric(self) -> bool:
        return self.type in SYMMETRIC_RELATIONS


# The facts a span can support, one per span (EvidenceSpan.FACT_FIELDS; also the constraint below).
SPAN_FACT_FIELDS = ("event", "statement", "relation", "affiliation", "alias")


class EvidenceSpan(Timestamped):
    """An exact passage of a source's text that supports one fact: event, statement, relation, affiliation or an alias.

    Curators may give only `quote`; `clean()` then finds the offsets, using `occurrence` (1-based) when the passage
    occurs more than once, and refuses a passage that is not in the source.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="evidence")
    start = models.PositiveIntegerField(null=True, blank=True, help_text="Offset of the first character (0-based).")
    end = models.PositiveIntegerField(null=True, blank=True, help_text="Offset just past the last character.")
    quote = models.TextField(help_text="The passage; must equal source.text[start:end].")
    event = models.ForeignKey(
        Event,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
        limit_choices_to=LIVE_EVENTS,
        error_messages=LIVE_EVENT_MESSAGES,
    )
    statement = models.ForeignKey(Statement, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    relation = models.ForeignKey(Relation, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    affiliation = models.ForeignKey(
        Affiliation, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence"
    )
    alias = models.ForeignKey(ActorAlias, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    # A passage the extractor proposes as more evidence for an existing event (a new source reporting it again): it
    # is not the event's evidence (reads, the source filter, corroboration, duplicates leave it out) until a curator
    # accepts it (candidate false) or rejects it (deleted).
    candidate = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Proposed by propose_facts as more evidence for an existing fact, not yet accepted.",
    )
    proposed_by = models.CharField(
        max_length=80, blank=True, default="", db_default="", help_text="The extraction rule that proposed it."
    )
    history = HistoricalRecords()

    FACT_FIELDS = SPAN_FACT_FIELDS

    class Meta:
        ordering = ["source", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=False, end__isnull=False, start__lt=F("end")),
                name="evidence_start_before_end",
                violation_error_message="A span needs a start offset before its end offset.",
            ),
            models.CheckConstraint(
                condition=reduce(
                    operator.or_,
                    (
                        Q(**{f"{name}__isnull": name != supported for name in SPAN_FACT_FIELDS})
                        for supported in SPAN_FACT_FIELDS
                    ),
                ),
                name="evidence_supports_one_fact",
                violation_error_message="A span supports exactly one event, statement, relation, affiliation or alias.",
            ),
        ]
        indexes = [models.Index(fields=["source", "start"], name="evidence_source_start")]

    # Not stored: which occurrence of an ambiguous passage a curator means (1-based), read by clean().
    occurrence = None

    def __str__(self):
        quote = self.quote if len(self.quote) <= 60 else self.quote[:57] + "…"
        return f"“{quote}” [{self.start}:{self.end}]"

    def edit_refused(self) -> str | None:
        """Why this span, edited on its own (its fact's other spans as stored), would leave its statement's words
        in none of the statement's passages, or None. A statement's whole evidence is checked by the services and
        the admin's evidence formset instead (Statement.quote_refused), which see every span of the write.
        A span of an alias must contain the alias (ActorAlias.support_refused)."""
        if self.alias_id is not None:
            return ActorAlias.objects.get(pk=self.alias_id).support_refused([self.quote])
        if self.statement_id is None:
            return None
        statement = Statement.objects.get(pk=self.statement_id)
        others = statement.evidence.exclude(pk=self.pk).values_list("quote", flat=True) if self.pk else []
        return statement.quote_refused([*others, self.quote])

    def fact_key(self) -> tuple[str, int] | None:
        """(fact field, fact id) of the one fact this span supports."""
        return next(
            (
                (name, getattr(self, f"{name}_id"))
                for name in self.FACT_FIELDS
                if getattr(self, f"{name}_id") is not None
            ),
            None,
        )

    def delete(self, *args, with_fact: bool = False, **kwargs):
        """Delete the span, refusing to leave its fact without evidence unless the fact goes too (`with_fact`).

        On PostgreSQL a deferred constraint trigger (migration 0011) holds the same rule at commit for every path,
        QuerySet.delete() and raw SQL included.
        """
        if not with_fact and (refused := span_removal_refused([self])):
            raise ValidationError(refused)
        return super().delete(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.pk is not None:
            stored = EvidenceSpan.objects.filter(pk=self.pk).first()
            # Re-pointing a span to another fact takes it from the first one, which must keep some evidence.
            if stored and stored.fact_key() != self.fact_key() and (refused := span_removal_refused([stored])):
                raise ValidationError(refused)
        if not self.source_id:
            return
        text = self.source.text
        if self.start is None or self.end is None:
            self.start, self.end = locate_passage(text, self.quote, occurrence=self.occurrence, field="quote")
            self.quote = text[self.start : self.end]
        elif text[self.start : self.end] != self.quote:
            raise ValidationError(
                {
                    "quote": f"The quote does not match the source text at {self.start}:{self.end}; "
                    f"the source has “{text[self.start : self.end][:80]}” there."
                }
            )
        if (key := self.fact_key()) and EvidenceSpan.objects.filter(
            **{f"{key[0]}_id": key[1]},
            source_id=self.source_id,
            start=self.start,
            end=self.end,
        ).exclude(pk=self.pk).exists():
            raise ValidationError({"quote": "This fact already cites this passage; give each passage once."})


def facts_left_unevidenced(spans: Iterable[EvidenceSpan]) -> list[models.Model]:
    """The facts that deleting all of `spans` would leave without any evidence (facts that still exist)."""
    spans = list(spans)
    doomed = {span.pk for span in spans}
    by_field: dict[str, set[int]] = {}
    for span in spans:
        if key := span.fact_key():
            by_field.setdefault(key[0], set()).add(key[1])
    bare: list[models.Model] = []
    for field, ids in by_field.items():
        kept = set(
            EvidenceSpan.objects.filter(**{f"{field}_id__in": ids}, candidate=False)
            .exclude(pk__in=doomed)
            .values_list(f"{field}_id", flat=True)
        )
        fact_model = cast("type[models.Model]", EvidenceSpan._meta.get_field(field).related_model)
        # An alias or affiliation marked external needs no passage (ActorAlias/Affiliation.needs_evidence).
        bare.extend(
            fact
            for fact in fact_model._default_manager.filter(pk__in=ids - kept).order_by("pk")
            if getattr(fact, "needs_evidence", lambda: True)()
        )
    return bare


def span_removal_refused(spans: Iterable[EvidenceSpan]) -> str | None:
    """Why `spans` may not all be removed from the facts they support, or None.

    Removing them must leave every fact some evidence, and every quoted statement a passage holding its words
    (Statement.quote_refused). Checked by EvidenceSpan.delete() and clean() (re-pointing a span), by
    facts.services.instance_delete and by the admin's delete confirmation.
    """
    spans = list(spans)
    if bare := facts_left_unevidenced(spans):
        return unevidenced_message(bare)
    doomed = {span.pk for span in spans}
    statement_ids = {span.statement_id for span in spans if span.statement_id is not None}
    for statement in Statement.objects.filter(pk__in=statement_ids).exclude(kind=StatementKind.PARAPHRASE):
        kept = statement.evidence.exclude(pk__in=doomed).values_list("quote", flat=True)
        if refused := statement.quote_refused(kept):
            return f"Statement {statement.pk} would lose the passage that holds its words. {refused}"
    return None


def unevidenced_message(facts: list[models.Model]) -> str:
    named = "; ".join(f"{fact._meta.verbose_name} {fact.pk} “{fact}”" for fact in facts[:10])
    return (
        f"Every fact needs at least one evidence span; deleting this would leave without any: {named}. "
        "Add another passage first, or delete the fact itself."
    )


@receiver(pre_save)
def keep_rules_on_raw_save(sender, instance, raw, **kwargs):
    """Fixture loads save raw, skipping save() and auto_now: keep the rules that those would apply.

    A reloaded row would otherwise keep the fixture's `updated_at` (2023), so `updated_since` would miss a row
    the changes feed reports as changed; and a fixture's text would skip the canonical form and its checksum.
    """
    if not raw:
        return
    if isinstance(instance, Timestamped):
        instance.updated_at = timezone.now()
    if isinstance(instance, Source):
        instance._canonicalize()
    if isinstance(instance, Affiliation) and (refused := instance.cycle_refused()):
        raise ValidationError({"organization": refused})
    if isinstance(instance, Statement):
        instance.follow_event()  # an event of the same load is saved before it (fixtures/04 before 05)


@receiver(post_save, sender=Event)
def date_statements_on_raw_save(sender, instance, raw, **kwargs):
    """An event reloaded from a fixture with new dates passes them on, as Event.save() does."""
    if raw:
        instance.date_statements()


class Mention(models.Model):
    """One place in a source's text where it names a known actor or place, through one of its names or aliases.

    Written by `propose_facts` (facts/extraction), so that curators and clients can see who and what a source
    mentions before any fact is vetted. The quote equals the source's text at the offsets (checked on save).
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="mentions")
    start = models.PositiveIntegerField(help_text="Offset of the first character (0-based).")
    end = models.PositiveIntegerField(help_text="Offset just past the last character.")
    quote = models.CharField(max_length=300, help_text="The name as the source writes it: source.text[start:end].")
    actor = models.ForeignKey(Actor, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions")
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        ordering = ["source", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="mention_start_before_end",
                violation_error_message="A mention needs a start offset before its end offset.",
            ),
            models.CheckConstraint(
                condition=Q(actor__isnull=False, place__isnull=True) | Q(actor__isnull=True, place__isnull=False),
                name="mention_names_one_actor_or_place",
                violation_error_message="A mention names exactly one actor or one place.",
            ),
            models.UniqueConstraint(
                fields=["source", "start", "end", "actor"],
                condition=Q(actor__isnull=False),
                name="mention_of_actor_once",
                violation_error_message="This mention of the actor is already recorded.",
            ),
            models.UniqueConstraint(
                fields=["source", "start", "end", "place"],
                condition=Q(place__isnull=False),
                name="mention_of_place_once",
                violation_error_message="This mention of the place is already recorded.",
            ),
        ]
        indexes = [
            models.Index(fields=["actor", "source"], name="mention_actor_source"),
            models.Index(fields=["place", "source"], name="mention_place_source"),
        ]

    def __str__(self):
        return f"“{self.quote}” [{self.start}:{self.end}]"

    def save(self, *args, **kwargs):
        self.full_clean(validate_unique=False, validate_constraints=False)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        text = Source.objects.filter(pk=self.source_id).values_list("text", flat=True).first()
        if text is not None and (refused := self.quote_refused(text)):
            raise ValidationError({"quote": refused})

    def quote_refused(self, text: str) -> str | None:
        """Why this mention's quote is not `text` (its source's text) at its offsets, or None."""
        if text[self.start : self.end] != self.quote:
            return f"The source's text at {self.start}:{self.end} is not “{self.quote}”."
        return None


class DataVersion(models.Model):
    """The version of everything the API reads: one row, advanced by database triggers on every facts table.

    Triggers (facts.versioning, created by migrations), not signals, so that bulk_create, QuerySet.update(), raw SQL,
    loaddata, the admin and history reverts all advance it. The advance is an UPDATE of this row inside the writing
    transaction, so a reader sees the new version exactly when the write commits. `stamp` is random per advance: a
    rolled-back transaction (or a restored backup) may reuse a counter value for other data, never a stamp, and the
    HTTP caches (facts.api.caching) key on the stamp.
    """

    counter = models.BigIntegerField(default=0, help_text="How many writes have advanced it (for people; not a key).")
    stamp = models.CharField(max_length=36, help_text="Random per advance: what caches key on.")
    changed_at = models.DateTimeField(help_text="When it last advanced (the database's clock).")

    class Meta:
        verbose_name = "data version"

    def __str__(self):
        return f"version {self.counter} ({self.stamp[:8]}, {self.changed_at:%Y-%m-%d %H:%M:%S})"
