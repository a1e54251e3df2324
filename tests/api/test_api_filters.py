"""Every list filter over HTTP, against the article fixtures.

Each expected set is read off the article (seeds/000_3248d2ee7ebb0e6a.txt): events by title, statements by their
words, relations as (subject, type, object), actors and places by slug.
"""

from urllib.parse import urlencode

import pytest

from tests.article_api import api_fixture, article_fixture, error_names, results, titles  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"
STATEMENTS = "/api/v1/statements/"

NOVEMBER_MEETING = "Trilateral meeting of Blinken with Armenia and Azerbaijan in November"
MUNICH_MEETING = "Trilateral meeting of Blinken with Armenia and Azerbaijan in Munich"
TALKS = "Armenia-Azerbaijan talks hosted by the United States"
DINNER = "Blinken's dinner with the Armenian and Azerbaijani foreign ministers"
KICK_OFF = "Blinken kicks off the talks"
CALL_ALIYEV = "Blinken's call with Ilham Aliyev"
SPOKE_PASHINYAN = "Blinken speaks with Nikol Pashinyan"
PEACEKEEPERS = "Russia posts peacekeepers along the Lachin corridor"
CEASEFIRE = "Ceasefire between Armenia and Azerbaijan brokered by Russia"
CLASHES = "Recurring clashes over Nagorno-Karabakh"
CHECKPOINT = "Azerbaijan sets up a checkpoint on the Lachin Corridor"
COLONNA_TRIP = "Colonna visits Azerbaijan and Armenia"
COLONNA_BAKU = "Colonna visits Baku"
COLONNA_YEREVAN = "Colonna visits Yerevan"
NEWS_CONFERENCE = "Colonna's news conference in Yerevan"
WAR_1990 = "Armenia-Azerbaijan war of 1990"
WAR_2020 = "Armenia-Azerbaijan war of 2020"
UKRAINE = "Russia bogged down in Ukraine"
THAW = "United States and European Union seek to steer a thaw in Armenia-Azerbaijan ties"
ANNOUNCEMENT = "Azerbaijan announces the Lachin Corridor checkpoint"
ANGRY_RESPONSE = "Angry response from Armenia to the checkpoint"
BRIEFING = "A US official speaks about the talks on grounds of anonymity"
# Facts the article places before, or as of, its publication without saying since when: their start is unknown
# (open), their end the publication date, so a window reaching back from publication to any date may hold them.
OPEN_START = {CLASHES, UKRAINE, CHECKPOINT, ANNOUNCEMENT, THAW}

# Statements are named by (speaker, kind, a phrase of the article their words contain): direct quotes are verbatim,
# while a paraphrase's wording is the curators', so only its key phrase is pinned.
PATEL_PLEASED = ("vedant-patel", "quote", "The US is pleased to be hosting Foreign Minister Mirzoya")
PATEL_DIALOGUE = ("vedant-patel", "quote", "direct dialogue is key to resolving issues")
PATEL_LACHIN = ("vedant-patel", "quote", "We have not parsed our words")
PATEL_QUOTES = {PATEL_PLEASED, PATEL_DIALOGUE, PATEL_LACHIN}
OFFICIAL_SAYS = {
    ("us-official-anonymous", "paraphrase", "rather than a peace treaty"),
    ("us-official-anonymous", "partial", "an agreement on normalization of relations"),
    ("us-official-anonymous", "quote", "Our goal is to make sure the ministers can sit down and talk to each other"),
    ("us-official-anonymous", "paraphrase", "forthright and frank discussion"),
    ("us-official-anonymous", "quote", "all the issues are being discussed"),
}
COLONNA_UNHINDERED = {
    ("catherine-colonna", "paraphrase", "restore unhindered movement"),
    ("catherine-colonna", "partial", "unhindered movement"),
}
COLONNA_SAYS = COLONNA_UNHINDERED | {
    ("catherine-colonna", "paraphrase", "territorial integrity must be respected"),
    ("catherine-colonna", "quote", "The purpose of the visit is to reaffirm France’s support"),
    ("catherine-colonna", "paraphrase", "resume negotiations"),
    ("catherine-colonna", "quote", "We encourage you to resolutely take this path"),
    ("catherine-colonna", "partial", "the only way to achieve a just and lasting peace"),
}
BLINKEN_ON_CHECKPOINT = {
    ("antony-blinken", "paraphrase", "concerns about the checkpoint"),
    ("antony-blinken", "partial", "undermines efforts to establish confidence in the peace process"),
}
BLINKEN_TO_PASHINYAN = {
    ("antony-blinken", "paraphrase", "importance of peace discussions"),
    ("antony-blinken", "paraphrase", "continued US support"),
}
AZERBAIJAN_ANNOUNCES = ("azerbaijan", "paraphrase", "set up a checkpoint on the Lachin Corridor")
AZERBAIJAN_ON_CHECKPOINT = {
    AZERBAIJAN_ANNOUNCES,
    ("azerbaijan", "paraphrase", "checkpoint on Azerbaijan’s territory"),
    ("azerbaijan", "partial", "Azerbaijan’s territory"),
}
ARMENIA_ON_CHECKPOINT = ("armenia", "paraphrase", "violation of the cease-fire")


def texts(client, query) -> set[tuple[str, str, str]]:
    """The statements of a filtered list, each named by the one expected key it matches (see above)."""
    keys = (
        PATEL_QUOTES
        | OFFICIAL_SAYS
        | COLONNA_SAYS
        | BLINKEN_ON_CHECKPOINT
        | BLINKEN_TO_PASHINYAN
        | AZERBAIJAN_ON_CHECKPOINT
        | {ARMENIA_ON_CHECKPOINT}
    )
    found = set()
    for item in results(client, f"{STATEMENTS}?{query}"):
        matches = {
            k
            for k in keys
            if k[0] == item["speaker"]["slug"] and k[1] == item["kind"] and k[2].lower() in item["text"].lower()
        }
        assert len(matches) == 1, (item["text"], matches)
        found |= matches
    return found


# Events -------------------------------------------------------------------------------------------------------------


def test_every_cameo_04_event_involving_blinken(api):
    assert titles(api, f"{EVENTS}?actor=antony-blinken&type=04") == {
        NOVEMBER_MEETING,
        MUNICH_MEETING,
        TALKS,
        DINNER,
        KICK_OFF,
        CALL_ALIYEV,
        SPOKE_PASHINYAN,
    }


def test_every_event_at_a_place_within_azerbaijan_in_april_and_may_2023(api):
    # Baku, the Lachin corridor and Nagorno-Karabakh lie within Azerbaijan. The peacekeepers' stay runs up to
    # publication; the clashes (recurring as of publication) and the checkpoint (set up before it) have no known
    # start, so they may overlap any window before publication: an unknown bound is unbounded.
    assert titles(api, f"{EVENTS}?place=azerbaijan&date_after=2023-04-01&date_before=2023-05-31") == {
        PEACEKEEPERS,
        COLONNA_BAKU,
        CLASHES,
        CHECKPOINT,
    }
    # After publication, only what the article presents as expected: none of it is at a place within Azerbaijan.
    assert titles(api, f"{EVENTS}?place=azerbaijan&date_after=2023-05-02") == set()


def test_place_includes_the_places_within_it(api):
    assert titles(api, f"{EVENTS}?place=azerbaijan") == {PEACEKEEPERS, COLONNA_BAKU, CLASHES, CHECKPOINT}
    assert titles(api, f"{EVENTS}?place=yerevan") == {COLONNA_YEREVAN, NEWS_CONFERENCE}
    # The State Department facility outside Washington is within the United States.
    assert titles(api, f"{EVENTS}?place=united-states") == {TALKS, KICK_OFF}


def test_repeated_actor_means_all_of_them(api):
    assert titles(api, f"{EVENTS}?actor=antony-blinken&actor=ilham-aliyev") == {CALL_ALIYEV}
    assert titles(api, f"{EVENTS}?actor=catherine-colonna&actor=azerbaijan") == {COLONNA_TRIP, COLONNA_BAKU}


def test_role_with_actor_applies_to_the_given_actors(api):
    assert titles(api, f"{EVENTS}?actor=ararat-mirzoyan&actor=jeyhun-bayramov&role=guest") == {DINNER, TALKS}
    assert titles(api, f"{EVENTS}?actor=antony-blinken&role=mediator") == {TALKS, KICK_OFF}
    assert titles(api, f"{EVENTS}?actor=armenia&role=host") == {COLONNA_TRIP, COLONNA_YEREVAN}


def test_role_alone_matches_any_participant_with_that_role(api):
    # Moscow brokered the ceasefire; Blinken mediates the talks; the US and the EU steer a thaw.
    assert titles(api, f"{EVENTS}?role=mediator") == {CEASEFIRE, TALKS, KICK_OFF, THAW}


def test_type_takes_a_code_or_a_prefix(api):
    assert titles(api, f"{EVENTS}?type=041") == {CALL_ALIYEV}
    assert titles(api, f"{EVENTS}?type=040") == {NOVEMBER_MEETING, SPOKE_PASHINYAN}
    assert titles(api, f"{EVENTS}?type=042") == {COLONNA_TRIP, COLONNA_BAKU, COLONNA_YEREVAN}
    assert titles(api, f"{EVENTS}?type=19") == {WAR_1990, WAR_2020, CLASHES, UKRAINE, CHECKPOINT}


def test_date_window_matches_overlapping_intervals(api):
    # Saturday 29 and Sunday 30 April 2023: the two calls, the dinner, Colonna's trip "last week", the ceasefire and
    # peacekeepers that run from 2020 up to publication, and the facts whose start is unknown.
    assert (
        titles(api, f"{EVENTS}?date_after=2023-04-29&date_before=2023-04-30")
        == {
            SPOKE_PASHINYAN,
            CALL_ALIYEV,
            DINNER,
            COLONNA_TRIP,
            COLONNA_BAKU,
            COLONNA_YEREVAN,
            NEWS_CONFERENCE,
            CEASEFIRE,
            PEACEKEEPERS,
        }
        | OPEN_START
    )
    assert titles(api, f"{EVENTS}?date_before=1999-12-31") == {WAR_1990} | OPEN_START
    # "Tensions have spiked again this week" (published on Monday 1 May): that Monday, not the week after it. Only
    # the talks, "the expected four days" from Monday, reach beyond publication.
    assert titles(api, f"{EVENTS}?date_after=2023-05-02") == {TALKS}
    assert (
        titles(api, f"{EVENTS}?date_after=2023-05-01&date_before=2023-05-01")
        == {TALKS, KICK_OFF, BRIEFING, ANGRY_RESPONSE, CEASEFIRE, PEACEKEEPERS} | OPEN_START
    )


def test_a_date_window_never_matches_an_undated_fact(api, article):
    from facts.models import Event

    undated = Event.objects.create(title="Undated and unbounded", event_type_id="010")
    for query in ("date_after=1900-01-01", "date_before=2100-01-01", "date_after=1900-01-01&date_before=2100-01-01"):
        assert undated.title not in titles(api, f"{EVENTS}?{query}")
    assert undated.title in titles(api, EVENTS)


def test_parent_lists_the_parts_of_an_event(api):
    talks = results(api, f"{EVENTS}?search={TALKS}")
    assert [item["title"] for item in talks] == [TALKS]
    assert titles(api, f"{EVENTS}?parent={talks[0]['id']}") == {DINNER, KICK_OFF}


def test_source_and_status(api):
    source_id = results(api, "/api/v1/sources/")[0]["id"]
    everything = titles(api, EVENTS)
    assert len(everything) == 22
    assert titles(api, f"{EVENTS}?source={source_id}") == everything
    assert titles(api, f"{EVENTS}?status=reviewed") == everything
    assert titles(api, f"{EVENTS}?status=draft") == set()


def test_search_covers_aliases_and_is_case_insensitive(api):
    # "Mirzoya" is the article's spelling of Ararat Mirzoyan, stored as an alias.
    assert titles(api, f"{EVENTS}?search=mirzoya") == {TALKS, DINNER}
    assert titles(api, f"{EVENTS}?search=COLONNA") == {COLONNA_TRIP, COLONNA_BAKU, COLONNA_YEREVAN, NEWS_CONFERENCE}


def test_ordering(api):
    ids = [item["id"] for item in results(api, f"{EVENTS}?ordering=-id")]
    assert ids == sorted(ids, reverse=True) and len(ids) == 22
    items = results(api, f"{EVENTS}?ordering=type,-id")
    assert [(i["type"]["code"], -i["id"]) for i in items] == sorted((i["type"]["code"], -i["id"]) for i in items)


# Statements ---------------------------------------------------------------------------------------------------------


def test_every_statement_by_the_state_department_spokesman(api):
    assert texts(api, "speaker=vedant-patel") == PATEL_QUOTES
    assert texts(api, "speaker=vedant-patel&kind=quote") == PATEL_QUOTES


def test_repeated_speaker_means_any_of_them(api):
    assert texts(api, "speaker=vedant-patel&speaker=catherine-colonna") == PATEL_QUOTES | COLONNA_SAYS


def test_speaker_kind_finds_the_anonymous_us_official(api):
    assert texts(api, "speaker_kind=unnamed") == OFFICIAL_SAYS


def test_kind_quote_is_every_direct_quote(api):
    assert texts(api, "kind=quote") == {k for k in PATEL_QUOTES | OFFICIAL_SAYS | COLONNA_SAYS if k[1] == "quote"}
    assert len(texts(api, "kind=quote")) == 7
    assert texts(api, "kind=partial&speaker=catherine-colonna") == {
        ("catherine-colonna", "partial", "unhindered movement"),
        ("catherine-colonna", "partial", "the only way to achieve a just and lasting peace"),
    }


def test_about_an_actor(api):
    expected = {
        PATEL_PLEASED,
        (
            "us-official-anonymous",
            "quote",
            "Our goal is to make sure the ministers can sit down and talk to each other",
        ),
    }
    assert texts(api, "about=actor:ararat-mirzoyan") == expected
    assert texts(api, "about=ararat-mirzoyan") == expected  # a bare slug is an actor


def test_about_a_place_includes_places_within_it(api):
    on_lachin = (
        AZERBAIJAN_ON_CHECKPOINT | BLINKEN_ON_CHECKPOINT | COLONNA_UNHINDERED | {ARMENIA_ON_CHECKPOINT, PATEL_LACHIN}
    )
    assert texts(api, "about=place:lachin-corridor") == on_lachin
    assert texts(api, "about=place:azerbaijan") == on_lachin
    assert texts(api, "about=place:armenia") == {
        ("catherine-colonna", "paraphrase", "territorial integrity must be respected")
    }


def test_about_an_event_and_at_an_event(api):
    talks_id = results(api, f"{EVENTS}?search={TALKS}")[0]["id"]
    call_id = results(api, f"{EVENTS}?search={CALL_ALIYEV}")[0]["id"]
    assert texts(api, f"about=event:{talks_id}") == {PATEL_PLEASED, PATEL_DIALOGUE} | OFFICIAL_SAYS
    assert texts(api, f"event={call_id}") == BLINKEN_ON_CHECKPOINT


def test_statement_date_window(api):
    # Saturday 29 April: Blinken speaking with Pashinyan, and everything Colonna said on her visit "last week"
    # (24-30 April): the statements the article dates itself, and those it gives without a date that were made on
    # the same visit (they take its dates). Beside them, the statements said or held before publication on no day
    # the article names: their start is unknown, so they may have been said that Saturday.
    said_before_publication = AZERBAIJAN_ON_CHECKPOINT | {ARMENIA_ON_CHECKPOINT} | PATEL_QUOTES
    assert texts(api, "date_after=2023-04-29&date_before=2023-04-29") == (
        BLINKEN_TO_PASHINYAN | COLONNA_SAYS | said_before_publication
    )
    assert texts(api, "date_before=2023-04-29&speaker=antony-blinken") == BLINKEN_TO_PASHINYAN
    # The anonymous official said all five on Monday (14-16 take the date of the occasion 12 and 13 give).
    assert texts(api, "date_after=2023-05-01&speaker=us-official-anonymous") == OFFICIAL_SAYS
    assert texts(api, "date_before=2023-04-30&speaker=us-official-anonymous") == set()
    # Nothing said is dated after publication.
    assert texts(api, "date_after=2023-05-02") == set()


def test_statement_search(api):
    assert texts(api, "search=lachin") == {
        AZERBAIJAN_ANNOUNCES,
        PATEL_LACHIN,
        ("catherine-colonna", "paraphrase", "restore unhindered movement"),
    }


US_SAYS = PATEL_QUOTES | OFFICIAL_SAYS | BLINKEN_ON_CHECKPOINT | BLINKEN_TO_PASHINYAN


def test_speaker_affiliated_with_follows_affiliations_down_at_any_depth(api):
    # Blinken and the official directly; Patel through the State Department, which is part of the United States.
    assert texts(api, "speaker_affiliated_with=united-states") == US_SAYS
    assert texts(api, "speaker_affiliated_with=us-state-department") == PATEL_QUOTES
    assert texts(api, "speaker_affiliated_with=france") == COLONNA_SAYS
    # Not the actor's own statements: Armenia speaks for itself, and has no member who speaks here.
    assert texts(api, "speaker_affiliated_with=armenia") == set()


def test_speaker_affiliated_with_combines_with_about_an_event(api):
    checkpoint_id = results(api, f"{EVENTS}?search={CHECKPOINT}")[0]["id"]
    assert texts(api, f"speaker_affiliated_with=united-states&about=event:{checkpoint_id}") == (
        BLINKEN_ON_CHECKPOINT | {PATEL_LACHIN}
    )
    assert texts(api, f"speaker_affiliated_with=united-states&about=event:{checkpoint_id}&kind=partial") == {
        ("antony-blinken", "partial", "undermines efforts to establish confidence in the peace process")
    }


def test_channel_is_a_case_insensitive_substring(api):
    assert texts(api, "channel=state%20department") == BLINKEN_ON_CHECKPOINT
    assert texts(api, "channel=NEWS%20CONFERENCE") == {
        ("catherine-colonna", "paraphrase", "territorial integrity must be respected")
    }
    assert texts(api, "channel=anonymity") == OFFICIAL_SAYS


def test_kind_takes_several_values_comma_separated_or_repeated(api):
    quoted = {
        k
        for k in PATEL_QUOTES | OFFICIAL_SAYS | COLONNA_SAYS | BLINKEN_ON_CHECKPOINT | AZERBAIJAN_ON_CHECKPOINT
        if k[1] in ("quote", "partial")
    }
    assert texts(api, "kind=quote,partial") == quoted
    assert texts(api, "kind=quote&kind=partial") == quoted
    assert texts(api, "kind=partial,quote&speaker=catherine-colonna") == {
        k for k in COLONNA_SAYS if k[1] != "paraphrase"
    }


def test_relation_actor_repeated_means_all_of_them(api):
    assert relations(api, "actor=turkey&actor=azerbaijan") == {("turkey", "ally_of", "azerbaijan")}
    assert relations(api, "actor=russia&actor=armenia") == {("russia", "mediator_for", "armenia")}
    assert relations(api, "actor=russia&actor=turkey") == {("russia", "keeps_ties_with", "turkey")}
    assert relations(api, "actor=france&actor=azerbaijan") == set()


@pytest.mark.parametrize(
    "query, name",
    [
        ("speaker_affiliated_with=nobody", "speaker_affiliated_with"),
        ("channel=ab", "channel"),
        ("kind=quote,rumour", "kind"),
        ("kind=quote&kind=rumour", "kind"),
    ],
)
def test_new_statement_filters_refuse_bad_values_naming_the_parameter(api, query, name):
    assert error_names(api, f"{STATEMENTS}?{query}") == {name}


@pytest.mark.parametrize(
    "query", ["actor=nobody", "actor=armenia&actor=nobody", "actor=armenia&actor=azerbaijan&actor=turkey"]
)
def test_relation_actor_refuses_unknown_slugs_and_more_than_two(api, query):
    assert error_names(api, f"/api/v1/relations/?{query}") == {"actor"}


# Relations, actors, places, sources, event types ---------------------------------------------------------------------


def relations(client, query):
    return {
        (r["subject"]["slug"], r["type"], r["object"]["slug"]) for r in results(client, f"/api/v1/relations/?{query}")
    }


def test_relation_filters(api):
    # Azerbaijan's key ally, and Russia's stance toward it ("unwilling to strain ties with ... Turkey").
    assert relations(api, "actor=turkey") == {
        ("turkey", "ally_of", "azerbaijan"),
        ("russia", "keeps_ties_with", "turkey"),
    }
    assert relations(api, "actor=european-union") == {
        ("european-union", "mediator_for", "armenia"),
        ("european-union", "mediator_for", "azerbaijan"),
    }
    # Russia brokered the 2020 ceasefire: a mediator, as the United States and the European Union are.
    assert relations(api, "type=mediator_for") == {
        ("united-states", "mediator_for", "armenia"),
        ("united-states", "mediator_for", "azerbaijan"),
        ("european-union", "mediator_for", "armenia"),
        ("european-union", "mediator_for", "azerbaijan"),
        ("russia", "mediator_for", "armenia"),
        ("russia", "mediator_for", "azerbaijan"),
    }
    assert relations(api, "actor=ukraine") == {("russia", "at_war_with", "ukraine")}
    assert relations(api, "actor=armenia&type=supports") == {
        ("france", "supports", "armenia"),
        ("united-states", "supports", "armenia"),
    }
    # Before 2021: the two wars, in 1990 and 2020 (the only relations that end before 2021), the ceasefire that
    # followed the 2020 fighting, and every state the article reports as of publication without saying since when
    # (an unknown start may lie before any date).
    before_2021 = results(api, "/api/v1/relations/?date_before=2020-12-31")
    assert [r["date_text"] for r in before_2021 if r["date_end"] < "2021-01-01"] == ["in 1990", "in 2020"]
    assert {("at_war_with", "1990-01-01"), ("at_war_with", "2020-01-01"), ("ceasefire_with", "2020-01-01")} <= {
        (r["type"], r["date_start"]) for r in before_2021 if r["date_start"]
    }
    assert relations(api, "date_after=2021-01-01&date_before=2021-12-31") == {
        (r["subject"]["slug"], r["type"], r["object"]["slug"]) for r in before_2021 if r["date_end"] >= "2021-01-01"
    }
    open_start = [r for r in before_2021 if r["date_start"] is None]
    assert open_start and all((r["date_end"], r["date_precision"]) == ("2023-05-01", "open") for r in open_start)
    assert len(open_start) == len(results(api, "/api/v1/relations/?precision=open"))


def slugs(client, url):
    return {item["slug"] for item in results(client, url)}


def test_actor_filters(api):
    assert slugs(api, "/api/v1/actors/?kind=person") == {
        "antony-blinken",
        "vedant-patel",
        "ararat-mirzoyan",
        "jeyhun-bayramov",
        "ilham-aliyev",
        "nikol-pashinyan",
        "catherine-colonna",
    }
    assert slugs(api, "/api/v1/actors/?kind=unnamed") == {"us-official-anonymous"}
    # Transitive: Patel through the State Department, which is part of the United States (an external link).
    assert slugs(api, "/api/v1/actors/?affiliated_with=united-states") == {
        "antony-blinken",
        "us-official-anonymous",
        "us-state-department",
        "vedant-patel",
    }
    # Both directions: its member, and the state it is part of.
    assert slugs(api, "/api/v1/actors/?affiliated_with=us-state-department") == {"vedant-patel", "united-states"}
    assert slugs(api, "/api/v1/actors/?affiliated_with=vedant-patel") == {"us-state-department", "united-states"}
    assert slugs(api, "/api/v1/actors/?affiliated_with=azerbaijan") == {"jeyhun-bayramov", "ilham-aliyev"}
    assert slugs(api, "/api/v1/actors/?affiliated_with=antony-blinken") == {"united-states"}
    assert slugs(api, "/api/v1/actors/?country=am") == {"armenia"}
    assert slugs(api, "/api/v1/actors/?search=moscow") == {"russia"}  # a metonym
    assert slugs(api, "/api/v1/actors/?search=US%20diplomat") == {"antony-blinken"}
    # Role titles are searched too.
    assert slugs(api, "/api/v1/actors/?search=spokesman") == {"vedant-patel"}
    assert slugs(api, "/api/v1/actors/?search=foreign%20minister") == {
        "ararat-mirzoyan",
        "jeyhun-bayramov",
        "catherine-colonna",
    }


def test_place_filters(api):
    assert slugs(api, "/api/v1/places/?within=azerbaijan") == {
        "azerbaijan",
        "nagorno-karabakh",
        "lachin-corridor",
        "baku",
    }
    assert slugs(api, "/api/v1/places/?within=south-caucasus") == {
        "south-caucasus",
        "armenia",
        "azerbaijan",
        "nagorno-karabakh",
        "lachin-corridor",
        "yerevan",
        "baku",
    }
    assert slugs(api, "/api/v1/places/?kind=city") == {"yerevan", "baku", "washington", "moscow", "munich"}
    assert slugs(api, "/api/v1/places/?country=DE") == {"germany"}
    assert slugs(api, "/api/v1/places/?search=munich") == {"munich"}


def test_source_filters(api):
    assert [s["title"] for s in results(api, "/api/v1/sources/?search=Lachin")] == [
        "US Hosts Armenia-Azerbaijan Peace Talks"
    ]
    assert results(api, "/api/v1/sources/?published_after=2023-05-02") == []


def test_event_type_counts_and_filters(api):
    used = {t["code"]: t["event_count"] for t in results(api, "/api/v1/event-types/?used=true")}
    assert sum(used.values()) == 22
    assert used["042"] == 3 and used["041"] == 1 and used["040"] == 2 and used["043"] == 1
    assert {t["code"] for t in results(api, "/api/v1/event-types/?used=true&search=04")} == {
        "040",
        "041",
        "042",
        "043",
        "044",
        "045",
        "046",
    }


# Bad values: 400 naming the parameter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, name",
    [
        (f"{EVENTS}?actor=nobody", "actor"),
        (f"{EVENTS}?actor=antony-blinken&actor=nobody", "actor"),
        (f"{EVENTS}?role=boss", "role"),
        (f"{EVENTS}?place=atlantis", "place"),
        (f"{EVENTS}?type=4a", "type"),
        (f"{EVENTS}?type=12345", "type"),
        (f"{EVENTS}?date_after=2023-02-30", "date_after"),
        (f"{EVENTS}?date_before=yesterday", "date_before"),
        (f"{EVENTS}?date_after=2023-05-02&date_before=2023-05-01", "date_before"),
        (f"{STATEMENTS}?date_after=2023-05-02&date_before=2023-04-01", "date_before"),
        (f"{EVENTS}?source=abc", "source"),
        (f"{EVENTS}?source=999999", "source"),
        (f"{EVENTS}?parent=999999", "parent"),
        (f"{EVENTS}?status=bogus", "status"),
        (f"{EVENTS}?ordering=bogus", "ordering"),
        (f"{EVENTS}?ordering=-title,nope", "ordering"),
        (f"{STATEMENTS}?speaker=nobody", "speaker"),
        (f"{STATEMENTS}?speaker_kind=alien", "speaker_kind"),
        (f"{STATEMENTS}?kind=shout", "kind"),
        (f"{STATEMENTS}?about=actor:nobody", "about"),
        (f"{STATEMENTS}?about=place:nowhere", "about"),
        (f"{STATEMENTS}?about=event:999999", "about"),
        (f"{STATEMENTS}?about=event:abc", "about"),
        (f"{STATEMENTS}?about=planet:mars", "about"),
        (f"{STATEMENTS}?event=abc", "event"),
        ("/api/v1/relations/?actor=nobody", "actor"),
        ("/api/v1/relations/?type=enemy_of", "type"),
        ("/api/v1/actors/?kind=robot", "kind"),
        ("/api/v1/actors/?affiliated_with=nobody", "affiliated_with"),
        ("/api/v1/actors/?country=USA", "country"),
        ("/api/v1/actors/?country=1", "country"),
        ("/api/v1/places/?within=nowhere", "within"),
        ("/api/v1/places/?kind=planet", "kind"),
        ("/api/v1/sources/?published_after=soon", "published_after"),
        ("/api/v1/event-types/?used=maybe", "used"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(api, url, name):
    assert name in error_names(api, url)


@pytest.mark.parametrize("url", [f"{EVENTS}?search=US", f"{STATEMENTS}?search=xq", "/api/v1/relations/?search=%25_"])
def test_a_fact_search_too_short_for_the_index_is_a_400_that_says_how_long(api, url):
    body = api.get(url).json()
    assert body["status"] == 400 and "3 letters or digits in a row" in body["errors"]["search"][0], body


def test_short_searches_still_work_on_the_reference_lists(api):
    assert "united-states" in {actor["slug"] for actor in results(api, "/api/v1/actors/?search=US")}
    assert {row["code"] for row in results(api, "/api/v1/event-types/?search=04")} >= {"043", "046"}


def test_a_huge_id_in_a_filter_is_a_400_not_a_500(api):
    assert "parent" in error_names(api, f"{EVENTS}?parent=99999999999999999999999")
    assert "about" in error_names(api, f"{STATEMENTS}?about=event:99999999999999999999999")


def test_filters_combine(api):
    query = urlencode({"actor": "antony-blinken", "type": "041", "date_after": "2023-04-30"})
    assert titles(api, f"{EVENTS}?{query}") == {CALL_ALIYEV}
