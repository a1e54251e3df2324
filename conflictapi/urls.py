"""URL configuration: the landing page, the API under /api/v1/, its schema and docs, and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from facts.api import health
from facts.api.changes import ChangesView
from facts.api.views import LandingView, SchemaView

urlpatterns = [
    path("", LandingView.as_view(), name="landing"),
    path("api/", LandingView.as_view(), name="api-landing"),
    path("api/v1/changes/", ChangesView.as_view(), name="changes"),
    path("api/v1/", include("facts.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    # The stock ReDoc page pulls web fonts from a CDN; this template drops them so the docs work offline.
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"), name="redoc"),
    path("admin/", admin.site.urls),
    # Probes for a process manager or load balancer: liveness without the database, readiness with it.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

# Errors under /api/ answer in the API's JSON error shape; the rest of the site keeps Django's HTML pages.
handler400 = "facts.api.errors.bad_request"
handler403 = "facts.api.errors.permission_denied"
handler404 = "facts.api.errors.page_not_found"
handler500 = "facts.api.errors.server_error"
