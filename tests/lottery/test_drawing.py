import json
import threading
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from tests.support import (
    beacon_moment,
    give_beacon,
    make_round,
    make_slots,
    make_tour,
    make_visitor,
    past_the_database_guards,
    resident_id,
)
from tourdraw.lottery import draw, rounds
from tourdraw.lottery.drawing import DrawRefused, draw_round
from tourdraw.lottery.entries import CompanionInput, enter_round
from tourdraw.lottery.models import Draw, DrawOutcome, Entry, Round
from tourdraw.visits.models import Offer


def _fill(round, count, *, start=100, companions=1):
    slots = list(round.slots.order_by("starts_at").values_list("pk", flat=True))
    for n in range(count):
        visitor = make_visitor(f"+86139{start + n:08d}", sequence=start + n)
        party = [
            CompanionInput(
                full_name=f"同伴{n}-{k}",
                id_type="cn_resident",
                id_number=resident_id(date(1990, 1, 1) + timedelta(days=n), "310101", k),
            )
            for k in range(companions)
        ]
        enter_round(
            round,
            visitor,
            choices=slots[n % len(slots) :][:2] or slots[:1],
            companions=party,
            now=max(round.opens_at, timezone.now() - timedelta(hours=2)),
        )


def _small_round(capacity=4, entries=12, *, beacon=True):
    """A round that closed an hour ago, its beacon round (fixed at open) since
    published and, unless ``beacon`` is False, fetched."""
    tour = make_tour()
    now = timezone.now()
    round = make_round(
        tour,
        slots=make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=capacity),
        opens_at=now - timedelta(hours=3),
        closes_at=now - timedelta(hours=1),
    )
    _fill(round, entries)
    rounds.close_round(round, now=round.closes_at)
    if beacon:
        give_beacon(round)
    return round


def test_a_drawn_round_publishes_a_record_that_holds(db):
    round = _small_round()
    result = draw_round(round, now=timezone.now())
    record = json.loads(result.record)
    draw.verify(record)
    assert record["round"] == round.code
    assert record["commitment"] == round.commitment
    assert len(record["entries"]) == 12
    assert round.state == Round.State.DRAWN


def test_the_draw_offers_every_placement_and_waitlists_the_rest_in_order(db):
    round = _small_round()
    record = json.loads(draw_round(round, now=timezone.now()).record)
    placed = {p["entry"]: p["slot"] for p in record["placements"]}
    offers = {o.entry.code: o.slot.code for o in Offer.objects.select_related("entry", "slot")}
    assert offers == placed
    assert all(o.state == Offer.State.PENDING and o.persons == 2 for o in Offer.objects.all())
    outcomes = DrawOutcome.objects.filter(round=round).order_by("position").select_related("entry")
    assert [o.entry.code for o in outcomes] == record["order"]
    assert {o.entry.code for o in outcomes if o.slot_id is None} == set(record["order"]) - set(
        placed
    )


def test_offers_get_the_confirm_window_but_never_past_the_cutoff(db, settings):
    round = _small_round()
    now = timezone.now()
    draw_round(round, now=now)
    for offer in Offer.objects.select_related("slot"):
        assert offer.deadline == min(
            now + round.confirm_window, offer.slot.starts_at - settings.TOURDRAW_OFFER_CUTOFF
        )


def test_it_refuses_to_draw_twice(db):
    round = _small_round()
    draw_round(round, now=timezone.now())
    with pytest.raises(DrawRefused) as refused:
        draw_round(round, now=timezone.now())
    assert refused.value.code == "already_drawn"
    assert Draw.objects.count() == 1


def test_it_refuses_to_draw_before_close(round):
    with pytest.raises(DrawRefused) as refused:
        draw_round(round, now=timezone.now())
    assert refused.value.code == "round_not_closed"
    assert str(refused.value) == "A round is drawn only after it closes."


def test_it_refuses_when_entries_changed_after_close(db):
    round = _small_round()
    with past_the_database_guards():
        Entry.objects.filter(pk=round.entries.first().pk).update(party_size=1)
    with pytest.raises(DrawRefused) as refused:
        draw_round(round, now=timezone.now())
    assert refused.value.code == "inputs_changed"
    assert not Draw.objects.exists()


def test_each_winner_gets_the_call_and_text_a_single_offer_would_get(db):
    """The draw writes its winners' messages in bulk, from texts prepared once
    per slot, language and party size; each must read exactly as offer_made()
    writes it for that one offer, in the winner's language."""
    from tourdraw.notify.models import OutboxMessage
    from tourdraw.visits import notices

    tour = make_tour(name_en="Assembly line tour")
    # Room for every party: both languages and both party sizes are then among the winners.
    round = make_round(
        tour, slots=make_slots(tour, timezone.localdate() + timedelta(days=10), capacity=20)
    )
    _fill(round, 6, companions=0)
    _fill(round, 6, start=200, companions=1)
    for entry in Entry.objects.select_related("visitor__user"):
        if entry.visitor.phone.endswith("1"):  # encrypted: chosen here, not in SQL
            entry.visitor.user.language = "en"
            entry.visitor.user.save()
    rounds.close_round(round, now=timezone.now())
    give_beacon(round)
    draw_round(round, now=beacon_moment(round))

    offers = {o.pk: o for o in Offer.objects.select_related("entry__visitor__user", "slot")}
    messages = list(OutboxMessage.objects.filter(topic="offer.made"))
    assert len(messages) == 2 * len(offers) and len(offers) == 12
    assert {m.language for m in messages} == {"en", "zh-hans"}
    assert {o.persons for o in offers.values()} == {1, 2}
    for message in messages:
        offer = offers[int(message.object_id)]
        with translation.override(offer.entry.visitor.user.language):
            assert message.body == notices._offer_made_body(offer)
        assert message.to == offer.entry.visitor.phone
        assert message.language == offer.entry.visitor.user.language
    assert sorted((m.object_id, m.kind) for m in messages) == sorted(
        (str(pk), kind) for pk in offers for kind in ("sms", "voice")
    )


def test_two_workers_at_once_draw_once(transactional_db):
    round = _small_round(entries=6)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            barrier.wait()
            draw_round(Round.objects.get(pk=round.pk), now=timezone.now())
            outcomes.append("drawn")
        except DrawRefused as refused:
            outcomes.append(refused.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_drawn", "drawn"]
    assert Draw.objects.count() == 1
    assert Offer.objects.count() == len(json.loads(Draw.objects.get().record)["placements"])


def test_the_worker_draws_when_the_draw_time_comes(db):
    from tourdraw.scheduler import run_due_transitions

    round = _small_round(entries=3)
    assert run_due_transitions(round.draws_at - timedelta(seconds=1))["rounds_drawn"] == 0
    assert run_due_transitions(round.draws_at)["rounds_drawn"] == 1
    assert Round.objects.get().state == Round.State.DRAWN


def test_the_draw_command_draws_by_hand_and_explains_a_refusal(db, capsys):
    round = _small_round(entries=3)
    call_command("draw", round.code)
    assert "3 entries" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already_drawn"):
        call_command("draw", round.code)


def test_the_results_page_and_record_show_entry_codes_only(client, db):
    round = _small_round()
    drawn = draw_round(round, now=timezone.now())
    record_response = client.get(reverse("web:draw_record", args=[round.code]))
    assert record_response["Content-Type"] == "application/json"
    assert record_response.content.decode() == drawn.record
    page = client.get(reverse("web:results", args=[round.code])).content.decode()
    assert round.secret in page and drawn.seed in page and round.commitment in page
    round.refresh_from_db()
    assert f"drand round {round.beacon_round} of the tourdraw-local chain" in page
    assert round.beacon_randomness in page
    for text in (page, drawn.record):
        assert "同伴" not in text and "+86139" not in text and "王建国" not in text


def test_the_results_lookup_tells_placed_or_waitlist_position(client, db):
    round = _small_round()
    record = json.loads(draw_round(round, now=timezone.now()).record)
    placed = record["placements"][0]["entry"]
    url = reverse("web:results", args=[round.code])
    assert "and placed:" in client.get(url, {"entry": placed}).content.decode()
    waiting = [
        code for code in record["order"] if code not in {p["entry"] for p in record["placements"]}
    ]
    page = client.get(url, {"entry": waiting[1].lower()}).content.decode()
    assert "waitlist position 2" in page
    assert f"{len(waiting)} entries are on the waitlist" in page
    assert "No entry ZZZZZZZZZZ" in client.get(url, {"entry": "ZZZZZZZZZZ"}).content.decode()


def test_sqlite_and_postgres_store_the_same_record_bytes(db):
    round = _small_round(entries=5)
    drawn = draw_round(round, now=timezone.now())
    assert Draw.objects.get().record == drawn.record
    assert connection.vendor in {"sqlite", "postgresql"}


def test_a_round_opened_before_version_2_closes_but_is_not_drawn_without_statements(db):
    """A round opened by the old code has no opening statement: it closes as before,
    but no draw runs without the beacon and statements fixed in advance."""
    tour = make_tour()
    round = make_round(tour, slots=make_slots(tour, timezone.localdate() + timedelta(days=10)))
    with past_the_database_guards():  # as the old code left it
        Round.objects.filter(pk=round.pk).update(
            opening_statement="", beacon_chain=None, beacon_round=None
        )
    _fill(round, 2)
    assert rounds.close_round(round, now=timezone.now())
    round.refresh_from_db()
    assert (round.state, round.closing_statement, round.frozen_entries) == ("closed", "", 2)
    with pytest.raises(DrawRefused) as refused:
        draw_round(round, now=timezone.now() + timedelta(days=3))
    assert refused.value.code == "no_statements"
