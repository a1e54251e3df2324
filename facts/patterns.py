"""What a slug is, for every place that checks one before the database sees it.

The models' SlugField validates with Django's own slug rule; the API checks the same rule earlier, in URL routes
(`lookup_value_regex`), references by slug and the OpenAPI schema, so that a malformed slug is a 404 or a 400 naming
it, never a lookup PostgreSQL refuses (a NUL character) with an error.
"""

import re

# Django's validate_slug (ASCII letters, digits, hyphens and underscores), unanchored, for URL routes.
SLUG_PATTERN = "[-a-zA-Z0-9_]+"
SLUG_RE = re.compile(SLUG_PATTERN)
# The length of every model's slug.
SLUG_MAX_LENGTH = 120
