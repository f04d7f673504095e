"""The beacon's path: fixed at open, fetched over HTTP from drand relays once its
time has come, checked against the chain's key, and never anything else.

The relays here are the local drand-compatible chain (``lottery.testchain``)
served over HTTP, its clock set by the test.
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import support
from tourdraw.lottery import beacon, drand, rounds, statements, testchain
from tourdraw.lottery.models import Round
from tourdraw.scheduler import run_due_transitions
from tourdraw.transparency.models import LogRecord
from tourdraw.visits.models import Offer, Promotion
from tourdraw.visits.offers import decline_offer


class Relay:
    """A drand relay for the local test chain, at a time the test sets."""

    def __init__(self, chain: testchain.LocalChain) -> None:
        self.now = 0.0
        self.asked: list[str] = []
        self.chain = chain
        chain.clock = lambda: self.now
        answer = chain.respond

        def respond(path: str) -> tuple[int, dict[str, Any]]:
            self.asked.append(path)
            return answer(path)

        # The relay counts what it is asked, in front of the chain's own answers.
        chain.respond = respond  # type: ignore[method-assign]  # a test double on purpose
        self.server = chain.serve()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def at(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@pytest.fixture
def relay(settings, db):
    """The local chain's relay, the only one configured."""
    served = Relay(testchain.LocalChain())
    settings.TOURDRAW_DRAND_RELAYS = [served.url]
    yield served
    served.server.shutdown()


@pytest.fixture
def impostor(settings):
    """A relay answering for the same chain hash with signatures of another key."""
    other = testchain.LocalChain(secret_key=424242)
    other.chain = support.CHAIN.chain  # it claims to be the configured chain
    served = Relay(other)
    yield served
    served.server.shutdown()


def _round_with_entries(capacity: int = 4, parties: int = 6) -> Round:
    tour = support.make_tour()
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=capacity)
    round = support.make_round(tour, slots=slots[:1], open_now=False)
    rounds.open_round(round, now=round.opens_at)
    for n in range(parties):
        support.make_party_entry(round, 700 + n, 2, [slots[0].pk])
    return round


def _beacon_at(round: Round) -> datetime:
    return datetime.fromtimestamp(beacon.beacon_time(round), UTC)


def test_opening_fixes_the_chain_and_the_round_after_close_plus_the_margin(db):
    round = _round_with_entries()
    opening = json.loads(round.opening_statement)
    closes_at = round.closes_at.replace(microsecond=0)
    number = drand.round_at(support.CHAIN.chain, closes_at + statements.BEACON_MARGIN)
    assert opening["beacon"]["round"] == round.beacon_round == number
    assert opening["beacon"]["chain"] == support.CHAIN.chain.as_json() == round.beacon_chain
    assert drand.round_time(support.CHAIN.chain, number) >= closes_at.timestamp() + 600
    assert drand.round_time(support.CHAIN.chain, number - 1) < closes_at.timestamp() + 600
    assert opening["commitment"] == round.commitment
    logged = LogRecord.objects.get(kind="opening", round_code=round.code)
    assert json.loads(logged.body) == opening


def test_the_worker_alone_takes_a_round_from_open_to_draw_and_the_waitlist_moves(relay):
    tour = support.make_tour()
    slot = support.make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=4)[0]
    now = timezone.now()
    round = support.make_round(
        tour, slots=[slot], opens_at=now, closes_at=now + timedelta(hours=1), open_now=False
    )
    assert run_due_transitions(now)["rounds_opened"] == 1
    round.refresh_from_db()
    for n in range(5):
        support.make_party_entry(round, 800 + n, 2, [slot.pk])
    round.refresh_from_db()
    closes_at, draws_at = round.closes_at, round.draws_at
    assert run_due_transitions(closes_at)["rounds_closed"] == 1
    # Closed; its beacon round is not out yet: nothing is asked of the relay.
    relay.at(closes_at + timedelta(minutes=5))
    assert run_due_transitions(closes_at + timedelta(minutes=5))["beacons_fetched"] == 0
    assert relay.asked == []
    relay.at(draws_at)
    done = run_due_transitions(draws_at)
    assert (done["beacons_fetched"], done["rounds_drawn"]) == (1, 1)
    round.refresh_from_db()
    assert relay.asked == [f"/{support.CHAIN.chain.hash}/public/{round.beacon_round}"]
    record = json.loads(round.draw.record)
    assert record["beacon"]["signature"] == round.beacon_signature
    assert [r.kind for r in LogRecord.objects.filter(round_code=round.code).order_by("seq")] == [
        "opening",
        "closing",
        "beacon",
        "draw",
    ]
    logged = json.loads(LogRecord.objects.get(round_code=round.code, kind="draw").body)
    assert logged["record_digest"] == statements.digest(record)
    # Two parties of two fit in 4 places; a decline moves the waitlist.
    offer = support.present(Offer.objects.filter(entry__round=round).order_by("pk").first())
    decline_offer(offer, actor=None, now=draws_at + timedelta(hours=1))
    promotion = Promotion.objects.get(round=round)
    placed = {placement["entry"] for placement in record["placements"]}
    first_waiting = next(code for code in record["order"] if code not in placed)
    assert promotion.offer.entry.code == first_waiting


def test_with_no_relay_answering_the_round_waits_visibly_and_retries(
    relay, settings, client, site_operator
):
    round = _round_with_entries()
    rounds.close_round(round, now=timezone.now())
    round.refresh_from_db()
    due = _beacon_at(round) + timedelta(minutes=60)
    settings.TOURDRAW_DRAND_RELAYS = ["http://127.0.0.1:9"]  # nothing listens there
    done = run_due_transitions(due)
    assert (done["beacons_fetched"], done["rounds_drawn"]) == (0, 0)
    round.refresh_from_db()
    assert round.waiting_for_beacon and round.state == Round.State.CLOSED
    assert round.beacon_tried_at == due
    assert f"beacon round {round.beacon_round}" in round.beacon_error
    assert "127.0.0.1:9" in round.beacon_error
    waiting = f"waiting for beacon round {round.beacon_round}"
    assert waiting in client.get(reverse("web:round", args=[round.code])).content.decode()
    support.sign_in_staff(client, site_operator)
    page = client.get(reverse("backoffice:round", args=[round.pk])).content.decode()
    assert f"Waiting for beacon round {round.beacon_round}." in page and "127.0.0.1:9" in page
    # The next tick soon after does not hammer the relays; one later tries again.
    assert run_due_transitions(due + timedelta(seconds=5))["beacons_fetched"] == 0
    settings.TOURDRAW_DRAND_RELAYS = ["http://127.0.0.1:9", relay.url]
    relay.at(due)
    done = run_due_transitions(due + beacon.RETRY)
    assert (done["beacons_fetched"], done["rounds_drawn"]) == (1, 1)
    round.refresh_from_db()
    assert (round.state, round.beacon_error) == (Round.State.DRAWN, "")


def test_a_relay_with_a_wrong_signature_is_never_believed(relay, impostor, settings):
    round = _round_with_entries()
    rounds.close_round(round, now=timezone.now())
    round.refresh_from_db()
    due = _beacon_at(round)
    impostor.at(due)
    settings.TOURDRAW_DRAND_RELAYS = [impostor.url]
    assert run_due_transitions(due)["beacons_fetched"] == 0
    round.refresh_from_db()
    assert round.waiting_for_beacon
    assert "not tourdraw-local's signature" in round.beacon_error
    # An honest relay after the impostor: its value is the one taken.
    relay.at(due)
    settings.TOURDRAW_DRAND_RELAYS = [impostor.url, relay.url]
    assert run_due_transitions(due + beacon.RETRY)["beacons_fetched"] == 1
    round.refresh_from_db()
    assert (
        round.beacon_signature
        == support.CHAIN.beacon(support.present(round.beacon_round))["signature"]
    )


def test_a_relay_answering_with_another_round_is_refused(relay, settings, db):
    """A genuine beacon of the chain, but not of the round fixed at open."""
    round = _round_with_entries()
    rounds.close_round(round, now=timezone.now())
    round.refresh_from_db()
    fixed = support.present(round.beacon_round)
    answer = relay.chain.respond

    def later_round(path: str) -> tuple[int, dict[str, Any]]:
        status, body = answer(path.replace(f"/public/{fixed}", f"/public/{fixed + 1}"))
        return status, body

    relay.chain.respond = later_round
    due = _beacon_at(round) + timedelta(minutes=1)
    relay.at(due)
    assert run_due_transitions(due)["beacons_fetched"] == 0
    round.refresh_from_db()
    assert f"answered for round {fixed + 1}" in round.beacon_error
    assert round.beacon_signature == ""


def test_a_round_is_not_drawn_before_its_beacon_rounds_time(db):
    round = _round_with_entries()
    rounds.close_round(round, now=timezone.now())
    support.give_beacon(round)
    from tourdraw.lottery.drawing import DrawRefused, draw_round

    with pytest.raises(DrawRefused) as early:
        draw_round(round, now=_beacon_at(round) - timedelta(seconds=1))
    assert early.value.code == "beacon_waiting"
    assert draw_round(round, now=_beacon_at(round)).entries == 6
