"""The CACHES setting: every cache in Redis when REDIS_URL is set, else each process's memory (settings.py says why).

- "default": throttle counters and read-your-writes pins.
- "responses": the API's stored answers (facts/api/caching.py), under a key prefix of their own and with their TTL.
"""

from typing import Any

REDIS = "django.core.cache.backends.redis.RedisCache"
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def cache_settings(*, redis_url: str, prefix: str, timeout: float, responses_ttl: int) -> dict[str, dict[str, Any]]:
    """CACHES for `redis_url` (empty: local memory), keys under `prefix`, `timeout` seconds to wait for Redis."""
    if redis_url:
        default = {
            "BACKEND": REDIS,
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
        responses = {**default, "KEY_PREFIX": f"{prefix}-responses", "TIMEOUT": responses_ttl}
    else:
        default = {"BACKEND": LOCMEM, "KEY_PREFIX": prefix}
        # Each process's memory: a bounded number of answers (each at most API_RESPONSE_CACHE_MAX_BYTES).
        responses = {
            "BACKEND": LOCMEM,
            "LOCATION": "responses",
            "TIMEOUT": responses_ttl,
            "OPTIONS": {"MAX_ENTRIES": 500},
        }
    return {"default": default, "responses": responses}
