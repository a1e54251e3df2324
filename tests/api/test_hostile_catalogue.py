"""One catalogue of hostile requests over the read API, the write API and the admin.

Each entry is one request. Under /api/ it must get a 4xx JSON error in the API's one shape (facts/api/errors.py)
that names the offending parameter, field or header (a few entries are the requests that must be *accepted*, such as
an empty `cursor=`, and say so with their 2xx status). For the admin's HTML pages the strongest honest answer is
asserted: a plain-text 400 for a NUL, the admin's "invalid lookup" redirect (followed, it is a 200 page), a missing
object, or the form again (200) with the field's error. Whatever the answer:

- never a 500, never a traceback or SQL in the body;
- the database is unchanged: a fingerprint of every row of every table (connection.introspection.table_names())
  before and after, except the bookkeeping tables in EXCLUDED_TABLES, each with its reason;
- the request takes less than two seconds (time.perf_counter around the request alone).

The article fixtures are loaded once for the module (tests.article_api), with users and tokens for every kind of
caller; each entry runs in its own transaction on top. Runs on SQLite and on PostgreSQL (DATABASE_URL), where NUL
characters, offsets beyond ±15:59 and integers past 64 bits are refused by the database itself: whatever slips past
validation there is a 500.
"""

import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from facts.api import write_serializers as ws
from tests.article_api import article_fixture  # noqa: F401 -- fixture used by name
from tests.conftest import make_source

pytestmark = pytest.mark.django_db

API = "/api/v1"
TIME_LIMIT = 2.0  # seconds one request may take
NUL = "\x00"
HUGE = "99999999999999999999"  # past a 64-bit integer
LEAKS = ("Traceback", 'File "', "SELECT ", "psycopg", "sqlite3.", "DataError", "IntegrityError")

# Tables left out of the fingerprint, and why: none of them holds data of the API or the admin.
EXCLUDED_TABLES = {
    # A logged-in admin request may save its session (messages, a rotated CSRF token): a session is not data, and
    # the admin's login for each entry is made before the first fingerprint anyway.
    "django_session": "per-browser session state, saved by the session middleware on any request",
    # django-axes records login attempts and logins (a failed login is meant to be counted): throttling bookkeeping.
    "axes_accessattempt": "login-failure counter (lockout bookkeeping)",
    "axes_accessattemptexpiration": "expiry of the login-failure counter (lockout bookkeeping)",
    "axes_accessfailurelog": "log of failed logins (lockout bookkeeping)",
    "axes_accesslog": "log of logins and logouts (lockout bookkeeping)",
    # Request throttle counters live in the cache (locmem or Redis), not in a table: nothing to exclude for them.
}

# Passages of the seed article (fixtures/01_sources.json is source 1, the article).
DINNER = "US Secretary of State Antony Blinken held a dinner"
WAR = "The two sides have gone to war"
SOURCE_ID = 1
EVENT_ID = 1
STATEMENT_ID = 1
RELATION_ID = 1
EDGE_TEXT = "The two sides met and talked."
YEAR_ONE_ID = 900_001  # the source published on 1 January of year 1


# --- The callers --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def callers(article, django_db_blocker):
    """Users and tokens for every kind of caller, created inside the module's fixture transaction."""
    with django_db_blocker.unblock():
        users = get_user_model().objects
        curator = users.create_superuser("hostile-curator", password="pw-curator")
        reader = users.create_user("hostile-reader", password="pw-reader")
        # Every add/change/delete permission of the facts app, but not the review ones (reviewed/verified status).
        writer = users.create_user("hostile-writer", password="pw-writer")
        writer.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="facts").exclude(codename__startswith="review_")
        )
        tokens = {
            name: Token.objects.create(user=user).key
            for name, user in (("curator", curator), ("reader", reader), ("writer", writer))
        }
        # Sources at the ends of the calendar, for date expressions resolved against them.
        make_source(EDGE_TEXT, slug="year-one", published=date(1, 1, 1), id=YEAR_ONE_ID)
        make_source(EDGE_TEXT + "\n", slug="year-9999", published=date(9999, 12, 31), title="The last day")
    return {"curator": curator, "reader": reader, "writer": writer, "tokens": tokens}


def client_for(who: str, callers) -> Client:
    client = Client(raise_request_exception=False)
    if who in callers["tokens"]:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {callers['tokens'][who]}"
    elif who == "bad-token":
        client.defaults["HTTP_AUTHORIZATION"] = "Token " + "0" * 40
    elif who == "admin":
        client.force_login(callers["curator"])
    elif who == "admin-csrf":
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        client.force_login(callers["curator"])
    elif who == "reader-session":
        client.force_login(callers["reader"])
    else:
        assert who == "anon", who
    return client


# --- The fingerprint of the whole database ------------------------------------------------------------------------


def fingerprint() -> dict[str, tuple[int, str]]:
    """(row count, hash of every row) of every table but the excluded ones; the rows are sorted, so order is moot."""
    tables = sorted(set(connection.introspection.table_names()) - set(EXCLUDED_TABLES))
    prints = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            prints[table] = (len(rows), hashlib.sha256("\n".join(rows).encode("utf-8", "surrogatepass")).hexdigest())
    return prints


# --- The catalogue ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile request and what must answer it.

    `names`: each must be in the error's `errors` (a dotted path for nested errors: "evidence.0.source").
    `detail`: each must be in the error's `detail` (for errors that blame no single parameter, such as a 405).
    `expect`: "json" (the API's error shape, or a JSON 2xx for an accepted request, whose list must not be empty
    unless `answered` is false), or for the admin "nul" (a
    plain-text 400 naming NUL), "lookup" (the admin's invalid-lookup redirect), "missing" (404 or back to the index),
    "form" (the form again with an error on each of `names`), "4xx" (a 4xx, whatever its body), "page" (the page,
    200: Django's answer to a page number or sort column that is not one is the first page, unsorted).
    """

    id: str
    path: str
    names: tuple[str, ...] = ()
    status: tuple[int, ...] = (400,)
    method: str = "GET"
    body: object = None  # a dict or list is sent as JSON; str or bytes verbatim; for the admin, form data
    content_type: str = "application/json"
    who: str = "anon"
    headers: dict = field(default_factory=dict)
    detail: tuple[str, ...] = ()
    code: str | None = None
    expect: str = "json"
    answered: bool = True  # for an accepted list request: it must answer items (the value was read, not dropped)

    def __hash__(self):
        return hash(self.id)


def get(id, path, names, status=400, **kw):
    return Case(id, path, tuple(names) if isinstance(names, (list, tuple)) else (names,), (status,), **kw)


def write(id, path, body, names, status=400, method="POST", who="curator", **kw):
    names = tuple(names) if isinstance(names, (list, tuple)) else (names,)
    return Case(id, f"{API}{path}", names, (status,), method, body, who=who, **kw)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def feed_token(parts) -> str:
    raw = json.dumps(parts) if not isinstance(parts, str) else parts
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def event_body(**changes) -> dict:
    return {"title": "A dinner", "event_type": "043", "evidence": [{"source": SOURCE_ID, "quote": DINNER}], **changes}


def evidence(**changes) -> list[dict]:
    return [{"source": SOURCE_ID, "quote": DINNER, **changes}]


def statement_body(**changes) -> dict:
    return {
        "speaker": "antony-blinken",
        "kind": "paraphrase",
        "text": "He held a dinner.",
        "evidence": evidence(),
        **changes,
    }


def relation_body(**changes) -> dict:
    return {
        "subject": "armenia",
        "object": "azerbaijan",
        "type": "at_war_with",
        "evidence": [{"source": SOURCE_ID, "quote": WAR}],
        **changes,
    }


def actor_body(**changes) -> dict:
    return {"slug": "hostile-actor", "name": "Hostile Actor", "kind": "person", **changes}


def place_body(**changes) -> dict:
    return {"slug": "hostile-place", "name": "Hostile Place", "kind": "city", **changes}


def source_body(**changes) -> dict:
    return {"slug": "hostile-source", "title": "T", "published": "2023-05-01", "text": "Some text.", **changes}


LISTS = ["events", "statements", "relations", "actors", "places", "sources", "event-types"]


def updated_since_cases():
    cases = []
    for name in LISTS + ["changes"]:
        param = "since" if name == "changes" else "updated_since"
        # A UTC offset PostgreSQL cannot hold, but one instant all the same: read in UTC, and answered.
        for offset in ("%2B16:00", "-16:00", "%2B23:59"):
            url = f"{API}/{name}/?{param}=2023-01-01T00:00:00{offset}&page_size=1"
            if name == "event-types":  # event types have no updated_at: the parameter is unknown there
                cases.append(get(f"{name}-updated_since-offset{offset.replace('%2B', '+')}", url, param))
            else:
                cases.append(get(f"{name}-{param}-offset{offset.replace('%2B', '+')}-read-in-utc", url, (), 200))
        for label, value in [
            ("year-1-east-of-utc", "0001-01-01T00:00:00%2B01:00"),
            ("year-9999-west-of-utc", "9999-12-31T23:59:59-01:00"),
            ("year-99999", "99999-01-01T00:00:00Z"),
            ("offset-24h", "2023-01-01T00:00:00%2B24:00"),
            ("february-30", "2023-02-30T00:00:00Z"),
            ("hour-25", "2023-01-01T25:00:00Z"),
            ("not-a-date", "yesterday"),
        ]:
            cases.append(get(f"{name}-{param}-{label}", f"{API}/{name}/?{param}={value}", param))
    return cases


def cursor_cases():
    cases = []
    for name in LISTS:
        for label, position in [
            ("p=abc", "p=abc"),
            ("p=NUL", f"p={NUL}"),
            ("p=zzz", "p=zzz"),
            ("p-huge", f"p={HUGE}"),
            ("p-negative", "p=-5"),
            ("p=superscript", "p=²"),
        ]:
            cases.append(get(f"{name}-cursor-{label}", f"{API}/{name}/?cursor={b64(position)}", "cursor"))
        cases.append(get(f"{name}-cursor-empty-is-absent", f"{API}/{name}/?cursor=&page_size=1", (), 200))
    cases += [
        get("events-cursor-not-base64", f"{API}/events/?cursor=not-a-cursor!", "cursor"),
        get("events-cursor-non-ascii", f"{API}/events/?cursor=%C3%A9t%C3%A9", "cursor"),
        get(
            "events-cursor-base64-of-garbage-bytes",
            f"{API}/events/?cursor={base64.b64encode(bytes(range(256))).decode()}",
            "cursor",
        ),
        get("events-cursor-with-page", f"{API}/events/?mode=cursor&page=2", "page"),
        get("events-cursor-with-ordering", f"{API}/events/?mode=cursor&ordering=title", "ordering"),
        get("events-mode-unknown", f"{API}/events/?mode=sideways", "mode"),
    ]
    changes = [
        ("history-id-Infinity", '["2023-05-01T00:00:00+00:00", "event", Infinity]'),
        ("history-id-NaN", '["2023-05-01T00:00:00+00:00", "event", NaN]'),
        ("history-id-past-64-bits", ["2023-05-01T00:00:00+00:00", "event", 2**63]),
        ("history-id-zero", ["2023-05-01T00:00:00+00:00", "event", 0]),
        ("history-id-true", ["2023-05-01T00:00:00+00:00", "event", True]),
        ("history-id-string", ["2023-05-01T00:00:00+00:00", "event", "12"]),
        ("history-id-float", ["2023-05-01T00:00:00+00:00", "event", 1.5]),
        ("time-offset-overflows", ["0001-01-01T00:00:00+23:59", "event", 12]),
        ("time-without-zone", ["2023-05-01T00:00:00", "event", 12]),
        ("time-year-99999", ["99999-05-01T00:00:00+00:00", "event", 12]),
        ("time-a-number", [1682899200, "event", 12]),
        ("unknown-model", ["2023-05-01T00:00:00+00:00", "user", 12]),
        ("two-parts", ["2023-05-01T00:00:00+00:00", "event"]),
        ("an-object", {"time": "2023-05-01T00:00:00+00:00"}),
        ("not-json", "p=abc"),
        ("deeply-nested-json", "[" * 100_000 + "]" * 100_000),
    ]
    for label, parts in changes:
        cases.append(get(f"changes-cursor-{label}", f"{API}/changes/?cursor={feed_token(parts)}", "cursor"))
    cases += [
        get("changes-cursor-undecodable", f"{API}/changes/?cursor=%25%25%25", "cursor"),
        get("changes-cursor-non-ascii", f"{API}/changes/?cursor=%C3%A9", "cursor"),
        get("changes-cursor-empty-is-absent", f"{API}/changes/?cursor=&page_size=1", (), 200),
    ]
    return cases


def read_cases():
    return [
        # Unknown parameters: named, with the list of those accepted.
        get("events-unknown-param-plcae", f"{API}/events/?plcae=baku", "plcae", detail=("plcae",)),
        get("statements-unknown-param", f"{API}/statements/?speakr=vedant-patel", "speakr"),
        get("actors-unknown-param", f"{API}/actors/?colour=red", "colour"),
        get("event-detail-unknown-param", f"{API}/events/{EVENT_ID}/?expand=participants", "expand"),
        get("changes-unknown-param", f"{API}/changes/?sinse=2023-01-01T00:00:00Z", "sinse"),
        get("changes-updated_since-is-unknown", f"{API}/changes/?updated_since=2023-01-01T00:00:00Z", "updated_since"),
        get("events-unknown-param-with-nul-name", f"{API}/events/?pl%00ace=baku", "pl\\0ace"),
        # page_size and page: ASCII digits only, within range.
        get("events-page_size-underscore", f"{API}/events/?page_size=5_0", "page_size"),
        get("events-page_size-arabic-indic", f"{API}/events/?page_size=%D9%A5", "page_size"),
        get("events-page_size-superscript", f"{API}/events/?page_size=%C2%B2", "page_size"),
        get("events-page_size-plus", f"{API}/events/?page_size=%2B50", "page_size"),
        get("events-page_size-space", f"{API}/events/?page_size=%2050", "page_size"),
        get("events-page_size-zero", f"{API}/events/?page_size=0", "page_size"),
        get("events-page_size-over-max", f"{API}/events/?page_size=501", "page_size"),
        get("events-page_size-huge", f"{API}/events/?page_size={HUGE}", "page_size"),
        get("events-page-underscore", f"{API}/events/?page=1_0", "page"),
        get("events-page-arabic-indic", f"{API}/events/?page=%D9%A2", "page"),
        get("events-page-zero", f"{API}/events/?page=0", "page"),
        get("events-page-huge", f"{API}/events/?page={HUGE}", "page"),
        get("events-page-past-the-end", f"{API}/events/?page=9999", "page", 404),
        get("actors-page-float", f"{API}/actors/?page=1e3", "page"),
        get("changes-page_size-underscore", f"{API}/changes/?page_size=5_0", "page_size"),
        get("changes-page_size-arabic-indic", f"{API}/changes/?page_size=%D9%A5", "page_size"),
        get("changes-page_size-space", f"{API}/changes/?page_size=%2050", "page_size"),
        get("changes-page_size-decimal", f"{API}/changes/?page_size=5.0", "page_size"),
        get("changes-page_size-zero", f"{API}/changes/?page_size=0", "page_size"),
        get("changes-page_size-huge", f"{API}/changes/?page_size={HUGE}", "page_size"),
        get("changes-model-unknown", f"{API}/changes/?model=user", "model"),
        get("changes-model-nul", f"{API}/changes/?model=event%00", "model"),
        # Dates and date windows.
        get(
            "events-date-window-inverted", f"{API}/events/?date_after=2023-06-01&date_before=2023-01-01", "date_before"
        ),
        get(
            "statements-date-window-inverted",
            f"{API}/statements/?date_after=2023-06-01&date_before=2023-01-01",
            "date_before",
        ),
        get(
            "relations-date-window-inverted",
            f"{API}/relations/?date_after=2023-06-01&date_before=2023-01-01",
            "date_before",
        ),
        get("events-date_after-year-0", f"{API}/events/?date_after=0000-01-01", "date_after"),
        get("events-date_after-year-99999", f"{API}/events/?date_after=99999-01-01", "date_after"),
        get("events-date_before-february-30", f"{API}/events/?date_before=2023-02-30", "date_before"),
        get("relations-date_after-garbage", f"{API}/relations/?date_after=2023-05", "date_after"),
        # Dates at the ends of the calendar are valid filters (on PostgreSQL the window's lower bound is computed
        # in SQL and may fall before year 1): answered, not refused.
        get("events-date_after-year-one", f"{API}/events/?date_after=0001-01-01", (), 200),
        get("statements-date_after-year-one", f"{API}/statements/?date_after=0001-01-01", (), 200),
        get("events-actor-date_after-year-one", f"{API}/events/?actor=armenia&date_after=0001-01-01", (), 200),
        get(
            "events-date_before-year-9999",
            f"{API}/events/?date_before=9999-12-31&date_after=9999-12-31",
            (),
            200,
            answered=False,
        ),
        get("changes-since-year-one", f"{API}/changes/?since=0001-01-01T00:00:00Z&page_size=1", (), 200),
        get("sources-published_after-year-99999", f"{API}/sources/?published_after=99999-01-01", "published_after"),
        get("sources-published_before-garbage", f"{API}/sources/?published_before=soon", "published_before"),
        # Enumerations.
        get("events-status-unknown", f"{API}/events/?status=approved", "status"),
        get("events-precision-unknown", f"{API}/events/?precision=nanosecond", "precision"),
        get("events-role-unknown", f"{API}/events/?role=villain", "role"),
        get("actors-kind-unknown", f"{API}/actors/?kind=alien", "kind"),
        get("places-kind-unknown", f"{API}/places/?kind=planet", "kind"),
        get("statements-kind-unknown", f"{API}/statements/?kind=rumour", "kind"),
        get("statements-speaker_kind-unknown", f"{API}/statements/?speaker_kind=robot", "speaker_kind"),
        get("relations-type-unknown", f"{API}/relations/?type=frenemy", "type"),
        get("event-types-used-unknown", f"{API}/event-types/?used=maybe", "used"),
        get("events-type-not-cameo", f"{API}/events/?type=4", "type"),
        get("events-type-sql", f"{API}/events/?type=04'%20OR%20'1'='1", "type"),
        get("actors-country-three-letters", f"{API}/actors/?country=ARM", "country"),
        get("places-country-digits", f"{API}/places/?country=12", "country"),
        # Slugs and references.
        get("events-actor-unknown", f"{API}/events/?actor=no-such-actor", "actor"),
        get("events-actor-nul", f"{API}/events/?actor=armenia%00", "actor"),
        get("events-actor-overlong", f"{API}/events/?actor={'a' * 5000}", "actor"),
        get("events-place-unknown", f"{API}/events/?place=atlantis", "place"),
        get("events-place-invalid-utf8", f"{API}/events/?place=%ff%fe", "place"),
        get("places-within-emoji", f"{API}/places/?within=%F0%9F%92%A5", "within"),
        get("actors-affiliated_with-unknown", f"{API}/actors/?affiliated_with=nobody", "affiliated_with"),
        get("statements-speaker-unknown", f"{API}/statements/?speaker=nobody", "speaker"),
        get("statements-about-unknown-kind", f"{API}/statements/?about=planet:mars", "about"),
        get("statements-about-event-not-id", f"{API}/statements/?about=event:abc", "about"),
        get("statements-about-event-superscript", f"{API}/statements/?about=event:%C2%B2", "about"),
        get("statements-about-event-huge", f"{API}/statements/?about=event:{HUGE}", "about"),
        get("statements-about-place-unknown", f"{API}/statements/?about=place:atlantis", "about"),
        get("relations-actor-unknown", f"{API}/relations/?actor=nobody", "actor"),
        # Ids.
        get("events-source-huge", f"{API}/events/?source={HUGE}", "source"),
        get("events-source-superscript", f"{API}/events/?source=%C2%B2", "source"),
        get("events-source-negative", f"{API}/events/?source=-1", "source"),
        get("events-parent-huge", f"{API}/events/?parent={HUGE}", "parent"),
        get("events-parent-float", f"{API}/events/?parent=1.5", "parent"),
        get("statements-event-huge", f"{API}/statements/?event={HUGE}", "event"),
        get("statements-source-not-a-number", f"{API}/statements/?source=abc", "source"),
        get("event-detail-id-huge", f"{API}/events/{HUGE}/", (), 404, code="not_found"),
        get("event-detail-id-superscript", f"{API}/events/%C2%B2/", (), 404, code="not_found"),
        get("event-detail-id-negative", f"{API}/events/-1/", (), 404, code="not_found"),
        get("statement-detail-id-huge", f"{API}/statements/{HUGE}/", (), 404, code="not_found"),
        get("relation-detail-id-huge", f"{API}/relations/{HUGE}/", (), 404, code="not_found"),
        get("source-detail-id-huge", f"{API}/sources/{HUGE}/", (), 404, code="not_found"),
        get("actor-detail-slug-nul", f"{API}/actors/arm%00enia/", (), 404, code="not_found"),
        get("actor-detail-slug-unicode", f"{API}/actors/%C3%A9/", (), 404, code="not_found"),
        get("event-type-detail-code-huge", f"{API}/event-types/{HUGE}/", (), 404, code="not_found"),
        # fields=, format=, ordering=, search=, Accept.
        get("events-fields-unknown", f"{API}/events/?fields=id,password", "fields"),
        get("event-detail-fields-unknown", f"{API}/events/{EVENT_ID}/?fields=secret", "fields"),
        get("changes-fields-is-unknown", f"{API}/changes/?fields=id", "fields"),
        get("events-format-xml", f"{API}/events/?format=xml", "format", 406),
        get("event-detail-format-csv", f"{API}/events/{EVENT_ID}/?format=csv", "format", 406),
        get("actors-format-geojson", f"{API}/actors/?format=geojson", "format", 406),
        get("events-csv-with-bad-filter", f"{API}/events/?format=csv&date_after=never", "date_after"),
        get("places-geojson-with-bad-kind", f"{API}/places/?format=geojson&kind=planet", "kind"),
        get("events-accept-xml", f"{API}/events/", "Accept", 406, headers={"HTTP_ACCEPT": "application/xml"}),
        get("events-ordering-unknown", f"{API}/events/?ordering=password", "ordering"),
        get("actors-ordering-unknown-descending", f"{API}/actors/?ordering=-secret", "ordering"),
        get("events-ordering-sql", f"{API}/events/?ordering=id;DELETE%20FROM%20facts_event", "ordering"),
        get("relations-ordering-through-relation", f"{API}/relations/?ordering=subject__name", "ordering"),
        get("events-search-too-short", f"{API}/events/?search=ab", "search"),
        get("statements-search-punctuation", f"{API}/statements/?search=%25%25%25", "search"),
        get("events-search-nul", f"{API}/events/?search=talks%00", "search"),
        # Headers and authentication on reads.
        get(
            "events-authorization-nul",
            f"{API}/events/",
            "Authorization",
            headers={"HTTP_AUTHORIZATION": "Token abc\x00def"},
        ),
        get("events-bad-token", f"{API}/events/", "Authorization", 401, who="bad-token", code="authentication_failed"),
        get(
            "events-token-not-utf8",
            f"{API}/events/",
            "Authorization",
            401,
            code="authentication_failed",
            headers={"HTTP_AUTHORIZATION": "Token \xff\xfe"},
        ),
        get(
            "events-token-empty",
            f"{API}/events/",
            "Authorization",
            401,
            code="authentication_failed",
            headers={"HTTP_AUTHORIZATION": "Token"},
        ),
        get(
            "events-token-with-spaces",
            f"{API}/events/",
            "Authorization",
            401,
            code="authentication_failed",
            headers={"HTTP_AUTHORIZATION": "Token a b"},
        ),
        # Requests as a whole: too many parameters, a host not served, formats of other endpoints.
        get("events-too-many-parameters", f"{API}/events/?" + "&".join(["actor=armenia"] * 1001), "query string"),
        get("events-unknown-host", f"{API}/events/", "Host", headers={"HTTP_HOST": "evil.example"}),
        get("api-root-format-xml", f"{API}/?format=xml", "format", 406),
        get("changes-format-csv", f"{API}/changes/?format=csv", "format", 406),
        get("events-fields-overlong", f"{API}/events/?fields={'x,' * 3000}", "fields"),
        get("events-ordering-empty-names", f"{API}/events/?ordering=,,,-", "ordering"),
        # An offset with seconds (Python's, not ISO 8601's) is still one instant: read in UTC, not refused.
        get(
            "events-updated_since-offset-seconds-read-in-utc",
            f"{API}/events/?updated_since=2023-01-01T00:00:00%2B16:00:30&page_size=1",
            (),
            200,
        ),
        get("events-page_size-repeated-last-bad", f"{API}/events/?page_size=1&page_size=abc", "page_size"),
        # Unknown methods, for anonymous callers too: 405 naming the method.
        Case("events-TRACE-anonymous", f"{API}/events/", (), (405,), "TRACE", detail=("TRACE",)),
        Case(
            "event-detail-PROPFIND-anonymous", f"{API}/events/{EVENT_ID}/", (), (405,), "PROPFIND", detail=("PROPFIND",)
        ),
        Case("changes-TRACE-anonymous", f"{API}/changes/", (), (405,), "TRACE", detail=("TRACE",)),
        Case("changes-POST-curator", f"{API}/changes/", (), (405,), "POST", {}, who="curator", detail=("POST",)),
        Case("events-DELETE-list-curator", f"{API}/events/", (), (405,), "DELETE", who="curator", detail=("DELETE",)),
        Case(
            "events-PUT-list-curator", f"{API}/events/", (), (405,), "PUT", event_body(), who="curator", detail=("PUT",)
        ),
        Case(
            "event-detail-POST-curator",
            f"{API}/events/{EVENT_ID}/",
            (),
            (405,),
            "POST",
            event_body(),
            who="curator",
            detail=("POST",),
        ),
        Case(
            "unknown-endpoint",
            f"{API}/no-such-thing/",
            (),
            (404,),
            code="not_found",
            detail=("/api/v1/no-such-thing/",),
        ),
    ]


def write_cases():
    big = ws.SOURCE_TEXT_MAX
    return [
        # Anonymous and unauthorised writes.
        *[
            write(f"{path}-POST-anonymous", f"/{path}/", {}, "Authorization", 401, who="anon", code="not_authenticated")
            for path in LISTS
        ],
        write("event-PATCH-anonymous", f"/events/{EVENT_ID}/", {"title": "x"}, "Authorization", 401, "PATCH", "anon"),
        write("actor-DELETE-anonymous", "/actors/armenia/", None, "Authorization", 401, "DELETE", "anon"),
        write(
            "event-POST-bad-token",
            "/events/",
            event_body(),
            "Authorization",
            401,
            who="bad-token",
            code="authentication_failed",
        ),
        write(
            "event-POST-reader-without-permission",
            "/events/",
            event_body(),
            (),
            403,
            who="reader",
            code="permission_denied",
        ),
        write(
            "actor-DELETE-reader-without-permission",
            "/actors/armenia/",
            None,
            (),
            403,
            "DELETE",
            "reader",
            code="permission_denied",
        ),
        write(
            "event-POST-session-without-permission",
            "/events/",
            event_body(),
            (),
            403,
            who="reader-session",
            code="permission_denied",
        ),
        write(
            "event-POST-status-reviewed-without-review-permission",
            "/events/",
            event_body(status="reviewed"),
            "status",
            403,
            who="writer",
        ),
        write(
            "statement-PATCH-status-verified-without-review-permission",
            f"/statements/{STATEMENT_ID}/",
            {"status": "verified"},
            "status",
            403,
            "PATCH",
            "writer",
        ),
        # Content types and bodies that are not a JSON object.
        write("event-POST-text-plain", "/events/", "title=x", "Content-Type", 415, content_type="text/plain"),
        write(
            "event-POST-form-urlencoded",
            "/events/",
            "title=x&event_type=043",
            "Content-Type",
            415,
            content_type="application/x-www-form-urlencoded",
        ),
        write(
            "actor-POST-multipart",
            "/actors/",
            '--B\r\nContent-Disposition: form-data; name="slug"\r\n\r\nx\r\n--B--\r\n',
            "Content-Type",
            415,
            content_type="multipart/form-data; boundary=B",
        ),
        write("actor-POST-xml", "/actors/", "<actor/>", "Content-Type", 415, content_type="application/xml"),
        write(
            "actor-POST-latin-1-body",
            "/actors/",
            '{"name": "caf\xe9"}'.encode("latin-1"),
            "body",
            content_type="application/json; charset=utf-8",
        ),
        write("actor-POST-malformed-json", "/actors/", '{"slug": "x", ', "body", code="parse_error"),
        write("actor-POST-json-array", "/actors/", "[1, 2, 3]", "non_field_errors"),
        write("actor-POST-json-null", "/actors/", "null", "non_field_errors"),
        write("actor-POST-json-string", "/actors/", '"armenia"', "non_field_errors"),
        write("actor-POST-empty-body", "/actors/", "", ("slug", "name", "kind")),
        write("actor-POST-trailing-garbage", "/actors/", '{"slug": "x", "name": "X", "kind": "person"} x', "body"),
        write("actor-POST-utf8-bom", "/actors/", '\ufeff{"slug": "x", "name": "X", "kind": "person"}', "body"),
        # A charset Python does not know is ignored (Django's rule; JSON is UTF-8 anyway): the body is read as UTF-8.
        write(
            "actor-POST-unknown-charset-latin-1-body",
            "/actors/",
            '{"slug": "x", "name": "caf\xe9", "kind": "person"}'.encode("latin-1"),
            "body",
            content_type="application/json; charset=no-such-charset",
        ),
        write(
            "actor-POST-utf-16-charset-utf-8-body",
            "/actors/",
            '{"slug": "x", "name": "X", "kind": "person"}',
            "body",
            content_type="application/json; charset=utf-16",
        ),
        write(
            "actor-POST-vnd-api-json",
            "/actors/",
            actor_body(),
            "Content-Type",
            415,
            content_type="application/vnd.api+json",
        ),
        write(
            "event-PATCH-json-patch",
            f"/events/{EVENT_ID}/",
            '[{"op": "replace", "path": "/title", "value": "x"}]',
            "Content-Type",
            415,
            "PATCH",
            content_type="application/json-patch+json",
        ),
        # Nulls where a value must stand.
        write("actor-POST-external-null", "/actors/", actor_body(external=None), "external"),
        write("actor-POST-aliases-null", "/actors/", actor_body(aliases=None), "aliases"),
        write("actor-POST-alias-null-item", "/actors/", actor_body(aliases=[None]), "aliases"),
        write("actor-POST-country_code-null", "/actors/", actor_body(country_code=None), "country_code"),
        write("actor-POST-description-null", "/actors/", actor_body(description=None), "description"),
        write("event-POST-participants-null", "/events/", event_body(participants=None), "participants"),
        write("event-POST-participant-null-item", "/events/", event_body(participants=[None]), "participants"),
        write("event-POST-evidence-null", "/events/", event_body(evidence=None), "evidence"),
        write("event-POST-evidence-string-item", "/events/", event_body(evidence=["a passage"]), "evidence"),
        write("event-POST-status-null", "/events/", event_body(status=None), "status"),
        write("event-POST-title-null", "/events/", event_body(title=None), "title"),
        write("statement-POST-about_actors-null", "/statements/", statement_body(about_actors=None), "about_actors"),
        write(
            "place-POST-coordinates_approximate-null",
            "/places/",
            place_body(coordinates_approximate=None),
            "coordinates_approximate",
        ),
        write("source-POST-published-null", "/sources/", source_body(published=None), "published"),
        write(
            "source-POST-published-datetime", "/sources/", source_body(published="2023-05-01T10:00:00Z"), "published"
        ),
        write("source-POST-url-too-long", "/sources/", source_body(url="https://e.com/" + "a" * 3000), "url"),
        write("source-POST-language-too-long", "/sources/", source_body(language="x" * 50), "language"),
        write("actor-POST-slug-empty", "/actors/", actor_body(slug=""), "slug"),
        write("actor-POST-kind-empty", "/actors/", actor_body(kind=""), "kind"),
        write("statement-POST-event-zero", "/statements/", statement_body(event=0), "event"),
        write("event-POST-parent-zero", "/events/", event_body(parent=0), "parent"),
        # The strict parser: duplicate keys, lone surrogates, NUL in keys, nesting, non-finite numbers.
        write(
            "actor-POST-duplicate-key",
            "/actors/",
            '{"slug": "x", "name": "A", "name": "B", "kind": "person"}',
            "name",
            code="parse_error",
        ),
        write(
            "event-POST-nested-duplicate-key",
            "/events/",
            '{"title": "x", "event_type": "043", "evidence": [{"source": 1, "quote": "a", "quote": "b"}]}',
            "evidence.0.quote",
            code="parse_error",
        ),
        write(
            "actor-POST-lone-surrogate-in-value",
            "/actors/",
            '{"slug": "x", "name": "X\\ud800", "kind": "person"}',
            "name",
            code="parse_error",
        ),
        write(
            "actor-POST-lone-surrogate-in-key",
            "/actors/",
            '{"slug": "x", "\\udfff": 1, "name": "X", "kind": "person"}',
            "\\udfff",
            code="parse_error",
        ),
        write(
            "actor-POST-lone-surrogate-in-external-key",
            "/actors/",
            '{"slug": "x", "name": "X", "kind": "person", "external": {"\\ud800": "a"}}',
            "external",
            code="parse_error",
        ),
        write(
            "actor-POST-nul-in-key",
            "/actors/",
            '{"slug": "x", "na\\u0000me": "X", "kind": "person"}',
            "na\\u0000me",
            code="parse_error",
        ),
        write(
            "actor-POST-nested-10000-deep",
            "/actors/",
            '{"slug": "x", "name": "X", "kind": "person", "external": ' + "[" * 10_000 + "]" * 10_000 + "}",
            "external",
            code="parse_error",
        ),
        write("actor-POST-body-nested-10000-deep", "/actors/", "[" * 10_000 + "]" * 10_000, "body", code="parse_error"),
        write(
            "place-POST-latitude-NaN",
            "/places/",
            '{"slug": "x", "name": "X", "kind": "city", "latitude": NaN}',
            "latitude",
            code="parse_error",
        ),
        write(
            "place-POST-latitude-Infinity",
            "/places/",
            '{"slug": "x", "name": "X", "kind": "city", "latitude": Infinity}',
            "latitude",
            code="parse_error",
        ),
        write(
            "place-POST-latitude-1e999",
            "/places/",
            '{"slug": "x", "name": "X", "kind": "city", "latitude": 1e999}',
            "latitude",
            code="parse_error",
        ),
        write(
            "actor-POST-millions-of-values",
            "/actors/",
            '{"slug": "x", "name": "X", "kind": "person", "external": [' + ",".join(["0"] * 1_000_000) + "]}",
            "body",
        ),
        # NUL characters in values.
        write("event-POST-nul-in-event_type", "/events/", event_body(event_type=f"04{NUL}3"), "event_type"),
        write("event-POST-nul-in-place-slug", "/events/", event_body(place=f"washington{NUL}"), "place"),
        write(
            "event-POST-nul-in-participant-slug",
            "/events/",
            event_body(participants=[{"actor": f"arm{NUL}enia", "role": "host"}]),
            "participants.0.actor",
        ),
        write("event-POST-nul-in-title", "/events/", event_body(title=f"A{NUL}dinner"), "title"),
        write(
            "event-POST-nul-in-quote",
            "/events/",
            event_body(evidence=evidence(quote=f"US Secretary{NUL}")),
            "evidence.0.quote",
        ),
        write(
            "event-POST-nul-in-source-slug",
            "/events/",
            event_body(evidence=evidence(source=f"us{NUL}hosts")),
            "evidence.0.source",
        ),
        write("actor-POST-nul-in-external-value", "/actors/", actor_body(external={"name": f"a{NUL}b"}), "external"),
        write("actor-POST-nul-in-external-key", "/actors/", actor_body(external={f"na{NUL}me": "a"}), "external"),
        write("actor-POST-nul-in-alias", "/actors/", actor_body(aliases=[{"name": f"A{NUL}"}]), "aliases.0.name"),
        write(
            "statement-POST-nul-in-about_actors",
            "/statements/",
            statement_body(about_actors=[f"armenia{NUL}"]),
            "about_actors",
        ),
        write("source-POST-nul-in-text", "/sources/", source_body(text=f"a{NUL}b"), "text"),
        write("event-type-POST-nul-in-code", "/event-types/", {"code": f"04{NUL}", "label": "x"}, "code"),
        write("event-PATCH-nul-in-title", f"/events/{EVENT_ID}/", {"title": f"x{NUL}"}, "title", method="PATCH"),
        write("actor-PATCH-nul-in-slug", "/actors/armenia/", {"slug": f"armenia{NUL}"}, "slug", method="PATCH"),
        write(
            "event-DELETE-nul-in-change-reason",
            f"/events/{EVENT_ID}/",
            None,
            "X-Change-Reason",
            method="DELETE",
            headers={"HTTP_X_CHANGE_REASON": f"gone{NUL}"},
        ),
        # Numbers where strings go, strings where numbers go, ids a key cannot hold.
        write(
            "event-POST-source-superscript-two",
            "/events/",
            event_body(evidence=evidence(source="²")),
            "evidence.0.source",
        ),
        write(
            "event-POST-source-arabic-indic", "/events/", event_body(evidence=evidence(source="١")), "evidence.0.source"
        ),
        write("event-POST-source-huge", "/events/", event_body(evidence=evidence(source=10**30)), "evidence.0.source"),
        write("event-POST-source-negative", "/events/", event_body(evidence=evidence(source=-1)), "evidence.0.source"),
        write("event-POST-title-number", "/events/", event_body(title=123), "title"),
        write("event-POST-title-object", "/events/", event_body(title={"a": 1}), "title"),
        write("event-POST-event_type-number", "/events/", event_body(event_type=43), "event_type"),
        write("event-POST-event_type-unknown", "/events/", event_body(event_type="9999"), "event_type"),
        write("event-POST-parent-true", "/events/", event_body(parent=True), "parent"),
        write("event-POST-parent-string", "/events/", event_body(parent="1"), "parent"),
        write("event-POST-parent-huge", "/events/", event_body(parent=10**30), "parent"),
        write("event-POST-parent-past-64-bits", "/events/", event_body(parent=2**63), "parent"),
        write(
            "event-POST-occurrence-huge",
            "/events/",
            event_body(evidence=evidence(occurrence=10**30)),
            "evidence.0.occurrence",
        ),
        write(
            "event-POST-occurrence-float",
            "/events/",
            event_body(evidence=evidence(occurrence=1.5)),
            "evidence.0.occurrence",
        ),
        write(
            "event-POST-offsets-huge",
            "/events/",
            event_body(evidence=[{"source": SOURCE_ID, "start": 0, "end": 10**30}]),
            "evidence.0.end",
        ),
        write(
            "event-POST-offsets-reversed",
            "/events/",
            event_body(evidence=[{"source": SOURCE_ID, "start": 50, "end": 10}]),
            "evidence.0",
        ),
        write("statement-POST-event-huge", "/statements/", statement_body(event=10**30), "event"),
        write(
            "statement-POST-about_events-strings", "/statements/", statement_body(about_events=["1"]), "about_events"
        ),
        write("relation-POST-subject-number", "/relations/", relation_body(subject=7), "subject"),
        write("actor-POST-name-boolean", "/actors/", actor_body(name=True), "name"),
        write("actor-POST-slug-number", "/actors/", actor_body(slug=5), "slug"),
        write("place-POST-latitude-string", "/places/", place_body(latitude="north"), "latitude"),
        write("place-POST-latitude-out-of-range", "/places/", place_body(latitude=91, longitude=0), "latitude"),
        write("place-POST-latitude-1e300", "/places/", place_body(latitude=1e300, longitude=0), "latitude"),
        write(
            "place-POST-coordinates_approximate-string",
            "/places/",
            place_body(coordinates_approximate="maybe"),
            "coordinates_approximate",
        ),
        # Dates.
        write("event-POST-date_start-year-99999", "/events/", event_body(date_start="99999-01-01"), "date_start"),
        write("event-POST-date_start-february-30", "/events/", event_body(date_start="2023-02-30"), "date_start"),
        write(
            "event-POST-date-range-inverted",
            "/events/",
            event_body(date_start="2023-05-02", date_end="2023-05-01", date_precision="day"),
            "date_end",
        ),
        write(
            "event-POST-precision-open-with-both-bounds",
            "/events/",
            event_body(date_start="2023-05-01", date_end="2023-05-01", date_precision="open"),
            "date_precision",
        ),
        write("event-POST-precision-without-dates", "/events/", event_body(date_precision="day"), "date_precision"),
        write(
            "statement-POST-date-range-inverted",
            "/statements/",
            statement_body(date_start="2023-05-02", date_end="2023-05-01", date_precision="day"),
            "date_end",
        ),
        write(
            "relation-POST-date-range-inverted",
            "/relations/",
            relation_body(date_start="2020-01-02", date_end="2020-01-01", date_precision="day"),
            "date_end",
        ),
        write(
            "event-PATCH-date-range-inverted",
            f"/events/{EVENT_ID}/",
            {"date_start": "2023-05-02", "date_end": "2023-05-01", "date_precision": "day"},
            "date_end",
            method="PATCH",
        ),
        write("place-POST-longitude-out-of-range", "/places/", place_body(latitude=0, longitude=-181), "longitude"),
        write("place-POST-latitude-without-longitude", "/places/", place_body(latitude=10), "longitude"),
        write("event-type-PATCH-label-empty", "/event-types/043/", {"label": ""}, "label", method="PATCH"),
        write("event-type-POST-code-five-digits", "/event-types/", {"code": "04311", "label": "x"}, "code"),
        write("event-type-POST-code-arabic-indic", "/event-types/", {"code": "٠٤٣", "label": "x"}, "code"),
        # Date expressions that land outside the calendar, against a source published on its first or last day.
        write(
            "event-POST-yesterday-of-year-one",
            "/events/",
            event_body(date_text="yesterday", evidence=[{"source": "year-one", "quote": EDGE_TEXT}]),
            "date_text",
        ),
        write(
            "event-POST-last-week-of-year-one",
            "/events/",
            event_body(date_text="last week", evidence=[{"source": "year-one", "quote": EDGE_TEXT}]),
            "date_text",
        ),
        write(
            "event-POST-next-week-after-year-9999",
            "/events/",
            event_body(date_text="next week", evidence=[{"source": "year-9999", "quote": EDGE_TEXT}]),
            "date_text",
        ),
        write(
            "event-POST-next-year-after-year-9999",
            "/events/",
            event_body(date_text="next year", evidence=[{"source": "year-9999", "quote": EDGE_TEXT}]),
            "date_text",
        ),
        write(
            "statement-POST-yesterday-of-year-one",
            "/statements/",
            statement_body(
                date_text="yesterday",
                text="The two sides met and talked.",
                evidence=[{"source": "year-one", "quote": EDGE_TEXT}],
            ),
            "date_text",
        ),
        write(
            "relation-POST-four-days-from-today-in-9999",
            "/relations/",
            relation_body(date_text="four days from today", evidence=[{"source": "year-9999", "quote": EDGE_TEXT}]),
            "date_text",
        ),
        write("source-POST-published-year-0", "/sources/", source_body(published="0000-01-01"), "published"),
        write("source-POST-published-number", "/sources/", source_body(published=20230501), "published"),
        # Enumerations and slugs.
        write("actor-POST-kind-unknown", "/actors/", actor_body(kind="alien"), "kind"),
        write("actor-POST-kind-number", "/actors/", actor_body(kind=7), "kind"),
        write("event-POST-status-unknown", "/events/", event_body(status="approved"), "status"),
        write(
            "event-POST-date_precision-unknown", "/events/", event_body(date_precision="nanosecond"), "date_precision"
        ),
        write(
            "event-POST-participant-role-unknown",
            "/events/",
            event_body(participants=[{"actor": "armenia", "role": "villain"}]),
            "participants.0.role",
        ),
        write("relation-POST-type-unknown", "/relations/", relation_body(type="frenemy"), "type"),
        write("actor-POST-slug-sql", "/actors/", actor_body(slug="' OR 1=1; --"), "slug"),
        write("actor-POST-slug-unicode", "/actors/", actor_body(slug="arménie"), "slug"),
        write("actor-POST-slug-taken", "/actors/", actor_body(slug="armenia"), "slug"),
        write(
            "actor-PUT-slug-taken",
            "/actors/armenia/",
            actor_body(slug="azerbaijan", name="Armenia", kind="state", country_code="AM"),
            "slug",
            method="PUT",
        ),
        write(
            "actor-POST-country_code-lowercase", "/actors/", actor_body(kind="state", country_code="am"), "country_code"
        ),
        write(
            "actor-POST-country_code-digits", "/actors/", actor_body(kind="state", country_code="12"), "country_code"
        ),
        write(
            "actor-POST-country_code-three-letters",
            "/actors/",
            actor_body(kind="state", country_code="ARM"),
            "country_code",
        ),
        write(
            "place-POST-country_code-lowercase",
            "/places/",
            place_body(kind="country", country_code="am"),
            "country_code",
        ),
        write("actor-POST-state-without-country_code", "/actors/", actor_body(kind="state"), "country_code"),
        write("event-type-POST-code-taken", "/event-types/", {"code": "043", "label": "Host a visit"}, "code"),
        write("event-type-POST-code-letters", "/event-types/", {"code": "abc", "label": "x"}, "code"),
        write("event-POST-place-unknown-slug", "/events/", event_body(place="atlantis"), "place"),
        write("event-POST-place-malformed-slug", "/events/", event_body(place="no such place"), "place"),
        write("statement-POST-speaker-unknown", "/statements/", statement_body(speaker="nobody"), "speaker"),
        write("source-POST-url-javascript", "/sources/", source_body(url="javascript:alert(1)"), "url"),
        # Fields the server assigns; unknown fields.
        write("actor-POST-id", "/actors/", actor_body(id=1), "id"),
        write("event-POST-id-null", "/events/", event_body(id=None), "id"),
        write("source-POST-checksum", "/sources/", source_body(checksum="0" * 64), "checksum"),
        write("event-PATCH-id", f"/events/{EVENT_ID}/", {"id": 2}, "id", method="PATCH"),
        write("actor-POST-unknown-field", "/actors/", actor_body(colour="blue"), "colour"),
        write(
            "event-POST-unknown-nested-field",
            "/events/",
            event_body(evidence=evidence(pasage="x")),
            "evidence.0.pasage",
        ),
        # Evidence the source does not hold.
        write("event-POST-no-evidence", "/events/", event_body(evidence=[]), "evidence"),
        write(
            "event-POST-quote-not-in-source",
            "/events/",
            event_body(evidence=evidence(quote="never said")),
            "evidence.0.quote",
        ),
        # Over-long strings and lists (README "limits of a write").
        write("event-POST-title-too-long", "/events/", event_body(title="x" * 301), "title"),
        write(
            "event-POST-description-too-long",
            "/events/",
            event_body(description="x" * (ws.DESCRIPTION_MAX + 1)),
            "description",
        ),
        write(
            "event-POST-quote-too-long",
            "/events/",
            event_body(evidence=evidence(quote="x" * (ws.QUOTE_MAX + 1))),
            "evidence.0.quote",
        ),
        write(
            "statement-POST-text-too-long",
            "/statements/",
            statement_body(text="x" * (ws.STATEMENT_TEXT_MAX + 1)),
            "text",
        ),
        write("source-POST-text-too-long", "/sources/", source_body(text="x" * (big + 1)), "text"),
        write("actor-POST-slug-too-long", "/actors/", actor_body(slug="x" * (ws.SLUG_MAX + 1)), "slug"),
        write("event-POST-place-slug-too-long", "/events/", event_body(place="x" * (ws.SLUG_MAX + 1)), "place"),
        write(
            "actor-POST-external-value-too-long",
            "/actors/",
            actor_body(external={"name": "x" * (ws.EXTERNAL_VALUE_MAX + 1)}),
            "external",
        ),
        write(
            "actor-POST-external-key-too-long",
            "/actors/",
            actor_body(external={"k" * (ws.EXTERNAL_KEY_MAX + 1): "x"}),
            "external",
        ),
        write(
            "actor-POST-external-too-many",
            "/actors/",
            actor_body(external={f"f{i}": "x" for i in range(ws.EXTERNAL_MAX + 1)}),
            "external",
        ),
        write("actor-POST-external-a-list", "/actors/", actor_body(external=["name"]), "external"),
        write(
            "event-POST-participants-too-many",
            "/events/",
            event_body(participants=[{"actor": f"a-{i}", "role": "party"} for i in range(ws.PARTICIPANTS_MAX + 1)]),
            "participants",
        ),
        write(
            "event-POST-evidence-too-many",
            "/events/",
            event_body(evidence=evidence() * (ws.EVIDENCE_MAX + 1)),
            "evidence",
        ),
        write(
            "actor-POST-aliases-too-many",
            "/actors/",
            actor_body(aliases=[{"name": f"n{i}"} for i in range(ws.ALIASES_MAX + 1)]),
            "aliases",
        ),
        write(
            "statement-POST-about_actors-too-many",
            "/statements/",
            statement_body(about_actors=[f"a-{i}" for i in range(ws.ABOUT_MAX + 1)]),
            "about_actors",
        ),
        write(
            "statement-POST-about_events-too-many",
            "/statements/",
            statement_body(about_events=list(range(1, ws.ABOUT_MAX + 2))),
            "about_events",
        ),
        write("event-POST-reason-too-long", "/events/", event_body(reason="r" * 10_000), "reason"),
        write(
            "event-DELETE-change-reason-too-long",
            f"/events/{EVENT_ID}/",
            None,
            "X-Change-Reason",
            method="DELETE",
            headers={"HTTP_X_CHANGE_REASON": "r" * 10_000},
        ),
        write(
            "source-POST-over-the-size-limit",
            "/sources/",
            json.dumps(source_body(text="x" * (4 * 1024 * 1024 + 10))),
            "body",
            413,
            code="payload_too_large",
        ),
        write(
            "source-PUT-over-the-size-limit",
            f"/sources/{SOURCE_ID}/",
            json.dumps(source_body(text="x" * (4 * 1024 * 1024 + 10))),
            "body",
            413,
            "PUT",
            code="payload_too_large",
        ),
        # A write refused before anything is written, for what its query string or Accept header asks.
        write("event-POST-unknown-query-param", "/events/?plcae=baku", event_body(), "plcae"),
        write("event-POST-fields-unknown", "/events/?fields=secret", event_body(), "fields"),
        write("event-POST-format-csv", "/events/?format=csv", event_body(), "format", 406),
        write(
            "event-POST-accept-xml", "/events/", event_body(), "Accept", 406, headers={"HTTP_ACCEPT": "application/xml"}
        ),
        write(
            "actor-PATCH-accept-csv",
            "/actors/armenia/",
            {"name": "Armenia!"},
            "Accept",
            406,
            "PATCH",
            headers={"HTTP_ACCEPT": "text/csv"},
        ),
        write("event-POST-session-without-csrf", "/events/", event_body(), (), 403, who="admin-csrf", detail=("CSRF",)),
        write(
            "event-POST-content-length-garbage",
            "/events/",
            event_body(),
            "Content-Length",
            headers={"CONTENT_LENGTH": "abc"},
        ),
        write(
            "event-PATCH-content-length-negative",
            f"/events/{EVENT_ID}/",
            {"title": "x"},
            "Content-Length",
            method="PATCH",
            headers={"CONTENT_LENGTH": "-5"},
        ),
        write(
            "event-PATCH-chunked-without-length",
            f"/events/{EVENT_ID}/",
            {"title": "x"},
            "Content-Length",
            411,
            "PATCH",
            headers={"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": ""},
        ),
        # Rules between objects.
        write("event-PATCH-parent-itself", f"/events/{EVENT_ID}/", {"parent": EVENT_ID}, "parent", method="PATCH"),
        write(
            "place-PATCH-parent-own-descendant", "/places/south-caucasus/", {"parent": "baku"}, "parent", method="PATCH"
        ),
        write("place-PATCH-parent-itself", "/places/baku/", {"parent": "baku"}, "parent", method="PATCH"),
        write("relation-POST-subject-is-object", "/relations/", relation_body(object="armenia"), "object"),
        write(
            "event-POST-participant-twice",
            "/events/",
            event_body(participants=[{"actor": "armenia", "role": "party"}, {"actor": "armenia", "role": "host"}]),
            "participants",
        ),
        write(
            "source-PATCH-text-cited-by-evidence",
            f"/sources/{SOURCE_ID}/",
            {"text": "Rewritten."},
            "text",
            method="PATCH",
        ),
        write("event-type-PATCH-code-renamed", "/event-types/043/", {"code": "0439"}, "code", method="PATCH"),
        write(
            "event-type-PUT-code-renamed",
            "/event-types/043/",
            {"code": "0439", "label": "Host a visit"},
            "code",
            method="PUT",
        ),
        write(
            "event-PUT-missing-required",
            f"/events/{EVENT_ID}/",
            {"title": "Only a title"},
            ("event_type", "evidence"),
            method="PUT",
        ),
        write("event-PATCH-evidence-empty", f"/events/{EVENT_ID}/", {"evidence": []}, "evidence", method="PATCH"),
        # Preconditions and conflicts.
        write(
            "event-PATCH-stale-if-match",
            f"/events/{EVENT_ID}/",
            {"title": "x"},
            "If-Match",
            412,
            "PATCH",
            headers={"HTTP_IF_MATCH": '"0000000000000000000000000000000000000000"'},
        ),
        write(
            "event-PATCH-malformed-if-match",
            f"/events/{EVENT_ID}/",
            {"title": "x"},
            "If-Match",
            412,
            "PATCH",
            headers={"HTTP_IF_MATCH": "not-an-etag"},
        ),
        write(
            "actor-PUT-weak-if-match",
            "/actors/armenia/",
            actor_body(slug="armenia"),
            "If-Match",
            412,
            "PUT",
            headers={"HTTP_IF_MATCH": 'W/"abc"'},
        ),
        write(
            "relation-DELETE-stale-if-match",
            f"/relations/{RELATION_ID}/",
            None,
            "If-Match",
            412,
            "DELETE",
            headers={"HTTP_IF_MATCH": '"abc"'},
        ),
        write("actor-DELETE-with-dependents", "/actors/armenia/", None, "dependents", 409, "DELETE", code="conflict"),
        write("source-DELETE-with-dependents", f"/sources/{SOURCE_ID}/", None, "dependents", 409, "DELETE"),
        write("event-type-DELETE-with-dependents", "/event-types/043/", None, "dependents", 409, "DELETE"),
        write("event-PATCH-missing-object", f"/events/{HUGE}/", {"title": "x"}, (), 404, "PATCH", code="not_found"),
        write("actor-DELETE-missing-object", "/actors/no-such-actor/", None, (), 404, "DELETE", code="not_found"),
    ]


def admin(id, path, expect, names=(), method="GET", body=None, detail=()):
    return Case(id, path, tuple(names), (), method, body, who="admin", expect=expect, detail=tuple(detail))


def admin_cases():
    event_form = {
        "title": "New",
        "event_type": "043",
        "status": "draft",
        "date_precision": "",
        "participants-TOTAL_FORMS": "0",
        "participants-INITIAL_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
    }
    return [
        admin("admin-eventtype-change-nul-id", "/admin/facts/eventtype/%00/change/", "nul"),
        admin("admin-event-status-filter-nul", "/admin/facts/event/?status__exact=%00", "nul"),
        admin("admin-event-date-hierarchy-huge-year", "/admin/facts/event/?date_start__year=99999999999", "lookup"),
        admin("admin-event-date-hierarchy-year-9999", "/admin/facts/event/?date_start__year=9999", "lookup"),
        admin(
            "admin-event-date-hierarchy-month-13",
            "/admin/facts/event/?date_start__year=2023&date_start__month=13",
            "lookup",
        ),
        admin("admin-source-date-hierarchy-huge-year", "/admin/facts/source/?published__year=99999999999", "lookup"),
        admin(
            "admin-autocomplete-nul-term",
            "/admin/autocomplete/?term=%00&app_label=facts&model_name=event&field_name=place",
            "nul",
        ),
        admin(
            "admin-autocomplete-unknown-field",
            "/admin/autocomplete/?term=a&app_label=facts&model_name=event&field_name=password",
            "4xx",
        ),
        admin(
            "admin-autocomplete-unknown-model",
            "/admin/autocomplete/?term=a&app_label=facts&model_name=nothing&field_name=place",
            "4xx",
        ),
        admin("admin-event-change-huge-id", f"/admin/facts/event/{HUGE}/change/", "missing"),
        admin("admin-event-change-superscript-id", "/admin/facts/event/%C2%B2/change/", "missing"),
        admin("admin-actor-delete-huge-id", f"/admin/facts/actor/{HUGE}/delete/", "missing"),
        admin("admin-event-history-version-huge", f"/admin/facts/event/{EVENT_ID}/history/{HUGE}/", "missing"),
        admin("admin-event-place-filter-not-an-id", "/admin/facts/event/?place__id__exact=abc", "lookup"),
        admin("admin-event-date-filter-year-99999", "/admin/facts/event/?date_start__gte=99999-01-01", "lookup"),
        admin("admin-event-id-in-garbage", "/admin/facts/event/?id__in=1,abc", "lookup"),
        admin("admin-event-filter-nul-in-name", "/admin/facts/event/?id__exact%00=1", "nul"),
        admin("admin-auth-user-filter-nul", "/admin/auth/user/?username=%00", "nul"),
        admin(
            "admin-axes-date-hierarchy-huge-year", "/admin/axes/accessattempt/?attempt_time__year=99999999999", "lookup"
        ),
        admin(
            "admin-event-action-on-nul-selection",
            "/admin/facts/event/",
            "4xx",
            method="POST",
            body={"action": "delete_selected", "_selected_action": [NUL], "index": "0"},
        ),
        admin(
            "admin-event-action-on-huge-selection",
            "/admin/facts/event/",
            "4xx",
            method="POST",
            body={"action": "delete_selected", "_selected_action": [HUGE], "index": "0"},
        ),
        admin(
            "admin-eventtype-action-on-nul-selection",
            "/admin/facts/eventtype/",
            "4xx",
            method="POST",
            body={"action": "delete_selected", "_selected_action": [NUL], "index": "0"},
        ),
        admin(
            "admin-event-add-nul-event_type",
            "/admin/facts/event/add/",
            "form",
            ("event_type",),
            "POST",
            {**event_form, "event_type": NUL},
        ),
        admin(
            "admin-event-add-huge-place",
            "/admin/facts/event/add/",
            "form",
            ("place",),
            "POST",
            {**event_form, "place": HUGE},
        ),
        admin(
            "admin-event-add-nul-place",
            "/admin/facts/event/add/",
            "form",
            ("place",),
            "POST",
            {**event_form, "place": NUL},
        ),
        admin(
            "admin-event-add-float-parent",
            "/admin/facts/event/add/",
            "form",
            ("parent",),
            "POST",
            {**event_form, "parent": "1.5"},
        ),
        admin(
            "admin-event-add-nul-title",
            "/admin/facts/event/add/",
            "form",
            ("title",),
            "POST",
            {**event_form, "title": f"New{NUL}"},
        ),
        admin(
            "admin-actor-add-nul-slug",
            "/admin/facts/actor/add/",
            "form",
            ("slug",),
            "POST",
            {
                "slug": f"x{NUL}",
                "name": "X",
                "kind": "person",
                "aliases-TOTAL_FORMS": "0",
                "aliases-INITIAL_FORMS": "0",
            },
        ),
        admin(
            "admin-eventtype-change-nul-label",
            "/admin/facts/eventtype/043/change/",
            "form",
            ("label",),
            "POST",
            {"code": "043", "label": f"Host{NUL}"},
        ),
        admin(
            "admin-eventtype-add-code-taken",
            "/admin/facts/eventtype/add/",
            "form",
            ("code",),
            "POST",
            {"code": "043", "label": "Host a visit"},
        ),
        admin("admin-event-add-to-field-not-allowed", "/admin/facts/event/add/?_to_field=password&_popup=1", "4xx"),
        admin("admin-event-changelist-to-field-not-allowed", "/admin/facts/event/?_to_field=title", "4xx"),
        admin(
            "admin-autocomplete-page-huge",
            f"/admin/autocomplete/?term=a&app_label=facts&model_name=event&field_name=place&page={HUGE}",
            "4xx",
        ),
        admin(
            "admin-event-add-management-form-tampered",
            "/admin/facts/event/add/",
            "form",
            (),
            "POST",
            {**event_form, "participants-TOTAL_FORMS": "abc"},
            ("ManagementForm data is missing or has been tampered",),
        ),
        admin(
            "admin-event-add-million-inline-forms",
            "/admin/facts/event/add/",
            "form",
            (),
            "POST",
            {**event_form, "participants-TOTAL_FORMS": "1000000"},
            ("Please submit at most 50 forms.",),
        ),
        admin(
            "admin-event-add-million-evidence-forms",
            "/admin/facts/event/add/",
            "form",
            (),
            "POST",
            {**event_form, "evidence-TOTAL_FORMS": "1000000"},
            ("Please submit at most 50 forms.",),
        ),
        admin(
            "admin-actor-add-million-alias-forms",
            "/admin/facts/actor/add/",
            "form",
            (),
            "POST",
            {
                "slug": "x",
                "name": "X",
                "kind": "person",
                "aliases-TOTAL_FORMS": "1000000",
                "aliases-INITIAL_FORMS": "0",
                "affiliations-TOTAL_FORMS": "1000000",
                "affiliations-INITIAL_FORMS": "0",
            },
            ("Please submit at most 50 forms.",),
        ),
        admin(
            "admin-event-add-yesterday-of-year-one",
            "/admin/facts/event/add/",
            "form",
            ("date_text",),
            "POST",
            {
                **event_form,
                "date_text": "yesterday",
                "evidence-TOTAL_FORMS": "1",
                "evidence-0-source": YEAR_ONE_ID,
                "evidence-0-quote": EDGE_TEXT,
            },
        ),
        admin(
            "admin-event-add-inline-nul-actor",
            "/admin/facts/event/add/",
            "form",
            (),
            "POST",
            {
                **event_form,
                "participants-TOTAL_FORMS": "1",
                "participants-0-actor": NUL,
                "participants-0-role": "party",
            },
            ('id="id_participants-0-actor_error"', "Null characters are not allowed."),
        ),
        admin(
            "admin-place-add-latitude-huge",
            "/admin/facts/place/add/",
            "form",
            ("latitude",),
            "POST",
            {"slug": "x", "name": "X", "kind": "city", "latitude": "1e300", "longitude": "0"},
        ),
        admin(
            "admin-event-add-date-year-99999",
            "/admin/facts/event/add/",
            "form",
            ("date_start",),
            "POST",
            {**event_form, "date_start": "99999-01-01"},
        ),
        # Django's lenient pages: a page number that is not one shows the first page (the changelist's does too).
        admin("admin-event-history-page-garbage", f"/admin/facts/event/{EVENT_ID}/history/?p=abc", "page"),
        admin("admin-event-changelist-page-huge", f"/admin/facts/event/?p={HUGE}", "page"),
        admin("admin-event-changelist-sort-garbage", "/admin/facts/event/?o=999.-abc", "page"),
        Case(
            "admin-login-nul-username",
            "/admin/login/",
            ("username",),
            (200,),
            "POST",
            {"username": f"root{NUL}", "password": "x"},
            expect="form",
        ),
    ]


CATALOGUE = updated_since_cases() + cursor_cases() + read_cases() + write_cases() + admin_cases()


def test_the_catalogue_is_big_and_its_ids_unique():
    ids = [case.id for case in CATALOGUE]
    assert len(ids) >= 170
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    for case in CATALOGUE:
        if case.expect == "json" and case.status[0] >= 400:
            assert case.names or case.detail or case.code, f"{case.id} checks nothing about its error"


# --- Sending and checking -----------------------------------------------------------------------------------------


def send(client: Client, case: Case):
    if case.expect != "json" and case.method == "POST":  # the admin takes form posts
        return client.post(case.path, case.body or {}, **case.headers)
    if case.body is None:
        return client.generic(case.method, case.path, **case.headers)
    raw = case.body if isinstance(case.body, (str, bytes)) else json.dumps(case.body)
    return client.generic(case.method, case.path, raw, content_type=case.content_type, **case.headers)


def nested(errors, path: str) -> bool:
    """Whether a (dotted) path names a key of the error's `errors`: "evidence.0.source" walks nested objects."""
    if path in errors:
        return True
    node = errors
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check_json(case: Case, response) -> None:
    assert response.status_code in case.status, (response.status_code, response.content[:600])
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    text = response.content.decode("utf-8")
    body = json.loads(text)
    if response.status_code < 400:
        if case.answered and "results" in body:
            assert body["results"], "an accepted request answered no items"
        return
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} in {text[:600]}"
    assert set(body) == {"status", "code", "detail", "errors"}, body
    assert body["status"] == response.status_code and body["code"] and body["detail"]
    if case.code:
        assert body["code"] == case.code, body
    for name in case.names:
        assert nested(body["errors"], name), f"the error does not name {name!r}: {body}"
    for word in case.detail:
        assert word in body["detail"], f"{word!r} not in {body['detail']!r}"


def check_admin(case: Case, client: Client, response) -> None:
    status = response.status_code
    assert status != 500 and status < 500, (status, response.content[:600])
    if case.expect == "nul":
        assert status == 400, (status, response.content[:300])
        assert response["Content-Type"].startswith("text/plain")
        assert b"NUL" in response.content
    elif case.expect == "lookup":
        # Django's answer to a lookup no row can hold: back to the changelist with ?e=1, its "invalid lookup" page.
        assert status == 302 and response["Location"].endswith("?e=1"), (status, response.get("Location"))
        started = time.perf_counter()
        followed = client.get(response["Location"])
        assert time.perf_counter() - started < TIME_LIMIT
        assert followed.status_code == 200, followed.status_code
    elif case.expect == "missing":
        back_to_index = status == 302 and response["Location"] == "/admin/"
        assert status == 404 or back_to_index, (status, response.get("Location"))
    elif case.expect == "form":
        assert status == 200, (status, response.get("Location"))  # the form again, not a redirect after saving
        form = response.context["adminform"].form if "adminform" in response.context else response.context["form"]
        # The form's own errors, or those of its inline formsets (the admin lists both in `errors`).
        shown = response.context.get("errors")
        assert form.errors or shown, "the page shows no error"
        for name in case.names:
            assert name in form.errors, (name, form.errors)
    elif case.expect == "page":
        assert status == 200, (status, response.get("Location"))
    else:
        assert case.expect == "4xx", case.expect
        assert 400 <= status < 500, (status, response.content[:300])
    content = response.content.decode("utf-8")
    for word in case.detail:
        assert word in content, f"{word!r} not on the page"


@pytest.mark.parametrize("case", CATALOGUE, ids=lambda case: case.id)
def test_hostile_request(case, callers):
    client = client_for(case.who, callers)
    before = fingerprint()
    started = time.perf_counter()
    response = send(client, case)
    elapsed = time.perf_counter() - started
    if case.expect == "json":
        check_json(case, response)
    else:
        check_admin(case, client, response)
    assert elapsed < TIME_LIMIT, f"{case.id} took {elapsed:.2f} s"
    assert fingerprint() == before, "the database changed"
