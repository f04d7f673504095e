"""The round page's leftover places, the claim form and its answer."""

import os
from datetime import date

import pytest
from django.urls import reverse

from tests.support import drawn_round, make_visitor, resident_id
from tourdraw.visits import capacity, leftovers
from tourdraw.visits.models import Offer


@pytest.fixture
def opened(db, site_operator):
    round, slot, entries = drawn_round(10, [2, 2, 2], [])
    leftovers.open_leftovers(slot, actor=site_operator)
    return round, slot, entries


@pytest.fixture
def claimant(db):
    return make_visitor("+8613711112222", name="赵敏", birth_date=date(1992, 5, 5), sequence=42)


def _claim_url(round, slot) -> str:
    return reverse("web:leftover_claim", args=[round.code, slot.pk])


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Leftover places", "Claim places", "Places left"]), ("zh-hans", ["剩余名额"])],
)
def test_the_round_page_shows_open_leftovers_with_a_claim_link(client, opened, language, words):
    round, slot, _ = opened
    client.cookies["django_language"] = language
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    for word in words:
        assert word in html
    assert _claim_url(round, slot) in html


def test_the_round_page_shows_no_leftovers_before_they_open(client, db):
    round, _, _ = drawn_round(10, [2, 2, 2], [])
    html = client.get(reverse("web:round", args=[round.code])).content.decode()
    assert "Leftover places" not in html


def test_a_claim_on_the_page_gives_the_ticket(signed_in, opened, claimant):
    round, slot, _ = opened
    client = signed_in(claimant.user)
    form = client.get(_claim_url(round, slot))
    assert form.status_code == 200 and "4 places left" in form.content.decode()
    answer = client.post(
        _claim_url(round, slot),
        {
            "companion_0_full_name": "赵小明",
            "companion_0_id_type": "cn_resident",
            "companion_0_id_number": resident_id(date(1990, 2, 2), "310101", 8),
            "accept_rules": "on",
        },
        follow=True,
    )
    offer = Offer.objects.get(source="leftover")
    assert answer.redirect_chain[-1][0] == reverse("web:ticket", args=[offer.ticket.code])
    assert "The places are yours" in answer.content.decode()
    assert offer.persons == 2 and capacity.free_places(slot) == 2


def test_a_refused_claim_names_the_person_and_the_rule(signed_in, opened):
    round, slot, entries = opened
    winner = entries[0].visitor
    answer = signed_in(winner.user).post(_claim_url(round, slot), {"accept_rules": "on"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert winner.self_person.full_name in html and "one party only" in html
    assert not Offer.objects.filter(source="leftover").exists()


@pytest.fixture(params=["database", "redis"])
def limits_store(request, settings):
    """The limits' store: the database (the embedded default) or Redis, which a
    platform of several servers shares (TOURDRAW_TEST_REDIS_URL)."""
    if request.param == "redis":
        url = os.environ.get("TOURDRAW_TEST_REDIS_URL")
        if not url:
            pytest.skip("needs Redis (set TOURDRAW_TEST_REDIS_URL)")
        settings.CACHES = {"default": {"BACKEND": "tourdraw.cache.RedisCache", "LOCATION": url}}
        from django.core.cache import cache

        cache.clear()
    return request.param


def test_claims_over_the_rate_limit_get_429_and_the_page(
    signed_in, opened, claimant, settings, limits_store
):
    settings.TOURDRAW_LEFTOVER_CLAIM_RATE = "2/m"
    round, slot, _ = opened
    client = signed_in(claimant.user)
    # Without the rules accepted each claim is refused, and still counted.
    statuses = [client.post(_claim_url(round, slot), {}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.post(_claim_url(round, slot), {"accept_rules": "on"})
    assert limited.status_code == 429 and limited["Retry-After"] == "60"
    assert "Too many requests" in limited.content.decode()
    assert "Please wait 60 seconds and try again." in limited.content.decode()
    assert not Offer.objects.filter(source="leftover").exists()


def test_a_leftover_partys_pages_show_the_ticket_and_no_draw_receipt(signed_in, opened, claimant):
    _, slot, _ = opened
    ticket = leftovers.claim_leftover(slot, claimant, accepted_rules=True)
    client = signed_in(claimant.user)
    code = ticket.offer.entry.code
    assert client.get(reverse("web:my_entries")).status_code == 200
    page = client.get(reverse("web:entry_detail", args=[code])).content.decode()
    assert "claimed after the draw" in page and "Download the receipt" not in page
    assert client.get(reverse("web:entry_receipt", args=[code])).status_code == 404
    shown = client.get(reverse("web:ticket", args=[ticket.code])).content.decode()
    assert claimant.self_person.full_name in shown
