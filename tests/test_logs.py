"""Logs never carry sign-in codes, ticket links, phone numbers or document numbers.

Real requests (sign-in, profiles with each document type, ticket pages, pages
that do not exist with a number in their address) run outside development with
the configured console handler captured: what it writes is what an operator's
log collector would keep.
"""

import io
import logging
import re

import pytest
from django.urls import reverse

from tests.support import drawn_round, present
from tourdraw.people import consent
from tourdraw.visits.models import Offer
from tourdraw.visits.offers import confirm_offer

PHONE = "13987654321"
PASSPORT = "E73920481"
HK_PERMIT = "H60718294"
TW_PERMIT = "83920174"


@pytest.fixture
def console():
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)


def _sign_in(client, sent) -> str:
    client.post(reverse("web:sign_in"), {"phone": PHONE})
    code = present(re.search(r"\b(\d{6})\b", sent[-1].body)).group(1)
    client.post(reverse("web:sign_in_code"), {"code": "000000" if code != "000000" else "111111"})
    assert client.post(reverse("web:sign_in_code"), {"code": code}).status_code == 302
    return code


def test_requests_outside_development_log_no_code_link_phone_or_document(
    client, sent, console, settings, transactional_db
):
    settings.DEVELOPMENT = False
    code = _sign_in(client, sent)
    for doc_type, number in (("passport", PASSPORT), ("hk_mo_permit", HK_PERMIT)):
        client.post(
            reverse("web:profile"),
            {
                "full_name": "王建国",
                "id_type": doc_type,
                "id_number": number,
                "birth_date": "1980-01-01",
                "consent-version": consent.current_version(),
                "consent-accept_notice": "on",
                "consent-accept_sensitive": "on",
            },
        )
    _, _, entries = drawn_round(4, [2], [])
    ticket = confirm_offer(
        Offer.objects.get(entry=entries[0]), actor=None, accepted_rules=True, via="online"
    )
    client.force_login(entries[0].visitor.user)
    assert client.get(reverse("web:ticket", args=[ticket.code])).status_code == 200
    # Addresses that do not exist are logged ("Not Found: ..."), numbers and all.
    for path in (
        f"/tickets/{ticket.code}x/",
        f"/me/entries/{PASSPORT}/",
        f"/me/entries/{TW_PERMIT}/",
        f"/nowhere/{HK_PERMIT}/{PHONE}/",
    ):
        assert client.get(path).status_code == 404

    written = console.getvalue()
    assert "Not Found" in written  # the handler does see the requests
    for secret in (code, PHONE, PASSPORT, HK_PERMIT, TW_PERMIT, ticket.code):
        assert secret not in written, secret
