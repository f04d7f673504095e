"""Every message a Chinese visitor is sent (each SMS topic, the call script) and
every refusal the gate shows reads in Chinese: no English sentence inside.

The catalogue tests see only the texts makemessages extracts; a text marked in a
way it cannot read reaches visitors in English with Chinese dates inside. This
renders each message as a visitor gets it, so such a text cannot hide.
"""

import json
import re
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from tests import support
from tests.support import drawn_round, make_party_entry, make_round, make_slots, make_tour
from tourdraw.errors import DomainError
from tourdraw.groups.models import GroupVisit
from tourdraw.lottery.models import Entry, Round
from tourdraw.notify.models import OutboxMessage
from tourdraw.people.models import User
from tourdraw.people.sign_in import request_code, sign_in_phone
from tourdraw.visits import gate, notices, offers, signing, tickets
from tourdraw.visits.cancellation import cancel_slot
from tourdraw.visits.models import Offer, Ticket

# Two Latin words in a row: an English phrase, whatever surrounds it.
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’]*)+")
# What a Chinese message may hold in Latin letters: links, the brand, entry and
# ticket codes, and the abbreviations Chinese uses as they are.
_ALLOWED = re.compile(r"https?://\S+|\btourdraw\b|\b[A-Z0-9]{6,}\b|\bQR\b|\bID\b")
_CJK = re.compile(r"[\u4e00-\u9fff]")

CodeRun = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def english_in(text: str) -> list[str]:
    """The English phrases left in a message once what may stay Latin is taken out."""
    return _LATIN_RUN.findall(_ALLOWED.sub(" ", text))


def test_the_check_catches_an_english_sentence_around_chinese_dates() -> None:
    assert english_in("tourdraw: you have a place for 超级工厂参观 on 1月20日 for 2.") != []
    assert english_in("无效的参观凭证编号（not a tourdraw ticket code）。") != []
    link = "http://127.0.0.1:8000/e/K7Q2M9XR4P/"
    assert english_in(f"tourdraw：请在 2026年1月20日 前确认：{link} QR ID") == []


def _read_in_chinese(messages: dict[str, str]) -> None:
    assert messages
    english = {name: english_in(text) for name, text in messages.items()}
    assert {name: found for name, found in english.items() if found} == {}
    assert [name for name, text in messages.items() if not _CJK.search(text)] == []


def _outbox() -> dict[str, str]:
    return {
        f"{kind} {topic} #{pk}": body
        for pk, kind, topic, body in OutboxMessage.objects.values_list(
            "pk", "kind", "topic", "body"
        )
    }


def _all_chinese() -> None:
    User.objects.update(language="zh-hans")


def _offer(entry: Entry) -> Offer:
    return Offer.objects.select_related("entry__visitor__user", "slot__tour__site").get(
        entry=entry, state=Offer.State.PENDING
    )


@pytest.fixture
def chinese_round(db: None) -> Iterator[tuple[Round, list[Entry]]]:
    """A drawn round whose visitors all read Chinese: three winners, one waiting."""
    round, _, entries = drawn_round(6, [2, 2, 2], [2])
    _all_chinese()
    yield round, entries


def test_every_offer_and_ticket_message_and_the_call_script_read_in_chinese(
    chinese_round: tuple[Round, list[Entry]],
) -> None:
    round, (confirming, declining, lapsing, waiting) = chinese_round
    first = _offer(confirming)
    notices.offer_made(first)  # the call script and the SMS of a promotion
    winners = [
        notices.DrawWinner(
            entry_id=offer.entry_id,
            code=offer.entry.code,
            persons=offer.persons,
            slot=offer.slot,
            slot_id=offer.slot_id,
            deadline=offer.deadline,
        )
        for offer in Offer.objects.filter(entry__round=round).select_related("entry", "slot")
    ]
    notices.offers_made_by_draw(round, winners, now=timezone.now())  # the draw's own
    offers.remind_due_offers(first.deadline - timedelta(hours=1))
    ticket = offers.confirm_offer(first, actor=None, accepted_rules=True, via="online")
    offers.decline_offer(_offer(declining), actor=None)  # and the waiting party is promoted
    offers.expire_due_offers(_offer(lapsing).deadline)
    tickets.cancel_ticket(ticket, actor=None)
    topics = set(OutboxMessage.objects.values_list("kind", "topic"))
    assert topics == {
        ("voice", "offer.made"),
        ("sms", "offer.made"),
        ("sms", "offer.reminder"),
        ("sms", "ticket.issued"),
        ("sms", "offer.declined"),
        ("sms", "offer.expired"),
        ("sms", "ticket.cancelled"),
    }
    assert OutboxMessage.objects.filter(topic="offer.made", object_id=str(_offer(waiting).pk))
    _read_in_chinese(_outbox())


def test_every_message_of_a_cancelled_session_reads_in_chinese(db: None) -> None:
    tour = make_tour(code="open-tour")
    cancelled, kept = make_slots(tour, timezone.localdate() + timedelta(days=12), days=1)
    open_round = make_round(tour, code="open-round", slots=[cancelled, kept])
    make_party_entry(open_round, 1, 1, [cancelled.pk, kept.pk])
    make_party_entry(open_round, 2, 1, [cancelled.pk])
    with translation.override("zh-hans"):  # the organiser asks in Chinese
        group = support.request_group(tour.site, 10)
    _, drawn_slot, _ = drawn_round(40, [2], [], group=group)
    _all_chinese()
    cancel_slot(cancelled, reason="设备检修", actor=None)
    cancel_slot(drawn_slot, reason="设备检修", actor=None)
    assert set(OutboxMessage.objects.values_list("topic", flat=True)) == {
        "group.requested",
        "group.approved",
        "entry.choice_dropped",
        "entry.withdrawn",
        "offer.slot_cancelled",
        "group.slot_cancelled",
    }
    assert GroupVisit.objects.get(pk=group.pk).state == GroupVisit.State.REQUESTED
    _read_in_chinese(_outbox())


def test_the_sign_in_code_reads_in_chinese(
    db: None, django_capture_on_commit_callbacks: CodeRun
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        request_code(sign_in_phone("+8613900000009"), language="zh-hans")
    _read_in_chinese({f"sign-in {n}": message.body for n, message in enumerate(support.SENT)})


def _retouched(payload: str, **changes: object) -> str:
    prefix, body, signature = payload.split(".")
    data = json.loads(urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return f"{prefix}.{urlsafe_b64encode(raw).rstrip(b'=').decode()}.{signature}"


def _refusal(act: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as refused:
        act()
    return str(refused.value.message)


def _scan_refusals(ticket: Ticket) -> dict[str, str]:
    slot = ticket.offer.slot
    at_gate = slot.starts_at - timedelta(minutes=20)
    genuine = tickets.payload(ticket)
    other = make_slots(slot.tour, slot.visit_date + timedelta(days=1), days=1)[0]
    stranger = signing.sign("NOSUCHCODE", slot.pk, slot.visit_date, 2)
    return {
        name: _refusal(act)
        for name, act in {
            "malformed": lambda: gate.scan("hello", slot=slot, now=at_gate),
            "unknown_key": lambda: gate.scan(_retouched(genuine, k="k1999"), slot=slot),
            "forged": lambda: gate.scan(_retouched(genuine, p=9), slot=slot, now=at_gate),
            "unknown_ticket": lambda: gate.scan(stranger, slot=slot, now=at_gate),
            "wrong_day": lambda: gate.scan(genuine, slot=other, now=at_gate),
            "too_early": lambda: gate.scan(genuine, slot=slot, now=at_gate - timedelta(days=1)),
            "too_late": lambda: gate.scan(genuine, slot=slot, now=at_gate + timedelta(days=1)),
            "no_one_chosen": lambda: gate.check_in(
                ticket, [], slot=slot, gate="东门", staff=None, now=at_gate
            ),
            "no_id_number": lambda: gate.find_by_document(slot, "cn_resident", " "),
            "bad_id_number": lambda: gate.find_by_document(slot, "cn_resident", "12345"),
            "unknown_document": lambda: gate.find_by_document(
                slot, "cn_resident", support.resident_id(date(1960, 2, 2))
            ),
        }.items()
    }


def _checked_in_refusals(ticket: Ticket) -> dict[str, str]:
    slot = ticket.offer.slot
    at_gate = slot.starts_at - timedelta(minutes=20)
    genuine = tickets.payload(ticket)
    members = [p.member.pk for p in gate.scan(genuine, slot=slot, now=at_gate).party]
    gate.check_in(ticket, members, slot=slot, gate="东门", staff=None, now=at_gate)
    refusals = {
        "person_already_in": _refusal(
            lambda: gate.check_in(ticket, members, slot=slot, gate="东门", staff=None, now=at_gate)
        ),
        "party_already_in": _refusal(lambda: gate.scan(genuine, slot=slot, now=at_gate)),
    }
    Ticket.objects.filter(pk=ticket.pk).update(
        state=Ticket.State.CANCELLED, cancelled_at=timezone.now()
    )
    ticket.refresh_from_db()
    refusals["cancelled"] = _refusal(lambda: gate.scan(genuine, slot=slot, now=at_gate))
    refusals["cancel_again"] = _refusal(lambda: tickets.cancel_ticket(ticket, actor=None))
    return refusals


def test_every_gate_refusal_reads_in_chinese(
    chinese_round: tuple[Round, list[Entry]],
) -> None:
    _, (entry, *_) = chinese_round
    ticket = offers.confirm_offer(_offer(entry), actor=None, accepted_rules=True, via="online")
    with translation.override("zh-hans"):
        refusals = _scan_refusals(ticket) | _checked_in_refusals(ticket)
    assert len(refusals) == 15
    _read_in_chinese(refusals)


def test_every_refusal_of_an_offer_reads_in_chinese(
    chinese_round: tuple[Round, list[Entry]],
) -> None:
    _, (confirming, declined, *_) = chinese_round
    offer = _offer(confirming)
    gone = _offer(declined)
    offers.decline_offer(gone, actor=None)
    with translation.override("zh-hans"):
        refusals = {
            "rules": _refusal(
                lambda: offers.confirm_offer(offer, actor=None, accepted_rules=False, via="online")
            ),
            "deadline": _refusal(
                lambda: offers.confirm_offer(
                    offer, actor=None, accepted_rules=True, via="online", now=offer.deadline
                )
            ),
            "decided": _refusal(lambda: offers.decline_offer(gone, actor=None)),
        }
    _read_in_chinese(refusals)
