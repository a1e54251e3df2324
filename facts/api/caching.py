"""HTTP caching of the read API: validators and Cache-Control from the data version, and a response cache in Redis.

Every GET/HEAD of a list or an object (FactsViewSet, the changes feed) goes, after DRF's checks (negotiation,
authentication, permissions, throttles: a cached answer is throttled like any other), through `CachedReadsMixin`:

1. `read_plan()` reads the data version once (facts.versioning, through the database this request reads from) and
   normalises the request: scheme and host (bodies hold absolute URLs), path, query parameters sorted by name, the
   negotiated media type, the viewer class where the answer depends on the user (staff see names in the changes
   feed), and the code release (a deploy can change a representation without changing the data).
2. An If-None-Match naming the version ETag of this request is a 304 before the view runs: the API hands that tag
   out only with a 200 of the same request at the same version, so the request is known to be good. Any other
   condition (If-Modified-Since, `*`) is judged on a known 200: the stored answer, or the view's. A request the
   view would refuse (a bad parameter, a missing object) gets its 4xx, never a 304.
3. The response cache (cache alias "responses": Redis on REDIS_URL under a key prefix of its own) is looked up by
   version stamp + request hash. A write advances the version, so every older entry stops being asked for: nothing
   hunts for keys, and the TTL only frees memory. A hit is the stored body and headers, with its stored ETag (a
   detail's per-object ETag, facts.api.curation.etags, which If-Match compares on writes, else the version ETag).
4. A miss runs the view; a 200 that is not streamed (exports are) and not larger than API_RESPONSE_CACHE_MAX_BYTES
   is stored. The browsable API (HTML, with a CSRF token and the user's name) is left out of all of this.

Every answer then carries ETag (the view's own, else the version ETag), Last-Modified and Cache-Control (max-age and
stale-while-revalidate from settings; `private` when a staff member's answer differs). Last-Modified is sent only
once the version is API_CACHE_SETTLE_SECONDS old: HTTP dates count whole seconds, and a write later in the same
second would otherwise share the date of the answer it made stale. If Redis cannot be reached the view answers from
the database, and a warning is logged once per facts.api.throttling.OUTAGE_BACKOFF seconds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_etags
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.views import APIView

from facts.api.throttling import CACHE_ERRORS, OUTAGE_BACKOFF
from facts.versioning import Version, current_version

logger = logging.getLogger("facts.api.caching")

CACHE_ALIAS = "responses"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Headers computed for each answer (not stored with the body): they depend on the time or the request.
PER_ANSWER_HEADERS = frozenset({"last-modified", "cache-control", "date"})
# The code whose change can change a representation: the app, the settings, the templates, the pinned libraries.
RELEASE_GLOBS = ("facts/**/*.py", "conflictapi/**/*.py", "templates/**/*", "requirements.txt")

_unreachable_until = [0.0]  # time.monotonic() until which the response cache is left alone after a failure


@cache
def release() -> tuple[str, float]:
    """(hash, newest modification time) of the code that shapes the answers, read once per process."""
    digest, newest = hashlib.sha256(), 0.0
    root = Path(settings.BASE_DIR)
    for path in sorted({p for pattern in RELEASE_GLOBS for p in root.glob(pattern) if p.is_file()}):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
        newest = max(newest, path.stat().st_mtime)
    return digest.hexdigest()[:16], newest


@dataclass(frozen=True)
class ReadPlan:
    """How one safe request is cached: its cache key, its version ETag, its validators and cache directives."""

    key: str
    etag: str
    last_modified: int | None  # whole seconds since the epoch, or None while the version is too fresh
    private: bool
    viewer_dependent: bool


def viewer_class(request) -> str:
    """Who the answer is for, where it depends on the user: staff, or everyone else."""
    user = getattr(request, "user", None)
    return "staff" if user is not None and user.is_staff else "public"


def normalised_request(request, *, viewer: str) -> str:
    """What the answer to a safe request depends on, besides the data: one line per part."""
    query = sorted(request.query_params.lists(), key=lambda item: item[0])  # repeated values keep their order
    return "\n".join(
        [
            release()[0],
            request.scheme,
            request.get_host(),
            request.path,
            repr(query),
            str(request.accepted_media_type),
            viewer,
        ]
    )


def read_plan(request, *, viewer_dependent: bool) -> ReadPlan | None:
    """The plan of a cacheable read, or None: not GET/HEAD, the browsable API, or no version row yet."""
    if request.method not in SAFE_METHODS or isinstance(request.accepted_renderer, BrowsableAPIRenderer):
        return None
    version = current_version()
    if version is None:
        return None
    viewer = viewer_class(request) if viewer_dependent else "any"
    digest = hashlib.sha256(normalised_request(request, viewer=viewer).encode()).hexdigest()[:32]
    return ReadPlan(
        key=f"{version.stamp}:{digest}",
        etag=f'W/"{version.stamp.replace("-", "")[:16]}{digest[:24]}"',
        last_modified=settled_time(version),
        private=viewer == "staff",
        viewer_dependent=viewer_dependent,
    )


def settled_time(version: Version) -> int | None:
    """Last-Modified in whole seconds: the later of the version's time and the code release's, once settled."""
    changed = max(version.changed_at.timestamp(), release()[1])
    if time.time() - changed < settings.API_CACHE_SETTLE_SECONDS:
        return None
    return int(changed)


def cache_control(plan: ReadPlan) -> str:
    directives = [
        "private" if plan.private else "",
        f"max-age={settings.API_CACHE_MAX_AGE}",
        f"stale-while-revalidate={settings.API_CACHE_STALE_WHILE_REVALIDATE}",
    ]
    return ", ".join(d for d in directives if d)


def decorate(plan: ReadPlan, response: HttpResponseBase) -> HttpResponseBase:
    """The validators and cache directives of a 200 or 304 answer to `plan`'s request."""
    if response.status_code not in (200, 304):
        return response
    if not response.has_header("ETag"):
        response["ETag"] = plan.etag
    if plan.last_modified is not None:
        response["Last-Modified"] = http_date(plan.last_modified)
    response["Cache-Control"] = cache_control(plan)
    patch_vary_headers(response, ["Accept", *(("Authorization", "Cookie") if plan.viewer_dependent else ())])
    return response


def view_judges(request) -> bool:
    """If-Match and If-Unmodified-Since on a read are the view's to judge (a detail answers a stale If-Match with
    its JSON 412): such a request is answered by the view."""
    return "HTTP_IF_MATCH" in request.META or "HTTP_IF_UNMODIFIED_SINCE" in request.META


def conditional_request(request) -> bool:
    """Whether the request asks for a 304 (If-None-Match, If-Modified-Since)."""
    return "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META


def names_etag(request, etag: str) -> bool:
    """Whether If-None-Match names `etag` itself (weakly compared), not `*`."""
    named = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    return etag.removeprefix("W/") in {tag.removeprefix("W/") for tag in named}


def not_modified(request, plan: ReadPlan, etag: str) -> HttpResponseBase | None:
    """The 304 for a request whose validators match `etag` (or whose date is not older than the version's)."""
    if not conditional_request(request):
        return None
    prototype = HttpResponse(headers={"ETag": etag})
    decorate(plan, prototype)
    answer = get_conditional_response(request, etag=etag, last_modified=plan.last_modified, response=prototype)
    return answer if answer is not None and answer is not prototype and answer.status_code == 304 else None


# --- The response cache ------------------------------------------------------------------------------------------


def _unreachable(error: Exception) -> None:
    _unreachable_until[0] = time.monotonic() + OUTAGE_BACKOFF
    logger.warning(
        "Response cache unreachable (%s: %s); answering from the database for the next %ss.",
        type(error).__name__,
        error,
        OUTAGE_BACKOFF,
    )


def cache_on() -> bool:
    return settings.API_RESPONSE_CACHE and _unreachable_until[0] <= time.monotonic()


def lookup(plan: ReadPlan) -> HttpResponse | None:
    """The stored answer to `plan`'s request at its version, or None (not stored, cache off or unreachable)."""
    if not cache_on():
        return None
    try:
        stored = caches[CACHE_ALIAS].get(plan.key)
    except CACHE_ERRORS as error:
        _unreachable(error)
        return None
    if stored is None:
        return None
    content, headers = stored
    return HttpResponse(content, status=200, headers=dict(headers))


def store(plan: ReadPlan, response: HttpResponseBase) -> None:
    """Keep a rendered 200 for the next identical request at the same version (never a stream, nothing too big)."""
    if response.status_code != 200 or response.streaming or not cache_on() or not isinstance(response, HttpResponse):
        return
    if hasattr(response, "render"):
        response.render()  # a DRF Response renders here instead of after the view: the same bytes
    if len(response.content) > settings.API_RESPONSE_CACHE_MAX_BYTES:
        return
    headers = [(name, value) for name, value in response.items() if name.lower() not in PER_ANSWER_HEADERS]
    try:
        caches[CACHE_ALIAS].set(plan.key, (response.content, headers), timeout=settings.API_RESPONSE_CACHE_TTL)
    except CACHE_ERRORS as error:
        _unreachable(error)


if TYPE_CHECKING:
    _ViewBase = APIView  # what the mixin is combined with
else:
    _ViewBase = object


class CachedReadsMixin(_ViewBase):
    """DRF view mixin: answers GET/HEAD with a 304, a stored response or the view's (then stored), with ETag,
    Last-Modified and Cache-Control. Writes pass through untouched (their triggers advance the version).

    `viewer_dependent`: the answer depends on who asks (staff or not), so that is part of the key and the answer
    is private for staff.
    """

    viewer_dependent = False

    def dispatch(self, request, *args, **kwargs):
        # DRF's APIView.dispatch, with the cache between the checks (`initial`) and the handler.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        plan = None
        try:
            self.initial(request, *args, **kwargs)
            plan = read_plan(request, viewer_dependent=self.viewer_dependent)
            response = self.cached_answer(plan, request) if plan is not None else None
            if response is None:
                response = self.handler(request)(request, *args, **kwargs)
                if plan is not None:
                    response = self.finalize_response(request, response, *args, **kwargs)
                    store(plan, response)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        if plan is None:
            return self.response
        answer = decorate(plan, self.response)
        if answer.status_code == 200 and not view_judges(request):
            # The view's 200 is the known-good answer a remaining If-Modified-Since (or `*`) is judged on.
            return not_modified(request, plan, answer.get("ETag", plan.etag)) or answer
        return answer

    def handler(self, request):
        """The method handler DRF would call for this request."""
        name = request.method.lower()
        if name in self.http_method_names:
            return getattr(self, name, self.http_method_not_allowed)
        return self.http_method_not_allowed

    @staticmethod
    def cached_answer(plan: ReadPlan, request) -> HttpResponseBase | None:
        """A 304 for the version ETag, else the stored answer (or its 304), else None: the view must answer."""
        if view_judges(request):
            return None
        if names_etag(request, plan.etag):
            return not_modified(request, plan, plan.etag)
        stored = lookup(plan)
        if stored is None:
            return None
        return not_modified(request, plan, stored.get("ETag", plan.etag)) or stored
