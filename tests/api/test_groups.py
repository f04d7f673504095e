"""Group visits through the API: request, decision, member list, gate."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests import support
from tourdraw.groups.models import GroupMember, GroupVisit

API = "/api/v1"


def _request_body(size: int = 3) -> dict[str, Any]:
    return {
        "organisation": "北京第一中学",
        "contact_name": "王老师",
        "contact_phone": "13912345678",
        "size": size,
        "preferred_dates": "May",
        "purpose": "Study tour",
    }


def _member(name: str, born: date, sequence: int) -> dict[str, str]:
    return {
        "full_name": name,
        "id_type": "cn_resident",
        "id_number": support.resident_id(born, sequence=sequence),
        "birth_date": born.isoformat(),
    }


@pytest.fixture
def slot(db):
    site = support.make_site()
    site.arrival_opens_minutes = 60 * 24 * 15  # the gate is tried days before the visit
    site.save()
    tour = support.make_tour(site)
    return support.make_slots(tour, timezone.localdate() + timedelta(days=12), capacity=60)[0]


def test_a_group_visit_from_request_to_gate_through_the_api(
    client, slot, gate_staff, site_operator
):
    site = slot.tour.site
    asked = client.post(
        f"{API}/sites/{site.code}/groups", _request_body(3), content_type="application/json"
    )
    assert asked.status_code == 201, asked.json()
    group = asked.json()
    assert group["state"] == "requested" and group["slot"] is None and "contact_phone" not in group

    operator = support.api_token_headers(site_operator)
    waiting = client.get(f"{API}/operator/groups?state=requested", **operator).json()
    assert waiting["count"] == 1 and waiting["items"][0]["contact_phone"] == "13912345678"
    group_id = waiting["items"][0]["id"]

    too_early = client.put(
        f"{API}/groups/{group['code']}/members",
        {"members": [_member("李明", date(2005, 1, 1), 1)]},
        content_type="application/json",
    )
    assert too_early.status_code == 400 and too_early.json()["code"] == "group_not_approved"

    approved = client.post(
        f"{API}/operator/groups/{group_id}/approve",
        {"slot": slot.pk},
        content_type="application/json",
        **operator,
    )
    assert approved.status_code == 200 and approved.json()["slot"]["id"] == slot.pk

    child = timezone.localdate() - timedelta(days=365 * 4)
    refused = client.put(
        f"{API}/groups/{group['code']}/members",
        {
            "members": [
                _member("李明", date(2005, 1, 1), 1),
                _member("王小宝", child, 2),
                _member("李明", date(2005, 1, 1), 1),
            ]
        },
        content_type="application/json",
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "members_invalid" and body["field"] == "members"
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith("Row 2 (王小宝)") and "at least 6" in messages[0]
    assert messages[1].startswith("Row 3 (李明)") and "Row 1 (李明)" in messages[1]
    assert [(e["code"], e["field"]) for e in body["errors"]] == [
        ("under_min_age", "members.1.birth_date"),
        ("person_repeated", "members.2.id_number"),
    ]
    assert not GroupMember.objects.exists()

    saved = client.put(
        f"{API}/groups/{group['code']}/members",
        {"members": [_member("李明", date(2005, 1, 1), 1), _member("王芳", date(2006, 2, 2), 2)]},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.json()
    members = saved.json()["members"]
    assert [m["full_name"] for m in members] == ["李明", "王芳"]
    assert members[0]["id_masked"].startswith("******") and "id_number" not in members[0]
    assert client.get(f"{API}/groups/{group['code']}").json()["members"] == members

    gate = support.api_token_headers(gate_staff)
    checked = client.post(
        f"{API}/operator/slots/{slot.pk}/groups/{group_id}/check-in",
        {"members": [members[0]["id"]]},
        content_type="application/json",
        **gate,
    )
    assert checked.status_code == 200 and checked.json() == {"checked_in": 1}
    again = client.post(
        f"{API}/operator/slots/{slot.pk}/groups/{group_id}/check-in",
        {"members": [members[0]["id"]]},
        content_type="application/json",
        **gate,
    )
    # A second scan of the same member is refused by name, as for a party ticket.
    assert again.status_code == 400
    assert (
        again.json()["code"] == "already_checked_in"
        and "already checked in" in again.json()["message"]
    )


def test_group_requests_are_refused_with_the_rule_they_break(client, slot, site_operator):
    site = slot.tour.site
    too_big = client.post(
        f"{API}/sites/{site.code}/groups", _request_body(61), content_type="application/json"
    )
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "group_size" and too_big.json()["field"] == "size"
    blank = client.post(
        f"{API}/sites/{site.code}/groups",
        {**_request_body(), "purpose": "  "},
        content_type="application/json",
    )
    assert blank.json()["code"] == "required" and blank.json()["field"] == "purpose"
    assert client.get(f"{API}/groups/no-such-code").status_code == 404

    group = client.post(
        f"{API}/sites/{site.code}/groups", _request_body(), content_type="application/json"
    ).json()
    operator = support.api_token_headers(site_operator)
    group_id = GroupVisit.objects.get(code=group["code"]).pk
    no_reason = client.post(
        f"{API}/operator/groups/{group_id}/decline",
        {"reason": " "},
        content_type="application/json",
        **operator,
    )
    # The schema states that a reason has a character that is not a space.
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "required" and no_reason.json()["field"] == "reason"
    declined = client.post(
        f"{API}/operator/groups/{group_id}/decline",
        {"reason": "Fully booked in May"},
        content_type="application/json",
        **operator,
    )
    assert declined.json()["state"] == "declined"
    assert client.get(f"{API}/groups/{group['code']}").json()["decline_reason"] == (
        "Fully booked in May"
    )
    twice = client.post(
        f"{API}/operator/groups/{group_id}/approve",
        {"slot": slot.pk},
        content_type="application/json",
        **operator,
    )
    assert twice.json()["code"] == "group_decided"


def test_no_operator_reaches_another_sites_groups(client, slot, site_operator, other_site_operator):
    site = slot.tour.site
    group = client.post(
        f"{API}/sites/{site.code}/groups", _request_body(), content_type="application/json"
    ).json()
    group_id = GroupVisit.objects.get(code=group["code"]).pk
    nio = support.make_site("nio", name="蔚来")
    nio_slot = support.make_slots(support.make_tour(nio), slot.visit_date)[0]
    stranger = support.api_token_headers(other_site_operator)
    assert client.get(f"{API}/operator/groups", **stranger).json()["count"] == 0
    assert client.get(f"{API}/operator/groups/{group_id}", **stranger).status_code == 404
    for url, body in (
        (f"/operator/groups/{group_id}/approve", {"slot": nio_slot.pk}),
        (f"/operator/groups/{group_id}/decline", {"reason": "no"}),
        (f"/operator/slots/{slot.pk}/groups/{group_id}/check-in", {"members": []}),
    ):
        response = client.post(f"{API}{url}", body, content_type="application/json", **stranger)
        assert response.status_code == 404, url
    # The site's own operator cannot keep places in another site's session either.
    operator = support.api_token_headers(site_operator)
    elsewhere = client.post(
        f"{API}/operator/groups/{group_id}/approve",
        {"slot": nio_slot.pk},
        content_type="application/json",
        **operator,
    )
    assert elsewhere.status_code == 404
    assert GroupVisit.objects.get(pk=group_id).state == "requested"
