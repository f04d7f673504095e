import re

import pytest
from django.urls import reverse

from tests.support import resident_id
from tourdraw.lottery.entries import enter_round
from tourdraw.lottery.models import Entry

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def _pages(round, entry=None):
    urls = [
        reverse("web:home"),
        reverse("web:site", args=[round.tour.site.code]),
        reverse("web:round", args=[round.code]),
        reverse("web:sign_in"),
        reverse("web:privacy"),
    ]
    if entry is not None:
        urls += [
            reverse("web:profile"),
            reverse("web:my_data"),
            reverse("web:delete_account"),
            reverse("web:my_entries"),
            reverse("web:entry_detail", args=[entry.code]),
            reverse("web:entry_change", args=[entry.code]),
        ]
    return urls


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_renders_in_both_languages_and_loads_nothing_from_other_hosts(
    client,
    round,
    visitor,
    language,
):
    entry = enter_round(round, visitor, choices=[round.slots.first().pk])
    client.force_login(visitor.user)
    client.cookies["django_language"] = language
    for url in _pages(round, entry):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert not EXTERNAL.search(html), url
        assert 'name="viewport"' in html
        expected = "zh-CN" if language == "zh-hans" else "en"
        assert f'<html lang="{expected}">' in html


def test_the_chinese_round_page_is_in_chinese(client, round):
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert "第1轮" in html
    assert "参观须知" in html


def test_the_round_page_shows_slots_capacity_entries_and_commitment(client, round, visitor):
    slot = round.slots.order_by("starts_at").first()
    enter_round(round, visitor, choices=[slot.pk])
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert round.commitment in html
    assert "09:30" in html and ">60<" in html
    assert "Visit rules" in html


def test_entering_through_the_form_shows_each_error_next_to_its_field(client, round, visitor):
    client.force_login(visitor.user)
    slot = round.slots.order_by("starts_at").first()
    response = client.post(
        reverse("web:enter", args=[round.code]),
        {
            "choice_1": slot.pk,
            "choice_2": slot.pk,
            "companion_0_full_name": "王小宝",
            "companion_0_id_type": "cn_resident",
            "companion_0_id_number": "110101201901011234",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "more than once" in form.errors["choice_2"][0]
    assert form.errors["companion_0_id_number"][0].startswith("王小宝: ")
    assert not Entry.objects.exists()


def test_a_visitor_enters_changes_and_withdraws_through_the_pages(client, round, visitor):
    client.force_login(visitor.user)
    first, second = round.slots.order_by("starts_at")[:2]
    response = client.post(
        reverse("web:enter", args=[round.code]),
        {
            "choice_1": first.pk,
            "companion_0_full_name": "陈静",
            "companion_0_id_type": "cn_resident",
            "companion_0_id_number": resident_id(
                __import__("datetime").date(1979, 11, 30), sequence=88
            ),
        },
    )
    entry = Entry.objects.get()
    assert response["Location"] == reverse("web:entry_detail", args=[entry.code])
    change_url = reverse("web:entry_change", args=[entry.code])
    form = client.get(change_url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"choice_1": second.pk, "choice_2": first.pk})
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert [c.slot_id for c in entry.choices.order_by("rank")] == [second.pk, first.pk]
    assert entry.members.count() == 2
    client.post(reverse("web:entry_withdraw", args=[entry.code]), {"confirm": "yes"})
    assert Entry.objects.get().state == Entry.State.WITHDRAWN


def test_a_visitor_cannot_see_anothers_entry(client, round, visitor, other_visitor):
    entry = enter_round(round, other_visitor, choices=[round.slots.first().pk])
    client.force_login(visitor.user)
    for name in ("web:entry_detail", "web:entry_change"):
        assert client.get(reverse(name, args=[entry.code])).status_code == 404
    withdraw = reverse("web:entry_withdraw", args=[entry.code])
    assert client.post(withdraw, {"confirm": "yes"}).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, round):
    response = client.get(reverse("web:enter", args=[round.code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:sign_in"))
