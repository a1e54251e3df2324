"""The admin keeps the rules the API keeps: reverts restore whole facts, deletions are refused as the API refuses
them, a fact keeps its evidence, quotes stay inside their evidence, reviewing needs its permission, and a pasted
source is stored in the one canonical form. Every test goes through the admin pages with a logged-in staff user.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from facts import services
from facts.models import (
    Actor,
    ActorKind,
    Event,
    EvidenceSpan,
    Participant,
    ParticipantRole,
    ReviewStatus,
    Source,
    Statement,
    StatementKind,
)
from tests.api.test_admin import admin_url, change_form_data
from tests.conftest import make_actor, make_event_type, make_source

pytestmark = pytest.mark.django_db

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
TENSION = "seeking to quell recent tension over the disputed enclave of Nagorno-Karabakh"
QUOTE = "We encourage you to resolutely take this path"
QUOTE_PASSAGE = "“We encourage you to resolutely take this path,” Colonna said"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def cast(db):
    return {
        "us": make_actor("United States", ActorKind.STATE, slug="united-states", country_code="US"),
        "armenia": make_actor("Armenia", ActorKind.STATE, slug="armenia", country_code="AM"),
        "colonna": make_actor("Catherine Colonna", slug="catherine-colonna"),
    }


@pytest.fixture
def event(source, cast):
    return services.event_create(
        title="US hosts talks",
        event_type=make_event_type("043"),
        date_text="on Monday",
        participants=[{"actor": cast["us"], "role": ParticipantRole.HOST}],
        evidence=[{"source": source, "quote": HOSTED}],
    )


def revert(client, model, object_id, version_id, **extra):
    return client.post(
        reverse(f"admin:facts_{model._meta.model_name}_simple_history", args=[object_id, version_id]),
        {"change_reason": "Undo", **extra},
        follow=True,
    )


def participants_of(event):
    return sorted(event.participants.values_list("actor__slug", "role"))


# --- 3. Revert restores the whole fact ---------------------------------------------------------------------------


def test_reverting_an_event_restores_its_participants_and_evidence_too(admin_client, event, cast, source):
    first = event.history.earliest()
    services.event_update(
        event=event,
        title="Renamed",
        participants=[{"actor": cast["armenia"], "role": "guest"}],
        evidence=[{"source": source, "quote": TENSION}],
    )
    response = revert(admin_client, Event, event.pk, first.history_id)
    assert any("restored" in m for m in messages_of(response)), messages_of(response)
    event.refresh_from_db()
    assert event.title == "US hosts talks"
    assert participants_of(event) == [("united-states", "host")]
    assert list(event.evidence.values_list("quote", flat=True)) == [HOSTED]


def test_saving_the_history_page_of_a_deleted_event_restores_it_with_its_evidence_and_participants(admin_client, event):
    pk, last = event.pk, event.history.latest()
    services.instance_delete(instance=event, reason="Duplicate")
    assert not Event.objects.filter(pk=pk).exists()
    response = revert(admin_client, Event, pk, last.history_id)
    assert any("restored" in m for m in messages_of(response)), messages_of(response)
    restored = Event.objects.get(pk=pk)
    assert participants_of(restored) == [("united-states", "host")]
    assert list(restored.evidence.values_list("quote", flat=True)) == [HOSTED]
    assert restored.history.latest().history_type == "+"


def test_reverting_a_statement_restores_what_it_is_about(admin_client, source, cast):
    statement = services.statement_create(
        speaker=cast["colonna"],
        text=QUOTE,
        kind="quote",
        about_actors=[cast["armenia"]],
        evidence=[{"source": source, "quote": QUOTE_PASSAGE}],
    )
    version = statement.history.order_by("-history_date", "-history_id").first()
    services.statement_update(
        statement=statement, about_actors=[cast["us"]], kind="paraphrase", text="Colonna encouraged them"
    )
    revert(admin_client, Statement, statement.pk, version.history_id)
    statement.refresh_from_db()
    assert (statement.kind, statement.text) == ("quote", QUOTE)
    assert list(statement.about_actors.values_list("slug", flat=True)) == ["armenia"]


def test_a_revert_that_would_break_a_rule_is_refused_with_the_reason_and_changes_nothing(admin_client, event, cast):
    first = event.history.earliest()
    gone = make_actor("Gone", slug="gone")
    services.event_update(event=event, title="Renamed", participants=[{"actor": gone, "role": "guest"}])
    version = event.history.order_by("-history_date", "-history_id").first()
    services.event_update(event=event, title="Renamed again", participants=[])
    services.instance_delete(instance=gone)
    history = event.history.count()
    response = revert(admin_client, Event, event.pk, version.history_id)
    assert response.redirect_chain == []  # refused: the version's page again, not a redirect
    assert any(m.startswith("Nothing was reverted") and "participants" in m for m in messages_of(response))
    event.refresh_from_db()
    assert (event.title, participants_of(event), event.history.count()) == ("Renamed again", [], history)
    # The first version is still fine to go back to.
    revert(admin_client, Event, event.pk, first.history_id)
    event.refresh_from_db()
    assert (event.title, participants_of(event)) == ("US hosts talks", [("united-states", "host")])


def test_history_revert_cannot_rewrite_a_cited_source_text(admin_client, db):
    source = make_source("The first wording of the article.")
    first = source.history.get()
    source.text = "The corrected wording of the article."
    source.save()
    services.event_create(
        title="Cited", event_type=make_event_type("043"), evidence=[{"source": source, "quote": "corrected wording"}]
    )
    response = revert(admin_client, Source, source.pk, first.history_id)
    assert any(m.startswith("Nothing was reverted") and "cannot change" in m for m in messages_of(response))
    source.refresh_from_db()
    assert source.text == "The corrected wording of the article."


def test_a_revert_is_refused_for_a_user_without_the_review_permission(event, source):
    services.event_update(event=event, status="reviewed")
    reviewed = event.history.order_by("-history_date", "-history_id").first()
    services.event_update(event=event, status="draft")
    client = staff_client("change_event", "view_event")
    response = revert(client, Event, event.pk, reviewed.history_id)
    assert any("review permission" in m for m in messages_of(response)), messages_of(response)
    event.refresh_from_db()
    assert event.status == "draft"


# --- 4. Deletions refused as the API refuses them -----------------------------------------------------------------


def test_bulk_delete_of_the_only_evidence_of_a_fact_is_refused_and_lists_why(admin_client, event):
    span = event.evidence.get()
    page = admin_client.post(
        admin_url(EvidenceSpan, "changelist"),
        {"action": "delete_selected", "_selected_action": [span.pk], "post": "yes"},
    )
    assert page.status_code == 200
    assert any("without any" in str(item) for item in page.context["protected"])
    assert EvidenceSpan.objects.filter(pk=span.pk).exists()


def test_deleting_a_span_of_a_fact_with_others_goes_through_and_is_in_the_history(admin_client, event, source):
    services.event_update(
        event=event, evidence=[{"source": source, "quote": HOSTED}, {"source": source, "quote": TENSION}]
    )
    extra = event.evidence.get(quote=TENSION)
    response = admin_client.post(
        admin_url(EvidenceSpan, "changelist"),
        {"action": "delete_selected", "_selected_action": [extra.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert event.evidence.count() == 1
    assert EvidenceSpan.history.filter(id=extra.pk, history_type="-").exists()


def test_deleting_an_actor_that_statements_are_about_is_refused_in_the_admin_listing_them(admin_client, source, cast):
    statement = services.statement_create(
        speaker=cast["colonna"],
        text=QUOTE,
        kind="quote",
        about_actors=[cast["armenia"]],
        evidence=[{"source": source, "quote": QUOTE_PASSAGE}],
    )
    armenia = cast["armenia"]
    page = admin_client.post(admin_url(Actor, "delete", armenia.pk), {"post": "yes"})
    assert page.status_code == 200 and page.context["protected"]
    assert any("statement" in str(item) and str(statement.pk) in str(item) for item in page.context["protected"])
    bulk = admin_client.post(
        admin_url(Actor, "changelist"), {"action": "delete_selected", "_selected_action": [armenia.pk], "post": "yes"}
    )
    assert bulk.status_code == 200 and bulk.context["protected"]
    assert statement.about_actors.filter(pk=armenia.pk).exists()


def test_an_admin_delete_is_recorded_with_the_user_for_the_changes_feed(admin_client, source, admin_user):
    lonely = make_actor("Nobody", slug="nobody")
    response = admin_client.post(admin_url(Actor, "delete", lonely.pk), {"post": "yes"})
    assert response.status_code == 302
    record = Actor.history.get(id=lonely.pk, history_type="-")
    assert record.history_user == admin_user


def test_removing_every_evidence_row_in_the_change_form_is_refused(admin_client, event):
    data = change_form_data(admin_client, Event, event.pk)
    data["evidence-0-DELETE"] = "on"
    response = admin_client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 200
    assert event.evidence.count() == 1


def test_moving_a_fact_s_only_span_to_another_fact_is_refused(admin_client, event, source):
    other = services.event_create(
        title="Other", event_type=make_event_type("043"), evidence=[{"source": source, "quote": TENSION}]
    )
    span = event.evidence.get()
    response = admin_client.post(
        admin_url(EvidenceSpan, "change", span.pk),
        {
            "source": source.pk,
            "quote": span.quote,
            "occurrence": "",
            "event": other.pk,
            "statement": "",
            "relation": "",
            "affiliation": "",
        },
    )
    assert response.status_code == 200
    assert "without any" in str(response.context["adminform"].form.errors)
    assert EvidenceSpan.objects.get(pk=span.pk).event_id == event.pk


# --- 1. Quotes inside their evidence, in the admin too ------------------------------------------------------------


def statement_post(source, speaker, text, passage, kind=StatementKind.QUOTE):
    return {
        "speaker": speaker.pk,
        "kind": kind,
        "text": text,
        "channel": "",
        "event": "",
        "status": ReviewStatus.DRAFT,
        "date_text": "",
        "date_start": "",
        "date_end": "",
        "date_precision": "",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "1",
        "evidence-MAX_NUM_FORMS": "1000",
        "evidence-0-source": source.pk,
        "evidence-0-quote": passage,
        "evidence-0-occurrence": "",
    }


def test_the_admin_refuses_a_quote_its_evidence_does_not_contain(admin_client, source, cast):
    response = admin_client.post(
        admin_url(Statement, "add"), statement_post(source, cast["colonna"], "We will bomb Paris tomorrow", HOSTED)
    )
    assert response.status_code == 200
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is EvidenceSpan)
    assert "words of its evidence" in str(formset.non_form_errors())
    assert not Statement.objects.exists()
    accepted = admin_client.post(
        admin_url(Statement, "add"), statement_post(source, cast["colonna"], QUOTE, QUOTE_PASSAGE)
    )
    assert accepted.status_code == 302


# --- 9. The review gate in the admin -----------------------------------------------------------------------------


def staff_client(*codenames) -> Client:
    user = get_user_model().objects.create_user("staff-curator", password="pw", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def test_bulk_review_actions_need_the_review_permission(event):
    client = staff_client("change_event", "view_event")
    response = client.post(admin_url(Event, "changelist"), {"action": "mark_verified", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.status == ReviewStatus.DRAFT
    page = client.get(admin_url(Event, "changelist"))
    offered = [name for name, _ in page.context["action_form"].fields["action"].choices]
    assert "mark_draft" in offered and "mark_verified" not in offered and "mark_reviewed" not in offered
    assert response.status_code in (200, 302)


def test_the_change_form_refuses_a_review_status_without_the_permission_naming_status(event):
    client = staff_client("change_event", "view_event", "view_participant", "view_evidencespan")
    data = change_form_data(client, Event, event.pk)
    data["status"] = ReviewStatus.VERIFIED
    response = client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.status == ReviewStatus.DRAFT


# --- 5. A pasted source keeps every byte but its line ends -------------------------------------------------------


def test_a_source_pasted_in_the_admin_keeps_its_trailing_newline_and_gets_unix_line_ends(admin_client, article_text):
    text = article_text + "\n"
    response = admin_client.post(
        admin_url(Source, "add"),
        {
            "title": "Pasted",
            "slug": "pasted",
            "publisher": "",
            "url": "",
            "published": "2023-05-01",
            "language": "en",
            "text": text.replace("\n", "\r\n"),
            "external": "{}",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = Source.objects.get(slug="pasted")
    assert stored.text == text and stored.checksum == Source.checksum_of(text)


def test_participants_of_a_restored_event_keep_the_copy_of_its_dates(admin_client, event):
    pk, last = event.pk, event.history.latest()
    services.instance_delete(instance=event)
    revert(admin_client, Event, pk, last.history_id)
    restored = Event.objects.get(pk=pk)
    participant = Participant.objects.get(event=restored)
    assert (participant.event_date_start, participant.event_type_code) == (restored.date_start, "043")


def test_reverting_a_statement_to_its_version_as_loaded_keeps_its_about_links(admin_client):
    from django.core.management import call_command

    call_command("load_article", verbosity=0)
    statement = Statement.objects.filter(about_actors__isnull=False).distinct().order_by("pk").first()
    about = set(statement.about_actors.values_list("pk", flat=True))
    loaded = statement.history.get(history_type="+")
    services.statement_update(statement=statement, channel="Changed by a curator")
    response = revert(admin_client, Statement, statement.pk, loaded.history_id)
    assert any("restored" in m for m in messages_of(response)), messages_of(response)
    statement.refresh_from_db()
    assert statement.channel != "Changed by a curator"
    assert set(statement.about_actors.values_list("pk", flat=True)) == about


def test_a_statements_only_passage_edited_on_the_span_page_must_keep_its_words(admin_client, source, cast):
    statement = services.statement_create(
        speaker=cast["colonna"], text=QUOTE, kind="quote", evidence=[{"source": source, "quote": QUOTE_PASSAGE}]
    )
    span = statement.evidence.get()
    response = admin_client.post(
        admin_url(EvidenceSpan, "change", span.pk),
        {
            "source": source.pk,
            "quote": HOSTED,
            "occurrence": "",
            "event": "",
            "statement": statement.pk,
            "relation": "",
            "affiliation": "",
        },
    )
    assert response.status_code == 200
    assert "words of its evidence" in str(response.context["adminform"].form.errors["quote"])
    assert EvidenceSpan.objects.get(pk=span.pk).quote.startswith("“We encourage")


def test_a_quote_moves_to_a_new_passage_in_one_admin_save(admin_client, source, cast):
    statement = services.statement_create(
        speaker=cast["colonna"],
        text="Colonna encouraged them",
        kind="paraphrase",
        evidence=[{"source": source, "quote": HOSTED}],
    )
    data = change_form_data(admin_client, Statement, statement.pk)
    data.update(
        {
            "kind": "quote",
            "text": QUOTE,
            "evidence-TOTAL_FORMS": "2",
            "evidence-1-source": source.pk,
            "evidence-1-quote": QUOTE_PASSAGE,
            "evidence-1-occurrence": "",
        }
    )
    response = admin_client.post(admin_url(Statement, "change", statement.pk), data)
    assert response.status_code == 302, response.context and response.context["inline_admin_formsets"][0].formset.errors
    statement.refresh_from_db()
    assert statement.kind == "quote" and statement.evidence.count() == 2


def test_the_same_passage_twice_in_the_evidence_inline_is_refused(admin_client, event, source):
    data = change_form_data(admin_client, Event, event.pk)
    data.update(
        {
            "evidence-TOTAL_FORMS": "2",
            "evidence-1-source": source.pk,
            "evidence-1-quote": HOSTED,
            "evidence-1-occurrence": "",
        }
    )
    response = admin_client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 200 and event.evidence.count() == 1


def test_replacing_evidence_drops_a_passage_recorded_twice(event, source):
    first = event.evidence.get()
    EvidenceSpan.objects.create(
        source=source, start=first.start, end=first.end, quote=first.quote, event=event
    )  # a repeat written around the rules (raw ORM), as old data may hold
    services.event_update(event=event, evidence=[{"source": source, "quote": HOSTED}])
    assert event.evidence.count() == 1


def test_the_span_page_refuses_a_passage_its_fact_already_cites(admin_client, event, source):
    response = admin_client.post(
        admin_url(EvidenceSpan, "add"),
        {
            "source": source.pk,
            "quote": HOSTED,
            "occurrence": "",
            "event": event.pk,
            "statement": "",
            "relation": "",
            "affiliation": "",
        },
    )
    assert response.status_code == 200 and "already cites" in str(response.context["adminform"].form.errors)
    assert event.evidence.count() == 1
