"""Operator pages: each works for its own site, and another site's objects are 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import (
    draw_with_beacon,
    drawn_round,
    make_staff,
    request_group,
    sign_in_staff,
)
from tourdraw.audit.models import LogEntry
from tourdraw.lottery.models import Round
from tourdraw.visits.models import Offer, Ticket
from tourdraw.visits.offers import confirm_offer


@pytest.fixture
def site_a(db):
    round, slot, entries = drawn_round(10, [2, 2], [2])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    group = request_group(slot.tour.site, 2, organisation="学校")
    return {
        "round": round,
        "slot": slot,
        "ticket": ticket,
        "group": group,
        "offer": Offer.objects.get(entry=entries[1]),
        "site": slot.tour.site,
    }


def _object_urls(a):
    r, s, g, o = a["round"].pk, a["slot"].pk, a["group"].pk, a["offer"].pk
    return [
        ("get", reverse("backoffice:round", args=[r]), {}),
        ("get", reverse("backoffice:round", args=[r]) + "?format=csv", {}),
        (
            "post",
            reverse("backoffice:round_action", args=[r]),
            {"action": "draw", "confirm": "yes"},
        ),
        ("post", reverse("backoffice:slot_cancel", args=[s]), {"reason": "x", "confirm": "yes"}),
        ("get", reverse("backoffice:group", args=[g]), {}),
        (
            "post",
            reverse("backoffice:group", args=[g]),
            {"decision": "decline", "reason": "x", "confirm": "yes"},
        ),
        (
            "post",
            reverse("backoffice:record_call", args=[o]),
            {"outcome": "declined", "confirm": "yes"},
        ),
        ("get", reverse("backoffice:gate", args=[s]), {}),
        ("get", reverse("backoffice:gate_manifest", args=[s]), {}),
        ("post", reverse("backoffice:gate_check_in", args=[s]), {"code": "x"}),
        ("post", reverse("backoffice:gate_group_check_in", args=[s, g]), {}),
    ]


def test_an_operator_of_another_site_gets_404_for_every_object(client, site_a, other_site_operator):
    sign_in_staff(client, other_site_operator)
    for method, url, data in _object_urls(site_a):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
    sync = client.post(
        reverse("backoffice:gate_sync", args=[site_a["slot"].pk]),
        "{}",
        content_type="application/json",
    )
    assert sync.status_code == 404
    assert Ticket.objects.get(pk=site_a["ticket"].pk).is_valid
    assert Offer.objects.get(pk=site_a["offer"].pk).is_pending


def test_lists_and_exports_show_nothing_of_another_site(client, site_a, other_site_operator):
    sign_in_staff(client, other_site_operator)
    code = site_a["round"].code
    for name in (
        "backoffice:index",
        "backoffice:planning",
        "backoffice:groups",
        "backoffice:call_centre",
        "backoffice:gate_slots",
        "backoffice:dashboards",
        "backoffice:audit",
    ):
        html = client.get(reverse(name)).content.decode()
        assert code not in html and "学校" not in html, name
    for url in (
        reverse("backoffice:dashboards") + "?format=csv&table=rounds",
        reverse("backoffice:audit") + "?format=csv",
    ):
        assert code not in client.get(url).content.decode("utf-8-sig")


def test_the_operator_of_the_site_sees_and_acts(client, site_a, site_operator):
    sign_in_staff(client, site_operator)
    page = client.get(reverse("backoffice:round", args=[site_a["round"].pk])).content.decode()
    assert "Chance so far" in page
    csv_text = client.get(
        reverse("backoffice:round", args=[site_a["round"].pk]) + "?format=csv"
    ).content.decode("utf-8-sig")
    assert csv_text.startswith("slot,capacity,entries,persons,oversubscription,chance")
    audit = client.get(reverse("backoffice:audit") + "?action=tourdraw.offer").content.decode()
    assert "tourdraw.offer.confirmed" in audit
    assert LogEntry.objects.filter(site=site_a["site"]).exists()


def test_an_operator_closes_early_and_draws(client, db):
    from tests.support import make_round

    round = make_round()
    operator = make_staff("op", "site_operator", round.tour.site)
    sign_in_staff(client, operator)
    client.post(
        reverse("backoffice:round_action", args=[round.pk]), {"action": "draw", "confirm": "yes"}
    )
    assert Round.objects.get().state == "open"
    client.post(
        reverse("backoffice:round_action", args=[round.pk]), {"action": "close", "confirm": "yes"}
    )
    assert Round.objects.get().state == "closed"
    # The beacon round fixed at open is not published yet: the draw waits for it.
    page = client.post(
        reverse("backoffice:round_action", args=[round.pk]),
        {"action": "draw", "confirm": "yes"},
        follow=True,
    )
    round.refresh_from_db()
    assert f"Waiting for beacon round {round.beacon_round}." in page.content.decode()
    assert round.state == "closed"
    assert LogEntry.objects.get(action="tourdraw.round.closed").actor == operator
    assert draw_with_beacon(round).placed_entries == 0
    assert Round.objects.get().state == "drawn"


def test_an_operator_plans_sessions_and_schedules_a_round(client, db, site_operator):
    from tests.support import make_tour

    tour = make_tour()
    sign_in_staff(client, site_operator)
    day = timezone.localdate() + timedelta(days=40)
    client.post(
        reverse("backoffice:planning"),
        {
            "tour": tour.pk,
            "first_day": day.isoformat(),
            "last_day": (day + timedelta(days=1)).isoformat(),
            "times": "09:30, 13:30",
            "capacity": "60",
        },
    )
    assert tour.slots.count() == 4
    bad = client.post(
        reverse("backoffice:planning"),
        {"tour": tour.pk, "first_day": "soon", "last_day": "", "times": "", "capacity": ""},
        follow=True,
    )
    assert "YYYY-MM-DD" in bad.content.decode()
    now = timezone.localtime()
    client.post(
        reverse("backoffice:round_create"),
        {
            "tour": tour.pk,
            "code": "winter-1",
            "title": "寒假场",
            "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "draws_at": (now + timedelta(days=5, hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "slot": [s.pk for s in tour.slots.all()],
        },
    )
    assert Round.objects.get(code="winter-1").slots.count() == 4


def test_a_platform_admin_sees_the_citys_target(client, site_a, platform_admin):
    sign_in_staff(client, platform_admin)
    assert (
        "of the city's target of 20,000,000"
        in client.get(reverse("backoffice:dashboards")).content.decode()
    )


def test_visitors_per_month_count_lottery_parties_and_groups(client, site_a, site_operator):
    from tourdraw.visits import gate

    ticket, slot = site_a["ticket"], site_a["slot"]
    site = slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15
    site.save()
    slot.refresh_from_db()
    members = [m.pk for m in ticket.offer.entry.members.all()]
    gate.check_in(ticket, members, slot=slot, gate="East", staff=None)
    sign_in_staff(client, site_operator)
    csv_text = client.get(reverse("backoffice:dashboards") + "?format=csv").content.decode(
        "utf-8-sig"
    )
    month = timezone.localdate().month
    row = next(line for line in csv_text.splitlines() if line.startswith(site.code))
    assert row.split(",")[month] == "2"
