"""The round page states, before the first entry, what the draw will use: the
places it seats (groups' places apart), the beacon fixed at open, the fairness
options and the waitlist rule."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.groups.services import approve_visit
from tourdraw.lottery import drand, draw, drawing, statements
from tourdraw.lottery.models import Round


def _row(html: str, label: str) -> str:
    start = html.index(label)
    return html[start : html.index("</tr>", start)]


def test_the_page_shows_the_places_the_draw_seats_and_the_groups_places_apart(client, round):  # type: ignore[no-untyped-def]
    slot = round.slots.order_by("starts_at").first()
    group = support.request_group(round.tour.site, size=20)
    approve_visit(group, slot=slot, actor=None)

    html = client.get(f"/rounds/{round.code}/").content.decode()

    seated = {s["code"]: s["capacity"] for s in drawing.draw_inputs(round).slots}
    assert seated[slot.code] == 40
    row = _row(html, slot.label)
    assert '<td class="num">40</td><td class="num">20</td>' in row
    assert ">60<" not in row


def test_the_page_shows_the_beacon_round_fixed_at_open_and_its_time(client, round):  # type: ignore[no-untyped-def]
    number = statements.beacon_round(drand.QUICKNET, round.closes_at)
    Round.objects.filter(pk=round.pk).update(
        beacon_chain=drand.QUICKNET.as_json(), beacon_round=number
    )
    html = client.get(f"/rounds/{round.code}/").content.decode()

    published = datetime.fromtimestamp(drand.round_time(drand.QUICKNET, number), UTC)
    assert published >= round.closes_at + statements.BEACON_MARGIN
    assert f"drand round {number} of the quicknet chain" in html
    assert f"Expected at {published:%Y-%m-%d %H:%M:%S} UTC" in html
    assert drand.QUICKNET.hash in html
    assert round.commitment in html


def test_the_page_says_the_beacon_is_fixed_at_open_before_it_is(client, db):  # type: ignore[no-untyped-def]
    later = timezone.now() + timedelta(days=1)
    round = support.make_round(opens_at=later, closes_at=later + timedelta(days=1), open_now=False)
    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert "is fixed when entries open" in html


def test_the_page_explains_the_fairness_options_and_the_waitlist_cutoff(client, round, settings):  # type: ignore[no-untyped-def]
    settings.TOURDRAW_PROMOTION_CUTOFF = timedelta(hours=26)
    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert "Every entry is drawn in one tier" in html
    assert "Each entry holds one ticket." in html
    assert "No one is promoted later than 26 hours before a session." in html
    assert 'href="/fairness/"' in html

    Round.objects.filter(pk=round.pk).update(
        priority=Round.Priority.MINORS, repeat_weight_days=365, repeat_weight_cap=3
    )
    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert "Parties with someone under 18" in html
    assert "drawn in the 365 days before this one opened" in html
    assert "up to 3 tickets" in html


def _close_with_statement(round, now):  # type: ignore[no-untyped-def]
    """The round closed with a closing statement fixing what the draw seats now."""
    opening = statements.opening_statement(
        round=round.code,
        commitment=round.commitment,
        opened_at=round.opens_at,
        closes_at=round.closes_at,
        options={"priority": "none", "repeat_weight_days": 0, "repeat_weight_cap": 3},
        chain=drand.QUICKNET,
    )
    inputs = drawing.draw_inputs(round)
    closing = statements.closing_statement(
        opening=opening,
        closed_at=now,
        entries_digest=draw.entries_digest(inputs.entries),
        entries=len(inputs.entries),
        persons=sum(e["party"] for e in inputs.entries),
        slots=[{"code": s["code"], "capacity": s["capacity"], "reserved": 0} for s in inputs.slots],
    )
    Round.objects.filter(pk=round.pk).update(
        state=Round.State.CLOSED, closing_statement=draw.canonical(closing).decode()
    )


def test_after_close_the_pages_show_the_places_the_closing_statement_fixed(client, round):  # type: ignore[no-untyped-def]
    slot = round.slots.order_by("starts_at").first()
    _close_with_statement(round, timezone.now())
    # Whatever happens to the row afterwards, the draw seats what was fixed.
    Slot.objects.filter(pk=slot.pk).update(capacity=90)

    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert '<td class="num">60</td><td class="num">0</td>' in _row(html, slot.label)
    detail = client.get(f"/api/v1/rounds/{round.code}").json()
    first = next(s for s in detail["slots"] if s["code"] == slot.code)
    assert (first["places_in_draw"], first["kept_for_groups"]) == (60, 0)


def test_the_api_states_the_places_in_the_draw_and_the_beacon(client, round):  # type: ignore[no-untyped-def]
    slot = round.slots.order_by("starts_at").first()
    approve_visit(support.request_group(round.tour.site, size=20), slot=slot, actor=None)
    number = statements.beacon_round(drand.QUICKNET, round.closes_at)
    Round.objects.filter(pk=round.pk).update(
        beacon_chain=drand.QUICKNET.as_json(), beacon_round=number
    )

    detail = client.get(f"/api/v1/rounds/{round.code}").json()

    first = next(s for s in detail["slots"] if s["code"] == slot.code)
    assert (first["capacity"], first["places_in_draw"], first["kept_for_groups"]) == (60, 40, 20)
    assert detail["beacon"]["round"] == number
    assert detail["beacon"]["chain_hash"] == drand.QUICKNET.hash
