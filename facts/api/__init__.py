"""The HTTP layer: URLs, views, filters, pagination, row builders, serializers, renderers, errors, OpenAPI."""
