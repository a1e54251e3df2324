"""Settings for the test suite: the project's one settings module, with a fast password hasher.

Everything else comes from conflictapi.settings and its environment variables, so the tests exercise the real
configuration. Creating users is the tests' most common slow step: PBKDF2's 1,000,000 iterations cost ~0.3 s per
password on this machine, MD5 a few microseconds. Tests that start gunicorn or manage.py in a subprocess drop
DJANGO_SETTINGS_MODULE and run the production settings, hasher included.
"""

from conflictapi.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
