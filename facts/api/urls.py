"""Routes of the read API under /api/v1/: one router, one viewset per resource."""

from rest_framework.routers import DefaultRouter

from facts.api import views

router = DefaultRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("places", views.PlaceViewSet, basename="place")
router.register("events", views.EventViewSet, basename="event")
router.register("statements", views.StatementViewSet, basename="statement")
router.register("relations", views.RelationViewSet, basename="relation")
router.register("event-types", views.EventTypeViewSet, basename="event-type")

urlpatterns = router.urls
