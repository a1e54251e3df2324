"""The project's URLs plus /bare/: the same queries answered with values() and JsonResponse, for comparison."""

from django.urls import path

from bench import bare
from conflictapi.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("bare/events/", bare.event_list, name="bare-event-list"),
    path("bare/events/<int:pk>/", bare.event_detail, name="bare-event-detail"),
    path("bare/events.csv", bare.event_csv, name="bare-event-csv"),
]
