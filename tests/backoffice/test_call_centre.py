"""The call centre page: search by entry code or the phone's last digits,
filters by state and session, 25 offers a page, and back in place after a call."""

from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Site, Slot
from tourdraw.catalog.services import generate_slots
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Entry
from tourdraw.people.models import User
from tourdraw.visits.models import CallAttempt, Offer
from tourdraw.visits.offers import confirm_offer

CALLS = reverse("backoffice:call_centre")


@dataclass
class Winners:
    site: Site
    slot: Slot
    entries: list[Entry]
    agent: User

    def offer(self, index: int) -> Offer:
        return Offer.objects.get(entry=self.entries[index])


@pytest.fixture
def winners(db: None, client: Client) -> Winners:
    """30 winners of one session, soonest deadline first in the order made."""
    _, slot, entries = support.drawn_round(60, [2] * 30, [])
    start = timezone.now() + timedelta(days=1)
    for n, entry in enumerate(entries):
        Offer.objects.filter(entry=entry).update(deadline=start + timedelta(minutes=n))
    agent = support.make_staff("agent", "call_centre", slot.tour.site)
    support.sign_in_staff(client, agent)
    return Winners(site=slot.tour.site, slot=slot, entries=entries, agent=agent)


def _codes(client: Client, query: str = "") -> list[str]:
    response = client.get(f"{CALLS}?{query}")
    assert response.status_code == 200, response.content[:300]
    html = response.content.decode()
    shown = [entry.code for entry in Entry.objects.all() if f"<code>{entry.code}</code>" in html]
    return sorted(shown, key=lambda code: html.index(f"<code>{code}</code>"))


def test_it_shows_25_winners_a_page(client: Client, winners: Winners) -> None:
    first = client.get(CALLS).content.decode()
    assert first.count('id="offer-') == 25
    assert "Page 1 of 2" in first and "page=2" in first
    assert _codes(client, "page=2") == [entry.code for entry in winners.entries[25:]]


def test_a_page_past_the_last_shows_the_last(client: Client, winners: Winners) -> None:
    assert _codes(client, "page=99") == [entry.code for entry in winners.entries[25:]]


def test_it_finds_a_winner_by_the_start_of_the_entry_code(client: Client, winners: Winners) -> None:
    code = winners.entries[27].code
    assert _codes(client, f"code={code.lower()}") == [code]


def test_it_finds_a_winner_by_the_last_four_digits_of_the_phone(
    client: Client, winners: Winners
) -> None:
    wanted = winners.entries[28]
    phone = wanted.visitor.phone
    assert _codes(client, f"phone={phone[-4:]}") == [wanted.code]
    assert _codes(client, "phone=0000") == []


def test_the_phone_search_sees_no_other_site(client: Client, winners: Winners) -> None:
    stranger = support.make_staff("nio-agent", "call_centre", support.make_site("nio"))
    support.sign_in_staff(client, stranger)
    assert _codes(client, f"phone={winners.entries[3].visitor.phone[-4:]}") == []


def test_it_filters_by_state(client: Client, winners: Winners) -> None:
    confirm_offer(winners.offer(2), actor=None, accepted_rules=True, via="online")
    assert winners.entries[2].code not in _codes(client, "page=1")
    assert _codes(client, "state=confirmed") == [winners.entries[2].code]


def test_offers_past_their_failed_calls_are_listed_apart(
    client: Client, winners: Winners, settings: Any
) -> None:
    settings.TOURDRAW_MAX_FAILED_CALLS = 1
    client.post(
        reverse("backoffice:record_call", args=[winners.offer(0).pk]), {"outcome": "no_answer"}
    )
    assert winners.entries[0].code not in _codes(client)
    lapsing = client.get(f"{CALLS}?state=lapsing").content.decode()
    assert winners.entries[0].code in lapsing and "Record the call" not in lapsing


def test_it_filters_by_session(client: Client, winners: Winners) -> None:
    tour = support.make_tour(winners.site, code="second-tour")
    day = timezone.localdate() + timedelta(days=12)
    other = generate_slots(tour, first_day=day, last_day=day, times=[time(10)], capacity=10)[0]
    round = support.make_round(tour, code="second-round", slots=[other])
    entry = support.make_party_entry(round, 5000, 1, [other.pk])
    rounds.close_round(round, now=timezone.now())
    support.settle_draw(round, other, [entry], placed=1)
    assert _codes(client, f"slot={other.pk}") == [entry.code]
    assert entry.code not in _codes(client, f"slot={winners.slot.pk}")


def test_after_a_call_the_agent_is_back_on_the_same_page_at_the_next_row(
    client: Client, winners: Winners
) -> None:
    called, following = winners.offer(26), winners.offer(27)
    url = reverse("backoffice:record_call", args=[called.pk])
    response = client.post(
        f"{url}?page=2&slot={winners.slot.pk}", {"outcome": "no_answer", "after": following.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{CALLS}?slot={winners.slot.pk}&page=2#offer-{following.pk}"
    assert CallAttempt.objects.get().offer_id == called.pk


def test_the_page_names_the_next_row_in_each_call_form(client: Client, winners: Winners) -> None:
    html = client.get(f"{CALLS}?page=2").content.decode()
    form = html[html.index(f'id="offer-{winners.offer(26).pk}"') :]
    assert (
        f'action="{reverse("backoffice:record_call", args=[winners.offer(26).pk])}?page=2"' in form
    )
    assert f'name="after" value="{winners.offer(27).pk}"' in form


def test_a_bad_filter_in_the_address_after_a_call_is_dropped(
    client: Client, winners: Winners
) -> None:
    url = reverse("backoffice:record_call", args=[winners.offer(0).pk])
    response = client.post(f"{url}?page=x&next=https://evil.example", {"outcome": "no_answer"})
    assert response.status_code == 302 and response["Location"] == CALLS
