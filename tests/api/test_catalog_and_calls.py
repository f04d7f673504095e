"""Sites' tours and sessions, and the call centre's queue, through the API."""

from datetime import timedelta

from django.utils import timezone

from tests import support
from tourdraw.visits import calls
from tourdraw.visits.cancellation import cancel_slot

API = "/api/v1"


def test_a_sites_tours_and_coming_sessions_are_public(client, db):
    tour = support.make_tour()
    slots = support.make_slots(tour, timezone.localdate() + timedelta(days=3), days=2)
    cancel_slot(slots[1], actor=None, reason="Line maintenance")
    tours = client.get(f"{API}/sites/{tour.site.code}/tours").json()
    assert tours["count"] == 1
    assert tours["items"][0]["code"] == tour.code and tours["items"][0]["min_age"] == tour.min_age
    coming = client.get(f"{API}/sites/{tour.site.code}/slots", {"tour": tour.code}).json()
    assert [s["id"] for s in coming["items"]] == [s.pk for s in (slots[0], *slots[2:])]
    assert coming["items"][0]["tour"] == tour.code and coming["items"][0]["code"] == slots[0].code
    assert client.get(f"{API}/sites/{tour.site.code}/slots", {"tour": "nope"}).json() == {
        "items": [],
        "count": 0,
    }
    assert client.get(f"{API}/sites/nowhere/tours").status_code == 404


def test_the_call_queue_shows_each_agent_their_own_sites_offers(
    client, db, gate_staff, call_centre_agent
):
    _, _, entries = support.drawn_round(10, [2, 3], [])
    agent = support.api_token_headers(call_centre_agent)
    queue = client.get(f"{API}/operator/calls", **agent).json()
    assert queue["count"] == 2
    first = queue["items"][0]
    assert first["entry"] == entries[0].code and first["persons"] == 2
    assert first["phone"] == str(entries[0].visitor.phone)
    assert all("*" in m["id_masked"] for m in first["party"])
    assert first["failed_calls"] == 0 and first["gave_up"] is False

    for _ in range(3):
        recorded = client.post(
            f"{API}/operator/offers/{first['offer']}/calls",
            {"outcome": calls.CallAttempt.Outcome.NO_ANSWER},
            content_type="application/json",
            **agent,
        )
        assert recorded.status_code == 201
    again = client.get(f"{API}/operator/calls", **agent).json()["items"][0]
    assert again["failed_calls"] == 3

    stranger = support.api_token_headers(
        support.make_staff("nio-agent", "call_centre", support.make_site("nio"))
    )
    assert client.get(f"{API}/operator/calls", **stranger).json()["count"] == 0
    gate = support.api_token_headers(gate_staff)
    assert client.get(f"{API}/operator/calls", **gate).json()["count"] == 0


def test_a_long_call_queue_is_read_a_page_at_a_time(client, db, call_centre_agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    support.drawn_round(60, [2] * 24, [])
    agent = support.api_token_headers(call_centre_agent)
    client.get(f"{API}/operator/calls", **agent)  # the token's first use is written down once
    counts = []
    for limit in (3, 20):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"{API}/operator/calls", {"limit": limit, "offset": 2}, **agent)
        assert page.json()["count"] == 24 and len(page.json()["items"]) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]  # the same queries, whatever the page size
    everything = client.get(f"{API}/operator/calls", **agent).json()["items"]
    assert [i["offer"] for i in page.json()["items"]] == [i["offer"] for i in everything[2:22]]
    assert len({i["entry"] for i in everything}) == 24
