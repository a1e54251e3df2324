"""Hostile input to the staff pages: ids, filters, search terms, selections and dates that no row can hold end as
"no such object", an invalid lookup or a 400, never a 500.

PostgreSQL is the database that matters here: it refuses a NUL in any text parameter (SQLite accepts it and finds
nothing), so on PostgreSQL every case below was a 500 before the guards. Two layers guard the admin, and the NUL
cases run against each: facts.api.middleware.NulCharacterMiddleware (a NUL anywhere in a URL is a 400 before any view)
and, with that middleware taken out, the admin's own guards (facts.admin.HostileInputAdminMixin), which also cover
form bodies and what is not a NUL.
"""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from facts.admin import HostileInputAdminMixin
from facts.models import Event, EventType
from tests.conftest import make_event, make_place

pytestmark = pytest.mark.django_db

NUL_MIDDLEWARE = "facts.api.middleware.NulCharacterMiddleware"
HUGE = "99999999999999999999"  # past a 64-bit integer, and longer than any code
FACTS_ADMINS = {
    model._meta.model_name: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "facts"
}
ADMIN_INDEX = "/admin/"


@pytest.fixture(params=["middleware", "admin-guards"])
def layer(request, settings):
    """Run a case with the NUL middleware, and again with only the admin's own guards."""
    if request.param == "admin-guards":
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != NUL_MIDDLEWARE]
    return request.param


@pytest.fixture
def event(source):
    return make_event(
        source,
        "The United States hosted negotiations between Armenia and Azerbaijan on Monday",
        title="US hosts talks",
        place=make_place("Washington"),
        date_text="on Monday",
        date_start=date(2023, 5, 1),
        date_end=date(2023, 5, 1),
        date_precision="day",
    )


def is_lookup_error_redirect(response) -> bool:
    """The admin's answer to an invalid lookup: a redirect to the changelist with ?e=1 ("Database error" page)."""
    return response.status_code == 302 and response["Location"].endswith("?e=1")


def is_missing_object(response) -> bool:
    """The admin's answer to an object id that names nothing: back to the index (with a message), or a 404."""
    return response.status_code == 404 or (response.status_code == 302 and response["Location"] == ADMIN_INDEX)


def test_every_facts_model_admin_has_the_guards():
    assert FACTS_ADMINS, "no facts model is registered in the admin"
    assert all(isinstance(model_admin, HostileInputAdminMixin) for model_admin in FACTS_ADMINS.values())


def test_other_apps_admins_get_the_guards_too():
    others = [model_admin for model, model_admin in admin.site._registry.items() if model._meta.app_label != "facts"]
    assert others and all(isinstance(model_admin, HostileInputAdminMixin) for model_admin in others)


# --- The URLs ------------------------------------------------------------------------------------------


def test_event_type_change_page_with_a_nul_id(admin_client, layer):
    response = admin_client.get("/admin/facts/eventtype/%00/change/")
    if layer == "middleware":
        assert response.status_code == 400
        assert b"NUL" in response.content
    else:
        assert is_missing_object(response)


def test_changelist_status_filter_with_a_nul(admin_client, layer, event):
    response = admin_client.get("/admin/facts/event/?status__exact=%00")
    assert response.status_code == 400 if layer == "middleware" else is_lookup_error_redirect(response)


@pytest.mark.parametrize(
    "query",
    [
        "date_start__year=99999999999",  # past C's long: OverflowError in datetime()
        "date_start__year=9999",  # the year after cannot be built
        "date_start__year=9999&date_start__month=12",
        "date_start__year=9999&date_start__month=12&date_start__day=31",
        "date_start__year=2023&date_start__month=13",
        "date_start__year=2023&date_start__month=2&date_start__day=30",
        "date_start__year=0",
        "date_start__year=-5",
        "date_start__year=abc",
        "date_start__year=2023&date_start__month=99999999999999999999",
    ],
)
def test_date_hierarchy_values_no_date_can_hold(admin_client, event, query):
    assert is_lookup_error_redirect(admin_client.get(f"/admin/facts/event/?{query}"))


def test_source_date_hierarchy_with_a_huge_year(admin_client, source):
    assert is_lookup_error_redirect(admin_client.get("/admin/facts/source/?published__year=99999999999"))


def test_date_hierarchy_still_drills_down(admin_client, event):
    response = admin_client.get("/admin/facts/event/?date_start__year=2023&date_start__month=5&date_start__day=1")
    assert response.status_code == 200
    assert b"US hosts talks" in response.content


def autocomplete_fields():
    """(model_name, field_name) for every autocomplete field of every facts model admin."""
    return [
        (model_name, field_name)
        for model_name, model_admin in sorted(FACTS_ADMINS.items())
        for field_name in model_admin.autocomplete_fields
    ]


@pytest.mark.parametrize(("model_name", "field_name"), autocomplete_fields())
def test_autocomplete_with_a_nul_term(admin_client, layer, model_name, field_name):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": "\x00", "app_label": "facts", "model_name": model_name, "field_name": field_name},
    )
    assert response.status_code == 400


def test_autocomplete_still_finds(admin_client, event):
    response = admin_client.get(
        "/admin/autocomplete/", {"term": "hosts", "app_label": "facts", "model_name": "event", "field_name": "parent"}
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(event.pk)]


# --- Every facts model: change pages, changelists ------------------------------------------------------------


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_object_pages_with_a_nul_id(admin_client, layer, model_name, page):
    response = admin_client.get(f"/admin/facts/{model_name}/%00/{page}/")
    assert response.status_code == 400 if layer == "middleware" else is_missing_object(response)


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
@pytest.mark.parametrize("page", ["change", "delete", "history"])
@pytest.mark.parametrize("object_id", [HUGE, "abc", "%C2%B2"])  # "²" passes str.isdigit()
def test_object_pages_with_an_id_the_key_cannot_hold(admin_client, model_name, page, object_id):
    assert is_missing_object(admin_client.get(f"/admin/facts/{model_name}/{object_id}/{page}/"))


@pytest.mark.parametrize(
    "model_name",
    sorted(name for name, model_admin in FACTS_ADMINS.items() if isinstance(model_admin, SimpleHistoryAdmin)),
)
@pytest.mark.parametrize(("object_id", "version_id"), [("1", "abc"), ("1", HUGE), ("abc", "1"), (HUGE, "1")])
def test_history_version_pages_with_ids_no_row_can_hold(admin_client, model_name, object_id, version_id):
    response = admin_client.get(f"/admin/facts/{model_name}/{object_id}/history/{version_id}/")
    assert response.status_code == 404


def test_history_version_page_with_a_nul(admin_client, layer, event):
    response = admin_client.get(f"/admin/facts/event/{event.pk}/history/%00/")
    assert response.status_code == (400 if layer == "middleware" else 404)


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
def test_changelist_search_with_a_nul(admin_client, layer, model_name):
    response = admin_client.get(f"/admin/facts/{model_name}/?q=%00")
    if layer == "middleware":
        assert response.status_code == 400
    else:  # Django's search form refuses it with a message and searches for nothing
        assert response.status_code == 200
        assert b"Null characters are not allowed." in response.content


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
@pytest.mark.parametrize("query", ["o=999", "o=-999.abc", "o=%C2%B2"])
def test_changelist_with_an_unknown_sort_column_ignores_it(admin_client, model_name, query):
    assert admin_client.get(f"/admin/facts/{model_name}/?{query}").status_code == 200


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
@pytest.mark.parametrize("page", [HUGE, "99999", "-1", "abc"])
def test_changelist_with_a_page_past_the_end(admin_client, model_name, page):
    response = admin_client.get(f"/admin/facts/{model_name}/?p={page}")
    assert response.status_code == 200 or is_lookup_error_redirect(response)


@pytest.mark.parametrize("model_name", sorted(FACTS_ADMINS))
def test_changelist_filter_with_a_nul_in_its_name(admin_client, layer, model_name):
    response = admin_client.get(f"/admin/facts/{model_name}/?id__exact%00=1")
    assert response.status_code == 400 if layer == "middleware" else is_lookup_error_redirect(response)


@pytest.mark.parametrize(
    "query",
    [
        "event_type__code__exact=%00",
        "place__id__exact=%00",
        "title=%00",
        "date_start__gte=%00",
        "date_precision__exact=%00",
    ],
)
def test_changelist_filters_with_a_nul(admin_client, layer, event, query):
    response = admin_client.get(f"/admin/facts/event/?{query}")
    assert response.status_code == 400 if layer == "middleware" else is_lookup_error_redirect(response)


@pytest.mark.parametrize("query", ["place__id__exact=abc", "date_start__gte=99999-01-01", "id__in=1,abc"])
def test_changelist_filters_of_the_wrong_type(admin_client, event, query):
    assert is_lookup_error_redirect(admin_client.get(f"/admin/facts/event/?{query}"))


def test_evidence_filter_with_a_nul(admin_client, layer):
    response = admin_client.get("/admin/facts/evidencespan/?supports=%00&source__id__exact=%00")
    assert response.status_code == 400 if layer == "middleware" else is_lookup_error_redirect(response)


# --- Form bodies: actions and change forms -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_name", "selected"),
    [
        ("eventtype", "\x00"),
        ("event", "\x00"),
        ("event", "abc"),
        ("event", HUGE),
        ("actor", "1.5"),
    ],
)
def test_action_on_a_selection_the_key_cannot_hold(admin_client, event, model_name, selected):
    response = admin_client.post(
        f"/admin/facts/{model_name}/", {"action": "delete_selected", "_selected_action": [selected], "index": "0"}
    )
    assert response.status_code == 400
    assert Event.objects.filter(pk=event.pk).exists() and EventType.objects.exists()


def test_action_on_a_real_selection_still_runs(admin_client, event):
    response = admin_client.post(
        "/admin/facts/event/", {"action": "mark_draft", "_selected_action": [str(event.pk)], "index": "0"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_type", "\x00"),
        ("place", "\x00"),
        ("place", "abc"),
        ("place", HUGE),
        ("parent", "1.5"),
    ],
)
def test_add_form_sent_back_with_a_reference_no_row_can_hold(admin_client, event, field, value):
    data = {
        "title": "New",
        "event_type": event.event_type_id,
        "status": "draft",
        "date_precision": "unknown",
        "participants-TOTAL_FORMS": "0",
        "participants-INITIAL_FORMS": "0",
        "evidence-TOTAL_FORMS": "0",
        "evidence-INITIAL_FORMS": "0",
        field: value,
    }
    response = admin_client.post("/admin/facts/event/add/", data)
    assert response.status_code == 200  # the form again, with its errors
    assert field in response.context["adminform"].form.errors
    assert Event.objects.count() == 1


@pytest.mark.parametrize("query", ["place=abc", f"place={HUGE}", "event_type=%00", "about_actors=1,abc"])
def test_add_form_prefilled_from_the_query_string(admin_client, layer, query):
    model_name = "statement" if query.startswith("about_") else "event"
    response = admin_client.get(f"/admin/facts/{model_name}/add/?{query}")
    nul = "%00" in query
    assert response.status_code == (400 if nul and layer == "middleware" else 200)


# --- Other apps' admins and views ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/user/?username=%00",
        "/admin/auth/user/?is_staff__exact=%00",
        "/admin/axes/accessattempt/?username=%00",
        "/admin/authtoken/tokenproxy/?user__username=%00",
    ],
)
def test_other_admins_filters_with_a_nul(admin_client, layer, url):
    response = admin_client.get(url)
    assert response.status_code == 400 if layer == "middleware" else is_lookup_error_redirect(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/axes/accessattempt/?attempt_time__year=99999999999",
        "/admin/axes/accesslog/?attempt_time__year=99999999999",
    ],
)
def test_other_admins_date_hierarchies_with_a_huge_year(admin_client, url):
    assert is_lookup_error_redirect(admin_client.get(url))


@pytest.mark.parametrize("url", ["/admin/auth/user/%00/change/", "/admin/authtoken/tokenproxy/%00/change/"])
def test_other_admins_object_pages_with_a_nul_id(admin_client, layer, url):
    response = admin_client.get(url)
    assert response.status_code == 400 if layer == "middleware" else is_missing_object(response)


def test_view_on_site_shortcut_with_a_nul_id(admin_client):
    content_type = ContentType.objects.get_for_model(EventType)
    assert admin_client.get(f"/admin/r/{content_type.pk}/%00/").status_code == 400


def test_nul_outside_the_api_is_plain_text(client):
    response = client.get("/admin/login/?next=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_nul_in_an_api_query_parameter_is_a_json_400_naming_it(client):
    response = client.get("/api/v1/events/?search=talks%00&page=1")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["search"]


def test_nul_in_an_api_path_is_the_json_404(client):
    response = client.get("/api/v1/event-types/%00/")
    assert response.status_code == 404
    assert response.json()["status"] == 404


@pytest.mark.parametrize("url", ["/admin/login/", "/api/v1/events/"])
def test_a_cookie_with_a_nul_is_dropped(client, url):
    # Python's cookie parser turns a quoted \000 into NUL; the session key was then looked up (500 on PostgreSQL).
    client.cookies.load('sessionid="abcdefghijklmnop\\000q"')
    assert client.cookies["sessionid"].value == "abcdefghijklmnop\x00q"
    assert client.get(url).status_code == 200


def test_a_header_with_a_nul_is_refused(client):
    response = client.get("/api/v1/events/", HTTP_AUTHORIZATION="Token abc\x00def")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Authorization"]


def test_the_admin_still_works_for_real_ids(admin_client, event):
    assert admin_client.get(reverse("admin:facts_event_change", args=[event.pk])).status_code == 200
    assert admin_client.get(reverse("admin:facts_eventtype_change", args=[event.event_type_id])).status_code == 200
    assert admin_client.get(f"/admin/facts/event/{event.pk}/history/").status_code == 200
    assert admin_client.get("/admin/facts/event/?status__exact=draft").status_code == 200
