"""Who the client is, how often it may call the API, and what a locked-out login answers.

- `client_ip`: the socket address, or behind `TRUSTED_PROXY_COUNT` proxies the address the outermost trusted
  proxy appended to X-Forwarded-For (DRF's NUM_PROXIES rule). Whatever a client writes into the header itself is
  ignored, so a fresh X-Forwarded-For never buys a fresh throttle bucket or a fresh login-failure count.
- `AnonRateThrottle` / `UserRateThrottle`: DRF's, counting in the default cache (Redis when REDIS_URL is set, so
  every gunicorn worker and host shares one count per client). On Redis the sliding log is checked and appended in
  one Lua script, atomically: DRF's own get-then-set lets concurrent requests read the same count and all pass.
  When the cache cannot be reached the request is allowed and a warning logged (at most one per `OUTAGE_BACKOFF`
  seconds and process, which also stops every request from waiting on a dead server): throttling degrades, the
  API keeps answering.
- `lockout_response`: django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE): 429 with Retry-After,
  in the API's JSON error shape under /api/, plain text elsewhere (the admin).
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger("facts.api.throttling")

# What an unreachable or failing cache raises: redis-py's errors, and socket errors from any other backend.
CACHE_ERRORS = (RedisError, OSError)

# Seconds a process leaves the cache alone after it failed, before it tries again.
OUTAGE_BACKOFF = 5.0

# (LOCATION, KEY_PREFIX) of a cache that failed -> time.monotonic() until which it is skipped.
_unreachable_until: dict[tuple[str, str], float] = {}

# KEYS[1]: the client's log (a sorted set of request times). ARGV: now, window (s), limit, a unique member.
# Drops entries older than the window, then either records this request (1) or refuses it (0). Answers
# {allowed, count, the time of the entry whose expiry frees a slot}; times travel as strings (Lua truncates
# numbers in replies).
SLIDING_LOG = """
local key = KEYS[1]
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, count + 1, ''}
end
local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
return {0, count, freeing[2] or ''}
"""


def client_ip(request) -> str | None:
    """The client's address under TRUSTED_PROXY_COUNT; also django-axes' AXES_CLIENT_IP_CALLABLE."""
    return throttling.BaseThrottle().get_ident(request)


def _cache_id(alias: str) -> tuple[str, str]:
    config = settings.CACHES.get(alias, {})
    return str(config.get("LOCATION", "")), str(config.get("KEY_PREFIX", ""))


if TYPE_CHECKING:
    _ThrottleBase = throttling.SimpleRateThrottle  # what the mixin is combined with
else:
    _ThrottleBase = object


class SharedRateThrottleMixin(_ThrottleBase):
    """Atomic on Redis, DRF's algorithm on other caches; an unreachable cache lets the request through."""

    cache_alias = DEFAULT_CACHE_ALIAS
    num_requests: int  # set from the rate by DRF's __init__
    duration: int
    _script = None  # redis-py Script, made once per process; it keeps the SHA for EVALSHA

    @property
    def cache(self):
        # Looked up per request, not bound at import as DRF does, so that settings overrides reach it.
        return caches[self.cache_alias]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        cache_id = _cache_id(self.cache_alias)
        if _unreachable_until.get(cache_id, 0) > time.monotonic():
            return True
        try:
            backend = self.cache
            if isinstance(backend, RedisCache):
                return self._allow_on_redis(backend, request, view)
            self._freeing_at = None
            return super().allow_request(request, view)
        except CACHE_ERRORS as error:
            _unreachable_until[cache_id] = time.monotonic() + OUTAGE_BACKOFF
            logger.warning(
                "Throttle cache unreachable (%s: %s); requests are not throttled for the next %ss.",
                type(error).__name__,
                error,
                OUTAGE_BACKOFF,
            )
            return True

    def _allow_on_redis(self, backend: RedisCache, request, view) -> bool:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        key = backend.make_and_validate_key(self.key)
        client = backend._cache.get_client(key, write=True)  # type: ignore[attr-defined]  # RedisCache's client
        if SharedRateThrottleMixin._script is None:
            SharedRateThrottleMixin._script = client.register_script(SLIDING_LOG)
        self.now = self.timer()
        self.history = []
        member = f"{self.now!r}:{secrets.token_hex(4)}"
        allowed, _count, freeing = SharedRateThrottleMixin._script(
            keys=[key], args=[repr(self.now), self.duration, self.num_requests, member], client=client
        )
        if allowed:
            return True
        self._freeing_at = float(freeing) if freeing else None
        return self.throttle_failure()

    def wait(self):
        freeing_at = getattr(self, "_freeing_at", None)
        if freeing_at is None:
            return super().wait()
        return max(self.duration - (self.now - freeing_at), 0.0)


class AnonRateThrottle(SharedRateThrottleMixin, throttling.AnonRateThrottle):
    """Anonymous clients, per client address (`client_ip`); rate `anon` (THROTTLE_ANON_RATE)."""


class UserRateThrottle(SharedRateThrottleMixin, throttling.UserRateThrottle):
    """Signed-in users per user id, others per address; rate `user` (THROTTLE_USER_RATE)."""


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once a username + address pair has used up its login failures (AXES_LOCKOUT_CALLABLE)."""
    from axes.helpers import get_cool_off

    from facts.api.errors import json_error, wants_json

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else None
    if seconds:
        detail = (
            f"Too many failed logins for this account from this address: try again in "
            f"{max(1, round(seconds / 60))} minutes."
        )
    else:
        detail = "Too many failed logins for this account from this address: ask an administrator to unlock it."
    response: HttpResponse
    if wants_json(request):
        response = json_error(429, "locked_out", detail)
    else:
        response = HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    if seconds:
        # Each refused attempt starts the cool-off again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
        response["Retry-After"] = str(seconds)
    return response
