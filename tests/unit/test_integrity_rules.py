"""The integrity rules hold in the data layer, so every path keeps them: the API, plain ORM calls, raw SQL and
QuerySet.update() (database triggers), fixture loads and commands. The admin's paths are in test_integrity_admin.py.

Each test names the path that used to break the rule.
"""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts import services
from facts.models import (
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Source,
    Statement,
    StatementKind,
)
from tests.article_api import FIXTURE_FILES
from tests.conftest import grant_review, make_actor, make_event, make_source, make_statement

pytestmark = pytest.mark.django_db

COLONNA_QUOTE = "We encourage you to resolutely take this path"
COLONNA_PASSAGE = "“We encourage you to resolutely take this path,” Colonna said"
HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("lead", password="pw")


@pytest.fixture
def api(superuser):
    return api_as(superuser)


@pytest.fixture
def colonna(db):
    return make_actor("Catherine Colonna", slug="catherine-colonna")


def statement_body(source, text, kind="quote", passage=COLONNA_PASSAGE, speaker="catherine-colonna"):
    return {"speaker": speaker, "text": text, "kind": kind, "evidence": [{"source": source.pk, "quote": passage}]}


# --- 1. A quote must be words of its evidence --------------------------------------------------------------------


def test_a_direct_quote_the_source_never_contains_is_refused_naming_text(api, source, colonna):
    before = Statement.objects.count()
    response = api.post(
        "/api/v1/statements/", statement_body(source, "We will bomb Paris tomorrow", passage=HOSTED), format="json"
    )
    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"text"}
    assert Statement.objects.count() == before


@pytest.mark.parametrize(
    "text",
    [
        COLONNA_QUOTE,
        f"“{COLONNA_QUOTE}”",  # quotation marks
        f"{COLONNA_QUOTE}.",  # a closing full stop
        '"We encourage  you to resolutely\ntake this path,"',  # straight quotes, white space, a closing comma
    ],
)
def test_a_quote_may_differ_from_its_evidence_only_in_quotation_marks_white_space_and_closing_punctuation(
    api, source, colonna, text
):
    response = api.post("/api/v1/statements/", statement_body(source, text), format="json")
    assert response.status_code == 201, response.content


def test_a_quote_with_other_words_than_its_evidence_is_refused(api, source, colonna):
    response = api.post(
        "/api/v1/statements/", statement_body(source, "We encourage you to take this path"), format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()["errors"]


def test_a_partial_quote_is_held_to_the_same_rule_and_a_paraphrase_is_exempt(api, source, colonna):
    partial = api.post(
        "/api/v1/statements/", statement_body(source, "We will bomb Paris", kind="partial"), format="json"
    )
    assert partial.status_code == 400 and "text" in partial.json()["errors"]
    paraphrase = api.post(
        "/api/v1/statements/", statement_body(source, "France wants free movement", kind="paraphrase"), format="json"
    )
    assert paraphrase.status_code == 201, paraphrase.content


def test_turning_a_paraphrase_into_a_quote_is_checked_against_the_stored_evidence(api, source, colonna):
    statement = services.statement_create(
        speaker=colonna,
        text="France wants free movement",
        kind="paraphrase",
        evidence=[{"source": source, "quote": COLONNA_PASSAGE}],
    )
    response = api.patch(f"/api/v1/statements/{statement.pk}/", {"kind": "quote"}, format="json")
    assert response.status_code == 400 and "text" in response.json()["errors"]
    statement.refresh_from_db()
    assert statement.kind == StatementKind.PARAPHRASE


def test_the_services_refuse_a_quote_outside_its_evidence_for_commands_and_the_fixture_builder(source, colonna):
    with pytest.raises(services.FactValidationError) as refused:
        services.statement_create(
            speaker=colonna,
            text="We will bomb Paris tomorrow",
            kind="quote",
            evidence=[{"source": source, "quote": HOSTED}],
        )
    assert "text" in refused.value.detail


def test_every_quote_of_the_article_fixtures_is_inside_its_evidence(db):
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    checked = 0
    for statement in Statement.objects.prefetch_related("evidence"):
        assert statement.quote_refused([span.quote for span in statement.evidence.all()]) is None, statement.pk
        checked += statement.kind != StatementKind.PARAPHRASE
    assert checked >= 12


# --- 2. A cited source's text is frozen --------------------------------------------------------------------------


def test_saving_a_cited_source_with_another_text_is_refused_by_the_model(world_source_cited):
    source = world_source_cited
    source.text = source.text.replace("Armenia", "Armenía", 1)
    with pytest.raises(ValidationError) as refused:
        source.save()
    assert "text" in refused.value.message_dict
    assert Source.objects.get(pk=source.pk).text != source.text


@pytest.fixture
def world_source_cited(source):
    make_event(source, HOSTED)
    return source


def test_a_queryset_update_of_a_cited_text_is_refused_by_the_database(world_source_cited):
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=world_source_cited.pk).update(text="Another text")
    assert Source.objects.get(pk=world_source_cited.pk).text.startswith(world_source_cited.text[:40])


def test_raw_sql_cannot_change_a_cited_text(world_source_cited):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE facts_source SET text = %s WHERE id = %s", ["Another text", world_source_cited.pk])


def test_an_uncited_source_text_can_still_be_corrected_through_every_path(db):
    source = make_source("A first text with a typo.")
    source.text = "A first text without the typo."
    source.save()
    Source.objects.filter(pk=source.pk).update(text="Corrected once more.")
    assert Source.objects.get(pk=source.pk).text == "Corrected once more."


# --- 5. One canonical form of a source text ---------------------------------------------------------------------


def test_every_path_stores_line_ends_as_newlines_and_keeps_everything_else(api, article_text):
    pasted = article_text.replace("\n", "\r\n") + "\r\n"
    response = api.post(
        "/api/v1/sources/",
        {"slug": "pasted", "title": "Pasted", "published": "2023-05-01", "text": pasted},
        format="json",
    )
    assert response.status_code == 201, response.content
    stored = Source.objects.get(slug="pasted")
    assert stored.text == article_text + "\n"  # the trailing newline is kept
    assert stored.checksum == Source.checksum_of(article_text + "\n") == Source.checksum_of(pasted)


def test_a_second_copy_with_other_line_ends_is_refused_by_the_api_and_by_add_source(
    api, source, article_text, tmp_path
):
    response = api.post(
        "/api/v1/sources/",
        {"slug": "again", "title": "Again", "published": "2023-05-01", "text": article_text.replace("\n", "\r\n")},
        format="json",
    )
    assert response.status_code == 400 and "text" in response.json()["errors"]
    crlf = tmp_path / "article-crlf.txt"
    crlf.write_bytes(article_text.replace("\n", "\r\n").encode("utf-8"))
    with pytest.raises(Exception, match="already stored"):
        call_command("add_source", str(crlf), "--title", "Again", "--published", "2023-05-01")
    assert Source.objects.count() == 1


def test_a_fixture_load_stores_the_canonical_form_too(db, tmp_path, article_text):
    fixture = tmp_path / "source.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "facts.source",
                    "pk": 900,
                    "fields": {
                        "slug": "crlf",
                        "title": "CRLF",
                        "published": "2023-05-01",
                        "text": "One\r\nTwo\r\n",
                        "checksum": "x",
                        "external": {},
                        "created_at": "2023-05-01T00:00:00Z",
                        "updated_at": "2023-05-01T00:00:00Z",
                    },
                }
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    stored = Source.objects.get(pk=900)
    assert stored.text == "One\nTwo\n" and stored.checksum == Source.checksum_of("One\nTwo\n")


# --- 4. No fact is ever left without evidence -------------------------------------------------------------------


def test_deleting_the_last_span_of_a_fact_is_refused_by_the_model(source):
    event = make_event(source, HOSTED)
    with pytest.raises(ValidationError, match="without any"):
        event.evidence.get().delete()
    assert event.evidence.count() == 1


def test_a_span_may_go_while_another_supports_its_fact(source):
    event = make_event(source, HOSTED)
    services.event_update(
        event=event,
        evidence=[{"source": source, "quote": HOSTED}, {"source": source, "quote": "seeking to quell recent tension"}],
    )
    event.evidence.order_by("start").first().delete()
    assert event.evidence.count() == 1


def test_instance_delete_of_a_last_span_is_refused_and_deleting_the_fact_takes_its_spans(source):
    event = make_event(source, HOSTED)
    with pytest.raises(services.DependentsExist, match="without any"):
        services.instance_delete(instance=event.evidence.get())
    services.instance_delete(instance=event)
    assert not EvidenceSpan.objects.filter(event_id=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_at_commit_a_queryset_delete_that_leaves_a_fact_without_evidence(article_text):
    source = make_source(article_text)
    event = make_event(source, HOSTED)
    with pytest.raises(IntegrityError, match="without evidence"):
        with transaction.atomic():
            EvidenceSpan.objects.filter(event=event).delete()
    assert event.evidence.count() == 1
    # Deleting the fact with its spans in one transaction is fine.
    with transaction.atomic():
        EvidenceSpan.objects.filter(event=event).delete()
        Event.objects.filter(pk=event.pk).delete()
    assert not Event.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_postgresql_holds_alias_evidence_at_commit_and_spares_what_is_marked_external(article_text):
    source = make_source(article_text)
    armenia = make_actor("Armenia", slug="armenia-trigger", kind="state", country_code="AM")
    alias = services.alias_create(
        actor=armenia,
        name="Yerevan",
        kind="metonym",
        evidence=[{"source": source, "quote": "an angry response from Yerevan"}],
    )
    with pytest.raises(IntegrityError, match="Alias .* would be left without evidence"):
        with transaction.atomic():
            EvidenceSpan.objects.filter(alias=alias).delete()
    assert alias.evidence.count() == 1
    # Marked external, it may lose its last span; so may an affiliation whose link is marked external.
    ActorAlias.objects.filter(pk=alias.pk).update(external={"name": "metonym"})
    with transaction.atomic():
        EvidenceSpan.objects.filter(alias=alias).delete()
    us = make_actor("United States", slug="us-trigger", kind="state", country_code="US")
    department = make_actor("State Department", slug="department-trigger", kind="organization")
    link = services.affiliation_create(
        person=department,
        organization=us,
        role_title="",
        evidence=[{"source": source, "quote": "State Department spokesman"}],
    )
    with pytest.raises(IntegrityError, match="Affiliation .* would be left without evidence"):
        with transaction.atomic():
            EvidenceSpan.objects.filter(affiliation=link).delete()
    Affiliation.objects.filter(pk=link.pk).update(external={"organization": "outside knowledge"})
    with transaction.atomic():
        EvidenceSpan.objects.filter(affiliation=link).delete()
    assert not EvidenceSpan.objects.filter(alias=alias).exists()
    assert not EvidenceSpan.objects.filter(affiliation=link).exists()


def test_deleting_an_actor_that_statements_are_about_is_refused_and_the_link_stays(api, source, colonna):
    armenia = make_actor("Armenia", slug="armenia-about", kind="state", country_code="AM")
    statement = make_statement(source, COLONNA_QUOTE, colonna)
    statement.about_actors.add(armenia)
    response = api.delete("/api/v1/actors/armenia-about/")
    assert response.status_code == 409
    assert statement.about_actors.filter(pk=armenia.pk).exists()


def test_removing_an_about_link_is_in_the_history_and_the_changes_feed(api, source, colonna):
    armenia = make_actor("Armenia", slug="armenia-link", kind="state", country_code="AM")
    statement = services.statement_create(
        speaker=colonna,
        text=COLONNA_QUOTE,
        kind="quote",
        about_actors=[armenia],
        evidence=[{"source": source, "quote": COLONNA_PASSAGE}],
    )
    since = timezone.now()
    response = api.patch(f"/api/v1/statements/{statement.pk}/", {"about_actors": []}, format="json")
    assert response.status_code == 200, response.content
    latest = statement.history.order_by("-history_date", "-history_id").first()
    assert list(latest.about_actors.all()) == []
    feed = api.get("/api/v1/changes/", {"since": since.isoformat(), "model": "statement"}).json()["results"]
    assert [(item["id"], item["change"]) for item in feed] and all(i["id"] == statement.pk for i in feed)


# --- 9. The review gate ------------------------------------------------------------------------------------------


def curator(*codenames, name="curator"):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(name, password="pw")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)


def event_body(source, **fields):
    return {
        "title": "US hosts talks",
        "event_type": "043",
        "date_text": "on Monday",
        "evidence": [{"source": source.pk, "quote": HOSTED}],
        **fields,
    }


@pytest.fixture
def codebook(db):
    from tests.conftest import make_event_type

    return make_event_type("043")


@pytest.mark.parametrize("status", ["reviewed", "verified"])
def test_creating_a_reviewed_fact_without_the_review_permission_is_403_naming_status(source, codebook, status):
    client = api_as(curator("add_event"))
    response = client.post("/api/v1/events/", event_body(source, status=status), format="json")
    assert response.status_code == 403, response.content
    assert set(response.json()["errors"]) == {"status"}
    assert not Event.objects.exists()


def test_new_facts_are_drafts(source, codebook):
    response = api_as(curator("add_event")).post("/api/v1/events/", event_body(source), format="json")
    assert response.status_code == 201 and response.json()["status"] == "draft"


def test_reviewing_needs_the_review_permission_and_a_reviewer_may(source, codebook):
    event = services.event_create(title="Talks", event_type=codebook, evidence=[{"source": source, "quote": HOSTED}])
    plain = api_as(curator("change_event"))
    refused = plain.patch(f"/api/v1/events/{event.pk}/", {"status": "verified"}, format="json")
    assert refused.status_code == 403 and "status" in refused.json()["errors"]
    event.refresh_from_db()
    assert event.status == "draft"
    reviewer = api_as(grant_review(curator("change_event", name="reviewer")))
    assert reviewer.patch(f"/api/v1/events/{event.pk}/", {"status": "verified"}, format="json").status_code == 200
    # Other edits of a reviewed fact need no review permission; moving it back to draft neither.
    assert (
        plain.patch(f"/api/v1/events/{event.pk}/", {"title": "Talks in Washington"}, format="json").status_code == 200
    )
    assert plain.patch(f"/api/v1/events/{event.pk}/", {"status": "draft"}, format="json").status_code == 200


def test_the_services_apply_the_review_gate_and_trust_commands_without_a_user(source, codebook):
    with pytest.raises(services.ReviewRefused):
        services.event_create(
            title="Talks",
            event_type=codebook,
            status="reviewed",
            user=curator(),
            evidence=[{"source": source, "quote": HOSTED}],
        )
    assert (
        services.event_create(
            title="Talks", event_type=codebook, status="reviewed", evidence=[{"source": source, "quote": HOSTED}]
        ).status
        == "reviewed"
    )


# --- 10. Every change moves updated_at, fixture loads included ---------------------------------------------------


def test_a_fixture_reload_that_reverts_a_row_moves_its_updated_at_to_now_and_the_feed_agrees(api):
    call_command("load_article", verbosity=0)
    event = Event.objects.order_by("pk").first()
    services.event_update(event=event, title="Renamed by a curator", reason="Edit")
    untouched = Event.objects.order_by("-pk").first()
    untouched_time = untouched.updated_at
    just_before = timezone.now()
    call_command("load_article", "--force", verbosity=0)
    event.refresh_from_db()
    assert event.updated_at >= just_before
    listed = api.get("/api/v1/events/", {"updated_since": just_before.isoformat(), "fields": "id"}).json()
    fed = api.get("/api/v1/changes/", {"since": just_before.isoformat(), "model": "event"}).json()["results"]
    assert {item["id"] for item in listed["results"]} == {item["id"] for item in fed} == {event.pk}
    untouched.refresh_from_db()
    assert untouched.updated_at == untouched_time


def test_a_plain_loaddata_stamps_the_rows_it_writes(db):
    before = timezone.now() - timedelta(seconds=1)
    call_command("loaddata", *FIXTURE_FILES, verbosity=0)
    assert not Event.objects.filter(updated_at__lt=before).exists()


# --- One write, one version --------------------------------------------------------------------------------------


def test_every_history_record_of_one_write_carries_the_same_time(api, source, colonna, codebook):
    response = api.post(
        "/api/v1/events/",
        {
            **event_body(source),
            "participants": [{"actor": "catherine-colonna", "role": "guest"}],
        },
        format="json",
    )
    assert response.status_code == 201
    event = Event.objects.get(pk=response.json()["id"])
    times = {
        event.history.get().history_date,
        event.evidence.get().history.get().history_date,
        event.participants.get().history.get().history_date,
    }
    assert len(times) == 1


# --- Found by the integrity walk ---------------------------------------------------------------------------------


def test_deleting_the_span_that_holds_a_quotes_words_is_refused_while_another_span_remains(source, colonna):
    statement = services.statement_create(
        speaker=colonna,
        text=COLONNA_QUOTE,
        kind="quote",
        evidence=[{"source": source, "quote": COLONNA_PASSAGE}, {"source": source, "quote": HOSTED}],
    )
    holder = statement.evidence.get(quote__contains="resolutely")
    with pytest.raises(ValidationError, match="words"):
        holder.delete()
    with pytest.raises(services.DependentsExist, match="words"):
        services.instance_delete(instance=holder)
    assert services.deletion_refusals([holder])
    statement.evidence.exclude(pk=holder.pk).get().delete()  # the other passage may go
    assert list(statement.evidence.values_list("pk", flat=True)) == [holder.pk]


def test_editing_a_quoted_statements_only_passage_away_from_its_words_is_refused(source, colonna):
    statement = services.statement_create(
        speaker=colonna, text=COLONNA_QUOTE, kind="quote", evidence=[{"source": source, "quote": COLONNA_PASSAGE}]
    )
    span = statement.evidence.get()
    span.quote, span.start, span.end = HOSTED, None, None
    span.full_clean()  # the passage itself is fine ...
    assert "words of its evidence" in span.edit_refused()  # ... but not as this statement's only passage


def test_a_reload_replaces_a_curators_duplicate_of_a_fixture_participant_instead_of_failing(api):
    call_command("load_article", verbosity=0)
    fixture_row = Event.objects.get(pk=5).participants.order_by("pk").first()
    actor, role = fixture_row.actor, fixture_row.role
    others = [
        {"actor": p.actor.slug, "role": p.role}
        for p in Event.objects.get(pk=5).participants.all()
        if p.pk != fixture_row.pk
    ]
    assert api.patch("/api/v1/events/5/", {"participants": others}, format="json").status_code == 200
    assert (
        api.patch(
            "/api/v1/events/5/", {"participants": [*others, {"actor": actor.slug, "role": role}]}, format="json"
        ).status_code
        == 200
    )
    call_command("load_article", "--force", verbosity=0)
    assert Event.objects.get(pk=5).participants.filter(actor=actor).get().pk == fixture_row.pk


def test_ids_of_deleted_objects_are_never_handed_out_again_after_a_reload(api, codebook):
    call_command("load_article", verbosity=0)
    source = Source.objects.get()
    created = api.post("/api/v1/events/", event_body(source), format="json").json()["id"]
    assert api.delete(f"/api/v1/events/{created}/").status_code == 204
    call_command("load_article", "--force", verbosity=0)
    again = api.post("/api/v1/events/", event_body(source), format="json")
    assert again.status_code == 201 and again.json()["id"] > created


def test_the_loaded_version_of_a_statement_remembers_what_it_is_about(db):
    call_command("load_article", verbosity=0)
    statement = Statement.objects.filter(about_actors__isnull=False).distinct().order_by("pk").first()
    created = statement.history.get(history_type="+")
    assert set(created.about_actors.values_list("actor_id", flat=True)) == set(
        statement.about_actors.values_list("pk", flat=True)
    )


def test_a_part_change_in_the_feed_points_to_its_owner_even_when_the_part_is_deleted(api, source, codebook):
    event = services.event_create(
        title="Talks",
        event_type=codebook,
        evidence=[{"source": source, "quote": HOSTED}, {"source": source, "quote": "seeking to quell recent tension"}],
    )
    span = event.evidence.order_by("start").last()
    since = timezone.now()
    services.instance_delete(instance=span)  # a part deleted on its own, as the admin's bulk delete does
    items = api.get("/api/v1/changes/", {"since": since.isoformat()}).json()["results"]
    [item] = [i for i in items if i["model"] == "evidencespan"]
    assert item["change"] == "deleted" and item["owner"] == {"model": "event", "id": event.pk}
    assert item["url"] == f"http://testserver/api/v1/events/{event.pk}/"


@pytest.mark.parametrize("origin", ["ISO\x003166", "", 5, {"a": 1}, "x" * 501])
def test_an_external_origin_is_a_short_text_without_nul_on_every_path(api, origin):
    response = api.post(
        "/api/v1/actors/", {"slug": "zz", "name": "Z", "kind": "person", "external": {"name": origin}}, format="json"
    )
    assert response.status_code == 400 and "external" in response.json()["errors"]
    from facts.models import Actor

    actor = Actor(slug="zed", name="Zed", kind="person", external={"name": origin})  # unsaved: jsonb refuses NUL
    with pytest.raises(ValidationError) as refused:
        actor.full_clean()
    assert "external" in refused.value.message_dict
