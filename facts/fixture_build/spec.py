"""The rows of one facts spec, checked against its source text: actors, places, affiliations, events,
statements and relations, each with its evidence spans and its resolved dates."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from facts.dates import FUTURE, PAST, PRESENT, UnresolvableDate, precision_refused, resolve_date, undated
from facts.evidence import locate_passage
from facts.fixture_build.rows import (
    AFFILIATION_STRIDE,
    ALIAS_STRIDE,
    CAMEO_FILE,
    CURLY_QUOTED,
    PARTICIPANT_STRIDE,
    SPAN_BASE,
    SPAN_STRIDE,
    SpecError,
    date_fields,
    normalize_quoted,
    row,
)
from facts.models import (
    ActorAlias,
    ActorKind,
    Affiliation,
    AliasKind,
    Participant,
    ParticipantRole,
    PlaceKind,
    RelationType,
    ReviewStatus,
    Statement,
    StatementKind,
    dates_at_event,
)

if TYPE_CHECKING:
    from facts.fixture_build.builder import Builder


class SourceContext:
    """Builds the rows of one facts spec against its source text."""

    def __init__(self, builder: Builder, spec_name: str, source_pk: int, text: str, published: date):
        self.b = builder
        self.spec_name = spec_name
        self.source_pk = source_pk
        self.text = text
        self.published = published

    def fail(self, where: str, message: str):
        raise SpecError(f"{self.spec_name}: {where}: {message}")

    # --- references -------------------------------------------------------------------------------------------

    def actor_ref(self, where: str, slug: str) -> int:
        if slug not in self.b.actor_pk:
            self.fail(where, f"unknown actor slug “{slug}”.")
        return self.b.actor_pk[slug]

    def place_ref(self, where: str, slug: str | None) -> int | None:
        if slug is None:
            return None
        if slug not in self.b.place_pk:
            self.fail(where, f"unknown place slug “{slug}”.")
        return self.b.place_pk[slug]

    def event_ref(self, where: str, event_id: int | None) -> int | None:
        if event_id is not None and event_id not in self.b.event_ids:
            self.fail(where, f"unknown event id {event_id}.")
        return event_id

    @staticmethod
    def choice(where_fail, value: str, choices, what: str):
        if value not in choices.values:
            where_fail(f"{what} “{value}” is not one of: {', '.join(choices.values)}.")
        return value

    # --- dates and evidence -----------------------------------------------------------------------------------

    def reported(self, where: str, item: dict) -> str:
        """The tense the source reports the fact in: expected (future), as of publication (present), else past."""
        if item.get("expected", False) and item.get("as_of_publication", False):
            self.fail(where, "a fact is expected or holds as of publication, not both.")
        return FUTURE if item.get("expected", False) else PRESENT if item.get("as_of_publication", False) else PAST

    def dates(self, where: str, item: dict) -> dict:
        """The DateInterval fields of a fact: resolved from date_text in the fact's tense, overridden, bounded by
        the tense alone (as of, before or after publication: one bound open), or empty."""
        date_text = item.get("date_text", "") or ""
        override = item.get("date_override")
        reported = self.reported(where, item)
        before = item.get("before_publication", False)
        if before and (date_text or reported != PAST):
            self.fail(where, "before_publication is for a past fact the source does not date; drop it.")
        if override is not None:
            return self.overridden_dates(where, date_text, override, reported)
        if date_text:
            try:
                resolved = resolve_date(date_text, self.published, reported=reported)
            except UnresolvableDate as exc:
                self.fail(where, f"{exc} Add a date_override with a reason.")
        elif before or reported != PAST:
            resolved = undated(self.published, reported=reported)
        else:
            return date_fields("", None, None, "")
        return date_fields(date_text, resolved.start, resolved.end, str(resolved.precision))

    def overridden_dates(self, where: str, date_text: str, override: dict, reported: str) -> dict:
        """The DateInterval fields a date_override gives, once it proves needed, explained and consistent."""
        self.check_override_needed(where, date_text, override, reported)
        start, end, precision = override.get("start"), override.get("end"), override.get("precision", "")
        if start is not None and end is not None and start > end:
            self.fail(where, "date_override start is after its end.")
        if reported == PAST and (end is None or end > self.published):
            self.fail(
                where,
                "the fact is reported as past, so its date_override must end no later than the "
                f"publication date ({self.published.isoformat()}); mark it expected if it is.",
            )
        if refused := precision_refused(precision, start, end):
            self.fail(where, f"date_override precision: {refused}")
        return date_fields(date_text, start, end, precision)

    def check_override_needed(self, where: str, date_text: str, override: dict, reported: str) -> None:
        # An override stands for words the resolver cannot read; one it can read would hide the resolver's answer.
        if not date_text:
            self.fail(where, "date_override needs the verbatim date_text it stands for.")
        if not override.get("reason"):
            self.fail(where, "date_override needs a reason.")
        try:
            resolve_date(date_text, self.published, reported=reported)
        except UnresolvableDate:
            return
        self.fail(where, f"date_override given for “{date_text}”, which the resolver handles; remove it.")

    def spans(self, where: str, kind: str, fact_pk: int, evidence) -> list[dict]:
        if not evidence:
            self.fail(where, "every fact needs at least one evidence passage.")
        rows = []
        for index, passage in enumerate(evidence, start=1):
            occurrence = None
            if isinstance(passage, dict):
                passage, occurrence = passage["passage"], passage.get("occurrence")
            try:
                start, end = locate_passage(self.text, passage, occurrence=occurrence)
            except ValidationError as exc:
                self.fail(where, " ".join(exc.messages))
            fields = {"source": self.source_pk, "start": start, "end": end, "quote": self.text[start:end]}
            fields.update({name: (fact_pk if name == kind else None) for name in SPAN_BASE})
            rows.append(row("evidencespan", SPAN_BASE[kind] + fact_pk * SPAN_STRIDE + index, fields))
        if len(rows) >= SPAN_STRIDE:
            self.fail(where, f"at most {SPAN_STRIDE - 1} evidence passages per fact.")
        self.b.rows["07_evidence.json"].extend(rows)
        return rows

    # --- rows -------------------------------------------------------------------------------------------------

    def actor(self, item: dict):
        where = f"actor {item.get('slug')}"
        if item["slug"] in self.b.actor_pk:
            self.fail(where, "slug declared twice.")
        if item["id"] in self.b.actor_pk.values():
            self.fail(where, f"id {item['id']} already used.")
        self.choice(lambda m: self.fail(where, m), item["kind"], ActorKind, "kind")
        self.b.actor_pk[item["slug"]] = item["id"]
        self.b.rows["02_actors.json"].append(
            row(
                "actor",
                item["id"],
                {
                    "slug": item["slug"],
                    "name": item["name"],
                    "kind": item["kind"],
                    "country_code": item.get("country_code", ""),
                    "description": item.get("description", ""),
                    "external": item.get("external", {}),
                },
            )
        )
        for index, alias in enumerate(item.get("aliases", []), start=1):
            self.alias(where, item, index, alias)

    def alias(self, where: str, actor: dict, index: int, item: dict):
        """An alias with the passages where the source uses it, or marked external (a canonical spelling)."""
        where = f"{where}, alias “{item['name']}”"
        self.choice(lambda m: self.fail(where, m), item["kind"], AliasKind, "alias kind")
        pk = actor["id"] * ALIAS_STRIDE + index
        external = item.get("external", {})
        self.b.rows["02_actors.json"].append(
            row(
                "actoralias",
                pk,
                {
                    "actor": actor["id"],
                    "name": item["name"],
                    "kind": item["kind"],
                    "external": external,
                },
            )
        )
        alias = ActorAlias(name=item["name"], external=external)
        evidence = item.get("evidence")
        if not evidence and alias.needs_evidence():
            self.fail(
                where,
                "give the passage(s) where the source uses it (`evidence:`), or mark it external "
                "(`external: {name: <origin>}`).",
            )
        spans = self.spans(where, "alias", pk, evidence) if evidence else []
        if refused := alias.support_refused(span["fields"]["quote"] for span in spans):
            self.fail(where, refused)

    def affiliation(self, actor: dict, index: int, item: dict):
        where = f"affiliation {index} of {actor['slug']}"
        pk = actor["id"] * AFFILIATION_STRIDE + index
        external = item.get("external", {})
        self.b.rows["02_actors.json"].append(
            row(
                "affiliation",
                pk,
                {
                    "person": actor["id"],
                    "organization": self.actor_ref(where, item["organization"]),
                    "role_title": item.get("role_title", ""),
                    # Roles are stated in the present: they hold as of publication unless the spec dates them.
                    **self.dates(where, {"as_of_publication": True, **item}),
                    "external": external,
                },
            )
        )
        # A link no passage states is marked external (`external: {organization: <origin>}`) and may cite none.
        if item.get("evidence") or Affiliation(external=external).needs_evidence():
            self.spans(where, "affiliation", pk, item.get("evidence"))

    def place(self, item: dict):
        where = f"place {item.get('slug')}"
        if item["slug"] in self.b.place_pk:
            self.fail(where, "slug declared twice.")
        self.choice(lambda m: self.fail(where, m), item["kind"], PlaceKind, "kind")
        parent = self.place_ref(where, item.get("parent"))  # parents come first, so cycles cannot be written
        self.b.place_pk[item["slug"]] = item["id"]
        lat, lon = item.get("latitude"), item.get("longitude")
        self.b.rows["03_places.json"].append(
            row(
                "place",
                item["id"],
                {
                    "slug": item["slug"],
                    "name": item["name"],
                    "kind": item["kind"],
                    "parent": parent,
                    "latitude": None if lat is None else f"{lat:.5f}",
                    "longitude": None if lon is None else f"{lon:.5f}",
                    "coordinates_approximate": True,
                    "country_code": item.get("country_code", ""),
                    "description": item.get("description", ""),
                    "external": item.get("external", {}),
                },
            )
        )

    def event(self, item: dict):
        where = f"event {item['id']}"
        code = str(item["cameo"])
        if code not in self.b.cameo_codes:
            self.fail(where, f"CAMEO code {code} is not in fixtures/{CAMEO_FILE}.")
        dates = self.b.event_dates[item["id"]] = self.dates(where, item)
        self.b.rows["04_events.json"].append(
            row(
                "event",
                item["id"],
                {
                    "title": item["title"],
                    "description": item.get("description", ""),
                    "event_type": code,
                    "place": self.place_ref(where, item.get("place")),
                    "parent": self.event_ref(where, item.get("parent")),
                    "status": ReviewStatus.REVIEWED.value,
                    **dates,
                },
            )
        )
        seen = set()
        for index, participant in enumerate(item.get("participants", []), start=1):
            actor_pk = self.actor_ref(where, participant["actor"])
            if actor_pk in seen:
                self.fail(where, f"actor {participant['actor']} has two roles.")
            seen.add(actor_pk)
            self.choice(lambda m: self.fail(where, m), participant["role"], ParticipantRole, "role")
            self.b.rows["04_events.json"].append(
                row(
                    "participant",
                    item["id"] * PARTICIPANT_STRIDE + index,
                    {
                        "event": item["id"],
                        "actor": actor_pk,
                        "role": participant["role"],
                        # loaddata bypasses Participant.save(), so the fixture carries the copy of the event's
                        # dates and type.
                        **Participant.event_copy(dates["date_start"], dates["date_end"], code),
                    },
                )
            )
        self.spans(where, "event", item["id"], item.get("evidence"))

    def statement(self, item: dict):
        where = f"statement {item['id']}"
        if item["id"] in self.b.statement_ids:
            self.fail(where, "id used twice.")
        self.b.statement_ids.add(item["id"])
        kind = self.choice(lambda m: self.fail(where, m), item["kind"], StatementKind, "kind")
        text = " ".join(item["text"].split())
        spans = None
        dates = self.dates(where, item)
        event = self.event_ref(where, item.get("event"))
        # The model's rule (Statement.save): a statement made at an event, undated by its own words, takes the
        # event's dates. The spec must not date it otherwise.
        event_dates = self.b.event_dates.get(event) if event is not None else None
        if (inherited := dates_at_event(dates["date_text"], event_dates)) is not None:
            if item.get("as_of_publication") or item.get("before_publication") or item.get("expected"):
                self.fail(
                    where,
                    f"made at event {event} without a date_text of its own, it takes that event's "
                    "dates: drop as_of_publication, before_publication and expected.",
                )
            dates.update(inherited)
        self.b.rows["05_statements.json"].append(
            row(
                "statement",
                item["id"],
                {
                    "speaker": self.actor_ref(where, item["speaker"]),
                    "text": text,
                    "kind": kind,
                    "channel": item.get("channel", ""),
                    "event": event,
                    "about_actors": sorted(self.actor_ref(where, s) for s in item.get("about_actors", [])),
                    "about_places": sorted(self.place_ref(where, s) for s in item.get("about_places", [])),
                    "about_events": sorted(self.event_ref(where, e) for e in item.get("about_events", [])),
                    "status": ReviewStatus.REVIEWED.value,
                    **dates,
                },
            )
        )
        spans = self.spans(where, "statement", item["id"], item.get("evidence"))
        # The rule every path applies (the API, the admin, reverts) ...
        if refused := Statement(kind=kind, text=text).quote_refused(span["fields"]["quote"] for span in spans):
            self.fail(where, refused)
        # ... and the seed's stricter one: a quote is a whole curly-quoted passage.
        if kind in (StatementKind.QUOTE, StatementKind.PARTIAL):
            # A quoted statement must be exactly a curly-quoted passage of its own evidence.
            quoted = {
                normalize_quoted(m.group(1)) for span in spans for m in CURLY_QUOTED.finditer(span["fields"]["quote"])
            }
            if text not in quoted:
                self.fail(where, f"quoted text “{text[:60]}” is not a curly-quoted passage of its evidence.")

    def relation(self, item: dict):
        where = f"relation {item['id']}"
        if item["id"] in self.b.relation_ids:
            self.fail(where, "id used twice.")
        self.b.relation_ids.add(item["id"])
        self.b.rows["06_relations.json"].append(
            row(
                "relation",
                item["id"],
                {
                    "subject": self.actor_ref(where, item["subject"]),
                    "object": self.actor_ref(where, item["object"]),
                    "type": self.choice(lambda m: self.fail(where, m), item["type"], RelationType, "type"),
                    "description": item.get("description", ""),
                    "status": ReviewStatus.REVIEWED.value,
                    **self.dates(where, item),
                },
            )
        )
        self.spans(where, "relation", item["id"], item.get("evidence"))
