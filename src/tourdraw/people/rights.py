"""The visitor's rights over their data: see it, take it away (JSON), delete the account.

Export shows what is held the way every screen does (ID numbers masked): the
download is a file that travels, and must not rebuild a number either.
Deletion withdraws what is still open, gives up offers and tickets through the
same services a visitor's own decline or cancel uses (so places go down the
waitlist), erases every person the visitor recorded, the phone number and the
e-mail address, and keeps the entries' codes and the audit trail, which then
name nobody.
"""

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction

from tourdraw.audit.services import log_action
from tourdraw.errors import DomainError
from tourdraw.lottery import entries
from tourdraw.lottery.models import Entry, Round
from tourdraw.people import consent, retention
from tourdraw.people.models import Person, SignInCode, Visitor
from tourdraw.visits import offers, tickets
from tourdraw.visits.models import CallAttempt, Offer, Ticket


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "is_self": person.is_self,
        "full_name": person.full_name,
        "id_type": person.id_type,
        "id_masked": person.id_masked,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "recorded_at": person.created_at.isoformat(),
        "erased_at": person.erased_at.isoformat() if person.erased_at else None,
    }


def _entry(entry: Entry) -> dict[str, Any]:
    offer = Offer.objects.filter(entry=entry).select_related("slot").first()
    ticket = Ticket.objects.filter(offer=offer).first() if offer else None
    return {
        "code": entry.code,
        "round": entry.round.code,
        "state": entry.state,
        "entered_at": entry.created_at.isoformat(),
        "choices": [choice.slot.code for choice in entries.choices_of(entry)],
        "party": [
            {"person": member.person_id, "role": member.role} for member in entries.party_of(entry)
        ],
        "offer": None
        if offer is None
        else {
            "slot": offer.slot.code,
            "state": offer.state,
            "deadline": offer.deadline.isoformat(),
        },
        "ticket": None if ticket is None else {"state": ticket.state},
    }


def export_data(visitor: Visitor) -> dict[str, Any]:
    """Everything held about the visitor, as JSON-ready data."""
    visitor_entries = Entry.objects.filter(visitor=visitor).select_related("round")
    return {
        "format": "tourdraw-personal-data/1",
        "visitor": {
            "phone": str(visitor.phone),
            "email": visitor.email,
            "language": visitor.user.language,
            "registered_at": visitor.created_at.isoformat(),
        },
        "consents": consent.history(visitor),
        "people": [_person(person) for person in visitor.people.order_by("pk")],
        "entries": [_entry(entry) for entry in visitor_entries.order_by("created_at")],
    }


def _give_up_places(visitor: Visitor, *, now: datetime) -> None:
    """Withdraw open entries, leave waitlists, decline offers, cancel tickets."""
    user = visitor.user
    for entry in Entry.objects.filter(visitor=visitor, state=Entry.State.ACTIVE).select_related(
        "round"
    ):
        if entry.round.state == Round.State.OPEN:
            entries.withdraw_entry(entry, now=now)
        elif entry.round.state == Round.State.DRAWN:
            entries.leave_waitlist(entry, now=now)
    pending = Offer.objects.filter(entry__visitor=visitor, state=Offer.State.PENDING)
    for offer in pending.select_related("slot"):
        offers.decline_offer(offer, actor=user, now=now)
    valid = Ticket.objects.filter(offer__entry__visitor=visitor, state=Ticket.State.VALID)
    for ticket in valid.filter(offer__slot__starts_at__gt=now):
        try:
            tickets.cancel_ticket(ticket, actor=user, now=now)
        except DomainError:
            # Past the cancel cut-off: the ticket stays, naming nobody.
            continue


def release_deleted_offers(now: datetime) -> int:
    """Offers the draw made to entries whose visitor deleted their account after
    the round closed (the sealed draw still held them): given up at once, as a
    decline would be, instead of lapsing at their deadline."""
    released = 0
    pending = Offer.objects.filter(
        state=Offer.State.PENDING, entry__visitor__deleted_at__isnull=False
    )
    for offer in pending.select_related("slot"):
        try:
            offers.decline_offer(offer, actor=None, now=now)
        except DomainError:
            continue  # decided meanwhile
        released += 1
    return released


def delete_account(visitor: Visitor, *, now: datetime) -> None:
    """Delete the visitor's account and personal data; places go down the waitlist."""
    if visitor.deleted_at is not None:
        return
    _give_up_places(visitor, now=now)
    # A ticket too close to its visit to cancel still has its party checked at
    # the gate: those persons are erased by retention once the visit is over.
    at_the_gate = Ticket.objects.filter(
        offer__entry__visitor=visitor, state=Ticket.State.VALID, offer__slot__ends_at__gt=now
    ).values("offer__entry")
    keep = Person.objects.filter(entry_memberships__entry__in=at_the_gate)
    retention.erase_people(visitor.people.exclude(pk__in=keep), now=now, reason="account_deleted")
    with transaction.atomic():
        locked = Visitor.objects.select_for_update().get(pk=visitor.pk)
        SignInCode.objects.filter(phone_hash=locked.phone_hash).delete()
        CallAttempt.objects.filter(offer__entry__visitor=locked).update(note="")
        locked.deleted_at = now
        locked.phone = locked.email = ""
        locked.phone_hash = f"deleted:{secrets.token_hex(16)}"
        locked.save(update_fields=["deleted_at", "phone", "email", "phone_hash"])
        user = locked.user
        user.username = f"deleted-{secrets.token_hex(8)}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        log_action("tourdraw.visitor.deleted", locked, actor=user)
    visitor.refresh_from_db()
