"""A site's notices: which apply to a tour, in which language, the operator's
changes (checked and audited), and where visitors are shown them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.support import drawn_round, make_round, make_site, make_slots, make_tour, request_group
from tourdraw.audit.models import LogEntry
from tourdraw.catalog import notices
from tourdraw.catalog.models import Notice
from tourdraw.catalog.notices import NoticeText
from tourdraw.groups import services as group_services
from tourdraw.notify.models import OutboxMessage
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import confirm_offer

PHONES = NoticeText(
    "phones", "参观期间手机须装入密封袋。", "Phones are sealed in a bag during the tour."
)
SHOES = NoticeText("dress", "请穿包头平底鞋。", "Wear closed, flat shoes.")


def _add(site, written=PHONES, **changes):
    fields = {**written.__dict__, **changes}
    return notices.add_notice(site, NoticeText(**fields), actor=None)


def test_a_site_notice_applies_to_every_tour_and_a_tour_notice_to_its_tour_only(db):
    site = make_site()
    factory, museum = make_tour(site), make_tour(site, code="museum", name="博物馆")
    elsewhere = make_tour(make_site("nio", name="蔚来"))
    _add(site, order=2)
    _add(site, SHOES, tour=museum, order=1)
    _add(site, NoticeText("other", "停用的", "Withdrawn"), active=False)
    _add(elsewhere.site, NoticeText("other", "蔚来的", "NIO's"))

    assert [n.text_en for n in notices.for_tour(factory)] == [PHONES.text_en]
    assert [n.text_en for n in notices.for_tour(museum)] == [SHOES.text_en, PHONES.text_en]
    assert [n.text_en for n in notices.for_tour(elsewhere)] == ["NIO's"]


def test_notices_are_read_in_the_readers_language(db):
    tour = make_tour()
    _add(tour.site)
    assert notices.lines(tour, "en") == [PHONES.text_en]
    assert notices.lines(tour, "zh-hans") == [PHONES.text]
    [english] = notices.shown(tour, "en")
    [chinese] = notices.shown(tour, "zh-hans")
    assert (english.kind_label, chinese.kind_label) == ("phones", "手机")


@pytest.mark.parametrize(
    ("changes", "field", "code", "says"),
    [
        ({"text": "  "}, "text", "required", "Write the notice's Chinese text."),
        ({"text_en": ""}, "text_en", "required", "Write the notice's English text too"),
        ({"text": "长" * 301}, "text", "too_long", "The Chinese text has 301 characters"),
        ({"text_en": "x" * 400}, "text_en", "too_long", "The English text has 400 characters"),
        ({"kind": "snacks"}, "kind", "invalid_choice", "Choose the kind of notice"),
        ({"order": 1000}, "order", "invalid", "from 0 to 999"),
    ],
)
def test_a_notice_is_refused_saying_which_text_is_wrong(db, changes, field, code, says):
    site = make_site()
    with pytest.raises(notices.NoticeError) as error:
        _add(site, **changes)
    assert (error.value.field, error.value.code) == (field, code)
    assert says in str(error.value)
    assert not Notice.objects.exists()


def test_a_notice_cannot_name_another_sites_tour(db):
    other_tour = make_tour(make_site("nio", name="蔚来"))
    with pytest.raises(notices.NoticeError) as error:
        _add(make_site(), tour=other_tour)
    assert (error.value.field, error.value.code) == ("tour", "wrong_site")


def test_each_change_to_a_notice_is_audited_with_its_actor_and_text(db, site_operator, site):
    notice = notices.add_notice(site, PHONES, actor=site_operator)
    notices.change_notice(
        notice,
        NoticeText("phones", PHONES.text, "Phones stay in a sealed bag."),
        actor=site_operator,
    )
    notices.remove_notice(notice, actor=site_operator)
    log = list(LogEntry.objects.filter(object_type="catalog.notice").order_by("pk"))
    assert [entry.action for entry in log] == [
        "tourdraw.notice.added",
        "tourdraw.notice.changed",
        "tourdraw.notice.removed",
    ]
    assert all(entry.actor == site_operator and entry.site_id == site.pk for entry in log)
    assert log[0].data["text_en"] == PHONES.text_en
    assert log[1].data["changes"] == {
        "text_en": {"before": PHONES.text_en, "after": "Phones stay in a sealed bag."}
    }
    assert not Notice.objects.exists()


# The back office


def _notices_url(site):
    return reverse("backoffice:notices", args=[site.code])


def test_an_operator_adds_edits_and_removes_a_notice_on_the_page(signed_in, site_operator, site):
    client = signed_in(site_operator)
    response = client.post(
        _notices_url(site),
        {
            "kind": "phones",
            "text": PHONES.text,
            "text_en": PHONES.text_en,
            "order": 0,
            "active": "on",
        },
    )
    assert response.status_code == 302
    notice = Notice.objects.get(site=site)
    assert PHONES.text_en in client.get(_notices_url(site)).content.decode()
    edit = reverse("backoffice:notice_edit", args=[site.code, notice.pk])
    client.post(edit, {"kind": "dress", "text": SHOES.text, "text_en": SHOES.text_en, "order": 3})
    notice.refresh_from_db()
    assert (notice.kind, notice.text_en, notice.order, notice.active) == (
        "dress",
        SHOES.text_en,
        3,
        False,
    )
    remove = reverse("backoffice:notice_remove", args=[site.code, notice.pk])
    asked = client.post(remove)
    assert asked.status_code == 200 and Notice.objects.exists()
    assert client.post(remove, {"confirm": "yes"}).status_code == 302
    assert not Notice.objects.exists()


def test_the_page_says_which_text_is_missing_or_too_long(signed_in, site_operator, site):
    client = signed_in(site_operator)
    missing = client.post(_notices_url(site), {"kind": "phones", "text": "手机", "order": 0})
    assert missing.status_code == 400
    assert "Write the notice&#x27;s English text too" in missing.content.decode()
    long = client.post(
        _notices_url(site), {"kind": "phones", "text": "长" * 301, "text_en": "x", "order": 0}
    )
    assert long.status_code == 400
    assert "The Chinese text has 301 characters" in long.content.decode()
    assert not Notice.objects.exists()


def test_an_operator_of_another_site_can_neither_see_nor_change_its_notices(
    signed_in, other_site_operator, site, gate_staff
):
    notice = _add(site)
    client = signed_in(other_site_operator)
    edit = reverse("backoffice:notice_edit", args=[site.code, notice.pk])
    remove = reverse("backoffice:notice_remove", args=[site.code, notice.pk])
    assert client.get(_notices_url(site)).status_code == 404
    assert (
        client.post(
            _notices_url(site), {"kind": "other", "text": "x", "text_en": "x", "order": 0}
        ).status_code
        == 404
    )
    assert (
        client.post(edit, {"kind": "other", "text": "x", "text_en": "x", "order": 0}).status_code
        == 404
    )
    assert client.post(remove, {"confirm": "yes"}).status_code == 404
    assert site.code not in client.get(reverse("backoffice:sites")).content.decode()
    # The site's own gate staff do not operate it either.
    assert signed_in(gate_staff).get(_notices_url(site)).status_code == 403
    notice.refresh_from_db()
    assert notice.text_en == PHONES.text_en and Notice.objects.count() == 1


# Where visitors see them


def _confirmed_ticket():
    _, _, entries = drawn_round(6, [2], [])
    offer = Offer.objects.get(entry=entries[0])
    return confirm_offer(offer, actor=None, accepted_rules=True, via="online")


def test_the_ticket_page_shows_the_sites_notices_in_the_readers_language(client, db):
    ticket = _confirmed_ticket()
    tour = ticket.offer.slot.tour
    _add(tour.site)
    _add(tour.site, SHOES, tour=make_tour(tour.site, code="other-tour"))
    client.force_login(ticket.offer.entry.visitor.user)
    page = client.get(reverse("web:ticket", args=[ticket.code])).content.decode()
    assert PHONES.text_en in page and SHOES.text_en not in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("web:ticket", args=[ticket.code])).content.decode()
    assert PHONES.text in page and PHONES.text_en not in page


def test_the_ticket_message_lists_the_notices_in_the_visitors_language(db):
    _add(make_site())
    _, _, entries = drawn_round(6, [2, 2], [])
    for entry, language in zip(entries, ["en", "zh-hans"], strict=True):
        entry.visitor.user.language = language
        entry.visitor.user.save()
    for entry in entries:
        confirm_offer(Offer.objects.get(entry=entry), actor=None, accepted_rules=True, via="online")
    bodies = dict(
        OutboxMessage.objects.filter(topic="ticket.issued", kind="sms").values_list(
            "language", "body"
        )
    )
    assert bodies["en"].endswith(PHONES.text_en)
    assert bodies["zh-hans"].endswith(PHONES.text) and PHONES.text_en not in bodies["zh-hans"]


def test_the_round_and_entry_pages_show_the_notices(client, visitor, db):
    tour = make_tour()
    slots = make_slots(tour, timezone.localdate() + timedelta(days=12))
    round = make_round(tour, slots=slots)
    _add(tour.site)
    assert PHONES.text_en in client.get(reverse("web:round", args=[round.code])).content.decode()
    client.force_login(visitor.user)
    page = client.get(reverse("web:enter", args=[round.code])).content.decode()
    assert PHONES.text_en in page


def test_the_group_page_shows_the_notices_of_its_session(client, db):
    tour = make_tour()
    slot = make_slots(tour, timezone.localdate() + timedelta(days=12))[0]
    _add(tour.site)
    group = request_group(tour.site, 3)
    page = client.get(reverse("web:group", args=[group.code])).content.decode()
    assert PHONES.text_en not in page  # no session yet, so no tour to tell of
    group_services.approve_visit(group, slot=slot, actor=None)
    page = client.get(reverse("web:group", args=[group.code])).content.decode()
    assert PHONES.text_en in page


def test_the_round_in_the_api_lists_its_notices(client, db):
    tour = make_tour()
    round = make_round(tour, slots=make_slots(tour, timezone.localdate() + timedelta(days=12)))
    _add(tour.site)
    _add(tour.site, SHOES, tour=tour)
    body = client.get(f"/api/v1/rounds/{round.code}").json()
    assert body["notices"] == [
        {"kind": "phones", "tour": None, "text": PHONES.text, "text_en": PHONES.text_en},
        {"kind": "dress", "tour": tour.code, "text": SHOES.text, "text_en": SHOES.text_en},
    ]
    schema = client.get("/api/v1/openapi.json").json()
    assert "notices" in schema["components"]["schemas"]["RoundDetail"]["properties"]
