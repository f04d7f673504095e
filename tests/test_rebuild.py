"""An attacker with a copy of the database and no keys rebuilds no ID number.

The database is filled through the real pages and services (sign-in by SMS
code, profiles and companions of every document type, a group's member list,
a draw, a confirmed ticket); every table is dumped, sessions decoded, and the
attack the issue describes is run on each row: head digits, a birth date and
a tail beside each other make a resident ID number.
"""

import io
import logging
import re
from datetime import date, timedelta
from itertools import product

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests.support import (
    draw_with_beacon,
    make_round,
    make_slots,
    make_tour,
    present,
    request_group,
    resident_id,
)
from tourdraw.groups import services as group_services
from tourdraw.lottery import rounds
from tourdraw.lottery.models import Entry
from tourdraw.people import consent, documents, retention, rights
from tourdraw.visits.models import Offer

PHONES = ["+8613912345678", "+8613887654321", "+8615011223344"]
# (type, number, birth date): one of each document type, several resident IDs.
PROFILES = [
    ("cn_resident", resident_id(date(1985, 3, 14), "110105", 421), date(1985, 3, 14)),
    ("passport", "E73920481", date(1979, 8, 2)),
    ("hk_mo_permit", "H60718294", date(1991, 12, 9)),
]
COMPANIONS = [
    ("cn_resident", resident_id(date(1962, 10, 1), "440305", 537), None),
    ("tw_permit", "83920174", date(2001, 4, 18)),
    ("cn_resident", resident_id(date(2016, 6, 30), "320102", 88), None),
]
GROUP = [resident_id(date(2005, 1, 5 + k), "510104", 300 + k) for k in range(3)]


def _documents() -> list[tuple[str, str, date]]:
    found = []
    for doc_type, number, born in [*PROFILES, *COMPANIONS]:
        found.append(
            (
                doc_type,
                number,
                born or date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            )
        )
    found += [("cn_resident", number, date(2005, 1, 5 + k)) for k, number in enumerate(GROUP)]
    return found


@pytest.fixture
def console_log():
    """What the configured console handler (with its redacting filter) writes."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(old)


def _sign_in(client, phone: str, sent) -> str:
    client.post(reverse("web:sign_in"), {"phone": phone})
    code = present(re.search(r"\b(\d{6})\b", sent[-1].body)).group(1)
    response = client.post(reverse("web:sign_in_code"), {"code": code})
    assert response.status_code == 302, response.content
    return code


def _fill(client, sent, round, slot) -> list[str]:
    codes = []
    for phone, (doc_type, number, born), companion in zip(
        PHONES, PROFILES, COMPANIONS, strict=True
    ):
        client.logout()
        codes.append(_sign_in(client, phone, sent))
        profile = {
            "full_name": "王建国",
            "id_type": doc_type,
            "id_number": number,
            "consent-version": consent.current_version(),
            "consent-accept_notice": "on",
            "consent-accept_sensitive": "on",
        }
        if doc_type != "cn_resident":
            profile["birth_date"] = born.isoformat()
        assert client.post(reverse("web:profile"), profile).status_code == 302
        c_type, c_number, c_born = companion
        entry = {
            "choice_1": slot.pk,
            "companion_0_full_name": "陈静",
            "companion_0_id_type": c_type,
            "companion_0_id_number": c_number,
        }
        if c_born:
            entry["companion_0_birth_date"] = c_born.isoformat()
        entry["companion_0_guardian"] = "on"  # the third companion is a child
        response = client.post(reverse("web:enter", args=[round.code]), entry)
        assert response.status_code == 302, response.content.decode()[-2000:]
    return codes


def _group(slot) -> None:
    group = group_services.approve_visit(request_group(slot.tour.site, 5), slot=slot, actor=None)
    rows = "".join(f"学生{k},cn_resident,{number},\n" for k, number in enumerate(GROUP))
    group_services.upload_members(group, "full_name,id_type,id_number,birth_date\n" + rows)


def _dump() -> list[str]:
    """Every row of every table as text, sessions decoded as an attacker would."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows += [" | ".join(map(str, row)) for row in cursor.fetchall()]
    rows += [repr(SessionStore().decode(s.session_data)) for s in _sessions()]
    return rows


def _sessions():
    return apps.get_model("sessions", "Session").objects.all()


_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")


def _rebuild(row: str) -> set[str]:
    """The issue's attack on one row: every head of six digits, every date and
    every visible tail of a mask, put together and kept if the checksum holds."""
    heads = {run[:6] for run in re.findall(r"\d{6,}", row)}
    dates = {"".join(match) for match in _DATE.findall(row)}
    tails = set(re.findall(r"\*+([0-9X]{4})\b", row))
    rebuilt = set()
    for head, born, tail in product(heads, dates, tails):
        first17 = head + born + tail[:3]
        if documents.cn_check_character(first17) == tail[3]:
            rebuilt.add(first17 + tail[3])
    return rebuilt


def _bounded(needle: str, text: str) -> bool:
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(needle)}(?![0-9A-Za-z])", text) is not None


def test_a_copy_of_the_database_rebuilds_no_id_number_and_holds_no_contact_in_clear(
    client, sent, console_log, caplog, transactional_db
):
    caplog.set_level(logging.DEBUG)
    tour = make_tour()
    slot = make_slots(tour, timezone.localdate() + timedelta(days=12), capacity=60)[0]
    round = make_round(tour, slots=[slot])
    codes = _fill(client, sent, round, slot)
    _group(slot)
    rounds.close_round(round, now=timezone.now())
    draw_with_beacon(round)
    offer = present(Offer.objects.filter(entry__round=round).first())
    client.force_login(offer.entry.visitor.user)
    confirmed = client.post(
        reverse("web:offer_confirm", args=[offer.entry.code]), {"accept_rules": "on"}
    )
    assert confirmed.status_code == 302
    ticket_page = client.get(confirmed["Location"])
    assert ticket_page.status_code == 200 and Entry.objects.count() == 3
    # Erasures: one visitor deletes their account, the group's visit passes.
    leaving = present(Entry.objects.exclude(visitor=offer.entry.visitor).first()).visitor
    rights.delete_account(leaving, now=timezone.now())
    retention.erase_group_members_due(slot.starts_at + timedelta(days=31))

    rows = _dump()
    text = "\n".join(rows)
    assert "陈静" in text and "王建国" in text  # the dump does see the people

    every = _documents()
    numbers = {number for _, number, _ in every}
    rebuilt = set().union(*(_rebuild(row) for row in rows))
    assert rebuilt & numbers == set(), "rebuilt from the dump"
    # Nor from the whole dump at once: no head of any number is stored.
    for doc_type, number, born in every:
        assert number not in text and not _bounded(number[:-4], text), doc_type
        if doc_type == "cn_resident":
            assert born.isoformat() not in text and f"{born:%Y%m%d}" not in text
    for phone in PHONES:
        assert phone[3:] not in text
    for code in codes:
        assert not _bounded(code, text)

    # Neither do the logs: what the handlers got, and what they wrote.
    logged = console_log.getvalue() + caplog.text
    for _, number, _ in every:
        assert number not in logged
    for phone in PHONES:
        assert phone[3:] not in logged
    for code in codes:
        assert not _bounded(code, logged)
