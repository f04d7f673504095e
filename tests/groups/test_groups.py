from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from tests.support import (
    drawn_round,
    make_round,
    make_site,
    make_slots,
    make_tour,
    request_group,
    resident_id,
    sign_in_staff,
)
from tourdraw.groups import services
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery import drawing, rounds
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.rounds import RoundError
from tourdraw.visits import capacity
from tourdraw.visits.gate import GateRefusal

HEADER = "full_name,id_type,id_number,birth_date\n"


@pytest.fixture
def slot(db):
    tour = make_tour()
    return make_slots(tour, timezone.localdate() + timedelta(days=12), capacity=60)[0]


def test_a_request_larger_than_the_site_allows_is_refused(db):
    with pytest.raises(services.GroupError) as error:
        request_group(make_site(), size=61)
    assert error.value.code == "group_size" and error.value.field == "size"
    assert "1 to 60 persons" in str(error.value)


def test_approval_keeps_places_out_of_the_slots_lottery_capacity(slot, visitor):
    group = services.approve_visit(request_group(slot.tour.site, 30), slot=slot, actor=None)
    assert group.state == "approved"
    assert capacity.free_places(slot) == 30
    round = make_round(slot.tour, slots=[slot])
    enter_round(round, visitor, choices=[slot.pk])
    rounds.close_round(round, now=timezone.now())
    record = drawing.draw_inputs(round)
    assert record.slots == [{"code": slot.code, "capacity": 30}]


def test_approval_never_goes_over_capacity(slot):
    services.approve_visit(request_group(slot.tour.site, 40), slot=slot, actor=None)
    with pytest.raises(services.GroupError) as error:
        services.approve_visit(request_group(slot.tour.site, 30), slot=slot, actor=None)
    assert error.value.code == "not_enough_places"
    assert "has 20 places free; this group needs 30" in str(error.value)


def test_no_group_takes_places_in_a_slot_whose_round_has_closed(db):
    """The closing statement published the slot's lottery capacity; a group
    approved after it would take places the draw and the waitlist count on."""
    _, slot, _ = drawn_round(10, [3, 3], [])
    with pytest.raises(RoundError) as error:
        services.approve_visit(request_group(slot.tour.site, 4), slot=slot, actor=None)
    assert error.value.code == "round_sealed" and error.value.field == "slot"
    assert "sealed by its closing statement" in str(error.value)
    assert not GroupVisit.objects.filter(state="approved").exists()


def test_a_decline_needs_a_reason(slot):
    group = request_group(slot.tour.site)
    with pytest.raises(services.GroupError) as error:
        services.decline_visit(group, reason=" ", actor=None)
    assert error.value.code == "reason_required"
    assert (
        services.decline_visit(group, reason="Fully booked in July", actor=None).state == "declined"
    )


def _row(name: str, birth: date, sequence: int, region: str = "110101") -> str:
    return f"{name},cn_resident,{resident_id(birth, region, sequence)},\n"


def test_a_member_list_is_validated_row_by_row_and_nothing_is_saved_on_error(slot):
    group = services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    young = slot.visit_date.replace(year=slot.visit_date.year - 5)
    csv_text = (
        HEADER
        + _row("李明", date(2005, 1, 1), 1)
        + "王芳,cn_resident,11010519491231002,\n"
        + _row("张小", young, 3)
        + _row("李明二", date(2005, 1, 1), 1)
    )
    with pytest.raises(services.GroupError) as error:
        services.upload_members(group, csv_text)
    visit_day = formats.date_format(slot.visit_date, "DATE_FORMAT")
    assert [str(e) for e in error.value.errors] == [
        "Row 3 (王芳): A resident ID number has 18 characters; this one has 17.",
        f"Row 4 (张小) will be 5 on {visit_day}; everyone must be at least 6 on the day of the "
        "visit.",
        "Row 5 (李明二) has the same ID document as Row 2 (李明); each person comes once.",
    ]
    assert not group.members.exists()


def test_a_valid_member_list_is_saved_masked(slot):
    group = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    members = services.upload_members(
        group, HEADER + _row("李明", date(2005, 1, 1), 1) + _row("王芳", date(2006, 2, 2), 2)
    )
    assert [m.full_name for m in members] == ["李明", "王芳"]
    assert members[0].id_masked.startswith("******")


def test_a_member_list_cannot_exceed_the_approved_size(slot):
    group = services.approve_visit(request_group(slot.tour.site, 1), slot=slot, actor=None)
    with pytest.raises(services.GroupError) as error:
        services.upload_members(
            group, HEADER + _row("李明", date(2005, 1, 1), 1) + _row("王芳", date(2006, 2, 2), 2)
        )
    assert "approved for 1" in str(error.value.errors[-1])


def test_a_person_appears_once_per_session_across_groups(slot):
    first = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    second = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    services.upload_members(first, HEADER + _row("李明", date(2005, 1, 1), 1))
    with pytest.raises(services.GroupError) as error:
        services.upload_members(second, HEADER + _row("李明", date(2005, 1, 1), 1))
    assert [str(e) for e in error.value.errors] == [
        "Row 2 (李明) is already in another party; each person comes in one party only."
    ]
    assert error.value.problems[0].code == "person_already_booked"


def test_a_group_is_checked_in_by_list_at_the_gate(slot, client, gate_staff):
    site = slot.tour.site
    site.arrival_opens_minutes = 60 * 24 * 15  # the test runs twelve days ahead
    site.save()
    slot.refresh_from_db()
    group = services.approve_visit(request_group(site, 3), slot=slot, actor=None)
    members = services.upload_members(
        group, HEADER + _row("李明", date(2005, 1, 1), 1) + _row("王芳", date(2006, 2, 2), 2)
    )
    sign_in_staff(client, gate_staff)
    page = client.get(reverse("backoffice:gate", args=[slot.pk])).content.decode()
    assert "港澳青年代表团" in page and "李明" in page
    client.post(
        reverse("backoffice:gate_group_check_in", args=[slot.pk, group.pk]),
        {"member": [members[0].pk]},
    )
    statuses = list(group.members.order_by("position").values_list("checked_in_at", flat=True))
    assert statuses[0] is not None and statuses[1] is None


def test_a_group_is_refused_at_another_session(slot):
    other = make_slots(slot.tour, slot.visit_date + timedelta(days=1))[0]
    group = services.approve_visit(request_group(slot.tour.site, 3), slot=slot, actor=None)
    with pytest.raises(GateRefusal) as refusal:
        services.check_in_members(group, [], slot=other, gate="East", staff=None)
    assert refusal.value.code == "wrong_day"  # as a party ticket's would be


def test_the_request_and_leader_pages(client, slot):
    site = slot.tour.site
    response = client.post(
        reverse("web:group_request", args=[site.code]),
        {
            "organisation": "北京第一中学",
            "contact_name": "王老师",
            "contact_phone": "13912345678",
            "size": 25,
            "preferred_dates": "May",
            "purpose": "Study tour",
        },
    )
    group = GroupVisit.objects.get()
    assert response["Location"] == reverse("web:group", args=[group.code])
    services.approve_visit(group, slot=slot, actor=None)
    preview = client.post(
        reverse("web:group", args=[group.code]),
        {"members": HEADER + _row("李明", date(2005, 1, 1), 1)},
    )
    assert preview.status_code == 200 and not group.members.exists()
    upload = client.post(
        reverse("web:group", args=[group.code]), {"save": preview.context["preview_token"]}
    )
    assert upload.status_code == 302
    assert "******" in client.get(reverse("web:group", args=[group.code])).content.decode()


def test_an_operator_decides_only_their_own_sites_groups(
    client, slot, site_operator, other_site_operator
):
    group = request_group(slot.tour.site, 10)
    sign_in_staff(client, other_site_operator)
    assert client.get(reverse("backoffice:group", args=[group.pk])).status_code == 404
    assert (
        client.post(
            reverse("backoffice:group", args=[group.pk]),
            {"decision": "decline", "reason": "x", "confirm": "yes"},
        ).status_code
        == 404
    )
    sign_in_staff(client, site_operator)
    client.post(
        reverse("backoffice:group", args=[group.pk]), {"decision": "approve", "slot": slot.pk}
    )
    assert GroupVisit.objects.get().state == "approved"
