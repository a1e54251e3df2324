"""Readers of the environment variables the settings come from (conflictapi/settings.py), each refusing, with
ImproperlyConfigured, a value it cannot use."""

import os

from django.core.exceptions import ImproperlyConfigured

# A development key is fine only while DEBUG is on; production must bring its own.
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_seconds(name: str, default: str) -> float:
    """A duration in seconds, 0 for no limit (the database timeouts)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds (0 for no limit).") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be 0 or more seconds.")
    return value


def secret_key_is_strong(key: str) -> bool:
    """Django's own rule for a production key (`check --deploy`, security.W009): at least SECRET_KEY_MIN_LENGTH
    (50) characters, SECRET_KEY_MIN_UNIQUE_CHARACTERS (5) of them different, not starting with the
    `django-insecure-` that startproject writes; and not this project's development key."""
    from django.core.checks.security import base as security

    if hasattr(security, "_check_secret_key"):  # private in Django: the same rule from its constants otherwise
        strong = security._check_secret_key(key)
    else:
        strong = (
            len(set(key)) >= security.SECRET_KEY_MIN_UNIQUE_CHARACTERS
            and len(key) >= security.SECRET_KEY_MIN_LENGTH
            and not key.startswith(security.SECRET_KEY_INSECURE_PREFIX)
        )
    return strong and key != DEV_SECRET_KEY
