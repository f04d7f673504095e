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
from tourdraw.errors import DomainError
from tourdraw.groups.models import GroupMember, GroupVisit
from tourdraw.lottery import rounds
from tourdraw.notify import outbox
from tourdraw.people import crypto, documents
from tourdraw.visits import capacity
from tourdraw.visits.models import Offer

CSV_COLUMNS = ["full_name", "id_type", "id_number", "birth_date"]


class GroupError(DomainError):
    """``problems`` lists every problem found (one per bad row of a member list),
    each with its code and field (``members.2.id_number``); ``errors`` has their
    texts, which name the row and the person."""

    def __init__(
        self,
        message: Any,
        *,
        code: str,
        field: str = "",
        problems: list[DomainError] | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.problems = problems or [DomainError(message, code=code, field=field)]
        self.errors = [str(problem.message) for problem in self.problems]


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
            raise GroupError(_("This field is required."), code="required", field=field)
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
                _("At most %(limit)d characters.") % {"limit": limit}, code="too_long", field=field
            )
    if not 1 <= size <= site.group_size_limit:
        raise GroupError(
            _("A group at %(site)s has 1 to %(limit)d persons.")
            % {"site": site.tr("name"), "limit": site.group_size_limit},
            code="group_size",
            field="size",
        )
    with transaction.atomic():
        group = GroupVisit.objects.create(
            site=site,
            organisation=organisation.strip(),
            contact_name=contact_name.strip(),
            contact_phone=contact_phone.strip(),
            contact_email=contact_email.strip(),
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
            _("Choose a session at this group's site."), code="wrong_site", field="slot"
        )
    with transaction.atomic():
        locked_slot = capacity.lock_slot(slot.pk)
        # After close the group's places would come out of a capacity the closing
        # statement already published (and the draw would refuse).
        rounds.check_slot_not_sealed(locked_slot.pk, field="slot")
        locked = GroupVisit.objects.select_for_update().get(pk=group.pk)
        if locked.state != GroupVisit.State.REQUESTED:
            raise GroupError(
                _("This request was already decided."), code="group_decided", field="state"
            )
        free = capacity.free_places(locked_slot)
        if locked.size > free:
            raise GroupError(
                _("%(slot)s has %(free)d places free; this group needs %(size)d.")
                % {"slot": locked_slot.label, "free": free, "size": locked.size},
                code="not_enough_places",
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
        raise GroupError(_("Give the group a reason."), code="reason_required", field="reason")
    with transaction.atomic():
        updated = GroupVisit.objects.filter(pk=group.pk, state=GroupVisit.State.REQUESTED).update(
            state=GroupVisit.State.DECLINED,
            decline_reason=reason.strip(),
            decided_at=now,
            decided_by=actor,
        )
        if not updated:
            raise GroupError(
                _("This request was already decided."), code="group_decided", field="state"
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
            code="csv_columns",
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

    Every row is checked by the rules of entries (a valid ID document, the
    tour's minimum age on the visit day, each person once in the session);
    if any row fails, nothing is saved and every bad row is named, counting
    rows from ``first_row``.
    """
    today = today or timezone.localdate()
    slot = _check_uploadable(group)
    problems: list[DomainError] = []
    valid: list[tuple[str, documents.Document, str]] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=first_row):
        name = " ".join(str(row.get("full_name") or "").split())
        row_at = _RowAt(
            label=_("Row %(row)d (%(name)s)") % {"row": number, "name": name or "?"},
            field=f"members.{number - first_row}.",
        )
        if not name:
            problems.append(
                row_at.problem(
                    _("Enter the full name as on the ID document."), "name_required", "full_name"
                )
            )
            continue
        if len(name) > GroupMember._meta.get_field("full_name").max_length:  # type: ignore[operator]
            problems.append(
                row_at.problem(
                    _("A name has at most 100 characters."), "name_too_long", "full_name"
                )
            )
            continue
        birth = row.get("birth_date")
        if not isinstance(birth, date):
            raw_birth = str(birth or "").strip()
            try:
                birth = date.fromisoformat(raw_birth) if raw_birth else None
            except ValueError:
                problems.append(
                    row_at.problem(
                        _("Write the date of birth as YYYY-MM-DD."),
                        "birth_date_invalid",
                        "birth_date",
                    )
                )
                continue
        try:
            document = documents.validate(
                str(row.get("id_type") or "cn_resident").strip(),
                str(row.get("id_number") or ""),
                birth,
                today=today,
            )
        except documents.DocumentError as error:
            problems.append(row_at.problem(error.message, error.code, error.field))
            continue
        digest = crypto.id_hash(document.doc_type, document.number)
        if digest in seen:
            problems.append(
                row_at.problem(
                    _("the same ID document as row %(row)d; each person comes once.")
                    % {"row": seen[digest]},
                    "person_repeated",
                    "id_number",
                )
            )
            continue
        seen[digest] = number
        age = documents.age_on(document.birth_date, slot.visit_date)
        if age < slot.tour.min_age:
            problems.append(
                row_at.problem(
                    _("will be %(age)d on the day of the visit; everyone must be at least %(min)d.")
                    % {"age": age, "min": slot.tour.min_age},
                    "under_min_age",
                    "birth_date",
                )
            )
            continue
        valid.append((name, document, digest))
    if len(rows) > group.size:
        problems.append(
            DomainError(
                _("The list has %(count)d persons; the group was approved for %(size)d.")
                % {"count": len(rows), "size": group.size},
                code="too_many_members",
                field="members",
            )
        )
    elsewhere = _already_in_session(slot, group, [digest for _, _, digest in valid])
    for name, _document, digest in valid:
        if digest in elsewhere:
            problems.append(
                DomainError(
                    _("Row %(row)d (%(name)s): already has a place in this session.")
                    % {"row": seen[digest], "name": name},
                    code="person_already_booked",
                    field=f"members.{seen[digest] - first_row}.id_number",
                )
            )
    if problems:
        raise GroupError(
            problems[0].message, code="members_invalid", field="members", problems=problems
        )
    with transaction.atomic():
        group.members.all().delete()
        members = GroupMember.objects.bulk_create(
            GroupMember(
                group=group,
                position=position,
                full_name=name,
                **documents.stored_fields(document, digest),
            )
            for position, (name, document, digest) in enumerate(valid, start=1)
        )
        log_action("tourdraw.group.members_uploaded", group, data={"members": len(members)})
    return members


@dataclass(frozen=True)
class _RowAt:
    """Where a member-list problem is: the row and person for the text, and the
    field (``members.2.``) that a form or an API client puts it against."""

    label: str
    field: str

    def problem(self, message: Any, code: str, column: str) -> DomainError:
        return DomainError(f"{self.label}: {message}", code=code, field=self.field + column)


def _check_uploadable(group: GroupVisit) -> Slot:
    if group.state != GroupVisit.State.APPROVED or group.slot is None:
        raise GroupError(
            _("The member list is uploaded once the visit is approved."),
            code="group_not_approved",
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
            _("This group is not booked for this session."), code="wrong_slot", field="group"
        )
    opens, closes = arrival_window(slot)
    if not opens <= now <= closes:
        raise GateRefusal(
            _("Outside this session's arrival window."), code="outside_window", field="group"
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
                code="group_not_approved",
                field="state",
            )
        slot = locked.slot
        locked.state = GroupVisit.State.REQUESTED
        locked.slot = None
        locked.save(update_fields=["state", "slot"])
        log_action("tourdraw.group.released", locked, actor=actor, data={"slot": slot.pk})
        with translation.override("zh-hans"):
            body = _(GROUP_RELEASED) % {"slot": slot.label, "organisation": locked.organisation}
        outbox.enqueue(
            "sms",
            locked.contact_phone,
            body,
            topic="group.slot_cancelled",
            language="zh-hans",
            about=locked,
        )
    group.refresh_from_db()
    return group
