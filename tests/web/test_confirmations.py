"""A visitor's irreversible actions ask first: the first post only states what
will happen, the post with ``confirm=yes`` acts, and a GET never acts."""

from datetime import timedelta

from django.test import Client, override_settings
from django.urls import reverse

from tests.support import drawn_round
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry, Round
from tourdraw.people.models import Visitor
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer

CONFIRM = {"confirm": "yes"}


def _offered(client: Client, waiting: list[int]) -> tuple[Offer, list[Entry]]:
    """A pending offer of 2 places, its owner signed in; ``waiting`` parties behind."""
    _, _, entries = drawn_round(4, [2], waiting)
    client.force_login(entries[0].visitor.user)
    return Offer.objects.select_related("slot__tour__site").get(entry=entries[0]), entries


def _ticket(client: Client) -> Ticket:
    offer, _ = _offered(client, [2])
    return confirm_offer(offer, actor=None, accepted_rules=True, via=Offer.Via.ONLINE)


def test_withdrawing_first_says_what_happens_and_changes_nothing(
    client: Client, round: Round, visitor: Visitor
) -> None:
    slot = round.slots.order_by("starts_at")[0]
    entry = enter_round(round, visitor, choices=[slot.pk])
    client.force_login(visitor.user)
    url = reverse("web:entry_withdraw", args=[entry.code])
    page = client.post(url).content.decode()
    assert f"Withdraw entry {entry.code}?" in page
    assert "Your entry for 1 person leaves the draw of Round 1." in page
    assert "as a new entry, before" in page
    assert Entry.objects.get().state == Entry.State.ACTIVE
    assert client.get(url, CONFIRM).status_code == 405
    assert Entry.objects.get().state == Entry.State.ACTIVE
    client.post(url, CONFIRM)
    assert Entry.objects.get().state == Entry.State.WITHDRAWN


def test_giving_up_a_place_names_the_places_and_where_they_go(client: Client, db: None) -> None:
    offer, entries = _offered(client, [2])
    url = reverse("web:offer_decline", args=[entries[0].code])
    page = client.post(url).content.decode()
    assert "Give up your places?" in page
    assert f"Your 2 places for {offer.slot.label} go to the next party on the waitlist." in page
    assert "This cannot be undone." in page
    assert Offer.objects.get(pk=offer.pk).is_pending
    assert not Offer.objects.filter(entry=entries[1]).exists()
    assert client.get(url, CONFIRM).status_code == 405
    assert Offer.objects.get(pk=offer.pk).is_pending
    client.post(url, CONFIRM)
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.DECLINED
    assert Offer.objects.get(entry=entries[1]).source == "waitlist"


def test_past_the_promotion_cutoff_it_says_nobody_gets_the_places(client: Client, db: None) -> None:
    _, entries = _offered(client, [2])
    # Only after the draw: a round drawn inside the cut-off is refused at close.
    with override_settings(TOURDRAW_PROMOTION_CUTOFF=timedelta(days=365)):
        page = client.post(reverse("web:offer_decline", args=[entries[0].code])).content.decode()
    assert "the visit is too close to offer them to anyone else." in page
    assert "next party on the waitlist" not in page


def test_cancelling_a_ticket_asks_first(client: Client, db: None) -> None:
    ticket = _ticket(client)
    url = reverse("web:ticket_cancel", args=[ticket.code])
    page = client.post(url).content.decode()
    assert "Cancel this ticket?" in page
    assert "The ticket will no longer let anyone in." in page
    assert f"Your 2 places for {ticket.offer.slot.label} go to the next party" in page
    assert Ticket.objects.get().is_valid
    assert client.get(url, CONFIRM).status_code == 405
    assert Ticket.objects.get().is_valid
    client.post(url, CONFIRM)
    assert not Ticket.objects.get().is_valid


def test_the_confirmation_posts_back_with_its_token_and_offers_a_way_back(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    offer, entries = _offered(client, [])
    ticket_page = reverse("web:entry_detail", args=[entries[0].code])
    form = client.get(ticket_page).content.decode()
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    url = reverse("web:offer_decline", args=[entries[0].code])
    page = client.post(url, {"csrfmiddlewaretoken": token}).content.decode()
    assert f'action="{url}"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<input type="hidden" name="confirm" value="yes">' in page
    assert f'href="{ticket_page}"' in page
    assert "<script" not in page.split("<main")[1]
    confirmed = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    client.post(url, {"csrfmiddlewaretoken": confirmed, "confirm": "yes"})
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.DECLINED


def test_the_confirmation_reads_in_chinese(client: Client, db: None) -> None:
    offer, entries = _offered(client, [2])
    client.cookies["django_language"] = "zh-hans"
    page = client.post(reverse("web:offer_decline", args=[entries[0].code])).content.decode()
    assert "确定放弃名额吗？" in page
    assert "个名额将递补给候补队列中的下一组。" in page
    assert "此操作无法撤销。" in page and "不，返回" in page
    assert Offer.objects.get(pk=offer.pk).is_pending


def test_a_stale_page_is_refused_at_once_without_asking(client: Client, db: None) -> None:
    offer, entries = _offered(client, [])
    url = reverse("web:offer_decline", args=[entries[0].code])
    client.post(url, CONFIRM)
    page = client.post(url, follow=True).content.decode()
    assert "Give up your places?" not in page
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.DECLINED
    assert 'class="error"' in page
