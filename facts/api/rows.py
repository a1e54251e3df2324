"""JSON of events and statements built from plain rows, and the compact references every resource shares.

A list page builds its JSON once per row and field; on the largest tables DRF's per-field machinery and the model
instances behind it cost more than the SQL (a page of 50 events: 10 ms of CPU here, 39-41 ms through DRF). So the
selectors (facts.selectors) read `values(*EVENT_COLUMNS)` rows and their related rows, and the functions here turn
them into JSON. The declared serializers (facts.api.serializers) describe the same JSON in the OpenAPI schema; a
test keeps the keys built here equal to their fields.
"""

from __future__ import annotations

from django.urls import reverse


class Urls:
    """Absolute API URLs for one request, from one reverse() per resource (not per row)."""

    def __init__(self, request=None):
        self.request = request
        self._bases: dict[str, str] = {}

    def base(self, basename: str) -> str:
        """The list URL of a resource, with its trailing slash (a detail URL is it plus `<key>/`)."""
        base = self._bases.get(basename)
        if base is None:
            path = reverse(f"{basename}-list")
            base = self._bases[basename] = self.request.build_absolute_uri(path) if self.request is not None else path
        return base

    def of(self, basename: str, key) -> str:
        """The detail URL of one object."""
        return f"{self.base(basename)}{key}/"

    def list(self, basename: str, query: str = "") -> str:
        """The list URL of a resource, optionally filtered by a query string."""
        url = self.base(basename)
        return f"{url}?{query}" if query else url


def iso(value):
    return value.isoformat() if value is not None else None


# Compact references ----------------------------------------------------------------------------------------------


def actor_ref(slug, name, kind, urls: Urls) -> dict:
    return {"slug": slug, "name": name, "kind": kind, "url": urls.of("actor", slug)}


def place_ref(slug, name, kind, urls: Urls) -> dict:
    return {"slug": slug, "name": name, "kind": kind, "url": urls.of("place", slug)}


def evidence_json(quote, start, end, source_id, title, urls: Urls) -> dict:
    return {
        "quote": quote,
        "start": start,
        "end": end,
        "source": {"id": source_id, "title": title, "url": urls.of("source", source_id)},
    }


def sources_json(cited, urls: Urls) -> list[dict]:
    """The distinct sources of a fact's evidence, by id, from its spans' (source id, source title) pairs.

    As many as the fact's `sources_count` (a test holds the two to one rule: migration 0020's SOURCES_COUNT_RULE).
    """
    return [
        {"id": source_id, "title": title, "url": urls.of("source", source_id)}
        for source_id, title in sorted(dict(cited).items())
    ]


# Builders: (row, related, urls) -> value, one per field ----------------------------------------------------------


def _column(name):
    return lambda row, related, urls: row[name]


def _date(name):
    return lambda row, related, urls: iso(row[name])


def _ref(basename, key, **names):
    """A builder of a compact reference: {out: row[column] for names} plus the URL keyed by row[key], or None."""

    def build(row, related, urls):
        ident = row[key]
        if ident is None:
            return None
        return {**{out: row[column] for out, column in names.items()}, "url": urls.of(basename, ident)}

    return build


def _url(basename):
    return lambda row, related, urls: urls.of(basename, row["id"])


def _evidence(row, related, urls):
    return [evidence_json(*span, urls) for span in related["evidence"]]


def _sources(row, related, urls):
    return sources_json(((span[3], span[4]) for span in related["evidence"]), urls)


def _participants(row, related, urls):
    base = urls.base("actor")
    return [
        {"slug": slug, "name": name, "kind": kind, "role": role, "url": f"{base}{slug}/"}
        for role, slug, name, kind in related["participants"]
    ]


def _statements(row, related, urls):
    statements, actors = urls.base("statement"), urls.base("actor")
    return [
        {
            "id": pk,
            "kind": kind,
            "text": text,
            "speaker": {"slug": slug, "name": name, "kind": speaker_kind, "url": f"{actors}{slug}/"},
            "url": f"{statements}{pk}/",
        }
        for pk, kind, text, slug, name, speaker_kind in related["statements"]
    ]


def _children(row, related, urls):
    base = urls.base("event")
    return [{"id": pk, "title": title, "url": f"{base}{pk}/"} for pk, title in related["children"]]


def _about(name, basename):
    def build(row, related, urls):
        base = urls.base(basename)
        if basename == "event":
            return [{"id": int(key), "title": title, "url": f"{base}{key}/"} for key, title, _ in related[name]]
        return [
            {"slug": key, "name": label, "kind": kind, "url": f"{base}{key}/"} for key, label, kind in related[name]
        ]

    return build


FACT_COLUMNS = ("id", "date_text", "date_start", "date_end", "date_precision", "status", "sources_count")
FACT_BUILDERS = {
    "id": _column("id"),
    "date_text": _column("date_text"),
    "date_start": _date("date_start"),
    "date_end": _date("date_end"),
    "date_precision": _column("date_precision"),
    "status": _column("status"),
    "sources_count": _column("sources_count"),
    "sources": _sources,
    "evidence": _evidence,
}
# The last fields of every fact's JSON, in order (FactSerializer.TAIL).
FACT_TAIL = {name: FACT_BUILDERS[name] for name in ("status", "sources_count", "sources", "evidence")}

# Events ----------------------------------------------------------------------------------------------------------

EVENT_COLUMNS = (
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
# In the order of the JSON (EventSerializer.Meta.fields).
EVENT_BUILDERS = {
    "id": FACT_BUILDERS["id"],
    "url": _url("event"),
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
    **{name: FACT_BUILDERS[name] for name in ("date_text", "date_start", "date_end", "date_precision")},
    "place": _ref("place", "place__slug", slug="place__slug", name="place__name", kind="place__kind"),
    "parent": _ref("event", "parent_id", id="parent_id", title="parent__title"),
    "participants": _participants,
    **FACT_TAIL,
}
EVENT_FIELDS = tuple(EVENT_BUILDERS)
EVENT_DETAIL_BUILDERS = {**EVENT_BUILDERS, "statements": _statements, "children": _children}
EVENT_DETAIL_FIELDS = tuple(EVENT_DETAIL_BUILDERS)


def event_json(row: dict, related: dict, urls: Urls, fields=EVENT_FIELDS) -> dict:
    """An event's JSON from its row (EVENT_COLUMNS) and related rows (facts.selectors.related.event_related)."""
    return {name: EVENT_BUILDERS[name](row, related, urls) for name in fields}


def event_detail_json(row: dict, related: dict, urls: Urls, fields=EVENT_DETAIL_FIELDS) -> dict:
    """An event's detail JSON: event_json, and the statements made at it and the events within it."""
    return {name: EVENT_DETAIL_BUILDERS[name](row, related, urls) for name in fields}


# Statements ------------------------------------------------------------------------------------------------------

STATEMENT_COLUMNS = (
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
STATEMENT_BUILDERS = {
    "id": FACT_BUILDERS["id"],
    "url": _url("statement"),
    "speaker": _ref("actor", "speaker__slug", slug="speaker__slug", name="speaker__name", kind="speaker__kind"),
    "kind": _column("kind"),
    "text": _column("text"),
    "channel": _column("channel"),
    **{name: FACT_BUILDERS[name] for name in ("date_text", "date_start", "date_end", "date_precision")},
    "event": _ref("event", "event_id", id="event_id", title="event__title"),
    "about_actors": _about("about_actors", "actor"),
    "about_places": _about("about_places", "place"),
    "about_events": _about("about_events", "event"),
    **FACT_TAIL,
}
STATEMENT_FIELDS = tuple(STATEMENT_BUILDERS)


def statement_json(row: dict, related: dict, urls: Urls, fields=STATEMENT_FIELDS) -> dict:
    """A statement's JSON from its row (STATEMENT_COLUMNS) and related rows (statement_related)."""
    return {name: STATEMENT_BUILDERS[name](row, related, urls) for name in fields}
