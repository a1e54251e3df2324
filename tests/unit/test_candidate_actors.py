"""New actors and their titles written as candidates, the rules between candidate actors and the facts naming them,
and a proposal that reports a vetted event again written as more evidence for it (issue 19).

The second text of tests/unit/test_extraction.py, stored and proposed through the database: it names two people and
groups no known actor covers (Ukraine's foreign minister Dmytro Kuleba, "a Russian official").
"""

from pathlib import Path

import pytest

from facts.models import (
    Actor,
    ActorAlias,
    Affiliation,
    Event,
    EvidenceSpan,
    Participant,
    ProposalState,
    ReviewStatus,
    Statement,
)
from facts.services import FactValidationError, event_create, instance_delete
from facts.services.candidates import candidate_accept, candidate_reject
from facts.services.proposals import source_propose
from tests.unit.test_extraction import EXPECTED_STATEMENTS, KULEBA, OFFICIAL, REPORT, REPORT_PUBLISHED

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _kuleba() -> Actor:
    return Actor.objects.get(name=KULEBA.removeprefix("new:"))


def test_new_people_are_candidate_actors_with_the_passage_naming_them_and_their_title(report_source):
    report = source_propose(source=report_source)
    created = Actor.objects.filter(status=ProposalState.CANDIDATE)
    assert sorted(created.values_list("name", "kind", "proposed_by")) == [
        ("Dmytro Kuleba", "person", "actor:title-name"),
        ("Russian official (anonymous)", "unnamed", "actor:unnamed-source"),
    ]
    assert sorted(report.actors) == sorted(created.values_list("pk", flat=True))
    # Each is named by the source's own words: an alias citing the passage.
    aliases = {
        (a.actor.name, a.name, tuple(s.quote for s in a.evidence.all()))
        for a in ActorAlias.objects.filter(actor__in=created)
    }
    assert aliases == {
        ("Dmytro Kuleba", "Dmytro Kuleba", ("Dmytro Kuleba",)),
        ("Russian official (anonymous)", "Russian official", ("A Russian official",)),
    }
    # The title is a candidate affiliation, citing the passage that states it.
    affiliations = Affiliation.objects.filter(status=ProposalState.CANDIDATE).order_by("role_title")
    assert [
        (a.person.name, a.organization.slug, a.role_title, [s.quote for s in a.evidence.all()]) for a in affiliations
    ] == [
        ("Russian official (anonymous)", "russia", "", ["A Russian official"]),
        ("Dmytro Kuleba", "ukraine", "Foreign Minister", ["Ukrainian Foreign Minister Dmytro Kuleba"]),
    ]
    assert all(a.proposed_by.startswith("affiliation:") for a in affiliations)
    assert (affiliations[1].date_start, affiliations[1].date_end) == (None, REPORT_PUBLISHED)


def test_a_new_speaker_speaks_as_the_candidate_actor_and_a_new_participant_takes_part(report_source):
    source_propose(source=report_source)
    expected = {
        text: speaker.removeprefix("new:")
        for text, (_kind, speaker, _channel) in EXPECTED_STATEMENTS.items()
        if speaker in (KULEBA, OFFICIAL)
    }
    spoken = {s.text: s.speaker.name for s in Statement.objects.filter(text__in=expected)}
    assert spoken == {text: name for text, name in expected.items()}
    # Every statement of the second text is proposed now, those of new speakers included.
    assert Statement.objects.count() == len(EXPECTED_STATEMENTS)
    visit = Event.objects.get(event_type_id="042")
    assert {(p.actor.name, p.role) for p in visit.participants.all()} == {
        ("Dmytro Kuleba", "guest"),
        ("Turkey", "host"),
    }


def test_proposing_again_adds_no_actor_affiliation_or_passage(report_source):
    source_propose(source=report_source)
    counts = [Actor.objects.count(), Affiliation.objects.count(), EvidenceSpan.objects.count(), Event.objects.count()]
    again = source_propose(source=report_source)
    assert [
        Actor.objects.count(),
        Affiliation.objects.count(),
        EvidenceSpan.objects.count(),
        Event.objects.count(),
    ] == (counts)
    assert again.actors == again.affiliations == again.statements == again.events == again.merged == []
    assert {row["id"] for row in again.new_actors} == set(
        Actor.objects.filter(status="candidate").values_list("pk", flat=True)
    )


def test_two_sentences_reporting_one_event_give_one_candidate_with_both_passages(report_source):
    report = source_propose(source=report_source)
    assert report.merged
    for merged in report.merged:
        event = Event.objects.get(pk=merged["event"])
        assert event.status == ReviewStatus.CANDIDATE and event.evidence.count() >= 2
    # "the talks" between the two delegations, reported again, is a passage of the talks, not a second candidate.
    margins = EvidenceSpan.objects.get(quote="both delegations on the margins of the talks")
    assert margins.event.evidence.count() >= 2 and margins.event.proposed_by != margins.proposed_by


# -- the rules between candidate actors and what names them -----------------------------------------------------------


def test_a_fact_naming_a_candidate_actor_is_accepted_only_after_the_actor(report_source):
    source_propose(source=report_source)
    kuleba = _kuleba()
    statement = Statement.objects.filter(speaker=kuleba).first()
    with pytest.raises(FactValidationError) as refused:
        candidate_accept(fact=statement, reason="Checked")
    assert "Dmytro Kuleba" in refused.value.detail["status"][0]
    statement.refresh_from_db()
    assert statement.status == ReviewStatus.CANDIDATE
    # A status saved on its own (a bulk action) keeps the rule too.
    statement.status = ReviewStatus.DRAFT
    with pytest.raises(Exception, match="candidate actor"):
        statement.save(update_fields=["status", "updated_at"])
    candidate_accept(fact=kuleba, reason="A known minister")
    statement.refresh_from_db()
    candidate_accept(fact=statement, reason="Checked")
    statement.refresh_from_db()
    assert (statement.status, _kuleba().status) == (ReviewStatus.DRAFT, ProposalState.ACCEPTED)


def test_a_draft_event_cannot_take_a_candidate_actor_as_participant(report_source):
    source_propose(source=report_source)
    with pytest.raises(FactValidationError) as refused:
        event_create(
            evidence=[{"source": report_source, "quote": "Kuleba visited Ankara"}],
            participants=[{"actor": _kuleba(), "role": "guest"}],
            title="Kuleba in Ankara",
            event_type_id="042",
            date_text="last month",
        )
    assert "participants" in refused.value.detail
    with pytest.raises(Exception, match="candidate actor"):
        Participant.objects.create(
            event=Event.objects.exclude(status="candidate").first() or _draft(report_source),
            actor=_kuleba(),
            role="guest",
        )


def _draft(source) -> Event:
    turkey = Actor.objects.get(slug="turkey")
    return event_create(
        evidence=[{"source": source, "quote": "Turkey hosted talks"}],
        participants=[{"actor": turkey, "role": "host"}],
        title="Turkey hosts talks",
        event_type_id="043",
    )


def test_an_actor_that_vetted_facts_name_cannot_become_a_candidate_again(report_source):
    event = _draft(report_source)
    turkey = Actor.objects.get(slug="turkey")
    turkey.status = ProposalState.CANDIDATE
    with pytest.raises(Exception, match="cannot be a candidate"):
        turkey.full_clean()
    assert event.participants.get().actor.status == ProposalState.ACCEPTED


def test_rejecting_a_candidate_actor_rejects_the_candidates_naming_it_with_the_reason(report_source):
    source_propose(source=report_source)
    kuleba = _kuleba()
    actor_id = kuleba.pk
    statements = list(Statement.objects.filter(speaker=kuleba).values_list("pk", flat=True))
    events = list(Event.objects.filter(participants__actor=kuleba).values_list("pk", flat=True))
    affiliation = Affiliation.objects.get(person=kuleba)
    assert statements and events
    with pytest.raises(FactValidationError):
        candidate_reject(fact=kuleba, reason="")
    candidate_reject(fact=kuleba, reason="Not a person of this story")
    assert not Actor.objects.filter(pk=actor_id).exists()
    assert not Statement.objects.filter(pk__in=statements).exists() and not Event.objects.filter(pk__in=events).exists()
    assert not Affiliation.objects.filter(pk=affiliation.pk).exists()
    for model, ids in ((Statement, statements), (Event, events), (Actor, [actor_id])):
        reasons = set(
            model.history.filter(id__in=ids, history_type="-").values_list("history_change_reason", flat=True)
        )
        assert reasons == {"Not a person of this story"}, (model, ids)


def test_a_candidate_actor_a_vetted_fact_names_through_about_is_not_deleted_silently(report_source):
    source_propose(source=report_source)
    kuleba, vetted = _kuleba(), _draft(report_source)
    statement = Statement.objects.create(speaker=Actor.objects.get(slug="turkey"), text="x", kind="paraphrase")
    EvidenceSpan.objects.create(source=report_source, start=0, end=6, quote=REPORT[:6], statement=statement)
    statement.about_actors.add(kuleba)
    from facts.services import DependentsExist

    with pytest.raises(DependentsExist):
        instance_delete(instance=kuleba, reason="No")
    assert Actor.objects.filter(pk=kuleba.pk).exists() and Event.objects.filter(pk=vetted.pk).exists()


# -- more evidence for a vetted event ---------------------------------------------------------------------------------


def test_a_proposal_matching_a_vetted_event_is_a_candidate_span_on_it_not_a_new_event(report_source, vetted_talks):
    report = source_propose(source=report_source)
    assert report.evidence and {row["event"] for row in report.evidence} == {vetted_talks.pk}
    spans = EvidenceSpan.objects.filter(pk__in=[row["span"] for row in report.evidence])
    assert all(span.candidate and span.source_id == report_source.pk and span.proposed_by for span in spans)
    assert "Turkey Hosts Russia-Ukraine" in {span.quote for span in spans}
    assert not EvidenceSpan.objects.filter(event__status="candidate", quote="Turkey Hosts Russia-Ukraine").exists()
    again = source_propose(source=report_source)
    assert again.evidence == [] and EvidenceSpan.objects.filter(candidate=True).count() == len(report.evidence)


def test_a_candidate_span_is_not_the_events_evidence_until_accepted(client, report_source, vetted_talks):
    source_propose(source=report_source)
    url = f"/api/v1/events/{vetted_talks.pk}/"

    def cited_sources():
        return {
            span["source"]["id"] if isinstance(span["source"], dict) else span["source"]
            for span in client.get(url).json()["evidence"]
        }

    assert report_source.pk not in cited_sources()
    listed = client.get("/api/v1/events/", {"source": report_source.pk}).json()
    assert vetted_talks.pk not in [item["id"] for item in listed["results"]]
    first, *rest = EvidenceSpan.objects.filter(candidate=True)
    candidate_accept(fact=first, reason="Same talks")
    assert report_source.pk in cited_sources()
    rejected = [span.pk for span in rest]
    for span in rest:
        candidate_reject(fact=span, reason="Another meeting")
    assert not EvidenceSpan.objects.filter(candidate=True).exists()
    deleted = EvidenceSpan.history.filter(id__in=rejected, history_type="-")
    assert set(deleted.values_list("history_change_reason", flat=True)) == {"Another meeting"}


def test_a_candidate_span_does_not_count_as_the_evidence_an_event_keeps(report_source, vetted_talks):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, connection, transaction

    source_propose(source=report_source)
    assert vetted_talks.evidence.filter(candidate=True).exists()
    (vetted_span,) = vetted_talks.evidence.filter(candidate=False)
    with pytest.raises(ValidationError, match="without any"):
        vetted_span.delete()
    if connection.vendor == "postgresql":  # the deferred trigger of migration 0011, as migration 0019 left it
        with pytest.raises(IntegrityError, match="would be left without evidence"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction never commits
                EvidenceSpan.objects.filter(pk=vetted_span.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert EvidenceSpan.objects.filter(pk=vetted_span.pk).exists()
