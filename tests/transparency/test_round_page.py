"""The round page states, before the first entry, what the draw will use: the
places it seats (groups' places apart), the beacon fixed at open, the fairness
options and the waitlist rule."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from tests import support
from tourdraw.groups.services import approve_visit
from tourdraw.lottery import drand, drawing, statements
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
