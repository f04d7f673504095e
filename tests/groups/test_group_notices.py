"""The organiser of a group is told at the request, the decision and each change
of the member list, in the language they asked in, and sees the request among
their entries."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests.support import make_slots, make_tour, request_group, resident_id
from tourdraw.catalog.models import Slot
from tourdraw.groups import services
from tourdraw.groups.models import GroupVisit
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import Visitor

HEADER = "full_name,id_type,id_number,birth_date\n"
# The group request form as an organiser fills it in.
REQUEST: dict[str, Any] = {
    "organisation": "北京第一中学",
    "contact_name": "王老师",
    "contact_phone": "+8613912345678",
    "contact_email": "wang@example.cn",
    "size": 20,
    "preferred_dates": "May",
    "purpose": "Study tour",
}


@pytest.fixture
def slot(db: None) -> Slot:
    return make_slots(make_tour(), timezone.localdate() + timedelta(days=12), capacity=60)[0]


def _told(group: GroupVisit) -> list[tuple[str, str, str]]:
    return list(
        OutboxMessage.objects.filter(object_type="groups.groupvisit", object_id=str(group.pk))
        .order_by("pk")
        .values_list("kind", "topic", "to")
    )


def _body(group: GroupVisit, topic: str) -> str:
    return OutboxMessage.objects.get(object_id=str(group.pk), topic=topic, kind="sms").body


def test_the_organiser_is_texted_when_the_request_is_in(slot: Slot) -> None:
    group = request_group(slot.tour.site, 5)
    assert _told(group) == [("sms", "group.requested", "+85291234567")]
    body = _body(group, "group.requested")
    assert "your group request for 5 persons" in body
    assert reverse("web:group", args=[group.code]) in body


def test_an_organiser_with_an_email_address_is_also_emailed(slot: Slot) -> None:
    group = services.request_visit(slot.tour.site, **REQUEST)
    assert _told(group) == [
        ("sms", "group.requested", "+8613912345678"),
        ("email", "group.requested", "wang@example.cn"),
    ]
    email = OutboxMessage.objects.get(kind="email")
    assert email.subject == "Group visit: 北京第一中学"


def test_the_approval_names_the_session_and_asks_for_the_list(slot: Slot) -> None:
    group = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    assert [topic for _kind, topic, _to in _told(group)] == ["group.requested", "group.approved"]
    body = _body(group, "group.approved")
    assert slot.label in body and "Upload the member list" in body


def test_the_refusal_gives_the_reason(slot: Slot) -> None:
    group = services.decline_visit(
        request_group(slot.tour.site, 5), reason="Fully booked in July", actor=None
    )
    assert "declined: Fully booked in July" in _body(group, "group.declined")


def test_each_saved_member_list_is_reported_and_a_change_says_so(slot: Slot) -> None:
    group = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    first = resident_id(date(2005, 1, 1), sequence=1)
    second = resident_id(date(2006, 2, 2), sequence=2)
    services.upload_members(group, HEADER + f"李明,cn_resident,{first},\n")
    services.upload_members(
        group, HEADER + f"李明,cn_resident,{first},\n王芳,cn_resident,{second},\n"
    )
    bodies = list(
        OutboxMessage.objects.filter(object_id=str(group.pk), topic="group.members_saved")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert len(bodies) == 2
    assert "is saved with 1 persons" in bodies[0]
    assert "was changed; it now has 2 persons" in bodies[1]


def test_a_refused_member_list_tells_nobody(slot: Slot) -> None:
    group = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    with pytest.raises(services.GroupError):
        services.upload_members(group, HEADER + "李明,cn_resident,123,\n")
    assert not OutboxMessage.objects.filter(topic="group.members_saved").exists()


def test_an_organiser_who_asked_in_chinese_is_answered_in_chinese(
    client: Client, slot: Slot
) -> None:
    client.post(
        reverse("web:group_request", args=[slot.tour.site.code]),
        REQUEST,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    group = GroupVisit.objects.get()
    assert group.language == "zh-hans"
    assert "团体参观申请已收到" in _body(group, "group.requested")
    # The decision, taken by staff working in English, is still in Chinese.
    with translation.override("en"):
        services.approve_visit(group, slot=slot, actor=None)
    assert "您的团体参观已获批准" in _body(group, "group.approved")


def test_my_entries_shows_a_signed_in_organisers_requests_with_their_state(
    client: Client, slot: Slot, visitor: Visitor, other_visitor: Visitor
) -> None:
    client.force_login(visitor.user)
    client.post(
        reverse("web:group_request", args=[slot.tour.site.code]),
        REQUEST,
    )
    group = GroupVisit.objects.get()
    assert group.requested_by == visitor
    page = client.get(reverse("web:my_entries")).content.decode()
    assert "北京第一中学" in page and reverse("web:group", args=[group.code]) in page
    assert "requested: waiting for the operator&#x27;s decision" in page
    services.approve_visit(group, slot=slot, actor=None)
    page = client.get(reverse("web:my_entries")).content.decode()
    assert f"approved for {slot.label}" in page
    client.force_login(other_visitor.user)
    assert "北京第一中学" not in client.get(reverse("web:my_entries")).content.decode()
