"""The whole journey in a real browser: Debian's Chromium driven by Playwright.

A visitor signs in, enters with two companions (a five-year-old is refused
with its message, then replaced), the round closes and draws, the visitor
confirms and opens the ticket, and gate staff scan it and check the party in.
Every page is photographed on a phone and a desktop, in Chinese and English,
under artifacts/screenshots/; any browser console error fails the test.
"""

import os
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests import support
from tourdraw.lottery import drawing, rounds
from tourdraw.visits import tickets
from tourdraw.visits.models import CheckIn, Ticket

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
LANGUAGES = ("zh-hans", "en")

# CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium)",
)
# Playwright's sync API runs an event loop in this thread; the ORM calls the
# test makes between browser steps are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Browser:
    def __init__(self, page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        page.on(
            "console", lambda m: m.type == "error" and self.errors.append(f"{page.url}: {m.text}")
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))

    def go(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def language(self, language: str) -> None:
        self.page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": self.base_url}]
        )

    def shoot(self, name: str, prepare=None) -> None:  # type: ignore[no-untyped-def]
        """This page in both languages and both viewports. ``prepare`` brings the
        page back to the state to show (by default, reloading it)."""
        prepare = prepare or self.page.reload
        for language in LANGUAGES:
            self.language(language)
            for viewport, size in VIEWPORTS.items():
                self.page.set_viewport_size(size)
                prepare()
                self.page.screenshot(
                    path=str(SHOTS / f"{name}-{language}-{viewport}.png"), full_page=True
                )
        self.language("en")
        self.page.set_viewport_size(VIEWPORTS["phone"])
        prepare()


@pytest.fixture
def browser(live_server):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = chromium.new_context(viewport=VIEWPORTS["phone"], locale="en-US")
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        yield Browser(context.new_page(), live_server.url)
        context.close()
        chromium.close()


def test_the_whole_journey_from_sign_in_to_the_gate(
    browser, live_server, settings, transactional_db
):  # type: ignore[no-untyped-def]
    # The session starts in forty minutes, so the gate is open when staff scan;
    # offers may then be confirmed right up to the start.
    settings.TOURDRAW_OFFER_CUTOFF = timedelta(0)
    settings.TOURDRAW_CANCEL_CUTOFF = timedelta(0)
    start = timezone.localtime() + timedelta(minutes=40)
    tour = support.make_tour()
    from tourdraw.catalog.models import Slot

    slot = Slot.objects.create(
        tour=tour,
        starts_at=start.replace(second=0, microsecond=0),
        ends_at=start.replace(second=0, microsecond=0) + timedelta(hours=2),
        capacity=60,
    )
    round = support.make_round(tour, slots=[slot])
    support.make_staff("gatekeeper", "gate", tour.site)
    page = browser.page

    browser.go("/")
    browser.shoot("01-home")
    browser.go(f"/rounds/{round.code}/")
    browser.shoot("02-round")

    page.click("text=Enter this round")
    browser.shoot("03-sign-in")
    page.fill("#id_phone", "13912345678")
    page.click("button:has-text('Text me a code')")
    code = re.search(r"\b(\d{6})\b", support.SENT[-1].body).group(1)
    browser.shoot("04-sign-in-code")
    page.fill("#id_code", code)
    page.click("main button:has-text('Sign in')")

    browser.shoot("05-profile")
    page.fill("#id_full_name", "王建国")
    page.fill("#id_id_number", support.resident_id(date(1985, 3, 14)))
    page.click("button:has-text('Save')")
    enter_url = page.url

    browser.shoot("06-enter")
    visit_day = slot.visit_date
    five = date(visit_day.year - 5, visit_day.month, 1)

    def enter_with_a_five_year_old() -> None:
        page.goto(enter_url)
        page.select_option("#id_choice_1", str(slot.pk))
        page.fill("#id_companion_0_full_name", "李秀英")
        page.fill("#id_companion_0_id_number", support.resident_id(date(1987, 6, 1), "310101", 45))
        page.fill("#id_companion_1_full_name", "王小宝")
        page.fill("#id_companion_1_id_number", support.resident_id(five, "110105", 12))
        page.click("main button[type=submit]")

    browser.shoot("07-enter-refused", enter_with_a_five_year_old)
    error = page.locator(".field.invalid .error").first.inner_text()
    assert "王小宝 will be 5 on" in error and "at least 6" in error

    ten = date(visit_day.year - 10, 1, 15)
    page.fill("#id_companion_1_full_name", "王小明")
    page.fill("#id_companion_1_id_number", support.resident_id(ten, "110105", 13))
    page.click("button:has-text('Enter the draw')")
    assert "You are in the draw" in page.inner_text(".messages")
    browser.shoot("08-entry")

    rounds.close_round(round, now=timezone.now())
    drawing.draw_round(round, now=timezone.now())

    page.reload()
    assert "You have a place!" in page.inner_text("main")
    browser.shoot("09-offer")
    page.check("input[name=accept_rules]")
    page.click("button:has-text('Confirm the visit')")
    page.click("text=Open the ticket")
    assert page.locator(".qr svg").count() == 1
    browser.shoot("10-ticket")
    browser.go("/me/entries/")
    browser.shoot("11-my-entries")

    ticket = Ticket.objects.get()
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    browser.go(f"/backoffice/gate/{slot.pk}/")
    page.fill("#id_username", "gatekeeper")
    page.fill("#id_password", "gatekeeper-pass-123")
    page.click("main button:has-text('Sign in')")
    browser.shoot("12-gate")
    gate_url = page.url

    def scan() -> None:
        page.goto(gate_url)
        page.fill("#code", tickets.payload(ticket))
        page.press("#code", "Enter")

    browser.shoot("13-gate-party", scan)
    assert page.locator("label.person").count() == 3
    assert "王建国" in page.inner_text("#party-form")
    page.click("button:has-text('Check in the ticked persons')")
    assert "3 checked in" in page.inner_text(".messages")
    page.screenshot(path=str(SHOTS / "14-gate-checked-in-en-phone.png"), full_page=True)
    assert CheckIn.objects.filter(ticket=ticket).count() == 3

    browser.shoot("15-gate-already-in", scan)
    assert "Already checked in" in page.inner_text(".refusal")

    assert browser.errors == []
