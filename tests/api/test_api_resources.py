"""What each resource returns: compact references, evidence, dates, detail extras, `fields=`, and 404s."""

from datetime import date

import pytest

from facts.models import DATE_ORDER, Actor, Event, Statement
from tests.article_api import api_fixture, article_fixture, body, error_names, get_json, results  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

TALKS = "Armenia-Azerbaijan talks hosted by the United States"
BRIEFING = "A US official speaks about the talks on grounds of anonymity"


def event_by_title(client, title):
    (item,) = [e for e in results(client, "/api/v1/events/") if e["title"] == title]
    return item


def test_every_fact_carries_evidence_that_is_the_source_text(api):
    source = get_json(api, results(api, "/api/v1/sources/")[0]["url"])
    for resource in ("events", "statements", "relations"):
        items = results(api, f"/api/v1/{resource}/")
        assert items
        for item in items:
            assert item["evidence"], (resource, item["id"])
            assert item["status"] == "reviewed"
            for span in item["evidence"]:
                assert span["source"] == {"id": source["id"], "title": source["title"], "url": source["url"]}
                assert source["text"][span["start"] : span["end"]] == span["quote"]


def test_event_shows_type_place_participants_dates_as_compact_references(api):
    visit = event_by_title(api, "Colonna visits Baku")
    assert visit["type"]["code"] == "042" and visit["type"]["label"]
    assert visit["place"]["slug"] == "baku" and visit["place"]["name"] == "Baku"
    assert {(p["slug"], p["role"]) for p in visit["participants"]} == {
        ("catherine-colonna", "guest"),
        ("azerbaijan", "host"),
    }
    assert (visit["date_text"], visit["date_start"], visit["date_end"], visit["date_precision"]) == (
        "last week",
        "2023-04-24",
        "2023-04-30",
        "week",
    )
    assert visit["parent"]["title"] == "Colonna visits Azerbaijan and Armenia"
    # Every reference's URL leads to that object.
    assert get_json(api, visit["place"]["url"])["slug"] == "baku"
    assert get_json(api, visit["participants"][0]["url"])["slug"] == visit["participants"][0]["slug"]
    assert get_json(api, visit["type"]["url"])["code"] == "042"
    assert get_json(api, visit["parent"]["url"])["title"] == "Colonna visits Azerbaijan and Armenia"


def test_event_detail_adds_its_statements_and_parts(api):
    talks = get_json(api, event_by_title(api, TALKS)["url"])
    assert {c["title"] for c in talks["children"]} == {
        "Blinken's dinner with the Armenian and Azerbaijani foreign ministers",
        "Blinken kicks off the talks",
    }
    # The statements on the talks were made elsewhere (they are about it: about=event:<id>); the anonymous US
    # official's five were made at his briefing on Monday.
    assert talks["statements"] == []
    briefing = get_json(api, event_by_title(api, BRIEFING)["url"])
    assert [s["speaker"]["slug"] for s in briefing["statements"]] == ["us-official-anonymous"] * 5
    assert all(get_json(api, s["url"])["text"] == s["text"] for s in briefing["statements"])


def test_event_detail_lists_statements_and_parts_in_date_order_undated_first(api):
    # The lists' one date order (facts.models.DATE_ORDER): a missing start first, on every database.
    talks = Event.objects.get(title=TALKS)
    Event.objects.create(title="An undated part", event_type=talks.event_type, parent=talks)
    patel = Actor.objects.get(slug="vedant-patel")
    for words in ("First remark", "Second remark"):
        # Made at the talks without a date of its own: it takes the talks' dates (Statement.save()).
        Statement.objects.create(speaker=patel, text=words, kind="quote", event=talks)
    Statement.objects.create(
        speaker=patel,
        text="Said on Sunday",
        kind="quote",
        event=talks,
        date_text="Sunday",
        date_start=date(2023, 4, 30),
        date_end=date(2023, 4, 30),
        date_precision="day",
    )
    detail = get_json(api, f"/api/v1/events/{talks.id}/")

    def in_date_order(related, column):
        return list(related.order_by(*DATE_ORDER).values_list(column, flat=True))

    assert [child["title"] for child in detail["children"]] == in_date_order(talks.children, "title")
    assert (
        [statement["text"] for statement in detail["statements"]]
        == in_date_order(talks.statements, "text")
        == ["Said on Sunday", "First remark", "Second remark"]
    )
    part = detail["children"][0]
    assert part == {
        "id": part["id"],
        "title": "An undated part",
        "url": f"http://testserver/api/v1/events/{part['id']}/",
    }
    remark = detail["statements"][1]
    assert (remark["text"], remark["kind"], remark["speaker"]["slug"]) == ("First remark", "quote", "vedant-patel")
    assert get_json(api, remark["url"])["date_start"] == talks.date_start.isoformat()


def test_statement_shows_speaker_and_what_it_is_about(api):
    (call,) = [s for s in results(api, "/api/v1/statements/?speaker=antony-blinken&kind=partial")]
    assert call["text"] == "undermines efforts to establish confidence in the peace process"
    assert call["speaker"]["slug"] == "antony-blinken" and call["speaker"]["name"] == "Antony Blinken"
    assert call["channel"] == "according to a State Department statement on their call"
    assert call["event"]["title"] == "Blinken's call with Ilham Aliyev"
    assert {a["slug"] for a in call["about_actors"]} == {"armenia", "azerbaijan"}
    assert [p["slug"] for p in call["about_places"]] == ["lachin-corridor"]
    assert [e["title"] for e in call["about_events"]] == ["Azerbaijan sets up a checkpoint on the Lachin Corridor"]


def test_relation_shows_both_actors(api):
    (ally,) = results(api, "/api/v1/relations/?actor=turkey&actor=azerbaijan")
    assert (ally["subject"]["name"], ally["type"], ally["object"]["name"], ally["symmetric"]) == (
        "Turkey",
        "ally_of",
        "Azerbaijan",
        True,
    )


def test_actor_detail_has_affiliations_counts_and_links(api):
    blinken = get_json(api, "/api/v1/actors/antony-blinken/")
    assert [(a["organization"]["slug"], a["role_title"]) for a in blinken["affiliations"]] == [
        ("united-states", "Secretary of State")
    ]
    assert blinken["affiliations"][0]["evidence"][0]["quote"] == "US Secretary of State Antony Blinken"
    assert {a["name"] for a in blinken["aliases"]} >= {"Blinken", "The US diplomat"}
    # Blinken: the November and Munich meetings, the talks, the dinner, the kick-off and two calls.
    assert blinken["event_count"] == 7 and len(results(api, blinken["events_url"])) == 7
    assert blinken["statement_count"] == 4 and len(results(api, blinken["statements_url"])) == 4


def test_organization_detail_lists_its_members(api):
    department = get_json(api, "/api/v1/actors/us-state-department/")
    assert [(m["person"]["slug"], m["role_title"]) for m in department["members"]] == [("vedant-patel", "spokesman")]
    # Part of the United States: a link no passage states, marked external and citing nothing.
    (state,) = department["affiliations"]
    assert (state["organization"]["slug"], state["role_title"], state["evidence"]) == ("united-states", "", [])
    assert "organization" in state["external"]
    us = get_json(api, "/api/v1/actors/united-states/")
    assert {m["person"]["slug"] for m in us["members"]} == {
        "antony-blinken",
        "us-official-anonymous",
        "us-state-department",
    }


def test_aliases_carry_their_evidence_or_their_external_origin(api):
    blinken = get_json(api, "/api/v1/actors/antony-blinken/")
    diplomat = next(a for a in blinken["aliases"] if a["name"] == "The US diplomat")
    assert (diplomat["kind"], diplomat["external"]) == ("description", {})
    (span,) = diplomat["evidence"]
    assert span["quote"] == "The US diplomat then kicked off"
    assert get_json(api, span["source"]["url"])["text"][span["start"] : span["end"]] == span["quote"]
    # A canonical spelling the article never writes: external, with no passage.
    mirzoyan = get_json(api, "/api/v1/actors/?search=mirzoya&fields=slug,aliases")["results"][0]
    canonical = next(a for a in mirzoyan["aliases"] if a["name"] == "Ararat Mirzoyan")
    assert canonical["evidence"] == [] and "name" in canonical["external"]


def test_place_detail_has_parent_chain_and_children(api):
    lachin = get_json(api, "/api/v1/places/lachin-corridor/")
    assert [p["slug"] for p in lachin["ancestors"]] == ["azerbaijan", "south-caucasus"]
    assert lachin["parent"]["slug"] == "azerbaijan" and lachin["children"] == []
    azerbaijan = get_json(api, "/api/v1/places/azerbaijan/")
    assert {c["slug"] for c in azerbaijan["children"]} == {"nagorno-karabakh", "lachin-corridor", "baku"}
    assert len(results(api, azerbaijan["events_url"])) == 4


def test_source_list_leaves_out_the_text_that_the_detail_has(api):
    (item,) = results(api, "/api/v1/sources/")
    assert "text" not in item
    detail = get_json(api, item["url"])
    assert detail["text"].startswith("US Hosts Armenia-Azerbaijan Peace Talks")
    assert detail["published"] == "2023-05-01"


def test_event_type_detail(api):
    visit = get_json(api, "/api/v1/event-types/043/")
    assert (visit["code"], visit["event_count"]) == ("043", 1)
    assert [e["title"] for e in results(api, visit["events_url"])] == [
        "Blinken's dinner with the Armenian and Azerbaijani foreign ministers"
    ]


def test_fields_selects_fields_on_lists_and_details(api):
    page = get_json(api, "/api/v1/events/?fields=id,title&page_size=3")
    assert [set(item) for item in page["results"]] == [{"id", "title"}] * 3
    actor = get_json(api, "/api/v1/actors/vedant-patel/?fields=name,statement_count")
    assert actor == {"name": "Vedant Patel", "statement_count": 3}


def test_unknown_field_name_is_a_400_naming_fields_and_the_name(api):
    response = api.get("/api/v1/events/?fields=id,colour")
    assert response.status_code == 400
    assert "fields" in error_names(api, "/api/v1/events/?fields=id,colour")
    assert "colour" in body(response)
    # A detail-only field is unknown on the list.
    assert "fields" in error_names(api, "/api/v1/actors/?fields=event_count")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/events/999999/",
        "/api/v1/events/abc/",
        "/api/v1/events/99999999999999999999999/",
        "/api/v1/statements/0/",
        "/api/v1/relations/-1/",
        "/api/v1/sources/999/",
        "/api/v1/actors/nobody/",
        "/api/v1/places/atlantis/",
        "/api/v1/event-types/999/",
        "/api/v1/actors/%00/",
        "/api/v1/event-types/%00/",
        "/api/v1/places/b%C3%A4ku/",
    ],
)
def test_unknown_object_is_a_json_404(api, url):
    response = api.get(url)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_landing_pages_point_to_docs_api_and_admin(api):
    for url in ("/", "/api/"):
        html = body(api.get(url, HTTP_ACCEPT="text/html"))
        for target in ("/api/docs/", "/api/redoc/", "/api/v1/", "/api/schema/", "/admin/"):
            assert f'href="http://testserver{target}"' in html, (url, target)
    links = get_json(api, "/api/", HTTP_ACCEPT="application/json")["links"]
    assert links["docs"].endswith("/api/docs/") and links["admin"].endswith("/admin/")
    assert set(get_json(api, "/api/v1/")) >= {
        "sources",
        "actors",
        "places",
        "events",
        "statements",
        "relations",
        "event-types",
    }
