"""The pages that tell entrants how the draw works read on a phone: nothing
wider than the screen, no script errors, in both languages."""

from datetime import UTC, datetime

from django.db import transaction

from tests import support
from tests.browser.conftest import LANGUAGES, VIEWPORTS
from tourdraw.groups.services import approve_visit
from tourdraw.transparency import log


def test_the_fairness_log_and_round_pages_fit_a_phone(browser, transactional_db):
    round = support.make_round()
    slot = support.present(round.slots.order_by("starts_at").first())
    approve_visit(support.request_group(round.tour.site, size=20), slot=slot, actor=None)
    with transaction.atomic():
        log.append(
            "release",
            round_code=round.code,
            body={
                "slot": slot.code,
                "entry": "A2B3C4D5E6",
                "persons": 3,
                "reason": "expired",
                "waitlist_open": True,
                "promotions": [{"entry": "Z9Y8X7W6V5", "persons": 2}],
            },
            now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        )
    pages = {
        "fairness": "/fairness/",
        "transparency": "/transparency/",
        "round-facts": f"/rounds/{round.code}/",
    }
    browser.page.set_viewport_size(VIEWPORTS["phone"])
    for language in LANGUAGES:
        browser.language(language)
        for path in pages.values():
            browser.go(path)
            wide = browser.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert wide <= 0, f"{path} in {language} is {wide}px wider than the phone"
    for name, path in pages.items():
        browser.go(path)
        browser.shoot(name)
    assert browser.errors == []
