import json
from datetime import timedelta

from django.utils import timezone

from tests.support import (
    draw_with_beacon,
    make_round,
    make_site,
    make_slots,
    make_tour,
    resident_id,
)
from tourdraw.lottery import draw, fairness, rounds
from tourdraw.lottery.entries import CompanionInput, enter_round
from tourdraw.lottery.models import Entry, Round


def _round(tour, code, day_offset, *, past=False, **options):
    """A round with these fairness options, opened (they are fixed at open); a
    ``past`` one opened three days ago and closed two days ago."""
    now = timezone.now()
    round = make_round(
        tour,
        code=code,
        slots=make_slots(tour, timezone.localdate() + timedelta(days=day_offset), capacity=1),
        open_now=False,
        opens_at=now - timedelta(days=3) if past else None,
        closes_at=now - timedelta(days=2) if past else None,
    )
    Round.objects.filter(pk=round.pk).update(**options)
    rounds.open_round(round, now=round.opens_at)
    round.refresh_from_db()
    return round


def test_by_default_every_entry_is_tier_0_with_one_ticket(round, visitor):
    entry = enter_round(round, visitor, choices=[round.slots.first().pk])
    assert (entry.tier, entry.weight) == (0, 1)
    assert fairness.explain(entry) == "Your entry holds 1 ticket in the draw."


def test_with_the_minors_rule_a_party_with_a_child_is_tier_0(db, visitor, other_visitor):
    tour = make_tour()
    round = _round(tour, "winter", 10, priority=Round.Priority.MINORS)
    slot = round.slots.first()
    child_born = slot.visit_date.replace(year=slot.visit_date.year - 10)
    child = CompanionInput(
        full_name="王小宝",
        id_type="cn_resident",
        id_number=resident_id(child_born, sequence=5),
        guardian=True,
    )
    with_child = enter_round(round, visitor, choices=[slot.pk], companions=[child])
    adults = enter_round(round, other_visitor, choices=[slot.pk])
    assert (with_child.tier, adults.tier) == (0, 1)
    assert "yours is one" in fairness.explain(with_child)
    assert "yours is drawn after them" in fairness.explain(adults)


def _lose(tour, code, day_offset, winner, loser):
    # Drawn two days ago; its tiers count (the minors rule), so that the winner
    # can be put first.
    earlier = _round(tour, code, day_offset, past=True, priority=Round.Priority.MINORS)
    slot = earlier.slots.order_by("starts_at").first()  # one place
    entered = earlier.opens_at + timedelta(hours=1)
    won = enter_round(earlier, winner, choices=[slot.pk], now=entered)
    enter_round(earlier, loser, choices=[slot.pk], now=entered)
    # Setup, not the rule under test: the winner (an adult party, tier 1) is
    # drawn first.
    Entry.objects.filter(pk=won.pk).update(tier=0)
    rounds.close_round(earlier, now=earlier.closes_at)
    draw_with_beacon(earlier, earlier.closes_at)


def test_an_entrant_not_drawn_before_holds_more_tickets_up_to_the_cap(db, visitor, other_visitor):
    tour = make_tour()
    for n in range(4):
        _lose(tour, f"earlier-{n}", 3 + n, other_visitor, visitor)
    current = _round(tour, "current", 20, repeat_weight_days=30, repeat_weight_cap=3)
    entry = enter_round(current, visitor, choices=[current.slots.first().pk])
    assert (entry.lost_rounds, entry.weight) == (4, 3)
    text = fairness.explain(entry)
    assert "holds 3 tickets" in text
    assert "4 earlier rounds" in text
    assert "at most 3 tickets" in text
    winner = enter_round(current, other_visitor, choices=[current.slots.first().pk])
    assert (winner.lost_rounds, winner.weight) == (0, 1)
    rounds.close_round(current, now=timezone.now())
    record = json.loads(draw_with_beacon(current).record)
    draw.verify(record)
    assert {e["code"]: e["weight"] for e in record["entries"]} == {entry.code: 3, winner.code: 1}


def test_rounds_outside_the_window_or_at_other_sites_do_not_count(db, visitor, other_visitor):
    tour = make_tour()
    _lose(tour, "earlier", 3, other_visitor, visitor)
    elsewhere = make_tour(make_site("nio"), code="nio-tour")
    _lose(elsewhere, "elsewhere", 4, other_visitor, visitor)
    current = _round(tour, "current", 20, repeat_weight_days=30, repeat_weight_cap=5)
    assert fairness.lost_rounds(current, visitor.self_person.id_hash) == 1
    Round.objects.filter(code="earlier").update(drawn_at=current.opens_at - timedelta(days=31))
    assert fairness.lost_rounds(current, visitor.self_person.id_hash) == 0
