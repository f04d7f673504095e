"""The gate page with the network gone: it checks tickets against the manifest it
downloaded, verifies their Ed25519 signatures in the browser, queues the
check-ins, and uploads them when the network is back."""

from datetime import timedelta

from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.visits import tickets
from tourdraw.visits.models import CheckIn, Offer
from tourdraw.visits.offers import confirm_offer


def test_the_gate_keeps_working_offline_and_syncs_later(browser, live_server, transactional_db):
    _, slot, entries = support.drawn_round(10, [2, 3], [])
    start = timezone.now() + timedelta(minutes=30)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=2))
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[1]), actor=None, accepted_rules=True, via="online"
    )
    support.make_staff("gatekeeper", "gate", slot.tour.site)
    page = browser.page

    browser.go(f"/backoffice/gate/{slot.pk}/")
    browser.staff_sign_in("gatekeeper", "gatekeeper-pass-123")
    browser.wait_for("localStorage.length > 1")  # the manifest is stored

    page.context.set_offline(True)
    forged = tickets.payload(ticket)[:-6] + "AAAAAA"
    page.fill("#code", forged)
    page.press("#code", "Enter")
    assert "Forged" in page.inner_text("#offline-party")

    page.fill("#code", tickets.payload(ticket))
    page.press("#code", "Enter")
    assert page.locator("#offline-party label.person").count() == 3
    page.click("#offline-party button")
    assert "will upload" in page.inner_text("#offline-party")
    assert "3" in page.inner_text("#gate-status")
    assert CheckIn.objects.count() == 0

    page.fill("#code", tickets.payload(ticket))
    page.press("#code", "Enter")
    assert "Already checked in" in page.inner_text("#offline-party")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    browser.wait_for("document.getElementById('sync-button').hidden")
    assert CheckIn.objects.filter(ticket=ticket, source="offline").count() == 3
    assert browser.errors == []


def test_offline_a_signature_that_is_not_base64_is_refused(browser, live_server, transactional_db):
    """An attacker knows a ticket code (photographed QR) and hand-writes a payload
    whose signature part is not base64url: the browser must not wave it through."""
    _, slot, entries = support.drawn_round(10, [2], [])
    start = timezone.now() + timedelta(minutes=30)
    Slot.objects.filter(pk=slot.pk).update(starts_at=start, ends_at=start + timedelta(hours=2))
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    support.make_staff("gatekeeper", "gate", slot.tour.site)
    page = browser.page
    browser.go(f"/backoffice/gate/{slot.pk}/")
    browser.staff_sign_in("gatekeeper", "gatekeeper-pass-123")
    browser.wait_for("localStorage.length > 1")  # the manifest is stored
    page.context.set_offline(True)
    prefix, body, _signature = tickets.payload(ticket).split(".")
    for signature in ("!!!!not*base64!!!!", "A" * 86 + " ", "AAAA"):
        page.fill("#code", f"{prefix}.{body}.{signature}")
        page.press("#code", "Enter")
        assert "Forged" in page.inner_text("#offline-party"), signature
        assert page.locator("#offline-party label.person").count() == 0
