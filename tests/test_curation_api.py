"""The write machinery over HTTP: permissions (401/403), ETags (304/412), refused deletions (409), nested 400s.

The read API's viewsets are wired for writes separately; here small viewsets defined in this module carry the same
mixins (CurationMixin) and are routed with their own URLconf, so each piece is tested on its own.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient

from facts.changes import ChangesView
from facts.etags import CurationMixin, curation_schema
from facts.models import Actor, Event, EvidenceSpan, Participant, Source
from facts.write_serializers import ActorWriteSerializer, EventWriteSerializer
from tests.conftest import make_actor, make_event_type, make_statement

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
PATEL = "said State Department spokesman Vedant Patel"


class ActorReadSerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Actor
        fields = ["id", "slug", "name", "kind", "country_code", "aliases"]


class EventReadSerializer(serializers.ModelSerializer):
    participants = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "title", "status", "date_text", "date_start", "participants", "evidence"]

    def get_participants(self, event):
        return [f"{p.actor.slug}:{p.role}" for p in event.participants.all()]

    def get_evidence(self, event):
        return [{"source": s.source_id, "start": s.start, "end": s.end} for s in event.evidence.all()]


class SourceReadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "title", "checksum"]


@extend_schema_view(**curation_schema(ActorReadSerializer, ActorWriteSerializer))
class ActorViewSet(CurationMixin, viewsets.ReadOnlyModelViewSet):
    """Actors, writable (test double of the read API's viewset)."""

    queryset = Actor.objects.prefetch_related("aliases").order_by("id")
    serializer_class = ActorReadSerializer
    lookup_field = "slug"


@extend_schema_view(**curation_schema(EventReadSerializer, EventWriteSerializer))
class EventViewSet(CurationMixin, viewsets.ReadOnlyModelViewSet):
    """Events, writable (test double)."""

    queryset = Event.objects.prefetch_related("participants__actor", "evidence").order_by("id")
    serializer_class = EventReadSerializer


class SourceViewSet(CurationMixin, viewsets.ReadOnlyModelViewSet):
    """Sources, writable (test double)."""

    queryset = Source.objects.order_by("id")
    serializer_class = SourceReadSerializer


router = DefaultRouter()
router.register("actors", ActorViewSet, basename="actor")
router.register("events", EventViewSet, basename="event")
router.register("sources", SourceViewSet, basename="source")
urlpatterns = [
    path("api/v1/changes/", ChangesView.as_view(), name="changes"),
    path("api/v1/", include(router.urls)),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def user_with(*codenames, name="curator"):
    user = get_user_model().objects.create_user(name, password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


ACTOR = {"slug": "ilham-aliyev", "name": "Ilham Aliyev", "kind": "person", "aliases": [{"name": "Aliyev"}]}


# --- Permissions ----------------------------------------------------------------------------------------------


def test_anyone_reads():
    make_actor("Armenia", kind="state", slug="armenia")
    assert APIClient().get("/api/v1/actors/").status_code == 200
    assert APIClient().get("/api/v1/actors/armenia/").status_code == 200


def test_anonymous_write_is_401_with_token_challenge():
    response = APIClient().post("/api/v1/actors/", ACTOR, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Actor.objects.exists()


def test_authenticated_without_permission_is_403():
    response = token_client(user_with()).post("/api/v1/actors/", ACTOR, format="json")
    assert response.status_code == 403
    assert not Actor.objects.exists()


def test_each_write_needs_its_own_permission():
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    adder = token_client(user_with("add_actor"))
    assert adder.post("/api/v1/actors/", ACTOR, format="json").status_code == 201
    assert adder.patch("/api/v1/actors/armenia/", {"name": "Republic of Armenia"}, format="json").status_code == 403
    assert adder.delete("/api/v1/actors/armenia/").status_code == 403
    changer = token_client(user_with("change_actor", name="changer"))
    assert changer.patch("/api/v1/actors/armenia/", {"name": "Republic of Armenia"}, format="json").status_code == 200
    deleter = token_client(user_with("delete_actor", name="deleter"))
    assert deleter.delete("/api/v1/actors/armenia/").status_code == 204


def test_create_answers_read_representation_with_location_and_history():
    user = user_with("add_actor")
    response = token_client(user).post("/api/v1/actors/", {**ACTOR, "reason": "Named in the article"}, format="json")
    assert response.status_code == 201
    assert response.json()["aliases"] == ["Aliyev"]
    assert response["Location"].endswith("/api/v1/actors/ilham-aliyev/")
    record = Actor.objects.get(slug="ilham-aliyev").history.get()
    assert (record.history_user, record.history_change_reason) == (user, "Named in the article")


def test_session_writes_need_csrf():
    user = user_with("add_actor")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/actors/", ACTOR, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


# --- Nested validation over HTTP -------------------------------------------------------------------------------


def test_bad_nested_event_is_400_naming_every_field_and_writes_nothing(source):
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    make_event_type()
    client = token_client(user_with("add_event"))
    response = client.post("/api/v1/events/", {
        "title": "Talks", "event_type": "043",
        "participants": [{"actor": "armenia", "role": "party"}, {"actor": "atlantis", "role": "party"}],
        "evidence": [{"source": source.slug, "quote": "words the article never says"}],
    }, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["participants"]["1"]["actor"] == ["Object with slug=atlantis does not exist."]
    assert Event.objects.count() == Participant.objects.count() == EvidenceSpan.objects.count() == 0

    response = client.post("/api/v1/events/", {
        "title": "", "event_type": "043", "participants": [{"actor": "armenia", "role": "party"}],
        "evidence": [{"source": source.pk, "quote": "Armenia"}],
    }, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "title" in errors
    assert "occurs" in errors["evidence"]["0"]["quote"][0]
    assert Event.objects.count() == 0


def test_event_created_from_passages_reads_back(source):
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    make_event_type()
    client = token_client(user_with("add_event"))
    response = client.post("/api/v1/events/", {
        "title": "Talks", "event_type": "043", "date_text": "on Monday",
        "participants": [{"actor": "armenia", "role": "party"}],
        "evidence": [{"source": source.pk, "quote": HOSTED}],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    start = source.text.index(HOSTED)
    assert body["evidence"] == [{"source": source.pk, "start": start, "end": start + len(HOSTED)}]
    assert body["participants"] == ["armenia:party"] and body["status"] == "draft"
    assert body["date_start"] == "2023-05-01"


# --- ETags -----------------------------------------------------------------------------------------------------


def test_detail_has_etag_and_if_none_match_gives_304():
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    client = APIClient()
    first = client.get("/api/v1/actors/armenia/")
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get("/api/v1/actors/armenia/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    Actor.objects.filter(slug="armenia").update(name="Republic of Armenia")
    changed = client.get("/api/v1/actors/armenia/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_etag_changes_when_a_nested_part_changes():
    armenia = make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    etag = APIClient().get("/api/v1/actors/armenia/")["ETag"]
    armenia.aliases.create(name="Yerevan", kind="metonym")
    assert APIClient().get("/api/v1/actors/armenia/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_stale_if_match_is_412_and_changes_nothing():
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    alice = token_client(user_with("change_actor", "delete_actor", name="alice"))
    bob = token_client(user_with("change_actor", name="bob"))
    etag = alice.get("/api/v1/actors/armenia/")["ETag"]

    bobs = bob.patch("/api/v1/actors/armenia/", {"name": "Republic of Armenia"}, format="json", HTTP_IF_MATCH=etag)
    assert bobs.status_code == 200
    assert bobs["ETag"] == APIClient().get("/api/v1/actors/armenia/")["ETag"] != etag

    stale = alice.patch("/api/v1/actors/armenia/", {"name": "Armenia (state)"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert bobs["ETag"] in stale.json()["errors"]["If-Match"][0]
    assert Actor.objects.get(slug="armenia").name == "Republic of Armenia"

    assert alice.delete("/api/v1/actors/armenia/", HTTP_IF_MATCH=etag).status_code == 412
    assert Actor.objects.filter(slug="armenia").exists()

    fresh = alice.patch("/api/v1/actors/armenia/", {"name": "Armenia (state)"}, format="json",
                        HTTP_IF_MATCH=bobs["ETag"])
    assert fresh.status_code == 200


def test_if_match_star_and_absent_header_are_accepted():
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    client = token_client(user_with("change_actor"))
    assert client.patch("/api/v1/actors/armenia/", {"name": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert client.patch("/api/v1/actors/armenia/", {"name": "B"}, format="json").status_code == 200


def test_put_replaces_aliases_and_validates_like_the_model():
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    client = token_client(user_with("change_actor"))
    response = client.put("/api/v1/actors/armenia/", {
        "slug": "armenia", "name": "Armenia", "kind": "state", "country_code": "", "aliases": [{"name": "Yerevan"}],
    }, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["country_code"] == ["A state needs its ISO 3166-1 alpha-2 code."]
    assert not Actor.objects.get(slug="armenia").aliases.exists()


def test_schema_documents_etag_headers_and_answers():
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    detail = schema["paths"]["/api/v1/actors/{slug}/"]
    assert "If-None-Match" in {p["name"] for p in detail["get"]["parameters"]}
    assert "304" in detail["get"]["responses"]
    assert "ETag" in detail["get"]["responses"]["200"]["headers"]
    assert "If-Match" in {p["name"] for p in detail["patch"]["parameters"]}
    assert {"400", "401", "403", "412"} <= set(detail["patch"]["responses"])
    assert {"409", "412"} <= set(detail["delete"]["responses"])
    assert "X-Change-Reason" in {p["name"] for p in detail["delete"]["parameters"]}


# --- Refused deletions -----------------------------------------------------------------------------------------


def test_deleting_an_actor_who_speaks_is_409_naming_the_dependents(source):
    patel = make_actor("Vedant Patel", slug="vedant-patel")
    statement = make_statement(source, PATEL, patel)
    client = token_client(user_with("delete_actor", "delete_source"))
    response = client.delete("/api/v1/actors/vedant-patel/")
    assert response.status_code == 409
    body = response.json()
    assert "Vedant Patel" in body["detail"]
    assert body["errors"]["dependents"] == [{"model": "statement", "field": "speaker", "count": 1,
                                             "ids": [statement.pk]}]
    assert Actor.objects.filter(pk=patel.pk).exists()
    refused = client.delete(f"/api/v1/sources/{source.pk}/")
    assert refused.status_code == 409
    assert refused.json()["errors"]["dependents"][0]["model"] == "evidence span"


def test_deleting_an_event_takes_its_parts_and_records_the_reason(source):
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    make_event_type()
    client = token_client(user_with("add_event", "delete_event"))
    created = client.post("/api/v1/events/", {
        "title": "Talks", "event_type": "043", "participants": [{"actor": "armenia", "role": "party"}],
        "evidence": [{"source": source.pk, "quote": HOSTED}],
    }, format="json").json()
    response = client.delete(f"/api/v1/events/{created['id']}/", HTTP_X_CHANGE_REASON="Entered twice")
    assert response.status_code == 204
    assert not Event.objects.exists() and not Participant.objects.exists() and not EvidenceSpan.objects.exists()
    assert Event.history.get(history_type="-").history_change_reason == "Entered twice"


def test_writes_lock_the_row_before_checking_if_match():
    if not connection.features.has_select_for_update:
        pytest.skip("this database serializes writers itself and has no SELECT ... FOR UPDATE")
    make_actor("Armenia", kind="state", slug="armenia", country_code="AM")
    client = token_client(user_with("change_actor"))
    with CaptureQueriesContext(connection) as queries:
        response = client.patch("/api/v1/actors/armenia/", {"name": "Republic of Armenia"}, format="json")
    assert response.status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, q in enumerate(sql) if "FOR UPDATE" in q)
    first_write = next(i for i, q in enumerate(sql) if q.startswith("UPDATE") or q.startswith("INSERT"))
    assert lock < first_write


def test_overlong_delete_reason_is_400_naming_the_header():
    make_actor("Atlantis", kind="group", slug="atlantis")
    client = token_client(user_with("delete_actor"))
    response = client.delete("/api/v1/actors/atlantis/", HTTP_X_CHANGE_REASON="x" * 101)
    assert response.status_code == 400
    assert "X-Change-Reason" in response.json()["errors"]
    assert Actor.objects.filter(slug="atlantis").exists()
