"""The round page states, before the first entry, what the draw will use: the
places it seats (groups' places apart), the beacon fixed at open, the fairness
options and the waitlist rule."""

import json
import re
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.groups.services import approve_visit
from tourdraw.lottery import drand, drawing, rounds, statements
from tourdraw.lottery.models import Round

# Places in the draw, then places kept for groups (each cell labelled for phones).
PLACES_40_20 = r'<td class="num"[^>]*>40</td><td class="num"[^>]*>20</td>'


def _row(html: str, label: str) -> str:
    start = html.index(label)
    return html[start : html.index("</tr>", start)]


def test_the_page_shows_the_places_the_draw_seats_and_the_groups_places_apart(client, round):
    slot = round.slots.order_by("starts_at").first()
    group = support.request_group(round.tour.site, size=20)
    approve_visit(group, slot=slot, actor=None)

    html = client.get(f"/rounds/{round.code}/").content.decode()

    seated = {s["code"]: s["capacity"] for s in drawing.draw_inputs(round).slots}
    assert seated[slot.code] == 40
    row = _row(html, slot.label)
    assert re.search(PLACES_40_20, row)
    assert ">60<" not in row


def test_the_page_shows_the_beacon_round_fixed_at_open_and_its_time(client, round):
    round.refresh_from_db()
    chain = drand.Chain.from_json(round.beacon_chain)
    number = round.beacon_round
    # As a verifier reads it: from the opening statement's closes_at (whole seconds).
    opening = json.loads(round.opening_statement)
    closes_at = statements.parse_timestamp(opening["closes_at"])
    assert number == opening["beacon"]["round"] == statements.beacon_round(chain, closes_at)

    html = client.get(f"/rounds/{round.code}/").content.decode()

    published = datetime.fromtimestamp(drand.round_time(chain, number), UTC)
    assert published >= closes_at + statements.BEACON_MARGIN
    assert f"drand round {number} of the {chain.name} chain" in html
    assert f"Expected at {published:%Y-%m-%d %H:%M:%S} UTC" in html
    assert chain.hash in html
    assert round.commitment in html


def test_the_page_says_the_beacon_is_fixed_at_open_before_it_is(client, db):
    later = timezone.now() + timedelta(days=1)
    round = support.make_round(opens_at=later, closes_at=later + timedelta(days=1), open_now=False)
    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert "is fixed when entries open" in html


def test_the_page_explains_the_fairness_options_and_the_waitlist_cutoff(client, db, settings):
    settings.TOURDRAW_PROMOTION_CUTOFF = timedelta(hours=26)
    plain = support.make_round()
    html = client.get(f"/rounds/{plain.code}/").content.decode()
    assert "Every entry is drawn in one tier" in html
    assert "Each entry holds one ticket." in html
    assert "No one is promoted later than 26 hours before a session." in html
    assert 'href="/fairness/"' in html

    tour = support.make_tour(code="battery-line")
    weighted = support.make_round(tour, code="weighted", open_now=False)
    Round.objects.filter(pk=weighted.pk).update(
        priority=Round.Priority.MINORS, repeat_weight_days=365, repeat_weight_cap=3
    )
    rounds.open_round(weighted, now=timezone.now())
    html = client.get(f"/rounds/{weighted.code}/").content.decode()
    assert "Parties with someone under 18" in html
    assert "drawn in the 365 days before this one opened" in html
    assert "up to 3 tickets" in html


def test_after_close_the_pages_show_the_places_the_closing_statement_fixed(client, round):
    slot = round.slots.order_by("starts_at").first()
    approve_visit(support.request_group(round.tour.site, size=20), slot=slot, actor=None)
    rounds.close_round(round, now=timezone.now())
    # The operator then edits the row: PostgreSQL refuses it; wherever it goes
    # through, the draw seats what the statement fixed, and so does the page.
    try:
        with transaction.atomic():
            Slot.objects.filter(pk=slot.pk).update(capacity=90)
    except DatabaseError:
        pass

    html = client.get(f"/rounds/{round.code}/").content.decode()
    assert re.search(PLACES_40_20, _row(html, slot.label))
    detail = client.get(f"/api/v1/rounds/{round.code}").json()
    first = next(s for s in detail["slots"] if s["code"] == slot.code)
    assert (first["places_in_draw"], first["kept_for_groups"]) == (40, 20)


def test_the_api_states_the_places_in_the_draw_and_the_beacon(client, round):
    slot = round.slots.order_by("starts_at").first()
    approve_visit(support.request_group(round.tour.site, size=20), slot=slot, actor=None)
    round.refresh_from_db()

    detail = client.get(f"/api/v1/rounds/{round.code}").json()

    first = next(s for s in detail["slots"] if s["code"] == slot.code)
    assert (first["capacity"], first["places_in_draw"], first["kept_for_groups"]) == (60, 40, 20)
    assert detail["beacon"]["round"] == round.beacon_round
    assert detail["beacon"]["chain_hash"] == round.beacon_chain["hash"]
