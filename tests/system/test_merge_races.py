"""Two merges of one pair of events in opposite directions at once: one succeeds, the other is refused naming the
merged event, never both (which would leave each a tombstone of the other) and never a deadlock."""

import threading
import time

import pytest
from django.db import connection

from facts import services
from facts.models import Event
from facts.services import merging
from tests.conftest import make_event, make_source

HOSTED = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"
KICKED_OFF = "The US diplomat then kicked off the expected four days of talks between the two sides Monday"


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs each write under BEGIN IMMEDIATE: two merges never overlap there (the lock is PostgreSQL's)",
)
@pytest.mark.django_db(transaction=True)
def test_merges_in_opposite_directions_at_once_let_exactly_one_through(article_text, monkeypatch):
    source = make_source(article_text)
    first, second = make_event(source, HOSTED, title="First"), make_event(source, KICKED_OFF, title="Second")
    original = merging._move_evidence

    def slow_move(*args, **kwargs):
        time.sleep(0.5)  # holds both row locks while the other merge starts: the two surely overlap
        return original(*args, **kwargs)

    monkeypatch.setattr(merging, "_move_evidence", slow_move)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def run(name, event, into):
        try:
            barrier.wait(10)
            services.event_merge(event=event.pk, into=into.pk, reason=f"race {name}")
            outcomes[name] = "merged"
        except services.FactValidationError as exc:
            outcomes[name] = exc.detail
        except Exception as exc:  # noqa: BLE001  # a deadlock or any other error is what this test looks for
            outcomes[name] = repr(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("forward", first, second)),
        threading.Thread(target=run, args=("backward", second, first)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert sorted(map(str, outcomes.values())).count("merged") == 1, outcomes
    refused = next(value for value in outcomes.values() if value != "merged")
    assert isinstance(refused, dict) and set(refused) <= {"into", "event"}, refused
    merged = list(Event.objects.exclude(merged_into=None).values_list("pk", "merged_into"))
    assert merged in ([(first.pk, second.pk)], [(second.pk, first.pk)])
    live = Event.objects.filter(merged_into=None).get()
    assert sorted(live.evidence.values_list("quote", flat=True)) == sorted([HOSTED, KICKED_OFF])
