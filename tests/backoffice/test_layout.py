"""Every staff page has one layout: the sections the user's roles open, who is
signed in, and a sign-out button."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.people.models import User

LOGOUT = reverse("backoffice:logout")


@pytest.fixture
def slot(db: None) -> Slot:
    _, slot, _ = support.drawn_round(10, [2], [])
    return slot


def _pages(slot: Slot) -> list[str]:
    group = support.request_group(slot.tour.site, 2)
    round_id = slot.rounds.get().pk
    return [
        reverse("backoffice:index"),
        reverse("backoffice:round", args=[round_id]),
        reverse("backoffice:round_create"),
        reverse("backoffice:planning"),
        reverse("backoffice:groups"),
        reverse("backoffice:group", args=[group.pk]),
        reverse("backoffice:call_centre"),
        reverse("backoffice:identity_dispute"),
        reverse("backoffice:gate_slots"),
        reverse("backoffice:gate", args=[slot.pk]),
        reverse("backoffice:dashboards"),
        reverse("backoffice:audit"),
    ]


def test_every_staff_page_has_the_navigation_and_a_sign_out_button(
    client: Client, slot: Slot
) -> None:
    support.sign_in_staff(client, support.make_staff("op", "site_operator", slot.tour.site))
    missing = []
    for url in _pages(slot):
        response = client.get(url)
        html = response.content.decode()
        wanted = (f'action="{LOGOUT}"', "Signed in as op", 'href="/backoffice/calls/"')
        if response.status_code != 200 or not all(text in html for text in wanted):
            missing.append((url, response.status_code))
    assert not missing


def test_the_navigation_shows_only_the_sections_of_the_users_roles(
    client: Client, slot: Slot
) -> None:
    support.sign_in_staff(client, support.make_staff("agent", "call_centre", slot.tour.site))
    html = client.get(reverse("backoffice:call_centre")).content.decode()
    assert 'href="/backoffice/calls/" aria-current="page"' in html
    assert reverse("backoffice:planning") not in html
    assert reverse("backoffice:gate_slots") not in html


def test_signing_out_ends_the_staff_session(client: Client, slot: Slot) -> None:
    agent: User = support.make_staff("agent", "call_centre", slot.tour.site)
    support.sign_in_staff(client, agent)
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == reverse("backoffice:login")
    again = client.get(reverse("backoffice:call_centre"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("backoffice:login"))


def test_signing_out_is_a_post(client: Client, slot: Slot) -> None:
    support.sign_in_staff(client, support.make_staff("agent", "call_centre", slot.tour.site))
    assert client.get(LOGOUT).status_code == 405
    assert client.get(reverse("backoffice:call_centre")).status_code == 200
