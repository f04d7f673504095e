"""The whole journey in a real browser: Debian's Chromium driven by Playwright.

A visitor signs in, enters with two companions (a five-year-old is refused
with its message, then replaced), the round closes and draws, the visitor
confirms and opens the ticket, and gate staff scan it and check the party in.
Every page is photographed on a phone and a desktop, in Chinese and English,
under artifacts/screenshots/; any browser console error fails the test.
"""

import re
from datetime import date, timedelta

from django.utils import timezone

from tests import support
from tests.browser.conftest import SHOTS
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Round
from tourdraw.visits import tickets
from tourdraw.visits.models import CheckIn, Ticket


def test_the_whole_journey_from_sign_in_to_the_gate(
    browser, live_server, settings, transactional_db
):
    # The session starts in forty minutes, so the gate is open when staff scan;
    # offers may then be confirmed right up to the start.
    # Entries close in ten minutes and winners have ten minutes to confirm.
    settings.TOURDRAW_OFFER_CUTOFF = timedelta(0)
    settings.TOURDRAW_CANCEL_CUTOFF = timedelta(0)
    settings.TOURDRAW_PROMOTION_CUTOFF = timedelta(0)
    start = timezone.localtime() + timedelta(minutes=40)
    tour = support.make_tour()
    from tourdraw.catalog.models import Slot

    slot = Slot.objects.create(
        tour=tour,
        starts_at=start.replace(second=0, microsecond=0),
        ends_at=start.replace(second=0, microsecond=0) + timedelta(hours=2),
        capacity=60,
    )
    round = support.make_round(tour, slots=[slot], closes_at=timezone.now() + timedelta(minutes=10))
    Round.objects.filter(pk=round.pk).update(
        draws_at=round.closes_at, confirm_window=timedelta(minutes=10)
    )
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
    code = support.present(re.search(r"\b(\d{6})\b", support.SENT[-1].body)).group(1)
    browser.shoot("04-sign-in-code")
    page.fill("#id_code", code)
    page.click("main button:has-text('Sign in')")

    browser.shoot("05-profile")
    page.fill("#id_full_name", "王建国")
    page.fill("#id_id_number", support.resident_id(date(1985, 3, 14)))
    # The privacy notice and the separate consent for ID documents, asked once.
    page.check("#id_consent-accept_notice")
    page.check("#id_consent-accept_sensitive")
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
        page.check("#id_companion_1_guardian")  # a child: the entrant is the guardian
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
    support.draw_with_beacon(round)

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
    browser.staff_sign_in("gatekeeper", "gatekeeper-pass-123")
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
