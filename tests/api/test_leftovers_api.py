"""Leftover places in the API: the list, the claim, its refusals and its limit."""

from datetime import date

import pytest

from tests.support import api_token_headers, drawn_round, make_visitor
from tourdraw.visits import leftovers
from tourdraw.visits.models import Offer

API = "/api/v1"


@pytest.fixture
def opened(db, site_operator):
    round, slot, entries = drawn_round(10, [2, 2, 2], [])
    leftovers.open_leftovers(slot, actor=site_operator)
    return round, slot, entries


@pytest.fixture
def claimant(db):
    return make_visitor("+8613722223333", name="孙悟", birth_date=date(1988, 8, 8), sequence=77)


def _claim(client, round, slot, headers, body, key="claim-1"):
    return client.post(
        f"{API}/rounds/{round.code}/leftovers/{slot.pk}/claims",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


def test_open_leftovers_are_listed(client, opened):
    round, slot, _ = opened
    [shown] = client.get(f"{API}/rounds/{round.code}/leftovers").json()
    assert shown["slot"]["code"] == slot.code and shown["free_places"] == 4


def test_a_claim_answers_the_ticket_and_a_replay_answers_it_again(client, opened, claimant):
    round, slot, _ = opened
    headers = api_token_headers(claimant.user)
    first = _claim(client, round, slot, headers, {"accept_rules": True})
    assert first.status_code == 201
    ticket = first.json()
    assert ticket["state"] == "valid" and ticket["persons"] == 1 and ticket["qr_payload"]
    again = _claim(client, round, slot, headers, {"accept_rules": True})
    assert again.status_code == 201 and again.json()["code"] == ticket["code"]
    assert Offer.objects.filter(source="leftover").count() == 1
    another = _claim(client, round, slot, headers, {"accept_rules": True}, key="claim-2")
    assert another.status_code == 400
    assert another.json()["code"] == "person_already_booked"


def test_a_claim_for_a_slot_not_open_names_why(client, db, claimant):
    round, slot, _ = drawn_round(10, [2, 2], [])
    answer = _claim(client, round, slot, api_token_headers(claimant.user), {"accept_rules": True})
    assert answer.status_code == 400 and answer.json()["code"] == "leftovers_not_open"


def test_claims_over_the_limit_get_429(client, opened, claimant, settings):
    settings.TOURDRAW_LEFTOVER_CLAIM_RATE = "1/m"
    round, slot, _ = opened
    headers = api_token_headers(claimant.user)
    refused = _claim(client, round, slot, headers, {"accept_rules": False}, key="a")
    assert refused.json()["code"] == "rules_not_accepted"
    limited = _claim(client, round, slot, headers, {"accept_rules": True}, key="b")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert limited["Retry-After"] == "60"
    assert not Offer.objects.filter(source="leftover").exists()
