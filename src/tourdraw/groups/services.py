"""Group visits: a request, the operator's decision, the member list, the gate."""

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tourdraw.audit.services import log_action
from tourdraw.catalog.models import Site, Slot
from tourdraw.errors import Code, DomainError
from tourdraw.groups import member_lists, notices
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.lottery import rounds
from tourdraw.notify import outbox
from tourdraw.people import crypto, documents, email_address
from tourdraw.people.models import Visitor
from tourdraw.people.party import PartyMember, problems_by_member
from tourdraw.visits import capacity
from tourdraw.visits.models import Offer

CSV_COLUMNS = member_lists.COLUMNS


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
    language: str = "",
    visitor: Visitor | None = None,
    now: datetime | None = None,
) -> GroupVisit:
    """``language``: the organiser's, for their messages (the one in use if not
    given); ``visitor``: who asked, if signed in, to list it among their entries."""
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
            language=_language(language),
            requested_by=visitor,
        )
        log_action("tourdraw.group.requested", group, data={"size": size})
        notices.requested(group)
    return group


def _language(language: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    wanted = (language or translation.get_language() or "").lower()
    return wanted if wanted in known else settings.LANGUAGE_CODE


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
        notices.decided(locked)
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
        notices.decided(group)
    return group


def upload_members(
    group: GroupVisit, csv_text: str, *, today: date | None = None
) -> list[GroupMember]:
    """Replace the member list from CSV text (see ``member_lists`` for its columns).

    Rows are numbered as a spreadsheet shows them: the header is row 1.
    """
    _check_uploadable(group)
    return save_member_list(group, read_member_list(csv_text), today=today)


def read_member_list(source: bytes | str) -> list[member_lists.ListRow]:
    """The rows of an uploaded file (bytes: .xlsx or CSV in UTF-8 or GBK) or CSV text."""
    try:
        if isinstance(source, bytes):
            return member_lists.read(source)
        return member_lists.read_text(source)
    except member_lists.MemberListError as error:
        raise GroupError(error.message, code=error.code, field="members") from None


def replace_members(
    group: GroupVisit,
    rows: Sequence[Mapping[str, Any]],
    *,
    first_row: int = 1,
    today: date | None = None,
) -> list[GroupMember]:
    """Replace the member list with ``rows`` (each with the keys of CSV_COLUMNS),
    counting rows from ``first_row``; see ``save_member_list``."""
    listed = [member_lists.ListRow(number, row) for number, row in enumerate(rows, start=first_row)]
    return save_member_list(group, listed, today=today)


def save_member_list(
    group: GroupVisit, rows: Sequence[member_lists.ListRow], *, today: date | None = None
) -> list[GroupMember]:
    """Replace the member list with ``rows``.

    Every row is checked by the rules of entries (a valid ID document, and the
    party rules: the tour's minimum age on the visit day, each person once,
    not already in another party in the session); if any row fails, nothing
    is saved and every bad row is named by its number.
    """
    checked = check_member_list(group, rows, today=today)
    if checked.problems:
        raise GroupError(
            checked.problems[0].message,
            code=Code.MEMBERS_INVALID,
            field="members",
            errors=checked.problems,
        )
    with transaction.atomic():
        changed = group.members.exists()
        group.members.all().delete()
        members = GroupMember.objects.bulk_create(
            GroupMember(
                group=group,
                position=position,
                full_name=row.listed.name,
                **documents.stored_fields(row.listed.document, row.listed.who.id_hash),
            )
            for position, row in enumerate(checked.rows, start=1)
            if row.listed is not None
        )
        log_action("tourdraw.group.members_uploaded", group, data={"members": len(members)})
        notices.members_saved(group, count=len(members), changed=changed)
    return members


@dataclass(frozen=True)
class CheckedRow:
    """A row of a member list as it will be stored, and what is wrong with it."""

    number: int
    full_name: str
    id_type: str
    id_masked: str
    birth_date: date | None
    problems: list[DomainError]
    listed: "_Listed | None"

    @property
    def id_type_label(self) -> str:
        return str(dict(documents.DOCUMENT_TYPE_CHOICES).get(self.id_type, self.id_type))


@dataclass(frozen=True)
class CheckedList:
    rows: list[CheckedRow]
    # Every problem, the rows' in the list's order, then the list's own.
    problems: list[DomainError]

    @property
    def errors(self) -> list[str]:
        return [str(problem.message) for problem in self.problems]


def check_member_list(
    group: GroupVisit, rows: Sequence[member_lists.ListRow], *, today: date | None = None
) -> CheckedList:
    """Each row as it would be stored, with its problems; nothing is saved."""
    today = today or timezone.localdate()
    slot = _check_uploadable(group)
    at = [_RowAt.of(row.values, row.number, index) for index, row in enumerate(rows)]
    read = [_read_row(row, where, today=today) for row, where in zip(rows, at, strict=True)]
    listed = [member for member in read if isinstance(member, _Listed)]
    by_member = iter(_party_problems(group, slot, listed))
    checked = []
    for row, member in zip(rows, read, strict=True):
        problems = next(by_member) if isinstance(member, _Listed) else [member]
        checked.append(_checked_row(row, member if isinstance(member, _Listed) else None, problems))
    problems = [problem for row in checked for problem in row.problems]
    if len(rows) > group.size:
        problems.append(
            DomainError(
                _("The list has %(count)d persons; the group was approved for %(size)d.")
                % {"count": len(rows), "size": group.size},
                code=Code.TOO_MANY_MEMBERS,
                field="members",
            )
        )
    return CheckedList(checked, problems)


def _checked_row(
    row: member_lists.ListRow, member: "_Listed | None", problems: list[DomainError]
) -> CheckedRow:
    if member is not None:
        return CheckedRow(
            row.number,
            member.name,
            member.document.doc_type,
            documents.mask(member.document.number),
            member.document.birth_date,
            problems,
            member if not problems else None,
        )
    raw_number = str(row.values.get("id_number") or "").strip()
    return CheckedRow(
        row.number,
        " ".join(str(row.values.get("full_name") or "").split()),
        str(row.values.get("id_type") or ""),
        documents.mask(raw_number) if raw_number else "",
        None,
        problems,
        None,
    )


@dataclass(frozen=True)
class _RowAt:
    """Where a member-list problem is: the row and person for the text, and the
    field (``members.2.``) that a form or an API client puts it against."""

    label: str
    field: str

    @classmethod
    def of(cls, row: Mapping[str, Any], number: int, index: int) -> "_RowAt":
        name = " ".join(str(row.get("full_name") or "").split())
        return cls(
            label=_("Row %(row)d (%(name)s)") % {"row": number, "name": name or "?"},
            field=f"members.{index}.",
        )

    def problem(self, message: Any, code: Code, column: str) -> DomainError:
        return DomainError(f"{self.label}: {message}", code=code, field=self.field + column)


@dataclass(frozen=True)
class _Listed:
    """A row whose name and ID document hold, as the party rules see it."""

    name: str
    document: documents.Document
    who: PartyMember


def _read_row(row: member_lists.ListRow, at: _RowAt, *, today: date) -> _Listed | DomainError:
    for code in row.problems:
        column, message = member_lists.CELL_PROBLEMS[code]
        return at.problem(message, code, column)
    values = row.values
    name = " ".join(str(values.get("full_name") or "").split())
    if not name:
        return at.problem(
            _("Enter the full name as on the ID document."), Code.NAME_REQUIRED, "full_name"
        )
    if len(name) > GroupMember._meta.get_field("full_name").max_length:  # type: ignore[operator]  # a CharField: set
        return at.problem(_("A name has at most 100 characters."), Code.NAME_TOO_LONG, "full_name")
    birth = values.get("birth_date")
    if not isinstance(birth, date):
        raw_birth = str(birth or "").strip()
        try:
            birth = date.fromisoformat(raw_birth) if raw_birth else None
        except ValueError:
            return at.problem(
                _("Write the date of birth as YYYY-MM-DD."), Code.BIRTH_DATE_INVALID, "birth_date"
            )
    id_type = str(values.get("id_type") or "cn_resident").strip()
    try:
        document = documents.validate(
            id_type, str(values.get("id_number") or ""), birth, today=today
        )
    except documents.DocumentError as error:
        if error.code == "id_type_unknown":
            return at.problem(_unknown_id_type(id_type), error.code, error.field)
        return at.problem(error.message, error.code, error.field)
    digest = crypto.id_hash(document.doc_type, document.number)
    return _Listed(name, document, PartyMember(at.label, at.field, document.birth_date, digest))


def _unknown_id_type(given: str) -> str:
    return _('"%(given)s" is not an ID type; use one of: %(allowed)s') % {
        "given": given,
        "allowed": "; ".join(
            f"{value} ({label})" for value, label in member_lists.allowed_id_types()
        ),
    }


def _party_problems(
    group: GroupVisit, slot: Slot, listed: list[_Listed]
) -> list[list[DomainError]]:
    """The party rules' problems of each listed member, in the list's order."""
    return problems_by_member(
        [member.who for member in listed],
        visit_dates=[slot.visit_date],
        min_age=slot.tour.min_age,
        taken=_already_in_session(slot, group, [member.who.id_hash for member in listed]),
    )


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
    """Check a group in by its list: each ticked member once, by the rules of
    party tickets (the group's own session, within its arrival window)."""
    from tourdraw.visits.gate import GateRefusal, check_group_admissible

    now = now or timezone.now()
    check_group_admissible(group, slot, now)
    with transaction.atomic():
        ticked = GroupMember.objects.select_for_update().filter(group=group, pk__in=member_ids)
        already = [member for member in ticked if member.checked_in_at is not None]
        if already:
            raise _already_in(already[0], slot, GateRefusal)
        done = GroupMember.objects.filter(
            group=group, pk__in=member_ids, checked_in_at__isnull=True
        ).update(checked_in_at=now, checked_in_gate=gate)
        log_action(
            "tourdraw.group.checked_in", group, actor=staff, data={"gate": gate, "persons": done}
        )
    return done


def check_in_by_document(
    group: GroupVisit,
    *,
    slot: Slot,
    id_type: str,
    id_number: str,
    gate: str,
    staff: Any,
    now: datetime | None = None,
) -> GroupMember:
    """Check in the member of the group whose ID document staff hold: found by
    its number, checked in once (two gates typing the same card: one wins)."""
    from tourdraw.people.identity import typed_document_hash
    from tourdraw.visits.gate import GateRefusal, check_group_admissible

    now = now or timezone.now()
    check_group_admissible(group, slot, now)
    digest = typed_document_hash(id_type, id_number, GateRefusal)
    member = group.members.filter(id_hash=digest, erased_at__isnull=True).first()
    if member is None:
        raise GateRefusal(
            _("No member of %(organisation)s has this ID document.")
            % {"organisation": group.organisation},
            code=Code.NOT_IN_GROUP,
            field="id_number",
        )
    with transaction.atomic():
        done = GroupMember.objects.filter(pk=member.pk, checked_in_at__isnull=True).update(
            checked_in_at=now, checked_in_gate=gate
        )
        if not done:
            member.refresh_from_db()
            raise _already_in(member, slot, GateRefusal)
        log_action(
            "tourdraw.group.checked_in",
            group,
            actor=staff,
            data={"gate": gate, "persons": 1, "by": "document"},
        )
    member.refresh_from_db()
    return member


def _already_in(member: GroupMember, slot: Slot, refusal: type[DomainError]) -> DomainError:
    from tourdraw.visits.gate import mask_name

    moment = timezone.localtime(member.checked_in_at, slot.tour.site.tzinfo)
    return refusal(
        _("%(name)s (%(id)s) is already checked in (%(time)s, %(gate)s).")
        % {
            "name": mask_name(member.full_name),
            "id": member.id_masked,
            "time": formats.date_format(moment, "DATETIME_FORMAT"),
            "gate": member.checked_in_gate,
        },
        code=Code.ALREADY_CHECKED_IN,
        field="member",
    )


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
        with translation.override(locked.language):
            body = _(GROUP_RELEASED) % {"slot": slot.label, "organisation": locked.organisation}
            subject = _(GROUP_RELEASED_SUBJECT)
        outbox.enqueue_with_email(
            "sms",
            locked.contact_phone,
            locked.contact_email,
            body,
            subject=subject,
            topic="group.slot_cancelled",
            language=locked.language,
            about=locked,
        )
    group.refresh_from_db()
    return group
