"""Curation in the admin: every page loads, facts are added with evidence given as passages, errors land on the
field the curator filled in, review status changes in bulk, and history can be read and reverted."""

from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from facts.models import (
    ActorAlias,
    ActorKind,
    Affiliation,
    DataVersion,
    Event,
    EvidenceSpan,
    Mention,
    Participant,
    ParticipantRole,
    Relation,
    RelationType,
    ReviewStatus,
    Source,
    Statement,
    StatementKind,
)
from tests.conftest import (
    cite,
    make_actor,
    make_event,
    make_event_type,
    make_place,
    make_relation,
    make_source,
    make_statement,
)

pytestmark = pytest.mark.django_db

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
DINNER = "US Secretary of State Antony Blinken held a dinner"


@pytest.fixture
def world(source):
    """One object of every registered model, linked the way the article links them."""
    us = make_actor("United States", ActorKind.STATE, country_code="US")
    armenia = make_actor("Armenia", ActorKind.STATE, country_code="AM")
    azerbaijan = make_actor("Azerbaijan", ActorKind.STATE, country_code="AZ")
    blinken = make_actor("Antony Blinken")
    ActorAlias.objects.create(actor=armenia, name="Yerevan", kind="metonym")
    affiliation = Affiliation.objects.create(person=blinken, organization=us, role_title="Secretary of State")
    cite(source, "US Secretary of State Antony Blinken", affiliation=affiliation)
    washington = make_place("Washington")
    event = make_event(
        source,
        HOSTED,
        title="US hosts talks",
        place=washington,
        date_text="on Monday",
        date_start=date(2023, 5, 1),
        date_end=date(2023, 5, 1),
        date_precision="day",
    )
    Participant.objects.create(event=event, actor=us, role=ParticipantRole.HOST)
    make_statement(
        source, "direct dialogue is key to resolving issues", blinken, kind=StatementKind.PARTIAL, event=event
    )
    make_relation(source, "The two sides have gone to war twice", armenia, azerbaijan, type=RelationType.AT_WAR_WITH)
    start = source.text.index("Antony Blinken")
    Mention.objects.create(
        source=source, start=start, end=start + len("Antony Blinken"), quote="Antony Blinken", actor=blinken
    )
    return {"event": event, "armenia": armenia, "us": us}


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# --- Every page loads --------------------------------------------------------------------------------------------


def test_every_changelist_add_and_change_page_loads_for_a_superuser(admin_client, world):
    registered = {m: a for m, a in admin.site._registry.items() if m._meta.app_label == "facts"}
    # Historical models (simple_history's shadow tables) are browsed through their object's history page instead;
    # the data version is no data but the triggers' count of writes (facts.versioning), which nobody edits.
    curated = {
        m
        for m in apps.get_app_config("facts").get_models()
        if not issubclass(m, HistoricalChanges) and m is not DataVersion
    }
    assert set(registered) == curated, "every facts model is in the admin"
    for model, model_admin in registered.items():
        obj = model._default_manager.first()
        assert obj is not None, f"the world fixture creates no {model.__name__}; add one so its change page is tested"
        # Mentions are the extractor's index of a text: nobody adds one by hand.
        add_status = 403 if model is Mention else 200
        assert admin_client.get(admin_url(model, "add")).status_code == add_status, model
        for url in (admin_url(model, "changelist"), admin_url(model, "change", obj.pk)):
            response = admin_client.get(url)
            assert response.status_code == 200, f"{url} answered {response.status_code}"
        if isinstance(model_admin, SimpleHistoryAdmin):
            response = admin_client.get(admin_url(model, "history", obj.pk))
            assert response.status_code == 200, f"history of {model.__name__} answered {response.status_code}"


def test_every_changelist_search_runs(admin_client, world):
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label == "facts" and model_admin.search_fields:
            response = admin_client.get(admin_url(model, "changelist"), {"q": "Armenia"})
            assert response.status_code == 200, model.__name__


def test_actor_search_finds_an_actor_by_its_alias(admin_client, world):
    response = admin_client.get(admin_url(type(world["armenia"]), "changelist"), {"q": "Yerevan"})
    assert list(response.context["cl"].result_list) == [world["armenia"]]


def test_the_evidence_inline_defaults_to_the_latest_source(admin_client, source):
    newer = make_source("A later article.", title="Later")
    response = admin_client.get(admin_url(Event, "add"))
    evidence_formset = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is EvidenceSpan
    )
    assert evidence_formset.forms[0]["source"].value() == newer.pk


# --- A curator adds a source and a fact --------------------------------------------------------------------------


def source_post(text, **overrides):
    return {
        "title": "US Hosts Armenia-Azerbaijan Peace Talks",
        "slug": "us-hosts-talks",
        "publisher": "",
        "url": "",
        "published": "2023-05-01",
        "language": "en",
        "text": text,
        "external": "{}",
        **overrides,
    }


def management(prefix, total):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def event_post(source, passage, occurrence="", actor=None, **overrides):
    data = {
        "title": "Dinner before the talks",
        "description": "",
        "event_type": make_event_type().pk,
        "place": "",
        "parent": "",
        "status": ReviewStatus.DRAFT,
        "date_text": "On Sunday",
        "date_start": "",
        "date_end": "",
        "date_precision": "",
        **management("participants", 1 if actor else 0),
        **management("evidence", 1),
        "evidence-0-source": source.pk,
        "evidence-0-quote": passage,
        "evidence-0-occurrence": occurrence,
    }
    if actor:
        data.update({"participants-0-actor": actor.pk, "participants-0-role": ParticipantRole.HOST})
    data.update(overrides)
    return data


def inline_errors(response, model=EvidenceSpan):
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is model)
    return [form.errors for form in formset.forms]


def test_a_curator_adds_a_source_by_pasting_its_text_and_its_checksum_is_computed(admin_client, article_text):
    response = admin_client.post(admin_url(Source, "add"), source_post(article_text))
    assert response.status_code == 302
    stored = Source.objects.get(slug="us-hosts-talks")
    assert stored.text == article_text
    assert stored.checksum == Source.checksum_of(article_text)
    page = admin_client.get(admin_url(Source, "change", stored.pk)).content.decode()
    assert stored.checksum in page


def test_the_text_of_a_cited_source_cannot_be_edited_in_the_admin(admin_client, world, source):
    data = source_post("Rewritten text.", slug=source.slug, title=source.title)
    response = admin_client.post(admin_url(Source, "change", source.pk), data)
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.text != "Rewritten text."
    assert source.checksum == Source.checksum_of(source.text)


def test_the_text_of_an_uncited_source_can_be_corrected(admin_client):
    draft = make_source("A first draft.", title="Draft")
    data = source_post("A corrected draft.", slug=draft.slug, title=draft.title)
    assert admin_client.post(admin_url(Source, "change", draft.pk), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.text, draft.checksum) == ("A corrected draft.", Source.checksum_of("A corrected draft."))


def test_a_second_copy_of_a_source_is_refused_on_the_text_field(admin_client, source, article_text):
    response = admin_client.post(admin_url(Source, "add"), source_post(article_text, slug="copy"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["text"] == [
        f"A source with exactly this text is already stored: “{source.title}” (id {source.pk})."
    ]
    assert Source.objects.count() == 1


def test_a_curator_adds_an_event_entering_only_the_passage_and_the_span_gets_its_offsets(admin_client, article_text):
    admin_client.post(admin_url(Source, "add"), source_post(article_text))
    source = Source.objects.get()
    blinken = make_actor("Antony Blinken")
    response = admin_client.post(admin_url(Event, "add"), event_post(source, DINNER, actor=blinken))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    event = Event.objects.get()
    span = event.evidence.get()
    assert span.start == article_text.index(DINNER)
    assert span.end == span.start + len(DINNER)
    assert article_text[span.start : span.end] == span.quote == DINNER
    assert event.participants.get().actor == blinken
    # "On Sunday" resolved against the source's publication date, Monday 2023-05-01.
    assert (event.date_start, event.date_end, event.date_precision) == (date(2023, 4, 30), date(2023, 4, 30), "day")
    assert event.status == ReviewStatus.DRAFT


def test_a_passage_with_straight_quotes_is_stored_as_the_exact_source_text(admin_client, source):
    pasted = '"The secretary believes that direct dialogue is key to resolving issues'
    response = admin_client.post(admin_url(Event, "add"), event_post(source, pasted))
    assert response.status_code == 302
    span = EvidenceSpan.objects.get()
    assert span.quote == "“The secretary believes that direct dialogue is key to resolving issues"
    assert source.text[span.start : span.end] == span.quote


def test_a_passage_not_in_the_source_is_an_error_on_the_quote_field_and_nothing_is_saved(admin_client, source):
    response = admin_client.post(admin_url(Event, "add"), event_post(source, "Blinken held a lunch"))
    assert response.status_code == 200
    assert inline_errors(response) == [
        {"quote": ["The passage “Blinken held a lunch” does not occur in the source text."]}
    ]
    assert (Event.objects.count(), EvidenceSpan.objects.count()) == (0, 0)


def test_an_ambiguous_passage_asks_for_the_occurrence(admin_client, source):
    response = admin_client.post(admin_url(Event, "add"), event_post(source, "Blinken"))
    assert response.status_code == 200
    (errors,) = inline_errors(response)
    count = source.text.count("Blinken")
    assert errors["quote"] == [
        f"The passage “Blinken” occurs {count} times in the source; say which occurrence (1 to {count}) you mean."
    ]
    assert Event.objects.count() == 0


def test_the_occurrence_number_picks_the_occurrence_of_an_ambiguous_passage(admin_client, source):
    response = admin_client.post(admin_url(Event, "add"), event_post(source, "Blinken", occurrence="2"))
    assert response.status_code == 302
    span = EvidenceSpan.objects.get()
    first = source.text.index("Blinken")
    assert span.start == source.text.index("Blinken", first + 1)


def test_editing_a_passage_relocates_its_offsets(admin_client, world, source):
    event = world["event"]
    span = event.evidence.get()
    data = event_post(
        source,
        "",
        title=event.title,
        date_text="on Monday",
        date_start="2023-05-01",
        date_end="2023-05-01",
        date_precision="day",
    )
    data.update(
        {
            "evidence-INITIAL_FORMS": "1",
            "evidence-0-id": span.pk,
            "evidence-0-event": event.pk,
            "evidence-0-quote": "seeking to quell recent tension",
        }
    )
    response = admin_client.post(admin_url(Event, "change", event.pk), data)
    assert response.status_code == 302, inline_errors(response)
    span.refresh_from_db()
    assert source.text[span.start : span.end] == span.quote == "seeking to quell recent tension"


def test_an_unresolvable_date_asks_for_explicit_dates_on_the_date_text_field(admin_client, source):
    response = admin_client.post(admin_url(Event, "add"), event_post(source, DINNER, date_text="around then"))
    assert response.status_code == 200
    (message,) = response.context["adminform"].form.errors["date_text"]
    assert "Cannot resolve the date expression “around then”" in message
    assert "Give the earliest and latest dates and the precision explicitly." in message
    assert Event.objects.count() == 0


def test_explicit_dates_are_kept_when_the_expression_cannot_be_resolved(admin_client, source):
    data = event_post(
        source, DINNER, date_text="around then", date_start="2023-04-28", date_end="2023-04-30", date_precision="range"
    )
    assert admin_client.post(admin_url(Event, "add"), data).status_code == 302
    event = Event.objects.get()
    assert (event.date_start, event.date_end, event.date_precision) == (date(2023, 4, 28), date(2023, 4, 30), "range")


def test_a_precision_that_misdescribes_the_dates_is_refused_on_the_precision_field(admin_client, source):
    # Three days are no single day: the precision must describe the interval as stored.
    data = event_post(
        source, DINNER, date_text="around then", date_start="2023-04-28", date_end="2023-04-30", date_precision="day"
    )
    response = admin_client.post(admin_url(Event, "add"), data)
    assert response.status_code == 200 and Event.objects.count() == 0
    (message,) = response.context["adminform"].form.errors["date_precision"]
    assert message == "2023-04-28..2023-04-30 is not one day: give “range”, or the bounds of one day."


def test_an_open_start_is_recorded_with_the_open_precision(admin_client, source):
    data = event_post(source, DINNER, date_text="", date_start="", date_end="2023-05-01", date_precision="open")
    assert admin_client.post(admin_url(Event, "add"), data).status_code == 302
    event = Event.objects.get()
    assert (event.date_start, event.date_end, event.date_precision) == (None, date(2023, 5, 1), "open")


def test_a_date_without_evidence_to_resolve_against_asks_for_evidence_or_dates(admin_client, source):
    data = event_post(source, "", **management("evidence", 0))
    response = admin_client.post(admin_url(Event, "add"), data)
    assert response.status_code == 200
    assert "Add evidence from a source" in response.context["adminform"].form.errors["date_text"][0]


def test_one_role_per_actor_per_event_is_reported_in_the_participants_inline(admin_client, source):
    blinken = make_actor("Antony Blinken")
    data = event_post(source, DINNER, actor=blinken, **management("participants", 2))
    data.update({"participants-1-actor": blinken.pk, "participants-1-role": ParticipantRole.GUEST})
    response = admin_client.post(admin_url(Event, "add"), data)
    assert response.status_code == 200
    assert Event.objects.count() == 0
    assert "Please correct the duplicate data for actor" in str(
        next(
            f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is Participant
        ).non_form_errors()
    )


# --- Review status in bulk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action, status", [("mark_reviewed", "reviewed"), ("mark_verified", "verified")])
def test_the_bulk_status_action_sets_the_status_and_records_it_in_history(admin_client, source, action, status):
    events = [make_event(source, HOSTED, title=f"Event {i}") for i in range(3)]
    chosen = events[:2]
    response = admin_client.post(
        admin_url(Event, "changelist"), {"action": action, "_selected_action": [e.pk for e in chosen]}
    )
    assert response.status_code == 302
    assert {e.pk: e.status for e in Event.objects.all()} == {
        events[0].pk: status,
        events[1].pk: status,
        events[2].pk: ReviewStatus.DRAFT,
    }
    latest = chosen[0].history.latest()
    assert (latest.status, latest.history_change_reason) == (status, f"Bulk status change to {status}")


def test_statements_and_relations_have_the_bulk_status_actions(admin_client, world):
    for model in (Statement, Relation):
        ids = list(model.objects.values_list("pk", flat=True))
        response = admin_client.post(
            admin_url(model, "changelist"), {"action": "mark_verified", "_selected_action": ids}
        )
        assert response.status_code == 302
        assert set(model.objects.values_list("status", flat=True)) == {ReviewStatus.VERIFIED}


# --- History and revert ------------------------------------------------------------------------------------------


def form_data(form) -> dict:
    """POST data that resubmits a bound-to-instance admin form unchanged."""
    data = {}
    for bound in form:
        value = bound.value()
        if value is False:
            continue  # an unchecked checkbox is absent from a real POST
        data[bound.html_name] = "" if value is None else value
    return data


def change_form_data(client, model, pk) -> dict:
    """The change form as a browser would post it: every input of the page, inline formsets included."""
    response = client.get(admin_url(model, "change", pk))
    data = {}
    for bound in response.context["adminform"].form:
        value = bound.value()
        if value is not False:
            data[bound.html_name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in formset.management_form:
            data[bound.html_name] = bound.value()
        for form in formset.forms:
            for bound in form:
                value = bound.value()
                if value is not False and value is not None:
                    data[bound.html_name] = value
    return data


def test_the_history_page_lists_changes_and_revert_restores_an_earlier_version(admin_client, world):
    event = world["event"]
    original_title = event.title
    change_url = admin_url(Event, "change", event.pk)
    data = change_form_data(admin_client, Event, event.pk)
    data["title"] = "Renamed by mistake"
    data["change_reason"] = "Shorter title"
    assert admin_client.post(change_url, data).status_code == 302
    event.refresh_from_db()
    assert event.title == "Renamed by mistake"

    history_page = admin_client.get(admin_url(Event, "history", event.pk))
    assert history_page.status_code == 200
    assert "Renamed by mistake" in history_page.content.decode()

    first_version = event.history.earliest()
    revert_url = reverse("admin:facts_event_simple_history", args=[event.pk, first_version.history_id])
    revert_page = admin_client.get(revert_url)
    assert revert_page.status_code == 200
    revert_data = form_data(revert_page.context["adminform"].form)
    assert revert_data["title"] == original_title
    revert_data["change_reason"] = "Undo the mistaken rename"
    assert admin_client.post(revert_url, revert_data).status_code == 302

    event.refresh_from_db()
    assert event.title == original_title
    latest, renamed = event.history.all()[:2]
    assert (latest.title, latest.history_user.username, latest.history_change_reason) == (
        original_title,
        "admin",
        "Undo the mistaken rename",
    )
    assert (renamed.title, renamed.history_change_reason) == ("Renamed by mistake", "Shorter title")


# --- Statements, affiliations and standalone spans ----------------------------------------------------------------


def test_a_curator_records_a_statement_with_its_evidence_given_as_a_passage(admin_client, source):
    patel = make_actor("Vedant Patel")
    passage = "The secretary believes that direct dialogue is key to resolving issues and reaching a lasting peace"
    data = {
        "speaker": patel.pk,
        "kind": StatementKind.QUOTE,
        "text": passage,
        "channel": "",
        "event": "",
        "status": ReviewStatus.DRAFT,
        "date_text": "this week",
        "date_start": "",
        "date_end": "",
        "date_precision": "",
        **management("evidence", 1),
        "evidence-0-source": source.pk,
        "evidence-0-quote": passage,
        "evidence-0-occurrence": "",
    }
    response = admin_client.post(admin_url(Statement, "add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    statement = Statement.objects.get()
    span = statement.evidence.get()
    assert source.text[span.start : span.end] == passage
    # "this week", reported as said, ends no later than publication (Monday 1 May): that Monday alone.
    assert (statement.date_start, statement.date_end, statement.date_precision) == (
        date(2023, 5, 1),
        date(2023, 5, 1),
        "day",
    )


def test_a_standalone_span_is_added_from_its_passage_and_refused_without_a_fact(admin_client, world, source):
    event = world["event"]
    data = {
        "source": source.pk,
        "quote": "an angry response from Yerevan",
        "occurrence": "",
        "event": event.pk,
        "statement": "",
        "relation": "",
        "affiliation": "",
    }
    response = admin_client.post(admin_url(EvidenceSpan, "add"), data)
    assert response.status_code == 302
    span = EvidenceSpan.objects.get(quote="an angry response from Yerevan")
    assert source.text[span.start : span.end] == span.quote

    orphan = admin_client.post(admin_url(EvidenceSpan, "add"), {**data, "event": "", "quote": "Lachin Corridor"})
    assert orphan.status_code == 200
    assert orphan.context["adminform"].form.non_field_errors() == [
        "A span supports exactly one event, statement, relation, affiliation or alias."
    ]


# --- Aliases with their evidence -----------------------------------------------------------------------------------


def actor_post(**fields):
    return {
        "name": "Armenia",
        "slug": "armenia-admin",
        "kind": ActorKind.STATE,
        "country_code": "AM",
        "description": "",
        "external": "{}",
        **management("affiliations", 0),
        **fields,
    }


def alias_row(index, name, kind="name", passage="", source="", external="{}"):
    row = f"aliases-{index}"
    return {
        f"{row}-name": name,
        f"{row}-kind": kind,
        f"{row}-external": external,
        f"{row}-passage": passage,
        f"{row}-passage_source": source,
        f"{row}-occurrence": "",
    }


def test_an_alias_added_on_the_actor_page_cites_its_passage_or_is_marked_external(admin_client, source):
    from facts.models import Actor

    # Neither a passage nor an external mark: refused on the row, and nothing is written.
    response = admin_client.post(
        admin_url(Actor, "add"), actor_post(**management("aliases", 1), **alias_row(0, "Yerevan", "metonym"))
    )
    assert response.status_code == 200
    (alias_form,) = next(
        f.formset for f in response.context["inline_admin_formsets"] if f.formset.model is ActorAlias
    ).forms
    assert "Cite a passage where a source uses the alias “Yerevan”" in alias_form.errors["passage"][0]
    assert not Actor.objects.filter(slug="armenia-admin").exists()
    # A passage without the alias is refused too.
    response = admin_client.post(
        admin_url(Actor, "add"),
        actor_post(
            **management("aliases", 1), **alias_row(0, "Yerevan", "metonym", "Armenia views the move", source.pk)
        ),
    )
    assert response.status_code == 200 and not Actor.objects.filter(slug="armenia-admin").exists()
    # The passage becomes the alias' evidence span; a canonical name is marked external instead.
    response = admin_client.post(
        admin_url(Actor, "add"),
        actor_post(
            **management("aliases", 2),
            **alias_row(0, "Yerevan", "metonym", "an angry response from Yerevan", source.pk),
            **alias_row(1, "Republic of Armenia", external='{"name": "canonical name"}'),
        ),
    )
    assert response.status_code == 302, response.context and [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ]
    actor = Actor.objects.get(slug="armenia-admin")
    yerevan = actor.aliases.get(name="Yerevan")
    (span,) = yerevan.evidence.all()
    assert source.text[span.start : span.end] == "an angry response from Yerevan"
    assert not actor.aliases.get(name="Republic of Armenia").evidence.exists()


def test_the_alias_page_keeps_one_passage_unless_the_alias_is_external(admin_client, source):
    armenia = make_actor("Armenia", ActorKind.STATE, country_code="AM")
    alias = ActorAlias.objects.create(actor=armenia, name="Yerevan", kind="metonym")
    span = cite(source, "an angry response from Yerevan", alias=alias)
    data = {
        "actor": armenia.pk,
        "name": "Yerevan",
        "kind": "metonym",
        "external": "{}",
        "change_reason": "",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "1",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "1000",
        "evidence-0-id": span.pk,
        "evidence-0-alias": alias.pk,
        "evidence-0-source": source.pk,
        "evidence-0-quote": span.quote,
        "evidence-0-occurrence": "",
        "evidence-0-DELETE": "on",
    }
    response = admin_client.post(admin_url(ActorAlias, "change", alias.pk), data)
    assert response.status_code == 200
    assert alias.evidence.count() == 1
    response = admin_client.post(admin_url(ActorAlias, "change", alias.pk), {**data, "external": '{"name": "metonym"}'})
    assert response.status_code == 302
    assert not alias.evidence.exists()
