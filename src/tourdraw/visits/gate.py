"""At the gate: scanning a ticket, checking its party in, offline sync, no-shows."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Slot
from tourdraw.errors import Code, DomainError
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.lottery.models import EntryMember
from tourdraw.people.documents import age_on
from tourdraw.people.identity import typed_document_hash
from tourdraw.visits import signing
from tourdraw.visits.models import CheckIn, CheckInConflict, NoShow, Ticket


class GateRefusal(DomainError):
    pass


@dataclass(frozen=True)
class PartyMember:
    member: EntryMember
    age: int
    checkin: CheckIn | None


@dataclass(frozen=True)
class Scan:
    ticket: Ticket
    party: list[PartyMember]

    @property
    def waiting(self) -> list[PartyMember]:
        return [p for p in self.party if p.checkin is None]


def arrival_window(slot: Slot) -> tuple[datetime, datetime]:
    site = slot.tour.site
    return (
        slot.starts_at - timedelta(minutes=site.arrival_opens_minutes),
        slot.starts_at + timedelta(minutes=site.arrival_closes_minutes),
    )


def _when(moment: datetime, slot: Slot) -> str:
    return formats.date_format(timezone.localtime(moment, slot.tour.site.tzinfo), "DATETIME_FORMAT")


def _refuse(message: str, code: Code) -> GateRefusal:
    return GateRefusal(message, code=code, field="ticket")


def find_ticket(scanned: str) -> Ticket:
    """The ticket a scanned QR (signed payload) stands for; forged codes are refused.

    Nothing short of the signature is accepted: the entry code printed under
    the QR is public (the draw record lists every winner's), so a typed code
    would let anyone who read the results walk in. A visitor with no phone is
    found by the ID document they show (:func:`find_by_document`).
    """
    try:
        claim = signing.verify(scanned)
    except signing.TicketSignatureError as error:
        raise _refuse(signing.refusal(error.code), error.code) from None
    ticket = (
        Ticket.objects.select_related("offer__slot__tour__site", "offer__entry")
        .filter(code=claim.ticket, offer__slot_id=claim.slot_id)
        .first()
    )
    if ticket is None:
        raise _refuse(_("No such ticket."), Code.UNKNOWN_TICKET)
    return ticket


def find_group(scanned: str) -> GroupVisit:
    """The group a scanned group code stands for: its signature checked, and
    refused if the group is no longer approved for the session the code names
    (declined, or its session released or changed since the code was printed).
    A party ticket's code is not a group's (``signing``: each kind its prefix)."""
    try:
        claim = signing.verify_group(scanned)
    except signing.TicketSignatureError as error:
        raise _refuse(signing.refusal(error.code), error.code) from None
    group = (
        GroupVisit.objects.select_related("site", "slot__tour__site")
        .filter(pk=claim.group_id)
        .first()
    )
    if group is None:
        raise _refuse(_("No such group."), Code.UNKNOWN_TICKET)
    if group.state != GroupVisit.State.APPROVED or group.slot is None:
        raise _refuse(
            _(
                "This group's visit is not approved (declined, or its session was released): "
                "its code lets no one in."
            ),
            Code.GROUP_NOT_APPROVED,
        )
    if group.slot_id != claim.slot_id:
        raise _refuse(
            _(
                "This group's code is out of date: the group now comes at %(slot)s. "
                "The organiser finds the new code on the group's page."
            )
            % {"slot": group.slot.label},
            Code.CANCELLED,
        )
    return group


def check_arrival(booked: Slot, slot: Slot, now: datetime, *, wrong_session: str) -> None:
    """Booked for ``booked``, arriving at ``slot`` at ``now``: the right day, the
    right session and within its arrival window, or refused with the party
    tickets' codes. ``wrong_session`` says what is booked elsewhere (``%(slot)s``)."""
    if booked.pk != slot.pk:
        code = Code.WRONG_DAY if booked.visit_date != slot.visit_date else Code.WRONG_SLOT
        raise _refuse(wrong_session % {"slot": booked.label}, code)
    opens, closes = arrival_window(slot)
    if now < opens:
        raise _refuse(
            _("Too early: the gate for this session opens at %(time)s, not before.")
            % {"time": _when(opens, slot)},
            Code.TOO_EARLY,
        )
    if now > closes:
        raise _refuse(
            _("Too late: since %(time)s the gate for this session is closed.")
            % {"time": _when(closes, slot)},
            Code.TOO_LATE,
        )


def check_group_admissible(group: GroupVisit, slot: Slot, now: datetime) -> None:
    """An approved group, at its own session, within the arrival window."""
    if group.state != GroupVisit.State.APPROVED or group.slot is None:
        raise _refuse(
            _(
                "This group's visit is not approved (declined, or its session was released): "
                "its code lets no one in."
            ),
            Code.GROUP_NOT_APPROVED,
        )
    check_arrival(
        group.slot,
        slot,
        now,
        wrong_session=_("This group is booked for %(slot)s, not this session."),
    )


@dataclass(frozen=True)
class GroupPerson:
    """A member as the gate shows them: name and ID number masked, enough to
    match the document in the staff member's hand."""

    member: GroupMember
    name: str
    id_masked: str


@dataclass(frozen=True)
class GroupScan:
    group: GroupVisit
    members: list[GroupPerson]

    @property
    def waiting(self) -> list[GroupPerson]:
        return [p for p in self.members if p.member.checked_in_at is None]


def inspect_group(group: GroupVisit, *, slot: Slot, now: datetime | None = None) -> GroupScan:
    """Check a found group for this session and show its list."""
    check_group_admissible(group, slot, now or timezone.now())
    members = group.members.filter(erased_at__isnull=True).order_by("position")
    return GroupScan(group, [GroupPerson(m, mask_name(m.full_name), m.id_masked) for m in members])


def find_by_document(slot: Slot, id_type: str, id_number: str) -> Ticket:
    """The ticket of this session whose party includes the document shown at
    the gate: for a visitor whose phone is flat or lost. Staff hold the card in
    their hand, so the number typed is the number of someone standing there."""
    digest = typed_document_hash(id_type, id_number, GateRefusal)
    found = (
        Ticket.objects.select_related("offer__slot__tour__site", "offer__entry")
        .filter(
            offer__slot=slot,
            offer__entry__members__id_hash=digest,
            offer__entry__members__active=True,
        )
        .order_by("-state", "-pk")  # "valid" before "cancelled"
        .first()
    )
    if found is None:
        raise GateRefusal(
            _("No ticket for this session names this ID document."),
            code=Code.UNKNOWN_TICKET,
            field="id_number",
        )
    return found


def identify(slot: Slot, *, code: str = "", id_type: str = "", id_number: str = "") -> Ticket:
    """The ticket a gate form names: by its signed QR, or by an ID document."""
    if id_number.strip():
        return find_by_document(slot, id_type, id_number)
    return find_ticket(code)


def _check_admissible(ticket: Ticket, slot: Slot, now: datetime) -> None:
    if not ticket.is_valid:
        raise _refuse(
            _("Cancelled ticket (cancelled %(time)s).")
            % {"time": _when(ticket.cancelled_at or now, slot)},
            Code.CANCELLED,
        )
    check_arrival(
        ticket.offer.slot,
        slot,
        now,
        wrong_session=_("This ticket is for %(slot)s, not this session."),
    )


def party(ticket: Ticket, visit_date: date) -> list[PartyMember]:
    checkins = {c.member_id: c for c in ticket.checkins.all()}
    members = ticket.offer.entry.members.select_related("person").order_by("position")
    return [
        PartyMember(member, age_on(member.person.birth_date, visit_date), checkins.get(member.pk))
        for member in members
    ]


def scan(scanned: str, *, slot: Slot, now: datetime | None = None) -> Scan:
    """Check a scanned code for this session and show its party."""
    return inspect(find_ticket(scanned), slot=slot, now=now)


def inspect(ticket: Ticket, *, slot: Slot, now: datetime | None = None) -> Scan:
    """Check a found ticket for this session and show its party."""
    now = now or timezone.now()
    _check_admissible(ticket, slot, now)
    members = party(ticket, slot.visit_date)
    done = [m.checkin for m in members if m.checkin is not None]
    if len(done) == len(members):
        first = done[0]
        raise _refuse(
            _("Already checked in at %(time)s at %(gate)s.")
            % {"time": _when(first.checked_in_at, slot), "gate": first.gate},
            Code.ALREADY_CHECKED_IN,
        )
    return Scan(ticket, members)


def check_in(
    ticket: Ticket,
    member_ids: list[int],
    *,
    slot: Slot,
    gate: str,
    staff: Any,
    now: datetime | None = None,
    nonce: str = "",
    device: str = "",
) -> list[CheckIn]:
    """Let the chosen persons of the party through (all, or some)."""
    now = now or timezone.now()
    _check_admissible(ticket, slot, now)
    members = {m.member.pk: m for m in party(ticket, slot.visit_date)}
    if not member_ids or any(pk not in members for pk in member_ids):
        raise _refuse(_("Choose who of this party is here."), Code.NO_ONE_CHOSEN)
    key = nonce or uuid.uuid4().hex
    for pk in member_ids:
        present = members[pk]
        if present.checkin is not None:
            raise _refuse(
                _("%(name)s is already checked in (%(time)s, %(gate)s).")
                % {
                    "name": present.member.person.full_name,
                    "time": _when(present.checkin.checked_in_at, slot),
                    "gate": present.checkin.gate,
                },
                Code.ALREADY_CHECKED_IN,
            )
    rows = [
        CheckIn(
            ticket=ticket,
            member=members[pk].member,
            gate=gate,
            device=device,
            staff=staff,
            nonce=f"{key}:{pk}",
            source=CheckIn.Source.ONLINE,
            checked_in_at=now,
        )
        for pk in member_ids
    ]
    try:
        with transaction.atomic():
            created = CheckIn.objects.bulk_create(rows)
            log_action(
                "tourdraw.ticket.checked_in",
                ticket,
                actor=staff,
                data={"gate": gate, "persons": len(created)},
            )
    except IntegrityError:
        # Another gate let one of them in between our read and this insert.
        raise _refuse(
            _("Someone of this party was checked in at another gate just now; scan again."),
            Code.ALREADY_CHECKED_IN,
        ) from None
    return created


def manifest(slot: Slot, *, now: datetime | None = None) -> dict[str, Any]:
    """What a gate device needs to work with no network for one session.

    Names are masked like ID numbers: enough for staff to match a person to
    their ID card, not a guest list for whoever finds the device.
    """
    now = now or timezone.now()
    opens, closes = arrival_window(slot)
    tickets = (
        Ticket.objects.filter(offer__slot=slot)
        .select_related("offer__entry")
        .prefetch_related("offer__entry__members__person", "checkins")
    )
    valid, revoked = [], []
    for ticket in tickets.order_by("pk"):
        if not ticket.is_valid:
            revoked.append(ticket.code)
            continue
        checked = {c.member_id for c in ticket.checkins.all()}
        valid.append(
            {
                "ticket": ticket.code,
                "persons": [
                    {
                        "member": member.pk,
                        "name": mask_name(member.person.full_name),
                        "id": member.person.id_masked,
                        "age": age_on(member.person.birth_date, slot.visit_date),
                        "checked_in": member.pk in checked,
                    }
                    for member in sorted(ticket.offer.entry.members.all(), key=lambda m: m.position)
                ],
            }
        )
    return {
        "format": "tourdraw-gate/1",
        "slot": {
            "id": slot.pk,
            "code": slot.code,
            "label": slot.label,
            "date": slot.visit_date.isoformat(),
        },
        "arrival": {"opens": opens.isoformat(), "closes": closes.isoformat()},
        "keys": signing.public_keys_raw(),
        "tickets": valid,
        "revoked": revoked,
        "generated_at": now.isoformat(),
    }


def mask_name(name: str) -> str:
    """王小明 → 王*明, Li Wei → L* W**: the first and last character of a
    Chinese name, the initials of a Latin one."""
    if " " in name.strip():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class SyncReport:
    accepted: int = 0
    duplicates: int = 0
    conflicts: int = 0
    refused: int = 0
    # Why each refused upload was refused: {"nonce", "code"}.
    refusals: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Upload:
    """One offline check-in as a gate device sends it."""

    nonce: str
    ticket: str
    member: int
    scanned_at: datetime


def _bad_upload(index: int, name: str, message: str) -> DomainError:
    return DomainError(message, code=Code.INVALID, field=f"checkins[{index}].{name}")


def read_upload(index: int, raw: Any) -> Upload:
    """An upload checked for shape before anything is looked up, so that a
    malformed one is a 400 naming its field, never a server error."""
    if not isinstance(raw, dict):
        raise DomainError(
            _("Each check-in is an object."), code=Code.INVALID, field=f"checkins[{index}]"
        )
    nonce, ticket, member, moment = (
        raw.get(k) for k in ("nonce", "ticket", "member", "scanned_at")
    )
    if not isinstance(nonce, str) or not 0 < len(nonce) <= 64:
        raise _bad_upload(index, "nonce", _("A nonce is text of 1 to 64 characters."))
    if not isinstance(ticket, str) or not 0 < len(ticket) <= 32:
        raise _bad_upload(index, "ticket", _("A ticket code is text of 1 to 32 characters."))
    if isinstance(member, bool) or not isinstance(member, int) or not 0 < member < 2**63:
        raise _bad_upload(index, "member", _("A member is a positive whole number."))
    try:
        scanned_at = datetime.fromisoformat(moment) if isinstance(moment, str) else None
    except ValueError:
        scanned_at = None
    if scanned_at is None or scanned_at.tzinfo is None:
        raise _bad_upload(
            index, "scanned_at", _("The scan time is an ISO 8601 date and time with its offset.")
        )
    if "\x00" in nonce + ticket:
        raise _bad_upload(index, "nonce", _("Text may not contain NUL characters."))
    return Upload(nonce=nonce, ticket=ticket, member=member, scanned_at=scanned_at)


def _outside_window(slot: Slot, scanned_at: datetime, now: datetime) -> str:
    """Why a scan time cannot be a real check-in at this session, or ''.

    Device clocks drift, so the arrival window and "now" are widened by the
    stated tolerance; anything beyond that is a forged or misdated upload.
    """
    tolerance = settings.TOURDRAW_GATE_CLOCK_TOLERANCE
    opens, closes = arrival_window(slot)
    if scanned_at > now + tolerance:
        return "in_the_future"
    if scanned_at < opens - tolerance:
        return "too_early"
    if scanned_at > closes + tolerance:
        return "too_late"
    return ""


def sync(
    slot: Slot,
    uploads: list[Any],
    *,
    gate: str,
    device: str,
    staff: Any,
    now: datetime | None = None,
) -> SyncReport:
    """Take a device's offline check-ins. Each upload is ``{"nonce", "ticket",
    "member", "scanned_at"}``; a nonce already seen counts once (a replayed
    upload), a person already in through another device is flagged, and a scan
    time outside the session's arrival window (with the clock tolerance) is
    refused. A malformed upload rejects the whole batch (DomainError naming it)
    before anything is stored."""
    now = now or timezone.now()
    if not isinstance(uploads, list):
        raise DomainError(_("checkins is a list."), code=Code.INVALID, field="checkins")
    checked = [read_upload(index, raw) for index, raw in enumerate(uploads)]
    # One transaction, so the audit entry stands or falls with the check-ins;
    # uploads are taken in one order (by person) so two devices syncing the
    # same people wait for each other instead of deadlocking.
    order = sorted(range(len(checked)), key=lambda i: (checked[i].member, i))
    outcomes: dict[int, str] = {}
    with transaction.atomic():
        for index in order:
            outcomes[index] = _take_retrying(
                slot, checked[index], gate=gate, device=device, staff=staff, now=now
            )
        report = SyncReport()
        for index, upload in enumerate(checked):
            outcome = outcomes[index]
            if outcome not in ("accepted", "duplicates", "conflicts"):
                report.refusals.append({"nonce": upload.nonce, "code": outcome})
                outcome = "refused"
            setattr(report, outcome, getattr(report, outcome) + 1)
        if report.accepted or report.conflicts or report.refused:
            log_action(
                "tourdraw.gate.synced",
                slot,
                actor=staff,
                data={"gate": gate, "device": device, **report.__dict__},
            )
    return report


def _take_retrying(
    slot: Slot, upload: Upload, *, gate: str, device: str, staff: Any, now: datetime
) -> str:
    """Two uploads of the same queue can race (a device retrying while the
    first is still in flight): the loser of a unique-constraint race looks
    again and finds a duplicate or a conflict, never an error."""
    try:
        with transaction.atomic():
            return _take(slot, upload, gate=gate, device=device, staff=staff, now=now)
    except IntegrityError:
        pass
    with transaction.atomic():
        return _take(slot, upload, gate=gate, device=device, staff=staff, now=now)


def _take(slot: Slot, upload: Upload, *, gate: str, device: str, staff: Any, now: datetime) -> str:
    """One offline check-in: which ``SyncReport`` count it adds to, or the
    refusal's code."""
    nonce = upload.nonce
    if (
        CheckIn.objects.filter(nonce=nonce).exists()
        or CheckInConflict.objects.filter(nonce=nonce).exists()
    ):
        return "duplicates"
    ticket = Ticket.objects.filter(code=upload.ticket, offer__slot=slot).first()
    member = EntryMember.objects.filter(pk=upload.member).first()
    if ticket is None or member is None or member.entry_id != ticket.offer.entry_id:
        return "unknown_ticket"
    if not ticket.is_valid:
        return "cancelled"
    outside = _outside_window(slot, upload.scanned_at, now)
    if outside:
        return outside
    scanned_at = upload.scanned_at
    first = CheckIn.objects.select_for_update().filter(member=member).first()
    if first is not None and first.nonce == nonce:
        return "duplicates"  # the same upload, committed by a concurrent sync just now
    if first is not None:
        CheckInConflict.objects.create(
            ticket=ticket,
            member=member,
            first=first,
            gate=gate,
            device=device,
            nonce=nonce,
            scanned_at=scanned_at,
            created_at=now,
        )
        return "conflicts"
    CheckIn.objects.create(
        ticket=ticket,
        member=member,
        gate=gate,
        device=device,
        staff=staff,
        nonce=nonce,
        source=CheckIn.Source.OFFLINE,
        checked_in_at=scanned_at,
        synced_at=now,
    )
    return "accepted"


def mark_no_shows(now: datetime) -> int:
    """After a session ends, a valid ticket with nobody checked in is a no-show;
    it bars the entrant from the site's rounds for the site's number of days."""
    from django.db.models import Exists, OuterRef

    ended = Ticket.objects.filter(
        state=Ticket.State.VALID,
        offer__slot__ends_at__lte=now,
        no_show__isnull=True,
    ).exclude(Exists(CheckIn.objects.filter(ticket=OuterRef("pk"))))
    return sum(
        _mark_no_show(ticket, now)
        for ticket in ended.select_related("offer__slot__tour__site", "offer__entry")
    )


def _mark_no_show(ticket: Ticket, now: datetime) -> bool:
    """Bar the ticket's entrant, with its audit entry; False if another worker
    marked it first."""
    site = ticket.offer.slot.tour.site
    entrant = ticket.offer.entry.members.get(role=EntryMember.Role.ENTRANT)
    with transaction.atomic():
        try:
            with transaction.atomic():
                NoShow.objects.create(
                    ticket=ticket,
                    site=site,
                    entrant_hash=entrant.id_hash,
                    slot_ended_at=ticket.offer.slot.ends_at,
                    barred_until=ticket.offer.slot.ends_at + timedelta(days=site.no_show_ban_days),
                    created_at=now,
                )
        except IntegrityError:
            return False
        log_action("tourdraw.ticket.no_show", ticket, data={"site": site.code})
    return True
