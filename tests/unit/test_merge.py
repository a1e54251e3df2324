"""Merging a duplicate event into another (facts.services.event_merge): what moves, what is dropped, what history
records, what is refused, and that a failed merge writes nothing."""

from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from facts import services
from facts.models import Event, EvidenceSpan, Participant, ReviewStatus, Statement, StatementKind
from tests.conftest import cite, make_actor, make_event, make_place, make_source, make_statement

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
KICKED_OFF = "The US diplomat then kicked off the expected four days of talks between the two sides Monday"
DINNER = "On Sunday, US Secretary of State Antony Blinken held a dinner"
PATEL = "The secretary believes that direct dialogue is key to resolving issues and reaching a lasting peace"
REASON = "Same talks, reported twice"


@pytest.fixture
def curator(db):
    return User.objects.create_user("merger")


@pytest.fixture
def pair(source):
    """Two reports of the same talks: `duplicate` (cites HOSTED and KICKED_OFF) and `target` (cites HOSTED)."""
    blinken = make_actor("Antony Blinken")
    armenia = make_actor("Armenia", kind="state")
    patel = make_actor("Vedant Patel")
    target = make_event(source, HOSTED, title="Talks in Washington")
    duplicate = make_event(source, HOSTED, title="Washington talks", place=make_place("Washington"))
    cite(source, KICKED_OFF, event=duplicate)
    Participant.objects.create(event=target, actor=blinken, role="host")
    Participant.objects.create(event=duplicate, actor=blinken, role="host")
    Participant.objects.create(event=duplicate, actor=armenia, role="party")
    at = make_statement(source, PATEL, patel, event=duplicate)
    about = make_statement(source, PATEL, patel, kind=StatementKind.PARAPHRASE)
    about.about_events.add(duplicate)
    child = make_event(source, DINNER, title="Dinner", parent=duplicate)
    return {"target": target, "duplicate": duplicate, "at": at, "about": about, "child": child, "armenia": armenia}


def test_a_merge_moves_evidence_participants_statements_about_links_and_children(pair, curator):
    target, duplicate = pair["target"], pair["duplicate"]
    merged = services.event_merge(event=duplicate, into=target, user=curator, reason=REASON)
    assert merged == target
    assert sorted(target.evidence.values_list("quote", flat=True)) == sorted([HOSTED, KICKED_OFF])
    assert sorted(target.participants.values_list("actor__name", "role")) == [
        ("Antony Blinken", "host"),
        ("Armenia", "party"),
    ]
    assert Statement.objects.get(pk=pair["at"].pk).event_id == target.pk
    assert list(Statement.objects.get(pk=pair["about"].pk).about_events.values_list("pk", flat=True)) == [target.pk]
    assert Event.objects.get(pk=pair["child"].pk).parent_id == target.pk
    tombstone = Event.objects.get(pk=duplicate.pk)
    assert tombstone.merged_into_id == target.pk and tombstone.place_id is None and tombstone.parent_id is None
    assert not tombstone.evidence.exists() and not tombstone.participants.exists()


def test_exact_duplicate_passages_and_same_role_participants_are_dropped_not_doubled(pair, curator):
    target, duplicate = pair["target"], pair["duplicate"]
    services.event_merge(event=duplicate, into=target, user=curator, reason=REASON)
    assert target.evidence.filter(quote=HOSTED).count() == 1
    assert target.participants.filter(actor__name="Antony Blinken").count() == 1
    # The span and participant that duplicated the target's are gone, with a deletion in their history.
    deleted = EvidenceSpan.history.filter(history_type="-", event_id=duplicate.pk)
    assert [(r.quote, r.history_change_reason, r.history_user_id) for r in deleted] == [(HOSTED, REASON, curator.pk)]
    assert Participant.history.filter(history_type="-", event_id=duplicate.pk).count() == 1


def test_history_records_every_moved_row_and_the_tombstone_with_the_user_and_reason(pair, curator):
    target, duplicate = pair["target"], pair["duplicate"]
    services.event_merge(event=duplicate, into=target, user=curator, reason=REASON)
    records = [
        *EvidenceSpan.history.filter(event_id=target.pk, history_type="~"),
        *Participant.history.filter(event_id=target.pk, history_type="~"),
        *Statement.history.filter(id__in=[pair["at"].pk, pair["about"].pk], history_change_reason=REASON),
        *Event.history.filter(id__in=[duplicate.pk, target.pk, pair["child"].pk], history_type="~"),
    ]
    assert {(r._meta.model_name, r.id) for r in records} >= {
        ("historicalevidencespan", target.evidence.get(quote=KICKED_OFF).pk),
        ("historicalparticipant", target.participants.get(actor=pair["armenia"]).pk),
        ("historicalstatement", pair["at"].pk),
        ("historicalstatement", pair["about"].pk),
        ("historicalevent", duplicate.pk),
        ("historicalevent", target.pk),
        ("historicalevent", pair["child"].pk),
    }
    assert {(r.history_user_id, r.history_change_reason) for r in records} == {(curator.pk, REASON)}
    last = Event.history.filter(id=duplicate.pk).latest("history_id")
    assert last.merged_into_id == target.pk and last.history_type == "~"
    # One write: every record of the merge carries the same time.
    assert len({r.history_date for r in records}) == 1


def test_statements_made_at_the_merged_event_take_the_targets_dates(source, curator):
    target = make_event(source, HOSTED, date_start="2023-05-01", date_end="2023-05-01", date_precision="day")
    duplicate = make_event(source, KICKED_OFF, date_start="2023-04-30", date_end="2023-04-30", date_precision="day")
    statement = make_statement(source, PATEL, make_actor("Vedant Patel"), event=duplicate)
    assert str(Statement.objects.get(pk=statement.pk).date_start) == "2023-04-30"
    services.event_merge(event=duplicate, into=target, user=curator, reason=REASON)
    assert str(Statement.objects.get(pk=statement.pk).date_start) == "2023-05-01"


def test_earlier_tombstones_lead_to_the_new_target_in_one_hop(source, curator):
    first, second, third = (make_event(source, HOSTED, title=t) for t in ("A", "B", "C"))
    services.event_merge(event=first, into=second, user=curator, reason=REASON)
    services.event_merge(event=second, into=third, user=curator, reason=REASON)
    assert Event.objects.get(pk=first.pk).merged_into_id == third.pk
    assert Event.objects.get(pk=second.pk).merged_into_id == third.pk


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("itself", "into", "cannot be merged into itself"),
        ("missing", "into", "No event with id"),
        ("into merged", "into", "was merged into event"),
        ("from merged", "event", "already merged"),
        ("candidate", "into", "unvetted candidate"),
        ("within", "into", "is part of this event"),
        ("roles differ", "participants", "one role per event"),
        ("long reason", "reason", "no more than"),
    ],
)
def test_a_merge_that_would_break_a_rule_is_refused_naming_the_field(source, curator, case, field, message):
    event = make_event(source, HOSTED, title="Event")
    other = make_event(source, KICKED_OFF, title="Other")
    reason = REASON
    into: Event | int = other
    if case == "itself":
        into = event
    elif case == "missing":
        into = 999_999
    elif case in ("into merged", "from merged"):
        third = make_event(source, DINNER, title="Third")
        services.event_merge(event=other if case == "into merged" else event, into=third, user=curator)
    elif case == "candidate":
        Event.objects.filter(pk=other.pk).update(status=ReviewStatus.CANDIDATE)
    elif case == "within":
        Event.objects.filter(pk=other.pk).update(parent=event)
    elif case == "roles differ":
        blinken = make_actor("Antony Blinken")
        Participant.objects.create(event=event, actor=blinken, role="host")
        Participant.objects.create(event=other, actor=blinken, role="guest")
    elif case == "long reason":
        reason = "x" * 101
    before = snapshot()
    with pytest.raises(services.FactValidationError) as refused:
        services.event_merge(event=event, into=into, user=curator, reason=reason)
    assert list(refused.value.detail) == [field]
    assert message in " ".join(refused.value.detail[field])
    assert snapshot() == before


def snapshot() -> dict:
    """Every row a merge touches, with the fields it changes, and the number of history records."""
    return {
        "events": list(Event.objects.order_by("pk").values_list("pk", "merged_into", "parent", "place")),
        "spans": list(EvidenceSpan.objects.order_by("pk").values_list("pk", "event")),
        "participants": list(Participant.objects.order_by("pk").values_list("pk", "event")),
        "statements": list(Statement.objects.order_by("pk").values_list("pk", "event")),
        "about": list(Statement.about_events.through.objects.order_by("pk").values_list("statement", "event")),
        "history": Event.history.count() + EvidenceSpan.history.count() + Statement.history.count(),
    }


def test_a_merge_that_fails_midway_writes_nothing(pair, curator):
    before = snapshot()
    with mock.patch("facts.services.merging._move_children", side_effect=IntegrityError("boom")):
        with pytest.raises(IntegrityError):
            services.event_merge(event=pair["duplicate"], into=pair["target"], user=curator, reason=REASON)
    assert snapshot() == before


def test_the_tombstone_needs_no_evidence_and_deleting_the_target_takes_its_tombstones(pair, curator):
    target, duplicate = pair["target"], pair["duplicate"]
    services.event_merge(event=duplicate, into=target, user=curator, reason=REASON)
    assert not Event.objects.get(pk=duplicate.pk).needs_evidence()
    Statement.objects.filter(event=target).update(event=None)
    Statement.about_events.through.objects.filter(event=target).delete()
    Event.objects.filter(parent=target).update(parent=None)
    services.instance_delete(instance=Event.objects.get(pk=target.pk), user=curator, reason="Gone")
    assert not Event.objects.filter(pk__in=[target.pk, duplicate.pk]).exists()
    assert Event.history.filter(id=duplicate.pk, history_type="-", history_change_reason="Gone").exists()


def test_a_tombstone_cannot_keep_a_place_or_be_merged_into_itself(pair, curator):
    services.event_merge(event=pair["duplicate"], into=pair["target"], user=curator, reason=REASON)
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=pair["duplicate"].pk).update(place=make_place("Somewhere"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=pair["duplicate"].pk).update(merged_into=pair["duplicate"].pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="deferred constraint triggers are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_postgresql_commits_a_merge_and_still_refuses_to_strip_a_live_event_of_evidence(article_text):
    source = make_source(article_text)
    target, duplicate = make_event(source, HOSTED), make_event(source, KICKED_OFF)
    services.event_merge(event=duplicate, into=target, reason=REASON)  # the tombstone's last span moved: committed
    assert Event.objects.get(pk=duplicate.pk).merged_into_id == target.pk
    with pytest.raises(IntegrityError, match="without evidence"), transaction.atomic():
        EvidenceSpan.objects.filter(event=target).delete()


def test_a_merged_event_cannot_be_edited_or_reverted_through_the_services(pair, curator):
    from facts.history import version_restore

    duplicate = pair["duplicate"]
    first = Event.history.filter(id=duplicate.pk).earliest("history_id").history_id
    services.event_merge(event=duplicate, into=pair["target"], user=curator, reason=REASON)
    tombstone = Event.objects.get(pk=duplicate.pk)
    with pytest.raises(services.FactValidationError, match="merged into event"):
        services.event_update(event=tombstone, title="Back", user=curator)
    with pytest.raises(ValidationError, match="merged into event"):
        version_restore(model=Event, object_id=duplicate.pk, version_id=first, user=curator)
    assert Event.objects.get(pk=duplicate.pk).merged_into_id == pair["target"].pk
    assert not Event.objects.get(pk=duplicate.pk).evidence.exists()


def test_nothing_can_refer_to_a_merged_event(pair, curator, source):
    services.event_merge(event=pair["duplicate"], into=pair["target"], user=curator, reason=REASON)
    with pytest.raises(services.FactValidationError) as refused:
        services.event_update(event=pair["target"], parent=pair["duplicate"], user=curator)
    assert "merged into another event" in " ".join(refused.value.detail["parent"])
    statement = pair["about"]
    with pytest.raises(services.FactValidationError) as refused:
        services.statement_update(statement=statement, event=pair["duplicate"], user=curator)
    assert list(refused.value.detail) == ["event"]


def test_statements_whose_links_move_have_their_updated_at_moved(pair, curator):
    before = Statement.objects.get(pk=pair["about"].pk).updated_at
    services.event_merge(event=pair["duplicate"], into=pair["target"], user=curator, reason=REASON)
    assert Statement.objects.get(pk=pair["about"].pk).updated_at > before


def test_verify_evidence_passes_after_a_merge(pair, curator):
    from io import StringIO

    from django.core.management import call_command

    services.event_merge(event=pair["duplicate"], into=pair["target"], user=curator, reason=REASON)
    out = StringIO()
    call_command("verify_evidence", stdout=out)
    assert "0 problem(s)" in out.getvalue()
