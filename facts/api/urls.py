"""Routes of the read API under /api/v1/: one router, one viewset per resource."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from facts.api import views
from facts.api.mentions import MentionViewSet
from facts.api.proposals import CandidateEvidenceDecisionView, ProposeView

router = DefaultRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("places", views.PlaceViewSet, basename="place")
router.register("events", views.EventViewSet, basename="event")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("relations", views.RelationViewSet, basename="relation")
router.register("event-types", views.EventTypeViewSet, basename="event-type")
router.register("mentions", MentionViewSet, basename="mention")

urlpatterns = [
    path("sources/<int:pk>/propose/", ProposeView.as_view(), name="source-propose"),
    path(
        "events/<int:pk>/candidate-evidence/<int:span>/",
        CandidateEvidenceDecisionView.as_view(),
        name="event-candidate-evidence-decision",
    ),
    *router.urls,
]
