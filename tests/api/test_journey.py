"""The whole journey through the API alone: sign in, enter, draw, confirm, ticket, check in."""

import re
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from tests import support
from tourdraw.catalog.models import Slot
from tourdraw.lottery.models import Round
from tourdraw.visits.models import CheckIn

API = "/api/v1"


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_the_whole_journey_through_the_api(
    client, db, settings, django_capture_on_commit_callbacks, site_operator
):
    # The whole journey in under an hour: entries close in ten minutes, the draw
    # follows the beacon, winners have ten minutes and the session is at the gate.
    settings.TOURDRAW_OFFER_CUTOFF = timedelta(0)
    settings.TOURDRAW_PROMOTION_CUTOFF = timedelta(0)
    now = timezone.now()
    start = now + timedelta(minutes=40)
    tour = support.make_tour()
    slot = Slot.objects.create(
        tour=tour, starts_at=start, ends_at=start + timedelta(hours=2), capacity=60
    )
    round = support.make_round(tour, slots=[slot], closes_at=now + timedelta(minutes=10))
    Round.objects.filter(pk=round.pk).update(
        draws_at=round.closes_at, confirm_window=timedelta(minutes=10)
    )
    from tourdraw.api.models import ApiToken

    _, operator_key = ApiToken.issue(site_operator, "partner system")

    rounds = client.get(f"{API}/rounds").json()
    assert rounds["count"] == 1 and rounds["items"][0]["code"] == round.code
    detail = client.get(f"{API}/rounds/{round.code}").json()
    assert detail["slots"][0]["capacity"] == 60 and detail["commitment"] == round.commitment

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(
                f"{API}/auth/code", {"phone": "13912345678"}, content_type="application/json"
            ).status_code
            == 202
        )
    code = support.present(re.search(r"\b(\d{6})\b", support.SENT[-1].body)).group(1)
    token = client.post(
        f"{API}/auth/token", {"phone": "13912345678", "code": code}, content_type="application/json"
    ).json()["token"]
    me = _bearer(token)

    privacy = client.get(f"{API}/me/privacy", **me).json()
    assert privacy["accepted"] is False and privacy["notice_url"].endswith("/privacy/")
    refused_without_consent = client.put(
        f"{API}/me/profile",
        {
            "full_name": "王建国",
            "id_type": "cn_resident",
            "id_number": support.resident_id(date(1985, 3, 14)),
        },
        content_type="application/json",
        **me,
    )
    assert refused_without_consent.json()["code"] == "consent_required"
    accepted = client.post(
        f"{API}/me/consent",
        {"version": privacy["version"], "notice": True, "sensitive_pi": True},
        content_type="application/json",
        **me,
    )
    assert accepted.json()["accepted"] is True

    profile = client.put(
        f"{API}/me/profile",
        {
            "full_name": "王建国",
            "id_type": "cn_resident",
            "id_number": support.resident_id(date(1985, 3, 14)),
        },
        content_type="application/json",
        **me,
    )
    assert profile.json()["id_masked"].startswith("******")

    five = date(slot.visit_date.year - 5, slot.visit_date.month, 1)
    refused = client.post(
        f"{API}/rounds/{round.code}/entries",
        {
            "choices": [slot.pk],
            "companions": [
                {"full_name": "王小宝", "id_number": support.resident_id(five, sequence=7)}
            ],
        },
        content_type="application/json",
        **me,
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "under_min_age"
    assert refused.json()["field"] == "companions.0.birth_date"

    created = client.post(
        f"{API}/rounds/{round.code}/entries",
        {
            "choices": [slot.pk],
            "companions": [
                {
                    "full_name": "李秀英",
                    "id_number": support.resident_id(date(1987, 6, 1), "310101", 45),
                }
            ],
        },
        content_type="application/json",
        **me,
    )
    assert created.status_code == 201
    entry_code = created.json()["code"]
    assert created.json()["members"][1]["id_masked"].startswith("******")

    op = _bearer(operator_key)
    assert (
        client.post(f"{API}/operator/rounds/{round.code}/close", **op).json()["state"] == "closed"
    )
    # The beacon round fixed at open is not out yet: the draw waits for it, then
    # runs (as the worker would run it) once the beacon is in.
    waiting = client.post(f"{API}/operator/rounds/{round.code}/draw", **op)
    assert (waiting.status_code, waiting.json()["code"]) == (400, "beacon_waiting")
    support.draw_with_beacon(round)
    assert client.get(f"{API}/rounds/{round.code}").json()["state"] == "drawn"
    assert (
        client.get(f"{API}/rounds/{round.code}/results", {"entry": entry_code}).json()["slot"]
        == slot.code
    )

    entry = client.get(f"{API}/me/entries/{entry_code}", **me).json()
    assert entry["status"] == "offer" and entry["offer"]["persons"] == 2
    no_rules = client.post(
        f"{API}/me/entries/{entry_code}/confirm",
        {"accept_rules": False},
        content_type="application/json",
        **me,
    )
    assert no_rules.json()["code"] == "rules_not_accepted"
    ticket = client.post(
        f"{API}/me/entries/{entry_code}/confirm",
        {"accept_rules": True},
        content_type="application/json",
        **me,
    ).json()
    assert ticket["qr_payload"].startswith("TD1.")
    fetched = client.get(f"{API}/me/tickets/{ticket['code']}", **me).json()
    assert fetched["qr_payload"] == ticket["qr_payload"]

    member_ids = [m["id"] for m in fetched["members"]]
    checked = client.post(
        f"{API}/operator/slots/{slot.pk}/check-in",
        {"code": ticket["qr_payload"], "members": member_ids},
        content_type="application/json",
        **op,
    )
    assert checked.json() == {"checked_in": 2}
    assert CheckIn.objects.count() == 2


def test_errors_have_one_shape(client, db):
    missing = client.get(f"{API}/rounds/nope")
    assert missing.status_code == 404 and missing.json() == {
        "code": "not_found",
        "message": "Not found.",
        "field": "",
    }
    unauthenticated = client.get(f"{API}/me/entries")
    assert unauthenticated.status_code == 401 and unauthenticated.json()["code"] == "not_signed_in"
    bad_phone = client.post(f"{API}/auth/code", {"phone": "12"}, content_type="application/json")
    assert bad_phone.status_code == 422
    assert bad_phone.json() == {
        "code": "phone_invalid",
        "message": "Give a mobile number of mainland China, Hong Kong, Macao or Taiwan, "
        "such as 13800138000 or +85291234567.",
        "field": "phone",
    }
    malformed = client.post(f"{API}/auth/code", {}, content_type="application/json")
    assert (
        malformed.status_code == 422
        and malformed.json()["code"] == "required"
        and malformed.json()["field"] == "phone"
    )


def test_nobody_reaches_another_visitors_or_sites_objects(client, db, other_site_operator):
    from tourdraw.api.models import ApiToken
    from tourdraw.visits.models import Offer
    from tourdraw.visits.offers import confirm_offer

    round, slot, entries = support.drawn_round(10, [2, 2], [])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    _, stranger = ApiToken.issue(entries[1].visitor.user, "app")
    me = _bearer(stranger)
    code = entries[0].code
    for method, url in (
        ("get", f"/me/entries/{code}"),
        ("put", f"/me/entries/{code}"),
        ("delete", f"/me/entries/{code}"),
        ("post", f"/me/entries/{code}/confirm"),
        ("post", f"/me/entries/{code}/decline"),
        ("get", f"/me/tickets/{ticket.code}"),
        ("post", f"/me/tickets/{ticket.code}/cancel"),
    ):
        # Each with a body its schema takes: no extra field is allowed.
        body: dict[str, Any] = {"put": {"choices": [slot.pk]}}.get(method, {})
        if url.endswith("/confirm"):
            body = {"accept_rules": True}
        response = getattr(client, method)(
            f"{API}{url}", body, content_type="application/json", **me
        )
        assert response.status_code == 404, (method, url, response.status_code)
    _, other_site = ApiToken.issue(other_site_operator, "nio")
    op = _bearer(other_site)
    offer = Offer.objects.get(entry=entries[1])
    for url, body in (
        (f"/operator/rounds/{round.code}/close", {}),
        (f"/operator/rounds/{round.code}/draw", {}),
        (f"/operator/offers/{offer.pk}/calls", {"outcome": "declined"}),
        (f"/operator/slots/{slot.pk}/check-in", {"code": "x", "members": []}),
    ):
        assert (
            client.post(f"{API}{url}", body, content_type="application/json", **op).status_code
            == 404
        ), url


def test_the_openapi_schema_and_docs_are_served_from_here(client, db):
    schema = client.get(f"{API}/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/rounds/{code}/entries" in schema["paths"]
    docs = client.get(f"{API}/docs").content.decode()
    assert "cdn.jsdelivr" not in docs and "https://" not in docs.split("<body")[0]


def test_list_bounds_are_checked_before_the_database(client, db):
    for query in ("limit=49616448705100567409204396032", "offset=99999999999999999999", "limit=0"):
        response = client.get(f"{API}/sites?{query}")
        assert response.status_code == 422, query
        assert response.json()["code"] == "invalid"
    assert client.get(f"{API}/sites?limit=100&offset=1000000").status_code == 200


def test_an_entry_shows_its_offer_and_ticket_and_a_decline_at_once(client, db):
    from tourdraw.api.models import ApiToken

    _, _, entries = support.drawn_round(10, [2, 2], [])
    confirming, declining = (_bearer(ApiToken.issue(e.visitor.user, "app")[1]) for e in entries)
    ticket = client.post(
        f"{API}/me/entries/{entries[0].code}/confirm",
        {"accept_rules": True},
        content_type="application/json",
        **confirming,
    ).json()
    listed = client.get(f"{API}/me/entries", **confirming).json()["items"]
    assert [(e["offer"]["state"], e["ticket"]) for e in listed] == [("confirmed", ticket["code"])]

    declined = client.post(f"{API}/me/entries/{entries[1].code}/decline", **declining)
    assert declined.status_code == 200
    assert declined.json()["offer"]["state"] == "declined" and declined.json()["ticket"] is None
