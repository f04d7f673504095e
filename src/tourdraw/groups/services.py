"""Group visits: a request, the operator's decision, the member list, the gate."""

import csv
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Site, Slot
from tourdraw.errors import Code, DomainError
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.lottery import rounds
from tourdraw.notify import outbox
from tourdraw.people import crypto, documents, email_address
from tourdraw.people.party import PartyMember, problems_by_member
from tourdraw.visits import capacity
from tourdraw.visits.models import Offer

CSV_COLUMNS = ["full_name", "id_type", "id_number", "birth_date"]


class GroupError(DomainError):
    """A refused request, decision or member list; for a member list, ``errors``
    has every bad row, each with its code and field (``members.2.id_number``)
    and a text naming the row and the person."""


def request_visit(
    site: Site,
    *,
    organisation: str,
    contact_name: str,
    contact_phone: str,
    size: int,
    preferred_dates: str,
    purpose: str,
    contact_email: str = "",
    now: datetime | None = None,
) -> GroupVisit:
    now = now or timezone.now()
    for field, value in (
        ("organisation", organisation),
        ("contact_name", contact_name),
        ("contact_phone", contact_phone),
        ("preferred_dates", preferred_dates),
        ("purpose", purpose),
    ):
        if not value.strip():
            raise GroupError(_("This field is required."), code=Code.REQUIRED, field=field)
    for field, value in (
        ("organisation", organisation),
        ("contact_name", contact_name),
        ("contact_phone", contact_phone),
        ("contact_email", contact_email),
        ("preferred_dates", preferred_dates),
    ):
        limit = GroupVisit.max_length(field)
        if len(value.strip()) > limit:
            raise GroupError(
                _("At most %(limit)d characters.") % {"limit": limit},
                code=Code.TOO_LONG,
                field=field,
            )
    contact_email = email_address.clean(contact_email, field="contact_email", error=GroupError)
    if not 1 <= size <= site.group_size_limit:
        raise GroupError(
            _("A group at %(site)s has 1 to %(limit)d persons.")
            % {"site": site.tr("name"), "limit": site.group_size_limit},
            code=Code.GROUP_SIZE,
            field="size",
        )
    with transaction.atomic():
        group = GroupVisit.objects.create(
            site=site,
            organisation=organisation.strip(),
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            contact_email=contact_email,
            size=size,
            preferred_dates=preferred_dates.strip(),
            purpose=purpose.strip(),
            code=secrets.token_urlsafe(16),
            created_at=now,
        )
        log_action("tourdraw.group.requested", group, data={"size": size})
    return group


def approve_visit(
    group: GroupVisit, *, slot: Slot, actor: Any, now: datetime | None = None
) -> GroupVisit:
    """Keep ``group.size`` places in ``slot``, never more than it has free."""
    now = now or timezone.now()
    if slot.tour.site_id != group.site_id:
        raise GroupError(
            _("Choose a session at this group's site."), code=Code.WRONG_SITE, field="slot"
        )
    with transaction.atomic():
        locked_slot = capacity.lock_slot(slot.pk)
        # After close the group's places would come out of a capacity the closing
        # statement already published (and the draw would refuse).
        rounds.check_slot_not_sealed(locked_slot.pk, field="slot")
        locked = GroupVisit.objects.select_for_update().get(pk=group.pk)
        if locked.state != GroupVisit.State.REQUESTED:
            raise GroupError(
                _("This request was already decided."), code=Code.GROUP_DECIDED, field="state"
            )
        free = capacity.free_places(locked_slot)
        if locked.size > free:
            raise GroupError(
                _("%(slot)s has %(free)d places free; this group needs %(size)d.")
                % {"slot": locked_slot.label, "free": free, "size": locked.size},
                code=Code.NOT_ENOUGH_PLACES,
                field="slot",
            )
        locked.state = GroupVisit.State.APPROVED
        locked.slot = locked_slot
        locked.decided_at = now
        locked.decided_by = actor
        locked.save(update_fields=["state", "slot", "decided_at", "decided_by"])
        log_action(
            "tourdraw.group.approved",
            locked,
            actor=actor,
            data={"slot": locked_slot.pk, "size": locked.size},
        )
    group.refresh_from_db()
    return group


def decline_visit(
    group: GroupVisit, *, reason: str, actor: Any, now: datetime | None = None
) -> GroupVisit:
    now = now or timezone.now()
    if not reason.strip():
        raise GroupError(_("Give the group a reason."), code=Code.REASON_REQUIRED, field="reason")
    with transaction.atomic():
        updated = GroupVisit.objects.filter(pk=group.pk, state=GroupVisit.State.REQUESTED).update(
            state=GroupVisit.State.DECLINED,
            decline_reason=reason.strip(),
            decided_at=now,
            decided_by=actor,
        )
        if not updated:
            raise GroupError(
                _("This request was already decided."), code=Code.GROUP_DECIDED, field="state"
            )
        log_action("tourdraw.group.declined", group, actor=actor, data={"reason": reason.strip()})
    group.refresh_from_db()
    return group


def upload_members(
    group: GroupVisit, csv_text: str, *, today: date | None = None
) -> list[GroupMember]:
    """Replace the member list from CSV (full_name, id_type, id_number, birth_date).

    Rows are numbered as a spreadsheet shows them: the header is row 1.
    """
    _check_uploadable(group)
    reader = csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))
    if reader.fieldnames is None or [c.strip() for c in reader.fieldnames] != CSV_COLUMNS:
        raise GroupError(
            _("The first line must be: %(columns)s") % {"columns": ",".join(CSV_COLUMNS)},
            code=Code.CSV_COLUMNS,
            field="members",
        )
    rows = [{k.strip(): v for k, v in row.items() if k is not None} for row in reader]
    return replace_members(group, rows, first_row=2, today=today)


def replace_members(
    group: GroupVisit,
    rows: Sequence[Mapping[str, Any]],
    *,
    first_row: int = 1,
    today: date | None = None,
) -> list[GroupMember]:
    """Replace the member list with ``rows`` (each with the keys of CSV_COLUMNS).

    Every row is checked by the rules of entries (a valid ID document, and the
    party rules: the tour's minimum age on the visit day, each person once,
    not already in another party in the session); if any row fails, nothing
    is saved and every bad row is named, counting rows from ``first_row``.
    """
    today = today or timezone.localdate()
    slot = _check_uploadable(group)
    read = [
        _read_row(row, _RowAt.of(row, number, first_row), today=today)
        for number, row in enumerate(rows, start=first_row)
    ]
    listed = [member for member in read if isinstance(member, _Listed)]
    problems = _problems(group, slot, read, listed, count=len(rows))
    if problems:
        raise GroupError(
            problems[0].message, code=Code.MEMBERS_INVALID, field="members", errors=problems
        )
    with transaction.atomic():
        group.members.all().delete()
        members = GroupMember.objects.bulk_create(
            GroupMember(
                group=group,
                position=position,
                full_name=member.name,
                **documents.stored_fields(member.document, member.who.id_hash),
            )
            for position, member in enumerate(listed, start=1)
        )
        log_action("tourdraw.group.members_uploaded", group, data={"members": len(members)})
    return members


@dataclass(frozen=True)
class _RowAt:
    """Where a member-list problem is: the row and person for the text, and the
    field (``members.2.``) that a form or an API client puts it against."""

    label: str
    field: str

    @classmethod
    def of(cls, row: Mapping[str, Any], number: int, first_row: int) -> "_RowAt":
        name = " ".join(str(row.get("full_name") or "").split())
        return cls(
            label=_("Row %(row)d (%(name)s)") % {"row": number, "name": name or "?"},
            field=f"members.{number - first_row}.",
        )

    def problem(self, message: Any, code: Code, column: str) -> DomainError:
        return DomainError(f"{self.label}: {message}", code=code, field=self.field + column)


@dataclass(frozen=True)
class _Listed:
    """A row whose name and ID document hold, as the party rules see it."""

    name: str
    document: documents.Document
    who: PartyMember


def _read_row(row: Mapping[str, Any], at: _RowAt, *, today: date) -> _Listed | DomainError:
    name = " ".join(str(row.get("full_name") or "").split())
    if not name:
        return at.problem(
            _("Enter the full name as on the ID document."), Code.NAME_REQUIRED, "full_name"
        )
    if len(name) > GroupMember._meta.get_field("full_name").max_length:  # type: ignore[operator]
        return at.problem(_("A name has at most 100 characters."), Code.NAME_TOO_LONG, "full_name")
    birth = row.get("birth_date")
    if not isinstance(birth, date):
        raw_birth = str(birth or "").strip()
        try:
            birth = date.fromisoformat(raw_birth) if raw_birth else None
        except ValueError:
            return at.problem(
                _("Write the date of birth as YYYY-MM-DD."), Code.BIRTH_DATE_INVALID, "birth_date"
            )
    try:
        document = documents.validate(
            str(row.get("id_type") or "cn_resident").strip(),
            str(row.get("id_number") or ""),
            birth,
            today=today,
        )
    except documents.DocumentError as error:
        return at.problem(error.message, error.code, error.field)
    digest = crypto.id_hash(document.doc_type, document.number)
    return _Listed(name, document, PartyMember(at.label, at.field, document.birth_date, digest))


def _problems(
    group: GroupVisit,
    slot: Slot,
    read: list[_Listed | DomainError],
    listed: list[_Listed],
    *,
    count: int,
) -> list[DomainError]:
    """Every bad row in the list's order, then a list longer than approved."""
    by_member = iter(
        problems_by_member(
            [member.who for member in listed],
            visit_dates=[slot.visit_date],
            min_age=slot.tour.min_age,
            taken=_already_in_session(slot, group, [member.who.id_hash for member in listed]),
        )
    )
    problems: list[DomainError] = []
    for row in read:
        problems.extend(next(by_member) if isinstance(row, _Listed) else [row])
    if count > group.size:
        problems.append(
            DomainError(
                _("The list has %(count)d persons; the group was approved for %(size)d.")
                % {"count": count, "size": group.size},
                code=Code.TOO_MANY_MEMBERS,
                field="members",
            )
        )
    return problems


def _check_uploadable(group: GroupVisit) -> Slot:
    if group.state != GroupVisit.State.APPROVED or group.slot is None:
        raise GroupError(
            _("The member list is uploaded once the visit is approved."),
            code=Code.GROUP_NOT_APPROVED,
            field="members",
        )
    return group.slot


def _already_in_session(slot: Slot, group: GroupVisit, hashes: list[str]) -> set[str]:
    in_groups = GroupMember.objects.filter(
        group__slot=slot, group__state=GroupVisit.State.APPROVED, id_hash__in=hashes
    ).exclude(group=group)
    in_offers = Offer.objects.filter(
        slot=slot, state__in=capacity.HOLDING, entry__members__id_hash__in=hashes
    ).values_list("entry__members__id_hash", flat=True)
    return set(in_groups.values_list("id_hash", flat=True)) | (set(in_offers) & set(hashes))


def check_in_members(
    group: GroupVisit,
    member_ids: list[int],
    *,
    slot: Slot,
    gate: str,
    staff: Any,
    now: datetime | None = None,
) -> int:
    """Check a group in by its list: each ticked member once."""
    from tourdraw.visits.gate import GateRefusal, arrival_window

    now = now or timezone.now()
    if group.slot_id != slot.pk or group.state != GroupVisit.State.APPROVED:
        raise GateRefusal(
            _("This group is not booked for this session."), code=Code.WRONG_SLOT, field="group"
        )
    opens, closes = arrival_window(slot)
    if not opens <= now <= closes:
        raise GateRefusal(
            _("Outside this session's arrival window."), code=Code.OUTSIDE_WINDOW, field="group"
        )
    with transaction.atomic():
        done = GroupMember.objects.filter(
            group=group, pk__in=member_ids, checked_in_at__isnull=True
        ).update(checked_in_at=now, checked_in_gate=gate)
        log_action(
            "tourdraw.group.checked_in", group, actor=staff, data={"gate": gate, "persons": done}
        )
    return done


# Marked for translation here, translated in the contact's language when sent.
GROUP_RELEASED = gettext_noop(
    "tourdraw: the session %(slot)s for %(organisation)s was cancelled; the operator will "
    "offer another."
)
GROUP_RELEASED_SUBJECT = gettext_noop("tourdraw: your group's session was cancelled")


def release_visit(group: GroupVisit, *, actor: Any) -> GroupVisit:
    """The group's session was cancelled: its kept places go, the request waits
    for another session, and the contact is told."""
    with transaction.atomic():
        locked = (
            GroupVisit.objects.select_for_update(of=("self",))
            .select_related("slot")
            .get(pk=group.pk)
        )
        if locked.state != GroupVisit.State.APPROVED or locked.slot is None:
            raise GroupError(
                _("This group holds no places to release."),
                code=Code.GROUP_NOT_APPROVED,
                field="state",
            )
        slot = locked.slot
        locked.state = GroupVisit.State.REQUESTED
        locked.slot = None
        locked.save(update_fields=["state", "slot"])
        log_action("tourdraw.group.released", locked, actor=actor, data={"slot": slot.pk})
        with translation.override("zh-hans"):
            body = _(GROUP_RELEASED) % {"slot": slot.label, "organisation": locked.organisation}
            subject = _(GROUP_RELEASED_SUBJECT)
        outbox.enqueue_with_email(
            "sms",
            locked.contact_phone,
            locked.contact_email,
            body,
            subject=subject,
            topic="group.slot_cancelled",
            language="zh-hans",
            about=locked,
        )
    group.refresh_from_db()
    return group
