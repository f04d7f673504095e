"""A gate action and its audit entry stand or fall together: when the audit
write fails, the check-ins or no-shows it records are not kept either."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError

from tests.faults import audit_writes_fail
from tests.support import drawn_round, make_site, make_staff
from tourdraw.audit.models import LogEntry
from tourdraw.people.models import User
from tourdraw.visits import gate
from tourdraw.visits.models import CheckIn, NoShow, Offer, Ticket
from tourdraw.visits.offers import confirm_offer


@pytest.fixture
def staff(db: None) -> User:
    return make_staff("gatekeeper", "gate", make_site())


@pytest.fixture
def tickets(db: None) -> list[Ticket]:
    _, _, entries = drawn_round(6, [3, 2], [])
    return [
        confirm_offer(Offer.objects.get(entry=entry), actor=None, accepted_rules=True, via="online")
        for entry in entries
    ]


def _uploads(ticket: Ticket) -> list[dict[str, Any]]:
    at = _at_gate(ticket).isoformat()
    return [
        {"nonce": f"dev-a-{m.pk}", "ticket": ticket.code, "member": m.pk, "scanned_at": at}
        for m in ticket.offer.entry.members.order_by("position")
    ]


def _at_gate(ticket: Ticket) -> datetime:
    return ticket.offer.slot.starts_at - timedelta(minutes=20)


def test_an_offline_sync_whose_audit_entry_fails_keeps_no_check_in(
    tickets: list[Ticket], staff: User
) -> None:
    ticket = tickets[0]
    slot = ticket.offer.slot
    with audit_writes_fail(), pytest.raises(IntegrityError):
        gate.sync(
            slot, _uploads(ticket), gate="East", device="a", staff=staff, now=_at_gate(ticket)
        )
    assert not CheckIn.objects.exists()
    report = gate.sync(
        slot, _uploads(ticket), gate="East", device="a", staff=staff, now=_at_gate(ticket)
    )
    assert (report.accepted, report.duplicates) == (3, 0)
    assert LogEntry.objects.filter(action="tourdraw.gate.synced").count() == 1


def test_a_no_show_whose_audit_entry_fails_is_not_marked(tickets: list[Ticket]) -> None:
    ended = tickets[0].offer.slot.ends_at
    with audit_writes_fail(), pytest.raises(IntegrityError):
        gate.mark_no_shows(ended)
    assert not NoShow.objects.exists()
    assert gate.mark_no_shows(ended) == 2
    assert LogEntry.objects.filter(action="tourdraw.ticket.no_show").count() == 2
