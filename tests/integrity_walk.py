"""A randomized integrity walk: many curation operations through every write path, then proof that nothing is lost.

The walk loads the article fixtures (`load_article`) and then runs N operations drawn with `random.Random(seed)`:

- the write API (`/api/v1/`, a superuser's token): creates of events, statements (quote, partial, paraphrase),
  relations, actors with aliases, places and sources; PATCH with a fresh If-Match, with a stale or forged one
  (412 expected, nothing may change) and without one; PUT of the read representation with one change; DELETE
  (204 or 409); and invalid writes, which must be refused with a 4xx and change nothing;
- the admin (`/admin/`, the same superuser's session): the change form of events and statements posted with their
  inline formsets (participants, evidence), the form read from the page itself; bulk actions on changelists
  (`mark_reviewed`, `delete_selected` with `post=yes` on evidence spans and actors); single deletes; and history
  reverts through simple-history's pages, to an earlier version of a live object and of a deleted one;
- `manage.py load_article --force`, a few times per walk.

Passages are whole sentences or clauses of the article body; quotes and partial quotes are words that occur in
quotation marks inside their evidence passage.

A mirror replays the changes feed (`/api/v1/changes/`) every `sync_every` operations and at the end: it starts
empty, follows `next` (the first read has no cursor; later reads resume with `since=<last time seen>`, as the README
says, skipping the items already seen at that time), fetches the `url` of every created/updated item and drops
tombstones. A part (participant, evidence span, alias, affiliation) has no endpoint: its item names its owner and
gives the owner's URL, which the mirror fetches, deletions included. After each sync the mirror is compared with
the list endpoints; at the end with every object's detail, field by field.

Equality is on what each object records: its own fields, its parts, and the identity (model and id) of every object
it refers to. What a representation shows of another object (a speaker's name, a source's title, an actor's event
count, a place's children) changes with that other object, whose own change the mirror has: such fields are
counted in the report ("fields showing another object's data"), not compared.

Checks (each one a list of violations in the report; the test asserts every list is empty):

- no_5xx: no response (and no command) failed with a server error;
- expected_status: each write answered what the rules say (an invalid write refused, a stale If-Match 412, ...);
- refused_writes_change_nothing: every refused write (4xx, or an admin form answered 200) left every table as it was;
- verify_evidence: `manage.py verify_evidence` reports 0 problems;
- fact_has_evidence / span_quote / quote_in_evidence: every event, statement and relation has a span; every span's
  quote is source.text[start:end]; every quote/partial statement's text is inside one of its evidence quotes
  (quotation marks and white space normalised, a trailing comma or full stop may differ). These are also checked
  after every operation, so each violation names the operation that introduced it;
- updated_at: a row the history records as changed has updated_at >= the operation's start, and updated_at never
  goes back (else `updated_since` misses the change);
- revert_fidelity: an admin revert to a version restores the object as it was at that version (fields, parts,
  links);
- put_roundtrip: a PUT of the read representation with one field changed changes exactly that field;
- mirror_equals_db: the replayed mirror holds exactly the objects the API serves, each with the same own fields,
  parts and references.

Run (the test, tests/system/test_integrity_walk.py, reads WALK_OPS, WALK_SEED and WALK_SYNC_EVERY):

    # 500 operations, seed 1
    .venv/bin/python -m pytest tests/system/test_integrity_walk.py -s
    WALK_OPS=5000 WALK_SEED=7 .venv/bin/python -m pytest tests/system/test_integrity_walk.py -s
    # mirror diffs pinned to one operation
    WALK_SYNC_EVERY=1 .venv/bin/python -m pytest tests/system/test_integrity_walk.py -s
    # every violation, as JSON
    WALK_REPORT=/tmp/walk.json .venv/bin/python -m pytest tests/system/test_integrity_walk.py
    # on PostgreSQL: any of these with DATABASE_URL=postgres://postgres@127.0.0.1:5432/conflictapi in front

As a library, inside a test with database access:

    from tests.integrity_walk import Walk, format_report
    report = Walk(seed=7, operations=500).run()
    print(format_report(report))
    assert not report.failing_checks()

DRF's throttle counters live in the cache; the walk clears the cache before each operation and during long reads so
that a long walk is not answered 429.
"""

from __future__ import annotations

import html.parser
import io
import json
import random
import re
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EventType,
    EvidenceSpan,
    Participant,
    Place,
    Relation,
    Source,
    Statement,
)

API = "/api/v1"
ADMIN = "/admin/facts"
FIXTURES = Path(settings.BASE_DIR) / "fixtures"

MODELS = {
    "source": Source,
    "actor": Actor,
    "place": Place,
    "event": Event,
    "statement": Statement,
    "relation": Relation,
}
MIRRORED = tuple(MODELS)
PATHS = {
    "source": "sources",
    "actor": "actors",
    "place": "places",
    "event": "events",
    "statement": "statements",
    "relation": "relations",
}
SLUGGED = {"actor", "place"}
FACTS = ("event", "statement", "relation")
PART_MODELS = {
    "participant": Participant,
    "evidencespan": EvidenceSpan,
    "actoralias": ActorAlias,
    "affiliation": Affiliation,
}
# Detail fields that show other objects (reverse relations, counts): the feed does not list a change of them.
DERIVED_FIELDS = {
    "actor": {"affiliations", "members", "event_count", "statement_count"},
    "place": {"ancestors", "children"},
    "event": {"statements", "children"},
}
# Inside a nested reference, these keys are another object's data (its name), not the reference itself.
REFERENCE_DATA_KEYS = {"name", "title", "kind", "label"}

ROLES = ["initiator", "target", "host", "guest", "mediator", "party", "attendee", "observer"]
ALIAS_KINDS = ["name", "spelling", "surname", "metonym", "description", "adjective", "abbreviation"]
WALK_ALIAS = {"name": "made up by the integrity walk"}  # an alias no source uses is marked external
RELATION_TYPES = [
    "ally_of",
    "at_war_with",
    "rival_of",
    "ceasefire_with",
    "mediator_for",
    "supports",
    "negotiating_with",
]
STATUSES = ["draft", "reviewed", "verified"]
ACTOR_KINDS = ["person", "organization", "group", "unnamed", "state"]
PLACE_KINDS = ["region", "country", "enclave", "city", "corridor", "border", "facility", "venue"]
COUNTRY_CODES = ["AM", "AZ", "US", "FR", "RU", "TR", "DE", "UA"]
DATE_TEXTS = [
    "On Sunday",
    "Monday",
    "last week",
    "this week",
    "On Saturday",
    "in 2020",
    "November last year",
    "February",
    "",
]
CHANNELS = [
    "",
    "at a press briefing",
    "according to a State Department statement",
    "in a news conference",
    "speaking on grounds of anonymity",
]
PARAPHRASE_LEADS = ["The speaker said that", "According to the article,", "It was reported that"]
AMBIGUOUS_CANDIDATES = [
    "the two sides",
    "Lachin corridor",
    "Colonna said",
    "the official said",
    "Yerevan",
    "checkpoint",
]
NOT_IN_ARTICLE = "Words that the article never says about the talks"

QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'", "`": "'"})


# --- Text helpers ------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Quotation marks made straight and white space collapsed."""
    return " ".join((text or "").translate(QUOTE_MARKS).split())


def quote_in_evidence(text: str, quotes: list[str]) -> bool:
    """Whether a quoted statement's words occur inside one of its evidence passages (see the module docstring)."""
    words = normalise(text).strip()
    words = words.strip("\"'").rstrip(".,").strip("\"'").rstrip(".,").strip()
    if not words:
        return False
    return any(words in normalise(quote) for quote in quotes)


def straighten(passage: str) -> str:
    """A passage as a curator might paste it: straight quotation marks and apostrophes."""
    return passage.translate(QUOTE_MARKS)


def shorten(value, limit: int = 300):
    """A request body for the report: long strings (a source text) cut."""
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + f"… ({len(value)} chars)"
    if isinstance(value, dict):
        return {k: shorten(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shorten(v, limit) for v in value]
    return value


def describe_exception() -> str:
    """The exception being handled: its type and message, then the innermost frames (where it was raised)."""
    import sys

    kind, exc, tb = sys.exc_info()
    frames = traceback.extract_tb(tb)[-5:]
    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    cause = f" (caused by {type(exc.__cause__).__name__}: {str(exc.__cause__)[:300]})" if exc.__cause__ else ""
    return f"{kind.__name__}: {str(exc)[:600]}{cause} at {where}"


def jsonable(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


# --- The article -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    inner: str  # the words inside the quotation marks
    marked: str  # the words with their marks
    sentence: str  # the sentence that holds them

    @property
    def full(self) -> bool:
        """A quote that opens its sentence (a direct quote) rather than words quoted inside one (a partial quote)."""
        return self.sentence.startswith(self.marked)


class Article:
    """The article body cut into realistic passages: sentences and clauses that occur exactly once, and quotes."""

    def __init__(self, text: str):
        self.text = text
        body = text[: text.index("Related Articles")] if "Related Articles" in text else text
        units = []
        for paragraph in re.split(r"\n\s*\n", body):
            paragraph = paragraph.strip()
            if paragraph:
                # A sentence ends with . ! or ? (optionally inside a closing quotation mark), not with ,”
                parts = re.split(r"(?<=[.!?])\s+(?=[A-Z“])|(?<=[.!?]”)\s+(?=[A-Z“])", paragraph)
                units.extend(part.strip() for part in parts if part.strip())
        self.sentences = [s for s in units if text.count(s) == 1]
        clauses = []
        for sentence in units:
            # Commas outside quotation marks cut a sentence into clauses.
            for clause in re.split(r",\s+(?![^“”]*”)", sentence):
                clause = clause.strip()
                if len(clause) >= 20 and len(clause.split()) >= 4 and clause not in clauses and clause not in units:
                    clauses.append(clause)
        self.clauses = [c for c in clauses if text.count(c) == 1]
        self.passages = self.sentences + self.clauses
        self.quotes = []
        for match in re.finditer(r"“([^”]+)”", body):
            sentence = next(s for s in units if match.group(0) in s)
            self.quotes.append(Quote(match.group(1), match.group(0), sentence))
        self.full_quotes = [q for q in self.quotes if q.full]
        self.long_quotes = [q for q in self.quotes if len(q.inner.split()) >= 8]
        self.ambiguous = [p for p in AMBIGUOUS_CANDIDATES if text.count(p) > 1]


# --- HTML forms --------------------------------------------------------------------------------------------------


class FormParser(html.parser.HTMLParser):
    """Every <form> of a page with the name/value pairs a browser would submit (submit buttons left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = self._select = self._option = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            name = a.get("name")
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.append((name, a.get("value") or "on"))
                return
            fields.append((name, a.get("value") or ""))
        elif tag == "select":
            self._select = {"name": a.get("name"), "multiple": "multiple" in a, "selected": [], "first": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea":
            self._textarea = {"name": a.get("name"), "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None and self._select is not None:
            value = self._option["value"] if self._option["value"] is not None else self._option["text"].strip()
            if self._select["first"] is None:
                self._select["first"] = value
            if self._option["selected"]:
                self._select["selected"].append(value)
            self._option = None
        elif tag == "select" and self._select is not None:
            select, self._select = self._select, None
            if self._form is None or not select["name"]:
                return
            values = select["selected"] or ([] if select["multiple"] or select["first"] is None else [select["first"]])
            self._form["fields"].extend((select["name"], v) for v in values)
        elif tag == "textarea" and self._textarea is not None:
            area, self._textarea = self._textarea, None
            text = area["text"]
            # HTML drops one newline right after <textarea>; Django writes one there.
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            if self._form is not None and area["name"]:
                self._form["fields"].append((area["name"], text))
        elif tag == "form":
            self._form = None


class FormData:
    """An ordered multi-valued form, as read from a page and then edited."""

    def __init__(self, pairs):
        self.pairs = [[n, v] for n, v in pairs if "__prefix__" not in n]

    def get(self, name, default=None):
        return next((v for n, v in self.pairs if n == name), default)

    def getlist(self, name):
        return [v for n, v in self.pairs if n == name]

    def set(self, name, value):
        self.pairs = [p for p in self.pairs if p[0] != name]
        for v in value if isinstance(value, list) else [value]:
            self.pairs.append([name, str(v)])

    def to_post(self) -> dict:
        data: dict = {}
        for n, v in self.pairs:
            if n in data:
                data[n] = (data[n] if isinstance(data[n], list) else [data[n]]) + [v]
            else:
                data[n] = v
        return data

    # Inline formsets

    def counts(self, prefix) -> tuple[int, int]:
        return int(self.get(f"{prefix}-TOTAL_FORMS", "0")), int(self.get(f"{prefix}-INITIAL_FORMS", "0"))

    def free_row(self, prefix, parent_field, parent_pk) -> int:
        """The index of an empty extra row of the formset, adding one when there is none."""
        total, initial = self.counts(prefix)
        for index in range(initial, total):
            return index
        self.set(f"{prefix}-TOTAL_FORMS", total + 1)
        self.set(f"{prefix}-{total}-id", "")
        self.set(f"{prefix}-{total}-{parent_field}", parent_pk)
        return total


def admin_form(page: str) -> FormData | None:
    """The page's main form: the one with the most fields, not the logout form."""
    parser = FormParser()
    parser.feed(page)
    forms = [f for f in parser.forms if f["attrs"].get("id") != "logout-form"]
    if not forms:
        return None
    return FormData(max(forms, key=lambda f: len(f["fields"]))["fields"])


# --- Recorded responses and the report ---------------------------------------------------------------------------


@dataclass
class Resp:
    status: int
    data: object = None
    text: str = ""
    headers: dict = field(default_factory=dict)
    error: str = ""


class _Rollback(Exception):
    pass


@dataclass
class OpLog:
    index: int
    kind: str
    detail: str = ""
    requests: list = field(default_factory=list)
    targets: list = field(default_factory=list)

    def summary(self) -> dict:
        return {
            "op": self.index,
            "kind": self.kind,
            "detail": self.detail,
            "requests": [r for r in self.requests if r.get("write")] or self.requests[-1:],
        }


CHECK_ORDER = [
    "no_5xx",
    "expected_status",
    "refused_writes_change_nothing",
    "verify_evidence",
    "fact_has_evidence",
    "span_quote",
    "quote_in_evidence",
    "updated_at",
    "revert_fidelity",
    "put_roundtrip",
    "mirror_equals_db",
    "walk_errors",
]


@dataclass
class Report:
    seed: int
    operations: int
    sync_every: int
    vendor: str
    elapsed: float = 0.0
    op_counts: Counter = field(default_factory=Counter)
    status_counts: dict = field(default_factory=lambda: defaultdict(Counter))
    checks: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def failing_checks(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.checks.items() if items}


def _fmt(value, limit=400) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def format_report(report: Report, examples: int = 6) -> str:
    lines = [
        f"Integrity walk: seed {report.seed}, {report.operations} operations, mirror sync every "
        f"{report.sync_every}, database {report.vendor}, {report.elapsed:.1f} s"
    ]
    lines.append(f"Operations run: {sum(report.op_counts.values())}")
    for kind, n in sorted(report.op_counts.items()):
        statuses = ", ".join(f"{s}: {c}" for s, c in sorted(report.status_counts.get(kind, {}).items(), key=str))
        lines.append(f"  {kind:34} {n:5}   writes by status: {statuses or '-'}")
    reads = report.status_counts.get("(reads)", {})
    lines.append(
        f"  {'(reads: prep, mirror, comparison)':34} {sum(reads.values()):5}   by status: "
        + ", ".join(f"{s}: {c}" for s, c in sorted(reads.items(), key=str))
    )
    lines.append("Rules checked:")
    for name in CHECK_ORDER:
        items = report.checks.get(name, [])
        lines.append(f"  {'FAIL' if items else 'PASS'} {name}" + (f": {len(items)} violation(s)" if items else ""))
        for item in items[:examples]:
            lines.append("      - " + _fmt(item, 1200))
        if len(items) > examples:
            lines.append(f"      ... and {len(items) - examples} more")
    lines.append("Diagnostics:")
    for name, value in report.diagnostics.items():
        lines.append(f"  {name}: {_fmt(value, 2500)}")
    return "\n".join(lines)


# --- The walk ----------------------------------------------------------------------------------------------------


class Walk:
    """One randomized walk; `run()` returns a Report. Needs database access (a django_db test)."""

    def __init__(self, seed: int = 1, operations: int = 500, sync_every: int = 25, reloads: int = 3):
        self.seed, self.operations, self.sync_every, self.reloads = seed, operations, sync_every, reloads
        self.rng = random.Random(seed)
        self.report = Report(seed, operations, sync_every, connection.vendor)
        self.created: dict[str, list[int]] = defaultdict(list)
        self.serial = 0
        self.current = OpLog(0, "setup")
        self.failures: list[dict] = []
        self.unexpected: list[dict] = []
        self.refusal_changes: list[dict] = []
        self.updated_at_violations: list[dict] = []
        self.revert_violations: list[dict] = []
        self.put_violations: list[dict] = []
        self.walk_errors: list[dict] = []
        self.introduced: dict[tuple, dict] = {}
        self.snapshots: dict[tuple[str, int], dict] = {}
        self.revert_stats = Counter()
        self.probes: dict[str, int] = {}
        self.mirror = Mirror(self)
        self.op_summaries: dict[int, dict] = {}
        self.tables = [m for m in apps.get_app_config("facts").get_models(include_auto_created=True)]

    # Setup ---------------------------------------------------------------------------------------------------

    def setup(self):
        call_command("load_article", stdout=io.StringIO(), verbosity=0)
        source_row = next(
            r
            for r in json.loads((FIXTURES / "01_sources.json").read_text(encoding="utf-8"))
            if r["model"] == "facts.source"
        )
        self.source_id, self.source_slug = source_row["pk"], source_row["fields"]["slug"]
        user_model = get_user_model()
        self.user = user_model.objects.filter(username="walker").first() or user_model.objects.create_superuser(
            "walker", "walker@example.org", "walk-password"
        )
        self.api = APIClient()
        self.api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=self.user)[0].key}")
        self.admin = Client()
        self.admin.force_login(self.user)
        self.article = Article(Source.objects.get(pk=self.source_id).text)
        self.event_types = sorted(EventType.objects.values_list("code", flat=True))

    # HTTP ----------------------------------------------------------------------------------------------------

    def send(self, who: str, method: str, url: str, body=None, headers=None) -> Resp:
        client = self.api if who == "api" else self.admin
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kwargs = {"headers": headers or {}}
        if body is not None:
            if who == "api":
                kwargs.update(data=json.dumps(body), content_type="application/json")
            else:
                kwargs["data"] = body
        response, error = None, ""
        try:
            with transaction.atomic():
                response = getattr(client, method.lower())(path, **kwargs)
                if response.status_code >= 500:
                    raise _Rollback
                try:
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT 1")
                except DatabaseError as exc:
                    error = f"the request left the database transaction unusable: {exc}"
                    raise _Rollback from exc
        except _Rollback:
            pass
        except Exception:
            error = describe_exception()
        if response is None or error:
            resp = Resp(599 if response is None else max(response.status_code, 500), error=error)
        else:
            resp = Resp(response.status_code, headers=dict(response.headers.items()))
            content = b"".join(response.streaming_content) if response.streaming else response.content
            resp.text = content.decode("utf-8", "replace")
            if response.get("Content-Type", "").startswith("application/json") and resp.text:
                try:
                    resp.data = json.loads(resp.text)
                except ValueError:
                    pass
        if resp.status >= 500:
            self.failures.append(
                {
                    **self.current.summary(),
                    "request": {"who": who, "method": method, "url": url, "body": shorten(body), "headers": headers},
                    "status": resp.status,
                    "error": resp.error or resp.text[:1500],
                }
            )
        return resp

    def read(self, url: str, who: str = "api", expect=(200,), headers=None) -> Resp:
        resp = self.send(who, "GET", url, headers=headers)
        self.report.status_counts["(reads)"][resp.status] += 1
        self.current.requests.append({"method": "GET", "url": url, "status": resp.status})
        if expect and resp.status not in expect and resp.status < 500:
            self.unexpected.append(
                {
                    **self.current.summary(),
                    "request": {"method": "GET", "url": url},
                    "status": resp.status,
                    "expected": sorted(expect),
                    "response": resp.text[:300],
                }
            )
        return resp

    def get_json(self, url: str) -> dict | None:
        resp = self.read(url)
        return resp.data if resp.status == 200 else None

    def write(self, who: str, method: str, url: str, body=None, *, expect, headers=None, why: str = "") -> Resp:
        before = self.fingerprint()
        resp = self.send(who, method, url, body, headers)
        self.report.status_counts[self.current.kind][resp.status] += 1
        request = {
            "write": True,
            "who": who,
            "method": method,
            "url": url,
            "body": shorten(body),
            "headers": headers or {},
            "status": resp.status,
        }
        self.current.requests.append(request)
        if resp.status not in expect and resp.status < 500:
            self.unexpected.append(
                {
                    "op": self.current.index,
                    "kind": self.current.kind,
                    "why": why,
                    "request": request,
                    "expected": sorted(expect),
                    "response": resp.text[:500] if who == "api" else self._admin_errors(resp),
                }
            )
        refused = resp.status >= 400 or (who == "admin" and method == "POST" and resp.status == 200)
        if refused and resp.status < 500:
            after = self.fingerprint()
            if after != before:
                changed = {
                    t: (before.get(t), after.get(t))
                    for t in sorted(set(before) | set(after))
                    if before.get(t) != after.get(t)
                }
                self.refusal_changes.append(
                    {
                        "op": self.current.index,
                        "kind": self.current.kind,
                        "request": request,
                        "tables (count, max pk, max updated_at)": changed,
                    }
                )
        return resp

    @staticmethod
    def _admin_errors(resp: Resp) -> str:
        """The error notes of an admin page, for the report."""
        found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', resp.text, flags=re.S)
        notes = [re.sub(r"<[^>]+>", " ", f) for f in found]
        text = " | ".join(" ".join(n.split()) for n in notes)
        if not text and ("Cannot delete" in resp.text or "following protected related objects" in resp.text):
            text = "admin refused: protected related objects"
        return text[:500] or f"(admin page, {resp.status})"

    # Database views --------------------------------------------------------------------------------------------

    def fingerprint(self) -> dict:
        """Per table of the app (history and link tables included): row count, max primary key, max updated_at.

        One UNION ALL query (a write's refusal is checked against it before and after), timestamps compared as text.
        """
        if not hasattr(self, "_fingerprint_sql"):
            q = connection.ops.quote_name
            parts = []
            for index, model in enumerate(self.tables):
                has_updated = any(f.name == "updated_at" for f in model._meta.concrete_fields)
                updated = f"CAST(MAX({q('updated_at')}) AS VARCHAR(64))" if has_updated else "CAST(NULL AS VARCHAR(64))"
                pk = f"CAST(MAX({q(model._meta.pk.column)}) AS VARCHAR(64))"  # EventType's key is text
                parts.append(f"SELECT {index}, COUNT(*), {pk}, {updated} FROM {q(model._meta.db_table)}")
            self._fingerprint_sql = " UNION ALL ".join(parts)
        with connection.cursor() as cursor:
            cursor.execute(self._fingerprint_sql)
            rows = cursor.fetchall()
        return {self.tables[index]._meta.db_table: (n, pk, updated) for index, n, pk, updated in rows}

    def live_ids(self, name: str) -> list[int]:
        model = MODELS.get(name) or PART_MODELS.get(name)
        rows = model._base_manager.order_by("pk")
        if name == "event":
            rows = rows.filter(merged_into=None)  # a merged event is a tombstone: only its target is there to act on
        return list(rows.values_list("pk", flat=True))

    def slugs(self, name: str) -> list[str]:
        return list(MODELS[name]._base_manager.order_by("pk").values_list("slug", flat=True))

    def pick_object(self, name: str, prefer_created: float = 0.5) -> int | None:
        live = self.live_ids(name)
        if not live:
            return None
        live_set = set(live)
        mine = [pk for pk in self.created[name] if pk in live_set]
        if mine and self.rng.random() < prefer_created:
            return self.rng.choice(mine)
        return self.rng.choice(live)

    def violating(self, name: str, pk: int) -> bool:
        """Whether the object already breaks an evidence rule (reported on its own, with the op that broke it)."""
        return any(key[1:] == (name, pk) for key in self.violations_now)

    def detail_url(self, name: str, pk: int) -> str | None:
        if name in SLUGGED:
            slug = MODELS[name]._base_manager.filter(pk=pk).values_list("slug", flat=True).first()
            return None if slug is None else f"{API}/{PATHS[name]}/{slug}/"
        return f"{API}/{PATHS[name]}/{pk}/"

    def scan_invariants(self) -> dict[tuple, str]:
        """Every current violation of the evidence rules, keyed (check, model, id)."""
        found = {}
        texts = dict(Source.objects.values_list("id", "text"))
        cited = {name: set() for name in FACTS}
        quotes = defaultdict(list)
        for pk, source, start, end, quote, event, statement, relation in EvidenceSpan.objects.values_list(
            "id", "source_id", "start", "end", "quote", "event_id", "statement_id", "relation_id"
        ):
            text = texts.get(source, "")
            if start is None or end is None or not 0 <= start < end <= len(text) or text[start:end] != quote:
                found[("span_quote", "evidencespan", pk)] = (
                    f"span {pk}: quote {quote[:80]!r} but source {source} has "
                    f"{text[start:end][:80] if start is not None and end is not None else None!r} at {start}:{end}"
                )
            for name, fact in (("event", event), ("statement", statement), ("relation", relation)):
                if fact is not None:
                    cited[name].add(fact)
            if statement is not None:
                quotes[statement].append(quote)
        for name in FACTS:
            for pk in self.live_ids(name):
                if pk not in cited[name]:
                    found[("fact_has_evidence", name, pk)] = f"{name} {pk} cites no evidence span"
        for pk, kind, text in Statement.objects.filter(kind__in=["quote", "partial"]).values_list("id", "kind", "text"):
            if not quote_in_evidence(text, quotes.get(pk, [])):
                found[("quote_in_evidence", "statement", pk)] = (
                    f"statement {pk} ({kind}) {text[:120]!r} is in none of its evidence quotes "
                    f"{[q[:120] for q in quotes.get(pk, [])]}"
                )
        return found

    @staticmethod
    def _as_datetime(value) -> datetime:
        """A timestamp from a raw query: PostgreSQL gives datetimes, SQLite the stored (UTC) text."""
        if isinstance(value, datetime):
            return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
        parsed = parse_datetime(value)
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)

    def _union(self, template: str, tables: list[str], params_each=()) -> list[tuple]:
        q = connection.ops.quote_name
        sql = " UNION ALL ".join(template.format(index=i, table=q(t)) for i, t in enumerate(tables))
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params_each) * len(tables))
            return cursor.fetchall()

    def updated_at_map(self) -> dict[tuple[str, int], datetime]:
        """(model, id) -> updated_at of every row of the six mirrored models (one query)."""
        names = list(MODELS)
        rows = self._union("SELECT {index}, id, updated_at FROM {table}", [MODELS[n]._meta.db_table for n in names])
        return {(names[i], pk): self._as_datetime(updated) for i, pk, updated in rows}

    def changed_since(self, started) -> dict[tuple[str, int], tuple[int, datetime]]:
        """(model, id) -> (latest history id, its time) of every create/update recorded since `started`."""
        names = list(MODELS)
        rows = self._union(
            "SELECT {index}, id, history_id, history_date FROM {table} "
            "WHERE history_date >= %s AND history_type <> '-'",
            [MODELS[n].history.model._meta.db_table for n in names],
            [connection.ops.adapt_datetimefield_value(started)],
        )
        out = {}
        for i, pk, history_id, when in sorted(rows, key=lambda r: r[2]):
            out[(names[i], pk)] = (history_id, self._as_datetime(when))
        return out

    def own_state(self, name: str, pk: int) -> dict | None:
        """An object as stored: its own fields, its parts and its links (by id), for revert and round-trip checks."""
        dates = ["date_text", "date_start", "date_end", "date_precision"]
        fields = {
            "source": ["slug", "title", "publisher", "url", "published", "language", "checksum", "external"],
            "actor": ["slug", "name", "kind", "country_code", "description", "external"],
            "place": [
                "slug",
                "name",
                "kind",
                "parent_id",
                "latitude",
                "longitude",
                "coordinates_approximate",
                "country_code",
                "description",
                "external",
            ],
            "event": ["title", "description", "event_type_id", "place_id", "parent_id", *dates, "status"],
            "statement": ["speaker_id", "text", "kind", "channel", "event_id", *dates, "status"],
            "relation": ["subject_id", "object_id", "type", "description", *dates, "status"],
        }[name]
        row = MODELS[name]._base_manager.filter(pk=pk).values(*fields).first()
        if row is None:
            return None
        state = {k: jsonable(v) for k, v in row.items()}
        if name == "actor":
            state["aliases"] = sorted(map(list, ActorAlias.objects.filter(actor_id=pk).values_list("name", "kind")))
        if name == "event":
            state["participants"] = sorted(
                map(list, Participant.objects.filter(event_id=pk).values_list("actor_id", "role"))
            )
        if name == "statement":
            statement = Statement.objects.get(pk=pk)
            for link in ("about_actors", "about_places", "about_events"):
                state[link] = sorted(getattr(statement, link).values_list("pk", flat=True))
        if name in FACTS:
            state["evidence"] = sorted(
                map(
                    list,
                    EvidenceSpan.objects.filter(**{f"{name}_id": pk}).values_list("source_id", "start", "end", "quote"),
                )
            )
        return state

    # The operation loop --------------------------------------------------------------------------------------

    OPERATIONS = [
        # (weight, kind, method name, arguments)
        (7, "api.create", "op_api_create", ()),
        (5, "api.create_invalid", "op_api_create_invalid", ()),
        (7, "api.patch_fresh_if_match", "op_api_patch", ("fresh",)),
        (4, "api.patch_stale_if_match", "op_api_patch", ("stale",)),
        (2, "api.patch_forged_if_match", "op_api_patch", ("forged",)),
        (4, "api.patch_without_if_match", "op_api_patch", ("none",)),
        (4, "api.put", "op_api_put", ()),
        (5, "api.delete", "op_api_delete", ()),
        (3, "api.merge", "op_api_merge", ()),
        (6, "admin.change_event", "op_admin_change", ("event",)),
        (6, "admin.change_statement", "op_admin_change", ("statement",)),
        (3, "admin.action_mark_reviewed", "op_admin_mark_reviewed", ()),
        (3, "admin.action_delete_spans", "op_admin_delete_spans", ()),
        (2, "admin.action_delete_actors", "op_admin_delete_actors", ()),
        (3, "admin.delete", "op_admin_delete", ()),
        (4, "admin.revert_live", "op_admin_revert_live", ()),
        (3, "admin.revert_deleted", "op_admin_revert_deleted", ()),
    ]

    def run(self) -> Report:
        started_at = time.monotonic()
        self.setup()
        self.probe_admin_pages()
        for (name, pk), (history_id, _) in self.changed_since(datetime(1970, 1, 1, tzinfo=UTC)).items():
            state = self.own_state(name, pk)
            if state is not None:
                self.snapshots[(name, history_id)] = state
        self.violations_now = self.scan_invariants()
        for key, detail in self.violations_now.items():
            self.introduced[key] = {"op": 0, "kind": "initial load_article (fixtures)", "detail": detail}
        self.updated_before = self.updated_at_map()
        self.mirror.sync(after_op=0)
        reload_at = {max(1, round(self.operations * (k + 1) / (self.reloads + 1))) for k in range(self.reloads)}
        weights = [w for w, *_ in self.OPERATIONS]
        for index in range(1, self.operations + 1):
            cache.clear()
            if index in reload_at:
                kind, method, args = "command.load_article_force", "op_reload", ()
            else:
                _, kind, method, args = self.rng.choices(self.OPERATIONS, weights=weights)[0]
            self.current = OpLog(index, kind)
            self.report.op_counts[kind] += 1
            self.serial += 1
            op_started = timezone.now()
            try:
                # A savepoint per operation: should anything in it break the transaction (PostgreSQL then refuses
                # every further query), only this operation is undone, and it is reported.
                with transaction.atomic():
                    getattr(self, method)(*args)
            except Exception:
                self.walk_errors.append({**self.current.summary(), "error": describe_exception()})
            self.after_op(op_started)
            self.op_summaries[index] = self.current.summary()
            if index % self.sync_every == 0:
                self.mirror.sync(after_op=index)
        if self.operations % self.sync_every:
            self.mirror.sync(after_op=self.operations)
        self.final_checks()
        self.report.elapsed = time.monotonic() - started_at
        return self.report

    def after_op(self, started):
        found = self.scan_invariants()
        for key, detail in found.items():
            if key not in self.violations_now:
                self.introduced[key] = {**self.current.summary(), "detail": detail}
        self.violations_now = found
        after = self.updated_at_map()
        went_back, stale = [], []
        for key, updated in sorted(after.items()):
            old = self.updated_before.get(key)
            if old is not None and updated < old:
                went_back.append(f"{key[0]} {key[1]}: {old.isoformat()} -> {updated.isoformat()}")
        changed = self.changed_since(started)
        for key, (history_id, when) in sorted(changed.items()):
            updated = after.get(key)
            if updated is not None and updated < started:
                stale.append(f"{key[0]} {key[1]}: changed at {when.isoformat()}, updated_at {updated.isoformat()}")
            state = self.own_state(*key)
            if state is not None:
                self.snapshots[(key[0], history_id)] = state
        for problem, rows in (
            ("updated_at went back", went_back),
            ("the history records a change but updated_at is older than the operation", stale),
        ):
            if rows:
                self.updated_at_violations.append(
                    {"problem": problem, "rows": len(rows), "examples": rows[:8], **self.current.summary()}
                )
        self.updated_before = after

    # Bodies ----------------------------------------------------------------------------------------------------

    def n(self) -> int:
        self.serial += 1
        return self.serial

    def evidence_item(self, passage: str | None = None) -> dict:
        passage = passage or self.rng.choice(self.article.passages)
        if self.rng.random() < 0.2:
            passage = straighten(passage)  # pasted with straight quotation marks: tolerated, stored exactly
        return {"source": self.rng.choice([self.source_id, self.source_slug]), "quote": passage}

    def sample(self, items, low, high):
        return self.rng.sample(items, k=min(len(items), self.rng.randint(low, high)))

    def event_body(self) -> dict:
        n = self.n()
        body = {
            "title": f"Walk event {n}",
            "event_type": self.rng.choice(self.event_types),
            "date_text": self.rng.choice(DATE_TEXTS),
            "participants": [
                {"actor": slug, "role": self.rng.choice(ROLES)} for slug in self.sample(self.slugs("actor"), 0, 3)
            ],
            "evidence": [self.evidence_item() for _ in range(self.rng.randint(1, 2))],
            "reason": f"walk op {self.current.index}",
        }
        if self.rng.random() < 0.5:
            body["place"] = self.rng.choice(self.slugs("place"))
        if self.rng.random() < 0.3:
            body["description"] = f"Described by walk op {self.current.index}."
        if self.rng.random() < 0.1 and self.live_ids("event"):
            body["parent"] = self.rng.choice(self.live_ids("event"))
        return body

    def statement_words(self, kind: str) -> tuple[str, str]:
        """(text, evidence passage) for a statement of this kind, the text inside the passage for quotes."""
        if kind == "quote":
            quote = self.rng.choice(self.article.full_quotes)
            text = quote.inner if self.rng.random() < 0.3 else quote.inner.rstrip(",.")
            passage = (
                quote.marked
                if self.article.text.count(quote.marked) == 1 and self.rng.random() < 0.4
                else quote.sentence
            )
            return text, passage
        if kind == "partial":
            if self.rng.random() < 0.5:
                quote = self.rng.choice([q for q in self.article.quotes if not q.full] or self.article.quotes)
                return quote.inner.rstrip(",."), quote.sentence
            quote = self.rng.choice(self.article.long_quotes)
            words = quote.inner.rstrip(",.").split()
            size = self.rng.randint(4, min(8, len(words) - 1))
            start = self.rng.randint(0, len(words) - size)
            return " ".join(words[start : start + size]), quote.sentence
        passage = self.rng.choice(self.article.passages)
        clause = normalise(passage).rstrip(".")
        return f"{self.rng.choice(PARAPHRASE_LEADS)} {clause[0].lower()}{clause[1:]}.", passage

    def statement_body(self, kind: str | None = None) -> dict:
        kind = kind or self.rng.choice(["quote", "partial", "paraphrase"])
        text, passage = self.statement_words(kind)
        body = {
            "speaker": self.rng.choice(self.slugs("actor")),
            "kind": kind,
            "text": text,
            "channel": self.rng.choice(CHANNELS),
            "date_text": self.rng.choice(DATE_TEXTS),
            "evidence": [self.evidence_item(passage)],
            "about_actors": self.sample(self.slugs("actor"), 0, 2),
            "about_places": self.sample(self.slugs("place"), 0, 2),
            "about_events": self.sample(self.live_ids("event"), 0, 1),
            "reason": f"walk op {self.current.index}",
        }
        if self.rng.random() < 0.2 and self.live_ids("event"):
            body["event"] = self.rng.choice(self.live_ids("event"))
        return body

    def relation_body(self) -> dict:
        subject, obj = self.rng.sample(self.slugs("actor"), 2)
        return {
            "subject": subject,
            "object": obj,
            "type": self.rng.choice(RELATION_TYPES),
            "description": self.rng.choice(["", f"Stated in walk op {self.current.index}."]),
            "evidence": [self.evidence_item()],
            "reason": f"walk op {self.current.index}",
        }

    def actor_body(self) -> dict:
        n = self.n()
        kind = self.rng.choice(ACTOR_KINDS)
        body = {
            "slug": f"walk-actor-{n}",
            "name": f"Walk Actor {n}",
            "kind": kind,
            # Made up, so cited nowhere: marked external, as an alias no source uses must be.
            "aliases": [
                {"name": f"Walker {n}-{j}", "kind": self.rng.choice(ALIAS_KINDS), "external": WALK_ALIAS}
                for j in range(self.rng.randint(0, 3))
            ],
            "reason": f"walk op {self.current.index}",
        }
        if kind == "state":
            body["country_code"] = self.rng.choice(COUNTRY_CODES)
        if self.rng.random() < 0.3:
            body["description"] = "An actor the walk made up."
        return body

    def place_body(self) -> dict:
        n = self.n()
        kind = self.rng.choice(PLACE_KINDS)
        body = {
            "slug": f"walk-place-{n}",
            "name": f"Walk Place {n}",
            "kind": kind,
            "reason": f"walk op {self.current.index}",
        }
        if self.rng.random() < 0.5:
            body["parent"] = self.rng.choice(self.slugs("place"))
        if self.rng.random() < 0.5:
            body["latitude"] = round(self.rng.uniform(38, 42), 5)
            body["longitude"] = round(self.rng.uniform(44, 48), 5)
        if kind == "country":
            body["country_code"] = self.rng.choice(COUNTRY_CODES)
        return body

    def source_body(self) -> dict:
        n = self.n()
        return {
            "slug": f"walk-source-{n}",
            "title": f"Walk source {n}",
            "published": "2023-05-02",
            "text": f"Walk source {n}: Armenia and Azerbaijan met again, and nothing cites this text yet.",
            "reason": f"walk op {self.current.index}",
        }

    BODIES = {
        "event": "event_body",
        "statement": "statement_body",
        "relation": "relation_body",
        "actor": "actor_body",
        "place": "place_body",
        "source": "source_body",
    }

    def remember_created(self, name: str, resp: Resp):
        if resp.status != 201 or not isinstance(resp.data, dict):
            return
        if name in SLUGGED:
            pk = MODELS[name]._base_manager.filter(slug=resp.data.get("slug")).values_list("pk", flat=True).first()
        else:
            pk = resp.data.get("id")
        if pk is not None:
            self.created[name].append(pk)
            self.current.targets.append((name, pk))

    # API operations --------------------------------------------------------------------------------------------

    def op_api_create(self):
        name = self.rng.choices(
            ["event", "statement", "relation", "actor", "place", "source"], weights=[5, 5, 3, 3, 2, 1]
        )[0]
        body = getattr(self, self.BODIES[name])()
        self.current.detail = f"create {name}"
        resp = self.write("api", "POST", f"{API}/{PATHS[name]}/", body, expect={201}, why=f"a valid {name}")
        self.remember_created(name, resp)

    def op_api_create_invalid(self):
        """A create the rules refuse: 400 and nothing written."""
        cases = {
            "event: passage not in the source": (
                "event",
                lambda b: b.update(evidence=[{"source": self.source_id, "quote": NOT_IN_ARTICLE}]),
            ),
            "event: ambiguous passage without occurrence": (
                "event",
                lambda b: b.update(
                    evidence=[{"source": self.source_id, "quote": self.rng.choice(self.article.ambiguous)}]
                ),
            ),
            "event: no evidence": ("event", lambda b: b.update(evidence=[])),
            "event: unknown actor": (
                "event",
                lambda b: b.update(participants=[{"actor": "nobody-the-walk-knows", "role": "host"}]),
            ),
            "event: one actor twice": (
                "event",
                lambda b: b.update(
                    participants=[
                        {"actor": self.slugs("actor")[0], "role": "host"},
                        {"actor": self.slugs("actor")[0], "role": "guest"},
                    ]
                ),
            ),
            "event: unknown CAMEO code": ("event", lambda b: b.update(event_type="999")),
            "event: unresolvable date": ("event", lambda b: b.update(date_text="at some point or other")),
            "event: unknown field": ("event", lambda b: b.update(pasage="typo")),
            "statement: quote not in its evidence": ("statement", self._quote_elsewhere),
            "statement: partial quote not in its evidence": ("statement", self._partial_elsewhere),
            "statement: blank text": ("statement", lambda b: b.update(text="   ")),
            "relation: actor related to itself": ("relation", lambda b: b.update(object=b["subject"])),
            "actor: state without a country code": ("actor", lambda b: b.update(kind="state", country_code="")),
            "actor: slug taken": ("actor", lambda b: b.update(slug=self.slugs("actor")[0])),
            "actor: alias given twice": (
                "actor",
                lambda b: b.update(aliases=[{"name": "Twice", "kind": "name"}, {"name": "Twice", "kind": "surname"}]),
            ),
            "place: latitude without longitude": (
                "place",
                lambda b: (b.update(latitude=40.0), b.pop("longitude", None)),
            ),
            "place: latitude out of range": ("place", lambda b: b.update(latitude=123.0, longitude=45.0)),
            "source: a second copy of the article": ("source", lambda b: b.update(text=self.article.text)),
        }
        case = self.rng.choice(sorted(cases))
        name, mutate = cases[case]
        body = getattr(self, self.BODIES[name])()
        mutate(body)
        self.current.detail = case
        resp = self.write("api", "POST", f"{API}/{PATHS[name]}/", body, expect={400}, why=case)
        self.remember_created(name, resp)

    def _quote_elsewhere(self, body):
        quote, other = self.rng.sample(self.article.full_quotes, 2)
        body.update(kind="quote", text=quote.inner.rstrip(",."), evidence=[self.evidence_item(other.sentence)])

    def _partial_elsewhere(self, body):
        passage = self.rng.choice(self.article.clauses)
        quote = self.rng.choice(
            [q for q in self.article.quotes if normalise(q.inner.rstrip(",.")) not in normalise(passage)]
        )
        body.update(kind="partial", text=quote.inner.rstrip(",."), evidence=[self.evidence_item(passage)])

    def read_detail(self, name: str, pk: int) -> tuple[str | None, dict | None, str | None]:
        url = self.detail_url(name, pk)
        if url is None:
            return None, None, None
        resp = self.read(url)
        if resp.status != 200:
            return url, None, None
        return url, resp.data, resp.headers.get("ETag")

    def patch_body(self, name: str, current: dict) -> tuple[dict, set, str]:
        """A change to `current` (its read representation): (body, expected statuses, what it is)."""
        n, rng = self.n(), self.rng
        evidence_quotes = [e["quote"] for e in current.get("evidence", [])]
        options: list[tuple[str, dict, set]] = []
        if name == "event":
            options = [
                ("title", {"title": f"Walk title {n}"}, {200}),
                ("status", {"status": rng.choice(STATUSES)}, {200}),
                ("description", {"description": f"Changed by walk op {self.current.index}."}, {200}),
                (
                    "participants replaced",
                    {
                        "participants": [
                            {"actor": s, "role": rng.choice(ROLES)} for s in self.sample(self.slugs("actor"), 0, 3)
                        ]
                    },
                    {200},
                ),
                ("evidence replaced", {"evidence": [self.evidence_item() for _ in range(rng.randint(1, 2))]}, {200}),
                (
                    "date expression",
                    {"date_text": rng.choice([d for d in DATE_TEXTS if d])},
                    {200} if evidence_quotes else {400},
                ),
                ("invalid: evidence emptied", {"evidence": []}, {400}),
                (
                    "invalid: passage not in the source",
                    {"evidence": [{"source": self.source_id, "quote": NOT_IN_ARTICLE}]},
                    {400},
                ),
                ("invalid: blank title", {"title": ""}, {400}),
                (
                    "invalid: dates reversed",
                    {"date_start": "2023-05-02", "date_end": "2023-05-01", "date_precision": "day"},
                    {400},
                ),
            ]
        elif name == "statement":
            in_evidence = quote_in_evidence(current["text"], evidence_quotes)
            text, passage = self.statement_words(current["kind"])
            options = [
                ("channel", {"channel": rng.choice(CHANNELS) + f" (op {self.current.index})"}, {200}),
                ("status", {"status": rng.choice(STATUSES)}, {200}),
                (
                    "about-links replaced",
                    {
                        "about_actors": self.sample(self.slugs("actor"), 0, 2),
                        "about_places": self.sample(self.slugs("place"), 0, 2),
                    },
                    {200},
                ),
                ("text with its evidence", {"text": text, "evidence": [self.evidence_item(passage)]}, {200}),
                ("invalid: evidence emptied", {"evidence": []}, {400}),
            ]
            if current["kind"] in ("quote", "partial"):
                other = self.rng.choice(
                    [q for q in self.article.full_quotes if not quote_in_evidence(q.inner, evidence_quotes)]
                )
                unrelated = self.rng.choice(
                    [p for p in self.article.passages if not quote_in_evidence(current["text"], [p])]
                )
                options += [
                    (
                        "invalid: quote text changed to words not in its evidence",
                        {"text": other.inner.rstrip(",.")},
                        {400},
                    ),
                    (
                        "invalid: evidence replaced by a passage without the quoted words",
                        {"evidence": [self.evidence_item(unrelated)]},
                        {400},
                    ),
                ]
            elif not in_evidence:
                options.append(
                    (
                        "invalid: a paraphrase made a quote while its words are not in its evidence",
                        {"kind": "quote"},
                        {400},
                    )
                )
            else:
                options.append(("paraphrase made a quote (its words are in its evidence)", {"kind": "quote"}, {200}))
        elif name == "relation":
            options = [
                ("description", {"description": f"Changed by walk op {self.current.index}."}, {200}),
                ("type", {"type": rng.choice(RELATION_TYPES)}, {200}),
                ("status", {"status": rng.choice(STATUSES)}, {200}),
                ("evidence replaced", {"evidence": [self.evidence_item()]}, {200}),
                ("invalid: actor related to itself", {"object": current["subject"]["slug"]}, {400}),
            ]
        elif name == "actor":
            options = [
                ("name", {"name": f"Walk Name {n}"}, {200}),
                ("description", {"description": f"Changed by walk op {self.current.index}."}, {200}),
                (
                    "aliases replaced",
                    {
                        "aliases": [
                            {"name": f"Walk alias {n}-{j}", "kind": rng.choice(ALIAS_KINDS), "external": WALK_ALIAS}
                            for j in range(rng.randint(0, 2))
                        ]
                    },
                    {200},
                ),
                ("slug", {"slug": f"walk-renamed-{n}"}, {200}),
                ("invalid: alias given twice", {"aliases": [{"name": "Twice"}, {"name": "Twice"}]}, {400}),
            ]
            if not current.get("country_code"):
                options.append(("invalid: a state without a country code", {"kind": "state"}, {400}))
        elif name == "place":
            options = [
                ("name", {"name": f"Walk Place Name {n}"}, {200}),
                ("description", {"description": f"Changed by walk op {self.current.index}."}, {200}),
                (
                    "coordinates",
                    {"latitude": round(rng.uniform(38, 42), 5), "longitude": round(rng.uniform(44, 48), 5)},
                    {200},
                ),
                ("invalid: its own parent", {"parent": current["slug"]}, {400}),
            ]
            if current.get("longitude") is None:
                options.append(("invalid: latitude without longitude", {"latitude": 40.5}, {400}))
        elif name == "source":
            options = [
                ("title", {"title": f"Walk source title {n}"}, {200}),
                ("publisher", {"publisher": f"Walk Press {n}"}, {200}),
            ]
            if EvidenceSpan.objects.filter(source_id=current["id"]).exists():
                options.append(
                    ("invalid: the text of a cited source", {"text": current.get("text", "") + " More."}, {400})
                )
        what, body, expect = self.rng.choice(options)
        body = {**body, "reason": f"walk op {self.current.index}"}
        return body, expect, what

    def pick_model(self) -> str:
        return self.rng.choices(list(MIRRORED), weights=[1, 3, 2, 4, 4, 2])[0]

    def op_api_patch(self, mode: str):
        name = self.pick_model()
        pk = self.pick_object(name, prefer_created=0.4)
        if pk is None:
            return
        url, current, etag = self.read_detail(name, pk)
        if current is None:
            return
        self.current.targets.append((name, pk))
        body, expect, what = self.patch_body(name, current)
        if self.violating(name, pk):
            # The rules may refuse any write to an object that already breaks them.
            expect, what = expect | {400}, what + " (the object already breaks a rule)"
        self.current.detail = f"PATCH {name} {pk}: {what} ({mode} If-Match)"
        if mode == "fresh":
            self.write("api", "PATCH", url, body, expect=expect, headers={"If-Match": etag}, why=what)
        elif mode == "none":
            self.write("api", "PATCH", url, body, expect=expect, why=what)
        elif mode == "forged":
            self.write(
                "api",
                "PATCH",
                url,
                body,
                expect={412},
                headers={"If-Match": '"0123456789abcdef"'},
                why="a forged If-Match must be refused",
            )
        else:
            n = self.n()
            first = {"source": {"publisher": f"Walk Press {n}"}, "statement": {"channel": f"op {n}"}}.get(
                name, {"description": f"First of two writes, op {self.current.index}"}
            )
            r1 = self.write(
                "api",
                "PATCH",
                url,
                first,
                expect={200, 400} if self.violating(name, pk) else {200},
                headers={"If-Match": etag},
                why="the first of two writes from the same read",
            )
            if r1.status != 200:
                return
            url = self.detail_url(name, pk)
            if self.rng.random() < 0.2:
                r2 = self.write(
                    "api",
                    "DELETE",
                    url,
                    None,
                    expect={412},
                    headers={"If-Match": etag},
                    why="a DELETE with the ETag of an older version",
                )
            else:
                r2 = self.write(
                    "api",
                    "PATCH",
                    url,
                    body,
                    expect={412},
                    headers={"If-Match": etag},
                    why="a PATCH with the ETag of an older version",
                )
            if r2.status == 412:
                after = self.read(url)
                if after.status != 200 or after.data != r1.data:
                    self.refusal_changes.append(
                        {
                            "op": self.current.index,
                            "kind": self.current.kind,
                            "request": self.current.requests[-2],
                            "problem": "the object changed although the write was refused with 412",
                            "before": shorten(r1.data),
                            "after": shorten(after.data),
                        }
                    )

    def write_body(self, name: str, r: dict) -> dict:
        """The write body that says exactly what the read representation `r` shows."""
        dates = {k: r.get(k) for k in ("date_text", "date_start", "date_end", "date_precision")}
        evidence = [
            {"source": e["source"]["id"], "quote": e["quote"], "start": e["start"], "end": e["end"]}
            for e in r.get("evidence", [])
        ]
        if name == "event":
            return {
                "title": r["title"],
                "description": r["description"],
                "event_type": r["type"]["code"],
                "place": r["place"]["slug"] if r["place"] else None,
                "parent": r["parent"]["id"] if r["parent"] else None,
                **dates,
                "status": r["status"],
                "participants": [{"actor": p["slug"], "role": p["role"]} for p in r["participants"]],
                "evidence": evidence,
            }
        if name == "statement":
            return {
                "speaker": r["speaker"]["slug"],
                "text": r["text"],
                "kind": r["kind"],
                "channel": r["channel"],
                "event": r["event"]["id"] if r["event"] else None,
                "about_actors": [a["slug"] for a in r["about_actors"]],
                "about_places": [p["slug"] for p in r["about_places"]],
                "about_events": [e["id"] for e in r["about_events"]],
                **dates,
                "status": r["status"],
                "evidence": evidence,
            }
        if name == "relation":
            return {
                "subject": r["subject"]["slug"],
                "object": r["object"]["slug"],
                "type": r["type"],
                "description": r["description"],
                **dates,
                "status": r["status"],
                "evidence": evidence,
            }
        if name == "actor":
            return {
                "slug": r["slug"],
                "name": r["name"],
                "kind": r["kind"],
                "country_code": r["country_code"],
                "description": r["description"],
                "external": r["external"],
                "aliases": [{"name": a["name"], "kind": a["kind"]} for a in r["aliases"]],
            }
        if name == "place":
            return {
                "slug": r["slug"],
                "name": r["name"],
                "kind": r["kind"],
                "parent": r["parent"]["slug"] if r["parent"] else None,
                "latitude": r["latitude"],
                "longitude": r["longitude"],
                "coordinates_approximate": r["coordinates_approximate"],
                "country_code": r["country_code"],
                "description": r["description"],
                "external": r["external"],
            }
        return {
            "slug": r["slug"],
            "title": r["title"],
            "publisher": r["publisher"],
            "url": r["source_url"] or "",
            "published": r["published"],
            "language": r["language"],
            "text": r["text"],
            "external": r["external"],
        }

    def op_api_put(self):
        name = self.pick_model()
        pk = self.pick_object(name, prefer_created=0.4)
        if pk is None:
            return
        url, current, etag = self.read_detail(name, pk)
        if current is None:
            return
        self.current.targets.append((name, pk))
        body = self.write_body(name, current)
        field_name = {
            "event": "title",
            "statement": "channel",
            "relation": "description",
            "actor": "name",
            "place": "name",
            "source": "title",
        }[name]
        if self.rng.random() < 0.8:
            body[field_name] = f"Put by walk op {self.current.index}"
        else:
            field_name = None  # the representation as read, unchanged
        body["reason"] = f"walk op {self.current.index}"
        self.current.detail = f"PUT {name} {pk}" + (f" changing {field_name}" if field_name else " unchanged")
        expect, why = {200}, "a PUT of the read representation"
        if name in FACTS and not current.get("evidence"):
            expect, why = {400}, "a PUT of a fact without evidence (an earlier violation) must be refused"
        elif (
            name == "statement"
            and current["kind"] in ("quote", "partial")
            and not quote_in_evidence(current["text"], [e["quote"] for e in current["evidence"]])
        ):
            expect, why = {400}, "a PUT of a quote whose words are not in its evidence (an earlier violation)"
        resp = self.write("api", "PUT", url, body, expect=expect, headers={"If-Match": etag}, why=why)
        if resp.status != 200:
            return
        derived = DERIVED_FIELDS.get(name, set())
        expected = {k: v for k, v in current.items() if k not in derived}
        if field_name:
            expected[field_name] = body[field_name]
        got = {k: v for k, v in (resp.data or {}).items() if k not in derived}
        diff = {
            k: {"expected": shorten(expected.get(k)), "got": shorten(got.get(k))}
            for k in sorted(set(expected) | set(got))
            if expected.get(k) != got.get(k)
        }
        if diff:
            self.put_violations.append({**self.current.summary(), "model": name, "id": pk, "differences": diff})

    def op_api_delete(self):
        name = self.rng.choices(list(MIRRORED), weights=[1, 3, 2, 4, 3, 3])[0]
        pk = self.pick_object(name, prefer_created=0.6)
        if pk is None:
            return
        url, current, etag = self.read_detail(name, pk)
        if current is None:
            return
        self.current.targets.append((name, pk))
        headers = {"X-Change-Reason": f"walk op {self.current.index}"}
        if self.rng.random() < 0.5:
            headers["If-Match"] = etag
        self.current.detail = f"DELETE {name} {pk}"
        self.write("api", "DELETE", url, None, expect={204, 409}, headers=headers, why="a delete")

    def op_api_merge(self):
        """Merge one event into another: often a sound pair, sometimes itself, a stale If-Match or a role clash."""
        live = self.live_ids("event")
        if len(live) < 2:
            return
        pk, into = self.rng.sample(live, 2)
        if self.rng.random() < 0.1:
            into = pk
        url, current, etag = self.read_detail("event", pk)
        if current is None:
            return
        self.current.targets += [("event", pk), ("event", into)]
        headers = {"X-Change-Reason": f"walk op {self.current.index}: merge"}
        mode = self.rng.choice(["fresh", "stale", "none"])
        if mode == "fresh":
            headers["If-Match"] = etag
        elif mode == "stale":
            headers["If-Match"] = '"0000000000000000000000000000000000000000"'
        self.current.detail = f"POST merge event {pk} into {into} (If-Match {mode})"
        expect = {412} if mode == "stale" else {200, 400}
        self.write("api", "POST", f"{url}merge/", {"into": into}, expect=expect, headers=headers, why="a merge")

    # Admin operations ------------------------------------------------------------------------------------------

    def op_admin_change(self, name: str):
        pk = self.pick_object(name, prefer_created=0.4)
        if pk is None:
            return
        url = f"{ADMIN}/{name}/{pk}/change/"
        page = self.read(url, who="admin")
        form = admin_form(page.text) if page.status == 200 else None
        if form is None:
            return
        self.current.targets.append((name, pk))
        total, initial = form.counts("evidence")
        rows = [i for i in range(initial) if form.get(f"evidence-{i}-id")]
        quotes = {i: form.get(f"evidence-{i}-quote", "") for i in rows}
        edits = ["status", "add_evidence", "remove_one_evidence", "remove_all_evidence"]
        if name == "event":
            edits += ["title", "add_participant", "remove_participant"]
        else:
            edits += ["channel", "quote_with_evidence"]
            if form.get("kind") in ("quote", "partial"):
                edits += ["invalid_quote_text"]
            elif not quote_in_evidence(form.get("text", ""), list(quotes.values())):
                edits += ["invalid_paraphrase_made_quote"]
        chosen = self.rng.sample(sorted(edits), k=self.rng.randint(1, 2))
        before_text, before_kind = form.get("text"), form.get("kind")
        expect, removed, added = {302}, set(), []
        notes = []
        for edit in chosen:
            if edit == "status":
                form.set("status", self.rng.choice(STATUSES))
            elif edit == "title":
                form.set("title", f"Admin title {self.n()}")
            elif edit == "channel":
                form.set("channel", f"admin op {self.current.index}")
            elif edit == "add_participant":
                present = {form.get(f"participants-{i}-actor") for i in range(form.counts("participants")[0])}
                free = [a for a in self.live_ids("actor") if str(a) not in present]
                if free:
                    row = form.free_row("participants", "event", pk)
                    form.set(f"participants-{row}-actor", self.rng.choice(free))
                    form.set(f"participants-{row}-role", self.rng.choice(ROLES))
            elif edit == "remove_participant":
                present = [i for i in range(form.counts("participants")[1]) if form.get(f"participants-{i}-id")]
                if present:
                    form.set(f"participants-{self.rng.choice(present)}-DELETE", "on")
            elif edit == "add_evidence":
                # A passage the fact does not cite yet: the same passage twice is refused (one piece of evidence).
                present = {normalise(q) for q in quotes.values()} | {normalise(q) for q in added}
                fresh = [p for p in self.article.passages if normalise(p) not in present]
                if not fresh:
                    continue
                passage = self.rng.choice(fresh)
                row = form.free_row("evidence", name, pk)
                form.set(f"evidence-{row}-source", self.source_id)
                form.set(f"evidence-{row}-quote", passage if self.rng.random() < 0.8 else straighten(passage))
                form.set(f"evidence-{row}-occurrence", "")
                added.append(passage)
            elif edit == "remove_one_evidence" and rows:
                removed.add(self.rng.choice(rows))
            elif edit == "remove_all_evidence" and rows:
                removed.update(rows)
            elif edit == "quote_with_evidence":
                quote = self.rng.choice(self.article.full_quotes)
                form.set("kind", "quote")
                form.set("text", quote.inner.rstrip(",."))
                if normalise(quote.sentence) not in {normalise(q) for q in [*quotes.values(), *added]}:
                    row = form.free_row("evidence", name, pk)
                    form.set(f"evidence-{row}-source", self.source_id)
                    form.set(f"evidence-{row}-quote", quote.sentence)
                    form.set(f"evidence-{row}-occurrence", "")
                    added.append(quote.sentence)
            elif edit == "invalid_quote_text":
                others = [q for q in self.article.full_quotes if not quote_in_evidence(q.inner, list(quotes.values()))]
                if others:
                    form.set("text", self.rng.choice(others).inner.rstrip(",."))
            elif edit == "invalid_paraphrase_made_quote":
                form.set("kind", "quote")
            notes.append(edit)
        for i in removed:
            form.set(f"evidence-{i}-DELETE", "on")
        # What the rules say about the result: a fact keeps a span; a quote stays inside its evidence. A form that
        # breaks a rule must be refused; one that leaves an earlier violation as it was may go either way.
        remaining = [q for i, q in quotes.items() if i not in removed] + added
        if not remaining:
            if quotes:
                expect = {200}
                notes.append("=> no evidence left: must be refused")
            else:
                expect = expect | {200}
                notes.append("(the fact had no evidence before)")
        if (
            name == "statement"
            and form.get("kind") in ("quote", "partial")
            and not quote_in_evidence(form.get("text", ""), remaining)
        ):
            was_fine = before_kind in ("quote", "partial") and quote_in_evidence(before_text, list(quotes.values()))
            touched = (form.get("text"), form.get("kind")) != (before_text, before_kind) or removed or added
            if was_fine or touched:
                expect = {200}
                notes.append("=> quoted words not in the evidence: must be refused")
            else:
                expect = expect | {200}
                notes.append("(the quote was outside its evidence before)")
        if self.violating(name, pk) and expect == {302}:
            expect = {302, 200}
            notes.append("(the fact already breaks a rule)")
        form.set("change_reason", f"walk op {self.current.index}")
        form.set("_save", "Save")
        self.current.detail = f"admin change {name} {pk}: {', '.join(notes)}"
        self.write("admin", "POST", url, form.to_post(), expect=expect, why=", ".join(notes))

    def op_admin_mark_reviewed(self):
        name = self.rng.choice(FACTS)
        ids = self.sample(self.live_ids(name), 1, 4)
        self.current.targets += [(name, pk) for pk in ids]
        self.current.detail = f"admin action mark_reviewed on {name} {ids}"
        self.write(
            "admin",
            "POST",
            f"{ADMIN}/{name}/",
            {
                "action": "mark_reviewed",
                "_selected_action": [str(pk) for pk in ids],
                "index": "0",
                "select_across": "0",
            },
            expect={302},
            why="bulk review",
        )

    def op_admin_delete_spans(self):
        if self.rng.random() < 0.5:
            # Every span of one fact: the fact would be left without evidence.
            name = self.rng.choice(FACTS)
            fact = self.pick_object(name, prefer_created=0.5)
            ids = list(EvidenceSpan.objects.filter(**{f"{name}_id": fact}).order_by("pk").values_list("pk", flat=True))
            self.current.detail = f"admin delete_selected: every span of {name} {fact}: {ids}"
        else:
            ids = self.sample(self.live_ids("evidencespan"), 1, 3)
            self.current.detail = f"admin delete_selected: spans {ids}"
        if not ids:
            return
        self.write(
            "admin",
            "POST",
            f"{ADMIN}/evidencespan/",
            {
                "action": "delete_selected",
                "_selected_action": [str(pk) for pk in ids],
                "post": "yes",
                "index": "0",
                "select_across": "0",
            },
            expect={302, 200},
            why="bulk delete of spans",
        )

    def op_admin_delete_actors(self):
        live = set(self.live_ids("actor"))
        mine = [pk for pk in self.created["actor"] if pk in live]
        pool = mine if mine and self.rng.random() < 0.7 else sorted(live)
        ids = self.sample(pool, 1, 2)
        self.current.targets += [("actor", pk) for pk in ids]
        self.current.detail = f"admin delete_selected: actors {ids}"
        self.write(
            "admin",
            "POST",
            f"{ADMIN}/actor/",
            {
                "action": "delete_selected",
                "_selected_action": [str(pk) for pk in ids],
                "post": "yes",
                "index": "0",
                "select_across": "0",
            },
            expect={302, 200},
            why="bulk delete of actors",
        )

    def op_admin_delete(self):
        name = self.rng.choices(
            ["event", "statement", "relation", "actor", "place", "evidencespan"], weights=[3, 3, 2, 3, 2, 2]
        )[0]
        pk = self.pick_object(name, prefer_created=0.6)
        if pk is None:
            return
        self.current.targets.append((name, pk))
        self.current.detail = f"admin delete {name} {pk}"
        self.write(
            "admin", "POST", f"{ADMIN}/{name}/{pk}/delete/", {"post": "yes"}, expect={302, 200}, why="admin delete"
        )

    def _revert(self, name: str, pk: int, history_id: int, deleted: bool):
        self.current.targets.append((name, pk))
        self.read(f"{ADMIN}/{name}/{pk}/history/", who="admin")
        url = f"{ADMIN}/{name}/{pk}/history/{history_id}/"
        page = self.read(url, who="admin")
        form = admin_form(page.text) if page.status == 200 else None
        if form is None:
            return
        form.set("_save", "Revert")
        form.set("change_reason", f"walk op {self.current.index}: revert")
        expected = self.snapshots.get((name, history_id))
        self.current.detail = f"admin revert of {'deleted ' if deleted else ''}{name} {pk} to history {history_id}" + (
            "" if expected else " (no snapshot of that version)"
        )
        resp = self.write("admin", "POST", url, form.to_post(), expect={302, 200}, why="history revert")
        if resp.status != 302:
            self.revert_stats["refused"] += 1
            return
        self.revert_stats["deleted object" if deleted else "live object"] += 1
        if expected is None:
            self.revert_stats["not compared (no snapshot)"] += 1
            return
        actual = self.own_state(name, pk)
        if actual == expected:
            self.revert_stats["faithful"] += 1
            return
        diff = (
            {
                k: {"version": shorten(expected.get(k)), "after revert": shorten(actual.get(k))}
                for k in sorted(set(expected) | set(actual))
                if expected.get(k) != actual.get(k)
            }
            if actual is not None
            else "the object does not exist after the revert"
        )
        self.revert_violations.append(
            {
                **self.current.summary(),
                "model": name,
                "id": pk,
                "history_id": history_id,
                "deleted_before": deleted,
                "differences": diff,
            }
        )

    REVERTIBLE = ("event", "statement", "relation", "actor", "place")

    def op_admin_revert_live(self):
        name = self.rng.choice(self.REVERTIBLE)
        model = MODELS[name]
        live = set(self.live_ids(name))
        multi = sorted(
            pk
            for pk, n in model.history.values_list("id").annotate(n=Count("history_id")).values_list("id", "n")
            if n >= 2 and pk in live
        )
        if not multi:
            return
        mine = [pk for pk in self.created[name] if pk in multi]
        pk = self.rng.choice(mine) if mine and self.rng.random() < 0.5 else self.rng.choice(multi)
        records = list(
            model.history.filter(id=pk).order_by("history_date", "history_id").values_list("history_id", "history_type")
        )
        older = [h for h, t in records[:-1] if t != "-"]
        if not older:
            return
        known = [h for h in older if (name, h) in self.snapshots]
        history_id = self.rng.choice(known) if known and self.rng.random() < 0.85 else self.rng.choice(older)
        self._revert(name, pk, history_id, deleted=False)

    def op_admin_revert_deleted(self):
        names = list(self.REVERTIBLE)
        self.rng.shuffle(names)
        for name in names:
            model = MODELS[name]
            live = set(self.live_ids(name))
            deleted = sorted(set(model.history.filter(history_type="-").values_list("id", flat=True)) - live)
            if not deleted:
                continue
            pk = self.rng.choice(deleted)
            records = list(
                model.history.filter(id=pk)
                .exclude(history_type="-")
                .order_by("history_date", "history_id")
                .values_list("history_id", flat=True)
            )
            if records:
                self._revert(name, pk, records[-1], deleted=True)
                return
        self.current.detail = "no deleted object to revert yet"

    def op_reload(self):
        out = io.StringIO()
        self.current.detail = "manage.py load_article --force"
        request = {"write": True, "command": "load_article --force"}
        try:
            with transaction.atomic():
                call_command("load_article", "--force", stdout=out, stderr=out, verbosity=0)
            request["status"] = "ok"
        except Exception as exc:
            request["status"] = f"error: {type(exc).__name__}"
            self.failures.append({**self.current.summary(), "request": request, "error": describe_exception()})
        request["output"] = out.getvalue()[-300:]
        self.current.requests.append(request)
        self.report.status_counts[self.current.kind][request["status"]] += 1

    def probe_admin_pages(self):
        """Where the admin lists deleted objects' history, if anywhere (a diagnostic)."""
        for url in (f"{ADMIN}/event/history/", f"{ADMIN}/event/?deleted=1"):
            self.probes[url] = self.send("admin", "GET", url).status

    # Part owners, for the mirror's diagnostic -------------------------------------------------------------------

    def part_owners(self, items: list[dict]) -> dict[tuple[str, int], list[tuple[str, int]]]:
        """(part model, history id) -> the objects with an URL whose representation shows the part."""
        by_model = defaultdict(list)
        for item in items:
            by_model[item["model"]].append(item["history_id"])
        out = {}
        affiliations = {}
        for name, history_ids in by_model.items():
            history = PART_MODELS[name].history.model.objects.filter(history_id__in=history_ids)
            if name == "participant":
                for hid, event in history.values_list("history_id", "event_id"):
                    out[(name, hid)] = [("event", event)]
            elif name == "actoralias":
                for hid, actor in history.values_list("history_id", "actor_id"):
                    out[(name, hid)] = [("actor", actor)]
            elif name == "affiliation":
                for hid, person, org in history.values_list("history_id", "person_id", "organization_id"):
                    out[(name, hid)] = [("actor", person), ("actor", org)]
            else:
                for hid, event, statement, relation, affiliation, alias in history.values_list(
                    "history_id", "event_id", "statement_id", "relation_id", "affiliation_id", "alias_id"
                ):
                    owners = [
                        (n, v)
                        for n, v in (("event", event), ("statement", statement), ("relation", relation))
                        if v is not None
                    ]
                    if alias is not None:
                        # A span of an alias shows in the alias' actor.
                        actor = (
                            ActorAlias.history.filter(id=alias)
                            .order_by("-history_id")
                            .values_list("actor_id", flat=True)
                            .first()
                        )
                        owners += [("actor", actor)] if actor is not None else []
                    if affiliation is not None:
                        if affiliation not in affiliations:
                            affiliations[affiliation] = (
                                Affiliation.history.filter(id=affiliation)
                                .order_by("-history_id")
                                .values_list("person_id", "organization_id")
                                .first()
                            )
                        if affiliations[affiliation]:
                            owners += [("actor", a) for a in affiliations[affiliation]]
                    out[(name, hid)] = owners
        return out

    # Final checks ----------------------------------------------------------------------------------------------

    def final_checks(self):
        self.current = OpLog(self.operations + 1, "final checks")
        checks = self.report.checks
        out = io.StringIO()
        try:
            call_command("verify_evidence", stdout=out)
            exit_status = 0
        except CommandError as exc:
            exit_status, _ = 1, exc
        text = out.getvalue()
        match = re.search(r"(\d+) problem\(s\)", text)
        problems = int(match.group(1)) if match else None
        lines = [line for line in text.splitlines() if line.startswith(("MISMATCH", "MISSING"))]
        checks["verify_evidence"] = (
            []
            if (problems == 0 and exit_status == 0)
            else [
                {
                    "exit_status": exit_status,
                    "problems": problems,
                    "summary": text.strip().splitlines()[-1:],
                    "lines": lines[:25],
                }
            ]
        )
        final = self.scan_invariants()
        for check in ("fact_has_evidence", "span_quote", "quote_in_evidence"):
            checks[check] = [
                {"model": key[1], "id": key[2], "detail": detail, "introduced_by": self.introduced.get(key)}
                for key, detail in sorted(final.items())
                if key[0] == check
            ]
        checks["no_5xx"] = self.failures
        checks["expected_status"] = self.unexpected
        checks["refused_writes_change_nothing"] = self.refusal_changes
        checks["updated_at"] = self.updated_at_violations
        checks["revert_fidelity"] = self.revert_violations
        checks["put_roundtrip"] = self.put_violations
        checks["mirror_equals_db"] = self.mirror.final_compare()
        checks["walk_errors"] = self.walk_errors
        d = self.report.diagnostics
        d["expected_status by cause"] = Counter(
            f"{u['kind']} | {u.get('why') or u.get('request', {}).get('url')} "
            f"| got {u.get('status') or u['request'].get('status')}"
            for u in self.unexpected
        )
        d["mirror"] = self.mirror.summary()
        d["mirror differences by category"] = Counter(x["category"] for x in checks["mirror_equals_db"])
        d["mirror differences by model.field"] = Counter(
            f"{x['model']}.{x['field']}" for x in checks["mirror_equals_db"]
        )
        d["admin pages for deleted objects' history"] = self.probes
        d["reverts"] = dict(self.revert_stats)
        d["objects at the end"] = {name: MODELS[name].objects.count() for name in MIRRORED}
        d["created by the walk (ids)"] = {name: len(ids) for name, ids in sorted(self.created.items())}
        d["violations by check (final state)"] = Counter(key[0] for key in final)


# --- The mirror --------------------------------------------------------------------------------------------------


class Mirror:
    """A client that rebuilds the data set from the changes feed alone."""

    def __init__(self, walk: Walk):
        self.walk = walk
        self.objects: dict[tuple[str, int], dict] = {}
        self.since: str | None = None
        self.boundary: set[tuple[str, int]] = set()
        self.stats = Counter()
        self.orphans = Counter()
        self.orphan_examples: list[dict] = []
        self.orphans_whole_sync = Counter()
        self.first_seen: dict[tuple, dict] = {}
        self.syncs = 0
        self.last_sync_op = 0
        self.shown_elsewhere = Counter()

    def sync(self, after_op: int):
        self.syncs += 1
        cache.clear()
        url = f"{API}/changes/?page_size=1000"
        if self.since:
            url += f"&since={urlquote(self.since)}"
        everything = []
        while url:
            page = self.walk.get_json(url)
            if page is None:
                self.stats["feed page not read"] += 1
                break
            items = [i for i in page["results"] if (i["model"], i["history_id"]) not in self.boundary]
            self.stats["feed items"] += len(items)
            self.process_page(items)
            everything += items
            url = page["next"]
            self.stats["feed pages"] += 1
        if everything:
            last = everything[-1]["time"]
            seen = {(i["model"], i["history_id"]) for i in everything if i["time"] == last}
            self.boundary = (self.boundary | seen) if last == self.since else seen
            self.since = last
            # Parts whose owner changed in none of this sync's pages either.
            owners = {(i["model"], i["id"]) for i in everything}
            parts = [i for i in everything if i["model"] in PART_MODELS]
            for (name, _hid), found in self.walk.part_owners(parts).items():
                if not any(o in owners for o in found):
                    self.orphans_whole_sync[name] += 1
        self.compare_lists(after_op)
        self.last_sync_op = after_op

    def process_page(self, items: list[dict]):
        in_page = {(i["model"], i["id"]) for i in items}
        owners = self.walk.part_owners([i for i in items if i["model"] in PART_MODELS])
        fetched = {}
        for item in items:
            key = (item["model"], item["id"])
            self.stats[f"{item['model']} {item['change']}"] += 1
            if item["model"] in PART_MODELS:
                found = owners.get((item["model"], item["history_id"]), [])
                if not any(o in in_page for o in found):
                    self.orphans[item["model"]] += 1
                    if len(self.orphan_examples) < 12:
                        self.orphan_examples.append(
                            {k: item[k] for k in ("model", "id", "change", "time", "reason")} | {"owners": found}
                        )
                # The feed gives a part's owner and its URL: the owner's representation is what changed.
                owner = item.get("owner")
                if owner and item["url"] and owner["model"] in MODELS:
                    key = (owner["model"], owner["id"])
                    resp = self.walk.read(item["url"])
                    if resp.status == 200:
                        self.objects[key] = resp.data
                        self.stats["owners refetched for a part"] += 1
                continue
            if item["model"] not in MODELS:
                self.stats[f"unknown model {item['model']}"] += 1
                continue
            if item["change"] == "deleted":
                self.objects.pop(key, None)
            elif item["change"] == "merged":
                # The event lives on as its target: the copy goes, the target (whose parts changed) is fetched.
                self.objects.pop(key, None)
                target = item["merged_into"]
                resp = self.walk.read(target["url"]) if target["url"] else None
                if resp is not None and resp.status == 200:
                    self.objects[("event", target["id"])] = resp.data
            elif item["url"]:
                if key not in fetched:
                    resp = self.walk.read(item["url"])
                    fetched[key] = resp.data if resp.status == 200 else None
                    if resp.status != 200:
                        self.stats["url in the feed not readable"] += 1
                if fetched[key] is not None:
                    self.objects[key] = fetched[key]
            else:
                self.stats["changes without url (object gone since)"] += 1

    # Comparison --------------------------------------------------------------------------------------------

    def enumerate(self) -> dict[tuple[str, int], dict]:
        """Every object the list endpoints serve (cursor mode), keyed (model, id)."""
        state = {}
        for name in MIRRORED:
            by_slug = dict(MODELS[name]._base_manager.values_list("slug", "pk")) if name in SLUGGED else None
            url = f"{API}/{PATHS[name]}/?mode=cursor&page_size=500"
            while url:
                page = self.walk.get_json(url)
                if page is None:
                    break
                for item in page["results"]:
                    pk = by_slug.get(item["slug"]) if by_slug is not None else item["id"]
                    state[(name, pk)] = item
                url = page["next"]
        return state

    def slug_ids(self, kind: str) -> dict[str, set[int]]:
        """Every slug an actor or place ever had (history included) -> the ids that had it."""
        cache_ = self.__dict__.setdefault("_slug_ids", {})
        if kind not in cache_:
            model = {"actors": Actor, "places": Place}[kind]
            found = defaultdict(set)
            for slug, pk in list(model.history.values_list("slug", "id")) + list(
                model.objects.values_list("slug", "pk")
            ):
                found[slug].add(pk)
            cache_[kind] = found
        return cache_[kind]

    def identity(self, value, depth=0):
        """A value with every nested reference reduced to the referenced object's identity (model and id): what the
        object says, not what it shows of others (their names, titles, slugs, and the order their names sort in)."""
        if isinstance(value, list):
            return sorted((self.identity(v, depth + 1) for v in value), key=lambda v: json.dumps(v, default=str))
        if isinstance(value, dict):
            out = {
                k: self.identity(v, depth + 1)
                for k, v in value.items()
                if k not in REFERENCE_DATA_KEYS | {"slug", "url"}
            }
            url = value.get("url")
            if depth > 0 and isinstance(url, str) and url.startswith("http"):
                kind, key = urlsplit(url).path.rstrip("/").split("/")[-2:]
                if kind in ("actors", "places"):
                    out["ref"] = [kind, sorted(self.slug_ids(kind).get(key, {key}), key=str)]
                else:
                    out["ref"] = [kind, key]
            return out
        return value

    def category(self, name: str, field_name: str, mirrored, current) -> str:
        if field_name in DERIVED_FIELDS.get(name, ()):
            return "derived (reverse relation or count; no feed item for the owner)"
        if self.identity(mirrored) == self.identity(current):
            return "embedded data of another object (its name, slug or sort order changed; no feed item for this one)"
        return "own field (a change of this object the feed did not announce)"

    def diff(self, db: dict, project: bool) -> list[dict]:
        diffs = []
        for key in sorted(set(db) | set(self.objects), key=lambda k: (k[0], k[1] if k[1] is not None else -1)):
            name, pk = key
            if key not in self.objects:
                diffs.append(
                    {
                        "model": name,
                        "id": pk,
                        "field": "(object)",
                        "mirror": "missing",
                        "db": shorten(db[key], 200),
                        "category": "object missing from the mirror",
                    }
                )
                continue
            if key not in db:
                diffs.append(
                    {
                        "model": name,
                        "id": pk,
                        "field": "(object)",
                        "mirror": shorten(self.objects[key], 200),
                        "db": "missing",
                        "category": "object deleted without a tombstone",
                    }
                )
                continue
            mine, theirs = self.objects[key], db[key]
            fields = set(theirs) if project else set(theirs) | set(mine)
            for f in sorted(fields):
                if mine.get(f) != theirs.get(f):
                    category = self.category(name, f, mine.get(f), theirs.get(f))
                    entry = {
                        "model": name,
                        "id": pk,
                        "field": f,
                        "mirror": shorten(mine.get(f), 200),
                        "db": shorten(theirs.get(f), 200),
                        "category": category,
                    }
                    if category.startswith("own field"):
                        diffs.append(entry)
                    else:
                        # What another object's change shows here (a renamed speaker, a count): the mirror holds
                        # that object's change itself, so it can show it too. Counted, not a loss.
                        self.shown_elsewhere[category] += 1
        return diffs

    def compare_lists(self, after_op: int):
        self.__dict__.pop("_slug_ids", None)
        for d in self.diff(self.enumerate(), project=True):
            sig = (d["model"], d["id"], d["field"])
            pair = json.dumps([d["mirror"], d["db"]], sort_keys=True, default=str)
            seen = self.first_seen.get(sig)
            if seen is None or seen["pair"] != pair:
                window = list(range(self.last_sync_op + 1, after_op + 1))
                where = {
                    "at the sync after op": after_op,
                    "ops since the previous sync": [window[0], window[-1]] if window else [],
                }
                if 0 < len(window) <= 2:
                    where["ops"] = [self.walk.op_summaries.get(i) for i in window]
                self.first_seen[sig] = {"pair": pair, "first": seen["first"] if seen else where, "last": where}

    def final_compare(self) -> list[dict]:
        self.__dict__.pop("_slug_ids", None)
        listed = self.enumerate()
        details = {}
        for name, pk in sorted(listed, key=lambda k: (k[0], k[1] or 0)):
            if len(details) % 200 == 0:
                cache.clear()
            url = self.walk.detail_url(name, pk)
            resp = self.walk.read(url) if url else None
            details[(name, pk)] = resp.data if resp is not None and resp.status == 200 else {"(unreadable)": True}
        self.final_objects = len(details)
        diffs = self.diff(details, project=False)
        for d in diffs:
            seen = self.first_seen.get((d["model"], d["id"], d["field"]))
            if seen is None:
                d["seen"] = "only in the detail representation (not in lists), or first at the end"
            else:
                d["first seen"] = seen["first"]
                if seen["last"] != seen["first"]:
                    d["last changed"] = seen["last"]
        return diffs

    def summary(self) -> dict:
        return {
            "syncs": self.syncs,
            "objects in mirror": len(self.objects),
            "objects in the API at the end": getattr(self, "final_objects", None),
            "feed": dict(sorted(self.stats.items())),
            "part changes with no owner change on the same page": dict(self.orphans),
            "part changes with no owner change in the same sync": dict(self.orphans_whole_sync),
            "examples": self.orphan_examples[:6],
            "differences seen after some sync (list fields)": len(self.first_seen),
            "fields showing another object's data, not compared": dict(self.shown_elsewhere),
        }
