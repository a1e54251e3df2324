"""A real browser (Debian's chromium driven by Playwright) on the docs and the admin, with no network but localhost.

Every request the pages make is routed through a guard that lets through only 127.0.0.1/localhost and records
anything else; each test asserts that nothing else was even attempted, which is what "works offline" means for docs
whose assets could otherwise come from a CDN.

Needs /usr/bin/chromium (`apt-get install -y chromium`); Playwright's own browser download is not used.
"""

import glob
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

CHROMIUM = "/usr/bin/chromium"
FIXTURES = sorted(glob.glob(str(Path(__file__).resolve().parents[2] / "fixtures" / "*.json")))
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PASSWORD = "correct-horse-battery-staple"

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)"
)
pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an event loop on this thread for as long as the browser lives; the ORM work done
    # meanwhile (test data, the database flush between tests) is still plain synchronous code on this thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_sync.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.outside_requests = []

    def guard(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            page.outside_requests.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.set_default_timeout(20_000)
    yield page
    context.close()


@pytest.fixture
def article(transactional_db):
    call_command("loaddata", *FIXTURES, verbosity=0)


def test_swagger_ui_renders_every_operation_offline(live_server, page, article):
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".opblock-summary-path")
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {"/api/v1/events/", "/api/v1/events/{id}/", "/api/v1/actors/{slug}/"} <= {p.strip() for p in paths}
    assert page.locator(".opblock").count() >= 14  # a list and a detail operation per resource at least
    # Expanding an operation shows its documented parameters.
    page.locator(".opblock-summary-path", has_text="/api/v1/events/").first.click()
    page.wait_for_selector("tr[data-param-name='date_after']")
    assert page.outside_requests == []


def test_redoc_renders_offline(live_server, page, article):
    page.goto(live_server.url + "/api/redoc/")
    page.wait_for_selector("h1")
    assert "Conflict facts API" in page.locator("h1").first.inner_text()
    menu = page.locator("[role=menuitem], li[data-item-id]")
    assert menu.count() >= 14
    assert page.outside_requests == []


def login(page, base: str, username: str) -> None:
    page.goto(base + "/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def test_staff_user_logs_in_and_opens_an_event_change_page(live_server, page, article):
    User.objects.create_superuser("curator", password=PASSWORD)
    from facts.models import Event

    event = Event.objects.order_by("pk").first()
    login(page, live_server.url, "curator")
    assert page.url == live_server.url + "/admin/"
    page.goto(f"{live_server.url}/admin/facts/event/{event.pk}/change/")
    page.wait_for_selector("#event_form")
    assert page.locator("#event_form").is_visible()
    assert page.input_value("input[name=title]") == event.title
    assert page.outside_requests == []


def test_non_staff_user_cannot_reach_the_admin(live_server, page, article):
    User.objects.create_user("reader", password=PASSWORD)
    from facts.models import Event

    event = Event.objects.order_by("pk").first()
    login(page, live_server.url, "reader")
    assert "/admin/login/" in page.url
    assert page.locator(".errornote").is_visible()
    page.goto(f"{live_server.url}/admin/facts/event/{event.pk}/change/")
    assert "/admin/login/" in page.url
    assert page.locator("#event_form").count() == 0
    assert page.outside_requests == []
