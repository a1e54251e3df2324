"""The benchmark scenarios: one realistic query per case, with its API URL, bare-view URL and Datasette equivalent.

Parameters come from the data (a mid-popularity actor, a mid-size country, the median date), so the same code
serves every scale; a scenario's Datasette form is the flat SQL a Datasette user would write for the same question.
"""

from base64 import b64encode
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Min

from facts.models import Actor, Event, Participant, Place

API = "/api/v1/events/"
BARE = "/bare/events/"
FLAT_COLUMNS = (
    "e.id, e.title, e.description, e.event_type_id, e.date_text, e.date_start, e.date_end, "
    "e.date_precision, p.slug AS place, e.parent_id, e.status"
)
FLAT_FROM = "FROM facts_event e LEFT JOIN facts_place p ON p.id = e.place_id"
ORDER = "ORDER BY e.date_start, e.id LIMIT 50"
ACTOR_SQL = (
    "EXISTS (SELECT 1 FROM facts_participant pa WHERE pa.event_id = e.id AND pa.actor_id = "
    "(SELECT id FROM facts_actor WHERE slug = :actor))"
)
DATE_SQL = "e.date_end >= :date_after AND e.date_start <= :date_before"
TYPE_SQL = "e.event_type_id LIKE :type || '%'"


@dataclass
class Scenario:
    """One question asked of the three servers."""

    name: str
    description: str
    params: dict
    kind: str = "list"  # list | detail | csv | cursor
    datasette_sql: str | None = None
    datasette_params: dict = field(default_factory=dict)
    datasette_path: str | None = None  # a Datasette table URL instead of ?sql= (CSV export)
    api_path: str = API
    bare_path: str = BARE
    bare_params: dict | None = None
    rows: int | None = None  # rows the query returns in full (CSV export)

    def api_url(self, page_size: int | None = None) -> str:
        params = dict(self.params)
        if page_size and self.kind in ("list", "cursor"):
            params["page_size"] = page_size
        return f"{self.api_path}?{urlencode(params, doseq=True)}" if params else self.api_path

    def bare_url(self, page_size: int | None = None) -> str:
        params = dict(self.params if self.bare_params is None else self.bare_params)
        if page_size and self.kind in ("list", "cursor"):
            params["page_size"] = page_size
        return f"{self.bare_path}?{urlencode(params, doseq=True)}" if params else self.bare_path

    def datasette_url(self, database: str) -> str | None:
        if self.datasette_path:
            return f"/{database}/{self.datasette_path}"
        if not self.datasette_sql:
            return None
        query = {"sql": " ".join(self.datasette_sql.split()), "_shape": "array", **self.datasette_params}
        return f"/{database}.json?{urlencode(query)}"


def drf_cursor(position: int) -> str:
    """The token DRF's CursorPagination would put in a `next` link positioned after primary key `position`.

    Building it lets the benchmark jump straight to a deep page instead of following thousands of `next` links.
    """
    return b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def pick_scenarios() -> list[Scenario]:
    events = Event.objects.count()
    bounds = Event.objects.aggregate(lo=Min("id"), hi=Max("id"))
    dates = Event.objects.order_by("date_start").values_list("date_start", flat=True)
    median = dates[events // 2]
    window = {"date_after": median.isoformat(), "date_before": (median + timedelta(days=30)).isoformat()}
    year = {"date_after": median.isoformat(), "date_before": (median + timedelta(days=365)).isoformat()}

    by_use = list(Participant.objects.values("actor_id").annotate(n=Count("id")).order_by("-n", "actor_id")[:60])
    frequent = Actor.objects.get(pk=by_use[min(4, len(by_use) - 1)]["actor_id"])
    # A person of middling popularity: the realistic "everything about this minister" query.
    mid_ids = [row["actor_id"] for row in by_use[len(by_use) // 2 :]]
    actor = Actor.objects.filter(pk__in=mid_ids, kind="person").order_by("id").first() or Actor.objects.get(
        pk=mid_ids[0]
    )
    countries = list(Place.objects.filter(kind="country").order_by("id")[:3])
    country = countries[-1]
    deep = bounds["lo"] + int((bounds["hi"] - bounds["lo"]) * 0.9)
    detail = (
        Event.objects.filter(statements__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[min(events // 3, Event.objects.filter(statements__isnull=False).count() - 1)]
    )

    # The CSV export: 10^5 rows at most (a date window around the median when there are more events than that).
    if events > 100_000:
        share = 100_000 / events
        lo = dates[int(events * (0.5 - share / 2))]
        hi = dates[int(events * (0.5 + share / 2))]
        csv_params = {"date_after": lo.isoformat(), "date_before": hi.isoformat()}
        csv_rows = Event.objects.filter(date_end__gte=lo, date_start__lte=hi).count()
        csv_datasette = (
            f"facts_event.csv?_stream=on&_size=max&date_end__gte={lo.isoformat()}&date_start__lte={hi.isoformat()}"
        )
    else:
        csv_params, csv_rows, csv_datasette = {}, events, "facts_event.csv?_stream=on&_size=max"

    flat = f"SELECT {FLAT_COLUMNS} {FLAT_FROM}"
    return [
        Scenario("list", "Plain list, first page", {}, datasette_sql=f"{flat} {ORDER}"),
        Scenario(
            "actor",
            f"actor={actor.slug} (a person of middling popularity)",
            {"actor": actor.slug},
            datasette_sql=f"{flat} WHERE {ACTOR_SQL} {ORDER}",
            datasette_params={"actor": actor.slug},
        ),
        Scenario(
            "place",
            f"place={country.slug} (a country: events anywhere within it)",
            {"place": country.slug},
            datasette_sql=(
                "WITH RECURSIVE sub(id) AS (SELECT id FROM facts_place WHERE slug = :place UNION ALL "
                "SELECT c.id FROM facts_place c JOIN sub ON c.parent_id = sub.id) "
                f"{flat} WHERE e.place_id IN (SELECT id FROM sub) {ORDER}"
            ),
            datasette_params={"place": country.slug},
        ),
        Scenario(
            "type",
            "type=04 (every consultation, a CAMEO prefix)",
            {"type": "04"},
            datasette_sql=f"{flat} WHERE {TYPE_SQL} {ORDER}",
            datasette_params={"type": "04"},
        ),
        Scenario(
            "dates",
            f"date_after/date_before: 30 days from {window['date_after']}",
            window,
            datasette_sql=f"{flat} WHERE {DATE_SQL} {ORDER}",
            datasette_params=window,
        ),
        Scenario(
            "search",
            f"search={actor.name!r} (free text)",
            {"search": actor.name},
            datasette_sql=f"{flat} WHERE e.title LIKE '%' || :q || '%' {ORDER}",
            datasette_params={"q": actor.name},
        ),
        Scenario(
            "combined",
            f"actor={frequent.slug} + type=04 + one year from {year['date_after']}",
            {"actor": frequent.slug, "type": "04", **year},
            datasette_sql=f"{flat} WHERE {ACTOR_SQL} AND {TYPE_SQL} AND {DATE_SQL} {ORDER}",
            datasette_params={"actor": frequent.slug, "type": "04", **year},
        ),
        Scenario(
            "corroborated",
            "min_sources=2 (events that two or more sources report)",
            {"min_sources": 2},
            datasette_sql=f"{flat} WHERE e.sources_count >= :n {ORDER}",
            datasette_params={"n": 2},
        ),
        Scenario(
            "cursor_first",
            "Cursor mode, first page",
            {"mode": "cursor"},
            kind="cursor",
            bare_params={"after": 0},
            datasette_sql=f"{flat} ORDER BY e.id LIMIT 50",
        ),
        Scenario(
            "cursor_deep",
            "Cursor mode, a page 90% of the way through",
            {"cursor": drf_cursor(deep)},
            kind="cursor",
            bare_params={"after": deep},
            datasette_sql=f"{flat} WHERE e.id > :after ORDER BY e.id LIMIT 50",
            datasette_params={"after": deep},
        ),
        Scenario(
            "detail",
            f"Detail view of event {detail}",
            {},
            kind="detail",
            api_path=f"{API}{detail}/",
            bare_path=f"{BARE}{detail}/",
            datasette_sql=f"{flat} WHERE e.id = :id",
            datasette_params={"id": detail},
        ),
        Scenario(
            "csv",
            f"CSV export of {csv_rows} rows",
            {**csv_params, "format": "csv"},
            kind="csv",
            bare_path="/bare/events.csv",
            bare_params=csv_params,
            datasette_path=csv_datasette,
            rows=csv_rows,
        ),
    ]
