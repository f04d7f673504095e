"""Staff's irreversible actions ask first: the first post only states what will
happen, the post with ``confirm=yes`` acts, and a GET never acts."""

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.support import (
    drawn_round,
    give_beacon,
    make_party_entry,
    make_round,
    make_staff,
    make_visitor,
    request_group,
    sign_in_staff,
)
from tourdraw.catalog.models import Slot
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import rounds
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Round
from tourdraw.visits.models import CallAttempt, Offer

CONFIRM = {"confirm": "yes"}


def _operator(client: Client, round: Round) -> None:
    sign_in_staff(client, make_staff("op", "site_operator", round.tour.site))


def _round_asks(client: Client, round: Round, action: str) -> str:
    """The first post of ``action`` only asks; a GET, even confirmed, is refused."""
    url = reverse("backoffice:round_action", args=[round.pk])
    page = client.post(url, {"action": action}).content.decode()
    assert f'<input type="hidden" name="action" value="{action}">' in page
    before = Round.objects.get(pk=round.pk).state
    assert client.get(url, {"action": action, **CONFIRM}).status_code == 405
    assert Round.objects.get(pk=round.pk).state == before
    return page


def test_closing_early_names_the_entries_it_seals(client: Client, db: None) -> None:
    round = make_round()
    slot = round.slots.order_by("starts_at")[0]
    for number in range(3):
        make_party_entry(round, number, 1, [slot.pk])
    _operator(client, round)
    page = _round_asks(client, round, "close")
    assert "Close Round 1 now?" in page
    assert "3 entries are sealed and no one else can enter." in page
    assert Round.objects.get().state == Round.State.OPEN
    url = reverse("backoffice:round_action", args=[round.pk])
    client.post(url, {"action": "close", **CONFIRM})
    assert Round.objects.get().state == Round.State.CLOSED


def test_drawing_now_names_the_entries_and_the_places(client: Client, db: None) -> None:
    now = timezone.now()
    round = make_round(opens_at=now - timedelta(days=2), closes_at=now - timedelta(hours=2))
    slot = round.slots.order_by("starts_at")[0]
    for phone, sequence in (("+8613900000011", 11), ("+8613900000012", 12)):
        visitor = make_visitor(phone, sequence=sequence)
        enter_round(round, visitor, choices=[slot.pk], now=now - timedelta(days=1))
    rounds.close_round(round, now=round.closes_at)
    give_beacon(round)
    _operator(client, round)
    page = _round_asks(client, round, "draw")
    assert "Draw Round 1 now?" in page
    assert "2 entries are drawn for 240 places in 4 sessions" in page
    assert "A round is drawn only once." in page
    assert Round.objects.get().state == Round.State.CLOSED
    url = reverse("backoffice:round_action", args=[round.pk])
    done = client.post(url, {"action": "draw", **CONFIRM}, follow=True).content.decode()
    assert "Drawn: 2 parties placed." in done
    assert Round.objects.get().state == Round.State.DRAWN


def test_cancelling_a_session_counts_who_is_affected(client: Client, db: None) -> None:
    round, slot, _ = drawn_round(6, [2, 3], [1])
    _operator(client, round)
    url = reverse("backoffice:slot_cancel", args=[slot.pk])
    page = client.post(url, {"reason": "Flooded workshop"}).content.decode()
    assert f"Cancel the session {slot.label}?" in page
    assert "Parties losing their places: 2 (5 persons)." in page
    assert "Groups losing their kept places: 0." in page
    assert "“Flooded workshop”" in page
    assert '<input type="hidden" name="reason" value="Flooded workshop">' in page
    assert Slot.objects.get().cancelled_at is None
    assert Offer.objects.filter(state=Offer.State.PENDING).count() == 2
    client.post(url, {"reason": "Flooded workshop", **CONFIRM})
    assert Slot.objects.get().cancel_reason == "Flooded workshop"
    assert not Offer.objects.filter(state=Offer.State.PENDING).exists()


def test_a_session_cancel_without_a_reason_is_refused_without_asking(
    client: Client, db: None
) -> None:
    round, slot, _ = drawn_round(4, [2], [])
    _operator(client, round)
    page = client.post(
        reverse("backoffice:slot_cancel", args=[slot.pk]), {"reason": " "}, follow=True
    ).content.decode()
    assert "Give a reason; it is sent to everyone affected." in page
    assert "Cancel the session" not in page
    assert Slot.objects.get().cancelled_at is None


def test_declining_a_group_names_it_and_the_reason(client: Client, db: None) -> None:
    round = make_round()
    group = request_group(round.tour.site, 12, organisation="实验中学")
    _operator(client, round)
    url = reverse("backoffice:group", args=[group.pk])
    decline = {"decision": "decline", "reason": "Fully booked"}
    page = client.post(url, decline).content.decode()
    assert "Decline the request of 实验中学?" in page
    assert "The request for 12 persons is declined for good" in page
    assert "“Fully booked”" in page
    assert GroupVisit.objects.get().state == GroupVisit.State.REQUESTED
    client.get(url, {**decline, **CONFIRM})
    assert GroupVisit.objects.get().state == GroupVisit.State.REQUESTED
    client.post(url, {**decline, **CONFIRM})
    declined = GroupVisit.objects.get()
    assert declined.state == GroupVisit.State.DECLINED
    assert declined.decline_reason == "Fully booked"


def test_a_decline_on_the_phone_asks_first_and_keeps_the_note(client: Client, db: None) -> None:
    _, slot, entries = drawn_round(4, [2], [2])
    offer = Offer.objects.get(entry=entries[0])
    sign_in_staff(client, make_staff("agent", "call_centre", slot.tour.site))
    url = reverse("backoffice:record_call", args=[offer.pk])
    call = {"outcome": "declined", "note": "going abroad"}
    page = client.post(url, call).content.decode()
    assert f"Record that {entries[0].code} declined on the phone?" in page
    assert (
        f"The 2 places of {entries[0].code} for {slot.label} go to the next party on the waitlist."
        in page
    )
    assert Offer.objects.get(pk=offer.pk).is_pending
    assert not CallAttempt.objects.exists()
    assert client.get(url, {**call, **CONFIRM}).status_code == 405
    assert not CallAttempt.objects.exists()
    client.post(url, {**call, **CONFIRM})
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.DECLINED
    assert CallAttempt.objects.get().note == "going abroad"
    assert Offer.objects.get(entry=entries[1]).source == "waitlist"


def test_a_call_that_gives_nothing_up_is_recorded_at_once(client: Client, db: None) -> None:
    _, slot, entries = drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    sign_in_staff(client, make_staff("agent", "call_centre", slot.tour.site))
    client.post(reverse("backoffice:record_call", args=[offer.pk]), {"outcome": "no_answer"})
    assert CallAttempt.objects.get().outcome == "no_answer"
    assert Offer.objects.get(pk=offer.pk).is_pending


def test_closing_a_closed_round_is_refused_at_once_without_asking(client: Client, db: None) -> None:
    round = make_round()
    rounds.close_round(round, now=timezone.now())
    _operator(client, round)
    url = reverse("backoffice:round_action", args=[round.pk])
    page = client.post(url, {"action": "close"}, follow=True).content.decode()
    assert "Close Round 1 now?" not in page
    assert 'class="error"' in page  # the service's refusal, as a message
    assert Round.objects.get().state == Round.State.CLOSED
