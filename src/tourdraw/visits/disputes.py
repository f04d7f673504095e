"""The call centre settles who an ID document belongs to.

Someone registered another person's document as their own (identity
squatting): entered first, so the real person was refused, or did not come,
so the real person was barred. The agent, having seen the document and its
holder, moves the claim to the holder's account; the squatter's entries that
used the document are voided (offers given up, tickets cancelled, places down
the waitlist) and the no-show bans they caused are lifted.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.errors import Code, DomainError
from tourdraw.lottery.models import Entry, Round
from tourdraw.people.identity import IdentityError, typed_document_hash
from tourdraw.people.models import IdentityClaim, Person, Visitor
from tourdraw.visits.models import NoShow, Offer, Ticket
from tourdraw.visits.offers import decline_offer
from tourdraw.visits.tickets import cancel_ticket


@dataclass(frozen=True)
class Settled:
    claim: IdentityClaim
    squatter: Visitor
    entries_voided: int
    places_released: int
    bans_lifted: int


@dataclass(frozen=True)
class Consequences:
    """What moving a document would do to the account holding it now."""

    entries: int
    places: int
    bans: int


def _holder_other_than(claim: IdentityClaim | None, claimant: Visitor) -> Visitor:
    """The account holding the document, refused if none or the claimant's own."""
    if claim is None:
        raise IdentityError(
            _("No account holds this document: the visitor can add it to their profile."),
            code=Code.ID_NOT_CLAIMED,
            field="id_number",
        )
    if claim.visitor_id == claimant.pk:
        raise IdentityError(
            _("This account already holds the document."), code=Code.ID_ALREADY_HELD, field=""
        )
    return claim.visitor


def consequences(
    *, id_type: str, id_number: str, claimant: Visitor, now: datetime | None = None
) -> Consequences:
    """What :func:`move_identity` would void, for the agent to confirm first;
    refused as it would be (no holder, or the claimant holds it). Reads only."""
    now = now or timezone.now()
    digest = typed_document_hash(id_type, id_number, IdentityError)
    claim = IdentityClaim.objects.select_related("visitor").filter(id_hash=digest).first()
    squatter = _holder_other_than(claim, claimant)
    entries = Entry.objects.filter(visitor=squatter, members__id_hash=digest).distinct()
    places = (
        Offer.objects.filter(entry__in=entries, state=Offer.State.PENDING).count()
        + Ticket.objects.filter(offer__entry__in=entries, state=Ticket.State.VALID).count()
    )
    bans = NoShow.objects.filter(
        entrant_hash=digest, ticket__offer__entry__visitor=squatter, barred_until__gt=now
    ).count()
    return Consequences(entries.filter(state=Entry.State.ACTIVE).count(), places, bans)


def _void_entries(squatter: Visitor, digest: str, *, agent: Any, now: datetime) -> tuple[int, int]:
    """Void the squatter's entries that name the document; give up their
    places. Returns (entries voided, offers and tickets released)."""
    entries = Entry.objects.filter(visitor=squatter, members__id_hash=digest).distinct()
    # Between close and draw an entry is sealed into the draw (voiding it would
    # change the draw's inputs, which the draw then refuses): settle after it.
    if entries.filter(state=Entry.State.ACTIVE, round__state=Round.State.CLOSED).exists():
        raise IdentityError(
            _(
                "The squatter has an entry in a round waiting for its draw: settle this"
                " once the round is drawn."
            ),
            code=Code.ENTRY_AWAITING_DRAW,
            field="",
        )
    voided = released = 0
    for entry in entries:
        if Entry.objects.filter(pk=entry.pk, state=Entry.State.ACTIVE).update(
            state=Entry.State.WITHDRAWN, withdrawn_at=now, updated_at=now
        ):
            entry.members.update(active=False)
            log_action("tourdraw.entry.voided", entry, actor=agent, data={"reason": "identity"})
            voided += 1
        for offer in Offer.objects.filter(entry=entry, state=Offer.State.PENDING):
            decline_offer(offer, actor=agent, now=now)
            released += 1
        for ticket in Ticket.objects.filter(offer__entry=entry, state=Ticket.State.VALID):
            try:
                cancel_ticket(ticket, actor=agent, now=now)
            except DomainError:
                continue  # past the cut-off: the gate's ID check stops it anyway
            released += 1
    return voided, released


def move_identity(
    *,
    id_type: str,
    id_number: str,
    claimant: Visitor,
    agent: Any,
    evidence: str,
    now: datetime | None = None,
) -> Settled:
    """Give the document's claim to ``claimant``, who showed it to the agent."""
    now = now or timezone.now()
    evidence = " ".join(evidence.split())
    if not evidence or len(evidence) > 500:
        raise IdentityError(
            _("Note what proved the document is theirs (at most 500 characters)."),
            code=Code.EVIDENCE_REQUIRED,
            field="evidence",
        )
    digest = typed_document_hash(id_type, id_number, IdentityError)
    with transaction.atomic():
        claim = (
            IdentityClaim.objects.select_for_update()
            .select_related("visitor")
            .filter(id_hash=digest)
            .first()
        )
        squatter = _holder_other_than(claim, claimant)
        assert claim is not None
        IdentityClaim.objects.filter(visitor=claimant).delete()
        claim.visitor = claimant
        claim.verified_at = now
        claim.verified_by = f"call-centre:{agent.pk}"
        claim.save(update_fields=["visitor", "verified_at", "verified_by"])
        Person.objects.filter(owner=squatter, id_hash=digest, is_self=True).update(is_self=False)
        voided, released = _void_entries(squatter, digest, agent=agent, now=now)
        lifted = NoShow.objects.filter(
            entrant_hash=digest, ticket__offer__entry__visitor=squatter, barred_until__gt=now
        ).update(barred_until=now)
        log_action(
            "tourdraw.identity.moved",
            claim,
            actor=agent,
            data={
                "from_visitor": squatter.pk,
                "to_visitor": claimant.pk,
                "entries_voided": voided,
                "places_released": released,
                "bans_lifted": lifted,
                "evidence": evidence,
            },
        )
    return Settled(claim, squatter, voided, released, lifted)
