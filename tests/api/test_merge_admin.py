"""The event changelist's merge action: a page asking for the target and a reason, the merge through the service,
refusals shown as messages with nothing merged, and merged events shown read-only."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.test import Client

from facts.models import Event, Participant
from tests.api.test_admin import admin_url
from tests.api.test_duplicates_api import README_EVENT
from tests.conftest import make_actor


@pytest.fixture
def duplicates(db, admin_client) -> list[int]:
    """Two more reports of the article's phone call (event 19), through the API."""
    from rest_framework.test import APIClient

    call_command("load_article", verbosity=0)
    api = APIClient()
    api.force_authenticate(User.objects.get(username="admin"))
    return [api.post("/api/v1/events/", README_EVENT, format="json").json()["id"] for _ in range(2)]


def run_action(client, ids, **form):
    data = {"action": "merge_events", ACTION_CHECKBOX_NAME: [str(pk) for pk in ids], **form}
    return client.post(admin_url(Event, "changelist"), data, follow=True)


def shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_action_asks_for_the_target_and_suggests_the_probable_duplicates(admin_client, duplicates):
    page = run_action(admin_client, duplicates[:1])
    assert page.status_code == 200 and page.templates[0].name == "admin/facts/event/merge.html"
    assert [d.id for d in page.context["suggested"]][:1] in ([19], [duplicates[1]])
    assert b'name="into"' in page.content
    assert Event.objects.filter(pk__in=duplicates, merged_into__isnull=False).count() == 0


def test_the_action_merges_every_selected_event_with_the_reason(admin_client, duplicates):
    done = run_action(admin_client, duplicates, apply="Merge", into="19", change_reason="Same call")
    assert "2 event(s) merged into event 19." in shown(done)
    assert set(Event.objects.filter(pk__in=duplicates).values_list("merged_into", flat=True)) == {19}
    record = Event.history.filter(id=duplicates[0]).latest("history_id")
    assert (record.history_change_reason, record.history_user.username) == ("Same call", "admin")


@pytest.mark.parametrize("into", ["self", "999999", "candidate"])
def test_a_refused_merge_is_a_message_and_nothing_is_merged(admin_client, duplicates, into):
    if into == "self":
        into = str(duplicates[1])  # the second selected event would merge into itself
    elif into == "candidate":
        Event.objects.filter(pk=20).update(status="candidate")
        into = "20"
    refused = run_action(admin_client, duplicates, apply="Merge", into=into)
    assert any(m.startswith("Nothing was merged: event") for m in shown(refused)), shown(refused)
    assert refused.templates[0].name == "admin/facts/event/merge.html"
    assert not Event.objects.filter(pk__in=duplicates, merged_into__isnull=False).exists()


def test_a_role_clash_is_refused_naming_participants(admin_client, duplicates):
    actor = make_actor("Someone")
    Participant.objects.create(event_id=duplicates[0], actor=actor, role="host")
    Participant.objects.create(event_id=19, actor=actor, role="guest")
    refused = run_action(admin_client, duplicates[:1], apply="Merge", into="19")
    assert any("participants: Someone is host here but guest in event 19" in m for m in shown(refused))


def test_the_action_needs_the_change_and_delete_permissions(duplicates):
    user = User.objects.create_user("no-delete", is_staff=True, password="x")
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_event", "change_event"]))
    client = Client()
    client.force_login(user)
    changelist = client.get(admin_url(Event, "changelist"))
    assert "merge_events" not in dict(changelist.context["action_form"].fields["action"].choices)
    run_action(client, duplicates[:1], apply="Merge", into="19")
    assert Event.objects.get(pk=duplicates[0]).merged_into_id is None


def test_a_merged_event_is_shown_read_only_and_cannot_be_reverted(admin_client, duplicates):
    run_action(admin_client, duplicates[:1], apply="Merge", into="19")
    page = admin_client.get(admin_url(Event, "change", duplicates[0]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert admin_client.post(admin_url(Event, "change", duplicates[0]), {"title": "Back"}).status_code == 403
    version = Event.history.filter(id=duplicates[0]).earliest("history_id").history_id
    revert = admin_client.post(admin_url(Event, "history", duplicates[0]) + f"{version}/", {})
    assert revert.status_code == 403
    assert Event.objects.get(pk=duplicates[0]).merged_into_id == 19
    listed = admin_client.get(admin_url(Event, "changelist") + "?merged=yes")
    assert [e.pk for e in listed.context["cl"].result_list] == [duplicates[0]]
