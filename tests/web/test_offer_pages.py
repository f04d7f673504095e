from django.urls import reverse

from tests.support import drawn_round
from tourdraw.visits.models import Offer, Ticket


def test_a_winner_confirms_online_after_accepting_the_rules(client, db):
    _, _, entries = drawn_round(4, [2], [])
    entry = entries[0]
    client.force_login(entry.visitor.user)
    page = client.get(reverse("web:entry_detail", args=[entry.code])).content.decode()
    assert "You have a place!" in page and "accept_rules" in page
    client.post(reverse("web:offer_confirm", args=[entry.code]))
    assert Offer.objects.get(entry=entry).is_pending  # rules not accepted
    response = client.post(
        reverse("web:offer_confirm", args=[entry.code]), {"accept_rules": "yes"}, follow=True
    )
    assert "Confirmed. Your ticket is ready." in response.content.decode()
    ticket = Ticket.objects.get()
    assert reverse("web:ticket", args=[ticket.code]) in response.content.decode()


def test_a_winner_gives_up_the_place(client, db):
    _, _, entries = drawn_round(2, [2], [2])
    client.force_login(entries[0].visitor.user)
    client.post(reverse("web:offer_decline", args=[entries[0].code]), {"confirm": "yes"})
    assert Offer.objects.get(entry=entries[0]).state == Offer.State.DECLINED
    assert Offer.objects.get(entry=entries[1]).source == "waitlist"


def test_nobody_decides_anothers_offer(client, db, visitor):
    _, _, entries = drawn_round(2, [2], [])
    client.force_login(visitor.user)
    decline = reverse("web:offer_decline", args=[entries[0].code])
    assert client.post(decline, {"confirm": "yes"}).status_code == 404
    assert Offer.objects.get(entry=entries[0]).is_pending


def test_my_entries_shows_each_state_clearly(client, db):
    _, _, entries = drawn_round(2, [2], [2, 2])
    placed, _, second_waiting = entries
    client.force_login(placed.visitor.user)
    assert "place offered: confirm by" in client.get(reverse("web:my_entries")).content.decode()
    client.post(reverse("web:offer_confirm", args=[placed.code]), {"accept_rules": "yes"})
    assert "confirmed: ticket for" in client.get(reverse("web:my_entries")).content.decode()
    client.force_login(second_waiting.visitor.user)
    assert "waitlist position 2" in client.get(reverse("web:my_entries")).content.decode()
