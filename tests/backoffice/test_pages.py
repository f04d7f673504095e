"""Every back-office page: the roles that work there see it with its content,
every other role is refused (403), and someone not signed in is sent to sign in."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, Round
from tourdraw.people.models import User, Visitor
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer

SignIn = Callable[[User], Client]

OPERATORS = ("site_operator", "platform_admin")
CALL_CENTRE = ("call_centre_agent", "site_operator", "platform_admin")
GATE = ("gate_staff", "site_operator", "platform_admin")
ROLES = ("platform_admin", "site_operator", "call_centre_agent", "gate_staff")


@dataclass
class World:
    """A drawn round at the shared site: a confirmed ticket, an offer still to
    call about, and a group that asked for a visit."""

    round: Round
    slot: Slot
    ticket: Ticket
    pending: Entry
    group: GroupVisit


@pytest.fixture
def world(db: None) -> World:
    round, slot, entries = support.drawn_round(10, [2, 2], [])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    group = support.request_group(slot.tour.site, 2, organisation="北京第一中学")
    return World(round=round, slot=slot, ticket=ticket, pending=entries[1], group=group)


@dataclass
class Page:
    name: str
    roles: tuple[str, ...]
    # What the page shows of the world, given it.
    shows: Callable[[World], list[str]]

    def url(self, world: World) -> str:
        args = {
            "round": [world.round.pk],
            "round_audit": [world.round.pk],
            "gate": [world.slot.pk],
            "gate_manifest": [world.slot.pk],
            "group": [world.group.pk],
        }.get(self.name, [])
        return reverse(f"backoffice:{self.name}", args=args)


PAGES = [
    Page("index", OPERATORS, lambda w: ["Rounds", w.round.code]),
    Page("round_create", OPERATORS, lambda w: ["New round", w.round.tour.name_en]),
    Page("round", OPERATORS, lambda w: ["Chance so far", w.slot.label]),
    Page("round_audit", OPERATORS, lambda w: [f'"round": "{w.round.code}"', "tourdraw.offer"]),
    Page("planning", OPERATORS, lambda w: ["Slot planning", w.round.tour.name_en]),
    Page("dashboards", OPERATORS, lambda w: ["Visitors in", w.round.code]),
    Page("audit", OPERATORS, lambda w: ["Audit log", "tourdraw.offer.confirmed"]),
    Page("groups", OPERATORS, lambda w: ["Group visits", w.group.organisation]),
    Page("group", OPERATORS, lambda w: [w.group.organisation, w.slot.label]),
    Page("call_centre", CALL_CENTRE, lambda w: ["Call centre", w.pending.code]),
    Page("identity_dispute", CALL_CENTRE, lambda w: ["ID document disputes", "evidence"]),
    Page("gate_slots", GATE, lambda w: ["Gate"]),
    Page("gate", GATE, lambda w: [w.slot.label, "Gate 1"]),
    Page("gate_manifest", GATE, lambda w: ['"format": "tourdraw-gate/1"', w.ticket.code]),
]


def _body(response: object) -> str:
    streamed = getattr(response, "streaming_content", None)
    if streamed is not None:
        return b"".join(streamed).decode()
    content = getattr(response, "content", b"")
    assert isinstance(content, bytes)
    return content.decode()


def _cases(allowed: bool) -> list[tuple[str, str]]:
    return [
        (page.name, role) for page in PAGES for role in ROLES if (role in page.roles) == allowed
    ]


def _page(name: str) -> Page:
    return next(page for page in PAGES if page.name == name)


@pytest.mark.parametrize(("name", "role"), _cases(allowed=True))
def test_each_page_shows_its_content_to_the_roles_that_work_there(
    request: pytest.FixtureRequest, signed_in: SignIn, world: World, name: str, role: str
) -> None:
    page = _page(name)
    client = signed_in(request.getfixturevalue(role))
    response = client.get(page.url(world))
    assert response.status_code == 200
    body = _body(response)
    for text in page.shows(world):
        assert text in body, (name, role, text)


@pytest.mark.parametrize(("name", "role"), _cases(allowed=False))
def test_each_page_is_refused_to_every_other_role(
    request: pytest.FixtureRequest, signed_in: SignIn, world: World, name: str, role: str
) -> None:
    client = signed_in(request.getfixturevalue(role))
    assert client.get(_page(name).url(world)).status_code == 403


@pytest.mark.parametrize("name", [page.name for page in PAGES])
def test_each_page_sends_someone_not_signed_in_to_the_staff_sign_in(
    client: Client, world: World, name: str
) -> None:
    url = _page(name).url(world)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))


@pytest.mark.parametrize("name", [page.name for page in PAGES])
def test_each_page_is_refused_to_a_signed_in_visitor(
    client: Client, world: World, name: str
) -> None:
    client.force_login(world.ticket.offer.entry.visitor.user)
    assert client.get(_page(name).url(world)).status_code == 403


def test_the_sign_in_page_asks_for_a_username_and_password(client: Client, db: None) -> None:
    page = client.get(reverse("backoffice:login")).content.decode()
    assert "Staff sign-in" in page and 'name="password"' in page


def test_after_the_password_a_new_staff_member_is_shown_a_key_to_enrol(
    client: Client, site_operator: User
) -> None:
    client.force_login(site_operator)
    stopped = client.get(reverse("backoffice:index"))
    assert stopped.status_code == 302
    assert stopped["Location"].startswith(reverse("backoffice:second_factor"))
    enrol = client.get(reverse("backoffice:second_factor"), follow=True).content.decode()
    assert "Set up your second factor" in enrol and "<svg" in enrol


def test_after_the_password_an_enrolled_staff_member_is_asked_for_the_code(
    signed_in: SignIn, site_operator: User
) -> None:
    client = signed_in(site_operator)
    client.logout()
    client.force_login(site_operator)
    page = client.get(reverse("backoffice:second_factor")).content.decode()
    assert "Second factor" in page and 'name="token"' in page
    # Enrolled once, the enrolment page does not hand out a second key.
    again = client.get(reverse("backoffice:enrol"))
    assert again["Location"].startswith(reverse("backoffice:second_factor"))


def test_the_second_factor_pages_send_visitors_home(client: Client, visitor: Visitor) -> None:
    client.force_login(visitor.user)
    for name in ("backoffice:second_factor", "backoffice:enrol"):
        assert client.get(reverse(name))["Location"] == reverse("web:home")
