"""The external taxonomies: the whole CAMEO 1.1b3 codebook and the PLOVER category and mode of each code.

The codebook is data: fixtures/00_cameo.json, compiled by hand from the CAMEO manual and the PLOVER project's
CAMEO-to-PLOVER table (fixtures/CAMEO_PLOVER.md gives the sources and decisions). build_fixtures reads it and never
writes it. These tests check the table itself against those sources, and the API and admin that serve it.
"""

import csv
import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bench.synthetic import ensure_event_types
from facts.api.filters import EventFilterSet, EventTypeFilterSet
from facts.models import Event, EventType
from facts.taxonomy import PLOVER_CATEGORIES, PLOVER_MODES
from tests.article_api import api_fixture, article_fixture, body, error_names, get_json, results  # noqa: F401  (pytest fixtures)

ROOT = Path(settings.BASE_DIR)
FIXTURE = ROOT / "fixtures" / "00_cameo.json"
DOC = ROOT / "fixtures" / "CAMEO_PLOVER.md"
RAW = json.loads(FIXTURE.read_text(encoding="utf-8"))
ROWS = {row["pk"]: row["fields"] for row in RAW}

# Codes and labels as the CAMEO manual, version 1.1b3 (Schrodt 2012), chapter 6 "CAMEO EVENT CODES", prints them:
# cue categories, three- and four-digit codes, among them codes whose label GDELT's lookup file gets wrong (101, 105,
# 107, 108: shifted by one line there) and the codes that file lacks (155, 176, 1834, 1951, 1952).
MANUAL_SAMPLE = {
    # cue categories
    "01": "MAKE PUBLIC STATEMENT",
    "04": "CONSULT",
    "08": "YIELD",
    "11": "DISAPPROVE",
    "13": "THREATEN",
    "15": "EXHIBIT FORCE POSTURE",
    "20": "USE UNCONVENTIONAL MASS VIOLENCE",
    # three-digit codes
    "010": "Make statement, not specified below",
    "043": "Host a visit",
    "057": "Sign formal agreement",
    "101": "Demand material cooperation, not specified below",
    "105": "Demand that target yields, not specified below",
    "107": "Demand settling of dispute",
    "108": "Demand mediation",
    "155": "Mobilize or increase cyber-forces",
    "176": "Attack cybernetically",
    "183": "Conduct suicide, car, or other non-military bombing, not specified below",
    "186": "Assassinate",
    "201": "Engage in mass expulsion",
    # four-digit codes
    "0211": "Appeal for economic cooperation",
    "0311": "Express intent to cooperate economically",
    "0356": "Express intent to de-escalate military engagement",
    "0863": "Allow humanitarian access",
    "0871": "Declare truce, ceasefire",
    "0874": "Retreat or surrender militarily",
    "1011": "Demand economic cooperation",
    "1041": "Demand change in leadership",
    "1124": "Accuse of war crimes",
    "1233": "Reject request for rights",
    "1312": "Threaten with sanctions, boycott, embargo",
    "1384": "Threaten conventional attack",
    "1663": "Expel or withdraw aid agencies",
    "1711": "Confiscate property",
    "1823": "Kill by physical assault",
    "1834": "Carry out location bombing",
    "1951": "Employ precision-guided aerial munitions",
    "1952": "Employ remotely piloted aerial munitions",
    "2042": "Detonate nuclear weapons",
}

# The 14 labels kept from the earlier codebook (GDELT's wording) instead of the manual's: code -> (kept, manual's).
KEPT_LABELS = {
    "020": ("Appeal, not specified below", "Make an appeal or request, not specified below"),
    "022": (
        "Appeal for diplomatic cooperation, such as policy support",
        "Appeal for diplomatic cooperation (such as policy support)",
    ),
    "025": ("Appeal to yield", "Appeal to yield, not specified below"),
    "028": ("Appeal to others to engage in or accept mediation", "Appeal to engage in or accept mediation"),
    "032": (
        "Express intent to provide diplomatic cooperation such as policy support",
        "Express intent to engage in diplomatic cooperation (such as policy support)",
    ),
    "044": ("Meet at a “third” location", 'Meet at a "third" location'),
    "133": ("Threaten political dissent, protest", "Threaten with political dissent, protest"),
    "137": ("Threaten with violent repression", "Threaten with repression"),
    "138": ("Threaten to use military force, not specified below", "Threaten with military force, not specified below"),
    "141": ("Demonstrate or rally", "Demonstrate or rally, not specified below"),
    "144": ("Obstruct passage, block", "Obstruct passage, block, not specified below"),
    "145": ("Protest violently, riot", "Protest violently, riot, not specified below"),
    "162": ("Reduce or stop aid, not specified below", "Reduce or stop material aid, not specified below"),
    "195": ("Employ aerial weapons", "Employ aerial weapons, not specified below"),
}

# (category, mode) as the PLOVER project's CAMEO2PLOVER-2021.txt gives them.
PLOVER_SAMPLE = {
    "03": ("AGREE", ""),
    "040": ("CONSULT", ""),
    "041": ("CONSULT", "phone"),
    "043": ("CONSULT", "visit"),
    "044": ("CONSULT", "third-party"),
    "080": ("CONCEDE", ""),
    "0871": ("RETREAT", "ceasefire"),
    "10": ("REQUEST", ""),
    "1041": ("REQUEST", "change"),
    "1121": ("ACCUSE", "allege"),
    "1411": ("PROTEST", "demo"),
    "163": ("COERCE", "restrict"),
    "173": ("COERCE", "arrest"),
    "1712": ("ASSAULT", ""),
    "190": ("ASSAULT", ""),
    "201": ("ASSAULT", "cleansing"),
    "2041": ("ASSAULT", "unconventional"),
}

# Codes whose table mode is not a mode of their category in the PLOVER manual draft 0.8: code -> (category, mode).
DROPPED_MODES = {
    "085": ("RETREAT", "ease"),
    "1321": ("THREATEN", "political"),
    "1712": ("ASSAULT", "seize"),
    "175": ("ASSAULT", "pro_autocracy"),
}


# --- The codebook -----------------------------------------------------------------------------------------------


def test_the_codebook_is_the_whole_cameo_1_1b3_list():
    assert len(RAW) == len(ROWS) == 316  # no code listed twice
    assert Counter(len(code) for code in ROWS) == {2: 20, 3: 149, 4: 147}
    assert sorted(code for code in ROWS if len(code) == 2) == [f"{n:02d}" for n in range(1, 21)]
    assert [row["pk"] for row in RAW] == sorted(ROWS)
    for row in RAW:
        assert row["model"] == "facts.eventtype" and row["pk"].isdigit(), row["pk"]
        assert set(row["fields"]) == {"label", "description", "plover_category", "plover_mode"}, row["pk"]
        assert row["fields"]["label"] and row["fields"]["label"] == row["fields"]["label"].strip(), row["pk"]


def test_every_code_below_a_cue_category_has_its_parent():
    for code in ROWS:  # 043 sits under 04, 0871 under 087
        assert len(code) == 2 or code[:-1] in ROWS, code
    children = Counter(code[:-1] for code in ROWS if len(code) > 2)
    assert all(children[root] for root in ROWS if len(root) == 2)  # every cue category has codes under it
    assert (children["04"], children["087"], children["0871"]) == (7, 4, 0)


def test_the_sample_covers_every_level():
    assert len(MANUAL_SAMPLE) >= 15
    assert {len(code) for code in MANUAL_SAMPLE} == {2, 3, 4}
    assert not set(MANUAL_SAMPLE) & set(KEPT_LABELS)


@pytest.mark.parametrize("code, label", MANUAL_SAMPLE.items())
def test_labels_are_the_manuals(code, label):
    assert ROWS[code]["label"] == label


def test_every_row_is_marked_external_with_its_origin():
    levels = {2: "cue category (root)", 3: "second-level code", 4: "third-level code"}
    for code, fields in ROWS.items():
        assert fields["description"].startswith(
            "External: CAMEO event codebook, version 1.1b3 (Schrodt, Penn State Event Data Project, 2012); "
            f"{levels[len(code)]}. Not from any source article."
        ), code


def test_kept_labels_are_the_earlier_fixtures_and_say_so():
    noted = {
        code for code, fields in ROWS.items() if "Label as in the codebook file used before" in fields["description"]
    }
    assert noted == set(KEPT_LABELS)
    for code, (kept, manual) in KEPT_LABELS.items():
        assert ROWS[code]["label"] == kept != manual
        assert f"the manual's list reads “{manual}”" in ROWS[code]["description"]


def test_the_codes_the_article_uses_are_in_it_with_their_labels():
    events = json.loads((ROOT / "fixtures" / "04_events.json").read_text(encoding="utf-8"))
    used = {row["fields"]["event_type"] for row in events if row["model"] == "facts.event"}
    assert used and used <= set(ROWS)
    assert ROWS["0871"]["label"] == "Declare truce, ceasefire" and ROWS["190"]["label"].startswith("Use conventional")


# --- PLOVER -----------------------------------------------------------------------------------------------------


def test_plover_counts():
    with_category = [code for code, fields in ROWS.items() if fields["plover_category"]]
    assert len(with_category) == 271
    assert sum(1 for fields in ROWS.values() if fields["plover_mode"]) == 175
    unmapped = sorted(set(ROWS) - set(with_category))
    assert len(unmapped) == 45
    assert [code for code in unmapped if code[:2] not in ("01", "02")] == ["08", "155", "176", "1834", "1951", "1952"]
    assert all(not ROWS[code]["plover_category"] for code in ROWS if code[:2] in ("01", "02"))  # all 39 of them


@pytest.mark.parametrize("code, expected", PLOVER_SAMPLE.items())
def test_plover_category_and_mode_are_the_tables(code, expected):
    assert (ROWS[code]["plover_category"], ROWS[code]["plover_mode"]) == expected


def test_every_category_and_mode_is_plovers():
    for code, fields in ROWS.items():
        category, mode = fields["plover_category"], fields["plover_mode"]
        assert category in PLOVER_CATEGORIES or (category == "" and mode == ""), code
        assert mode == "" or mode in PLOVER_MODES[category], code
    assert set(PLOVER_CATEGORIES) == set(PLOVER_MODES) and len(PLOVER_CATEGORIES) == 16


def test_the_08_split_follows_plover():
    # The table heads 08 twice: CONCEDE for 080-083, RETREAT for 084-087 (and for 0813 and 0814, easing a curfew or
    # a state of emergency, listed under RETREAT).
    assert ROWS["08"]["plover_category"] == ""
    retreat = {code for code in ROWS if code[:3] in ("084", "085", "086", "087")} | {"0813", "0814"}
    concede = {code for code in ROWS if code.startswith("08") and len(code) > 2} - retreat
    assert {ROWS[code]["plover_category"] for code in concede} == {"CONCEDE"} and len(concede) == 10
    assert {ROWS[code]["plover_category"] for code in retreat} == {"RETREAT"} and len(retreat) == 15


def test_a_code_without_a_plover_category_or_mode_says_why():
    for code, fields in ROWS.items():
        if not fields["plover_category"]:
            assert "No PLOVER category:" in fields["description"], code
        else:
            assert "PLOVER category" in fields["description"] and "(external)" in fields["description"], code
    assert "PLOVER drops CAMEO's cue categories 01" in ROWS["0211"]["description"]
    assert "splits CAMEO's 08" in ROWS["08"]["description"]
    assert "does not list this code" in ROWS["176"]["description"]
    assert "PLOVER category and mode (external)" in ROWS["043"]["description"]
    noted = {code for code, fields in ROWS.items() if "No PLOVER mode:" in fields["description"]}
    assert noted == set(DROPPED_MODES)
    for code, (category, mode) in DROPPED_MODES.items():
        assert (ROWS[code]["plover_category"], ROWS[code]["plover_mode"]) == (category, "")
        assert f"“{mode}” is not a mode of {category}" in ROWS[code]["description"]


def test_codes_of_the_table_outside_cameo_1_1b3_are_left_out():
    assert "1213" not in ROWS and "1214" not in ROWS
    assert sorted(code for code in ROWS if code.startswith("121")) == ["121", "1211", "1212"]


def test_the_documentation_matches_the_table():
    text = DOC.read_text(encoding="utf-8")
    for figure in ("316", "271 codes have a PLOVER category and 175 a mode", "45 codes without a category"):
        assert figure in text
    for code, (kept, manual) in KEPT_LABELS.items():
        assert f"| {code} | {kept} | {manual} |" in text
    assert "BY-NC-SA 3.0" in text and "BY-SA 4.0" in text and "e834df5b3a302f99af1f23cda08fa34b383ca598" in text


# --- build_fixtures reads the codebook, never writes it -----------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_build_fixtures_check_passes_and_leaves_the_codebook_alone():
    before = (_digest(FIXTURE), FIXTURE.stat().st_mtime_ns)
    call_command("build_fixtures", check=True, verbosity=0)
    assert (_digest(FIXTURE), FIXTURE.stat().st_mtime_ns) == before


def test_a_build_does_not_rewrite_the_codebook(tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", fixtures)
    codebook = fixtures / "00_cameo.json"
    edited = codebook.read_text(encoding="utf-8").replace('"Host a visit"', '"Host a visit (edited)"', 1)
    codebook.write_text(edited, encoding="utf-8")
    call_command("build_fixtures", seeds=str(ROOT / "seeds"), fixtures=str(fixtures), verbosity=0)
    assert codebook.read_text(encoding="utf-8") == edited
    call_command("build_fixtures", check=True, seeds=str(ROOT / "seeds"), fixtures=str(fixtures), verbosity=0)


def test_the_build_refuses_a_code_the_codebook_lacks(tmp_path):
    fixtures = tmp_path / "fixtures"
    shutil.copytree(ROOT / "fixtures", fixtures)
    events = json.loads((fixtures / "04_events.json").read_text(encoding="utf-8"))
    used = sorted({row["fields"]["event_type"] for row in events if row["model"] == "facts.event"})
    (fixtures / "00_cameo.json").write_text(json.dumps([row for row in RAW if row["pk"] != used[0]]), encoding="utf-8")
    with pytest.raises(CommandError, match=f"CAMEO code {used[0]} is not in fixtures/00_cameo.json"):
        call_command("build_fixtures", check=True, seeds=str(ROOT / "seeds"), fixtures=str(fixtures))
    (fixtures / "00_cameo.json").unlink()
    with pytest.raises(CommandError, match=r"the CAMEO codebook\) is missing"):
        call_command("build_fixtures", check=True, seeds=str(ROOT / "seeds"), fixtures=str(fixtures))


# --- Loading ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_synthetic_loader_loads_the_whole_codebook():
    assert not EventType.objects.exists()
    codes = ensure_event_types()
    assert len(codes) == 316 and codes == sorted(codes)
    assert EventType.objects.get(code="043").plover_mode == "visit"


# --- FilterSets -------------------------------------------------------------------------------------------------


pytestmark_db = pytest.mark.django_db


def codes(params) -> set[str]:
    filterset = EventTypeFilterSet(params, queryset=EventType.objects.all())
    assert filterset.is_valid(), filterset.errors
    return set(filterset.qs.values_list("code", flat=True))


@pytestmark_db
def test_event_type_filterset_plover_any_case_and_several(article):
    consult = {code for code, fields in ROWS.items() if fields["plover_category"] == "CONSULT"}
    assert consult == {"04", "040", "041", "042", "043", "044", "045", "046"}
    assert codes({"plover": "consult"}) == codes({"plover": "CONSULT"}) == consult
    aid = codes({"plover": "AID"})
    assert aid and codes({"plover": "Consult,aid"}) == consult | aid


@pytestmark_db
def test_event_type_filterset_level_and_parent(article):
    assert len(codes({"level": "1"})) == 20 and len(codes({"level": "2"})) == 149 and len(codes({"level": "3"})) == 147
    assert codes({"parent": "04"}) == {"040", "041", "042", "043", "044", "045", "046"}
    assert codes({"parent": "087"}) == {"0871", "0872", "0873", "0874"}
    assert codes({"parent": "0871"}) == set()
    assert codes({"parent": "13", "level": "2", "plover": "THREATEN"}) == {f"13{n}" for n in range(10)}


@pytestmark_db
@pytest.mark.parametrize(
    "filterset_class, params, name",
    [
        (EventTypeFilterSet, {"plover": "CONFER"}, "plover"),
        (EventTypeFilterSet, {"plover": "CONSULT,FIGHT"}, "plover"),
        (EventTypeFilterSet, {"level": "4"}, "level"),
        (EventTypeFilterSet, {"parent": "99"}, "parent"),
        (EventFilterSet, {"plover": "consultation"}, "plover"),
    ],
)
def test_filtersets_refuse_unknown_values_naming_the_parameter(article, filterset_class, params, name):
    model = Event if filterset_class is EventFilterSet else EventType
    filterset = filterset_class(params, queryset=model.objects.all())
    assert not filterset.is_valid() and set(filterset.errors) == {name}


@pytestmark_db
def test_event_filterset_plover(article):
    def ids(params):
        filterset = EventFilterSet(params, queryset=Event.objects.all())
        assert filterset.is_valid(), filterset.errors
        return set(filterset.qs.values_list("id", flat=True))

    consult = set(Event.objects.filter(event_type__plover_category="CONSULT").values_list("id", flat=True))
    in_04 = set(Event.objects.filter(event_type__code__startswith="04").values_list("id", flat=True))
    assert consult and consult == in_04
    assert ids({"plover": "consult"}) == consult
    retreat = set(Event.objects.filter(event_type__plover_category="RETREAT").values_list("id", flat=True))
    assert retreat and ids({"plover": "CONSULT,RETREAT"}) == consult | retreat
    assert ids({"plover": "PROTEST"}) == set()


# --- HTTP -------------------------------------------------------------------------------------------------------


@pytestmark_db
def test_event_type_detail_serves_cameo_and_plover(api):
    visit = get_json(api, "/api/v1/event-types/043/")
    assert {k: visit[k] for k in ("code", "label", "plover_category", "plover_mode")} == {
        "code": "043",
        "label": "Host a visit",
        "plover_category": "CONSULT",
        "plover_mode": "visit",
    }
    assert visit["description"] == ROWS["043"]["description"]
    assert get_json(api, "/api/v1/event-types/01/")["plover_category"] == ""


@pytestmark_db
def test_every_event_carries_its_types_plover_category(api):
    events = results(api, "/api/v1/events/?page_size=500")
    assert events
    for event in events:
        fields = ROWS[event["type"]["code"]]
        assert event["type"]["plover_category"] == fields["plover_category"]
        assert event["type"]["plover_mode"] == fields["plover_mode"]
        assert list(event["type"]) == ["code", "label", "plover_category", "plover_mode", "url"]
    detail = get_json(api, events[0]["url"])
    assert detail["type"] == events[0]["type"]


@pytestmark_db
def test_events_filter_by_plover_over_http(api):
    consult = results(api, "/api/v1/events/?plover=CONSULT")
    assert consult and {e["type"]["plover_category"] for e in consult} == {"CONSULT"}
    assert [e["id"] for e in consult] == [e["id"] for e in results(api, "/api/v1/events/?type=04")]
    several = results(api, "/api/v1/events/?plover=consult&plover=Assault")
    assert {e["type"]["plover_category"] for e in several} == {"CONSULT", "ASSAULT"}
    assert error_names(api, "/api/v1/events/?plover=FIGHT") == {"plover"}
    assert "Unknown PLOVER category “FIGHT”" in body(Client().get("/api/v1/events/?plover=FIGHT"))


@pytestmark_db
def test_event_types_filter_by_plover_level_and_parent_over_http(api):
    assert {t["code"] for t in results(api, "/api/v1/event-types/?plover=retreat&level=3")} == {
        "0813",
        "0814",
        "0841",
        "0842",
        "0861",
        "0862",
        "0863",
        "0871",
        "0872",
        "0873",
        "0874",
    }
    assert [t["code"] for t in results(api, "/api/v1/event-types/?parent=04")] == [
        "040",
        "041",
        "042",
        "043",
        "044",
        "045",
        "046",
    ]
    assert error_names(api, "/api/v1/event-types/?parent=4x") == {"parent"}
    assert error_names(api, "/api/v1/event-types/?plover=nope") == {"plover"}


@pytestmark_db
def test_csv_exports_give_plover_columns(api):
    types = list(csv.DictReader(io.StringIO(body(api.get("/api/v1/event-types/?format=csv&parent=04")))))
    assert [(t["code"], t["plover_category"], t["plover_mode"]) for t in types][3] == ("043", "CONSULT", "visit")
    events = list(csv.DictReader(io.StringIO(body(api.get("/api/v1/events/?format=csv&type=043")))))
    assert events and {(e["type"], e["type.plover_category"], e["type.plover_mode"]) for e in events} == {
        ("043", "CONSULT", "visit")
    }
    header = body(api.get("/api/v1/events/?format=csv&fields=id,title")).splitlines()[0]
    assert header == "id,title"


# --- Admin ------------------------------------------------------------------------------------------------------


@pytestmark_db
def test_admin_lists_and_filters_plover_and_level(article, admin_client):
    page = admin_client.get("/admin/facts/eventtype/?plover_category=CONSULT&level=2")
    assert page.status_code == 200
    listed = {row.code for row in page.context["cl"].result_list}
    assert listed == {"040", "041", "042", "043", "044", "045", "046"}
    text = page.content.decode()
    assert "Plover category" in text and "Plover mode" in text and "CAMEO level" in text


# --- load_article -----------------------------------------------------------------------------------------------


@pytestmark_db
def test_load_article_completes_an_older_codebook_and_keeps_edited_labels(capsys):
    call_command("load_article", verbosity=0)
    # A database loaded before the whole codebook: fewer codes, no PLOVER categories, and a curator's label.
    EventType.objects.filter(code__in=["1951", "1952", "0211"]).delete()
    EventType.objects.update(plover_category="", plover_mode="")
    EventType.objects.filter(code="042").update(label="Edited by a curator")
    capsys.readouterr()

    call_command("load_article")
    out = capsys.readouterr().out
    assert "already loaded" in out and "added 3 CAMEO code(s)" in out
    assert EventType.objects.count() == 316
    assert EventType.objects.exclude(plover_category="").count() == 271
    assert (EventType.objects.get(code="043").plover_mode, EventType.objects.get(code="042").label) == (
        "visit",
        "Edited by a curator",
    )

    call_command("load_article")
    assert "nothing changed" in capsys.readouterr().out
