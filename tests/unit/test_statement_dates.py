"""A statement made at an event takes that event's dates, unless its own words date it: on every path.

The rule is one function, facts.models.dates_at_event, applied by Statement.save() and clean(), by Event.save() to the
statements made at it, by the raw saves of fixture loads, and by build_fixtures on the spec. Each path is tested here:
the model, the API, the admin, a history revert, a fixture load, and the builder.
"""

from datetime import date

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from facts import services
from facts.history import version_restore
from facts.models import Event, ReviewStatus, Statement, StatementKind, dates_at_event
from tests.conftest import make_actor, make_event, make_statement
from tests.unit.test_fixtures import STEM, _copy_inputs, load_fixtures

pytestmark = pytest.mark.django_db

API = "/api/v1"
VISIT = "France’s Foreign Minister Catherine Colonna visited the two countries last week"
PURPOSE = "The purpose of the visit is to reaffirm France’s support for the Armenian government and people"
URGING = "urging Azerbaijan to restore “unhindered movement” through the Lachin corridor"
LAST_WEEK = (date(2023, 4, 24), date(2023, 4, 30), "week")


def dates(fact) -> tuple:
    fact.refresh_from_db()
    return fact.date_start, fact.date_end, fact.date_precision


@pytest.fixture
def visit(source):
    return make_event(
        source,
        VISIT,
        title="Colonna visits",
        date_text="last week",
        date_start=LAST_WEEK[0],
        date_end=LAST_WEEK[1],
        date_precision="week",
    )


@pytest.fixture
def colonna(db):
    return make_actor("Catherine Colonna", slug="catherine-colonna")


# --- the rule itself ---------------------------------------------------------------------------------------------


def test_the_rule_takes_the_events_dates_unless_the_statement_has_its_own_date_text():
    event = {"date_start": date(2023, 4, 24), "date_end": date(2023, 4, 30), "date_precision": "week"}
    assert dates_at_event("", event) == event
    assert dates_at_event("  ", event) == event
    assert dates_at_event("last week", event) is None
    assert dates_at_event("", None) is None


# --- the model ---------------------------------------------------------------------------------------------------


def test_a_statement_saved_at_an_event_takes_its_dates(source, visit, colonna):
    statement = make_statement(source, PURPOSE, colonna, event=visit)
    assert dates(statement) == LAST_WEEK
    own = make_statement(
        source,
        URGING,
        colonna,
        kind=StatementKind.PARAPHRASE,
        text="Restore movement",
        event=visit,
        date_text="Sunday",
        date_start=date(2023, 4, 30),
        date_end=date(2023, 4, 30),
        date_precision="day",
    )
    assert dates(own) == (date(2023, 4, 30), date(2023, 4, 30), "day")


def test_clean_gives_an_unsaved_statement_its_events_dates(visit, colonna):
    statement = Statement(
        speaker=colonna,
        text="Words",
        kind=StatementKind.PARAPHRASE,
        event=visit,
        date_start=date(2020, 1, 1),
        date_end=date(2020, 12, 31),
        date_precision="year",
    )
    statement.full_clean()
    assert (statement.date_start, statement.date_end, statement.date_precision) == LAST_WEEK


def test_when_an_event_is_redated_its_statements_without_a_date_of_their_own_follow(source, visit, colonna):
    follows = make_statement(source, PURPOSE, colonna, event=visit)
    keeps = make_statement(
        source,
        URGING,
        colonna,
        kind=StatementKind.PARAPHRASE,
        text="Restore movement",
        event=visit,
        date_text="Sunday",
        date_start=date(2023, 4, 30),
        date_end=date(2023, 4, 30),
        date_precision="day",
    )
    visit.date_text, visit.date_start, visit.date_end, visit.date_precision = "", None, date(2023, 5, 1), "open"
    visit.save()
    assert dates(follows) == (None, date(2023, 5, 1), "open")
    assert dates(keeps) == (date(2023, 4, 30), date(2023, 4, 30), "day")
    latest = follows.history.first()
    assert (latest.date_start, latest.date_end) == (None, date(2023, 5, 1))
    assert latest.history_change_reason == f"Takes the dates of event {visit.pk}, at which it was made."


def test_a_statement_moved_to_another_event_takes_that_events_dates(source, visit, colonna):
    statement = make_statement(source, PURPOSE, colonna, event=visit)
    monday = make_event(
        source,
        "Speaking on grounds of anonymity Monday",
        title="Briefing",
        date_text="Monday",
        date_start=date(2023, 5, 1),
        date_end=date(2023, 5, 1),
        date_precision="day",
    )
    statement.event = monday
    statement.save()
    assert dates(statement) == (date(2023, 5, 1), date(2023, 5, 1), "day")


# --- the API ---------------------------------------------------------------------------------------------------


@pytest.fixture
def curator(db):
    from django.contrib.auth import get_user_model

    from tests.conftest import grant_review

    user = grant_review(get_user_model().objects.create_superuser("curator", password="pw"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_an_api_statement_at_an_event_takes_its_dates_and_follows_them(curator, source, visit, colonna):
    response = curator.post(
        f"{API}/statements/",
        {
            "speaker": colonna.slug,
            "kind": "quote",
            "text": PURPOSE,
            "event": visit.pk,
            "evidence": [{"source": source.pk, "quote": PURPOSE}],
            "reason": "Colonna at the visit",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["date_text"], body["date_start"], body["date_end"], body["date_precision"]) == (
        "",
        "2023-04-24",
        "2023-04-30",
        "week",
    )
    # Explicit dates without a date expression of its own do not override the occasion's.
    statement = Statement.objects.get(pk=body["id"])
    response = curator.patch(
        f"{API}/statements/{statement.pk}/",
        {"date_start": "2020-01-01", "date_end": "2020-12-31", "date_precision": "year"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert dates(statement) == LAST_WEEK
    # The event redated through the API: the statement follows.
    response = curator.patch(f"{API}/events/{visit.pk}/", {"date_text": "On Sunday"}, format="json")
    assert response.status_code == 200, response.json()
    assert dates(statement) == (date(2023, 4, 30), date(2023, 4, 30), "day")
    assert curator.get(f"{API}/statements/{statement.pk}/").json()["date_start"] == "2023-04-30"


def test_an_api_statement_with_its_own_date_text_keeps_its_own_dates(curator, source, visit, colonna):
    response = curator.post(
        f"{API}/statements/",
        {
            "speaker": colonna.slug,
            "kind": "paraphrase",
            "text": "Restore movement",
            "event": visit.pk,
            "date_text": "Sunday",
            "evidence": [{"source": source.pk, "quote": URGING}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["date_start"], response.json()["date_precision"]) == ("2023-04-30", "day")


# --- the admin -------------------------------------------------------------------------------------------------


def test_an_admin_statement_at_an_event_takes_its_dates(admin_client, source, visit, colonna):
    data = {
        "speaker": colonna.pk,
        "kind": StatementKind.QUOTE,
        "text": PURPOSE,
        "channel": "",
        "event": visit.pk,
        "status": ReviewStatus.DRAFT,
        "date_text": "",
        "date_start": "",
        "date_end": "",
        "date_precision": "",
        "evidence-TOTAL_FORMS": "1",
        "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0",
        "evidence-MAX_NUM_FORMS": "1000",
        "evidence-0-source": source.pk,
        "evidence-0-quote": PURPOSE,
        "evidence-0-occurrence": "",
    }
    response = admin_client.post(reverse("admin:facts_statement_add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert dates(Statement.objects.get()) == LAST_WEEK


# --- a revert ----------------------------------------------------------------------------------------------------


def test_a_revert_keeps_the_statement_on_its_events_dates(source, visit, colonna):
    statement = make_statement(source, PURPOSE, colonna)  # no event yet: undated
    first = statement.history.first()
    services.statement_update(statement=statement, event=visit, reason="At the visit")
    assert dates(statement) == LAST_WEEK
    # Back to the version without an event: undated again, as it was; forward again: the event's dates.
    version_restore(model=Statement, object_id=statement.pk, version_id=first.history_id)
    assert dates(statement) == (None, None, "") and Statement.objects.get(pk=statement.pk).event_id is None
    later = statement.history.filter(event_id=visit.pk).first()
    visit.date_start, visit.date_end, visit.date_text = date(2023, 4, 30), date(2023, 4, 30), "On Sunday"
    visit.date_precision = "day"
    visit.save()
    version_restore(model=Statement, object_id=statement.pk, version_id=later.history_id)
    assert dates(statement) == (date(2023, 4, 30), date(2023, 4, 30), "day")  # the event's dates now, not then


# --- fixture loads and the builder -------------------------------------------------------------------------------


def test_the_articles_statements_at_an_event_carry_its_dates(db):
    load_fixtures()
    for statement in Statement.objects.filter(event__isnull=False, date_text="").select_related("event"):
        event = statement.event
        assert (statement.date_start, statement.date_end, statement.date_precision) == (
            event.date_start,
            event.date_end,
            event.date_precision,
        ), statement.pk
    # Colonna's undated words on her visit "last week", and the anonymous official's on Monday.
    assert {s.pk for s in Statement.objects.filter(date_start=LAST_WEEK[0], date_end=LAST_WEEK[1])} >= {
        17,
        18,
        19,
        20,
        21,
        22,
        23,
    }
    assert set(
        Statement.objects.filter(
            date_start=date(2023, 5, 1), date_end=date(2023, 5, 1), speaker__slug="us-official-anonymous"
        ).values_list("pk", flat=True)
    ) == {12, 13, 14, 15, 16}


def test_a_fixture_load_applies_the_rule_to_rows_whatever_dates_they_carry(db, tmp_path):
    load_fixtures()
    import json
    from pathlib import Path

    from django.conf import settings

    rows = json.loads((Path(settings.BASE_DIR) / "fixtures" / "05_statements.json").read_text(encoding="utf-8"))
    (row,) = [r for r in rows if r["pk"] == 20]
    row["fields"].update(date_start="1999-01-01", date_end="1999-12-31", date_precision="year")
    edited = tmp_path / "statement_20.json"
    edited.write_text(json.dumps([row]), encoding="utf-8")
    call_command("loaddata", str(edited), verbosity=0)
    assert dates(Statement.objects.get(pk=20)) == LAST_WEEK
    # An event reloaded with other dates passes them on to the statements made at it.
    events = json.loads((Path(settings.BASE_DIR) / "fixtures" / "04_events.json").read_text(encoding="utf-8"))
    (visit,) = [r for r in events if r["model"] == "facts.event" and r["pk"] == 12]
    visit["fields"].update(date_text="On Sunday", date_start="2023-04-30", date_end="2023-04-30", date_precision="day")
    edited.write_text(json.dumps([visit]), encoding="utf-8")
    call_command("loaddata", str(edited), verbosity=0)
    assert dates(Statement.objects.get(pk=21)) == (date(2023, 4, 30), date(2023, 4, 30), "day")
    assert dates(Statement.objects.get(pk=17)) == LAST_WEEK  # "last week" in its own words
    assert Event.objects.get(pk=12).date_text == "On Sunday"


def test_build_fixtures_applies_the_rule_and_refuses_a_statement_dated_twice(tmp_path):
    seeds, fixtures = _copy_inputs(tmp_path)
    spec_path = seeds / f"{STEM}.facts.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    (statement,) = [s for s in spec["statements"] if s["id"] == 20]
    assert statement["event"] == 12 and "date_text" not in statement
    statement["before_publication"] = True
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandError, match="statement 20: made at event 12 without a date_text of its own"):
        call_command("build_fixtures", check=True, seeds=str(seeds), fixtures=str(fixtures))
