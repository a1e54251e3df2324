"""`load_article` (what `make serve` runs): the article is loaded once, and a second run keeps curators' edits."""

import pytest
from django.core.management import call_command

from facts.models import Event, EvidenceSpan, Source, Statement

pytestmark = pytest.mark.django_db


def test_first_run_loads_the_article_and_records_it_as_created():
    call_command("load_article", verbosity=0)
    assert Source.objects.count() == 1 and Event.objects.count() > 0 and EvidenceSpan.objects.count() > 0
    assert Event.history.filter(history_type="+").count() == Event.objects.count()


def test_second_run_keeps_a_curators_edit(capsys):
    call_command("load_article", verbosity=0)
    event = Event.objects.get(pk=16)
    event.title = "Edited by a curator"
    event.save()
    statements = Statement.objects.count()

    call_command("load_article")

    assert "already loaded" in capsys.readouterr().out
    assert Event.objects.get(pk=16).title == "Edited by a curator"
    assert Statement.objects.count() == statements


def test_force_reloads_over_the_edit_and_the_history_keeps_it():
    call_command("load_article", verbosity=0)
    event = Event.objects.get(pk=16)
    original = event.title
    event.title = "Edited by a curator"
    event.save()

    call_command("load_article", force=True, verbosity=0)

    assert Event.objects.get(pk=16).title == original
    assert Event.history.filter(id=16, title="Edited by a curator").exists()
