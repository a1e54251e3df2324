"""The admin's review queue of a source's candidate facts: highlighted passages, accept, reject with a reason, all."""

import pytest
from django.urls import reverse

from facts.models import Actor, Affiliation, Event, EvidenceSpan, ReviewStatus, Statement
from facts.services.proposals import source_propose


@pytest.fixture
def proposed(new_article):
    source_propose(source=new_article)
    return new_article


def queue_url(source):
    return reverse("admin:facts_source_review", args=[source.pk])


def test_the_queue_shows_the_text_with_every_candidate_passage_marked(admin_client, proposed):
    response = admin_client.get(queue_url(proposed))
    assert response.status_code == 200
    page = response.content.decode()
    candidates = (
        Event.objects.filter(status=ReviewStatus.CANDIDATE).count()
        + Statement.objects.filter(status=ReviewStatus.CANDIDATE).count()
    )
    assert f"{candidates} candidate(s) proposed from this source" in page
    assert page.count("<mark") >= 10
    assert "Accept all as drafts" in page


def test_accept_makes_a_candidate_a_draft_and_the_history_says_who(admin_client, admin_user, proposed):
    statement = Statement.objects.filter(status=ReviewStatus.CANDIDATE).first()
    response = admin_client.post(queue_url(proposed), {"action": "accept", "fact": f"statement:{statement.pk}"})
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.DRAFT
    assert statement.history.first().history_user == admin_user


def test_reject_needs_a_reason_and_then_deletes_with_it_in_the_history(admin_client, proposed):
    event = Event.objects.filter(status=ReviewStatus.CANDIDATE).first()
    admin_client.post(queue_url(proposed), {"action": "reject", "fact": f"event:{event.pk}", "reason": ""})
    assert Event.objects.filter(pk=event.pk).exists()
    admin_client.post(queue_url(proposed), {"action": "reject", "fact": f"event:{event.pk}", "reason": "Not an event"})
    assert not Event.objects.filter(pk=event.pk).exists()
    deleted = Event.history.filter(id=event.pk, history_type="-").get()
    assert deleted.history_change_reason == "Not an event"


def test_accept_all_accepts_every_candidate_of_the_source(admin_client, proposed):
    admin_client.post(queue_url(proposed), {"action": "accept_all"})
    assert not Event.objects.filter(status=ReviewStatus.CANDIDATE).exists()
    assert not Statement.objects.filter(status=ReviewStatus.CANDIDATE).exists()
    assert Event.objects.filter(status=ReviewStatus.DRAFT).exists()


def test_a_malformed_or_vetted_fact_name_changes_nothing(admin_client, proposed):
    for name in ("event:abc", "nothing:1", "event:999999", "event:"):
        admin_client.post(queue_url(proposed), {"action": "accept", "fact": name})
    assert not Event.objects.exclude(status=ReviewStatus.CANDIDATE).exists()


def test_the_bulk_action_accepts_the_selected_candidates(admin_client, proposed):
    ids = list(Event.objects.filter(status=ReviewStatus.CANDIDATE).values_list("pk", flat=True)[:3])
    response = admin_client.post(
        reverse("admin:facts_event_changelist"), {"action": "accept_candidates", "_selected_action": ids}
    )
    assert response.status_code == 302
    assert set(Event.objects.filter(pk__in=ids).values_list("status", flat=True)) == {ReviewStatus.DRAFT}


def test_an_unknown_source_is_a_404(admin_client, proposed):
    assert admin_client.get(reverse("admin:facts_source_review", args=[999999])).status_code == 404


def test_the_sources_list_links_each_source_to_its_queue_with_its_number_of_candidates(admin_client, proposed):
    candidates = (
        Event.objects.filter(status=ReviewStatus.CANDIDATE).count()
        + Statement.objects.filter(status=ReviewStatus.CANDIDATE).count()
    )
    page = admin_client.get(reverse("admin:facts_source_changelist")).content.decode()
    assert f'href="{queue_url(proposed)}">{candidates} candidate(s)</a>' in page


# -- candidate actors, affiliations and more evidence for a vetted event ---------------------------------------------


@pytest.fixture
def report_proposed(report_source, vetted_talks):
    source_propose(source=report_source)
    return report_source


def test_the_queue_lists_new_actors_their_titles_and_more_evidence_for_an_event(
    admin_client, report_proposed, vetted_talks
):
    page = admin_client.get(queue_url(report_proposed)).content.decode()
    kuleba = Actor.objects.get(name="Dmytro Kuleba")
    assert f"actor {kuleba.pk}</strong>: Dmytro Kuleba" in page
    assert "Dmytro Kuleba (Foreign Minister, Ukraine)" in page
    assert f"add evidence to event #{vetted_talks.pk}" in page
    assert f'value="evidence:{EvidenceSpan.objects.filter(candidate=True).first().pk}"' in page
    assert 'title="more evidence for event' in page


def test_accept_all_accepts_actors_before_the_facts_naming_them_and_the_evidence(admin_client, report_proposed):
    response = admin_client.post(queue_url(report_proposed), {"action": "accept_all"})
    assert response.status_code == 302
    assert not Actor.objects.filter(status="candidate").exists()
    assert not Affiliation.objects.filter(status="candidate").exists()
    assert not Statement.objects.filter(status=ReviewStatus.CANDIDATE).exists()
    assert not Event.objects.filter(status=ReviewStatus.CANDIDATE).exists()
    assert not EvidenceSpan.objects.filter(candidate=True).exists()


def test_a_statement_of_a_candidate_speaker_is_not_accepted_alone(admin_client, report_proposed):
    statement = Statement.objects.get(speaker__name="Dmytro Kuleba", text__startswith="Ukraine wants")
    response = admin_client.post(
        queue_url(report_proposed), {"action": "accept", "fact": f"statement:{statement.pk}"}, follow=True
    )
    assert "Dmytro Kuleba" in " ".join(str(m) for m in response.context["messages"])
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.CANDIDATE
    bulk = admin_client.post(
        reverse("admin:facts_statement_changelist"),
        {"action": "accept_candidates", "_selected_action": [statement.pk]},
        follow=True,
    )
    assert "Not accepted" in " ".join(str(m) for m in bulk.context["messages"])
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.CANDIDATE


def test_rejecting_more_evidence_deletes_the_span_with_the_reason(admin_client, report_proposed, vetted_talks):
    span = EvidenceSpan.objects.filter(candidate=True).first()
    admin_client.post(
        queue_url(report_proposed), {"action": "reject", "fact": f"evidence:{span.pk}", "reason": "Other"}
    )
    assert not EvidenceSpan.objects.filter(pk=span.pk).exists()
    assert vetted_talks.evidence.count() >= 1
