"""Every visitor and staff page in a real browser, on phones and a desktop.

One set of realistic data (long Chinese names, open and drawn rounds, a
visitor with an entry, an offer and a ticket, group visits, staff of each
role) and one browser serve the whole sweep. Each page is loaded at 390 px
and 360 px in Chinese and at 1366 px in English, and must not be wider than
the screen, must show no untranslated English in Chinese, and must pass
axe-core without a serious or critical violation. Screenshots go to
artifacts/screenshots/<page>-<language>-<width>.png.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.test import Client, override_settings
from django.utils import timezone
from playwright.sync_api import Page

from tests import support
from tests.browser.conftest import SHOTS, Browser
from tourdraw.catalog.models import Site, Slot, Tour
from tourdraw.groups import services as group_services
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import CompanionInput, enter_round
from tourdraw.lottery.models import Entry, Round
from tourdraw.people import second_factor
from tourdraw.people.models import User, Visitor
from tourdraw.visits import tickets
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 900}
# (language, viewport, run axe-core): axe once per language keeps the sweep quick.
PASSES: tuple[tuple[str, dict[str, int], bool], ...] = (
    ("zh-hans", PHONE, True),
    ("zh-hans", SMALL_PHONE, False),
    ("en", DESKTOP, True),
)
LONG_NAME = "欧阳司马上官慕容诸葛长孙"
# Latin words a Chinese page may show: the product, proper names and codes;
# whole words only, so that "ID" taken out of a random code like 5DCIDWRYUW
# does not leave two "English words" behind.
ALLOWED_LATIN = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"tourdraw|drand|Ed25519|SHA-256|JSON|CSV|API|QR|ID|TOTP|SMS|OpenAPI|UTC|"
    r"Xiaomi EV Factory|Factory tour|Round \d+"
    r")(?![A-Za-z0-9])|https?://\S+|"
    r"[\w,]*_[\w,]*"  # field names, as in a CSV file's first line
)
# Two or more English words in a row, or one English word labelling a count ("pending: 12").
LATIN_RUN = re.compile(
    r"[A-Za-z][A-Za-z'’]+(?:[ ,]+[A-Za-z][A-Za-z'’]+)+|\b[A-Za-z][a-z-]+(?=[:：]\s*\d)"
)
# The visible text of the page, without code samples, hashes and parts the page
# itself marks as another language (the language switch).
VISIBLE_TEXT = """() => {
  const skip = "code, pre, kbd, samp, [lang]:not(html), [translate=no], .hash, script, style";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !parent.checkVisibility()) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll("input[placeholder], [aria-label], [title]")) {
    if (!el.closest(skip)) parts.push(el.getAttribute("placeholder") || "",
      el.getAttribute("aria-label") || "", el.getAttribute("title") || "");
  }
  return parts.join(" ");
}"""
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
}"""


@dataclass
class Sweep:
    browser: Browser
    problems: list[str] = field(default_factory=list)
    axe: Axe = field(default_factory=Axe)

    def check(self, name: str, open_page: Callable[[], Any]) -> None:
        """``name`` in every pass: ``open_page`` brings the page up (and
        returns the navigation's response, if it made one)."""
        page = self.browser.page
        for language, viewport, with_axe in PASSES:
            self.browser.language(language)
            page.set_viewport_size(viewport)
            response = open_page()
            where = f"{name} ({language}, {viewport['width']} px)"
            if response is not None and response.status >= 400 and name != "not-found":
                self.problems.append(f"{where}: HTTP {response.status}")
            wide = page.evaluate(OVERFLOW)
            if wide:
                width = page.evaluate("document.documentElement.scrollWidth")
                self.problems.append(f"{where}: {width} px wide; sticking out: {wide}")
            if language == "zh-hans":
                text = ALLOWED_LATIN.sub(" ", page.evaluate(VISIBLE_TEXT))
                english = LATIN_RUN.findall(text)
                if english:
                    self.problems.append(f"{where}: untranslated {english[:5]}")
            if with_axe:
                for violation in self.axe.run(page).response["violations"]:
                    if violation["impact"] in ("serious", "critical"):
                        targets = [n["target"] for n in violation["nodes"][:3]]
                        self.problems.append(f"{where}: axe {violation['id']} at {targets}")
            page.screenshot(
                path=str(SHOTS / f"{name}-{language}-{viewport['width']}.png"), full_page=True
            )

    def visit(self, name: str, path: str) -> None:
        self.check(name, lambda: self.browser.page.goto(self.browser.base_url + path))


@dataclass
class World:
    site: Site
    open_round: Round
    other_open_round: Round
    drawn_round: Round
    offered_round: Round
    visitor: Visitor
    entered: Entry
    offered: Entry
    ticket: Ticket
    gate_slot: Slot
    group: GroupVisit


def _tour(code: str, site: Site) -> Tour:
    return support.make_tour(
        site,
        code=code,
        name="超级工厂总装车间与压铸车间深度参观",
        name_en="Assembly and casting hall tour",
    )


def _crowd(round: Round, first: int, count: int, slot: Slot) -> None:
    for number in range(first, first + count):
        support.make_party_entry(round, number, 1 + number % 3, [slot.pk])


def _draw(round: Round) -> None:
    rounds.close_round(round, now=timezone.now())
    support.draw_with_beacon(round)


def _same_day_round(tour: Tour, slot: Slot, code: str) -> Round:
    """A round for a session starting within the hour, set up as the time rule
    allows one: entries close in five minutes, the draw follows the beacon and
    winners have ten minutes to confirm (``_draw_same_day`` draws it)."""
    round = support.make_round(
        tour, code=code, slots=[slot], closes_at=timezone.now() + timedelta(minutes=5)
    )
    Round.objects.filter(pk=round.pk).update(
        draws_at=round.closes_at, confirm_window=timedelta(minutes=10)
    )
    round.refresh_from_db()
    return round


def _draw_same_day(round: Round) -> None:
    """Closed and drawn with promotions running up to the session: ten minutes to
    confirm plus the usual 26 hours of waitlist would not fit before it."""
    with override_settings(TOURDRAW_PROMOTION_CUTOFF=timedelta(0)):
        _draw(round)


def _build() -> World:
    site = support.make_site()
    start = (timezone.localtime() + timedelta(minutes=40)).replace(second=0, microsecond=0)
    today_tour = _tour("today-tour", site)
    gate_slot = Slot.objects.create(
        tour=today_tour, starts_at=start, ends_at=start + timedelta(hours=2), capacity=80
    )
    drawn = _same_day_round(today_tour, gate_slot, "today-round")
    later_tour = _tour("later-tour", site)
    later = support.make_slots(later_tour, timezone.localdate() + timedelta(days=12), days=2)
    offered_round = support.make_round(later_tour, code="later-round", slots=later)
    open_slots = support.make_slots(
        _tour("open-tour", site), timezone.localdate() + timedelta(days=20), days=3
    )
    open_round = support.make_round(open_slots[0].tour, code="open-round", slots=open_slots)
    other_slots = support.make_slots(
        _tour("other-tour", site), timezone.localdate() + timedelta(days=30)
    )
    other_open = support.make_round(other_slots[0].tour, code="other-round", slots=other_slots)
    visitor = support.make_visitor("+8613912345678", name=LONG_NAME)
    companion = CompanionInput(
        full_name="司马长风", id_type="cn_resident", id_number=support.resident_id(date(1987, 6, 1))
    )
    in_drawn = enter_round(drawn, visitor, choices=[gate_slot.pk], companions=[companion])
    offered = enter_round(offered_round, visitor, choices=[later[0].pk, later[1].pk])
    entered = enter_round(open_round, visitor, choices=[open_slots[0].pk, open_slots[1].pk])
    _crowd(drawn, 2000, 12, gate_slot)
    _crowd(offered_round, 3000, 12, later[0])
    _crowd(open_round, 4000, 12, open_slots[0])
    requested = group_services.request_visit(
        site,
        organisation="粤港澳大湾区青年创新创业交流代表团",
        contact_name="陈老师",
        contact_phone="+85291234567",
        size=12,
        preferred_dates="七月下旬的任何一个工作日",
        purpose="青年交流：了解智能制造与新能源汽车产业",
    )
    group = group_services.approve_visit(requested, slot=gate_slot, actor=None)
    group_services.replace_members(
        group,
        [
            {
                "full_name": f"{LONG_NAME}{number}",
                "id_type": "cn_resident",
                "id_number": support.resident_id(date(2000, 1, 1 + number), "440301", number),
                "birth_date": "",
            }
            for number in range(1, 4)
        ],
    )
    support.request_group(site, 40)
    _draw_same_day(drawn)
    _draw(offered_round)
    ticket = confirm_offer(
        Offer.objects.get(entry=in_drawn), actor=None, accepted_rules=True, via="online"
    )
    return World(
        site=site,
        open_round=open_round,
        other_open_round=other_open,
        drawn_round=drawn,
        offered_round=offered_round,
        visitor=visitor,
        entered=entered,
        offered=offered,
        ticket=ticket,
        gate_slot=gate_slot,
        group=group,
    )


def _public_pages(sweep: Sweep, world: World) -> None:
    page = sweep.browser.page
    site, drawn = world.site.code, world.drawn_round.code
    for name, path in [
        ("home", "/"),
        ("site", f"/sites/{site}/"),
        ("site-history", f"/sites/{site}/history/"),
        ("group-request", f"/sites/{site}/groups/"),
        ("group", f"/groups/{world.group.code}/"),
        ("round-open", f"/rounds/{world.open_round.code}/"),
        ("round-drawn", f"/rounds/{drawn}/"),
        ("results", f"/rounds/{drawn}/results/"),
        ("sign-in", "/sign-in/"),
        ("privacy", "/privacy/"),
        ("fairness", "/fairness/"),
        ("transparency-log", "/transparency/"),
        ("not-found", "/rounds/no-such-round/"),
        ("staff-login", "/backoffice/login/"),
    ]:
        sweep.visit(name, path)

    def code_page() -> None:
        sweep.browser.go("/sign-in/")
        page.fill("#id_phone", "13912345678")
        page.click("main button[type=submit]")

    sweep.check("sign-in-code", code_page)


def _visitor_pages(sweep: Sweep, world: World) -> None:
    client = Client()
    client.force_login(world.visitor.user)
    sweep.browser.page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": sweep.browser.base_url,
            }
        ]
    )
    for name, path in [
        ("profile", "/me/profile/"),
        ("email", "/me/email/"),
        ("my-data", "/me/data/"),
        ("delete-account", "/me/delete/"),
        ("my-entries", "/me/entries/"),
        ("entry-entered", f"/me/entries/{world.entered.code}/"),
        ("entry-change", f"/me/entries/{world.entered.code}/change/"),
        ("entry-offer", f"/me/entries/{world.offered.code}/"),
        ("entry-ticket", f"/me/entries/{world.ticket.offer.entry.code}/"),
        ("ticket", f"/tickets/{world.ticket.code}/"),
        ("enter", f"/rounds/{world.other_open_round.code}/enter/"),
    ]:
        sweep.visit(name, path)
    _confirmation(sweep, "withdraw-confirm", f"/me/entries/{world.entered.code}/", "withdraw")
    _confirmation(sweep, "decline-confirm", f"/me/entries/{world.offered.code}/", "decline")
    sweep.browser.page.context.clear_cookies()


def _confirmation(sweep: Sweep, name: str, path: str, action: str) -> None:
    """The page asking before an action that cannot be undone, as its button on
    ``path`` brings it up (the action itself waits for a second post)."""
    page = sweep.browser.page

    def asked() -> None:
        sweep.browser.go(path)
        page.click(f"main form[action$='/{action}/'] button[type=submit]")
        page.wait_for_load_state()

    sweep.check(name, asked)


def _sign_in(sweep: Sweep, role: str, path: str) -> None:
    """A staff member of ``role`` through the sign-in pages (checking the
    enrolment page on the way) to ``path``."""
    browser = sweep.browser
    browser.page.context.clear_cookies()
    support.make_staff(role, role, None if role == "platform_admin" else support.make_site())
    browser.language("en")
    browser.go(f"/backoffice/login/?next={path}")
    if role != "site_operator":
        browser.staff_sign_in(role, f"{role}-pass-123")
        return
    page = browser.page
    page.fill("#id_username", role)
    page.fill("#id_password", f"{role}-pass-123")
    page.click("main button[type=submit]")
    sweep.check("staff-enrol", page.reload)
    browser.staff_enrol()


def _second_factor_page(sweep: Sweep) -> None:
    """A member already enrolled meets the second-factor page instead."""
    user = User.objects.get(username="site_operator")
    browser, page = sweep.browser, sweep.browser.page
    browser.page.context.clear_cookies()
    browser.language("en")
    browser.go("/backoffice/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "site_operator-pass-123")
    page.click("main button[type=submit]")
    sweep.check("staff-second-factor", page.reload)
    assert second_factor.is_enrolled(user)


def _staff_pages(sweep: Sweep, world: World) -> None:
    gate = f"/backoffice/gate/{world.gate_slot.pk}/"
    # The week of the open round's sessions: three days with two sessions each.
    year, number, _ = world.open_round.slots.earliest("starts_at").local_start.isocalendar()
    week = f"{year}-W{number:02d}"
    page = sweep.browser.page
    _sign_in(sweep, "site_operator", "/backoffice/")
    for name, path in [
        ("bo-rounds", "/backoffice/"),
        ("bo-round-new", "/backoffice/rounds/new/"),
        ("bo-round-open", f"/backoffice/rounds/{world.open_round.pk}/"),
        ("bo-round-drawn", f"/backoffice/rounds/{world.drawn_round.pk}/"),
        ("bo-planning", "/backoffice/planning/"),
        ("bo-planning-week", f"/backoffice/planning/?week={week}"),
        ("bo-dashboards", "/backoffice/dashboards/"),
        ("bo-audit", "/backoffice/audit/"),
        ("bo-groups", "/backoffice/groups/"),
        ("bo-group", f"/backoffice/groups/{world.group.pk}/"),
    ]:
        sweep.visit(name, path)

    def bulk_cancel_asked() -> None:
        sweep.browser.go(f"/backoffice/planning/?week={week}")
        page.check("#bulk-cancel input[name=slot] >> nth=0")
        page.click("#bulk-cancel button[type=submit]")
        page.wait_for_load_state()

    sweep.check("bo-planning-cancel", bulk_cancel_asked)

    _sign_in(sweep, "call_centre", "/backoffice/calls/")
    sweep.visit("bo-call-centre", "/backoffice/calls/")
    sweep.visit("bo-identity-dispute", "/backoffice/calls/identity/")

    _sign_in(sweep, "gate", "/backoffice/gate/")
    sweep.visit("bo-gate-sessions", "/backoffice/gate/")
    sweep.visit("bo-gate", gate)

    def scanned() -> None:
        sweep.browser.go(gate)
        page.fill("#code", tickets.payload(world.ticket))
        page.press("#code", "Enter")

    sweep.check("bo-gate-party", scanned)

    _sign_in(sweep, "platform_admin", "/backoffice/")
    sweep.visit("bo-rounds-admin", "/backoffice/")
    _second_factor_page(sweep)


def test_every_page_fits_phones_is_translated_and_passes_axe(
    browser: Browser, transactional_db: None
) -> None:
    world = _build()
    sweep = Sweep(browser)
    _public_pages(sweep, world)
    _visitor_pages(sweep, world)
    _staff_pages(sweep, world)
    assert sweep.problems == [], "\n".join(sweep.problems)
    # The not-found page is meant to answer 404, which the console reports.
    assert [error for error in browser.errors if "/no-such-round/" not in error] == []


def _pending_call() -> Offer:
    _, _, entries = support.drawn_round(10, [2, 3], [])
    return Offer.objects.get(entry=entries[0])


def test_gate_staff_scan_and_check_in_with_the_keyboard_alone(
    browser: Browser, transactional_db: None
) -> None:
    start = (timezone.localtime() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    tour = support.make_tour()
    slot = Slot.objects.create(
        tour=tour, starts_at=start, ends_at=start + timedelta(hours=2), capacity=20
    )
    round = _same_day_round(tour, slot, "gate-round")
    entry = support.make_party_entry(round, 5000, 2, [slot.pk])
    _draw_same_day(round)
    ticket = confirm_offer(
        Offer.objects.get(entry=entry), actor=None, accepted_rules=True, via="online"
    )
    support.make_staff("gatekeeper", "gate", tour.site)
    page = browser.page
    browser.go(f"/backoffice/gate/{slot.pk}/")
    browser.staff_sign_in("gatekeeper", "gatekeeper-pass-123")

    _tab_to(page, "#code")
    page.keyboard.insert_text(tickets.payload(ticket))
    page.keyboard.press("Enter")
    page.wait_for_selector("label.person")
    _tab_to(page, "#party-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")
    assert "2 checked in" in page.inner_text(".messages")


def test_the_call_centre_records_a_call_with_the_keyboard_alone(
    browser: Browser, transactional_db: None
) -> None:
    offer = _pending_call()
    support.make_staff("agent", "call_centre", offer.slot.tour.site)
    page = browser.page
    browser.go("/backoffice/calls/")
    browser.staff_sign_in("agent", "agent-pass-123")

    # The default list holds the offers still to call, this one among them.
    first_outcome = page.locator(f"#outcome-{offer.pk} option").nth(1).get_attribute("value")
    _tab_to(page, f"#outcome-{offer.pk}")
    page.keyboard.press("ArrowDown")
    _tab_to(page, f"form[action*='/calls/{offer.pk}/'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages")
    assert [call.outcome for call in offer.calls.all()] == [first_outcome]


def _tab_to(page: Page, selector: str, most: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user would (not
    at all if the page put the focus there): past the staff navigation first."""
    target = page.locator(selector).first
    for presses in range(most + 1):
        if target.evaluate("el => el === document.activeElement"):
            return
        if presses < most:
            page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")
