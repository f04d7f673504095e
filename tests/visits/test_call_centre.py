from django.urls import reverse

from tests.support import drawn_round, make_site, make_staff, present, sign_in_staff
from tourdraw.visits import calls
from tourdraw.visits.models import CallAttempt, Offer


def test_a_confirmation_on_the_phone_issues_the_ticket(call_centre_agent):
    _, _, entries = drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    calls.record_call(offer, agent=call_centre_agent, outcome="confirmed", note="ID checked")
    offer.refresh_from_db()
    assert offer.state == Offer.State.CONFIRMED and offer.confirmed_via == "call"
    assert offer.ticket.is_valid
    assert list(offer.calls.values_list("outcome", "note")) == [("confirmed", "ID checked")]


def test_a_decline_on_the_phone_frees_the_place(call_centre_agent):
    _, _, entries = drawn_round(2, [2], [2])
    calls.record_call(
        Offer.objects.get(entry=entries[0]), agent=call_centre_agent, outcome="declined"
    )
    assert Offer.objects.get(entry=entries[0]).state == Offer.State.DECLINED
    assert Offer.objects.get(entry=entries[1]).source == "waitlist"


def test_after_the_failed_calls_the_offer_leaves_the_queue_and_lapses(call_centre_agent, settings):
    settings.TOURDRAW_MAX_FAILED_CALLS = 2
    _, _, entries = drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    calls.record_call(offer, agent=call_centre_agent, outcome="no_answer")
    assert not calls.gave_up(calls.queue().get(pk=offer.pk))
    calls.record_call(offer, agent=call_centre_agent, outcome="wrong_number")
    assert calls.gave_up(calls.queue().get(pk=offer.pk))
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.PENDING  # until its deadline


def test_the_call_centre_page_lists_offers_by_deadline_with_the_party_masked(
    client, call_centre_agent
):
    _, _, entries = drawn_round(4, [2, 2], [])
    Offer.objects.filter(entry=entries[1]).update(
        deadline=Offer.objects.get(entry=entries[0]).deadline.replace(year=2020)
    )
    sign_in_staff(client, call_centre_agent)
    html = client.get(reverse("backoffice:call_centre")).content.decode()
    assert html.index(entries[1].code) < html.index(entries[0].code)
    person = present(entries[0].members.first()).person
    assert person.id_masked in html and person.id_number not in html


def test_recording_a_call_through_the_page(client, call_centre_agent):
    _, _, entries = drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    sign_in_staff(client, call_centre_agent)
    client.post(
        reverse("backoffice:record_call", args=[offer.pk]), {"outcome": "no_answer", "note": "busy"}
    )
    assert CallAttempt.objects.get().outcome == "no_answer"


def test_the_call_centre_is_closed_to_visitors_and_strangers(client, visitor, db):
    assert client.get(reverse("backoffice:call_centre")).status_code == 302
    client.force_login(visitor.user)
    assert client.get(reverse("backoffice:call_centre")).status_code == 403


def test_an_agent_of_another_site_neither_sees_nor_records_its_calls(client, db):
    _, _, entries = drawn_round(4, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    stranger = make_staff("nio-agent", "call_centre", make_site("nio", name="蔚来"))
    sign_in_staff(client, stranger)
    assert entries[0].code not in client.get(reverse("backoffice:call_centre")).content.decode()
    response = client.post(
        reverse("backoffice:record_call", args=[offer.pk]),
        {"outcome": "declined", "confirm": "yes"},
    )
    assert response.status_code == 404
    assert Offer.objects.get(pk=offer.pk).is_pending


def test_a_site_operator_and_a_platform_admin_work_the_call_centre(
    client, db, platform_admin, site_operator
):
    _, _, entries = drawn_round(4, [2], [])
    for user in (
        site_operator,
        platform_admin,
    ):
        sign_in_staff(client, user)
        assert entries[0].code in client.get(reverse("backoffice:call_centre")).content.decode()
